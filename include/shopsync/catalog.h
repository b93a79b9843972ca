/*
 * catalog — products and their SKUs (variants): validation of the catalog
 * file format and atomic writes to Redis. Stock lives in the stock module's
 * keys; the catalog only creates them.
 *
 * Catalog format: {"products":[{"id","title","description","images":[url],
 * "category_id","package":{"weight","weight_unit","length","width","height",
 * "dimension_unit"},"skus":[{"sku","price","currency","stock","attributes",
 * "tiktok"}]}]} where "tiktok" is the SKU's channel rule (rules.h), stored
 * as its rule rather than with the product.
 */
#ifndef SHOPSYNC_CATALOG_H
#define SHOPSYNC_CATALOG_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/redis.h"

#define CATALOG_ID_MAX 50
#define CATALOG_MAX_PRODUCTS 10000
#define CATALOG_MAX_SKUS 100

typedef enum {
    CATALOG_OK = 0,
    CATALOG_INVALID = 1,   /* the input is wrong; err says where */
    CATALOG_NOT_FOUND = 2,
    CATALOG_CONFLICT = 3,  /* a SKU already belongs to another product */
    CATALOG_UNAVAILABLE = -1
} catalog_rc;

/* 1 when s is 1..50 characters of [A-Za-z0-9._-]. */
int catalog_valid_id(const char *s);

/* Validate one product object (borrowed) and return a new normalised copy in
 * *out; stock values stay in the SKUs. where prefixes messages (e.g.
 * "products[3]"). */
catalog_rc catalog_validate_product(const json_t *p, const char *where, json_t **out,
                                    char *err, size_t errlen);

/* Validate a whole catalog document (borrowed): returns a new array of
 * normalised products in *out. SKUs and ids must be unique in the document. */
catalog_rc catalog_validate(const json_t *doc, json_t **out, char *err, size_t errlen);

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
