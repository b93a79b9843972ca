/*
 * skumap — TikTok ids and push state per store SKU (see skumap.h).
 */
#include "shopsync/skumap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shopsync/jsonx.h"
#include "shopsync/keys.h"

/* The key of sku's TikTok ids into out. Returns 0 or -1 (does not fit). */
SHOPSYNC_MUST_USE static int sku_key(char *out, size_t cap, const char *sku)
{
    return redis_key(out, cap, KEY_TIKTOK_SKU_FMT, sku);
}

int skumap_get(redis_conn_t *r, const char *sku, skumap_entry_t *out)
{
    char k[KEY_MAX], jerr[128];
    memset(out, 0, sizeof(*out));
    out->last_pushed_quantity = -1;
    if (sku_key(k, sizeof(k), sku))
        return -1;
    redisReply *rep = redis_cmd(r, "HMGET %s product_id sku_id warehouses last_pushed_quantity last_pushed_at status error", k);
    if (!rep)
        return -1;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 7) {
        freeReplyObject(rep);
        return -1;
    }
    redisReply **e = rep->element;
    int mapped = e[0]->type == REDIS_REPLY_STRING && e[1]->type == REDIS_REPLY_STRING;
    if (e[0]->type == REDIS_REPLY_STRING)
        snprintf(out->product_id, sizeof(out->product_id), "%s", e[0]->str);
    if (e[1]->type == REDIS_REPLY_STRING)
        snprintf(out->sku_id, sizeof(out->sku_id), "%s", e[1]->str);
    if (e[2]->type == REDIS_REPLY_STRING)
        out->warehouses = jsonx_loadb(e[2]->str, e[2]->len, jerr, sizeof(jerr));
    if (e[3]->type == REDIS_REPLY_STRING)
        out->last_pushed_quantity = strtoll(e[3]->str, NULL, 10);
    if (e[4]->type == REDIS_REPLY_STRING)
        out->last_pushed_at = strtoll(e[4]->str, NULL, 10);
    if (e[5]->type == REDIS_REPLY_STRING)
        snprintf(out->status, sizeof(out->status), "%s", e[5]->str);
    if (e[6]->type == REDIS_REPLY_STRING)
        snprintf(out->error, sizeof(out->error), "%s", e[6]->str);
    freeReplyObject(rep);
    return mapped ? 0 : 1;
}

void skumap_entry_free(skumap_entry_t *e)
{
    json_decref(e->warehouses);
    e->warehouses = NULL;
}

int skumap_set(redis_conn_t *r, const char *sku, const char *product_id, const char *sku_id,
               const json_t *warehouses)
{
    char k[KEY_MAX], ik[KEY_MAX], mk[KEY_MAX];
    if (sku_key(k, sizeof(k), sku) || redis_key(ik, sizeof(ik), KEY_TIKTOK_SKU_ID_FMT, sku_id) ||
        redis_key(mk, sizeof(mk), KEY_TIKTOK_MAPPED))
        return -1;
    char *wh = jsonx_dump(warehouses);
    if (!wh)
        return -1;
    /* One transaction so a reader never sees half a mapping. */
    redisReply *rep = redis_cmd(r, "MULTI");
    int ok = rep && rep->type == REDIS_REPLY_STATUS;
    if (rep)
        freeReplyObject(rep);
    if (ok) {
        const char *cmds[][10] = {
            {"HSET", k, "product_id", product_id, "sku_id", sku_id, "warehouses", wh, NULL},
            {"SET", ik, sku, NULL},
            {"SADD", mk, sku, NULL},
        };
        for (size_t i = 0; i < 3; i++) {
            int argc = 0;
            while (cmds[i][argc])
                argc++;
            rep = redis_cmd_argv(r, argc, cmds[i], NULL);
            if (rep)
                freeReplyObject(rep);
        }
        rep = redis_cmd(r, "EXEC");
        ok = rep && rep->type == REDIS_REPLY_ARRAY;
        if (rep)
            freeReplyObject(rep);
    }
    free(wh);
    return ok ? 0 : -1;
}

int skumap_product_of(redis_conn_t *r, const char *sku, char *out, size_t cap)
{
    char k[KEY_MAX];
    out[0] = '\0';
    if (sku_key(k, sizeof(k), sku))
        return -1;
    /* Absent: out stays "". */
    return redis_get_str(r, out, cap, "HGET %s product_id", k) < 0 ? -1 : 0;
}

int skumap_product_get(redis_conn_t *r, const char *id, char *out, size_t cap)
{
    char k[KEY_MAX];
    if (redis_key(k, sizeof(k), KEY_TIKTOK_PRODUCT_FMT, id))
        return -1;
    return redis_get_str(r, out, cap, "GET %s", k);
}

