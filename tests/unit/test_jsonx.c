/*
 * Unit tests for jsonx: strict loading (duplicate keys, nesting depth, empty
 * input, trailing garbage, NUL), typed getters that name the field, and ids
 * that keep every digit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopsync/jsonx.h"

static json_t *load(const char *s, char *err, size_t errlen)
{
    err[0] = '\0';
    return jsonx_loadb(s, strlen(s), err, errlen);
}

/* n nested arrays: "[[[...]]]" */
static char *nested(int n, char open, char close)
{
    char *s = malloc((size_t)n * 2 + 1);
    assert_non_null(s);
    for (int i = 0; i < n; i++) {
        s[i] = open;
        s[2 * n - 1 - i] = close;
    }
    s[2 * n] = '\0';
    return s;
}

/* n nested objects: {"a":{"a":...{}...}} */
static char *nested_objects(int n)
{
    size_t cap = (size_t)n * 8 + 8;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t k = 0;
    for (int i = 0; i < n - 1; i++)
        k += (size_t)snprintf(s + k, cap - k, "{\"a\":");
    k += (size_t)snprintf(s + k, cap - k, "{}");
    for (int i = 0; i < n - 1; i++)
        s[k++] = '}';
    s[k] = '\0';
    return s;
}

static void test_load_ok(void **state)
{
    (void)state;
    char err[256];
    json_t *v = load("{\"a\":1,\"b\":[true,null,\"x\"]}", err, sizeof(err));
    assert_non_null(v);
    assert_true(json_is_object(v));
    assert_int_equal(json_integer_value(json_object_get(v, "a")), 1);
    assert_int_equal(json_array_size(json_object_get(v, "b")), 3);
    json_decref(v);
    /* surrounding whitespace is not garbage */
    v = load("  \n{\"a\":1}\r\n\t ", err, sizeof(err));
    assert_non_null(v);
    json_decref(v);
}

static void test_duplicate_keys_rejected(void **state)
{
    (void)state;
    char err[256];
    assert_null(load("{\"a\":1,\"a\":2}", err, sizeof(err)));
    assert_non_null(strstr(err, "duplicate"));
    /* nested objects too */
    assert_null(load("{\"x\":{\"k\":\"1\",\"k\":\"2\"}}", err, sizeof(err)));
    assert_non_null(strstr(err, "duplicate"));
    /* the same key in sibling objects is fine */
    json_t *v = load("[{\"k\":1},{\"k\":2}]", err, sizeof(err));
    assert_non_null(v);
    json_decref(v);
}

static void test_depth_limit(void **state)
{
    (void)state;
    char err[256];
    char *s = nested(JSONX_MAX_DEPTH, '[', ']');
    json_t *v = load(s, err, sizeof(err));
    assert_non_null(v);
    json_decref(v);
    free(s);

    s = nested(JSONX_MAX_DEPTH + 1, '[', ']');
    assert_null(load(s, err, sizeof(err)));
    assert_non_null(strstr(err, "nested deeper than 32"));
    free(s);

    s = nested_objects(JSONX_MAX_DEPTH);
    v = load(s, err, sizeof(err));
    assert_non_null(v);
    json_decref(v);
    free(s);

    s = nested_objects(JSONX_MAX_DEPTH + 1);
    assert_null(load(s, err, sizeof(err)));
    assert_non_null(strstr(err, "nested deeper than"));
    free(s);

    /* A very deep document is refused without recursing. */
    s = nested(100000, '[', ']');
    assert_null(load(s, err, sizeof(err)));
    assert_non_null(strstr(err, "nested deeper than"));
    free(s);
}

static void test_depth_counts_nesting_not_siblings(void **state)
{
    (void)state;
    char err[256];
    /* 200 sibling arrays at depth 2: never deeper than 2. */
    char s[1024];
    size_t k = 0;
    s[k++] = '[';
    for (int i = 0; i < 200; i++) {
        if (i)
            s[k++] = ',';
        s[k++] = '[';
        s[k++] = ']';
    }
    s[k++] = ']';
    s[k] = '\0';
    json_t *v = load(s, err, sizeof(err));
    assert_non_null(v);
    assert_int_equal(json_array_size(v), 200);
    json_decref(v);
}

