/*
 * Unit tests for ads_buyers' audience rules: parsing (every kind, every bad
 * field named) and evaluation against buyer records as stored (denied
 * buyers match nothing; an empty SKU list read back from Lua as {}).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "shopsync/ads_buyers.h"

#define NOW 1760000000LL

static ads_rule_t parse_ok(const char *text)
{
    ads_rule_t r;
    char err[512];
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    if (ads_rule_parse(j, &r, err, sizeof(err)) != 0)
        fail_msg("%s: %s", text, err);
    json_decref(j);
    return r;
}

static void parse_bad(const char *text, const char *const *want)
{
    ads_rule_t r;
    char err[512];
    json_t *j = json_loads(text, 0, NULL);
    assert_int_equal(ads_rule_parse(j, &r, err, sizeof(err)), -1);
    for (size_t i = 0; want[i]; i++)
        if (!strstr(err, want[i]))
            fail_msg("%s: \"%s\" not named in \"%s\"", text, want[i], err);
    json_decref(j);
}

static void test_parse(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("{\"kind\":\"all_buyers\"}").kind, ADS_RULE_ALL_BUYERS);
    assert_int_equal(parse_ok("{\"kind\":\"bought_within_days\",\"days\":30}").days, 30);
    assert_string_equal(parse_ok("{\"kind\":\"bought_sku\",\"sku\":\"LAV-8OZ\"}").sku, "LAV-8OZ");
    assert_int_equal(parse_ok("{\"kind\":\"min_orders\",\"orders\":2}").orders, 2);
    ads_rule_t v = parse_ok("{\"kind\":\"min_value\",\"value\":\"100.00\",\"currency\":\"USD\"}");
    assert_int_equal(v.value, 10000);
    assert_string_equal(v.currency, "USD");
    assert_int_equal(parse_ok("{\"kind\":\"min_value\",\"value\":\"5000\",\"currency\":\"JPY\"}").value, 5000);
    /* The JSON the API shows parses back to the same rule. */
    json_t *j = ads_rule_json(&v);
    assert_string_equal(json_string_value(json_object_get(j, "value")), "100.00");
    json_decref(j);

    parse_bad("[]", (const char *const[]){"rule:", NULL});
    parse_bad("{}", (const char *const[]){"rule.kind", NULL});
    parse_bad("{\"kind\":\"everyone\"}", (const char *const[]){"rule.kind", NULL});
    parse_bad("{\"kind\":\"bought_within_days\",\"days\":0}", (const char *const[]){"rule.days", NULL});
    parse_bad("{\"kind\":\"bought_within_days\",\"days\":\"30\"}", (const char *const[]){"rule.days", NULL});
    parse_bad("{\"kind\":\"bought_sku\",\"sku\":\"\"}", (const char *const[]){"rule.sku", NULL});
    parse_bad("{\"kind\":\"min_orders\",\"orders\":51}", (const char *const[]){"rule.orders", NULL});
    parse_bad("{\"kind\":\"min_value\",\"value\":\"ten\"}", (const char *const[]){"rule.currency", "rule.value", NULL});
    parse_bad("{\"kind\":\"min_value\",\"value\":\"1.005\",\"currency\":\"USD\"}", (const char *const[]){"rule.value", NULL});
    parse_bad("{\"kind\":\"min_value\",\"value\":\"0\",\"currency\":\"usd\"}", (const char *const[]){"rule.currency", "rule.value", NULL});
}

static int match(const char *rule, const char *buyer)
{
    ads_rule_t r = parse_ok(rule);
    json_t *b = json_loads(buyer, 0, NULL);
    assert_non_null(b);
    int m = ads_rule_match(&r, b, NOW);
    json_decref(b);
    return m;
}

/* Two orders: 10 days ago LAV-8OZ 30.00 USD, 40 days ago (skus {} as Lua
 * writes an empty list) 80.00 USD. */
static const char *const BUYER =
    "{\"email\":\"e\",\"orders\":[{\"session\":\"cs_2\",\"at\":1759136000,\"skus\":[\"LAV-8OZ\"],\"value\":3000,"
    "\"currency\":\"USD\"},{\"session\":\"cs_1\",\"at\":1756544000,\"skus\":{},\"value\":8000,\"currency\":\"USD\"}]}";

static void test_match(void **state)
{
    (void)state;
    assert_true(match("{\"kind\":\"all_buyers\"}", BUYER));
    assert_true(match("{\"kind\":\"bought_within_days\",\"days\":10}", BUYER));
    assert_false(match("{\"kind\":\"bought_within_days\",\"days\":9}", BUYER));
    assert_true(match("{\"kind\":\"bought_sku\",\"sku\":\"LAV-8OZ\"}", BUYER));
    assert_false(match("{\"kind\":\"bought_sku\",\"sku\":\"LAV\"}", BUYER));
    assert_true(match("{\"kind\":\"min_orders\",\"orders\":2}", BUYER));
    assert_false(match("{\"kind\":\"min_orders\",\"orders\":3}", BUYER));
    assert_true(match("{\"kind\":\"min_value\",\"value\":\"110.00\",\"currency\":\"USD\"}", BUYER));
    assert_false(match("{\"kind\":\"min_value\",\"value\":\"110.01\",\"currency\":\"USD\"}", BUYER));
    assert_false(match("{\"kind\":\"min_value\",\"value\":\"1.00\",\"currency\":\"EUR\"}", BUYER));
    /* A buyer who denied consent is in no audience, not even all buyers. */
    assert_false(match("{\"kind\":\"all_buyers\"}", "{\"email\":\"e\",\"denied\":true,\"orders\":[]}"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
