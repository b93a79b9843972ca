/*
 * ads_delivery — the Events API delivery loop (see ads_delivery.h).
 */
#include "shopsync/ads_delivery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shopsync/ads_client.h"
#include "shopsync/ads_connection.h"
#include "shopsync/ads_events.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"
#include "shopsync/queue.h"
#include "shopsync/ratelimit.h"
#include "shopsync/util.h"

#define READ_BLOCK_MS 500
#define IDLE_MS 250
#define RECLAIM_EVERY_MS 5000
/* Longer than the longest back-off, during which the batch is touched. */
#define RECLAIM_IDLE_MS 30000
#define TOUCH_EVERY_MS 10000
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define RECENT_MAX 100
#define RECENT_PER_RANGE 20
#define DAY_TTL_S (8 * 86400)
#define HELD_REASON "TikTok refused the access token"

/* Delivery results per origin (the intake's are in ads_events). */
typedef enum { OUT_SENT = 0, OUT_RETRIED, OUT_DEAD_LETTERED, OUT_HELD, OUT_COUNT } out_result;
static unsigned long delivered[ADS_ORIGIN_COUNT][OUT_COUNT];

static void count_out(ads_origin o, out_result res, unsigned long n)
{
    __atomic_add_fetch(&delivered[o][res], n, __ATOMIC_RELAXED);
}

/* One batch in hand. */
typedef struct batch {
    queue_entry_t e[ADS_MAX_BATCH];
    json_t *doc[ADS_MAX_BATCH];         /* parsed entry (owned), NULL when malformed */
    ads_origin origin[ADS_MAX_BATCH];
    unsigned char settled[ADS_MAX_BATCH];
    int idx[ADS_MAX_BATCH];             /* the entries of the source being sent */
    int n;
} batch_t;

typedef struct ctx {
    const config_t *cfg;
    atomic_int *stopping;
    redis_conn_t *r;
    char consumer[128];
    batch_t *b;
    long long touched_ms;
} ctx_t;

typedef enum { SENT_DONE = 0, SENT_REJECTED = 1, SENT_STOPPED = 2 } send_rc;

static void today(char out[16])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

static void count_day(redis_conn_t *r, const char *field, long long n)
{
    char day[16], k[KEY_MAX];
    today(day);
    if (redis_key(k, sizeof(k), KEY_ADS_DAY_FMT, day))
        return;
    redisReply *rep = redis_cmd(r, "HINCRBY %s %s %lld", k, field, n);
    if (rep)
        freeReplyObject(rep);
    rep = redis_cmd(r, "EXPIRE %s %d", k, DAY_TTL_S);
    if (rep)
        freeReplyObject(rep);
}

/* Remember the newest events of idx[lo, hi) for the page: name, id, value,
 * TikTok's code and message. */
static void remember(ctx_t *c, const int *idx, int lo, int hi, const char *status, long long code, const char *msg)
{
    char k[KEY_MAX];
    const char *argv[2 + RECENT_PER_RANGE];
    char *texts[RECENT_PER_RANGE];
    int argc = 0, m = 0;
    if (redis_key(k, sizeof(k), KEY_ADS_RECENT))
        return;
    argv[argc++] = "LPUSH";
    argv[argc++] = k;
    for (int i = hi - RECENT_PER_RANGE > lo ? hi - RECENT_PER_RANGE : lo; i < hi; i++) {
        const json_t *d = c->b->doc[idx[i]];
        const json_t *ev = json_object_get(d, "event");
        const json_t *props = json_object_get(ev, "properties");
        json_t *o = json_pack("{s:I,s:s,s:s,s:O,s:O,s:O,s:s,s:I,s:s}", "at", (json_int_t)time(NULL), "source",
                              ads_events_origin_name(c->b->origin[idx[i]]), "event",
                              json_string_value(json_object_get(ev, "event")) ? json_string_value(json_object_get(ev, "event")) : "",
                              "event_id", json_object_get(ev, "event_id") ? json_object_get(ev, "event_id") : json_null(),
                              "value", json_object_get(props, "value") ? json_object_get(props, "value") : json_null(),
                              "currency", json_object_get(props, "currency") ? json_object_get(props, "currency") : json_null(),
                              "status", status, "code", (json_int_t)code, "message", msg);
        texts[m] = o ? ads_events_dump(o) : NULL;
        json_decref(o);
        if (texts[m])
            argv[argc++] = texts[m++];
    }
    if (m) {
        redisReply *rep = redis_cmd_argv(c->r, argc, argv, NULL);
        if (rep)
            freeReplyObject(rep);
        rep = redis_cmd(c->r, "LTRIM %s 0 %d", k, RECENT_MAX - 1);
        if (rep)
            freeReplyObject(rep);
    }
    for (int i = 0; i < m; i++)
        free(texts[i]);
}

