/*
 * product — validation of Create/Edit Product bodies, field by field with
 * messages that name the field, and construction of the stored product
 * document (see sandbox.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"
#include "store.h"

#define MAX_TITLE 255
#define MAX_DESCRIPTION 10000
#define MAX_SELLER_SKU 50
#define MAX_IMAGES 9
#define MAX_ATTRIBUTES 3

static int fail(sb_err_t *e, long code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(sb_err_t *e, long code, const char *fmt, ...)
{
    va_list ap;
    e->http = 200;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return -1;
}

/* A string member with 1..max characters; where prefixes the field name. */
static int text(const json_t *obj, const char *key, const char *where, long max, int required,
                const char **out, sb_err_t *e)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v && !required)
        return 0;
    if (!json_is_string(v))
        return fail(e, SB_E_FIELD, "%s%s: %s", where, key,
                    v ? "must be a string" : "is required");
    long n = sb_utf8_len(json_string_value(v));
    if (n < (required ? 1 : 0) || n > max)
        return fail(e, SB_E_FIELD, "%s%s: must be %d to %ld characters", where, key,
                    required ? 1 : 0, max);
    *out = json_string_value(v);
    return 0;
}

/* A positive decimal string member (max_frac fractional digits). */
static int decimal(const json_t *obj, const char *key, const char *where, int max_frac,
                   sb_err_t *e)
{
    json_t *v = json_object_get(obj, key);
    long long units;
    if (!json_is_string(v) || sb_decimal_parse(json_string_value(v), max_frac, 0, &units) != 0)
        return fail(e, SB_E_FIELD, "%s%s: must be a positive decimal string with at most %d "
                    "decimals, e.g. \"1.5\"", where, key, max_frac);
    return 0;
}

static int one_of(const json_t *obj, const char *key, const char *where, const char *a,
                  const char *b, sb_err_t *e)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s || (strcmp(s, a) != 0 && strcmp(s, b) != 0))
        return fail(e, SB_E_FIELD, "%s%s: must be %s or %s", where, key, a, b);
    return 0;
}

static json_t *build_images(sb_store_t *s, const json_t *body, sb_err_t *e)
{
    json_t *arr = json_object_get(body, "main_images");
    json_t *list = NULL, *result = NULL, *img;
    size_t i;
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > MAX_IMAGES) {
        fail(e, SB_E_FIELD, "main_images: must be an array of 1 to %d images", MAX_IMAGES);
        goto out;
    }
    list = json_array();
    json_array_foreach(arr, i, img) {
        const char *uri = json_string_value(json_object_get(img, "uri"));
        const sb_image_t *im = uri ? sb_store_image_find(s, uri) : NULL;
        if (!im) {
            fail(e, uri ? SB_E_IMAGE_NOT_FOUND : SB_E_FIELD, "main_images[%zu].uri: %s", i,
                 uri ? "image not found; upload it with /product/202309/images/upload first"
                     : "is required");
            goto out;
        }
        char url[400];
        snprintf(url, sizeof(url), "%s/images/%s", s->cfg->public_url, im->hex);
        json_array_append_new(list, json_pack("{s:s,s:[s],s:i,s:i}", "uri", uri, "urls", url,
                                              "width", im->width, "height", im->height));
    }
    result = list;
    list = NULL;
out:
    json_decref(list);
    return result;
}

static json_t *build_inventory(const json_t *sku, const char *where, sb_err_t *e)
{
    json_t *arr = json_object_get(sku, "inventory");
    json_t *list = NULL, *result = NULL, *inv;
    size_t i;
    if (!json_is_array(arr) || json_array_size(arr) == 0 ||
        json_array_size(arr) > SB_WAREHOUSE_COUNT) {
        fail(e, SB_E_FIELD, "%sinventory: must be an array of 1 to %d warehouse entries", where,
             SB_WAREHOUSE_COUNT);
        goto out;
    }
    list = json_array();
    json_array_foreach(arr, i, inv) {
        const char *wid = json_string_value(json_object_get(inv, "warehouse_id"));
        json_t *q = json_object_get(inv, "quantity");
        if (!wid || !sb_store_warehouse(wid)) {
            fail(e, wid ? SB_E_WAREHOUSE_NOT_FOUND : SB_E_FIELD,
                 "%sinventory[%zu].warehouse_id: %s%s", where, i,
                 wid ? "warehouse not found: " : "is required", wid ? wid : "");
            goto out;
        }
        if (!json_is_integer(q) || json_integer_value(q) < 0 ||
            json_integer_value(q) > SB_MAX_QUANTITY) {
            fail(e, SB_E_FIELD, "%sinventory[%zu].quantity: must be an integer 0..%d", where, i,
                 SB_MAX_QUANTITY);
            goto out;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(json_string_value(json_object_get(json_array_get(list, j), "warehouse_id")),
                       wid) == 0) {
                fail(e, SB_E_FIELD, "%sinventory[%zu].warehouse_id: listed twice", where, i);
                goto out;
            }
        }
        json_array_append_new(list, json_pack("{s:s,s:I}", "warehouse_id", wid, "quantity",
                                              json_integer_value(q)));
    }
    result = list;
    list = NULL;
