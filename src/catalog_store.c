/*
 * catalog_store — atomic storage of validated products and SKUs in Redis
 * (import, replace, delete) and their reads with current stock.
 *
 * Redis layout (prefix P): P catalog:products hash id -> product JSON;
 * P catalog:sku_owner hash sku -> product id; P stock:<sku> integer.
 */
#include "shopsync/catalog_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_stock.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/rules.h"
#include "shopsync/stock.h"
#include "shopsync/util.h"

#define STORE_RETRIES 3

/* KEYS and ARGV: src/lua/catalog_store.lua. */
static const redis_script_t store_script = {"catalog_store", LUA_STOCK_PRELUDE LUA_SRC_CATALOG_STORE};

/* KEYS and ARGV: src/lua/catalog_delete.lua. */
static const redis_script_t delete_script = {"catalog_delete", LUA_SRC_CATALOG_DELETE};

/* The stored form of a product: the normalised product without stock or
 * channel rules. */
static char *stored_doc(const json_t *p)
{
    json_t *copy = json_deep_copy(p);
    size_t i;
    json_t *s;
    /* A SKU's "tiktok" rule lives in the rules' keys, where the API and
     * the CLI change it. */
    json_array_foreach(json_object_get(copy, "skus"), i, s) {
        json_object_del(s, "stock");
        json_object_del(s, "tiktok");
    }
    char *text = jsonx_dump(copy);
    json_decref(copy);
    return text;
}

/* One attempt at catalog_store; CATALOG_CONFLICT with err "RETRY" means a
 * concurrent writer changed a product between our read and the script. */
