/*
 * ads_spend — the daily ad spend of the selected advertisers, pulled from
 * the Marketing API's report (GET /open_api/v1.3/report/integrated/get/,
 * BASIC, AUCTION_CAMPAIGN, by campaign and day) into one record per
 * advertiser and day. The first sync of an advertiser pulls 90 days; each
 * later one pulls the last 7 days again (from the last day pulled, if that
 * is older) and replaces them whole, because TikTok revises recent days: a
 * day is always the last answer TikTok gave for it, never a sum of answers.
 * Ranges go in windows of at most 30 days, each window page by page (1,000
 * rows) and written in one step once all its pages are in. Values arrive as
 * strings, "-" meaning none; money becomes integers in the currency's minor
 * units.
 *
 * A sync is a job, like product sync: one at a time across instances (a
 * lock that names its instance), its progress and per-advertiser errors in
 * the job record. A refused token (40102/40105) stops the job and marks the
 * account for reconnection.
 *
 * Redis: P ads:spend:<advertiser>:<day> (string JSON, TTL 400 days),
 * P ads:spend:synced:<advertiser>, P ads:spend:job:<id> (string JSON, TTL 7
 * days), P ads:spend:last, P ads:spend:lock (TTL 5 min, renewed per call).
 */
#ifndef SHOPSYNC_ADS_SPEND_H
#define SHOPSYNC_ADS_SPEND_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>

#include "shopsync/config.h"
#include "shopsync/redis.h"

#define ADS_SPEND_JOB_ID_HEX 16
#define ADS_SPEND_FIRST_DAYS 90
#define ADS_SPEND_RESYNC_DAYS 7
#define ADS_SPEND_WINDOW_DAYS 30
#define ADS_SPEND_PAGE_SIZE 1000

typedef enum {
    SPEND_STARTED = 0,
    SPEND_BUSY = 1,          /* another sync runs; job_id receives its id */
    SPEND_NOT_CONNECTED = 2, /* no TikTok Ads account */
    SPEND_NO_ADVERTISER = 3, /* connected, none selected */
    SPEND_UNAVAILABLE = -1
} ads_spend_rc;

/* Create a job (state running) and take the lock. job_id holds
 * ADS_SPEND_JOB_ID_HEX+1 bytes. */
ads_spend_rc ads_spend_create(const config_t *cfg, redis_conn_t *r, char *job_id);

/* Run job job_id (borrowed) to the end on this thread and release the
 * lock. stop (borrowed, may be NULL) is read between calls. Returns 0 when
 * every advertiser synced, -1 otherwise (the job says why). */
int ads_spend_run(const config_t *cfg, redis_conn_t *r, const char *job_id, const atomic_int *stop);

/* End a created job that could not run (why borrowed) and release the lock. */
void ads_spend_abort(redis_conn_t *r, const char *job_id, const char *why);

/* A job (new object in *out): job_id, state (running, done, failed),
 * started_at, finished_at, advertisers [{id, name, currency, from, to,
 * state, windows, windows_done, pages, rows, error}], error. A job marked
 * running whose lock is gone reads as failed, interrupted. Returns 0, 1
 * unknown, -1. */
int ads_spend_get(redis_conn_t *r, const char *job_id, json_t **out);

/* The last job (new object) or NULL in *out. Returns 0 or -1. */
int ads_spend_last(redis_conn_t *r, json_t **out);

/* One report row, parsed. */
typedef struct ads_spend_row {
    char campaign_id[32];
    char campaign_name[256];
    long long day;            /* day.h: days since 1970-01-01 */
    long long spend;          /* minor units of the advertiser's currency */
    long long impressions, clicks, conversions, complete_payment;
} ads_spend_row_t;

/* Parse one data.list[] entry (borrowed) of the report: dimensions
 * campaign_id and stat_time_day, metrics as strings ("-" = 0), spend in
 * units of 10^-decimals. Returns 0, or -1 with the field in err. */
int ads_spend_parse_row(const json_t *row, int decimals, ads_spend_row_t *out, char *err, size_t errlen);

/* The range a sync of an advertiser pulls (days, day.h), given today and
 * the last day pulled before (-1 when never): the first pull covers
 * ADS_SPEND_FIRST_DAYS up to tomorrow (an advertiser's day may be ahead of
 * UTC), a later one the last ADS_SPEND_RESYNC_DAYS (from the last day pulled
 * when that is older, at most ADS_SPEND_FIRST_DAYS back). */
void ads_spend_range(long long today, long long last_synced, long long *from, long long *to);

#endif
