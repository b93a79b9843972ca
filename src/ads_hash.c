/*
 * ads_hash — normalisation and hashing of Events API match keys (see
 * ads_hash.h).
 */
#include "shopsync/ads_hash.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "shopsync/crypto.h"
#include "shopsync/phone.h"

int ads_hash_is_sha256(const char *s)
{
    size_t n = strspn(s, "0123456789abcdefABCDEF");
    return n == 64 && s[64] == '\0';
}

/* input without leading and trailing whitespace into out. Returns its
 * length, or -1 when it does not fit. */
static long trimmed(const char *input, char *out, size_t cap)
{
    const char *b = input;
    while (*b && isspace((unsigned char)*b))
        b++;
    size_t n = strlen(b);
    while (n > 0 && isspace((unsigned char)b[n - 1]))
        n--;
    if (n >= cap)
        return -1;
    memcpy(out, b, n);
    out[n] = '\0';
    return (long)n;
}

/* A plausible address: one "@" with something on both sides and a dot in
 * the domain, no whitespace or control characters. TikTok matches on the
 * hash, so a typo is not an error here; what cannot be an address is. */
static int email_ok(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.' ||
        s[strlen(s) - 1] == '.')
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

ads_hash_rc ads_hash_normalize(ads_id_kind kind, const char *input, const char *region, char *out, size_t cap,
                               char *err, size_t errlen)
{
    char t[ADS_HASH_INPUT_MAX];
    long n = trimmed(input, t, sizeof(t));
    out[0] = '\0';
    if (n < 0) {
        snprintf(err, errlen, "longer than %d characters", ADS_HASH_INPUT_MAX - 1);
        return ADS_HASH_INVALID;
    }
    if (n == 0)
        return ADS_HASH_EMPTY;
    if ((size_t)n >= cap) {
        snprintf(err, errlen, "too long");
        return ADS_HASH_INVALID;
    }
    if (ads_hash_is_sha256(t)) {
        for (long i = 0; i <= n; i++)
            out[i] = (char)tolower((unsigned char)t[i]);
        return ADS_HASH_PASSED;
    }
    switch (kind) {
    case ADS_ID_EMAIL:
        for (long i = 0; i <= n; i++)
            t[i] = (char)tolower((unsigned char)t[i]);
        if (!email_ok(t)) {
            snprintf(err, errlen, "not an email address");
            return ADS_HASH_INVALID;
        }
        memcpy(out, t, (size_t)n + 1);
        return ADS_HASH_OK;
    case ADS_ID_PHONE: {
        char e164[PHONE_E164_MAX];
        if (phone_e164(t, region ? region : "", e164, err, errlen) != 0)
            return ADS_HASH_INVALID;
        if (strlen(e164) >= cap) {
            snprintf(err, errlen, "too long");
            return ADS_HASH_INVALID;
        }
        memcpy(out, e164, strlen(e164) + 1);
        return ADS_HASH_OK;
    }
    case ADS_ID_EXTERNAL_ID:
        memcpy(out, t, (size_t)n + 1);
        return ADS_HASH_OK;
    }
    snprintf(err, errlen, "unknown identifier kind");
    return ADS_HASH_INVALID;
}

ads_hash_rc ads_hash_value(ads_id_kind kind, const char *input, const char *region, char out[ADS_HASH_HEX],
                           char *err, size_t errlen)
{
    char norm[ADS_HASH_INPUT_MAX];
    unsigned char h[CRYPTO_SHA256_LEN];
    out[0] = '\0';
    ads_hash_rc rc = ads_hash_normalize(kind, input, region, norm, sizeof(norm), err, errlen);
    if (rc == ADS_HASH_PASSED)
        memcpy(out, norm, ADS_HASH_HEX);
    if (rc != ADS_HASH_OK)
        return rc;
    if (crypto_sha256(norm, strlen(norm), h) != 0) {
        snprintf(err, errlen, "SHA-256 failed");
        memset(norm, 0, sizeof(norm));
        return ADS_HASH_INVALID;
    }
    /* The normal form is the plaintext: leave no copy on the stack. */
    memset(norm, 0, sizeof(norm));
    crypto_hex(h, sizeof(h), out);
    return ADS_HASH_OK;
}
