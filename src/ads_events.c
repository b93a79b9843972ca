/*
 * ads_events — Events API events built from Stripe, the store and offline
 * sales, hashed at intake and queued once (see ads_events.h).
 */
#include "shopsync/ads_events.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shopsync/ads_connection.h"
#include "shopsync/ads_hash.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"
#include "shopsync/money.h"
#include "shopsync/queue.h"

/* Longest plain (unhashed) match key or property we pass on. */
#define ADS_TEXT_MAX 1000
#define ADS_MAX_CONTENTS 1000

static unsigned long intake[ADS_ORIGIN_COUNT][ADS_IN_COUNT];

void ads_events_count(ads_origin origin, ads_intake_result result)
{
    __atomic_add_fetch(&intake[origin][result], 1, __ATOMIC_RELAXED);
}

unsigned long ads_events_counted(ads_origin origin, ads_intake_result result)
{
    return __atomic_load_n(&intake[origin][result], __ATOMIC_RELAXED);
}

const char *ads_events_origin_name(ads_origin o)
{
    static const char *const names[] = {"stripe", "store", "offline"};
    return o < ADS_ORIGIN_COUNT ? names[o] : "unknown";
}

ads_settings_t ads_events_settings(const config_t *cfg)
{
    ads_settings_t s = {cfg->phone_region, cfg->ads_purchase_event, cfg->ads_consent_required, (long long)time(NULL)};
    return s;
}

/* ---- problems, collected so that every bad field is named at once -------- */


/* ---- money and names ---------------------------------------------------- */

int ads_events_currency_decimals(const char *currency)
{
    /* Stripe's zero-decimal and three-decimal currencies. */
    static const char zero[] = "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF";
    static const char three[] = "BHD JOD KWD OMR TND";
    if (strlen(currency) != 3)
        return 2;
    if (strstr(zero, currency))
        return 0;
    if (strstr(three, currency))
        return 3;
    return 2;
}

int ads_events_money(long long minor, const char *currency, char cur_out[4], json_t **value, char *err,
                     size_t errlen)
{
    *value = NULL;
    if (money_currency_code(currency, cur_out) != 0) {
        snprintf(err, errlen, "currency: must be a three-letter ISO 4217 code");
        return -1;
    }
    if (minor < 0) {
        snprintf(err, errlen, "value: must not be negative");
        return -1;
    }
    int d = ads_events_currency_decimals(cur_out);
    if (d == 0) {
        *value = json_integer(minor);
    } else {
        /* Through a decimal string, so 1999 cents is exactly the double
         * nearest 19.99 (ads_events_dump prints it as 19.99). */
        long long unit = d == 3 ? 1000 : 100;
        char text[48];
        snprintf(text, sizeof(text), "%lld.%0*lld", minor / unit, d, minor % unit);
        *value = json_real(strtod(text, NULL));
    }
    if (!*value) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int ads_events_name_ok(const char *name, int offline)
{
    static const char *const standard[] = {
        "AddPaymentInfo", "AddToCart",  "AddToWishlist", "ApplicationApproval", "CompleteRegistration",
        "Contact",        "CustomizeProduct", "Download", "FindLocation", "InitiateCheckout",
        "Lead",           "Purchase",   "Schedule",      "Search",        "StartTrial",
        "SubmitApplication", "Subscribe", "ViewContent"};
    /* Renamed or soft-deprecated in 2025; TikTok converts them until 2027. */
    static const char *const legacy[] = {"CompletePayment", "PlaceAnOrder", "SubmitForm", "ClickButton"};
    for (size_t i = 0; i < sizeof(standard) / sizeof(standard[0]); i++)
        if (strcmp(name, standard[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++)
        if (strcmp(name, legacy[i]) == 0)
            return 1;
    (void)offline;
    return 0;
}

char *ads_events_dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
}

/* ---- shared field helpers ------------------------------------------------ */

/* A string member of obj, or NULL when absent, null or empty; a member of
 * another type is named in p. */
static const char *opt_text(const json_t *obj, const char *key, const char *path, jsonx_problems_t *p)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        jsonx_problem(p, "%s%s: must be a string", path, key);
        return NULL;
    }
    const char *s = json_string_value(v);
    if (strlen(s) > ADS_TEXT_MAX) {
        jsonx_problem(p, "%s%s: longer than %d characters", path, key, ADS_TEXT_MAX);
        return NULL;
    }
    return *s ? s : NULL;
}

