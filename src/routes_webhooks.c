/*
 * routes_webhooks — intake of TikTok Shop and Stripe webhooks: verify the
 * signature on the raw body, store the event durably with its dedupe marker
 * in one step, answer fast. Processing happens in the queue workers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "routes.h"
#include "shopsync/ads_events.h"
#include "shopsync/crypto.h"
#include "shopsync/httpx.h"
#include "shopsync/jsonx.h"
#include "shopsync/log.h"
#include "shopsync/metrics.h"
#include "shopsync/queue.h"
#include "shopsync/checkout.h"
#include "shopsync/stock.h"
#include "shopsync/stripe.h"
#include "shopsync/tiktok_sign.h"
#include "shopsync/util.h"

/* Longer than the providers' retry horizons: TikTok retries for about 16 h,
 * Stripe for 3 days. */
#define TIKTOK_DEDUPE_TTL_S (3 * 86400)
#define STRIPE_DEDUPE_TTL_S (7 * 86400)

static int enqueue_reply(req_t *rq, queue_rc q, metric_id_t dup_metric, int json_reply)
{
    switch (q) {
    case QUEUE_ADDED:
        break;
    case QUEUE_DUPLICATE:
        metrics_add(dup_metric, 1);
        break;
    case QUEUE_FULL:
        return http_reply_error(rq, 503, "backlog_full", "too many events are waiting; retry later");
    default:
        return http_reply_redis_down(rq);
    }
    if (json_reply)
        return http_reply_json(rq, 200, json_pack("{s:b,s:b}", "received", 1, "duplicate", q == QUEUE_DUPLICATE));
    httpx_send_empty(rq->conn, 200, NULL);
    return 200;
}

int route_tiktok_webhook(req_t *rq)
{
    const config_t *cfg = rq->app->cfg;
    const char *auth = mg_get_header(rq->conn, "Authorization");
    const char *alt_sig = mg_get_header(rq->conn, "x-tiktok-shop-signature");
    const char *alt_ts = mg_get_header(rq->conn, "x-tiktok-shop-timestamp");
    const char *body = rq->body.data ? rq->body.data : "";
    int ok = 0;

    metrics_add(M_WEBHOOK_TIKTOK_RECEIVED, 1);
    if (cfg->tiktok_app_key[0] && cfg->tiktok_app_secret[0]) {
        if (auth && *auth)
            ok = tiktok_webhook_verify(cfg->tiktok_app_key, cfg->tiktok_app_secret, body, rq->body.len, auth) == 1;
        else if (alt_sig && alt_ts)
            ok = tiktok_webhook_relay_verify(cfg->tiktok_app_secret, alt_ts, alt_sig, body, rq->body.len,
                                             (long long)time(NULL)) == 1;
    }
    if (!ok) {
        metrics_add(M_WEBHOOK_TIKTOK_REJECTED, 1);
        log_msg(LOG_WARN, "webhook_rejected", "tiktok: missing or wrong signature");
        httpx_send_empty(rq->conn, 401, NULL);
        return 401;
    }
    char jerr[256], id[QUEUE_EVENT_ID_MAX];
    json_t *doc = jsonx_loadb(body, rq->body.len, jerr, sizeof(jerr));
    if (!doc || !json_is_object(doc)) {
        metrics_add(M_WEBHOOK_TIKTOK_REJECTED, 1);
        json_decref(doc);
        return http_reply_error(rq, 400, "invalid_json", "%s", doc ? "the body must be a JSON object" : jerr);
    }
    if (jsonx_get_id(doc, "tts_notification_id", id, sizeof(id), jerr, sizeof(jerr)) != 0) {
        /* Without TikTok's id, the body itself identifies the push: an
         * identical retry is still recognised. */
        unsigned char h[32];
        char hex[65];
        crypto_sha256(body, rq->body.len, h);
        crypto_hex(h, sizeof(h), hex);
        snprintf(id, sizeof(id), "sha256-%s", hex);
    }
    /* TikTok stamps the notification with the event's time (seconds): how
     * late it arrives tells how long a low-stock SKU's sales take to
     * settle. */
    json_t *ts = json_object_get(doc, "timestamp");
    if (json_is_integer(ts) && json_integer_value(ts) > 0 && json_integer_value(ts) < 1LL << 40)
        stock_note_hook_lag(rq->redis, util_now_ms() - json_integer_value(ts) * 1000);
    json_decref(doc);
    return enqueue_reply(rq, queue_enqueue(rq->redis, "tiktok", id, body, rq->body.len, TIKTOK_DEDUPE_TTL_S),
                         M_WEBHOOK_TIKTOK_DUPLICATE, 0);
}

