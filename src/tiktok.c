/*
 * tiktok — TikTok Shop Open API 202309 client: request signing, envelope
 * classification, retries, token exchange and endpoint wrappers (see
 * tiktok.h).
 */
#include "shopsync/tiktok.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shopsync/crypto.h"
#include "shopsync/httpx.h"
#include "shopsync/jsonx.h"
#include "shopsync/log.h"
#include "shopsync/util.h"

#define MAX_QUERY_PARAMS 16
#define URL_MAX (16 * 1024)
#define MAX_SEARCH_IDS 600
#define DEFAULT_MAX_ATTEMPTS 5
#define DEFAULT_BACKOFF_BASE_MS 200L
#define DEFAULT_BACKOFF_CAP_MS 5000L

struct tiktok_client {
    char *app_key;
    char *app_secret;
    char *api_base;
    char *auth_base;
    tiktok_hooks_t hooks;
    int max_attempts;
    long backoff_base_ms;
    long backoff_cap_ms;
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_response;
};

/* One HTTP exchange as the retry loop sees it. Open API calls are "authed":
 * they carry app_key, timestamp, sign and the access token; the token
 * endpoints carry their credentials in the query instead. */
typedef struct exec {
    const char *method;
    const char *base;
    const char *path;
    const char *api;
    const tiktok_param_t *query;
    size_t n_query;
    int shop_scoped;
    int authed;
    const char *body;
    size_t body_len;
    const http_part_t *parts;
    size_t n_parts;
} exec_t;

/* ---- signing ------------------------------------------------------------ */

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
    unsigned char mac[CRYPTO_SHA256_LEN];
    if (!app_secret)
        return -1;
    crypto_hmac_t *h = crypto_hmac_new(app_secret, strlen(app_secret));
    if (!h)
        return -1;
    if (sign_walk(app_secret, path, params, n_params, body, body_len, hmac_sink, h) != 0) {
        crypto_hmac_free(h);
        return -1;
    }
    if (crypto_hmac_final(h, mac) != 0)
        return -1;
    crypto_hex(mac, sizeof(mac), out_hex);
    return 0;
}

int tiktok_webhook_sign(const char *app_key, const char *app_secret,
                        const void *body, size_t len, char out_hex[65])
{
    unsigned char mac[CRYPTO_SHA256_LEN];
    if (!app_key || !app_secret || (len && !body))
        return -1;
    crypto_hmac_t *h = crypto_hmac_new(app_secret, strlen(app_secret));
    if (!h)
        return -1;
    if (crypto_hmac_update(h, app_key, strlen(app_key)) != 0 ||
        (len && crypto_hmac_update(h, body, len) != 0)) {
        crypto_hmac_free(h);
        return -1;
    }
    if (crypto_hmac_final(h, mac) != 0)
        return -1;
    crypto_hex(mac, sizeof(mac), out_hex);
    return 0;
}

int tiktok_webhook_verify(const char *app_key, const char *app_secret,
                          const void *body, size_t len, const char *header)
{
    char want[65];
    if (!header || tiktok_webhook_sign(app_key, app_secret, body, len, want) != 0)
        return 0;
    return crypto_hex_equal(want, header);
}

/* ---- client ------------------------------------------------------------- */

/* Copy a base URL without its trailing slashes; NULL when it is not http(s). */
static char *copy_base(const char *s)
{
    if (!s || (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0))
        return NULL;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        n--;
    return strndup(s, n);
}

tiktok_client_t *tiktok_client_new(const tiktok_config_t *cfg, char *err, size_t errlen)
{
    tiktok_client_t *c = NULL;

    c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    c->app_key = strdup(cfg->app_key ? cfg->app_key : "");
    c->app_secret = strdup(cfg->app_secret ? cfg->app_secret : "");
    if (!c->app_key || !c->app_secret) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    c->api_base = copy_base(cfg->api_base);
    c->auth_base = copy_base(cfg->auth_base);
    if (!c->api_base || !c->auth_base) {
        snprintf(err, errlen, "tiktok: api_base and auth_base must be http(s) URLs");
        goto fail;
    }
    c->hooks = cfg->hooks;
    c->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : DEFAULT_MAX_ATTEMPTS;
    c->backoff_base_ms = cfg->backoff_base_ms > 0 ? cfg->backoff_base_ms : DEFAULT_BACKOFF_BASE_MS;
    c->backoff_cap_ms = cfg->backoff_cap_ms > 0 ? cfg->backoff_cap_ms : DEFAULT_BACKOFF_CAP_MS;
    c->connect_timeout_ms = cfg->connect_timeout_ms;
    c->timeout_ms = cfg->timeout_ms;
    c->max_response = cfg->max_response;
    return c;
fail:
    tiktok_client_free(c);
    return NULL;
}

void tiktok_client_free(tiktok_client_t *c)
{
    if (!c)
        return;
    free(c->app_key);
    free(c->app_secret);
    free(c->api_base);
    free(c->auth_base);
    free(c);
}

static void result_init(tiktok_result_t *res)
{
    memset(res, 0, sizeof(*res));
    res->code = -1;
}

void tiktok_result_free(tiktok_result_t *res)
{
    json_decref(res->data);
    res->data = NULL;
}

static int fail(tiktok_result_t *res, tiktok_kind_t kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a failure decided locally; returns -1 for the caller to return. */
static int fail(tiktok_result_t *res, tiktok_kind_t kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof(res->message), fmt, ap);
    va_end(ap);
    res->kind = kind;
    return -1;
}

tiktok_kind_t tiktok_classify(long http_status, int has_code, long long code)
{
    if (has_code) {
        switch (code) {
        case 0:
            return TIKTOK_OK;
        case TIKTOK_CODE_TOKEN_EXPIRED:
            return TIKTOK_TOKEN_EXPIRED;
        case TIKTOK_CODE_TOKEN_INVALID:
        case TIKTOK_CODE_AUTH_REVOKED:
        case TIKTOK_CODE_SHOP_UNAUTHORIZED:
            return TIKTOK_REAUTH;
        case TIKTOK_CODE_RATE_LIMITED:
        case TIKTOK_CODE_INTERNAL:
            return TIKTOK_RETRYABLE;
        default:
            break;
        }
    }
    /* Throttling and server trouble are transient whatever the body says;
     * any other failure is about the request itself. */
    if (http_status == 429 || (http_status >= 500 && http_status <= 599))
        return TIKTOK_RETRYABLE;
    return TIKTOK_PERMANENT;
}

const char *tiktok_kind_name(tiktok_kind_t kind)
{
    switch (kind) {
    case TIKTOK_OK: return "ok";
    case TIKTOK_RETRYABLE: return "retryable";
    case TIKTOK_TOKEN_EXPIRED: return "token_expired";
    case TIKTOK_REAUTH: return "reauth";
    case TIKTOK_PERMANENT: return "permanent";
    case TIKTOK_NETWORK: return "network";
    }
    return "unknown";
}

