/*
 * Unit tests for day: dates both ways (leap years, the epoch, TikTok's
 * stat_time_day), refusals, and ranges cut into 30-day windows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "shopsync/day.h"

static void test_parse_format(void **state)
{
    (void)state;
    long long d;
    char out[DAY_TEXT_MAX];
    assert_int_equal(day_parse("1970-01-01", 0, &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(day_parse("2024-02-29", 0, &d), 0);
    day_format(d + 1, out);
    assert_string_equal(out, "2024-03-01");
    assert_int_equal(day_parse("2025-03-01 00:00:00", 1, &d), 0);
    day_format(d, out);
    assert_string_equal(out, "2025-03-01");
    assert_int_equal(day_of_unix(86399), 0);
    assert_int_equal(day_of_unix(86400), 1);
}

static void test_bad(void **state)
{
    (void)state;
    long long d;
    const char *bad[] = {"2025-02-29", "2025-13-01", "2025-00-10", "2025-1-01", "25-01-01", "2025/01/01", "",
                         "1969-12-31", "2025-01-01x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(day_parse(bad[i], 0, &d), -1);
    assert_int_equal(day_parse("2025-03-01 00:00:00", 0, &d), -1);
    assert_int_equal(day_parse("2025-03-01 24:00:00", 1, &d), -1);
}

static void test_windows(void **state)
{
    (void)state;
    day_window_t w[8];
    /* 91 days: 30 + 30 + 30 + 1. */
    assert_int_equal(day_windows(100, 190, 30, w, 8), 4);
    assert_int_equal(w[0].from, 100);
    assert_int_equal(w[0].to, 129);
    assert_int_equal(w[1].from, 130);
    assert_int_equal(w[2].to, 189);
    assert_int_equal(w[3].from, 190);
    assert_int_equal(w[3].to, 190);
    assert_int_equal(day_windows(5, 5, 30, w, 8), 1);
    assert_int_equal(day_windows(0, 29, 30, w, 8), 1);
    assert_int_equal(day_windows(0, 30, 30, w, 8), 2);
    assert_int_equal(day_windows(6, 5, 30, w, 8), -1);
    assert_int_equal(day_windows(0, 299, 30, w, 8), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_format),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_windows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
