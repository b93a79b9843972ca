/*
 * ads_delivery — sends the queued TikTok Ads events (ads_events) to the
 * Events API: whatever is waiting, up to 1,000 events per request (one
 * request per event source), as soon as it arrives, so a lone event leaves
 * within a second and a backlog in as few requests as it takes. Requests
 * stay under 900 per second across instances (the shared limiter), below
 * TikTok's 1,000.
 *
 * Outcomes (ads_client): accepted → acknowledged; rate limit, 5xx, timeout,
 * network error → the same request again after a back-off (1 s doubling to
 * 60 s; nothing is dropped); 40002 on several events → halved until the
 * event TikTok refuses is alone; a refused event, or any other client error
 * → dead letter (/api/admin/dlq, source tiktok_ads) with TikTok's message;
 * token refused → the connection says so and every event is held
 * (stream:ads:held) until another token is in force, then sent.
 *
 * Redis: P ads:recent (≤ 100, newest first), P ads:day:<yyyy-mm-dd> (hash
 * sent, failed; 8 days).
 */
#ifndef SHOPSYNC_ADS_DELIVERY_H
#define SHOPSYNC_ADS_DELIVERY_H

#include <jansson.h>
#include <stdatomic.h>

#include "shopsync/buf.h"
#include "shopsync/config.h"
#include "shopsync/redis.h"

#define ADS_TRACK_PATH "/open_api/v1.3/event/track/"
#define ADS_RATE_PER_S 900

/* The delivery loop of one thread, until *stopping is set: cfg borrowed for
 * the process life. An event in hand when it stops is left pending and
 * sent after the next start. */
void ads_delivery_run(const config_t *cfg, atomic_int *stopping);

/* Put events held while the token was refused back on the ads stream,
 * oldest first (the delivery loop calls it once another token is in
 * force). *n receives how many. Returns 0 or -1. */
int ads_delivery_release(redis_conn_t *r, long long *n);

/* The page's view (new object in *out): today's (UTC) sent, failed,
 * waiting and held counts, the last `limit` events sent or failed, and the
 * ads dead letters. Returns 0 or -1. */
int ads_delivery_overview(redis_conn_t *r, int limit, json_t **out);

/* Append the ads metrics to out: events by source and result, waiting and
 * held gauges. Returns 0, or -1 when out is full. */
int ads_delivery_metrics(buf_t *out, redis_conn_t *r);

#endif
