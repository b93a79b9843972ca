/*
 * Unit tests for tiktok_sign: every case of tests/vectors/tiktok-shop.json
 * (the Open API request sign and the Authorization webhook signature), the
 * sorting and exclusion rules of the string to sign, and the relay-form
 * webhook signature (x-tiktok-shop-timestamp / x-tiktok-shop-signature) with
 * its time window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopsync/crypto.h"
#include "shopsync/jsonx.h"
#include "shopsync/tiktok_sign.h"

static json_t *load_vectors(void)
{
    FILE *f = fopen(SHOPSYNC_VECTORS_DIR "/tiktok-shop.json", "rb");
    char err[256], *data = NULL;
    size_t cap = 1 << 20;
    assert_non_null(f);
    data = malloc(cap);
    assert_non_null(data);
    size_t n = fread(data, 1, cap, f);
    fclose(f);
    json_t *v = jsonx_loadb(data, n, err, sizeof(err));
    free(data);
    assert_non_null(v);
    return v;
}

/* The query of a vector case as params, in the file's order or reversed. */
static size_t vector_params(const json_t *query, tiktok_param_t *p, size_t cap, int reverse)
{
    const char *key;
    json_t *val;
    size_t n = json_object_size(query), i = 0;
    assert_true(n <= cap);
    json_object_foreach((json_t *)query, key, val) {
        size_t at = reverse ? n - 1 - i : i;
        p[at].key = key;
        p[at].value = json_string_value(val);
        assert_non_null(p[at].value);
        i++;
    }
    return n;
}

static void test_vectors_request_signing(void **state)
{
    (void)state;
    json_t *root = load_vectors(), *cases = json_object_get(root, "request_signing"), *tc;
    size_t i;
    assert_true(json_array_size(cases) >= 4);
    json_array_foreach(cases, i, tc) {
        tiktok_param_t p[16];
        char hex[65];
        const char *secret = json_string_value(json_object_get(tc, "app_secret"));
        const char *path = json_string_value(json_object_get(tc, "path"));
        const char *body = json_string_value(json_object_get(tc, "body"));
        const char *want = json_string_value(json_object_get(tc, "sign"));
        const char *sts = json_string_value(json_object_get(tc, "string_to_sign"));
        size_t blen = body ? strlen(body) : 0;
        for (int rev = 0; rev < 2; rev++) {
            size_t n = vector_params(json_object_get(tc, "query"), p, 16, rev);
            assert_int_equal(tiktok_sign(secret, path, p, n, blen ? body : NULL, blen, hex), 0);
            assert_string_equal(hex, want);
            if (sts) {
                buf_t b;
                buf_init(&b, 4096);
                assert_int_equal(tiktok_string_to_sign(secret, path, p, n, body, blen, &b), 0);
                assert_string_equal(b.data, sts);
                buf_free(&b);
            }
        }
    }
    json_decref(root);
}

static void test_vectors_webhook(void **state)
{
    (void)state;
    json_t *root = load_vectors(), *cases = json_object_get(root, "webhook_signature"), *tc;
    size_t i;
    assert_true(json_array_size(cases) >= 1);
    json_array_foreach(cases, i, tc) {
        const char *key = json_string_value(json_object_get(tc, "app_key"));
        const char *secret = json_string_value(json_object_get(tc, "app_secret"));
        const char *body = json_string_value(json_object_get(tc, "body"));
        const char *want = json_string_value(json_object_get(tc, "signature"));
        size_t len = strlen(body);
        char hex[65], upper[65], *mut = strdup(body);
        assert_int_equal(tiktok_webhook_sign(key, secret, body, len, hex), 0);
        assert_string_equal(hex, want);
        assert_int_equal(tiktok_webhook_verify(key, secret, body, len, want), 1);
        for (int j = 0; j < 65; j++)
            upper[j] = (char)(want[j] >= 'a' && want[j] <= 'f' ? want[j] - 32 : want[j]);
        assert_int_equal(tiktok_webhook_verify(key, secret, body, len, upper), 1);
        mut[len / 2] ^= 1;
        assert_int_equal(tiktok_webhook_verify(key, secret, mut, len, want), 0);
        assert_int_equal(tiktok_webhook_verify(key, "other_secret", body, len, want), 0);
        assert_int_equal(tiktok_webhook_verify("other_key", secret, body, len, want), 0);
        assert_int_equal(tiktok_webhook_verify(key, secret, body, len - 1, want), 0);
        assert_int_equal(tiktok_webhook_verify(key, secret, body, len, NULL), 0);
        upper[63] = '\0';
        assert_int_equal(tiktok_webhook_verify(key, secret, body, len, upper), 0);
        free(mut);
    }
    json_decref(root);
}