out:
    json_decref(list);
    return result;
}

static json_t *build_attributes(const json_t *sku, const char *where, sb_err_t *e)
{
    json_t *arr = json_object_get(sku, "sales_attributes");
    json_t *list = json_array(), *result = NULL, *a;
    size_t i;
    if (arr && !json_is_null(arr) &&
        (!json_is_array(arr) || json_array_size(arr) > MAX_ATTRIBUTES)) {
        fail(e, SB_E_FIELD, "%ssales_attributes: must be an array of at most %d", where,
             MAX_ATTRIBUTES);
        goto out;
    }
    json_array_foreach(arr, i, a) {
        char at[96];
        const char *name, *value;
        snprintf(at, sizeof(at), "%ssales_attributes[%zu].", where, i);
        if (text(a, "name", at, 50, 1, &name, e) || text(a, "value_name", at, 50, 1, &value, e))
            goto out;
        json_array_append_new(list, json_pack("{s:s,s:s}", "name", name, "value_name", value));
    }
    result = list;
    list = NULL;
out:
    json_decref(list);
    return result;
}

/* 1 when another SKU of the body (not index self) names id explicitly. */
static int claimed_elsewhere(const json_t *skus, size_t self, const char *id)
{
    size_t i;
    json_t *sku;
    json_array_foreach(skus, i, sku) {
        const char *other = json_string_value(json_object_get(sku, "id"));
        if (i != self && other && strcmp(other, id) == 0)
            return 1;
    }
    return 0;
}

/* The id the i-th body SKU gets: its own (edit, must exist), the id of the
 * existing SKU with the same seller_sku, or a new one. */
static int sku_id(sb_store_t *s, const json_t *skus, size_t i, const char *seller_sku,
                  const json_t *existing, char out[SB_ID_LEN], sb_err_t *e)
{
    const char *given = json_string_value(json_object_get(json_array_get(skus, i), "id"));
    size_t j;
    json_t *old;
    if (existing && given) {
        json_array_foreach(json_object_get(existing, "skus"), j, old) {
            if (strcmp(json_string_value(json_object_get(old, "id")), given) == 0) {
                snprintf(out, SB_ID_LEN, "%s", given);
                return 0;
            }
        }
        return fail(e, SB_E_SKU_NOT_FOUND, "skus[%zu].id: sku %s is not part of product %s", i,
                    given, json_string_value(json_object_get(existing, "id")));
    }
    if (existing) {
        json_array_foreach(json_object_get(existing, "skus"), j, old) {
            const char *oid = json_string_value(json_object_get(old, "id"));
            if (strcmp(json_string_value(json_object_get(old, "seller_sku")), seller_sku) == 0 &&
                !claimed_elsewhere(skus, i, oid)) {
                snprintf(out, SB_ID_LEN, "%s", oid);
                return 0;
            }
        }
    }
    sb_store_new_id(s, "172986", out);
    return 0;
}

static json_t *build_sku(sb_store_t *s, const json_t *skus, size_t i, const json_t *existing,
                         const json_t *built, sb_err_t *e)
{
    const json_t *sku = json_array_get(skus, i);
    char where[32], id[SB_ID_LEN];
    const char *seller_sku, *amount, *currency;
    json_t *inv = NULL, *attrs = NULL, *owner = NULL, *prev;
    size_t j;

    snprintf(where, sizeof(where), "skus[%zu].", i);
    if (!json_is_object(sku)) {
        fail(e, SB_E_FIELD, "skus[%zu]: must be an object", i);
        return NULL;
    }
    if (text(sku, "seller_sku", where, MAX_SELLER_SKU, 1, &seller_sku, e))
        return NULL;
    json_array_foreach(built, j, prev) {
        if (strcmp(json_string_value(json_object_get(prev, "seller_sku")), seller_sku) == 0) {
            fail(e, SB_E_SELLER_SKU_TAKEN, "skus[%zu].seller_sku: %s appears twice", i, seller_sku);
            return NULL;
        }
    }
    if (sb_store_sku(s, NULL, seller_sku, &owner) && owner != existing) {
        fail(e, SB_E_SELLER_SKU_TAKEN, "skus[%zu].seller_sku: %s is already used by product %s",
             i, seller_sku, json_string_value(json_object_get(owner, "id")));
        return NULL;
    }
    json_t *price = json_object_get(sku, "price");
    char pwhere[48];
    snprintf(pwhere, sizeof(pwhere), "%sprice.", where);
    if (!json_is_object(price)) {
        fail(e, SB_E_FIELD, "%sprice: is required", where);
        return NULL;
    }
    if (decimal(price, "amount", pwhere, 2, e) ||
        text(price, "currency", pwhere, 3, 1, &currency, e))
        return NULL;
    if (strcmp(currency, "USD") != 0) {
        fail(e, SB_E_FIELD, "%scurrency: must be USD for a US shop", pwhere);
        return NULL;
    }
    amount = json_string_value(json_object_get(price, "amount"));
    if (!(inv = build_inventory(sku, where, e)) || !(attrs = build_attributes(sku, where, e)) ||
        sku_id(s, skus, i, seller_sku, existing, id, e) != 0) {
        json_decref(inv);
        json_decref(attrs);
        return NULL;
    }
    json_array_foreach(built, j, prev) {
        if (strcmp(json_string_value(json_object_get(prev, "id")), id) == 0) {
            fail(e, SB_E_FIELD, "skus[%zu].id: %s is used by two skus", i, id);
            json_decref(inv);
            json_decref(attrs);
            return NULL;
        }
    }
    return json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:o,s:o}", "id", id, "seller_sku", seller_sku,
                     "price", "amount", amount, "currency", currency, "sale_price", amount,
                     "inventory", inv, "sales_attributes", attrs);
}

