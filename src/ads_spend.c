/*
 * ads_spend — the ad spend sync job (see ads_spend.h).
 */
#include "shopsync/ads_spend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lua_scripts.h"
#include "shopsync/ads_account.h"
#include "shopsync/ads_client.h"
#include "shopsync/crypto.h"
#include "shopsync/day.h"
#include "shopsync/instance.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"
#include "shopsync/money.h"
#include "shopsync/util.h"

#define JOB_TTL_S (7 * 86400)
/* Renewed before every call: it only has to outlive one report call with
 * its retries. */
#define LOCK_TTL_S 300
/* Spend records outlive the longest report (366 days). */
#define DAY_TTL_S (400 * 86400)
#define MAX_WINDOWS 8
/* A window of 30 days has at most 30 rows per campaign: 100 pages of 1,000
 * rows is 100,000 campaign-days, far beyond any account; more is a loop. */
#define MAX_PAGES 100
#define ATTEMPTS 4
#define PATH_MAX_BYTES 4096
#define INTERRUPTED "interrupted: the shopsync instance running this spend sync stopped; run it again"

/* KEYS and ARGV: src/lua/spend_replace.lua. */
static const redis_script_t replace_script = {"spend_replace", LUA_SRC_SPEND_REPLACE};

static const char *const METRICS = "[\"spend\",\"impressions\",\"clicks\",\"conversion\",\"complete_payment\","
                                   "\"campaign_name\"]";
static const char *const DIMENSIONS = "[\"campaign_id\",\"stat_time_day\"]";

void ads_spend_range(long long today, long long last_synced, long long *from, long long *to)
{
    *to = today + 1;
    if (last_synced < 0) {
        *from = today - (ADS_SPEND_FIRST_DAYS - 1);
        return;
    }
    *from = today - (ADS_SPEND_RESYNC_DAYS - 1);
    /* A gap (the service was down a while) is filled, within the first
     * pull's reach. */
    if (last_synced - (ADS_SPEND_RESYNC_DAYS - 1) < *from)
        *from = last_synced - (ADS_SPEND_RESYNC_DAYS - 1);
    if (*from < today - (ADS_SPEND_FIRST_DAYS - 1))
        *from = today - (ADS_SPEND_FIRST_DAYS - 1);
}

/* A metric string (or number) of metrics (borrowed) as a count into *out:
 * "-" and absent are 0. Returns 0 or -1 with err. */
static int metric_count(const json_t *metrics, const char *name, long long *out, char *err, size_t errlen)
{
    const json_t *v = json_object_get(metrics, name);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = json_integer_value(v);
        return 0;
    }
    if (!json_is_string(v) || money_parse(json_string_value(v), 0, out) < 0) {
        snprintf(err, errlen, "metrics.%s: not a count", name);
        return -1;
    }
    return 0;
}

int ads_spend_parse_row(const json_t *row, int decimals, ads_spend_row_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const json_t *dims = json_object_get(row, "dimensions");
    const json_t *mets = json_object_get(row, "metrics");
    if (!json_is_object(dims) || !json_is_object(mets)) {
        snprintf(err, errlen, "a row without dimensions or metrics");
        return -1;
    }
    /* jsonx's own message is not used: the row's error names the path. */
    char ierr[64];
    if (jsonx_get_id(dims, "campaign_id", out->campaign_id, sizeof(out->campaign_id), ierr, sizeof(ierr)) != 0) {
        snprintf(err, errlen, "dimensions.campaign_id: missing or too long");
        return -1;
    }
    if (day_parse(json_string_value(json_object_get(dims, "stat_time_day")), 1, &out->day) != 0) {
        snprintf(err, errlen, "dimensions.stat_time_day: not YYYY-MM-DD HH:MM:SS");
        return -1;
    }
    const json_t *spend = json_object_get(mets, "spend");
    if (spend && !json_is_null(spend) &&
        (!json_is_string(spend) || money_parse(json_string_value(spend), decimals, &out->spend) < 0)) {
        snprintf(err, errlen, "metrics.spend: not an amount");
        return -1;
    }
    if (metric_count(mets, "impressions", &out->impressions, err, errlen) ||
        metric_count(mets, "clicks", &out->clicks, err, errlen) ||
        metric_count(mets, "conversion", &out->conversions, err, errlen) ||
        metric_count(mets, "complete_payment", &out->complete_payment, err, errlen))
        return -1;
    const char *name = json_string_value(json_object_get(mets, "campaign_name"));
    if (name && strcmp(name, "-") != 0)
        snprintf(out->campaign_name, sizeof(out->campaign_name), "%s", name);
    return 0;
}