/* Hash value (borrowed) of kind into user[key]; a bad one is named in p. */
static void put_hash(json_t *user, const char *key, ads_id_kind kind, const char *value, const char *region,
                     const char *path, jsonx_problems_t *p)
{
    char hex[ADS_HASH_HEX], err[256];
    if (!value)
        return;
    ads_hash_rc rc = ads_hash_value(kind, value, region, hex, err, sizeof(err));
    if (rc == ADS_HASH_INVALID)
        jsonx_problem(p, "%s%s: %s", path, key, err);
    else if (rc != ADS_HASH_EMPTY)
        json_object_set_new(user, key, json_string(hex));
}

static void put_text(json_t *obj, const char *key, const char *value)
{
    if (value)
        json_object_set_new(obj, key, json_string(value));
}

static int ip_ok(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* The data object of a Stripe event (borrowed), or NULL. */
static const json_t *stripe_object(const json_t *doc)
{
    return json_object_get(json_object_get(doc, "data"), "object");
}

/* ---- Stripe ------------------------------------------------------------- */

ads_build_rc ads_events_from_stripe_event(const ads_settings_t *s, const json_t *event, const stripe_line_t *lines,
                                          size_t n_lines, json_t **entry, char *why, size_t whylen)
{
    char cur[4];
    jsonx_problems_t p = {why, whylen, 0};
    json_t *ev = NULL, *user = NULL, *props = NULL, *contents = NULL, *value = NULL;
    ads_build_rc rc = ADS_BUILD_BAD;

    why[0] = '\0';
    *entry = NULL;
    const json_t *obj = stripe_object(event);
    const char *session = json_string_value(json_object_get(obj, "id"));
    const json_t *created = json_object_get(event, "created");
    if (!json_is_object(obj) || !session) {
        jsonx_problem(&p, "not a Stripe checkout event");
        goto out;
    }
    const json_t *meta = json_object_get(obj, "metadata");
    const char *consent = json_string_value(json_object_get(meta, "tiktok_consent"));
    if (consent && strcmp(consent, "denied") == 0) {
        snprintf(why, whylen, "the buyer denied consent (metadata.tiktok_consent=denied)");
        rc = ADS_BUILD_SKIP;
        goto out;
    }
    if (s->consent_required && !(consent && strcmp(consent, "granted") == 0)) {
        snprintf(why, whylen, "TIKTOK_EVENTS_CONSENT=required and the session's metadata.tiktok_consent is not granted");
        rc = ADS_BUILD_SKIP;
        goto out;
    }
    user = json_object();
    const json_t *details = json_object_get(obj, "customer_details");
    const char *email = opt_text(details, "email", "customer_details.", &p);
    if (!email)
        email = opt_text(obj, "customer_email", "", &p);
    /* Already hashed at intake; a plaintext one (an event queued before)
     * is hashed here: either way only the hash goes on. */
    put_hash(user, "email", ADS_ID_EMAIL, email, s->phone_region, "customer_details.", &p);
    put_hash(user, "phone", ADS_ID_PHONE, opt_text(details, "phone", "customer_details.", &p), s->phone_region,
             "customer_details.", &p);
    const char *external = opt_text(meta, "tiktok_external_id", "metadata.", &p);
    if (!external)
        external = json_string_value(json_object_get(obj, "customer"));
    put_hash(user, "external_id", ADS_ID_EXTERNAL_ID, external, s->phone_region, "metadata.", &p);
    put_text(user, "ttclid", opt_text(meta, "ttclid", "metadata.", &p));
    put_text(user, "ttp", opt_text(meta, "ttp", "metadata.", &p));
    const char *ip = opt_text(meta, "client_ip", "metadata.", &p);
    if (ip && !ip_ok(ip))
        jsonx_problem(&p, "metadata.client_ip: not an IPv4 or IPv6 address");
    put_text(user, "ip", ip);
    put_text(user, "user_agent", opt_text(meta, "client_user_agent", "metadata.", &p));
    if (p.n) {
        /* A storefront's bad metadata must not lose the sale: the fields
         * named are left out, the rest is sent. */
        log_event(LOG_WARN, "ads_stripe_fields_left_out", json_pack("{s:s,s:s}", "session_id", session, "problems", why));
        why[0] = '\0';
        p.n = 0;
    }

    props = json_object();
    const json_t *amount = json_object_get(obj, "amount_total");
    const char *currency = json_string_value(json_object_get(obj, "currency"));
    if (json_is_integer(amount) && currency) {
        char merr[128];
        if (ads_events_money(json_integer_value(amount), currency, cur, &value, merr, sizeof(merr)) == 0) {
            json_object_set_new(props, "currency", json_string(cur));
            json_object_set_new(props, "value", value);
            value = NULL;
        } else {
            log_event(LOG_WARN, "ads_stripe_value_left_out", json_pack("{s:s,s:s}", "session_id", session, "error", merr));
        }
    }
    json_object_set_new(props, "content_type", json_string("product"));
    contents = json_array();
    for (size_t i = 0; i < n_lines; i++) {
        if (!lines[i].sku[0] || lines[i].quantity <= 0)
            continue;
        json_t *c = json_pack("{s:s,s:I}", "content_id", lines[i].sku, "quantity", (json_int_t)lines[i].quantity);
        if (lines[i].description[0])
            json_object_set_new(c, "content_name", json_string(lines[i].description));
        json_array_append_new(contents, c);
    }
    json_object_set_new(props, "contents", contents);
    contents = NULL;
    json_object_set_new(props, "order_id", json_string(session));

    ev = json_pack("{s:s,s:I,s:s,s:O}", "event", s->purchase_event, "event_time",
                   (json_int_t)(json_is_integer(created) ? json_integer_value(created) : s->now), "event_id", session,
                   "user", user);
    const char *page_url = opt_text(meta, "page_url", "metadata.", &p);
    if (page_url)
        json_object_set_new(ev, "page", json_pack("{s:s}", "url", page_url));
    json_object_set(ev, "properties", props);
    *entry = json_pack("{s:s,s:s,s:O}", "source", "web", "origin", "stripe", "event", ev);
    rc = *entry ? ADS_BUILD_OK : ADS_BUILD_BAD;
    if (!*entry)
        snprintf(why, whylen, "out of memory");
out:
    json_decref(ev);
    json_decref(user);
    json_decref(props);
    json_decref(contents);
    json_decref(value);
    return rc;
}

ads_build_rc ads_events_from_stripe(const ads_settings_t *s, const char *body, size_t len, const stripe_line_t *lines,
                                    size_t n_lines, json_t **entry, char *why, size_t whylen)
{
    char jerr[256];
    /* An unreadable body is NULL here: "not a Stripe checkout event". */
    json_t *doc = jsonx_loadb(body, len, jerr, sizeof(jerr));
    ads_build_rc rc = ads_events_from_stripe_event(s, doc, lines, n_lines, entry, why, whylen);
    json_decref(doc);
    return rc;
}

/* ---- the store events API ------------------------------------------------ */

/* Check a JSON number member (integer or real) >= 0; NULL when absent. */
static const json_t *opt_amount(const json_t *obj, const char *key, const char *path, jsonx_problems_t *p)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1e12) {
        jsonx_problem(p, "%s%s: must be a number from 0 to 1e12", path, key);
        return NULL;
    }
    return v;
}

