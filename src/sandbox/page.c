/*
 * page — the seller's page at "/": shop, warehouses, products with their
 * SKUs and per-warehouse stock, recent orders, and plain HTML forms to buy
 * on TikTok, buy on the website (a paid Stripe checkout), cancel, inject
 * faults and reset. No script, no external resource; stable ids and classes
 * for browser tests (button.buy[data-sku=..], input.qty[data-sku=..],
 * button.cancel[data-order=..], #website-sale, #faults-apply, ...).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sandbox.h"
#include "shopsync/httpx.h"
#include "store.h"

#define PAGE_MAX (4 * 1024 * 1024)
#define PAGE_ORDERS 50

static const char style[] =
    "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left}"
    "th{background:#f3f3f3}.msg{padding:.5em;background:#fee;border:1px solid #c66}"
    ".note{padding:.5em;background:#efe;border:1px solid #6a6}"
    "form{display:inline;margin:0}input.qty{width:4em}code{font-size:.9em}";

/* Append escaped text of a JSON string member (missing: empty). */
static int field(buf_t *b, const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return sb_html_escape(b, s ? s : "");
}

static long long stock_of(json_t *sku, const char *wid, int *listed)
{
    json_t *inv = sb_store_sku_stock(sku, wid);
    *listed = inv != NULL;
    return inv ? json_integer_value(json_object_get(inv, "quantity")) : 0;
}

static int products_html(buf_t *b, sb_store_t *s)
{
    size_t i, j;
    json_t *p, *sku;
    int rc = buf_appends(b, "<h2>Products</h2><table id=\"products\"><tr><th>Product</th>"
                            "<th>SKU id</th><th>Seller SKU</th><th>Price</th>");
    for (int w = 0; w < SB_WAREHOUSE_COUNT; w++)
        rc = rc || buf_appendf(b, "<th>%s</th>", sb_warehouses[w].name);
    rc = rc || buf_appends(b, "<th>Buy on TikTok</th></tr>");
    if (json_array_size(s->products) == 0)
        rc = rc || buf_appends(b, "<tr><td colspan=\"7\">No products yet: shopsync creates "
                                  "them through the API.</td></tr>");
    json_array_foreach(s->products, i, p) {
        json_array_foreach(json_object_get(p, "skus"), j, sku) {
            const char *ss = json_string_value(json_object_get(sku, "seller_sku"));
            rc = rc || buf_appends(b, "<tr><td>") || field(b, p, "title") ||
                 buf_appends(b, "<br><code>") || field(b, p, "id") ||
                 buf_appends(b, "</code></td><td><code>") || field(b, sku, "id") ||
                 buf_appends(b, "</code></td><td class=\"seller-sku\">") ||
                 sb_html_escape(b, ss) || buf_appends(b, "</td><td>") ||
                 field(b, json_object_get(sku, "price"), "amount") || buf_appends(b, "</td>");
            for (int w = 0; w < SB_WAREHOUSE_COUNT; w++) {
                int listed;
                long long q = stock_of(sku, sb_warehouses[w].id, &listed);
                rc = rc || buf_appendf(b, "<td class=\"stock\" data-warehouse=\"%s\" data-sku=\"",
                                       sb_warehouses[w].id) ||
                     sb_html_escape(b, ss) ||
                     (listed ? buf_appendf(b, "\">%lld</td>", q) : buf_appends(b, "\">-</td>"));
            }
            rc = rc || buf_appends(b, "<td><form method=\"post\" action=\"/sandbox/orders\">"
                                      "<input type=\"hidden\" name=\"seller_sku\" value=\"") ||
                 sb_html_escape(b, ss) ||
                 buf_appends(b, "\"><input class=\"qty\" type=\"number\" name=\"quantity\" "
                                "value=\"1\" min=\"1\" max=\"100\" data-sku=\"") ||
                 sb_html_escape(b, ss) ||
                 buf_appends(b, "\"> <button class=\"buy\" type=\"submit\" data-sku=\"") ||
                 sb_html_escape(b, ss) || buf_appends(b, "\">Buy</button></form></td></tr>");
        }
    }
    return rc || buf_appends(b, "</table>");
}

/* A website sale: pick a SKU and a quantity; the sandbox creates a paid
 * checkout session whose metadata lists the items and sends its signed
 * checkout.session.completed event to the store. */
