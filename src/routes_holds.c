/*
 * routes_holds — checkout holds for the storefront's backend (the
 * storefront token or the admin): create, read, release.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"
#include "shopsync/catalog_validate.h"
#include "shopsync/holds.h"
#include "shopsync/stock.h"

int routes_reply_fields(req_t *rq, json_t *fields, const char *err)
{
    return http_reply_json(rq, 400, json_pack("{s:{s:s,s:s,s:o}}", "error", "code", "invalid_field", "message", err,
                                              "fields", fields));
}

/* Append one bad field of the request (path and reason) to err and fields. */
static void bad_field(json_t *fields, char *err, size_t errlen, const char *path, const char *reason)
{
    size_t used = strlen(err);
    if (used + 1 < errlen)
        snprintf(err + used, errlen - used, "%s%s: %s", used ? "; " : "", path, reason);
    json_array_append_new(fields, json_string(path));
}

/* Read the body's items and ttl_seconds into items (caller's array of
 * HOLDS_MAX_ITEMS, a SKU given twice summed), *n and *ttl. Every bad field
 * goes to fields and err. */
static void parse_hold(const json_t *body, holds_item_t *items, size_t *n, int *ttl, json_t *fields, char *err,
                       size_t errlen)
{
    const char *k;
    json_t *v;
    char path[64];
    *n = 0;
    *ttl = HOLDS_TTL_DEFAULT_S;
    json_object_foreach((json_t *)body, k, v) {
        if (strcmp(k, "items") != 0 && strcmp(k, "ttl_seconds") != 0)
            bad_field(fields, err, errlen, k, "unknown field (send items and ttl_seconds)");
    }
    const json_t *t = json_object_get(body, "ttl_seconds");
    if (t && (!json_is_integer(t) || json_integer_value(t) < HOLDS_TTL_MIN_S || json_integer_value(t) > HOLDS_TTL_MAX_S))
        bad_field(fields, err, errlen, "ttl_seconds", "must be a whole number of seconds from 60 to 86400");
    else if (t)
        *ttl = (int)json_integer_value(t);
    const json_t *arr = json_object_get(body, "items");
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > HOLDS_MAX_ITEMS) {
        bad_field(fields, err, errlen, "items", "must be a list of 1 to 100 {\"sku\",\"quantity\"}");
        return;
    }
    size_t i;
    json_array_foreach(arr, i, v) {
        const json_t *sku = json_object_get(v, "sku"), *q = json_object_get(v, "quantity");
        int ok = 1;
        if (!json_is_object(v)) {
            snprintf(path, sizeof(path), "items[%zu]", i);
            bad_field(fields, err, errlen, path, "must be an object {\"sku\",\"quantity\"}");
            continue;
        }
        json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            if (strcmp(k, "sku") != 0 && strcmp(k, "quantity") != 0) {
                snprintf(path, sizeof(path), "items[%zu].%.20s", i, k);
                bad_field(fields, err, errlen, path, "unknown field (send sku and quantity)");
                ok = 0;
            }
        }
        if (!json_is_string(sku) || !catalog_valid_id(json_string_value(sku))) {
            snprintf(path, sizeof(path), "items[%zu].sku", i);
            bad_field(fields, err, errlen, path, "must be a SKU: 1-50 characters of A-Z a-z 0-9 . _ -");
            ok = 0;
        }
        if (!json_is_integer(q) || json_integer_value(q) < 1 || json_integer_value(q) > STOCK_MAX) {
            snprintf(path, sizeof(path), "items[%zu].quantity", i);
            bad_field(fields, err, errlen, path, "must be a whole number from 1 to 1000000000");
            ok = 0;
        }
        if (!ok)
            continue;
        size_t m;
        for (m = 0; m < *n && strcmp(items[m].sku, json_string_value(sku)) != 0; m++)
            ;
        if (m == *n) {
            snprintf(items[m].sku, sizeof(items[m].sku), "%s", json_string_value(sku));
            items[m].quantity = 0;
            (*n)++;
        }
        if (items[m].quantity + json_integer_value(q) > STOCK_MAX) {
            snprintf(path, sizeof(path), "items[%zu].quantity", i);
            bad_field(fields, err, errlen, path, "more than 1000000000 units of one SKU in all");
            continue;
        }
        items[m].quantity += json_integer_value(q);
    }
}

