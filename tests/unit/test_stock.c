/*
 * Unit tests for stock against a real redis-server (tests/unit/
 * redis_fixture.h): the floor at 0 and its oversell record, a seller's
 * take refused below 0, idempotency keys, views and the activity log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "redis_fixture.h"
#include "shopsync/stock.h"


/* Every test starts from an empty database with MUG at 10. */
static int setup(void **state)
{
    (void)state;
    return redis_fixture_flush(&redis_fx) || redis_fixture_seed_sku(&redis_fx, "MUG", 10);
}

static long long on_hand(const char *sku)
{
    long long v = -1;
    assert_int_equal(stock_get(redis_fx.conn, sku, &v), STOCK_OK);
    return v;
}

static void test_set_and_adjust_floor(void **state)
{
    (void)state;
    stock_result_t r;
    json_t *log = NULL;

    assert_int_equal(stock_set(redis_fx.conn, "MUG", 5, "admin", "s1", &r), STOCK_OK);
    assert_int_equal(r.stock, 5);
    assert_int_equal(r.applied, -5);
    assert_int_equal(r.shortfall, 0);

    assert_int_equal(stock_adjust(redis_fx.conn, "MUG", 2, "admin", "a1", &r), STOCK_OK);
    assert_int_equal(r.stock, 7);
    assert_int_equal(r.applied, 2);

    /* A sale of 9 with 7 on hand: floor at 0, 2 oversold. */
    assert_int_equal(stock_adjust(redis_fx.conn, "MUG", -9, "stripe_checkout", "cs_1", &r), STOCK_OK);
    assert_int_equal(r.stock, 0);
    assert_int_equal(r.applied, -7);
    assert_int_equal(r.shortfall, 2);
    assert_int_equal(on_hand("MUG"), 0);

    assert_int_equal(stock_list_log(redis_fx.conn, "oversells", 10, &log), STOCK_OK);
    assert_int_equal(json_array_size(log), 1);
    json_t *o = json_array_get(log, 0);
    assert_string_equal(json_string_value(json_object_get(o, "sku")), "MUG");
    assert_int_equal(json_integer_value(json_object_get(o, "requested")), 9);
    assert_int_equal(json_integer_value(json_object_get(o, "applied")), 7);
    assert_int_equal(json_integer_value(json_object_get(o, "shortfall")), 2);
    assert_string_equal(json_string_value(json_object_get(o, "ref")), "cs_1");
    json_decref(log);

    redisReply *st = redis_cmd(redis_fx.conn, "HGET " REDIS_FIXTURE_PREFIX "stats oversold_units");
    assert_non_null(st);
    assert_int_equal(st->type, REDIS_REPLY_STRING);
    assert_string_equal(st->str, "2");
    freeReplyObject(st);
}

static void test_bad_values_and_unknown_sku(void **state)
{
    (void)state;
    stock_result_t r;
    assert_int_equal(stock_set(redis_fx.conn, "MUG", -1, "admin", "x", &r), STOCK_INVALID);
    assert_int_equal(stock_set(redis_fx.conn, "MUG", STOCK_MAX + 1, "admin", "x", &r), STOCK_INVALID);
    assert_int_equal(stock_adjust(redis_fx.conn, "MUG", STOCK_MAX, "admin", "x", &r), STOCK_INVALID);
    assert_int_equal(on_hand("MUG"), 10);
    assert_int_equal(stock_set(redis_fx.conn, "NOPE", 3, "admin", "x", &r), STOCK_NOT_FOUND);
    assert_int_equal(stock_adjust(redis_fx.conn, "NOPE", -1, "admin", "x", &r), STOCK_NOT_FOUND);
    assert_int_equal(stock_adjust(redis_fx.conn, "NOPE", 1, "admin", "x", &r), STOCK_NOT_FOUND);
}

static void test_take_refuses_below_zero(void **state)
{
    (void)state;
    stock_result_t r;
    int replayed = -1;
    long long avail = -1;

    assert_int_equal(stock_take(redis_fx.conn, "MUG", -11, NULL, "t0", &r, &replayed, &avail), STOCK_SHORT);
    assert_int_equal(avail, 10);
    assert_int_equal(on_hand("MUG"), 10);

    assert_int_equal(stock_take(redis_fx.conn, "MUG", -4, "key-take-1", NULL, &r, &replayed, &avail), STOCK_OK);
    assert_int_equal(r.stock, 6);
    assert_int_equal(r.applied, -4);
    assert_int_equal(replayed, 0);

    /* The repeat is answered from its record and takes nothing more. */
    assert_int_equal(stock_take(redis_fx.conn, "MUG", -4, "key-take-1", NULL, &r, &replayed, &avail), STOCK_OK);
    assert_int_equal(r.stock, 6);
    assert_int_equal(r.applied, -4);
    assert_int_equal(replayed, 1);
    assert_int_equal(on_hand("MUG"), 6);

    assert_int_equal(stock_take(redis_fx.conn, "MUG", -7, "key-take-2", NULL, &r, &replayed, &avail), STOCK_SHORT);
    assert_int_equal(avail, 6);
    assert_int_equal(stock_take(redis_fx.conn, "MUG", 1, NULL, "t1", &r, &replayed, &avail), STOCK_INVALID);
    assert_int_equal(stock_take(redis_fx.conn, "NOPE", -1, NULL, "t2", &r, &replayed, &avail), STOCK_NOT_FOUND);
    assert_int_equal(on_hand("MUG"), 6);
}

