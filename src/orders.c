/*
 * orders — TikTok order ledger and webhook handling (see orders.h).
 */
#include "shopsync/orders.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_stock.h"
#include "shopsync/catalog_validate.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"
#include "shopsync/revenue.h"
#include "shopsync/skumap.h"
#include "shopsync/stock.h"
#include "shopsync/util.h"

#define LEDGER_TTL_S (90 * 86400)
#define MAX_ORDER_SKUS 100
#define PULL_PAGE_SIZE 100 /* Search Orders' largest page */

/* KEYS and ARGV: src/lua/orders_apply.lua. */
static const redis_script_t apply_script = {"order_apply", LUA_STOCK_PRELUDE LUA_SRC_ORDERS_APPLY};

/* The ledger script's outcomes (src/lua/orders_apply.lua) by name, read
 * from its reply and written to the log. */
static const char *const outcome_names[] = {
    [ORDER_APPLIED] = "applied",
    [ORDER_RESTOCKED] = "restocked",
    [ORDER_RESTOCKED_LINES] = "restocked_lines",
    [ORDER_CANCELLED_FIRST] = "cancelled_first",
    [ORDER_NOOP] = "noop",
};

const char *orders_outcome_name(order_outcome_t outcome)
{
    size_t i = (size_t)outcome;
    return i < sizeof(outcome_names) / sizeof(outcome_names[0]) ? outcome_names[i] : "unknown";
}

/* The outcome named name (borrowed); ORDER_NOOP for any other name. */
static order_outcome_t outcome_of(const char *name)
{
    for (size_t i = 0; i < sizeof(outcome_names) / sizeof(outcome_names[0]); i++) {
        if (strcmp(name, outcome_names[i]) == 0)
            return (order_outcome_t)i;
    }
    return ORDER_NOOP;
}

