/*
 * revenue — website and TikTok Shop sales per day and currency, each sale
 * counted once; the Search Orders backfill (see revenue.h).
 */
#include "shopsync/revenue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lua_scripts.h"
#include "shopsync/connection.h"
#include "shopsync/day.h"
#include "shopsync/instance.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"
#include "shopsync/money.h"

/* A report reaches 366 days back; counts outlive it a little. */
#define TTL_S (400 * 86400)
#define LOCK_TTL_S 300
#define PAGE_SIZE 100
/* 100,000 pages of 100 orders: a guard against a page token that loops. */
#define MAX_PAGES 100000

/* KEYS and ARGV: src/lua/revenue_web.lua, revenue_order.lua. */
static const redis_script_t web_script = {"revenue_web", LUA_SRC_REVENUE_WEB};
static const redis_script_t order_script = {"revenue_order", LUA_SRC_REVENUE_ORDER};

int revenue_stripe_sale(redis_conn_t *r, const json_t *obj, const char *session_id, long long created_fallback)
{
    char cur[4], mk[KEY_MAX], dk[KEY_MAX], d[DAY_TEXT_MAX], amt[32], ttl[32];
    const json_t *total = json_object_get(obj, "amount_total");
    const json_t *created = json_object_get(obj, "created");
    int rc = 0;
    if (!json_is_integer(total) || json_integer_value(total) < 0 ||
        money_currency_code(json_string_value(json_object_get(obj, "currency")), cur) != 0) {
        log_event(LOG_WARN, "revenue_stripe_skipped",
                  json_pack("{s:s,s:s}", "session_id", session_id, "reason", "no amount_total or currency"));
        goto out;
    }
    long long t = json_is_integer(created) ? json_integer_value(created)
                  : created_fallback > 0   ? created_fallback
                                           : (long long)time(NULL);
    day_format(day_of_unix(t), d);
    snprintf(amt, sizeof(amt), "%lld", (long long)json_integer_value(total));
    snprintf(ttl, sizeof(ttl), "%d", TTL_S);
    rc = -1;
    if (redis_key(mk, sizeof(mk), KEY_REVENUE_WEB_FMT, session_id) || redis_key(dk, sizeof(dk), KEY_REVENUE_DAY_FMT, d))
        goto out;
    const char *keys[] = {mk, dk};
    const char *args[] = {cur, amt, ttl};
    redisReply *rep = redis_eval(r, &web_script, 2, keys, 3, args, NULL);
    rc = rep && rep->type == REDIS_REPLY_INTEGER ? 0 : -1;
    if (rep)
        freeReplyObject(rep);
out:
    return rc;
}

int revenue_record_order(redis_conn_t *r, const tiktok_order_t *o)
{
    char cur[4], mk[KEY_MAX], dk[KEY_MAX], d[DAY_TEXT_MAX], amt[32], ttl[32];
    long long minor = 0;
    if (strcmp(o->status, "UNPAID") == 0)
        return 0;
    if (money_currency_code(o->currency, cur) != 0 || money_parse(o->total_amount, money_decimals(cur), &minor) != 0 ||
        o->create_time <= 0) {
        log_event(LOG_WARN, "revenue_order_skipped",
                  json_pack("{s:s,s:s}", "order_id", o->id, "reason", "no payment.currency, payment.total_amount or "
                                                                      "create_time"));
        return 0;
    }
    day_format(day_of_unix(o->create_time), d);
    snprintf(amt, sizeof(amt), "%lld", minor);
    snprintf(ttl, sizeof(ttl), "%d", TTL_S);
    if (redis_key(mk, sizeof(mk), KEY_REVENUE_TTS_FMT, o->id) || redis_key(dk, sizeof(dk), KEY_REVENUE_DAY_FMT, d))
        return -1;
    const char *keys[] = {mk, dk};
    const char *args[] = {strcmp(o->status, "CANCELLED") == 0 ? "cancelled" : "live", cur, amt, ttl, d};
    redisReply *rep = redis_eval(r, &order_script, 2, keys, 5, args, NULL);
    int rc = rep && rep->type == REDIS_REPLY_INTEGER ? 0 : -1;
    if (rep)
        freeReplyObject(rep);
    return rc;
}

/* ---- backfill ----------------------------------------------------------- */

static int hset_argv(redis_conn_t *r, int argc, const char **argv)
{
    redisReply *rep = redis_cmd_argv(r, argc, argv, NULL);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

int revenue_backfill_needed(redis_conn_t *r, const char *shop_id)
{
    char k[KEY_MAX];
    if (redis_key(k, sizeof(k), KEY_REVENUE_BACKFILL))
        return -1;
    redisReply *rep = redis_cmd(r, "HMGET %s shop_id state", k);
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
        if (rep)
            freeReplyObject(rep);
        return -1;
    }
    /* A running backfill holds the lock, which keeps a second one out; one
     * whose instance died reads as running and is run again. */
    int same = rep->element[0]->type == REDIS_REPLY_STRING && strcmp(rep->element[0]->str, shop_id) == 0;
    int done = rep->element[1]->type == REDIS_REPLY_STRING && strcmp(rep->element[1]->str, "done") == 0;
    freeReplyObject(rep);
    return same && done ? 0 : 1;
}

