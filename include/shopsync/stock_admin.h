/*
 * stock_admin — a seller's own decrement of a SKU (admin API, shopsync
 * stock --delta -N). Unlike a sale it may not take stock below 0: an
 * oversell records a sale that asked for more than there was, while an edit
 * asking for that is a mistake to point out. The check and the change are
 * one script, through the shared stock_change (lua_stock.h), so concurrent
 * edits and sales cannot slip between them; an Idempotency-Key works as for
 * stock_change_once (same record, same fingerprint), so a repeat is
 * answered from its record whatever the stock is by then.
 *
 * Redis: P stock:<sku>, the shared stock keys, P idempotency:stock:<key>.
 */
#ifndef SHOPSYNC_STOCK_ADMIN_H
#define SHOPSYNC_STOCK_ADMIN_H

#include "shopsync/redis.h"
#include "shopsync/stock.h"

typedef enum {
    STOCK_ADMIN_OK = 0,
    STOCK_ADMIN_NOT_FOUND = 1,  /* no such SKU */
    STOCK_ADMIN_INVALID = 2,    /* delta is not a decrement within -STOCK_MAX */
    STOCK_ADMIN_KEY_REUSED = 3, /* the key was used for another change */
    STOCK_ADMIN_SHORT = 4,      /* the stock there is (*available) is less than asked */
    STOCK_ADMIN_UNAVAILABLE = -1
} stock_admin_rc;

/* Take -delta units (delta < 0) of sku, reason "admin", or nothing when
 * there are fewer: STOCK_ADMIN_SHORT with the stock in *available. key
 * (borrowed, may be NULL) is an Idempotency-Key as for stock_change_once,
 * and the activity ref (ref, borrowed, is used without a key). *replayed is
 * 1 when the answer is an earlier call's record. */
stock_admin_rc stock_admin_decrement(redis_conn_t *r, const char *sku, long long delta, const char *key,
                                     const char *ref, stock_result_t *out, int *replayed, long long *available);

#endif
