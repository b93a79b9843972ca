/*
 * api_product — Open API product calls: create, edit, get, search, update
 * inventory and search inventory, over the product documents in the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"
#include "store.h"

#define MAX_PAGE_SIZE 100
#define MAX_LOOKUP_IDS 100

/* The body as a JSON object, or an error reply already sent (*status). */
static json_t *body_object(sb_req_t *r, int *status)
{
    char err[256];
    json_t *v = NULL;
    if (sb_req_object(r, &v, err, sizeof(err)) != 0) {
        *status = sb_api_fail(r, 200, SB_E_PARAM, "invalid request body: %s", err);
        return NULL;
    }
    return v;
}

/* page_size (1..MAX_PAGE_SIZE, required) and page_token (an offset). */
int sb_page_params(sb_req_t *r, size_t *size, size_t *offset, sb_err_t *e)
{
    const char *ps = sb_params_get(&r->query, "page_size");
    const char *pt = sb_params_get(&r->query, "page_token");
    char *end = NULL;
    long n = ps ? strtol(ps, &end, 10) : 0;
    e->http = 200;
    e->code = SB_E_PARAM;
    if (!ps || !*ps || *end || n < 1 || n > MAX_PAGE_SIZE) {
        snprintf(e->msg, sizeof(e->msg), "page_size: required, 1..%d", MAX_PAGE_SIZE);
        return -1;
    }
    *size = (size_t)n;
    *offset = 0;
    if (pt && *pt) {
        long o = strtol(pt, &end, 10);
        if (*end || o < 0) {
            snprintf(e->msg, sizeof(e->msg), "page_token: invalid");
            return -1;
        }
        *offset = (size_t)o;
    }
    return 0;
}

void sb_page_token(size_t size, size_t offset, size_t total, char *out, size_t cap)
{
    out[0] = '\0';
    if (offset + size < total)
        snprintf(out, cap, "%zu", offset + size);
}

static json_t *sku_refs(const json_t *product)
{
    json_t *out = json_array(), *sku;
    size_t i;
    json_array_foreach(json_object_get(product, "skus"), i, sku) {
        json_array_append_new(out, json_pack("{s:O,s:O,s:O}", "id", json_object_get(sku, "id"),
                                             "seller_sku", json_object_get(sku, "seller_sku"),
                                             "sales_attributes",
                                             json_object_get(sku, "sales_attributes")));
    }
    return out;
}

/* The data of the reply to a create or an edit of doc (borrowed): new. */
static json_t *saved_reply(const json_t *doc)
{
    return json_pack("{s:O,s:o,s:[]}", "product_id", json_object_get(doc, "id"), "skus", sku_refs(doc),
                     "warnings");
}

int sb_api_product_create(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    sb_err_t e = {0};
    json_t *doc = NULL, *data = NULL;
    int st = 0;
    json_t *body = body_object(r, &st);
    if (!body)
        return st;
    sb_store_lock(s);
    if (json_array_size(s->products) >= SB_MAX_PRODUCTS) {
        e = (sb_err_t){.http = 200, .code = SB_E_FIELD};
        snprintf(e.msg, sizeof(e.msg), "product limit (%d) reached; POST /sandbox/reset",
                 SB_MAX_PRODUCTS);
    } else if (sb_product_build(s, body, NULL, &doc, &e) == 0) {
        json_array_append_new(s->products, doc);
        s->counters.products_created++;
        data = saved_reply(doc);
    }
    sb_store_unlock(s);
    json_decref(body);
    return e.code ? sb_api_err(r, &e) : sb_api_ok(r, data);
}

