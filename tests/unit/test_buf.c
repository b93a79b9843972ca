/*
 * Unit tests for buf: the hard cap is enforced to the byte and a refused
 * append leaves the content untouched; appendf, steal, reset and the NUL
 * terminator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "shopsync/buf.h"

static void test_init_is_empty(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 100);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(b.max, 100);
    buf_free(&b);
    assert_null(b.data);
}

static void test_cap_exact(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 10);
    assert_int_equal(buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    /* One more byte is over the cap and changes nothing. */
    assert_int_equal(buf_append(&b, "X", 1), -1);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    assert_int_equal(buf_appends(&b, "Y"), -1);
    assert_int_equal(buf_appendf(&b, "%d", 7), -1);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    /* Appending nothing still fits. */
    assert_int_equal(buf_append(&b, "", 0), 0);
    assert_int_equal(b.len, 10);
    buf_free(&b);
}

static void test_cap_in_pieces(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 5);
    assert_int_equal(buf_appends(&b, "ab"), 0);
    assert_int_equal(buf_appends(&b, "cd"), 0);
    /* Two bytes when one is left: refused as a whole, not truncated. */
    assert_int_equal(buf_appends(&b, "ef"), -1);
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "abcd");
    assert_int_equal(buf_appends(&b, "e"), 0);
    assert_string_equal(b.data, "abcde");
    assert_int_equal(b.len, 5);
    assert_true(b.cap <= 6); /* never allocates far beyond max + NUL */
    buf_free(&b);
}

static void test_single_append_over_cap_on_empty(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 3);
    assert_int_equal(buf_append(&b, "abcd", 4), -1);
    assert_int_equal(b.len, 0);
    /* A refused first append may leave data NULL or empty, never content. */
    assert_true(b.data == NULL || b.data[0] == '\0');
    /* A huge n must not wrap around the size check. */
    assert_int_equal(buf_append(&b, "a", SIZE_MAX), -1);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_zero_max(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, "a", 1), -1);
    assert_int_equal(buf_append(&b, "", 0), 0);
    assert_int_equal(b.len, 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    buf_free(&b);
}

static void test_growth_keeps_content(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 100000);
    char expect[100001];
    for (int i = 0; i < 100000; i++) {
        char c = (char)('a' + i % 26);
        expect[i] = c;
        assert_int_equal(buf_append(&b, &c, 1), 0);
    }
    expect[100000] = '\0';
    assert_int_equal(b.len, 100000);
    assert_memory_equal(b.data, expect, 100000);
    assert_int_equal(b.data[100000], '\0');
    assert_int_equal(buf_append(&b, "z", 1), -1);
    assert_int_equal(b.len, 100000);
    buf_free(&b);
}

static void test_appendf(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 64);
    assert_int_equal(buf_appendf(&b, "%s=%d", "n", 42), 0);
    assert_int_equal(buf_appendf(&b, ";%05.1f;%c", 3.14159, 'x'), 0);
    assert_string_equal(b.data, "n=42;003.1;x");
    assert_int_equal(b.len, strlen("n=42;003.1;x"));
    assert_int_equal(buf_appendf(&b, "%s", ""), 0);
    assert_int_equal(b.len, 12);
    buf_free(&b);
}

static void test_appendf_exact_and_over(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 8);
    assert_int_equal(buf_appends(&b, "abc"), 0);
    /* exactly fills the cap */
    assert_int_equal(buf_appendf(&b, "%05d", 12), 0);
    assert_string_equal(b.data, "abc00012");
    assert_int_equal(b.len, 8);
    buf_reset(&b);
    assert_int_equal(buf_appends(&b, "abc"), 0);
    /* six more bytes when five fit: refused, content unchanged */
    assert_int_equal(buf_appendf(&b, "%06d", 12), -1);
    assert_string_equal(b.data, "abc");
    assert_int_equal(b.len, 3);
    buf_free(&b);
}

static void test_embedded_nul_and_termination(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 32);
    assert_int_equal(buf_append(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 4); /* trailing NUL included */
    assert_int_equal(buf_append(&b, "cd", 1), 0); /* only n bytes */
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "a\0bc\0", 5);
    buf_free(&b);
}

static void test_reset_keeps_allocation(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 1000);
    assert_int_equal(buf_appends(&b, "hello world"), 0);
    char *before = b.data;
    size_t cap = b.cap;
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.data, before);
    assert_int_equal(b.cap, cap);
    assert_string_equal(b.data, "");
    assert_int_equal(b.max, 1000);
    assert_int_equal(buf_appends(&b, "x"), 0);
    assert_string_equal(b.data, "x");
    buf_free(&b);
    /* reset of a never-used buffer is harmless */
    buf_init(&b, 10);
    buf_reset(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_reset_restores_full_cap(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 4);
    assert_int_equal(buf_appends(&b, "abcd"), 0);
    assert_int_equal(buf_appends(&b, "e"), -1);
    buf_reset(&b);
    assert_int_equal(buf_appends(&b, "wxyz"), 0);
    assert_string_equal(b.data, "wxyz");
    buf_free(&b);
}

static void test_steal(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 100);
    assert_int_equal(buf_appends(&b, "payload"), 0);
    char *s = buf_steal(&b);
    assert_non_null(s);
    assert_string_equal(s, "payload");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    /* the buffer is usable again and independent of the stolen string */
    assert_int_equal(buf_appends(&b, "next"), 0);
    assert_string_equal(b.data, "next");
    assert_string_equal(s, "payload");
    free(s);
    buf_free(&b);
}

static void test_steal_empty(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 100);
    char *s = buf_steal(&b);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_free_then_reinit(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 3);
    assert_int_equal(buf_appends(&b, "abc"), 0);
    buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    buf_init(&b, 6);
    assert_int_equal(buf_appends(&b, "abcdef"), 0);
    assert_int_equal(buf_appends(&b, "g"), -1);
    assert_string_equal(b.data, "abcdef");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_is_empty),
        cmocka_unit_test(test_cap_exact),
        cmocka_unit_test(test_cap_in_pieces),
        cmocka_unit_test(test_single_append_over_cap_on_empty),
        cmocka_unit_test(test_zero_max),
        cmocka_unit_test(test_growth_keeps_content),
        cmocka_unit_test(test_appendf),
        cmocka_unit_test(test_appendf_exact_and_over),
        cmocka_unit_test(test_embedded_nul_and_termination),
        cmocka_unit_test(test_reset_keeps_allocation),
        cmocka_unit_test(test_reset_restores_full_cap),
        cmocka_unit_test(test_steal),
        cmocka_unit_test(test_steal_empty),
        cmocka_unit_test(test_free_then_reinit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