int skumap_product_set(redis_conn_t *r, const char *id, const char *tiktok_product_id)
{
    char k[KEY_MAX];
    if (redis_key(k, sizeof(k), KEY_TIKTOK_PRODUCT_FMT, id))
        return -1;
    redisReply *rep = redis_cmd(r, "SET %s %s", k, tiktok_product_id);
    int ok = rep && rep->type == REDIS_REPLY_STATUS;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

int skumap_sku_for_id(redis_conn_t *r, const char *sku_id, char *out, size_t cap)
{
    char k[KEY_MAX];
    if (redis_key(k, sizeof(k), KEY_TIKTOK_SKU_ID_FMT, sku_id))
        return -1;
    return redis_get_str(r, out, cap, "GET %s", k);
}

int skumap_record_push(redis_conn_t *r, const char *sku, int ok, long long quantity, const char *error)
{
    char k[KEY_MAX], q[32], now[32];
    if (sku_key(k, sizeof(k), sku))
        return -1;
    snprintf(q, sizeof(q), "%lld", quantity);
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    redisReply *rep = ok ? redis_cmd(r, "HSET %s last_pushed_quantity %s last_pushed_at %s status synced error %s", k,
                                     q, now, "")
                         : redis_cmd(r, "HSET %s status error error %s", k, error ? error : "push failed");
    int good = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    return good ? 0 : -1;
}

/* 1 when sku is marked for a push that has not been sent yet. */
static int push_pending(redis_conn_t *r, const char *sku)
{
    char k[KEY_MAX];
    if (redis_key(k, sizeof(k), KEY_PUSH_DIRTY))
        return 0;
    redisReply *rep = redis_cmd(r, "HEXISTS %s %s", k, sku);
    int pending = rep && rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
    if (rep)
        freeReplyObject(rep);
    return pending;
}

json_t *skumap_describe(redis_conn_t *r, const char *sku)
{
    skumap_entry_t e;
    int rc = skumap_get(r, sku, &e);
    json_t *o;
    if (rc != 0) {
        o = json_pack("{s:s,s:n,s:n,s:n,s:n,s:o}", "status", e.status[0] && strcmp(e.status, "error") == 0 ? "error" : "not_synced",
                      "product_id", "sku_id", "last_pushed_quantity", "last_pushed_at", "error",
                      e.error[0] ? json_string(e.error) : json_null());
    } else {
        o = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}", "status", strcmp(e.status, "error") == 0 ? "error" : "synced",
                      "product_id", e.product_id, "sku_id", e.sku_id, "last_pushed_quantity",
                      e.last_pushed_quantity >= 0 ? json_integer(e.last_pushed_quantity) : json_null(),
                      "last_pushed_at", e.last_pushed_at ? json_integer(e.last_pushed_at) : json_null(), "error",
                      e.error[0] ? json_string(e.error) : json_null());
    }
    /* A change not on TikTok Shop yet: the last push does not show it. */
    if (o)
        json_object_set_new(o, "push_pending", json_boolean(push_pending(r, sku)));
    skumap_entry_free(&e);
    return o;
}

int skumap_all(redis_conn_t *r, json_t **out)
{
    char mk[KEY_MAX];
    *out = NULL;
    if (redis_key(mk, sizeof(mk), KEY_TIKTOK_MAPPED))
        return -1;
    redisReply *rep = redis_cmd(r, "SMEMBERS %s", mk);
    if (!rep)
        return -1;
    json_t *arr = json_array();
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++)
        json_array_append_new(arr, json_string(rep->element[i]->str));
    freeReplyObject(rep);
    *out = arr;
    return 0;
}

int skumap_clear(redis_conn_t *r)
{
    char pattern[KEY_MAX];
    const char *cursor = "0";
    char next[32];
    if (redis_key(pattern, sizeof(pattern), KEY_TIKTOK_ALL))
        return -1;
    /* SCAN rather than KEYS so a large catalog does not block Redis; the
     * connection hash is kept (the caller deletes it separately). */
    do {
        redisReply *rep = redis_cmd(r, "SCAN %s MATCH %s COUNT 500", cursor, pattern);
        if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
            if (rep)
                freeReplyObject(rep);
            return -1;
        }
        snprintf(next, sizeof(next), "%s", rep->element[0]->str);
        redisReply *keys = rep->element[1];
        for (size_t i = 0; i < keys->elements; i++) {
            const char *k = keys->element[i]->str;
            if (strstr(k, KEY_TIKTOK_CONNECTION) || strstr(k, KEY_TIKTOK_IMAGE_PREFIX) ||
                strstr(k, KEY_TIKTOK_LAST_SHOP_ID) || strstr(k, KEY_TIKTOK_FIRST_CONNECTED_AT))
                continue;
            redisReply *d = redis_cmd(r, "DEL %s", k);
            if (d)
                freeReplyObject(d);
        }
        freeReplyObject(rep);
        cursor = next;
    } while (strcmp(cursor, "0") != 0);
    return 0;
}