int sb_api_product_edit(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    sb_err_t e = {0};
    json_t *doc = NULL, *data = NULL, *p;
    size_t i;
    int st = 0;
    json_t *body = body_object(r, &st);
    if (!body)
        return st;
    sb_store_lock(s);
    json_t *old = sb_store_product(s, r->arg[0]);
    if (!old) {
        e = (sb_err_t){.http = 200, .code = SB_E_PRODUCT_NOT_FOUND};
        snprintf(e.msg, sizeof(e.msg), "product not found: %s", r->arg[0]);
    } else if (sb_product_build(s, body, old, &doc, &e) == 0) {
        json_array_foreach(s->products, i, p) {
            if (p == old)
                break;
        }
        /* Replacing drops the old document: old is invalid from here. */
        json_array_set_new(s->products, i, doc);
        s->counters.products_edited++;
        data = saved_reply(doc);
    }
    sb_store_unlock(s);
    json_decref(body);
    return e.code ? sb_api_err(r, &e) : sb_api_ok(r, data);
}

int sb_api_product_get(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    sb_store_lock(s);
    json_t *p = sb_store_product(s, r->arg[0]);
    json_t *copy = p ? json_deep_copy(p) : NULL;
    sb_store_unlock(s);
    if (!p)
        return sb_api_fail(r, 200, SB_E_PRODUCT_NOT_FOUND, "product not found: %s", r->arg[0]);
    return sb_api_ok(r, copy);
}

/* 1 when product has a SKU whose seller_sku is in the array wanted. */
static int has_seller_sku(const json_t *product, const json_t *wanted)
{
    size_t i;
    json_t *sku;
    json_array_foreach(json_object_get(product, "skus"), i, sku) {
        if (sb_json_list_has(wanted, json_string_value(json_object_get(sku, "seller_sku"))))
            return 1;
    }
    return 0;
}

static json_t *search_item(const json_t *p)
{
    json_t *skus = json_array(), *sku;
    size_t i;
    json_array_foreach(json_object_get(p, "skus"), i, sku) {
        json_array_append_new(
            skus, json_pack("{s:O,s:O,s:o,s:o}", "id", json_object_get(sku, "id"), "seller_sku",
                            json_object_get(sku, "seller_sku"), "price",
                            json_deep_copy(json_object_get(sku, "price")), "inventory",
                            json_deep_copy(json_object_get(sku, "inventory"))));
    }
    return json_pack("{s:O,s:O,s:O,s:o,s:O,s:O}", "id", json_object_get(p, "id"), "title",
                     json_object_get(p, "title"), "status", json_object_get(p, "status"), "skus",
                     skus, "create_time", json_object_get(p, "create_time"), "update_time",
                     json_object_get(p, "update_time"));
}

int sb_api_product_search(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    sb_err_t e = {0};
    size_t size, offset, i, total = 0;
    json_t *p;
    int st = 0;

    if (sb_page_params(r, &size, &offset, &e) != 0)
        return sb_api_err(r, &e);
    json_t *body = body_object(r, &st);
    if (!body)
        return st;
    json_t *wanted = json_object_get(body, "seller_skus");
    const char *status = json_string_value(json_object_get(body, "status"));
    if ((wanted && !json_is_array(wanted)) || json_array_size(wanted) > MAX_LOOKUP_IDS) {
        json_decref(body);
        return sb_api_fail(r, 200, SB_E_PARAM, "seller_skus: must be an array of at most %d",
                           MAX_LOOKUP_IDS);
    }
    /* Every sandbox product is ACTIVATE; any other status filter matches
     * nothing, as it would for a shop with only live products. */
    int status_ok = !status || strcmp(status, "ALL") == 0 || strcmp(status, "ACTIVATE") == 0;
    json_t *items = json_array();
    sb_store_lock(s);
    json_array_foreach(s->products, i, p) {
        if (!status_ok || (wanted && !has_seller_sku(p, wanted)))
            continue;
        if (total >= offset && total < offset + size)
            json_array_append_new(items, search_item(p));
        total++;
    }
    sb_store_unlock(s);
    json_decref(body);
    char next[24];
    sb_page_token(size, offset, total, next, sizeof(next));
    return sb_api_ok(r, json_pack("{s:o,s:I,s:s}", "products", items, "total_count",
                                  (json_int_t)total, "next_page_token", next));
}

/* Apply one SKU entry of an inventory update; returns NULL when applied (and
 * logged with its total quantity at at_us) or a new error object for the
 * reply. Lock held. */