int revenue_backfill_run(const config_t *cfg, redis_conn_t *r, const atomic_int *stop)
{
    char shop[128], k[KEY_MAX], lock[KEY_MAX], owner[INSTANCE_OWNER_MAX], now[32], count[32], err[600];
    char token[TIKTOK_PAGE_TOKEN_MAX] = "";
    connection_t *conn = connection_open(cfg, r);
    long long orders = 0;
    int rc = 1, locked = 0;

    if (!conn || !connection_is_connected(conn) || connection_shop_id(conn, shop, sizeof(shop)) != 0)
        goto out;
    if (redis_key(k, sizeof(k), KEY_REVENUE_BACKFILL) || redis_key(lock, sizeof(lock), KEY_REVENUE_BACKFILL_LOCK) ||
        instance_lock_owner(owner) != 0) {
        rc = -1;
        goto out;
    }
    int need = revenue_backfill_needed(r, shop);
    if (need <= 0) {
        rc = need < 0 ? -1 : 0;
        goto out;
    }
    /* Not taken, whether held elsewhere or Redis is away: 1, as running. */
    locked = instance_lock(r, lock, owner, (long long)LOCK_TTL_S * 1000) == 1;
    if (!locked)
        goto out;
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    const char *start[] = {"HSET", k, "shop_id", shop, "state", "running", "orders", "0", "started_at", now,
                           "finished_at", "", "error", ""};
    if (hset_argv(r, 14, start) != 0) {
        rc = -1;
        goto out;
    }
    log_event(LOG_INFO, "revenue_backfill_started", json_pack("{s:s}", "shop_id", shop));
    err[0] = '\0';
    tiktok_order_query_t q = {.update_time_ge = (long long)time(NULL) - (long long)REVENUE_BACKFILL_DAYS * 86400,
                              .update_time_lt = 0,
                              .page_size = PAGE_SIZE,
                              .page_token = token};
    for (int page = 0; page < MAX_PAGES; page++) {
        tiktok_orders_t os;
        tiktok_result_t res;
        if (stop && atomic_load(stop)) {
            snprintf(err, sizeof(err), "interrupted: shopsync stopped; the backfill runs again at the next start");
            break;
        }
        if (redis_lock_extend(r, lock, owner, (long long)LOCK_TTL_S * 1000) != 1) {
            snprintf(err, sizeof(err), "the backfill lost its lock");
            locked = 0;
            break;
        }
        if (tiktok_search_orders(connection_client(conn), &q, &os, &res) != 0) {
            snprintf(err, sizeof(err), "Search Orders failed: %s", res.message);
            tiktok_orders_free(&os);
            tiktok_result_free(&res);
            break;
        }
        tiktok_result_free(&res);
        for (size_t i = 0; i < os.n && !err[0]; i++) {
            if (revenue_record_order(r, &os.items[i]) != 0)
                snprintf(err, sizeof(err), "Redis is not answering");
            else
                orders++;
        }
        snprintf(token, sizeof(token), "%s", os.next_page_token);
        tiktok_orders_free(&os);
        snprintf(count, sizeof(count), "%lld", orders);
        const char *progress[] = {"HSET", k, "orders", count};
        hset_argv(r, 4, progress);
        if (err[0] || !token[0])
            break;
    }
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    snprintf(count, sizeof(count), "%lld", orders);
    /* A failed backfill is tried again by housekeeping; what it counted is
     * not counted twice (each order once). */
    const char *end[] = {"HSET", k, "state", err[0] ? "failed" : "done", "orders", count, "finished_at", now, "error",
                         err};
    rc = hset_argv(r, 10, end) != 0 || err[0] ? -1 : 0;
    log_event(err[0] ? LOG_WARN : LOG_INFO, "revenue_backfill",
              json_pack("{s:s,s:I,s:s}", "shop_id", shop, "orders", (json_int_t)orders, "error", err));
out:
    if (locked)
        redis_unlock(r, lock, owner);
    connection_free(conn);
    return rc;
}

int revenue_backfill_status(redis_conn_t *r, json_t **out)
{
    char k[KEY_MAX];
    *out = NULL;
    if (redis_key(k, sizeof(k), KEY_REVENUE_BACKFILL))
        return -1;
    redisReply *rep = redis_cmd(r, "HMGET %s shop_id state orders started_at finished_at error", k);
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 6) {
        if (rep)
            freeReplyObject(rep);
        return -1;
    }
    redisReply **e = rep->element;
    if (e[1]->type != REDIS_REPLY_STRING) {
        freeReplyObject(rep);
        *out = json_null();
        return 0;
    }
#define STR(i) (e[i]->type == REDIS_REPLY_STRING && e[i]->len ? json_string(e[i]->str) : json_null())
#define NUM(i) (e[i]->type == REDIS_REPLY_STRING && e[i]->len ? json_integer(strtoll(e[i]->str, NULL, 10)) : json_null())
    *out = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "shop_id", STR(0), "state", STR(1), "orders", NUM(2), "started_at",
                     NUM(3), "finished_at", NUM(4), "error", STR(5));
#undef STR
#undef NUM
    freeReplyObject(rep);
    return *out ? 0 : -1;
}
