/*
 * holds — checkout holds (storefront reservations): units of several SKUs
 * held for a buyer while they pay, all or none, taken from what the website
 * may sell (the stock key). Held units stay on hand but neither channel
 * sells them (TikTok's projection counts on hand less held). A hold ends
 * consumed (its paid Checkout Session, checkout.h), released (the
 * storefront, or its Checkout Session expired) or expired (its TTL, swept
 * by the service and on read, so a TTL that passed while shopsync was down
 * is released at the next start). An ended hold keeps its state for
 * HOLDS_ENDED_TTL_S, then is gone.
 *
 * Redis: P hold:{id} (hash: state, items [[sku,n]], created_at, expires_at
 * in ms, ended_at), P holds:expiry (sorted set of active ids by expiry).
 * Counters holds_created/consumed/released/expired in P stats.
 */
#ifndef SHOPSYNC_HOLDS_H
#define SHOPSYNC_HOLDS_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/common.h"
#include "shopsync/redis.h"

#define HOLDS_ID_MAX 64
#define HOLDS_TTL_MIN_S 60
#define HOLDS_TTL_MAX_S 86400
#define HOLDS_TTL_DEFAULT_S 1800
#define HOLDS_ENDED_TTL_S 86400
#define HOLDS_MAX_ITEMS 100

typedef enum {
    HOLDS_OK = 0,
    HOLDS_SHORT = 1,       /* an item asks for more than the website may sell */
    HOLDS_UNKNOWN_SKU = 2, /* an item's SKU is not in the catalog */
    HOLDS_NOT_FOUND = 3,   /* no such hold (or it ended more than a day ago) */
    HOLDS_INVALID = 4,
    HOLDS_UNAVAILABLE = -1
} holds_rc;

typedef struct holds_item {
    char sku[64];
    long long quantity;
} holds_item_t;

/* 1 when id has the form of a hold id (1-63 of A-Z a-z 0-9 _ -). */
int holds_valid_id(const char *id);

/* Hold n items (borrowed; distinct SKUs, quantity >= 1) for ttl_s seconds,
 * all or none. On HOLDS_OK, id receives the new hold's id and *expires_at
 * its expiry in Unix seconds. On HOLDS_SHORT or HOLDS_UNKNOWN_SKU nothing
 * is held and sku (cap bytes) names the item, *available what the website
 * may sell of it (0 for an unknown SKU). */
SHOPSYNC_MUST_USE holds_rc holds_create(redis_conn_t *r, const holds_item_t *items, size_t n, int ttl_s,
                                        char id[HOLDS_ID_MAX], long long *expires_at, char *sku, size_t cap,
                                        long long *available);

/* The hold id as a new JSON object in *out: hold_id, state (active,
 * consumed, released, expired), expires_at and created_at (Unix seconds),
 * items [{sku, quantity}], ended_at when it ended. An active hold whose
 * time has come is expired first. */
SHOPSYNC_MUST_USE holds_rc holds_get(redis_conn_t *r, const char *id, json_t **out);

/* End hold id as state ("released", or "expired", which applies only once
 * its time has come; a release of a hold whose time has come ends it as
 * expired). state_out (cap bytes) receives its state after the call,
 * *ended 1 when this call ended it. */
SHOPSYNC_MUST_USE holds_rc holds_end(redis_conn_t *r, const char *id, const char *state, char *state_out,
                                     size_t cap, int *ended);

/* Expire up to max active holds whose time has come. *n receives how many
 * were expired. Returns 0, or -1 when Redis fails. */
SHOPSYNC_MUST_USE int holds_expire_due(redis_conn_t *r, int max, long long *n);

/* The items of hold id as a new JSON array [[sku, n]] in *out (NULL when
 * there is no such hold). */
SHOPSYNC_MUST_USE holds_rc holds_items(redis_conn_t *r, const char *id, json_t **out);

#endif
