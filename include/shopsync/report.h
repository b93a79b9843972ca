/*
 * report — the daily P&L: per day and currency, the website's orders and
 * revenue, TikTok Shop's orders, GMV, average order value and cancelled
 * orders, the selected advertisers' ad spend, impressions, clicks and
 * conversions, and ROAS = (web_revenue + tiktok_shop_gmv) / ad_spend (null
 * without spend); totals per currency; the same as CSV; and spend by
 * campaign for the range. Revenue days are UTC days, spend days the
 * advertiser's own. Nothing is converted between currencies; money is
 * summed as integers in minor units and written as exact decimals.
 */
#ifndef SHOPSYNC_REPORT_H
#define SHOPSYNC_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/buf.h"
#include "shopsync/redis.h"

#define REPORT_MAX_DAYS 366
#define REPORT_MAX_CURRENCIES 16
/* Bytes of a rendered report: a year in 16 currencies fits well within. */
#define REPORT_TEXT_MAX (16 * 1024 * 1024)

typedef struct report_cell {
    long long web_orders, web_revenue, tts_orders, tts_gmv, tts_cancelled;
    long long ad_spend, impressions, clicks, conversions;
} report_cell_t;

typedef struct report {
    long long from, to;   /* days (day.h), inclusive */
    size_t n_days;
    char currencies[REPORT_MAX_CURRENCIES][4];
    size_t n_cur;         /* in the order first seen; sorted by report_finish */
    report_cell_t *cells; /* owned: n_days x REPORT_MAX_CURRENCIES, [day * MAX + currency] */
    json_t *campaigns;    /* owned: "adv/campaign" -> {advertiser_id, campaign_id, campaign_name,
                             currency, spend, impressions, clicks, conversions} */
} report_t;

/* An empty report of [from, to] (days; at most REPORT_MAX_DAYS). Returns
 * 0, or -1 (range, memory). */
int report_init(report_t *rep, long long from, long long to);

/* Add revenue field (borrowed, "<CUR>:web_orders" and the like, as stored
 * by revenue) of day index d. Unknown fields are ignored. Returns 0, or -1
 * when there are too many currencies. */
int report_put_revenue(report_t *rep, size_t d, const char *field, long long value);

/* Add advertiser adv's (borrowed) spend record rec (borrowed, as stored by
 * ads_spend) of day index d, and its campaigns. Returns 0 or -1. */
int report_put_spend(report_t *rep, size_t d, const char *adv, const json_t *rec);

/* Read [from, to] from Redis: revenue of every day and the spend of the
 * selected advertisers (ads_account_selected). err says what failed.
 * Returns 0, -2 when the range holds more than REPORT_MAX_CURRENCIES
 * currencies, or -1 (Redis, memory, a range out of bounds). */
int report_load(redis_conn_t *r, long long from, long long to, report_t *rep, char *err, size_t errlen);

/* Sort the currencies (rows come out in that order). */
void report_finish(report_t *rep);

/* {"from","to","currencies":[...],"days":[...],"totals":{CUR:{...}}} into
 * out (appended), with the members of extra (borrowed, may be NULL) after
 * them. Returns 0 or -1 (out's maximum). */
int report_json(const report_t *rep, const json_t *extra, buf_t *out);

/* The same rows as CSV with a header line (appended). Returns 0 or -1. */
int report_csv(const report_t *rep, buf_t *out);

/* {"from","to","campaigns":[{advertiser_id, campaign_id, campaign_name,
 * currency, spend, impressions, clicks, conversions}]} by spend, highest
 * first, into out (appended). Returns 0 or -1. */
int report_campaigns_json(const report_t *rep, buf_t *out);

void report_free(report_t *rep);

#endif
