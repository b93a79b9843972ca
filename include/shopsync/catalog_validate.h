/*
 * catalog_validate — the catalog file format and its checks: a document, a
 * product or a SKU in, a normalised copy or an error naming the field out.
 * Pure (no Redis); a SKU's "tiktok" rule is checked by rules_validate.
 *
 * Catalog format: {"products":[{"id","title","description","images":[url],
 * "category_id","package":{"weight","weight_unit","length","width","height",
 * "dimension_unit"},"skus":[{"sku","price","currency","stock","attributes",
 * "tiktok"}]}]} where "tiktok" is the SKU's channel rule (rules.h), stored
 * as its rule rather than with the product. "images" and "attributes" are
 * held to TikTok Shop's limits (tiktok_limits.h).
 */
#ifndef SHOPSYNC_CATALOG_VALIDATE_H
#define SHOPSYNC_CATALOG_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

#define CATALOG_ID_MAX 50
#define CATALOG_MAX_PRODUCTS 10000
#define CATALOG_MAX_SKUS 100

/* The result of every catalog function, validation and storage alike. */
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

#endif
