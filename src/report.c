/*
 * report — the daily P&L over revenue and ad spend (see report.h).
 */
#include "shopsync/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_scripts.h"
#include "shopsync/ads_account.h"
#include "shopsync/day.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/money.h"

/* KEYS and ARGV: src/lua/revenue_read.lua. */
static const redis_script_t read_script = {"revenue_read", LUA_SRC_REVENUE_READ};

int report_init(report_t *rep, long long from, long long to)
{
    memset(rep, 0, sizeof(*rep));
    if (from > to || to - from + 1 > REPORT_MAX_DAYS)
        return -1;
    rep->from = from;
    rep->to = to;
    rep->n_days = (size_t)(to - from + 1);
    rep->cells = calloc(rep->n_days * REPORT_MAX_CURRENCIES, sizeof(*rep->cells));
    rep->campaigns = json_object();
    if (!rep->cells || !rep->campaigns) {
        report_free(rep);
        return -1;
    }
    return 0;
}

void report_free(report_t *rep)
{
    free(rep->cells);
    json_decref(rep->campaigns);
    rep->cells = NULL;
    rep->campaigns = NULL;
}

/* The index of currency cur (3 bytes, borrowed), added when new; -1 when
 * there is no room or it is not three capitals. */
static int currency_index(report_t *rep, const char *cur)
{
    for (int k = 0; k < 3; k++)
        if (cur[k] < 'A' || cur[k] > 'Z')
            return -1;
    for (size_t i = 0; i < rep->n_cur; i++)
        if (memcmp(rep->currencies[i], cur, 3) == 0)
            return (int)i;
    if (rep->n_cur == REPORT_MAX_CURRENCIES)
        return -1;
    memcpy(rep->currencies[rep->n_cur], cur, 3);
    rep->currencies[rep->n_cur][3] = '\0';
    return (int)rep->n_cur++;
}

static report_cell_t *cell(const report_t *rep, size_t d, size_t c)
{
    return &rep->cells[d * REPORT_MAX_CURRENCIES + c];
}

int report_put_revenue(report_t *rep, size_t d, const char *field, long long value)
{
    if (d >= rep->n_days || strlen(field) < 5 || field[3] != ':')
        return 0;
    const char *name = field + 4;
    long long *slot = NULL;
    int c = currency_index(rep, field);
    if (c < 0)
        return -1;
    report_cell_t *x = cell(rep, d, (size_t)c);
    if (strcmp(name, "web_orders") == 0)
        slot = &x->web_orders;
    else if (strcmp(name, "web_revenue") == 0)
        slot = &x->web_revenue;
    else if (strcmp(name, "tts_orders") == 0)
        slot = &x->tts_orders;
    else if (strcmp(name, "tts_gmv") == 0)
        slot = &x->tts_gmv;
    else if (strcmp(name, "tts_cancelled") == 0)
        slot = &x->tts_cancelled;
    if (slot)
        *slot += value;
    return 0;
}

static long long num(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

int report_put_spend(report_t *rep, size_t d, const char *adv, const json_t *rec)
{
    const char *cur = json_string_value(json_object_get(rec, "currency"));
    if (d >= rep->n_days || !cur || strlen(cur) != 3)
        return 0;
    int c = currency_index(rep, cur);
    if (c < 0)
        return -1;
    report_cell_t *x = cell(rep, d, (size_t)c);
    x->ad_spend += num(rec, "spend");
    x->impressions += num(rec, "impressions");
    x->clicks += num(rec, "clicks");
    x->conversions += num(rec, "conversions");
    const char *cid;
    const json_t *cv;
    json_object_foreach((json_t *)json_object_get(rec, "campaigns"), cid, cv) {
        char key[256];
        snprintf(key, sizeof(key), "%s/%s", adv, cid);
        json_t *agg = json_object_get(rep->campaigns, key);
        if (!agg) {
            agg = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "advertiser_id", adv, "campaign_id", cid,
                            "campaign_name", "", "currency", cur, "spend", (json_int_t)0, "impressions",
                            (json_int_t)0, "clicks", (json_int_t)0, "conversions", (json_int_t)0);
            if (!agg || json_object_set_new(rep->campaigns, key, agg))
                return -1;
        }
        /* The latest day's name wins: a campaign renamed reads as now. */
        const char *name = json_string_value(json_object_get(cv, "name"));
        if (name && *name)
            json_object_set_new(agg, "campaign_name", json_string(name));
        static const char *const f[] = {"spend", "impressions", "clicks", "conversions"};
        for (size_t i = 0; i < 4; i++)
            json_object_set_new(agg, f[i], json_integer(num(agg, f[i]) + num(cv, f[i])));
    }
    return 0;
}

