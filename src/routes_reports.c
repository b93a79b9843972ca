/*
 * routes_reports — the TikTok Ads account (Marketing API OAuth, advertiser
 * selection, disconnect), the spend sync jobs, and the daily report with
 * spend by campaign.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "routes.h"
#include "service.h"
#include "shopsync/ads_account.h"
#include "shopsync/ads_spend.h"
#include "shopsync/day.h"
#include "shopsync/httpx.h"
#include "shopsync/log.h"
#include "shopsync/report.h"
#include "shopsync/revenue.h"

#define PAGE "/admin/tiktok-shop"

int route_ads_oauth_start(req_t *rq)
{
    buf_t url;
    buf_init(&url, 8192);
    ads_account_rc rc = ads_account_begin(rq->app->cfg, rq->redis, &url);
    int st;
    if (rc == ADS_ACCOUNT_NOT_CONFIGURED)
        st = http_reply_error(rq, 409, "not_configured",
                              "the TikTok Ads app is not configured: set TIKTOK_APP_ID and TIKTOK_APP_SECRET "
                              "(TikTok for Business developer portal, your app) and restart shopsync");
    else if (rc != ADS_ACCOUNT_OK)
        st = http_reply_redis_down(rq);
    else {
        httpx_redirect(rq->conn, url.data);
        st = 302;
    }
    buf_free(&url);
    return st;
}

int route_ads_oauth_callback(req_t *rq)
{
    char state[160] = "", code[1024] = "", err[ADS_ACCOUNT_ERR_MAX] = "";
    httpx_query(rq->conn, "state", state, sizeof(state));
    httpx_query(rq->conn, "auth_code", code, sizeof(code));
    /* Some copies of TikTok's docs call it code. */
    if (!code[0])
        httpx_query(rq->conn, "code", code, sizeof(code));
    ads_account_rc rc = ads_account_callback(rq->app->cfg, rq->redis, state, code, err, sizeof(err));
    memset(code, 0, sizeof(code));
    if (rc == ADS_ACCOUNT_OK) {
        httpx_redirect(rq->conn, PAGE "?ads_connected=1#tiktok-ads");
        return 302;
    }
    if (rc == ADS_ACCOUNT_UNAVAILABLE)
        return http_reply_redis_down(rq);
    const char *ecode = rc == ADS_ACCOUNT_INVALID_STATE  ? "invalid_state"
                        : rc == ADS_ACCOUNT_DENIED         ? "auth_denied"
                        : rc == ADS_ACCOUNT_NOT_CONFIGURED ? "not_configured"
                                                           : "token_exchange_failed";
    int status = rc == ADS_ACCOUNT_INVALID_STATE ? 400 : rc == ADS_ACCOUNT_DENIED ? 400
                 : rc == ADS_ACCOUNT_NOT_CONFIGURED                               ? 409
                                                                                  : 502;
    log_event(LOG_WARN, "ads_oauth_callback_failed", json_pack("{s:s,s:s}", "code", ecode, "reason", err));
    const char *accept = mg_get_header(rq->conn, "Accept");
    /* A browser goes back to the page, which says what happened; a forged
     * or reused state is refused outright. */
    if (accept && strstr(accept, "text/html") && rc != ADS_ACCOUNT_INVALID_STATE) {
        buf_t loc;
        buf_init(&loc, 4096);
        buf_appendf(&loc, PAGE "?ads_connected=0&ads_error=%s&message=", ecode);
        httpx_urlencode(&loc, err);
        buf_appends(&loc, "#tiktok-ads");
        httpx_redirect(rq->conn, loc.data);
        buf_free(&loc);
        return 302;
    }
    return http_reply_error(rq, status, ecode, "%s", err);
}

static int reply_account(req_t *rq)
{
    json_t *st = NULL, *last = NULL;
    if (ads_account_status(rq->app->cfg, rq->redis, &st) != 0 || ads_spend_last(rq->redis, &last) != 0) {
        json_decref(st);
        return http_reply_redis_down(rq);
    }
    json_object_set_new(st, "last_spend_sync", last ? last : json_null());
    return http_reply_json(rq, 200, st);
}

