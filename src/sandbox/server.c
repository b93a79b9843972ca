/*
 * server — civetweb setup, the one route table, and the gateway every
 * signed Open API call passes: latency, app_key, timestamp, sign, access
 * token, shop_cipher, injected faults and the per-path rate limit, in that
 * order. The OAuth token endpoints and the Stripe API imitation get the same
 * latency before their own checks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sandbox.h"
#include "shopsync/crypto.h"
#include "shopsync/httpx.h"
#include "shopsync/jsonx.h"
#include "shopsync/log.h"
#include "store.h"

#define IMAGE_BODY_MAX (6u * 1024u * 1024u) /* 5 MiB image + multipart framing */
#define TIMESTAMP_PAST 300
#define TIMESTAMP_FUTURE 30
#define ERROR_PAGE_MAX (64 * 1024)

typedef enum {
    R_OPEN,        /* pages, control endpoints: no checks */
    R_TOKEN,       /* OAuth token endpoints: error_rate faults only */
    R_SIGNED,      /* signed Open API call */
    R_SIGNED_SHOP, /* signed and scoped to the shop (shop_cipher) */
    R_STRIPE,      /* Stripe API stand-in: Bearer sk_ key */
    R_ADS          /* TikTok Business API (Events API): latency, then the handler's checks */
} route_kind;

typedef struct route {
    const char *method;
    const char *pattern; /* "{name}" segments capture one path segment */
    route_kind kind;
    sb_handler_fn fn;
    size_t body_max;
} route_t;

static const route_t routes[] = {
    {"GET", "/", R_OPEN, sb_page_home, 0},
    {"GET", "/healthz", R_OPEN, sb_sim_healthz, 0},
    {"GET", "/open/authorize", R_OPEN, sb_auth_page, 0},
    {"POST", "/open/authorize", R_OPEN, sb_auth_decide, 0},
    {"GET", "/api/v2/token/get", R_TOKEN, sb_token_get, 0},
    {"GET", "/api/v2/token/refresh", R_TOKEN, sb_token_refresh, 0},
    {"GET", "/authorization/202309/shops", R_SIGNED, sb_api_shops, 0},
    {"GET", "/logistics/202309/warehouses", R_SIGNED_SHOP, sb_api_warehouses, 0},
    /* Images are not shop-scoped: TikTok takes no shop_cipher here. */
    {"POST", "/product/202309/images/upload", R_SIGNED, sb_api_image_upload, IMAGE_BODY_MAX},
    {"POST", "/product/202309/products", R_SIGNED_SHOP, sb_api_product_create, 0},
    {"POST", "/product/202309/products/search", R_SIGNED_SHOP, sb_api_product_search, 0},
    {"GET", "/product/202309/products/{product_id}", R_SIGNED_SHOP, sb_api_product_get, 0},
    {"PUT", "/product/202309/products/{product_id}", R_SIGNED_SHOP, sb_api_product_edit, 0},
    {"POST", "/product/202309/products/{product_id}/inventory/update", R_SIGNED_SHOP,
     sb_api_inventory_update, 0},
    {"POST", "/product/202309/inventory/search", R_SIGNED_SHOP, sb_api_inventory_search, 0},
    {"GET", "/order/202309/orders", R_SIGNED_SHOP, sb_api_order_detail, 0},
    {"POST", "/order/202309/orders/search", R_SIGNED_SHOP, sb_api_order_search, 0},
    {"GET", "/images/{image}", R_OPEN, sb_image_get, 0},
    {"GET", "/sandbox/state", R_OPEN, sb_sim_state, 0},
    {"POST", "/sandbox/orders", R_OPEN, sb_sim_order_create, 0},
    {"POST", "/sandbox/orders/{order_id}/cancel", R_OPEN, sb_sim_order_cancel, 0},
    {"POST", "/sandbox/webhooks/resend", R_OPEN, sb_sim_webhook_resend, 0},
    {"GET", "/sandbox/faults", R_OPEN, sb_sim_faults_get, 0},
    {"POST", "/sandbox/faults", R_OPEN, sb_sim_faults_set, 0},
    {"DELETE", "/sandbox/faults", R_OPEN, sb_sim_faults_clear, 0},
    {"POST", "/sandbox/reset", R_OPEN, sb_sim_reset, 0},
    {"GET", "/sandbox/inventory-log", R_OPEN, sb_sim_inventory_log, 0},
    {"GET", "/sandbox/stock", R_OPEN, sb_sim_stock, 0},
    {"POST", "/sandbox/stripe/checkout", R_OPEN, sb_stripe_checkout, 0},
    {"GET", "/stripe/v1/checkout/sessions/{session}", R_STRIPE, sb_stripe_session_get, 0},
    {"GET", "/stripe/v1/checkout/sessions/{session}/line_items", R_STRIPE, sb_stripe_line_items,
     0},
    {"POST", "/open_api/v1.3/event/track/", R_ADS, sb_ads_track, 0},
    {"GET", "/sandbox/ads/events", R_OPEN, sb_ads_events, 0},
    {"GET", "/portal/auth", R_OPEN, sb_mapi_authorize_page, 0},
    {"POST", "/portal/auth", R_OPEN, sb_mapi_authorize_decide, 0},
    {"POST", "/open_api/v1.3/oauth2/access_token/", R_ADS, sb_mapi_access_token, 0},
    {"GET", "/open_api/v1.3/oauth2/advertiser/get/", R_ADS, sb_mapi_advertiser_get, 0},
    {"GET", "/open_api/v1.3/advertiser/info/", R_ADS, sb_mapi_advertiser_info, 0},
    {"POST", "/open_api/v1.3/oauth2/revoke_token/", R_ADS, sb_mapi_revoke, 0},
    {"GET", "/open_api/v1.3/report/integrated/get/", R_ADS, sb_mapi_report, 0},
    /* A customer file of 50,000 SHA-256 lines is 3.3 MB. */
    {"POST", "/open_api/v1.3/dmp/custom_audience/file/upload/", R_ADS, sb_dmp_upload, 8 * 1024 * 1024},
    {"POST", "/open_api/v1.3/dmp/custom_audience/create/", R_ADS, sb_dmp_create, 0},
    {"POST", "/open_api/v1.3/dmp/custom_audience/update/", R_ADS, sb_dmp_update, 0},
    {"GET", "/sandbox/ads/audiences", R_OPEN, sb_dmp_state, 0},
    {"GET", "/sandbox/ads/marketing", R_OPEN, sb_mapi_state, 0},
    {"POST", "/sandbox/ads/marketing", R_OPEN, sb_mapi_control, 0},
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))
_Static_assert(N_ROUTES <= SB_MAX_ROUTES, "route table larger than the store's counters");

