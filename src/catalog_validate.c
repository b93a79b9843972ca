/*
 * catalog_validate — checks a catalog document, a product or a SKU against
 * the catalog format (catalog_validate.h) and returns it normalised. Pure:
 * no Redis; a SKU's "tiktok" rule is checked by rules_validate.
 */
#include "shopsync/catalog_validate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopsync/jsonx.h"
#include "shopsync/rules.h"
#include "shopsync/stock.h"
#include "shopsync/tiktok_limits.h"

int catalog_valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > CATALOG_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* A positive decimal amount with at most 2 decimals, e.g. "24.00". */
static int valid_price(const char *s)
{
    const char *p = s;
    int digits = 0, decimals = -1;
    if (!*p)
        return 0;
    for (; *p; p++) {
        if (*p == '.') {
            if (decimals >= 0)
                return 0;
            decimals = 0;
        } else if (isdigit((unsigned char)*p)) {
            if (decimals >= 0)
                decimals++;
            else
                digits++;
        } else {
            return 0;
        }
    }
    return digits > 0 && digits <= 9 && decimals != 0 && decimals <= 2 && strtod(s, NULL) > 0;
}

static int valid_positive_number(const json_t *v, char *out, size_t cap)
{
    if (json_is_string(v)) {
        const char *str = json_string_value(v);
        char *end = NULL;
        /* Plain decimals only: strtod would also take "0x10", "1e2" or " 2",
         * which TikTok Shop does not. */
        size_t n = strlen(str), dots = 0;
        for (size_t i = 0; i < n; i++)
            dots += str[i] == '.';
        /* n >= cap: the copy below would cut it, silently changing the
         * value ("0.000...01" became "0.000...0"). */
        if (n == 0 || n >= cap || strspn(str, "0123456789.") != n || dots > 1 || str[0] == '.' ||
            str[n - 1] == '.')
            return 0;
        double d = strtod(str, &end);
        if (*end || !(d > 0) || d > 100000)
            return 0;
        snprintf(out, cap, "%s", json_string_value(v));
        return 1;
    }
    if (json_is_number(v)) {
        double d = json_number_value(v);
        if (!(d > 0) || d > 100000)
            return 0;
        snprintf(out, cap, "%g", d);
        return 1;
    }
    return 0;
}

