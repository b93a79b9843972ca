/*
 * http_server — civetweb setup and the request pipeline: route lookup,
 * 404/405, authentication, body caps and parsing, then one handler.
 */
#include "http_server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shopsync/crypto.h"
#include "shopsync/httpx.h"
#include "shopsync/jsonx.h"
#include "shopsync/log.h"
#include "shopsync/session.h"

typedef struct server_state {
    app_t *app;
    const route_t *routes;
} server_state_t;

static server_state_t state;

int http_reply_json(req_t *rq, int status, json_t *v)
{
    /* A failed send means the client went away; the status stays what was
     * decided. */
    httpx_send_json(rq->conn, status, v, NULL);
    json_decref(v);
    return status;
}

int http_reply_error(req_t *rq, int status, const char *code, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    httpx_send_error(rq->conn, status, code, "%s", msg);
    return status;
}

int http_reply_redis_down(req_t *rq)
{
    return http_reply_error(rq, 503, "unavailable", "the inventory database (Redis) is not answering; retry shortly");
}

/* Match path against pattern segment by segment, capturing {} segments. */
static int match(const char *pattern, const char *path, req_t *rq)
{
    int n_param = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return 0;
        p++;
        s++;
        const char *pe = strchr(p, '/');
        const char *se = strchr(s, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p);
        size_t sl = se ? (size_t)(se - s) : strlen(s);
        if (pl == 2 && p[0] == '{' && p[1] == '}') {
            if (sl == 0 || n_param >= ROUTE_MAX_PARAMS)
                return 0;
            /* civetweb has already decoded the path once; decoding again
             * would turn %252e into '.' behind the route's back. */
            if (sl >= sizeof(rq->params[0]))
                return 0;
            memcpy(rq->params[n_param], s, sl);
            rq->params[n_param][sl] = '\0';
            n_param++;
        } else if (pl != sl || strncmp(p, s, pl) != 0) {
            return 0;
        }
        p += pl;
        s += sl;
    }
    return *p == '\0' && *s == '\0';
}

/* Value of cookie name in the Cookie header, into out. */
static int get_cookie(const struct mg_connection *conn, const char *name, char *out, size_t cap)
{
    const char *h = mg_get_header(conn, "Cookie");
    if (!h)
        return -1;
    return mg_get_cookie(h, name, out, cap) > 0 ? 0 : -1;
}

int http_admin_authorized(req_t *rq, const char **why)
{
    const config_t *cfg = rq->app->cfg;
    const char *auth = mg_get_header(rq->conn, "Authorization");
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
        const char *tok = auth + 7;
        size_t n = strlen(cfg->admin_token);
        if (strlen(tok) == n && crypto_ct_equal(tok, cfg->admin_token, n))
            return 1;
        *why = "wrong admin token";
        return 0;
    }
    char sid[SESSION_ID_HEX + 8], csrf[SESSION_ID_HEX + 8];
    if (get_cookie(rq->conn, SESSION_COOKIE, sid, sizeof(sid)) != 0) {
        *why = "sign in first: send Authorization: Bearer <SHOPSYNC_ADMIN_TOKEN> or use the admin page";
        return 0;
    }
    int rc = session_lookup(rq->redis, sid, csrf, sizeof(csrf));
    if (rc < 0) {
        *why = "redis";
        return 0;
    }
    if (rc > 0) {
        *why = "your session expired; sign in again";
        return 0;
    }
    const char *m = rq->ri->request_method;
    int changes_state = strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0;
    if (changes_state && !http_csrf_ok(rq, csrf)) {
        *why = "missing or wrong X-CSRF-Token header";
        return 0;
    }
    return 1;
}