/* Path prefixes of the signed Open API: verified even when no route
 * matches, as the real gateway checks credentials before routing. */
static const char *const signed_prefixes[] = {"/authorization/", "/logistics/", "/product/",
                                              "/order/", "/event/"};

/* Match path against pattern, capturing {..} segments into r->arg. */
static int path_match(const char *pattern, const char *path, sb_req_t *r)
{
    int nargs = 0;
    while (*pattern && *path) {
        if (*pattern != '/' || *path != '/')
            return 0;
        pattern++;
        path++;
        size_t pl = strcspn(pattern, "/"), sl = strcspn(path, "/");
        if (*pattern == '{') {
            if (sl == 0 || sl >= SB_ARG_LEN || nargs == SB_MAX_ARGS)
                return 0;
            memcpy(r->arg[nargs], path, sl);
            r->arg[nargs][sl] = '\0';
            nargs++;
        } else if (pl != sl || strncmp(pattern, path, pl) != 0) {
            return 0;
        }
        pattern += pl;
        path += sl;
    }
    return *pattern == '\0' && *path == '\0';
}

/* The route for the request, or -1 with *path_known set when only the
 * method is wrong. */
static int find_route(sb_req_t *r, int *path_known)
{
    *path_known = 0;
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (!path_match(routes[i].pattern, r->path, r))
            continue;
        *path_known = 1;
        if (strcmp(routes[i].method, r->ri->request_method) == 0)
            return (int)i;
    }
    return -1;
}

static void request_id(char out[64])
{
    /* Like the real ones: a UTC timestamp followed by random hex. */
    char hex[11];
    struct tm tm;
    time_t t = time(NULL);
    gmtime_r(&t, &tm);
    sb_random_hex(5, hex);
    snprintf(out, 64, "%04d%02d%02d%02d%02d%02d%s", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, hex);
    for (char *p = out; *p; p++) {
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    }
}

