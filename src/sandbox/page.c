/*
 * page — the seller's page at "/": shop, warehouses, products with their
 * SKUs and per-warehouse stock, recent orders, and plain HTML forms to buy,
 * cancel, inject faults and reset. No script, no external resource; stable
 * ids and classes for browser tests (button.buy[data-sku=..],
 * input.qty[data-sku=..], button.cancel[data-order=..], #faults-apply, ...).
 */
#include <stdio.h>
#include <string.h>

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
    rc = rc || buf_appends(b, "<th>Buy</th></tr>");
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
        rc = rc || buf_appends(b, "<tr class=\"order\" data-order=\"") || sb_html_escape(b, id) ||
             buf_appends(b, "\"><td><code>") || sb_html_escape(b, id) ||
             buf_appends(b, "</code></td><td class=\"status\">") || sb_html_escape(b, status) ||
             buf_appends(b, "</td><td>") || field(b, json_array_get(items, 0), "seller_sku") ||
             buf_appendf(b, "</td><td>%zu</td><td>", json_array_size(items)) ||
             field(b, json_object_get(o, "payment"), "total_amount") ||
             buf_appendf(b, "</td><td>%lld</td><td>",
                         (long long)json_integer_value(json_object_get(o, "create_time")));
        size_t live = 0, k;
        json_t *li;
        json_array_foreach(items, k, li) live += !sb_store_line_cancelled(li);
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
               "<h2>Faults</h2><p>Applied to signed API calls only.</p>"
               "<form id=\"faults\" method=\"post\" action=\"/sandbox/faults\">"
               "<label>latency ms <input name=\"latency_ms\" id=\"latency_ms\" value=\"%ld\" "
               "size=\"6\"></label> "
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
               f->latency_ms, f->error_rate, f->rate_limit_rate, f->fail_next, f->throttle_next);
}

int sb_page_home(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    const char *msg = sb_params_get(&r->query, "error");
    buf_t b;
    buf_init(&b, PAGE_MAX);

    int rc = buf_appendf(&b, "<!doctype html><html><head><meta charset=\"utf-8\">"
                             "<title>TikTok Shop sandbox - %s</title><style>%s</style></head>"
                             "<body><h1>TikTok Shop sandbox</h1>",
                         SB_SHOP_NAME, style);
    if (msg)
        rc = rc || buf_appends(&b, "<p class=\"msg\" id=\"error\">") || sb_html_escape(&b, msg) ||
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
    rc = rc || buf_appends(&b, "</table>") || products_html(&b, s) || orders_html(&b, s) ||
         faults_html(&b, &s->faults);
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
