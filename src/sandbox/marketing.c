/*
 * marketing — TikTok's Marketing API as shopsync's reporting uses it: the
 * advertiser authorize page (/portal/auth), the auth code exchange
 * (single use, 1 hour), the advertisers a token reaches with their
 * currency and time zone, token revocation, and the integrated report
 * (BASIC, by campaign and day) over deterministic generated spend: values
 * as strings, "-" for some empty metrics, at most 30 days with
 * stat_time_day, paged. POST /sandbox/ads/marketing {"revise":true} changes
 * the last 7 days' figures (as TikTok revises recent days), and
 * {"fail_next":N,"fail_code":C} makes the next N calls answer C (40100,
 * 40102, 40105, 40002 or 500) — the customer-file audiences (dmp.c)
 * included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"
#include "shopsync/day.h"
#include "shopsync/httpx.h"
#include "shopsync/jsonx.h"
#include "store.h"

#define CODE_TTL_S 3600
#define MAX_CODES 1000
#define MAX_TOKENS 1000
#define PAGE_MAX (64 * 1024)
#define MAX_PAGE_SIZE 1000
#define RESYNC_DAYS 7

typedef struct advertiser {
    const char *id;
    const char *name;
    const char *currency;
    const char *timezone;
    int campaigns;
} advertiser_t;

/* The first has campaigns enough that a 30-day window takes two pages of
 * 1,000 rows. */
static const advertiser_t advertisers[] = {
    {"7200000000000000001", "Sandbox Candles US", "USD", "America/Los_Angeles", 40},
    {"7200000000000000002", "Sandbox Candles EU", "EUR", "Europe/Berlin", 3},
};
#define N_ADVERTISERS (sizeof(advertisers) / sizeof(advertisers[0]))

/* An injected fault for this call, answered (its status), or 0 when none. */
static int mapi_fault(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    long code = 0;
    sb_store_lock(s);
    if (s->mapi_fail_next > 0) {
        s->mapi_fail_next--;
        code = s->mapi_fail_code ? s->mapi_fail_code : 40100;
        s->counters.faults_injected++;
    }
    sb_store_unlock(s);
    return code ? sb_business_fault(r, code) : 0;
}

/* The advertiser ids the request's token reaches (a new array), or NULL
 * after answering 40104/40105 with *status set. */
static json_t *token_advertisers(sb_req_t *r, int *status)
{
    const char *token = mg_get_header(r->conn, "Access-Token");
    *status = 0;
    if (!token || !*token) {
        *status = sb_business_reply(r, 200, 40104, NULL,
                                    "Access token is null, set it in http header with key Access-Token.");
        return NULL;
    }
    sb_store_t *s = r->app->store;
    sb_store_lock(s);
    const json_t *ids = json_object_get(s->mapi_tokens, token);
    json_t *copy = ids ? json_deep_copy(ids) : NULL;
    sb_store_unlock(s);
    if (!copy) {
        *status = sb_business_reply(r, 200, 40105, NULL, "Access token is incorrect or has been revoked.");
        return NULL;
    }
    return copy;
}

json_t *sb_mapi_open(sb_req_t *r, int *status)
{
    *status = mapi_fault(r);
    return *status ? NULL : token_advertisers(r, status);
}

static int app_ok(const sb_config_t *cfg, const char *app_id, const char *secret)
{
    return app_id && secret && strcmp(app_id, cfg->ads_app_id) == 0 && sb_str_equal(secret, cfg->ads_app_secret);
}

static const advertiser_t *find_advertiser(const char *id)
{
    for (size_t i = 0; id && i < N_ADVERTISERS; i++)
        if (strcmp(advertisers[i].id, id) == 0)
            return &advertisers[i];
    return NULL;
}

/* ---- OAuth --------------------------------------------------------------- */

