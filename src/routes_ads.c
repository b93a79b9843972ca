/*
 * routes_ads — TikTok Ads (Events API): the connection (admin), the page's
 * overview, offline sales uploads (admin), and the store events API for
 * the store's backend (admin or storefront token).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "routes.h"
#include "shopsync/ads_connection.h"
#include "shopsync/ads_delivery.h"
#include "shopsync/ads_events.h"
#include "shopsync/ads_offline.h"
#include "shopsync/jsonx.h"
#include "shopsync/log.h"

#define RECENT_ON_PAGE 20

static int reply_status(req_t *rq, int status)
{
    json_t *st = NULL;
    if (ads_connection_status(rq->app->cfg, rq->redis, &st) != 0)
        return http_reply_redis_down(rq);
    return http_reply_json(rq, status, st);
}

int route_ads_connection_get(req_t *rq)
{
    return reply_status(rq, 200);
}

int route_ads_connection_put(req_t *rq)
{
    char err[512];
    int rc = ads_connection_save(rq->app->cfg, rq->redis, rq->json, err, sizeof(err));
    if (rc < 0)
        return http_reply_redis_down(rq);
    if (rc > 0)
        return http_reply_error(rq, 400, "invalid_field", "%s", err);
    /* Events held under a refused token go out with the new one: the
     * delivery loop releases them, oldest first, before newer ones. */
    return reply_status(rq, 200);
}

int route_ads_connection_delete(req_t *rq)
{
    if (ads_connection_delete(rq->redis) != 0)
        return http_reply_redis_down(rq);
    return reply_status(rq, 200);
}

int route_ads_overview(req_t *rq)
{
    json_t *o = NULL;
    if (ads_delivery_overview(rq->redis, RECENT_ON_PAGE, &o) != 0)
        return http_reply_redis_down(rq);
    return http_reply_json(rq, 200, o);
}

/* The connection in force, or the HTTP status of the error sent: 503 when
 * Redis is away, 409 when what this source needs is not configured. */
static int need_connection(req_t *rq, int offline, ads_connection_t *c)
{
    if (ads_connection_load(rq->app->cfg, rq->redis, c) != 0)
        return http_reply_redis_down(rq);
    int ready = ads_connection_ready(c) && (!offline || c->offline_event_set_id[0]);
    ads_connection_clear(c);
    if (!ready)
        return http_reply_error(rq, 409, "not_connected",
                                offline ? "TikTok Ads is not connected: set the pixel, its access token and "
                                          "the offline event set id (TIKTOK_OFFLINE_EVENT_SET_ID, or the admin page)"
                                        : "TikTok Ads is not connected: set TIKTOK_PIXEL_ID and "
                                          "TIKTOK_EVENTS_API_ACCESS_TOKEN, or save them on the admin page");
    return 0;
}

/* One event through builder result b: queue it and describe the outcome in
 * a new result object. *unavailable is set when Redis refused the write. */
static json_t *take(req_t *rq, ads_origin origin, ads_build_rc b, const json_t *entry, const char *why,
                    const char *event_id, int *unavailable)
{
    json_t *res = json_pack("{s:s?}", "event_id", event_id);
    if (b != ADS_BUILD_OK) {
        ads_events_count(origin, ADS_IN_REJECTED);
        json_object_set_new(res, "status", json_string("rejected"));
        json_object_set_new(res, "error", json_string(why));
        return res;
    }
    ads_intake_rc q = ads_events_enqueue(rq->redis, origin, entry);
    if (q == ADS_QUEUED || q == ADS_DUPLICATE) {
        json_object_set_new(res, "status", json_string("accepted"));
        json_object_set_new(res, "duplicate", json_boolean(q == ADS_DUPLICATE));
    } else {
        *unavailable = 1;
        json_object_set_new(res, "status", json_string("rejected"));
        json_object_set_new(res, "error", json_string(q == ADS_BACKLOG_FULL ? "too many events are waiting; retry later"
                                                                            : "Redis is not answering; retry"));
    }
    return res;
}

/* The store's backend may use the admin token or the storefront token. */
static int store_authorized(req_t *rq)
{
    const char *why = NULL;
    if (http_storefront_authorized(rq))
        return 0;
    if (http_admin_authorized(rq, &why))
        return 0;
    if (strcmp(why, "redis") == 0)
        return http_reply_redis_down(rq);
    return http_reply_error(rq, 401, "unauthorized",
                            "send Authorization: Bearer <SHOPSYNC_STOREFRONT_TOKEN or SHOPSYNC_ADMIN_TOKEN>");
}