int route_ads_account_get(req_t *rq)
{
    return reply_account(rq);
}

int route_ads_account_put(req_t *rq)
{
    char err[512];
    ads_account_rc rc = ads_account_select(rq->redis, rq->json, err, sizeof(err));
    if (rc == ADS_ACCOUNT_NOT_CONNECTED)
        return http_reply_error(rq, 409, "not_connected", "the TikTok Ads account is not connected: connect it first");
    if (rc == ADS_ACCOUNT_EXCHANGE_FAILED)
        return http_reply_error(rq, 400, "invalid_field", "%s", err);
    if (rc != ADS_ACCOUNT_OK)
        return http_reply_redis_down(rq);
    return reply_account(rq);
}

int route_ads_oauth_disconnect(req_t *rq)
{
    if (ads_account_disconnect(rq->app->cfg, rq->redis) == ADS_ACCOUNT_UNAVAILABLE)
        return http_reply_redis_down(rq);
    return reply_account(rq);
}

int route_ads_spend_sync_start(req_t *rq)
{
    char job[ADS_SPEND_JOB_ID_HEX + 1] = "", wait[8] = "";
    int blocking = httpx_query(rq->conn, "wait", wait, sizeof(wait)) > 0 && strcmp(wait, "0") != 0;
    ads_spend_rc rc = ads_spend_create(rq->app->cfg, rq->redis, job);
    if (rc == SPEND_NOT_CONNECTED)
        return http_reply_error(rq, 409, "not_connected",
                                "the TikTok Ads account is not connected: click Connect TikTok Ads account first");
    if (rc == SPEND_NO_ADVERTISER)
        return http_reply_error(rq, 409, "no_advertiser",
                                "no advertiser is selected: pick one with PUT /api/admin/ads/account");
    if (rc == SPEND_BUSY) {
        json_t *v = json_pack("{s:{s:s,s:s},s:s}", "error", "code", "sync_running", "message",
                              "a spend sync is already running", "job_id", job);
        return http_reply_json(rq, 409, v);
    }
    if (rc != SPEND_STARTED)
        return http_reply_redis_down(rq);
    if (blocking) {
        json_t *st = NULL;
        ads_spend_run(rq->app->cfg, rq->redis, job, &rq->app->stopping);
        if (ads_spend_get(rq->redis, job, &st) != 0)
            return http_reply_redis_down(rq);
        return http_reply_json(rq, 200, st);
    }
    if (service_run_spend_job(rq->app, job) != 0) {
        ads_spend_abort(rq->redis, job, "the spend sync job could not start (no thread)");
        return http_reply_error(rq, 500, "internal", "could not start the spend sync job");
    }
    return http_reply_json(rq, 202, json_pack("{s:s}", "job_id", job));
}

int route_ads_spend_sync_job(req_t *rq)
{
    json_t *st = NULL;
    int rc = ads_spend_get(rq->redis, rq->params[0], &st);
    if (rc < 0)
        return http_reply_redis_down(rq);
    if (rc > 0)
        return http_reply_error(rq, 404, "not_found", "no spend sync job %s", rq->params[0]);
    return http_reply_json(rq, 200, st);
}

/* from and to of the query into days; 0, or the status of the error sent. */
static int range(req_t *rq, long long *from, long long *to)
{
    char f[32] = "", t[32] = "";
    int hf = httpx_query(rq->conn, "from", f, sizeof(f)), ht = httpx_query(rq->conn, "to", t, sizeof(t));
    if (hf <= 0 || ht <= 0)
        return http_reply_error(rq, 400, "invalid_range", "%s: required, a date YYYY-MM-DD", hf <= 0 ? "from" : "to");
    if (day_parse(f, 0, from) != 0)
        return http_reply_error(rq, 400, "invalid_range", "from: %.20s is not a date YYYY-MM-DD", f);
    if (day_parse(t, 0, to) != 0)
        return http_reply_error(rq, 400, "invalid_range", "to: %.20s is not a date YYYY-MM-DD", t);
    if (*from > *to)
        return http_reply_error(rq, 400, "invalid_range", "from (%s) is after to (%s)", f, t);
    if (*to - *from + 1 > REPORT_MAX_DAYS)
        return http_reply_error(rq, 400, "invalid_range", "the range is %lld days; at most %d",
                                *to - *from + 1, REPORT_MAX_DAYS);
    return 0;
}