int sb_mapi_authorize_page(sb_req_t *r)
{
    const sb_config_t *cfg = r->app->cfg;
    const char *app_id = sb_params_get(&r->query, "app_id");
    const char *state = sb_params_get(&r->query, "state");
    const char *redirect = sb_params_get(&r->query, "redirect_uri");
    if (!app_id || strcmp(app_id, cfg->ads_app_id) != 0)
        return sb_error_page(r, 400, app_id ? "Unknown app_id: this app is not registered." : "app_id is required.");
    if (!redirect || (strncmp(redirect, "http://", 7) != 0 && strncmp(redirect, "https://", 8) != 0))
        return sb_error_page(r, 400, "redirect_uri is required (an http or https URL).");
    buf_t b;
    buf_init(&b, PAGE_MAX);
    int rc = buf_appends(&b, "<!doctype html><html><head><meta charset=\"utf-8\"><title>Authorize app - TikTok for "
                             "Business sandbox</title><style>body{font-family:sans-serif;max-width:40em;margin:2em auto}"
                             "form{display:inline-block;margin-right:1em}</style></head><body><h1>Authorize shopsync"
                             "</h1><p>The app <code>") ||
             sb_html_escape(&b, app_id) ||
             buf_appends(&b, "</code> asks to read reports of these ad accounts:</p><ul>");
    for (size_t i = 0; rc == 0 && i < N_ADVERTISERS; i++)
        rc = buf_appendf(&b, "<li>%s (%s, %s)</li>", advertisers[i].name, advertisers[i].id, advertisers[i].currency);
    rc = rc || buf_appends(&b, "</ul>");
    static const char *const decisions[][2] = {{"approve", "Confirm"}, {"deny", "Cancel"}};
    for (size_t i = 0; rc == 0 && i < 2; i++)
        rc = buf_appends(&b, "<form method=\"post\" action=\"/portal/auth\">") ||
             sb_html_hidden(&b, "app_id", app_id) || sb_html_hidden(&b, "state", state ? state : "") ||
             sb_html_hidden(&b, "redirect_uri", redirect) ||
             buf_appendf(&b, "<input type=\"hidden\" name=\"decision\" value=\"%s\"><button type=\"submit\" "
                             "id=\"ads-%s\">%s</button></form>",
                         decisions[i][0], decisions[i][0], decisions[i][1]);
    rc = rc || buf_appends(&b, "</body></html>");
    int st = rc == 0 ? sb_reply_html(r, 200, &b) : sb_error_page(r, 400, "state or redirect_uri is too long.");
    buf_free(&b);
    return st;
}

int sb_mapi_authorize_decide(sb_req_t *r)
{
    const sb_config_t *cfg = r->app->cfg;
    sb_store_t *s = r->app->store;
    char err[256], code[33];
    json_t *form = NULL;
    buf_t loc;
    int st;
    buf_init(&loc, 8192);
    if (sb_req_object(r, &form, err, sizeof(err)) != 0) {
        st = sb_error_page(r, 400, err);
        goto out;
    }
    const char *app_id = json_string_value(json_object_get(form, "app_id"));
    const char *state = json_string_value(json_object_get(form, "state"));
    const char *redirect = json_string_value(json_object_get(form, "redirect_uri"));
    const char *decision = json_string_value(json_object_get(form, "decision"));
    if (!app_id || strcmp(app_id, cfg->ads_app_id) != 0 || !redirect ||
        (strncmp(redirect, "http://", 7) != 0 && strncmp(redirect, "https://", 8) != 0)) {
        st = sb_error_page(r, 400, "Unknown app_id or missing redirect_uri.");
        goto out;
    }
    int approve = decision && strcmp(decision, "approve") == 0;
    int rc = buf_appendf(&loc, "%s%c", redirect, strchr(redirect, '?') ? '&' : '?');
    if (approve) {
        sb_random_hex(16, code);
        sb_store_lock(s);
        if (json_object_size(s->mapi_codes) >= MAX_CODES)
            json_object_clear(s->mapi_codes);
        json_object_set_new(s->mapi_codes, code, json_integer((json_int_t)(sb_now() + CODE_TTL_S)));
        sb_store_unlock(s);
        rc = rc || buf_appends(&loc, "auth_code=") || httpx_urlencode(&loc, code) || buf_appends(&loc, "&");
    }
    rc = rc || buf_appends(&loc, "state=") || httpx_urlencode(&loc, state ? state : "");
    if (rc != 0) {
        st = sb_error_page(r, 400, "redirect_uri or state is too long.");
        goto out;
    }
    httpx_redirect(r->conn, loc.data);
    st = 302;
out:
    json_decref(form);
    buf_free(&loc);
    return st;
}

