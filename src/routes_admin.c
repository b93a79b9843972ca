/*
 * routes_admin — the authenticated admin API for sessions, the catalog,
 * stock and the activity logs.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"
#include "shopsync/catalog.h"
#include "shopsync/connection.h"
#include "shopsync/crypto.h"
#include "shopsync/httpx.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"
#include "shopsync/session.h"
#include "shopsync/skumap.h"
#include "shopsync/stock.h"

int route_login(req_t *rq)
{
    const char *token = NULL;
    char jerr[128];
    if (jsonx_get_str(rq->json, "token", &token, jerr, sizeof(jerr)) != 0)
        return http_reply_error(rq, 400, "invalid_field", "%s", jerr);
    const char *want = rq->app->cfg->admin_token;
    if (strlen(token) != strlen(want) || !crypto_ct_equal(token, want, strlen(want))) {
        log_msg(LOG_WARN, "admin_login_failed", "wrong admin token");
        return http_reply_error(rq, 401, "unauthorized", "that admin token is not correct");
    }
    char id[SESSION_ID_HEX + 1], csrf[SESSION_ID_HEX + 1];
    if (session_create(rq->redis, id, csrf) != 0)
        return http_reply_redis_down(rq);
    char cookie[256];
    int secure = strncmp(rq->app->cfg->public_url, "https://", 8) == 0;
    snprintf(cookie, sizeof(cookie), "Set-Cookie: %s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s\r\n",
             SESSION_COOKIE, id, SESSION_TTL_S, secure ? "; Secure" : "");
    json_t *v = json_pack("{s:b,s:s}", "ok", 1, "csrf", csrf);
    httpx_send_json(rq->conn, 200, v, cookie);
    json_decref(v);
    return 200;
}

int route_logout(req_t *rq)
{
    char sid[SESSION_ID_HEX + 8], csrf[SESSION_ID_HEX + 8];
    const char *h = mg_get_header(rq->conn, "Cookie");
    if (h && mg_get_cookie(h, SESSION_COOKIE, sid, sizeof(sid)) > 0) {
        int rc = session_lookup(rq->redis, sid, csrf, sizeof(csrf));
        if (rc < 0)
            return http_reply_redis_down(rq);
        /* Ending a live session is a state change like any other: another
         * site must not be able to sign the seller out. A cookie naming no
         * live session is only cleared. */
        if (rc == 0 && !http_csrf_ok(rq, csrf))
            return http_reply_error(rq, 403, "csrf", "missing or wrong X-CSRF-Token header; still signed in");
        if (rc == 0 && session_delete(rq->redis, sid) != 0)
            return http_reply_redis_down(rq);
    }
    json_t *v = json_pack("{s:b}", "ok", 1);
    httpx_send_json(rq->conn, 200, v, "Set-Cookie: " SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\r\n");
    json_decref(v);
    return 200;
}

/* The session of the request's cookie: 0 with its CSRF token in csrf, 1
 * when there is no cookie (*expired 0) or it names no live session
 * (*expired 1), -1 when Redis does not answer. */
static int cookie_session(req_t *rq, char *csrf, size_t cap, int *expired)
{
    char sid[SESSION_ID_HEX + 8];
    const char *h = mg_get_header(rq->conn, "Cookie");
    *expired = 0;
    if (!h || mg_get_cookie(h, SESSION_COOKIE, sid, sizeof(sid)) <= 0)
        return 1;
    int rc = session_lookup(rq->redis, sid, csrf, cap);
    *expired = rc > 0;
    return rc < 0 ? -1 : rc > 0 ? 1 : 0;
}

/* The page's session: 401 when signed out, or (probe) 200 saying so, since
 * the page asks on every first visit and a 401 would be a console error. */
static int session_answer(req_t *rq, int probe)
{
    char csrf[SESSION_ID_HEX + 8];
    int expired = 0;
    int rc = cookie_session(rq, csrf, sizeof(csrf), &expired);
    if (rc < 0)
        return http_reply_redis_down(rq);
    if (rc > 0 && probe)
        return http_reply_json(rq, 200, json_pack("{s:b,s:b}", "signed_in", 0, "expired", expired));
    if (rc > 0)
        return http_reply_error(rq, 401, "unauthorized", expired ? "your session expired; sign in again" : "not signed in");
    if (probe)
        return http_reply_json(rq, 200, json_pack("{s:b,s:b,s:s}", "signed_in", 1, "authenticated", 1, "csrf", csrf));
    return http_reply_json(rq, 200, json_pack("{s:b,s:s}", "authenticated", 1, "csrf", csrf));
}

int route_session(req_t *rq)
{
    return session_answer(rq, 0);
}

int route_session_check(req_t *rq)
{
    return session_answer(rq, 1);
}

