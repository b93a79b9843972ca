/*
 * ads_offline — offline sales: CSV, timestamps and rows into events (see
 * ads_offline.h).
 */
#include "shopsync/ads_offline.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopsync/ads_hash.h"
#include "shopsync/buf.h"
#include "shopsync/jsonx.h"
#include "shopsync/money.h"

#define FIELD_MAX 1000

static const char *const columns[] = {"event",       "event_id",      "timestamp",    "email",
                                      "phone",       "value",         "currency",     "order_id",
                                      "shop_id",     "event_channel", "content_id",   "content_name",
                                      "content_type", "content_category", "brand",     "quantity",
                                      "price",       NULL};

static int known_column(const char *name)
{
    for (size_t i = 0; columns[i]; i++)
        if (strcmp(columns[i], name) == 0)
            return 1;
    return 0;
}

/* ---- CSV ----------------------------------------------------------------- */

typedef struct csv {
    const char *p, *end;
} csv_t;

/* The next record's fields into a new array of strings (*fields); *eof set
 * at the end. Returns 0, or -1 with err. */
static int csv_record(csv_t *c, json_t **fields, int *eof, char *err, size_t errlen)
{
    buf_t f;
    json_t *arr = json_array();
    *fields = NULL;
    *eof = 0;
    if (c->p >= c->end) {
        *eof = 1;
        json_decref(arr);
        return 0;
    }
    buf_init(&f, FIELD_MAX + 1);
    for (;;) {
        f.len = 0;
        int quoted = c->p < c->end && *c->p == '"';
        if (quoted) {
            c->p++;
            for (;;) {
                if (c->p >= c->end) {
                    snprintf(err, errlen, "a quoted field is not closed");
                    goto fail;
                }
                if (*c->p == '"') {
                    if (c->p + 1 < c->end && c->p[1] == '"') {
                        if (buf_append(&f, "\"", 1))
                            goto too_long;
                        c->p += 2;
                        continue;
                    }
                    c->p++;
                    break;
                }
                if (buf_append(&f, c->p, 1))
                    goto too_long;
                c->p++;
            }
        }
        while (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
            /* Text after a closing quote is kept, as spreadsheets do. */
            if (buf_append(&f, c->p, 1))
                goto too_long;
            c->p++;
        }
        json_t *str = json_stringn(f.data ? f.data : "", f.len);
        if (!str) {
            snprintf(err, errlen, "a field is not valid UTF-8");
            goto fail;
        }
        json_array_append_new(arr, str);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '\r')
            c->p++;
        if (c->p < c->end && *c->p == '\n')
            c->p++;
        break;
    }
    buf_free(&f);
    *fields = arr;
    return 0;
too_long:
    snprintf(err, errlen, "a field is longer than %d bytes", FIELD_MAX);
fail:
    buf_free(&f);
    json_decref(arr);
    return -1;
}

static int blank_record(const json_t *fields)
{
    return json_array_size(fields) == 1 && json_string_length(json_array_get(fields, 0)) == 0;
}

