/*
 * stripe — webhook signature verification, checkout event parsing and
 * Checkout Session line items (see stripe.h).
 */
#include "shopsync/stripe.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopsync/buf.h"
#include "shopsync/crypto.h"
#include "shopsync/http_client.h"
#include "shopsync/httpx.h"
#include "shopsync/jsonx.h"
#include "shopsync/log.h"
#include "shopsync/util.h"

/* Unix timestamps have 10 digits today; 18 keeps any value inside long long. */
#define MAX_T_DIGITS 18
#define HEX_SIG_LEN 64
#define URL_MAX 4096
#define AUTH_MAX 2048

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- signature ---------------------------------------------------------- */

int stripe_sign(const char *secret, long long t, const void *body, size_t len,
                char out_hex[65])
{
    int rc = -1, n;
    crypto_hmac_t *h = NULL, *fin;
    unsigned char mac[CRYPTO_SHA256_LEN];
    char ts[32];

    if (!secret || !*secret || t < 0 || (!body && len))
        goto out;
    n = snprintf(ts, sizeof(ts), "%lld", t);
    /* Stripe keys the HMAC with the whole secret string, "whsec_" included;
     * it is not base64-decoded as in some other webhook schemes. */
    h = crypto_hmac_new(secret, strlen(secret));
    if (!h || crypto_hmac_update(h, ts, (size_t)n) || crypto_hmac_update(h, ".", 1) ||
        (len && crypto_hmac_update(h, body, len)))
        goto out;
    /* crypto_hmac_final frees the context whatever it returns. */
    fin = h;
    h = NULL;
    if (crypto_hmac_final(fin, mac))
        goto out;
    crypto_hex(mac, sizeof(mac), out_hex);
    rc = 0;
out:
    crypto_hmac_free(h);
    return rc;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **b, const char **e)
{
    while (*b < *e && is_space(**b))
        (*b)++;
    while (*e > *b && is_space((*e)[-1]))
        (*e)--;
}

static int range_is(const char *b, const char *e, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(e - b) == n && memcmp(b, s, n) == 0;
}

