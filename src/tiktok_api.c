/*
 * tiktok_api — TikTok Shop endpoint wrappers: request building, the call,
 * the parsed response (see tiktok_api.h).
 */
#include "shopsync/tiktok_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiktok_parse.h"

#define MAX_SEARCH_IDS 600

/* ---- request building ---------------------------------------------------- */

/* IDs go into paths and comma-separated lists: only plain characters. */
static int valid_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= TIKTOK_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
            return 0;
    }
    return 1;
}

/* Set key to a new string; -1 when s is NULL or not UTF-8 (or OOM). */
static int set_str(json_t *obj, const char *key, const char *s)
{
    return s ? json_object_set_new(obj, key, json_string(s)) : -1;
}

/* Append v (stolen) to arr; -1 when v is NULL or on OOM. */
static int push(json_t *arr, json_t *v)
{
    return json_array_append_new(arr, v);
}

static json_t *stock_array(const tiktok_stock_t *inv, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *o = json_object();
        if (push(arr, o) || inv[i].quantity < 0 || set_str(o, "warehouse_id", inv[i].warehouse_id) ||
            json_object_set_new(o, "quantity", json_integer(inv[i].quantity))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *string_array(const char *const *items, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (!items[i] || push(arr, json_string(items[i]))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *sku_object(const tiktok_sku_spec_t *s)
{
    json_t *o = json_object(), *price = json_object(), *attrs = NULL;
    if (!o || !price || (s->id && set_str(o, "id", s->id)) ||
        set_str(o, "seller_sku", s->seller_sku) || set_str(price, "amount", s->price_amount) ||
        set_str(price, "currency", s->currency) || json_object_set(o, "price", price) ||
        json_object_set_new(o, "inventory", stock_array(s->inventory, s->n_inventory)))
        goto fail;
    if (s->n_sales_attributes) {
        attrs = json_array();
        if (!attrs || json_object_set(o, "sales_attributes", attrs))
            goto fail;
        for (size_t i = 0; i < s->n_sales_attributes; i++) {
            json_t *a = json_object();
            if (push(attrs, a) || set_str(a, "name", s->sales_attributes[i].name) ||
                set_str(a, "value_name", s->sales_attributes[i].value_name))
                goto fail;
        }
    }
    json_decref(price);
    json_decref(attrs);
    return o;
fail:
    json_decref(price);
    json_decref(attrs);
    json_decref(o);
    return NULL;
}

/* The Create/Edit Product body; NULL with a message when spec is incomplete
 * or not UTF-8. */
static json_t *product_body(const tiktok_product_spec_t *spec, char *err, size_t errlen)
{
    json_t *root = NULL, *images = NULL, *skus = NULL;

    if (!spec->title || !spec->description || !spec->category_id || !spec->n_main_images ||
        !spec->n_skus) {
        snprintf(err, errlen, "title, description, category_id, a main image and a SKU are required");
        return NULL;
    }
    root = json_object();
    images = json_array();
    skus = json_array();
    if (!root || !images || !skus || set_str(root, "title", spec->title) ||
        set_str(root, "description", spec->description) ||
        set_str(root, "category_id", spec->category_id) ||
        json_object_set(root, "main_images", images) || json_object_set(root, "skus", skus))
        goto fail;
    for (size_t i = 0; i < spec->n_main_images; i++) {
        json_t *img = json_object();
        if (push(images, img) || set_str(img, "uri", spec->main_image_uris[i]))
            goto fail;
    }
    if (spec->weight_value) {
        json_t *w = json_object();
        if (json_object_set_new(root, "package_weight", w) || set_str(w, "value", spec->weight_value) ||
            set_str(w, "unit", spec->weight_unit ? spec->weight_unit : "KILOGRAM"))
            goto fail;
    }
    if (spec->length && spec->width && spec->height) {
        json_t *d = json_object();
        if (json_object_set_new(root, "package_dimensions", d) || set_str(d, "length", spec->length) ||
            set_str(d, "width", spec->width) || set_str(d, "height", spec->height) ||
            set_str(d, "unit", spec->dimension_unit ? spec->dimension_unit : "CENTIMETER"))
            goto fail;
    }
    for (size_t i = 0; i < spec->n_skus; i++) {
        if (push(skus, sku_object(&spec->skus[i])))
            goto fail;
    }
    json_decref(images);
    json_decref(skus);
    return root;
fail:
    snprintf(err, errlen, "product spec has a missing field, a negative quantity or invalid UTF-8");
    json_decref(images);
    json_decref(skus);
    json_decref(root);
    return NULL;
}

/* ---- API wrappers -------------------------------------------------------- */

static int run(tiktok_client_t *c, const char *method, const char *path, const char *api,
               const tiktok_param_t *query, size_t n_query, int shop_scoped,
               const json_t *body, tiktok_result_t *res)
{
    tiktok_call_t call = {
        .method = method,
        .path = path,
        .api = api,
        .query = query,
        .n_query = n_query,
        .shop_scoped = shop_scoped,
        .body = body,
    };
    return tiktok_call(c, &call, res);
}

int tiktok_get_authorized_shops(tiktok_client_t *c, tiktok_shops_t *out,
                                tiktok_result_t *res)
{
    char perr[192];
    memset(out, 0, sizeof(*out));
    int rc = run(c, "GET", "/authorization/202309/shops", NULL, NULL, 0, 0, NULL, res);
    if (rc == 0 && tiktok_parse_shops(res->data, out, perr, sizeof(perr)) != 0)
        rc = tiktok_result_unexpected(res, perr);
    return rc;
}

void tiktok_shops_free(tiktok_shops_t *s)
{
    free(s->items);
    s->items = NULL;
    s->n = 0;
}

int tiktok_get_warehouses(tiktok_client_t *c, tiktok_warehouses_t *out,
                          tiktok_result_t *res)
{
    char perr[192];
    memset(out, 0, sizeof(*out));
    int rc = run(c, "GET", "/logistics/202309/warehouses", NULL, NULL, 0, 1, NULL, res);
    if (rc == 0 && tiktok_parse_warehouses(res->data, out, perr, sizeof(perr)) != 0)
        rc = tiktok_result_unexpected(res, perr);
    return rc;
}

void tiktok_warehouses_free(tiktok_warehouses_t *w)
{
    free(w->items);
    w->items = NULL;
    w->n = 0;
}

int tiktok_upload_product_image(tiktok_client_t *c, const void *data, size_t len,
                                const char *filename, const char *content_type,
                                tiktok_image_t *out, tiktok_result_t *res)
{
    char perr[192];
    memset(out, 0, sizeof(*out));
    tiktok_result_init(res);
    if (!data || !len || !filename || !content_type)
        return tiktok_result_fail(res, TIKTOK_PERMANENT, "image data, filename and content type are required");
    http_part_t parts[] = {
        {.name = "data", .filename = filename, .content_type = content_type, .data = data, .len = len},
        {.name = "use_case", .data = "MAIN_IMAGE", .len = strlen("MAIN_IMAGE")},
    };
    tiktok_call_t call = {
        .method = "POST",
        .path = "/product/202309/images/upload",
        .parts = parts,
        .n_parts = sizeof(parts) / sizeof(parts[0]),
    };
    int rc = tiktok_call(c, &call, res);
    if (rc == 0 && tiktok_parse_image(res->data, out, perr, sizeof(perr)) != 0)
        rc = tiktok_result_unexpected(res, perr);
    return rc;
}

static int product_write(tiktok_client_t *c, const char *method, const char *path,
                         const char *api, const tiktok_product_spec_t *spec,
                         tiktok_product_ref_t *out, tiktok_result_t *res)
{
    char perr[192];
    json_t *body = product_body(spec, perr, sizeof(perr));
    if (!body)
        return tiktok_result_fail(res, TIKTOK_PERMANENT, "%s", perr);
    int rc = run(c, method, path, api, NULL, 0, 1, body, res);
    json_decref(body);
    if (rc == 0 && tiktok_parse_product_ref(res->data, out, perr, sizeof(perr)) != 0)
        rc = tiktok_result_unexpected(res, perr);
    return rc;
}

int tiktok_create_product(tiktok_client_t *c, const tiktok_product_spec_t *spec,
                          tiktok_product_ref_t *out, tiktok_result_t *res)
{
    memset(out, 0, sizeof(*out));
    tiktok_result_init(res);
    return product_write(c, "POST", "/product/202309/products", NULL, spec, out, res);
}

int tiktok_edit_product(tiktok_client_t *c, const char *product_id,
                        const tiktok_product_spec_t *spec, tiktok_product_ref_t *out,
                        tiktok_result_t *res)
{
    char path[128];
    memset(out, 0, sizeof(*out));
    tiktok_result_init(res);
    if (!valid_id(product_id))
        return tiktok_result_fail(res, TIKTOK_PERMANENT, "invalid product id");
    snprintf(path, sizeof(path), "/product/202309/products/%s", product_id);
    return product_write(c, "PUT", path, "/product/202309/products/{product_id}", spec, out,
                         res);
}

void tiktok_product_ref_free(tiktok_product_ref_t *p)
{
    free(p->skus);
    p->skus = NULL;
    p->n_skus = 0;
}

int tiktok_search_products(tiktok_client_t *c, const char *const *seller_skus,
                           size_t n_seller_skus, int page_size,
                           const char *page_token, tiktok_products_t *out,
                           tiktok_result_t *res)
{
    char size[16], perr[192];
    json_t *body = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    tiktok_result_init(res);
    if (page_size < 1 || page_size > 100) {
        tiktok_result_fail(res, TIKTOK_PERMANENT, "page_size must be 1..100");
        goto out;
    }
    body = json_object();
    if (!body || (n_seller_skus &&
                  json_object_set_new(body, "seller_skus", string_array(seller_skus, n_seller_skus)))) {
        tiktok_result_fail(res, TIKTOK_PERMANENT, "invalid seller SKU list");
        goto out;
    }
    snprintf(size, sizeof(size), "%d", page_size);
    tiktok_param_t q[] = {{"page_size", size}, {"page_token", page_token}};
    size_t nq = page_token && *page_token ? 2 : 1;
    rc = run(c, "POST", "/product/202309/products/search", NULL, q, nq, 1, body, res);
    if (rc == 0 && tiktok_parse_products(res->data, out, perr, sizeof(perr)) != 0)
        rc = tiktok_result_unexpected(res, perr);
out:
    json_decref(body);
    return rc;
}

void tiktok_product_free(tiktok_product_t *p)
{
    for (size_t i = 0; i < p->n_skus; i++)
        free(p->skus[i].inventory);
    free(p->skus);
    p->skus = NULL;
    p->n_skus = 0;
}

void tiktok_products_free(tiktok_products_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        tiktok_product_free(&p->items[i]);
    free(p->items);
    p->items = NULL;
    p->n = 0;
}

int tiktok_get_product(tiktok_client_t *c, const char *product_id,
                       tiktok_product_t *out, tiktok_result_t *res)
{
    char path[128], perr[192];
    memset(out, 0, sizeof(*out));
    tiktok_result_init(res);
    if (!valid_id(product_id))
        return tiktok_result_fail(res, TIKTOK_PERMANENT, "invalid product id");
    snprintf(path, sizeof(path), "/product/202309/products/%s", product_id);
    int rc = run(c, "GET", path, "/product/202309/products/{product_id}", NULL, 0, 1, NULL, res);
    if (rc == 0 && tiktok_parse_product(res->data, out, perr, sizeof(perr)) != 0)
        rc = tiktok_result_unexpected(res, perr);
    return rc;
}

static json_t *inventory_body(const tiktok_sku_stock_t *skus, size_t n)
{
    json_t *root = json_object(), *arr = json_array();
    if (!root || !arr || json_object_set(root, "skus", arr))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        if (push(arr, o) || !valid_id(skus[i].sku_id) || set_str(o, "id", skus[i].sku_id) ||
            !skus[i].n_inventory ||
            json_object_set_new(o, "inventory", stock_array(skus[i].inventory, skus[i].n_inventory)))
            goto fail;
    }
    json_decref(arr);
    return root;
fail:
    json_decref(arr);
    json_decref(root);
    return NULL;
}

int tiktok_update_inventory(tiktok_client_t *c, const char *product_id,
                            const tiktok_sku_stock_t *skus, size_t n_skus,
                            tiktok_sku_errors_t *out, tiktok_result_t *res)
{
    char path[160], perr[192];
    json_t *body = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    tiktok_result_init(res);
    if (!valid_id(product_id) || !n_skus) {
        tiktok_result_fail(res, TIKTOK_PERMANENT, "invalid product id or no SKUs");
        goto out;
    }
    if (!(body = inventory_body(skus, n_skus))) {
        tiktok_result_fail(res, TIKTOK_PERMANENT,
             "invalid SKU id, SKU without warehouses, or negative quantity");
        goto out;
    }
    snprintf(path, sizeof(path), "/product/202309/products/%s/inventory/update", product_id);
    rc = run(c, "POST", path, "/product/202309/products/{product_id}/inventory/update", NULL, 0,
             1, body, res);
    if (rc != 0)
        goto out;
    if (tiktok_parse_sku_errors(res->data, out, perr, sizeof(perr)) != 0) {
        rc = tiktok_result_unexpected(res, perr);
        goto out;
    }
    /* code 0 with per-SKU errors means those SKUs were not updated. */
    if (out->n) {
        const tiktok_sku_error_t *e = &out->items[0];
        rc = tiktok_result_fail(res, TIKTOK_PERMANENT, "%zu SKU(s) not updated; sku %s: %s (code %lld)%s%s",
                  out->n, e->sku_id[0] ? e->sku_id : "?", e->message, e->code,
                  e->n_extra ? "; " : "", e->n_extra ? e->extra[0].message : "");
    }
out:
    json_decref(body);
    return rc;
}

void tiktok_sku_errors_free(tiktok_sku_errors_t *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->items[i].extra);
    free(e->items);
    e->items = NULL;
    e->n = 0;
}

int tiktok_inventory_search(tiktok_client_t *c, const char *const *sku_ids,
                            size_t n_sku_ids, tiktok_inventories_t *out,
                            tiktok_result_t *res)
{
    char perr[192];
    json_t *body = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    tiktok_result_init(res);
    if (!n_sku_ids || n_sku_ids > MAX_SEARCH_IDS) {
        tiktok_result_fail(res, TIKTOK_PERMANENT, "between 1 and %d SKU ids are required", MAX_SEARCH_IDS);
        goto out;
    }
    body = json_object();
    if (!body || json_object_set_new(body, "sku_ids", string_array(sku_ids, n_sku_ids))) {
        tiktok_result_fail(res, TIKTOK_PERMANENT, "invalid SKU id list");
        goto out;
    }
    rc = run(c, "POST", "/product/202309/inventory/search", NULL, NULL, 0, 1, body, res);
    if (rc == 0 && tiktok_parse_inventories(res->data, out, perr, sizeof(perr)) != 0)
        rc = tiktok_result_unexpected(res, perr);
out:
    json_decref(body);
    return rc;
}

void tiktok_inventories_free(tiktok_inventories_t *inv)
{
    for (size_t i = 0; i < inv->n; i++)
        free(inv->items[i].warehouses);
    free(inv->items);
    inv->items = NULL;
    inv->n = 0;
}

int tiktok_get_orders(tiktok_client_t *c, const char *const *ids, size_t n_ids,
                      tiktok_orders_t *out, tiktok_result_t *res)
{
    char perr[192];
    buf_t list;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    tiktok_result_init(res);
    buf_init(&list, TIKTOK_MAX_ORDER_IDS * TIKTOK_ID_MAX);
    if (!n_ids || n_ids > TIKTOK_MAX_ORDER_IDS) {
        tiktok_result_fail(res, TIKTOK_PERMANENT, "between 1 and %d order ids are required",
             TIKTOK_MAX_ORDER_IDS);
        goto out;
    }
    for (size_t i = 0; i < n_ids; i++) {
        if (!valid_id(ids[i]) || (i && buf_append(&list, ",", 1)) || buf_appends(&list, ids[i])) {
            tiktok_result_fail(res, TIKTOK_PERMANENT, "invalid order id");
            goto out;
        }
    }
    tiktok_param_t q[] = {{"ids", list.data}};
    rc = run(c, "GET", "/order/202309/orders", NULL, q, 1, 1, NULL, res);
    if (rc == 0 && tiktok_parse_orders(res->data, out, perr, sizeof(perr)) != 0)
        rc = tiktok_result_unexpected(res, perr);
out:
    buf_free(&list);
    return rc;
}

int tiktok_search_orders(tiktok_client_t *c, const tiktok_order_query_t *q,
                         tiktok_orders_t *out, tiktok_result_t *res)
{
    char size[16], perr[192];
    json_t *body = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    tiktok_result_init(res);
    if (q->page_size < 1 || q->page_size > 100 || q->update_time_ge < 0) {
        tiktok_result_fail(res, TIKTOK_PERMANENT, "page_size must be 1..100 and update_time_ge >= 0");
        goto out;
    }
    body = json_object();
    if (!body || json_object_set_new(body, "update_time_ge", json_integer(q->update_time_ge)) ||
        (q->update_time_lt > 0 &&
         json_object_set_new(body, "update_time_lt", json_integer(q->update_time_lt)))) {
        tiktok_result_fail(res, TIKTOK_PERMANENT, "out of memory");
        goto out;
    }
    snprintf(size, sizeof(size), "%d", q->page_size);
    tiktok_param_t qp[] = {{"page_size", size}, {"page_token", q->page_token}};
    size_t nq = q->page_token && *q->page_token ? 2 : 1;
    rc = run(c, "POST", "/order/202309/orders/search", NULL, qp, nq, 1, body, res);
    if (rc == 0 && tiktok_parse_orders(res->data, out, perr, sizeof(perr)) != 0)
        rc = tiktok_result_unexpected(res, perr);
out:
    json_decref(body);
    return rc;
}

void tiktok_orders_free(tiktok_orders_t *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->items[i].line_items);
    free(o->items);
    o->items = NULL;
    o->n = 0;
}