static catalog_rc store_once(redis_conn_t *r, const json_t *products, size_t *n_skus,
                             char *err, size_t errlen)
{
    enum { FIXED_KEYS = 2 + STOCK_SHARED_KEYS };
    char fixed[FIXED_KEYS][KEY_MAX];
    char shared[STOCK_SHARED_KEYS][KEY_MAX];
    const char **keys = NULL;
    char **stock_keys = NULL;
    size_t n_keys = 0, cap_keys = 0;
    json_t *req = NULL, *items = NULL;
    char *req_text = NULL;
    redisReply *rep = NULL, *old = NULL;
    catalog_rc rc = CATALOG_UNAVAILABLE;
    size_t n = json_array_size(products);
    char k_products[KEY_MAX];

    if (redis_key(fixed[0], KEY_MAX, KEY_CATALOG_PRODUCTS) ||
        redis_key(fixed[1], KEY_MAX, KEY_CATALOG_SKU_OWNER) || stock_shared_keys(shared))
        return CATALOG_INVALID;
    for (int i = 0; i < STOCK_SHARED_KEYS; i++)
        memcpy(fixed[2 + i], shared[i], KEY_MAX);
    snprintf(k_products, sizeof(k_products), "%s", fixed[0]);

    /* Read the current documents of every product in one round trip. */
    const char **argv = calloc(n + 2, sizeof(char *));
    if (!argv)
        goto out;
    argv[0] = "HMGET";
    argv[1] = k_products;
    for (size_t i = 0; i < n; i++)
        argv[i + 2] = json_string_value(json_object_get(json_array_get(products, i), "id"));
    old = n ? redis_cmd_argv(r, (int)n + 2, argv, NULL) : NULL;
    free(argv);
    if (n && (!old || old->type != REDIS_REPLY_ARRAY || old->elements != n))
        goto out;

    cap_keys = FIXED_KEYS + 16;
    keys = calloc(cap_keys, sizeof(char *));
    stock_keys = calloc(cap_keys, sizeof(char *));
    if (!keys || !stock_keys)
        goto out;
    for (int i = 0; i < FIXED_KEYS; i++)
        keys[n_keys++] = fixed[i];

    items = json_array();
    *n_skus = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(products, i);
        const char *old_doc = old->element[i]->type == REDIS_REPLY_STRING ? old->element[i]->str : "";
        json_t *old_json = NULL;
        char jerr[64];
        char *doc = stored_doc(p);
        json_t *skus = json_array(), *drop = json_array();
        json_t *item = json_pack("{s:s,s:s,s:s,s:o,s:o}", "id",
                                 json_string_value(json_object_get(p, "id")), "doc", doc ? doc : "",
                                 "old", old_doc, "skus", skus, "drop", drop);
        free(doc);
        json_array_append_new(items, item);
        if (*old_doc)
            old_json = jsonx_loadb(old_doc, strlen(old_doc), jerr, sizeof(jerr));
        /* New SKUs first, then the ones the new version no longer lists. */
        for (int pass = 0; pass < 2; pass++) {
            const json_t *list = json_object_get(pass == 0 ? p : old_json, "skus");
            size_t j;
            json_t *s;
            json_array_foreach(list, j, s) {
                const char *sku = json_string_value(json_object_get(s, "sku"));
                if (!sku)
                    continue;
                if (pass == 1) {
                    int still = 0;
                    size_t m;
                    json_t *t;
                    json_array_foreach(json_object_get(p, "skus"), m, t) {
                        if (strcmp(json_string_value(json_object_get(t, "sku")), sku) == 0)
                            still = 1;
                    }
                    if (still)
                        continue;
                }
                if (n_keys + 2 > cap_keys) {
                    cap_keys *= 2;
                    const char **nk = realloc(keys, cap_keys * sizeof(char *));
                    char **ns = realloc(stock_keys, cap_keys * sizeof(char *));
                    if (nk)
                        keys = nk;
                    if (ns)
                        stock_keys = ns;
                    if (!nk || !ns) {
                        json_decref(old_json);
                        goto out;
                    }
                }
                char sk[KEY_MAX], ck[KEY_MAX];
                if (stock_key(sk, sizeof(sk), sku) || stock_chan_key(ck, sizeof(ck), sku)) {
                    snprintf(err, errlen, "products[%zu].skus: SKU %s is too long for a Redis key", i, sku);
                    rc = CATALOG_INVALID;
                    json_decref(old_json);
                    goto out;
                }
                stock_keys[n_keys] = strdup(sk);
                keys[n_keys] = stock_keys[n_keys];
                stock_keys[n_keys + 1] = strdup(ck);
                keys[n_keys + 1] = stock_keys[n_keys + 1];
                n_keys += 2;
                json_t *st = json_object_get(s, "stock");
                /* Lua indexes from 1: the stock key is KEYS[n_keys - 1]. */
                if (pass == 0) {
                    json_array_append_new(skus, json_pack("{s:s,s:I,s:I,s:I}", "sku", sku, "stock",
                                                          (json_int_t)(json_is_integer(st) ? json_integer_value(st) : -1),
                                                          "k", (json_int_t)n_keys - 1, "c", (json_int_t)n_keys));
                    (*n_skus)++;
                } else {
                    json_array_append_new(drop, json_pack("{s:s,s:I,s:I}", "sku", sku, "k", (json_int_t)n_keys - 1,
                                                          "c", (json_int_t)n_keys));
                }
            }
        }
        json_decref(old_json);
    }
    req = json_pack("{s:I,s:O}", "ts", (json_int_t)util_now_ms(), "items", items);
    req_text = jsonx_dump(req);
    if (!req_text)
        goto out;
    const char *args[] = {req_text};
    rep = redis_eval(r, &store_script, (int)n_keys, keys, 1, args, NULL);
    if (!rep)
        goto out;
    if (rep->type == REDIS_REPLY_ERROR) {
        if (redis_error_is(rep, "CONFLICT")) {
            /* Named like a validation error: products[i] (product id).skus[j].sku.
             * The script's indexes follow the input, as the SKUs of each item
             * do. */
            size_t pi = 0, sj = 0;
            char owner[CATALOG_ID_MAX + 1] = "";
            const json_t *p = NULL;
            if (sscanf(redis_error_text(rep), "%zu %zu %50s", &pi, &sj, owner) == 3 &&
                (p = json_array_get(products, pi)) != NULL) {
                const json_t *s = json_array_get(json_object_get(p, "skus"), sj);
                snprintf(err, errlen, "products[%zu] (product %s).skus[%zu].sku: %s already belongs to product %s",
                         pi, json_string_value(json_object_get(p, "id")), sj,
                         json_string_value(json_object_get(s, "sku")), owner);
            } else {
                snprintf(err, errlen, "a SKU already belongs to another product: %s", redis_error_text(rep));
            }
            rc = CATALOG_CONFLICT;
        } else if (redis_error_is(rep, "RETRY")) {
            snprintf(err, errlen, "RETRY");
            rc = CATALOG_CONFLICT;
        } else {
            snprintf(err, errlen, "redis: %s", rep->str);
        }
        goto out;
    }
    rc = CATALOG_OK;
out:
    if (stock_keys) {
        for (size_t i = FIXED_KEYS; i < n_keys; i++)
            free(stock_keys[i]);
    }
    free(stock_keys);
    free(keys);
    json_decref(items);
    json_decref(req);
    free(req_text);
    if (rep)
        freeReplyObject(rep);
    if (old)
        freeReplyObject(old);
    return rc;
}

/* The "tiktok" rule each SKU of products (borrowed) carries becomes its
 * channel rule, once the SKUs exist; a SKU without one keeps its rule. A
 * failure leaves the catalog stored: importing again writes the rules. */
