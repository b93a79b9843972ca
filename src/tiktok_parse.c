/*
 * tiktok_parse — TikTok Shop response envelope and data parsers (see
 * tiktok_parse.h).
 */
#include "tiktok_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopsync/jsonx.h"

/* Copy a string member, truncating: for messages, where a cut is harmless. */
static void copy_message(const json_t *obj, const char *key, char *out, size_t cap)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_string(v))
        snprintf(out, cap, "%s", json_string_value(v));
}

int tiktok_parse_envelope(const http_response_t *resp, tiktok_result_t *res)
{
    char jerr[160];
    json_t *root = NULL;
    int has_code = 0;

    if (resp->body.len)
        root = jsonx_loadb(resp->body.data, resp->body.len, jerr, sizeof(jerr));
    if (json_is_object(root)) {
        json_t *code = json_object_get(root, "code");
        if (json_is_integer(code)) {
            has_code = 1;
            res->code = json_integer_value(code);
        }
        copy_message(root, "message", res->message, sizeof(res->message));
        copy_message(root, "request_id", res->request_id, sizeof(res->request_id));
        json_t *data = json_object_get(root, "data");
        if (data && !json_is_null(data))
            res->data = json_incref(data);
    }
    json_decref(root);
    if (!has_code)
        snprintf(res->message, sizeof(res->message),
                 "HTTP %ld without a TikTok response envelope", resp->status);
    return has_code;
}

/* Copy a string member only when it fits whole, else leave out as it was:
 * for informative members whose unexpected shape must not fail the parse. */
static void copy_lenient(const json_t *obj, const char *key, char *out, size_t cap)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_string(v) && json_string_length(v) < cap)
        memcpy(out, json_string_value(v), json_string_length(v) + 1);
}

/* String member into out (cap bytes): absent or null gives "" unless
 * required. */
static int get_text(const json_t *obj, const char *key, char *out, size_t cap,
                    int required, char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    out[0] = '\0';
    if (!v || json_is_null(v)) {
        if (!required)
            return 0;
        snprintf(err, errlen, "%s: is required", key);
        return -1;
    }
    if (!json_is_string(v)) {
        snprintf(err, errlen, "%s: must be a string", key);
        return -1;
    }
    size_t len = json_string_length(v);
    if (len >= cap) {
        snprintf(err, errlen, "%s: longer than %zu bytes", key, cap - 1);
        return -1;
    }
    memcpy(out, json_string_value(v), len + 1);
    return 0;
}

/* ID member (string, or integer without a detour through double). */
static int get_id(const json_t *obj, const char *key, char *out, size_t cap,
                  int required, char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    out[0] = '\0';
    if (!required && (!v || json_is_null(v)))
        return 0;
    return jsonx_get_id(obj, key, out, cap, err, errlen);
}

/* Optional integer member; absent or null gives 0. */
static int get_count(const json_t *obj, const char *key, long long *out, char *err,
                     size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    return jsonx_get_int(obj, key, out, err, errlen);
}

/* Optional array member: *arr is borrowed, NULL when absent or null. */
static int get_array(const json_t *obj, const char *key, json_t **arr, char *err,
                     size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    *arr = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v)) {
        snprintf(err, errlen, "%s: must be an array", key);
        return -1;
    }
    *arr = v;
    return 0;
}

/* A zeroed array of n items of size bytes (NULL for n == 0); -1 on OOM. */
static int alloc_items(void **items, size_t n, size_t size, char *err, size_t errlen)
{
    *items = NULL;
    if (n == 0)
        return 0;
    *items = calloc(n, size);
    if (*items)
        return 0;
    snprintf(err, errlen, "out of memory");
    return -1;
}

static int need_object(const json_t *v, const char *what, char *err, size_t errlen)
{
    if (json_is_object(v))
        return 0;
    snprintf(err, errlen, "%s: must be an object", what);
    return -1;
}

