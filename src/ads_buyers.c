/*
 * ads_buyers — hashed buyer records and audience rules (see ads_buyers.h).
 */
#include "shopsync/ads_buyers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_scripts.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"
#include "shopsync/metrics.h"
#include "shopsync/money.h"

/* Records read per MGET while walking the buyers. */
#define READ_CHUNK 500
#define ORDER_MAX_SKUS 100

/* KEYS and ARGV: src/lua/buyer_record.lua. */
static const redis_script_t record_script = {"buyer_record", LUA_SRC_BUYER_RECORD};

/* ---- rules --------------------------------------------------------------- */

/* A whole number member of rule in [lo, hi] into *out; a problem named
 * rule.<key> otherwise. */
static int rule_int(const json_t *rule, const char *key, long long lo, long long hi, long long *out,
                    jsonx_problems_t *p)
{
    const json_t *v = json_object_get(rule, key);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        jsonx_problem(p, "rule.%s: must be a whole number from %lld to %lld", key, lo, hi);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

int ads_rule_parse(const json_t *rule, ads_rule_t *out, char *err, size_t errlen)
{
    jsonx_problems_t p = {err, errlen, 0};
    memset(out, 0, sizeof(*out));
    err[0] = '\0';
    if (!json_is_object(rule)) {
        jsonx_problem(&p, "rule: must be an object with a kind");
        return -1;
    }
    const char *kind = json_string_value(json_object_get(rule, "kind"));
    if (!kind) {
        jsonx_problem(&p, "rule.kind: required (all_buyers, bought_within_days, bought_sku, min_orders or "
                             "min_value)");
        return -1;
    }
    if (strcmp(kind, "all_buyers") == 0) {
        out->kind = ADS_RULE_ALL_BUYERS;
    } else if (strcmp(kind, "bought_within_days") == 0) {
        out->kind = ADS_RULE_BOUGHT_WITHIN_DAYS;
        rule_int(rule, "days", 1, ADS_RULE_DAYS_MAX, &out->days, &p);
    } else if (strcmp(kind, "bought_sku") == 0) {
        out->kind = ADS_RULE_BOUGHT_SKU;
        const char *sku = json_string_value(json_object_get(rule, "sku"));
        if (!sku || !sku[0] || strlen(sku) >= sizeof(out->sku))
            jsonx_problem(&p, "rule.sku: required, 1 to 127 characters");
        else
            memcpy(out->sku, sku, strlen(sku) + 1);
    } else if (strcmp(kind, "min_orders") == 0) {
        out->kind = ADS_RULE_MIN_ORDERS;
        rule_int(rule, "orders", 1, ADS_BUYERS_ORDERS_MAX, &out->orders, &p);
    } else if (strcmp(kind, "min_value") == 0) {
        out->kind = ADS_RULE_MIN_VALUE;
        const char *cur = json_string_value(json_object_get(rule, "currency"));
        const char *val = json_string_value(json_object_get(rule, "value"));
        int cur_ok = money_currency_code(cur, out->currency) == 0 && strcmp(cur, out->currency) == 0;
        if (!cur_ok)
            jsonx_problem(&p, "rule.currency: required, a three-letter upper-case code such as USD");
        /* Without a currency the amount is still checked, as cents; more
         * decimals than the currency has would be rounded: refused. */
        int dec = cur_ok ? money_decimals(out->currency) : 2;
        const char *dot = val ? strchr(val, '.') : NULL;
        if (!val || (dot && (int)strlen(dot + 1) > dec) || money_parse(val, dec, &out->value) != 0)
            jsonx_problem(&p, "rule.value: required, an amount as a string such as \"100.00\"");
        else if (out->value <= 0)
            jsonx_problem(&p, "rule.value: must be more than 0");
    } else {
        jsonx_problem(&p, "rule.kind: must be all_buyers, bought_within_days, bought_sku, min_orders or min_value");
    }
    return p.n ? -1 : 0;
}

json_t *ads_rule_json(const ads_rule_t *rule)
{
    char amount[48];
    switch (rule->kind) {
    case ADS_RULE_BOUGHT_WITHIN_DAYS:
        return json_pack("{s:s,s:I}", "kind", "bought_within_days", "days", (json_int_t)rule->days);
    case ADS_RULE_BOUGHT_SKU:
        return json_pack("{s:s,s:s}", "kind", "bought_sku", "sku", rule->sku);
    case ADS_RULE_MIN_ORDERS:
        return json_pack("{s:s,s:I}", "kind", "min_orders", "orders", (json_int_t)rule->orders);
    case ADS_RULE_MIN_VALUE:
        money_format(rule->value, money_decimals(rule->currency), amount, sizeof(amount));
        return json_pack("{s:s,s:s,s:s}", "kind", "min_value", "value", amount, "currency", rule->currency);
    default:
        return json_pack("{s:s}", "kind", "all_buyers");
    }
}

/* 1 when an order's skus (an array; an empty one may read back as {}) holds sku. */
static int has_sku(const json_t *order, const char *sku)
{
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(order, "skus"), i, s) if (json_is_string(s) &&
                                                                 strcmp(json_string_value(s), sku) == 0) return 1;
    return 0;
}