/* ---- the job record --------------------------------------------------- */

typedef struct job {
    const config_t *cfg;
    redis_conn_t *r;
    char id[ADS_SPEND_JOB_ID_HEX + 1];
    char owner[INSTANCE_OWNER_MAX];
    char key[KEY_MAX], lock[KEY_MAX];
    json_t *doc; /* owned: the record as stored */
    const atomic_int *stop;
    int lost_lock; /* fetch_page found the lock taken over: the job stops */
} job_t;

/* A new job record for id (borrowed): running since now, no advertisers
 * yet. NULL when out of memory. */
static json_t *job_doc(const char *id)
{
    return json_pack("{s:s,s:s,s:I,s:n,s:[],s:n}", "job_id", id, "state", "running", "started_at",
                     (json_int_t)time(NULL), "finished_at", "advertisers", "error");
}

static int save(job_t *j)
{
    char *text = json_dumps(j->doc, JSON_COMPACT);
    if (!text)
        return -1;
    redisReply *rep = redis_cmd(j->r, "SET %s %s EX %d", j->key, text, JOB_TTL_S);
    free(text);
    int ok = rep && rep->type == REDIS_REPLY_STATUS;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

static int job_keys(const char *job_id, char *key, char *lock)
{
    return redis_key(key, KEY_MAX, KEY_ADS_SPEND_JOB_FMT, job_id) || redis_key(lock, KEY_MAX, KEY_ADS_SPEND_LOCK);
}

ads_spend_rc ads_spend_create(const config_t *cfg, redis_conn_t *r, char *job_id)
{
    char token[ADS_ACCOUNT_TOKEN_MAX], last[KEY_MAX];
    job_t j;
    json_t *selected = NULL;
    ads_account_rc arc = ads_account_load(cfg, r, token, &selected);
    memset(token, 0, sizeof(token));
    size_t n_sel = json_array_size(selected);
    json_decref(selected);
    if (arc == ADS_ACCOUNT_NOT_CONNECTED)
        return SPEND_NOT_CONNECTED;
    if (arc != ADS_ACCOUNT_OK)
        return SPEND_UNAVAILABLE;
    if (n_sel == 0)
        return SPEND_NO_ADVERTISER;
    memset(&j, 0, sizeof(j));
    j.cfg = cfg;
    j.r = r;
    if (crypto_random_hex(ADS_SPEND_JOB_ID_HEX / 2, job_id) != 0 || job_keys(job_id, j.key, j.lock) ||
        redis_key(last, sizeof(last), KEY_ADS_SPEND_LAST))
        return SPEND_UNAVAILABLE;
    snprintf(j.id, sizeof(j.id), "%s", job_id);
    instance_owner_named(j.owner, job_id);
    int got = instance_lock(r, j.lock, j.owner, (long long)LOCK_TTL_S * 1000);
    if (got < 0)
        return SPEND_UNAVAILABLE;
    if (!got) {
        char holder[INSTANCE_OWNER_MAX];
        if (redis_get_str(r, holder, sizeof(holder), "GET %s", j.lock) == 0)
            snprintf(job_id, ADS_SPEND_JOB_ID_HEX + 1, "%s", instance_owner_name(holder));
        return SPEND_BUSY;
    }
    j.doc = job_doc(job_id);
    int ok = j.doc && save(&j) == 0;
    json_decref(j.doc);
    redisReply *rep = ok ? redis_cmd(r, "SET %s %s", last, job_id) : NULL;
    ok = rep && rep->type == REDIS_REPLY_STATUS;
    if (rep)
        freeReplyObject(rep);
    if (!ok) {
        redis_unlock(r, j.lock, j.owner);
        return SPEND_UNAVAILABLE;
    }
    return SPEND_STARTED;
}

/* End the job: state, error (borrowed, may be NULL), then the lock. */
static void finish(job_t *j, const char *state, const char *error)
{
    json_object_set_new(j->doc, "state", json_string(state));
    json_object_set_new(j->doc, "finished_at", json_integer((json_int_t)time(NULL)));
    json_object_set_new(j->doc, "error", error ? json_string(error) : json_null());
    if (save(j) != 0)
        log_msg(LOG_WARN, "ads_spend_job_save_failed", "the spend sync job's end could not be recorded");
    redis_unlock(j->r, j->lock, j->owner);
    log_event(LOG_INFO, "ads_spend_sync", json_pack("{s:s,s:s,s:s?}", "job_id", j->id, "state", state, "error", error));
}

void ads_spend_abort(redis_conn_t *r, const char *job_id, const char *why)
{
    job_t j;
    memset(&j, 0, sizeof(j));
    j.r = r;
    snprintf(j.id, sizeof(j.id), "%s", job_id);
    if (job_keys(job_id, j.key, j.lock))
        return;
    instance_owner_named(j.owner, job_id);
    j.doc = job_doc(job_id);
    if (j.doc)
        finish(&j, "failed", why);
    json_decref(j.doc);
}

/* ---- one advertiser -------------------------------------------------- */

/* What one window's rows add up to: day (text) -> the day's record. */
static void add_row(json_t *days, const ads_spend_row_t *row, const char *currency)
{
    char d[DAY_TEXT_MAX];
    day_format(row->day, d);
    json_t *rec = json_object_get(days, d);
    if (!rec) {
        rec = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:{}}", "currency", currency, "spend", (json_int_t)0, "impressions",
                        (json_int_t)0, "clicks", (json_int_t)0, "conversions", (json_int_t)0, "complete_payment",
                        (json_int_t)0, "campaigns");
        json_object_set_new(days, d, rec);
    }
    static const char *const f[] = {"spend", "impressions", "clicks", "conversions", "complete_payment"};
    const long long v[] = {row->spend, row->impressions, row->clicks, row->conversions, row->complete_payment};
    json_t *camps = json_object_get(rec, "campaigns");
    json_t *c = json_object_get(camps, row->campaign_id);
    if (!c) {
        c = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}", "name", row->campaign_name, "spend", (json_int_t)0, "impressions",
                      (json_int_t)0, "clicks", (json_int_t)0, "conversions", (json_int_t)0, "complete_payment",
                      (json_int_t)0);
        json_object_set_new(camps, row->campaign_id, c);
    }
    for (size_t i = 0; i < 5; i++) {
        json_object_set_new(rec, f[i], json_integer(json_integer_value(json_object_get(rec, f[i])) + v[i]));
        json_object_set_new(c, f[i], json_integer(json_integer_value(json_object_get(c, f[i])) + v[i]));
    }
}