/* Parse "t" as the decimal digits of a non-negative timestamp. */
static int parse_t(const char *b, const char *e, long long *out)
{
    if (b == e || e - b > MAX_T_DIGITS)
        return -1;
    long long v = 0;
    for (const char *p = b; p < e; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return 0;
}

/* One pass over the header's comma-separated pairs. Without expected it
 * validates the syntax, finds t and counts v1 entries; with expected it sets
 * *matched when any v1 equals it. Returns 0, or -1 with err when malformed. */
static int scan_header(const char *h, size_t hlen, const char *expected, long long *t,
                       int *have_t, size_t *n_v1, int *matched, char *err, size_t errlen)
{
    const char *p = h, *end = h + hlen;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *pe = comma ? comma : end;
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        if (!eq) {
            set_err(err, errlen, "Stripe-Signature: a pair has no '='");
            return -1;
        }
        /* Like stripe-go, a value containing '=' is refused rather than
         * guessed at; Stripe's values are decimal or hex. */
        if (memchr(eq + 1, '=', (size_t)(pe - eq - 1))) {
            set_err(err, errlen, "Stripe-Signature: a pair has more than one '='");
            return -1;
        }
        const char *kb = p, *ke = eq, *vb = eq + 1, *ve = pe;
        trim(&kb, &ke);
        trim(&vb, &ve);
        if (range_is(kb, ke, "t")) {
            if (!expected) {
                if (*have_t) {
                    set_err(err, errlen, "Stripe-Signature: duplicate t");
                    return -1;
                }
                if (parse_t(vb, ve, t)) {
                    set_err(err, errlen, "Stripe-Signature: t is not a unix timestamp");
                    return -1;
                }
                *have_t = 1;
            }
        } else if (range_is(kb, ke, "v1")) {
            (*n_v1)++;
            /* Lengths are public, so skipping a wrong-length value leaks
             * nothing; equal-length values are compared in constant time. */
            if (expected && ve - vb == HEX_SIG_LEN) {
                char got[HEX_SIG_LEN + 1];
                memcpy(got, vb, HEX_SIG_LEN);
                got[HEX_SIG_LEN] = '\0';
                *matched |= crypto_hex_equal(expected, got);
            }
        }
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int stripe_verify_signature(const char *header, const void *body, size_t body_len,
                            const char *secret, long long now, long long tolerance_s,
                            char *err, size_t errlen)
{
    long long t = 0;
    int have_t = 0, matched = 0;
    size_t n_v1 = 0, hlen;
    char expected[HEX_SIG_LEN + 1];

    if (!header || !*header) {
        set_err(err, errlen, "Stripe-Signature: missing or empty");
        return STRIPE_SIG_MALFORMED;
    }
    hlen = strnlen(header, STRIPE_SIG_HEADER_MAX + 1);
    if (hlen > STRIPE_SIG_HEADER_MAX) {
        set_err(err, errlen, "Stripe-Signature: longer than %d bytes", STRIPE_SIG_HEADER_MAX);
        return STRIPE_SIG_MALFORMED;
    }
    if (!body && body_len) {
        set_err(err, errlen, "no body to verify");
        return STRIPE_SIG_MALFORMED;
    }
    if (scan_header(header, hlen, NULL, &t, &have_t, &n_v1, &matched, err, errlen))
        return STRIPE_SIG_MALFORMED;
    if (!have_t) {
        set_err(err, errlen, "Stripe-Signature: no timestamp");
        return STRIPE_SIG_MALFORMED;
    }
    if (n_v1 == 0) {
        set_err(err, errlen, "Stripe-Signature: no v1 signature");
        return STRIPE_SIG_MALFORMED;
    }
    if (!secret || !*secret) {
        set_err(err, errlen, "no webhook endpoint secret configured");
        return STRIPE_SIG_MISMATCH;
    }
    /* Fail closed: a crypto failure reads as a mismatch. */
    if (stripe_sign(secret, t, body, body_len, expected)) {
        set_err(err, errlen, "cannot compute the expected signature");
        return STRIPE_SIG_MISMATCH;
    }
    /* The first pass validated the syntax, so this one cannot fail. */
    n_v1 = 0;
    scan_header(header, hlen, expected, &t, &have_t, &n_v1, &matched, err, errlen);
    if (!matched) {
        set_err(err, errlen, "Stripe-Signature: no v1 signature matches");
        return STRIPE_SIG_MISMATCH;
    }
    if (tolerance_s < 0)
        tolerance_s = 0;
    /* Unsigned differences cannot overflow for any now: t is below 10^18. */
    unsigned long long tol = (unsigned long long)tolerance_s;
    if (now >= t && (unsigned long long)now - (unsigned long long)t > tol) {
        set_err(err, errlen, "Stripe-Signature: timestamp older than %lld s", tolerance_s);
        return STRIPE_SIG_TOO_OLD;
    }
    if (now < t && (unsigned long long)t - (unsigned long long)now > tol) {
        set_err(err, errlen, "Stripe-Signature: timestamp more than %lld s in the future",
                tolerance_s);
        return STRIPE_SIG_TOO_OLD;
    }
    return STRIPE_SIG_OK;
}

/* ---- events ------------------------------------------------------------- */

static int copy_str(char *dst, size_t cap, const char *src, const char *what, char *err,
                    size_t errlen)
{
    size_t n = strlen(src);
    if (n >= cap) {
        set_err(err, errlen, "%s: longer than %zu bytes", what, cap - 1);
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

/* Required string member key of obj, named path in messages. */
static int req_str(const json_t *obj, const char *key, const char *path, const char **out,
                   char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) {
        set_err(err, errlen, "%s: %s", path, v ? "must be a string" : "is required");
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int parse_checkout(const json_t *root, stripe_event_t *out, char *err, size_t errlen)
{
    const json_t *data = json_object_get(root, "data");
    const json_t *obj = json_object_get(data, "object");
    const char *s;
    if (!json_is_object(data) || !json_is_object(obj)) {
        set_err(err, errlen, "data.object: is required and must be an object");
        return -1;
    }
    const json_t *kind = json_object_get(obj, "object");
    if (kind && !(json_is_string(kind) && !strcmp(json_string_value(kind), "checkout.session"))) {
        set_err(err, errlen, "data.object.object: expected \"checkout.session\"");
        return -1;
    }
    if (req_str(obj, "id", "data.object.id", &s, err, errlen))
        return -1;
    if (!has_prefix(s, "cs_")) {
        set_err(err, errlen, "data.object.id: not a checkout session id");
        return -1;
    }
    if (copy_str(out->session_id, sizeof(out->session_id), s, "data.object.id", err, errlen) ||
        req_str(obj, "payment_status", "data.object.payment_status", &s, err, errlen) ||
        copy_str(out->payment_status, sizeof(out->payment_status), s,
                 "data.object.payment_status", err, errlen))
        return -1;
    /* "unpaid" sessions (delayed methods) decrement stock only when the
     * async_payment_succeeded event follows. */
    out->applies = !strcmp(s, "paid") || !strcmp(s, "no_payment_required");
    /* The storefront's own list of what was sold. A malformed one is not a
     * malformed event: the sale is real, and its line items still tell. */
    const json_t *meta = json_object_get(obj, "metadata");
    /* A hold id that is not a string or too long names no hold: the sale
     * stands on its own. */
    const json_t *hold = json_is_object(meta) ? json_object_get(meta, "shopsync_hold") : NULL;
    if (json_is_string(hold) && json_string_length(hold) < sizeof(out->hold))
        memcpy(out->hold, json_string_value(hold), json_string_length(hold) + 1);
    if (out->expired) {
        /* An expired session sold nothing: only its hold matters. */
        out->applies = 0;
        return 0;
    }
    const json_t *items = json_is_object(meta) ? json_object_get(meta, "shopsync_items") : NULL;
    if (items) {
        if (!json_is_string(items))
            snprintf(out->items_error, sizeof(out->items_error), "metadata.shopsync_items: must be a string");
        else if (json_string_length(items) >= sizeof(out->items))
            snprintf(out->items_error, sizeof(out->items_error),
                     "metadata.shopsync_items: longer than %zu characters", sizeof(out->items) - 1);
        else {
            memcpy(out->items, json_string_value(items), json_string_length(items) + 1);
            out->has_items = 1;
        }
    }
    return 0;
}

int stripe_parse_event(const void *body, size_t len, stripe_event_t *out, char *err,
                       size_t errlen)
{
    int rc = -1;
    json_t *root = NULL;
    const char *s;

    memset(out, 0, sizeof(*out));
    out->livemode = -1;
    if (!body) {
        set_err(err, errlen, "event: no body");
        goto out;
    }
    root = jsonx_loadb(body, len, err, errlen);
    if (!root)
        goto out;
    if (!json_is_object(root)) {
        set_err(err, errlen, "event: must be a JSON object");
        goto out;
    }
    if (req_str(root, "id", "id", &s, err, errlen))
        goto out;
    if (!has_prefix(s, "evt_")) {
        set_err(err, errlen, "id: not an event id");
        goto out;
    }
    if (copy_str(out->id, sizeof(out->id), s, "id", err, errlen) ||
        req_str(root, "type", "type", &s, err, errlen) ||
        copy_str(out->type, sizeof(out->type), s, "type", err, errlen))
        goto out;
    if (!*s) {
        set_err(err, errlen, "type: is empty");
        goto out;
    }
    const json_t *v = json_object_get(root, "created");
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v)) {
            set_err(err, errlen, "created: must be an integer");
            goto out;
        }
        out->created = json_integer_value(v);
    }
    v = json_object_get(root, "livemode");
    if (v && !json_is_null(v)) {
        if (!json_is_boolean(v)) {
            set_err(err, errlen, "livemode: must be a boolean");
            goto out;
        }
        out->livemode = json_is_true(v);
    }
    if ((!strcmp(s, "checkout.session.completed") || !strcmp(s, "checkout.session.async_payment_succeeded")) &&
        parse_checkout(root, out, err, errlen))
        goto out;
    if (!strcmp(s, "checkout.session.expired")) {
        /* Only its hold matters: an expired session that names none (or
         * is malformed) is acknowledged and changes nothing. */
        char ignored[256];
        out->expired = 1;
        if (parse_checkout(root, out, ignored, sizeof(ignored)) != 0) {
            out->session_id[0] = '\0';
            out->hold[0] = '\0';
        }
    }
    rc = 0;
out:
    json_decref(root);
    if (rc) {
        /* Never hand back a half-filled event that might read as applicable. */
        memset(out, 0, sizeof(*out));
        out->livemode = -1;
    }
    return rc;
}

/* ---- line items --------------------------------------------------------- */

typedef struct lines_acc {
    stripe_line_t *v; /* owned */
    size_t n, cap;
} lines_acc_t;

/* Session ids go into the URL path unencoded, so only Stripe's id alphabet
 * is accepted. */
static int valid_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return 0;
    }
    return n > 0 && n < STRIPE_ID_MAX;
}