/* Only the listed members may appear in obj (the typo of a field name would
 * otherwise silently lose a match key). */
static void only_keys(const json_t *obj, const char *const *allowed, const char *path, jsonx_problems_t *p)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        size_t i;
        for (i = 0; allowed[i] && strcmp(allowed[i], key) != 0; i++)
            ;
        if (!allowed[i])
            jsonx_problem(p, "%s%s: unknown field", path, key);
    }
}

/* A contents[] array into props; every bad item named. */
static void put_contents(json_t *props, const json_t *arr, jsonx_problems_t *p)
{
    static const char *const keys[] = {"content_id", "content_name", "content_category", "brand", "quantity",
                                       "price", NULL};
    if (!arr || json_is_null(arr))
        return;
    if (!json_is_array(arr) || json_array_size(arr) > ADS_MAX_CONTENTS) {
        jsonx_problem(p, "properties.contents: must be an array of at most %d items", ADS_MAX_CONTENTS);
        return;
    }
    json_t *out = json_array();
    size_t i;
    const json_t *c;
    json_array_foreach(arr, i, c) {
        char path[64];
        snprintf(path, sizeof(path), "properties.contents[%zu].", i);
        if (!json_is_object(c)) {
            jsonx_problem(p, "properties.contents[%zu]: must be an object", i);
            continue;
        }
        only_keys(c, keys, path, p);
        json_t *o = json_object();
        const json_t *id = json_object_get(c, "content_id");
        if (!json_is_string(id) || !json_string_length(id))
            /* TikTok refuses a numeric content_id (40002): say so here. */
            jsonx_problem(p, "%scontent_id: required, a non-empty string (the SKU)", path);
        else
            put_text(o, "content_id", opt_text(c, "content_id", path, p));
        put_text(o, "content_name", opt_text(c, "content_name", path, p));
        put_text(o, "content_category", opt_text(c, "content_category", path, p));
        put_text(o, "brand", opt_text(c, "brand", path, p));
        const json_t *q = json_object_get(c, "quantity");
        if (q && !json_is_null(q)) {
            if (!json_is_integer(q) || json_integer_value(q) < 1 || json_integer_value(q) > 1000000000)
                jsonx_problem(p, "%squantity: must be a whole number from 1", path);
            else
                json_object_set(o, "quantity", (json_t *)q);
        }
        const json_t *price = opt_amount(c, "price", path, p);
        if (price)
            json_object_set(o, "price", (json_t *)price);
        json_array_append_new(out, o);
    }
    json_object_set_new(props, "contents", out);
}

