/*
 * service — the background side of `shopsync serve`: queue workers, push
 * workers and the housekeeping thread (the CLI commands that drive the same
 * domain code are in cli_jobs.h).
 */
#ifndef SHOPSYNC_SERVICE_H
#define SHOPSYNC_SERVICE_H

#include <jansson.h>

#include "app.h"
#include "shopsync/redis.h"

/* Start the background threads. Returns 0 or -1 with err. */
int service_start(app_t *app, char *err, size_t errlen);

/* Wait for the background threads after app->stopping was set. */
void service_stop(app_t *app);

/* Run product sync job job_id on a background thread (service_stop waits
 * for it; app->stopping ends it between products). app borrowed, must
 * outlive the job. Returns 0 or -1. */
int service_run_job(app_t *app, const char *job_id);

/* Run spend sync job job_id (ads_spend_create made it) on a background
 * thread, as service_run_job. Returns 0 or -1. */
int service_run_spend_job(app_t *app, const char *job_id);

/* Start the TikTok Shop revenue backfill on a background thread when the
 * connected shop still needs it (revenue_backfill_run decides, under its
 * lock). Returns 0 or -1. */
int service_start_backfill(app_t *app);

/* TikTok connection status for `shopsync status` (new object in *out). */
int service_status(const config_t *cfg, redis_conn_t *r, json_t **out);

#endif