/* Copy at most cap - 1 bytes, cutting before a partial UTF-8 sequence. */
static void copy_truncated(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* metadata.sku when metadata is an object holding a non-empty string. */
static const char *meta_sku(const json_t *holder)
{
    const json_t *sku = json_object_get(json_object_get(holder, "metadata"), "sku");
    const char *s = json_string_value(sku);
    return s && *s ? s : NULL;
}

static int parse_line(const json_t *item, stripe_line_t *l, char *err, size_t errlen)
{
    const char *s;
    memset(l, 0, sizeof(*l));
    if (!json_is_object(item)) {
        set_err(err, errlen, "not an object");
        return -1;
    }
    if (req_str(item, "id", "id", &s, err, errlen) ||
        copy_str(l->id, sizeof(l->id), s, "id", err, errlen))
        return -1;
    if (!*s) {
        set_err(err, errlen, "id: is empty");
        return -1;
    }
    const json_t *q = json_object_get(item, "quantity");
    if (!json_is_integer(q) || json_integer_value(q) < 0 ||
        json_integer_value(q) > STRIPE_MAX_QUANTITY) {
        set_err(err, errlen, "quantity: must be an integer from 0 to %lld", STRIPE_MAX_QUANTITY);
        return -1;
    }
    l->quantity = json_integer_value(q);
    if (jsonx_opt_str(item, "description", &s, err, errlen))
        return -1;
    if (s)
        copy_truncated(l->description, sizeof(l->description), s);

    const json_t *price = json_object_get(item, "price");
    if (!price || json_is_null(price))
        return 0;
    if (!json_is_object(price)) {
        set_err(err, errlen, "price: must be an object");
        return -1;
    }
    if (jsonx_opt_str(price, "id", &s, err, errlen) ||
        (s && copy_str(l->price_id, sizeof(l->price_id), s, "price.id", err, errlen)))
        return -1;
    /* product is an id string unless the expansion worked; only an expanded
     * product carries metadata. */
    const json_t *product = json_object_get(price, "product");
    const char *sku = json_is_object(product) ? meta_sku(product) : NULL;
    l->sku_source = STRIPE_SKU_PRODUCT;
    if (!sku) {
        sku = meta_sku(price);
        l->sku_source = STRIPE_SKU_PRICE;
    }
    if (!sku) {
        sku = json_string_value(json_object_get(price, "lookup_key"));
        sku = sku && *sku ? sku : NULL;
        l->sku_source = STRIPE_SKU_LOOKUP_KEY;
    }
    if (!sku) {
        l->sku_source = STRIPE_SKU_NONE;
        return 0;
    }
    return copy_str(l->sku, sizeof(l->sku), sku, "sku", err, errlen);
}

static int acc_push(lines_acc_t *a, const stripe_line_t *l)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        if (cap > STRIPE_MAX_LINES)
            cap = STRIPE_MAX_LINES;
        stripe_line_t *v = realloc(a->v, cap * sizeof(*v));
        if (!v)
            return -1;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = *l;
    return 0;
}

