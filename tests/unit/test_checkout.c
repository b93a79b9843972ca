/*
 * Unit tests for checkout: the storefront's metadata.shopsync_items
 * ("SKU:QTY[,SKU:QTY...]") and every way it can be malformed, and
 * checkout_apply against a real redis-server (tests/unit/redis_fixture.h):
 * a session applied once, lines of unknown SKUs recorded unmatched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_fixture.h"
#include "shopsync/checkout.h"
#include "shopsync/stock.h"

static void test_items_good(void **state)
{
    (void)state;
    stripe_line_t *l = NULL;
    size_t n = 0;
    char err[256];
    assert_int_equal(checkout_parse_items("MUG-1:2", &l, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1);
    assert_string_equal(l[0].sku, "MUG-1");
    assert_int_equal(l[0].quantity, 2);
    assert_int_equal(l[0].sku_source, STRIPE_SKU_METADATA);
    stripe_lines_free(l, n);

    /* Spaces around parts; a SKU given twice is one line with the sum. */
    assert_int_equal(checkout_parse_items(" A.b_c:1 , B-2 : 10,A.b_c:4", &l, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2);
    assert_string_equal(l[0].sku, "A.b_c");
    assert_int_equal(l[0].quantity, 5);
    assert_string_equal(l[1].sku, "B-2");
    assert_int_equal(l[1].quantity, 10);
    stripe_lines_free(l, n);

    assert_int_equal(checkout_parse_items("X:1000000000", &l, &n, err, sizeof(err)), 0);
    assert_int_equal(l[0].quantity, 1000000000LL);
    stripe_lines_free(l, n);
}