static json_t *apply_sku(sb_store_t *s, json_t *product, const json_t *entry, long long at_us)
{
    const char *sku_id = json_string_value(json_object_get(entry, "id"));
    json_t *sku = NULL, *cand, *inv;
    size_t i;
    json_array_foreach(json_object_get(product, "skus"), i, cand) {
        if (strcmp(json_string_value(json_object_get(cand, "id")), sku_id) == 0)
            sku = cand;
    }
    if (!sku)
        return json_pack("{s:I,s:s,s:{s:s,s:[{s:I,s:s}]}}", "code", (json_int_t)SB_E_INVENTORY,
                         "message", "inventory update failed: sku not found in this product",
                         "detail", "sku_id", sku_id, "extra_errors", "code",
                         (json_int_t)SB_E_SKU_NOT_FOUND, "message", "sku not found");
    json_t *extra = json_array();
    json_array_foreach(json_object_get(entry, "inventory"), i, inv) {
        const char *wid = json_string_value(json_object_get(inv, "warehouse_id"));
        if (!sb_store_warehouse(wid)) {
            char msg[128];
            snprintf(msg, sizeof(msg), "warehouse %s not found", wid);
            json_array_append_new(extra, json_pack("{s:I,s:s,s:s}", "code",
                                                   (json_int_t)SB_E_WAREHOUSE_NOT_FOUND,
                                                   "message", msg, "warehouse_id", wid));
        }
    }
    if (json_array_size(extra) > 0)
        return json_pack("{s:I,s:s,s:{s:s,s:o}}", "code", (json_int_t)SB_E_INVENTORY, "message",
                         "inventory update failed for this sku", "detail", "sku_id", sku_id,
                         "extra_errors", extra);
    json_decref(extra);
    /* Only now, with every warehouse known, change anything: a SKU is
     * updated whole or not at all. */
    long long total = 0;
    json_array_foreach(json_object_get(entry, "inventory"), i, inv) {
        const char *wid = json_string_value(json_object_get(inv, "warehouse_id"));
        json_t *q = json_object_get(inv, "quantity");
        total += json_integer_value(q);
        json_t *have = sb_store_sku_stock(sku, wid);
        if (have)
            json_object_set(have, "quantity", q);
        else
            json_array_append_new(json_object_get(sku, "inventory"),
                                  json_pack("{s:s,s:O}", "warehouse_id", wid, "quantity", q));
    }
    sb_store_inventory_logged(s, sku, at_us, total);
    return NULL;
}

/* Check the shape of an Update Inventory body. Returns 0 or -1 with e set. */
static int check_update_body(const json_t *body, sb_err_t *e)
{
    json_t *skus = json_object_get(body, "skus"), *sku, *inv;
    size_t i, j;
    *e = (sb_err_t){.http = 200, .code = SB_E_FIELD};
    if (!json_is_array(skus) || json_array_size(skus) == 0 || json_array_size(skus) > SB_MAX_SKUS) {
        snprintf(e->msg, sizeof(e->msg), "skus: must be an array of 1 to %d", SB_MAX_SKUS);
        return -1;
    }
    json_array_foreach(skus, i, sku) {
        json_t *invs = json_object_get(sku, "inventory");
        if (!json_is_string(json_object_get(sku, "id"))) {
            snprintf(e->msg, sizeof(e->msg), "skus[%zu].id: is required", i);
            return -1;
        }
        if (!json_is_array(invs) || json_array_size(invs) == 0 || json_array_size(invs) > 20) {
            snprintf(e->msg, sizeof(e->msg), "skus[%zu].inventory: must be a non-empty array", i);
            return -1;
        }
        json_array_foreach(invs, j, inv) {
            json_t *q = json_object_get(inv, "quantity");
            if (!json_is_string(json_object_get(inv, "warehouse_id"))) {
                snprintf(e->msg, sizeof(e->msg), "skus[%zu].inventory[%zu].warehouse_id: is "
                         "required", i, j);
                return -1;
            }
            if (!json_is_integer(q) || json_integer_value(q) < 0 ||
                json_integer_value(q) > SB_MAX_QUANTITY) {
                snprintf(e->msg, sizeof(e->msg), "skus[%zu].inventory[%zu].quantity: must be an "
                         "integer 0..%d", i, j, SB_MAX_QUANTITY);
                return -1;
            }
        }
    }
    return 0;
}

