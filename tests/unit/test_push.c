/*
 * Unit tests for push against a real redis-server (tests/unit/
 * redis_fixture.h), as far as a push goes without TikTok Shop:
 *
 * - the plan -> commit contract of push.c's side of push_plan.lua and
 *   push_commit.lua, in normal mode (read, the projection sent outright
 *   after a push never recorded or when forced, pend consumed by the
 *   commit, the stock buffer, a SKU gone from the catalog) and allocated
 *   mode (takeback, the settle, a grant by the sales rates);
 * - the dirty marks around it: push_mark, push_watch_allocated, and
 *   push_sku's outcomes before any TikTok call (not dirty, not on TikTok
 *   yet, gone from the catalog, locked by another worker, too soon after the
 *   last push, shop not connected), each with what it does to the mark.
 *
 * plan() and commit() are file-local, so this file compiles push.c into
 * itself (its definitions take the place of the library's push object at
 * link time); the Lua scripts' own rules are tested in tests/lua.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/push.c"

#include "redis_fixture.h"

#define P REDIS_FIXTURE_PREFIX

static config_t cfg;

static int setup(void **state)
{
    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    /* Unconfigured app: a client that never calls, a shop never connected. */
    snprintf(cfg.tiktok_api_base, sizeof(cfg.tiktok_api_base), "http://127.0.0.1:9");
    snprintf(cfg.tiktok_auth_base, sizeof(cfg.tiktok_auth_base), "http://127.0.0.1:9");
    return redis_fixture_flush(&redis_fx) || redis_fixture_seed_sku(&redis_fx, "MUG", 10);
}

static redisReply *cmd(const char *fmt, const char *arg)
{
    redisReply *rep = redis_cmd(redis_fx.conn, fmt, arg);
    assert_non_null(rep);
    return rep;
}

/* A field of MUG's channel state as text ("" when absent). */
static const char *chan(const char *field)
{
    static char out[64];
    char k[KEY_MAX];
    assert_int_equal(stock_chan_key(k, sizeof(k), "MUG"), 0);
    redisReply *rep = redis_cmd(redis_fx.conn, "HGET %s %s", k, field);
    assert_non_null(rep);
    snprintf(out, sizeof(out), "%s", rep->type == REDIS_REPLY_STRING ? rep->str : "");
    freeReplyObject(rep);
    return out;
}

static void set_chan(const char *fields)
{
    char k[KEY_MAX], command[512];
    assert_int_equal(stock_chan_key(k, sizeof(k), "MUG"), 0);
    snprintf(command, sizeof(command), "HSET %s %s", k, fields);
    redisReply *rep = redis_cmd(redis_fx.conn, command);
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_INTEGER);
    freeReplyObject(rep);
}

/* MUG's dirty version, or -1 when not dirty. */
static long long dirty_version(const char *sku)
{
    redisReply *rep = cmd("HGET " P "push:dirty %s", sku);
    long long v = rep->type == REDIS_REPLY_STRING ? strtoll(rep->str, NULL, 10) : -1;
    freeReplyObject(rep);
    return v;
}

/* What the website may sell of sku: its stock key. */
static long long web_stock(const char *sku)
{
    char k[KEY_MAX];
    assert_int_equal(stock_key(k, sizeof(k), sku), 0);
    redisReply *rep = cmd("GET %s", k);
    assert_int_equal(rep->type, REDIS_REPLY_STRING);
    long long v = strtoll(rep->str, NULL, 10);
    freeReplyObject(rep);
    return v;
}

/* Run a command whose reply does not matter beyond arriving. */
static void run(const char *fmt, const char *arg)
{
    freeReplyObject(cmd(fmt, arg));
}

/* MUG allocated with 7 on hand and TikTok's share as in shares ("tt N pg N
 * tb N"), both channels selling at 1 unit/s just now. */
static void set_allocated(const char *shares)
{
    char fields[256];
    snprintf(fields, sizeof(fields), "mode alloc onhand 7 res 0 settle 0 pend 0 pp 0 unseen 0 %s "
             "rt 1.0 rw 1.0 rts %lld", shares, util_now_ms());
    set_chan(fields);
}

/* An item as push_group prepares one: a SKU on TikTok Shop. */
static void item_for(item_t *it, const char *sku)
{
    memset(it, 0, sizeof(*it));
    it->sku = sku;
    snprintf(it->map.sku_id, sizeof(it->map.sku_id), "S1");
}

/* it = MUG's plan, forced or not. */
static void plan_mug(item_t *it, int force)
{
    item_for(it, "MUG");
    assert_int_equal(plan(redis_fx.conn, it, force), 0);
}

/* ---- normal mode --------------------------------------------------------- */