int tiktok_parse_shops(const json_t *data, tiktok_shops_t *out, char *err, size_t errlen)
{
    json_t *arr, *v;
    size_t i;
    if (need_object(data, "data", err, errlen) || get_array(data, "shops", &arr, err, errlen) ||
        alloc_items((void **)&out->items, json_array_size(arr), sizeof(*out->items), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        tiktok_shop_t *s = &out->items[out->n++];
        if (need_object(v, "shops[]", err, errlen) ||
            get_id(v, "id", s->id, sizeof(s->id), 1, err, errlen) ||
            get_text(v, "name", s->name, sizeof(s->name), 0, err, errlen) ||
            get_text(v, "region", s->region, sizeof(s->region), 0, err, errlen) ||
            get_text(v, "cipher", s->cipher, sizeof(s->cipher), 1, err, errlen) ||
            get_text(v, "code", s->code, sizeof(s->code), 0, err, errlen) ||
            get_text(v, "seller_type", s->seller_type, sizeof(s->seller_type), 0, err, errlen))
            return -1;
    }
    return 0;
}

int tiktok_parse_warehouses(const json_t *data, tiktok_warehouses_t *out, char *err,
                            size_t errlen)
{
    json_t *arr, *v;
    size_t i;
    if (need_object(data, "data", err, errlen) ||
        get_array(data, "warehouses", &arr, err, errlen) ||
        alloc_items((void **)&out->items, json_array_size(arr), sizeof(*out->items), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        tiktok_warehouse_t *w = &out->items[out->n++];
        if (need_object(v, "warehouses[]", err, errlen) ||
            get_id(v, "id", w->id, sizeof(w->id), 1, err, errlen) ||
            get_text(v, "name", w->name, sizeof(w->name), 0, err, errlen) ||
            get_text(v, "effect_status", w->effect_status, sizeof(w->effect_status), 0, err, errlen) ||
            get_text(v, "type", w->type, sizeof(w->type), 0, err, errlen))
            return -1;
        w->is_default = json_is_true(json_object_get(v, "is_default"));
    }
    return 0;
}

int tiktok_parse_image(const json_t *data, tiktok_image_t *out, char *err, size_t errlen)
{
    if (need_object(data, "data", err, errlen) ||
        get_text(data, "uri", out->uri, sizeof(out->uri), 1, err, errlen) ||
        get_text(data, "url", out->url, sizeof(out->url), 0, err, errlen))
        return -1;
    return 0;
}

int tiktok_parse_product_ref(const json_t *data, tiktok_product_ref_t *out, char *err,
                             size_t errlen)
{
    json_t *arr, *v;
    size_t i;
    if (need_object(data, "data", err, errlen) ||
        get_id(data, "product_id", out->product_id, sizeof(out->product_id), 1, err, errlen) ||
        get_array(data, "skus", &arr, err, errlen) ||
        alloc_items((void **)&out->skus, json_array_size(arr), sizeof(*out->skus), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        tiktok_sku_ref_t *s = &out->skus[out->n_skus++];
        if (need_object(v, "skus[]", err, errlen) ||
            get_id(v, "id", s->id, sizeof(s->id), 1, err, errlen) ||
            get_text(v, "seller_sku", s->seller_sku, sizeof(s->seller_sku), 0, err, errlen))
            return -1;
    }
    return 0;
}

/* A list of {warehouse_id, <qty_key>} objects. */
static int parse_warehouse_qty(const json_t *arr, const char *qty_key,
                               tiktok_warehouse_qty_t **items, size_t *n, char *err,
                               size_t errlen)
{
    json_t *v;
    size_t i;
    if (alloc_items((void **)items, json_array_size(arr), sizeof(**items), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        tiktok_warehouse_qty_t *q = &(*items)[(*n)++];
        if (need_object(v, "inventory[]", err, errlen) ||
            get_id(v, "warehouse_id", q->warehouse_id, sizeof(q->warehouse_id), 1, err, errlen) ||
            get_count(v, qty_key, &q->quantity, err, errlen))
            return -1;
    }
    return 0;
}

int tiktok_parse_product(const json_t *obj, tiktok_product_t *p, char *err, size_t errlen)
{
    json_t *arr, *v, *inv;
    size_t i;
    if (need_object(obj, "product", err, errlen) ||
        get_id(obj, "id", p->id, sizeof(p->id), 1, err, errlen) ||
        get_text(obj, "status", p->status, sizeof(p->status), 0, err, errlen) ||
        get_array(obj, "skus", &arr, err, errlen) ||
        alloc_items((void **)&p->skus, json_array_size(arr), sizeof(*p->skus), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        tiktok_sku_t *s = &p->skus[p->n_skus++];
        if (need_object(v, "skus[]", err, errlen) ||
            get_id(v, "id", s->id, sizeof(s->id), 1, err, errlen) ||
            get_text(v, "seller_sku", s->seller_sku, sizeof(s->seller_sku), 0, err, errlen) ||
            get_array(v, "inventory", &inv, err, errlen) ||
            parse_warehouse_qty(inv, "quantity", &s->inventory, &s->n_inventory, err, errlen))
            return -1;
    }
    return 0;
}

int tiktok_parse_products(const json_t *data, tiktok_products_t *out, char *err,
                          size_t errlen)
{
    json_t *arr, *v;
    size_t i;
    if (need_object(data, "data", err, errlen) ||
        get_array(data, "products", &arr, err, errlen) ||
        get_text(data, "next_page_token", out->next_page_token, sizeof(out->next_page_token),
                 0, err, errlen) ||
        get_count(data, "total_count", &out->total_count, err, errlen) ||
        alloc_items((void **)&out->items, json_array_size(arr), sizeof(*out->items), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        if (tiktok_parse_product(v, &out->items[out->n++], err, errlen))
            return -1;
    }
    return 0;
}

int tiktok_parse_sku_errors(const json_t *data, tiktok_sku_errors_t *out, char *err,
                            size_t errlen)
{
    json_t *arr = NULL, *v, *extras, *x;
    size_t i, j;
    /* No data at all is a clean success. */
    if (!data)
        return 0;
    if (need_object(data, "data", err, errlen) || get_array(data, "errors", &arr, err, errlen) ||
        alloc_items((void **)&out->items, json_array_size(arr), sizeof(*out->items), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        tiktok_sku_error_t *e = &out->items[out->n++];
        if (need_object(v, "errors[]", err, errlen) || get_count(v, "code", &e->code, err, errlen))
            return -1;
        copy_message(v, "message", e->message, sizeof(e->message));
        const json_t *detail = json_object_get(v, "detail");
        if (!json_is_object(detail))
            continue;
        if (get_id(detail, "sku_id", e->sku_id, sizeof(e->sku_id), 0, err, errlen) ||
            get_array(detail, "extra_errors", &extras, err, errlen) ||
            alloc_items((void **)&e->extra, json_array_size(extras), sizeof(*e->extra), err,
                        errlen))
            return -1;
        json_array_foreach(extras, j, x) {
            tiktok_warehouse_error_t *w = &e->extra[e->n_extra++];
            if (need_object(x, "extra_errors[]", err, errlen) ||
                get_id(x, "warehouse_id", w->warehouse_id, sizeof(w->warehouse_id), 0, err, errlen) ||
                get_count(x, "code", &w->code, err, errlen))
                return -1;
            copy_message(x, "message", w->message, sizeof(w->message));
        }
    }
    return 0;
}

int tiktok_parse_inventories(const json_t *data, tiktok_inventories_t *out, char *err,
                             size_t errlen)
{
    json_t *arr, *prod, *skus, *sku, *wh;
    size_t i, j, total = 0;
    if (need_object(data, "data", err, errlen) || get_array(data, "inventory", &arr, err, errlen))
        return -1;
    /* Flattened to one entry per SKU: count first. */
    json_array_foreach(arr, i, prod) {
        if (need_object(prod, "inventory[]", err, errlen) ||
            get_array(prod, "skus", &skus, err, errlen))
            return -1;
        total += json_array_size(skus);
    }
    if (alloc_items((void **)&out->items, total, sizeof(*out->items), err, errlen))
        return -1;
    json_array_foreach(arr, i, prod) {
        char product_id[TIKTOK_ID_MAX];
        if (get_id(prod, "product_id", product_id, sizeof(product_id), 0, err, errlen))
            return -1;
        skus = json_object_get(prod, "skus");
        json_array_foreach(skus, j, sku) {
            tiktok_sku_inventory_t *s = &out->items[out->n++];
            memcpy(s->product_id, product_id, sizeof(product_id));
            if (need_object(sku, "skus[]", err, errlen) ||
                get_id(sku, "id", s->sku_id, sizeof(s->sku_id), 1, err, errlen) ||
                get_text(sku, "seller_sku", s->seller_sku, sizeof(s->seller_sku), 0, err, errlen) ||
                get_count(sku, "total_available_quantity", &s->total_available_quantity, err,
                          errlen) ||
                get_array(sku, "warehouse_inventory", &wh, err, errlen) ||
                parse_warehouse_qty(wh, "available_quantity", &s->warehouses,
                                    &s->n_warehouses, err, errlen))
                return -1;
        }
    }
    return 0;
}

int tiktok_parse_orders(const json_t *data, tiktok_orders_t *out, char *err, size_t errlen)
{
    json_t *arr, *v, *items, *li;
    size_t i, j;
    if (need_object(data, "data", err, errlen) || get_array(data, "orders", &arr, err, errlen) ||
        get_text(data, "next_page_token", out->next_page_token, sizeof(out->next_page_token), 0,
                 err, errlen) ||
        alloc_items((void **)&out->items, json_array_size(arr), sizeof(*out->items), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        tiktok_order_t *o = &out->items[out->n++];
        if (need_object(v, "orders[]", err, errlen) ||
            get_id(v, "id", o->id, sizeof(o->id), 1, err, errlen) ||
            get_text(v, "status", o->status, sizeof(o->status), 0, err, errlen) ||
            get_count(v, "update_time", &o->update_time, err, errlen) ||
            get_count(v, "create_time", &o->create_time, err, errlen) ||
            get_array(v, "line_items", &items, err, errlen) ||
            alloc_items((void **)&o->line_items, json_array_size(items), sizeof(*o->line_items),
                        err, errlen))
            return -1;
        /* Revenue only: an order without a readable payment still moves
         * stock. */
        const json_t *pay = json_object_get(v, "payment");
        copy_lenient(pay, "currency", o->currency, sizeof(o->currency));
        copy_lenient(pay, "total_amount", o->total_amount, sizeof(o->total_amount));
        json_array_foreach(items, j, li) {
            tiktok_line_item_t *l = &o->line_items[o->n_line_items++];
            if (need_object(li, "line_items[]", err, errlen) ||
                get_id(li, "id", l->id, sizeof(l->id), 0, err, errlen) ||
                get_id(li, "sku_id", l->sku_id, sizeof(l->sku_id), 0, err, errlen) ||
                get_text(li, "seller_sku", l->seller_sku, sizeof(l->seller_sku), 0, err, errlen) ||
                get_id(li, "product_id", l->product_id, sizeof(l->product_id), 0, err, errlen))
                return -1;
            /* Informative except for CANCELLED: an unexpected shape must not
             * hold up the order. */
            copy_lenient(li, "display_status", l->display_status, sizeof(l->display_status));
        }
    }
    return 0;
}

int tiktok_parse_tokens(const json_t *data, tiktok_tokens_t *out, char *err, size_t errlen)
{
    if (need_object(data, "data", err, errlen) ||
        get_text(data, "access_token", out->access_token, sizeof(out->access_token), 1, err,
                 errlen) ||
        jsonx_get_int(data, "access_token_expire_in", &out->access_token_expire_at, err,
                      errlen) ||
        get_text(data, "refresh_token", out->refresh_token, sizeof(out->refresh_token), 1, err,
                 errlen) ||
        jsonx_get_int(data, "refresh_token_expire_in", &out->refresh_token_expire_at, err,
                      errlen) ||
        get_text(data, "open_id", out->open_id, sizeof(out->open_id), 0, err, errlen) ||
        get_text(data, "seller_name", out->seller_name, sizeof(out->seller_name), 0, err,
                 errlen) ||
        get_text(data, "seller_base_region", out->seller_base_region,
                 sizeof(out->seller_base_region), 0, err, errlen))
        return -1;
    if (!out->access_token[0] || !out->refresh_token[0]) {
        snprintf(err, errlen, "empty token");
        return -1;
    }
    return 0;
}