ads_build_rc ads_events_from_store(const ads_settings_t *s, const json_t *in, json_t **entry, char *why,
                                   size_t whylen)
{
    static const char *const top[] = {"event_type", "event_time", "event_id", "user", "properties", "context", NULL};
    static const char *const user_keys[] = {"email", "phone", "external_id", "ttclid", "ttp", NULL};
    static const char *const prop_keys[] = {"value", "currency", "content_type", "contents", "order_id",
                                            "search_string", "description", NULL};
    static const char *const ctx_keys[] = {"page_url", "user_agent", "ip", NULL};
    jsonx_problems_t p = {why, whylen, 0};
    json_t *user = json_object(), *props = json_object(), *ev = NULL;
    long long t = s->now;

    why[0] = '\0';
    *entry = NULL;
    if (!json_is_object(in)) {
        jsonx_problem(&p, "the event must be a JSON object");
        goto out;
    }
    only_keys(in, top, "", &p);
    const char *name = opt_text(in, "event_type", "", &p);
    if (!name)
        jsonx_problem(&p, "event_type: required, e.g. AddToCart or InitiateCheckout");
    else if (!ads_events_name_ok(name, 0))
        jsonx_problem(&p, "event_type: %s is not one of TikTok's standard events (AddToCart, InitiateCheckout, Purchase, "
                "ViewContent, ...)", name);
    const json_t *id = json_object_get(in, "event_id");
    if (!json_is_string(id) || json_string_length(id) < 1 || json_string_length(id) > ADS_EVENT_ID_MAX)
        jsonx_problem(&p, "event_id: required, a string of 1 to %d characters (the pixel's event_id, for deduplication)",
            ADS_EVENT_ID_MAX);
    const json_t *tv = json_object_get(in, "event_time");
    if (tv && !json_is_null(tv)) {
        if (!json_is_integer(tv))
            jsonx_problem(&p, "event_time: must be Unix seconds (an integer)");
        else if (json_integer_value(tv) < s->now - ADS_MAX_AGE_S)
            jsonx_problem(&p, "event_time: older than 28 days (TikTok cannot attribute it)");
        else if (json_integer_value(tv) > s->now + ADS_FUTURE_SKEW_S)
            jsonx_problem(&p, "event_time: in the future");
        else
            t = json_integer_value(tv);
    }

    const json_t *u = json_object_get(in, "user");
    if (u && !json_is_null(u) && !json_is_object(u))
        jsonx_problem(&p, "user: must be an object");
    else if (u) {
        only_keys(u, user_keys, "user.", &p);
        put_hash(user, "email", ADS_ID_EMAIL, opt_text(u, "email", "user.", &p), s->phone_region, "user.", &p);
        put_hash(user, "phone", ADS_ID_PHONE, opt_text(u, "phone", "user.", &p), s->phone_region, "user.", &p);
        put_hash(user, "external_id", ADS_ID_EXTERNAL_ID, opt_text(u, "external_id", "user.", &p), s->phone_region,
                 "user.", &p);
        put_text(user, "ttclid", opt_text(u, "ttclid", "user.", &p));
        put_text(user, "ttp", opt_text(u, "ttp", "user.", &p));
    }
    const json_t *ctx = json_object_get(in, "context");
    const char *page_url = NULL;
    if (ctx && !json_is_null(ctx) && !json_is_object(ctx))
        jsonx_problem(&p, "context: must be an object");
    else if (ctx) {
        only_keys(ctx, ctx_keys, "context.", &p);
        const char *ip = opt_text(ctx, "ip", "context.", &p);
        if (ip && !ip_ok(ip))
            jsonx_problem(&p, "context.ip: not an IPv4 or IPv6 address");
        put_text(user, "ip", ip);
        put_text(user, "user_agent", opt_text(ctx, "user_agent", "context.", &p));
        page_url = opt_text(ctx, "page_url", "context.", &p);
        if (page_url && strncmp(page_url, "http://", 7) != 0 && strncmp(page_url, "https://", 8) != 0)
            jsonx_problem(&p, "context.page_url: must be an http:// or https:// URL");
    }
    const json_t *pr = json_object_get(in, "properties");
    if (pr && !json_is_null(pr) && !json_is_object(pr))
        jsonx_problem(&p, "properties: must be an object");
    else if (pr) {
        only_keys(pr, prop_keys, "properties.", &p);
        const json_t *value = opt_amount(pr, "value", "properties.", &p);
        const char *currency = opt_text(pr, "currency", "properties.", &p);
        char cur[4];
        if (currency && money_currency_code(currency, cur) != 0)
            jsonx_problem(&p, "properties.currency: must be a three-letter ISO 4217 code");
        else if (currency)
            json_object_set_new(props, "currency", json_string(cur));
        if (value && !currency)
            jsonx_problem(&p, "properties.currency: required with a value");
        if (value)
            json_object_set(props, "value", (json_t *)value);
        const char *ct = opt_text(pr, "content_type", "properties.", &p);
        if (ct && strcmp(ct, "product") != 0 && strcmp(ct, "product_group") != 0)
            jsonx_problem(&p, "properties.content_type: must be product or product_group");
        put_text(props, "content_type", ct);
        put_contents(props, json_object_get(pr, "contents"), &p);
        put_text(props, "order_id", opt_text(pr, "order_id", "properties.", &p));
        put_text(props, "search_string", opt_text(pr, "search_string", "properties.", &p));
        put_text(props, "description", opt_text(pr, "description", "properties.", &p));
    }
    if (p.n)
        goto out;
    ev = json_pack("{s:s,s:I,s:s,s:O}", "event", name, "event_time", (json_int_t)t, "event_id", json_string_value(id),
                   "user", user);
    if (page_url)
        json_object_set_new(ev, "page", json_pack("{s:s}", "url", page_url));
    if (json_object_size(props))
        json_object_set(ev, "properties", props);
    *entry = json_pack("{s:s,s:s,s:O}", "source", "web", "origin", "store", "event", ev);
out:
    json_decref(user);
    json_decref(props);
    json_decref(ev);
    return *entry ? ADS_BUILD_OK : ADS_BUILD_BAD;
}