int sb_mapi_access_token(sb_req_t *r)
{
    const sb_config_t *cfg = r->app->cfg;
    sb_store_t *s = r->app->store;
    char err[256], token[49];
    int st = mapi_fault(r);
    if (st)
        return st;
    json_t *body = jsonx_loadb(r->body.data ? r->body.data : "", r->body.len, err, sizeof(err));
    if (!json_is_object(body)) {
        json_decref(body);
        return sb_business_reply(r, 200, 40002, NULL, "Request body: must be a JSON object");
    }
    const char *app_id = json_string_value(json_object_get(body, "app_id"));
    const char *secret = json_string_value(json_object_get(body, "secret"));
    const char *code = json_string_value(json_object_get(body, "auth_code"));
    if (!app_ok(cfg, app_id, secret)) {
        json_decref(body);
        return sb_business_reply(r, 200, 40101, NULL, "app_id and secret do not match.");
    }
    sb_store_lock(s);
    json_t *exp = code ? json_object_get(s->mapi_codes, code) : NULL;
    int valid = exp && json_integer_value(exp) > sb_now();
    if (exp)
        json_object_del(s->mapi_codes, code);
    json_t *ids = json_array();
    if (valid) {
        sb_random_hex(24, token);
        for (size_t i = 0; i < N_ADVERTISERS; i++)
            json_array_append_new(ids, json_string(advertisers[i].id));
        if (json_object_size(s->mapi_tokens) >= MAX_TOKENS)
            json_object_clear(s->mapi_tokens);
        json_object_set(s->mapi_tokens, token, ids);
    }
    sb_store_unlock(s);
    json_decref(body);
    if (!valid) {
        json_decref(ids);
        return sb_business_reply(r, 200, 40110, NULL, "auth_code is invalid, expired or already used.");
    }
    return sb_business_reply(r, 200, 0,
                             json_pack("{s:s,s:o,s:[s]}", "access_token", token, "advertiser_ids", ids, "scope",
                                       "report"),
                             "OK");
}

int sb_mapi_advertiser_get(sb_req_t *r)
{
    int st = mapi_fault(r);
    if (st)
        return st;
    if (!app_ok(r->app->cfg, sb_params_get(&r->query, "app_id"), sb_params_get(&r->query, "secret")))
        return sb_business_reply(r, 200, 40101, NULL, "app_id and secret do not match.");
    json_t *ids = token_advertisers(r, &st);
    if (!ids)
        return st;
    json_t *list = json_array();
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id) {
        const advertiser_t *a = find_advertiser(json_string_value(id));
        if (a)
            json_array_append_new(list, json_pack("{s:s,s:s}", "advertiser_id", a->id, "advertiser_name", a->name));
    }
    json_decref(ids);
    return sb_business_reply(r, 200, 0, json_pack("{s:o}", "list", list), "OK");
}

int sb_mapi_advertiser_info(sb_req_t *r)
{
    int st;
    json_t *ids = sb_mapi_open(r, &st);
    if (!ids)
        return st;
    const char *want = sb_params_get(&r->query, "advertiser_ids");
    char err[128];
    json_t *asked = want ? jsonx_loadb(want, strlen(want), err, sizeof(err)) : NULL;
    if (!json_is_array(asked)) {
        json_decref(ids);
        json_decref(asked);
        return sb_business_reply(r, 200, 40002, NULL, "advertiser_ids: a JSON array of advertiser ids is required.");
    }
    json_t *list = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(asked, i, x) {
        const advertiser_t *a = find_advertiser(json_string_value(x));
        if (a && sb_json_list_has(ids, json_string_value(x)))
            json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:s}", "advertiser_id", a->id, "name", a->name,
                                                  "currency", a->currency, "timezone", a->timezone,
                                                  "display_timezone", a->timezone));
    }
    json_decref(ids);
    json_decref(asked);
    return sb_business_reply(r, 200, 0, json_pack("{s:o}", "list", list), "OK");
}