static int website_sale_html(buf_t *b, sb_store_t *s, const sb_config_t *cfg)
{
    size_t i, j, n = 0;
    json_t *p, *sku;
    int rc = buf_appends(b, "<h2>Website sale</h2><p>A paid Stripe checkout on the store's "
                            "website: its <code>checkout.session.completed</code> event carries "
                            "<code>metadata.shopsync_items</code> and goes to ");
    if (cfg->stripe_webhook_url[0] && cfg->stripe_webhook_secret[0])
        rc = rc || buf_appends(b, "<code id=\"stripe-webhook-url\">") ||
             sb_html_escape(b, cfg->stripe_webhook_url) || buf_appends(b, "</code>.</p>");
    else
        rc = rc || buf_appends(b, "nobody: set SANDBOX_STRIPE_WEBHOOK_URL and "
                                  "SANDBOX_STRIPE_WEBHOOK_SECRET to send it.</p>");
    rc = rc || buf_appends(b, "<form id=\"website-sale-form\" method=\"post\" "
                              "action=\"/sandbox/stripe/checkout\"><label>SKU <select "
                              "name=\"sku\" id=\"website-sku\">");
    json_array_foreach(s->products, i, p) {
        json_array_foreach(json_object_get(p, "skus"), j, sku) {
            const char *ss = json_string_value(json_object_get(sku, "seller_sku"));
            rc = rc || buf_appends(b, "<option value=\"") || sb_html_escape(b, ss) ||
                 buf_appends(b, "\">") || sb_html_escape(b, ss) || buf_appends(b, "</option>");
            n++;
        }
    }
    return rc || buf_appendf(b, "</select></label> <label>quantity <input type=\"number\" "
                                "name=\"quantity\" id=\"website-qty\" value=\"1\" min=\"1\" "
                                "max=\"1000\"></label> <button type=\"submit\" "
                                "id=\"website-sale\"%s>Website sale</button></form>",
                             n ? "" : " disabled");
}

/* "2026-11-30 09:10:00 UTC" for Unix time t. */
static void utc_time(long long t, char out[32])
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(out, 32, "%lld", t);
}

static int orders_html(buf_t *b, sb_store_t *s)
{
    size_t n = json_array_size(s->orders), shown = 0;
    int rc = buf_appends(b, "<h2>Recent orders</h2><table id=\"orders\"><tr><th>Order</th>"
                            "<th>Status</th><th>Seller SKU</th><th>Units</th><th>Total</th>"
                            "<th>Created</th><th></th></tr>");
    if (n == 0)
        rc = rc || buf_appends(b, "<tr><td colspan=\"7\">No orders yet.</td></tr>");
    for (size_t i = n; i-- > 0 && shown < PAGE_ORDERS; shown++) {
        json_t *o = json_array_get(s->orders, i);
        json_t *items = json_object_get(o, "line_items");
        const char *id = json_string_value(json_object_get(o, "id"));
        const char *status = json_string_value(json_object_get(o, "status"));
        /* Units and total of the lines still live: a cancelled line no
         * longer counts, although the order's payment keeps its total. */
        size_t live = 0, k;
        long long cents = 0;
        json_t *li;
        json_array_foreach(items, k, li) {
            long long c = 0;
            if (sb_store_line_cancelled(li))
                continue;
            live++;
            if (sb_decimal_parse(json_string_value(json_object_get(li, "sale_price")), 2, 1,
                                 &c) == 0)
                cents += c;
        }
        size_t gone = json_array_size(items) - live;
        char created[32];
        utc_time(json_integer_value(json_object_get(o, "create_time")), created);
        rc = rc || buf_appends(b, "<tr class=\"order\" data-order=\"") || sb_html_escape(b, id) ||
             buf_appends(b, "\"><td><code>") || sb_html_escape(b, id) ||
             buf_appends(b, "</code></td><td class=\"status\">") || sb_html_escape(b, status) ||
             buf_appends(b, "</td><td>") || field(b, json_array_get(items, 0), "seller_sku") ||
             buf_appendf(b, "</td><td class=\"units\">%zu", live) ||
             (gone ? buf_appendf(b, " <small>(%zu cancelled)</small>", gone) : 0) ||
             buf_appendf(b, "</td><td class=\"total\">%lld.%02lld</td><td class=\"created\">%s"
                            "</td><td>", cents / 100, cents % 100, created);
        if (strcmp(status, "CANCELLED") != 0)
            rc = rc || buf_appends(b, "<form method=\"post\" action=\"/sandbox/orders/") ||
                 sb_html_escape(b, id) ||
                 buf_appends(b, "/cancel\"><button class=\"cancel\" type=\"submit\" "
                                "data-order=\"") ||
                 sb_html_escape(b, id) || buf_appends(b, "\">Cancel</button></form>");
        /* A buyer may cancel one item of a multi-item order. */
        if (strcmp(status, "CANCELLED") != 0 && live > 1)
            rc = rc || buf_appends(b, "<form method=\"post\" action=\"/sandbox/orders/") ||
                 sb_html_escape(b, id) ||
                 buf_appends(b, "/cancel\"><input type=\"hidden\" name=\"units\" value=\"1\">"
                                "<button class=\"cancel-one\" type=\"submit\" data-order=\"") ||
                 sb_html_escape(b, id) || buf_appends(b, "\">Cancel 1 item</button></form>");
        rc = rc || buf_appends(b, "</td></tr>");
    }
    return rc || buf_appends(b, "</table>");
}