static int send_envelope(sb_req_t *r, int http, long code, const char *message, json_t *data)
{
    char rid[64];
    request_id(rid);
    json_t *env = json_pack("{s:I,s:s,s:s}", "code", (json_int_t)code, "message", message,
                            "request_id", rid);
    if (env && data)
        json_object_set(env, "data", data);
    json_decref(data);
    if (!env) {
        httpx_send_error(r->conn, 500, "internal", "out of memory");
        return 500;
    }
    /* Taken before the first byte goes out: the client cannot act on the
     * answer earlier, so request logs can order calls exactly. */
    r->reply_us = sb_wall_us();
    httpx_send_json(r->conn, http, env, NULL);
    json_decref(env);
    return http;
}

int sb_api_ok(sb_req_t *r, json_t *data)
{
    return send_envelope(r, 200, 0, "Success", data ? data : json_object());
}

int sb_api_err(sb_req_t *r, const sb_err_t *e)
{
    return send_envelope(r, e->http, e->code, e->msg, NULL);
}

int sb_api_fail(sb_req_t *r, int http, long code, const char *fmt, ...)
{
    sb_err_t e = {.http = http, .code = code};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
    va_end(ap);
    return sb_api_err(r, &e);
}

int sb_business_reply(sb_req_t *r, int http, long code, json_t *data, const char *fmt, ...)
{
    char msg[400], rid[33];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sb_random_hex(16, rid);
    json_t *v = json_pack("{s:I,s:s,s:s,s:o}", "code", (json_int_t)code, "message", msg, "request_id", rid, "data",
                          data ? data : code == 0 ? json_object() : json_null());
    return sb_reply_json(r, http, v);
}

int sb_business_fault(sb_req_t *r, long code)
{
    switch (code) {
    case 500:
        return sb_business_reply(r, 500, 50000, NULL, "System error (injected by the sandbox)");
    case 40100:
        return sb_business_reply(r, 200, 40100, NULL, "App reaches the QPS limit (injected by the sandbox)");
    case 40102:
        return sb_business_reply(r, 200, 40102, NULL, "Access token has expired (injected by the sandbox)");
    case 40105:
        return sb_business_reply(r, 200, 40105, NULL,
                                 "Access token is incorrect or has been revoked (injected by the sandbox)");
    case 40001:
        return sb_business_reply(r, 200, 40001, NULL, "No permission to operate pixel code (injected by the sandbox)");
    default:
        return sb_business_reply(r, 200, 40002, NULL, "Invalid parameter (injected by the sandbox)");
    }
}

int sb_reply_json(sb_req_t *r, int status, json_t *v)
{
    if (!v) {
        httpx_send_error(r->conn, 500, "internal", "out of memory");
        return 500;
    }
    httpx_send_json(r->conn, status, v, NULL);
    json_decref(v);
    return status;
}

int sb_reply_html(sb_req_t *r, int status, const buf_t *html)
{
    httpx_send(r->conn, status, "text/html; charset=utf-8", html->data ? html->data : "",
               html->len,
               /* No form-action: Approve must be free to redirect anywhere. */
               "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; "
               "img-src 'self'\r\n");
    return status;
}

int sb_error_page(sb_req_t *r, int status, const char *msg)
{
    buf_t b;
    buf_init(&b, ERROR_PAGE_MAX);
    int rc = buf_appends(&b, "<!doctype html><html><head><meta charset=\"utf-8\"><title>"
                             "Authorization error</title></head><body><h1>Authorization error"
                             "</h1><p id=\"error\">") ||
             sb_html_escape(&b, msg) || buf_appends(&b, "</p></body></html>");
    int st = rc == 0 ? sb_reply_html(r, status, &b)
                     : (httpx_send_error(r->conn, 500, "internal", "page too large"), 500);
    buf_free(&b);
    return st;
}

/* 303 to "/" with an optional message for the page to show. */
static int see_other(sb_req_t *r, const char *key, const char *msg)
{
    buf_t h;
    buf_init(&h, 2048);
    int rc = buf_appends(&h, "Location: /");
    if (rc == 0 && msg)
        rc = buf_appendf(&h, "?%s=", key) || httpx_urlencode(&h, msg);
    if (rc == 0)
        rc = buf_appends(&h, "\r\n");
    if (rc == 0)
        httpx_send(r->conn, 303, "text/plain", "", 0, h.data);
    else
        httpx_send_error(r->conn, 500, "internal", "message too long");
    buf_free(&h);
    return rc == 0 ? 303 : 500;
}

