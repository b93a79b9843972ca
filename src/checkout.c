/*
 * checkout — Stripe checkout sessions applied once (see checkout.h).
 */
#include "shopsync/checkout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_stock.h"
#include "shopsync/catalog.h"
#include "shopsync/jsonx.h"
#include "shopsync/log.h"
#include "shopsync/stock.h"

#define LEDGER_TTL_S (90 * 86400)
#define MAX_SESSION_SKUS 200

/* KEYS: 1 ledger, 2 activity, 3 oversells, 4 dirty, 5 stats, 6 unmatched,
 * 7.. stock keys for ARGV[3].units. ARGV: 1 session id, 2 ts, 3 JSON
 * {"units":[[sku,n]],"unmatched":[...]}, 4 ttl. */
static const redis_script_t apply_script = {
    "checkout_apply",
    LUA_STOCK_PRELUDE
    "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end\n"
    "local req = cjson.decode(ARGV[3])\n"
    "local ts = tonumber(ARGV[2])\n"
    "for i, u in ipairs(req.units) do\n"
    "  local r = stock_change(KEYS[6 + i], u[1], 'delta', -u[2], 'stripe_checkout', ARGV[1], ts, KEYS[2], KEYS[3], KEYS[4], KEYS[5])\n"
    "  if not r then\n"
    "    record_unmatched(KEYS[6], {source='stripe', ref=ARGV[1], sku=u[1], quantity=u[2]}, ts)\n"
    "  end\n"
    "end\n"
    "for _, m in ipairs(req.unmatched) do record_unmatched(KEYS[6], m, ts) end\n"
    "redis.call('SET', KEYS[1], ts, 'EX', ARGV[4])\n"
    "return 1\n"};

event_rc checkout_apply(redis_conn_t *r, const char *session_id, const stripe_line_t *lines,
                        size_t n, int *applied, char *err, size_t errlen)
{
    char ledger[STOCK_KEY_MAX];
    char shared[STOCK_SHARED_KEYS][STOCK_KEY_MAX];
    char (*sk)[300] = NULL;
    const char **keys = NULL;
    const char **skus = NULL;
    long long *qty = NULL;
    size_t m = 0;
    json_t *units = json_array(), *unmatched = json_array(), *req = NULL;
    char *text = NULL;
    event_rc rc = EVENT_UNAVAILABLE;

    *applied = 0;
    sk = calloc(MAX_SESSION_SKUS, sizeof(*sk));
    keys = calloc(6 + MAX_SESSION_SKUS, sizeof(char *));
    skus = calloc(MAX_SESSION_SKUS, sizeof(char *));
    qty = calloc(MAX_SESSION_SKUS, sizeof(long long));
    if (!sk || !keys || !skus || !qty)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const stripe_line_t *l = &lines[i];
        if (l->quantity <= 0)
            continue;
        if (!l->sku[0] || !catalog_valid_id(l->sku)) {
            json_array_append_new(unmatched, json_pack("{s:s,s:s,s:s,s:s,s:I}", "source", "stripe", "ref", session_id,
                                                       "sku", l->sku, "sku_id", l->price_id, "quantity",
                                                       (json_int_t)l->quantity));
            continue;
        }
        size_t k;
        for (k = 0; k < m && strcmp(skus[k], l->sku) != 0; k++)
            ;
        if (k == m) {
            if (m == MAX_SESSION_SKUS) {
                snprintf(err, errlen, "checkout session %s has more than %d distinct SKUs", session_id, MAX_SESSION_SKUS);
                rc = EVENT_PERMANENT;
                goto out;
            }
            skus[m++] = l->sku;
        }
        qty[k] += l->quantity;
    }
    redis_key(ledger, sizeof(ledger), "checkout:stripe:%s", session_id);
    stock_shared_keys(shared);
    keys[0] = ledger;
    for (int i = 0; i < STOCK_SHARED_KEYS; i++)
        keys[1 + i] = shared[i];
    for (size_t k = 0; k < m; k++) {
        stock_key(sk[k], 300, skus[k]);
        keys[6 + k] = sk[k];
        json_array_append_new(units, json_pack("[s,I]", skus[k], (json_int_t)qty[k]));
    }
    req = json_pack("{s:O,s:O}", "units", units, "unmatched", unmatched);
    text = jsonx_dump(req);
    char ts[32], ttl[32];
    snprintf(ts, sizeof(ts), "%lld", stock_now_ms());
    snprintf(ttl, sizeof(ttl), "%d", LEDGER_TTL_S);
    const char *args[] = {session_id, ts, text ? text : "{}", ttl};
    redisReply *rep = redis_eval(r, &apply_script, 6 + (int)m, keys, 4, args, NULL);
    if (!rep)
        goto out;
    if (rep->type == REDIS_REPLY_INTEGER) {
        *applied = rep->integer == 1;
        rc = EVENT_DONE;
    } else {
        snprintf(err, errlen, "checkout script failed: %s", rep->type == REDIS_REPLY_ERROR ? rep->str : "bad reply");
        rc = EVENT_RETRY;
    }
    freeReplyObject(rep);
out:
    free(sk);
    free(keys);
    free(skus);
    free(qty);
    json_decref(units);
    json_decref(unmatched);
    json_decref(req);
    free(text);
    return rc;
}

event_rc checkout_handle_event(const config_t *cfg, redis_conn_t *r, const char *body, size_t len,
                               char *err, size_t errlen)
{
    stripe_event_t ev;
    stripe_line_t *lines = NULL;
    size_t n = 0;
    if (stripe_parse_event(body, len, &ev, err, errlen) != 0)
        return EVENT_PERMANENT;
    if (!ev.applies) {
        log_event(LOG_DEBUG, "stripe_event_ignored", json_pack("{s:s,s:s}", "event_id", ev.id, "type", ev.type));
        return EVENT_DONE;
    }
    if (!cfg->stripe_secret_key[0]) {
        snprintf(err, errlen, "STRIPE_SECRET_KEY is not set, so line items of %s cannot be read", ev.session_id);
        return EVENT_RETRY;
    }
    stripe_config_t sc = {cfg->stripe_api_base, cfg->stripe_secret_key, 0};
    int f = stripe_fetch_line_items(&sc, ev.session_id, &lines, &n, err, errlen);
    if (f != STRIPE_FETCH_OK)
        return f == STRIPE_FETCH_RETRYABLE ? EVENT_RETRY : EVENT_PERMANENT;
    int applied = 0;
    event_rc rc = checkout_apply(r, ev.session_id, lines, n, &applied, err, errlen);
    if (rc == EVENT_DONE)
        log_event(LOG_INFO, "stripe_checkout", json_pack("{s:s,s:s,s:b,s:I}", "event_id", ev.id, "session_id",
                                                         ev.session_id, "applied", applied, "lines", (json_int_t)n));
    stripe_lines_free(lines, n);
    return rc;
}
