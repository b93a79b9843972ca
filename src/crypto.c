/*
 * crypto — HMAC, hashing, AES-256-GCM, randomness and hex on OpenSSL 3.
 */
#include "shopsync/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define GCM_NONCE_LEN 12
#define GCM_TAG_LEN 16
#define SEAL_PREFIX "v1."

struct crypto_hmac {
    EVP_MAC_CTX *ctx;
};

int crypto_hmac_sha256(const void *key, size_t key_len, const void *msg,
                       size_t msg_len, unsigned char out[CRYPTO_SHA256_LEN])
{
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &len))
        return -1;
    return len == CRYPTO_SHA256_LEN ? 0 : -1;
}

crypto_hmac_t *crypto_hmac_new(const void *key, size_t key_len)
{
    crypto_hmac_t *h = NULL;
    EVP_MAC *mac = NULL;
    OSSL_PARAM params[2];

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!mac)
        goto fail;
    h = calloc(1, sizeof(*h));
    if (!h)
        goto fail;
    h->ctx = EVP_MAC_CTX_new(mac);
    if (!h->ctx)
        goto fail;
    params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    /* An empty key is legal for HMAC but OpenSSL wants a non-NULL pointer. */
    if (!EVP_MAC_init(h->ctx, key_len ? key : (const void *)"", key_len, params))
        goto fail;
    EVP_MAC_free(mac);
    return h;
fail:
    EVP_MAC_free(mac);
    crypto_hmac_free(h);
    return NULL;
}

int crypto_hmac_update(crypto_hmac_t *h, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    return EVP_MAC_update(h->ctx, p, n) ? 0 : -1;
}

int crypto_hmac_final(crypto_hmac_t *h, unsigned char out[CRYPTO_SHA256_LEN])
{
    size_t len = 0;
    int ok = EVP_MAC_final(h->ctx, out, &len, CRYPTO_SHA256_LEN);
    crypto_hmac_free(h);
    return ok && len == CRYPTO_SHA256_LEN ? 0 : -1;
}

void crypto_hmac_free(crypto_hmac_t *h)
{
    if (!h)
        return;
    EVP_MAC_CTX_free(h->ctx);
    free(h);
}

int crypto_sha256(const void *msg, size_t n, unsigned char out[CRYPTO_SHA256_LEN])
{
    unsigned int len = 0;
    if (!EVP_Digest(msg, n, out, &len, EVP_sha256(), NULL))
        return -1;
    return len == CRYPTO_SHA256_LEN ? 0 : -1;
}

int crypto_md5_hex(const void *msg, size_t n, char out[CRYPTO_MD5_HEX])
{
    unsigned char d[16];
    unsigned int len = 0;
    if (!EVP_Digest(msg, n, d, &len, EVP_md5(), NULL) || len != sizeof(d))
        return -1;
    crypto_hex(d, sizeof(d), out);
    return 0;
}

int crypto_random(void *out, size_t n)
{
    return RAND_bytes(out, (int)n) == 1 ? 0 : -1;
}

int crypto_ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

int crypto_hex_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return 0;
    unsigned char diff = 0;
    for (size_t i = 0; i < la; i++) {
        /* Fold A-Z (only: a bare "| 0x20" would also turn control bytes
         * 0x10-0x19 into the digits '0'-'9') to lower case without
         * branching on the data. */
        unsigned char ca = (unsigned char)a[i], cb = (unsigned char)b[i];
        ca |= (unsigned char)(((unsigned)(ca - 'A') < 26u) << 5);
        cb |= (unsigned char)(((unsigned)(cb - 'A') < 26u) << 5);
        diff |= (unsigned char)(ca ^ cb);
    }
    return diff == 0;
}

