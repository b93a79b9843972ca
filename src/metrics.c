/*
 * metrics — counters, the TikTok latency histogram and the Prometheus
 * exposition (see metrics.h).
 */
#include "shopsync/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopsync/keys.h"
#include "shopsync/queue.h"

#define MAX_APIS 32
#define MAX_CODES 32

static unsigned long counters[M_COUNT];

static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

typedef struct api_hist {
    char api[96];
    unsigned long bucket[N_BUCKETS];
    unsigned long count;
    double sum;
} api_hist_t;

typedef struct code_count {
    long long code;
    unsigned long n;
} code_count_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static api_hist_t hists[MAX_APIS];
static size_t n_hists;
static code_count_t codes[MAX_CODES];
static size_t n_codes;

static const struct {
    metric_id_t id;
    const char *name;
    const char *labels;
} names[] = {
    {M_WEBHOOK_TIKTOK_RECEIVED, "shopsync_webhooks_received_total", "provider=\"tiktok\""},
    {M_WEBHOOK_TIKTOK_REJECTED, "shopsync_webhooks_rejected_total", "provider=\"tiktok\""},
    {M_WEBHOOK_TIKTOK_DUPLICATE, "shopsync_webhooks_duplicate_total", "provider=\"tiktok\""},
    {M_WEBHOOK_STRIPE_RECEIVED, "shopsync_webhooks_received_total", "provider=\"stripe\""},
    {M_WEBHOOK_STRIPE_REJECTED, "shopsync_webhooks_rejected_total", "provider=\"stripe\""},
    {M_WEBHOOK_STRIPE_DUPLICATE, "shopsync_webhooks_duplicate_total", "provider=\"stripe\""},
    {M_EVENTS_PROCESSED, "shopsync_events_processed_total", ""},
    {M_EVENTS_FAILED, "shopsync_events_failed_total", ""},
    {M_EVENTS_DEAD_LETTERED, "shopsync_events_dead_lettered_total", ""},
    {M_PUSHES_SENT, "shopsync_pushes_sent_total", ""},
    {M_PUSHES_FAILED, "shopsync_pushes_failed_total", ""},
    {M_PUSHES_RETRIED, "shopsync_pushes_retried_total", ""},
    {M_PUSHES_SKIPPED, "shopsync_pushes_skipped_total", ""},
    {M_SETTLES_ENDED_EARLY, "shopsync_settle_reads_total", "result=\"ended\""},
    {M_SETTLES_WAITING, "shopsync_settle_reads_total", "result=\"waiting\""},
    {M_SETTLE_READS_FAILED, "shopsync_settle_reads_total", "result=\"failed\""},
    {M_DRIFT_FOUND, "shopsync_drift_found_total", ""},
    {M_ADS_ERASURES, "shopsync_ads_buyer_erasures_total", ""},
};

void metrics_add(metric_id_t id, unsigned long n)
{
    __atomic_add_fetch(&counters[id], n, __ATOMIC_RELAXED);
}

unsigned long metrics_get(metric_id_t id)
{
    return __atomic_load_n(&counters[id], __ATOMIC_RELAXED);
}

void metrics_tiktok_observe(void *ctx, const char *api, long http_status, long long code,
                            double seconds)
{
    (void)ctx;
    (void)http_status;
    pthread_mutex_lock(&lock);
    api_hist_t *h = NULL;
    for (size_t i = 0; i < n_hists; i++) {
        if (strcmp(hists[i].api, api) == 0) {
            h = &hists[i];
            break;
        }
    }
    if (!h && n_hists < MAX_APIS) {
        h = &hists[n_hists++];
        snprintf(h->api, sizeof(h->api), "%s", api);
    }
    if (h) {
        for (size_t b = 0; b < N_BUCKETS; b++)
            if (seconds <= buckets[b])
                h->bucket[b]++;
        h->count++;
        h->sum += seconds;
    }
    if (code != 0) {
        size_t i;
        for (i = 0; i < n_codes && codes[i].code != code; i++)
            ;
        if (i == n_codes && n_codes < MAX_CODES)
            codes[n_codes++].code = code;
        if (i < n_codes)
            codes[i].n++;
    }
    pthread_mutex_unlock(&lock);
}

/* A hash field of the key named key_suffix (a keys.h name) as a number; 0
 * when absent or unreadable, as a gauge that cannot be read shows. */
static long long hget_ll(redis_conn_t *r, const char *key_suffix, const char *field)
{
    char k[KEY_MAX];
    if (redis_key(k, sizeof(k), "%s", key_suffix))
        return 0;
    redisReply *rep = redis_cmd(r, "HGET %s %s", k, field);
    long long v = 0;
    if (rep && rep->type == REDIS_REPLY_STRING)
        v = strtoll(rep->str, NULL, 10);
    if (rep)
        freeReplyObject(rep);
    return v;
}