int sb_mapi_revoke(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    char err[128];
    int st = mapi_fault(r);
    if (st)
        return st;
    json_t *body = jsonx_loadb(r->body.data ? r->body.data : "", r->body.len, err, sizeof(err));
    const char *token = json_string_value(json_object_get(body, "access_token"));
    if (!app_ok(r->app->cfg, json_string_value(json_object_get(body, "app_id")),
                json_string_value(json_object_get(body, "secret")))) {
        json_decref(body);
        return sb_business_reply(r, 200, 40101, NULL, "app_id and secret do not match.");
    }
    sb_store_lock(s);
    int had = token && json_object_get(s->mapi_tokens, token) != NULL;
    if (had)
        json_object_del(s->mapi_tokens, token);
    sb_store_unlock(s);
    json_decref(body);
    if (!had)
        return sb_business_reply(r, 200, 40105, NULL, "Access token is incorrect or has been revoked.");
    return sb_business_reply(r, 200, 0, NULL, "OK");
}

/* ---- the report ---------------------------------------------------------- */

static unsigned long long mix(const char *s, unsigned long long h)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The figures of campaign c of advertiser a on day d; revised days (the
 * last RESYNC_DAYS before today) depend on the revision too. */
static json_t *row(const advertiser_t *a, int c, long long d, long long today, long revision)
{
    char day[DAY_TEXT_MAX], cid[32], name[64], key[96], spend[32], impressions[24], clicks[24], conv[24], pay[24];
    day_format(d, day);
    snprintf(cid, sizeof(cid), "%.16s%03d", a->id, c + 1);
    snprintf(name, sizeof(name), "%s campaign %02d", a->currency, c + 1);
    snprintf(key, sizeof(key), "%s|%s|%ld", cid, day, d > today - RESYNC_DAYS ? revision : 0L);
    unsigned long long h = mix(key, 14695981039346656037ULL);
    long long cents = 50 + (long long)(h % 4950);
    snprintf(spend, sizeof(spend), "%lld.%02lld", cents / 100, cents % 100);
    snprintf(impressions, sizeof(impressions), "%llu", 100 + (h >> 16) % 5000);
    snprintf(clicks, sizeof(clicks), "%llu", (h >> 32) % 100);
    snprintf(conv, sizeof(conv), "%llu", (h >> 40) % 10);
    snprintf(pay, sizeof(pay), "%llu", (h >> 48) % 5);
    /* Some campaign-days had no delivery: TikTok's "-". */
    int none = c % 10 == 6 && d % 5 == 0;
    char stat[32];
    snprintf(stat, sizeof(stat), "%s 00:00:00", day);
    return json_pack("{s:{s:s,s:s},s:{s:s,s:s,s:s,s:s,s:s,s:s}}", "dimensions", "campaign_id", cid, "stat_time_day",
                     stat, "metrics", "spend", none ? "-" : spend, "impressions", none ? "-" : impressions, "clicks",
                     none ? "-" : clicks, "conversion", none ? "-" : conv, "complete_payment", none ? "-" : pay,
                     "campaign_name", name);
}

static int json_list_has(const char *text, const char *want)
{
    char err[128];
    json_t *v = text ? jsonx_loadb(text, strlen(text), err, sizeof(err)) : NULL;
    int has = json_is_array(v) ? sb_json_list_has(v, want) : -1;
    json_decref(v);
    return has;
}