int route_hold_create(req_t *rq)
{
    holds_item_t items[HOLDS_MAX_ITEMS];
    size_t n = 0;
    int ttl = 0;
    char err[1024] = "", id[HOLDS_ID_MAX], sku[64];
    long long expires = 0, available = 0;
    json_t *fields = json_array();

    parse_hold(rq->json, items, &n, &ttl, fields, err, sizeof(err));
    if (json_array_size(fields))
        return routes_reply_fields(rq, fields, err);
    json_decref(fields);
    holds_rc rc = holds_create(rq->redis, items, n, ttl, id, &expires, sku, sizeof(sku), &available);
    switch (rc) {
    case HOLDS_OK:
        break;
    case HOLDS_SHORT:
        return http_reply_json(rq, 409, json_pack("{s:{s:s,s:s,s:s,s:I}}", "error", "code", "insufficient_stock",
                                                  "message", "not enough stock to hold every item: nothing was held",
                                                  "sku", sku, "available", (json_int_t)available));
    case HOLDS_UNKNOWN_SKU: {
        char path[64] = "items";
        for (size_t i = 0; i < json_array_size(json_object_get(rq->json, "items")); i++) {
            const json_t *it = json_array_get(json_object_get(rq->json, "items"), i);
            if (strcmp(json_string_value(json_object_get(it, "sku")), sku) == 0) {
                snprintf(path, sizeof(path), "items[%zu].sku", i);
                break;
            }
        }
        snprintf(err, sizeof(err), "%s: no such SKU in the catalog: %s (nothing was held)", path, sku);
        return routes_reply_fields(rq, json_pack("[s]", path), err);
    }
    case HOLDS_INVALID:
        return http_reply_error(rq, 400, "invalid_field", "a SKU of items is too long for a Redis key");
    default:
        return http_reply_redis_down(rq);
    }
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, json_pack("{s:s,s:I}", "sku", items[i].sku, "quantity", (json_int_t)items[i].quantity));
    return http_reply_json(rq, 201, json_pack("{s:s,s:I,s:o}", "hold_id", id, "expires_at", (json_int_t)expires,
                                              "items", out));
}

int route_hold_get(req_t *rq)
{
    json_t *h = NULL;
    holds_rc rc = holds_get(rq->redis, rq->params[0], &h);
    if (rc == HOLDS_NOT_FOUND)
        return http_reply_error(rq, 404, "not_found", "no hold %s (an ended hold is kept 24 h)", rq->params[0]);
    if (rc != HOLDS_OK)
        return http_reply_redis_down(rq);
    return http_reply_json(rq, 200, h);
}

int route_hold_delete(req_t *rq)
{
    char state[16];
    int ended = 0;
    holds_rc rc = holds_end(rq->redis, rq->params[0], "released", state, sizeof(state), &ended);
    if (rc == HOLDS_NOT_FOUND)
        return http_reply_error(rq, 404, "not_found", "no hold %s (an ended hold is kept 24 h)", rq->params[0]);
    if (rc != HOLDS_OK)
        return http_reply_redis_down(rq);
    /* Releasing twice is harmless; a hold that was sold or ran out is not
     * the caller's to release any more. */
    if (strcmp(state, "released") != 0)
        return http_reply_json(rq, 409, json_pack("{s:{s:s,s:s,s:s}}", "error", "code", "hold_not_active", "message",
                                                  "the hold already ended; nothing was released", "state", state));
    return http_reply_json(rq, 200, json_pack("{s:s,s:s,s:b}", "hold_id", rq->params[0], "state", state, "released",
                                              ended));
}