int report_load(redis_conn_t *r, long long from, long long to, report_t *rep, char *err, size_t errlen)
{
    char(*keys)[KEY_MAX] = NULL;
    const char **kp = NULL;
    json_t *advs = NULL;
    redisReply *rev = NULL;
    int rc = -1;

    if (report_init(rep, from, to) != 0) {
        snprintf(err, errlen, "the range must be 1 to %d days", REPORT_MAX_DAYS);
        return -1;
    }
    size_t n = rep->n_days;
    keys = calloc(n + 1, KEY_MAX);
    kp = calloc(n + 1, sizeof(*kp));
    if (!keys || !kp) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    snprintf(err, errlen, "Redis is not answering");
    for (size_t i = 0; i < n; i++) {
        char d[DAY_TEXT_MAX];
        day_format(from + (long long)i, d);
        if (redis_key(keys[i], KEY_MAX, KEY_REVENUE_DAY_FMT, d))
            goto out;
        kp[i] = keys[i];
    }
    rev = redis_eval(r, &read_script, (int)n, kp, 0, NULL, NULL);
    if (!rev || rev->type != REDIS_REPLY_ARRAY || rev->elements != n)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const redisReply *h = rev->element[i];
        for (size_t j = 0; h->type == REDIS_REPLY_ARRAY && j + 1 < h->elements; j += 2)
            if (h->element[j]->type == REDIS_REPLY_STRING && h->element[j + 1]->type == REDIS_REPLY_STRING &&
                report_put_revenue(rep, i, h->element[j]->str, strtoll(h->element[j + 1]->str, NULL, 10)) != 0) {
                snprintf(err, errlen, "more than %d currencies in the range", REPORT_MAX_CURRENCIES);
                rc = -2;
                goto out;
            }
    }
    if (ads_account_selected(r, &advs) != 0)
        goto out;
    size_t ai;
    const json_t *a;
    json_array_foreach(advs, ai, a) {
        const char *adv = json_string_value(json_object_get(a, "id"));
        kp[0] = "MGET";
        for (size_t i = 0; i < n; i++) {
            char d[DAY_TEXT_MAX];
            day_format(from + (long long)i, d);
            if (redis_key(keys[i + 1], KEY_MAX, KEY_ADS_SPEND_DAY_FMT, adv, d))
                goto out;
            kp[i + 1] = keys[i + 1];
        }
        redisReply *sp = redis_cmd_argv(r, (int)n + 1, kp, NULL);
        if (!sp || sp->type != REDIS_REPLY_ARRAY || sp->elements != n) {
            if (sp)
                freeReplyObject(sp);
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            char jerr[64];
            if (sp->element[i]->type != REDIS_REPLY_STRING)
                continue;
            json_t *rec = jsonx_loadb(sp->element[i]->str, sp->element[i]->len, jerr, sizeof(jerr));
            int prc = rec ? report_put_spend(rep, i, adv, rec) : 0;
            json_decref(rec);
            if (prc != 0) {
                freeReplyObject(sp);
                snprintf(err, errlen, "more than %d currencies in the range", REPORT_MAX_CURRENCIES);
                rc = -2;
                goto out;
            }
        }
        freeReplyObject(sp);
    }
    err[0] = '\0';
    report_finish(rep);
    rc = 0;
out:
    if (rev)
        freeReplyObject(rev);
    json_decref(advs);
    free(kp);
    free(keys);
    if (rc != 0)
        report_free(rep);
    return rc;
}

