/*
 * rules — channel rules per SKU with a store-wide default (see rules.h).
 */
#include "shopsync/rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_stock.h"
#include "shopsync/catalog_validate.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/stock.h"

/* KEYS and ARGV: src/lua/rules_store.lua. */
static const redis_script_t store_script = {"rules_store", LUA_STOCK_PRELUDE LUA_SRC_RULES_STORE};

/* Append one problem to err ("; " between them) and its path to fields. */
static void problem(json_t *fields, char *err, size_t errlen, const char *where, const char *field,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void problem(json_t *fields, char *err, size_t errlen, const char *where, const char *field,
                    const char *fmt, ...)
{
    char path[200], msg[300];
    va_list ap;
    snprintf(path, sizeof(path), "%s%s%s", where, *where ? "." : "", field);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t used = strlen(err);
    if (used + 1 < errlen)
        snprintf(err + used, errlen - used, "%s%s: %s", used ? "; " : "", path, msg);
    if (fields)
        json_array_append_new(fields, json_string(path));
}

/* One whole-number field from lo to hi, or null when nullable. */
static int check_int(const json_t *v, long long lo, long long hi, int nullable)
{
    if (nullable && json_is_null(v))
        return 1;
    return json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi;
}

int rules_validate(const json_t *in, const char *where, json_t **out, json_t *fields, char *err, size_t errlen)
{
    static const char *const known[] = {"buffer", "percent", "zero_at", "max", "sync", NULL};
    const char *k;
    json_t *v;
    int bad = 0;

    *out = NULL;
    if (!json_is_object(in)) {
        problem(fields, err, errlen, "", where, "must be an object with buffer, percent, zero_at, max, sync");
        return 1;
    }
    json_object_foreach((json_t *)in, k, v) {
        int i;
        for (i = 0; known[i] && strcmp(known[i], k) != 0; i++)
            ;
        if (!known[i]) {
            problem(fields, err, errlen, where, k, "unknown field (known: buffer, percent, zero_at, max, sync)");
            bad++;
        } else if (strcmp(k, "buffer") == 0 && !check_int(v, 0, STOCK_MAX, 0)) {
            problem(fields, err, errlen, where, k, "must be a whole number from 0 to %lld", STOCK_MAX);
            bad++;
        } else if (strcmp(k, "percent") == 0 && !check_int(v, 1, 100, 0)) {
            problem(fields, err, errlen, where, k, "must be a whole number from 1 to 100");
            bad++;
        } else if (strcmp(k, "zero_at") == 0 && !check_int(v, 0, STOCK_MAX, 0)) {
            problem(fields, err, errlen, where, k, "must be a whole number from 0 to %lld", STOCK_MAX);
            bad++;
        } else if (strcmp(k, "max") == 0 && !check_int(v, 0, STOCK_MAX, 1)) {
            problem(fields, err, errlen, where, k, "must be a whole number from 0 to %lld, or null for no cap",
                    STOCK_MAX);
            bad++;
        } else if (strcmp(k, "sync") == 0 && !json_is_boolean(v)) {
            problem(fields, err, errlen, where, k, "must be true or false");
            bad++;
        }
    }
    if (!bad)
        *out = json_deep_copy(in);
    return bad;
}

int rules_validate_doc(const json_t *doc, json_t **out, json_t *fields, char *err, size_t errlen)
{
    const char *k;
    json_t *v, *norm = NULL;
    int bad = 0;

    *out = NULL;
    json_object_foreach((json_t *)doc, k, v) {
        if (strcmp(k, "default") != 0 && strcmp(k, "skus") != 0) {
            problem(fields, err, errlen, "", k, "unknown field (send default and skus)");
            bad++;
        }
    }
    json_t *res = json_pack("{s:o,s:o}", "default", json_object(), "skus", json_object());
    const json_t *def = json_object_get(doc, "default");
    if (def) {
        bad += rules_validate(def, "default", &norm, fields, err, errlen);
        if (norm)
            json_object_set_new(res, "default", norm);
    }
    const json_t *skus = json_object_get(doc, "skus");
    if (skus && !json_is_object(skus)) {
        problem(fields, err, errlen, "", "skus", "must be an object of SKU to rule");
        bad++;
    } else if (skus) {
        json_object_foreach((json_t *)skus, k, v) {
            char where[100];
            snprintf(where, sizeof(where), "skus.%s", k);
            if (!catalog_valid_id(k)) {
                problem(fields, err, errlen, "skus", k, "a SKU is 1-50 characters of A-Z a-z 0-9 . _ -");
                bad++;
                continue;
            }
            bad += rules_validate(v, where, &norm, fields, err, errlen);
            if (norm)
                json_object_set_new(json_object_get(res, "skus"), k, norm);
        }
    }
    if (bad)
        json_decref(res);
    else
        *out = res;
    return bad;
}

/* The fields of the rule hash at key as a new JSON object (numbers, max
 * "none" as null, sync as a boolean); NULL when Redis fails. */
static json_t *read_rule(redis_conn_t *r, const char *key)
{
    redisReply *rep = redis_cmd(r, "HGETALL %s", key);
    if (!rep)
        return NULL;
    json_t *o = json_object();
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements; i += 2) {
        const char *f = rep->element[i]->str, *v = rep->element[i + 1]->str;
        if (strcmp(f, "sync") == 0)
            json_object_set_new(o, f, json_boolean(strcmp(v, "0") != 0));
        else if (strcmp(v, "none") == 0)
            json_object_set_new(o, f, json_null());
        else
            json_object_set_new(o, f, json_integer(strtoll(v, NULL, 10)));
    }
    freeReplyObject(rep);
    return o;
}

