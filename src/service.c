/*
 * service — background threads of `shopsync serve` (queue workers, push
 * workers, housekeeping, sync jobs). The CLI commands built on the same
 * domain code (sync, reconcile, dlq) are in cli_jobs.c.
 */
#include "service.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shopsync/ads_delivery.h"
#include "shopsync/ads_audiences.h"
#include "shopsync/ads_buyers.h"
#include "shopsync/ads_spend.h"
#include "shopsync/day.h"
#include "shopsync/ads_events.h"
#include "shopsync/checkout.h"
#include "shopsync/connection.h"
#include "shopsync/holds.h"
#include "shopsync/http_client.h"
#include "shopsync/instance.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"
#include "shopsync/metrics.h"
#include "shopsync/orders.h"
#include "shopsync/product_sync.h"
#include "shopsync/push.h"
#include "shopsync/queue.h"
#include "shopsync/reconcile.h"
#include "shopsync/revenue.h"
#include "shopsync/stock.h"
#include "shopsync/util.h"

#define MAX_THREADS 160
#define WATCH_ALLOCATED_MS 500
#define IDLE_WATCHER_MS 10
#define IDLE_WORKER_MS 100
#define BATCH 50
#define RECLAIM_IDLE_MS 5000
#define HOUSEKEEPING_S 15
#define HOLD_SWEEP_MS 500
#define HOLD_SWEEP_BATCH 200
#define AUTH_WARN_S (7 * 86400)

typedef struct worker {
    app_t *app;
    int index;
    pthread_t thread;
} worker_t;

static worker_t workers[MAX_THREADS];
static int n_workers;
static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_cond = PTHREAD_COND_INITIALIZER;
static int jobs_running;

/* Settle one entry whose handling gave rc (err says why when it failed):
 * acknowledge, retry later, or dead-letter. */
static void settle(app_t *app, redis_conn_t *r, queue_entry_t *e, event_rc rc, const char *err)
{
    switch (rc) {
    case EVENT_DONE:
        /* Counted before the ack removes the entry, so a reader who sees the
         * queue empty also sees the count. A failed ack leaves the entry
         * pending; its second handling is a no-op for the ledgers. */
        metrics_add(M_EVENTS_PROCESSED, 1);
        if (queue_ack(r, e) != 0)
            log_event(LOG_WARN, "event_ack_failed", json_pack("{s:s,s:s}", "provider", e->provider, "event_id",
                                                              e->event_id));
        break;
    case EVENT_RETRY:
        metrics_add(M_EVENTS_FAILED, 1);
        log_event(LOG_WARN, "event_retry", json_pack("{s:s,s:s,s:s}", "provider", e->provider, "event_id", e->event_id,
                                                     "error", err));
        if (queue_fail(r, e, err, app->cfg->max_attempts) == 1)
            metrics_add(M_EVENTS_DEAD_LETTERED, 1);
        break;
    case EVENT_PERMANENT:
        metrics_add(M_EVENTS_FAILED, 1);
        if (queue_dead_letter(r, e, err, 1) == 0)
            metrics_add(M_EVENTS_DEAD_LETTERED, 1);
        break;
    case EVENT_PARKED:
        /* Not a failure: kept until the shop is connected again, when
         * housekeeping or the OAuth callback puts it back. A failed park
         * leaves the entry pending, to be reclaimed. */
        queue_park(r, e, err);
        break;
    default:
        /* Redis went away mid-way: the entry stays pending and is reclaimed
         * once Redis is back. */
        break;
    }
}

/* Apply a paid checkout, then queue its TikTok Ads purchase: an event that
 * could not be queued is retried (the checkout ledger and the ads dedupe
 * marker make the second pass apply and queue nothing twice). */
