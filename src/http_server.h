/*
 * http_server — civetweb setup, the one route table, body caps, JSON errors,
 * authentication (bearer token or session cookie + CSRF) and static files.
 */
#ifndef SHOPSYNC_HTTP_SERVER_H
#define SHOPSYNC_HTTP_SERVER_H

#include <civetweb.h>
#include <jansson.h>

#include "app.h"
#include "shopsync/buf.h"
#include "shopsync/redis.h"

#define ROUTE_MAX_PARAMS 2

typedef struct req {
    struct mg_connection *conn;                 /* borrowed */
    const struct mg_request_info *ri;           /* borrowed */
    app_t *app;                                 /* borrowed */
    redis_conn_t *redis;                        /* this thread's, borrowed */
    char params[ROUTE_MAX_PARAMS][256];         /* {} segments, decoded */
    buf_t body;                                 /* filled for routes that read it */
    json_t *json;                               /* parsed body (owned) for JSON routes */
} req_t;

typedef int (*route_fn)(req_t *rq);

enum {
    ROUTE_PUBLIC = 0,
    ROUTE_ADMIN = 1,      /* bearer token or session cookie (+CSRF if not GET) */
    ROUTE_JSON_BODY = 2,  /* read and parse a JSON object body before the handler */
    ROUTE_RAW_BODY = 4,   /* read the raw body (webhooks verify it themselves) */
    ROUTE_STOREFRONT = 8  /* the storefront token (SHOPSYNC_STOREFRONT_TOKEN) or as ROUTE_ADMIN */
};

typedef struct route {
    const char *method;
    const char *pattern; /* segments; "{}" matches one segment */
    int flags;
    route_fn fn;
} route_t;

/* Start serving on cfg->listen with routes (borrowed, NULL-terminated by a
 * zeroed entry, valid for the server's life). Returns the context or NULL
 * with err. */
struct mg_context *http_server_start(app_t *app, const route_t *routes, char *err, size_t errlen);

/* Stop taking requests and wait for in-flight ones. */
void http_server_stop(struct mg_context *ctx);

/* Helpers for handlers. */
int http_reply_json(req_t *rq, int status, json_t *v); /* v stolen */
int http_reply_error(req_t *rq, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int http_reply_redis_down(req_t *rq);

/* 1 when the request carries the admin bearer token or a valid session; for
 * cookie sessions on state-changing methods the CSRF header must match too.
 * Sets *why to a static reason on failure. */
int http_admin_authorized(req_t *rq, const char **why);

/* 1 when the request carries Authorization: Bearer with the storefront
 * token (SHOPSYNC_STOREFRONT_TOKEN, when set), compared in constant time. */
int http_storefront_authorized(req_t *rq);

/* 1 when the request's X-CSRF-Token header equals csrf (borrowed: the token
 * of the session its cookie names), compared in constant time. */
int http_csrf_ok(req_t *rq, const char *csrf);

#endif
