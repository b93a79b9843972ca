/*
 * stock — atomic stock changes through one shared Lua function (see
 * lua_stock.h) and reads of the activity and oversell logs.
 */
#include "shopsync/stock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_stock.h"
#include "shopsync/keys.h"
#include "shopsync/jsonx.h"
#include "shopsync/util.h"

/* KEYS and ARGV: src/lua/stock_change.lua. */
static const redis_script_t change_script = {"stock_change", LUA_STOCK_PRELUDE LUA_SRC_STOCK_CHANGE};

/* KEYS and ARGV: src/lua/stock_change_once.lua. */
static const redis_script_t once_script = {"stock_change_once", LUA_STOCK_PRELUDE LUA_SRC_STOCK_CHANGE_ONCE};

/* KEYS and ARGV: src/lua/stock_hook_lag.lua. */
static const redis_script_t hook_lag_script = {"stock_hook_lag", LUA_SRC_STOCK_HOOK_LAG};

/* The largest webhook lag kept for this long before a smaller one
 * replaces it. */
#define HOOK_LAG_WINDOW_MS (10 * 60 * 1000)

/* KEYS and ARGV: src/lua/stock_view.lua. */
static const redis_script_t view_script = {"stock_view", LUA_STOCK_PRELUDE LUA_SRC_STOCK_VIEW};

int stock_shared_keys(char keys[STOCK_SHARED_KEYS][KEY_MAX])
{
    static const char *const names[STOCK_SHARED_KEYS] = {KEY_ACTIVITY, KEY_OVERSELLS, KEY_PUSH_DIRTY, KEY_STATS,
                                                         KEY_UNMATCHED, KEY_SETTINGS, KEY_ALLOC_SKUS};
    for (int i = 0; i < STOCK_SHARED_KEYS; i++)
        if (redis_key(keys[i], KEY_MAX, "%s", names[i]))
            return -1;
    return 0;
}

int stock_key(char *out, size_t cap, const char *sku)
{
    return redis_key(out, cap, KEY_STOCK_FMT, sku);
}

int stock_chan_key(char *out, size_t cap, const char *sku)
{
    return redis_key(out, cap, KEY_CHAN_FMT, sku);
}

/* One change; with key (may be NULL) applied at most once per key, and
 * *replayed set when an earlier call with the key had applied it. */
static stock_rc run_change(redis_conn_t *r, const char *sku, const char *mode,
                           long long n, const char *reason, const char *ref,
                           const char *key, stock_result_t *out, int *replayed, long long *available)
{
    char k_stock[KEY_MAX], k_chan[KEY_MAX], k_once[KEY_MAX];
    char shared[STOCK_SHARED_KEYS][KEY_MAX];
    const char *keys[3 + STOCK_SHARED_KEYS];
    char n_s[32], ts_s[32], ttl_s[16], fp[300];
    int nk = 0;

    memset(out, 0, sizeof(*out));
    if (stock_key(k_stock, sizeof(k_stock), sku) || stock_chan_key(k_chan, sizeof(k_chan), sku) ||
        (key && redis_key(k_once, sizeof(k_once), KEY_IDEMPOTENCY_STOCK_FMT, key)) ||
        stock_shared_keys(shared))
        return STOCK_INVALID;
    keys[nk++] = k_stock;
    keys[nk++] = k_chan;
    for (int i = 0; i < STOCK_SHARED_KEYS; i++)
        keys[nk++] = shared[i];
    if (key)
        keys[nk++] = k_once;
    snprintf(n_s, sizeof(n_s), "%lld", n);
    snprintf(ts_s, sizeof(ts_s), "%lld", util_now_ms());
    snprintf(ttl_s, sizeof(ttl_s), "%d", STOCK_IDEMPOTENCY_TTL_S);
    snprintf(fp, sizeof(fp), "%s %s %lld", sku, mode, n);
    const char *args[] = {sku, mode, n_s, reason, ref ? ref : "", ts_s, ttl_s, fp};
    redisReply *rep = key ? redis_eval(r, &once_script, nk, keys, 8, args, NULL)
                          : redis_eval(r, &change_script, nk, keys, 6, args, NULL);
    if (!rep)
        return STOCK_UNAVAILABLE;
    stock_rc rc = STOCK_UNAVAILABLE;
    if (rep->type == REDIS_REPLY_ERROR) {
        rc = redis_error_is(rep, "NOT_FOUND")    ? STOCK_NOT_FOUND
             : redis_error_is(rep, "KEY_REUSED") ? STOCK_KEY_REUSED
                                                 : STOCK_UNAVAILABLE;
        if (redis_error_is(rep, "SHORT") && available &&
            sscanf(redis_error_text(rep), "%lld", available) == 1)
            rc = STOCK_SHORT;
    } else if (rep->type == REDIS_REPLY_ARRAY && rep->elements == (key ? 4u : 3u)) {
        out->stock = rep->element[0]->integer;
        out->applied = rep->element[1]->integer;
        out->shortfall = rep->element[2]->integer;
        if (key)
            *replayed = rep->element[3]->integer == 1;
        rc = STOCK_OK;
    }
    freeReplyObject(rep);
    return rc;
}