static void test_items_bad(void **state)
{
    (void)state;
    static const struct {
        const char *in, *says;
    } cases[] = {
        {"", "entry 1"},
        {"MUG", "expected SKU:QUANTITY"},
        {"MUG:", "quantity"},
        {"MUG:0", "quantity"},
        {"MUG:-1", "quantity"},
        {"MUG:1.5", "quantity"},
        {"MUG:2x", "quantity"},
        {"MUG:1000000001", "quantity"},
        {"MUG:99999999999999999999999", "quantity"},
        {":1", "empty"},
        {"MUG:1,", "entry 2"},
        {"MUG:1,,B:1", "entry 2"},
        {"MUG:1,B", "entry 2"},
        {"bad sku:1", "bad sku"},
        {"a/b:1", "a/b"},
        {"ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJX:1", "1-50 characters"},
        {"MUG:600000000,MUG:600000000", "more than"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        stripe_line_t *l = (stripe_line_t *)1;
        size_t n = 9;
        char err[256] = "";
        if (checkout_parse_items(cases[i].in, &l, &n, err, sizeof(err)) != -1)
            fail_msg("accepted %s", cases[i].in);
        assert_null(l);
        assert_int_equal(n, 0);
        if (!strstr(err, cases[i].says))
            fail_msg("%s: error '%s' does not say '%s'", cases[i].in, err, cases[i].says);
    }
}

/* At most 200 distinct SKUs, as a session's line items. */
static void test_items_too_many(void **state)
{
    (void)state;
    char in[4096] = "";
    size_t used = 0;
    for (int i = 0; i < 201; i++)
        used += (size_t)snprintf(in + used, sizeof(in) - used, "%sS%d:1", i ? "," : "", i);
    stripe_line_t *l = NULL;
    size_t n = 0;
    char err[256];
    assert_int_equal(checkout_parse_items(in, &l, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "more than 200"));
    in[strlen(in) - strlen(",S200:1")] = '\0';
    assert_int_equal(checkout_parse_items(in, &l, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 200);
    stripe_lines_free(l, n);
}


/* Tests against Redis start from an empty database with MUG at 10, CUP at
 * 3. */
static int redis_setup_each(void **state)
{
    (void)state;
    return redis_fixture_flush(&redis_fx) || redis_fixture_seed_sku(&redis_fx, "MUG", 10) || redis_fixture_seed_sku(&redis_fx, "CUP", 3);
}

static long long on_hand(const char *sku)
{
    long long v = -1;
    assert_int_equal(stock_get(redis_fx.conn, sku, &v), STOCK_OK);
    return v;
}

static void line(stripe_line_t *l, const char *sku, const char *price, long long qty)
{
    memset(l, 0, sizeof(*l));
    snprintf(l->sku, sizeof(l->sku), "%s", sku);
    snprintf(l->price_id, sizeof(l->price_id), "%s", price);
    l->quantity = qty;
}

static void test_apply_once(void **state)
{
    (void)state;
    stripe_line_t l[3];
    int applied = -1;
    char err[256] = "";
    line(&l[0], "MUG", "price_mug", 2);
    line(&l[1], "CUP", "price_cup", 5);
    line(&l[2], "MUG", "price_mug", 1);

    assert_int_equal(checkout_apply(redis_fx.conn, "cs_test_1", l, 3, &applied, err, sizeof(err)), EVENT_DONE);
    assert_int_equal(applied, 1);
    assert_int_equal(on_hand("MUG"), 7);
    /* A web sale beyond the stock: floor at 0, the rest oversold. */
    assert_int_equal(on_hand("CUP"), 0);

    assert_int_equal(checkout_apply(redis_fx.conn, "cs_test_1", l, 3, &applied, err, sizeof(err)), EVENT_DONE);
    assert_int_equal(applied, 0);
    assert_int_equal(on_hand("MUG"), 7);

    /* Another session is its own. */
    assert_int_equal(checkout_apply(redis_fx.conn, "cs_test_2", l, 1, &applied, err, sizeof(err)), EVENT_DONE);
    assert_int_equal(applied, 1);
    assert_int_equal(on_hand("MUG"), 5);
}

static void test_apply_unmatched(void **state)
{
    (void)state;
    stripe_line_t l[3];
    int applied = -1;
    char err[256] = "";
    json_t *log = NULL;
    line(&l[0], "MUG", "price_mug", 1);
    line(&l[1], "GHOST", "price_ghost", 2);
    line(&l[2], "", "price_nosku", 4);

    assert_int_equal(checkout_apply(redis_fx.conn, "cs_test_3", l, 3, &applied, err, sizeof(err)), EVENT_DONE);
    assert_int_equal(applied, 1);
    assert_int_equal(on_hand("MUG"), 9);

    assert_int_equal(stock_list_log(redis_fx.conn, "unmatched", 10, &log), STOCK_OK);
    assert_int_equal(json_array_size(log), 2);
    int ghost = 0, nosku = 0;
    for (size_t i = 0; i < json_array_size(log); i++) {
        json_t *e = json_array_get(log, i);
        assert_string_equal(json_string_value(json_object_get(e, "source")), "stripe");
        assert_string_equal(json_string_value(json_object_get(e, "ref")), "cs_test_3");
        const char *sku = json_string_value(json_object_get(e, "sku"));
        long long qty = json_integer_value(json_object_get(e, "quantity"));
        ghost += strcmp(sku, "GHOST") == 0 && qty == 2;
        nosku += strcmp(sku, "") == 0 && qty == 4 &&
                 strcmp(json_string_value(json_object_get(e, "sku_id")), "price_nosku") == 0;
    }
    assert_int_equal(ghost, 1);
    assert_int_equal(nosku, 1);
    json_decref(log);

    /* Applied again, nothing is recorded twice. */
    assert_int_equal(checkout_apply(redis_fx.conn, "cs_test_3", l, 3, &applied, err, sizeof(err)), EVENT_DONE);
    assert_int_equal(applied, 0);
    assert_int_equal(stock_list_log(redis_fx.conn, "unmatched", 10, &log), STOCK_OK);
    assert_int_equal(json_array_size(log), 2);
    json_decref(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items_good),
        cmocka_unit_test(test_items_bad),
        cmocka_unit_test(test_items_too_many),
        cmocka_unit_test_setup(test_apply_once, redis_setup_each),
        cmocka_unit_test_setup(test_apply_unmatched, redis_setup_each),
    };
    return cmocka_run_group_tests(tests, redis_fixture_group_setup, redis_fixture_group_teardown);
}