/* ---- intake ------------------------------------------------------------- */

/* 1 when the len bytes of s contain word (borrowed, NUL-terminated). */
static int contains(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= len; i++)
        if (s[i] == word[0] && memcmp(s + i, word, n) == 0)
            return 1;
    return 0;
}

/* Hash the string member key of obj (borrowed) in place, or remove it when
 * it is not an email / phone number. Returns 1 when obj changed. */
static int redact_member(json_t *obj, const char *key, ads_id_kind kind, const char *region)
{
    const char *v = json_string_value(json_object_get(obj, key));
    char hex[ADS_HASH_HEX], err[128];
    if (!v || !*v)
        return 0;
    ads_hash_rc rc = ads_hash_value(kind, v, region, hex, err, sizeof(err));
    if (rc == ADS_HASH_PASSED)
        return 0;
    if (rc == ADS_HASH_OK)
        json_object_set_new(obj, key, json_string(hex));
    else
        json_object_del(obj, key);
    return 1;
}

int ads_events_redact_stripe(const char *region, const char *body, size_t len, char **out, size_t *out_len)
{
    char jerr[128];
    *out = NULL;
    *out_len = 0;
    /* Most Stripe events carry no buyer details: skip the second parse. */
    if (!contains(body, len, "email") && !contains(body, len, "phone"))
        return 0;
    json_t *doc = jsonx_loadb(body, len, jerr, sizeof(jerr));
    if (!doc)
        return -1;
    json_t *obj = (json_t *)stripe_object(doc);
    json_t *details = json_object_get(obj, "customer_details");
    int changed = 0;
    if (json_is_object(obj))
        changed |= redact_member(obj, "customer_email", ADS_ID_EMAIL, region);
    if (json_is_object(details)) {
        changed |= redact_member(details, "email", ADS_ID_EMAIL, region);
        changed |= redact_member(details, "phone", ADS_ID_PHONE, region);
    }
    if (changed) {
        *out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (*out)
            *out_len = strlen(*out);
    }
    json_decref(doc);
    return changed && !*out ? -1 : 0;
}

