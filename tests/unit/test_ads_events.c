/*
 * Unit tests for the TikTok Ads event builders: value and currency rules
 * (zero- and three-decimal currencies), the Purchase built from a Stripe
 * event (hashed match keys, attribution metadata, consent), the store
 * events API's validation naming every bad field, offline rows and CSV,
 * ISO-8601 times, the intake redaction of Stripe bodies, and the Business
 * API outcome of each TikTok code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "shopsync/ads_client.h"
#include "shopsync/ads_events.h"
#include "shopsync/ads_offline.h"

#define NOW 1790000000LL
#define H_BOB "686b5e4cf4f963adf8f51468a48028ef8d15bd02fa335f821279a3d1678c9615"
#define H_PHONE "36a2cef4ff9bf7a1abd2a93359136b870393be4106e6c5d19b72ff564f9deca4"
#define H_CUS "06975da8c20301cb79605caeae77211905f902da13e6bdf96c6edca1d6eed9d7"

static const ads_settings_t settings = {"US", "Purchase", 0, NOW};

/* The text of value as the Events API receives it. */
static char *money_text(long long minor, const char *currency, char cur[4])
{
    json_t *v = NULL;
    char err[128];
    assert_int_equal(ads_events_money(minor, currency, cur, &v, err, sizeof(err)), 0);
    json_t *wrap = json_pack("[o]", v);
    char *text = ads_events_dump(wrap);
    json_decref(wrap);
    return text;
}

