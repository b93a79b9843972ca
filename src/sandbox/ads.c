/*
 * ads — TikTok's Events API 2.0 imitation: POST /open_api/v1.3/event/track/
 * checks the Access-Token header (40104 missing, 40105 wrong), the injected
 * faults (ads_fail_next with ads_fail_code: 40100, 40105, 40002, 40001, or
 * HTTP 500), the event source (40001 for a pixel or offline event set it
 * does not know), and the body's shape as TikTok documents it (40002 naming
 * the field): at most 1,000 events, Unix-seconds event_time, match keys
 * that are SHA-256 hex (it never sees, nor could check, what was hashed),
 * string content ids, a three-letter currency. Accepted events are kept
 * and listed like Events Manager's Test Events: on the page and through
 * GET /sandbox/ads/events.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"
#include "shopsync/httpx.h"
#include "shopsync/jsonx.h"
#include "store.h"

#define ADS_BATCH_MAX 1000
#define PAGE_EVENTS 50

static int is_hash(const json_t *v)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) != 64)
        return 0;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
            return 0;
    return 1;
}

/* A match key: a SHA-256 hex string, or an array of them. */
static int hash_or_list(const json_t *v)
{
    if (json_is_array(v)) {
        size_t i;
        const json_t *x;
        if (json_array_size(v) == 0)
            return 0;
        json_array_foreach(v, i, x) if (!is_hash(x)) return 0;
        return 1;
    }
    return is_hash(v);
}

/* Check event i of data; the first problem into err. Returns 0 or -1. */
static int check_event(const json_t *e, size_t i, char *err, size_t errlen)
{
    static const char *const hashed[] = {"email", "phone", "external_id"};
    static const char *const plain[] = {"ttclid", "ttp", "ip", "user_agent"};
    if (!json_is_object(e))
        return snprintf(err, errlen, "data[%zu]: must be an object", i), -1;
    const char *name = json_string_value(json_object_get(e, "event"));
    if (!name || !*name)
        return snprintf(err, errlen, "data[%zu].event: Missing data for required field.", i), -1;
    const json_t *t = json_object_get(e, "event_time");
    if (!json_is_integer(t) || json_integer_value(t) < 1000000000 || json_integer_value(t) > 99999999999)
        return snprintf(err, errlen, "data[%zu].event_time: must be a Unix timestamp in seconds", i), -1;
    const json_t *id = json_object_get(e, "event_id");
    if (id && !json_is_string(id))
        return snprintf(err, errlen, "data[%zu].event_id: Not a valid string.", i), -1;
    const json_t *u = json_object_get(e, "user");
    if (u && !json_is_object(u))
        return snprintf(err, errlen, "data[%zu].user: Not a valid mapping type.", i), -1;
    for (size_t k = 0; u && k < 3; k++) {
        const json_t *v = json_object_get(u, hashed[k]);
        if (v && !hash_or_list(v))
            return snprintf(err, errlen, "data[%zu].user.%s: must be SHA-256 hashed (64 lowercase hex)", i,
                            hashed[k]),
                   -1;
    }
    for (size_t k = 0; u && k < 4; k++) {
        const json_t *v = json_object_get(u, plain[k]);
        if (v && !json_is_string(v))
            return snprintf(err, errlen, "data[%zu].user.%s: Not a valid string.", i, plain[k]), -1;
    }
    const json_t *page = json_object_get(e, "page");
    if (page && (!json_is_object(page) || !json_is_string(json_object_get(page, "url"))))
        return snprintf(err, errlen, "data[%zu].page.url: Not a valid string.", i), -1;
    const json_t *p = json_object_get(e, "properties");
    if (p && !json_is_object(p))
        return snprintf(err, errlen, "data[%zu].properties: Not a valid mapping type.", i), -1;
    const json_t *value = json_object_get(p, "value");
    if (value && !json_is_number(value))
        return snprintf(err, errlen, "data[%zu].properties.value: Not a valid number.", i), -1;
    const char *cur = json_string_value(json_object_get(p, "currency"));
    if (json_object_get(p, "currency") &&
        (!cur || strlen(cur) != 3 || !isupper((unsigned char)cur[0]) || !isupper((unsigned char)cur[1]) ||
         !isupper((unsigned char)cur[2])))
        return snprintf(err, errlen, "data[%zu].properties.currency: Not a valid ISO 4217 currency code.", i), -1;
    const char *ct = json_string_value(json_object_get(p, "content_type"));
    if (json_object_get(p, "content_type") && (!ct || (strcmp(ct, "product") != 0 && strcmp(ct, "product_group") != 0)))
        return snprintf(err, errlen, "data[%zu].properties.content_type: Must be one of: product, product_group.", i),
               -1;
    const json_t *contents = json_object_get(p, "contents");
    if (contents && !json_is_array(contents))
        return snprintf(err, errlen, "data[%zu].properties.contents: Not a valid list.", i), -1;
    size_t j;
    const json_t *c;
    json_array_foreach(contents, j, c) {
        if (!json_is_string(json_object_get(c, "content_id")))
            return snprintf(err, errlen, "data[%zu].properties.contents[%zu].content_id: Not a valid string.", i, j),
                   -1;
        const json_t *q = json_object_get(c, "quantity");
        if (q && !json_is_integer(q))
            return snprintf(err, errlen, "data[%zu].properties.contents[%zu].quantity: Not a valid integer.", i, j),
                   -1;
        const json_t *price = json_object_get(c, "price");
        if (price && !json_is_number(price))
            return snprintf(err, errlen, "data[%zu].properties.contents[%zu].price: Not a valid number.", i, j), -1;
    }
    return 0;
}

