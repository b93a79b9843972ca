/*
 * Unit tests for log: one JSON object per line, request ids, levels, and
 * redaction of secret and personal fields at any depth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shopsync/log.h"

static char path[] = "/tmp/shopsync-test-log-XXXXXX";

/* Run fn with stderr sent to a temp file; return what was written (new). */
static char *capture(void (*fn)(void))
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    char *buf = calloc(1, 65536);
    ssize_t n = read(fd, buf, 65535);
    assert_true(n >= 0);
    close(fd);
    unlink(path);
    memcpy(path + strlen(path) - 6, "XXXXXX", 6);
    return buf;
}

static void write_secrets(void)
{
    log_set_request_id("req-123");
    log_event(LOG_INFO, "probe", json_pack("{s:s,s:s,s:{s:s,s:s},s:[{s:s}],s:i}", "access_token", "AT-SECRET",
                                           "shop", "Candle Co", "nested", "Stripe-Signature", "t=1,v1=abc", "email",
                                           "a@b.c", "list", "phone_number", "555", "count", 3));
    log_set_request_id(NULL);
}

static void test_redaction_and_shape(void **state)
{
    (void)state;
    char *out = capture(write_secrets);
    assert_null(strstr(out, "AT-SECRET"));
    assert_null(strstr(out, "v1=abc"));
    assert_null(strstr(out, "a@b.c"));
    assert_null(strstr(out, "555"));
    json_error_t e;
    json_t *line = json_loads(out, 0, &e);
    assert_non_null(line);
    assert_string_equal(json_string_value(json_object_get(line, "event")), "probe");
    assert_string_equal(json_string_value(json_object_get(line, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(line, "req_id")), "req-123");
    assert_string_equal(json_string_value(json_object_get(line, "shop")), "Candle Co");
    assert_string_equal(json_string_value(json_object_get(line, "access_token")), "[redacted]");
    assert_string_equal(json_string_value(json_object_get(json_object_get(line, "nested"), "email")), "[redacted]");
    assert_int_equal(json_integer_value(json_object_get(line, "count")), 3);
    assert_non_null(json_object_get(line, "ts"));
    json_decref(line);
    free(out);
}

static void write_levels(void)
{
    log_set_level(LOG_WARN);
    log_msg(LOG_INFO, "hidden", "not shown");
    log_msg(LOG_ERROR, "shown", "value %d", 42);
    log_set_level(LOG_INFO);
}

static void test_levels(void **state)
{
    (void)state;
    char *out = capture(write_levels);
    assert_null(strstr(out, "hidden"));
    assert_non_null(strstr(out, "\"event\":\"shown\""));
    assert_non_null(strstr(out, "value 42"));
    assert_null(strchr(strchr(out, '\n') + 1, '{')); /* exactly one line */
    free(out);
    log_level_t l;
    assert_int_equal(log_parse_level("WARN", &l), 0);
    assert_int_equal(l, LOG_WARN);
    assert_int_equal(log_parse_level("loud", &l), -1);
    assert_true(log_enabled(LOG_ERROR));
    assert_false(log_enabled(LOG_DEBUG));
}

static void test_sensitive_names(void **state)
{
    (void)state;
    assert_true(log_is_sensitive("refresh_token"));
    assert_true(log_is_sensitive("X-Tiktok-Shop-Signature"));
    assert_true(log_is_sensitive("app_secret"));
    assert_true(log_is_sensitive("Cookie"));
    assert_true(log_is_sensitive("shop_cipher"));
    assert_false(log_is_sensitive("sku"));
    assert_false(log_is_sensitive("order_id"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redaction_and_shape),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_sensitive_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
