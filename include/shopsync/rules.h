/*
 * rules — channel rules: per SKU, with a store-wide default, how much of a
 * SKU's available stock (on hand less units held for checkouts) TikTok Shop
 * is shown. Fields: buffer (units held back), percent (1-100, share of the
 * rest, rounded down), zero_at (TikTok shows 0 when available <= it), max
 * (cap; null = none) and sync (false: shopsync never pushes the SKU's
 * stock). TikTok's quantity = 0 if available <= zero_at, else
 * min(max, floor(percent% * max(0, available - buffer))). A SKU's rule
 * falls back field by field to the default, whose buffer falls back to
 * SHOPSYNC_STOCK_BUFFER. The formula itself lives in one place,
 * src/lua/stock.lua (tiktok_quantity), used by pushes and by every view
 * (stock_view: product sync, reconciliation, the admin page).
 *
 * Redis: P rules:default and P rules:sku:{sku} (hashes of the fields set),
 * P rules:skus (SKUs with a rule of their own). A change marks for a push
 * exactly the SKUs whose rule it changes (src/lua/rules_store.lua).
 */
#ifndef SHOPSYNC_RULES_H
#define SHOPSYNC_RULES_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/common.h"
#include "shopsync/redis.h"

typedef enum {
    RULES_OK = 0,
    RULES_INVALID = 1,   /* a field is wrong; err names it */
    RULES_NOT_FOUND = 2, /* a SKU the catalog does not have; err names it */
    RULES_UNAVAILABLE = -1
} rules_rc;

/* Validate one rule object in (borrowed) at path where (e.g. "default",
 * "skus.LAV-8OZ", "tiktok"). Every bad field is appended to err as
 * "where.field: reason" ("; " between them) and, when fields (borrowed
 * array) is not NULL, its path to fields. On success *out is a new copy of
 * the fields given (max may be null: no cap). Returns the number of bad
 * fields (0: valid, *out set; else *out NULL). */
int rules_validate(const json_t *in, const char *where, json_t **out, json_t *fields, char *err, size_t errlen);

/* Validate a whole document {"default":{...},"skus":{"SKU":{...}}} (both
 * members optional; borrowed), as rules_validate. On success *out is a new
 * normalised copy with both members. Returns the number of bad fields. */
int rules_validate_doc(const json_t *doc, json_t **out, json_t *fields, char *err, size_t errlen);

/* The rules as a new document in *out: "default" with every field (the
 * built-in value where the store's default sets none), "skus" with each
 * SKU's own fields. */
SHOPSYNC_MUST_USE rules_rc rules_get(redis_conn_t *r, json_t **out);

/* Replace the whole rules document (validated by rules_validate_doc,
 * borrowed). A SKU the catalog does not have is RULES_NOT_FOUND (nothing
 * changes). *marked receives how many SKUs were marked for a push. */
SHOPSYNC_MUST_USE rules_rc rules_replace(redis_conn_t *r, const json_t *doc, long long *marked, char *err,
                                         size_t errlen);

/* Replace sku's own rule with rule (validated, borrowed), or with rule NULL
 * return it to the default. RULES_NOT_FOUND for a SKU not in the catalog.
 * *marked as for rules_replace. */
SHOPSYNC_MUST_USE rules_rc rules_set_sku(redis_conn_t *r, const char *sku, const json_t *rule, long long *marked);

/* Set the own rule of each SKU of sets (borrowed: an array of
 * {"sku": ..., "rule": {validated}}; an entry without "rule" returns its SKU
 * to the default), a batch of SKUs per call. RULES_NOT_FOUND for a SKU not
 * in the catalog (its batch changes nothing). *marked as for
 * rules_replace. */
SHOPSYNC_MUST_USE rules_rc rules_set_skus(redis_conn_t *r, const json_t *sets, long long *marked);

/* The store default's own fields (a new object, {} when none set) into
 * *out. */
SHOPSYNC_MUST_USE rules_rc rules_get_default(redis_conn_t *r, json_t **out);

/* One SKU's own rule fields (a new object, {} when none) into *out. */
SHOPSYNC_MUST_USE rules_rc rules_get_sku(redis_conn_t *r, const char *sku, json_t **out);

#endif
