/*
 * tiktok_sign — TikTok Shop request and webhook signatures (see
 * tiktok_sign.h).
 */
#include "shopsync/tiktok_sign.h"

#include <stdlib.h>
#include <string.h>

#include "shopsync/crypto.h"

typedef int (*sink_fn)(void *sink, const void *p, size_t n);

static int buf_sink(void *sink, const void *p, size_t n)
{
    return buf_append(sink, p, n);
}

static int hmac_sink(void *sink, const void *p, size_t n)
{
    return crypto_hmac_update(sink, p, n);
}

static int param_cmp(const void *a, const void *b)
{
    const tiktok_param_t *const *pa = a;
    const tiktok_param_t *const *pb = b;
    return strcmp((*pa)->key, (*pb)->key);
}

/* Feed the string-to-sign, piece by piece, to fn. */
static int sign_walk(const char *app_secret, const char *path,
                     const tiktok_param_t *params, size_t n_params, const void *body,
                     size_t body_len, sink_fn fn, void *sink)
{
    const tiktok_param_t **sorted = NULL;
    size_t m = 0;
    int rc = -1;

    if (!app_secret || !path || (n_params && !params) || (body_len && !body))
        goto out;
    if (n_params) {
        sorted = malloc(n_params * sizeof(*sorted));
        if (!sorted)
            goto out;
    }
    for (size_t i = 0; i < n_params; i++) {
        if (!params[i].key || !params[i].value)
            goto out;
        /* sign cannot sign itself, and the token travels in a header. */
        if (strcmp(params[i].key, "sign") == 0 || strcmp(params[i].key, "access_token") == 0)
            continue;
        sorted[m++] = &params[i];
    }
    if (m > 1)
        qsort(sorted, m, sizeof(*sorted), param_cmp);
    for (size_t i = 1; i < m; i++) {
        /* With a repeated key the order, and so the signature, is ambiguous. */
        if (strcmp(sorted[i - 1]->key, sorted[i]->key) == 0)
            goto out;
    }
    if (fn(sink, app_secret, strlen(app_secret)) || fn(sink, path, strlen(path)))
        goto out;
    for (size_t i = 0; i < m; i++) {
        if (fn(sink, sorted[i]->key, strlen(sorted[i]->key)) ||
            fn(sink, sorted[i]->value, strlen(sorted[i]->value)))
            goto out;
    }
    if ((body_len && fn(sink, body, body_len)) || fn(sink, app_secret, strlen(app_secret)))
        goto out;
    rc = 0;
out:
    free(sorted);
    return rc;
}

/* The parts of a request's string to sign (all borrowed). */
typedef struct request_parts {
    const char *app_secret, *path;
    const tiktok_param_t *params;
    size_t n_params;
    const void *body;
    size_t body_len;
} request_parts_t;

static int request_walk(const void *ctx, sink_fn fn, void *sink)
{
    const request_parts_t *q = ctx;
    return sign_walk(q->app_secret, q->path, q->params, q->n_params, q->body, q->body_len, fn, sink);
}

/* A webhook's signed message: prefix + len bytes of body (both borrowed). */
typedef struct prefixed_parts {
    const char *prefix;
    const void *body;
    size_t len;
} prefixed_parts_t;

static int prefixed_walk(const void *ctx, sink_fn fn, void *sink)
{
    const prefixed_parts_t *q = ctx;
    if (!q->prefix || (q->len && !q->body))
        return -1;
    return fn(sink, q->prefix, strlen(q->prefix)) || (q->len && fn(sink, q->body, q->len)) ? -1 : 0;
}

/* out_hex = lowercase hex HMAC-SHA256(key = secret, the message walk feeds
 * from ctx), without materialising the message. Returns 0 or -1. */
static int hmac_hex(const char *secret, int (*walk)(const void *ctx, sink_fn fn, void *sink),
                    const void *ctx, char out_hex[65])
{
    unsigned char mac[CRYPTO_SHA256_LEN];
    if (!secret)
        return -1;
    crypto_hmac_t *h = crypto_hmac_new(secret, strlen(secret));
    if (!h)
        return -1;
    if (walk(ctx, hmac_sink, h) != 0) {
        crypto_hmac_free(h);
        return -1;
    }
    if (crypto_hmac_final(h, mac) != 0)
        return -1;
    crypto_hex(mac, sizeof(mac), out_hex);
    return 0;
}

int tiktok_string_to_sign(const char *app_secret, const char *path,
                          const tiktok_param_t *params, size_t n_params,
                          const void *body, size_t body_len, buf_t *out)
{
    return sign_walk(app_secret, path, params, n_params, body, body_len, buf_sink, out);
}

int tiktok_sign(const char *app_secret, const char *path,
                const tiktok_param_t *params, size_t n_params, const void *body,
                size_t body_len, char out_hex[65])
{
    request_parts_t q = {app_secret, path, params, n_params, body, body_len};
    return hmac_hex(app_secret, request_walk, &q, out_hex);
}

int tiktok_webhook_sign(const char *app_key, const char *app_secret,
                        const void *body, size_t len, char out_hex[65])
{
    prefixed_parts_t q = {app_key, body, len};
    return hmac_hex(app_secret, prefixed_walk, &q, out_hex);
}

int tiktok_webhook_verify(const char *app_key, const char *app_secret,
                          const void *body, size_t len, const char *header)
{
    char want[65];
    if (!header || tiktok_webhook_sign(app_key, app_secret, body, len, want) != 0)
        return 0;
    return crypto_hex_equal(want, header);
}

int tiktok_webhook_relay_sign(const char *app_secret, const char *timestamp,
                              const void *body, size_t len, char out_hex[65])
{
    prefixed_parts_t q = {timestamp, body, len};
    return hmac_hex(app_secret, prefixed_walk, &q, out_hex);
}

int tiktok_webhook_relay_verify(const char *app_secret, const char *timestamp,
                                const char *signature, const void *body, size_t len,
                                long long now)
{
    char want[65], *end = NULL;
    if (!timestamp || !signature)
        return 0;
    long long t = strtoll(timestamp, &end, 10);
    /* Compared as a range: now - t would overflow for a t near LLONG_MIN. */
    if (!*timestamp || *end || t < now - TIKTOK_WEBHOOK_RELAY_WINDOW_S ||
        t > now + TIKTOK_WEBHOOK_RELAY_WINDOW_S)
        return 0;
    if (tiktok_webhook_relay_sign(app_secret, timestamp, body, len, want) != 0)
        return 0;
    return crypto_hex_equal(want, signature);
}