/* TikTok accepted idx[lo, hi): acknowledge them in one step. A failed
 * acknowledgement leaves them pending, to be sent again after the reclaim
 * delay; TikTok drops the copy (same event_id within 48 h). */
static void settle_ack_range(ctx_t *c, const int *idx, int lo, int hi)
{
    const queue_entry_t *done[ADS_MAX_BATCH];
    for (int i = lo; i < hi; i++) {
        done[i - lo] = &c->b->e[idx[i]];
        c->b->settled[idx[i]] = 1;
    }
    if (queue_ack_many_in(c->r, QUEUE_ADS, done, hi - lo) != 0)
        log_event(LOG_WARN, "ads_ack_failed", json_pack("{s:I}", "events", (json_int_t)(hi - lo)));
}

static void settle_dead(ctx_t *c, int i, const char *msg)
{
    if (queue_dead_letter_in(c->r, QUEUE_ADS, &c->b->e[i], msg) == 0) {
        count_out(c->b->origin[i], OUT_DEAD_LETTERED, 1);
        c->b->settled[i] = 1;
    }
}

static void settle_hold(ctx_t *c, int i)
{
    if (queue_park_in(c->r, QUEUE_ADS, &c->b->e[i], HELD_REASON) == 0) {
        count_out(c->b->origin[i], OUT_HELD, 1);
        c->b->settled[i] = 1;
    }
}

/* Keep the batch claimed while a slow request or a back-off holds it, so
 * another instance does not send it too. */
static void keep_claim(ctx_t *c)
{
    long long t = util_monotonic_ms();
    if (t - c->touched_ms < TOUCH_EVERY_MS)
        return;
    queue_entry_t *open = calloc(ADS_MAX_BATCH, sizeof(*open));
    int m = 0;
    for (int i = 0; open && i < c->b->n; i++)
        if (!c->b->settled[i])
            open[m++] = c->b->e[i];
    if (m)
        queue_touch_in(c->r, QUEUE_ADS, c->consumer, open, m);
    free(open);
    c->touched_ms = t;
}

/* Sleep ms unless stopping; keeps the claim. Returns 1 when stopping. */
static int pause_ms(ctx_t *c, long long ms)
{
    for (long long waited = 0; waited < ms; waited += 100) {
        if (atomic_load(c->stopping))
            return 1;
        keep_claim(c);
        util_sleep_ms(100);
    }
    return atomic_load(c->stopping) ? 1 : 0;
}

/* The request body for idx[lo, hi) of source. New string or NULL. */
static char *request_body(ctx_t *c, const ads_connection_t *conn, const char *source, const int *idx, int lo, int hi)
{
    int offline = strcmp(source, "offline") == 0;
    json_t *req = json_pack("{s:s,s:s}", "event_source", source, "event_source_id",
                            offline ? conn->offline_event_set_id : conn->pixel_id);
    if (!req)
        return NULL;
    if (conn->test_event_code[0])
        json_object_set_new(req, "test_event_code", json_string(conn->test_event_code));
    json_t *data = json_array();
    for (int i = lo; i < hi; i++)
        json_array_append(data, json_object_get(c->b->doc[idx[i]], "event"));
    json_object_set_new(req, "data", data);
    char *text = ads_events_dump(req);
    json_decref(req);
    return text;
}