/* The range checks of a change, before it is sent. */
static stock_rc check_change(redis_conn_t *r, const char *sku, int set, long long n)
{
    if (set)
        return n < 0 || n > STOCK_MAX ? STOCK_INVALID : STOCK_OK;
    if (n < -STOCK_MAX || n > STOCK_MAX)
        return STOCK_INVALID;
    long long cur = 0;
    /* Refuse an increment that would pass the maximum; the read is only a
     * guard, the script itself applies the change atomically. */
    if (n > 0) {
        stock_rc g = stock_get(r, sku, &cur);
        if (g != STOCK_OK)
            return g;
        if (cur + n > STOCK_MAX)
            return STOCK_INVALID;
    }
    return STOCK_OK;
}

stock_rc stock_adjust(redis_conn_t *r, const char *sku, long long delta,
                      const char *reason, const char *ref, stock_result_t *out)
{
    stock_rc c = check_change(r, sku, 0, delta);
    return c != STOCK_OK ? c : run_change(r, sku, "delta", delta, reason, ref, NULL, out, NULL, NULL);
}

stock_rc stock_set(redis_conn_t *r, const char *sku, long long value,
                   const char *reason, const char *ref, stock_result_t *out)
{
    stock_rc c = check_change(r, sku, 1, value);
    return c != STOCK_OK ? c : run_change(r, sku, "set", value, reason, ref, NULL, out, NULL, NULL);
}

stock_rc stock_change_once(redis_conn_t *r, const char *sku, int set, long long n, const char *reason,
                           const char *key, stock_result_t *out, int *replayed)
{
    char k_once[KEY_MAX];
    *replayed = 0;
    memset(out, 0, sizeof(*out));
    if (redis_key(k_once, sizeof(k_once), KEY_IDEMPOTENCY_STOCK_FMT, key))
        return STOCK_INVALID;
    /* A repeat is answered from its record whatever the stock is now (it
     * may sit at the maximum because of the first try, or the SKU may be
     * gone since); only a first try is range-checked. */
    redisReply *rep = redis_cmd(r, "EXISTS %s", k_once);
    if (!rep)
        return STOCK_UNAVAILABLE;
    int recorded = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
    freeReplyObject(rep);
    stock_rc c = recorded ? STOCK_OK : check_change(r, sku, set, n);
    return c != STOCK_OK ? c : run_change(r, sku, set ? "set" : "delta", n, reason, key, key, out, replayed, NULL);
}

stock_rc stock_take(redis_conn_t *r, const char *sku, long long delta, const char *key, const char *ref,
                    stock_result_t *out, int *replayed, long long *available)
{
    char k_once[KEY_MAX];
    *replayed = 0;
    *available = 0;
    memset(out, 0, sizeof(*out));
    if (delta >= 0 || delta < -STOCK_MAX || (key && redis_key(k_once, sizeof(k_once), KEY_IDEMPOTENCY_STOCK_FMT, key)))
        return STOCK_INVALID;
    return run_change(r, sku, "take", delta, "admin", key ? key : ref, key, out, replayed, available);
}

#define VIEW_CHUNK 256
#define VIEW_FIELDS 10

stock_rc stock_view_many(redis_conn_t *r, const char *const *skus, size_t n, stock_view_t *out)
{
    char (*k)[KEY_MAX] = NULL;
    const char **keys = NULL;
    stock_rc rc = STOCK_UNAVAILABLE;

    memset(out, 0, n * sizeof(*out));
    k = calloc(2 + 3 * VIEW_CHUNK, sizeof(*k));
    keys = calloc(2 + 3 * VIEW_CHUNK, sizeof(*keys));
    if (!k || !keys)
        goto out;
    if (redis_key(k[0], KEY_MAX, KEY_RULES_DEFAULT) || redis_key(k[1], KEY_MAX, KEY_SETTINGS)) {
        rc = STOCK_INVALID;
        goto out;
    }
    keys[0] = k[0];
    keys[1] = k[1];
    for (size_t done = 0; done < n;) {
        size_t m = n - done < VIEW_CHUNK ? n - done : VIEW_CHUNK;
        for (size_t i = 0; i < m; i++) {
            char *ks = k[2 + 3 * i], *kc = k[3 + 3 * i], *kr = k[4 + 3 * i];
            if (stock_key(ks, KEY_MAX, skus[done + i]) || stock_chan_key(kc, KEY_MAX, skus[done + i]) ||
                redis_key(kr, KEY_MAX, KEY_RULES_SKU_FMT, skus[done + i])) {
                rc = STOCK_INVALID;
                goto out;
            }
            keys[2 + 3 * i] = ks;
            keys[3 + 3 * i] = kc;
            keys[4 + 3 * i] = kr;
        }
        redisReply *rep = redis_eval(r, &view_script, 2 + 3 * (int)m, keys, 0, NULL, NULL);
        if (!rep)
            goto out;
        int ok = rep->type == REDIS_REPLY_ARRAY && rep->elements == VIEW_FIELDS * m;
        for (size_t i = 0; ok && i < m; i++) {
            redisReply **e = rep->element + VIEW_FIELDS * i;
            stock_view_t *v = &out[done + i];
            v->found = e[0]->integer >= 0;
            if (!v->found)
                continue;
            v->web = e[0]->integer;
            v->on_hand = e[1]->integer;
            v->allocated = e[2]->integer == 1;
            v->tiktok_share = e[3]->integer;
            v->reserved = e[4]->integer;
            v->settle_until_ms = e[5]->integer;
            v->pending = e[6]->integer;
            v->held = e[7]->integer;
            v->tiktok = e[8]->integer;
            v->sync = e[9]->integer == 1;
        }
        freeReplyObject(rep);
        if (!ok)
            goto out;
        done += m;
    }
    rc = STOCK_OK;
out:
    free(k);
    free(keys);
    return rc;
}