/* Stripe's error.message from an error body, or "" (out has cap bytes). */
static void api_error_message(const buf_t *body, char *out, size_t cap)
{
    char jerr[64];
    out[0] = '\0';
    json_t *root = body->len ? jsonx_loadb(body->data, body->len, jerr, sizeof(jerr)) : NULL;
    const char *msg = json_string_value(json_object_get(json_object_get(root, "error"), "message"));
    if (msg)
        copy_truncated(out, cap, msg);
    json_decref(root);
}

/* Parse one list page into acc; sets *has_more and, when lines arrived,
 * cursor to the last line's id. Returns a STRIPE_FETCH_* value. */
static int parse_page(const buf_t *body, lines_acc_t *acc, int *has_more, char *cursor,
                      char *err, size_t errlen)
{
    int rc = STRIPE_FETCH_PERMANENT;
    char jerr[256];
    json_t *root = jsonx_loadb(body->data ? body->data : "", body->len, jerr, sizeof(jerr));
    if (!root) {
        set_err(err, errlen, "stripe line_items: malformed response: %s", jerr);
        goto out;
    }
    const json_t *kind = json_object_get(root, "object");
    const json_t *data = json_object_get(root, "data");
    const json_t *more = json_object_get(root, "has_more");
    if (!json_is_object(root) || (kind && !json_is_string(kind)) ||
        (kind && strcmp(json_string_value(kind), "list")) || !json_is_array(data) ||
        !json_is_boolean(more)) {
        set_err(err, errlen, "stripe line_items: response is not a list with data and has_more");
        goto out;
    }
    size_t i;
    const json_t *item;
    json_array_foreach(data, i, item) {
        stripe_line_t line;
        if (acc->n >= STRIPE_MAX_LINES) {
            set_err(err, errlen, "stripe line_items: more than %d lines", STRIPE_MAX_LINES);
            goto out;
        }
        if (parse_line(item, &line, jerr, sizeof(jerr))) {
            set_err(err, errlen, "stripe line_items: line %zu: %s", acc->n, jerr);
            goto out;
        }
        if (acc_push(acc, &line)) {
            set_err(err, errlen, "stripe line_items: out of memory");
            goto out;
        }
        memcpy(cursor, line.id, sizeof(line.id));
    }
    *has_more = json_is_true(more);
    /* An empty page that claims more would make the cursor loop forever. */
    if (*has_more && json_array_size(data) == 0) {
        set_err(err, errlen, "stripe line_items: has_more on an empty page");
        goto out;
    }
    rc = STRIPE_FETCH_OK;
out:
    json_decref(root);
    return rc;
}

