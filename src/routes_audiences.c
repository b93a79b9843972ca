/*
 * routes_audiences — TikTok Ads custom audiences from the store's buyers
 * (ads_audiences) and buyer erasure (ads_buyers).
 */
#include <stdio.h>
#include <string.h>

#include "routes.h"
#include "shopsync/ads_audiences.h"
#include "shopsync/ads_buyers.h"
#include "shopsync/httpx.h"

/* Answer rc of an audience call; out (stolen) is the body on AUD_OK. */
static int reply(req_t *rq, ads_audience_rc rc, json_t *out, int ok_status, const char *err)
{
    switch (rc) {
    case AUD_OK:
        return http_reply_json(rq, ok_status, out);
    case AUD_NOT_FOUND:
        return http_reply_error(rq, 404, "not_found", "no audience %s", rq->params[0]);
    case AUD_INVALID:
        return http_reply_error(rq, 400, "invalid_field", "%s", err);
    case AUD_CONFLICT:
        return http_reply_error(rq, 409, "conflict", "%s", err);
    case AUD_FULL:
        return http_reply_error(rq, 409, "too_many_audiences", "%s", err);
    case AUD_BUSY:
        return http_reply_error(rq, 409, "sync_running", "an audience sync is already running: try again shortly");
    case AUD_NOT_CONNECTED:
        return http_reply_error(rq, 409, "not_connected",
                                "the TikTok Ads account is not connected: click Connect TikTok Ads account first");
    case AUD_FAILED:
        /* The sync ran to its end, as a spend sync with ?wait=1: TikTok's
         * refusal is the audience's error, shown with it. */
        return http_reply_json(rq, 200, out);
    default:
        json_decref(out);
        return http_reply_redis_down(rq);
    }
}

int route_audiences_list(req_t *rq)
{
    json_t *list = NULL;
    long long buyers = 0;
    ads_audience_rc rc = ads_audiences_list(rq->redis, &list);
    if (rc == AUD_OK && ads_buyers_count(rq->redis, &buyers) != 0)
        rc = AUD_UNAVAILABLE;
    json_t *out = rc == AUD_OK ? json_pack("{s:o,s:I,s:I}", "audiences", list, "buyers", (json_int_t)buyers,
                                           "minimum", (json_int_t)ADS_AUDIENCE_MIN)
                               : NULL;
    if (rc != AUD_OK)
        json_decref(list);
    return reply(rq, rc, out, 200, "");
}

int route_audience_create(req_t *rq)
{
    char err[ADS_AUDIENCE_ERR_MAX];
    json_t *out = NULL;
    ads_audience_rc rc = ads_audiences_create(rq->redis, rq->json, &out, err, sizeof(err));
    return reply(rq, rc, out, 201, err);
}

int route_audience_get(req_t *rq)
{
    json_t *out = NULL;
    ads_audience_rc rc = ads_audiences_get(rq->redis, rq->params[0], &out);
    return reply(rq, rc, out, 200, "");
}

int route_audience_put(req_t *rq)
{
    char err[ADS_AUDIENCE_ERR_MAX];
    json_t *out = NULL;
    ads_audience_rc rc = ads_audiences_update(rq->redis, rq->params[0], rq->json, &out, err, sizeof(err));
    return reply(rq, rc, out, 200, err);
}

int route_audience_delete(req_t *rq)
{
    ads_audience_rc rc = ads_audiences_delete(rq->redis, rq->params[0]);
    return reply(rq, rc, rc == AUD_OK ? json_pack("{s:s,s:b}", "id", rq->params[0], "deleted", 1) : NULL, 200, "");
}

int route_audience_sync(req_t *rq)
{
    json_t *out = NULL;
    ads_audience_rc rc = ads_audiences_sync(rq->app->cfg, rq->redis, rq->params[0], &out);
    return reply(rq, rc, out, 200, "");
}

int route_customer_erase(req_t *rq)
{
    char email[ADS_HASH_INPUT_MAX], phone[ADS_HASH_INPUT_MAX], key[ADS_HASH_HEX], err[256];
    int has_email = httpx_query(rq->conn, "email", email, sizeof(email)) > 0;
    int has_phone = httpx_query(rq->conn, "phone", phone, sizeof(phone)) > 0;
    if (has_email == has_phone)
        return http_reply_error(rq, 400, "invalid_field", "give exactly one of email= or phone= (the buyer's address "
                                                          "or number, or its SHA-256)");
    const char *field = has_email ? "email" : "phone";
    int f = ads_buyers_find(rq->app->cfg, rq->redis, has_email ? ADS_ID_EMAIL : ADS_ID_PHONE,
                            has_email ? email : phone, key, err, sizeof(err));
    if (f == 2)
        return http_reply_error(rq, 400, "invalid_field", "%s: %s", field, err);
    if (f < 0)
        return http_reply_redis_down(rq);
    if (f == 1)
        return http_reply_error(rq, 404, "not_found", "no buyer with that %s", field);
    int e = ads_buyers_erase(rq->redis, key);
    if (e < 0)
        return http_reply_redis_down(rq);
    if (e == 1)
        return http_reply_error(rq, 404, "not_found", "no buyer with that %s", field);
    return http_reply_json(rq, 200, json_pack("{s:b,s:s}", "erased", 1, "note",
                                              "the buyer leaves every TikTok audience at its next sync"));
}