static void test_money(void **state)
{
    (void)state;
    static const struct {
        long long minor;
        const char *currency, *want_cur, *want;
    } cases[] = {
        {4998, "usd", "USD", "[49.98]"}, {1999, "EUR", "EUR", "[19.99]"},   {5, "gbp", "GBP", "[0.05]"},
        {0, "usd", "USD", "[0.0]"},      {1500, "jpy", "JPY", "[1500]"},    {73000, "KRW", "KRW", "[73000]"},
        {250, "vnd", "VND", "[250]"},    {12345, "kwd", "KWD", "[12.345]"}, {100000, "BHD", "BHD", "[100.0]"},
        {123456789012, "usd", "USD", "[1234567890.12]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char cur[4];
        char *text = money_text(cases[i].minor, cases[i].currency, cur);
        assert_string_equal(cur, cases[i].want_cur);
        assert_string_equal(text, cases[i].want);
        free(text);
    }
    assert_int_equal(ads_events_currency_decimals("JPY"), 0);
    assert_int_equal(ads_events_currency_decimals("TND"), 3);
    assert_int_equal(ads_events_currency_decimals("USD"), 2);
    char cur[4], err[128];
    json_t *v = NULL;
    assert_int_equal(ads_events_money(100, "US", cur, &v, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "currency"));
    assert_int_equal(ads_events_money(100, "U$D", cur, &v, err, sizeof(err)), -1);
    assert_int_equal(ads_events_money(-1, "USD", cur, &v, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "value"));
    assert_null(v);
}

static void test_names(void **state)
{
    (void)state;
    assert_true(ads_events_name_ok("Purchase", 0));
    assert_true(ads_events_name_ok("AddToCart", 1));
    assert_true(ads_events_name_ok("CompletePayment", 0));
    assert_true(ads_events_name_ok("PlaceAnOrder", 0));
    assert_false(ads_events_name_ok("purchase", 0));
    assert_false(ads_events_name_ok("PlaceOrder", 0));
    assert_false(ads_events_name_ok("", 0));
}

static const char stripe_body[] =
    "{\"id\":\"evt_1\",\"type\":\"checkout.session.completed\",\"created\":1789999990,\"data\":{\"object\":{"
    "\"id\":\"cs_test_1\",\"payment_status\":\"paid\",\"amount_total\":4998,\"currency\":\"usd\","
    "\"customer\":\"cus_NffrFeUfNV2Hib\",\"customer_details\":{\"email\":\" Bob@Example.org\","
    "\"phone\":\"+1 415-555-0123\",\"name\":\"Bob\"},\"metadata\":{\"shopsync_items\":\"LAV-8OZ:2\","
    "\"ttclid\":\"click-1\",\"ttp\":\"ttp-1\",\"client_ip\":\"203.0.113.9\",\"client_user_agent\":\"UA/1\","
    "\"page_url\":\"https://shop.example/p\"%s}}}}";

static char *stripe_with(const char *extra_meta)
{
    size_t n = sizeof(stripe_body) + strlen(extra_meta);
    char *b = malloc(n);
    snprintf(b, n, stripe_body, extra_meta);
    return b;
}

static void test_from_stripe(void **state)
{
    (void)state;
    stripe_line_t lines[2];
    memset(lines, 0, sizeof(lines));
    snprintf(lines[0].sku, sizeof(lines[0].sku), "LAV-8OZ");
    snprintf(lines[0].description, sizeof(lines[0].description), "Lavender 8 oz");
    lines[0].quantity = 2;
    lines[1].quantity = 3; /* no SKU: not a content */
    char why[ADS_ERR_MAX];
    json_t *entry = NULL;
    char *body = stripe_with("");
    assert_int_equal(ads_events_from_stripe(&settings, body, strlen(body), lines, 2, &entry, why, sizeof(why)),
                     ADS_BUILD_OK);
    char *text = ads_events_dump(entry);
    assert_string_equal(
        text, "{\"source\":\"web\",\"origin\":\"stripe\",\"event\":{\"event\":\"Purchase\",\"event_time\":1789999990,"
              "\"event_id\":\"cs_test_1\",\"user\":{\"email\":\"" H_BOB "\",\"phone\":\"" H_PHONE
              "\",\"external_id\":\"" H_CUS "\",\"ttclid\":\"click-1\",\"ttp\":\"ttp-1\",\"ip\":\"203.0.113.9\","
              "\"user_agent\":\"UA/1\"},\"page\":{\"url\":\"https://shop.example/p\"},\"properties\":{\"currency\":"
              "\"USD\",\"value\":49.98,\"content_type\":\"product\",\"contents\":[{\"content_id\":\"LAV-8OZ\","
              "\"quantity\":2,\"content_name\":\"Lavender 8 oz\"}],\"order_id\":\"cs_test_1\"}}}");
    free(text);
    json_decref(entry);
    free(body);

    /* Consent: denied is never sent; required needs granted. */
    body = stripe_with(",\"tiktok_consent\":\"denied\"");
    assert_int_equal(ads_events_from_stripe(&settings, body, strlen(body), lines, 1, &entry, why, sizeof(why)),
                     ADS_BUILD_SKIP);
    assert_null(entry);
    free(body);
    ads_settings_t required = settings;
    required.consent_required = 1;
    required.purchase_event = "CompletePayment";
    body = stripe_with("");
    assert_int_equal(ads_events_from_stripe(&required, body, strlen(body), lines, 1, &entry, why, sizeof(why)),
                     ADS_BUILD_SKIP);
    assert_non_null(strstr(why, "required"));
    free(body);
    body = stripe_with(",\"tiktok_consent\":\"granted\",\"tiktok_external_id\":\"user_123\"");
    assert_int_equal(ads_events_from_stripe(&required, body, strlen(body), lines, 1, &entry, why, sizeof(why)),
                     ADS_BUILD_OK);
    const json_t *ev = json_object_get(entry, "event");
    assert_string_equal(json_string_value(json_object_get(ev, "event")), "CompletePayment");
    assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "user"), "external_id")),
                        "80fba0ae1c48e3978e43e4efc365e14e12ea0c830ba8ba5b9a2dafc7e3f2ab8b");
    json_decref(entry);
    free(body);
}

static void test_redact_stripe(void **state)
{
    (void)state;
    char *body = stripe_with("");
    char *out = NULL;
    size_t n = 0;
    assert_int_equal(ads_events_redact_stripe("US", body, strlen(body), &out, &n), 0);
    assert_non_null(out);
    assert_int_equal(strlen(out), n);
    assert_null(strstr(out, "Bob@"));
    assert_null(strstr(out, "555"));
    assert_non_null(strstr(out, H_BOB));
    assert_non_null(strstr(out, H_PHONE));
    /* Hashed values pass through the builder unchanged. */
    json_t *entry = NULL;
    char why[ADS_ERR_MAX];
    assert_int_equal(ads_events_from_stripe(&settings, out, n, NULL, 0, &entry, why, sizeof(why)), ADS_BUILD_OK);
    const json_t *user = json_object_get(json_object_get(entry, "event"), "user");
    assert_string_equal(json_string_value(json_object_get(user, "email")), H_BOB);
    assert_string_equal(json_string_value(json_object_get(user, "phone")), H_PHONE);
    json_decref(entry);
    /* A second pass changes nothing. */
    char *again = NULL;
    assert_int_equal(ads_events_redact_stripe("US", out, n, &again, &n), 0);
    assert_null(again);
    free(out);
    free(body);
    const char plain[] = "{\"id\":\"evt_2\",\"type\":\"charge.succeeded\",\"data\":{\"object\":{}}}";
    assert_int_equal(ads_events_redact_stripe("US", plain, strlen(plain), &out, &n), 0);
    assert_null(out);
}

