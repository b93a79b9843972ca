/*
 * Unit tests for money: TikTok's decimal strings and "-" to minor units,
 * rounding of a third decimal, refusals, exact decimal text back, and ROAS
 * rounded half up (null without spend).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "shopsync/money.h"

static void test_parse(void **state)
{
    (void)state;
    long long v;
    assert_int_equal(money_parse("12.34", 2, &v), 0);
    assert_int_equal(v, 1234);
    assert_int_equal(money_parse("12", 2, &v), 0);
    assert_int_equal(v, 1200);
    assert_int_equal(money_parse("0.5", 2, &v), 0);
    assert_int_equal(v, 50);
    assert_int_equal(money_parse("1234", 0, &v), 0);
    assert_int_equal(v, 1234);
    assert_int_equal(money_parse("1.234", 3, &v), 0);
    assert_int_equal(v, 1234);
    /* 0.1 + 0.2 in floats is 0.30000000000000004: here it is 30. */
    long long a, b;
    assert_int_equal(money_parse("0.1", 2, &a), 0);
    assert_int_equal(money_parse("0.2", 2, &b), 0);
    assert_int_equal(a + b, 30);
}

static void test_rounding(void **state)
{
    (void)state;
    long long v;
    assert_int_equal(money_parse("1.005", 2, &v), 0);
    assert_int_equal(v, 101);
    assert_int_equal(money_parse("1.0049", 2, &v), 0);
    assert_int_equal(v, 100);
    assert_int_equal(money_parse("0.999", 2, &v), 0);
    assert_int_equal(v, 100);
    assert_int_equal(money_parse("12.6", 0, &v), 0);
    assert_int_equal(v, 13);
}

static void test_none_and_bad(void **state)
{
    (void)state;
    long long v = 99;
    assert_int_equal(money_parse("-", 2, &v), 1);
    assert_int_equal(v, 0);
    assert_int_equal(money_parse("", 2, &v), 1);
    assert_int_equal(money_parse(NULL, 2, &v), 1);
    const char *bad[] = {"abc", "1.2.3", ".5", "5.", "-5", "1e3", " 1", "1 ", "1234567890123456", "12,34"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(money_parse(bad[i], 2, &v), -1);
}

static void test_format(void **state)
{
    (void)state;
    char out[MONEY_TEXT_MAX];
    money_format(1234, 2, out, sizeof(out));
    assert_string_equal(out, "12.34");
    money_format(5, 2, out, sizeof(out));
    assert_string_equal(out, "0.05");
    money_format(-5, 2, out, sizeof(out));
    assert_string_equal(out, "-0.05");
    money_format(7, 0, out, sizeof(out));
    assert_string_equal(out, "7");
    money_format(1234, 3, out, sizeof(out));
    assert_string_equal(out, "1.234");
    money_format(0, 2, out, sizeof(out));
    assert_string_equal(out, "0.00");
}

static void test_decimals(void **state)
{
    (void)state;
    assert_int_equal(money_decimals("USD"), 2);
    assert_int_equal(money_decimals("JPY"), 0);
    assert_int_equal(money_decimals("KWD"), 3);
}

static void test_ratio(void **state)
{
    (void)state;
    char out[MONEY_TEXT_MAX];
    assert_int_equal(money_ratio(14699, 104844, out, sizeof(out)), 0);
    assert_string_equal(out, "0.14");
    assert_int_equal(money_ratio(300, 200, out, sizeof(out)), 0);
    assert_string_equal(out, "1.50");
    /* 1/8 = 0.125 rounds half up to 0.13. */
    assert_int_equal(money_ratio(1, 8, out, sizeof(out)), 0);
    assert_string_equal(out, "0.13");
    assert_int_equal(money_ratio(0, 500, out, sizeof(out)), 0);
    assert_string_equal(out, "0.00");
    assert_int_equal(money_ratio(500, 0, out, sizeof(out)), 1);
    assert_string_equal(out, "");
    /* A year of large sums does not overflow. */
    assert_int_equal(money_ratio(900000000000000000LL, 300000000000000000LL, out, sizeof(out)), 0);
    assert_string_equal(out, "3.00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),    cmocka_unit_test(test_rounding), cmocka_unit_test(test_none_and_bad),
        cmocka_unit_test(test_format),   cmocka_unit_test(test_decimals), cmocka_unit_test(test_ratio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
