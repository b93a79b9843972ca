/*
 * holds — checkout holds (see holds.h).
 */
#include "shopsync/holds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_stock.h"
#include "shopsync/crypto.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/stock.h"
#include "shopsync/util.h"

/* KEYS and ARGV: src/lua/hold_create.lua and hold_end.lua. */
static const redis_script_t create_script = {"hold_create", LUA_STOCK_PRELUDE LUA_SRC_HOLD_CREATE};
static const redis_script_t end_script = {"hold_end", LUA_STOCK_PRELUDE LUA_SRC_HOLD_END};

int holds_valid_id(const char *id)
{
    size_t n = strlen(id);
    return n >= 1 && n < HOLDS_ID_MAX &&
           strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* The keys of a hold script: the hold, the expiry index, the shared keys,
 * then stock and channel keys of n SKUs (borrowed strings). */
typedef struct hold_keys {
    char fixed[2 + STOCK_SHARED_KEYS][KEY_MAX];
    char (*sku)[KEY_MAX]; /* owned, 2 per SKU */
    const char **keys;    /* owned, borrowed pointers */
    int n;
} hold_keys_t;

static void hold_keys_free(hold_keys_t *k)
{
    free(k->sku);
    free(k->keys);
    k->sku = NULL;
    k->keys = NULL;
}

/* Build k for hold id and the SKUs of items (a JSON array of [sku, n],
 * borrowed). Returns 0, or -1 (a key that does not fit, no memory). */
static int hold_keys(hold_keys_t *k, const char *id, const json_t *items)
{
    size_t n = json_array_size(items);
    char shared[STOCK_SHARED_KEYS][KEY_MAX];
    memset(k, 0, sizeof(*k));
    k->sku = calloc(2 * n + 1, sizeof(*k->sku));
    k->keys = calloc(2 + STOCK_SHARED_KEYS + 2 * n, sizeof(*k->keys));
    if (!k->sku || !k->keys || redis_key(k->fixed[0], KEY_MAX, KEY_HOLD_FMT, id) ||
        redis_key(k->fixed[1], KEY_MAX, KEY_HOLDS_EXPIRY) || stock_shared_keys(shared))
        goto fail;
    for (int i = 0; i < STOCK_SHARED_KEYS; i++)
        memcpy(k->fixed[2 + i], shared[i], KEY_MAX);
    for (int i = 0; i < 2 + STOCK_SHARED_KEYS; i++)
        k->keys[i] = k->fixed[i];
    for (size_t i = 0; i < n; i++) {
        const char *sku = json_string_value(json_array_get(json_array_get(items, i), 0));
        if (!sku || stock_key(k->sku[2 * i], KEY_MAX, sku) || stock_chan_key(k->sku[2 * i + 1], KEY_MAX, sku))
            goto fail;
        k->keys[2 + STOCK_SHARED_KEYS + 2 * i] = k->sku[2 * i];
        k->keys[3 + STOCK_SHARED_KEYS + 2 * i] = k->sku[2 * i + 1];
    }
    k->n = 2 + STOCK_SHARED_KEYS + 2 * (int)n;
    return 0;
fail:
    hold_keys_free(k);
    return -1;
}

holds_rc holds_create(redis_conn_t *r, const holds_item_t *items, size_t n, int ttl_s, char id[HOLDS_ID_MAX],
                      long long *expires_at, char *sku, size_t cap, long long *available)
{
    hold_keys_t k;
    json_t *arr = json_array();
    char *text = NULL;
    char hex[33], now_s[32], exp_s[32];
    holds_rc rc = HOLDS_UNAVAILABLE;

    *expires_at = 0;
    *available = 0;
    sku[0] = '\0';
    memset(&k, 0, sizeof(k));
    if (n == 0 || n > HOLDS_MAX_ITEMS || ttl_s < HOLDS_TTL_MIN_S || ttl_s > HOLDS_TTL_MAX_S ||
        crypto_random_hex(16, hex) != 0) {
        rc = HOLDS_INVALID;
        goto out;
    }
    snprintf(id, HOLDS_ID_MAX, "hold_%s", hex);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("[s,I]", items[i].sku, (json_int_t)items[i].quantity));
    text = jsonx_dump(arr);
    if (!text || hold_keys(&k, id, arr) != 0) {
        rc = HOLDS_INVALID;
        goto out;
    }
    long long now = util_now_ms();
    long long exp = now + (long long)ttl_s * 1000;
    snprintf(now_s, sizeof(now_s), "%lld", now);
    snprintf(exp_s, sizeof(exp_s), "%lld", exp);
    const char *args[] = {id, now_s, exp_s, text};
    redisReply *rep = redis_eval(r, &create_script, k.n, k.keys, 4, args, NULL);
    if (!rep)
        goto out;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 1 && rep->element[0]->type == REDIS_REPLY_STRING) {
        const char *what = rep->element[0]->str;
        if (strcmp(what, "ok") == 0) {
            *expires_at = exp / 1000;
            rc = HOLDS_OK;
        } else if (rep->elements >= 2) {
            snprintf(sku, cap, "%s", rep->element[1]->str);
            rc = strcmp(what, "short") == 0 ? HOLDS_SHORT : HOLDS_UNKNOWN_SKU;
            if (rc == HOLDS_SHORT && rep->elements == 3)
                *available = rep->element[2]->integer;
        }
    }
    freeReplyObject(rep);
out:
    hold_keys_free(&k);
    json_decref(arr);
    free(text);
    return rc;
}