static json_t *store_event(const char *json)
{
    json_error_t e;
    json_t *v = json_loads(json, 0, &e);
    assert_non_null(v);
    return v;
}

static void test_from_store(void **state)
{
    (void)state;
    char why[ADS_ERR_MAX];
    json_t *entry = NULL;
    json_t *in = store_event(
        "{\"event_type\":\"AddToCart\",\"event_time\":1789999000,\"event_id\":\"e1\",\"user\":{\"email\":"
        "\"bob@example.org\",\"phone\":\"(415) 555-0123\",\"ttclid\":\"c\"},\"properties\":{\"value\":12.5,"
        "\"currency\":\"eur\",\"content_type\":\"product\",\"contents\":[{\"content_id\":\"SKU-1\",\"quantity\":1,"
        "\"price\":12.5}]},\"context\":{\"page_url\":\"https://s.example/\",\"user_agent\":\"UA\",\"ip\":\"::1\"}}");
    assert_int_equal(ads_events_from_store(&settings, in, &entry, why, sizeof(why)), ADS_BUILD_OK);
    char *text = ads_events_dump(entry);
    assert_string_equal(text,
                        "{\"source\":\"web\",\"origin\":\"store\",\"event\":{\"event\":\"AddToCart\",\"event_time\":"
                        "1789999000,\"event_id\":\"e1\",\"user\":{\"email\":\"" H_BOB "\",\"phone\":\"" H_PHONE
                        "\",\"ttclid\":\"c\",\"ip\":\"::1\",\"user_agent\":\"UA\"},\"page\":{\"url\":"
                        "\"https://s.example/\"},\"properties\":{\"currency\":\"EUR\",\"value\":12.5,\"content_type\":"
                        "\"product\",\"contents\":[{\"content_id\":\"SKU-1\",\"quantity\":1,\"price\":12.5}]}}}");
    free(text);
    json_decref(entry);
    json_decref(in);

    in = store_event("{\"event_type\":\"Buy\",\"event_time\":1700000000,\"user\":{\"email\":\"x\",\"foo\":1},"
                     "\"properties\":{\"value\":-1,\"contents\":[{\"content_id\":7}]},\"context\":{\"ip\":\"1.2.3\"}}");
    assert_int_equal(ads_events_from_store(&settings, in, &entry, why, sizeof(why)), ADS_BUILD_BAD);
    assert_null(entry);
    const char *named[] = {"event_type: Buy", "event_id: required", "event_time: older than 28 days",
                           "user.foo: unknown field", "user.email: not an email address", "properties.value",
                           "properties.contents[0].content_id", "context.ip"};
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
        if (!strstr(why, named[i]))
            fail_msg("missing \"%s\" in: %s", named[i], why);
    json_decref(in);
}

