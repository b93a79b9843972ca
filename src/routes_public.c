/*
 * routes_public — unauthenticated routes: health, readiness, the storefront
 * stock read, and the admin page's static files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "routes.h"
#include "shopsync/catalog_validate.h"
#include "shopsync/httpx.h"
#include "shopsync/stock.h"

#define STATIC_MAX (4 * 1024 * 1024)

int route_healthz(req_t *rq)
{
    return http_reply_json(rq, 200, json_pack("{s:s,s:s}", "status", "ok", "version", SHOPSYNC_VERSION));
}

int route_readyz(req_t *rq)
{
    if (redis_ping(rq->redis) != 0)
        return http_reply_json(rq, 503, json_pack("{s:s,s:{s:s,s:s}}", "status", "unavailable", "error", "code",
                                                  "redis_unavailable", "message", "Redis is not answering"));
    return http_reply_json(rq, 200, json_pack("{s:s}", "status", "ready"));
}

int routes_read_stock(req_t *rq, stock_view_t *out)
{
    const char *sku = rq->params[0];
    if (!catalog_valid_id(sku))
        return http_reply_error(rq, 400, "invalid_sku", "SKU must be 1-50 characters of A-Z a-z 0-9 . _ -");
    stock_rc rc = stock_view(rq->redis, sku, out);
    if (rc == STOCK_UNAVAILABLE)
        return http_reply_redis_down(rq);
    if (rc == STOCK_NOT_FOUND)
        return http_reply_error(rq, 404, "not_found", "unknown SKU %s", sku);
    return 0;
}

int route_public_stock(req_t *rq)
{
    stock_view_t v;
    int status = routes_read_stock(rq, &v);
    if (status)
        return status;
    /* What the website may sell now: on hand less TikTok's share of a
     * low-stock SKU. */
    return http_reply_json(rq, 200, json_pack("{s:s,s:I}", "sku", rq->params[0], "stock", (json_int_t)v.web));
}

int route_root(req_t *rq)
{
    httpx_redirect(rq->conn, "/admin/tiktok-shop");
    return 302;
}

static const char *content_type_for(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return "application/octet-stream";
    if (strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (strcmp(dot, ".js") == 0)
        return "text/javascript; charset=utf-8";
    if (strcmp(dot, ".css") == 0)
        return "text/css; charset=utf-8";
    if (strcmp(dot, ".svg") == 0)
        return "image/svg+xml";
    if (strcmp(dot, ".png") == 0)
        return "image/png";
    if (strcmp(dot, ".json") == 0)
        return "application/json";
    return "application/octet-stream";
}

/* Serve one file of the web directory. name has been checked to be a plain
 * file name (no slash, no leading dot), so it cannot leave the directory. */
static int send_web_file(req_t *rq, const char *name)
{
    char path[1024];
    FILE *f = NULL;
    buf_t b;
    buf_init(&b, STATIC_MAX);
    int status;

    if (snprintf(path, sizeof(path), "%s/%s", rq->app->cfg->web_dir, name) >= (int)sizeof(path)) {
        status = http_reply_error(rq, 404, "not_found", "no such file");
        goto out;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || (f = fopen(path, "rb")) == NULL) {
        status = http_reply_error(rq, 404, "not_found", "no such file: %s", name);
        goto out;
    }
    char chunk[16384];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_append(&b, chunk, n) != 0) {
            status = http_reply_error(rq, 500, "internal", "file too large");
            goto out;
        }
    }
    /* The page runs with a strict policy: nothing but our own origin. */
    httpx_send(rq->conn, 200, content_type_for(name), b.data ? b.data : "", b.len,
               "Content-Security-Policy: default-src 'self'; img-src 'self' data: https: http:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'\r\n"
               "X-Frame-Options: DENY\r\n"
               "Referrer-Policy: no-referrer\r\n");
    status = 200;
out:
    if (f)
        fclose(f);
    buf_free(&b);
    return status;
}

int route_admin_page(req_t *rq)
{
    return send_web_file(rq, "index.html");
}

/* Browsers and tools ask for /favicon.ico whatever the page links: the
 * page's SVG icon (modern browsers take an SVG from there). */
int route_favicon(req_t *rq)
{
    return send_web_file(rq, "favicon.svg");
}

/* The storefront's attribution script (README: TikTok Ads). */
int route_attribution_script(req_t *rq)
{
    return send_web_file(rq, "tiktok-attribution.js");
}

/* A file name from the URL is served only if it is plain: letters, digits,
 * '.', '_' and '-', not starting with a dot. That keeps every request inside
 * its directory and away from dot files. */
static int plain_name(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && name[0] != '.' &&
           strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* Serve the plain file name (borrowed) of the web directory's subdirectory
 * dir (borrowed). */
static int send_web_subdir_file(req_t *rq, const char *dir, const char *name)
{
    char path[300];
    if (!plain_name(name) || snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        return http_reply_error(rq, 404, "not_found", "no such file");
    return send_web_file(rq, path);
}

/* Third-party files the page ships with (web/vendor/: uPlot, its licence). */
int route_static_vendor(req_t *rq)
{
    return send_web_subdir_file(rq, "vendor", rq->params[0]);
}

/* The page's ES modules (web/js/), imported by /static/app.js. */
int route_static_js(req_t *rq)
{
    return send_web_subdir_file(rq, "js", rq->params[0]);
}

int route_static(req_t *rq)
{
    const char *name = rq->params[0];
    if (!plain_name(name))
        return http_reply_error(rq, 404, "not_found", "no such file");
    return send_web_file(rq, name);
}