/* 1 when the caller asked for CSV (?format=csv or Accept: text/csv); -1
 * when format names something else (the error is sent). */
static int wants_csv(req_t *rq)
{
    char fmt[16] = "";
    if (httpx_query(rq->conn, "format", fmt, sizeof(fmt)) > 0) {
        if (strcmp(fmt, "csv") == 0)
            return 1;
        if (strcmp(fmt, "json") == 0)
            return 0;
        http_reply_error(rq, 400, "invalid_format", "format: csv or json");
        return -1;
    }
    const char *accept = mg_get_header(rq->conn, "Accept");
    return accept && strstr(accept, "text/csv") ? 1 : 0;
}

/* The report from..to into rep (released by the caller with report_free).
 * Returns 0, or the HTTP status of the error answer sent. */
static int load(req_t *rq, long long from, long long to, report_t *rep)
{
    char err[256];
    int rc = report_load(rq->redis, from, to, rep, err, sizeof(err));
    if (rc == -2)
        return http_reply_error(rq, 422, "too_many_currencies", "%s", err);
    return rc != 0 ? http_reply_redis_down(rq) : 0;
}

int route_report_daily(req_t *rq)
{
    long long from, to;
    report_t rep;
    int st = range(rq, &from, &to);
    if (st)
        return st;
    int csv = wants_csv(rq);
    if (csv < 0)
        return 400;
    st = load(rq, from, to, &rep);
    if (st)
        return st;
    buf_t out;
    buf_init(&out, REPORT_TEXT_MAX);
    json_t *extra = NULL;
    int rc;
    if (csv) {
        rc = report_csv(&rep, &out);
    } else {
        json_t *bf = NULL;
        if (revenue_backfill_status(rq->redis, &bf) != 0) {
            report_free(&rep);
            buf_free(&out);
            return http_reply_redis_down(rq);
        }
        extra = json_pack("{s:o,s:s,s:s}", "tiktok_shop_backfill", bf, "revenue_days", "UTC", "spend_days",
                          "the advertiser's time zone");
        rc = report_json(&rep, extra, &out);
    }
    json_decref(extra);
    report_free(&rep);
    if (rc != 0) {
        buf_free(&out);
        return http_reply_error(rq, 500, "internal", "the report is too large to render");
    }
    if (csv) {
        char hdr[160], f[DAY_TEXT_MAX], t[DAY_TEXT_MAX];
        day_format(from, f);
        day_format(to, t);
        snprintf(hdr, sizeof(hdr), "Content-Disposition: attachment; filename=\"shopsync-report-%s-%s.csv\"\r\n", f, t);
        httpx_send(rq->conn, 200, "text/csv; charset=utf-8", out.data ? out.data : "", out.len, hdr);
    } else {
        httpx_send(rq->conn, 200, "application/json", out.data ? out.data : "", out.len, NULL);
    }
    buf_free(&out);
    return 200;
}

int route_report_campaigns(req_t *rq)
{
    long long from, to;
    report_t rep;
    int st = range(rq, &from, &to);
    if (!st)
        st = load(rq, from, to, &rep);
    if (st)
        return st;
    buf_t out;
    buf_init(&out, REPORT_TEXT_MAX);
    int rc = report_campaigns_json(&rep, &out);
    report_free(&rep);
    if (rc != 0) {
        buf_free(&out);
        return http_reply_error(rq, 500, "internal", "the campaign list is too large to render");
    }
    httpx_send(rq->conn, 200, "application/json", out.data ? out.data : "", out.len, NULL);
    buf_free(&out);
    return 200;
}