rules_rc rules_get_sku(redis_conn_t *r, const char *sku, json_t **out)
{
    char k[KEY_MAX];
    *out = NULL;
    if (redis_key(k, sizeof(k), KEY_RULES_SKU_FMT, sku))
        return RULES_INVALID;
    *out = read_rule(r, k);
    return *out ? RULES_OK : RULES_UNAVAILABLE;
}

rules_rc rules_get_default(redis_conn_t *r, json_t **out)
{
    char k[KEY_MAX];
    *out = NULL;
    if (redis_key(k, sizeof(k), KEY_RULES_DEFAULT))
        return RULES_INVALID;
    *out = read_rule(r, k);
    return *out ? RULES_OK : RULES_UNAVAILABLE;
}

rules_rc rules_get(redis_conn_t *r, json_t **out)
{
    char kd[KEY_MAX], ks[KEY_MAX], kset[KEY_MAX];
    json_t *def = NULL, *skus = NULL;
    redisReply *rep = NULL;
    rules_rc rc = RULES_UNAVAILABLE;

    *out = NULL;
    if (redis_key(kd, sizeof(kd), KEY_RULES_DEFAULT) || redis_key(ks, sizeof(ks), KEY_RULES_SKUS) ||
        redis_key(kset, sizeof(kset), KEY_SETTINGS))
        return RULES_INVALID;
    def = read_rule(r, kd);
    if (!def)
        goto out;
    /* The built-in default of each field the store's default leaves out:
     * the buffer is SHOPSYNC_STOCK_BUFFER, as serve wrote it. */
    if (!json_object_get(def, "buffer")) {
        rep = redis_cmd(r, "HGET %s buffer", kset);
        if (!rep)
            goto out;
        json_object_set_new(def, "buffer", json_integer(rep->type == REDIS_REPLY_STRING ? strtoll(rep->str, NULL, 10) : 0));
        freeReplyObject(rep);
        rep = NULL;
    }
    if (!json_object_get(def, "percent"))
        json_object_set_new(def, "percent", json_integer(100));
    if (!json_object_get(def, "zero_at"))
        json_object_set_new(def, "zero_at", json_integer(0));
    if (!json_object_get(def, "max"))
        json_object_set_new(def, "max", json_null());
    if (!json_object_get(def, "sync"))
        json_object_set_new(def, "sync", json_true());
    rep = redis_cmd(r, "SMEMBERS %s", ks);
    if (!rep)
        goto out;
    skus = json_object();
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        json_t *one = NULL;
        rules_rc g = rules_get_sku(r, rep->element[i]->str, &one);
        if (g != RULES_OK) {
            rc = g;
            goto out;
        }
        json_object_set_new(skus, rep->element[i]->str, one);
    }
    *out = json_pack("{s:O,s:O}", "default", def, "skus", skus);
    rc = RULES_OK;