/* Record one track call (store locked). */
static void log_call(sb_store_t *s, long code, size_t events, const char *source)
{
    if (json_array_size(s->ads_calls) < SB_MAX_ADS_CALLS)
        json_array_append_new(s->ads_calls, json_pack("{s:I,s:I,s:I,s:s}", "at_ms", (json_int_t)(sb_wall_us() / 1000),
                                                      "code", (json_int_t)code, "events", (json_int_t)events,
                                                      "event_source", source ? source : ""));
}

int sb_ads_track(sb_req_t *r)
{
    const sb_config_t *cfg = r->app->cfg;
    sb_store_t *s = r->app->store;
    const char *token = mg_get_header(r->conn, "Access-Token");
    char err[400];
    json_t *body = NULL;
    int st;

    if (!token || !*token) {
        sb_store_lock(s);
        log_call(s, 40104, 0, NULL);
        sb_store_unlock(s);
        return sb_business_reply(r, 200, 40104, NULL,
                                 "Access token is null, set it in http header with key Access-Token.");
    }
    sb_store_lock(s);
    long fault = 0;
    if (s->faults.ads_fail_next > 0) {
        s->faults.ads_fail_next--;
        fault = s->faults.ads_fail_code ? s->faults.ads_fail_code : 40100;
        s->counters.faults_injected++;
    }
    int token_ok = sb_str_equal(token, cfg->ads_access_token);
    if (fault || !token_ok)
        log_call(s, fault ? fault : 40105, 0, NULL);
    sb_store_unlock(s);
    if (fault)
        return sb_business_fault(r, fault);
    if (!token_ok)
        return sb_business_reply(r, 200, 40105, NULL, "Access token is incorrect or has been revoked.");
    body = jsonx_loadb(r->body.data ? r->body.data : "", r->body.len, err, sizeof(err));
    if (!json_is_object(body)) {
        st = sb_business_reply(r, 200, 40002, NULL, "Request body: %s", body ? "must be a JSON object" : err);
        goto out;
    }
    const char *source = json_string_value(json_object_get(body, "event_source"));
    const char *source_id = json_string_value(json_object_get(body, "event_source_id"));
    const json_t *data = json_object_get(body, "data");
    const json_t *test = json_object_get(body, "test_event_code");
    long code = 40002;
    if (!source || (strcmp(source, "web") != 0 && strcmp(source, "offline") != 0)) {
        snprintf(err, sizeof(err), "event_source: Must be one of: web, app, offline, crm.");
    } else if (!source_id) {
        snprintf(err, sizeof(err), "event_source_id: Missing data for required field.");
    } else if (strcmp(source, "web") == 0 ? strcmp(source_id, cfg->ads_pixel_id) != 0
                                          : strcmp(source_id, cfg->ads_offline_event_set_id) != 0) {
        code = 40001;
        snprintf(err, sizeof(err), "No permission to operate %s: %s. You must be an admin or operator of this advertiser account.",
                 strcmp(source, "web") == 0 ? "pixel code" : "offline event set", source_id);
    } else if (test && !json_is_string(test)) {
        snprintf(err, sizeof(err), "test_event_code: Not a valid string.");
    } else if (!json_is_array(data) || json_array_size(data) == 0) {
        snprintf(err, sizeof(err), "data: Missing data for required field.");
    } else if (json_array_size(data) > ADS_BATCH_MAX) {
        snprintf(err, sizeof(err), "data: Length must be between 1 and %d.", ADS_BATCH_MAX);
    } else {
        code = 0;
        size_t i;
        const json_t *e;
        json_array_foreach(data, i, e) if (check_event(e, i, err, sizeof(err)) != 0)
        {
            code = 40002;
            break;
        }
    }
    sb_store_lock(s);
    log_call(s, code, json_array_size(data), source);
    if (code == 0) {
        s->counters.ads_accepted++;
        size_t i;
        json_t *e;
        size_t call = json_array_size(s->ads_calls);
        json_array_foreach(data, i, e) {
            if (json_array_size(s->ads_events) >= SB_MAX_ADS_EVENTS)
                break;
            json_t *copy = json_deep_copy(e);
            json_object_set_new(copy, "event_source", json_string(source));
            json_object_set_new(copy, "event_source_id", json_string(source_id));
            if (test)
                json_object_set(copy, "test_event_code", (json_t *)test);
            json_object_set_new(copy, "call", json_integer((json_int_t)call));
            json_array_append_new(s->ads_events, copy);
        }
    }
    sb_store_unlock(s);
    st = code == 0 ? sb_business_reply(r, 200, 0, NULL, "OK") : sb_business_reply(r, 200, code, NULL, "%s", err);
out:
    json_decref(body);
    return st;
}

