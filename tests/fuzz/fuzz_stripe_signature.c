/*
 * fuzz_stripe_signature — the Stripe-Signature header parser and the event
 * parser, on fuzzed input "<header>\n<body>" (split at the first newline or
 * NUL): stripe_verify_signature with the fuzzed header, with a valid "t,v1"
 * pair followed by the fuzzed header, and with valid signatures at the edges
 * of the tolerance; then stripe_parse_event on the body.
 *
 * Oracles: results stay inside stripe_sig_rc; a missing secret never
 * verifies; messages never contain the secret; a valid pair followed by
 * anything is OK or MALFORMED, never a mismatch; the real signature in upper
 * case verifies; a parsed event satisfies the documented invariants.
 */
#include "fuzz_common.h"
#include "shopsync/stripe.h"

/* The public vector's secret and time, so its seeds verify. */
#define SECRET "whsec_test_secret_0123456789abcdef"
#define NOW 1700000100LL
#define TOLERANCE 300LL

static int verify(const char *header, const char *body, size_t len, const char *secret,
                  long long tolerance)
{
    char err[256] = "";
    int rc = stripe_verify_signature(header, body, len, secret, NOW, tolerance, err, sizeof(err));
    FUZZ_ASSERT(rc >= STRIPE_SIG_OK && rc <= STRIPE_SIG_MISMATCH);
    FUZZ_ASSERT(rc == STRIPE_SIG_OK || err[0] != '\0');
    FUZZ_ASSERT(strstr(err, SECRET) == NULL && strstr(err, "whsec_") == NULL);
    return rc;
}

/* "t=<t>,v1=<sig>" for body, in upper case when upper, into out. */
static void signed_header(long long t, const char *body, size_t len, int upper, char *out,
                          size_t cap)
{
    char sig[65];
    FUZZ_ASSERT(stripe_sign(SECRET, t, body, len, sig) == 0);
    for (int i = 0; upper && sig[i]; i++)
        if (sig[i] >= 'a' && sig[i] <= 'f')
            sig[i] = (char)(sig[i] - 32);
    snprintf(out, cap, "t=%lld,v1=%s", t, sig);
}

static void check_signature(const char *header, const char *body, size_t len)
{
    verify(header, body, len, SECRET, TOLERANCE);
    int none = verify(header, body, len, NULL, TOLERANCE);
    FUZZ_ASSERT(none == STRIPE_SIG_MALFORMED || none == STRIPE_SIG_MISMATCH);
    none = verify(header, body, len, "", TOLERANCE);
    FUZZ_ASSERT(none == STRIPE_SIG_MALFORMED || none == STRIPE_SIG_MISMATCH);

    /* A valid pair for this body, the fuzzed header appended as more pairs. */
    char pair[128];
    long long t = NOW - (long long)(len % (2 * TOLERANCE + 1)) + TOLERANCE;
    signed_header(t, body, len, 0, pair, sizeof(pair));
    size_t hl = strlen(header), pl = strlen(pair);
    char *combined = malloc(pl + 1 + hl + 1);
    FUZZ_ASSERT(combined != NULL);
    memcpy(combined, pair, pl);
    if (hl) {
        combined[pl] = ',';
        memcpy(combined + pl + 1, header, hl + 1);
    } else {
        combined[pl] = '\0';
    }
    int rc = verify(combined, body, len, SECRET, TOLERANCE);
    FUZZ_ASSERT(rc == STRIPE_SIG_OK || rc == STRIPE_SIG_MALFORMED);
    if (!hl)
        FUZZ_ASSERT(rc == STRIPE_SIG_OK);
    free(combined);

    signed_header(t, body, len, 1, pair, sizeof(pair));
    FUZZ_ASSERT(verify(pair, body, len, SECRET, TOLERANCE) == STRIPE_SIG_OK);
    signed_header(NOW - TOLERANCE - 1, body, len, 0, pair, sizeof(pair));
    FUZZ_ASSERT(verify(pair, body, len, SECRET, TOLERANCE) == STRIPE_SIG_TOO_OLD);
    signed_header(NOW + TOLERANCE + 1, body, len, 0, pair, sizeof(pair));
    FUZZ_ASSERT(verify(pair, body, len, SECRET, TOLERANCE) == STRIPE_SIG_TOO_OLD);
    FUZZ_ASSERT(verify(pair, body, len, SECRET, -1) == STRIPE_SIG_TOO_OLD);
}

static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void check_event(const char *body, size_t len)
{
    stripe_event_t ev;
    char err[256] = "";
    if (stripe_parse_event(body, len, &ev, err, sizeof(err)) != 0) {
        FUZZ_ASSERT(err[0] != '\0');
        return;
    }
    FUZZ_ASSERT(terminated(ev.id, sizeof(ev.id)) && terminated(ev.type, sizeof(ev.type)) &&
                terminated(ev.session_id, sizeof(ev.session_id)) &&
                terminated(ev.payment_status, sizeof(ev.payment_status)));
    FUZZ_ASSERT(strncmp(ev.id, "evt_", 4) == 0 && ev.type[0] != '\0');
    FUZZ_ASSERT(ev.livemode >= -1 && ev.livemode <= 1);
    FUZZ_ASSERT(ev.applies == 0 || ev.applies == 1);
    if (ev.applies)
        FUZZ_ASSERT(strncmp(ev.session_id, "cs_", 3) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header, *body;
    size_t len;
    fuzz_split(data, size, &header, &body, &len);
    check_signature(header, body, len);
    check_event(body, len);
    free(header);
    free(body);
    return 0;
}
