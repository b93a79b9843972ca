/*
 * Unit tests for the TikTok order ledger (orders_apply) against a real
 * redis-server (tests/unit/redis_fixture.h): an order applied once, its
 * cancellation restocking once, an order first seen cancelled, a line
 * cancelled on its own, and lines whose SKU the store does not know.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "redis_fixture.h"
#include "shopsync/orders.h"
#include "shopsync/stock.h"

#define MAX_LINES 8

/* An order built by hand: lines[i] sells one unit of skus[i]. */
typedef struct test_order {
    tiktok_order_t o;
    tiktok_line_item_t lines[MAX_LINES];
} test_order_t;

/* Every test starts from an empty database with MUG at 10, CUP at 5. */
static int setup(void **state)
{
    (void)state;
    return redis_fixture_flush(&redis_fx) || redis_fixture_seed_sku(&redis_fx, "MUG", 10) || redis_fixture_seed_sku(&redis_fx, "CUP", 5);
}

static void order_init(test_order_t *t, const char *id, const char *status, const char *const *skus, size_t n)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->o.id, sizeof(t->o.id), "%s", id);
    snprintf(t->o.status, sizeof(t->o.status), "%s", status);
    t->o.update_time = 1700000000;
    for (size_t i = 0; i < n && i < MAX_LINES; i++) {
        snprintf(t->lines[i].id, sizeof(t->lines[i].id), "%s-L%zu", id, i);
        snprintf(t->lines[i].seller_sku, sizeof(t->lines[i].seller_sku), "%s", skus[i]);
        snprintf(t->lines[i].display_status, sizeof(t->lines[i].display_status), "%s",
                 strcmp(status, "CANCELLED") == 0 ? "CANCELLED" : "AWAITING_SHIPMENT");
    }
    t->o.line_items = t->lines;
    t->o.n_line_items = n;
}

static void set_status(test_order_t *t, const char *status)
{
    snprintf(t->o.status, sizeof(t->o.status), "%s", status);
}

static order_outcome_t apply(const test_order_t *t)
{
    order_outcome_t out = ORDER_NOOP;
    char err[256] = "";
    assert_int_equal(orders_apply(redis_fx.conn, &t->o, &out, err, sizeof(err)), EVENT_DONE);
    return out;
}

static long long on_hand(const char *sku)
{
    long long v = -1;
    assert_int_equal(stock_get(redis_fx.conn, sku, &v), STOCK_OK);
    return v;
}

static void test_applied_once_and_restocked_once(void **state)
{
    (void)state;
    test_order_t t;
    const char *skus[] = {"MUG", "MUG", "CUP"};
    order_init(&t, "5770001", "AWAITING_SHIPMENT", skus, 3);

    assert_int_equal(apply(&t), ORDER_APPLIED);
    assert_int_equal(on_hand("MUG"), 8);
    assert_int_equal(on_hand("CUP"), 4);

    /* The same order again (a webhook retried, a later status). */
    assert_int_equal(apply(&t), ORDER_NOOP);
    set_status(&t, "IN_TRANSIT");
    assert_int_equal(apply(&t), ORDER_NOOP);
    assert_int_equal(on_hand("MUG"), 8);
    assert_int_equal(on_hand("CUP"), 4);

    set_status(&t, "CANCELLED");
    assert_int_equal(apply(&t), ORDER_RESTOCKED);
    assert_int_equal(on_hand("MUG"), 10);
    assert_int_equal(on_hand("CUP"), 5);
    assert_int_equal(apply(&t), ORDER_NOOP);
    set_status(&t, "AWAITING_SHIPMENT");
    assert_int_equal(apply(&t), ORDER_NOOP);
    assert_int_equal(on_hand("MUG"), 10);
    assert_int_equal(on_hand("CUP"), 5);
}

static void test_first_seen_cancelled(void **state)
{
    (void)state;
    test_order_t t;
    const char *skus[] = {"MUG", "CUP"};
    order_init(&t, "5770002", "CANCELLED", skus, 2);

    assert_int_equal(apply(&t), ORDER_CANCELLED_FIRST);
    assert_int_equal(on_hand("MUG"), 10);
    assert_int_equal(on_hand("CUP"), 5);

    /* An older fetch showing it live arrives afterwards: still nothing. */
    order_init(&t, "5770002", "AWAITING_SHIPMENT", skus, 2);
    assert_int_equal(apply(&t), ORDER_NOOP);
    assert_int_equal(on_hand("MUG"), 10);
    assert_int_equal(on_hand("CUP"), 5);
}