int sb_ads_events(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    sb_store_lock(s);
    json_t *v = json_pack("{s:I,s:I,s:O,s:O}", "requests", (json_int_t)s->counters.ads_requests, "accepted_calls",
                          (json_int_t)s->counters.ads_accepted, "calls", s->ads_calls, "events", s->ads_events);
    sb_store_unlock(s);
    return sb_reply_json(r, 200, v);
}

int sb_ads_page_html(buf_t *b, sb_store_t *s)
{
    size_t n = json_array_size(s->ads_events);
    int rc = buf_appendf(b,
                         "<h2>TikTok Ads: events received</h2><p>Like Events Manager's Test Events: the last %d of "
                         "%zu events accepted by <code>POST /open_api/v1.3/event/track/</code> (%lu calls). Match "
                         "keys arrive hashed.</p><table id=\"ads-events\"><tr><th>Event</th><th>event_id</th>"
                         "<th>Source</th><th>Time</th><th>Value</th><th>Test code</th></tr>",
                         PAGE_EVENTS, n, s->counters.ads_requests);
    /* Newest first. */
    for (size_t k = 0; k < n && k < PAGE_EVENTS && rc == 0; k++) {
        const json_t *e = json_array_get(s->ads_events, n - 1 - k);
        const json_t *props = json_object_get(e, "properties");
        const json_t *value = json_object_get(props, "value");
        rc = buf_appends(b, "<tr><td>") ||
             sb_html_escape(b, json_string_value(json_object_get(e, "event")) ? json_string_value(json_object_get(e, "event")) : "") ||
             buf_appends(b, "</td><td><code>") ||
             sb_html_escape(b, json_string_value(json_object_get(e, "event_id")) ? json_string_value(json_object_get(e, "event_id")) : "") ||
             buf_appends(b, "</code></td><td>") ||
             sb_html_escape(b, json_string_value(json_object_get(e, "event_source")) ? json_string_value(json_object_get(e, "event_source")) : "") ||
             buf_appendf(b, "</td><td>%lld</td><td>", (long long)json_integer_value(json_object_get(e, "event_time")));
        if (rc == 0 && json_is_number(value))
            rc = buf_appendf(b, "%.2f ", json_number_value(value)) ||
                 sb_html_escape(b, json_string_value(json_object_get(props, "currency")) ? json_string_value(json_object_get(props, "currency")) : "");
        rc = rc || buf_appends(b, "</td><td>") ||
             sb_html_escape(b, json_string_value(json_object_get(e, "test_event_code")) ? json_string_value(json_object_get(e, "test_event_code")) : "") ||
             buf_appends(b, "</td></tr>");
    }
    return rc || buf_appends(b, "</table>");
}