event_rc orders_apply(redis_conn_t *r, const tiktok_order_t *order, order_outcome_t *outcome,
                      char *err, size_t errlen)
{
    char ledger[KEY_MAX];
    char shared[STOCK_SHARED_KEYS][KEY_MAX];
    char skus[MAX_ORDER_SKUS][TIKTOK_SKU_MAX];
    long long counts[MAX_ORDER_SKUS], cancelled_lines[MAX_ORDER_SKUS];
    char sk[MAX_ORDER_SKUS][KEY_MAX];
    char ck[MAX_ORDER_SKUS][KEY_MAX];
    const char *keys[1 + STOCK_SHARED_KEYS + 2 * MAX_ORDER_SKUS];
    size_t n = 0;
    json_t *units = json_array(), *unmatched = json_array(), *req = NULL;
    char *req_text = NULL;
    event_rc rc = EVENT_UNAVAILABLE;

    *outcome = ORDER_NOOP;
    if (order->n_line_items == 0 && strcmp(order->status, "CANCELLED") != 0) {
        /* Writing the ledger now would mark the order applied with nothing
         * taken, and the sale would be lost for good. */
        snprintf(err, errlen, "order %s came without line items; will ask again", order->id);
        rc = EVENT_RETRY;
        goto out;
    }
    for (size_t i = 0; i < order->n_line_items; i++) {
        const tiktok_line_item_t *li = &order->line_items[i];
        char sku[TIKTOK_SKU_MAX] = "";
        if (li->seller_sku[0] && catalog_valid_id(li->seller_sku))
            snprintf(sku, sizeof(sku), "%s", li->seller_sku);
        else if (li->sku_id[0]) {
            int m = skumap_sku_for_id(r, li->sku_id, sku, sizeof(sku));
            if (m < 0)
                goto out;
            if (m == 1)
                sku[0] = '\0';
        }
        int line_cancelled = strcmp(li->display_status, "CANCELLED") == 0;
        if (!sku[0]) {
            if (line_cancelled)
                continue;
            json_array_append_new(unmatched, json_pack("{s:s,s:s,s:s,s:s,s:i}", "source", "tiktok", "ref", order->id,
                                                       "sku", li->seller_sku, "sku_id", li->sku_id, "quantity", 1));
            continue;
        }
        size_t k;
        for (k = 0; k < n && strcmp(skus[k], sku) != 0; k++)
            ;
        if (k == n) {
            if (n == MAX_ORDER_SKUS) {
                snprintf(err, errlen, "order %s has more than %d distinct SKUs", order->id, MAX_ORDER_SKUS);
                rc = EVENT_PERMANENT;
                goto out;
            }
            snprintf(skus[n], sizeof(skus[n]), "%s", sku);
            cancelled_lines[n] = 0;
            counts[n++] = 0;
        }
        /* A cancelled line still lists its SKU (with 0 if no line of it
         * is left), so the ledger can give its unit back. */
        if (line_cancelled)
            cancelled_lines[k]++;
        else
            counts[k]++;
    }
    /* A key that cannot be built never will be: retrying cannot help. */
    if (redis_key(ledger, sizeof(ledger), KEY_ORDER_TIKTOK_FMT, order->id) || stock_shared_keys(shared)) {
        snprintf(err, errlen, "order %s: its ledger key is too long for Redis", order->id);
        rc = EVENT_PERMANENT;
        goto out;
    }
    keys[0] = ledger;
    for (int i = 0; i < STOCK_SHARED_KEYS; i++)
        keys[1 + i] = shared[i];
    int any_active = 0;
    for (size_t k = 0; k < n; k++)
        any_active |= counts[k] > 0;
    /* Every line cancelled is the whole order cancelled, whatever the order
     * status says yet; a cancelled order's lines are all cancelled, whatever
     * they say. */
    int cancelled = strcmp(order->status, "CANCELLED") == 0 ||
                    (order->n_line_items > 0 && !any_active && json_array_size(unmatched) == 0);
    for (size_t k = 0; k < n; k++) {
        if (cancelled) {
            cancelled_lines[k] += counts[k];
            counts[k] = 0;
        }
        if (stock_key(sk[k], sizeof(sk[k]), skus[k]) || stock_chan_key(ck[k], sizeof(ck[k]), skus[k])) {
            snprintf(err, errlen, "order %s: SKU %s is too long for a Redis key", order->id, skus[k]);
            rc = EVENT_PERMANENT;
            goto out;
        }
        keys[1 + STOCK_SHARED_KEYS + 2 * k] = sk[k];
        keys[2 + STOCK_SHARED_KEYS + 2 * k] = ck[k];
        json_array_append_new(units, json_pack("[s,I,I]", skus[k], (json_int_t)counts[k],
                                               (json_int_t)cancelled_lines[k]));
    }
    req = json_pack("{s:O,s:O}", "units", units, "unmatched", unmatched);
    req_text = jsonx_dump(req);
    char ts[32], ttl[32];
    snprintf(ts, sizeof(ts), "%lld", util_now_ms());
    snprintf(ttl, sizeof(ttl), "%d", LEDGER_TTL_S);
    const char *args[] = {order->id, cancelled ? "cancelled" : "active", ts, req_text ? req_text : "{}", ttl};
    redisReply *rep = redis_eval(r, &apply_script, 1 + STOCK_SHARED_KEYS + 2 * (int)n, keys, 5, args, NULL);
    if (!rep)
        goto out;
    if (rep->type == REDIS_REPLY_STRING || rep->type == REDIS_REPLY_STATUS) {
        *outcome = outcome_of(rep->str);
        rc = EVENT_DONE;
    } else if (rep->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "ledger script failed: %s", rep->str);
        rc = EVENT_RETRY;
    }
    freeReplyObject(rep);
out:
    json_decref(units);
    json_decref(unmatched);
    json_decref(req);
    free(req_text);
    return rc;
}

/* 1 for an order placed before the shop was first connected: the stock the
 * seller imported already accounts for it, so its later status pushes
 * (shipped, delivered, ...) must not take units again. */
static int predates_connection(connection_t *conn, const tiktok_order_t *o)
{
    long long since = connection_first_connected_at(conn);
    if (since <= 0 || o->create_time <= 0 || o->create_time >= since)
        return 0;
    log_event(LOG_INFO, "tiktok_order_predates_connection",
              json_pack("{s:s,s:I,s:I}", "order_id", o->id, "create_time", (json_int_t)o->create_time,
                        "connected_at", (json_int_t)since));
    return 1;
}

static event_rc kind_to_rc(tiktok_kind_t kind)
{
    switch (kind) {
    case TIKTOK_OK:
        return EVENT_DONE;
    case TIKTOK_PERMANENT:
        return EVENT_PERMANENT;
    default:
        /* Network, rate limit, 5xx, and token trouble (the seller can fix
         * the connection; the entry waits and is retried or dead-lettered
         * for replay). */
        return EVENT_RETRY;
    }
}