out:
    if (rep)
        freeReplyObject(rep);
    json_decref(def);
    json_decref(skus);
    return rc;
}

/* The most SKUs one store call names (a default change names the whole
 * catalog). */
#define RULES_MAX_SKUS (CATALOG_MAX_PRODUCTS * CATALOG_MAX_SKUS)
#define RULES_BATCH 500

/* Run rules_store.lua for req (borrowed: {"default"?, "skus":[{"sku","op",
 * "rule"?}]}). */
static rules_rc store(redis_conn_t *r, const json_t *req, long long *marked, char *err, size_t errlen)
{
    enum { FIXED = 2 + STOCK_SHARED_KEYS };
    char fixed[2][KEY_MAX], shared[STOCK_SHARED_KEYS][KEY_MAX];
    const json_t *ops = json_object_get(req, "skus");
    size_t n = json_array_size(ops);
    char (*k)[KEY_MAX] = NULL;
    const char **keys = NULL;
    char *text = NULL;
    rules_rc rc = RULES_UNAVAILABLE;

    *marked = 0;
    if (n > RULES_MAX_SKUS)
        return RULES_INVALID;
    k = calloc(3 * n + 1, sizeof(*k));
    keys = calloc(FIXED + 3 * n, sizeof(*keys));
    text = jsonx_dump(req);
    if (!k || !keys || !text)
        goto out;
    if (redis_key(fixed[0], KEY_MAX, KEY_RULES_DEFAULT) || redis_key(fixed[1], KEY_MAX, KEY_RULES_SKUS) ||
        stock_shared_keys(shared)) {
        rc = RULES_INVALID;
        goto out;
    }
    keys[0] = fixed[0];
    keys[1] = fixed[1];
    for (int i = 0; i < STOCK_SHARED_KEYS; i++)
        keys[2 + i] = shared[i];
    for (size_t i = 0; i < n; i++) {
        const char *sku = json_string_value(json_object_get(json_array_get(ops, i), "sku"));
        if (!sku || stock_key(k[3 * i], KEY_MAX, sku) || stock_chan_key(k[3 * i + 1], KEY_MAX, sku) ||
            redis_key(k[3 * i + 2], KEY_MAX, KEY_RULES_SKU_FMT, sku)) {
            rc = RULES_INVALID;
            goto out;
        }
        for (int j = 0; j < 3; j++)
            keys[FIXED + 3 * i + j] = k[3 * i + j];
    }
    const char *args[] = {text};
    redisReply *rep = redis_eval(r, &store_script, FIXED + 3 * (int)n, keys, 1, args, NULL);
    if (!rep)
        goto out;
    if (rep->type == REDIS_REPLY_INTEGER) {
        *marked = rep->integer;
        rc = RULES_OK;
    } else if (redis_error_is(rep, "NOT_FOUND")) {
        snprintf(err, errlen, "skus.%s: no such SKU in the catalog", redis_error_text(rep));
        rc = RULES_NOT_FOUND;
    }
    freeReplyObject(rep);
out:
    free(k);
    free(keys);
    free(text);
    return rc;
}