/* Copy a string member, truncating: for messages, where a cut is harmless. */
static void copy_message(const json_t *obj, const char *key, char *out, size_t cap)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_string(v))
        snprintf(out, cap, "%s", json_string_value(v));
}

/* Fill res from a response body; returns 1 when it was a TikTok envelope (a
 * JSON object with an integer code). */
static int parse_envelope(const http_response_t *resp, tiktok_result_t *res)
{
    char jerr[160];
    json_t *root = NULL;
    int has_code = 0;

    if (resp->body.len)
        root = jsonx_loadb(resp->body.data, resp->body.len, jerr, sizeof(jerr));
    if (json_is_object(root)) {
        json_t *code = json_object_get(root, "code");
        if (json_is_integer(code)) {
            has_code = 1;
            res->code = json_integer_value(code);
        }
        copy_message(root, "message", res->message, sizeof(res->message));
        copy_message(root, "request_id", res->request_id, sizeof(res->request_id));
        json_t *data = json_object_get(root, "data");
        if (data && !json_is_null(data))
            res->data = json_incref(data);
    }
    json_decref(root);
    if (!has_code)
        snprintf(res->message, sizeof(res->message),
                 "HTTP %ld without a TikTok response envelope", resp->status);
    return has_code;
}

/* Exponential backoff with jitter in [d/2, d] so workers that failed together
 * do not retry together; a Retry-After raises the delay, within the cap. */
static long backoff_ms(const tiktok_client_t *c, int retry, long retry_after_s)
{
    long cap = c->backoff_cap_ms;
    long d = c->backoff_base_ms;
    for (int i = 1; i < retry && d < cap; i++)
        d *= 2;
    if (d > cap)
        d = cap;
    uint32_t r = 0;
    if (crypto_random(&r, sizeof(r)) != 0)
        r = 0;
    long half = d / 2;
    d = half + (long)(r % (uint32_t)(d - half + 1));
    if (retry_after_s >= 0) {
        long ra = retry_after_s >= cap / 1000 ? cap : retry_after_s * 1000;
        if (ra > d)
            d = ra;
    }
    return d;
}

static int append_param(buf_t *url, char sep, const char *key, const char *value)
{
    if (buf_append(url, &sep, 1) || httpx_urlencode(url, key) || buf_append(url, "=", 1) ||
        httpx_urlencode(url, value))
        return -1;
    return 0;
}

/* base + path + query with every value URL-encoded; for authed calls also
 * app_key, a fresh timestamp, shop_cipher when scoped, and the sign computed
 * over the unencoded values. */
static int build_url(const tiktok_client_t *c, const exec_t *x, const char *cipher,
                     buf_t *url)
{
    tiktok_param_t params[MAX_QUERY_PARAMS + 3];
    char ts[24], sign[65];
    size_t n = 0;

    for (size_t i = 0; i < x->n_query; i++)
        params[n++] = x->query[i];
    if (x->authed) {
        snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
        params[n++] = (tiktok_param_t){"app_key", c->app_key};
        params[n++] = (tiktok_param_t){"timestamp", ts};
        if (x->shop_scoped)
            params[n++] = (tiktok_param_t){"shop_cipher", cipher};
    }
    if (buf_appends(url, x->base) || buf_appends(url, x->path))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (append_param(url, i ? '&' : '?', params[i].key, params[i].value))
            return -1;
    }
    if (x->authed) {
        if (tiktok_sign(c->app_secret, x->path, params, n, x->body, x->body_len, sign) ||
            append_param(url, '&', "sign", sign))
            return -1;
    }
    return 0;
}

static void log_retry(const exec_t *x, const tiktok_result_t *res, int retry, long delay)
{
    log_event(LOG_WARN, "tiktok_retry",
              json_pack("{s:s, s:i, s:I, s:I, s:s, s:s, s:s, s:I}", "api", x->api,
                        "attempt", retry, "http_status", (json_int_t)res->http_status,
                        "api_code", (json_int_t)res->code, "kind",
                        tiktok_kind_name(res->kind), "request_id", res->request_id,
                        "message", res->message, "delay_ms", (json_int_t)delay));
}

/* 1 when the stored access token is no longer the one (borrowed) this
 * attempt used: another thread or instance refreshed it meanwhile. */
static int token_changed(tiktok_client_t *c, const char *used)
{
    char fresh[TIKTOK_TOKEN_MAX] = "", cipher[TIKTOK_CIPHER_MAX] = "";
    int t = c->hooks.get_token(c->hooks.ctx, fresh, sizeof(fresh), cipher, sizeof(cipher));
    int changed = t == 0 && fresh[0] && strcmp(fresh, used) != 0;
    memset(fresh, 0, sizeof(fresh));
    return changed;
}

