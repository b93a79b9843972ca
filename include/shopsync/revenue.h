/*
 * revenue — what each channel sold, per UTC day and currency: website
 * checkouts (Stripe amount_total, counted once per Checkout Session where a
 * paid checkout is applied) and TikTok Shop orders (payment.total_amount as
 * GMV, counted once per order from every order webhook and from a 90-day
 * Search Orders backfill run once TikTok Shop is connected; a cancelled
 * order counts in neither orders nor GMV but on its own). Amounts are
 * integers in the currency's minor units; nothing is converted.
 *
 * Redis: P revenue:day:<day> (hash "<CUR>:web_orders", ":web_revenue",
 * ":tts_orders", ":tts_gmv", ":tts_cancelled"; TTL 400 days),
 * P revenue:web:<session>, P revenue:tts:<order id> (TTL 400 days),
 * P revenue:backfill (hash), P revenue:backfill:lock (TTL 5 min).
 */
#ifndef SHOPSYNC_REVENUE_H
#define SHOPSYNC_REVENUE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>

#include "shopsync/config.h"
#include "shopsync/redis.h"
#include "shopsync/tiktok.h"

#define REVENUE_BACKFILL_DAYS 90

/* Count a paid checkout once: obj (borrowed, may be NULL), the data.object
 * of the Stripe event as queued, gives amount_total, currency and created
 * (else the event's created_fallback, else now). An object without them
 * counts nothing. Returns
 * 0, or -1 when Redis did not answer (the caller retries; the count stays
 * once). */
int revenue_stripe_sale(redis_conn_t *r, const json_t *obj, const char *session_id, long long created_fallback);

/* Count TikTok Shop order o (borrowed) once in the UTC day of its
 * create_time: UNPAID orders wait for a later webhook; CANCELLED counts as
 * cancelled; any other status as an order with its GMV. An order without a
 * readable payment is logged and skipped. Returns 0, or -1 (Redis). */
int revenue_record_order(redis_conn_t *r, const tiktok_order_t *o);

/* Run the 90-day backfill for the connected shop unless it was done for
 * that shop (or runs elsewhere): Search Orders page by page, each order
 * through revenue_record_order. stop (borrowed, may be NULL) is read
 * between pages. Returns 0 done (or nothing to do), 1 not connected or
 * already running, -1 failed (recorded in revenue:backfill). */
int revenue_backfill_run(const config_t *cfg, redis_conn_t *r, const atomic_int *stop);

/* 1 when the connected shop (shop_id borrowed) still needs its backfill
 * (never run for it, failed, or running: the lock decides), 0 when done,
 * -1 Redis. */
int revenue_backfill_needed(redis_conn_t *r, const char *shop_id);

/* The backfill's record (new object, or JSON null when never run) in
 * *out: shop_id, state (running, done, failed), orders, started_at,
 * finished_at, error. Returns 0 or -1. */
int revenue_backfill_status(redis_conn_t *r, json_t **out);

#endif