/* Write the days of [from, to] of advertiser adv (borrowed) from days
 * (borrowed) in one step. Returns 0 or -1. */
static int replace_window(redis_conn_t *r, const char *adv, long long from, long long to, const json_t *days)
{
    size_t n = (size_t)(to - from + 1);
    char(*keys)[KEY_MAX] = calloc(n, KEY_MAX);
    const char **kp = calloc(n, sizeof(*kp));
    const char **args = calloc(n + 1, sizeof(*args));
    char **texts = calloc(n, sizeof(*texts));
    char ttl[32];
    int rc = -1;
    if (!keys || !kp || !args || !texts)
        goto out;
    snprintf(ttl, sizeof(ttl), "%d", DAY_TTL_S);
    args[0] = ttl;
    for (size_t i = 0; i < n; i++) {
        char d[DAY_TEXT_MAX];
        day_format(from + (long long)i, d);
        if (redis_key(keys[i], KEY_MAX, KEY_ADS_SPEND_DAY_FMT, adv, d))
            goto out;
        kp[i] = keys[i];
        const json_t *rec = json_object_get(days, d);
        texts[i] = rec ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        if (rec && !texts[i])
            goto out;
        args[i + 1] = texts[i] ? texts[i] : "";
    }
    redisReply *rep = redis_eval(r, &replace_script, (int)n, kp, (int)n + 1, args, NULL);
    rc = rep && rep->type == REDIS_REPLY_INTEGER ? 0 : -1;
    if (rep)
        freeReplyObject(rep);
out:
    for (size_t i = 0; texts && i < n; i++)
        free(texts[i]);
    free(texts);
    free(args);
    free(kp);
    free(keys);
    return rc;
}

