/*
 * stock — store stock per SKU in Redis, the single source of truth. Every
 * change is one atomic script: decrement with a floor at 0 (the shortfall is
 * an oversell), increment, set; each appends to the bounded activity log and
 * marks the SKU dirty for a push to TikTok Shop. A SKU whose stock runs low
 * while both channels sell is allocated (src/lua/stock.lua): TikTok holds a
 * share only it can sell, and the stock key says what the website may sell.
 */
#ifndef SHOPSYNC_STOCK_H
#define SHOPSYNC_STOCK_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/redis.h"

#define STOCK_MAX 1000000000LL

typedef enum {
    STOCK_OK = 0,
    STOCK_NOT_FOUND = 1,   /* no such SKU */
    STOCK_INVALID = 2,     /* value out of range */
    STOCK_KEY_REUSED = 3,  /* idempotency key already used for another change */
    STOCK_SHORT = 4,       /* a seller's decrement asked for more than there is */
    STOCK_UNAVAILABLE = -1 /* Redis did not answer */
} stock_rc;

typedef struct stock_result {
    long long stock;     /* value after the change */
    long long applied;   /* change actually applied */
    long long shortfall; /* units that could not be taken (oversold) */
} stock_result_t;

/* Add delta (negative decrements, floored at 0) to sku's stock. reason and
 * ref (borrowed) go to the activity log ("admin", "tiktok_order", ...). */
SHOPSYNC_MUST_USE stock_rc stock_adjust(redis_conn_t *r, const char *sku, long long delta,
                      const char *reason, const char *ref, stock_result_t *out);

/* Set sku's stock to value (0..STOCK_MAX). */
SHOPSYNC_MUST_USE stock_rc stock_set(redis_conn_t *r, const char *sku, long long value,
                   const char *reason, const char *ref, stock_result_t *out);

/* As stock_set (set != 0) or stock_adjust, applied at most once per
 * idempotency key (borrowed, 1-64 characters; it becomes the activity ref):
 * a repeat with the same key and the same change changes nothing and
 * returns the first result with *replayed = 1; the same key with another
 * SKU or change is STOCK_KEY_REUSED. Keys are kept STOCK_IDEMPOTENCY_TTL_S. */
#define STOCK_IDEMPOTENCY_TTL_S 86400
SHOPSYNC_MUST_USE stock_rc stock_change_once(redis_conn_t *r, const char *sku, int set, long long n, const char *reason,
                           const char *key, stock_result_t *out, int *replayed);

/* One SKU as the store sees it. */
typedef struct stock_view {
    int found;                 /* 0: no such SKU (the rest is 0) */
    long long web;             /* what the website may sell now (the stock key) */
    long long on_hand;         /* units in the store */
    int allocated;             /* 1 in low-stock allocation mode */
    long long tiktok_share;    /* allocated: units only TikTok may sell */
    long long reserved;        /* allocated: units held while TikTok's sales settle */
    long long settle_until_ms; /* allocated: when they are released, 0 when none */
    long long pending;         /* normal: change from outside TikTok not yet on TikTok */
    long long held;            /* units held for storefront checkouts (holds) */
    long long tiktok;          /* what TikTok may show: its share when allocated, else the
                                  projection of the SKU's channel rule (rules.h) */
    int sync;                  /* 0 when the SKU's rule says sync:false (nothing is pushed) */
} stock_view_t;

/* A seller's own decrement (delta < 0, reason "admin"): unlike a sale it
 * may not take stock below 0 (an oversell records a sale that asked for
 * more than there was; an edit asking for it is a mistake to point out),
 * so it is refused with STOCK_SHORT and the on-hand stock in *available,
 * checked and applied in one script. key (borrowed, may be NULL) is an
 * Idempotency-Key as for stock_change_once, whose record answers a repeat
 * (*replayed 1); ref (borrowed) is the activity ref without a key. */
SHOPSYNC_MUST_USE stock_rc stock_take(redis_conn_t *r, const char *sku, long long delta, const char *key, const char *ref,
                    stock_result_t *out, int *replayed, long long *available);

/* Read sku's view into *out; STOCK_NOT_FOUND for an unknown SKU. */
SHOPSYNC_MUST_USE stock_rc stock_view(redis_conn_t *r, const char *sku, stock_view_t *out);

/* Read the views of n SKUs (borrowed) into out (caller's array of n), a few
 * hundred per round trip; an unknown SKU has found 0. */
SHOPSYNC_MUST_USE stock_rc stock_view_many(redis_conn_t *r, const char *const *skus, size_t n, stock_view_t *out);

/* Record that TikTok was set outright to sent, the projection of a view
 * whose pending change was pending (product sync): later pushes add only
 * what changed since. *left receives what is still pending after that
 * (nonzero when a push ran beside: the caller marks the SKU). Returns 0 or
 * -1. */
SHOPSYNC_MUST_USE int stock_absorb_pending(redis_conn_t *r, const char *sku, long long pending, long long sent,
                                           long long *left);

/* Note that a TikTok webhook arrived lag_ms after the event it reports
 * (its own timestamp): a low-stock SKU's settle then lasts at least that
 * long, so a sale whose webhook is late is not sold again. Lags above
 * STOCK_HOOK_LAG_MAX_MS (resends, replays) and below 0 (clock skew) are
 * ignored. Cheap to call per webhook: Redis is written at most once a
 * second per process, or when the lag exceeds the last one written by
 * more than half a second. */
#define STOCK_HOOK_LAG_MAX_MS 60000
void stock_note_hook_lag(redis_conn_t *r, long long lag_ms);

/* The view as JSON fields added to obj (borrowed): on_hand, available_web,
 * tiktok_share, reserved, mode ("normal" or "allocated"), held, tiktok_shown
 * (what TikTok may show; null with sync off). */
void stock_view_json(const stock_view_t *v, json_t *obj);

/* Read sku's on-hand stock into *out. */
SHOPSYNC_MUST_USE stock_rc stock_get(redis_conn_t *r, const char *sku, long long *out);

/* The newest entries of a capped list (activity, oversells, unmatched) as a
 * new JSON array of objects, newest first. which is the key suffix. */
SHOPSYNC_MUST_USE stock_rc stock_list_log(redis_conn_t *r, const char *which, int limit, json_t **out);

/* A stock key buffer's size: the registry's (keys.h). */
#define STOCK_KEY_MAX KEY_MAX
#define STOCK_SHARED_KEYS 7

/* The keys a sale script passes to stock_change (Lua shared_keys), in KEYS
 * order: activity, oversells, push:dirty, stats, unmatched, settings,
 * alloc:skus. Returns 0, or -1 when a key does not fit (a prefix too long). */
SHOPSYNC_MUST_USE int stock_shared_keys(char keys[STOCK_SHARED_KEYS][KEY_MAX]);

/* Redis key of sku's stock (what the website may sell) into out. Returns
 * 0 or -1. */
SHOPSYNC_MUST_USE int stock_key(char *out, size_t cap, const char *sku);

/* Redis key of sku's channel state (src/lua/stock.lua) into out. Returns 0
 * or -1. */
SHOPSYNC_MUST_USE int stock_chan_key(char *out, size_t cap, const char *sku);

#endif
