/*
 * Unit tests for report and the spend rows it sums: a report row parsed
 * ("-" as none, strings to minor units, bad fields named), the sync's
 * ranges, a hand-checked day rendered as JSON and CSV with totals per
 * currency, ROAS null without spend, and campaigns by spend.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopsync/ads_spend.h"
#include "shopsync/day.h"
#include "shopsync/report.h"

static json_t *row_of(const char *spend, const char *impressions)
{
    return json_pack("{s:{s:s,s:s},s:{s:s,s:s,s:s,s:s,s:s,s:s}}", "dimensions", "campaign_id", "1800000000000001",
                     "stat_time_day", "2025-03-01 00:00:00", "metrics", "spend", spend, "impressions", impressions,
                     "clicks", "7", "conversion", "-", "complete_payment", "1", "campaign_name", "Spring");
}

static void test_parse_row(void **state)
{
    (void)state;
    ads_spend_row_t r;
    char err[128];
    json_t *row = row_of("12.34", "1000");
    assert_int_equal(ads_spend_parse_row(row, 2, &r, err, sizeof(err)), 0);
    long long d;
    day_parse("2025-03-01", 0, &d);
    assert_int_equal(r.day, d);
    assert_int_equal(r.spend, 1234);
    assert_int_equal(r.impressions, 1000);
    assert_int_equal(r.clicks, 7);
    assert_int_equal(r.conversions, 0);
    assert_string_equal(r.campaign_id, "1800000000000001");
    assert_string_equal(r.campaign_name, "Spring");
    json_decref(row);
    row = row_of("-", "-");
    assert_int_equal(ads_spend_parse_row(row, 2, &r, err, sizeof(err)), 0);
    assert_int_equal(r.spend, 0);
    assert_int_equal(r.impressions, 0);
    json_decref(row);
    row = row_of("12,34", "1");
    assert_int_equal(ads_spend_parse_row(row, 2, &r, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "metrics.spend"));
    json_decref(row);
    row = row_of("1", "lots");
    assert_int_equal(ads_spend_parse_row(row, 2, &r, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "metrics.impressions"));
    json_decref(row);
}

static void test_range(void **state)
{
    (void)state;
    long long from, to;
    ads_spend_range(1000, -1, &from, &to);
    assert_int_equal(from, 911);
    assert_int_equal(to, 1001);
    ads_spend_range(1000, 1000, &from, &to);
    assert_int_equal(from, 994);
    ads_spend_range(1000, 980, &from, &to);
    assert_int_equal(from, 974);
    ads_spend_range(1000, 100, &from, &to);
    assert_int_equal(from, 911);
}

static json_t *spend_rec(const char *cur, long long spend, const char *cid, const char *name)
{
    return json_pack("{s:s,s:I,s:I,s:I,s:I,s:{s:{s:s,s:I,s:I,s:I,s:I}}}", "currency", cur, "spend",
                     (json_int_t)spend, "impressions", (json_int_t)100, "clicks", (json_int_t)10, "conversions",
                     (json_int_t)2, "campaigns", cid, "name", name, "spend", (json_int_t)spend, "impressions",
                     (json_int_t)100, "clicks", (json_int_t)10, "conversions", (json_int_t)2);
}

/* Two days in USD and EUR: day 0 has web 74.99 (2 orders), TikTok 72.00 (2
 * orders, 1 cancelled), spend 104.84; day 1 has EUR revenue only. */
static void build(report_t *rep)
{
    assert_int_equal(report_init(rep, 20000, 20001), 0);
    assert_int_equal(report_put_revenue(rep, 0, "USD:web_orders", 2), 0);
    assert_int_equal(report_put_revenue(rep, 0, "USD:web_revenue", 7499), 0);
    assert_int_equal(report_put_revenue(rep, 0, "USD:tts_orders", 2), 0);
    assert_int_equal(report_put_revenue(rep, 0, "USD:tts_gmv", 7200), 0);
    assert_int_equal(report_put_revenue(rep, 0, "USD:tts_cancelled", 1), 0);
    assert_int_equal(report_put_revenue(rep, 1, "EUR:web_orders", 1), 0);
    assert_int_equal(report_put_revenue(rep, 1, "EUR:web_revenue", 1000), 0);
    json_t *a = spend_rec("USD", 6000, "c1", "Spring"), *b = spend_rec("USD", 4484, "c2", "Summer");
    assert_int_equal(report_put_spend(rep, 0, "adv1", a), 0);
    assert_int_equal(report_put_spend(rep, 0, "adv2", b), 0);
    json_decref(a);
    json_decref(b);
    report_finish(rep);
}

