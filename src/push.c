/*
 * push — coalesced per-SKU inventory pushes to TikTok Shop (see push.h).
 */
#include "shopsync/push.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shopsync/crypto.h"
#include "shopsync/log.h"
#include "shopsync/metrics.h"
#include "shopsync/skumap.h"
#include "shopsync/stock.h"

#define LOCK_MS 60000
#define MAX_WAREHOUSES 16

/* KEYS: 1 dirty. ARGV: sku, version read before the push. */
static const redis_script_t clear_script = {
    "push_clear",
    "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end\n"
    "return 0\n"};

static const redis_script_t unlock_script = {
    "push_unlock",
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
    "return 0\n"};

static void ignore(redisReply *rep)
{
    if (rep)
        freeReplyObject(rep);
}

int push_mark(redis_conn_t *r, const char *sku)
{
    char dirty[128];
    redis_key(dirty, sizeof(dirty), "push:dirty");
    redisReply *rep = redis_cmd(r, "HINCRBY %s %s 1", dirty, sku);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    ignore(rep);
    return ok ? 0 : -1;
}

static void clear_dirty(redis_conn_t *r, const char *dirty, const char *sku, const char *version)
{
    const char *k[] = {dirty};
    const char *a[] = {sku, version};
    ignore(redis_eval(r, &clear_script, 1, k, 2, a, NULL));
}

