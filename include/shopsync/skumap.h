/*
 * skumap — what shopsync knows of each store SKU on TikTok Shop: the TikTok
 * product and SKU ids, the warehouses it is stocked in, and the last push
 * (quantity, time, status, error).
 *
 * Redis: P tiktok:sku:<sku> (hash), P tiktok:sku_id:<tiktok sku id> -> sku,
 * P tiktok:product:<product id> -> TikTok product id, P tiktok:mapped (set);
 * reads P push:dirty (the push module's marks).
 */
#ifndef SHOPSYNC_SKUMAP_H
#define SHOPSYNC_SKUMAP_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/redis.h"

typedef struct skumap_entry {
    char product_id[64];   /* TikTok product id */
    char sku_id[64];       /* TikTok SKU id */
    json_t *warehouses;    /* owned array of warehouse id strings, or NULL */
    long long last_pushed_quantity; /* -1 when never pushed */
    long long last_pushed_at;       /* Unix seconds, 0 when never */
    char status[16];       /* "synced" / "error" / "" */
    char error[512];
} skumap_entry_t;

/* Read sku's mapping. Returns 0, 1 when not mapped, -1 when Redis fails.
 * Free with skumap_entry_free. */
int skumap_get(redis_conn_t *r, const char *sku, skumap_entry_t *out);

void skumap_entry_free(skumap_entry_t *e);

/* Record that sku is TikTok SKU sku_id of product product_id, stocked in
 * warehouses (borrowed array). Returns 0 or -1. */
int skumap_set(redis_conn_t *r, const char *sku, const char *product_id, const char *sku_id,
               const json_t *warehouses);

/* The TikTok product id sku is mapped to, into out ("" when not mapped).
 * Returns 0 or -1. */
int skumap_product_of(redis_conn_t *r, const char *sku, char *out, size_t cap);

/* The TikTok product id of store product id, into out. 0, 1 absent, -1. */
int skumap_product_get(redis_conn_t *r, const char *id, char *out, size_t cap);
int skumap_product_set(redis_conn_t *r, const char *id, const char *tiktok_product_id);

/* Store SKU for a TikTok SKU id into out. 0, 1 unknown, -1. */
int skumap_sku_for_id(redis_conn_t *r, const char *sku_id, char *out, size_t cap);

/* Record a push outcome: quantity pushed (when ok) or an error (borrowed). */
int skumap_record_push(redis_conn_t *r, const char *sku, int ok, long long quantity, const char *error);

/* The "tiktok" object shown for a SKU in the admin API (new reference):
 * status, ids, last push, error, and push_pending (the SKU is marked in
 * push:dirty: a change is on its way). */
json_t *skumap_describe(redis_conn_t *r, const char *sku);

/* All mapped store SKUs (new array of strings). */
int skumap_all(redis_conn_t *r, json_t **out);

/* Forget every mapping (after a disconnect a new shop starts clean). */
int skumap_clear(redis_conn_t *r);

#endif