/* Mutations of the PUT-with-body vector must change (or, for excluded
 * params, keep) the signature. */
static void test_sign_mutations(void **state)
{
    (void)state;
    const char *body = "{\"event_type\":\"PACKAGE_UPDATE\",\"address\":\"https://partner.tiktokshop.com\"}";
    const char *want = "701dd6deb2389fe4c469b89bd37fc56f96a6da6afeb4d01c9077a65169752fa7";
    tiktok_param_t p[5] = {
        {"app_key", "68xu9ks5p4i8"},
        {"shop_cipher", "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK"},
        {"timestamp", "1696909648"},
    };
    char hex[65], *mut = strdup(body);
    size_t len = strlen(body);

    assert_int_equal(tiktok_sign("e59af819cc", "/event/202309/webhooks", p, 3, body, len, hex), 0);
    assert_string_equal(hex, want);

    mut[10] ^= 0x20;
    assert_int_equal(tiktok_sign("e59af819cc", "/event/202309/webhooks", p, 3, mut, len, hex), 0);
    assert_string_not_equal(hex, want);
    free(mut);
    assert_int_equal(tiktok_sign("e59af819cd", "/event/202309/webhooks", p, 3, body, len, hex), 0);
    assert_string_not_equal(hex, want);
    assert_int_equal(tiktok_sign("e59af819cc", "/event/202309/webhook", p, 3, body, len, hex), 0);
    assert_string_not_equal(hex, want);
    /* The body is part of the signature: dropping it changes it. */
    assert_int_equal(tiktok_sign("e59af819cc", "/event/202309/webhooks", p, 3, NULL, 0, hex), 0);
    assert_string_not_equal(hex, want);

    /* sign and access_token are excluded wherever they appear. */
    p[3] = (tiktok_param_t){"sign", "0000"};
    p[4] = (tiktok_param_t){"access_token", "secret-token"};
    assert_int_equal(tiktok_sign("e59af819cc", "/event/202309/webhooks", p, 5, body, len, hex), 0);
    assert_string_equal(hex, want);
    /* Any other extra param is included. */
    p[3] = (tiktok_param_t){"version", "202309"};
    assert_int_equal(tiktok_sign("e59af819cc", "/event/202309/webhooks", p, 4, body, len, hex), 0);
    assert_string_not_equal(hex, want);
    /* A changed value is included. */
    p[2].value = "1696909649";
    assert_int_equal(tiktok_sign("e59af819cc", "/event/202309/webhooks", p, 3, body, len, hex), 0);
    assert_string_not_equal(hex, want);
    /* Duplicate keys and NULL values are refused. */
    p[2] = (tiktok_param_t){"app_key", "x"};
    assert_int_equal(tiktok_sign("e59af819cc", "/event/202309/webhooks", p, 3, body, len, hex), -1);
    p[2] = (tiktok_param_t){"timestamp", NULL};
    assert_int_equal(tiktok_sign("e59af819cc", "/event/202309/webhooks", p, 3, body, len, hex), -1);
}

/* Keys sort bytewise (uppercase before lowercase, '_' before letters) and
 * values are signed unencoded. */