push_rc push_sku(const config_t *cfg, redis_conn_t *r, connection_t *conn, const char *sku, int force)
{
    char dirty[128], lock[300], last[300], owner[33], version[32] = "0";
    skumap_entry_t map;
    push_rc rc = PUSH_NOTHING;
    long long now = stock_now_ms();

    memset(&map, 0, sizeof(map));
    redis_key(dirty, sizeof(dirty), "push:dirty");
    redis_key(lock, sizeof(lock), "push:lock:%s", sku);
    redis_key(last, sizeof(last), "push:last:%s", sku);
    if (crypto_random_hex(16, owner) != 0)
        return PUSH_UNAVAILABLE;
    redisReply *rep = redis_cmd(r, "SET %s %s NX PX %d", lock, owner, LOCK_MS);
    if (!rep)
        return PUSH_UNAVAILABLE;
    int got = rep->type == REDIS_REPLY_STATUS;
    freeReplyObject(rep);
    if (!got)
        return PUSH_NOTHING;

    rep = redis_cmd(r, "HGET %s %s", dirty, sku);
    if (!rep) {
        rc = PUSH_UNAVAILABLE;
        goto unlock;
    }
    int is_dirty = rep->type == REDIS_REPLY_STRING;
    if (is_dirty)
        snprintf(version, sizeof(version), "%s", rep->str);
    freeReplyObject(rep);
    if (!is_dirty && !force)
        goto unlock;
    if (!force && cfg->push_interval_ms > 0) {
        rep = redis_cmd(r, "GET %s", last);
        long long prev = rep && rep->type == REDIS_REPLY_STRING ? strtoll(rep->str, NULL, 10) : 0;
        ignore(rep);
        /* Too soon after the last push: leave it dirty; the next pass sends
         * whatever the stock is by then, which is how bursts coalesce. */
        if (now - prev < cfg->push_interval_ms)
            goto unlock;
    }
    int m = skumap_get(r, sku, &map);
    if (m < 0) {
        rc = PUSH_UNAVAILABLE;
        goto unlock;
    }
    if (m == 1) {
        metrics_add(M_PUSHES_SKIPPED, 1);
        log_event(LOG_INFO, "push_skipped", json_pack("{s:s,s:s}", "sku", sku, "reason", "not on TikTok Shop yet: run Sync All Products"));
        clear_dirty(r, dirty, sku, version);
        rc = PUSH_SKIPPED;
        goto unlock;
    }
    if (!connection_is_connected(conn)) {
        rc = PUSH_NOT_CONNECTED;
        goto unlock;
    }
    long long stock = 0;
    stock_rc s = stock_get(r, sku, &stock);
    if (s == STOCK_NOT_FOUND) {
        clear_dirty(r, dirty, sku, version);
        goto unlock;
    }
    if (s != STOCK_OK) {
        rc = PUSH_UNAVAILABLE;
        goto unlock;
    }
    long long q = stock - cfg->stock_buffer;
    if (q < 0)
        q = 0;
    tiktok_stock_t inv[MAX_WAREHOUSES];
    size_t n_inv = 0;
    size_t n_wh = json_array_size(map.warehouses);
    for (size_t i = 0; i < n_wh && n_inv < MAX_WAREHOUSES; i++) {
        inv[n_inv].warehouse_id = json_string_value(json_array_get(map.warehouses, i));
        /* The whole projection goes to the first warehouse; others are
         * listed with 0 because Update Inventory wants every warehouse. */
        inv[n_inv].quantity = n_inv == 0 ? q : 0;
        n_inv++;
    }
    if (n_inv == 0) {
        skumap_record_push(r, sku, 0, 0, "no warehouse recorded for this SKU: run Sync All Products");
        clear_dirty(r, dirty, sku, version);
        rc = PUSH_FAILED;
        goto unlock;
    }
    tiktok_sku_stock_t one = {map.sku_id, inv, n_inv};
    tiktok_sku_errors_t errs;
    tiktok_result_t res;
    memset(&errs, 0, sizeof(errs));
    int ok = tiktok_update_inventory(connection_client(conn), map.product_id, &one, 1, &errs, &res) == 0;
    char stamp[32];
    snprintf(stamp, sizeof(stamp), "%lld", now);
    ignore(redis_cmd(r, "SET %s %s PX 3600000", last, stamp));
    if (ok) {
        skumap_record_push(r, sku, 1, q, NULL);
        clear_dirty(r, dirty, sku, version);
        metrics_add(M_PUSHES_SENT, 1);
        log_event(LOG_DEBUG, "push_sent", json_pack("{s:s,s:I}", "sku", sku, "quantity", (json_int_t)q));
        rc = PUSH_SENT;
    } else if (res.kind == TIKTOK_PERMANENT || res.kind == TIKTOK_REAUTH) {
        char why[700];
        snprintf(why, sizeof(why), "TikTok Shop refused the stock update: %s",
                 errs.n ? errs.items[0].message : res.message);
        skumap_record_push(r, sku, 0, 0, why);
        metrics_add(M_PUSHES_FAILED, 1);
        log_event(LOG_WARN, "push_failed", json_pack("{s:s,s:s}", "sku", sku, "error", why));
        /* A refused push will not pass by repetition; the mark stays only
         * while the shop needs re-authorization. */
        if (res.kind == TIKTOK_PERMANENT)
            clear_dirty(r, dirty, sku, version);
        rc = PUSH_FAILED;
    } else {
        metrics_add(M_PUSHES_RETRIED, 1);
        log_event(LOG_WARN, "push_retry", json_pack("{s:s,s:s}", "sku", sku, "error", res.message));
        rc = PUSH_RETRY;
    }
    tiktok_sku_errors_free(&errs);
    tiktok_result_free(&res);
unlock:
    skumap_entry_free(&map);
    {
        const char *k[] = {lock};
        const char *a[] = {owner};
        ignore(redis_eval(r, &unlock_script, 1, k, 1, a, NULL));
    }
    return rc;
}

int push_pass(const config_t *cfg, redis_conn_t *r, connection_t *conn, int *sent)
{
    char dirty[128];
    *sent = 0;
    redis_key(dirty, sizeof(dirty), "push:dirty");
    redisReply *rep = redis_cmd(r, "HKEYS %s", dirty);
    if (!rep)
        return -1;
    int not_connected = 0;
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        push_rc p = push_sku(cfg, r, conn, rep->element[i]->str, 0);
        if (p == PUSH_SENT)
            (*sent)++;
        else if (p == PUSH_NOT_CONNECTED)
            not_connected = 1;
        else if (p == PUSH_UNAVAILABLE) {
            freeReplyObject(rep);
            return -1;
        }
    }
    freeReplyObject(rep);
    return not_connected ? 1 : 0;
}