int sb_mapi_report(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    int st;
    json_t *ids = sb_mapi_open(r, &st);
    if (!ids)
        return st;
    const char *adv = sb_params_get(&r->query, "advertiser_id");
    int mine = sb_json_list_has(ids, adv);
    json_decref(ids);
    const advertiser_t *a = find_advertiser(adv);
    if (!a || !mine)
        return sb_business_reply(r, 200, 40001, NULL, "No permission to operate advertiser %s.", adv ? adv : "(none)");
    const char *rt = sb_params_get(&r->query, "report_type");
    const char *level = sb_params_get(&r->query, "data_level");
    const char *dims = sb_params_get(&r->query, "dimensions");
    const char *start = sb_params_get(&r->query, "start_date"), *end = sb_params_get(&r->query, "end_date");
    const char *ps = sb_params_get(&r->query, "page_size"), *pg = sb_params_get(&r->query, "page");
    long long from, to;
    if (!rt || strcmp(rt, "BASIC") != 0)
        return sb_business_reply(r, 200, 40002, NULL, "report_type: only BASIC is imitated.");
    if (!level || strcmp(level, "AUCTION_CAMPAIGN") != 0)
        return sb_business_reply(r, 200, 40002, NULL, "data_level: only AUCTION_CAMPAIGN is imitated.");
    if (json_list_has(dims, "stat_time_day") != 1 || json_list_has(dims, "campaign_id") != 1)
        return sb_business_reply(r, 200, 40002, NULL,
                                 "dimensions: a JSON array with campaign_id and stat_time_day is imitated.");
    if (json_list_has(sb_params_get(&r->query, "metrics"), "spend") != 1)
        return sb_business_reply(r, 200, 40002, NULL, "metrics: a JSON array including spend is required.");
    if (!start || !end || day_parse(start, 0, &from) != 0 || day_parse(end, 0, &to) != 0 || from > to)
        return sb_business_reply(r, 200, 40002, NULL,
                                 "start_date and end_date: YYYY-MM-DD, start_date not after end_date.");
    if (to - from + 1 > 30)
        return sb_business_reply(r, 200, 40002, NULL, "max time span is 30 days when use stat_time_day");
    char *e1 = NULL, *e2 = NULL;
    long size = ps ? strtol(ps, &e1, 10) : 10, page = pg ? strtol(pg, &e2, 10) : 1;
    if ((e1 && *e1) || (e2 && *e2) || size < 1 || size > MAX_PAGE_SIZE || page < 1)
        return sb_business_reply(r, 200, 40002, NULL, "page_size: 1 to %d; page: 1 or more.", MAX_PAGE_SIZE);
    long long today = day_today();
    /* No figures for days still to come. */
    long long last = to < today ? to : today;
    long long days = last >= from ? last - from + 1 : 0;
    long long total = days * a->campaigns;
    long long pages = (total + size - 1) / size;
    sb_store_lock(s);
    long revision = s->mapi_revision;
    s->mapi_report_calls++;
    sb_store_unlock(s);
    json_t *list = json_array();
    for (long long k = (page - 1) * size; k < total && k < page * size; k++)
        json_array_append_new(list, row(a, (int)(k % a->campaigns), from + k / a->campaigns, today, revision));
    return sb_business_reply(r, 200, 0,
                             json_pack("{s:o,s:{s:I,s:I,s:I,s:I}}", "list", list, "page_info", "page",
                                       (json_int_t)page, "page_size", (json_int_t)size, "total_number",
                                       (json_int_t)total, "total_page", (json_int_t)pages),
                             "OK");
}

int sb_mapi_state(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    sb_store_lock(s);
    json_t *v = json_pack("{s:I,s:I,s:I,s:I,s:I}", "tokens", (json_int_t)json_object_size(s->mapi_tokens),
                          "revision", (json_int_t)s->mapi_revision, "report_calls", (json_int_t)s->mapi_report_calls,
                          "fail_next", (json_int_t)s->mapi_fail_next, "fail_code", (json_int_t)s->mapi_fail_code);
    sb_store_unlock(s);
    return sb_reply_json(r, 200, v);
}

int sb_mapi_control(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    char err[256];
    json_t *body = NULL;
    long long next, code, corrupt;
    if (sb_req_object(r, &body, err, sizeof(err)) != 0)
        return sb_sim_fail(r, 400, "%s", err);
    sb_store_lock(s);
    int rc = sb_json_int(body, "fail_next", s->mapi_fail_next, 0, 1000000, &next, err, sizeof(err)) ||
             sb_json_int(body, "fail_code", s->mapi_fail_code ? s->mapi_fail_code : 40100, 500, 50002, &code, err,
                         sizeof(err)) ||
             sb_json_int(body, "dmp_corrupt_next", s->dmp_corrupt_next, 0, 1000000, &corrupt, err, sizeof(err));
    if (rc == 0 && code != 500 && code != 40100 && code != 40102 && code != 40105 && code != 40002) {
        snprintf(err, sizeof(err), "fail_code: must be 40100, 40102, 40105, 40002 or 500");
        rc = -1;
    }
    if (rc == 0) {
        s->mapi_fail_next = (long)next;
        s->mapi_fail_code = (long)code;
        if (sb_json_true(body, "revise"))
            s->mapi_revision++;
        s->dmp_corrupt_next = (long)corrupt;
        if (sb_json_true(body, "revoke_tokens"))
            json_object_clear(s->mapi_tokens);
    }
    sb_store_unlock(s);
    json_decref(body);
    if (rc != 0)
        return sb_sim_fail(r, 400, "%s", err);
    return sb_mapi_state(r);
}
