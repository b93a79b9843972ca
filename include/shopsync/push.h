/*
 * push — store stock to TikTok Shop. Every stock change marks its SKU dirty
 * (a version counter in P push:dirty); a push plans what to send from the
 * SKU's channel state (src/lua/push_plan.lua), sends it with Update
 * Inventory for every warehouse of the SKU, records it
 * (src/lua/push_commit.lua) and clears the mark only if no change happened
 * meanwhile. In normal mode TikTok's current quantity is read first and
 * only the change from outside TikTok (and cancellations) is added to it,
 * at most the projection of the SKU's channel rule (rules.h; by default
 * max(0, stock - held - SHOPSYNC_STOCK_BUFFER)): TikTok's
 * own sales, seen or not yet, are not given back. An allocated SKU is pushed only to
 * 0 (taking TikTok's share back) or, once TikTok is known to be at 0, to a
 * new share. One push per SKU at a time (a lock), at most one per
 * SHOPSYNC_PUSH_INTERVAL_MS per SKU, so bursts collapse into few calls. A
 * SKU on TikTok Shop that is no longer in the catalog is pushed as 0; a
 * SKU whose rule says sync:false is never pushed.
 */
#ifndef SHOPSYNC_PUSH_H
#define SHOPSYNC_PUSH_H

#include "shopsync/config.h"
#include "shopsync/connection.h"
#include "shopsync/redis.h"

typedef enum {
    PUSH_SENT = 0,
    PUSH_NOTHING = 1,       /* not dirty, locked by another worker, or too soon */
    PUSH_SKIPPED = 2,       /* SKU not on TikTok yet (reported, mark cleared) */
    PUSH_FAILED = 3,        /* TikTok refused it for good (recorded on the SKU) */
    PUSH_RETRY = 4,         /* transient: stays dirty */
    PUSH_NOT_CONNECTED = 5, /* stays dirty until the shop is connected */
    PUSH_UNAVAILABLE = -1
} push_rc;

/* Push sku if it is dirty (or always, with force). */
push_rc push_sku(const config_t *cfg, redis_conn_t *r, connection_t *conn, const char *sku, int force);

/* One pass over the dirty SKUs. *sent receives the pushes made. Returns 0,
 * 1 when the shop is not connected, -1 when Redis is unavailable. */
int push_pass(const config_t *cfg, redis_conn_t *r, connection_t *conn, int *sent);

/* Mark every allocated SKU dirty, so its plan runs again (a settle ends,
 * rates fall and it leaves allocation). Returns 0 or -1. */
int push_watch_allocated(redis_conn_t *r);

/* Mark sku dirty so the push workers send it. */
int push_mark(redis_conn_t *r, const char *sku);

#endif