stock_rc stock_view(redis_conn_t *r, const char *sku, stock_view_t *out)
{
    stock_rc rc = stock_view_many(r, &sku, 1, out);
    return rc == STOCK_OK && !out->found ? STOCK_NOT_FOUND : rc;
}

int stock_absorb_pending(redis_conn_t *r, const char *sku, long long pending, long long sent, long long *left)
{
    char c[KEY_MAX];
    *left = 0;
    if (stock_chan_key(c, sizeof(c), sku))
        return -1;
    redisReply *rep = redis_cmd(r, "HINCRBY %s pend %lld", c, -pending);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (ok)
        *left = rep->integer;
    if (rep)
        freeReplyObject(rep);
    /* TikTok now shows sent: later pushes add to it what the projection
     * moves by (src/lua/push_plan.lua). */
    rep = ok ? redis_cmd(r, "HSET %s lp %lld tk 0", c, sent) : NULL;
    ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

void stock_view_json(const stock_view_t *v, json_t *obj)
{
    json_object_set_new(obj, "on_hand", json_integer(v->on_hand));
    json_object_set_new(obj, "available_web", json_integer(v->web));
    json_object_set_new(obj, "tiktok_share", v->allocated ? json_integer(v->tiktok_share) : json_null());
    json_object_set_new(obj, "reserved", json_integer(v->reserved));
    json_object_set_new(obj, "mode", json_string(v->allocated ? "allocated" : "normal"));
    json_object_set_new(obj, "held", json_integer(v->held));
    json_object_set_new(obj, "tiktok_shown", v->sync ? json_integer(v->tiktok) : json_null());
}

stock_rc stock_get(redis_conn_t *r, const char *sku, long long *out)
{
    stock_view_t v;
    stock_rc rc = stock_view(r, sku, &v);
    if (rc == STOCK_OK)
        *out = v.on_hand;
    return rc;
}

stock_rc stock_list_log(redis_conn_t *r, const char *which, int limit, json_t **out)
{
    char k[KEY_MAX];
    char err[128];
    *out = NULL;
    if (limit < 1)
        limit = 1;
    if (limit > 1000)
        limit = 1000;
    if (redis_key(k, sizeof(k), "%s", which))
        return STOCK_INVALID;
    redisReply *rep = redis_cmd(r, "LRANGE %s 0 %d", k, limit - 1);
    if (!rep)
        return STOCK_UNAVAILABLE;
    json_t *arr = json_array();
    if (rep->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < rep->elements; i++) {
            redisReply *e = rep->element[i];
            if (e->type != REDIS_REPLY_STRING)
                continue;
            json_t *v = jsonx_loadb(e->str, e->len, err, sizeof(err));
            if (v)
                json_array_append_new(arr, v);
        }
    }
    freeReplyObject(rep);
    *out = arr;
    return STOCK_OK;
}

void stock_note_hook_lag(redis_conn_t *r, long long lag_ms)
{
    /* What this process wrote last, and when: every intake thread shares
     * them, so 18k webhooks/s cost a few Redis calls a second. */
    static _Atomic long long written_lag = -1, written_at = 0;
    char k[KEY_MAX], lag_s[24], now_s[24], win_s[24];

    if (lag_ms < 0 || lag_ms > STOCK_HOOK_LAG_MAX_MS)
        return;
    long long now = util_now_ms();
    long long last = atomic_load(&written_lag), at = atomic_load(&written_at);
    /* A lag that keeps growing (a backlog of old notifications) must not
     * write on every webhook: only a jump of half a second does. */
    if (lag_ms <= last + 500 && now - at < 1000)
        return;
    if (!atomic_compare_exchange_strong(&written_at, &at, now))
        return; /* another thread writes now */
    atomic_store(&written_lag, lag_ms);
    if (redis_key(k, sizeof(k), "%s", KEY_SETTINGS))
        return;
    snprintf(lag_s, sizeof(lag_s), "%lld", lag_ms);
    snprintf(now_s, sizeof(now_s), "%lld", now);
    snprintf(win_s, sizeof(win_s), "%d", HOOK_LAG_WINDOW_MS);
    const char *keys[] = {k};
    const char *args[] = {lag_s, now_s, win_s};
    /* Best effort: a lost note only leaves the settle at its configured
     * length until the next one. */
    freeReplyObject(redis_eval(r, &hook_lag_script, 1, keys, 3, args, NULL));
}
