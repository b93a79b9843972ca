/*
 * Unit tests for crypto: HMAC against RFC 4231, hex, constant-time compare,
 * AES-256-GCM seal/open round trip and tamper detection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "shopsync/crypto.h"

static void test_hmac_rfc4231_case2(void **state)
{
    (void)state;
    unsigned char mac[32];
    char hex[65];
    const char *msg = "what do ya want for nothing?";
    assert_int_equal(crypto_hmac_sha256("Jefe", 4, msg, strlen(msg), mac), 0);
    crypto_hex(mac, 32, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_hmac_incremental_matches_oneshot(void **state)
{
    (void)state;
    unsigned char a[32], b[32];
    crypto_hmac_t *h = crypto_hmac_new("Jefe", 4);
    assert_non_null(h);
    assert_int_equal(crypto_hmac_update(h, "what do ya ", 11), 0);
    assert_int_equal(crypto_hmac_update(h, "want for nothing?", 17), 0);
    assert_int_equal(crypto_hmac_final(h, a), 0);
    assert_int_equal(crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, b), 0);
    assert_memory_equal(a, b, 32);
}

static void test_hex_roundtrip_and_errors(void **state)
{
    (void)state;
    unsigned char in[4] = {0x00, 0xab, 0x10, 0xff}, out[4];
    char hex[9];
    crypto_hex(in, 4, hex);
    assert_string_equal(hex, "00ab10ff");
    assert_int_equal(crypto_unhex("00AB10ff", out, 4), 0);
    assert_memory_equal(in, out, 4);
    assert_int_equal(crypto_unhex("00ab10f", out, 4), -1);
    assert_int_equal(crypto_unhex("00ab10fg", out, 4), -1);
}

static void test_compare(void **state)
{
    (void)state;
    assert_true(crypto_hex_equal("abCD", "ABcd"));
    assert_false(crypto_hex_equal("abcd", "abce"));
    assert_false(crypto_hex_equal("abcd", "abc"));
    assert_true(crypto_ct_equal("xyz", "xyz", 3));
    assert_false(crypto_ct_equal("xyz", "xya", 3));
}

static void test_seal_open(void **state)
{
    (void)state;
    unsigned char key[32], other[32];
    memset(key, 7, sizeof(key));
    memset(other, 8, sizeof(other));
    char *sealed = NULL, *opened = NULL;
    size_t n = 0;
    assert_int_equal(crypto_seal(key, "tokens", "secret-token", 12, &sealed), 0);
    assert_null(strstr(sealed, "secret"));
    assert_int_equal(crypto_open(key, "tokens", sealed, &opened, &n), 0);
    assert_int_equal(n, 12);
    assert_string_equal(opened, "secret-token");
    free(opened);
    assert_int_equal(crypto_open(other, "tokens", sealed, &opened, &n), -1);
    assert_int_equal(crypto_open(key, "other-aad", sealed, &opened, &n), -1);
    /* Flip one ciphertext nibble: authentication must fail. */
    size_t len = strlen(sealed);
    sealed[len - 1] = sealed[len - 1] == '0' ? '1' : '0';
    assert_int_equal(crypto_open(key, "tokens", sealed, &opened, &n), -1);
    assert_int_equal(crypto_open(key, "tokens", "v1.zz", &opened, &n), -1);
    assert_int_equal(crypto_open(key, "tokens", "garbage", &opened, &n), -1);
    free(sealed);
}

static void test_seal_is_randomised(void **state)
{
    (void)state;
    unsigned char key[32] = {1};
    char *a = NULL, *b = NULL;
    assert_int_equal(crypto_seal(key, NULL, "x", 1, &a), 0);
    assert_int_equal(crypto_seal(key, NULL, "x", 1, &b), 0);
    assert_string_not_equal(a, b);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_rfc4231_case2),
        cmocka_unit_test(test_hmac_incremental_matches_oneshot),
        cmocka_unit_test(test_hex_roundtrip_and_errors),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_seal_open),
        cmocka_unit_test(test_seal_is_randomised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