/* A sale that carries its items is applied while its webhook is answered
 * (an expired session's hold is released the same way),
 * so the website reads the new stock before its next buyer asks: a worker
 * would first finish other events' provider calls. The event is already
 * stored; its checkout ledger makes the worker's turn a no-op, and a
 * failure here leaves the work to the worker. */
static void apply_now(req_t *rq, const stripe_event_t *ev)
{
    char err[CHECKOUT_ERR_MAX] = "";
    checkout_event_t ce;
    ce.ev = *ev;
    checkout_need need = checkout_classify(&ce);
    if (need == CHECKOUT_READY)
        checkout_finish(rq->redis, &ce, err, sizeof(err));
    else if (need == CHECKOUT_RELEASE)
        checkout_release(rq->redis, &ce, err, sizeof(err));
    checkout_event_free(&ce);
}

int route_stripe_webhook(req_t *rq)
{
    const config_t *cfg = rq->app->cfg;
    const char *sig = mg_get_header(rq->conn, "Stripe-Signature");
    const char *body = rq->body.data ? rq->body.data : "";
    char err[256] = "";

    metrics_add(M_WEBHOOK_STRIPE_RECEIVED, 1);
    if (!cfg->stripe_webhook_secret[0]) {
        metrics_add(M_WEBHOOK_STRIPE_REJECTED, 1);
        return http_reply_error(rq, 503, "not_configured", "STRIPE_WEBHOOK_SECRET is not set on this shopsync");
    }
    if (!sig) {
        metrics_add(M_WEBHOOK_STRIPE_REJECTED, 1);
        return http_reply_error(rq, 400, "invalid_signature", "missing Stripe-Signature header");
    }
    int v = stripe_verify_signature(sig, body, rq->body.len, cfg->stripe_webhook_secret, (long long)time(NULL),
                                    STRIPE_DEFAULT_TOLERANCE_S, err, sizeof(err));
    if (v != STRIPE_SIG_OK) {
        metrics_add(M_WEBHOOK_STRIPE_REJECTED, 1);
        log_msg(LOG_WARN, "webhook_rejected", "stripe: %s", err);
        return http_reply_error(rq, 400, "invalid_signature", "Stripe-Signature: %s", err);
    }
    stripe_event_t ev;
    if (stripe_parse_event(body, rq->body.len, &ev, err, sizeof(err)) != 0) {
        metrics_add(M_WEBHOOK_STRIPE_REJECTED, 1);
        return http_reply_error(rq, 400, "invalid_event", "%s", err);
    }
    /* The buyer's email and phone are hashed before the event is stored
     * (TikTok Ads needs only the hashes; nothing else reads them). */
    char *clean = NULL;
    size_t clean_len = 0;
    ads_events_redact_stripe(cfg->phone_region, body, rq->body.len, &clean, &clean_len);
    queue_rc q = queue_enqueue(rq->redis, "stripe", ev.id, clean ? clean : body, clean ? clean_len : rq->body.len,
                               STRIPE_DEDUPE_TTL_S);
    free(clean);
    if (q == QUEUE_ADDED && ((ev.applies && ev.has_items) || (ev.expired && ev.hold[0])))
        apply_now(rq, &ev);
    return enqueue_reply(rq, q, M_WEBHOOK_STRIPE_DUPLICATE, 1);
}