int sb_sim_fail(sb_req_t *r, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (r->form)
        return see_other(r, "error", msg);
    const char *code = status == 404 ? "not_found" : status == 409 ? "conflict" : "bad_request";
    httpx_send_error(r->conn, status, code, "%s", msg);
    return status;
}

int sb_sim_done(sb_req_t *r, int status, json_t *v)
{
    if (r->form) {
        json_decref(v);
        return see_other(r, "msg", NULL);
    }
    return sb_reply_json(r, status, v);
}

int sb_sim_note(sb_req_t *r, int status, json_t *v, const char *fmt, ...)
{
    char msg[512];
    if (!r->form)
        return sb_reply_json(r, status, v);
    json_decref(v);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return see_other(r, "note", msg);
}

int sb_req_object(sb_req_t *r, json_t **out, char *err, size_t errlen)
{
    json_t *v = NULL;
    if (r->body.len == 0) {
        v = json_object();
    } else if (r->form) {
        sb_params_t p = {0};
        if (sb_params_parse(&p, r->body.data, r->body.len) == 0) {
            v = json_object();
            for (size_t i = 0; v && i < p.n; i++)
                json_object_set_new(v, p.key[i], json_string(p.val[i]));
        }
        sb_params_free(&p);
        if (!v) {
            snprintf(err, errlen, "malformed form body");
            return -1;
        }
    } else {
        v = jsonx_loadb(r->body.data, r->body.len, err, errlen);
        if (!v)
            return -1;
        if (!json_is_object(v)) {
            json_decref(v);
            snprintf(err, errlen, "body must be a JSON object");
            return -1;
        }
    }
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *out = v;
    return 0;
}

static int is_multipart(const sb_req_t *r)
{
    const char *ct = mg_get_header(r->conn, "Content-Type");
    return ct && strncasecmp(ct, "multipart/form-data", 19) == 0;
}

/* Steps 1-4 of the gateway: app_key, timestamp, sign, access token. */
static int verify_credentials(sb_req_t *r, sb_err_t *e)
{
    const sb_config_t *cfg = r->app->cfg;
    const char *app_key = sb_params_get(&r->query, "app_key");
    const char *ts = sb_params_get(&r->query, "timestamp");
    const char *sign = sb_params_get(&r->query, "sign");
    const char *token = mg_get_header(r->conn, "x-tts-access-token");
    char want[65];

    e->http = 200;
    if (!app_key || !sb_str_equal(app_key, cfg->app_key)) {
        e->code = SB_E_APP_KEY;
        snprintf(e->msg, sizeof(e->msg), "invalid app_key: %s", app_key ? "unknown" : "missing");
        return -1;
    }
    char *end = NULL;
    long long t = ts ? strtoll(ts, &end, 10) : 0;
    long long now = sb_now();
    if (!ts || !*ts || *end ||
        (!cfg->skip_timestamp_check && (t < now - TIMESTAMP_PAST || t > now + TIMESTAMP_FUTURE))) {
        e->code = SB_E_TIMESTAMP;
        snprintf(e->msg, sizeof(e->msg),
                 "timestamp is expired or invalid: must be unix seconds within %d s before "
                 "and %d s after now (%lld)",
                 TIMESTAMP_PAST, TIMESTAMP_FUTURE, now);
        return -1;
    }
    /* The real gateway leaves multipart bodies out of the signature. */
    if (!sign || sb_sign_request(cfg->app_secret, r->path, &r->query, r->body.data, r->body.len,
                                 !is_multipart(r), want) != 0 ||
        !crypto_hex_equal(want, sign)) {
        e->code = SB_E_SIGN;
        snprintf(e->msg, sizeof(e->msg), "Invalid credentials: sign %s",
                 sign ? "does not match" : "is missing");
        return -1;
    }
    if (!token || !*token) {
        e->code = SB_E_TOKEN_INVALID;
        snprintf(e->msg, sizeof(e->msg), "access token is invalid: x-tts-access-token missing");
        return -1;
    }
    sb_store_lock(r->app->store);
    sb_token_rc trc = sb_store_token_check(r->app->store, token);
    sb_store_unlock(r->app->store);
    if (trc != SB_TOKEN_OK) {
        e->code = trc == SB_TOKEN_EXPIRED ? SB_E_TOKEN_EXPIRED : SB_E_TOKEN_INVALID;
        snprintf(e->msg, sizeof(e->msg), "%s",
                 trc == SB_TOKEN_EXPIRED ? "access token is expired, refresh it"
                                         : "access token is invalid");
        return -1;
    }
    return 0;
}