static void test_normal_read_then_commit_consumes_pend(void **state)
{
    (void)state;
    item_t it;
    stock_result_t r;
    /* A restock from outside TikTok: 3 units TikTok must be given. */
    assert_int_equal(stock_adjust(redis_fx.conn, "MUG", 3, "admin", "a1", &r), STOCK_OK);
    assert_string_equal(chan("pend"), "3");

    plan_mug(&it, 0);
    assert_string_equal(it.kind, "read");
    assert_true(it.send);
    assert_int_equal(it.pend, 3);
    assert_int_equal(it.cap, 13);
    assert_int_equal(it.unseen, -1);
    /* The plan remembers what this push covers until it is recorded. */
    assert_string_equal(chan("pp"), "3");

    /* TikTok showed 8 and took 8 + 3 = 11; 2 of the store's 13 are
     * TikTok sales not heard of yet. */
    it.quantity = 11;
    it.unseen = 2;
    /* A sale during the push stays pending for the next one. */
    assert_int_equal(stock_adjust(redis_fx.conn, "MUG", 1, "admin", "a2", &r), STOCK_OK);
    commit(redis_fx.conn, &it);
    assert_string_equal(chan("pend"), "1");
    assert_string_equal(chan("pp"), "0");
    assert_string_equal(chan("unseen"), "2");

    /* Recorded: the next plan reads TikTok again. */
    plan_mug(&it, 0);
    assert_string_equal(it.kind, "read");
    assert_int_equal(it.pend, 1);
}

static void test_normal_unrecorded_push_sends_projection(void **state)
{
    (void)state;
    item_t it;
    stock_result_t r;
    assert_int_equal(stock_adjust(redis_fx.conn, "MUG", 2, "admin", "a1", &r), STOCK_OK);
    plan_mug(&it, 0);
    assert_string_equal(it.kind, "read");
    /* That push failed or its instance died: it may have reached TikTok,
     * so its change is not added a second time; the projection goes out
     * as it is. */
    plan_mug(&it, 0);
    assert_string_equal(it.kind, "absolute");
    assert_true(it.send);
    assert_int_equal(it.quantity, 12);
    assert_int_equal(it.cap, 12);

    commit(redis_fx.conn, &it);
    assert_string_equal(chan("pend"), "0");
    assert_string_equal(chan("pp"), "0");
    /* Sent outright: TikTok shows the projection, nothing unseen. */
    assert_string_equal(chan("unseen"), "0");
}

static void test_normal_force_and_buffer(void **state)
{
    (void)state;
    item_t it;
    run("HSET " P "settings buffer %s", "4");
    /* Forced (reconciliation's repair): no read, the projection 10 - 4. */
    plan_mug(&it, 1);
    assert_string_equal(it.kind, "absolute");
    assert_int_equal(it.quantity, 6);
    assert_int_equal(it.cap, 6);

    /* A buffer above the stock projects 0, never less. */
    run("HSET " P "settings buffer %s", "40");
    plan_mug(&it, 1);
    assert_int_equal(it.quantity, 0);
}

static void test_absent_sku_pushed_as_zero(void **state)
{
    (void)state;
    item_t it;
    run("DEL " P "stock:%s", "MUG");
    plan_mug(&it, 0);
    assert_string_equal(it.kind, "absent");
    assert_true(it.send);
    assert_int_equal(it.quantity, 0);
}

/* ---- allocated mode ------------------------------------------------------ */

static void test_allocated_takeback_settle_grant(void **state)
{
    (void)state;
    item_t it;
    long long now = util_now_ms();
    run("HSET " P "settings low_seconds 10 settle_ms 60000 buffer %s", "0");
    /* TikTok holds 4 that must be taken back. */
    set_allocated("tt 4 pg 0 tb 1");

    plan_mug(&it, 0);
    assert_string_equal(it.kind, "takeback");
    assert_true(it.send);
    assert_int_equal(it.quantity, 0);

    it.quantity = 0;
    commit(redis_fx.conn, &it);
    /* TikTok at 0: its share waits for the sales made before. */
    assert_string_equal(chan("tt"), "0");
    assert_string_equal(chan("res"), "4");
    assert_string_equal(chan("tb"), "0");
    assert_true(strtoll(chan("settle"), NULL, 10) >= now + 60000);

    /* Settling: nothing to send. */
    plan_mug(&it, 0);
    assert_string_equal(it.kind, "none");
    assert_false(it.send);

    /* The settle is over and no event waits: the set-aside units are the
     * store's again and TikTok gets a share by the rates, 7 * 1/2. */
    set_chan("settle 1");
    plan_mug(&it, 0);
    assert_string_equal(it.kind, "grant");
    assert_int_equal(it.quantity, 3);
    assert_string_equal(chan("pg"), "3");
    assert_string_equal(chan("res"), "0");

    commit(redis_fx.conn, &it);
    assert_string_equal(chan("tt"), "3");
    assert_string_equal(chan("pg"), "0");
    /* The website sells the rest. */
    assert_int_equal(web_stock("MUG"), 4);
}

static void test_allocated_unrecorded_grant_counts_as_tiktoks(void **state)
{
    (void)state;
    item_t it;
    set_allocated("tt 0 pg 3 tb 0");
    /* A grant went out and was never recorded: TikTok may hold it, so it
     * is taken back to know for sure. */
    plan_mug(&it, 0);
    assert_string_equal(it.kind, "takeback");
    assert_string_equal(chan("tt"), "3");
    assert_string_equal(chan("pg"), "0");
}