static catalog_rc store_rules(redis_conn_t *r, const json_t *products, char *err, size_t errlen)
{
    size_t i, j;
    json_t *p, *s, *sets = json_array();
    long long marked = 0;
    int ok = sets != NULL;
    json_array_foreach(products, i, p) {
        json_array_foreach(json_object_get(p, "skus"), j, s) {
            json_t *rule = json_object_get(s, "tiktok");
            if (ok && rule)
                ok = json_array_append_new(sets, json_pack("{s:O,s:O}", "sku", json_object_get(s, "sku"), "rule",
                                                           rule)) == 0;
        }
    }
    ok = ok && (json_array_size(sets) == 0 || rules_set_skus(r, sets, &marked) == RULES_OK);
    json_decref(sets);
    if (!ok) {
        snprintf(err, errlen, "the products were stored, but not their tiktok rules (Redis): import again");
        return CATALOG_UNAVAILABLE;
    }
    return CATALOG_OK;
}

catalog_rc catalog_store(redis_conn_t *r, const json_t *products, size_t *n_skus,
                         char *err, size_t errlen)
{
    catalog_rc rc = CATALOG_UNAVAILABLE;
    for (int attempt = 0; attempt < STORE_RETRIES; attempt++) {
        err[0] = '\0';
        rc = store_once(r, products, n_skus, err, errlen);
        if (rc == CATALOG_OK)
            return store_rules(r, products, err, errlen);
        if (rc != CATALOG_CONFLICT || strcmp(err, "RETRY") != 0)
            return rc;
    }
    snprintf(err, errlen, "the catalog changed concurrently %d times; try again", STORE_RETRIES);
    return CATALOG_CONFLICT;
}

/* Attach current stock to every SKU of the products in arr (borrowed). */
static catalog_rc attach_stock(redis_conn_t *r, json_t *arr)
{
    size_t total = 0, i, j, k = 0;
    json_t *p, *s;
    json_array_foreach(arr, i, p) total += json_array_size(json_object_get(p, "skus"));
    if (total == 0)
        return CATALOG_OK;
    const char **skus = calloc(total, sizeof(char *));
    stock_view_t *views = calloc(total, sizeof(*views));
    catalog_rc rc = CATALOG_UNAVAILABLE;
    if (!skus || !views)
        goto out;
    json_array_foreach(arr, i, p) {
        json_array_foreach(json_object_get(p, "skus"), j, s) skus[k++] = json_string_value(json_object_get(s, "sku"));
    }
    if (stock_view_many(r, skus, total, views) != STOCK_OK)
        goto out;
    k = 0;
    json_array_foreach(arr, i, p) {
        json_array_foreach(json_object_get(p, "skus"), j, s) {
            const stock_view_t *v = &views[k++];
            /* "stock" is what the store holds, as it was imported. */
            json_object_set_new(s, "stock", json_integer(v->on_hand));
            stock_view_json(v, s);
        }
    }
    rc = CATALOG_OK;
out:
    free(skus);
    free(views);
    return rc;
}

static int by_id(const void *a, const void *b)
{
    const json_t *pa = *(json_t *const *)a, *pb = *(json_t *const *)b;
    return strcmp(json_string_value(json_object_get(pa, "id")),
                  json_string_value(json_object_get(pb, "id")));
}

catalog_rc catalog_list(redis_conn_t *r, json_t **out)
{
    char k[KEY_MAX];
    char jerr[128];
    *out = NULL;
    if (redis_key(k, sizeof(k), KEY_CATALOG_PRODUCTS))
        return CATALOG_UNAVAILABLE;
    redisReply *rep = redis_cmd(r, "HVALS %s", k);
    if (!rep)
        return CATALOG_UNAVAILABLE;
    if (rep->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(rep);
        return CATALOG_UNAVAILABLE;
    }
    json_t **tmp = calloc(rep->elements + 1, sizeof(json_t *));
    size_t n = 0;
    for (size_t i = 0; tmp && i < rep->elements; i++) {
        json_t *p = jsonx_loadb(rep->element[i]->str, rep->element[i]->len, jerr, sizeof(jerr));
        if (p)
            tmp[n++] = p;
    }
    freeReplyObject(rep);
    if (!tmp)
        return CATALOG_UNAVAILABLE;
    qsort(tmp, n, sizeof(json_t *), by_id);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, tmp[i]);
    free(tmp);
    if (attach_stock(r, arr) != CATALOG_OK) {
        json_decref(arr);
        return CATALOG_UNAVAILABLE;
    }
    *out = arr;
    return CATALOG_OK;
}