static void test_brackets_in_strings_do_not_count(void **state)
{
    (void)state;
    char err[256];
    char doc[512];
    char br[101];
    memset(br, '[', 100);
    br[100] = '\0';
    snprintf(doc, sizeof(doc), "{\"a\":\"%s\",\"b\":\"{{{{]]]]\"}", br);
    json_t *v = load(doc, err, sizeof(err));
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "a")), br);
    json_decref(v);

    /* an escaped quote does not end the string early, and an escaped
     * backslash right before the closing quote does end it */
    snprintf(doc, sizeof(doc), "[\"\\\"%s\", \"\\\\\", 1]", br);
    v = load(doc, err, sizeof(err));
    assert_non_null(v);
    assert_int_equal(json_array_size(v), 3);
    json_decref(v);

    /* 31 real levels around a string full of brackets: still accepted */
    char *inner = nested(JSONX_MAX_DEPTH - 1, '[', ']');
    char *withstr = malloc(strlen(inner) + 200);
    assert_non_null(withstr);
    size_t half = strlen(inner) / 2;
    memcpy(withstr, inner, half);
    snprintf(withstr + half, 200 + strlen(inner) - half, "[\"%s\"]%s", br, inner + half);
    v = load(withstr, err, sizeof(err));
    assert_non_null(v);
    json_decref(v);
    free(withstr);
    free(inner);
}

static void test_empty_and_garbage(void **state)
{
    (void)state;
    char err[256];
    assert_null(jsonx_loadb("", 0, err, sizeof(err)));
    assert_non_null(strstr(err, "empty"));
    err[0] = '\0';
    assert_null(jsonx_loadb("   ", 3, err, sizeof(err)));
    assert_true(err[0] != '\0');
    assert_null(load("{\"a\":1} x", err, sizeof(err)));
    assert_non_null(strstr(err, "invalid JSON"));
    assert_null(load("{\"a\":1}{\"b\":2}", err, sizeof(err)));
    assert_non_null(strstr(err, "invalid JSON"));
    assert_null(load("[1,2", err, sizeof(err)));
    assert_non_null(strstr(err, "invalid JSON"));
    assert_null(load("{'a':1}", err, sizeof(err)));
    assert_non_null(strstr(err, "line 1"));
    /* the length is honoured: only the first 7 bytes are parsed */
    json_t *v = jsonx_loadb("{\"a\":1}garbage", 7, err, sizeof(err));
    assert_non_null(v);
    json_decref(v);
}

static void test_nul_rejected(void **state)
{
    (void)state;
    char err[256];
    /* raw NUL after a valid document */
    assert_null(jsonx_loadb("{\"a\":1}\0", 8, err, sizeof(err)));
    /* raw NUL inside a string */
    assert_null(jsonx_loadb("{\"a\":\"x\0y\"}", 11, err, sizeof(err)));
    /* escaped NUL */
    assert_null(load("{\"a\":\"x\\u0000y\"}", err, sizeof(err)));
}

static void test_get_str(void **state)
{
    (void)state;
    char err[256] = "";
    json_t *o = json_pack("{s:s,s:i,s:n}", "name", "Lavender", "count", 3, "nothing");
    const char *s = NULL;
    assert_int_equal(jsonx_get_str(o, "name", &s, err, sizeof(err)), 0);
    assert_string_equal(s, "Lavender");
    assert_int_equal(jsonx_get_str(o, "count", &s, err, sizeof(err)), -1);
    assert_string_equal(err, "count: must be a string");
    assert_int_equal(jsonx_get_str(o, "title", &s, err, sizeof(err)), -1);
    assert_string_equal(err, "title: is required");
    assert_int_equal(jsonx_get_str(o, "nothing", &s, err, sizeof(err)), -1);
    assert_string_equal(err, "nothing: must be a string");
    json_decref(o);
}

static void test_opt_str(void **state)
{
    (void)state;
    char err[256] = "";
    json_t *o = json_pack("{s:s,s:n,s:b}", "d", "text", "n", "flag", 1);
    const char *s = "sentinel";
    assert_int_equal(jsonx_opt_str(o, "d", &s, err, sizeof(err)), 0);
    assert_string_equal(s, "text");
    s = "sentinel";
    assert_int_equal(jsonx_opt_str(o, "missing", &s, err, sizeof(err)), 0);
    assert_null(s);
    s = "sentinel";
    assert_int_equal(jsonx_opt_str(o, "n", &s, err, sizeof(err)), 0);
    assert_null(s);
    assert_int_equal(jsonx_opt_str(o, "flag", &s, err, sizeof(err)), -1);
    assert_string_equal(err, "flag: must be a string");
    json_decref(o);
}