int sb_product_build(sb_store_t *s, const json_t *body, const json_t *existing, json_t **out,
                     sb_err_t *e)
{
    const char *title, *description, *category;
    json_t *images = NULL, *skus_out = NULL, *doc = NULL, *dims_out = NULL;
    json_t *skus = json_object_get(body, "skus");
    json_t *weight = json_object_get(body, "package_weight");
    json_t *dims = json_object_get(body, "package_dimensions");
    int rc = -1;

    if (text(body, "title", "", MAX_TITLE, 1, &title, e) ||
        text(body, "description", "", MAX_DESCRIPTION, 0, &description, e) ||
        text(body, "category_id", "", 32, 1, &category, e))
        goto out;
    if (strspn(category, "0123456789") != strlen(category)) {
        fail(e, SB_E_FIELD, "category_id: must be a decimal id");
        goto out;
    }
    if (!(images = build_images(s, body, e)))
        goto out;
    if (!json_is_object(weight)) {
        fail(e, SB_E_FIELD, "package_weight: is required ({\"value\":\"1.5\",\"unit\":\"POUND\"})");
        goto out;
    }
    if (decimal(weight, "value", "package_weight.", 3, e) ||
        one_of(weight, "unit", "package_weight.", "POUND", "KILOGRAM", e))
        goto out;
    if (dims && !json_is_null(dims)) {
        if (!json_is_object(dims) || decimal(dims, "length", "package_dimensions.", 2, e) ||
            decimal(dims, "width", "package_dimensions.", 2, e) ||
            decimal(dims, "height", "package_dimensions.", 2, e) ||
            one_of(dims, "unit", "package_dimensions.", "INCH", "CENTIMETER", e)) {
            if (!json_is_object(dims))
                fail(e, SB_E_FIELD, "package_dimensions: must be an object");
            goto out;
        }
        dims_out = json_pack("{s:O,s:O,s:O,s:O}", "length", json_object_get(dims, "length"),
                             "width", json_object_get(dims, "width"), "height",
                             json_object_get(dims, "height"), "unit",
                             json_object_get(dims, "unit"));
    }
    if (!json_is_array(skus) || json_array_size(skus) == 0 || json_array_size(skus) > SB_MAX_SKUS) {
        fail(e, SB_E_FIELD, "skus: must be an array of 1 to %d skus", SB_MAX_SKUS);
        goto out;
    }
    skus_out = json_array();
    for (size_t i = 0; i < json_array_size(skus); i++) {
        json_t *sku = build_sku(s, skus, i, existing, skus_out, e);
        if (!sku)
            goto out;
        json_array_append_new(skus_out, sku);
    }
    char id[SB_ID_LEN];
    long long now = sb_now();
    if (existing)
        snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(existing, "id")));
    else
        sb_store_new_id(s, "172959", id);
    json_int_t created = existing ? json_integer_value(json_object_get(existing, "create_time"))
                                  : (json_int_t)now;
    doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:s,s:b}],s:O,s:O,s:{s:O,s:O},s:I,s:I}",
                    "id", id, "title", title, "description", description ? description : "",
                    "status", "ACTIVATE", "category_id", category, "category_chains", "id",
                    category, "parent_id", "0", "local_name", "Sandbox Category", "is_leaf", 1,
                    "main_images", images, "skus", skus_out, "package_weight", "value",
                    json_object_get(weight, "value"), "unit", json_object_get(weight, "unit"),
                    "create_time", created, "update_time", (json_int_t)now);
    if (!doc) {
        fail(e, SB_E_INTERNAL, "out of memory");
        goto out;
    }
    if (dims_out)
        json_object_set(doc, "package_dimensions", dims_out);
    *out = doc;
    rc = 0;
out:
    json_decref(images);
    json_decref(skus_out);
    json_decref(dims_out);
    return rc;
}