/* One report page, with retries of what may pass later. */
static ads_client_rc fetch_page(job_t *j, const char *token, const char *adv, long long from, long long to, int page,
                                ads_client_result_t *res, char *msg, size_t msglen)
{
    char start[DAY_TEXT_MAX], end[DAY_TEXT_MAX], pg[16], ps[16];
    buf_t path;
    ads_client_rc rc = ADS_CLIENT_DEAD;
    day_format(from, start);
    day_format(to, end);
    snprintf(pg, sizeof(pg), "%d", page);
    snprintf(ps, sizeof(ps), "%d", ADS_SPEND_PAGE_SIZE);
    const char *params[] = {"advertiser_id", adv, "report_type", "BASIC", "data_level", "AUCTION_CAMPAIGN",
                            "dimensions", DIMENSIONS, "metrics", METRICS, "start_date", start, "end_date", end,
                            "page", pg, "page_size", ps, NULL};
    buf_init(&path, PATH_MAX_BYTES);
    if (ads_client_path(&path, "/open_api/v1.3/report/integrated/get/", params)) {
        snprintf(msg, msglen, "the report request is too long");
        buf_free(&path);
        return ADS_CLIENT_DEAD;
    }
    ads_client_config_t cc = {.api_base = j->cfg->ads_api_base, .access_token = token, .timeout_ms = 30000};
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        if (attempt) {
            /* 40100 is a per-second limit; a 5xx passes within seconds. */
            for (int k = 0; k < attempt * 10 && !(j->stop && atomic_load(j->stop)); k++)
                util_sleep_ms(100);
        }
        if (redis_lock_extend(j->r, j->lock, j->owner, (long long)LOCK_TTL_S * 1000) != 1) {
            snprintf(msg, msglen, "the spend sync lost its lock (another instance took it over)");
            j->lost_lock = 1;
            rc = ADS_CLIENT_DEAD;
            break;
        }
        rc = ads_client_call(&cc, "GET", path.data, NULL, 0, res, msg, msglen);
        if (rc != ADS_CLIENT_RETRY || (j->stop && atomic_load(j->stop)))
            break;
        ads_client_result_free(res);
    }
    buf_free(&path);
    return rc;
}

/* Sync advertiser a (borrowed {id,name,currency,timezone}) into its entry
 * e (borrowed, in the job record). Returns 0, -1 on an error of this
 * advertiser, -2 when the job must stop (token refused, stop, lost lock). */
