/*
 * routes_ops — operations: dead letters, reconciliation and metrics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"
#include "shopsync/ads_delivery.h"
#include "shopsync/connection.h"
#include "shopsync/http_client.h"
#include "shopsync/httpx.h"
#include "shopsync/metrics.h"
#include "shopsync/queue.h"
#include "shopsync/reconcile.h"

int route_dlq_list(req_t *rq)
{
    json_t *list = NULL;
    long long total = 0;
    if (queue_dlq_list(rq->redis, 200, &list, &total) != 0)
        return http_reply_redis_down(rq);
    return http_reply_json(rq, 200, json_pack("{s:o,s:I}", "entries", list, "total", (json_int_t)total));
}

int route_dlq_replay(req_t *rq)
{
    json_t *id = json_object_get(rq->json, "id");
    json_t *all = json_object_get(rq->json, "all");
    if (!(json_is_string(id) && !all) && !(json_is_true(all) && !id))
        return http_reply_error(rq, 400, "invalid_field", "send {\"id\":\"<dead letter id>\"} or {\"all\":true}");
    long long n = 0;
    int rc = queue_dlq_replay(rq->redis, id ? json_string_value(id) : NULL, &n);
    if (rc < 0)
        return http_reply_redis_down(rq);
    if (rc > 0)
        return http_reply_error(rq, 404, "not_found", "no dead letter with id %s", json_string_value(id));
    return http_reply_json(rq, 200, json_pack("{s:I}", "replayed", (json_int_t)n));
}

int route_reconcile_get(req_t *rq)
{
    json_t *report = NULL;
    if (reconcile_last(rq->redis, &report) != 0)
        return http_reply_redis_down(rq);
    return http_reply_json(rq, 200, json_pack("{s:o}", "report", report ? report : json_null()));
}

int route_reconcile_post(req_t *rq)
{
    json_t *repair = json_object_get(rq->json, "repair");
    if (repair && !json_is_boolean(repair))
        return http_reply_error(rq, 400, "invalid_field", "repair: must be true or false");
    char missing[256];
    if (config_tiktok_missing(rq->app->cfg, missing, sizeof(missing)))
        return http_reply_error(rq, 409, "not_configured", "TikTok Shop is not configured: set %s and restart shopsync",
                                missing);
    connection_t *c = connection_open(rq->app->cfg, rq->redis);
    json_t *report = NULL;
    int rc = c ? reconcile_run(rq->app->cfg, rq->redis, c, json_is_true(repair), &report) : -1;
    connection_free(c);
    if (rc == 1)
        return http_reply_error(rq, 409, "not_connected", "TikTok Shop is not connected");
    if (rc != 0)
        return http_reply_error(rq, 503, "unavailable", "reconciliation failed: Redis or TikTok Shop is not answering");
    return http_reply_json(rq, 200, json_pack("{s:o}", "report", report));
}

int route_metrics(req_t *rq)
{
    buf_t b;
    buf_init(&b, 1024 * 1024);
    metrics_render(&b, rq->redis);
    ads_delivery_metrics(&b, rq->redis);
    httpx_send(rq->conn, 200, "text/plain; version=0.0.4", b.data ? b.data : "", b.len, NULL);
    buf_free(&b);
    return 200;
}