static void test_sign_sorting_and_raw_values(void **state)
{
    (void)state;
    tiktok_param_t p[] = {
        {"ab", "v4"}, {"a_b", "x y&z=\xc3\xa9"}, {"sign", "zz"}, {"a", "v2"},
        {"B", "v1"},  {"access_token", "t"},
    };
    buf_t b;
    char hex[65], want[65];
    buf_init(&b, 1024);
    assert_int_equal(tiktok_string_to_sign("sec", "/p", p, 6, "{}", 2, &b), 0);
    assert_string_equal(b.data, "sec/pBv1av2a_bx y&z=\xc3\xa9" "abv4{}sec");
    assert_int_equal(tiktok_sign("sec", "/p", p, 6, "{}", 2, hex), 0);
    unsigned char mac[32];
    assert_int_equal(crypto_hmac_sha256("sec", 3, b.data, b.len, mac), 0);
    crypto_hex(mac, 32, want);
    assert_string_equal(hex, want);
    buf_free(&b);
}

/* ---- relay form ---------------------------------------------------------- */

/* The Authorization vector's secret and body, signed in the relay form; the
 * expected values come from Python's hmac module (no public vector exists
 * for this form):
 *   hmac.new(b"fake_app_secret", b"1664095733" + body, sha256).hexdigest() */
#define RELAY_SECRET "fake_app_secret"
#define RELAY_TS "1664095733"
#define RELAY_NOW 1664095733LL
#define RELAY_BODY                                                                          \
    "{\"type\":1,\"shop_id\":\"7494726673780148744\",\"timestamp\":1664095733,\"data\":{" \
    "\"order_id\":\"576684019603311365\",\"order_status\":\"AWAITING_SHIPMENT\","          \
    "\"update_time\":1664095610}}"
#define RELAY_SIG "ac2ed150219ace6addf8a7f1e0370e5168916a35f4f948401270cc249d0d4442"
/* The same timestamp over an empty body. */
#define RELAY_SIG_EMPTY "e65efc400ebf4808c1a29428d87363b7294a92d214a9b6e44fa130c861d3427f"

/* Verify with RELAY_SECRET. */
static int relay_ok(const char *ts, const char *sig, const char *body, size_t len, long long now)
{
    return tiktok_webhook_relay_verify(RELAY_SECRET, ts, sig, body, len, now);
}

static void test_relay_sign_known_values(void **state)
{
    (void)state;
    char hex[65];
    size_t len = strlen(RELAY_BODY);
    assert_int_equal(tiktok_webhook_relay_sign(RELAY_SECRET, RELAY_TS, RELAY_BODY, len, hex), 0);
    assert_string_equal(hex, RELAY_SIG);
    assert_int_equal(tiktok_webhook_relay_sign(RELAY_SECRET, RELAY_TS, NULL, 0, hex), 0);
    assert_string_equal(hex, RELAY_SIG_EMPTY);
    assert_int_equal(tiktok_webhook_relay_sign(RELAY_SECRET, RELAY_TS, "", 0, hex), 0);
    assert_string_equal(hex, RELAY_SIG_EMPTY);
    /* The relay form signs the timestamp where the Authorization form signs
     * the app key: the two differ over the same body. */
    char auth[65];
    assert_int_equal(tiktok_webhook_sign("fake_app_key", RELAY_SECRET, RELAY_BODY, len, auth), 0);
    assert_string_not_equal(auth, RELAY_SIG);
    assert_int_equal(tiktok_webhook_relay_sign(NULL, RELAY_TS, RELAY_BODY, len, hex), -1);
    assert_int_equal(tiktok_webhook_relay_sign(RELAY_SECRET, NULL, RELAY_BODY, len, hex), -1);
    assert_int_equal(tiktok_webhook_relay_sign(RELAY_SECRET, RELAY_TS, NULL, 3, hex), -1);
}