static int faults_html(buf_t *b, const sb_faults_t *f)
{
    return buf_appendf(
               b,
               "<h2>Faults</h2><p>Latency applies to every API the sandbox imitates: the signed "
               "Open API, the OAuth token endpoints and the Stripe API. The error rate applies to "
               "signed calls and token endpoints; the 429 rate, fail next and throttle next to "
               "signed calls. The webhook delay holds back TikTok's order webhooks.</p>"
               "<form id=\"faults\" method=\"post\" action=\"/sandbox/faults\">"
               "<label>latency ms (all APIs) <input name=\"latency_ms\" id=\"latency_ms\" "
               "value=\"%ld\" size=\"6\"></label> "
               "<label>webhook delay ms <input name=\"webhook_delay_ms\" id=\"webhook_delay_ms\" "
               "value=\"%ld\" size=\"6\"></label> "
               "<label>error rate <input name=\"error_rate\" id=\"error_rate\" value=\"%g\" "
               "size=\"4\"></label> "
               "<label>429 rate <input name=\"rate_limit_rate\" id=\"rate_limit_rate\" "
               "value=\"%g\" size=\"4\"></label> "
               "<label>fail next <input name=\"fail_next\" id=\"fail_next\" value=\"%ld\" "
               "size=\"4\"></label> "
               "<label>throttle next <input name=\"throttle_next\" id=\"throttle_next\" "
               "value=\"%ld\" size=\"4\"></label> "
               "<label><input type=\"checkbox\" name=\"expire_tokens\" id=\"expire_tokens\" "
               "value=\"1\"> expire tokens</label> "
               "<label><input type=\"checkbox\" name=\"revoke_tokens\" id=\"revoke_tokens\" "
               "value=\"1\"> revoke tokens</label> "
               "<button type=\"submit\" id=\"faults-apply\">Apply</button></form> "
               "<form method=\"post\" action=\"/sandbox/faults\"><input type=\"hidden\" "
               "name=\"reset\" value=\"1\"><button type=\"submit\" id=\"faults-reset\">"
               "Clear faults</button></form>"
               "<h2>Sandbox</h2><form method=\"post\" action=\"/sandbox/reset\">"
               "<button type=\"submit\" id=\"reset\">Reset products, orders and tokens</button>"
               "</form> <a href=\"/sandbox/state\">state (JSON)</a>",
               f->latency_ms, f->webhook_delay_ms, f->error_rate, f->rate_limit_rate, f->fail_next,
               f->throttle_next);
}

int sb_page_home(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    const char *msg = sb_params_get(&r->query, "error");
    const char *note = sb_params_get(&r->query, "note");
    buf_t b;
    buf_init(&b, PAGE_MAX);

    int rc = buf_appendf(&b, "<!doctype html><html><head><meta charset=\"utf-8\">"
                             "<title>TikTok Shop sandbox - %s</title><style>%s</style></head>"
                             "<body><h1>TikTok Shop sandbox</h1>",
                         SB_SHOP_NAME, style);
    if (msg)
        rc = rc || buf_appends(&b, "<p class=\"msg\" id=\"error\">") || sb_html_escape(&b, msg) ||
             buf_appends(&b, "</p>");
    if (note)
        rc = rc || buf_appends(&b, "<p class=\"note\" id=\"note\">") || sb_html_escape(&b, note) ||
             buf_appends(&b, "</p>");
    sb_store_lock(s);
    rc = rc || buf_appendf(&b, "<h2>Shop</h2><p id=\"shop\"><b>%s</b> id <code>%s</code>, "
                               "region US, cipher <code>%s</code></p>",
                           SB_SHOP_NAME, SB_SHOP_ID, s->shop_cipher);
    rc = rc || buf_appends(&b, "<h2>Warehouses</h2><table id=\"warehouses\"><tr><th>Id</th>"
                               "<th>Name</th><th>Default</th></tr>");
    for (int w = 0; w < SB_WAREHOUSE_COUNT; w++)
        rc = rc || buf_appendf(&b, "<tr><td><code>%s</code></td><td>%s</td><td>%s</td></tr>",
                               sb_warehouses[w].id, sb_warehouses[w].name,
                               sb_warehouses[w].is_default ? "yes" : "");
    rc = rc || buf_appends(&b, "</table>") || products_html(&b, s) ||
         website_sale_html(&b, s, r->app->cfg) || orders_html(&b, s) ||
         faults_html(&b, &s->faults) || sb_ads_page_html(&b, s) || sb_dmp_page_html(&b, s);
    sb_store_unlock(s);
    rc = rc || buf_appends(&b, "</body></html>");
    int st = 500;
    if (rc == 0)
        st = sb_reply_html(r, 200, &b);
    else
        httpx_send_error(r->conn, 500, "internal", "page larger than %d bytes", PAGE_MAX);
    buf_free(&b);
    return st;
}
