/*
 * sign — the sandbox's own TikTok Shop string-to-sign and HMACs. Written
 * independently of the service's client signing so a mistake cannot hide in
 * both (see sandbox.h for the formula).
 */
#include <string.h>

#include "sandbox.h"
#include "shopsync/crypto.h"

/* Order parameter indexes by key bytewise (strcmp compares as unsigned
 * char), then by value so duplicates sort deterministically. An insertion
 * sort: at most SB_MAX_PARAMS entries, and qsort has no context argument. */
static void sort_indexes(const sb_params_t *q, size_t *idx)
{
    for (size_t i = 0; i < q->n; i++) {
        size_t j = i;
        while (j > 0) {
            size_t a = idx[j - 1];
            int c = strcmp(q->key[a], q->key[i]);
            if (c < 0 || (c == 0 && strcmp(q->val[a], q->val[i]) <= 0))
                break;
            idx[j] = a;
            j--;
        }
        idx[j] = i;
    }
}

int sb_sign_request(const char *secret, const char *path, const sb_params_t *q,
                    const void *body, size_t body_len, int include_body,
                    char out[65])
{
    size_t idx[SB_MAX_PARAMS];
    unsigned char mac[CRYPTO_SHA256_LEN];
    size_t slen = strlen(secret);
    int rc = -1;

    crypto_hmac_t *h = crypto_hmac_new(secret, slen);
    if (!h)
        return -1;
    sort_indexes(q, idx);
    if (crypto_hmac_update(h, secret, slen) || crypto_hmac_update(h, path, strlen(path)))
        goto out;
    for (size_t n = 0; n < q->n; n++) {
        size_t i = idx[n];
        if (strcmp(q->key[i], "sign") == 0 || strcmp(q->key[i], "access_token") == 0)
            continue;
        if (crypto_hmac_update(h, q->key[i], strlen(q->key[i])) ||
            crypto_hmac_update(h, q->val[i], strlen(q->val[i])))
            goto out;
    }
    if (include_body && crypto_hmac_update(h, body, body_len))
        goto out;
    if (crypto_hmac_update(h, secret, slen))
        goto out;
    rc = crypto_hmac_final(h, mac);
    /* crypto_hmac_final frees the context whatever its result. */
    h = NULL;
    if (rc == 0)
        crypto_hex(mac, sizeof(mac), out);
out:
    crypto_hmac_free(h);
    return rc;
}

int sb_hmac_hex2(const char *key, const char *a, size_t a_len, const char *b,
                 size_t b_len, char out[65])
{
    unsigned char mac[CRYPTO_SHA256_LEN];
    crypto_hmac_t *h = crypto_hmac_new(key, strlen(key));
    if (!h)
        return -1;
    if (crypto_hmac_update(h, a, a_len) || crypto_hmac_update(h, b, b_len)) {
        crypto_hmac_free(h);
        return -1;
    }
    if (crypto_hmac_final(h, mac) != 0)
        return -1;
    crypto_hex(mac, sizeof(mac), out);
    return 0;
}