static int sync_advertiser(job_t *j, const char *token, const json_t *a, json_t *e)
{
    const char *adv = json_string_value(json_object_get(a, "id"));
    const char *cur = json_string_value(json_object_get(a, "currency"));
    char sk[KEY_MAX], msg[ADS_CLIENT_MSG_MAX], err[ADS_CLIENT_MSG_MAX + 128], d1[DAY_TEXT_MAX], d2[DAY_TEXT_MAX];
    day_window_t w[MAX_WINDOWS];
    long long last = -1, from, to, pages = 0, rows = 0;
    int rc = -1;

    if (!cur || strlen(cur) != 3) {
        json_object_set_new(e, "error", json_string("TikTok did not say this advertiser's currency; reconnect the "
                                                    "account"));
        return -1;
    }
    int decimals = money_decimals(cur);
    if (redis_key(sk, sizeof(sk), KEY_ADS_SPEND_SYNCED_FMT, adv))
        return -1;
    /* Room for more than a day, so a damaged value fails to parse rather
     * than being cut into one. */
    char synced[32];
    int got = redis_get_str(j->r, synced, sizeof(synced), "GET %s", sk);
    if (got < 0) {
        json_object_set_new(e, "error", json_string("Redis is not answering"));
        return -1;
    }
    if (got == 0 && day_parse(synced, 0, &last) != 0)
        last = -1;
    ads_spend_range(day_today(), last, &from, &to);
    int nw = day_windows(from, to, ADS_SPEND_WINDOW_DAYS, w, MAX_WINDOWS);
    day_format(from, d1);
    day_format(to, d2);
    json_object_set_new(e, "from", json_string(d1));
    json_object_set_new(e, "to", json_string(d2));
    json_object_set_new(e, "windows", json_integer(nw));
    json_object_set_new(e, "state", json_string("running"));
    save(j);
    for (int wi = 0; wi < nw; wi++) {
        json_t *days = json_object();
        int total_pages = 1;
        for (int page = 1; page <= total_pages; page++) {
            ads_client_result_t res;
            if (j->stop && atomic_load(j->stop)) {
                json_decref(days);
                json_object_set_new(e, "error", json_string("interrupted: shopsync is stopping"));
                return -2;
            }
            ads_client_rc crc = fetch_page(j, token, adv, w[wi].from, w[wi].to, page, &res, msg, sizeof(msg));
            if (crc != ADS_CLIENT_OK) {
                day_format(w[wi].from, d1);
                day_format(w[wi].to, d2);
                snprintf(err, sizeof(err), "report %s..%s page %d: %s", d1, d2, page, msg);
                json_object_set_new(e, "error", json_string(err));
                ads_client_result_free(&res);
                json_decref(days);
                if (crc == ADS_CLIENT_TOKEN_REJECTED) {
                    ads_account_refused(j->r, msg);
                    return -2;
                }
                return j->lost_lock ? -2 : -1;
            }
            pages++;
            const json_t *pi = json_object_get(res.data, "page_info");
            const json_t *tp = json_object_get(pi, "total_page");
            if (json_is_integer(tp))
                total_pages = (int)(json_integer_value(tp) > MAX_PAGES ? MAX_PAGES : json_integer_value(tp));
            size_t i;
            const json_t *row;
            json_array_foreach(json_object_get(res.data, "list"), i, row) {
                ads_spend_row_t pr;
                char perr[128];
                if (ads_spend_parse_row(row, decimals, &pr, perr, sizeof(perr)) != 0) {
                    snprintf(err, sizeof(err), "report page %d row %zu: %s", page, i + 1, perr);
                    json_object_set_new(e, "error", json_string(err));
                    ads_client_result_free(&res);
                    json_decref(days);
                    return -1;
                }
                /* A row outside the window asked for is not TikTok's
                 * answer to this window: it would be replaced by the
                 * wrong window's write. */
                if (pr.day < w[wi].from || pr.day > w[wi].to)
                    continue;
                add_row(days, &pr, cur);
                rows++;
            }
            ads_client_result_free(&res);
            json_object_set_new(e, "pages", json_integer(pages));
            json_object_set_new(e, "rows", json_integer(rows));
            save(j);
        }
        int wrc = replace_window(j->r, adv, w[wi].from, w[wi].to, days);
        json_decref(days);
        if (wrc != 0) {
            json_object_set_new(e, "error", json_string("Redis is not answering: the window was not written"));
            return -1;
        }
        json_object_set_new(e, "windows_done", json_integer(wi + 1));
        save(j);
    }
    day_format(to, d2);
    redisReply *rep = redis_cmd(j->r, "SET %s %s", sk, d2);
    rc = rep && rep->type == REDIS_REPLY_STATUS ? 0 : -1;
    if (rep)
        freeReplyObject(rep);
    return rc;
}