int metrics_render(buf_t *out, redis_conn_t *r)
{
    int rc = 0;
    const char *last = "";
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(last, names[i].name) != 0)
            rc |= buf_appendf(out, "# TYPE %s counter\n", names[i].name);
        last = names[i].name;
        rc |= buf_appendf(out, "%s%s%s%s %lu\n", names[i].name, names[i].labels[0] ? "{" : "", names[i].labels,
                          names[i].labels[0] ? "}" : "", metrics_get(names[i].id));
    }
    rc |= buf_appendf(out, "# TYPE shopsync_redis_errors_total counter\nshopsync_redis_errors_total %lu\n",
                      redis_error_count());

    pthread_mutex_lock(&lock);
    rc |= buf_appends(out, "# TYPE shopsync_tiktok_api_seconds histogram\n");
    for (size_t i = 0; i < n_hists; i++) {
        for (size_t b = 0; b < N_BUCKETS; b++)
            rc |= buf_appendf(out, "shopsync_tiktok_api_seconds_bucket{api=\"%s\",le=\"%g\"} %lu\n", hists[i].api,
                              buckets[b], hists[i].bucket[b]);
        rc |= buf_appendf(out, "shopsync_tiktok_api_seconds_bucket{api=\"%s\",le=\"+Inf\"} %lu\n", hists[i].api,
                          hists[i].count);
        rc |= buf_appendf(out, "shopsync_tiktok_api_seconds_sum{api=\"%s\"} %.6f\n", hists[i].api, hists[i].sum);
        rc |= buf_appendf(out, "shopsync_tiktok_api_seconds_count{api=\"%s\"} %lu\n", hists[i].api, hists[i].count);
    }
    rc |= buf_appends(out, "# TYPE shopsync_tiktok_api_errors_total counter\n");
    for (size_t i = 0; i < n_codes; i++)
        rc |= buf_appendf(out, "shopsync_tiktok_api_errors_total{code=\"%lld\"} %lu\n", codes[i].code, codes[i].n);
    pthread_mutex_unlock(&lock);

    queue_stats_t qs;
    if (queue_stats(r, &qs) == 0) {
        rc |= buf_appendf(out, "# TYPE shopsync_queue_depth gauge\nshopsync_queue_depth %lld\n", qs.depth);
        rc |= buf_appendf(out, "# TYPE shopsync_queue_pending gauge\nshopsync_queue_pending %lld\n", qs.pending);
        rc |= buf_appendf(out, "# TYPE shopsync_queue_oldest_pending_seconds gauge\nshopsync_queue_oldest_pending_seconds %.3f\n",
                          qs.oldest_pending_age_ms / 1000.0);
        rc |= buf_appendf(out, "# TYPE shopsync_dlq_size gauge\nshopsync_dlq_size %lld\n", qs.dead);
        rc |= buf_appendf(out, "# TYPE shopsync_push_dirty_skus gauge\nshopsync_push_dirty_skus %lld\n", qs.dirty);
        rc |= buf_appendf(out, "# TYPE shopsync_events_parked gauge\nshopsync_events_parked %lld\n", qs.parked);
    }
    /* Counted by the hold scripts themselves, once per hold, whichever
     * instance ran them. */
    static const char *const holds[] = {"created", "consumed", "released", "expired"};
    for (size_t i = 0; i < sizeof(holds) / sizeof(holds[0]); i++) {
        char field[32];
        snprintf(field, sizeof(field), "holds_%s", holds[i]);
        rc |= buf_appendf(out, "# TYPE shopsync_holds_%s_total counter\nshopsync_holds_%s_total %lld\n", holds[i],
                          holds[i], hget_ll(r, KEY_STATS, field));
    }
    rc |= buf_appendf(out, "# TYPE shopsync_oversells_total counter\nshopsync_oversells_total %lld\n",
                      hget_ll(r, KEY_STATS, "oversells"));
    rc |= buf_appendf(out, "# TYPE shopsync_oversold_units_total counter\nshopsync_oversold_units_total %lld\n",
                      hget_ll(r, KEY_STATS, "oversold_units"));
    rc |= buf_appendf(out, "# TYPE shopsync_tiktok_token_expiry_timestamp_seconds gauge\nshopsync_tiktok_token_expiry_timestamp_seconds %lld\n",
                      hget_ll(r, KEY_TIKTOK_CONNECTION, "access_expires_at"));
    return rc ? -1 : 0;
}
