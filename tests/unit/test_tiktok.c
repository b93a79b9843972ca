/*
 * Unit tests for tiktok_client and tiktok_api (the signatures themselves:
 * test_tiktok_sign.c): envelope classification, and the HTTP path (signing
 * on the wire, shop_cipher scoping, retries, token refresh, re-auth, size
 * cap, response parsing) against an in-process civetweb server that records
 * each request and replays canned responses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "shopsync/crypto.h"
#include "shopsync/http_client.h"
#include "shopsync/httpx.h"
#include "shopsync/tiktok.h"

#define APP_KEY "test_app_key"
#define APP_SECRET "test_app_secret"
#define CIPHER "ROW_cipher_7494726673780148744"
#define BIG_ID "7494726673780148744"  /* 19 digits, above 2^53 */
#define BIG_ID2 "7494726673780148745" /* differs from BIG_ID only past double precision */

/* ---- recording server ---------------------------------------------------- */

#define MAX_RECORDS 16
#define MAX_CANNED 8

typedef struct record {
    char method[8];
    char path[256];
    char query[4096];
    char token[256];
    int has_token;
    char content_type[256];
    char *body;
    size_t body_len;
} record_t;

typedef struct canned {
    int status;
    const char *content_type;
    const char *body;
    const char *headers;
} canned_t;

typedef struct server {
    struct mg_context *ctx;
    char base[64];
    pthread_mutex_t mu;
    record_t rec[MAX_RECORDS];
    int n_rec;
    canned_t canned[MAX_CANNED];
    int n_canned;
    int next; /* the last canned response repeats */
} server_t;

static server_t srv;

static int on_request(struct mg_connection *conn, void *cbdata)
{
    server_t *s = cbdata;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    buf_t body;
    buf_init(&body, 1 << 20);
    httpx_read_body(conn, &body);

    pthread_mutex_lock(&s->mu);
    if (s->n_rec < MAX_RECORDS) {
        record_t *r = &s->rec[s->n_rec++];
        const char *tok = mg_get_header(conn, "x-tts-access-token");
        const char *ct = mg_get_header(conn, "Content-Type");
        snprintf(r->method, sizeof(r->method), "%s", ri->request_method);
        snprintf(r->path, sizeof(r->path), "%s", ri->local_uri);
        snprintf(r->query, sizeof(r->query), "%s", ri->query_string ? ri->query_string : "");
        r->has_token = tok != NULL;
        snprintf(r->token, sizeof(r->token), "%s", tok ? tok : "");
        snprintf(r->content_type, sizeof(r->content_type), "%s", ct ? ct : "");
        r->body_len = body.len;
        r->body = buf_steal(&body);
    }
    canned_t c = {500, "text/plain", "no canned response", NULL};
    if (s->n_canned) {
        c = s->canned[s->next];
        if (s->next < s->n_canned - 1)
            s->next++;
    }
    pthread_mutex_unlock(&s->mu);
    buf_free(&body);
    httpx_send(conn, c.status, c.content_type ? c.content_type : "application/json", c.body,
               strlen(c.body), c.headers);
    return c.status;
}

static void server_reset(void)
{
    pthread_mutex_lock(&srv.mu);
    for (int i = 0; i < srv.n_rec; i++)
        free(srv.rec[i].body);
    memset(srv.rec, 0, sizeof(srv.rec));
    srv.n_rec = 0;
    srv.n_canned = 0;
    srv.next = 0;
    pthread_mutex_unlock(&srv.mu);
}

static void server_push(int status, const char *content_type, const char *body,
                        const char *headers)
{
    assert_true(srv.n_canned < MAX_CANNED);
    srv.canned[srv.n_canned++] = (canned_t){status, content_type, body, headers};
}

/* Decoded value of a query parameter of record r, or NULL when absent. */
static const char *query_var(const record_t *r, const char *name)
{
    static char out[2048];
    int n = mg_get_var(r->query, strlen(r->query), name, out, sizeof(out));
    return n < 0 ? NULL : out;
}

/* 1 when needle occurs in the n bytes of hay (which may hold NULs). */
static int mem_contains(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++) {
        if (memcmp(hay + i, needle, m) == 0)
            return 1;
    }
    return 0;
}

/* ---- hooks ------------------------------------------------------------- */

typedef struct hooks_state {
    char token[64];
    char cipher[64];
    int get_token_rc;
    int get_token_calls;
    int refresh_calls;
    int reauth_calls;
    int reauth_code;
    int rate_calls;
    int observe_calls;
    int rotate_after_read; /* another thread refreshes right after a read */
    char last_api[128];
    char refresh_failed[64]; /* the token the last refresh was asked to replace */
} hooks_state_t;

static hooks_state_t hs;

static int hook_get_token(void *ctx, char *token, size_t cap, char *cipher, size_t cipher_cap)
{
    hooks_state_t *h = ctx;
    h->get_token_calls++;
    snprintf(token, cap, "%s", h->token);
    snprintf(cipher, cipher_cap, "%s", h->cipher);
    if (h->rotate_after_read) {
        h->rotate_after_read = 0;
        snprintf(h->token, sizeof(h->token), "tok-other");
    }
    return h->get_token_rc;
}

static int hook_refresh(void *ctx, const char *failed_token)
{
    hooks_state_t *h = ctx;
    snprintf(h->refresh_failed, sizeof(h->refresh_failed), "%s", failed_token);
    h->refresh_calls++;
    snprintf(h->token, sizeof(h->token), "tok-%d", h->refresh_calls + 1);
    return 0;
}

static void hook_reauth(void *ctx, int code, const char *message)
{
    hooks_state_t *h = ctx;
    (void)message;
    h->reauth_calls++;
    h->reauth_code = code;
}

static int hook_rate(void *ctx, const char *api)
{
    hooks_state_t *h = ctx;
    h->rate_calls++;
    snprintf(h->last_api, sizeof(h->last_api), "%s", api);
    return 0;
}

static void hook_observe(void *ctx, const char *api, long status, long long code, double s)
{
    hooks_state_t *h = ctx;
    (void)api, (void)status, (void)code, (void)s;
    h->observe_calls++;
}

static tiktok_client_t *make_client_at(const char *base, int max_attempts, size_t max_response)
{
    char err[256];
    tiktok_config_t cfg = {
        .app_key = APP_KEY,
        .app_secret = APP_SECRET,
        .api_base = base,
        .auth_base = base,
        .hooks = {&hs, hook_get_token, hook_refresh, hook_reauth, hook_rate, hook_observe},
        .max_attempts = max_attempts,
        .backoff_base_ms = 1,
        .backoff_cap_ms = 20,
        .timeout_ms = 3000,
        .max_response = max_response,
    };
    tiktok_client_t *c = tiktok_client_new(&cfg, err, sizeof(err));
    assert_non_null(c);
    return c;
}