/* Send idx[lo, hi) of source until TikTok answers for good. */
static send_rc send_range(ctx_t *c, const char *source, const int *idx, int lo, int hi)
{
    long long backoff = BACKOFF_MIN_MS;
    char msg[ADS_CLIENT_MSG_MAX];
    for (;;) {
        if (atomic_load(c->stopping))
            return SENT_STOPPED;
        ads_connection_t conn;
        if (ads_connection_load(c->cfg, c->r, &conn) != 0) {
            if (pause_ms(c, 500))
                return SENT_STOPPED;
            continue;
        }
        if (conn.rejected_message[0] || !ads_connection_ready(&conn)) {
            ads_connection_clear(&conn);
            return SENT_REJECTED;
        }
        int offline = strcmp(source, "offline") == 0;
        if (offline && !conn.offline_event_set_id[0]) {
            for (int i = lo; i < hi; i++)
                settle_dead(c, idx[i], "TIKTOK_OFFLINE_EVENT_SET_ID is not set: set it (or save it on the page), then replay");
            ads_connection_clear(&conn);
            return SENT_DONE;
        }
        char *body = request_body(c, &conn, source, idx, lo, hi);
        if (!body) {
            ads_connection_clear(&conn);
            if (pause_ms(c, 500))
                return SENT_STOPPED;
            continue;
        }
        /* A slot of the shared limit; with Redis away, TikTok's own 40100
         * is the limit. */
        ratelimit_acquire(c->r, ADS_PROVIDER, "event_track", ADS_RATE_PER_S, 2000);
        ads_client_config_t cc = {c->cfg->ads_api_base, conn.access_token, 0};
        ads_client_result_t res;
        ads_client_rc rc = ads_client_call(&cc, "POST", ADS_TRACK_PATH, body, strlen(body), &res, msg, sizeof(msg));
        free(body);
        long long code = res.code;
        ads_client_result_free(&res);
        c->touched_ms = 0;
        keep_claim(c);
        switch (rc) {
        case ADS_CLIENT_OK:
            settle_ack_range(c, idx, lo, hi);
            for (int i = lo; i < hi; i++)
                count_out(c->b->origin[idx[i]], OUT_SENT, 1);
            count_day(c->r, "sent", hi - lo);
            remember(c, idx, lo, hi, "sent", code < 0 ? 0 : code, msg[0] ? msg : "OK");
            {
                const json_t *last = json_object_get(c->b->doc[idx[hi - 1]], "event");
                ads_connection_sent(c->r, ads_events_origin_name(c->b->origin[idx[hi - 1]]),
                                    json_string_value(json_object_get(last, "event")),
                                    json_string_value(json_object_get(last, "event_id")));
            }
            ads_connection_clear(&conn);
            return SENT_DONE;
        case ADS_CLIENT_TOKEN_REJECTED:
            ads_connection_reject(c->r, conn.token_fp, msg);
            ads_connection_clear(&conn);
            return SENT_REJECTED;
        case ADS_CLIENT_DEAD:
            ads_connection_clear(&conn);
            if (code == 40002 && hi - lo > 1) {
                /* A parameter error names one event's field: halve until
                 * the event TikTok refuses is alone, and send the rest. */
                int mid = lo + (hi - lo) / 2;
                send_rc a = send_range(c, source, idx, lo, mid);
                if (a != SENT_DONE)
                    return a;
                return send_range(c, source, idx, mid, hi);
            }
            log_event(LOG_WARN, "ads_events_refused", json_pack("{s:I,s:s}", "events", (json_int_t)(hi - lo), "error", msg));
            for (int i = lo; i < hi; i++)
                settle_dead(c, idx[i], msg);
            count_day(c->r, "failed", hi - lo);
            remember(c, idx, lo, hi, "dead_lettered", code, msg);
            return SENT_DONE;
        case ADS_CLIENT_RETRY:
        default:
            ads_connection_clear(&conn);
            for (int i = lo; i < hi; i++)
                count_out(c->b->origin[idx[i]], OUT_RETRIED, 1);
            log_event(LOG_WARN, "ads_events_retry", json_pack("{s:I,s:s,s:I}", "events", (json_int_t)(hi - lo), "error",
                                                              msg, "retry_in_ms", (json_int_t)backoff));
            /* TikTok's QPS limit frees within the second: no long wait. */
            if (pause_ms(c, code == 40100 ? BACKOFF_MIN_MS : backoff))
                return SENT_STOPPED;
            backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
            break;
        }
    }
}

static ads_origin origin_of(const json_t *doc)
{
    const char *o = json_string_value(json_object_get(doc, "origin"));
    for (int i = 0; o && i < ADS_ORIGIN_COUNT; i++)
        if (strcmp(o, ads_events_origin_name((ads_origin)i)) == 0)
            return (ads_origin)i;
    return ADS_ORIGIN_STORE;
}

/* 1 when the entry doc (borrowed, may be NULL) is of source. */
static int source_is(const json_t *doc, const char *source)
{
    const char *s = json_string_value(json_object_get(doc, "source"));
    return s && strcmp(s, source) == 0;
}

/* Send a batch read from the stream: web events in one request, offline in
 * another (each source has its own id). */
