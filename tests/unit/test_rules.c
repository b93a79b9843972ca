/*
 * Unit tests for rules: validation names every bad field, a document's
 * SKUs and default, and the projection formula (computed by the stock
 * scripts, read through stock_view) for each field, with the fallback
 * field by field to the store default, against a real redis-server
 * (tests/unit/redis_fixture.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "redis_fixture.h"
#include "shopsync/jsonx.h"
#include "shopsync/rules.h"
#include "shopsync/stock.h"

static json_t *parse(const char *s)
{
    char err[128];
    json_t *v = jsonx_loadb(s, strlen(s), err, sizeof(err));
    assert_non_null(v);
    return v;
}

/* The number of bad fields of rule text s, with their paths in fields. */
static int bad_fields(const char *s, json_t *fields, char *err, size_t errlen)
{
    json_t *in = parse(s), *out = NULL;
    err[0] = '\0';
    int n = rules_validate(in, "r", &out, fields, err, errlen);
    json_decref(in);
    json_decref(out);
    return n;
}

static void test_validate_names_each_field(void **state)
{
    (void)state;
    char err[1024];
    json_t *fields = json_array();
    assert_int_equal(bad_fields("{\"buffer\":-1,\"percent\":0,\"zero_at\":\"3\",\"max\":1.5,\"sync\":1,\"x\":2}",
                                fields, err, sizeof(err)),
                     6);
    const char *want[] = {"r.buffer", "r.percent", "r.zero_at", "r.max", "r.sync", "r.x"};
    for (size_t i = 0; i < 6; i++) {
        int found = 0;
        for (size_t j = 0; j < json_array_size(fields); j++)
            found |= strcmp(json_string_value(json_array_get(fields, j)), want[i]) == 0;
        assert_true(found);
        assert_non_null(strstr(err, want[i]));
    }
    json_decref(fields);
    assert_int_equal(bad_fields("{\"percent\":101}", NULL, err, sizeof(err)), 1);
    assert_non_null(strstr(err, "r.percent: must be a whole number from 1 to 100"));
    assert_int_equal(bad_fields("[]", NULL, err, sizeof(err)), 1);
}

static void test_validate_accepts(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(bad_fields("{}", NULL, err, sizeof(err)), 0);
    assert_int_equal(bad_fields("{\"buffer\":0,\"percent\":100,\"zero_at\":0,\"max\":null,\"sync\":false}", NULL, err,
                                sizeof(err)),
                     0);
    assert_int_equal(bad_fields("{\"percent\":1,\"max\":0}", NULL, err, sizeof(err)), 0);
}

static void test_validate_doc(void **state)
{
    (void)state;
    char err[1024] = "";
    json_t *fields = json_array(), *out = NULL;
    json_t *doc = parse("{\"default\":{\"percent\":200},\"skus\":{\"OK-1\":{\"buffer\":2},\"bad sku\":{},"
                        "\"B-2\":{\"sync\":\"no\"}},\"other\":1}");
    assert_int_equal(rules_validate_doc(doc, &out, fields, err, sizeof(err)), 4);
    assert_null(out);
    assert_non_null(strstr(err, "default.percent"));
    assert_non_null(strstr(err, "skus.bad sku"));
    assert_non_null(strstr(err, "skus.B-2.sync"));
    assert_non_null(strstr(err, "other"));
    json_decref(doc);
    json_decref(fields);
    doc = parse("{\"skus\":{\"OK-1\":{\"buffer\":2}}}");
    assert_int_equal(rules_validate_doc(doc, &out, NULL, err, sizeof(err)), 0);
    assert_non_null(json_object_get(out, "default"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(out, "skus"), "OK-1"),
                                                        "buffer")),
                     2);
    json_decref(doc);
    json_decref(out);
}

static int setup(void **state)
{
    (void)state;
    return redis_fixture_flush(&redis_fx) || redis_fixture_seed_sku(&redis_fx, "MUG", 20);
}

/* What TikTok is shown of MUG under rule text s (its own rule). */
static long long shown(const char *s)
{
    json_t *rule = parse(s);
    long long marked = 0;
    stock_view_t v;
    assert_int_equal(rules_set_sku(redis_fx.conn, "MUG", rule, &marked), RULES_OK);
    json_decref(rule);
    assert_int_equal(stock_view(redis_fx.conn, "MUG", &v), STOCK_OK);
    return v.sync ? v.tiktok : -1;
}

static void test_formula(void **state)
{
    (void)state;
    assert_int_equal(shown("{}"), 20);
    assert_int_equal(shown("{\"buffer\":5}"), 15);
    assert_int_equal(shown("{\"buffer\":25}"), 0);
    assert_int_equal(shown("{\"percent\":50}"), 10);
    assert_int_equal(shown("{\"percent\":33,\"buffer\":2}"), 5); /* floor(0.33 * 18) */
    assert_int_equal(shown("{\"zero_at\":20}"), 0);
    assert_int_equal(shown("{\"zero_at\":19}"), 20);
    assert_int_equal(shown("{\"max\":7}"), 7);
    assert_int_equal(shown("{\"max\":7,\"percent\":10}"), 2);
    assert_int_equal(shown("{\"sync\":false}"), -1);
}

static void test_fallback_field_by_field(void **state)
{
    (void)state;
    long long marked = 0;
    json_t *doc = parse("{\"default\":{\"buffer\":4,\"max\":10},\"skus\":{}}");
    assert_int_equal(rules_replace(redis_fx.conn, doc, &marked, NULL, 0), RULES_OK);
    json_decref(doc);
    assert_int_equal(marked, 0); /* MUG is in no catalog: nothing to push */
    assert_int_equal(shown("{}"), 10);                   /* min(10, 20 - 4) */
    assert_int_equal(shown("{\"buffer\":15}"), 5);       /* own buffer, default max */
    assert_int_equal(shown("{\"max\":null}"), 16);       /* own "no cap", default buffer */
    json_t *out = NULL;
    assert_int_equal(rules_get(redis_fx.conn, &out), RULES_OK);
    json_t *d = json_object_get(out, "default");
    assert_int_equal(json_integer_value(json_object_get(d, "buffer")), 4);
    assert_int_equal(json_integer_value(json_object_get(d, "percent")), 100);
    assert_true(json_is_true(json_object_get(d, "sync")));
    assert_true(json_is_null(json_object_get(json_object_get(json_object_get(out, "skus"), "MUG"), "max")));
    json_decref(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_names_each_field),
        cmocka_unit_test(test_validate_accepts),
        cmocka_unit_test(test_validate_doc),
        cmocka_unit_test_setup(test_formula, setup),
        cmocka_unit_test_setup(test_fallback_field_by_field, setup),
    };
    return cmocka_run_group_tests(tests, redis_fixture_group_setup, redis_fixture_group_teardown);
}