/* GET one page and parse it into acc. Returns a STRIPE_FETCH_* value. */
/* Interpret one page's transfer (hrc and herr as http_client_request
 * returned them) into acc. Returns a STRIPE_FETCH_* value. */
static int page_result(int hrc, const char *herr, const http_response_t *resp, lines_acc_t *acc,
                       int *has_more, char *cursor, char *err, size_t errlen)
{
    char msg[256];
    if (hrc) {
        set_err(err, errlen, "stripe line_items: %s", herr);
        /* An oversized body will be oversized next time too. */
        return resp->too_large ? STRIPE_FETCH_PERMANENT : STRIPE_FETCH_RETRYABLE;
    }
    log_msg(LOG_DEBUG, "stripe_line_items_page", "status=%ld seconds=%.3f", resp->status, resp->seconds);
    if (resp->status != 200) {
        api_error_message(&resp->body, msg, sizeof(msg));
        set_err(err, errlen, "stripe line_items: HTTP %ld%s%s", resp->status, msg[0] ? ": " : "", msg);
        return resp->status == 429 || resp->status >= 500 ? STRIPE_FETCH_RETRYABLE : STRIPE_FETCH_PERMANENT;
    }
    return parse_page(&resp->body, acc, has_more, cursor, err, errlen);
}

/* The GET of one page; headers (borrowed) carry the key. */
static void page_request(http_request_t *req, const stripe_config_t *cfg, const char *url,
                         const char *const *headers)
{
    memset(req, 0, sizeof(*req));
    req->method = "GET";
    req->url = url;
    req->headers = headers;
    req->timeout_ms = cfg->timeout_ms;
}

static int fetch_page(const stripe_config_t *cfg, const char *url, const char *auth,
                      lines_acc_t *acc, int *has_more, char *cursor, char *err, size_t errlen)
{
    char herr[256] = "";
    const char *headers[] = {auth, "Accept: application/json", NULL};
    http_request_t req;
    http_response_t resp;
    http_client_t *c = http_client_thread();

    if (!c) {
        set_err(err, errlen, "stripe line_items: no HTTP client");
        return STRIPE_FETCH_RETRYABLE;
    }
    page_request(&req, cfg, url, headers);
    int hrc = http_client_request(c, &req, &resp, herr, sizeof(herr));
    int rc = page_result(hrc, herr, &resp, acc, has_more, cursor, err, errlen);
    http_response_free(&resp);
    return rc;
}

/* Clear memory that held the secret key before it is freed; volatile so the
 * stores are not dropped as dead. */
static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (p && n--)
        *v++ = 0;
}