static tiktok_client_t *make_client(int max_attempts)
{
    return make_client_at(srv.base, max_attempts, 0);
}

/* ---- independent signature check ----------------------------------------- */

/* Hex HMAC-SHA256(APP_SECRET, s). */
static void hmac_hex(const char *s, size_t len, char out[65])
{
    unsigned char mac[32];
    assert_int_equal(crypto_hmac_sha256(APP_SECRET, strlen(APP_SECRET), s, len, mac), 0);
    crypto_hex(mac, 32, out);
}

/* Recompute the signature of a received request from its raw query string,
 * with its own parsing and sorting, and compare with the sign it carried. */
static void assert_wire_signature(const record_t *r)
{
    char keys[32][128], vals[32][1024], *q = strdup(r->query), *save = NULL;
    int n = 0;
    const char *sign = NULL;
    char sign_copy[1024] = "";
    assert_non_null(q);
    for (char *tok = strtok_r(q, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        assert_non_null(eq);
        *eq = '\0';
        assert_true(n < 32);
        assert_true(mg_url_decode(tok, (int)strlen(tok), keys[n], sizeof(keys[n]), 0) >= 0);
        assert_true(mg_url_decode(eq + 1, (int)strlen(eq + 1), vals[n], sizeof(vals[n]), 0) >= 0);
        if (strcmp(keys[n], "sign") == 0) {
            snprintf(sign_copy, sizeof(sign_copy), "%s", vals[n]);
            sign = sign_copy;
            continue;
        }
        n++;
    }
    free(q);
    assert_non_null(sign);
    /* insertion sort by strcmp */
    for (int i = 1; i < n; i++) {
        for (int j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            char tk[128], tv[1024];
            memcpy(tk, keys[j], sizeof(tk));
            memcpy(tv, vals[j], sizeof(tv));
            memcpy(keys[j], keys[j - 1], sizeof(tk));
            memcpy(vals[j], vals[j - 1], sizeof(tv));
            memcpy(keys[j - 1], tk, sizeof(tk));
            memcpy(vals[j - 1], tv, sizeof(tv));
        }
    }
    buf_t s;
    buf_init(&s, 1 << 20);
    assert_int_equal(buf_appends(&s, APP_SECRET), 0);
    assert_int_equal(buf_appends(&s, r->path), 0);
    for (int i = 0; i < n; i++) {
        assert_int_equal(buf_appends(&s, keys[i]), 0);
        assert_int_equal(buf_appends(&s, vals[i]), 0);
    }
    if (strncmp(r->content_type, "multipart/", 10) != 0 && r->body_len)
        assert_int_equal(buf_append(&s, r->body, r->body_len), 0);
    assert_int_equal(buf_appends(&s, APP_SECRET), 0);
    char want[65];
    hmac_hex(s.data, s.len, want);
    buf_free(&s);
    assert_string_equal(sign, want);
}

static void assert_fresh_timestamp(const record_t *r)
{
    const char *ts = query_var(r, "timestamp");
    assert_non_null(ts);
    long long t = atoll(ts);
    long long now = (long long)time(NULL);
    assert_true(t >= now - 5 && t <= now + 1);
}

/* ---- fixtures ------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    const char *opts[] = {"listening_ports", "127.0.0.1:0", "num_threads", "2", NULL};
    struct mg_callbacks cb;
    struct mg_server_port ports[2];
    if (http_client_global_init() != 0)
        return -1;
    memset(&cb, 0, sizeof(cb));
    pthread_mutex_init(&srv.mu, NULL);
    srv.ctx = mg_start(&cb, NULL, opts);
    if (!srv.ctx)
        return -1;
    mg_set_request_handler(srv.ctx, "/", on_request, &srv);
    if (mg_get_server_ports(srv.ctx, 2, ports) < 1 || ports[0].port <= 0)
        return -1;
    snprintf(srv.base, sizeof(srv.base), "http://127.0.0.1:%d", ports[0].port);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    server_reset();
    mg_stop(srv.ctx);
    http_client_global_cleanup();
    return 0;
}

static int test_setup(void **state)
{
    (void)state;
    server_reset();
    memset(&hs, 0, sizeof(hs));
    snprintf(hs.token, sizeof(hs.token), "tok-1");
    snprintf(hs.cipher, sizeof(hs.cipher), "%s", CIPHER);
    return 0;
}

static void test_classify_table(void **state)
{
    (void)state;
    static const struct {
        long http;
        int has_code;
        long long code;
        tiktok_kind_t kind;
    } t[] = {
        {200, 1, 0, TIKTOK_OK},
        {500, 1, 0, TIKTOK_OK}, /* code 0 wins over the HTTP status */
        {429, 1, 0, TIKTOK_OK},
        {200, 1, 105002, TIKTOK_TOKEN_EXPIRED},
        {401, 1, 105002, TIKTOK_TOKEN_EXPIRED},
        {200, 1, 105001, TIKTOK_REAUTH},
        {200, 1, 36004005, TIKTOK_REAUTH},
        {403, 1, 36004001, TIKTOK_REAUTH},
        {429, 1, 36009002, TIKTOK_RETRYABLE},
        {200, 1, 36009002, TIKTOK_RETRYABLE},
        {500, 1, 36009003, TIKTOK_RETRYABLE},
        {200, 1, 12052700, TIKTOK_PERMANENT},
        {400, 1, 36009004, TIKTOK_PERMANENT},
        {503, 1, 12345678, TIKTOK_RETRYABLE},
        {429, 0, 0, TIKTOK_RETRYABLE},
        {500, 0, 0, TIKTOK_RETRYABLE},
        {502, 0, 0, TIKTOK_RETRYABLE},
        {504, 0, 0, TIKTOK_RETRYABLE},
        {200, 0, 0, TIKTOK_PERMANENT},
        {404, 0, 0, TIKTOK_PERMANENT},
        {400, 0, 0, TIKTOK_PERMANENT},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        assert_int_equal(tiktok_classify(t[i].http, t[i].has_code, t[i].code), t[i].kind);
    assert_string_equal(tiktok_kind_name(TIKTOK_REAUTH), "reauth");
    assert_string_equal(tiktok_kind_name(TIKTOK_NETWORK), "network");
}

/* ---- HTTP path ----------------------------------------------------------- */