static event_rc finish_sale(app_t *app, redis_conn_t *r, const queue_entry_t *e, const checkout_event_t *ce,
                            char *err, size_t errlen)
{
    char jerr[256];
    event_rc rc = checkout_finish(r, ce, err, errlen);
    /* Parsed once for the three hooks below; NULL (unreadable) makes each
     * of them skip, as a body without the fields would. */
    json_t *event = rc == EVENT_DONE ? jsonx_loadb(e->body, e->len, jerr, sizeof(jerr)) : NULL;
    const json_t *obj = json_object_get(json_object_get(event, "data"), "object");
    if (rc == EVENT_DONE && ads_events_stripe_sale(app->cfg, r, event, ce) != 0) {
        snprintf(err, errlen, "the TikTok Ads purchase event could not be queued (Redis)");
        rc = EVENT_RETRY;
    }
    /* The buyer for the custom audiences, recorded once per session. */
    if (rc == EVENT_DONE && ads_buyers_stripe_sale(app->cfg, r, obj, ce) != 0) {
        snprintf(err, errlen, "the checkout's buyer could not be recorded (Redis)");
        rc = EVENT_RETRY;
    }
    /* The website's revenue, counted once per session like the stock. */
    if (rc == EVENT_DONE && revenue_stripe_sale(r, obj, ce->ev.session_id, ce->ev.created) != 0) {
        snprintf(err, errlen, "the checkout's revenue could not be counted (Redis)");
        rc = EVENT_RETRY;
    }
    json_decref(event);
    return rc;
}

/* One batch read from the stream, with what its handling needs. */
typedef struct batch {
    queue_entry_t entries[BATCH];
    int n;
    unsigned char settled[BATCH];
    checkout_event_t checkouts[BATCH];
    char errs[BATCH][CHECKOUT_ERR_MAX];
    long long touched_ms;
} batch_t;

/* A slow batch (TikTok or Stripe taking their time) must not be reclaimed
 * by other workers while this one still works on it. */
static void keep_claim(redis_conn_t *r, const char *consumer, batch_t *b)
{
    long long t = util_monotonic_ms();
    if (t - b->touched_ms < RECLAIM_IDLE_MS / 3)
        return;
    queue_entry_t open[BATCH];
    int m = 0;
    for (int i = 0; i < b->n; i++)
        if (!b->settled[i])
            open[m++] = b->entries[i];
    if (m)
        queue_touch(r, consumer, open, m);
    b->touched_ms = t;
}

static void settle_at(app_t *app, redis_conn_t *r, batch_t *b, int i, event_rc rc, const char *err)
{
    settle(app, r, &b->entries[i], rc, err);
    b->settled[i] = 1;
}

/* At most this many queue workers read the stream at a time. A worker
 * about to wait on a provider (Get Order Detail, Stripe line items) hands
 * its place to an idle one, so sales never queue behind those waits, while
 * fast events are still taken in full batches by a few readers: 32 workers
 * all blocked on the stream each took an entry or two per read, and intake
 * fell from 15.4k to 11.7k webhooks/s. */
#define STREAM_READERS 4
static pthread_mutex_t readers_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t readers_cond = PTHREAD_COND_INITIALIZER;
static int readers_free;

/* Wait for a reader's place; 0 when the service stops first. */
static int reader_acquire(app_t *app)
{
    int got = 0;
    pthread_mutex_lock(&readers_lock);
    while (!atomic_load(&app->stopping) && readers_free == 0)
        pthread_cond_wait(&readers_cond, &readers_lock);
    if (!atomic_load(&app->stopping)) {
        readers_free--;
        got = 1;
    }
    pthread_mutex_unlock(&readers_lock);
    return got;
}

/* Give up this worker's reader place (*reader set) before a provider wait. */
static void reader_release(int *reader)
{
    if (!*reader)
        return;
    pthread_mutex_lock(&readers_lock);
    readers_free++;
    pthread_cond_signal(&readers_cond);
    pthread_mutex_unlock(&readers_lock);
    *reader = 0;
}

/* Handle a batch so that no sale waits behind another event's provider
 * call: Stripe sales that carry their items are applied first, then the
 * TikTok orders (one Get Order Detail call for all), then the Stripe
 * sessions whose line items are read, all at once within Stripe's rate. On
 * shutdown, entries not started stay pending for another worker or the
 * next start: nothing is lost. */