static int valid_secret_key(const char *s)
{
    if (!s || !*s)
        return 0;
    /* It goes into a header line: no control characters. */
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* The URL of the page of session_id's line items after cursor ("" for
 * the first) into url. Returns 0 or -1 when it does not fit. */
static int page_url(buf_t *url, const stripe_config_t *cfg, const char *session_id, const char *cursor)
{
    buf_reset(url);
    return buf_appendf(url,
                       "%s/v1/checkout/sessions/%s/line_items?limit=%d"
                       "&expand%%5B%%5D=data.price.product",
                       cfg->api_base, session_id, STRIPE_PAGE_LIMIT) ||
                   (cursor[0] && (buf_appends(url, "&starting_after=") || httpx_urlencode(url, cursor)))
               ? -1
               : 0;
}

int stripe_fetch_line_items(const stripe_config_t *cfg, const char *session_id,
                            stripe_line_t **lines, size_t *n_lines, char *err,
                            size_t errlen)
{
    int rc = STRIPE_FETCH_PERMANENT;
    lines_acc_t acc = {NULL, 0, 0};
    char cursor[STRIPE_ID_MAX] = "";
    int has_more = 1;
    buf_t url, auth;

    buf_init(&url, URL_MAX);
    buf_init(&auth, AUTH_MAX);
    if (lines)
        *lines = NULL;
    if (n_lines)
        *n_lines = 0;
    if (!cfg || !lines || !n_lines || !cfg->api_base || !*cfg->api_base) {
        set_err(err, errlen, "stripe line_items: missing configuration");
        goto out;
    }
    if (!valid_secret_key(cfg->secret_key)) {
        set_err(err, errlen, "stripe line_items: invalid or missing secret key");
        goto out;
    }
    if (!session_id || !valid_id(session_id)) {
        set_err(err, errlen, "stripe line_items: invalid session id");
        goto out;
    }
    if (buf_appendf(&auth, "Authorization: Bearer %s", cfg->secret_key)) {
        set_err(err, errlen, "stripe line_items: secret key too long");
        goto out;
    }
    for (int page = 0; has_more; page++) {
        if (page == STRIPE_MAX_PAGES) {
            set_err(err, errlen, "stripe line_items: more than %d pages", STRIPE_MAX_PAGES);
            goto out;
        }
        if (page_url(&url, cfg, session_id, cursor)) {
            set_err(err, errlen, "stripe line_items: URL too long");
            goto out;
        }
        int page_rc = fetch_page(cfg, url.data, auth.data, &acc, &has_more, cursor, err, errlen);
        if (page_rc != STRIPE_FETCH_OK) {
            rc = page_rc;
            goto out;
        }
    }
    *lines = acc.v;
    *n_lines = acc.n;
    acc.v = NULL;
    rc = STRIPE_FETCH_OK;
out:
    wipe(auth.data, auth.len);
    buf_free(&auth);
    buf_free(&url);
    free(acc.v);
    return rc;
}

/* Wait for the next slot of the pacer, when there is one. Returns 0, or
 * -1 when no slot could be had. */
static int pace_wait(stripe_pace_fn pace, void *ctx, long long *wait_us)
{
    *wait_us = 0;
    return pace && pace(ctx, wait_us) != 0 ? -1 : 0;
}