/* Order id of a type 1 or 11 webhook body into out; 0, or -1 for other
 * bodies. */
static int order_id_of(const char *body, size_t len, char *out, size_t cap)
{
    char jerr[128];
    json_t *doc = jsonx_loadb(body, len, jerr, sizeof(jerr));
    json_t *type = json_object_get(doc, "type");
    long long t = json_is_integer(type) ? json_integer_value(type) : -1;
    int rc = -1;
    if ((t == TIKTOK_WEBHOOK_ORDER_STATUS || t == TIKTOK_WEBHOOK_CANCELLATION_STATUS) &&
        jsonx_get_id(json_object_get(doc, "data"), "order_id", out, cap, jerr, sizeof(jerr)) == 0)
        rc = 0;
    json_decref(doc);
    return rc;
}

size_t orders_batch_ids(const char *const *bodies, const size_t *lens, size_t n,
                        char ids[TIKTOK_MAX_ORDER_IDS][TIKTOK_ID_MAX])
{
    size_t m = 0;
    for (size_t i = 0; i < n && m < TIKTOK_MAX_ORDER_IDS; i++) {
        char id[TIKTOK_ID_MAX];
        if (order_id_of(bodies[i], lens[i], id, sizeof(id)) != 0)
            continue;
        size_t k;
        for (k = 0; k < m && strcmp(ids[k], id) != 0; k++)
            ;
        if (k < m)
            continue;
        snprintf(ids[m], TIKTOK_ID_MAX, "%s", id);
        m++;
    }
    return m;
}

int orders_prefetch(connection_t *conn, char ids[TIKTOK_MAX_ORDER_IDS][TIKTOK_ID_MAX], size_t m,
                    tiktok_orders_t *out)
{
    const char *ptrs[TIKTOK_MAX_ORDER_IDS];
    tiktok_result_t res;

    memset(out, 0, sizeof(*out));
    /* A single order gains nothing from batching; it is fetched on its own. */
    if (m < 2 || m > TIKTOK_MAX_ORDER_IDS)
        return 0;
    for (size_t i = 0; i < m; i++)
        ptrs[i] = ids[i];
    int rc = tiktok_get_orders(connection_client(conn), ptrs, m, out, &res);
    tiktok_result_free(&res);
    if (rc != 0) {
        tiktok_orders_free(out);
        memset(out, 0, sizeof(*out));
        return -1;
    }
    return 0;
}

/* Apply o (borrowed) to the ledger and stock, unless it predates the
 * connection, then count its revenue, once (an order placed before the shop
 * was connected still sold). A failed count is retried with the event; the
 * stock ledger makes the second pass change nothing there. */
static event_rc apply_counted(redis_conn_t *r, connection_t *conn, const tiktok_order_t *o,
                              order_outcome_t *outcome, char *err, size_t errlen)
{
    event_rc rc = predates_connection(conn, o) ? EVENT_DONE : orders_apply(r, o, outcome, err, errlen);
    if (rc != EVENT_DONE || revenue_record_order(r, o) == 0)
        return rc;
    snprintf(err, errlen, "the revenue of order %s could not be counted (Redis)", o->id);
    return EVENT_RETRY;
}

