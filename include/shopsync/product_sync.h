/*
 * product_sync — "Sync All Products": a job that pushes every catalog
 * product to TikTok Shop. Images are downloaded and uploaded once per URL;
 * a product already on TikTok (stored mapping, else Search Products by
 * seller_sku) is edited, otherwise created; the ids TikTok returns are
 * stored. One failing product never stops the others, and its result says
 * why in plain words.
 *
 * Up to SHOPSYNC_SYNC_CONCURRENCY products are synced at once, each thread
 * with its own Redis connection and TikTok client; the shared rate limiter
 * paces their calls. A product's new images are uploaded at once by the
 * job's idle threads. Results are stored in the order products end.
 *
 * Redis: P sync:job:<id> (hash), P sync:job:<id>:results (list), P sync:last,
 * P sync:lock (one job at a time across instances), P tiktok:image:<hash>.
 */
#ifndef SHOPSYNC_PRODUCT_SYNC_H
#define SHOPSYNC_PRODUCT_SYNC_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>

#include "shopsync/config.h"
#include "shopsync/redis.h"

#define PRODUCT_SYNC_JOB_ID_HEX 16

typedef enum {
    SYNC_STARTED = 0,
    SYNC_BUSY = 1,          /* another job runs; job_id receives its id */
    SYNC_NOT_CONNECTED = 2,
    SYNC_UNAVAILABLE = -1
} product_sync_rc;

/* Create a job (state running) and take the lock. job_id holds
 * PRODUCT_SYNC_JOB_ID_HEX+1 bytes. */
product_sync_rc product_sync_create(const config_t *cfg, redis_conn_t *r, char *job_id);

/* Run job job_id to the end (r borrowed), on this thread and the job's own
 * threads, which have ended when it returns; then release the lock. stop
 * (borrowed, may be NULL) is read between products: once set, no product
 * starts, the products under way end whole, and the job ends as failed,
 * saying it was interrupted after how many products. Returns 0, or -1 when
 * the job failed as a whole. */
int product_sync_run(const config_t *cfg, redis_conn_t *r, const char *job_id, const atomic_int *stop);

/* End a created job that could not run (why borrowed: the job's error) and
 * release its lock. */
void product_sync_abort(redis_conn_t *r, const char *job_id, const char *why);

/* Job status (new object) in the API shape. A job still marked running
 * whose lock is gone (its instance died) is reported failed, interrupted.
 * Returns 0, 1 unknown, -1. */
int product_sync_get(redis_conn_t *r, const char *job_id, json_t **out);

/* The last job's status (new object) or NULL in *out. Returns 0 or -1. */
int product_sync_last(redis_conn_t *r, json_t **out);

/* Progress callback for the command line: done of total. */
typedef void (*product_sync_progress_fn)(void *ctx, long long done, long long total,
                                         const char *id, const char *status);

/* As product_sync_run, reporting progress (fn may be NULL; ctx borrowed):
 * fn is called from the job's threads, one call at a time, with done
 * rising by one each call. */
int product_sync_run_progress(const config_t *cfg, redis_conn_t *r, const char *job_id, const atomic_int *stop,
                              product_sync_progress_fn fn, void *ctx);

#endif