/* The attempt loop shared by Open API calls and token calls. */
static int execute(tiktok_client_t *c, const exec_t *x, tiktok_result_t *res)
{
    char token[TIKTOK_TOKEN_MAX] = "", cipher[TIKTOK_CIPHER_MAX] = "";
    char token_header[TIKTOK_TOKEN_MAX + 32], herr[256];
    http_response_t resp;
    buf_t url;
    int retries = 0, refreshed = 0, rechecked = 0, rc = -1;

    memset(&resp, 0, sizeof(resp));
    buf_init(&resp.body, 0);
    buf_init(&url, URL_MAX);
    if (!c->app_key[0] || !c->app_secret[0]) {
        fail(res, TIKTOK_PERMANENT, "the TikTok Shop app key and secret are not configured");
        goto out;
    }
    http_client_t *http = http_client_thread();
    if (!http) {
        fail(res, TIKTOK_NETWORK, "cannot create an HTTP client");
        goto out;
    }
    for (;;) {
        tiktok_result_free(res);
        res->code = -1;
        res->http_status = 0;
        res->message[0] = res->request_id[0] = '\0';
        if (x->authed) {
            if (c->hooks.rate_acquire && c->hooks.rate_acquire(c->hooks.ctx, x->api) != 0) {
                fail(res, TIKTOK_RETRYABLE, "rate limiter unavailable");
                goto out;
            }
            int t = c->hooks.get_token(c->hooks.ctx, token, sizeof(token), cipher,
                                       sizeof(cipher));
            if (t > 0 || (t == 0 && !token[0])) {
                fail(res, TIKTOK_REAUTH, "no access token for this shop");
                goto out;
            }
            if (t < 0) {
                fail(res, TIKTOK_RETRYABLE, "access token unavailable");
                goto out;
            }
            if (x->shop_scoped && !cipher[0]) {
                fail(res, TIKTOK_PERMANENT, "no shop cipher for a shop-scoped call");
                goto out;
            }
        }
        buf_reset(&url);
        if (build_url(c, x, cipher, &url) != 0) {
            fail(res, TIKTOK_PERMANENT, "cannot build the request URL");
            goto out;
        }
        const char *headers[3] = {NULL, NULL, NULL};
        size_t nh = 0;
        if (x->authed) {
            snprintf(token_header, sizeof(token_header), "x-tts-access-token: %s", token);
            headers[nh++] = token_header;
        }
        /* libcurl writes the multipart content type with its boundary. */
        if (!x->n_parts)
            headers[nh++] = "content-type: application/json";
        http_request_t req = {
            .method = x->method,
            .url = url.data,
            .headers = headers,
            .body = x->body,
            .body_len = x->body_len,
            .parts = x->parts,
            .n_parts = x->n_parts,
            .connect_timeout_ms = c->connect_timeout_ms,
            .timeout_ms = c->timeout_ms,
            .max_body = c->max_response,
        };
        http_response_free(&resp);
        res->attempts++;
        if (http_client_request(http, &req, &resp, herr, sizeof(herr)) != 0) {
            snprintf(res->message, sizeof(res->message), "%s", herr);
            /* An oversized or malformed exchange will not improve on retry. */
            res->kind = resp.network_error ? TIKTOK_NETWORK : TIKTOK_PERMANENT;
        } else {
            res->http_status = resp.status;
            int has_code = parse_envelope(&resp, res);
            res->kind = tiktok_classify(resp.status, has_code, res->code);
        }
        if (c->hooks.observe)
            c->hooks.observe(c->hooks.ctx, x->api, res->http_status, res->code, resp.seconds);

        switch (res->kind) {
        case TIKTOK_OK:
            rc = 0;
            goto out;
        case TIKTOK_TOKEN_EXPIRED:
            if (x->authed && !refreshed && c->hooks.refresh_token) {
                refreshed = 1;
                log_msg(LOG_INFO, "tiktok_token_refresh", "access token expired on %s", x->api);
                /* The retry with the new token is not a backoff attempt. */
                if (c->hooks.refresh_token(c->hooks.ctx, token) == 0)
                    continue;
            }
            goto out;
        case TIKTOK_REAUTH:
            /* A refresh elsewhere can retire the token this attempt read
             * just before it was sent; that is not a lost authorization. */
            if (x->authed && !rechecked && token_changed(c, token)) {
                rechecked = 1;
                continue;
            }
            if (x->authed && c->hooks.mark_reauth)
                c->hooks.mark_reauth(c->hooks.ctx, (int)res->code, res->message);
            goto out;
        case TIKTOK_RETRYABLE:
        case TIKTOK_NETWORK: {
            if (++retries >= c->max_attempts)
                goto out;
            long delay = backoff_ms(c, retries, resp.retry_after_s);
            log_retry(x, res, retries, delay);
            util_sleep_ms(delay);
            continue;
        }
        case TIKTOK_PERMANENT:
            goto out;
        }
    }
out:
    http_response_free(&resp);
    buf_free(&url);
    return rc;
}

/* Path characters allowed: the path is signed and sent verbatim. */
static int valid_path(const char *p)
{
    if (!p || p[0] != '/')
        return 0;
    for (; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '/' || ch == '-' || ch == '_' || ch == '.'))
            return 0;
    }
    return 1;
}

static int reserved_param(const char *key)
{
    static const char *names[] = {"app_key", "app_secret", "timestamp", "sign",
                                  "shop_cipher", "access_token", NULL};
    for (int i = 0; names[i]; i++) {
        if (strcmp(key, names[i]) == 0)
            return 1;
    }
    return 0;
}

int tiktok_call(tiktok_client_t *c, const tiktok_call_t *call, tiktok_result_t *res)
{
    char *body = NULL;
    int rc = -1;

    result_init(res);
    if (!call->method || !valid_path(call->path)) {
        fail(res, TIKTOK_PERMANENT, "invalid method or path");
        goto out;
    }
    if (!c->hooks.get_token) {
        fail(res, TIKTOK_PERMANENT, "no get_token hook configured");
        goto out;
    }
    if (call->n_query > MAX_QUERY_PARAMS || (call->n_query && !call->query)) {
        fail(res, TIKTOK_PERMANENT, "too many query parameters");
        goto out;
    }
    for (size_t i = 0; i < call->n_query; i++) {
        if (!call->query[i].key || !call->query[i].value || reserved_param(call->query[i].key)) {
            fail(res, TIKTOK_PERMANENT, "invalid or reserved query parameter");
            goto out;
        }
    }
    if (call->body && call->n_parts) {
        fail(res, TIKTOK_PERMANENT, "a call has a JSON body or multipart parts, not both");
        goto out;
    }
    /* Serialised once: the bytes signed must be the bytes sent, on every
     * attempt. */
    if (call->body && !(body = jsonx_dump(call->body))) {
        fail(res, TIKTOK_PERMANENT, "cannot serialise the request body");
        goto out;
    }
    exec_t x = {
        .method = call->method,
        .base = c->api_base,
        .path = call->path,
        .api = call->api ? call->api : call->path,
        .query = call->query,
        .n_query = call->n_query,
        .shop_scoped = call->shop_scoped,
        .authed = 1,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .parts = call->parts,
        .n_parts = call->n_parts,
    };
    rc = execute(c, &x, res);
out:
    free(body);
    return rc;
}

/* ---- response parsing ---------------------------------------------------- */

/* String member into out (cap bytes): absent or null gives "" unless
 * required. */
static int get_text(const json_t *obj, const char *key, char *out, size_t cap,
                    int required, char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    out[0] = '\0';
    if (!v || json_is_null(v)) {
        if (!required)
            return 0;
        snprintf(err, errlen, "%s: is required", key);
        return -1;
    }
    if (!json_is_string(v)) {
        snprintf(err, errlen, "%s: must be a string", key);
        return -1;
    }
    size_t len = json_string_length(v);
    if (len >= cap) {
        snprintf(err, errlen, "%s: longer than %zu bytes", key, cap - 1);
        return -1;
    }
    memcpy(out, json_string_value(v), len + 1);
    return 0;
}

/* ID member (string, or integer without a detour through double). */
static int get_id(const json_t *obj, const char *key, char *out, size_t cap,
                  int required, char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    out[0] = '\0';
    if (!required && (!v || json_is_null(v)))
        return 0;
    return jsonx_get_id(obj, key, out, cap, err, errlen);
}

/* Optional integer member; absent or null gives 0. */
static int get_count(const json_t *obj, const char *key, long long *out, char *err,
                     size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    return jsonx_get_int(obj, key, out, err, errlen);
}

