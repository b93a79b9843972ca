/*
 * Unit tests for ads_hash: every case of tests/vectors/ads/tiktok-events.json
 * (email, phone, external_id, pass-through, never sent), each checked for
 * its normal form and its hash, plus the refusals (not an email, not a phone
 * number, no country code).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "shopsync/ads_hash.h"

static json_t *vectors;

/* Check every case of the vector group name for kind. Returns how many. */
static size_t check_group(const char *name, ads_id_kind kind)
{
    const json_t *group = json_object_get(vectors, name);
    size_t i;
    const json_t *c;
    assert_true(json_array_size(group) > 0);
    json_array_foreach(group, i, c) {
        const char *input = json_string_value(json_object_get(c, "input"));
        const char *region = json_string_value(json_object_get(c, "default_region"));
        const char *want_norm = json_string_value(json_object_get(c, "normalized"));
        const char *want_hash = json_string_value(json_object_get(c, "sha256"));
        char norm[ADS_HASH_INPUT_MAX], hash[ADS_HASH_HEX], err[256] = "";
        assert_non_null(input);
        assert_non_null(want_hash);
        ads_hash_rc rc = ads_hash_normalize(kind, input, region, norm, sizeof(norm), err, sizeof(err));
        if (want_norm) {
            if (rc != ADS_HASH_OK)
                fail_msg("%s case %zu (%s): %s", name, i, input, err);
            assert_string_equal(norm, want_norm);
        }
        rc = ads_hash_value(kind, input, region, hash, err, sizeof(err));
        assert_true(rc == ADS_HASH_OK || rc == ADS_HASH_PASSED);
        if (strcmp(hash, want_hash) != 0)
            fail_msg("%s case %zu (%s): %s, want %s", name, i, input, hash, want_hash);
    }
    return i;
}

static void test_email_vectors(void **state)
{
    (void)state;
    assert_int_equal(check_group("email", ADS_ID_EMAIL), 3);
}

static void test_phone_vectors(void **state)
{
    (void)state;
    assert_int_equal(check_group("phone", ADS_ID_PHONE), 5);
}

static void test_external_id_vectors(void **state)
{
    (void)state;
    assert_int_equal(check_group("external_id", ADS_ID_EXTERNAL_ID), 3);
}

/* A value that already is a SHA-256 hex passes through lowercased, for
 * every kind: hashing it again would never match. */
static void test_passthrough_vectors(void **state)
{
    (void)state;
    const json_t *group = json_object_get(vectors, "passthrough");
    size_t i;
    const json_t *c;
    assert_int_equal(json_array_size(group), 2);
    json_array_foreach(group, i, c) {
        const char *input = json_string_value(json_object_get(c, "input"));
        const char *want = json_string_value(json_object_get(c, "sha256"));
        for (int kind = ADS_ID_EMAIL; kind <= ADS_ID_EXTERNAL_ID; kind++) {
            char hash[ADS_HASH_HEX], err[256];
            assert_int_equal(ads_hash_value((ads_id_kind)kind, input, "US", hash, err, sizeof(err)), ADS_HASH_PASSED);
            assert_string_equal(hash, want);
        }
    }
}

static void test_never_sent_vectors(void **state)
{
    (void)state;
    const json_t *group = json_object_get(vectors, "never_sent");
    size_t i;
    const json_t *c;
    assert_int_equal(json_array_size(group), 2);
    json_array_foreach(group, i, c) {
        for (int kind = ADS_ID_EMAIL; kind <= ADS_ID_EXTERNAL_ID; kind++) {
            char hash[ADS_HASH_HEX] = "x", err[256];
            assert_int_equal(ads_hash_value((ads_id_kind)kind, json_string_value(c), "US", hash, err, sizeof(err)),
                             ADS_HASH_EMPTY);
            assert_string_equal(hash, "");
        }
    }
}

static void test_refusals(void **state)
{
    (void)state;
    char hash[ADS_HASH_HEX], err[256];
    const char *bad_emails[] = {"alice", "@example.com", "alice@", "a b@example.com", "a@@example.com", "a@example"};
    for (size_t i = 0; i < sizeof(bad_emails) / sizeof(bad_emails[0]); i++) {
        err[0] = '\0';
        assert_int_equal(ads_hash_value(ADS_ID_EMAIL, bad_emails[i], "US", hash, err, sizeof(err)), ADS_HASH_INVALID);
        assert_string_equal(err, "not an email address");
        assert_string_equal(hash, "");
    }
    err[0] = '\0';
    assert_int_equal(ads_hash_value(ADS_ID_PHONE, "call me", "US", hash, err, sizeof(err)), ADS_HASH_INVALID);
    assert_true(err[0] != '\0');
    assert_int_equal(ads_hash_value(ADS_ID_PHONE, "12", "US", hash, err, sizeof(err)), ADS_HASH_INVALID);
    /* Without a country code and without a usable region, nothing is assumed. */
    assert_int_equal(ads_hash_value(ADS_ID_PHONE, "4155550123", "ZZ", hash, err, sizeof(err)), ADS_HASH_INVALID);
    assert_non_null(strstr(err, "country code"));
    /* The region does not override a number's own country code. */
    assert_int_equal(ads_hash_value(ADS_ID_PHONE, "+1 415-555-0123", "GB", hash, err, sizeof(err)), ADS_HASH_OK);
    assert_string_equal(hash, "36a2cef4ff9bf7a1abd2a93359136b870393be4106e6c5d19b72ff564f9deca4");
    char long_input[700];
    memset(long_input, 'a', sizeof(long_input) - 1);
    long_input[sizeof(long_input) - 1] = '\0';
    assert_int_equal(ads_hash_value(ADS_ID_EXTERNAL_ID, long_input, "US", hash, err, sizeof(err)), ADS_HASH_INVALID);
}

int main(void)
{
    json_error_t jerr;
    vectors = json_load_file(SHOPSYNC_VECTORS_DIR "/ads/tiktok-events.json", 0, &jerr);
    if (!vectors) {
        fprintf(stderr, "tiktok-events.json: %s\n", jerr.text);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_email_vectors),       cmocka_unit_test(test_phone_vectors),
        cmocka_unit_test(test_external_id_vectors), cmocka_unit_test(test_passthrough_vectors),
        cmocka_unit_test(test_never_sent_vectors),  cmocka_unit_test(test_refusals),
    };
    int failed = cmocka_run_group_tests_name("ads_hash", tests, NULL, NULL);
    json_decref(vectors);
    return failed ? 1 : 0;
}