static void handle_batch(app_t *app, redis_conn_t *r, connection_t *conn, const char *consumer, batch_t *b,
                         int *reader)
{
    char err[CHECKOUT_ERR_MAX];
    checkout_event_t *fetch[BATCH];
    int fetch_at[BATCH], nf = 0;
    const char *bodies[BATCH];
    size_t lens[BATCH], nt = 0;

    memset(b->settled, 0, sizeof(b->settled));
    b->touched_ms = util_monotonic_ms();
    for (int i = 0; i < b->n && !atomic_load(&app->stopping); i++) {
        queue_entry_t *e = &b->entries[i];
        err[0] = '\0';
        if (strcmp(e->provider, "tiktok") == 0) {
            bodies[nt] = e->body;
            lens[nt++] = e->len;
            continue;
        }
        if (strcmp(e->provider, "stripe") != 0) {
            snprintf(err, sizeof(err), "unknown provider %s", e->provider);
            settle_at(app, r, b, i, EVENT_PERMANENT, err);
            continue;
        }
        switch (checkout_prepare(e->body, e->len, &b->checkouts[i], err, sizeof(err))) {
        case CHECKOUT_BAD:
            settle_at(app, r, b, i, EVENT_PERMANENT, err);
            break;
        case CHECKOUT_IGNORE:
            settle_at(app, r, b, i, EVENT_DONE, err);
            break;
        case CHECKOUT_READY:
            settle_at(app, r, b, i, finish_sale(app, r, e, &b->checkouts[i], err, sizeof(err)), err);
            break;
        case CHECKOUT_RELEASE:
            settle_at(app, r, b, i, checkout_release(r, &b->checkouts[i], err, sizeof(err)), err);
            break;
        case CHECKOUT_FETCH:
            fetch[nf] = &b->checkouts[i];
            fetch_at[nf++] = i;
            break;
        }
    }
    if (nt && !atomic_load(&app->stopping)) {
        tiktok_orders_t prefetched;
        char ids[TIKTOK_MAX_ORDER_IDS][TIKTOK_ID_MAX];
        size_t m = orders_batch_ids(bodies, lens, nt, ids);
        if (m > 0)
            reader_release(reader);
        orders_prefetch(conn, ids, m, &prefetched);
        keep_claim(r, consumer, b);
        for (int i = 0; i < b->n && !atomic_load(&app->stopping); i++) {
            queue_entry_t *e = &b->entries[i];
            if (b->settled[i] || strcmp(e->provider, "tiktok") != 0)
                continue;
            err[0] = '\0';
            event_rc rc = orders_handle_webhook(app->cfg, r, conn, e->body, e->len, &prefetched, err, sizeof(err));
            settle_at(app, r, b, i, rc, err);
            keep_claim(r, consumer, b);
        }
        tiktok_orders_free(&prefetched);
    }
    if (nf && !atomic_load(&app->stopping)) {
        event_rc rcs[BATCH];
        char(*errs)[CHECKOUT_ERR_MAX] = b->errs;
        reader_release(reader);
        checkout_fetch_many(app->cfg, r, fetch, (size_t)nf, rcs, errs);
        keep_claim(r, consumer, b);
        for (int k = 0; k < nf && !atomic_load(&app->stopping); k++) {
            event_rc rc = rcs[k];
            if (rc == EVENT_DONE)
                rc = finish_sale(app, r, &b->entries[fetch_at[k]], fetch[k], errs[k], sizeof(errs[k]));
            settle_at(app, r, b, fetch_at[k], rc, errs[k]);
        }
    }
    for (int i = 0; i < b->n; i++) {
        checkout_event_free(&b->checkouts[i]);
        queue_entry_free(&b->entries[i]);
    }
}