void report_finish(report_t *rep)
{
    /* Insertion sort of at most 16 codes, moving each day's cells along. */
    for (size_t i = 1; i < rep->n_cur; i++)
        for (size_t j = i; j > 0 && strcmp(rep->currencies[j - 1], rep->currencies[j]) > 0; j--) {
            char t[4];
            memcpy(t, rep->currencies[j], 4);
            memcpy(rep->currencies[j], rep->currencies[j - 1], 4);
            memcpy(rep->currencies[j - 1], t, 4);
            for (size_t d = 0; d < rep->n_days; d++) {
                report_cell_t x = *cell(rep, d, j);
                *cell(rep, d, j) = *cell(rep, d, j - 1);
                *cell(rep, d, j - 1) = x;
            }
        }
}

/* The figures of x in currency cur, as name/value text: JSON members
 * (csv 0) or CSV fields (csv 1), appended to out. */
static int figures(buf_t *out, const report_cell_t *x, const char *cur, int csv)
{
    int dec = money_decimals(cur);
    char web[MONEY_TEXT_MAX], gmv[MONEY_TEXT_MAX], spend[MONEY_TEXT_MAX], roas[MONEY_TEXT_MAX], aov[MONEY_TEXT_MAX];
    money_format(x->web_revenue, dec, web, sizeof(web));
    money_format(x->tts_gmv, dec, gmv, sizeof(gmv));
    money_format(x->ad_spend, dec, spend, sizeof(spend));
    int no_roas = money_ratio(x->web_revenue + x->tts_gmv, x->ad_spend, roas, sizeof(roas));
    /* Average order value, rounded half up to the currency's minor unit. */
    int no_aov = x->tts_orders <= 0;
    if (!no_aov)
        money_format((x->tts_gmv + x->tts_orders / 2) / x->tts_orders, dec, aov, sizeof(aov));
    if (csv)
        return buf_appendf(out, "%lld,%s,%lld,%s,%lld,%s,%lld,%lld,%lld,%s,%s", x->web_orders, web, x->tts_orders, gmv,
                           x->tts_cancelled, spend, x->impressions, x->clicks, x->conversions, no_roas ? "" : roas,
                           no_aov ? "" : aov);
    return buf_appendf(out,
                       "\"web_orders\":%lld,\"web_revenue\":%s,\"tiktok_shop_orders\":%lld,\"tiktok_shop_gmv\":%s,"
                       "\"tiktok_shop_cancelled\":%lld,\"ad_spend\":%s,\"impressions\":%lld,\"clicks\":%lld,"
                       "\"conversions\":%lld,\"roas\":%s,\"tiktok_shop_aov\":%s",
                       x->web_orders, web, x->tts_orders, gmv, x->tts_cancelled, spend, x->impressions, x->clicks,
                       x->conversions, no_roas ? "null" : roas, no_aov ? "null" : aov);
}

static void add(report_cell_t *t, const report_cell_t *x)
{
    t->web_orders += x->web_orders;
    t->web_revenue += x->web_revenue;
    t->tts_orders += x->tts_orders;
    t->tts_gmv += x->tts_gmv;
    t->tts_cancelled += x->tts_cancelled;
    t->ad_spend += x->ad_spend;
    t->impressions += x->impressions;
    t->clicks += x->clicks;
    t->conversions += x->conversions;
}

/* s (borrowed) as a JSON string literal, appended. */
static int json_text(buf_t *out, const char *s)
{
    json_t *v = json_string(s);
    char *t = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    int rc = t ? buf_appends(out, t) : -1;
    free(t);
    return rc;
}