/* ---- dirty marks and push_sku before TikTok ------------------------------ */

static void test_mark_and_watch_allocated(void **state)
{
    (void)state;
    assert_int_equal(dirty_version("MUG"), -1);
    assert_int_equal(push_mark(redis_fx.conn, "MUG"), 0);
    assert_int_equal(push_mark(redis_fx.conn, "MUG"), 0);
    assert_int_equal(dirty_version("MUG"), 2);

    run("SADD " P "alloc:skus %s", "CUP");
    assert_int_equal(push_watch_allocated(redis_fx.conn), 0);
    assert_int_equal(dirty_version("CUP"), 1);
    assert_int_equal(dirty_version("MUG"), 2);
}

static void test_push_sku_outcomes_without_tiktok(void **state)
{
    (void)state;
    connection_t *conn = connection_open(&cfg, redis_fx.conn);
    assert_non_null(conn);
    json_t *wh = json_pack("[s]", "W1");

    /* Not dirty: nothing, and the lock is released. */
    assert_int_equal(push_sku(&cfg, redis_fx.conn, conn, "MUG", 0), PUSH_NOTHING);
    redisReply *rep = cmd("EXISTS " P "push:lock:%s", "MUG");
    assert_int_equal(rep->integer, 0);
    freeReplyObject(rep);

    /* Not on TikTok Shop yet: reported as skipped, the mark cleared. */
    assert_int_equal(push_mark(redis_fx.conn, "MUG"), 0);
    assert_int_equal(push_sku(&cfg, redis_fx.conn, conn, "MUG", 0), PUSH_SKIPPED);
    assert_int_equal(dirty_version("MUG"), -1);

    /* Gone from the catalog before it reached TikTok: nothing to withdraw. */
    assert_int_equal(push_mark(redis_fx.conn, "GONE"), 0);
    assert_int_equal(push_sku(&cfg, redis_fx.conn, conn, "GONE", 0), PUSH_NOTHING);
    assert_int_equal(dirty_version("GONE"), -1);

    /* On TikTok Shop but the shop is not connected: the mark stays for
     * when it is, and no plan ran. */
    assert_int_equal(skumap_set(redis_fx.conn, "MUG", "P1", "S1", wh), 0);
    assert_int_equal(push_mark(redis_fx.conn, "MUG"), 0);
    assert_int_equal(push_sku(&cfg, redis_fx.conn, conn, "MUG", 0), PUSH_NOT_CONNECTED);
    assert_int_equal(dirty_version("MUG"), 1);
    assert_string_equal(chan("pp"), "");

    /* Another worker holds the SKU's lock (its instance alive): nothing. */
    char owner[INSTANCE_OWNER_MAX];
    assert_int_equal(instance_lock_owner(owner), 0);
    rep = redis_cmd(redis_fx.conn, "SET " P "push:lock:MUG %s PX 60000", owner);
    assert_non_null(rep);
    freeReplyObject(rep);
    assert_int_equal(push_sku(&cfg, redis_fx.conn, conn, "MUG", 0), PUSH_NOTHING);
    assert_int_equal(dirty_version("MUG"), 1);
    run("DEL " P "push:lock:%s", "MUG");

    /* Pushed a moment ago: the mark waits for the interval, so a burst of
     * changes becomes one push. */
    cfg.push_interval_ms = 60000;
    char last[32];
    snprintf(last, sizeof(last), "%lld", util_now_ms());
    run("SET " P "push:last:MUG %s", last);
    assert_int_equal(push_sku(&cfg, redis_fx.conn, conn, "MUG", 0), PUSH_NOTHING);
    assert_int_equal(dirty_version("MUG"), 1);
    /* A forced push does not wait, and stops at the connection. */
    assert_int_equal(push_sku(&cfg, redis_fx.conn, conn, "MUG", 1), PUSH_NOT_CONNECTED);

    /* A pass reports the shop as not connected and keeps the mark. */
    int sent = -1;
    cfg.push_interval_ms = 0;
    assert_int_equal(push_pass(&cfg, redis_fx.conn, conn, &sent), 1);
    assert_int_equal(sent, 0);
    assert_int_equal(dirty_version("MUG"), 1);

    json_decref(wh);
    connection_free(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_normal_read_then_commit_consumes_pend, setup),
        cmocka_unit_test_setup(test_normal_unrecorded_push_sends_projection, setup),
        cmocka_unit_test_setup(test_normal_force_and_buffer, setup),
        cmocka_unit_test_setup(test_absent_sku_pushed_as_zero, setup),
        cmocka_unit_test_setup(test_allocated_takeback_settle_grant, setup),
        cmocka_unit_test_setup(test_allocated_unrecorded_grant_counts_as_tiktoks, setup),
        cmocka_unit_test_setup(test_mark_and_watch_allocated, setup),
        cmocka_unit_test_setup(test_push_sku_outcomes_without_tiktok, setup),
    };
    return cmocka_run_group_tests(tests, redis_fixture_group_setup, redis_fixture_group_teardown);
}