/* Optional array member: *arr is borrowed, NULL when absent or null. */
static int get_array(const json_t *obj, const char *key, json_t **arr, char *err,
                     size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    *arr = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v)) {
        snprintf(err, errlen, "%s: must be an array", key);
        return -1;
    }
    *arr = v;
    return 0;
}

/* A zeroed array of n items of size bytes (NULL for n == 0); -1 on OOM. */
static int alloc_items(void **items, size_t n, size_t size, char *err, size_t errlen)
{
    *items = NULL;
    if (n == 0)
        return 0;
    *items = calloc(n, size);
    if (*items)
        return 0;
    snprintf(err, errlen, "out of memory");
    return -1;
}

static int need_object(const json_t *v, const char *what, char *err, size_t errlen)
{
    if (json_is_object(v))
        return 0;
    snprintf(err, errlen, "%s: must be an object", what);
    return -1;
}

static int parse_shops(const json_t *data, tiktok_shops_t *out, char *err, size_t errlen)
{
    json_t *arr, *v;
    size_t i;
    if (need_object(data, "data", err, errlen) || get_array(data, "shops", &arr, err, errlen) ||
        alloc_items((void **)&out->items, json_array_size(arr), sizeof(*out->items), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        tiktok_shop_t *s = &out->items[out->n++];
        if (need_object(v, "shops[]", err, errlen) ||
            get_id(v, "id", s->id, sizeof(s->id), 1, err, errlen) ||
            get_text(v, "name", s->name, sizeof(s->name), 0, err, errlen) ||
            get_text(v, "region", s->region, sizeof(s->region), 0, err, errlen) ||
            get_text(v, "cipher", s->cipher, sizeof(s->cipher), 1, err, errlen) ||
            get_text(v, "code", s->code, sizeof(s->code), 0, err, errlen) ||
            get_text(v, "seller_type", s->seller_type, sizeof(s->seller_type), 0, err, errlen))
            return -1;
    }
    return 0;
}

static int parse_warehouses(const json_t *data, tiktok_warehouses_t *out, char *err,
                            size_t errlen)
{
    json_t *arr, *v;
    size_t i;
    if (need_object(data, "data", err, errlen) ||
        get_array(data, "warehouses", &arr, err, errlen) ||
        alloc_items((void **)&out->items, json_array_size(arr), sizeof(*out->items), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        tiktok_warehouse_t *w = &out->items[out->n++];
        if (need_object(v, "warehouses[]", err, errlen) ||
            get_id(v, "id", w->id, sizeof(w->id), 1, err, errlen) ||
            get_text(v, "name", w->name, sizeof(w->name), 0, err, errlen) ||
            get_text(v, "effect_status", w->effect_status, sizeof(w->effect_status), 0, err, errlen) ||
            get_text(v, "type", w->type, sizeof(w->type), 0, err, errlen))
            return -1;
        w->is_default = json_is_true(json_object_get(v, "is_default"));
    }
    return 0;
}

static int parse_image(const json_t *data, tiktok_image_t *out, char *err, size_t errlen)
{
    if (need_object(data, "data", err, errlen) ||
        get_text(data, "uri", out->uri, sizeof(out->uri), 1, err, errlen) ||
        get_text(data, "url", out->url, sizeof(out->url), 0, err, errlen))
        return -1;
    return 0;
}

static int parse_product_ref(const json_t *data, tiktok_product_ref_t *out, char *err,
                             size_t errlen)
{
    json_t *arr, *v;
    size_t i;
    if (need_object(data, "data", err, errlen) ||
        get_id(data, "product_id", out->product_id, sizeof(out->product_id), 1, err, errlen) ||
        get_array(data, "skus", &arr, err, errlen) ||
        alloc_items((void **)&out->skus, json_array_size(arr), sizeof(*out->skus), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        tiktok_sku_ref_t *s = &out->skus[out->n_skus++];
        if (need_object(v, "skus[]", err, errlen) ||
            get_id(v, "id", s->id, sizeof(s->id), 1, err, errlen) ||
            get_text(v, "seller_sku", s->seller_sku, sizeof(s->seller_sku), 0, err, errlen))
            return -1;
    }
    return 0;
}

/* A list of {warehouse_id, <qty_key>} objects. */
static int parse_warehouse_qty(const json_t *arr, const char *qty_key,
                               tiktok_warehouse_qty_t **items, size_t *n, char *err,
                               size_t errlen)
{
    json_t *v;
    size_t i;
    if (alloc_items((void **)items, json_array_size(arr), sizeof(**items), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        tiktok_warehouse_qty_t *q = &(*items)[(*n)++];
        if (need_object(v, "inventory[]", err, errlen) ||
            get_id(v, "warehouse_id", q->warehouse_id, sizeof(q->warehouse_id), 1, err, errlen) ||
            get_count(v, qty_key, &q->quantity, err, errlen))
            return -1;
    }
    return 0;
}

static int parse_product(const json_t *obj, tiktok_product_t *p, char *err, size_t errlen)
{
    json_t *arr, *v, *inv;
    size_t i;
    if (need_object(obj, "product", err, errlen) ||
        get_id(obj, "id", p->id, sizeof(p->id), 1, err, errlen) ||
        get_text(obj, "status", p->status, sizeof(p->status), 0, err, errlen) ||
        get_array(obj, "skus", &arr, err, errlen) ||
        alloc_items((void **)&p->skus, json_array_size(arr), sizeof(*p->skus), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        tiktok_sku_t *s = &p->skus[p->n_skus++];
        if (need_object(v, "skus[]", err, errlen) ||
            get_id(v, "id", s->id, sizeof(s->id), 1, err, errlen) ||
            get_text(v, "seller_sku", s->seller_sku, sizeof(s->seller_sku), 0, err, errlen) ||
            get_array(v, "inventory", &inv, err, errlen) ||
            parse_warehouse_qty(inv, "quantity", &s->inventory, &s->n_inventory, err, errlen))
            return -1;
    }
    return 0;
}

static int parse_products(const json_t *data, tiktok_products_t *out, char *err,
                          size_t errlen)
{
    json_t *arr, *v;
    size_t i;
    if (need_object(data, "data", err, errlen) ||
        get_array(data, "products", &arr, err, errlen) ||
        get_text(data, "next_page_token", out->next_page_token, sizeof(out->next_page_token),
                 0, err, errlen) ||
        get_count(data, "total_count", &out->total_count, err, errlen) ||
        alloc_items((void **)&out->items, json_array_size(arr), sizeof(*out->items), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        if (parse_product(v, &out->items[out->n++], err, errlen))
            return -1;
    }
    return 0;
}

static int parse_sku_errors(const json_t *data, tiktok_sku_errors_t *out, char *err,
                            size_t errlen)
{
    json_t *arr = NULL, *v, *extras, *x;
    size_t i, j;
    /* No data at all is a clean success. */
    if (!data)
        return 0;
    if (need_object(data, "data", err, errlen) || get_array(data, "errors", &arr, err, errlen) ||
        alloc_items((void **)&out->items, json_array_size(arr), sizeof(*out->items), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        tiktok_sku_error_t *e = &out->items[out->n++];
        if (need_object(v, "errors[]", err, errlen) || get_count(v, "code", &e->code, err, errlen))
            return -1;
        copy_message(v, "message", e->message, sizeof(e->message));
        const json_t *detail = json_object_get(v, "detail");
        if (!json_is_object(detail))
            continue;
        if (get_id(detail, "sku_id", e->sku_id, sizeof(e->sku_id), 0, err, errlen) ||
            get_array(detail, "extra_errors", &extras, err, errlen) ||
            alloc_items((void **)&e->extra, json_array_size(extras), sizeof(*e->extra), err,
                        errlen))
            return -1;
        json_array_foreach(extras, j, x) {
            tiktok_warehouse_error_t *w = &e->extra[e->n_extra++];
            if (need_object(x, "extra_errors[]", err, errlen) ||
                get_id(x, "warehouse_id", w->warehouse_id, sizeof(w->warehouse_id), 0, err, errlen) ||
                get_count(x, "code", &w->code, err, errlen))
                return -1;
            copy_message(x, "message", w->message, sizeof(w->message));
        }
    }
    return 0;
}

static int parse_inventories(const json_t *data, tiktok_inventories_t *out, char *err,
                             size_t errlen)
{
    json_t *arr, *prod, *skus, *sku, *wh;
    size_t i, j, total = 0;
    if (need_object(data, "data", err, errlen) || get_array(data, "inventory", &arr, err, errlen))
        return -1;
    /* Flattened to one entry per SKU: count first. */
    json_array_foreach(arr, i, prod) {
        if (need_object(prod, "inventory[]", err, errlen) ||
            get_array(prod, "skus", &skus, err, errlen))
            return -1;
        total += json_array_size(skus);
    }
    if (alloc_items((void **)&out->items, total, sizeof(*out->items), err, errlen))
        return -1;
    json_array_foreach(arr, i, prod) {
        char product_id[TIKTOK_ID_MAX];
        if (get_id(prod, "product_id", product_id, sizeof(product_id), 0, err, errlen))
            return -1;
        skus = json_object_get(prod, "skus");
        json_array_foreach(skus, j, sku) {
            tiktok_sku_inventory_t *s = &out->items[out->n++];
            memcpy(s->product_id, product_id, sizeof(product_id));
            if (need_object(sku, "skus[]", err, errlen) ||
                get_id(sku, "id", s->sku_id, sizeof(s->sku_id), 1, err, errlen) ||
                get_text(sku, "seller_sku", s->seller_sku, sizeof(s->seller_sku), 0, err, errlen) ||
                get_count(sku, "total_available_quantity", &s->total_available_quantity, err,
                          errlen) ||
                get_array(sku, "warehouse_inventory", &wh, err, errlen) ||
                parse_warehouse_qty(wh, "available_quantity", &s->warehouses,
                                    &s->n_warehouses, err, errlen))
                return -1;
        }
    }
    return 0;
}

static int parse_orders(const json_t *data, tiktok_orders_t *out, char *err, size_t errlen)
{
    json_t *arr, *v, *items, *li;
    size_t i, j;
    if (need_object(data, "data", err, errlen) || get_array(data, "orders", &arr, err, errlen) ||
        get_text(data, "next_page_token", out->next_page_token, sizeof(out->next_page_token), 0,
                 err, errlen) ||
        alloc_items((void **)&out->items, json_array_size(arr), sizeof(*out->items), err, errlen))
        return -1;
    json_array_foreach(arr, i, v) {
        tiktok_order_t *o = &out->items[out->n++];
        if (need_object(v, "orders[]", err, errlen) ||
            get_id(v, "id", o->id, sizeof(o->id), 1, err, errlen) ||
            get_text(v, "status", o->status, sizeof(o->status), 0, err, errlen) ||
            get_count(v, "update_time", &o->update_time, err, errlen) ||
            get_count(v, "create_time", &o->create_time, err, errlen) ||
            get_array(v, "line_items", &items, err, errlen) ||
            alloc_items((void **)&o->line_items, json_array_size(items), sizeof(*o->line_items),
                        err, errlen))
            return -1;
        /* Revenue only: an order without a readable payment still moves
         * stock. */
        const json_t *pay = json_object_get(v, "payment");
        const char *cur = json_string_value(json_object_get(pay, "currency"));
        const char *amt = json_string_value(json_object_get(pay, "total_amount"));
        if (cur && strlen(cur) < sizeof(o->currency))
            memcpy(o->currency, cur, strlen(cur) + 1);
        if (amt && strlen(amt) < sizeof(o->total_amount))
            memcpy(o->total_amount, amt, strlen(amt) + 1);
        json_array_foreach(items, j, li) {
            tiktok_line_item_t *l = &o->line_items[o->n_line_items++];
            if (need_object(li, "line_items[]", err, errlen) ||
                get_id(li, "id", l->id, sizeof(l->id), 0, err, errlen) ||
                get_id(li, "sku_id", l->sku_id, sizeof(l->sku_id), 0, err, errlen) ||
                get_text(li, "seller_sku", l->seller_sku, sizeof(l->seller_sku), 0, err, errlen) ||
                get_id(li, "product_id", l->product_id, sizeof(l->product_id), 0, err, errlen))
                return -1;
            /* Informative except for CANCELLED: an unexpected shape must not
             * hold up the order. */
            const char *ds = json_string_value(json_object_get(li, "display_status"));
            if (ds && strlen(ds) < sizeof(l->display_status))
                memcpy(l->display_status, ds, strlen(ds) + 1);
        }
    }
    return 0;
}

static int parse_tokens(const json_t *data, tiktok_tokens_t *out, char *err, size_t errlen)
{
    if (need_object(data, "data", err, errlen) ||
        get_text(data, "access_token", out->access_token, sizeof(out->access_token), 1, err,
                 errlen) ||
        jsonx_get_int(data, "access_token_expire_in", &out->access_token_expire_at, err,
                      errlen) ||
        get_text(data, "refresh_token", out->refresh_token, sizeof(out->refresh_token), 1, err,
                 errlen) ||
        jsonx_get_int(data, "refresh_token_expire_in", &out->refresh_token_expire_at, err,
                      errlen) ||
        get_text(data, "open_id", out->open_id, sizeof(out->open_id), 0, err, errlen) ||
        get_text(data, "seller_name", out->seller_name, sizeof(out->seller_name), 0, err,
                 errlen) ||
        get_text(data, "seller_base_region", out->seller_base_region,
                 sizeof(out->seller_base_region), 0, err, errlen))
        return -1;
    if (!out->access_token[0] || !out->refresh_token[0]) {
        snprintf(err, errlen, "empty token");
        return -1;
    }
    return 0;
}

/* A code-0 response whose data is not what the API documents. */
static int bad_response(tiktok_result_t *res, const char *what)
{
    return fail(res, TIKTOK_PERMANENT, "unexpected TikTok response: %s", what);
}

/* ---- tokens -------------------------------------------------------------- */

static tiktok_kind_t token_call(tiktok_client_t *c, const char *path,
                                const char *grant_key, const char *grant,
                                const char *grant_type, tiktok_tokens_t *out, char *err,
                                size_t errlen)
{
    tiktok_result_t res;
    char perr[192];

    result_init(&res);
    memset(out, 0, sizeof(*out));
    if (!grant || !*grant) {
        snprintf(err, errlen, "%s: %s is required", path, grant_key);
        return TIKTOK_PERMANENT;
    }
    tiktok_param_t q[] = {
        {"app_key", c->app_key},
        {"app_secret", c->app_secret},
        {grant_key, grant},
        {"grant_type", grant_type},
    };
    exec_t x = {
        .method = "GET",
        .base = c->auth_base,
        .path = path,
        .api = path,
        .query = q,
        .n_query = sizeof(q) / sizeof(q[0]),
    };
    if (execute(c, &x, &res) == 0 && parse_tokens(res.data, out, perr, sizeof(perr)) != 0)
        bad_response(&res, perr);
    tiktok_kind_t kind = res.kind;
    if (kind != TIKTOK_OK) {
        memset(out, 0, sizeof(*out));
        snprintf(err, errlen, "%s: %s (http %ld, code %lld, request_id %s)", path,
                 res.message, res.http_status, res.code, res.request_id);
    }
    tiktok_result_free(&res);
    return kind;
}

tiktok_kind_t tiktok_token_get(tiktok_client_t *c, const char *auth_code,
                               tiktok_tokens_t *out, char *err, size_t errlen)
{
    return token_call(c, "/api/v2/token/get", "auth_code", auth_code, "authorized_code", out,
                      err, errlen);
}

tiktok_kind_t tiktok_token_refresh(tiktok_client_t *c, const char *refresh_token,
                                   tiktok_tokens_t *out, char *err, size_t errlen)
{
    return token_call(c, "/api/v2/token/refresh", "refresh_token", refresh_token,
                      "refresh_token", out, err, errlen);
}

/* ---- request building ---------------------------------------------------- */

/* IDs go into paths and comma-separated lists: only plain characters. */
static int valid_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= TIKTOK_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
            return 0;
    }
    return 1;
}

/* Set key to a new string; -1 when s is NULL or not UTF-8 (or OOM). */
static int set_str(json_t *obj, const char *key, const char *s)
{
    return s ? json_object_set_new(obj, key, json_string(s)) : -1;
}

/* Append v (stolen) to arr; -1 when v is NULL or on OOM. */
static int push(json_t *arr, json_t *v)
{
    return json_array_append_new(arr, v);
}

static json_t *stock_array(const tiktok_stock_t *inv, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *o = json_object();
        if (push(arr, o) || inv[i].quantity < 0 || set_str(o, "warehouse_id", inv[i].warehouse_id) ||
            json_object_set_new(o, "quantity", json_integer(inv[i].quantity))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *string_array(const char *const *items, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (!items[i] || push(arr, json_string(items[i]))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *sku_object(const tiktok_sku_spec_t *s)
{
    json_t *o = json_object(), *price = json_object(), *attrs = NULL;
    if (!o || !price || (s->id && set_str(o, "id", s->id)) ||
        set_str(o, "seller_sku", s->seller_sku) || set_str(price, "amount", s->price_amount) ||
        set_str(price, "currency", s->currency) || json_object_set(o, "price", price) ||
        json_object_set_new(o, "inventory", stock_array(s->inventory, s->n_inventory)))
        goto fail;
    if (s->n_sales_attributes) {
        attrs = json_array();
        if (!attrs || json_object_set(o, "sales_attributes", attrs))
            goto fail;
        for (size_t i = 0; i < s->n_sales_attributes; i++) {
            json_t *a = json_object();
            if (push(attrs, a) || set_str(a, "name", s->sales_attributes[i].name) ||
                set_str(a, "value_name", s->sales_attributes[i].value_name))
                goto fail;
        }
    }
    json_decref(price);
    json_decref(attrs);
    return o;
fail:
    json_decref(price);
    json_decref(attrs);
    json_decref(o);
    return NULL;
}

/* The Create/Edit Product body; NULL with a message when spec is incomplete
 * or not UTF-8. */
static json_t *product_body(const tiktok_product_spec_t *spec, char *err, size_t errlen)
{
    json_t *root = NULL, *images = NULL, *skus = NULL;

    if (!spec->title || !spec->description || !spec->category_id || !spec->n_main_images ||
        !spec->n_skus) {
        snprintf(err, errlen, "title, description, category_id, a main image and a SKU are required");
        return NULL;
    }
    root = json_object();
    images = json_array();
    skus = json_array();
    if (!root || !images || !skus || set_str(root, "title", spec->title) ||
        set_str(root, "description", spec->description) ||
        set_str(root, "category_id", spec->category_id) ||
        json_object_set(root, "main_images", images) || json_object_set(root, "skus", skus))
        goto fail;
    for (size_t i = 0; i < spec->n_main_images; i++) {
        json_t *img = json_object();
        if (push(images, img) || set_str(img, "uri", spec->main_image_uris[i]))
            goto fail;
    }
    if (spec->weight_value) {
        json_t *w = json_object();
        if (json_object_set_new(root, "package_weight", w) || set_str(w, "value", spec->weight_value) ||
            set_str(w, "unit", spec->weight_unit ? spec->weight_unit : "KILOGRAM"))
            goto fail;
    }
    if (spec->length && spec->width && spec->height) {
        json_t *d = json_object();
        if (json_object_set_new(root, "package_dimensions", d) || set_str(d, "length", spec->length) ||
            set_str(d, "width", spec->width) || set_str(d, "height", spec->height) ||
            set_str(d, "unit", spec->dimension_unit ? spec->dimension_unit : "CENTIMETER"))
            goto fail;
    }
    for (size_t i = 0; i < spec->n_skus; i++) {
        if (push(skus, sku_object(&spec->skus[i])))
            goto fail;
    }
    json_decref(images);
    json_decref(skus);
    return root;
fail:
    snprintf(err, errlen, "product spec has a missing field, a negative quantity or invalid UTF-8");
    json_decref(images);
    json_decref(skus);
    json_decref(root);
    return NULL;
}

/* ---- API wrappers -------------------------------------------------------- */

static int run(tiktok_client_t *c, const char *method, const char *path, const char *api,
               const tiktok_param_t *query, size_t n_query, int shop_scoped,
               const json_t *body, tiktok_result_t *res)
{
    tiktok_call_t call = {
        .method = method,
        .path = path,
        .api = api,
        .query = query,
        .n_query = n_query,
        .shop_scoped = shop_scoped,
        .body = body,
    };
    return tiktok_call(c, &call, res);
}

int tiktok_get_authorized_shops(tiktok_client_t *c, tiktok_shops_t *out,
                                tiktok_result_t *res)
{
    char perr[192];
    memset(out, 0, sizeof(*out));
    int rc = run(c, "GET", "/authorization/202309/shops", NULL, NULL, 0, 0, NULL, res);
    if (rc == 0 && parse_shops(res->data, out, perr, sizeof(perr)) != 0)
        rc = bad_response(res, perr);
    return rc;
}

void tiktok_shops_free(tiktok_shops_t *s)
{
    free(s->items);
    s->items = NULL;
    s->n = 0;
}

int tiktok_get_warehouses(tiktok_client_t *c, tiktok_warehouses_t *out,
                          tiktok_result_t *res)
{
    char perr[192];
    memset(out, 0, sizeof(*out));
    int rc = run(c, "GET", "/logistics/202309/warehouses", NULL, NULL, 0, 1, NULL, res);
    if (rc == 0 && parse_warehouses(res->data, out, perr, sizeof(perr)) != 0)
        rc = bad_response(res, perr);
    return rc;
}

void tiktok_warehouses_free(tiktok_warehouses_t *w)
{
    free(w->items);
    w->items = NULL;
    w->n = 0;
}

int tiktok_upload_product_image(tiktok_client_t *c, const void *data, size_t len,
                                const char *filename, const char *content_type,
                                tiktok_image_t *out, tiktok_result_t *res)
{
    char perr[192];
    memset(out, 0, sizeof(*out));
    result_init(res);
    if (!data || !len || !filename || !content_type)
        return fail(res, TIKTOK_PERMANENT, "image data, filename and content type are required");
    http_part_t parts[] = {
        {.name = "data", .filename = filename, .content_type = content_type, .data = data, .len = len},
        {.name = "use_case", .data = "MAIN_IMAGE", .len = strlen("MAIN_IMAGE")},
    };
    tiktok_call_t call = {
        .method = "POST",
        .path = "/product/202309/images/upload",
        .parts = parts,
        .n_parts = sizeof(parts) / sizeof(parts[0]),
    };
    int rc = tiktok_call(c, &call, res);
    if (rc == 0 && parse_image(res->data, out, perr, sizeof(perr)) != 0)
        rc = bad_response(res, perr);
    return rc;
}

static int product_write(tiktok_client_t *c, const char *method, const char *path,
                         const char *api, const tiktok_product_spec_t *spec,
                         tiktok_product_ref_t *out, tiktok_result_t *res)
{
    char perr[192];
    json_t *body = product_body(spec, perr, sizeof(perr));
    if (!body)
        return fail(res, TIKTOK_PERMANENT, "%s", perr);
    int rc = run(c, method, path, api, NULL, 0, 1, body, res);
    json_decref(body);
    if (rc == 0 && parse_product_ref(res->data, out, perr, sizeof(perr)) != 0)
        rc = bad_response(res, perr);
    return rc;
}

int tiktok_create_product(tiktok_client_t *c, const tiktok_product_spec_t *spec,
                          tiktok_product_ref_t *out, tiktok_result_t *res)
{
    memset(out, 0, sizeof(*out));
    result_init(res);
    return product_write(c, "POST", "/product/202309/products", NULL, spec, out, res);
}

int tiktok_edit_product(tiktok_client_t *c, const char *product_id,
                        const tiktok_product_spec_t *spec, tiktok_product_ref_t *out,
                        tiktok_result_t *res)
{
    char path[128];
    memset(out, 0, sizeof(*out));
    result_init(res);
    if (!valid_id(product_id))
        return fail(res, TIKTOK_PERMANENT, "invalid product id");
    snprintf(path, sizeof(path), "/product/202309/products/%s", product_id);
    return product_write(c, "PUT", path, "/product/202309/products/{product_id}", spec, out,
                         res);
}

void tiktok_product_ref_free(tiktok_product_ref_t *p)
{
    free(p->skus);
    p->skus = NULL;
    p->n_skus = 0;
}

int tiktok_search_products(tiktok_client_t *c, const char *const *seller_skus,
                           size_t n_seller_skus, int page_size,
                           const char *page_token, tiktok_products_t *out,
                           tiktok_result_t *res)
{
    char size[16], perr[192];
    json_t *body = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    result_init(res);
    if (page_size < 1 || page_size > 100) {
        fail(res, TIKTOK_PERMANENT, "page_size must be 1..100");
        goto out;
    }
    body = json_object();
    if (!body || (n_seller_skus &&
                  json_object_set_new(body, "seller_skus", string_array(seller_skus, n_seller_skus)))) {
        fail(res, TIKTOK_PERMANENT, "invalid seller SKU list");
        goto out;
    }
    snprintf(size, sizeof(size), "%d", page_size);
    tiktok_param_t q[] = {{"page_size", size}, {"page_token", page_token}};
    size_t nq = page_token && *page_token ? 2 : 1;
    rc = run(c, "POST", "/product/202309/products/search", NULL, q, nq, 1, body, res);
    if (rc == 0 && parse_products(res->data, out, perr, sizeof(perr)) != 0)
        rc = bad_response(res, perr);
out:
    json_decref(body);
    return rc;
}

void tiktok_product_free(tiktok_product_t *p)
{
    for (size_t i = 0; i < p->n_skus; i++)
        free(p->skus[i].inventory);
    free(p->skus);
    p->skus = NULL;
    p->n_skus = 0;
}

void tiktok_products_free(tiktok_products_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        tiktok_product_free(&p->items[i]);
    free(p->items);
    p->items = NULL;
    p->n = 0;
}

int tiktok_get_product(tiktok_client_t *c, const char *product_id,
                       tiktok_product_t *out, tiktok_result_t *res)
{
    char path[128], perr[192];
    memset(out, 0, sizeof(*out));
    result_init(res);
    if (!valid_id(product_id))
        return fail(res, TIKTOK_PERMANENT, "invalid product id");
    snprintf(path, sizeof(path), "/product/202309/products/%s", product_id);
    int rc = run(c, "GET", path, "/product/202309/products/{product_id}", NULL, 0, 1, NULL, res);
    if (rc == 0 && parse_product(res->data, out, perr, sizeof(perr)) != 0)
        rc = bad_response(res, perr);
    return rc;
}

static json_t *inventory_body(const tiktok_sku_stock_t *skus, size_t n)
{
    json_t *root = json_object(), *arr = json_array();
    if (!root || !arr || json_object_set(root, "skus", arr))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        if (push(arr, o) || !valid_id(skus[i].sku_id) || set_str(o, "id", skus[i].sku_id) ||
            !skus[i].n_inventory ||
            json_object_set_new(o, "inventory", stock_array(skus[i].inventory, skus[i].n_inventory)))
            goto fail;
    }
    json_decref(arr);
    return root;
fail:
    json_decref(arr);
    json_decref(root);
    return NULL;
}

int tiktok_update_inventory(tiktok_client_t *c, const char *product_id,
                            const tiktok_sku_stock_t *skus, size_t n_skus,
                            tiktok_sku_errors_t *out, tiktok_result_t *res)
{
    char path[160], perr[192];
    json_t *body = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    result_init(res);
    if (!valid_id(product_id) || !n_skus) {
        fail(res, TIKTOK_PERMANENT, "invalid product id or no SKUs");
        goto out;
    }
    if (!(body = inventory_body(skus, n_skus))) {
        fail(res, TIKTOK_PERMANENT,
             "invalid SKU id, SKU without warehouses, or negative quantity");
        goto out;
    }
    snprintf(path, sizeof(path), "/product/202309/products/%s/inventory/update", product_id);
    rc = run(c, "POST", path, "/product/202309/products/{product_id}/inventory/update", NULL, 0,
             1, body, res);
    if (rc != 0)
        goto out;
    if (parse_sku_errors(res->data, out, perr, sizeof(perr)) != 0) {
        rc = bad_response(res, perr);
        goto out;
    }
    /* code 0 with per-SKU errors means those SKUs were not updated. */
    if (out->n) {
        const tiktok_sku_error_t *e = &out->items[0];
        rc = fail(res, TIKTOK_PERMANENT, "%zu SKU(s) not updated; sku %s: %s (code %lld)%s%s",
                  out->n, e->sku_id[0] ? e->sku_id : "?", e->message, e->code,
                  e->n_extra ? "; " : "", e->n_extra ? e->extra[0].message : "");
    }
out:
    json_decref(body);
    return rc;
}

void tiktok_sku_errors_free(tiktok_sku_errors_t *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->items[i].extra);
    free(e->items);
    e->items = NULL;
    e->n = 0;
}

int tiktok_inventory_search(tiktok_client_t *c, const char *const *sku_ids,
                            size_t n_sku_ids, tiktok_inventories_t *out,
                            tiktok_result_t *res)
{
    char perr[192];
    json_t *body = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    result_init(res);
    if (!n_sku_ids || n_sku_ids > MAX_SEARCH_IDS) {
        fail(res, TIKTOK_PERMANENT, "between 1 and %d SKU ids are required", MAX_SEARCH_IDS);
        goto out;
    }
    body = json_object();
    if (!body || json_object_set_new(body, "sku_ids", string_array(sku_ids, n_sku_ids))) {
        fail(res, TIKTOK_PERMANENT, "invalid SKU id list");
        goto out;
    }
    rc = run(c, "POST", "/product/202309/inventory/search", NULL, NULL, 0, 1, body, res);
    if (rc == 0 && parse_inventories(res->data, out, perr, sizeof(perr)) != 0)
        rc = bad_response(res, perr);
out:
    json_decref(body);
    return rc;
}

void tiktok_inventories_free(tiktok_inventories_t *inv)
{
    for (size_t i = 0; i < inv->n; i++)
        free(inv->items[i].warehouses);
    free(inv->items);
    inv->items = NULL;
    inv->n = 0;
}

int tiktok_get_orders(tiktok_client_t *c, const char *const *ids, size_t n_ids,
                      tiktok_orders_t *out, tiktok_result_t *res)
{
    char perr[192];
    buf_t list;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    result_init(res);
    buf_init(&list, TIKTOK_MAX_ORDER_IDS * TIKTOK_ID_MAX);
    if (!n_ids || n_ids > TIKTOK_MAX_ORDER_IDS) {
        fail(res, TIKTOK_PERMANENT, "between 1 and %d order ids are required",
             TIKTOK_MAX_ORDER_IDS);
        goto out;
    }
    for (size_t i = 0; i < n_ids; i++) {
        if (!valid_id(ids[i]) || (i && buf_append(&list, ",", 1)) || buf_appends(&list, ids[i])) {
            fail(res, TIKTOK_PERMANENT, "invalid order id");
            goto out;
        }
    }
    tiktok_param_t q[] = {{"ids", list.data}};
    rc = run(c, "GET", "/order/202309/orders", NULL, q, 1, 1, NULL, res);
    if (rc == 0 && parse_orders(res->data, out, perr, sizeof(perr)) != 0)
        rc = bad_response(res, perr);
out:
    buf_free(&list);
    return rc;
}

int tiktok_search_orders(tiktok_client_t *c, const tiktok_order_query_t *q,
                         tiktok_orders_t *out, tiktok_result_t *res)
{
    char size[16], perr[192];
    json_t *body = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    result_init(res);
    if (q->page_size < 1 || q->page_size > 100 || q->update_time_ge < 0) {
        fail(res, TIKTOK_PERMANENT, "page_size must be 1..100 and update_time_ge >= 0");
        goto out;
    }
    body = json_object();
    if (!body || json_object_set_new(body, "update_time_ge", json_integer(q->update_time_ge)) ||
        (q->update_time_lt > 0 &&
         json_object_set_new(body, "update_time_lt", json_integer(q->update_time_lt)))) {
        fail(res, TIKTOK_PERMANENT, "out of memory");
        goto out;
    }
    snprintf(size, sizeof(size), "%d", q->page_size);
    tiktok_param_t qp[] = {{"page_size", size}, {"page_token", q->page_token}};
    size_t nq = q->page_token && *q->page_token ? 2 : 1;
    rc = run(c, "POST", "/order/202309/orders/search", NULL, qp, nq, 1, body, res);
    if (rc == 0 && parse_orders(res->data, out, perr, sizeof(perr)) != 0)
        rc = bad_response(res, perr);
out:
    json_decref(body);
    return rc;
}

void tiktok_orders_free(tiktok_orders_t *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->items[i].line_items);
    free(o->items);
    o->items = NULL;
    o->n = 0;
}