static void test_change_once(void **state)
{
    (void)state;
    stock_result_t r;
    int replayed = -1;

    assert_int_equal(stock_change_once(redis_fx.conn, "MUG", 0, 3, "admin", "key-1", &r, &replayed), STOCK_OK);
    assert_int_equal(r.stock, 13);
    assert_int_equal(replayed, 0);
    assert_int_equal(stock_change_once(redis_fx.conn, "MUG", 0, 3, "admin", "key-1", &r, &replayed), STOCK_OK);
    assert_int_equal(r.stock, 13);
    assert_int_equal(r.applied, 3);
    assert_int_equal(replayed, 1);
    assert_int_equal(on_hand("MUG"), 13);

    /* The same key with another change, mode or SKU. */
    assert_int_equal(stock_change_once(redis_fx.conn, "MUG", 0, 4, "admin", "key-1", &r, &replayed), STOCK_KEY_REUSED);
    assert_int_equal(stock_change_once(redis_fx.conn, "MUG", 1, 3, "admin", "key-1", &r, &replayed), STOCK_KEY_REUSED);
    assert_int_equal(redis_fixture_seed_sku(&redis_fx, "CUP", 1), 0);
    assert_int_equal(stock_change_once(redis_fx.conn, "CUP", 0, 3, "admin", "key-1", &r, &replayed), STOCK_KEY_REUSED);
    assert_int_equal(on_hand("MUG"), 13);
    assert_int_equal(on_hand("CUP"), 1);

    assert_int_equal(stock_change_once(redis_fx.conn, "MUG", 1, 2, "admin", "key-2", &r, &replayed), STOCK_OK);
    assert_int_equal(r.stock, 2);
    assert_int_equal(r.applied, -11);
    assert_int_equal(replayed, 0);
}

static void test_view(void **state)
{
    (void)state;
    stock_view_t v[3];
    stock_result_t r;
    const char *skus[] = {"MUG", "NOPE", "CUP"};

    /* A SKU known only by its stock key: on hand is the key. */
    assert_int_equal(stock_view(redis_fx.conn, "MUG", &v[0]), STOCK_OK);
    assert_int_equal(v[0].found, 1);
    assert_int_equal(v[0].on_hand, 10);
    assert_int_equal(v[0].web, 10);
    assert_int_equal(v[0].allocated, 0);
    assert_int_equal(v[0].pending, 0);

    /* A change from outside TikTok is pending for the next push. */
    assert_int_equal(stock_adjust(redis_fx.conn, "MUG", -3, "admin", "a", &r), STOCK_OK);
    assert_int_equal(redis_fixture_seed_sku(&redis_fx, "CUP", 4), 0);
    assert_int_equal(stock_view_many(redis_fx.conn, skus, 3, v), STOCK_OK);
    assert_int_equal(v[0].found, 1);
    assert_int_equal(v[0].on_hand, 7);
    assert_int_equal(v[0].web, 7);
    assert_int_equal(v[0].allocated, 0);
    assert_int_equal(v[0].pending, -3);
    assert_int_equal(v[1].found, 0);
    assert_int_equal(v[1].on_hand, 0);
    assert_int_equal(v[1].web, 0);
    assert_int_equal(v[2].found, 1);
    assert_int_equal(v[2].on_hand, 4);

    assert_int_equal(stock_view(redis_fx.conn, "NOPE", &v[0]), STOCK_NOT_FOUND);
    assert_int_equal(v[0].found, 0);
}

static void test_activity_log_newest_first(void **state)
{
    (void)state;
    stock_result_t r;
    json_t *log = NULL;

    assert_int_equal(stock_adjust(redis_fx.conn, "MUG", -1, "admin", "first", &r), STOCK_OK);
    assert_int_equal(stock_adjust(redis_fx.conn, "MUG", 5, "import", "second", &r), STOCK_OK);
    assert_int_equal(stock_list_log(redis_fx.conn, "activity", 10, &log), STOCK_OK);
    assert_int_equal(json_array_size(log), 2);
    json_t *e = json_array_get(log, 0);
    assert_string_equal(json_string_value(json_object_get(e, "ref")), "second");
    assert_string_equal(json_string_value(json_object_get(e, "reason")), "import");
    assert_int_equal(json_integer_value(json_object_get(e, "delta")), 5);
    assert_int_equal(json_integer_value(json_object_get(e, "stock")), 14);
    e = json_array_get(log, 1);
    assert_string_equal(json_string_value(json_object_get(e, "ref")), "first");
    assert_int_equal(json_integer_value(json_object_get(e, "delta")), -1);
    json_decref(log);

    assert_int_equal(stock_list_log(redis_fx.conn, "activity", 1, &log), STOCK_OK);
    assert_int_equal(json_array_size(log), 1);
    json_decref(log);
    assert_int_equal(stock_list_log(redis_fx.conn, "oversells", 10, &log), STOCK_OK);
    assert_int_equal(json_array_size(log), 0);
    json_decref(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_set_and_adjust_floor, setup),
        cmocka_unit_test_setup(test_bad_values_and_unknown_sku, setup),
        cmocka_unit_test_setup(test_take_refuses_below_zero, setup),
        cmocka_unit_test_setup(test_change_once, setup),
        cmocka_unit_test_setup(test_view, setup),
        cmocka_unit_test_setup(test_activity_log_newest_first, setup),
    };
    return cmocka_run_group_tests(tests, redis_fixture_group_setup, redis_fixture_group_teardown);
}
