/*
 * Unit tests for checkout's pure part: the storefront's
 * metadata.shopsync_items ("SKU:QTY[,SKU:QTY...]") and every way it can be
 * malformed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopsync/checkout.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items_good),
        cmocka_unit_test(test_items_bad),
        cmocka_unit_test(test_items_too_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