int ads_rule_match(const ads_rule_t *rule, const json_t *buyer, long long now)
{
    if (json_is_true(json_object_get(buyer, "denied")))
        return 0;
    const json_t *orders = json_object_get(buyer, "orders");
    size_t i;
    const json_t *o;
    long long sum = 0;
    switch (rule->kind) {
    case ADS_RULE_ALL_BUYERS:
        return 1;
    case ADS_RULE_BOUGHT_WITHIN_DAYS:
        json_array_foreach(orders, i, o) if (json_integer_value(json_object_get(o, "at")) >= now - rule->days * 86400)
            return 1;
        return 0;
    case ADS_RULE_BOUGHT_SKU:
        json_array_foreach(orders, i, o) if (has_sku(o, rule->sku)) return 1;
        return 0;
    case ADS_RULE_MIN_ORDERS:
        return (long long)json_array_size(orders) >= rule->orders;
    case ADS_RULE_MIN_VALUE:
        json_array_foreach(orders, i, o) {
            const char *cur = json_string_value(json_object_get(o, "currency"));
            if (cur && strcmp(cur, rule->currency) == 0)
                sum += json_integer_value(json_object_get(o, "value"));
        }
        return sum >= rule->value;
    }
    return 0;
}

/* ---- intake -------------------------------------------------------------- */

/* The hash of the member key of obj (borrowed) into out ("" when absent or
 * not an identifier of kind). */
static void member_hash(const json_t *obj, const char *key, ads_id_kind kind, const char *region,
                        char out[ADS_HASH_HEX])
{
    char err[128];
    const char *v = json_string_value(json_object_get(obj, key));
    ads_hash_rc rc = v ? ads_hash_value(kind, v, region, out, err, sizeof(err)) : ADS_HASH_EMPTY;
    if (rc == ADS_HASH_EMPTY || rc == ADS_HASH_INVALID)
        out[0] = '\0';
}

/* The buyer key of a phone: the buyer recorded with that phone before,
 * else the phone hash itself. Returns 0 or -1. */
static int phone_key(redis_conn_t *r, const char *phone, char key[ADS_HASH_HEX])
{
    char idx[KEY_MAX];
    snprintf(key, ADS_HASH_HEX, "%s", phone);
    if (redis_key(idx, sizeof(idx), KEY_ADS_BUYERS_PHONE))
        return -1;
    return redis_get_str(r, key, ADS_HASH_HEX, "HGET %s %s", idx, phone) < 0 ? -1 : 0;
}

