/*
 * tiktok_client — TikTok Shop Open API transport: signed requests, envelope
 * classification, retries with backoff, token use and refresh, token
 * exchange (see tiktok_client.h).
 */
#include "shopsync/tiktok_client.h"

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
#include "tiktok_parse.h"

#define MAX_QUERY_PARAMS 16
#define URL_MAX (16 * 1024)
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

void tiktok_result_init(tiktok_result_t *res)
{
    memset(res, 0, sizeof(*res));
    res->code = -1;
}

void tiktok_result_free(tiktok_result_t *res)
{
    json_decref(res->data);
    res->data = NULL;
}

int tiktok_result_fail(tiktok_result_t *res, tiktok_kind_t kind, const char *fmt, ...)
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


int tiktok_result_unexpected(tiktok_result_t *res, const char *what)
{
    return tiktok_result_fail(res, TIKTOK_PERMANENT, "unexpected TikTok response: %s", what);
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
        tiktok_result_fail(res, TIKTOK_PERMANENT, "the TikTok Shop app key and secret are not configured");
        goto out;
    }
    http_client_t *http = http_client_thread();
    if (!http) {
        tiktok_result_fail(res, TIKTOK_NETWORK, "cannot create an HTTP client");
        goto out;
    }
    for (;;) {
        tiktok_result_free(res);
        res->code = -1;
        res->http_status = 0;
        res->message[0] = res->request_id[0] = '\0';
        if (x->authed) {
            if (c->hooks.rate_acquire && c->hooks.rate_acquire(c->hooks.ctx, x->api) != 0) {
                tiktok_result_fail(res, TIKTOK_RETRYABLE, "rate limiter unavailable");
                goto out;
            }
            int t = c->hooks.get_token(c->hooks.ctx, token, sizeof(token), cipher,
                                       sizeof(cipher));
            if (t > 0 || (t == 0 && !token[0])) {
                tiktok_result_fail(res, TIKTOK_REAUTH, "no access token for this shop");
                goto out;
            }
            if (t < 0) {
                tiktok_result_fail(res, TIKTOK_RETRYABLE, "access token unavailable");
                goto out;
            }
            if (x->shop_scoped && !cipher[0]) {
                tiktok_result_fail(res, TIKTOK_PERMANENT, "no shop cipher for a shop-scoped call");
                goto out;
            }
        }
        buf_reset(&url);
        if (build_url(c, x, cipher, &url) != 0) {
            tiktok_result_fail(res, TIKTOK_PERMANENT, "cannot build the request URL");
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
            int has_code = tiktok_parse_envelope(&resp, res);
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

    tiktok_result_init(res);
    if (!call->method || !valid_path(call->path)) {
        tiktok_result_fail(res, TIKTOK_PERMANENT, "invalid method or path");
        goto out;
    }
    if (!c->hooks.get_token) {
        tiktok_result_fail(res, TIKTOK_PERMANENT, "no get_token hook configured");
        goto out;
    }
    if (call->n_query > MAX_QUERY_PARAMS || (call->n_query && !call->query)) {
        tiktok_result_fail(res, TIKTOK_PERMANENT, "too many query parameters");
        goto out;
    }
    for (size_t i = 0; i < call->n_query; i++) {
        if (!call->query[i].key || !call->query[i].value || reserved_param(call->query[i].key)) {
            tiktok_result_fail(res, TIKTOK_PERMANENT, "invalid or reserved query parameter");
            goto out;
        }
    }
    if (call->body && call->n_parts) {
        tiktok_result_fail(res, TIKTOK_PERMANENT, "a call has a JSON body or multipart parts, not both");
        goto out;
    }
    /* Serialised once: the bytes signed must be the bytes sent, on every
     * attempt. */
    if (call->body && !(body = jsonx_dump(call->body))) {
        tiktok_result_fail(res, TIKTOK_PERMANENT, "cannot serialise the request body");
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

/* ---- tokens -------------------------------------------------------------- */

static tiktok_kind_t token_call(tiktok_client_t *c, const char *path,
                                const char *grant_key, const char *grant,
                                const char *grant_type, tiktok_tokens_t *out, char *err,
                                size_t errlen)
{
    tiktok_result_t res;
    char perr[192];

    tiktok_result_init(&res);
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
    if (execute(c, &x, &res) == 0 && tiktok_parse_tokens(res.data, out, perr, sizeof(perr)) != 0)
        tiktok_result_unexpected(&res, perr);
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