static void test_line_cancelled_alone(void **state)
{
    (void)state;
    test_order_t t;
    const char *skus[] = {"MUG", "MUG", "CUP"};
    order_init(&t, "5770003", "AWAITING_SHIPMENT", skus, 3);

    assert_int_equal(apply(&t), ORDER_APPLIED);
    assert_int_equal(on_hand("MUG"), 8);

    snprintf(t.lines[1].display_status, sizeof(t.lines[1].display_status), "CANCELLED");
    assert_int_equal(apply(&t), ORDER_RESTOCKED_LINES);
    assert_int_equal(on_hand("MUG"), 9);
    assert_int_equal(on_hand("CUP"), 4);
    assert_int_equal(apply(&t), ORDER_NOOP);
    assert_int_equal(on_hand("MUG"), 9);

    /* The whole order cancelled later gives back only the rest. */
    set_status(&t, "CANCELLED");
    assert_int_equal(apply(&t), ORDER_RESTOCKED);
    assert_int_equal(on_hand("MUG"), 10);
    assert_int_equal(on_hand("CUP"), 5);
}

static void test_unknown_skus_unmatched(void **state)
{
    (void)state;
    test_order_t t;
    json_t *log = NULL;
    const char *skus[] = {"MUG", "GHOST", ""};
    order_init(&t, "5770004", "AWAITING_SHIPMENT", skus, 3);
    /* The third line has no seller SKU and a TikTok SKU id the store has
     * never mapped. */
    snprintf(t.lines[2].sku_id, sizeof(t.lines[2].sku_id), "1729000000");

    assert_int_equal(apply(&t), ORDER_APPLIED);
    assert_int_equal(on_hand("MUG"), 9);

    assert_int_equal(stock_list_log(redis_fx.conn, "unmatched", 10, &log), STOCK_OK);
    assert_int_equal(json_array_size(log), 2);
    int ghost = 0, by_id = 0;
    for (size_t i = 0; i < json_array_size(log); i++) {
        json_t *e = json_array_get(log, i);
        assert_string_equal(json_string_value(json_object_get(e, "source")), "tiktok");
        assert_string_equal(json_string_value(json_object_get(e, "ref")), "5770004");
        const char *sku = json_string_value(json_object_get(e, "sku"));
        assert_non_null(sku);
        ghost += strcmp(sku, "GHOST") == 0;
        by_id += strcmp(sku, "") == 0 &&
                 strcmp(json_string_value(json_object_get(e, "sku_id")), "1729000000") == 0;
    }
    assert_int_equal(ghost, 1);
    assert_int_equal(by_id, 1);
    json_decref(log);

    /* Re-applied, the order records nothing twice. */
    assert_int_equal(apply(&t), ORDER_NOOP);
    assert_int_equal(stock_list_log(redis_fx.conn, "unmatched", 10, &log), STOCK_OK);
    assert_int_equal(json_array_size(log), 2);
    json_decref(log);
}

static void test_no_lines_is_retried(void **state)
{
    (void)state;
    test_order_t t;
    order_outcome_t out = ORDER_APPLIED;
    char err[256] = "";
    order_init(&t, "5770005", "AWAITING_SHIPMENT", NULL, 0);
    assert_int_equal(orders_apply(redis_fx.conn, &t.o, &out, err, sizeof(err)), EVENT_RETRY);
    assert_int_equal(out, ORDER_NOOP);
    assert_non_null(strstr(err, "5770005"));

    /* Nothing was written: the order, once its lines come, applies. */
    const char *skus[] = {"CUP"};
    order_init(&t, "5770005", "AWAITING_SHIPMENT", skus, 1);
    assert_int_equal(apply(&t), ORDER_APPLIED);
    assert_int_equal(on_hand("CUP"), 4);
}

/* The names the ledger script returns and the logs show, one per outcome. */
static void test_outcome_names(void **state)
{
    (void)state;
    assert_string_equal(orders_outcome_name(ORDER_APPLIED), "applied");
    assert_string_equal(orders_outcome_name(ORDER_RESTOCKED), "restocked");
    assert_string_equal(orders_outcome_name(ORDER_RESTOCKED_LINES), "restocked_lines");
    assert_string_equal(orders_outcome_name(ORDER_CANCELLED_FIRST), "cancelled_first");
    assert_string_equal(orders_outcome_name(ORDER_NOOP), "noop");
    assert_string_equal(orders_outcome_name((order_outcome_t)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_applied_once_and_restocked_once, setup),
        cmocka_unit_test_setup(test_first_seen_cancelled, setup),
        cmocka_unit_test_setup(test_line_cancelled_alone, setup),
        cmocka_unit_test_setup(test_unknown_skus_unmatched, setup),
        cmocka_unit_test_setup(test_no_lines_is_retried, setup),
        cmocka_unit_test(test_outcome_names),
    };
    return cmocka_run_group_tests(tests, redis_fixture_group_setup, redis_fixture_group_teardown);
}