int ads_offline_parse_csv(const char *text, size_t len, json_t **rows, char *err, size_t errlen)
{
    csv_t c = {text, text + len};
    json_t *header = NULL, *out = json_array(), *fields = NULL;
    int eof = 0, line = 1;

    *rows = NULL;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        c.p += 3;
    if (csv_record(&c, &header, &eof, err, errlen) != 0)
        goto fail;
    if (eof || blank_record(header)) {
        snprintf(err, errlen, "the first line must name the columns (event, event_id, timestamp, email, phone, ...)");
        goto fail;
    }
    size_t i;
    json_t *h;
    json_array_foreach(header, i, h) {
        /* Column names are matched without surrounding spaces or case. */
        char name[64];
        const char *s = json_string_value(h);
        while (*s == ' ')
            s++;
        size_t n = strlen(s);
        while (n && s[n - 1] == ' ')
            n--;
        if (n >= sizeof(name)) {
            snprintf(err, errlen, "column %zu: name too long", i + 1);
            goto fail;
        }
        for (size_t k = 0; k < n; k++)
            name[k] = (char)tolower((unsigned char)s[k]);
        name[n] = '\0';
        if (!known_column(name)) {
            snprintf(err, errlen, "column %zu: unknown column \"%s\"", i + 1, name);
            goto fail;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(json_string_value(json_array_get(header, k)), name) == 0) {
                snprintf(err, errlen, "column %zu: \"%s\" appears twice", i + 1, name);
                goto fail;
            }
        json_array_set_new(header, i, json_string(name));
    }
    for (;;) {
        line++;
        if (csv_record(&c, &fields, &eof, err, errlen) != 0) {
            char inner[256];
            snprintf(inner, sizeof(inner), "%s", err);
            snprintf(err, errlen, "line %d: %s", line, inner);
            goto fail;
        }
        if (eof)
            break;
        if (blank_record(fields)) {
            json_decref(fields);
            fields = NULL;
            continue;
        }
        if (json_array_size(out) >= ADS_OFFLINE_MAX_ROWS) {
            snprintf(err, errlen, "more than %d rows: split the file", ADS_OFFLINE_MAX_ROWS);
            goto fail;
        }
        json_t *row;
        if (json_array_size(fields) != json_array_size(header)) {
            char msg[160];
            snprintf(msg, sizeof(msg), "line %d has %zu fields, the header has %zu", line, json_array_size(fields),
                     json_array_size(header));
            row = json_pack("{s:s}", "_error", msg);
        } else {
            row = json_object();
            json_array_foreach(header, i, h)
                json_object_set(row, json_string_value(h), json_array_get(fields, i));
        }
        json_array_append_new(out, row);
        json_decref(fields);
        fields = NULL;
    }
    json_decref(header);
    *rows = out;
    return 0;
fail:
    json_decref(header);
    json_decref(fields);
    json_decref(out);
    return -1;
}

/* ---- ISO-8601 ------------------------------------------------------------ */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long long days_from_civil(long long y, long long m, long long d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n digits at *p into *v, advancing *p. Returns 0 or -1. */
static int digits(const char **p, int n, long long *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        *v = *v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return 0;
}

int ads_offline_parse_time(const char *s, long long *out)
{
    long long y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
    const char *p = s;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
        return -1;
    int sign = 0;
    if (*p) {
        if (*p != 'T' && *p != 't' && *p != ' ')
            return -1;
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec))
                return -1;
            if (*p == '.' || *p == ',') {
                p++;
                if (!isdigit((unsigned char)*p))
                    return -1;
                while (isdigit((unsigned char)*p))
                    p++;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return -1;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            sign = *p++ == '+' ? 1 : -1;
            if (digits(&p, 2, &oh))
                return -1;
            if (*p == ':')
                p++;
            if (digits(&p, 2, &om) || oh > 23 || om > 59)
                return -1;
        } else {
            /* A time without a zone would be read in whichever zone the
             * seller meant: refuse rather than guess. */
            return -1;
        }
        if (*p)
            return -1;
    }
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
    return 0;
}

/* ---- rows ---------------------------------------------------------------- */


/* Column key of row as text into out ("" when absent, null or empty); a
 * number is written as it reads. Returns 0, or -1 (named in p). */
