/*
 * routes_tiktok — connecting TikTok Shop (OAuth), connection status,
 * disconnect, and product sync jobs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"
#include "service.h"
#include "shopsync/connection.h"
#include "shopsync/httpx.h"
#include "shopsync/log.h"
#include "shopsync/product_sync.h"
#include "shopsync/queue.h"

int route_tiktok_auth(req_t *rq)
{
    connection_t *c = connection_open(rq->app->cfg, rq->redis);
    buf_t url;
    buf_init(&url, 8192);
    int status;
    if (!c) {
        status = http_reply_error(rq, 500, "internal", "out of memory");
        goto out;
    }
    connection_rc rc = connection_begin_auth(c, &url);
    if (rc == CONN_NOT_CONFIGURED)
        status = http_reply_error(rq, 409, "not_configured",
                                  "TikTok Shop app credentials are not configured: set TIKTOK_SHOP_APP_KEY, "
                                  "TIKTOK_SHOP_APP_SECRET and TIKTOK_SHOP_SERVICE_ID");
    else if (rc != CONN_OK)
        status = http_reply_redis_down(rq);
    else {
        httpx_redirect(rq->conn, url.data);
        status = 302;
    }
out:
    buf_free(&url);
    connection_free(c);
    return status;
}

/* A browser lands here; answer with a page for people and JSON for tools. */
static int callback_failure(req_t *rq, int status, const char *code, const char *message)
{
    const char *accept = mg_get_header(rq->conn, "Accept");
    if (status == 302 || (accept && strstr(accept, "text/html") && status != 400)) {
        buf_t loc;
        buf_init(&loc, 4096);
        buf_appendf(&loc, "/admin/tiktok-shop?connected=0&error=%s&message=", code);
        httpx_urlencode(&loc, message);
        httpx_redirect(rq->conn, loc.data);
        buf_free(&loc);
        return 302;
    }
    if (accept && strstr(accept, "text/html")) {
        buf_t page;
        buf_init(&page, 8192);
        char esc[1024];
        size_t j = 0;
        for (size_t i = 0; message[i] && j + 6 < sizeof(esc); i++) {
            char ch = message[i];
            const char *rep = ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : ch == '&' ? "&amp;" : ch == '"' ? "&quot;" : NULL;
            if (rep) {
                memcpy(esc + j, rep, strlen(rep));
                j += strlen(rep);
            } else {
                esc[j++] = ch;
            }
        }
        esc[j] = '\0';
        buf_appendf(&page,
                    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>TikTok Shop connection</title>"
                    "<link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main class=\"callback\">"
                    "<h1>TikTok Shop was not connected</h1><p>%s</p>"
                    "<p><a href=\"/admin/tiktok-shop?connected=0&amp;error=%s\">Back to shopsync</a></p></main></body></html>",
                    esc, code);
        httpx_send(rq->conn, status, "text/html; charset=utf-8", page.data, page.len,
                   "Content-Security-Policy: default-src 'self'\r\n");
        buf_free(&page);
        return status;
    }
    return http_reply_error(rq, status, code, "%s", message);
}

int route_tiktok_callback(req_t *rq)
{
    char state[160] = "", code[1024] = "", error[128] = "", err[1024] = "";
    connection_t *c = connection_open(rq->app->cfg, rq->redis);
    int status;
    if (!c)
        return http_reply_error(rq, 500, "internal", "out of memory");
    httpx_query(rq->conn, "state", state, sizeof(state));
    httpx_query(rq->conn, "code", code, sizeof(code));
    httpx_query(rq->conn, "error", error, sizeof(error));
    connection_rc rc = connection_callback(c, state, code, error, err, sizeof(err));
    switch (rc) {
    case CONN_OK: {
        /* TikTok orders that arrived while disconnected are applied now,
         * not at the next housekeeping round. */
        long long unparked = 0;
        if (queue_unpark(rq->redis, &unparked) != 0)
            log_msg(LOG_WARN, "unpark_failed", "parked TikTok orders are put back by housekeeping instead");
        /* The shop's last 90 days of revenue, in the background (once per
         * shop; housekeeping retries one that failed). */
        if (service_start_backfill(rq->app) != 0)
            log_msg(LOG_WARN, "revenue_backfill_not_started", "housekeeping starts the revenue backfill instead");
        httpx_redirect(rq->conn, "/admin/tiktok-shop?connected=1");
        status = 302;
        break;
    }
    case CONN_INVALID_STATE:
        status = callback_failure(rq, 400, "invalid_state", err);
        break;
    case CONN_DENIED:
        status = callback_failure(rq, 302, strcmp(error, "auth_denied") == 0 ? "auth_denied" : "auth_error", err);
        break;
    case CONN_NOT_CONFIGURED:
        status = callback_failure(rq, 409, "not_configured", err);
        break;
    case CONN_EXCHANGE_FAILED:
        status = callback_failure(rq, 302, "token_exchange_failed", err);
        break;
    default:
        status = http_reply_redis_down(rq);
    }
    if (rc != CONN_OK)
        log_event(LOG_WARN, "tiktok_callback_failed", json_pack("{s:s}", "reason", err));
    connection_free(c);
    return status;
}