static void test_relay_verify_signature(void **state)
{
    (void)state;
    const char *body = RELAY_BODY;
    size_t len = strlen(body);
    char upper[65], *mut = strdup(body);
    assert_non_null(mut);
    assert_int_equal(relay_ok(RELAY_TS, RELAY_SIG, body, len, RELAY_NOW), 1);
    for (int j = 0; j < 65; j++)
        upper[j] = (char)(RELAY_SIG[j] >= 'a' && RELAY_SIG[j] <= 'f' ? RELAY_SIG[j] - 32 : RELAY_SIG[j]);
    assert_int_equal(relay_ok(RELAY_TS, upper, body, len, RELAY_NOW), 1);
    mut[len / 2] ^= 1;
    assert_int_equal(relay_ok(RELAY_TS, RELAY_SIG, mut, len, RELAY_NOW), 0);
    free(mut);
    assert_int_equal(tiktok_webhook_relay_verify("other_secret", RELAY_TS, RELAY_SIG, body, len, RELAY_NOW),
                     0);
    assert_int_equal(relay_ok(RELAY_TS, RELAY_SIG, body, len - 1, RELAY_NOW), 0);
    /* The timestamp is signed as sent: another one within the window fails. */
    assert_int_equal(relay_ok("1664095734", RELAY_SIG, body, len, RELAY_NOW), 0);
    /* A truncated signature, a missing one, a missing timestamp. */
    upper[63] = '\0';
    assert_int_equal(relay_ok(RELAY_TS, upper, body, len, RELAY_NOW), 0);
    assert_int_equal(relay_ok(RELAY_TS, NULL, body, len, RELAY_NOW), 0);
    assert_int_equal(relay_ok(NULL, RELAY_SIG, body, len, RELAY_NOW), 0);
    assert_int_equal(relay_ok(RELAY_TS, RELAY_SIG_EMPTY, "", 0, RELAY_NOW), 1);
}

/* The timestamp must be plain decimal within TIKTOK_WEBHOOK_RELAY_WINDOW_S
 * of now, either way; the edges are inclusive. */
static void test_relay_verify_window(void **state)
{
    (void)state;
    const char *body = RELAY_BODY;
    size_t len = strlen(body);
    const long long w = TIKTOK_WEBHOOK_RELAY_WINDOW_S;
    assert_int_equal(w, 300);
    assert_int_equal(relay_ok(RELAY_TS, RELAY_SIG, body, len, RELAY_NOW + w), 1);
    assert_int_equal(relay_ok(RELAY_TS, RELAY_SIG, body, len, RELAY_NOW - w), 1);
    assert_int_equal(relay_ok(RELAY_TS, RELAY_SIG, body, len, RELAY_NOW + w + 1), 0);
    assert_int_equal(relay_ok(RELAY_TS, RELAY_SIG, body, len, RELAY_NOW - w - 1), 0);

    /* Not a number, or more than one: refused before any HMAC. */
    static const char *bad[] = {"", "1664095733x", "0x6331d0f5", "1664095733 ", "abc", NULL};
    for (int i = 0; bad[i]; i++) {
        char sig[65];
        assert_int_equal(tiktok_webhook_relay_sign(RELAY_SECRET, bad[i], body, len, sig), 0);
        assert_int_equal(relay_ok(bad[i], sig, body, len, RELAY_NOW), 0);
    }
    /* Extreme timestamps are out of the window, not an overflow. */
    char sig[65], ts[32];
    snprintf(ts, sizeof(ts), "%lld", LLONG_MIN);
    assert_int_equal(tiktok_webhook_relay_sign(RELAY_SECRET, ts, body, len, sig), 0);
    assert_int_equal(relay_ok(ts, sig, body, len, RELAY_NOW), 0);
    snprintf(ts, sizeof(ts), "%lld", LLONG_MAX);
    assert_int_equal(tiktok_webhook_relay_sign(RELAY_SECRET, ts, body, len, sig), 0);
    assert_int_equal(relay_ok(ts, sig, body, len, RELAY_NOW), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_request_signing),
        cmocka_unit_test(test_vectors_webhook),
        cmocka_unit_test(test_sign_mutations),
        cmocka_unit_test(test_sign_sorting_and_raw_values),
        cmocka_unit_test(test_relay_sign_known_values),
        cmocka_unit_test(test_relay_verify_signature),
        cmocka_unit_test(test_relay_verify_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