holds_rc holds_items(redis_conn_t *r, const char *id, json_t **out)
{
    char k[KEY_MAX], jerr[128];
    *out = NULL;
    if (!holds_valid_id(id) || redis_key(k, sizeof(k), KEY_HOLD_FMT, id))
        return HOLDS_NOT_FOUND;
    redisReply *rep = redis_cmd(r, "HGET %s items", k);
    if (!rep)
        return HOLDS_UNAVAILABLE;
    if (rep->type == REDIS_REPLY_STRING)
        *out = jsonx_loadb(rep->str, rep->len, jerr, sizeof(jerr));
    freeReplyObject(rep);
    return json_is_array(*out) ? HOLDS_OK : HOLDS_NOT_FOUND;
}

holds_rc holds_end(redis_conn_t *r, const char *id, const char *state, char *state_out, size_t cap, int *ended)
{
    hold_keys_t k;
    json_t *items = NULL;
    char now_s[32], ttl_s[32];
    holds_rc rc;

    *ended = 0;
    state_out[0] = '\0';
    memset(&k, 0, sizeof(k));
    rc = holds_items(r, id, &items);
    if (rc != HOLDS_OK)
        goto out;
    /* The items never change once held: the keys read here are the
     * script's. */
    if (hold_keys(&k, id, items) != 0) {
        rc = HOLDS_INVALID;
        goto out;
    }
    snprintf(now_s, sizeof(now_s), "%lld", util_now_ms());
    snprintf(ttl_s, sizeof(ttl_s), "%d", HOLDS_ENDED_TTL_S);
    const char *args[] = {id, state, now_s, ttl_s};
    redisReply *rep = redis_eval(r, &end_script, k.n, k.keys, 4, args, NULL);
    rc = HOLDS_UNAVAILABLE;
    if (!rep)
        goto out;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 && rep->element[0]->type == REDIS_REPLY_STRING) {
        snprintf(state_out, cap, "%s", rep->element[0]->str);
        *ended = rep->element[1]->integer == 1;
        rc = HOLDS_OK;
    } else if (redis_error_is(rep, "NOT_FOUND")) {
        rc = HOLDS_NOT_FOUND;
    }
    freeReplyObject(rep);
out:
    hold_keys_free(&k);
    json_decref(items);
    return rc;
}

int holds_expire_due(redis_conn_t *r, int max, long long *n)
{
    char k[KEY_MAX];
    *n = 0;
    if (redis_key(k, sizeof(k), KEY_HOLDS_EXPIRY))
        return -1;
    redisReply *rep = redis_cmd(r, "ZRANGEBYSCORE %s -inf %lld LIMIT 0 %d", k, util_now_ms(), max);
    if (!rep)
        return -1;
    int rc = 0;
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        char state[16];
        int ended = 0;
        const char *id = rep->element[i]->str;
        holds_rc h = holds_end(r, id, "expired", state, sizeof(state), &ended);
        if (h == HOLDS_UNAVAILABLE) {
            rc = -1;
            break;
        }
        if (h == HOLDS_NOT_FOUND || h == HOLDS_INVALID) {
            /* An index entry without its hold: nothing to give back. */
            redisReply *z = redis_cmd(r, "ZREM %s %s", k, id);
            if (z)
                freeReplyObject(z);
        }
        *n += ended;
    }
    freeReplyObject(rep);
    return rc;
}

holds_rc holds_get(redis_conn_t *r, const char *id, json_t **out)
{
    char k[KEY_MAX], state[16], jerr[128];
    int ended = 0;
    json_t *items = NULL;
    *out = NULL;
    if (!holds_valid_id(id) || redis_key(k, sizeof(k), KEY_HOLD_FMT, id))
        return HOLDS_NOT_FOUND;
    /* A hold whose time has come reads as expired even before the sweep. */
    holds_rc rc = holds_end(r, id, "expired", state, sizeof(state), &ended);
    if (rc != HOLDS_OK)
        return rc;
    redisReply *rep = redis_cmd(r, "HMGET %s state items created_at expires_at ended_at", k);
    if (!rep)
        return HOLDS_UNAVAILABLE;
    rc = HOLDS_NOT_FOUND;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 5 && rep->element[0]->type == REDIS_REPLY_STRING &&
        rep->element[1]->type == REDIS_REPLY_STRING) {
        json_t *raw = jsonx_loadb(rep->element[1]->str, rep->element[1]->len, jerr, sizeof(jerr));
        items = json_array();
        size_t i;
        json_t *it;
        json_array_foreach(raw, i, it) json_array_append_new(
            items, json_pack("{s:O,s:O}", "sku", json_array_get(it, 0), "quantity", json_array_get(it, 1)));
        json_decref(raw);
        long long created = rep->element[2]->str ? strtoll(rep->element[2]->str, NULL, 10) : 0;
        long long expires = rep->element[3]->str ? strtoll(rep->element[3]->str, NULL, 10) : 0;
        *out = json_pack("{s:s,s:s,s:I,s:I,s:o}", "hold_id", id, "state", rep->element[0]->str, "created_at",
                         (json_int_t)(created / 1000), "expires_at", (json_int_t)(expires / 1000), "items", items);
        if (rep->element[4]->type == REDIS_REPLY_STRING)
            json_object_set_new(*out, "ended_at", json_integer(strtoll(rep->element[4]->str, NULL, 10) / 1000));
        rc = HOLDS_OK;
    }
    freeReplyObject(rep);
    return rc;
}