int ads_spend_run(const config_t *cfg, redis_conn_t *r, const char *job_id, const atomic_int *stop)
{
    job_t j;
    char token[ADS_ACCOUNT_TOKEN_MAX];
    json_t *selected = NULL;
    int failed = 0, halted = 0;

    memset(&j, 0, sizeof(j));
    j.cfg = cfg;
    j.r = r;
    j.stop = stop;
    snprintf(j.id, sizeof(j.id), "%s", job_id);
    instance_owner_named(j.owner, job_id);
    if (job_keys(job_id, j.key, j.lock))
        return -1;
    j.doc = job_doc(job_id);
    if (!j.doc)
        return -1;
    ads_account_rc arc = ads_account_load(cfg, r, token, &selected);
    if (arc != ADS_ACCOUNT_OK) {
        finish(&j, "failed", arc == ADS_ACCOUNT_NOT_CONNECTED ? "the TikTok Ads account is not connected"
                                                              : "Redis is not answering");
        json_decref(j.doc);
        return -1;
    }
    json_t *list = json_object_get(j.doc, "advertisers");
    size_t i;
    const json_t *a;
    json_array_foreach(selected, i, a) json_array_append_new(
        list, json_pack("{s:O,s:O,s:O,s:s,s:I,s:I,s:I,s:I,s:n}", "id", json_object_get(a, "id"), "name",
                        json_object_get(a, "name"), "currency", json_object_get(a, "currency"), "state", "waiting",
                        "windows", (json_int_t)0, "windows_done", (json_int_t)0, "pages", (json_int_t)0, "rows",
                        (json_int_t)0, "error"));
    save(&j);
    json_array_foreach(selected, i, a) {
        json_t *e = json_array_get(list, i);
        int rc = halted ? -2 : sync_advertiser(&j, token, a, e);
        json_object_set_new(e, "state", json_string(rc == 0 ? "done" : halted ? "skipped" : "failed"));
        failed |= rc != 0;
        halted |= rc == -2;
        save(&j);
    }
    memset(token, 0, sizeof(token));
    json_decref(selected);
    const char *why = NULL;
    char first[ADS_CLIENT_MSG_MAX + 256] = "";
    json_array_foreach(list, i, a) {
        const char *ae = json_string_value(json_object_get(a, "error"));
        if (ae && !first[0])
            snprintf(first, sizeof(first), "advertiser %s: %s", json_string_value(json_object_get(a, "id")), ae);
    }
    if (failed)
        why = first[0] ? first : "the spend sync failed";
    finish(&j, failed ? "failed" : "done", why);
    json_decref(j.doc);
    return failed ? -1 : 0;
}

int ads_spend_get(redis_conn_t *r, const char *job_id, json_t **out)
{
    char key[KEY_MAX], lock[KEY_MAX], jerr[128];
    *out = NULL;
    if (strlen(job_id) != ADS_SPEND_JOB_ID_HEX || strspn(job_id, "0123456789abcdef") != ADS_SPEND_JOB_ID_HEX)
        return 1;
    if (job_keys(job_id, key, lock))
        return -1;
    redisReply *rep = redis_cmd(r, "GET %s", key);
    if (!rep)
        return -1;
    json_t *doc = rep->type == REDIS_REPLY_STRING ? jsonx_loadb(rep->str, rep->len, jerr, sizeof(jerr)) : NULL;
    freeReplyObject(rep);
    if (!doc)
        return 1;
    if (strcmp(json_string_value(json_object_get(doc, "state")) ? json_string_value(json_object_get(doc, "state")) : "",
               "running") == 0) {
        int interrupted = instance_job_interrupted(r, lock, job_id);
        if (interrupted < 0) {
            json_decref(doc);
            return -1;
        }
        if (interrupted) {
            json_object_set_new(doc, "state", json_string("failed"));
            json_object_set_new(doc, "error", json_string(INTERRUPTED));
        }
    }
    *out = doc;
    return 0;
}

int ads_spend_last(redis_conn_t *r, json_t **out)
{
    char last[KEY_MAX], id[64];
    *out = NULL;
    if (redis_key(last, sizeof(last), KEY_ADS_SPEND_LAST))
        return -1;
    int got = redis_get_str(r, id, sizeof(id), "GET %s", last);
    if (got != 0)
        return got < 0 ? -1 : 0;
    return ads_spend_get(r, id, out) < 0 ? -1 : 0;
}