static int text(const json_t *row, const char *key, char *out, size_t cap, jsonx_problems_t *p)
{
    const json_t *v = json_object_get(row, key);
    out[0] = '\0';
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        snprintf(out, cap, "%lld", (long long)json_integer_value(v));
        return 0;
    }
    if (json_is_real(v)) {
        snprintf(out, cap, "%.15g", json_real_value(v));
        return 0;
    }
    if (!json_is_string(v)) {
        jsonx_problem(p, "%s: must be text or a number", key);
        return -1;
    }
    const char *s = json_string_value(v);
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    if (n >= cap) {
        jsonx_problem(p, "%s: longer than %zu characters", key, cap - 1);
        return -1;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* A non-negative decimal number of text s into *v. Returns 0 or -1. */
static int amount(const char *s, double *v)
{
    char *end = NULL;
    if (!*s || strspn(s, "0123456789.") != strlen(s))
        return -1;
    errno = 0;
    *v = strtod(s, &end);
    return errno || *end || !isfinite(*v) || *v > 1e12 ? -1 : 0;
}

ads_build_rc ads_offline_build(const ads_settings_t *s, const json_t *row, json_t **entry, char *why,
                               size_t whylen)
{
    static const char *const channels[] = {"email", "website", "phone_call", "in_store", "crm", "other", NULL};
    char ev[64], id[ADS_EVENT_ID_MAX + 1], ts[64], email[300], phone[80], value[40], currency[8], order[200],
        shop[200], channel[32], cid[200], cname[300], ctype[32], ccat[200], brand[200], qty[24], price[40];
    jsonx_problems_t p = {why, whylen, 0};
    json_t *user = json_object(), *props = json_object(), *e = NULL;
    long long t = 0;

    why[0] = '\0';
    *entry = NULL;
    const char *malformed = json_string_value(json_object_get(row, "_error"));
    if (malformed) {
        jsonx_problem(&p, "%s", malformed);
        goto out;
    }
    if (!json_is_object(row)) {
        jsonx_problem(&p, "a row must be an object of the columns");
        goto out;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)row, key, v) {
        if (strcmp(key, "_row") != 0) {
            size_t i;
            for (i = 0; columns[i] && strcmp(columns[i], key) != 0; i++)
                ;
            if (!columns[i])
                jsonx_problem(&p, "%s: unknown column", key);
        }
    }
    text(row, "event", ev, sizeof(ev), &p);
    text(row, "event_id", id, sizeof(id), &p);
    text(row, "timestamp", ts, sizeof(ts), &p);
    text(row, "email", email, sizeof(email), &p);
    text(row, "phone", phone, sizeof(phone), &p);
    text(row, "value", value, sizeof(value), &p);
    text(row, "currency", currency, sizeof(currency), &p);
    text(row, "order_id", order, sizeof(order), &p);
    text(row, "shop_id", shop, sizeof(shop), &p);
    text(row, "event_channel", channel, sizeof(channel), &p);
    text(row, "content_id", cid, sizeof(cid), &p);
    text(row, "content_name", cname, sizeof(cname), &p);
    text(row, "content_type", ctype, sizeof(ctype), &p);
    text(row, "content_category", ccat, sizeof(ccat), &p);
    text(row, "brand", brand, sizeof(brand), &p);
    text(row, "quantity", qty, sizeof(qty), &p);
    text(row, "price", price, sizeof(price), &p);

    if (!ev[0])
        jsonx_problem(&p, "event: required, e.g. Purchase");
    else if (!ads_events_name_ok(ev, 1))
        jsonx_problem(&p, "event: %s is not one of TikTok's standard events (Purchase, AddToCart, Lead, ...)", ev);
    if (!id[0] && order[0] && strlen(order) <= ADS_EVENT_ID_MAX)
        /* An order is one sale: its id identifies the event as well. */
        memcpy(id, order, strlen(order) + 1);
    if (!id[0])
        jsonx_problem(&p, "event_id: required (or an order_id)");
    if (!ts[0])
        jsonx_problem(&p, "timestamp: required, ISO-8601 with a time zone, e.g. 2026-03-01T14:30:00Z");
    else if (ads_offline_parse_time(ts, &t) != 0)
        jsonx_problem(&p, "timestamp: %s is not ISO-8601 with a time zone (e.g. 2026-03-01T14:30:00Z)", ts);
    else if (t < s->now - ADS_MAX_AGE_S)
        jsonx_problem(&p, "timestamp: older than 28 days (TikTok cannot attribute it)");
    else if (t > s->now + ADS_FUTURE_SKEW_S)
        jsonx_problem(&p, "timestamp: in the future");
    if (!email[0] && !phone[0])
        jsonx_problem(&p, "email or phone: at least one is required");
    char hex[ADS_HASH_HEX], herr[256];
    if (email[0]) {
        ads_hash_rc rc = ads_hash_value(ADS_ID_EMAIL, email, s->phone_region, hex, herr, sizeof(herr));
        if (rc == ADS_HASH_INVALID)
            jsonx_problem(&p, "email: %s", herr);
        else if (rc != ADS_HASH_EMPTY)
            json_object_set_new(user, "email", json_string(hex));
    }
    if (phone[0]) {
        ads_hash_rc rc = ads_hash_value(ADS_ID_PHONE, phone, s->phone_region, hex, herr, sizeof(herr));
        if (rc == ADS_HASH_INVALID)
            jsonx_problem(&p, "phone: %s", herr);
        else if (rc != ADS_HASH_EMPTY)
            json_object_set_new(user, "phone", json_string(hex));
    }
    memset(email, 0, sizeof(email));
    memset(phone, 0, sizeof(phone));
    if (channel[0]) {
        size_t i;
        for (i = 0; channels[i] && strcmp(channels[i], channel) != 0; i++)
            ;
        if (!channels[i])
            jsonx_problem(&p, "event_channel: must be one of email, website, phone_call, in_store, crm, other");
    }
    json_object_set_new(props, "event_channel", json_string(channel[0] ? channel : "in_store"));
    double amt = 0;
    if (value[0]) {
        if (amount(value, &amt) != 0)
            jsonx_problem(&p, "value: must be a number such as 24.50 (no currency sign)");
        else
            json_object_set_new(props, "value", json_real(amt));
        if (!currency[0])
            jsonx_problem(&p, "currency: required with a value");
    }
    if (currency[0]) {
        char code[4];
        if (money_currency_code(currency, code) != 0)
            jsonx_problem(&p, "currency: must be a three-letter ISO 4217 code");
        else
            json_object_set_new(props, "currency", json_string(code));
    }
    if (ctype[0] && strcmp(ctype, "product") != 0 && strcmp(ctype, "product_group") != 0)
        jsonx_problem(&p, "content_type: must be product or product_group");
    if (cid[0] || cname[0] || qty[0] || price[0]) {
        json_t *c = json_object();
        if (!cid[0])
            jsonx_problem(&p, "content_id: required with content_name, quantity or price");
        else
            json_object_set_new(c, "content_id", json_string(cid));
        if (cname[0])
            json_object_set_new(c, "content_name", json_string(cname));
        if (ccat[0])
            json_object_set_new(c, "content_category", json_string(ccat));
        if (brand[0])
            json_object_set_new(c, "brand", json_string(brand));
        if (qty[0]) {
            char *end = NULL;
            errno = 0;
            long long q = strtoll(qty, &end, 10);
            if (errno || *end || q < 1 || q > 1000000000)
                jsonx_problem(&p, "quantity: must be a whole number from 1");
            else
                json_object_set_new(c, "quantity", json_integer(q));
        }
        if (price[0]) {
            if (amount(price, &amt) != 0)
                jsonx_problem(&p, "price: must be a number such as 12.00 (no currency sign)");
            else
                json_object_set_new(c, "price", json_real(amt));
        }
        json_object_set_new(props, "content_type", json_string(ctype[0] ? ctype : "product"));
        json_object_set_new(props, "contents", json_pack("[o]", c));
    }
    if (order[0])
        json_object_set_new(props, "order_id", json_string(order));
    if (shop[0])
        json_object_set_new(props, "shop_id", json_string(shop));
    if (p.n)
        goto out;
    e = json_pack("{s:s,s:I,s:s,s:O,s:O}", "event", ev, "event_time", (json_int_t)t, "event_id", id, "user", user,
                  "properties", props);
    *entry = json_pack("{s:s,s:s,s:o}", "source", "offline", "origin", "offline", "event", e);
out:
    json_decref(user);
    json_decref(props);
    return *entry ? ADS_BUILD_OK : ADS_BUILD_BAD;
}