int sb_api_inventory_update(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    sb_err_t e = {0};
    json_t *entry;
    size_t i;
    int st = 0;
    json_t *body = body_object(r, &st);
    if (!body)
        return st;
    if (check_update_body(body, &e) != 0) {
        json_decref(body);
        return sb_api_err(r, &e);
    }
    json_t *errors = json_array();
    sb_store_lock(s);
    json_t *product = sb_store_product(s, r->arg[0]);
    if (product) {
        long long at_us = sb_wall_us();
        json_array_foreach(json_object_get(body, "skus"), i, entry) {
            json_t *err = apply_sku(s, product, entry, at_us);
            if (err)
                json_array_append_new(errors, err);
        }
        json_object_set_new(product, "update_time", json_integer((json_int_t)sb_now()));
        s->counters.inventory_updates++;
    }
    sb_store_unlock(s);
    json_decref(body);
    if (!product) {
        json_decref(errors);
        return sb_api_fail(r, 200, SB_E_PRODUCT_NOT_FOUND, "product not found: %s", r->arg[0]);
    }
    /* Like the real API, a fully successful update has no errors member. */
    if (json_array_size(errors) == 0) {
        json_decref(errors);
        return sb_api_ok(r, json_object());
    }
    return sb_api_ok(r, json_pack("{s:o}", "errors", errors));
}

static json_t *inventory_sku(const json_t *sku)
{
    json_t *wh = json_array(), *inv;
    size_t i;
    json_int_t total = 0;
    json_array_foreach(json_object_get(sku, "inventory"), i, inv) {
        json_int_t q = json_integer_value(json_object_get(inv, "quantity"));
        total += q;
        json_array_append_new(wh, json_pack("{s:O,s:I,s:i}", "warehouse_id",
                                            json_object_get(inv, "warehouse_id"),
                                            "available_quantity", q, "committed_quantity", 0));
    }
    return json_pack("{s:O,s:O,s:I,s:o}", "id", json_object_get(sku, "id"), "seller_sku",
                     json_object_get(sku, "seller_sku"), "total_available_quantity", total,
                     "warehouse_inventory", wh);
}

int sb_api_inventory_search(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    size_t i, j;
    json_t *p, *sku;
    int st = 0;
    json_t *body = body_object(r, &st);
    if (!body)
        return st;
    json_t *sku_ids = json_object_get(body, "sku_ids");
    json_t *product_ids = json_object_get(body, "product_ids");
    json_t *list = sku_ids ? sku_ids : product_ids;
    if ((sku_ids && product_ids) || !json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > MAX_LOOKUP_IDS) {
        json_decref(body);
        return sb_api_fail(r, 200, SB_E_PARAM, "give exactly one of sku_ids or product_ids, "
                           "a non-empty array of at most %d ids", MAX_LOOKUP_IDS);
    }
    json_t *out = json_array();
    sb_store_lock(s);
    json_array_foreach(s->products, i, p) {
        int whole = product_ids && sb_json_list_has(product_ids, json_string_value(json_object_get(p, "id")));
        json_t *skus = json_array();
        json_array_foreach(json_object_get(p, "skus"), j, sku) {
            const char *sid = json_string_value(json_object_get(sku, "id"));
            if (whole || (sku_ids && sb_json_list_has(sku_ids, sid)))
                json_array_append_new(skus, inventory_sku(sku));
        }
        if (json_array_size(skus) > 0)
            json_array_append_new(out, json_pack("{s:O,s:o}", "product_id",
                                                 json_object_get(p, "id"), "skus", skus));
        else
            json_decref(skus);
    }
    sb_store_unlock(s);
    json_decref(body);
    return sb_api_ok(r, json_pack("{s:o}", "inventory", out));
}