static void deliver(ctx_t *c)
{
    batch_t *b = c->b;
    static const char *const sources[] = {"web", "offline"};
    int rejected = 0;
    memset(b->settled, 0, sizeof(b->settled));
    c->touched_ms = util_monotonic_ms();
    for (int i = 0; i < b->n; i++) {
        char jerr[128];
        b->doc[i] = jsonx_loadb(b->e[i].body, b->e[i].len, jerr, sizeof(jerr));
        const char *src = json_string_value(json_object_get(b->doc[i], "source"));
        b->origin[i] = origin_of(b->doc[i]);
        if (!src || !json_is_object(json_object_get(b->doc[i], "event")) ||
            (strcmp(src, "web") != 0 && strcmp(src, "offline") != 0))
            settle_dead(c, i, "malformed ads event entry");
    }
    for (size_t s = 0; s < 2 && !rejected && !atomic_load(c->stopping); s++) {
        int m = 0;
        for (int i = 0; i < b->n; i++)
            if (!b->settled[i] && source_is(b->doc[i], sources[s]))
                b->idx[m++] = i;
        if (m && send_range(c, sources[s], b->idx, 0, m) == SENT_REJECTED)
            rejected = 1;
    }
    /* Refused token: what was not sent waits for the next one. Stopping:
     * what was not sent stays pending for the next start. */
    for (int i = 0; i < b->n; i++) {
        if (rejected && !b->settled[i])
            settle_hold(c, i);
        json_decref(b->doc[i]);
        b->doc[i] = NULL;
        queue_entry_free(&b->e[i]);
    }
    b->n = 0;
}

int ads_delivery_release(redis_conn_t *r, long long *n)
{
    return queue_unpark_in(r, QUEUE_ADS, n);
}

/* While the token is refused: whatever arrives is held with the rest,
 * unless a new token came in force while the read waited (then it is sent
 * now, not held again). */
static void hold_arrivals(ctx_t *c)
{
    int n = queue_read_in(c->r, QUEUE_ADS, c->consumer, c->b->e, ADS_MAX_BATCH, READ_BLOCK_MS);
    if (n <= 0) {
        util_sleep_ms(IDLE_MS);
        return;
    }
    ads_connection_t conn;
    int still = ads_connection_load(c->cfg, c->r, &conn) != 0 || conn.rejected_message[0] != '\0';
    ads_connection_clear(&conn);
    if (!still) {
        c->b->n = n;
        deliver(c);
        return;
    }
    for (int i = 0; i < n; i++) {
        char jerr[64];
        json_t *d = jsonx_loadb(c->b->e[i].body, c->b->e[i].len, jerr, sizeof(jerr));
        c->b->origin[i] = origin_of(d);
        json_decref(d);
        settle_hold(c, i);
        queue_entry_free(&c->b->e[i]);
    }
}

void ads_delivery_run(const config_t *cfg, atomic_int *stopping)
{
    ctx_t c;
    char host[64] = "host";
    long long last_reclaim = 0, last_release = 0;
    int was_rejected = 0;

    memset(&c, 0, sizeof(c));
    c.cfg = cfg;
    c.stopping = stopping;
    c.r = redis_conn_new();
    /* On the heap: a batch of 1,000 entries is large. */
    c.b = calloc(1, sizeof(*c.b));
    gethostname(host, sizeof(host) - 1);
    snprintf(c.consumer, sizeof(c.consumer), "%s-%d-ads", host, (int)getpid());
    if (c.r)
        queue_setup_in(c.r, QUEUE_ADS);
    while (c.r && c.b && !atomic_load(stopping)) {
        ads_connection_t conn;
        if (ads_connection_load(cfg, c.r, &conn) != 0) {
            util_sleep_ms(500);
            continue;
        }
        int ready = ads_connection_ready(&conn), rejected = conn.rejected_message[0] != '\0';
        ads_connection_clear(&conn);
        if (!ready) {
            util_sleep_ms(READ_BLOCK_MS);
            continue;
        }
        if (rejected) {
            was_rejected = 1;
            hold_arrivals(&c);
            continue;
        }
        long long now = util_monotonic_ms();
        if (was_rejected || now - last_release >= 1000) {
            /* Events held under a refused token go out once another is in
             * force (at once when this loop saw the change; every second
             * for a change another instance saw), before anything newer. */
            long long released = 0;
            ads_delivery_release(c.r, &released);
            last_release = now;
        }
        was_rejected = 0;
        int n = 0;
        if (now - last_reclaim >= RECLAIM_EVERY_MS) {
            last_reclaim = now;
            n = queue_reclaim_in(c.r, QUEUE_ADS, c.consumer, RECLAIM_IDLE_MS, c.b->e, ADS_MAX_BATCH);
        }
        if (n == 0)
            n = queue_read_in(c.r, QUEUE_ADS, c.consumer, c.b->e, ADS_MAX_BATCH, READ_BLOCK_MS);
        if (n < 0) {
            util_sleep_ms(500);
            queue_setup_in(c.r, QUEUE_ADS);
            continue;
        }
        c.b->n = n;
        if (n)
            deliver(&c);
    }
    free(c.b);
    redis_conn_free(c.r);
}