static void test_get_int(void **state)
{
    (void)state;
    char err[256] = "";
    json_t *o = NULL;
    char jerr[256];
    o = load("{\"qty\":-7,\"big\":9223372036854775807,\"real\":1.0,\"str\":\"5\"}", jerr, sizeof(jerr));
    assert_non_null(o);
    long long n = 0;
    assert_int_equal(jsonx_get_int(o, "qty", &n, err, sizeof(err)), 0);
    assert_int_equal(n, -7);
    assert_int_equal(jsonx_get_int(o, "big", &n, err, sizeof(err)), 0);
    assert_true(n == 9223372036854775807LL);
    n = 99;
    assert_int_equal(jsonx_get_int(o, "real", &n, err, sizeof(err)), -1);
    assert_string_equal(err, "real: must be an integer");
    assert_int_equal(n, 99);
    assert_int_equal(jsonx_get_int(o, "str", &n, err, sizeof(err)), -1);
    assert_string_equal(err, "str: must be an integer");
    assert_int_equal(jsonx_get_int(o, "absent", &n, err, sizeof(err)), -1);
    assert_string_equal(err, "absent: is required");
    json_decref(o);
}

static void test_get_id_exact(void **state)
{
    (void)state;
    char err[256] = "", jerr[256], out[64];
    /* 19 digits: above 2^53, so a double would change the last digits */
    json_t *o = load("{\"as_str\":\"7494560109732006123\",\"as_int\":7494560109732006123,"
                     "\"max\":9223372036854775807,\"small\":42,\"real\":1.5,\"empty\":\"\",\"b\":true}",
                     jerr, sizeof(jerr));
    assert_non_null(o);
    assert_int_equal(jsonx_get_id(o, "as_str", out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "7494560109732006123");
    assert_int_equal(jsonx_get_id(o, "as_int", out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "7494560109732006123");
    assert_int_equal(jsonx_get_id(o, "max", out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "9223372036854775807");
    assert_int_equal(jsonx_get_id(o, "small", out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "42");

    assert_int_equal(jsonx_get_id(o, "real", out, sizeof(out), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "real:"));
    assert_int_equal(jsonx_get_id(o, "b", out, sizeof(out), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "b:"));
    assert_int_equal(jsonx_get_id(o, "missing", out, sizeof(out), err, sizeof(err)), -1);
    assert_string_equal(err, "missing: is required");
    assert_int_equal(jsonx_get_id(o, "empty", out, sizeof(out), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "empty:"));

    /* exactly fits (19 digits + NUL = 20) vs one byte short */
    char small[20];
    assert_int_equal(jsonx_get_id(o, "as_str", small, sizeof(small), err, sizeof(err)), 0);
    assert_string_equal(small, "7494560109732006123");
    assert_int_equal(jsonx_get_id(o, "as_int", small, 19, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "as_int:"));
    assert_int_equal(jsonx_get_id(o, "as_str", small, 19, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "as_str:"));
    json_decref(o);
}

static void test_integer_too_big_for_int64_rejected(void **state)
{
    (void)state;
    char err[256];
    /* 20 digits do not fit an integer; the loader must not round them */
    assert_null(load("{\"id\":17494560109732006123}", err, sizeof(err)));
    assert_true(err[0] != '\0');
}

static void test_dump_compact_in_order(void **state)
{
    (void)state;
    char err[256];
    json_t *v = load("{ \"z\": 1, \"a\": [1, 2, {\"m\": \"x\"}], \"b\": null }", err, sizeof(err));
    assert_non_null(v);
    char *s = jsonx_dump(v);
    assert_non_null(s);
    assert_string_equal(s, "{\"z\":1,\"a\":[1,2,{\"m\":\"x\"}],\"b\":null}");
    free(s);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_ok),
        cmocka_unit_test(test_duplicate_keys_rejected),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_depth_counts_nesting_not_siblings),
        cmocka_unit_test(test_brackets_in_strings_do_not_count),
        cmocka_unit_test(test_empty_and_garbage),
        cmocka_unit_test(test_nul_rejected),
        cmocka_unit_test(test_get_str),
        cmocka_unit_test(test_opt_str),
        cmocka_unit_test(test_get_int),
        cmocka_unit_test(test_get_id_exact),
        cmocka_unit_test(test_integer_too_big_for_int64_rejected),
        cmocka_unit_test(test_dump_compact_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