/* POST /api/events and /api/events/batch: the events of arr (borrowed). */
static int store_events(req_t *rq, const json_t *arr, int single)
{
    ads_connection_t c;
    char why[ADS_ERR_MAX];
    int unavailable = 0;
    int st = need_connection(rq, 0, &c);
    if (st)
        return st;
    ads_settings_t s = ads_events_settings(rq->app->cfg);
    json_t *results = json_array();
    size_t i;
    const json_t *in;
    int rejected = 0;
    json_array_foreach(arr, i, in) {
        json_t *entry = NULL;
        ads_build_rc b = ads_events_from_store(&s, in, &entry, why, sizeof(why));
        const char *id = json_string_value(json_object_get(in, "event_id"));
        json_t *res = take(rq, ADS_ORIGIN_STORE, b, entry, why, id, &unavailable);
        rejected |= b != ADS_BUILD_OK;
        json_array_append_new(results, res);
        json_decref(entry);
    }
    if (unavailable && single) {
        json_decref(results);
        return http_reply_redis_down(rq);
    }
    if (single && rejected) {
        json_t *r0 = json_array_get(results, 0);
        json_t *v = json_pack("{s:{s:s,s:s},s:o}", "error", "code", "invalid_event", "message",
                              json_string_value(json_object_get(r0, "error")), "results", results);
        return http_reply_json(rq, 400, v);
    }
    return http_reply_json(rq, 202, json_pack("{s:o}", "results", results));
}

int route_events_post(req_t *rq)
{
    int st = store_authorized(rq);
    if (st)
        return st;
    json_t *arr = json_pack("[O]", rq->json);
    st = store_events(rq, arr, 1);
    json_decref(arr);
    return st;
}

int route_events_batch(req_t *rq)
{
    int st = store_authorized(rq);
    if (st)
        return st;
    const json_t *events = json_object_get(rq->json, "events");
    if (!json_is_array(events) || json_array_size(events) == 0)
        return http_reply_error(rq, 400, "invalid_field", "events: required, an array of 1 to %d events",
                                ADS_MAX_BATCH);
    if (json_array_size(events) > ADS_MAX_BATCH)
        return http_reply_error(rq, 413, "too_many_events", "events: %zu events; at most %d per request",
                                json_array_size(events), ADS_MAX_BATCH);
    if (json_object_size(rq->json) != 1)
        return http_reply_error(rq, 400, "invalid_field", "only \"events\" is expected at the top level");
    return store_events(rq, events, 0);
}

/* POST /api/admin/ads/offline-events: a JSON array of rows or text/csv. */
int route_ads_offline(req_t *rq)
{
    const char *ct = mg_get_header(rq->conn, "Content-Type");
    char err[512], why[ADS_ERR_MAX];
    json_t *rows = NULL;
    ads_connection_t c;
    int st;

    if (ct && strncasecmp(ct, "text/csv", 8) == 0) {
        if (ads_offline_parse_csv(rq->body.data ? rq->body.data : "", rq->body.len, &rows, err, sizeof(err)) != 0)
            return http_reply_error(rq, 400, "invalid_csv", "%s", err);
    } else if (!ct || strncasecmp(ct, "application/json", 16) == 0) {
        rows = jsonx_loadb(rq->body.data ? rq->body.data : "", rq->body.len, err, sizeof(err));
        if (!rows)
            return http_reply_error(rq, 400, "invalid_json", "%s", err);
        if (!json_is_array(rows)) {
            json_decref(rows);
            return http_reply_error(rq, 400, "invalid_json", "the body must be a JSON array of rows");
        }
        if (json_array_size(rows) > ADS_OFFLINE_MAX_ROWS) {
            json_decref(rows);
            return http_reply_error(rq, 413, "too_many_rows", "at most %d rows per upload", ADS_OFFLINE_MAX_ROWS);
        }
    } else {
        return http_reply_error(rq, 415, "unsupported_media_type", "send text/csv or application/json (an array of rows)");
    }
    if ((st = need_connection(rq, 1, &c)) != 0) {
        json_decref(rows);
        return st;
    }
    ads_settings_t s = ads_events_settings(rq->app->cfg);
    json_t *results = json_array();
    int unavailable = 0;
    long long accepted = 0, rejected = 0;
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *entry = NULL;
        ads_build_rc b = ads_offline_build(&s, row, &entry, why, sizeof(why));
        const char *id = json_string_value(json_object_get(json_object_get(entry, "event"), "event_id"));
        if (!id)
            id = json_string_value(json_object_get(row, "event_id"));
        json_t *res = take(rq, ADS_ORIGIN_OFFLINE, b, entry, why, id && *id ? id : NULL, &unavailable);
        json_object_set_new(res, "row", json_integer((json_int_t)i + 1));
        if (strcmp(json_string_value(json_object_get(res, "status")), "accepted") == 0)
            accepted++;
        else
            rejected++;
        json_array_append_new(results, res);
        json_decref(entry);
    }
    json_decref(rows);
    if (unavailable) {
        json_decref(results);
        return http_reply_redis_down(rq);
    }
    log_event(LOG_INFO, "ads_offline_upload", json_pack("{s:I,s:I}", "accepted", (json_int_t)accepted, "rejected",
                                                        (json_int_t)rejected));
    return http_reply_json(rq, 202, json_pack("{s:I,s:I,s:o}", "accepted", (json_int_t)accepted, "rejected",
                                              (json_int_t)rejected, "results", results));
}