static void *queue_worker(void *arg)
{
    worker_t *w = arg;
    app_t *app = w->app;
    redis_conn_t *r = redis_conn_new();
    connection_t *conn = r ? connection_open(app->cfg, r) : NULL;
    /* On the heap: a batch with its parsed events is large. */
    batch_t *b = calloc(1, sizeof(*b));
    char consumer[128], host[64] = "host";
    long long last_reclaim = 0;
    int reader = 0;

    gethostname(host, sizeof(host) - 1);
    snprintf(consumer, sizeof(consumer), "%s-%d-%d", host, (int)getpid(), w->index);
    while (b && conn && !atomic_load(&app->stopping)) {
        if (!reader && !(reader = reader_acquire(app)))
            break;
        long long now = util_monotonic_ms();
        int n = 0;
        if (now - last_reclaim >= 1000) {
            last_reclaim = now;
            n = queue_reclaim(r, consumer, RECLAIM_IDLE_MS, b->entries, BATCH);
        }
        if (n == 0)
            n = queue_read(r, consumer, b->entries, BATCH, 500);
        if (n < 0) {
            util_sleep_ms(500);
            queue_setup(r);
            continue;
        }
        b->n = n;
        handle_batch(app, r, conn, consumer, b, &reader);
    }
    reader_release(&reader);
    free(b);
    connection_free(conn);
    redis_conn_free(r);
    return NULL;
}

static void *push_worker(void *arg)
{
    worker_t *w = arg;
    app_t *app = w->app;
    redis_conn_t *r = redis_conn_new();
    connection_t *conn = r ? connection_open_for_push(app->cfg, r) : NULL;
    /* One worker looks after the allocated SKUs for all. */
    int watcher = w->index == app->cfg->workers;
    long long last_watch = 0;
    while (conn && !atomic_load(&app->stopping)) {
        int sent = 0;
        if (watcher && util_monotonic_ms() - last_watch >= WATCH_ALLOCATED_MS) {
            push_watch_allocated(r);
            last_watch = util_monotonic_ms();
        }
        int rc = push_pass(app->cfg, r, conn, &sent);
        if (rc < 0)
            util_sleep_ms(500);
        else if (rc == 1)
            util_sleep_ms(1000);
        else if (sent == 0)
            /* One worker watches for new marks every 10 ms; the others, idle,
             * look less often, so 16 idle workers do not take CPU from
             * intake, and join within 100 ms when a burst needs them. */
            util_sleep_ms(watcher ? IDLE_WATCHER_MS : IDLE_WORKER_MS);
    }
    connection_free(conn);
    redis_conn_free(r);
    return NULL;
}

/* The settings the stock scripts read (src/lua/stock.lua), written at
 * start so they follow this instance's configuration. */