void crypto_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int crypto_unhex(const char *hex, unsigned char *out, size_t out_len)
{
    if (strlen(hex) != 2 * out_len)
        return -1;
    for (size_t i = 0; i < out_len; i++) {
        int hi = hex_val(hex[2 * i]), lo = hex_val(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

int crypto_random_hex(size_t n_bytes, char *out)
{
    unsigned char raw[64];
    if (n_bytes > sizeof(raw) || crypto_random(raw, n_bytes) != 0)
        return -1;
    crypto_hex(raw, n_bytes, out);
    return 0;
}

int crypto_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *aad,
                const void *pt, size_t pt_len, char **out)
{
    int rc = -1, len = 0;
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *ct = NULL;
    char *s = NULL;
    unsigned char nonce[GCM_NONCE_LEN];

    *out = NULL;
    if (pt_len > (1u << 24) || crypto_random(nonce, sizeof(nonce)) != 0)
        goto out;
    ct = malloc(pt_len + GCM_TAG_LEN);
    s = malloc(strlen(SEAL_PREFIX) + 2 * GCM_NONCE_LEN + 1 + 2 * (pt_len + GCM_TAG_LEN) + 1);
    ctx = EVP_CIPHER_CTX_new();
    if (!ct || !s || !ctx)
        goto out;
    if (!EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce))
        goto out;
    if (aad && !EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)))
        goto out;
    if (!EVP_EncryptUpdate(ctx, ct, &len, pt, (int)pt_len))
        goto out;
    if (!EVP_EncryptFinal_ex(ctx, ct + len, &len))
        goto out;
    if (!EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, ct + pt_len))
        goto out;
    memcpy(s, SEAL_PREFIX, sizeof(SEAL_PREFIX));
    size_t off = strlen(SEAL_PREFIX);
    crypto_hex(nonce, GCM_NONCE_LEN, s + off);
    off += 2 * GCM_NONCE_LEN;
    s[off++] = '.';
    crypto_hex(ct, pt_len + GCM_TAG_LEN, s + off);
    *out = s;
    s = NULL;
    rc = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    free(ct);
    free(s);
    return rc;
}

int crypto_open(const unsigned char key[CRYPTO_KEY_LEN], const char *aad,
                const char *sealed, char **out, size_t *out_len)
{
    int rc = -1, len = 0;
    size_t ct_len = 0;
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *ct = NULL;
    char *pt = NULL;
    unsigned char nonce[GCM_NONCE_LEN];
    char nonce_hex[2 * GCM_NONCE_LEN + 1];

    *out = NULL;
    *out_len = 0;
    size_t plen = strlen(SEAL_PREFIX);
    if (strncmp(sealed, SEAL_PREFIX, plen) != 0)
        goto out;
    const char *p = sealed + plen;
    const char *dot = strchr(p, '.');
    if (!dot || (size_t)(dot - p) != 2 * GCM_NONCE_LEN)
        goto out;
    memcpy(nonce_hex, p, 2 * GCM_NONCE_LEN);
    nonce_hex[2 * GCM_NONCE_LEN] = '\0';
    if (crypto_unhex(nonce_hex, nonce, GCM_NONCE_LEN) != 0)
        goto out;
    size_t hex_len = strlen(dot + 1);
    if (hex_len % 2 || hex_len / 2 < GCM_TAG_LEN)
        goto out;
    ct_len = hex_len / 2;
    ct = malloc(ct_len);
    pt = malloc(ct_len - GCM_TAG_LEN + 1);
    ctx = EVP_CIPHER_CTX_new();
    if (!ct || !pt || !ctx || crypto_unhex(dot + 1, ct, ct_len) != 0)
        goto out;
    size_t body_len = ct_len - GCM_TAG_LEN;
    if (!EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce))
        goto out;
    if (aad && !EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)))
        goto out;
    if (!EVP_DecryptUpdate(ctx, (unsigned char *)pt, &len, ct, (int)body_len))
        goto out;
    if (!EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, ct + body_len))
        goto out;
    if (EVP_DecryptFinal_ex(ctx, (unsigned char *)pt + len, &len) <= 0)
        goto out;
    pt[body_len] = '\0';
    *out = pt;
    *out_len = body_len;
    pt = NULL;
    rc = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    free(ct);
    if (pt) {
        OPENSSL_cleanse(pt, ct_len - GCM_TAG_LEN);
        free(pt);
    }
    return rc;
}
