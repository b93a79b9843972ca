/*
 * catalog_store — products and their SKUs (variants) in Redis: atomic
 * writes of products validated by catalog_validate, deletes, and reads with
 * current stock. Stock lives in the stock module's keys; the catalog only
 * creates and removes them. A SKU's "tiktok" rule becomes its channel rule
 * (rules.h) rather than part of the stored product.
 */
#ifndef SHOPSYNC_CATALOG_STORE_H
#define SHOPSYNC_CATALOG_STORE_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/catalog_validate.h"
#include "shopsync/redis.h"

/* Write normalised products (borrowed array) in one atomic step: products are
 * created or replaced, SKUs a replaced product no longer lists are removed
 * with their stock and marked for a push (TikTok Shop then shows 0), stock
 * given in the input is set (reason "import"), new SKUs without stock start
 * at 0. *n_skus receives the SKU count. */
catalog_rc catalog_store(redis_conn_t *r, const json_t *products, size_t *n_skus,
                         char *err, size_t errlen);

/* All products (new array, sorted by id), each SKU with its current "stock". */
catalog_rc catalog_list(redis_conn_t *r, json_t **out);

/* One product (new object) with stock, or CATALOG_NOT_FOUND. */
catalog_rc catalog_get(redis_conn_t *r, const char *id, json_t **out);

/* Delete a product, its SKUs and their stock; the SKUs are marked for a push,
 * which sends 0 for those on TikTok Shop. */
catalog_rc catalog_delete(redis_conn_t *r, const char *id, char *err, size_t errlen);

/* Product id owning sku into out (cap bytes). */
catalog_rc catalog_sku_owner(redis_conn_t *r, const char *sku, char *out, size_t cap);

#endif