static int catalog_status(req_t *rq, catalog_rc rc, const char *err)
{
    switch (rc) {
    case CATALOG_INVALID:
        return http_reply_error(rq, 400, "invalid_catalog", "%s", err);
    case CATALOG_NOT_FOUND:
        return http_reply_error(rq, 404, "not_found", "no product %s", rq->params[0]);
    case CATALOG_CONFLICT:
        return http_reply_error(rq, 409, "conflict", "%s", err);
    default:
        return http_reply_redis_down(rq);
    }
}

/* Add each SKU's TikTok state (ids, last push, status) for the admin page.
 * While no shop is connected (disconnected, or the app not configured) a
 * SKU is "not_connected", whatever its last push said: nothing reaches
 * TikTok Shop then. A shop waiting for re-authorization keeps the push
 * errors, which say why. */
static void attach_tiktok(req_t *rq, json_t *products)
{
    size_t i, j;
    json_t *p, *s, *st = NULL;
    connection_t *c = connection_open(rq->app->cfg, rq->redis);
    int away = c && connection_status(c, &st) == CONN_OK && !json_is_true(json_object_get(st, "connected")) &&
               !json_is_true(json_object_get(st, "needs_reauth"));
    json_decref(st);
    connection_free(c);
    json_array_foreach(products, i, p) {
        json_array_foreach(json_object_get(p, "skus"), j, s) {
            json_t *tk = skumap_describe(rq->redis, json_string_value(json_object_get(s, "sku")));
            if (away && tk)
                json_object_set_new(tk, "status", json_string("not_connected"));
            json_object_set_new(s, "tiktok", tk);
        }
    }
}

int route_products_list(req_t *rq)
{
    json_t *arr = NULL;
    catalog_rc rc = catalog_list(rq->redis, &arr);
    if (rc != CATALOG_OK)
        return catalog_status(rq, rc, "");
    attach_tiktok(rq, arr);
    return http_reply_json(rq, 200, json_pack("{s:o}", "products", arr));
}

int route_product_get(req_t *rq)
{
    json_t *p = NULL;
    if (!catalog_valid_id(rq->params[0]))
        return http_reply_error(rq, 404, "not_found", "no product %s", rq->params[0]);
    catalog_rc rc = catalog_get(rq->redis, rq->params[0], &p);
    if (rc != CATALOG_OK)
        return catalog_status(rq, rc, "");
    return http_reply_json(rq, 200, p);
}

int route_product_put(req_t *rq)
{
    char err[512] = "";
    json_t *np = NULL, *arr = NULL;
    const char *id = rq->params[0];
    if (!catalog_valid_id(id))
        return http_reply_error(rq, 400, "invalid_id", "product id must be 1-50 characters of A-Z a-z 0-9 . _ -");
    json_t *bid = json_object_get(rq->json, "id");
    if (bid && !(json_is_string(bid) && strcmp(json_string_value(bid), id) == 0))
        return http_reply_error(rq, 400, "invalid_field", "id: the body's id must match the URL (%s)", id);
    if (!bid)
        json_object_set_new(rq->json, "id", json_string(id));
    catalog_rc rc = catalog_validate_product(rq->json, "product", &np, err, sizeof(err));
    if (rc != CATALOG_OK)
        return catalog_status(rq, rc, err);
    arr = json_array();
    json_array_append_new(arr, np);
    size_t n_skus = 0;
    rc = catalog_store(rq->redis, arr, &n_skus, err, sizeof(err));
    json_decref(arr);
    if (rc != CATALOG_OK)
        return catalog_status(rq, rc, err);
    json_t *p = NULL;
    if (catalog_get(rq->redis, id, &p) != CATALOG_OK)
        return http_reply_redis_down(rq);
    return http_reply_json(rq, 200, p);
}

int route_product_delete(req_t *rq)
{
    char err[256] = "";
    if (!catalog_valid_id(rq->params[0]))
        return http_reply_error(rq, 404, "not_found", "no product %s", rq->params[0]);
    catalog_rc rc = catalog_delete(rq->redis, rq->params[0], err, sizeof(err));
    if (rc != CATALOG_OK)
        return catalog_status(rq, rc, err);
    return http_reply_json(rq, 200, json_pack("{s:b,s:s}", "deleted", 1, "id", rq->params[0]));
}

int route_products_import(req_t *rq)
{
    char err[512] = "";
    json_t *products = NULL;
    catalog_rc rc = catalog_validate(rq->json, &products, err, sizeof(err));
    if (rc != CATALOG_OK)
        return catalog_status(rq, rc, err);
    size_t n_skus = 0;
    rc = catalog_store(rq->redis, products, &n_skus, err, sizeof(err));
    size_t n = json_array_size(products);
    json_decref(products);
    if (rc != CATALOG_OK)
        return catalog_status(rq, rc, err);
    log_event(LOG_INFO, "catalog_imported", json_pack("{s:I,s:I}", "products", (json_int_t)n, "skus", (json_int_t)n_skus));
    return http_reply_json(rq, 200, json_pack("{s:I,s:I}", "imported", (json_int_t)n, "skus", (json_int_t)n_skus));
}