int http_storefront_authorized(req_t *rq)
{
    const char *want = rq->app->cfg->storefront_token;
    const char *auth = mg_get_header(rq->conn, "Authorization");
    if (!want[0] || !auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return 0;
    size_t n = strlen(want);
    return strlen(auth + 7) == n && crypto_ct_equal(auth + 7, want, n);
}

int http_csrf_ok(req_t *rq, const char *csrf)
{
    /* A cookie rides along on cross-site requests; the CSRF token in a
     * header proves the request came from our own page. */
    const char *t = mg_get_header(rq->conn, "X-CSRF-Token");
    return t && strlen(t) == strlen(csrf) && crypto_ct_equal(t, csrf, strlen(csrf));
}

static int content_type_ok(const struct mg_connection *conn)
{
    const char *ct = mg_get_header(conn, "Content-Type");
    /* A missing Content-Type is tolerated (curl -d sends a form type, which
     * is refused); anything else must be JSON. */
    if (!ct)
        return 1;
    return strncasecmp(ct, "application/json", 16) == 0;
}

static int dispatch(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    req_t rq;
    memset(&rq, 0, sizeof(rq));
    rq.conn = conn;
    rq.ri = mg_get_request_info(conn);
    rq.app = state.app;
    rq.redis = mg_get_thread_pointer(conn);
    buf_init(&rq.body, HTTPX_MAX_BODY);

    char rid[33];
    const char *given = mg_get_header(conn, "X-Request-Id");
    if (given && strlen(given) <= 64 && strspn(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == strlen(given))
        log_set_request_id(given);
    else if (crypto_random_hex(8, rid) == 0)
        log_set_request_id(rid);

    const char *method = rq.ri->request_method;
    const char *path = rq.ri->local_uri;
    const route_t *hit = NULL;
    int path_matched = 0;
    /* Literal routes first: /api/admin/products/import must never be taken
     * for the product "import" of /api/admin/products/{}, whatever the
     * method. Routes with {} are considered only when no literal one has this
     * path. */
    for (int pass = 0; pass < 2 && !path_matched; pass++) {
        for (const route_t *r = state.routes; r->pattern; r++) {
            if ((strstr(r->pattern, "{}") != NULL) != (pass == 1))
                continue;
            memset(rq.params, 0, sizeof(rq.params));
            if (!match(r->pattern, path, &rq))
                continue;
            path_matched = 1;
            if (strcmp(r->method, method) == 0 || (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
                hit = r;
                break;
            }
        }
    }
    int status;
    log_level_t lvl;
    if (!hit) {
        status = path_matched ? http_reply_error(&rq, 405, "method_not_allowed", "%s is not allowed on %s", method, path)
                              : http_reply_error(&rq, 404, "not_found", "no such route: %s", path);
        goto out;
    }
    /* The storefront token, checked once: allowed on storefront routes,
     * refused on admin ones. */
    int storefront = (hit->flags & (ROUTE_ADMIN | ROUTE_STOREFRONT)) && http_storefront_authorized(&rq);
    if ((hit->flags & ROUTE_ADMIN) && storefront) {
        /* Known, but not the admin: the storefront's backend may read
         * stock, manage holds and send store events (/api/events checks
         * it itself), not use the admin API. */
        status = http_reply_error(&rq, 403, "forbidden",
                                  "the storefront token may only read stock and manage holds, not the admin API");
        goto out;
    }
    if ((hit->flags & (ROUTE_ADMIN | ROUTE_STOREFRONT)) && !storefront) {
        const char *why = NULL;
        if (!http_admin_authorized(&rq, &why)) {
            status = strcmp(why, "redis") == 0 ? http_reply_redis_down(&rq)
                     : strstr(why, "CSRF") ? http_reply_error(&rq, 403, "csrf", "%s", why)
                                           : http_reply_error(&rq, 401, "unauthorized", "%s", why);
            goto out;
        }
    }
    if (hit->flags & (ROUTE_JSON_BODY | ROUTE_RAW_BODY)) {
        if ((hit->flags & ROUTE_JSON_BODY) && !content_type_ok(conn)) {
            status = http_reply_error(&rq, 415, "unsupported_media_type", "send the body as application/json");
            goto out;
        }
        httpx_body_rc b = httpx_read_body(conn, &rq.body);
        if (b == HTTPX_BODY_TOO_LARGE) {
            status = http_reply_error(&rq, 413, "payload_too_large", "request body is over the %d byte limit", HTTPX_MAX_BODY);
            goto out;
        }
        if (b != HTTPX_BODY_OK) {
            status = http_reply_error(&rq, 400, "bad_request", "request body was truncated or unreadable");
            goto out;
        }
    }
    if (hit->flags & ROUTE_JSON_BODY) {
        char jerr[256];
        rq.json = jsonx_loadb(rq.body.data ? rq.body.data : "", rq.body.len, jerr, sizeof(jerr));
        if (!rq.json) {
            status = http_reply_error(&rq, 400, "invalid_json", "%s", jerr);
            goto out;
        }
        if (!json_is_object(rq.json)) {
            status = http_reply_error(&rq, 400, "invalid_json", "the body must be a JSON object");
            goto out;
        }
    }
    status = hit->fn(&rq);
out:
    /* Assigned, not declared, here: C11 allows no declaration right after
     * a label (clang refuses it). */
    lvl = status >= 500 ? LOG_WARN : LOG_DEBUG;
    if (log_enabled(lvl))
        log_event(lvl, "http_request", json_pack("{s:s,s:s,s:i}", "method", method, "path", path, "status", status));
    json_decref(rq.json);
    buf_free(&rq.body);
    log_set_request_id(NULL);
    return status > 0 ? status : 500;
}

static void *init_thread(const struct mg_context *ctx, int thread_type)
{
    (void)ctx;
    /* Only request workers (type 1) talk to Redis. */
    return thread_type == 1 ? redis_conn_new() : NULL;
}

static void exit_thread(const struct mg_context *ctx, int thread_type, void *thread_pointer)
{
    (void)ctx;
    if (thread_type == 1)
        redis_conn_free(thread_pointer);
}

static int log_message(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    log_msg(LOG_WARN, "civetweb", "%s", message);
    return 1;
}

struct mg_context *http_server_start(app_t *app, const route_t *routes, char *err, size_t errlen)
{
    char threads[16], keepalive[16];
    snprintf(threads, sizeof(threads), "%d", app->cfg->http_threads);
    snprintf(keepalive, sizeof(keepalive), "%d", app->cfg->http_keepalive_ms);
    /* A civetweb worker thread stays with a kept-alive connection until its
     * next request or keep_alive_timeout_ms: idle connections (a relay's
     * pool, a browser) hold threads, and once every thread is held a new
     * connection, a webhook among them, waits that long. The timeout is
     * therefore short; back-to-back requests on a connection are unaffected. */
    const char *options[] = {
        "listening_ports", app->cfg->listen,
        "num_threads", threads,
        "request_timeout_ms", "5000",
        "keep_alive_timeout_ms", keepalive,
        "enable_keep_alive", app->cfg->http_keepalive_ms > 0 ? "yes" : "no",
        "tcp_nodelay", "1",
        "enable_directory_listing", "no",
        "max_request_size", "16384",
        NULL};
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof(cb));
    cb.init_thread = init_thread;
    cb.exit_thread = exit_thread;
    cb.log_message = log_message;
    state.app = app;
    state.routes = routes;
    struct mg_init_data init;
    struct mg_error_data edata;
    char ebuf[256] = "";
    memset(&init, 0, sizeof(init));
    memset(&edata, 0, sizeof(edata));
    init.callbacks = &cb;
    init.configuration_options = options;
    edata.text = ebuf;
    edata.text_buffer_size = sizeof(ebuf);
    struct mg_context *ctx = mg_start2(&init, &edata);
    if (!ctx) {
        snprintf(err, errlen, "cannot listen on %s: %s", app->cfg->listen, ebuf[0] ? ebuf : "unknown error");
        return NULL;
    }
    mg_set_request_handler(ctx, "/", dispatch, NULL);
    return ctx;
}

void http_server_stop(struct mg_context *ctx)
{
    if (ctx)
        mg_stop(ctx);
}