int ads_delivery_overview(redis_conn_t *r, int limit, json_t **out)
{
    char day[16], k[KEY_MAX], rk[KEY_MAX];
    long long waiting = 0, held = 0, total = 0;
    json_t *dlq = NULL;
    *out = NULL;
    today(day);
    if (redis_key(k, sizeof(k), KEY_ADS_DAY_FMT, day) || redis_key(rk, sizeof(rk), KEY_ADS_RECENT) ||
        queue_lengths_in(r, QUEUE_ADS, &waiting, &held) != 0 || queue_dlq_list(r, 1000, &dlq, &total) != 0)
        return -1;
    redisReply *rep = redis_cmd(r, "HMGET %s sent failed", k);
    long long sent = 0, failed = 0;
    if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2) {
        if (rep->element[0]->type == REDIS_REPLY_STRING)
            sent = strtoll(rep->element[0]->str, NULL, 10);
        if (rep->element[1]->type == REDIS_REPLY_STRING)
            failed = strtoll(rep->element[1]->str, NULL, 10);
    }
    if (rep)
        freeReplyObject(rep);
    json_t *recent = json_array();
    rep = redis_cmd(r, "LRANGE %s 0 %d", rk, limit - 1);
    for (size_t i = 0; rep && rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        char jerr[64];
        json_t *o = jsonx_loadb(rep->element[i]->str, rep->element[i]->len, jerr, sizeof(jerr));
        if (o)
            json_array_append_new(recent, o);
    }
    if (rep)
        freeReplyObject(rep);
    /* The ads events among the dead letters. */
    json_t *dead = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(dlq, i, e) {
        const char *src = json_string_value(json_object_get(e, "source"));
        if (src && strcmp(src, ADS_PROVIDER) == 0)
            json_array_append(dead, e);
    }
    json_decref(dlq);
    *out = json_pack("{s:{s:s,s:I,s:I,s:I,s:I},s:o,s:o}", "today", "date", day, "sent", (json_int_t)sent, "failed",
                     (json_int_t)failed, "waiting", (json_int_t)waiting, "held", (json_int_t)held, "recent", recent,
                     "dead_letters", dead);
    return *out ? 0 : -1;
}

int ads_delivery_metrics(buf_t *out, redis_conn_t *r)
{
    static const char *const in_names[ADS_IN_COUNT] = {"accepted", "duplicate", "rejected", "skipped"};
    static const char *const out_names[OUT_COUNT] = {"sent", "retried", "dead_lettered", "held"};
    int rc = buf_appends(out, "# TYPE shopsync_ads_events_total counter\n");
    for (int o = 0; o < ADS_ORIGIN_COUNT; o++) {
        const char *src = ads_events_origin_name((ads_origin)o);
        for (int i = 0; i < ADS_IN_COUNT; i++)
            rc |= buf_appendf(out, "shopsync_ads_events_total{source=\"%s\",result=\"%s\"} %lu\n", src, in_names[i],
                              ads_events_counted((ads_origin)o, (ads_intake_result)i));
        for (int i = 0; i < OUT_COUNT; i++)
            rc |= buf_appendf(out, "shopsync_ads_events_total{source=\"%s\",result=\"%s\"} %lu\n", src, out_names[i],
                              __atomic_load_n(&delivered[o][i], __ATOMIC_RELAXED));
    }
    long long waiting = 0, held = 0;
    if (queue_lengths_in(r, QUEUE_ADS, &waiting, &held) == 0)
        rc |= buf_appendf(out,
                          "# TYPE shopsync_ads_events_waiting gauge\nshopsync_ads_events_waiting %lld\n"
                          "# TYPE shopsync_ads_events_held gauge\nshopsync_ads_events_held %lld\n",
                          waiting, held);
    return rc ? -1 : 0;
}