event_rc orders_handle_webhook(const config_t *cfg, redis_conn_t *r, connection_t *conn,
                               const char *body, size_t len, const tiktok_orders_t *prefetched,
                               char *err, size_t errlen)
{
    char jerr[256], order_id[64];
    json_t *doc = jsonx_loadb(body, len, jerr, sizeof(jerr));
    event_rc rc = EVENT_PERMANENT;
    (void)cfg;
    if (!doc) {
        snprintf(err, errlen, "webhook body is not valid JSON: %s", jerr);
        return EVENT_PERMANENT;
    }
    json_t *type = json_object_get(doc, "type");
    json_t *data = json_object_get(doc, "data");
    long long t = json_is_integer(type) ? json_integer_value(type) : -1;
    if (t == TIKTOK_WEBHOOK_ORDER_STATUS || t == TIKTOK_WEBHOOK_CANCELLATION_STATUS) {
        if (jsonx_get_id(data, "order_id", order_id, sizeof(order_id), jerr, sizeof(jerr)) != 0) {
            snprintf(err, errlen, "type %lld webhook without data.order_id: %s", t, jerr);
            goto out;
        }
        /* Disconnected (or waiting for re-authorization): the order cannot
         * be fetched, and that is no failure of the event. It waits, and is
         * applied once the seller connects again. */
        if (!connection_is_connected(conn)) {
            snprintf(err, errlen, "TikTok Shop is not connected: order %s waits until it is", order_id);
            rc = EVENT_PARKED;
            goto out;
        }
        for (size_t i = 0; prefetched && i < prefetched->n; i++) {
            if (strcmp(prefetched->items[i].id, order_id) == 0) {
                order_outcome_t outcome;
                rc = apply_counted(r, conn, &prefetched->items[i], &outcome, err, errlen);
                goto out;
            }
        }
        const char *ids[] = {order_id};
        tiktok_orders_t orders;
        tiktok_result_t res;
        /* The push is only a hint: the order fetched now is the truth, so
         * out-of-order and duplicate pushes converge on the same state. */
        if (tiktok_get_orders(connection_client(conn), ids, 1, &orders, &res) != 0) {
            snprintf(err, errlen, "Get Order Detail for %s failed: %s", order_id, res.message);
            rc = kind_to_rc(res.kind);
            /* The authorization was lost during this call. */
            if (res.kind == TIKTOK_REAUTH && !connection_is_connected(conn))
                rc = EVENT_PARKED;
            tiktok_orders_free(&orders);
            tiktok_result_free(&res);
            goto out;
        }
        tiktok_result_free(&res);
        if (orders.n == 0) {
            snprintf(err, errlen, "order %s not found on TikTok Shop", order_id);
            tiktok_orders_free(&orders);
            rc = EVENT_RETRY;
            goto out;
        }
        order_outcome_t outcome = ORDER_NOOP;
        rc = apply_counted(r, conn, &orders.items[0], &outcome, err, errlen);
        if (rc == EVENT_DONE)
            log_event(LOG_INFO, "tiktok_order", json_pack("{s:s,s:s,s:s}", "order_id", order_id, "status",
                                                          orders.items[0].status, "outcome",
                                                          orders_outcome_name(outcome)));
        tiktok_orders_free(&orders);
    } else if (t == TIKTOK_WEBHOOK_SELLER_DEAUTHORIZED) {
        connection_mark_reauth(conn, "the seller deauthorized the app on TikTok Shop");
        rc = EVENT_DONE;
    } else if (t == TIKTOK_WEBHOOK_AUTH_EXPIRING) {
        connection_set_warning(conn, "TikTok Shop says the authorization expires soon: reconnect to renew it");
        rc = EVENT_DONE;
    } else {
        if (log_enabled(LOG_DEBUG))
            log_event(LOG_DEBUG, "tiktok_webhook_ignored", json_pack("{s:I}", "type", (json_int_t)t));
        rc = EVENT_DONE;
    }
out:
    json_decref(doc);
    return rc;
}

int orders_pull(redis_conn_t *r, connection_t *conn, long long since_s, size_t *applied, char *err,
                size_t errlen)
{
    char token[TIKTOK_PAGE_TOKEN_MAX] = "";
    tiktok_order_query_t q = {.update_time_ge = since_s, .update_time_lt = 0, .page_size = PULL_PAGE_SIZE,
                              .page_token = token};

    *applied = 0;
    err[0] = '\0';
    if (!connection_is_connected(conn)) {
        snprintf(err, errlen, "TikTok Shop is not connected");
        return -1;
    }
    for (int page = 0; page < ORDERS_PULL_MAX_PAGES; page++) {
        tiktok_orders_t os;
        tiktok_result_t res;
        if (tiktok_search_orders(connection_client(conn), &q, &os, &res) != 0) {
            snprintf(err, errlen, "Search Orders failed: %s", res.message);
            tiktok_orders_free(&os);
            tiktok_result_free(&res);
            return -1;
        }
        tiktok_result_free(&res);
        for (size_t i = 0; i < os.n; i++) {
            order_outcome_t outcome = ORDER_NOOP;
            tiktok_order_t *o = &os.items[i];
            if (apply_counted(r, conn, o, &outcome, err, errlen) != EVENT_DONE) {
                tiktok_orders_free(&os);
                return -1;
            }
            (*applied)++;
        }
        snprintf(token, sizeof(token), "%s", os.next_page_token);
        tiktok_orders_free(&os);
        if (!token[0])
            return 0;
    }
    snprintf(err, errlen, "more than %d pages of orders", ORDERS_PULL_MAX_PAGES);
    return -1;
}