catalog_rc catalog_get(redis_conn_t *r, const char *id, json_t **out)
{
    char k[KEY_MAX], jerr[128];
    *out = NULL;
    if (redis_key(k, sizeof(k), KEY_CATALOG_PRODUCTS))
        return CATALOG_UNAVAILABLE;
    redisReply *rep = redis_cmd(r, "HGET %s %s", k, id);
    if (!rep)
        return CATALOG_UNAVAILABLE;
    if (rep->type != REDIS_REPLY_STRING) {
        catalog_rc rc = rep->type == REDIS_REPLY_NIL ? CATALOG_NOT_FOUND : CATALOG_UNAVAILABLE;
        freeReplyObject(rep);
        return rc;
    }
    json_t *p = jsonx_loadb(rep->str, rep->len, jerr, sizeof(jerr));
    freeReplyObject(rep);
    if (!p)
        return CATALOG_UNAVAILABLE;
    json_t *arr = json_array();
    json_array_append(arr, p);
    catalog_rc rc = attach_stock(r, arr);
    json_decref(arr);
    if (rc != CATALOG_OK) {
        json_decref(p);
        return rc;
    }
    *out = p;
    return CATALOG_OK;
}

catalog_rc catalog_delete(redis_conn_t *r, const char *id, char *err, size_t errlen)
{
    for (int attempt = 0; attempt < STORE_RETRIES; attempt++) {
        char k_prod[KEY_MAX], k_owner[KEY_MAX], k_dirty[KEY_MAX], k_alloc[KEY_MAX], jerr[128];
        if (redis_key(k_prod, sizeof(k_prod), KEY_CATALOG_PRODUCTS) ||
            redis_key(k_owner, sizeof(k_owner), KEY_CATALOG_SKU_OWNER) ||
            redis_key(k_dirty, sizeof(k_dirty), KEY_PUSH_DIRTY) || redis_key(k_alloc, sizeof(k_alloc), KEY_ALLOC_SKUS))
            return CATALOG_UNAVAILABLE;
        redisReply *cur = redis_cmd(r, "HGET %s %s", k_prod, id);
        if (!cur)
            return CATALOG_UNAVAILABLE;
        if (cur->type != REDIS_REPLY_STRING) {
            freeReplyObject(cur);
            return CATALOG_NOT_FOUND;
        }
        json_t *doc = jsonx_loadb(cur->str, cur->len, jerr, sizeof(jerr));
        json_t *skus = json_object_get(doc, "skus");
        size_t n = json_array_size(skus);
        const char **keys = calloc(2 * n + 4, sizeof(char *));
        const char **args = calloc(n + 2, sizeof(char *));
        char (*sks)[KEY_MAX] = calloc(2 * n + 1, KEY_MAX);
        catalog_rc rc = CATALOG_UNAVAILABLE;
        if (keys && args && sks) {
            keys[0] = k_prod;
            keys[1] = k_owner;
            keys[2] = k_dirty;
            keys[3] = k_alloc;
            args[0] = id;
            args[1] = cur->str;
            int built = 1;
            for (size_t i = 0; built && i < n; i++) {
                const char *sku = json_string_value(json_object_get(json_array_get(skus, i), "sku"));
                built = stock_key(sks[2 * i], KEY_MAX, sku) == 0 && stock_chan_key(sks[2 * i + 1], KEY_MAX, sku) == 0;
                keys[4 + 2 * i] = sks[2 * i];
                keys[5 + 2 * i] = sks[2 * i + 1];
                args[2 + i] = sku;
            }
            redisReply *rep = built ? redis_eval(r, &delete_script, 2 * (int)n + 4, keys, (int)n + 2, args, NULL) : NULL;
            if (rep) {
                if (rep->type == REDIS_REPLY_INTEGER)
                    rc = CATALOG_OK;
                else if (redis_error_is(rep, "NOT_FOUND"))
                    rc = CATALOG_NOT_FOUND;
                else if (redis_error_is(rep, "RETRY"))
                    rc = CATALOG_CONFLICT;
                freeReplyObject(rep);
            }
        }
        free(keys);
        free(args);
        free(sks);
        json_decref(doc);
        freeReplyObject(cur);
        if (rc != CATALOG_CONFLICT)
            return rc;
    }
    snprintf(err, errlen, "the product changed concurrently; try again");
    return CATALOG_CONFLICT;
}

catalog_rc catalog_sku_owner(redis_conn_t *r, const char *sku, char *out, size_t cap)
{
    char k[KEY_MAX];
    if (redis_key(k, sizeof(k), KEY_CATALOG_SKU_OWNER))
        return CATALOG_UNAVAILABLE;
    int rc = redis_get_str(r, out, cap, "HGET %s %s", k, sku);
    return rc < 0 ? CATALOG_UNAVAILABLE : rc ? CATALOG_NOT_FOUND : CATALOG_OK;
}
