/*
 * history — past TikTok Shop orders for Search Orders, generated rather
 * than stored: SANDBOX_ORDER_HISTORY_DAYS days before today, 1 to 4 orders
 * a day, each a function of its day and number (the same on every call and
 * every start), about one in nine cancelled. They carry a payment like the
 * simulated buyers' orders, and a seller SKU no catalog has (HIST-*): they
 * are for revenue backfills, not stock.
 */
#include <stdio.h>

#include "sandbox.h"
#include "shopsync/day.h"

static unsigned long long mix(long long day, int k)
{
    unsigned long long h = 1469598103934665603ULL ^ (unsigned long long)day;
    h = (h ^ (unsigned long long)k) * 1099511628211ULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 32);
}

static json_t *order(long long day, int k)
{
    unsigned long long h = mix(day, k);
    char id[SB_ID_LEN], li[SB_ID_LEN], total[32], sku[32];
    long long created = day * 86400 + (long long)(h % 80000);
    long long cents = 500 + (long long)((h >> 20) % 9500);
    int cancelled = (h >> 40) % 9 == 0;
    snprintf(id, sizeof(id), "57668490%05lld%02d", day % 100000, k);
    snprintf(li, sizeof(li), "57669090%05lld%02d", day % 100000, k);
    snprintf(total, sizeof(total), "%lld.%02lld", cents / 100, cents % 100);
    snprintf(sku, sizeof(sku), "HIST-%llu", (h >> 8) % 5);
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:[{s:s,s:s,s:s,s:s,s:s}],s:{s:s,s:s,s:s},s:s}", "id", id, "status",
                     cancelled ? "CANCELLED" : "COMPLETED", "create_time", (json_int_t)created, "update_time",
                     (json_int_t)(created + 3600), "paid_time", (json_int_t)created, "line_items", "id", li,
                     "seller_sku", sku, "sale_price", total, "currency", "USD", "display_status",
                     cancelled ? "CANCELLED" : "DELIVERED", "payment", "currency", "USD", "sub_total", total,
                     "total_amount", total, "cancel_reason", cancelled ? "Buyer changed their mind" : "");
}

void sb_history_orders(const sb_config_t *cfg, json_t *out)
{
    long long today = day_today();
    for (long long d = today - 1; d >= today - cfg->order_history_days; d--) {
        int count = 1 + (int)(mix(d, 0) % 4);
        for (int k = count; k >= 1; k--)
            json_array_append_new(out, order(d, k));
    }
}
