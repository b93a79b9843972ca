/*
 * sim — the unsigned control endpoints for the seller page and the tests:
 * health, state dump, simulated buyer orders and cancellations (with signed
 * TikTok webhooks), webhook resends, fault injection and reset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks.h"
#include "sandbox.h"
#include "shopsync/httpx.h"
#include "store.h"

#define MAX_HOOK_HEADERS 512

int sb_sim_healthz(sb_req_t *r)
{
    return sb_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

int sb_sim_state(sb_req_t *r)
{
    const sb_config_t *cfg = r->app->cfg;
    sb_store_lock(r->app->store);
    json_t *v = sb_store_dump(r->app->store, sb_server_route_names());
    sb_store_unlock(r->app->store);
    json_t *hooks = sb_hooks_stats(r->app->hooks);
    json_t *counters = json_object_get(v, "counters");
    json_object_set(counters, "webhooks_sent", json_object_get(hooks, "sent"));
    json_object_set(counters, "webhooks_failed", json_object_get(hooks, "failed"));
    json_object_set_new(v, "webhooks", hooks);
    json_object_set_new(v, "config",
                        json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "app_key", cfg->app_key,
                                  "service_id", cfg->service_id, "redirect_uri",
                                  cfg->redirect_uri, "webhook_url", cfg->webhook_url,
                                  "stripe_webhook_url", cfg->stripe_webhook_url, "access_ttl",
                                  (json_int_t)cfg->access_ttl, "rate_limit",
                                  (json_int_t)cfg->rate_limit));
    return sb_reply_json(r, 200, v);
}

static void money(long long cents, char out[32])
{
    snprintf(out, 32, "%lld.%02lld", cents / 100, cents % 100);
}

/* "8 oz, Lavender" from the SKU's sales attributes. */
static void sku_name(const json_t *sku, char *out, size_t cap)
{
    size_t i, n = 0;
    json_t *a;
    out[0] = '\0';
    json_array_foreach(json_object_get(sku, "sales_attributes"), i, a) {
        int w = snprintf(out + n, cap - n, "%s%s", n ? ", " : "",
                         json_string_value(json_object_get(a, "value_name")));
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
}

/* Build a webhook (type 1 order status, or 11 cancellation), remember its
 * exact bytes for resends and return them (new) with the notification id.
 * Lock held. */
static char *make_hook(sb_store_t *s, int type, const char *order_id, const char *status,
                       const char *cancel_id, long long now, char id[SB_ID_LEN])
{
    json_t *data;
    sb_store_new_id(s, "732761", id);
    if (type == 11)
        data = json_pack("{s:s,s:s,s:s,s:I}", "order_id", order_id, "cancellation_status",
                         "CANCELLATION_REQUEST_COMPLETE", "cancel_id", cancel_id, "update_time",
                         (json_int_t)now);
    else
        data = json_pack("{s:s,s:s,s:I}", "order_id", order_id, "order_status", status,
                         "update_time", (json_int_t)now);
    json_t *hook = json_pack("{s:i,s:s,s:s,s:I,s:o}", "type", type, "tts_notification_id", id,
                             "shop_id", SB_SHOP_ID, "timestamp", (json_int_t)now, "data", data);
    char *body = hook ? json_dumps(hook, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(hook);
    if (!body)
        return NULL;
    json_t *mine = json_object_get(s->order_hooks, order_id);
    if (!mine) {
        mine = json_object();
        json_object_set_new(s->order_hooks, order_id, mine);
    }
    char key[8];
    snprintf(key, sizeof(key), "%d", type);
    json_object_set_new(mine, key, json_pack("{s:s,s:s}", "body", body, "id", id));
    return body;
}

/* Queue a TikTok webhook signed as TikTok does: Authorization is the hex
 * HMAC-SHA256 (key app_secret) of app_key followed by the raw body. It is
 * due after the webhook delay fault (TikTok's pushes can lag the order).
 * Returns 1 when queued, 0 when no webhook URL is set or the queue is full. */
static int queue_tiktok_hook(sb_req_t *r, const char *body, const char *id)
{
    const sb_config_t *cfg = r->app->cfg;
    char sig[65], headers[MAX_HOOK_HEADERS];
    if (!cfg->webhook_url[0] || !body)
        return 0;
    sb_store_lock(r->app->store);
    long delay_ms = r->app->store->faults.webhook_delay_ms;
    sb_store_unlock(r->app->store);
    if (sb_hmac_hex2(cfg->app_secret, cfg->app_key, strlen(cfg->app_key), body, strlen(body),
                     sig) != 0)
        return 0;
    snprintf(headers, sizeof(headers),
             "Content-Type: application/json\r\nAuthorization: %s\r\n", sig);
    return sb_hooks_post(r->app->hooks, cfg->webhook_url, headers, body, id, delay_ms) == 0;
}

/* A new order document for qty units of sku; one line item per unit, as
 * the real API lists them. Lock held. */
static json_t *new_order(sb_store_t *s, const json_t *product, const json_t *sku, long long qty,
                         long long now, char order_id[SB_ID_LEN])
{
    long long cents = 0;
    char price[32], total[32], name[256], li_id[SB_ID_LEN];
    json_t *sku_price = json_object_get(sku, "price");
    const char *amount = json_string_value(json_object_get(sku_price, "amount"));
    sb_decimal_parse(amount, 2, 1, &cents);
    money(cents, price);
    money(cents * qty, total);
    sku_name(sku, name, sizeof(name));
    sb_store_new_id(s, "576684", order_id);
    json_t *items = json_array();
    for (long long i = 0; i < qty; i++) {
        sb_store_new_id(s, "576690", li_id);
        json_array_append_new(
            items, json_pack("{s:s,s:O,s:O,s:O,s:O,s:s,s:s,s:s,s:s,s:s,s:b}", "id", li_id,
                             "sku_id", json_object_get(sku, "id"), "seller_sku",
                             json_object_get(sku, "seller_sku"), "product_id",
                             json_object_get(product, "id"), "product_name",
                             json_object_get(product, "title"), "sku_name", name, "sale_price",
                             price, "original_price", price, "currency", "USD", "display_status",
                             "TO_SHIP", "is_gift", 0));
    }
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:s,s:o,s:{s:s,s:s,s:s,s:s,s:s,s:s},s:s,s:s,s:s,"
                     "s:{s:s,s:s}}",
                     "id", order_id, "status", "AWAITING_SHIPMENT", "create_time",
                     (json_int_t)now, "update_time", (json_int_t)now, "paid_time",
                     (json_int_t)now, "warehouse_id", sb_warehouses[0].id, "line_items", items,
                     "payment", "currency", "USD", "sub_total", total, "total_amount", total,
                     "original_total_product_price", total, "shipping_fee", "0.00", "tax",
                     "0.00", "cancel_reason", "", "cancellation_initiator", "", "buyer_message",
                     "", "recipient_address", "name", "Sandbox Buyer", "region_code", "US");
}

int sb_sim_order_create(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    char err[256], order_id[SB_ID_LEN], hook_id[SB_ID_LEN];
    json_t *body = NULL, *product = NULL;
    char *hook = NULL;
    long long qty;
    int st;

    if (sb_req_object(r, &body, err, sizeof(err)) != 0 ||
        sb_json_int(body, "quantity", 1, 1, SB_MAX_ORDER_UNITS, &qty, err, sizeof(err)) != 0) {
        st = sb_sim_fail(r, 400, "%s", err);
        goto out;
    }
    const char *seller_sku = json_string_value(json_object_get(body, "seller_sku"));
    if (!seller_sku || !*seller_sku) {
        st = sb_sim_fail(r, 400, "seller_sku: is required");
        goto out;
    }
    sb_store_lock(s);
    json_t *sku = sb_store_sku(s, NULL, seller_sku, &product);
    json_t *stock = sku ? sb_store_sku_stock(sku, sb_warehouses[0].id) : NULL;
    long long have = stock ? json_integer_value(json_object_get(stock, "quantity")) : 0;
    if (!sku || have < qty || json_array_size(s->orders) >= SB_MAX_ORDERS) {
        sb_store_unlock(s);
        if (!sku)
            st = sb_sim_fail(r, 404, "no TikTok SKU with seller_sku %s", seller_sku);
        else if (have < qty)
            st = sb_sim_fail(r, 409, "not enough stock of %s in the default warehouse: "
                             "%lld available, %lld wanted", seller_sku, have, qty);
        else
            st = sb_sim_fail(r, 409, "order limit (%d) reached; POST /sandbox/reset",
                             SB_MAX_ORDERS);
        goto out;
    }
    long long now = sb_now();
    json_t *order = new_order(s, product, sku, qty, now, order_id);
    if (order) {
        json_object_set_new(stock, "quantity", json_integer(have - qty));
        json_object_set_new(product, "update_time", json_integer(now));
        json_array_append_new(s->orders, order);
        s->counters.orders_created++;
        hook = make_hook(s, 1, order_id, "AWAITING_SHIPMENT", NULL, now, hook_id);
    }
    sb_store_unlock(s);
    if (!order) {
        st = sb_sim_fail(r, 500, "out of memory");
        goto out;
    }
    int queued = queue_tiktok_hook(r, hook, hook_id);
    st = sb_sim_done(r, 201, json_pack("{s:s,s:s,s:I,s:{s:b,s:s}}", "order_id", order_id,
                                       "status", "AWAITING_SHIPMENT", "units", (json_int_t)qty,
                                       "webhook", "queued", queued, "tts_notification_id",
                                       hook_id));
out:
    free(hook);
    json_decref(body);
    return st;
}

/* Give back the unit of a cancelled line item to the default warehouse.
 * Lock held. */
static void restock_line(sb_store_t *s, const json_t *li)
{
    json_t *sku = sb_store_sku(s, json_string_value(json_object_get(li, "sku_id")), NULL, NULL);
    if (!sku)
        return; /* the SKU was edited away since the sale */
    json_t *stock = sb_store_sku_stock(sku, sb_warehouses[0].id);
    if (!stock) {
        json_array_append_new(json_object_get(sku, "inventory"),
                              json_pack("{s:s,s:i}", "warehouse_id", sb_warehouses[0].id,
                                        "quantity", 0));
        stock = sb_store_sku_stock(sku, sb_warehouses[0].id);
    }
    json_int_t q = json_integer_value(json_object_get(stock, "quantity")) + 1;
    json_object_set_new(stock, "quantity",
                        json_integer(q > SB_MAX_QUANTITY ? SB_MAX_QUANTITY : q));
}

/* POST /sandbox/orders/{id}/cancel, body {} or {"units":N}: cancel N line
 * items of the order (each line is one unit), or all that are left. A part
 * of the order is a cancellation status change (webhook type 11) while the
 * order goes on; the last lines cancel the order (types 11 and 1). The
 * cancelled units go back to TikTok's inventory. */
int sb_sim_order_cancel(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    char err[256], cancel_id[SB_ID_LEN], id11[SB_ID_LEN], id1[SB_ID_LEN] = "";
    char *hook11 = NULL, *hook1 = NULL;
    json_t *body = NULL;
    long long units;
    size_t i;
    json_t *li;

    if (sb_req_object(r, &body, err, sizeof(err)) != 0 ||
        sb_json_int(body, "units", 0, 0, SB_MAX_ORDER_UNITS, &units, err, sizeof(err)) != 0) {
        json_decref(body);
        return sb_sim_fail(r, 400, "%s", err);
    }
    json_decref(body);
    sb_store_lock(s);
    json_t *order = sb_store_order(s, r->arg[0]);
    const char *status = order ? json_string_value(json_object_get(order, "status")) : NULL;
    if (!order || strcmp(status, "CANCELLED") == 0) {
        sb_store_unlock(s);
        return order ? sb_sim_fail(r, 409, "order %s is already cancelled", r->arg[0])
                     : sb_sim_fail(r, 404, "no order %s", r->arg[0]);
    }
    long long active = 0;
    json_array_foreach(json_object_get(order, "line_items"), i, li) active += !sb_store_line_cancelled(li);
    int whole = units == 0 || units >= active;
    long long n = whole ? active : units;
    long long now = sb_now();
    long long done = 0;
    json_array_foreach(json_object_get(order, "line_items"), i, li) {
        if (done == n)
            break;
        if (sb_store_line_cancelled(li))
            continue;
        json_object_set_new(li, "display_status", json_string("CANCELLED"));
        restock_line(s, li);
        done++;
    }
    json_object_set_new(order, "update_time", json_integer(now));
    if (whole) {
        json_object_set_new(order, "status", json_string("CANCELLED"));
        json_object_set_new(order, "cancel_reason", json_string("Buyer changed their mind (sandbox)"));
        json_object_set_new(order, "cancellation_initiator", json_string("BUYER"));
        s->counters.orders_cancelled++;
    }
    const char *now_status = json_string_value(json_object_get(order, "status"));
    sb_store_new_id(s, "577088", cancel_id);
    hook11 = make_hook(s, 11, r->arg[0], NULL, cancel_id, now, id11);
    if (whole)
        hook1 = make_hook(s, 1, r->arg[0], "CANCELLED", NULL, now, id1);
    json_t *ids = whole ? json_pack("[s,s]", id11, id1) : json_pack("[s]", id11);
    json_t *answer = json_pack("{s:s,s:s,s:I,s:s}", "order_id", r->arg[0], "status", now_status,
                               "cancelled_units", (json_int_t)done, "cancel_id", cancel_id);
    sb_store_unlock(s);
    int queued = queue_tiktok_hook(r, hook11, id11);
    if (whole)
        queued = queue_tiktok_hook(r, hook1, id1) && queued;
    free(hook11);
    free(hook1);
    json_object_set_new(answer, "webhooks", json_pack("{s:b,s:o}", "queued", queued, "tts_notification_ids", ids));
    return sb_sim_done(r, 200, answer);
}

int sb_sim_webhook_resend(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    char err[256], key[24], id[SB_ID_LEN] = "";
    json_t *body = NULL;
    char *hook = NULL;
    long long type;
    int st;

    if (sb_req_object(r, &body, err, sizeof(err)) != 0 ||
        sb_json_int(body, "type", 1, 1, 99, &type, err, sizeof(err)) != 0) {
        st = sb_sim_fail(r, 400, "%s", err);
        goto out;
    }
    const char *order_id = json_string_value(json_object_get(body, "order_id"));
    snprintf(key, sizeof(key), "%lld", type);
    sb_store_lock(s);
    json_t *mine = order_id ? json_object_get(s->order_hooks, order_id) : NULL;
    json_t *last = json_object_get(mine, key);
    if (last) {
        hook = strdup(json_string_value(json_object_get(last, "body")));
        snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(last, "id")));
    }
    sb_store_unlock(s);
    if (!last) {
        st = sb_sim_fail(r, 404, "no type %lld webhook was sent for order %s", type,
                         order_id ? order_id : "(order_id missing)");
        goto out;
    }
    if (!r->app->cfg->webhook_url[0]) {
        st = sb_sim_fail(r, 409, "SANDBOX_WEBHOOK_URL is not set");
        goto out;
    }
    /* The same bytes and tts_notification_id: a true duplicate delivery. */
    int queued = queue_tiktok_hook(r, hook, id);
    st = sb_sim_done(r, queued ? 202 : 503, json_pack("{s:b,s:s}", "queued", queued,
                                                       "tts_notification_id", id));