int stripe_fetch_line_items_many(const stripe_config_t *cfg, const char *const *session_ids, size_t n,
                                 stripe_pace_fn pace, void *pace_ctx, stripe_fetch_result_t *out)
{
    buf_t auth;
    buf_t *urls = NULL;
    http_request_t *reqs = NULL;
    http_batch_item_t *items = NULL;
    lines_acc_t *accs = NULL;
    size_t *slot_of = NULL, m = 0;
    int rc = -1;

    buf_init(&auth, AUTH_MAX);
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof(out[i]));
        out[i].rc = STRIPE_FETCH_RETRYABLE;
    }
    if (n == 0)
        return 0;
    if (n > STRIPE_BATCH_MAX || !cfg || !cfg->api_base || !*cfg->api_base ||
        !valid_secret_key(cfg->secret_key) ||
        buf_appendf(&auth, "Authorization: Bearer %s", cfg->secret_key)) {
        for (size_t i = 0; i < n; i++) {
            out[i].rc = STRIPE_FETCH_PERMANENT;
            set_err(out[i].err, sizeof(out[i].err), "stripe line_items: missing or invalid configuration");
        }
        goto out;
    }
    const char *headers[] = {auth.data, "Accept: application/json", NULL};
    urls = calloc(n, sizeof(*urls));
    reqs = calloc(n, sizeof(*reqs));
    items = calloc(n, sizeof(*items));
    accs = calloc(n, sizeof(*accs));
    slot_of = calloc(n, sizeof(*slot_of));
    http_client_t *const *clients = http_client_thread_pool(n);
    if (!urls || !reqs || !items || !accs || !slot_of || !clients) {
        for (size_t i = 0; i < n; i++)
            set_err(out[i].err, sizeof(out[i].err), "stripe line_items: out of memory");
        goto out;
    }
    /* First pages all at once, each started at its rate-limit slot. */
    long long now_us = util_monotonic_us();
    for (size_t i = 0; i < n; i++) {
        long long wait_us;
        buf_init(&urls[i], URL_MAX);
        if (!session_ids[i] || !valid_id(session_ids[i])) {
            out[i].rc = STRIPE_FETCH_PERMANENT;
            set_err(out[i].err, sizeof(out[i].err), "stripe line_items: invalid session id");
            continue;
        }
        if (page_url(&urls[i], cfg, session_ids[i], "")) {
            out[i].rc = STRIPE_FETCH_PERMANENT;
            set_err(out[i].err, sizeof(out[i].err), "stripe line_items: URL too long");
            continue;
        }
        if (pace_wait(pace, pace_ctx, &wait_us) != 0) {
            set_err(out[i].err, sizeof(out[i].err), "stripe line_items: no request slot within the rate limit");
            continue;
        }
        page_request(&reqs[i], cfg, urls[i].data, headers);
        items[m].req = &reqs[i];
        items[m].start_us = now_us + wait_us;
        slot_of[m++] = i;
    }
    if (http_client_request_many(clients, items, m) != 0) {
        for (size_t k = 0; k < m; k++)
            if (items[k].rc != 0 && !items[k].err[0])
                snprintf(items[k].err, sizeof(items[k].err), "the transfer did not run");
    }
    for (size_t k = 0; k < m; k++) {
        size_t i = slot_of[k];
        char cursor[STRIPE_ID_MAX] = "";
        int has_more = 0;
        int r = page_result(items[k].rc, items[k].err, &items[k].resp, &accs[i], &has_more, cursor,
                            out[i].err, sizeof(out[i].err));
        /* A session with more than one page of lines is rare: the rest
         * follows one page at a time, still paced. */
        for (int page = 1; r == STRIPE_FETCH_OK && has_more; page++) {
            long long wait_us;
            if (page == STRIPE_MAX_PAGES) {
                set_err(out[i].err, sizeof(out[i].err), "stripe line_items: more than %d pages", STRIPE_MAX_PAGES);
                r = STRIPE_FETCH_PERMANENT;
            } else if (page_url(&urls[i], cfg, session_ids[i], cursor)) {
                set_err(out[i].err, sizeof(out[i].err), "stripe line_items: URL too long");
                r = STRIPE_FETCH_PERMANENT;
            } else if (pace_wait(pace, pace_ctx, &wait_us) != 0) {
                set_err(out[i].err, sizeof(out[i].err), "stripe line_items: no request slot within the rate limit");
                r = STRIPE_FETCH_RETRYABLE;
            } else {
                util_sleep_us(wait_us);
                r = fetch_page(cfg, urls[i].data, auth.data, &accs[i], &has_more, cursor, out[i].err,
                               sizeof(out[i].err));
            }
        }
        out[i].rc = r;
        if (r == STRIPE_FETCH_OK) {
            out[i].lines = accs[i].v;
            out[i].n_lines = accs[i].n;
            accs[i].v = NULL;
        }
    }
    rc = 0;
out:
    wipe(auth.data, auth.len);
    buf_free(&auth);
    for (size_t i = 0; urls && i < n; i++)
        buf_free(&urls[i]);
    for (size_t k = 0; items && k < m; k++)
        http_response_free(&items[k].resp);
    for (size_t i = 0; accs && i < n; i++)
        free(accs[i].v);
    free(urls);
    free(reqs);
    free(items);
    free(accs);
    free(slot_of);
    return rc;
}

void stripe_lines_free(stripe_line_t *lines, size_t n)
{
    (void)n;
    free(lines);
}