static void test_shops_signed_on_wire_without_cipher(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(3);
    tiktok_shops_t shops;
    tiktok_result_t res;
    server_push(200, NULL,
                "{\"code\":0,\"message\":\"Success\",\"request_id\":\"req-1\",\"data\":{\"shops\":"
                "[{\"id\":\"" BIG_ID "\",\"name\":\"Maomao\",\"region\":\"GB\",\"seller_type\":"
                "\"CROSS_BORDER\",\"cipher\":\"" CIPHER "\",\"code\":\"CNGBCBA4LLU8\"}]}}",
                NULL);
    assert_int_equal(tiktok_get_authorized_shops(c, &shops, &res), 0);
    assert_int_equal(res.kind, TIKTOK_OK);
    assert_int_equal(res.http_status, 200);
    assert_int_equal(res.code, 0);
    assert_string_equal(res.request_id, "req-1");
    assert_int_equal(shops.n, 1);
    assert_string_equal(shops.items[0].id, BIG_ID);
    assert_string_equal(shops.items[0].cipher, CIPHER);
    assert_string_equal(shops.items[0].region, "GB");
    assert_string_equal(shops.items[0].seller_type, "CROSS_BORDER");

    assert_int_equal(srv.n_rec, 1);
    const record_t *r = &srv.rec[0];
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/authorization/202309/shops");
    assert_string_equal(r->token, "tok-1");
    assert_string_equal(r->content_type, "application/json");
    assert_null(query_var(r, "shop_cipher"));
    assert_null(query_var(r, "access_token"));
    assert_string_equal(query_var(r, "app_key"), APP_KEY);
    assert_fresh_timestamp(r);
    /* The string-to-sign, assembled by hand for this request. */
    char expect[4096], want[65];
    snprintf(expect, sizeof(expect), "%s%s%s%s%s%s%s", APP_SECRET, "/authorization/202309/shops",
             "app_key", APP_KEY, "timestamp", query_var(r, "timestamp"), APP_SECRET);
    hmac_hex(expect, strlen(expect), want);
    assert_string_equal(query_var(r, "sign"), want);
    assert_wire_signature(r);
    assert_int_equal(hs.rate_calls, 1);
    assert_string_equal(hs.last_api, "/authorization/202309/shops");
    assert_int_equal(hs.observe_calls, 1);

    tiktok_shops_free(&shops);
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

/* A shop-scoped POST: shop_cipher sent, a value with spaces, '&', '=', '+',
 * '/' and UTF-8 sent encoded but signed raw, and the body bytes signed. */
static void test_search_products_encoding_and_ids(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(3);
    tiktok_products_t out;
    tiktok_result_t res;
    const char *skus[] = {"SKU-1", "SKU 2"};
    const char *page_token = "a b&c=d+e/\xc3\xa9";
    server_push(200, NULL,
                "{\"code\":0,\"message\":\"Success\",\"request_id\":\"r\",\"data\":{"
                "\"total_count\":2,\"next_page_token\":\"next==\",\"products\":["
                "{\"id\":\"" BIG_ID "\",\"status\":\"ACTIVATE\",\"skus\":[{\"id\":\"" BIG_ID2
                "\",\"seller_sku\":\"SKU-1\",\"inventory\":[{\"warehouse_id\":\"" BIG_ID
                "\",\"quantity\":7}]}]},"
                "{\"id\":" BIG_ID2 ",\"status\":\"DRAFT\",\"skus\":[]}]}}",
                NULL);
    assert_int_equal(tiktok_search_products(c, skus, 2, 50, page_token, &out, &res), 0);
    assert_int_equal(out.n, 2);
    assert_int_equal(out.total_count, 2);
    assert_string_equal(out.next_page_token, "next==");
    assert_string_equal(out.items[0].id, BIG_ID);
    assert_string_equal(out.items[0].status, "ACTIVATE");
    assert_int_equal(out.items[0].n_skus, 1);
    assert_string_equal(out.items[0].skus[0].id, BIG_ID2);
    assert_string_equal(out.items[0].skus[0].seller_sku, "SKU-1");
    assert_int_equal(out.items[0].skus[0].n_inventory, 1);
    assert_string_equal(out.items[0].skus[0].inventory[0].warehouse_id, BIG_ID);
    assert_int_equal(out.items[0].skus[0].inventory[0].quantity, 7);
    /* A bare JSON integer id keeps every digit. */
    assert_string_equal(out.items[1].id, BIG_ID2);

    const record_t *r = &srv.rec[0];
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/product/202309/products/search");
    assert_string_equal(query_var(r, "shop_cipher"), CIPHER);
    assert_string_equal(query_var(r, "page_size"), "50");
    assert_non_null(strstr(r->query, "page_token=a%20b%26c%3Dd%2Be%2F%C3%A9"));
    assert_string_equal(r->body, "{\"seller_skus\":[\"SKU-1\",\"SKU 2\"]}");
    assert_fresh_timestamp(r);
    char expect[4096], want[65];
    snprintf(expect, sizeof(expect), "%s%s%s%s%s%s%s%s%s%s%s%s%s%s", APP_SECRET,
             "/product/202309/products/search", "app_key", APP_KEY, "page_size", "50",
             "page_token", page_token, "shop_cipher", CIPHER, "timestamp",
             query_var(r, "timestamp"), r->body, APP_SECRET);
    hmac_hex(expect, strlen(expect), want);
    assert_string_equal(query_var(r, "sign"), want);
    assert_wire_signature(r);

    tiktok_products_free(&out);
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

static void test_warehouses_shop_scoped(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(3);
    tiktok_warehouses_t w;
    tiktok_result_t res;
    server_push(200, NULL,
                "{\"code\":0,\"message\":\"Success\",\"data\":{\"warehouses\":[{\"id\":\"" BIG_ID
                "\",\"name\":\"Main\",\"effect_status\":\"ENABLED\",\"type\":\"SALES_WAREHOUSE\","
                "\"is_default\":true},{\"id\":\"" BIG_ID2 "\",\"name\":\"Returns\",\"type\":"
                "\"RETURN_WAREHOUSE\",\"is_default\":false}]}}",
                NULL);
    assert_int_equal(tiktok_get_warehouses(c, &w, &res), 0);
    assert_int_equal(w.n, 2);
    assert_string_equal(w.items[0].id, BIG_ID);
    assert_string_equal(w.items[0].type, "SALES_WAREHOUSE");
    assert_string_equal(w.items[0].effect_status, "ENABLED");
    assert_true(w.items[0].is_default);
    assert_false(w.items[1].is_default);
    assert_string_equal(query_var(&srv.rec[0], "shop_cipher"), CIPHER);
    assert_wire_signature(&srv.rec[0]);
    tiktok_warehouses_free(&w);
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

static void test_retry_429_then_ok_honours_retry_after(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(5);
    tiktok_result_t res;
    tiktok_call_t call = {.method = "GET", .path = "/authorization/202309/shops"};
    struct timespec t0, t1;
    server_push(429, NULL, "{\"code\":36009002,\"message\":\"rate limited\",\"request_id\":\"x\"}",
                "Retry-After: 1\r\n");
    server_push(200, NULL, "{\"code\":0,\"message\":\"Success\",\"data\":{\"shops\":[]}}", NULL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(tiktok_call(c, &call, &res), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    /* Retry-After: 1 s is honoured but capped at backoff_cap_ms (20). */
    assert_true(ms >= 15 && ms < 900);
    assert_int_equal(res.kind, TIKTOK_OK);
    assert_int_equal(res.attempts, 2);
    assert_int_equal(srv.n_rec, 2);
    assert_int_equal(hs.rate_calls, 2);
    assert_int_equal(hs.observe_calls, 2);
    assert_non_null(res.data);
    assert_wire_signature(&srv.rec[1]);
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

static void test_token_expired_refresh_once(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(5);
    tiktok_result_t res;
    tiktok_call_t call = {.method = "GET", .path = "/logistics/202309/warehouses", .shop_scoped = 1};

    server_push(200, NULL, "{\"code\":105002,\"message\":\"access token expired\"}", NULL);
    server_push(200, NULL, "{\"code\":0,\"message\":\"Success\",\"data\":{}}", NULL);
    assert_int_equal(tiktok_call(c, &call, &res), 0);
    assert_int_equal(hs.refresh_calls, 1);
    /* The hook learns which token failed, so it can tell whether another
     * thread has already replaced it. */
    assert_string_equal(hs.refresh_failed, "tok-1");
    assert_int_equal(srv.n_rec, 2);
    assert_string_equal(srv.rec[0].token, "tok-1");
    assert_string_equal(srv.rec[1].token, "tok-2");
    assert_int_equal(hs.reauth_calls, 0);
    tiktok_result_free(&res);

    /* Still expired after the refresh: no second refresh, reported. */
    server_reset();
    hs.refresh_calls = 0;
    server_push(200, NULL, "{\"code\":105002,\"message\":\"access token expired\"}", NULL);
    assert_int_equal(tiktok_call(c, &call, &res), -1);
    assert_int_equal(res.kind, TIKTOK_TOKEN_EXPIRED);
    assert_int_equal(res.code, 105002);
    assert_int_equal(hs.refresh_calls, 1);
    assert_int_equal(srv.n_rec, 2);
    assert_int_equal(res.attempts, 2);
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

static void test_reauth_codes_mark_reauth(void **state)
{
    (void)state;
    static const char *bodies[] = {
        "{\"code\":105001,\"message\":\"invalid access token\"}",
        "{\"code\":36004005,\"message\":\"authorization revoked\"}",
        "{\"code\":36004001,\"message\":\"shop not authorized\"}",
    };
    static const int codes[] = {105001, 36004005, 36004001};
    tiktok_client_t *c = make_client(5);
    tiktok_call_t call = {.method = "GET", .path = "/authorization/202309/shops"};
    for (int i = 0; i < 3; i++) {
        tiktok_result_t res;
        server_reset();
        hs.reauth_calls = 0;
        server_push(200, NULL, bodies[i], NULL);
        assert_int_equal(tiktok_call(c, &call, &res), -1);
        assert_int_equal(res.kind, TIKTOK_REAUTH);
        assert_int_equal(hs.reauth_calls, 1);
        assert_int_equal(hs.reauth_code, codes[i]);
        assert_int_equal(hs.refresh_calls, 0);
        assert_int_equal(srv.n_rec, 1);
        tiktok_result_free(&res);
    }
    tiktok_client_free(c);
}

/* 105001 for a token that a refresh elsewhere retired after this attempt
 * read it: retried once with the new token, not marked for re-authorization. */
static void test_reauth_after_concurrent_refresh_retries(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(5);
    tiktok_call_t call = {.method = "GET", .path = "/logistics/202309/warehouses", .shop_scoped = 1};
    tiktok_result_t res;

    hs.rotate_after_read = 1;
    server_push(200, NULL, "{\"code\":105001,\"message\":\"invalid access token\"}", NULL);
    server_push(200, NULL, "{\"code\":0,\"message\":\"Success\",\"data\":{}}", NULL);
    assert_int_equal(tiktok_call(c, &call, &res), 0);
    assert_int_equal(hs.reauth_calls, 0);
    assert_int_equal(srv.n_rec, 2);
    assert_string_equal(srv.rec[0].token, "tok-1");
    assert_string_equal(srv.rec[1].token, "tok-other");
    tiktok_result_free(&res);

    /* The new token is refused too: that is a lost authorization, reported
     * once, without a third request. */
    server_reset();
    snprintf(hs.token, sizeof(hs.token), "tok-1");
    hs.rotate_after_read = 1;
    server_push(200, NULL, "{\"code\":105001,\"message\":\"invalid access token\"}", NULL);
    server_push(200, NULL, "{\"code\":105001,\"message\":\"invalid access token\"}", NULL);
    assert_int_equal(tiktok_call(c, &call, &res), -1);
    assert_int_equal(res.kind, TIKTOK_REAUTH);
    assert_int_equal(hs.reauth_calls, 1);
    assert_int_equal(srv.n_rec, 2);
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

static void test_non_json_502_retried_then_reported(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(3);
    tiktok_result_t res;
    tiktok_call_t call = {.method = "GET", .path = "/authorization/202309/shops"};
    server_push(502, "text/html", "<html>Bad Gateway</html>", NULL);
    assert_int_equal(tiktok_call(c, &call, &res), -1);
    assert_int_equal(res.kind, TIKTOK_RETRYABLE);
    assert_int_equal(res.http_status, 502);
    assert_int_equal(res.code, -1);
    assert_int_equal(res.attempts, 3);
    assert_int_equal(srv.n_rec, 3);
    assert_null(res.data);
    assert_non_null(strstr(res.message, "502"));
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

static void test_code0_wins_over_http_500_and_permanent_codes(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(3);
    tiktok_result_t res;
    tiktok_call_t call = {.method = "GET", .path = "/authorization/202309/shops"};
    server_push(500, NULL, "{\"code\":0,\"message\":\"Success\",\"data\":{\"x\":1}}", NULL);
    assert_int_equal(tiktok_call(c, &call, &res), 0);
    assert_int_equal(res.http_status, 500);
    assert_int_equal(res.attempts, 1);
    tiktok_result_free(&res);

    server_reset();
    server_push(200, NULL,
                "{\"code\":12052700,\"message\":\"The SKU does not exist\",\"request_id\":\"rq\"}",
                NULL);
    assert_int_equal(tiktok_call(c, &call, &res), -1);
    assert_int_equal(res.kind, TIKTOK_PERMANENT);
    assert_int_equal(res.code, 12052700);
    assert_string_equal(res.message, "The SKU does not exist");
    assert_string_equal(res.request_id, "rq");
    assert_int_equal(res.attempts, 1);
    tiktok_result_free(&res);

    /* 36009003 (internal error) is retried like a 5xx. */
    server_reset();
    server_push(200, NULL, "{\"code\":36009003,\"message\":\"internal\"}", NULL);
    server_push(200, NULL, "{\"code\":0,\"message\":\"Success\"}", NULL);
    assert_int_equal(tiktok_call(c, &call, &res), 0);
    assert_int_equal(res.attempts, 2);
    assert_null(res.data);
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

static void test_oversized_body_refused(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client_at(srv.base, 3, 1024);
    tiktok_result_t res;
    tiktok_call_t call = {.method = "GET", .path = "/authorization/202309/shops"};
    char *big = malloc(8192);
    assert_non_null(big);
    memset(big, ' ', 8191);
    memcpy(big, "{\"code\":0,\"data\":{}}", 20);
    big[8191] = '\0';
    server_push(200, NULL, big, NULL);
    assert_int_equal(tiktok_call(c, &call, &res), -1);
    assert_int_equal(res.kind, TIKTOK_PERMANENT);
    assert_int_equal(res.attempts, 1);
    assert_non_null(strstr(res.message, "larger than 1024"));
    tiktok_result_free(&res);
    tiktok_client_free(c);
    free(big);
}

static void test_network_error_retried(void **state)
{
    (void)state;
    /* A port that was just free: nothing listens there. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    char base[64];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", ntohs(a.sin_port));
    tiktok_client_t *c = make_client_at(base, 2, 0);
    tiktok_result_t res;
    tiktok_call_t call = {.method = "GET", .path = "/authorization/202309/shops"};
    assert_int_equal(tiktok_call(c, &call, &res), -1);
    assert_int_equal(res.kind, TIKTOK_NETWORK);
    assert_int_equal(res.attempts, 2);
    assert_int_equal(res.http_status, 0);
    assert_non_null(strstr(res.message, "127.0.0.1"));
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

static void test_update_inventory_per_sku_errors(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(3);
    tiktok_sku_errors_t errs;
    tiktok_result_t res;
    tiktok_stock_t inv[] = {{BIG_ID, 5}, {BIG_ID2, 0}};
    tiktok_sku_stock_t skus[] = {{BIG_ID2, inv, 2}};

    server_push(200, NULL,
                "{\"code\":0,\"message\":\"Success\",\"request_id\":\"q\",\"data\":{\"errors\":[{"
                "\"code\":12019021,\"message\":\"sku not live\",\"detail\":{\"sku_id\":\"" BIG_ID2
                "\",\"extra_errors\":[{\"warehouse_id\":\"" BIG_ID "\",\"code\":12019022,"
                "\"message\":\"warehouse disabled\"}]}}]}}",
                NULL);
    assert_int_equal(tiktok_update_inventory(c, BIG_ID, skus, 1, &errs, &res), -1);
    assert_int_equal(res.kind, TIKTOK_PERMANENT);
    assert_int_equal(res.code, 0);
    assert_int_equal(errs.n, 1);
    assert_string_equal(errs.items[0].sku_id, BIG_ID2);
    assert_int_equal(errs.items[0].code, 12019021);
    assert_string_equal(errs.items[0].message, "sku not live");
    assert_int_equal(errs.items[0].n_extra, 1);
    assert_string_equal(errs.items[0].extra[0].warehouse_id, BIG_ID);
    assert_int_equal(errs.items[0].extra[0].code, 12019022);
    assert_string_equal(errs.items[0].extra[0].message, "warehouse disabled");
    assert_non_null(strstr(res.message, BIG_ID2));

    const record_t *r = &srv.rec[0];
    assert_string_equal(r->path, "/product/202309/products/" BIG_ID "/inventory/update");
    assert_string_equal(r->body, "{\"skus\":[{\"id\":\"" BIG_ID2 "\",\"inventory\":["
                                 "{\"warehouse_id\":\"" BIG_ID "\",\"quantity\":5},"
                                 "{\"warehouse_id\":\"" BIG_ID2 "\",\"quantity\":0}]}]}");
    assert_string_equal(query_var(r, "shop_cipher"), CIPHER);
    assert_string_equal(hs.last_api, "/product/202309/products/{product_id}/inventory/update");
    assert_wire_signature(r);
    tiktok_sku_errors_free(&errs);
    tiktok_result_free(&res);

    /* No errors: success. */
    server_reset();
    server_push(200, NULL, "{\"code\":0,\"message\":\"Success\",\"data\":{}}", NULL);
    assert_int_equal(tiktok_update_inventory(c, BIG_ID, skus, 1, &errs, &res), 0);
    assert_int_equal(errs.n, 0);
    tiktok_sku_errors_free(&errs);
    tiktok_result_free(&res);

    /* Negative quantities never leave the process. */
    server_reset();
    inv[0].quantity = -1;
    assert_int_equal(tiktok_update_inventory(c, BIG_ID, skus, 1, &errs, &res), -1);
    assert_int_equal(res.kind, TIKTOK_PERMANENT);
    assert_int_equal(srv.n_rec, 0);
    tiktok_sku_errors_free(&errs);
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

static void test_inventory_search(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(3);
    tiktok_inventories_t inv;
    tiktok_result_t res;
    const char *ids[] = {BIG_ID, BIG_ID2};
    server_push(200, NULL,
                "{\"code\":0,\"message\":\"Success\",\"data\":{\"inventory\":[{\"product_id\":\"1"
                "\",\"skus\":[{\"id\":\"" BIG_ID "\",\"seller_sku\":\"A\",\"total_available_quantity"
                "\":9,\"warehouse_inventory\":[{\"warehouse_id\":\"w1\",\"available_quantity\":4},"
                "{\"warehouse_id\":\"w2\",\"available_quantity\":5}]},{\"id\":\"" BIG_ID2
                "\",\"total_available_quantity\":0}]}]}}",
                NULL);
    assert_int_equal(tiktok_inventory_search(c, ids, 2, &inv, &res), 0);
    assert_int_equal(inv.n, 2);
    assert_string_equal(inv.items[0].product_id, "1");
    assert_string_equal(inv.items[0].sku_id, BIG_ID);
    assert_int_equal(inv.items[0].total_available_quantity, 9);
    assert_int_equal(inv.items[0].n_warehouses, 2);
    assert_string_equal(inv.items[0].warehouses[1].warehouse_id, "w2");
    assert_int_equal(inv.items[0].warehouses[1].quantity, 5);
    assert_string_equal(inv.items[1].sku_id, BIG_ID2);
    assert_int_equal(inv.items[1].n_warehouses, 0);
    assert_string_equal(srv.rec[0].body, "{\"sku_ids\":[\"" BIG_ID "\",\"" BIG_ID2 "\"]}");
    assert_wire_signature(&srv.rec[0]);
    tiktok_inventories_free(&inv);
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

static void test_get_orders_and_limit(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(3);
    tiktok_orders_t o;
    tiktok_result_t res;
    const char *ids[51];
    for (int i = 0; i < 51; i++)
        ids[i] = BIG_ID;
    assert_int_equal(tiktok_get_orders(c, ids, 51, &o, &res), -1);
    assert_int_equal(res.kind, TIKTOK_PERMANENT);
    assert_int_equal(srv.n_rec, 0);
    tiktok_orders_free(&o);
    tiktok_result_free(&res);

    const char *two[] = {"576684019603311365", BIG_ID};
    server_push(200, NULL,
                "{\"code\":0,\"message\":\"Success\",\"data\":{\"orders\":[{\"id\":"
                "\"576684019603311365\",\"status\":\"AWAITING_SHIPMENT\",\"update_time\":"
                "1664095610,\"line_items\":[{\"id\":\"" BIG_ID2 "\",\"sku_id\":\"" BIG_ID
                "\",\"seller_sku\":\"A-1\",\"product_id\":\"" BIG_ID2 "\",\"display_status\":\"CANCELLED\"},"
                "{\"id\":\"2\",\"seller_sku\":\"A-1\",\"display_status\":7},"
                "{\"id\":\"3\",\"seller_sku\":\"A-1\",\"display_status\":"
                "\"A_DISPLAY_STATUS_LONGER_THAN_THE_FORTY_EIGHT_BYTES_KEPT\"}]}]}}",
                NULL);
    assert_int_equal(tiktok_get_orders(c, two, 2, &o, &res), 0);
    assert_string_equal(query_var(&srv.rec[0], "ids"), "576684019603311365," BIG_ID);
    assert_string_equal(srv.rec[0].method, "GET");
    assert_int_equal(srv.rec[0].body_len, 0);
    assert_wire_signature(&srv.rec[0]);
    assert_int_equal(o.n, 1);
    assert_string_equal(o.items[0].status, "AWAITING_SHIPMENT");
    assert_int_equal(o.items[0].update_time, 1664095610);
    assert_int_equal(o.items[0].n_line_items, 3);
    assert_string_equal(o.items[0].line_items[0].sku_id, BIG_ID);
    assert_string_equal(o.items[0].line_items[0].seller_sku, "A-1");
    assert_string_equal(o.items[0].line_items[0].display_status, "CANCELLED");
    /* display_status only informs: a number or an overlong text is ignored,
     * never a reason to refuse the order. */
    assert_string_equal(o.items[0].line_items[1].display_status, "");
    assert_string_equal(o.items[0].line_items[2].display_status, "");
    tiktok_orders_free(&o);
    tiktok_result_free(&res);

    /* An id that would break the comma list or the URL is refused. */
    const char *bad[] = {"1,2"};
    assert_int_equal(tiktok_get_orders(c, bad, 1, &o, &res), -1);
    tiktok_orders_free(&o);
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

static void test_search_orders(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(3);
    tiktok_orders_t o;
    tiktok_result_t res;
    tiktok_order_query_t q = {.update_time_ge = 1700000000, .page_size = 20, .page_token = "pt1"};
    server_push(200, NULL,
                "{\"code\":0,\"message\":\"Success\",\"data\":{\"next_page_token\":\"pt2\","
                "\"orders\":[{\"id\":\"" BIG_ID "\",\"status\":\"CANCELLED\",\"update_time\":1700000001,"
                "\"line_items\":[]}]}}",
                NULL);
    assert_int_equal(tiktok_search_orders(c, &q, &o, &res), 0);
    assert_string_equal(srv.rec[0].body, "{\"update_time_ge\":1700000000}");
    assert_string_equal(query_var(&srv.rec[0], "page_size"), "20");
    assert_string_equal(query_var(&srv.rec[0], "page_token"), "pt1");
    assert_wire_signature(&srv.rec[0]);
    assert_int_equal(o.n, 1);
    assert_string_equal(o.items[0].id, BIG_ID);
    assert_string_equal(o.next_page_token, "pt2");
    tiktok_orders_free(&o);
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

static void test_create_and_edit_product(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(3);
    tiktok_product_ref_t ref;
    tiktok_result_t res;
    const char *images[] = {"tos-maliva-i-o3syd03w52-us/abc"};
    tiktok_stock_t inv[] = {{BIG_ID, 3}};
    tiktok_attr_t attrs[] = {{"Color", "Red"}};
    tiktok_sku_spec_t sku = {
        .seller_sku = "TEE-RED",
        .price_amount = "12.50",
        .currency = "USD",
        .inventory = inv,
        .n_inventory = 1,
        .sales_attributes = attrs,
        .n_sales_attributes = 1,
    };
    tiktok_product_spec_t spec = {
        .title = "T\xc3\xa9\x65 shirt",
        .description = "<p>Soft</p>",
        .category_id = "600001",
        .main_image_uris = images,
        .n_main_images = 1,
        .weight_value = "0.3",
        .weight_unit = "KILOGRAM",
        .length = "30", .width = "20", .height = "2",
        .skus = &sku,
        .n_skus = 1,
    };
    server_push(200, NULL,
                "{\"code\":0,\"message\":\"Success\",\"data\":{\"product_id\":\"" BIG_ID
                "\",\"skus\":[{\"id\":\"" BIG_ID2 "\",\"seller_sku\":\"TEE-RED\"}],\"warnings\":[]}}",
                NULL);
    assert_int_equal(tiktok_create_product(c, &spec, &ref, &res), 0);
    assert_string_equal(ref.product_id, BIG_ID);
    assert_int_equal(ref.n_skus, 1);
    assert_string_equal(ref.skus[0].id, BIG_ID2);
    assert_string_equal(ref.skus[0].seller_sku, "TEE-RED");
    const record_t *r = &srv.rec[0];
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/product/202309/products");
    assert_string_equal(r->body,
        "{\"title\":\"T\xc3\xa9\x65 shirt\",\"description\":\"<p>Soft</p>\",\"category_id\":\"600001\","
        "\"main_images\":[{\"uri\":\"tos-maliva-i-o3syd03w52-us/abc\"}],"
        "\"skus\":[{\"seller_sku\":\"TEE-RED\",\"price\":{\"amount\":\"12.50\",\"currency\":\"USD\"},"
        "\"inventory\":[{\"warehouse_id\":\"" BIG_ID "\",\"quantity\":3}],"
        "\"sales_attributes\":[{\"name\":\"Color\",\"value_name\":\"Red\"}]}],"
        "\"package_weight\":{\"value\":\"0.3\",\"unit\":\"KILOGRAM\"},"
        "\"package_dimensions\":{\"length\":\"30\",\"width\":\"20\",\"height\":\"2\",\"unit\":\"CENTIMETER\"}}");
    assert_wire_signature(r);
    tiktok_product_ref_free(&ref);
    tiktok_result_free(&res);

    server_reset();
    sku.id = BIG_ID2;
    server_push(200, NULL,
                "{\"code\":0,\"message\":\"Success\",\"data\":{\"product_id\":\"" BIG_ID
                "\",\"skus\":[{\"id\":\"" BIG_ID2 "\",\"seller_sku\":\"TEE-RED\"}]}}",
                NULL);
    assert_int_equal(tiktok_edit_product(c, BIG_ID, &spec, &ref, &res), 0);
    assert_string_equal(srv.rec[0].method, "PUT");
    assert_string_equal(srv.rec[0].path, "/product/202309/products/" BIG_ID);
    assert_non_null(strstr(srv.rec[0].body, "\"skus\":[{\"id\":\"" BIG_ID2 "\""));
    assert_wire_signature(&srv.rec[0]);
    tiktok_product_ref_free(&ref);
    tiktok_result_free(&res);

    /* A product id that would change the path is refused locally. */
    assert_int_equal(tiktok_edit_product(c, "1/../2", &spec, &ref, &res), -1);
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

static void test_get_product(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(3);
    tiktok_product_t p;
    tiktok_result_t res;
    server_push(200, NULL,
                "{\"code\":0,\"message\":\"Success\",\"data\":{\"id\":\"" BIG_ID
                "\",\"status\":\"ACTIVATE\",\"title\":\"Tee\",\"skus\":[{\"id\":\"" BIG_ID2
                "\",\"seller_sku\":\"TEE\",\"inventory\":[{\"warehouse_id\":\"" BIG_ID
                "\",\"quantity\":11}]}]}}",
                NULL);
    assert_int_equal(tiktok_get_product(c, BIG_ID, &p, &res), 0);
    assert_string_equal(p.id, BIG_ID);
    assert_int_equal(p.n_skus, 1);
    assert_int_equal(p.skus[0].inventory[0].quantity, 11);
    assert_string_equal(json_string_value(json_object_get(res.data, "title")), "Tee");
    assert_string_equal(srv.rec[0].path, "/product/202309/products/" BIG_ID);
    tiktok_product_free(&p);
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

/* A client without an app key and secret (TikTok settings not given) is
 * made, and each call fails at once without a request. */
static void test_unconfigured_client_fails_without_request(void **state)
{
    (void)state;
    char err[256];
    tiktok_config_t cfg = {
        .app_key = "",
        .app_secret = "",
        .api_base = srv.base,
        .auth_base = srv.base,
        .hooks = {&hs, hook_get_token, hook_refresh, hook_reauth, hook_rate, hook_observe},
    };
    tiktok_client_t *c = tiktok_client_new(&cfg, err, sizeof(err));
    assert_non_null(c);
    tiktok_product_t p;
    tiktok_result_t res;
    assert_int_equal(tiktok_get_product(c, BIG_ID, &p, &res), -1);
    assert_int_equal(res.kind, TIKTOK_PERMANENT);
    assert_non_null(strstr(res.message, "not configured"));
    assert_int_equal(srv.n_rec, 0);
    tiktok_product_free(&p);
    tiktok_result_free(&res);
    tiktok_tokens_t t;
    assert_int_equal(tiktok_token_refresh(c, "refresh", &t, err, sizeof(err)), TIKTOK_PERMANENT);
    assert_int_equal(srv.n_rec, 0);
    tiktok_client_free(c);
}

static void test_upload_image_multipart_unsigned_body(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(3);
    tiktok_image_t img;
    tiktok_result_t res;
    const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 1, 2};
    server_push(200, NULL,
                "{\"code\":0,\"message\":\"Success\",\"data\":{\"uri\":\"tos-us/img1\",\"url\":"
                "\"https://p16.example/img1.png\",\"use_case\":\"MAIN_IMAGE\"}}",
                NULL);
    assert_int_equal(tiktok_upload_product_image(c, png, sizeof(png), "a.png", "image/png", &img,
                                                 &res), 0);
    assert_string_equal(img.uri, "tos-us/img1");
    assert_string_equal(img.url, "https://p16.example/img1.png");
    const record_t *r = &srv.rec[0];
    assert_string_equal(r->path, "/product/202309/images/upload");
    assert_int_equal(strncmp(r->content_type, "multipart/form-data", 19), 0);
    assert_true(mem_contains(r->body, r->body_len, "name=\"data\"; filename=\"a.png\""));
    assert_true(mem_contains(r->body, r->body_len, "Content-Type: image/png"));
    assert_true(mem_contains(r->body, r->body_len, "name=\"use_case\""));
    assert_true(mem_contains(r->body, r->body_len, "MAIN_IMAGE"));
    /* Signed without the body. */
    char expect[4096], want[65];
    assert_null(query_var(r, "shop_cipher")); /* not shop-scoped */
    snprintf(expect, sizeof(expect), "%s%s%s%s%s%s%s", APP_SECRET,
             "/product/202309/images/upload", "app_key", APP_KEY, "timestamp",
             query_var(r, "timestamp"), APP_SECRET);
    hmac_hex(expect, strlen(expect), want);
    assert_string_equal(query_var(r, "sign"), want);
    tiktok_result_free(&res);
    tiktok_client_free(c);
}

static void test_token_get_and_refresh(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(3);
    tiktok_tokens_t t;
    char err[512];
    server_push(200, NULL,
                "{\"code\":0,\"message\":\"success\",\"request_id\":\"t1\",\"data\":{\"access_token\":"
                "\"ROW_access\",\"access_token_expire_in\":1760556783,\"refresh_token\":\"ROW_refresh\","
                "\"refresh_token_expire_in\":1790000000,\"open_id\":\"7010736057180325637\","
                "\"seller_name\":\"Jjj test shop\",\"seller_base_region\":\"ID\",\"granted_scopes\":[]}}",
                NULL);
    assert_int_equal(tiktok_token_get(c, "code with spaces&x", &t, err, sizeof(err)), TIKTOK_OK);
    assert_string_equal(t.access_token, "ROW_access");
    assert_int_equal(t.access_token_expire_at, 1760556783LL);
    assert_string_equal(t.refresh_token, "ROW_refresh");
    assert_int_equal(t.refresh_token_expire_at, 1790000000LL);
    assert_string_equal(t.open_id, "7010736057180325637");
    assert_string_equal(t.seller_base_region, "ID");
    const record_t *r = &srv.rec[0];
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/api/v2/token/get");
    assert_string_equal(query_var(r, "app_key"), APP_KEY);
    assert_string_equal(query_var(r, "app_secret"), APP_SECRET);
    assert_string_equal(query_var(r, "auth_code"), "code with spaces&x");
    assert_string_equal(query_var(r, "grant_type"), "authorized_code");
    assert_null(query_var(r, "sign"));
    assert_null(query_var(r, "timestamp"));
    assert_false(r->has_token);
    assert_int_equal(hs.get_token_calls, 0);
    assert_int_equal(hs.rate_calls, 0);

    server_reset();
    server_push(200, NULL, "{\"code\":36004004,\"message\":\"refresh token invalid\"}", NULL);
    assert_int_equal(tiktok_token_refresh(c, "ROW_refresh", &t, err, sizeof(err)),
                     TIKTOK_PERMANENT);
    assert_non_null(strstr(err, "refresh token invalid"));
    assert_string_equal(t.access_token, "");
    assert_string_equal(srv.rec[0].path, "/api/v2/token/refresh");
    assert_string_equal(query_var(&srv.rec[0], "grant_type"), "refresh_token");
    assert_string_equal(query_var(&srv.rec[0], "refresh_token"), "ROW_refresh");
    assert_int_equal(hs.reauth_calls, 0);

    /* 5xx on the token endpoint is retried. */
    server_reset();
    server_push(503, "text/plain", "busy", NULL);
    server_push(200, NULL,
                "{\"code\":0,\"data\":{\"access_token\":\"A2\",\"access_token_expire_in\":1,"
                "\"refresh_token\":\"R2\",\"refresh_token_expire_in\":2}}",
                NULL);
    assert_int_equal(tiktok_token_refresh(c, "ROW_refresh", &t, err, sizeof(err)), TIKTOK_OK);
    assert_string_equal(t.access_token, "A2");
    assert_int_equal(srv.n_rec, 2);
    tiktok_client_free(c);
}

static void test_hook_failures_and_bad_calls(void **state)
{
    (void)state;
    tiktok_client_t *c = make_client(3);
    tiktok_result_t res;
    tiktok_call_t call = {.method = "GET", .path = "/logistics/202309/warehouses", .shop_scoped = 1};

    hs.get_token_rc = 1;
    assert_int_equal(tiktok_call(c, &call, &res), -1);
    assert_int_equal(res.kind, TIKTOK_REAUTH);
    tiktok_result_free(&res);
    hs.get_token_rc = -1;
    assert_int_equal(tiktok_call(c, &call, &res), -1);
    assert_int_equal(res.kind, TIKTOK_RETRYABLE);
    tiktok_result_free(&res);
    hs.get_token_rc = 0;
    hs.cipher[0] = '\0';
    assert_int_equal(tiktok_call(c, &call, &res), -1);
    assert_int_equal(res.kind, TIKTOK_PERMANENT);
    tiktok_result_free(&res);

    /* Reserved params cannot be smuggled in by callers. */
    tiktok_param_t q[] = {{"sign", "x"}};
    tiktok_call_t bad = {.method = "GET", .path = "/authorization/202309/shops", .query = q, .n_query = 1};
    assert_int_equal(tiktok_call(c, &bad, &res), -1);
    assert_int_equal(res.kind, TIKTOK_PERMANENT);
    tiktok_result_free(&res);
    tiktok_call_t badpath = {.method = "GET", .path = "/a?b=c"};
    assert_int_equal(tiktok_call(c, &badpath, &res), -1);
    tiktok_result_free(&res);
    assert_int_equal(srv.n_rec, 0);
    tiktok_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_classify_table, test_setup),
        cmocka_unit_test_setup(test_shops_signed_on_wire_without_cipher, test_setup),
        cmocka_unit_test_setup(test_search_products_encoding_and_ids, test_setup),
        cmocka_unit_test_setup(test_warehouses_shop_scoped, test_setup),
        cmocka_unit_test_setup(test_retry_429_then_ok_honours_retry_after, test_setup),
        cmocka_unit_test_setup(test_token_expired_refresh_once, test_setup),
        cmocka_unit_test_setup(test_reauth_codes_mark_reauth, test_setup),
        cmocka_unit_test_setup(test_reauth_after_concurrent_refresh_retries, test_setup),
        cmocka_unit_test_setup(test_non_json_502_retried_then_reported, test_setup),
        cmocka_unit_test_setup(test_code0_wins_over_http_500_and_permanent_codes, test_setup),
        cmocka_unit_test_setup(test_oversized_body_refused, test_setup),
        cmocka_unit_test_setup(test_network_error_retried, test_setup),
        cmocka_unit_test_setup(test_update_inventory_per_sku_errors, test_setup),
        cmocka_unit_test_setup(test_inventory_search, test_setup),
        cmocka_unit_test_setup(test_get_orders_and_limit, test_setup),
        cmocka_unit_test_setup(test_search_orders, test_setup),
        cmocka_unit_test_setup(test_create_and_edit_product, test_setup),
        cmocka_unit_test_setup(test_get_product, test_setup),
        cmocka_unit_test_setup(test_unconfigured_client_fails_without_request, test_setup),
        cmocka_unit_test_setup(test_upload_image_multipart_unsigned_body, test_setup),
        cmocka_unit_test_setup(test_token_get_and_refresh, test_setup),
        cmocka_unit_test_setup(test_hook_failures_and_bad_calls, test_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