out:
    free(hook);
    json_decref(body);
    return st;
}

int sb_sim_faults_get(sb_req_t *r)
{
    sb_store_lock(r->app->store);
    json_t *v = sb_store_faults_json(r->app->store);
    sb_store_unlock(r->app->store);
    return sb_reply_json(r, 200, v);
}

int sb_sim_faults_set(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    char err[256];
    json_t *body = NULL;
    long long latency, webhook_delay, fail_next, throttle_next, ads_fail_next, ads_fail_code;
    double error_rate, rate_limit_rate;

    if (sb_req_object(r, &body, err, sizeof(err)) != 0)
        return sb_sim_fail(r, 400, "%s", err);
    sb_store_lock(s);
    sb_faults_t f = s->faults;
    if (sb_json_true(body, "reset"))
        memset(&f, 0, sizeof(f));
    /* Validate every field before changing anything. */
    int rc = sb_json_int(body, "latency_ms", f.latency_ms, 0, SB_MAX_LATENCY_MS, &latency, err,
                         sizeof(err)) ||
             sb_json_int(body, "webhook_delay_ms", f.webhook_delay_ms, 0,
                         SB_MAX_WEBHOOK_DELAY_MS, &webhook_delay, err, sizeof(err)) ||
             sb_json_real(body, "error_rate", f.error_rate, 0, 1, &error_rate, err, sizeof(err)) ||
             sb_json_real(body, "rate_limit_rate", f.rate_limit_rate, 0, 1, &rate_limit_rate, err,
                          sizeof(err)) ||
             sb_json_int(body, "fail_next", f.fail_next, 0, 1000000, &fail_next, err,
                         sizeof(err)) ||
             sb_json_int(body, "throttle_next", f.throttle_next, 0, 1000000, &throttle_next, err,
                         sizeof(err)) ||
             sb_json_int(body, "ads_fail_next", f.ads_fail_next, 0, 1000000, &ads_fail_next, err,
                         sizeof(err)) ||
             sb_json_int(body, "ads_fail_code", f.ads_fail_code ? f.ads_fail_code : 40100, 500, 50002,
                         &ads_fail_code, err, sizeof(err));
    if (rc == 0 && ads_fail_code != 500 && ads_fail_code != 40100 && ads_fail_code != 40105 &&
        ads_fail_code != 40002 && ads_fail_code != 40001) {
        snprintf(err, sizeof(err), "ads_fail_code: must be 40100, 40105, 40002, 40001 or 500");
        rc = -1;
    }
    if (rc == 0) {
        s->faults = (sb_faults_t){.latency_ms = (long)latency,
                                  .webhook_delay_ms = (long)webhook_delay,
                                  .error_rate = error_rate,
                                  .rate_limit_rate = rate_limit_rate,
                                  .fail_next = (long)fail_next,
                                  .throttle_next = (long)throttle_next,
                                  .ads_fail_next = (long)ads_fail_next,
                                  .ads_fail_code = (long)ads_fail_code};
        if (sb_json_true(body, "expire_tokens"))
            sb_store_expire_tokens(s);
        if (sb_json_true(body, "revoke_tokens"))
            sb_store_revoke_tokens(s);
    }
    json_t *v = sb_store_faults_json(s);
    sb_store_unlock(s);
    json_decref(body);
    if (rc != 0) {
        json_decref(v);
        return sb_sim_fail(r, 400, "%s", err);
    }
    return sb_sim_done(r, 200, v);
}