static int in_list(const char *s, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static catalog_rc validate_package(const json_t *pkg, const char *where, json_t **out,
                                   char *err, size_t errlen)
{
    static const char *const weight_units[] = {"POUND", "KILOGRAM", NULL};
    static const char *const dim_units[] = {"INCH", "CENTIMETER", NULL};
    static const char *const dims[] = {"weight", "length", "width", "height", NULL};
    json_t *o = json_object();
    char num[64];

    for (int i = 0; dims[i]; i++) {
        json_t *v = json_object_get(pkg, dims[i]);
        if (!v)
            continue;
        if (!valid_positive_number(v, num, sizeof(num))) {
            snprintf(err, errlen, "%s.package.%s: must be a positive number (as a string, e.g. \"1.5\")", where, dims[i]);
            json_decref(o);
            return CATALOG_INVALID;
        }
        json_object_set_new(o, dims[i], json_string(num));
    }
    const char *wu = NULL, *du = NULL;
    char jerr[128];
    if (jsonx_opt_str(pkg, "weight_unit", &wu, jerr, sizeof(jerr)) || (wu && !in_list(wu, weight_units))) {
        snprintf(err, errlen, "%s.package.weight_unit: must be POUND or KILOGRAM", where);
        json_decref(o);
        return CATALOG_INVALID;
    }
    if (jsonx_opt_str(pkg, "dimension_unit", &du, jerr, sizeof(jerr)) || (du && !in_list(du, dim_units))) {
        snprintf(err, errlen, "%s.package.dimension_unit: must be INCH or CENTIMETER", where);
        json_decref(o);
        return CATALOG_INVALID;
    }
    if (wu)
        json_object_set_new(o, "weight_unit", json_string(wu));
    if (du)
        json_object_set_new(o, "dimension_unit", json_string(du));
    *out = o;
    return CATALOG_OK;
}

static catalog_rc validate_sku(const json_t *s, const char *where, json_t **out,
                               char *err, size_t errlen)
{
    const char *sku = NULL, *price = NULL, *currency = NULL;
    char jerr[256];
    json_t *o = NULL, *attrs = NULL;

    if (!json_is_object(s)) {
        snprintf(err, errlen, "%s: must be an object", where);
        return CATALOG_INVALID;
    }
    if (jsonx_get_str(s, "sku", &sku, jerr, sizeof(jerr))) {
        snprintf(err, errlen, "%s.%s", where, jerr);
        return CATALOG_INVALID;
    }
    if (!catalog_valid_id(sku)) {
        snprintf(err, errlen, "%s.sku: \"%.60s\" must be 1-50 characters of A-Z a-z 0-9 . _ -", where, sku);
        return CATALOG_INVALID;
    }
    json_t *pv = json_object_get(s, "price");
    if (!json_is_string(pv) || !valid_price(price = json_string_value(pv))) {
        snprintf(err, errlen, "%s (sku %s).price: must be a positive decimal string like \"24.00\"", where, sku);
        return CATALOG_INVALID;
    }
    if (jsonx_opt_str(s, "currency", &currency, jerr, sizeof(jerr)) ||
        (currency && (strlen(currency) != 3 || !isupper((unsigned char)currency[0]) ||
                      !isupper((unsigned char)currency[1]) || !isupper((unsigned char)currency[2])))) {
        snprintf(err, errlen, "%s (sku %s).currency: must be a 3-letter code like \"USD\"", where, sku);
        return CATALOG_INVALID;
    }
    json_t *stock = json_object_get(s, "stock");
    if (stock && !json_is_null(stock) &&
        (!json_is_integer(stock) || json_integer_value(stock) < 0 || json_integer_value(stock) > STOCK_MAX)) {
        snprintf(err, errlen, "%s (sku %s).stock: must be a whole number from 0 to %lld", where, sku, STOCK_MAX);
        return CATALOG_INVALID;
    }
    json_t *a = json_object_get(s, "attributes");
    attrs = json_object();
    if (a && !json_is_null(a)) {
        const char *k;
        json_t *v;
        if (!json_is_object(a) || json_object_size(a) > TIKTOK_MAX_SALES_ATTRIBUTES) {
            snprintf(err, errlen, "%s (sku %s).attributes: must be an object of up to %d name/value strings", where,
                     sku, TIKTOK_MAX_SALES_ATTRIBUTES);
            json_decref(attrs);
            return CATALOG_INVALID;
        }
        json_object_foreach((json_t *)a, k, v) {
            if (!json_is_string(v) || !*k || strlen(k) > 50 || json_string_length(v) < 1 || json_string_length(v) > 50) {
                snprintf(err, errlen, "%s (sku %s).attributes.%.50s: must be a string of 1-50 characters", where, sku, k);
                json_decref(attrs);
                return CATALOG_INVALID;
            }
            json_object_set(attrs, k, v);
        }
    }
    /* The SKU's channel rule (rules.h), written beside the catalog. */
    json_t *rule = NULL;
    const json_t *tk = json_object_get(s, "tiktok");
    if (tk) {
        char where_tk[300], rerr[512] = "";
        snprintf(where_tk, sizeof(where_tk), "%s (sku %s).tiktok", where, sku);
        if (rules_validate(tk, where_tk, &rule, NULL, rerr, sizeof(rerr)) != 0) {
            snprintf(err, errlen, "%s", rerr);
            json_decref(attrs);
            return CATALOG_INVALID;
        }
    }
    o = json_pack("{s:s,s:s,s:s,s:o}", "sku", sku, "price", price, "currency",
                  currency ? currency : "USD", "attributes", attrs);
    if (stock && json_is_integer(stock))
        json_object_set(o, "stock", stock);
    if (rule)
        json_object_set_new(o, "tiktok", rule);
    *out = o;
    return CATALOG_OK;
}

catalog_rc catalog_validate_product(const json_t *p, const char *where, json_t **out,
                                    char *err, size_t errlen)
{
    const char *id = NULL, *title = NULL, *desc = NULL, *cat = NULL;
    char jerr[256], at[160];
    json_t *o = NULL, *skus = NULL, *images = NULL, *pkg = NULL;
    catalog_rc rc = CATALOG_INVALID;

    *out = NULL;
    if (!json_is_object(p)) {
        snprintf(err, errlen, "%s: must be an object", where);
        goto out;
    }
    if (jsonx_get_str(p, "id", &id, jerr, sizeof(jerr))) {
        snprintf(err, errlen, "%s.%s", where, jerr);
        goto out;
    }
    if (!catalog_valid_id(id)) {
        snprintf(err, errlen, "%s.id: \"%.60s\" must be 1-50 characters of A-Z a-z 0-9 . _ -", where, id);
        goto out;
    }
    if (strcmp(id, "import") == 0) {
        /* /api/admin/products/import is the import route, so no product
         * could be read or edited under that id. */
        snprintf(err, errlen, "%s.id: \"import\" is reserved; choose another product id", where);
        goto out;
    }
    snprintf(at, sizeof(at), "%s (product %s)", where, id);
    if (jsonx_get_str(p, "title", &title, jerr, sizeof(jerr)) || !*title || strlen(title) > 255) {
        snprintf(err, errlen, "%s.title: is required, 1-255 characters", at);
        goto out;
    }
    if (jsonx_opt_str(p, "description", &desc, jerr, sizeof(jerr)) || (desc && strlen(desc) > 10000)) {
        snprintf(err, errlen, "%s.description: must be a string of at most 10000 characters", at);
        goto out;
    }
    if (jsonx_opt_str(p, "category_id", &cat, jerr, sizeof(jerr)) || (cat && strlen(cat) > 64)) {
        snprintf(err, errlen, "%s.category_id: must be a string", at);
        goto out;
    }
    images = json_array();
    json_t *imgs = json_object_get(p, "images");
    if (imgs && !json_is_null(imgs)) {
        size_t i;
        json_t *u;
        if (!json_is_array(imgs) || json_array_size(imgs) > TIKTOK_MAX_MAIN_IMAGES) {
            snprintf(err, errlen, "%s.images: must be a list of up to %d image URLs", at, TIKTOK_MAX_MAIN_IMAGES);
            goto out;
        }
        json_array_foreach(imgs, i, u) {
            const char *s = json_string_value(u);
            if (!s || (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) || strlen(s) > 2000) {
                snprintf(err, errlen, "%s.images[%zu]: must be an http(s) URL", at, i);
                goto out;
            }
            json_array_append(images, u);
        }
    }
    json_t *pk = json_object_get(p, "package");
    if (pk && !json_is_null(pk)) {
        if (!json_is_object(pk)) {
            snprintf(err, errlen, "%s.package: must be an object", at);
            goto out;
        }
        if (validate_package(pk, at, &pkg, err, errlen) != CATALOG_OK)
            goto out;
    }
    json_t *in_skus = json_object_get(p, "skus");
    if (!json_is_array(in_skus) || json_array_size(in_skus) < 1 || json_array_size(in_skus) > CATALOG_MAX_SKUS) {
        snprintf(err, errlen, "%s.skus: must list 1 to %d SKUs", at, CATALOG_MAX_SKUS);
        goto out;
    }
    skus = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(in_skus, i, s) {
        char sw[200];
        json_t *ns = NULL;
        snprintf(sw, sizeof(sw), "%s.skus[%zu]", at, i);
        if (validate_sku(s, sw, &ns, err, errlen) != CATALOG_OK)
            goto out;
        json_array_append_new(skus, ns);
    }
    o = json_pack("{s:s,s:s,s:s,s:O,s:o?,s:O,s:O}", "id", id, "title", title, "description",
                  desc ? desc : "", "images", images, "category_id",
                  cat && *cat ? json_string(cat) : NULL, "package", pkg ? pkg : json_null(), "skus", skus);
    if (!o)
        goto out;
    *out = o;
    rc = CATALOG_OK;
out:
    json_decref(images);
    json_decref(pkg);
    json_decref(skus);
    return rc;
}

catalog_rc catalog_validate(const json_t *doc, json_t **out, char *err, size_t errlen)
{
    json_t *result = NULL, *seen_ids = NULL, *seen_skus = NULL;
    catalog_rc rc = CATALOG_INVALID;

    *out = NULL;
    json_t *products = json_object_get(doc, "products");
    if (!json_is_object(doc) || !json_is_array(products)) {
        snprintf(err, errlen, "products: the catalog must be an object with a \"products\" list");
        goto out;
    }
    if (json_array_size(products) > CATALOG_MAX_PRODUCTS) {
        snprintf(err, errlen, "products: at most %d products per import", CATALOG_MAX_PRODUCTS);
        goto out;
    }
    result = json_array();
    seen_ids = json_object();
    seen_skus = json_object();
    size_t i, j;
    json_t *p, *s;
    json_array_foreach(products, i, p) {
        char where[32];
        json_t *np = NULL;
        snprintf(where, sizeof(where), "products[%zu]", i);
        if (catalog_validate_product(p, where, &np, err, errlen) != CATALOG_OK)
            goto out;
        const char *id = json_string_value(json_object_get(np, "id"));
        if (json_object_get(seen_ids, id)) {
            snprintf(err, errlen, "%s.id: product %s appears twice in the catalog", where, id);
            json_decref(np);
            goto out;
        }
        json_object_set_new(seen_ids, id, json_true());
        json_array_foreach(json_object_get(np, "skus"), j, s) {
            const char *sku = json_string_value(json_object_get(s, "sku"));
            json_t *owner = json_object_get(seen_skus, sku);
            if (owner) {
                snprintf(err, errlen, "%s (product %s).skus[%zu].sku: %s is also used by product %s",
                         where, id, j, sku, json_string_value(owner));
                json_decref(np);
                goto out;
            }
            json_object_set_new(seen_skus, sku, json_string(id));
        }
        json_array_append_new(result, np);
    }
    *out = result;
    result = NULL;
    rc = CATALOG_OK;
out:
    json_decref(result);
    json_decref(seen_ids);
    json_decref(seen_skus);
    return rc;
}