static int write_settings(const config_t *cfg, redis_conn_t *r)
{
    char k[KEY_MAX];
    if (redis_key(k, sizeof(k), KEY_SETTINGS))
        return -1;
    redisReply *rep = redis_cmd(r, "HSET %s low_seconds %d settle_ms %d buffer %lld", k, cfg->low_stock_seconds,
                                cfg->tiktok_settle_ms, cfg->stock_buffer);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

/* Token refresh ahead of expiry, the authorization-expiry warning, and the
 * reconciliation schedule (one instance at a time through a lock). */
static void housekeeping_once(app_t *app, redis_conn_t *r, connection_t *conn, long long *next_reconcile)
{
    json_t *st = NULL;
    if (connection_status(conn, &st) != CONN_OK)
        return;
    if (json_is_true(json_object_get(st, "connected"))) {
        /* TikTok orders that arrived while the shop was not connected (the
         * callback already did this when the seller reconnected here; this
         * covers other instances and a park that raced the callback). */
        long long unparked = 0;
        queue_unpark(r, &unparked);
        connection_refresh(conn, 0);
        char shop[128];
        if (connection_shop_id(conn, shop, sizeof(shop)) == 0 && revenue_backfill_needed(r, shop) == 1)
            service_start_backfill(app);
        json_t *exp = json_object_get(st, "refresh_token_expires_at");
        if (json_is_integer(exp) && json_integer_value(exp) - (long long)time(NULL) < AUTH_WARN_S &&
            json_is_null(json_object_get(st, "warning")))
            connection_set_warning(conn, "the TikTok Shop authorization expires within 7 days: reconnect to renew it");
        if (app->cfg->reconcile_interval > 0 && (long long)time(NULL) >= *next_reconcile) {
            char lock[KEY_MAX];
            redisReply *rep = NULL;
            if (redis_key(lock, sizeof(lock), KEY_RECONCILE_LOCK) == 0)
                rep = redis_cmd(r, "SET %s 1 NX EX %d", lock, app->cfg->reconcile_interval);
            int mine = rep && rep->type == REDIS_REPLY_STATUS;
            if (rep)
                freeReplyObject(rep);
            if (mine) {
                json_t *report = NULL;
                reconcile_run(app->cfg, r, conn, 1, &report);
                json_decref(report);
            }
            *next_reconcile = (long long)time(NULL) + app->cfg->reconcile_interval;
        }
    }
    json_decref(st);
}

/* Whether a daily task is due (UTC hour TIKTOK_SPEND_SYNC_HOUR reached);
 * then key (KEY_MAX bytes) is today's marker of the task, from fmt (a
 * keys.h format taking the day). */
static int daily_due(const app_t *app, const char *fmt, char *key)
{
    char today[DAY_TEXT_MAX];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    if (tm.tm_hour < app->cfg->spend_sync_hour)
        return 0;
    day_format(day_today(), today);
    return redis_key(key, KEY_MAX, fmt, today) == 0;
}

/* The daily spend sync: once per UTC day from TIKTOK_SPEND_SYNC_HOUR, on
 * one instance (the day's marker, then the job's own lock). */
static void daily_spend_sync(app_t *app, redis_conn_t *r)
{
    char k[KEY_MAX], job[ADS_SPEND_JOB_ID_HEX + 1];
    if (!daily_due(app, KEY_ADS_SPEND_DAILY_FMT, k))
        return;
    redisReply *rep = redis_cmd(r, "EXISTS %s", k);
    int ran = !rep || rep->type != REDIS_REPLY_INTEGER || rep->integer == 1;
    if (rep)
        freeReplyObject(rep);
    if (ran)
        return;
    ads_spend_rc rc = ads_spend_create(app->cfg, r, job);
    if (rc == SPEND_BUSY || rc == SPEND_UNAVAILABLE)
        return;
    /* Not connected, or nothing selected: nothing to do today. */
    rep = redis_cmd(r, "SET %s %s NX EX %d", k, rc == SPEND_STARTED ? job : "none", 2 * 86400);
    int mine = rep && rep->type == REDIS_REPLY_STATUS;
    if (rep)
        freeReplyObject(rep);
    if (rc != SPEND_STARTED)
        return;
    if (!mine)
        ads_spend_abort(r, job, "another instance ran today's spend sync");
    else if (service_run_spend_job(app, job) != 0)
        ads_spend_abort(r, job, "the spend sync job could not start (no thread)");
}

struct bg_arg;
static int run_bg(app_t *app, const char *job_id, void (*fn)(struct bg_arg *a, redis_conn_t *r));
static void audience_job(struct bg_arg *a, redis_conn_t *r);

/* The daily audience sync: once per UTC day from TIKTOK_SPEND_SYNC_HOUR,
 * on one instance (the day's marker, then the sync's own lock), on a
 * background thread so housekeeping goes on. */
static void daily_audience_sync(app_t *app, redis_conn_t *r)
{
    char k[KEY_MAX];
    if (!daily_due(app, KEY_ADS_AUDIENCE_DAILY_FMT, k))
        return;
    redisReply *rep = redis_cmd(r, "SET %s 1 NX EX %d", k, 2 * 86400);
    int mine = rep && rep->type == REDIS_REPLY_STATUS;
    if (rep)
        freeReplyObject(rep);
    if (mine && run_bg(app, "", audience_job) != 0)
        log_msg(LOG_WARN, "ads_audience_daily_not_started", "the daily audience sync could not start (no thread)");
}

static void *housekeeping(void *arg)
{
    worker_t *w = arg;
    app_t *app = w->app;
    redis_conn_t *r = redis_conn_new();
    connection_t *conn = r ? connection_open(app->cfg, r) : NULL;
    long long next_reconcile = (long long)time(NULL) + app->cfg->reconcile_interval;
    while (conn && !atomic_load(&app->stopping)) {
        housekeeping_once(app, r, conn, &next_reconcile);
        daily_spend_sync(app, r);
        daily_audience_sync(app, r);
        for (int i = 0; i < HOUSEKEEPING_S * 10 && !atomic_load(&app->stopping); i++)
            util_sleep_ms(100);
    }
    connection_free(conn);
    redis_conn_free(r);
    return NULL;
}

/* Holds whose time has come give their units back, within HOLD_SWEEP_MS;
 * the first sweep after a start takes those whose time came while no
 * shopsync was running. Every instance sweeps: each hold ends once (its
 * script checks it is still active). */
static void *hold_sweeper(void *arg)
{
    worker_t *w = arg;
    app_t *app = w->app;
    redis_conn_t *r = redis_conn_new();
    while (r && !atomic_load(&app->stopping)) {
        long long n = 0;
        int rc = holds_expire_due(r, HOLD_SWEEP_BATCH, &n);
        if (n > 0)
            log_event(LOG_INFO, "holds_expired", json_pack("{s:I}", "holds", (json_int_t)n));
        /* A full batch means more are due: go on at once. */
        if (rc != 0 || n < HOLD_SWEEP_BATCH)
            util_sleep_ms(HOLD_SWEEP_MS);
    }
    redis_conn_free(r);
    return NULL;
}

static void *ads_worker(void *arg)
{
    worker_t *w = arg;
    ads_delivery_run(w->app->cfg, &w->app->stopping);
    return NULL;
}

static int spawn(app_t *app, void *(*fn)(void *), char *err, size_t errlen)
{
    if (n_workers == MAX_THREADS) {
        snprintf(err, errlen, "too many threads");
        return -1;
    }
    worker_t *w = &workers[n_workers];
    w->app = app;
    w->index = n_workers;
    if (pthread_create(&w->thread, NULL, fn, w) != 0) {
        snprintf(err, errlen, "cannot start a thread");
        return -1;
    }
    n_workers++;
    return 0;
}

int service_start(app_t *app, char *err, size_t errlen)
{
    if (http_client_global_init() != 0) {
        snprintf(err, errlen, "libcurl initialisation failed");
        return -1;
    }
    redis_conn_t *r = redis_conn_new();
    int ok = r && queue_setup(r) == 0 && write_settings(app->cfg, r) == 0;
    redis_conn_free(r);
    if (!ok) {
        snprintf(err, errlen, "Redis is not answering (cannot create the event consumer group)");
        return -1;
    }
    /* Before any worker takes a lock, so that every lock of this instance
     * can be taken over if it dies. */
    if (instance_start() != 0) {
        snprintf(err, errlen, "Redis is not answering (cannot start the instance heartbeat)");
        return -1;
    }
    readers_free = app->cfg->workers < STREAM_READERS ? app->cfg->workers : STREAM_READERS;
    for (int i = 0; i < app->cfg->workers; i++)
        if (spawn(app, queue_worker, err, errlen) != 0)
            return -1;
    for (int i = 0; i < app->cfg->push_workers; i++)
        if (spawn(app, push_worker, err, errlen) != 0)
            return -1;
    if (spawn(app, hold_sweeper, err, errlen) != 0 || spawn(app, ads_worker, err, errlen) != 0)
        return -1;
    return spawn(app, housekeeping, err, errlen);
}

void service_stop(app_t *app)
{
    atomic_store(&app->stopping, 1);
    /* Idle queue workers wait for a reader's place: wake them to leave. */
    pthread_mutex_lock(&readers_lock);
    pthread_cond_broadcast(&readers_cond);
    pthread_mutex_unlock(&readers_lock);
    for (int i = 0; i < n_workers; i++)
        pthread_join(workers[i].thread, NULL);
    n_workers = 0;
    pthread_mutex_lock(&jobs_lock);
    while (jobs_running > 0)
        pthread_cond_wait(&jobs_cond, &jobs_lock);
    pthread_mutex_unlock(&jobs_lock);
    instance_stop();
    http_client_global_cleanup();
}

/* A background job: what it runs with the thread's own Redis connection. */
typedef struct bg_arg {
    app_t *app;
    char job_id[64]; /* a product or spend sync job's id, "" for none */
    void (*fn)(struct bg_arg *a, redis_conn_t *r);
} bg_arg_t;

static void *bg_thread(void *arg)
{
    bg_arg_t *a = arg;
    redis_conn_t *r = redis_conn_new();
    if (r)
        a->fn(a, r);
    redis_conn_free(r);
    free(a);
    pthread_mutex_lock(&jobs_lock);
    jobs_running--;
    pthread_cond_broadcast(&jobs_cond);
    pthread_mutex_unlock(&jobs_lock);
    return NULL;
}

/* Start fn on a detached thread that service_stop waits for. */
static int run_bg(app_t *app, const char *job_id, void (*fn)(bg_arg_t *a, redis_conn_t *r))
{
    bg_arg_t *a = calloc(1, sizeof(*a));
    pthread_t t;
    pthread_attr_t attr;
    if (!a)
        return -1;
    a->app = app;
    a->fn = fn;
    snprintf(a->job_id, sizeof(a->job_id), "%s", job_id);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_mutex_lock(&jobs_lock);
    jobs_running++;
    pthread_mutex_unlock(&jobs_lock);
    int rc = pthread_create(&t, &attr, bg_thread, a);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        pthread_mutex_lock(&jobs_lock);
        jobs_running--;
        pthread_mutex_unlock(&jobs_lock);
        free(a);
        return -1;
    }
    return 0;
}