static void test_json(void **state)
{
    (void)state;
    report_t rep;
    buf_t out;
    build(&rep);
    buf_init(&out, REPORT_TEXT_MAX);
    assert_int_equal(report_json(&rep, NULL, &out), 0);
    json_t *doc = json_loadb(out.data, out.len, 0, NULL);
    assert_non_null(doc);
    json_t *days = json_object_get(doc, "days");
    /* Two days x two currencies, EUR first. */
    assert_int_equal(json_array_size(days), 4);
    json_t *usd0 = json_array_get(days, 1);
    assert_string_equal(json_string_value(json_object_get(usd0, "currency")), "USD");
    assert_string_equal(json_string_value(json_object_get(usd0, "date")), "2024-10-04");
    /* (74.99 + 72.00) / 104.84 = 1.4020 -> 1.40; AOV 36.00. */
    assert_non_null(strstr(out.data, "\"web_revenue\":74.99,\"tiktok_shop_orders\":2,\"tiktok_shop_gmv\":72.00,"
                                     "\"tiktok_shop_cancelled\":1,\"ad_spend\":104.84,\"impressions\":200,"
                                     "\"clicks\":20,\"conversions\":4,\"roas\":1.40,\"tiktok_shop_aov\":36.00"));
    /* EUR has revenue and no spend: no ROAS. */
    json_t *eur1 = json_array_get(days, 2);
    assert_true(json_is_null(json_object_get(eur1, "roas")));
    json_t *tot = json_object_get(json_object_get(doc, "totals"), "EUR");
    assert_int_equal(json_integer_value(json_object_get(tot, "web_orders")), 1);
    assert_true(json_is_null(json_object_get(tot, "roas")));
    json_decref(doc);
    buf_free(&out);
    report_free(&rep);
}

static void test_csv(void **state)
{
    (void)state;
    report_t rep;
    buf_t out;
    build(&rep);
    buf_init(&out, REPORT_TEXT_MAX);
    assert_int_equal(report_csv(&rep, &out), 0);
    assert_non_null(strstr(out.data, "date,currency,web_orders,web_revenue,tiktok_shop_orders,tiktok_shop_gmv,"
                                     "tiktok_shop_cancelled,ad_spend,impressions,clicks,conversions,roas,"
                                     "tiktok_shop_aov\r\n"));
    assert_non_null(strstr(out.data, "\r\n2024-10-04,USD,2,74.99,2,72.00,1,104.84,200,20,4,1.40,36.00\r\n"));
    assert_non_null(strstr(out.data, "\r\n2024-10-05,EUR,1,10.00,0,0.00,0,0.00,0,0,0,,\r\n"));
    buf_free(&out);
    report_free(&rep);
}

static void test_campaigns(void **state)
{
    (void)state;
    report_t rep;
    buf_t out;
    build(&rep);
    buf_init(&out, REPORT_TEXT_MAX);
    assert_int_equal(report_campaigns_json(&rep, &out), 0);
    json_t *doc = json_loadb(out.data, out.len, 0, NULL);
    json_t *c = json_object_get(doc, "campaigns");
    assert_int_equal(json_array_size(c), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(c, 0), "campaign_name")), "Spring");
    assert_non_null(strstr(out.data, "\"spend\":60.00"));
    json_decref(doc);
    buf_free(&out);
    report_free(&rep);
}

static void test_limits(void **state)
{
    (void)state;
    report_t rep;
    assert_int_equal(report_init(&rep, 0, REPORT_MAX_DAYS), -1);
    assert_int_equal(report_init(&rep, 5, 4), -1);
    assert_int_equal(report_init(&rep, 0, REPORT_MAX_DAYS - 1), 0);
    char f[32];
    /* Sixteen currencies fit; a seventeenth, or a malformed code, does not. */
    for (int i = 0; i < REPORT_MAX_CURRENCIES; i++) {
        snprintf(f, sizeof(f), "AA%c:web_orders", 'A' + i);
        assert_int_equal(report_put_revenue(&rep, 0, f, 1), 0);
    }
    assert_int_equal(report_put_revenue(&rep, 0, "ZZZ:web_orders", 1), -1);
    assert_int_equal(report_put_revenue(&rep, 0, "usd:web_orders", 1), -1);
    report_free(&rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_row), cmocka_unit_test(test_range),     cmocka_unit_test(test_json),
        cmocka_unit_test(test_csv),       cmocka_unit_test(test_campaigns), cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
