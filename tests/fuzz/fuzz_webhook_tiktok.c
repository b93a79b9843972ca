/*
 * fuzz_webhook_tiktok — TikTok Shop webhook intake as route_tiktok_webhook
 * does it, on fuzzed input "<header>\n<body>" (split at the first newline or
 * NUL): the Authorization signature (tiktok_webhook_verify), the relay form
 * "<timestamp>:<hex>" (tiktok_webhook_relay_verify, against a reference
 * built from the public crypto functions), then the strict JSON parse and
 * the tts_notification_id lookup with its sha256 fallback id.
 *
 * Oracles: a signature is accepted exactly when it equals the real one
 * ignoring the case of letters; the real signature (either case) is always
 * accepted and a one-character change never is; event ids fit their buffer.
 */
#include "fuzz_common.h"
#include "shopsync/crypto.h"
#include "shopsync/jsonx.h"
#include "shopsync/queue.h"
#include "shopsync/tiktok.h"

/* The public test vector's credentials, so its seed verifies. */
#define APP_KEY "fake_app_key"
#define APP_SECRET "fake_app_secret"
/* A fixed clock for the relay form's 5-minute window. */
#define NOW 1700000000LL
#define ALT_WINDOW_S 300

static void check_authorization(const char *header, const char *body, size_t len)
{
    char want[65], variant[65];
    int ok = tiktok_webhook_verify(APP_KEY, APP_SECRET, body, len, header);
    FUZZ_ASSERT(tiktok_webhook_sign(APP_KEY, APP_SECRET, body, len, want) == 0);
    FUZZ_ASSERT(ok == fuzz_hex_equal_ref(want, header));
    FUZZ_ASSERT(tiktok_webhook_verify(APP_KEY, APP_SECRET, body, len, want) == 1);
    for (size_t i = 0; i < 64; i++)
        variant[i] = (char)(want[i] >= 'a' && want[i] <= 'f' ? want[i] - 32 : want[i]);
    variant[64] = '\0';
    FUZZ_ASSERT(tiktok_webhook_verify(APP_KEY, APP_SECRET, body, len, variant) == 1);
    /* Change one position, chosen by the body, to a different hex digit. */
    size_t pos = len ? (unsigned char)body[0] % 64 : 0;
    memcpy(variant, want, sizeof(variant));
    variant[pos] = variant[pos] == '0' ? '1' : '0';
    FUZZ_ASSERT(tiktok_webhook_verify(APP_KEY, APP_SECRET, body, len, variant) == 0);
    FUZZ_ASSERT(tiktok_webhook_verify(APP_KEY, APP_SECRET, body, len, NULL) == 0);
}

/* The relay form's reference: hex HMAC(app_secret, timestamp + body),
 * timestamp within 5 minutes; returns 1 when accepted. */
static int alt_verify(const char *ts, const char *sig, const char *body, size_t len,
                      char want[65])
{
    unsigned char mac[32];
    char *end = NULL;
    want[0] = '\0';
    long long t = strtoll(ts, &end, 10);
    /* A range check, since NOW - t overflows near LLONG_MIN
     * (regress-alt-timestamp-overflow). */
    if (!*ts || *end || t < NOW - ALT_WINDOW_S || t > NOW + ALT_WINDOW_S)
        return 0;
    crypto_hmac_t *h = crypto_hmac_new(APP_SECRET, strlen(APP_SECRET));
    FUZZ_ASSERT(h != NULL);
    FUZZ_ASSERT(crypto_hmac_update(h, ts, strlen(ts)) == 0);
    FUZZ_ASSERT(crypto_hmac_update(h, body, len) == 0);
    FUZZ_ASSERT(crypto_hmac_final(h, mac) == 0);
    crypto_hex(mac, sizeof(mac), want);
    return crypto_hex_equal(want, sig);
}

static void check_alternate(const char *header, const char *body, size_t len)
{
    char want[65], again[65];
    char *ts = fuzz_dup((const uint8_t *)header, strlen(header));
    char *colon = strchr(ts, ':');
    const char *sig = "";
    if (colon) {
        *colon = '\0';
        sig = colon + 1;
    }
    int ok = alt_verify(ts, sig, body, len, want);
    FUZZ_ASSERT(tiktok_webhook_relay_verify(APP_SECRET, ts, sig, body, len, NOW) == ok);
    if (want[0]) {
        FUZZ_ASSERT(ok == fuzz_hex_equal_ref(want, sig));
        FUZZ_ASSERT(alt_verify(ts, want, body, len, again) == 1);
        FUZZ_ASSERT(tiktok_webhook_relay_verify(APP_SECRET, ts, want, body, len, NOW) == 1);
    } else {
        FUZZ_ASSERT(ok == 0);
    }
    free(ts);
}

static void check_json(const char *body, size_t len)
{
    char jerr[256], id[QUEUE_EVENT_ID_MAX];
    json_t *doc = jsonx_loadb(body, len, jerr, sizeof(jerr));
    if (!doc) {
        FUZZ_ASSERT(jerr[0] != '\0');
        return;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        return;
    }
    if (jsonx_get_id(doc, "tts_notification_id", id, sizeof(id), jerr, sizeof(jerr)) == 0) {
        size_t n = strlen(id);
        FUZZ_ASSERT(n > 0 && n < sizeof(id));
    } else {
        unsigned char h[32];
        char hex[65];
        FUZZ_ASSERT(jerr[0] != '\0');
        FUZZ_ASSERT(crypto_sha256(body, len, h) == 0);
        crypto_hex(h, sizeof(h), hex);
        int n = snprintf(id, sizeof(id), "sha256-%s", hex);
        FUZZ_ASSERT(n > 0 && (size_t)n < sizeof(id));
    }
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header, *body;
    size_t len;
    fuzz_split(data, size, &header, &body, &len);
    check_authorization(header, body, len);
    check_alternate(header, body, len);
    check_json(body, len);
    free(header);
    free(body);
    return 0;
}