/* The stop flag ends the job between products, so a SIGTERM does not wait
 * for a whole catalog. */
static void sync_job(bg_arg_t *a, redis_conn_t *r)
{
    product_sync_run(a->app->cfg, r, a->job_id, &a->app->stopping);
}

int service_run_job(app_t *app, const char *job_id)
{
    return run_bg(app, job_id, sync_job);
}

static void spend_job(bg_arg_t *a, redis_conn_t *r)
{
    ads_spend_run(a->app->cfg, r, a->job_id, &a->app->stopping);
}

int service_run_spend_job(app_t *app, const char *job_id)
{
    return run_bg(app, job_id, spend_job);
}

static void audience_job(bg_arg_t *a, redis_conn_t *r)
{
    ads_audiences_sync_all(a->app->cfg, r);
}

/* One backfill attempt at a time in this process; across instances its
 * lock decides. */
static atomic_int backfill_running;

static void backfill_job(bg_arg_t *a, redis_conn_t *r)
{
    revenue_backfill_run(a->app->cfg, r, &a->app->stopping);
    atomic_store(&backfill_running, 0);
}

int service_start_backfill(app_t *app)
{
    if (atomic_exchange(&backfill_running, 1))
        return 0;
    int rc = run_bg(app, "", backfill_job);
    if (rc != 0)
        atomic_store(&backfill_running, 0);
    return rc;
}

int service_status(const config_t *cfg, redis_conn_t *r, json_t **out)
{
    connection_t *c = connection_open(cfg, r);
    json_t *last = NULL;
    *out = NULL;
    if (!c)
        return -1;
    int rc = connection_status(c, out) == CONN_OK ? 0 : -1;
    connection_free(c);
    if (rc == 0 && product_sync_last(r, &last) == 0)
        json_object_set_new(*out, "last_sync", last ? last : json_null());
    return rc;
}