/* Add an op for sku to ops unless seen (borrowed) already has it. */
static void add_op(json_t *ops, json_t *seen, const char *sku, const char *op, const json_t *rule)
{
    if (json_object_get(seen, sku))
        return;
    json_object_set_new(seen, sku, json_true());
    json_t *o = json_pack("{s:s,s:s}", "sku", sku, "op", op);
    if (rule)
        json_object_set(o, "rule", (json_t *)rule);
    json_array_append_new(ops, o);
}

/* The members of the set (or hash's fields, with hkeys) at name into ops as
 * op for each not seen yet. Returns 0 or -1. */
static int add_members(redis_conn_t *r, const char *name, int hkeys, json_t *ops, json_t *seen, const char *op)
{
    char k[KEY_MAX];
    if (redis_key(k, sizeof(k), "%s", name))
        return -1;
    redisReply *rep = redis_cmd(r, hkeys ? "HKEYS %s" : "SMEMBERS %s", k);
    if (!rep)
        return -1;
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++)
        add_op(ops, seen, rep->element[i]->str, op, NULL);
    freeReplyObject(rep);
    return 0;
}

rules_rc rules_replace(redis_conn_t *r, const json_t *doc, long long *marked, char *err, size_t errlen)
{
    json_t *ops = json_array(), *seen = json_object();
    const char *sku;
    json_t *rule;
    rules_rc rc = RULES_UNAVAILABLE;

    *marked = 0;
    json_object_foreach((json_t *)json_object_get(doc, "skus"), sku, rule) add_op(ops, seen, sku, "set", rule);
    /* Rules the document no longer has go; every other SKU of the catalog
     * may change through the default. */
    if (add_members(r, KEY_RULES_SKUS, 0, ops, seen, "del") != 0 ||
        add_members(r, KEY_CATALOG_SKU_OWNER, 1, ops, seen, "keep") != 0)
        goto out;
    json_t *req = json_pack("{s:O,s:O}", "default", json_object_get(doc, "default"), "skus", ops);
    rc = store(r, req, marked, err, errlen);
    json_decref(req);
out:
    json_decref(ops);
    json_decref(seen);
    return rc;
}

rules_rc rules_set_skus(redis_conn_t *r, const json_t *sets, long long *marked)
{
    char err[300] = "";
    size_t n = json_array_size(sets);
    rules_rc rc = RULES_OK;

    *marked = 0;
    /* In calls of RULES_BATCH SKUs: one script per SKU would be a round
     * trip each, one for a whole catalog would hold Redis for long. */
    for (size_t at = 0; at < n && rc == RULES_OK; at += RULES_BATCH) {
        json_t *ops = json_array();
        int built = ops != NULL;
        for (size_t i = at; built && i < n && i < at + RULES_BATCH; i++) {
            const json_t *set = json_array_get(sets, i);
            const json_t *rule = json_object_get(set, "rule");
            json_t *o = json_pack("{s:O,s:s}", "sku", json_object_get(set, "sku"), "op", rule ? "set" : "del");
            if (o && rule && json_object_set(o, "rule", (json_t *)rule) != 0) {
                json_decref(o);
                o = NULL;
            }
            built = o && json_array_append_new(ops, o) == 0;
        }
        json_t *req = built ? json_pack("{s:O}", "skus", ops) : NULL;
        long long m = 0;
        rc = req ? store(r, req, &m, err, sizeof(err)) : RULES_UNAVAILABLE;
        *marked += m;
        json_decref(req);
        json_decref(ops);
    }
    return rc;
}

rules_rc rules_set_sku(redis_conn_t *r, const char *sku, const json_t *rule, long long *marked)
{
    json_t *sets = json_pack("[{s:s}]", "sku", sku);
    if (!sets)
        return RULES_UNAVAILABLE;
    if (rule)
        json_object_set(json_array_get(sets, 0), "rule", (json_t *)rule);
    rules_rc rc = rules_set_skus(r, sets, marked);
    json_decref(sets);
    return rc;
}