int sb_sim_faults_clear(sb_req_t *r)
{
    sb_store_lock(r->app->store);
    memset(&r->app->store->faults, 0, sizeof(r->app->store->faults));
    json_t *v = sb_store_faults_json(r->app->store);
    sb_store_unlock(r->app->store);
    return sb_reply_json(r, 200, v);
}

int sb_sim_reset(sb_req_t *r)
{
    sb_store_lock(r->app->store);
    sb_store_reset(r->app->store);
    sb_store_unlock(r->app->store);
    return sb_sim_done(r, 200, json_pack("{s:b}", "ok", 1));
}

/* TikTok's own quantity of ?sku= (a seller_sku) right now: the total and
 * per warehouse. A light read for monitors that poll often. */
int sb_sim_stock(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    const char *seller_sku = sb_params_get(&r->query, "sku");
    size_t i;
    json_t *inv;
    if (!seller_sku || !*seller_sku)
        return sb_sim_fail(r, 400, "sku: is required (a seller_sku)");
    json_t *per = json_object();
    long long total = 0;
    sb_store_lock(s);
    json_t *sku = sb_store_sku(s, NULL, seller_sku, NULL);
    json_array_foreach(json_object_get(sku, "inventory"), i, inv) {
        json_int_t q = json_integer_value(json_object_get(inv, "quantity"));
        total += q;
        json_object_set_new(per, json_string_value(json_object_get(inv, "warehouse_id")),
                            json_integer(q));
    }
    sb_store_unlock(s);
    if (!sku) {
        json_decref(per);
        return sb_sim_fail(r, 404, "no TikTok SKU with seller_sku %s", seller_sku);
    }
    return sb_reply_json(r, 200, json_pack("{s:s,s:I,s:o}", "sku", seller_sku, "quantity",
                                           (json_int_t)total, "warehouses", per));
}

/* Every applied Update Inventory entry for ?sku= (a seller_sku), oldest
 * first: when (wall-clock microseconds) and the total quantity it set. */
int sb_sim_inventory_log(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    const char *sku = sb_params_get(&r->query, "sku");
    if (!sku || !*sku)
        return sb_sim_fail(r, 400, "sku: is required (a seller_sku)");
    json_t *updates = json_array(), *e;
    size_t i;
    sb_store_lock(s);
    json_array_foreach(json_object_get(s->inventory_log, sku), i, e) {
        json_array_append_new(updates, json_pack("{s:O,s:O}", "at_us", json_array_get(e, 0),
                                                 "quantity", json_array_get(e, 1)));
    }
    unsigned long dropped = s->inventory_log_dropped;
    sb_store_unlock(s);
    return sb_reply_json(r, 200, json_pack("{s:s,s:o,s:I}", "sku", sku, "updates", updates,
                                           "dropped", (json_int_t)dropped));
}
