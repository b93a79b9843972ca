/*
 * stock_admin — a seller's decrement that may not go below 0, checked and
 * applied in one script (see stock_admin.h).
 */
#include "shopsync/stock_admin.h"

#include <stdio.h>
#include <string.h>

#include "lua_stock.h"

/* KEYS: 1 stock, 2 activity, 3 oversells, 4 dirty, 5 stats, 6 idempotency
 * record (only when ARGV[9] is '1'). ARGV: 1 sku, 2 'delta', 3 n (< 0),
 * 4 reason, 5 ref, 6 ts, 7 record ttl, 8 fingerprint, 9 keyed. The record
 * is the one stock_change_once writes, so a key means the same edit through
 * either. */
static const redis_script_t decrement_script = {
    "stock_admin_decrement",
    LUA_STOCK_PRELUDE
    "local keyed = ARGV[9] == '1'\n"
    "if keyed then\n"
    "  local prev = redis.call('GET', KEYS[6])\n"
    "  if prev then\n"
    "    local p = cjson.decode(prev)\n"
    "    if p.fp ~= ARGV[8] then return redis.error_reply('KEY_REUSED') end\n"
    "    return {p.stock, p.applied, p.shortfall, 1}\n"
    "  end\n"
    "end\n"
    "local cur = redis.call('GET', KEYS[1])\n"
    "if not cur then return redis.error_reply('NOT_FOUND') end\n"
    "if tonumber(cur) + tonumber(ARGV[3]) < 0 then return redis.error_reply('SHORT ' .. cur) end\n"
    "local r = stock_change(KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5],\n"
    "                       tonumber(ARGV[6]), KEYS[2], KEYS[3], KEYS[4], KEYS[5])\n"
    "if keyed then\n"
    "  redis.call('SET', KEYS[6], cjson.encode({fp=ARGV[8], stock=r[1], applied=r[2], shortfall=r[3]}), 'EX', ARGV[7])\n"
    "end\n"
    "return {r[1], r[2], r[3], 0}\n"};

stock_admin_rc stock_admin_decrement(redis_conn_t *r, const char *sku, long long delta, const char *key,
                                     const char *ref, stock_result_t *out, int *replayed, long long *available)
{
    char shared[STOCK_SHARED_KEYS][STOCK_KEY_MAX];
    char k_stock[STOCK_KEY_MAX], k_once[160] = "";
    char n_s[32], ts_s[32], ttl_s[16], fp[300];

    memset(out, 0, sizeof(*out));
    *replayed = 0;
    *available = 0;
    if (delta >= 0 || delta < -STOCK_MAX)
        return STOCK_ADMIN_INVALID;
    if (stock_key(k_stock, sizeof(k_stock), sku) ||
        (key && redis_key(k_once, sizeof(k_once), "idempotency:stock:%s", key)))
        return STOCK_ADMIN_INVALID;
    stock_shared_keys(shared);
    snprintf(n_s, sizeof(n_s), "%lld", delta);
    snprintf(ts_s, sizeof(ts_s), "%lld", stock_now_ms());
    snprintf(ttl_s, sizeof(ttl_s), "%d", STOCK_IDEMPOTENCY_TTL_S);
    /* stock_change_once's fingerprint of the same change. */
    snprintf(fp, sizeof(fp), "%s %s %lld", sku, "delta", delta);
    /* KEYS order of stock_change: stock, activity, oversells, dirty, stats. */
    const char *keys[] = {k_stock, shared[0], shared[1], shared[2], shared[3], k_once};
    const char *args[] = {sku, "delta", n_s, "admin", key ? key : (ref ? ref : ""), ts_s, ttl_s, fp, key ? "1" : "0"};
    redisReply *rep = redis_eval(r, &decrement_script, key ? 6 : 5, keys, 9, args, NULL);
    if (!rep)
        return STOCK_ADMIN_UNAVAILABLE;
    stock_admin_rc rc = STOCK_ADMIN_UNAVAILABLE;
    if (rep->type == REDIS_REPLY_ERROR) {
        if (redis_error_is(rep, "NOT_FOUND"))
            rc = STOCK_ADMIN_NOT_FOUND;
        else if (redis_error_is(rep, "KEY_REUSED"))
            rc = STOCK_ADMIN_KEY_REUSED;
        else if (redis_error_is(rep, "SHORT") && sscanf(redis_error_text(rep), "%lld", available) == 1)
            rc = STOCK_ADMIN_SHORT;
    } else if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 4) {
        out->stock = rep->element[0]->integer;
        out->applied = rep->element[1]->integer;
        out->shortfall = rep->element[2]->integer;
        *replayed = rep->element[3]->integer == 1;
        rc = STOCK_ADMIN_OK;
    }
    freeReplyObject(rep);
    return rc;
}