static void test_offline(void **state)
{
    (void)state;
    long long t;
    assert_int_equal(ads_offline_parse_time("2026-03-01T14:30:00Z", &t), 0);
    assert_int_equal(t, 1772375400);
    assert_int_equal(ads_offline_parse_time("2026-03-01 15:30:00.250+01:00", &t), 0);
    assert_int_equal(t, 1772375400);
    assert_int_equal(ads_offline_parse_time("2026-03-01", &t), 0);
    assert_int_equal(t, 1772323200);
    assert_int_equal(ads_offline_parse_time("2024-02-29T00:00:00Z", &t), 0);
    assert_int_equal(ads_offline_parse_time("2025-02-29T00:00:00Z", &t), -1);
    assert_int_equal(ads_offline_parse_time("2026-03-01T14:30:00", &t), -1); /* no zone */
    assert_int_equal(ads_offline_parse_time("03/01/2026", &t), -1);

    const char csv[] = "\xEF\xBB\xBF" "Event, event_id ,timestamp,email,value,currency,content_id,content_name\r\n"
                       "Purchase,o1,2026-09-20T10:00:00Z,Bob@Example.org,24.50,usd,SKU-1,\"A \"\"big\"\", candle\"\n"
                       "\n"
                       "Purchase,o2\n";
    json_t *rows = NULL;
    char err[256], why[ADS_ERR_MAX];
    assert_int_equal(ads_offline_parse_csv(csv, strlen(csv), &rows, err, sizeof(err)), 0);
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "content_name")),
                        "A \"big\", candle");
    assert_non_null(json_object_get(json_array_get(rows, 1), "_error"));
    json_t *entry = NULL;
    assert_int_equal(ads_offline_build(&settings, json_array_get(rows, 0), &entry, why, sizeof(why)), ADS_BUILD_OK);
    char *text = ads_events_dump(entry);
    assert_string_equal(text, "{\"source\":\"offline\",\"origin\":\"offline\",\"event\":{\"event\":\"Purchase\","
                              "\"event_time\":1789898400,\"event_id\":\"o1\",\"user\":{\"email\":\"" H_BOB "\"},"
                              "\"properties\":{\"event_channel\":\"in_store\",\"value\":24.5,\"currency\":\"USD\","
                              "\"content_type\":\"product\",\"contents\":[{\"content_id\":\"SKU-1\",\"content_name\":"
                              "\"A \\\"big\\\", candle\"}]}}}");
    free(text);
    json_decref(entry);
    assert_int_equal(ads_offline_build(&settings, json_array_get(rows, 1), &entry, why, sizeof(why)), ADS_BUILD_BAD);
    assert_non_null(strstr(why, "fields"));
    json_decref(rows);

    const char bad_header[] = "event,colour\nPurchase,red\n";
    assert_int_equal(ads_offline_parse_csv(bad_header, strlen(bad_header), &rows, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "colour"));
    const char open_quote[] = "event\n\"Purchase\n";
    assert_int_equal(ads_offline_parse_csv(open_quote, strlen(open_quote), &rows, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "line 2"));
}

static void test_client_classify(void **state)
{
    (void)state;
    assert_int_equal(ads_client_classify(200, 0), ADS_CLIENT_OK);
    assert_int_equal(ads_client_classify(200, 20001), ADS_CLIENT_OK);
    assert_int_equal(ads_client_classify(200, 40100), ADS_CLIENT_RETRY);
    assert_int_equal(ads_client_classify(200, 40133), ADS_CLIENT_RETRY);
    assert_int_equal(ads_client_classify(200, 50002), ADS_CLIENT_RETRY);
    assert_int_equal(ads_client_classify(500, 0), ADS_CLIENT_RETRY);
    assert_int_equal(ads_client_classify(503, -1), ADS_CLIENT_RETRY);
    assert_int_equal(ads_client_classify(200, -1), ADS_CLIENT_RETRY);
    assert_int_equal(ads_client_classify(0, -1), ADS_CLIENT_RETRY);
    assert_int_equal(ads_client_classify(200, 40102), ADS_CLIENT_TOKEN_REJECTED);
    assert_int_equal(ads_client_classify(200, 40104), ADS_CLIENT_TOKEN_REJECTED);
    assert_int_equal(ads_client_classify(200, 40105), ADS_CLIENT_TOKEN_REJECTED);
    assert_int_equal(ads_client_classify(200, 40001), ADS_CLIENT_DEAD);
    assert_int_equal(ads_client_classify(200, 40002), ADS_CLIENT_DEAD);
    assert_int_equal(ads_client_classify(404, -1), ADS_CLIENT_DEAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_money),         cmocka_unit_test(test_names),
        cmocka_unit_test(test_from_stripe),   cmocka_unit_test(test_redact_stripe),
        cmocka_unit_test(test_from_store),    cmocka_unit_test(test_offline),
        cmocka_unit_test(test_client_classify),
    };
    return cmocka_run_group_tests_name("ads_events", tests, NULL, NULL) ? 1 : 0;
}