/* Count one call of an imitated API in *counter and wait the latency
 * fault. The store lock is held only to read the setting, never while
 * sleeping: slow calls must not hold up each other or the control pages. */
static void api_latency(sb_req_t *r, unsigned long *counter)
{
    sb_store_t *s = r->app->store;
    sb_store_lock(s);
    (*counter)++;
    long latency = s->faults.latency_ms;
    sb_store_unlock(s);
    if (latency <= 0)
        return;
    struct timespec ts = {.tv_sec = latency / 1000, .tv_nsec = (latency % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Count a call that passed its checks for the state's endpoint_calls. */
static void route_called(sb_req_t *r, int route)
{
    sb_store_lock(r->app->store);
    r->app->store->route_calls[route]++;
    sb_store_unlock(r->app->store);
}

/* The whole gateway for a signed call; route is -1 for an unknown path.
 * Returns 0 to run the handler, or the status of the reply already sent. */
static int gateway(sb_req_t *r, int route)
{
    sb_store_t *s = r->app->store;
    sb_err_t e = {0};

    api_latency(r, &s->counters.requests);
    if (verify_credentials(r, &e) != 0)
        return sb_api_err(r, &e);
    if (route < 0)
        return sb_api_fail(r, 404, SB_E_NO_API, "API %s %s not found", r->ri->request_method,
                           r->path);
    sb_store_lock(s);
    const char *cipher = sb_params_get(&r->query, "shop_cipher");
    int cipher_ok = routes[route].kind != R_SIGNED_SHOP ||
                    (cipher && sb_str_equal(cipher, s->shop_cipher));
    int fault = cipher_ok ? sb_store_fault_roll(s) : 0;
    int allowed = cipher_ok && !fault && sb_store_rate_take(s, route);
    if (allowed)
        s->route_calls[route]++;
    sb_store_unlock(s);
    if (!cipher_ok)
        return sb_api_fail(r, 200, SB_E_SHOP_CIPHER, "invalid shop_cipher: %s",
                           cipher ? "not this app's shop" : "missing");
    if (fault == 500)
        return sb_api_fail(r, 500, SB_E_INTERNAL, "internal error (injected by the sandbox)");
    if (fault == 429)
        return sb_api_fail(r, 429, SB_E_RATE_LIMIT, "too many requests (injected by the sandbox)");
    if (!allowed)
        return sb_api_fail(r, 429, SB_E_RATE_LIMIT,
                           "too many requests: over %ld per second for this API and shop",
                           r->app->cfg->rate_limit);
    return 0;
}

static int stripe_auth(sb_req_t *r)
{
    const char *auth = mg_get_header(r->conn, "Authorization");
    if (auth && strncmp(auth, "Bearer sk_", 10) == 0 && auth[10])
        return 0;
    json_t *v = json_pack("{s:{s:s,s:s}}", "error", "type", "invalid_request_error", "message",
                          "You did not provide a valid API key. Use 'Authorization: Bearer "
                          "sk_...'.");
    return sb_reply_json(r, 401, v);
}

static int is_signed_path(const char *path)
{
    for (size_t i = 0; i < sizeof(signed_prefixes) / sizeof(signed_prefixes[0]); i++) {
        if (strncmp(path, signed_prefixes[i], strlen(signed_prefixes[i])) == 0)
            return 1;
    }
    return 0;
}

static int token_fault(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    sb_store_lock(s);
    int fault = s->faults.error_rate > 0 && sb_random_unit() < s->faults.error_rate;
    if (fault)
        s->counters.faults_injected++;
    sb_store_unlock(s);
    return fault ? sb_api_fail(r, 500, SB_E_INTERNAL, "internal error (injected by the sandbox)")
                 : 0;
}

static int handle(sb_req_t *r)
{
    int path_known = 0;
    int route = find_route(r, &path_known);
    int signed_call = is_signed_path(r->path);
    const char *ct = mg_get_header(r->conn, "Content-Type");

    r->form = ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
    const char *qs = r->ri->query_string;
    if (sb_params_parse(&r->query, qs, qs ? strlen(qs) : 0) != 0) {
        if (signed_call)
            return sb_api_fail(r, 200, SB_E_PARAM, "malformed query string");
        httpx_send_error(r->conn, 400, "bad_request", "malformed or oversized query string");
        return 400;
    }
    buf_init(&r->body, route >= 0 && routes[route].body_max ? routes[route].body_max
                                                            : HTTPX_MAX_BODY);
    httpx_body_rc brc = httpx_read_body(r->conn, &r->body);
    if (brc != HTTPX_BODY_OK) {
        int st = brc == HTTPX_BODY_TOO_LARGE ? 413 : 400;
        if (signed_call)
            return sb_api_fail(r, st, st == 413 ? SB_E_TOO_LARGE : SB_E_PARAM,
                               st == 413 ? "request body too large" : "unreadable request body");
        httpx_send_error(r->conn, st, st == 413 ? "too_large" : "bad_request",
                         "request body too large or unreadable");
        return st;
    }
    if (signed_call) {
        int st = gateway(r, route);
        if (st)
            return st;
    } else if (route < 0) {
        httpx_send_error(r->conn, path_known ? 405 : 404, path_known ? "method_not_allowed"
                                                                     : "not_found",
                         "no route for %s %s", r->ri->request_method, r->path);
        return path_known ? 405 : 404;
    } else if (routes[route].kind == R_TOKEN) {
        api_latency(r, &r->app->store->counters.token_requests);
        int st = token_fault(r);
        if (st)
            return st;
        route_called(r, route);
    } else if (routes[route].kind == R_ADS) {
        api_latency(r, &r->app->store->counters.ads_requests);
        route_called(r, route);
    } else if (routes[route].kind == R_STRIPE) {
        api_latency(r, &r->app->store->counters.stripe_requests);
        int st = stripe_auth(r);
        if (st)
            return st;
        route_called(r, route);
    }
    return routes[route].fn(r);
}

static int dispatch(struct mg_connection *conn, void *cbdata)
{
    sb_req_t r;
    memset(&r, 0, sizeof(r));
    r.conn = conn;
    r.ri = mg_get_request_info(conn);
    r.app = cbdata;
    r.path = r.ri->local_uri_raw ? r.ri->local_uri_raw : r.ri->local_uri;
    if (!r.path) {
        httpx_send_error(conn, 400, "bad_request", "no path");
        return 400;
    }
    char rid[33];
    sb_random_hex(8, rid);
    log_set_request_id(rid);
    long long t0 = sb_now_ms();
    r.start_us = sb_wall_us();
    int status = handle(&r);
    log_event(LOG_INFO, "sandbox.request",
              json_pack("{s:s,s:s,s:i,s:I,s:I,s:I}", "method", r.ri->request_method, "path", r.path,
                        "status", status, "ms", (json_int_t)(sb_now_ms() - t0), "start_us",
                        (json_int_t)r.start_us, "reply_us", (json_int_t)r.reply_us));
    log_set_request_id(NULL);
    sb_params_free(&r.query);
    buf_free(&r.body);
    return status;
}

static int log_message(const struct mg_connection *conn, const char *message)
{
    log_msg(LOG_WARN, "sandbox.civetweb", "%s", message);
    return 1;
}

/* "METHOD pattern" per route, NULL-terminated; filled once before the
 * server threads start, read-only afterwards. */
static const char *route_names[SB_MAX_ROUTES + 1];
static char route_name_text[N_ROUTES][160];

const char *const *sb_server_route_names(void)
{
    return route_names;
}

int sb_server_start(sb_app_t *app, struct mg_context **out)
{
    struct mg_callbacks cb;
    char threads[16];
    snprintf(threads, sizeof(threads), "%ld", app->cfg->threads);
    /* Each call slowed by the latency fault holds a worker thread while it
     * waits, so the thread count bounds how many slow calls run at once;
     * accepted connections wait in a queue as deep. */
    const char *options[] = {"listening_ports", app->cfg->listen,
                             "num_threads", threads,
                             "connection_queue", threads,
                             "request_timeout_ms", "10000",
                             "enable_directory_listing", "no",
                             "enable_keep_alive", "yes",
                             "tcp_nodelay", "1",
                             NULL};
    memset(&cb, 0, sizeof(cb));
    cb.log_message = log_message;
    for (size_t i = 0; i < N_ROUTES; i++) {
        snprintf(route_name_text[i], sizeof(route_name_text[i]), "%s %s", routes[i].method,
                 routes[i].pattern);
        route_names[i] = route_name_text[i];
    }
    struct mg_context *ctx = mg_start(&cb, app, options);
    if (!ctx)
        return -1;
    mg_set_request_handler(ctx, "/", dispatch, app);
    *out = ctx;
    return 0;
}