int route_stock_get(req_t *rq)
{
    stock_view_t v;
    int status = routes_read_stock(rq, &v);
    if (status)
        return status;
    json_t *body = json_pack("{s:s,s:I,s:o}", "sku", rq->params[0], "stock", (json_int_t)v.on_hand, "tiktok",
                             skumap_describe(rq->redis, rq->params[0]));
    stock_view_json(&v, body);
    return http_reply_json(rq, 200, body);
}

/* 1-64 characters that are safe in a Redis key and a log line. */
static int idempotency_key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)k[i]) || strchr("._:-", k[i])))
            return 0;
    return 1;
}

int route_stock_post(req_t *rq)
{
    const char *sku = rq->params[0];
    json_t *set = json_object_get(rq->json, "set");
    json_t *delta = json_object_get(rq->json, "delta");
    stock_result_t res;
    stock_rc rc;

    if (!catalog_valid_id(sku))
        return http_reply_error(rq, 400, "invalid_sku", "SKU must be 1-50 characters of A-Z a-z 0-9 . _ -");
    if ((set != NULL) == (delta != NULL))
        return http_reply_error(rq, 400, "invalid_field", "send exactly one of {\"set\":N} or {\"delta\":N}");
    json_t *v = set ? set : delta;
    if (!json_is_integer(v))
        return http_reply_error(rq, 400, "invalid_field", "%s: must be a whole number", set ? "set" : "delta");
    long long n = json_integer_value(v);
    /* With an Idempotency-Key a client may repeat an edit whose answer it
     * never got (a timeout, a 503 while Redis stalled) without applying it
     * twice. */
    const char *key = mg_get_header(rq->conn, "Idempotency-Key");
    int replayed = 0;
    if (key && !idempotency_key_ok(key))
        return http_reply_error(rq, 400, "invalid_idempotency_key",
                                "Idempotency-Key must be 1-64 characters of A-Z a-z 0-9 . _ : -");
    if (delta && n < 0 && n >= -STOCK_MAX) {
        /* Never below 0: an oversell is a sale asking for more than there
         * was, not an edit. */
        long long available = 0;
        rc = stock_take(rq->redis, sku, n, key, "", &res, &replayed, &available);
        if (rc == STOCK_SHORT)
            return http_reply_error(rq, 409, "insufficient_stock",
                                    "delta: %s has %lld in stock; removing %lld would take it below 0 (nothing was "
                                    "changed; set it to 0 to empty it)",
                                    sku, available, -n);
    } else if (key)
        rc = stock_change_once(rq->redis, sku, set != NULL, n, "admin", key, &res, &replayed);
    else if (set)
        rc = stock_set(rq->redis, sku, n, "admin", "", &res);
    else
        rc = stock_adjust(rq->redis, sku, n, "admin", "", &res);
    switch (rc) {
    case STOCK_OK:
        break;
    case STOCK_NOT_FOUND:
        return http_reply_error(rq, 404, "not_found", "unknown SKU %s", sku);
    case STOCK_INVALID:
        return http_reply_error(rq, 400, "invalid_field", "%s: stock must stay between 0 and %lld",
                                set ? "set" : "delta", STOCK_MAX);
    case STOCK_KEY_REUSED:
        return http_reply_error(rq, 409, "idempotency_key_reused",
                                "this Idempotency-Key was used for another stock change; use a new key");
    default:
        return http_reply_redis_down(rq);
    }
    json_t *body = json_pack("{s:s,s:I,s:I,s:I}", "sku", sku, "stock", (json_int_t)res.stock, "applied",
                             (json_int_t)res.applied, "oversold", (json_int_t)res.shortfall);
    httpx_send_json(rq->conn, 200, body, replayed ? "Idempotent-Replayed: true\r\n" : NULL);
    json_decref(body);
    return 200;
}

static int list_log(req_t *rq, const char *which, const char *field)
{
    char lim[16];
    int limit = 100;
    if (httpx_query(rq->conn, "limit", lim, sizeof(lim)) > 0) {
        char *end = NULL;
        long l = strtol(lim, &end, 10);
        if (*end || l < 1 || l > 1000)
            return http_reply_error(rq, 400, "invalid_field", "limit: must be a whole number from 1 to 1000");
        limit = (int)l;
    }
    json_t *arr = NULL;
    if (stock_list_log(rq->redis, which, limit, &arr) != STOCK_OK)
        return http_reply_redis_down(rq);
    return http_reply_json(rq, 200, json_pack("{s:o}", field, arr));
}

int route_activity(req_t *rq)
{
    return list_log(rq, KEY_ACTIVITY, "activity");
}

int route_oversells(req_t *rq)
{
    return list_log(rq, KEY_OVERSELLS, "oversells");
}

int route_unmatched(req_t *rq)
{
    return list_log(rq, KEY_UNMATCHED, "unmatched");
}