int ads_buyers_stripe_sale(const config_t *cfg, redis_conn_t *r, const json_t *obj, const checkout_event_t *ce)
{
    char email[ADS_HASH_HEX], phone[ADS_HASH_HEX], customer[ADS_HASH_HEX], key[ADS_HASH_HEX], cur[4] = "";
    char bkey[KEY_MAX], set[KEY_MAX], idx[KEY_MAX], keep[16], max[16];
    json_t *order = NULL;
    char *order_text = NULL;
    redisReply *rep = NULL;
    int rc = 0;

    if (!json_is_object(obj) || !ce->ev.session_id[0])
        goto out;
    const char *consent = json_string_value(json_object_get(json_object_get(obj, "metadata"), "tiktok_consent"));
    int denied = consent && strcmp(consent, "denied") == 0;
    if (!denied && cfg->ads_consent_required && !(consent && strcmp(consent, "granted") == 0))
        goto out;
    const json_t *details = json_object_get(obj, "customer_details");
    member_hash(details, "email", ADS_ID_EMAIL, cfg->phone_region, email);
    if (!email[0])
        member_hash(obj, "customer_email", ADS_ID_EMAIL, cfg->phone_region, email);
    member_hash(details, "phone", ADS_ID_PHONE, cfg->phone_region, phone);
    member_hash(obj, "customer", ADS_ID_EXTERNAL_ID, cfg->phone_region, customer);
    if (!email[0] && !phone[0])
        goto out; /* nothing an audience can match on */
    if (email[0])
        snprintf(key, sizeof(key), "%s", email);
    else if (phone_key(r, phone, key) != 0) {
        rc = -1;
        goto out;
    }
    const json_t *created = json_object_get(obj, "created");
    long long at = json_is_integer(created) ? json_integer_value(created) : ce->ev.created;
    const json_t *amount = json_object_get(obj, "amount_total");
    json_t *skus = json_array();
    for (size_t i = 0; i < ce->n_lines && i < ORDER_MAX_SKUS; i++)
        if (ce->lines[i].sku[0])
            json_array_append_new(skus, json_string(ce->lines[i].sku));
    money_currency_code(json_string_value(json_object_get(obj, "currency")), cur);
    order = json_pack("{s:s,s:I,s:o,s:I,s:s}", "session", ce->ev.session_id, "at", (json_int_t)at, "skus", skus,
                      "value", (json_int_t)(json_is_integer(amount) ? json_integer_value(amount) : 0), "currency",
                      cur);
    order_text = order ? json_dumps(order, JSON_COMPACT) : NULL;
    if (!order_text || redis_key(bkey, sizeof(bkey), KEY_ADS_BUYER_FMT, key) ||
        redis_key(set, sizeof(set), KEY_ADS_BUYERS) || redis_key(idx, sizeof(idx), KEY_ADS_BUYERS_PHONE)) {
        rc = -1;
        goto out;
    }
    snprintf(keep, sizeof(keep), "%d", ADS_BUYERS_ORDERS_MAX);
    snprintf(max, sizeof(max), "%d", ADS_BUYERS_MAX);
    const char *keys[] = {bkey, set, idx};
    const char *args[] = {key, email, phone, customer, order_text, ce->ev.session_id, keep, denied ? "1" : "0", max};
    rep = redis_eval(r, &record_script, 3, keys, 9, args, NULL);
    if (!rep || rep->type != REDIS_REPLY_INTEGER) {
        rc = -1;
        goto out;
    }
    if (rep->integer < 0)
        log_event(LOG_WARN, "ads_buyer_not_recorded",
                  json_pack("{s:s,s:s}", "session_id", ce->ev.session_id, "reason", "the buyer list is full"));
out:
    if (rep)
        freeReplyObject(rep);
    free(order_text);
    json_decref(order);
    return rc;
}

/* ---- erasure and reading ------------------------------------------------ */

int ads_buyers_find(const config_t *cfg, redis_conn_t *r, ads_id_kind kind, const char *value,
                    char key[ADS_HASH_HEX], char *err, size_t errlen)
{
    char h[ADS_HASH_HEX], bkey[KEY_MAX];
    ads_hash_rc hrc = ads_hash_value(kind, value, cfg->phone_region, h, err, errlen);
    if (hrc == ADS_HASH_EMPTY) {
        snprintf(err, errlen, "empty");
        return 2;
    }
    if (hrc == ADS_HASH_INVALID)
        return 2;
    if (kind == ADS_ID_PHONE) {
        if (phone_key(r, h, key) != 0)
            return -1;
    } else {
        snprintf(key, ADS_HASH_HEX, "%s", h);
    }
    if (redis_key(bkey, sizeof(bkey), KEY_ADS_BUYER_FMT, key))
        return -1;
    redisReply *rep = redis_cmd(r, "EXISTS %s", bkey);
    if (!rep)
        return -1;
    int found = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
    freeReplyObject(rep);
    return found ? 0 : 1;
}

