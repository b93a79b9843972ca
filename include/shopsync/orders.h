/*
 * orders — the TikTok order ledger. An order is applied to store stock the
 * first time it is seen in any non-cancelled status (all its units, once);
 * an applied order that becomes CANCELLED is restocked exactly once (the
 * units actually taken); an order first seen cancelled is never decremented.
 * Each transition is one Redis script over the ledger entry and the stock.
 *
 * Redis: P order:tiktok:<order id> (hash: state applied|restocked|
 * cancelled_first, units JSON), kept 90 days.
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
    EVENT_UNAVAILABLE = -1
} event_rc;

/* Outcome of one ledger transition, for tests and logs. */
typedef enum {
    ORDER_APPLIED,
    ORDER_RESTOCKED,
    ORDER_CANCELLED_FIRST,
    ORDER_NOOP
} order_outcome_t;

/* Apply order (borrowed) to the ledger and stock. Line items are counted per
 * seller SKU; a line without a known seller_sku is matched through the
 * stored TikTok SKU id; unknown SKUs are recorded as unmatched. */
event_rc orders_apply(redis_conn_t *r, const tiktok_order_t *order, order_outcome_t *outcome,
                      char *err, size_t errlen);

/* Handle one TikTok webhook body (borrowed): order status (type 1) and
 * cancellation (type 11) fetch the order and apply it; seller
 * deauthorization (6) marks the connection; authorization expiring (7) sets a
 * warning; other types are recorded and ignored. */
event_rc orders_handle_webhook(const config_t *cfg, redis_conn_t *r, connection_t *conn,
                               const char *body, size_t len, char *err, size_t errlen);

#endif