ads_intake_rc ads_events_enqueue(redis_conn_t *r, ads_origin origin, const json_t *entry)
{
    const json_t *ev = json_object_get(entry, "event");
    const char *source = json_string_value(json_object_get(entry, "source"));
    const char *name = json_string_value(json_object_get(ev, "event"));
    const char *id = json_string_value(json_object_get(ev, "event_id"));
    char key[QUEUE_EVENT_ID_MAX];
    if (!source || !name || !id ||
        (size_t)snprintf(key, sizeof(key), "%s:%s:%s", source, name, id) >= sizeof(key))
        return ADS_UNAVAILABLE;
    char *text = ads_events_dump(entry);
    if (!text)
        return ADS_UNAVAILABLE;
    queue_rc q = queue_enqueue_in(r, QUEUE_ADS, ADS_PROVIDER, key, text, strlen(text), ADS_DEDUPE_TTL_S);
    free(text);
    switch (q) {
    case QUEUE_ADDED:
        ads_events_count(origin, ADS_IN_ACCEPTED);
        return ADS_QUEUED;
    case QUEUE_DUPLICATE:
        ads_events_count(origin, ADS_IN_DUPLICATE);
        return ADS_DUPLICATE;
    case QUEUE_FULL:
        return ADS_BACKLOG_FULL;
    default:
        return ADS_UNAVAILABLE;
    }
}

int ads_events_stripe_sale(const config_t *cfg, redis_conn_t *r, const json_t *event, const checkout_event_t *ce)
{
    ads_connection_t c;
    char why[ADS_ERR_MAX];
    json_t *entry = NULL;
    int rc = -1;

    if (ads_connection_load(cfg, r, &c) != 0)
        goto out;
    rc = 0;
    if (!ads_connection_ready(&c)) {
        ads_events_count(ADS_ORIGIN_STRIPE, ADS_IN_SKIPPED);
        goto out;
    }
    ads_settings_t s = ads_events_settings(cfg);
    ads_build_rc b = ads_events_from_stripe_event(&s, event, ce->lines, ce->n_lines, &entry, why, sizeof(why));
    if (b != ADS_BUILD_OK) {
        ads_events_count(ADS_ORIGIN_STRIPE, b == ADS_BUILD_SKIP ? ADS_IN_SKIPPED : ADS_IN_REJECTED);
        log_event(LOG_INFO, "ads_purchase_not_sent", json_pack("{s:s,s:s}", "session_id", ce->ev.session_id, "reason", why));
        goto out;
    }
    ads_intake_rc q = ads_events_enqueue(r, ADS_ORIGIN_STRIPE, entry);
    if (q == ADS_UNAVAILABLE || q == ADS_BACKLOG_FULL)
        rc = -1;
out:
    ads_connection_clear(&c);
    json_decref(entry);
    return rc;
}
