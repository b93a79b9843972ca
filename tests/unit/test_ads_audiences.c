/*
 * Unit tests for ads_audiences' pure parts: the customer file (one hash a
 * line, "\n"-ended, no header) and its MD5 (checked against Python's
 * hashlib), sorting, and the diff a later sync uploads (APPEND what is new,
 * REMOVE what left, nothing for what stayed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "shopsync/ads_audiences.h"

#define HA "08168cd80dfd534ab0f10af10f1303fe00af2d43ab5c1432360d137f8197e17a"
#define HB "e8f39b3e1382367d6d41ab34dc270d4e7533f978c9e9a775dfe2185b2f96b96c"

static void test_csv(void **state)
{
    (void)state;
    ads_hash_hex_t h[2] = {HA, HB};
    char md5[CRYPTO_MD5_HEX];
    buf_t b;
    buf_init(&b, 1024);
    assert_int_equal(ads_audiences_csv((const ads_hash_hex_t *)h, 2, &b, md5), 0);
    assert_int_equal(b.len, 130);
    assert_memory_equal(b.data, HA "\n" HB "\n", 130);
    /* python3: hashlib.md5((HA + "\n" + HB + "\n").encode()).hexdigest() */
    assert_string_equal(md5, "088820edc54ac228bd800c58281dcb09");
    assert_int_equal(ads_audiences_csv((const ads_hash_hex_t *)h, 0, &b, md5), 0);
    assert_string_equal(md5, "d41d8cd98f00b204e9800998ecf8427e");
    buf_free(&b);

    /* The cap holds: a file larger than the buffer's maximum is refused. */
    buf_init(&b, 100);
    assert_int_equal(ads_audiences_csv((const ads_hash_hex_t *)h, 2, &b, md5), -1);
    buf_free(&b);
}

/* A hash of 64 characters all c. */
static void fill(ads_hash_hex_t h, char c)
{
    memset(h, c, 64);
    h[64] = '\0';
}

static void test_diff(void **state)
{
    (void)state;
    ads_hash_hex_t old[4], now[4];
    size_t add[4], rem[4], n_add, n_rem;
    /* old: 1 2 3 5, now: 0 2 5 9 (unsorted, sorted first). */
    fill(old[0], '5'), fill(old[1], '1'), fill(old[2], '3'), fill(old[3], '2');
    fill(now[0], '9'), fill(now[1], '0'), fill(now[2], '2'), fill(now[3], '5');
    ads_audiences_sort(old, 4);
    ads_audiences_sort(now, 4);
    assert_int_equal(old[0][0], '1');
    assert_int_equal(now[3][0], '9');
    ads_audiences_diff((const ads_hash_hex_t *)old, 4, (const ads_hash_hex_t *)now, 4, add, &n_add, rem, &n_rem);
    assert_int_equal(n_add, 2);
    assert_int_equal(now[add[0]][0], '0');
    assert_int_equal(now[add[1]][0], '9');
    assert_int_equal(n_rem, 2);
    assert_int_equal(old[rem[0]][0], '1');
    assert_int_equal(old[rem[1]][0], '3');

    /* Nothing synced yet: everything is new; nothing now: all leave. */
    ads_audiences_diff((const ads_hash_hex_t *)old, 0, (const ads_hash_hex_t *)now, 4, add, &n_add, rem, &n_rem);
    assert_int_equal(n_add, 4);
    assert_int_equal(n_rem, 0);
    ads_audiences_diff((const ads_hash_hex_t *)old, 4, (const ads_hash_hex_t *)now, 0, add, &n_add, rem, &n_rem);
    assert_int_equal(n_add, 0);
    assert_int_equal(n_rem, 4);
    /* No change: nothing to upload. */
    ads_audiences_diff((const ads_hash_hex_t *)now, 4, (const ads_hash_hex_t *)now, 4, add, &n_add, rem, &n_rem);
    assert_int_equal(n_add + n_rem, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_diff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