int ads_buyers_erase(redis_conn_t *r, const char *key)
{
    char bkey[KEY_MAX], set[KEY_MAX], idx[KEY_MAX], jerr[128];
    if (redis_key(bkey, sizeof(bkey), KEY_ADS_BUYER_FMT, key) || redis_key(set, sizeof(set), KEY_ADS_BUYERS) ||
        redis_key(idx, sizeof(idx), KEY_ADS_BUYERS_PHONE))
        return -1;
    redisReply *rep = redis_cmd(r, "GET %s", bkey);
    if (!rep)
        return -1;
    json_t *doc = rep->type == REDIS_REPLY_STRING ? jsonx_loadb(rep->str, rep->len, jerr, sizeof(jerr)) : NULL;
    int found = rep->type == REDIS_REPLY_STRING;
    freeReplyObject(rep);
    if (!found)
        return 1;
    const char *phone = json_string_value(json_object_get(doc, "phone"));
    rep = phone ? redis_cmd(r, "HDEL %s %s", idx, phone) : NULL;
    if (rep)
        freeReplyObject(rep);
    json_decref(doc);
    rep = redis_cmd(r, "DEL %s", bkey);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    rep = ok ? redis_cmd(r, "SREM %s %s", set, key) : NULL;
    ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    if (!ok)
        return -1;
    metrics_add(M_ADS_ERASURES, 1);
    return 0;
}

int ads_buyers_count(redis_conn_t *r, long long *n)
{
    char set[KEY_MAX];
    *n = 0;
    if (redis_key(set, sizeof(set), KEY_ADS_BUYERS))
        return -1;
    redisReply *rep = redis_cmd(r, "SCARD %s", set);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (ok)
        *n = rep->integer;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

/* Read the records of keys [from, to) of members (borrowed SMEMBERS reply)
 * with one MGET and hand each to fn. */
static int read_chunk(redis_conn_t *r, const redisReply *members, size_t from, size_t to,
                      int (*fn)(const json_t *, void *), void *ctx)
{
    char(*keys)[KEY_MAX] = calloc(to - from, KEY_MAX);
    const char **argv = calloc(to - from + 1, sizeof(*argv));
    redisReply *rep = NULL;
    int rc = -1;
    if (!keys || !argv)
        goto out;
    argv[0] = "MGET";
    for (size_t i = from; i < to; i++) {
        if (redis_key(keys[i - from], KEY_MAX, KEY_ADS_BUYER_FMT, members->element[i]->str))
            goto out;
        argv[i - from + 1] = keys[i - from];
    }
    rep = redis_cmd_argv(r, (int)(to - from + 1), argv, NULL);
    if (!rep || rep->type != REDIS_REPLY_ARRAY)
        goto out;
    rc = 0;
    for (size_t i = 0; i < rep->elements && rc == 0; i++) {
        char jerr[128];
        const redisReply *e = rep->element[i];
        if (e->type != REDIS_REPLY_STRING)
            continue; /* erased between the two reads */
        json_t *doc = jsonx_loadb(e->str, e->len, jerr, sizeof(jerr));
        if (doc)
            rc = fn(doc, ctx);
        json_decref(doc);
    }
out:
    if (rep)
        freeReplyObject(rep);
    free(argv);
    free(keys);
    return rc;
}

int ads_buyers_each(redis_conn_t *r, int (*fn)(const json_t *buyer, void *ctx), void *ctx)
{
    char set[KEY_MAX];
    if (redis_key(set, sizeof(set), KEY_ADS_BUYERS))
        return -1;
    redisReply *members = redis_cmd(r, "SMEMBERS %s", set);
    if (!members || members->type != REDIS_REPLY_ARRAY) {
        if (members)
            freeReplyObject(members);
        return -1;
    }
    int rc = 0;
    size_t n = members->elements < ADS_BUYERS_MAX ? members->elements : ADS_BUYERS_MAX;
    for (size_t i = 0; i < n && rc == 0; i += READ_CHUNK)
        rc = read_chunk(r, members, i, i + READ_CHUNK < n ? i + READ_CHUNK : n, fn, ctx);
    freeReplyObject(members);
    return rc;
}
