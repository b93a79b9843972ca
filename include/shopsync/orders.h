/*
 * orders — the TikTok order ledger. An order is applied to store stock the
 * first time it is seen in any non-cancelled status (the units of its lines
 * not cancelled, once); a line cancelled later gives its unit back once, and
 * an applied order that becomes CANCELLED gives back the rest of what it
 * took, once; an order first seen cancelled is never decremented (its SKUs
 * are marked for a push, since TikTok restocked them on its side). Each
 * transition is one Redis script over the ledger entry and the stock.
 *
 * Redis: P order:tiktok:<order id> (hash: state applied|restocked|
 * cancelled_first, taken and back as JSON per SKU), kept 90 days.
 */
#ifndef SHOPSYNC_ORDERS_H
#define SHOPSYNC_ORDERS_H

#include <stddef.h>

#include "shopsync/config.h"
#include "shopsync/connection.h"
#include "shopsync/redis.h"
#include "shopsync/tiktok.h"

typedef enum {
    EVENT_DONE = 0,       /* applied or deliberately ignored */
    EVENT_RETRY = 1,      /* transient failure: try again later */
    EVENT_PERMANENT = 2,  /* will never succeed: dead-letter now */
    EVENT_PARKED = 3,     /* cannot be handled while TikTok Shop is not connected:
                           * park it (no attempt counted) until it is again */
    EVENT_UNAVAILABLE = -1
} event_rc;

/* Outcome of one ledger transition, for tests and logs. */
typedef enum {
    ORDER_APPLIED,
    ORDER_RESTOCKED,
    ORDER_RESTOCKED_LINES, /* cancelled lines of a live order given back */
    ORDER_CANCELLED_FIRST,
    ORDER_NOOP
} order_outcome_t;

/* Stable lowercase name of an outcome ("applied", "restocked",
 * "restocked_lines", "cancelled_first", "noop"), as the ledger script and
 * the logs spell it; static. */
const char *orders_outcome_name(order_outcome_t outcome);

/* Apply order (borrowed) to the ledger and stock. Line items are counted per
 * seller SKU; a line without a known seller_sku is matched through the
 * stored TikTok SKU id; unknown SKUs are recorded as unmatched. */
event_rc orders_apply(redis_conn_t *r, const tiktok_order_t *order, order_outcome_t *outcome,
                      char *err, size_t errlen);

/* Handle one TikTok webhook body (borrowed): order status (type 1,
 * TIKTOK_WEBHOOK_ORDER_STATUS) and cancellation (type 11) fetch the order
 * and apply it (EVENT_PARKED, with
 * the reason in err, when the shop is not connected, so nothing is fetched
 * and no attempt is spent until it is); seller
 * deauthorization (6) marks the connection; authorization expiring (7) sets a
 * warning; other types are recorded and ignored. prefetched (borrowed, may
 * be NULL) holds orders already fetched for a batch; an order found there is
 * not fetched again. */
event_rc orders_handle_webhook(const config_t *cfg, redis_conn_t *r, connection_t *conn,
                               const char *body, size_t len, const tiktok_orders_t *prefetched,
                               char *err, size_t errlen);

/* The distinct order ids that the n webhook bodies (borrowed) of a batch
 * refer to, into ids (at most TIKTOK_MAX_ORDER_IDS); returns how many. Zero
 * means handling the batch makes no Get Order Detail call. */
size_t orders_batch_ids(const char *const *bodies, const size_t *lens, size_t n,
                        char ids[TIKTOK_MAX_ORDER_IDS][TIKTOK_ID_MAX]);

/* Fetch the m orders of ids (borrowed, from orders_batch_ids) in one Get
 * Order Detail call (none for fewer than 2). out is always initialised
 * (free with tiktok_orders_free); on failure it is empty and each event
 * fetches its own order. Returns 0 or -1. */
int orders_prefetch(connection_t *conn, char ids[TIKTOK_MAX_ORDER_IDS][TIKTOK_ID_MAX], size_t m,
                    tiktok_orders_t *out);

/* Apply every order TikTok Shop updated at or after since_s (seconds), read
 * with Search Orders (pages of 100, at most ORDERS_PULL_MAX_PAGES), to the
 * ledger, stock and revenue exactly as its webhook would: once, so the
 * webhook that comes later changes nothing. It learns TikTok's sales
 * without waiting for their webhooks. *applied counts the orders read.
 * Returns 0 when every page was read and applied, -1 (the reason in err)
 * otherwise; what was applied before a failure stays applied. */
#define ORDERS_PULL_MAX_PAGES 10
int orders_pull(redis_conn_t *r, connection_t *conn, long long since_s, size_t *applied, char *err,
                size_t errlen);

#endif
