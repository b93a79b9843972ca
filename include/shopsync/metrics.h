/*
 * metrics — process counters and the TikTok API latency histogram, rendered
 * with gauges read from Redis in the Prometheus text format for GET /metrics.
 */
#ifndef SHOPSYNC_METRICS_H
#define SHOPSYNC_METRICS_H

#include "shopsync/buf.h"
#include "shopsync/redis.h"

typedef enum {
    M_WEBHOOK_TIKTOK_RECEIVED,
    M_WEBHOOK_TIKTOK_REJECTED,
    M_WEBHOOK_TIKTOK_DUPLICATE,
    M_WEBHOOK_STRIPE_RECEIVED,
    M_WEBHOOK_STRIPE_REJECTED,
    M_WEBHOOK_STRIPE_DUPLICATE,
    M_EVENTS_PROCESSED,
    M_EVENTS_FAILED,
    M_EVENTS_DEAD_LETTERED,
    M_PUSHES_SENT,
    M_PUSHES_FAILED,
    M_PUSHES_RETRIED,
    M_PUSHES_SKIPPED,
    M_SETTLES_ENDED_EARLY,
    M_SETTLES_WAITING,
    M_SETTLE_READS_FAILED,
    M_DRIFT_FOUND,
    M_ADS_ERASURES,
    M_COUNT
} metric_id_t;

/* Add n to counter id (thread-safe). */
void metrics_add(metric_id_t id, unsigned long n);

/* Current value of counter id. */
unsigned long metrics_get(metric_id_t id);

/* The TikTok client's observe hook: one finished API attempt. api is
 * borrowed. */
void metrics_tiktok_observe(void *ctx, const char *api, long http_status, long long code,
                            double seconds);

/* Append the whole exposition to out, reading queue depth, oldest pending
 * age, DLQ size, oversells and token expiry from Redis through r. Returns 0,
 * or -1 when out is full. */
int metrics_render(buf_t *out, redis_conn_t *r);

#endif
