/*
 * stripe — a stand-in for the slice of Stripe the service uses: a control
 * endpoint that completes a checkout session (with Stripe-style metadata,
 * or as a one-SKU website sale whose metadata names its items) and pushes a
 * signed checkout.session.completed event, and the API calls to retrieve a
 * session and list its line items with paging and expand.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks.h"
#include "sandbox.h"
#include "store.h"

#define MAX_LINES 100
#define DEFAULT_LIMIT 10
#define MAX_LIMIT 100
#define MAX_META_KEYS 50   /* Stripe's metadata limits */
#define MAX_META_KEY 40
#define MAX_META_VALUE 500
#define ITEMS_KEY "shopsync_items"

static int stripe_error(sb_req_t *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int stripe_error(sb_req_t *r, int status, const char *code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sb_reply_json(r, status, json_pack("{s:{s:s,s:s,s:s}}", "error", "type",
                                              "invalid_request_error", "code", code, "message",
                                              msg));
}

/* One line item with its price and expanded product; the SKU goes where
 * the caller asked: product.metadata.sku, price.metadata.sku or
 * price.lookup_key. */
static json_t *line_item(const char *sku, long long qty, long long unit, const char *where)
{
    char li[40], price[40], prod[40], hex[25];
    sb_random_hex(12, hex);
    snprintf(li, sizeof(li), "li_%s", hex);
    sb_random_hex(12, hex);
    snprintf(price, sizeof(price), "price_%s", hex);
    sb_random_hex(12, hex);
    snprintf(prod, sizeof(prod), "prod_%s", hex);
    int in_product = strcmp(where, "product") == 0, in_price = strcmp(where, "price") == 0;
    json_t *prod_meta = in_product ? json_pack("{s:s}", "sku", sku) : json_object();
    json_t *price_meta = in_price ? json_pack("{s:s}", "sku", sku) : json_object();
    json_t *lookup = strcmp(where, "lookup_key") == 0 ? json_string(sku) : json_null();
    return json_pack("{s:s,s:s,s:i,s:I,s:i,s:I,s:s,s:s,s:I,"
                     "s:{s:s,s:s,s:b,s:s,s:I,s:o,s:o,s:s,s:{s:s,s:s,s:b,s:s,s:o}}}",
                     "id", li, "object", "item", "amount_discount", 0, "amount_subtotal",
                     (json_int_t)(qty * unit), "amount_tax", 0, "amount_total",
                     (json_int_t)(qty * unit), "currency", "usd", "description", sku, "quantity",
                     (json_int_t)qty, "price", "id", price, "object", "price", "active", 1,
                     "currency", "usd", "unit_amount", (json_int_t)unit, "lookup_key", lookup,
                     "metadata", price_meta, "type", "one_time", "product", "id", prod, "object",
                     "product", "active", 1, "name", sku, "metadata", prod_meta);
}

/* Validate the lines of a checkout request into items (new), or NULL with
 * a message in err. */
static json_t *build_items(const json_t *lines, long long *total, char *err, size_t errlen)
{
    json_t *items = json_array(), *result = NULL, *line;
    size_t i;
    *total = 0;
    size_t n = json_array_size(lines);
    if (!json_is_array(lines) || n == 0 || n > MAX_LINES) {
        snprintf(err, errlen, "lines: must be an array of 1 to %d lines", MAX_LINES);
        goto out;
    }
    json_array_foreach(lines, i, line) {
        const char *sku = json_string_value(json_object_get(line, "sku"));
        const char *where = json_string_value(json_object_get(line, "where"));
        long long qty, unit;
        if (!sku || !*sku) {
            snprintf(err, errlen, "lines[%zu].sku: is required", i);
            goto out;
        }
        if (!where)
            where = "product";
        if (strcmp(where, "product") && strcmp(where, "price") && strcmp(where, "lookup_key")) {
            snprintf(err, errlen, "lines[%zu].where: must be product, price or lookup_key", i);
            goto out;
        }
        if (sb_json_int(line, "quantity", 1, 1, 1000, &qty, err, errlen) != 0 ||
            sb_json_int(line, "unit_amount", 1000, 0, 100000000, &unit, err, errlen) != 0)
            goto out;
        json_array_append_new(items, line_item(sku, qty, unit, where));
        *total += qty * unit;
    }
    result = items;
    items = NULL;
out:
    json_decref(items);
    return result;
}

/* Check metadata (borrowed; NULL when absent) against Stripe's rules: an
 * object of at most MAX_META_KEYS string values, keys of 1..MAX_META_KEY
 * characters, values of at most MAX_META_VALUE. Returns a new copy (an
 * empty object when absent), or NULL with a message naming the key. */
static json_t *build_metadata(const json_t *meta, char *err, size_t errlen)
{
    const char *key;
    json_t *val;
    if (!meta)
        return json_object();
    if (!json_is_object(meta)) {
        snprintf(err, errlen, "metadata: must be an object of string values");
        return NULL;
    }
    if (json_object_size(meta) > MAX_META_KEYS) {
        snprintf(err, errlen, "metadata: at most %d keys (got %zu)", MAX_META_KEYS,
                 json_object_size(meta));
        return NULL;
    }
    json_object_foreach((json_t *)meta, key, val) {
        long kl = sb_utf8_len(key);
        if (kl < 1 || kl > MAX_META_KEY) {
            snprintf(err, errlen, "metadata: keys must be 1 to %d characters (%.60s%s)",
                     MAX_META_KEY, key, strlen(key) > 60 ? "..." : "");
            return NULL;
        }
        if (!json_is_string(val)) {
            snprintf(err, errlen, "metadata.%s: must be a string", key);
            return NULL;
        }
        long vl = sb_utf8_len(json_string_value(val));
        if (vl < 0 || vl > MAX_META_VALUE) {
            snprintf(err, errlen, "metadata.%s: must be at most %d characters (got %ld)", key,
                     MAX_META_VALUE, vl);
            return NULL;
        }
    }
    return json_deep_copy(meta);
}

/* A website sale, {"sku":S,"quantity":N} (the page's form, or JSON): one
 * line, and metadata.shopsync_items = "S:N" so the store can apply it
 * without reading the line items. Turns body (borrowed) into the general
 * form by adding "lines" and "metadata". Returns 0 or -1 with a message. */
static int website_sale(json_t *body, char *err, size_t errlen)
{
    const char *sku = json_string_value(json_object_get(body, "sku"));
    long long qty;
    char items[128];
    if (!sku || !*sku) {
        snprintf(err, errlen, "sku: is required");
        return -1;
    }
    if (strlen(sku) > 50 || strpbrk(sku, ":,")) {
        snprintf(err, errlen, "sku: must be at most 50 characters without ':' or ','");
        return -1;
    }
    if (json_object_get(body, "lines") || json_object_get(body, "metadata")) {
        snprintf(err, errlen, "sku: give either sku and quantity, or lines and metadata");
        return -1;
    }
    if (sb_json_int(body, "quantity", 1, 1, 1000, &qty, err, errlen) != 0)
        return -1;
    snprintf(items, sizeof(items), "%s:%lld", sku, qty);
    json_object_set_new(body, "lines",
                        json_pack("[{s:s,s:I}]", "sku", sku, "quantity", (json_int_t)qty));
    json_object_set_new(body, "metadata", json_pack("{s:s}", ITEMS_KEY, items));
    return 0;
}

int sb_stripe_checkout(sb_req_t *r)
{
    const sb_config_t *cfg = r->app->cfg;
    sb_store_t *s = r->app->store;
    char err[256], cs[48], evt[48], hex[25], sig[65], header[160] = "", headers[256];
    json_t *body = NULL, *items = NULL, *event = NULL, *meta = NULL;
    char *event_body = NULL;
    long long total;
    int st;

    if (sb_req_object(r, &body, err, sizeof(err)) != 0 ||
        (json_object_get(body, "sku") && website_sale(body, err, sizeof(err)) != 0) ||
        !(items = build_items(json_object_get(body, "lines"), &total, err, sizeof(err))) ||
        !(meta = build_metadata(json_object_get(body, "metadata"), err, sizeof(err)))) {
        st = sb_sim_fail(r, 400, "%s", err);
        goto out;
    }
    const char *pay = json_string_value(json_object_get(body, "payment_status"));
    if (!pay)
        pay = "paid";
    if (strcmp(pay, "paid") && strcmp(pay, "unpaid") && strcmp(pay, "no_payment_required")) {
        st = sb_sim_fail(r, 400, "payment_status: must be paid, unpaid or no_payment_required");
        goto out;
    }
    sb_random_hex(12, hex);
    snprintf(cs, sizeof(cs), "cs_test_%s", hex);
    sb_random_hex(12, hex);
    snprintf(evt, sizeof(evt), "evt_%s", hex);
    long long now = sb_now();
    json_t *session = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:b,s:o}", "id", cs,
                                "object", "checkout.session", "mode", "payment", "status",
                                "complete", "payment_status", pay, "currency", "usd",
                                "amount_subtotal", (json_int_t)total, "amount_total",
                                (json_int_t)total, "created", (json_int_t)now, "livemode", 0,
                                "metadata", meta);
    meta = NULL;
    event = json_pack("{s:s,s:s,s:s,s:I,s:b,s:i,s:s,s:{s:O}}", "id", evt, "object", "event",
                      "api_version", "2024-06-20", "created", (json_int_t)now, "livemode", 0,
                      "pending_webhooks", 1, "type", "checkout.session.completed", "data",
                      "object", session);
    event_body = event ? json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (!session || !event_body) {
        json_decref(session);
        st = sb_sim_fail(r, 500, "out of memory");
        goto out;
    }
    if (cfg->stripe_webhook_secret[0]) {
        char t[24];
        int tl = snprintf(t, sizeof(t), "%lld.", now);
        sb_hmac_hex2(cfg->stripe_webhook_secret, t, (size_t)tl, event_body, strlen(event_body),
                     sig);
        snprintf(header, sizeof(header), "t=%lld,v1=%s", now, sig);
    }
    sb_store_lock(s);
    int stored = s->n_stripe_sessions < SB_MAX_STRIPE_SESSIONS;
    if (stored) {
        /* The store gets its own copy of the session (the event keeps the
         * original) and takes the items. */
        json_object_set_new(s->stripe_sessions, cs,
                            json_pack("{s:o,s:o}", "session", json_deep_copy(session), "items",
                                      items));
        items = NULL;
        s->n_stripe_sessions++;
    }
    json_decref(session);
    sb_store_unlock(s);
    if (!stored) {
        st = sb_sim_fail(r, 409, "session limit (%d) reached; POST /sandbox/reset",
                         SB_MAX_STRIPE_SESSIONS);
        goto out;
    }
    int queued = 0;
    if (cfg->stripe_webhook_url[0] && header[0]) {
        snprintf(headers, sizeof(headers),
                 "Content-Type: application/json\r\nStripe-Signature: %s\r\n", header);
        queued = sb_hooks_post(r->app->hooks, cfg->stripe_webhook_url, headers, event_body,
                               evt, 0) == 0;
    }
    json_t *answer = json_pack("{s:s,s:s,s:O,s:s,s:s?,s:{s:b}}", "session_id", cs, "event_id",
                               evt, "event", event, "event_body", event_body, "signature_header",
                               header[0] ? header : NULL, "webhook", "queued", queued);
    const char *items_note = json_string_value(
        json_object_get(json_object_get(json_object_get(json_object_get(event, "data"), "object"),
                                        "metadata"),
                        ITEMS_KEY));
    if (queued)
        st = sb_sim_note(r, 201, answer, "Website sale %s (%s): checkout.session.completed sent "
                         "to %s", cs, items_note ? items_note : "line items only",
                         cfg->stripe_webhook_url);
    else
        st = sb_sim_note(r, 201, answer, "Website sale %s created, but no event was sent: %s", cs,
                         !cfg->stripe_webhook_url[0] ? "SANDBOX_STRIPE_WEBHOOK_URL is not set"
                         : !header[0]                ? "SANDBOX_STRIPE_WEBHOOK_SECRET is not set"
                                                     : "the delivery queue is full");