int route_tiktok_status(req_t *rq)
{
    json_t *st = NULL;
    queue_stats_t qs;
    if (service_status(rq->app->cfg, rq->redis, &st) != 0 || queue_stats(rq->redis, &qs) != 0) {
        json_decref(st);
        return http_reply_redis_down(rq);
    }
    /* TikTok orders kept until the shop is connected again: the page says
     * so while disconnected. */
    json_object_set_new(st, "parked_orders", json_integer(qs.parked));
    return http_reply_json(rq, 200, st);
}

int route_tiktok_disconnect(req_t *rq)
{
    connection_t *c = connection_open(rq->app->cfg, rq->redis);
    if (!c)
        return http_reply_error(rq, 500, "internal", "out of memory");
    connection_rc rc = connection_disconnect(c);
    json_t *st = NULL;
    if (rc == CONN_OK)
        connection_status(c, &st);
    connection_free(c);
    if (rc != CONN_OK || !st)
        return http_reply_redis_down(rq);
    return http_reply_json(rq, 200, st);
}

int route_tiktok_sync_start(req_t *rq)
{
    char job[PRODUCT_SYNC_JOB_ID_HEX + 1] = "", wait[8] = "";
    int blocking = httpx_query(rq->conn, "wait", wait, sizeof(wait)) > 0 && strcmp(wait, "0") != 0;
    char missing[256];
    if (config_tiktok_missing(rq->app->cfg, missing, sizeof(missing)))
        return http_reply_error(rq, 409, "not_configured", "TikTok Shop is not configured: set %s and restart shopsync",
                                missing);
    product_sync_rc rc = product_sync_create(rq->app->cfg, rq->redis, job);
    if (rc == SYNC_NOT_CONNECTED)
        return http_reply_error(rq, 409, "not_connected", "TikTok Shop is not connected: click Connect TikTok Shop first");
    if (rc == SYNC_BUSY) {
        json_t *v = json_pack("{s:{s:s,s:s},s:s}", "error", "code", "sync_running", "message",
                              "a sync is already running", "job_id", job);
        return http_reply_json(rq, 409, v);
    }
    if (rc != SYNC_STARTED)
        return http_reply_redis_down(rq);
    if (blocking) {
        json_t *st = NULL;
        product_sync_run(rq->app->cfg, rq->redis, job, &rq->app->stopping);
        if (product_sync_get(rq->redis, job, &st) != 0)
            return http_reply_redis_down(rq);
        return http_reply_json(rq, 200, st);
    }
    if (service_run_job(rq->app, job) != 0) {
        product_sync_abort(rq->redis, job, "the sync job could not start (no thread)");
        return http_reply_error(rq, 500, "internal", "could not start the sync job");
    }
    return http_reply_json(rq, 202, json_pack("{s:s}", "job_id", job));
}

int route_tiktok_sync_job(req_t *rq)
{
    json_t *st = NULL;
    int rc = product_sync_get(rq->redis, rq->params[0], &st);
    if (rc < 0)
        return http_reply_redis_down(rq);
    if (rc > 0)
        return http_reply_error(rq, 404, "not_found", "no sync job %s", rq->params[0]);
    return http_reply_json(rq, 200, st);
}