int report_json(const report_t *rep, const json_t *extra, buf_t *out)
{
    char d[DAY_TEXT_MAX];
    report_cell_t totals[REPORT_MAX_CURRENCIES];
    memset(totals, 0, sizeof(totals));
    day_format(rep->from, d);
    if (buf_appendf(out, "{\"from\":\"%s\",", d))
        return -1;
    day_format(rep->to, d);
    if (buf_appendf(out, "\"to\":\"%s\",\"currencies\":[", d))
        return -1;
    for (size_t c = 0; c < rep->n_cur; c++)
        if (buf_appendf(out, "%s\"%s\"", c ? "," : "", rep->currencies[c]))
            return -1;
    if (buf_appends(out, "],\"days\":["))
        return -1;
    int first = 1;
    for (size_t i = 0; i < rep->n_days; i++) {
        day_format(rep->from + (long long)i, d);
        for (size_t c = 0; c < rep->n_cur; c++) {
            const report_cell_t *x = cell(rep, i, c);
            add(&totals[c], x);
            if (buf_appendf(out, "%s{\"date\":\"%s\",\"currency\":\"%s\",", first ? "" : ",", d,
                            rep->currencies[c]) ||
                figures(out, x, rep->currencies[c], 0) || buf_appends(out, "}"))
                return -1;
            first = 0;
        }
    }
    if (buf_appends(out, "],\"totals\":{"))
        return -1;
    for (size_t c = 0; c < rep->n_cur; c++)
        if (buf_appendf(out, "%s\"%s\":{\"currency\":\"%s\",", c ? "," : "", rep->currencies[c], rep->currencies[c]) ||
            figures(out, &totals[c], rep->currencies[c], 0) || buf_appends(out, "}"))
            return -1;
    if (buf_appends(out, "}"))
        return -1;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)extra, k, v) {
        char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        int rc = !t || buf_appends(out, ",") || json_text(out, k) || buf_appends(out, ":") || buf_appends(out, t);
        free(t);
        if (rc)
            return -1;
    }
    return buf_appends(out, "}");
}

int report_csv(const report_t *rep, buf_t *out)
{
    char d[DAY_TEXT_MAX];
    if (buf_appends(out, "date,currency,web_orders,web_revenue,tiktok_shop_orders,tiktok_shop_gmv,"
                         "tiktok_shop_cancelled,ad_spend,impressions,clicks,conversions,roas,tiktok_shop_aov\r\n"))
        return -1;
    for (size_t i = 0; i < rep->n_days; i++) {
        day_format(rep->from + (long long)i, d);
        for (size_t c = 0; c < rep->n_cur; c++)
            if (buf_appendf(out, "%s,%s,", d, rep->currencies[c]) ||
                figures(out, cell(rep, i, c), rep->currencies[c], 1) || buf_appends(out, "\r\n"))
                return -1;
    }
    return 0;
}

static int by_spend(const void *a, const void *b)
{
    long long x = num(*(json_t *const *)a, "spend"), y = num(*(json_t *const *)b, "spend");
    if (x != y)
        return x < y ? 1 : -1;
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "campaign_id")),
                  json_string_value(json_object_get(*(json_t *const *)b, "campaign_id")));
}

int report_campaigns_json(const report_t *rep, buf_t *out)
{
    char d[DAY_TEXT_MAX], spend[MONEY_TEXT_MAX];
    size_t n = json_object_size(rep->campaigns), i = 0;
    json_t **list = calloc(n ? n : 1, sizeof(*list));
    const char *k;
    json_t *v;
    int rc = -1;
    if (!list)
        return -1;
    json_object_foreach(rep->campaigns, k, v) list[i++] = v;
    qsort(list, n, sizeof(*list), by_spend);
    day_format(rep->from, d);
    if (buf_appendf(out, "{\"from\":\"%s\",", d))
        goto out;
    day_format(rep->to, d);
    if (buf_appendf(out, "\"to\":\"%s\",\"campaigns\":[", d))
        goto out;
    for (i = 0; i < n; i++) {
        const char *cur = json_string_value(json_object_get(list[i], "currency"));
        money_format(num(list[i], "spend"), money_decimals(cur), spend, sizeof(spend));
        if (buf_appends(out, i ? ",{\"advertiser_id\":" : "{\"advertiser_id\":") ||
            json_text(out, json_string_value(json_object_get(list[i], "advertiser_id"))) ||
            buf_appends(out, ",\"campaign_id\":") ||
            json_text(out, json_string_value(json_object_get(list[i], "campaign_id"))) ||
            buf_appends(out, ",\"campaign_name\":") ||
            json_text(out, json_string_value(json_object_get(list[i], "campaign_name"))) ||
            buf_appendf(out, ",\"currency\":\"%s\",\"spend\":%s,\"impressions\":%lld,\"clicks\":%lld,"
                             "\"conversions\":%lld}",
                        cur, spend, num(list[i], "impressions"), num(list[i], "clicks"), num(list[i], "conversions")))
            goto out;
    }
    rc = buf_appends(out, "]}");
out:
    free(list);
    return rc;
}