out:
    free(event_body);
    json_decref(event);
    json_decref(meta);
    json_decref(items);
    json_decref(body);
    return st;
}

int sb_stripe_session_get(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    sb_store_lock(s);
    json_t *entry = json_object_get(s->stripe_sessions, r->arg[0]);
    json_t *copy = entry ? json_deep_copy(json_object_get(entry, "session")) : NULL;
    sb_store_unlock(s);
    if (!entry)
        return stripe_error(r, 404, "resource_missing", "No such checkout.session: '%s'",
                            r->arg[0]);
    return sb_reply_json(r, 200, copy);
}

/* 1 when the query asks to expand data.price.product (expand[] or
 * expand[N] keys, as Stripe's clients send them). */
static int wants_product(const sb_params_t *q)
{
    for (size_t i = 0; i < q->n; i++) {
        if (strncmp(q->key[i], "expand", 6) == 0 && strcmp(q->val[i], "data.price.product") == 0)
            return 1;
    }
    return 0;
}

int sb_stripe_line_items(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    const char *lim = sb_params_get(&r->query, "limit");
    const char *after = sb_params_get(&r->query, "starting_after");
    char *end = NULL;
    long limit = lim ? strtol(lim, &end, 10) : DEFAULT_LIMIT;
    size_t start = 0, i;
    json_t *li;

    if (lim && (!*lim || *end || limit < 1 || limit > MAX_LIMIT))
        return stripe_error(r, 400, "parameter_invalid_integer",
                            "Invalid limit: must be an integer from 1 to %d", MAX_LIMIT);
    int expand = wants_product(&r->query);
    sb_store_lock(s);
    json_t *entry = json_object_get(s->stripe_sessions, r->arg[0]);
    json_t *items = json_object_get(entry, "items");
    int after_ok = !after;
    json_array_foreach(items, i, li) {
        if (after && strcmp(json_string_value(json_object_get(li, "id")), after) == 0) {
            start = i + 1;
            after_ok = 1;
        }
    }
    json_t *page = json_array();
    for (i = start; entry && after_ok && i < json_array_size(items) && i < start + (size_t)limit;
         i++) {
        json_t *copy = json_deep_copy(json_array_get(items, i));
        json_t *price = json_object_get(copy, "price");
        /* Unexpanded, Stripe gives the product as its id only. */
        if (!expand)
            json_object_set(price, "product",
                            json_object_get(json_object_get(price, "product"), "id"));
        json_array_append_new(page, copy);
    }
    int has_more = start + (size_t)limit < json_array_size(items);
    sb_store_unlock(s);
    if (!entry) {
        json_decref(page);
        return stripe_error(r, 404, "resource_missing", "No such checkout.session: '%s'",
                            r->arg[0]);
    }
    if (!after_ok) {
        json_decref(page);
        return stripe_error(r, 400, "resource_missing", "starting_after: no line item %s in "
                            "this session", after);
    }
    char url[160];
    snprintf(url, sizeof(url), "/v1/checkout/sessions/%s/line_items", r->arg[0]);
    return sb_reply_json(r, 200, json_pack("{s:s,s:o,s:b,s:s}", "object", "list", "data", page,
                                           "has_more", has_more, "url", url));
}
