/*
 * Unit tests for tiktok_parse, called directly on response documents: the
 * envelope (with and without an integer code), IDs above 2^53 kept exact
 * whether sent as strings or numbers, required members named in the error,
 * optional ones defaulted, Inventory Search flattened per SKU, Update
 * Inventory's per-SKU errors, and the token exchange's non-empty tokens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "shopsync/jsonx.h"
#include "tiktok_parse.h"

#define BIG_ID "7494726673780148744" /* above 2^53 */

static json_t *doc(const char *text)
{
    char err[256];
    json_t *v = jsonx_loadb(text, strlen(text), err, sizeof(err));
    if (!v)
        fail_msg("bad test JSON: %s", err);
    return v;
}

static int envelope(const char *body, long status, tiktok_result_t *res)
{
    http_response_t resp;
    memset(&resp, 0, sizeof(resp));
    buf_init(&resp.body, 1 << 16);
    assert_int_equal(buf_appends(&resp.body, body), 0);
    resp.status = status;
    tiktok_result_init(res);
    int has_code = tiktok_parse_envelope(&resp, res);
    http_response_free(&resp);
    return has_code;
}

static void test_envelope(void **state)
{
    (void)state;
    tiktok_result_t res;
    assert_int_equal(envelope("{\"code\":36009002,\"message\":\"slow down\",\"request_id\":\"r1\","
                              "\"data\":{\"x\":1}}", 429, &res), 1);
    assert_int_equal(res.code, 36009002);
    assert_string_equal(res.message, "slow down");
    assert_string_equal(res.request_id, "r1");
    assert_non_null(res.data);
    tiktok_result_free(&res);
    assert_null(res.data);

    /* data null is no data. */
    assert_int_equal(envelope("{\"code\":0,\"data\":null}", 200, &res), 1);
    assert_int_equal(res.code, 0);
    assert_null(res.data);

    /* Not an envelope: HTML, a string code, an array. code stays -1. */
    static const char *not_env[] = {"<html>bad gateway</html>", "{\"code\":\"0\"}", "[1]", ""};
    for (size_t i = 0; i < sizeof(not_env) / sizeof(not_env[0]); i++) {
        assert_int_equal(envelope(not_env[i], 502, &res), 0);
        assert_int_equal(res.code, -1);
        assert_string_equal(res.message, "HTTP 502 without a TikTok response envelope");
        tiktok_result_free(&res);
    }
}

static void test_ids_exact_and_required(void **state)
{
    (void)state;
    char err[192] = "";
    tiktok_shops_t shops;
    memset(&shops, 0, sizeof(shops));
    json_t *d = doc("{\"shops\":[{\"id\":" BIG_ID ",\"cipher\":\"c1\",\"name\":\"A\"},"
                    "{\"id\":\"" BIG_ID "5\",\"cipher\":\"c2\",\"region\":null}]}");
    assert_int_equal(tiktok_parse_shops(d, &shops, err, sizeof(err)), 0);
    assert_int_equal(shops.n, 2);
    assert_string_equal(shops.items[0].id, BIG_ID);
    assert_string_equal(shops.items[1].id, BIG_ID "5");
    assert_string_equal(shops.items[1].region, "");
    tiktok_shops_free(&shops);
    json_decref(d);

    /* A shop without its cipher is refused, naming the member. */
    memset(&shops, 0, sizeof(shops));
    d = doc("{\"shops\":[{\"id\":\"1\"}]}");
    assert_int_equal(tiktok_parse_shops(d, &shops, err, sizeof(err)), -1);
    assert_string_equal(err, "cipher: is required");
    tiktok_shops_free(&shops);
    json_decref(d);

    /* Data that is not an object, and a list that is not an array. */
    memset(&shops, 0, sizeof(shops));
    assert_int_equal(tiktok_parse_shops(NULL, &shops, err, sizeof(err)), -1);
    assert_string_equal(err, "data: must be an object");
    d = doc("{\"shops\":{}}");
    assert_int_equal(tiktok_parse_shops(d, &shops, err, sizeof(err)), -1);
    assert_string_equal(err, "shops: must be an array");
    json_decref(d);

    /* A string longer than its field is an error, not a cut. */
    tiktok_image_t img;
    char long_uri[600];
    memset(long_uri, 'u', sizeof(long_uri) - 1);
    long_uri[sizeof(long_uri) - 1] = '\0';
    d = json_pack("{s:s}", "uri", long_uri);
    assert_int_equal(tiktok_parse_image(d, &img, err, sizeof(err)), -1);
    assert_string_equal(err, "uri: longer than 511 bytes");
    json_decref(d);
}

static void test_inventories_flattened(void **state)
{
    (void)state;
    char err[192] = "";
    tiktok_inventories_t inv;
    memset(&inv, 0, sizeof(inv));
    json_t *d = doc("{\"inventory\":[{\"product_id\":\"P1\",\"skus\":["
                    "{\"id\":\"S1\",\"seller_sku\":\"MUG\",\"total_available_quantity\":7,"
                    "\"warehouse_inventory\":[{\"warehouse_id\":\"W1\",\"available_quantity\":5},"
                    "{\"warehouse_id\":\"W2\",\"available_quantity\":2}]},"
                    "{\"id\":\"S2\"}]},"
                    "{\"product_id\":\"P2\",\"skus\":[{\"id\":\"S3\",\"total_available_quantity\":0}]}]}");
    assert_int_equal(tiktok_parse_inventories(d, &inv, err, sizeof(err)), 0);
    assert_int_equal(inv.n, 3);
    assert_string_equal(inv.items[0].product_id, "P1");
    assert_string_equal(inv.items[0].seller_sku, "MUG");
    assert_int_equal(inv.items[0].total_available_quantity, 7);
    assert_int_equal(inv.items[0].n_warehouses, 2);
    assert_string_equal(inv.items[0].warehouses[1].warehouse_id, "W2");
    assert_int_equal(inv.items[0].warehouses[1].quantity, 2);
    assert_string_equal(inv.items[1].sku_id, "S2");
    assert_int_equal(inv.items[1].total_available_quantity, 0);
    assert_string_equal(inv.items[2].product_id, "P2");
    tiktok_inventories_free(&inv);
    json_decref(d);
}

static void test_sku_errors(void **state)
{
    (void)state;
    char err[192] = "";
    tiktok_sku_errors_t e;
    memset(&e, 0, sizeof(e));
    /* No data at all: a clean success. */
    assert_int_equal(tiktok_parse_sku_errors(NULL, &e, err, sizeof(err)), 0);
    assert_int_equal(e.n, 0);
    json_t *d = doc("{\"errors\":[{\"code\":17019001,\"message\":\"bad warehouse\",\"detail\":"
                    "{\"sku_id\":\"S1\",\"extra_errors\":[{\"warehouse_id\":\"W9\",\"code\":1,"
                    "\"message\":\"unknown warehouse\"}]}},{\"code\":2}]}");
    assert_int_equal(tiktok_parse_sku_errors(d, &e, err, sizeof(err)), 0);
    assert_int_equal(e.n, 2);
    assert_string_equal(e.items[0].sku_id, "S1");
    assert_int_equal(e.items[0].code, 17019001);
    assert_int_equal(e.items[0].n_extra, 1);
    assert_string_equal(e.items[0].extra[0].warehouse_id, "W9");
    assert_string_equal(e.items[0].extra[0].message, "unknown warehouse");
    /* An error without detail names no SKU. */
    assert_string_equal(e.items[1].sku_id, "");
    tiktok_sku_errors_free(&e);
    json_decref(d);
}

static void test_orders(void **state)
{
    (void)state;
    char err[192] = "";
    tiktok_orders_t o;
    memset(&o, 0, sizeof(o));
    char status[100];
    memset(status, 'X', sizeof(status) - 1);
    status[sizeof(status) - 1] = '\0';
    json_t *d = json_pack("{s:[{s:s,s:s,s:I,s:[{s:s,s:s,s:s},{s:s,s:s}]}],s:s}", "orders", "id", BIG_ID,
                          "status", "AWAITING_SHIPMENT", "update_time", (json_int_t)1700000000, "line_items",
                          "id", "L1", "sku_id", "S1", "display_status", "CANCELLED", "id", "L2",
                          "display_status", status, "next_page_token", "tok2");
    assert_non_null(d);
    assert_int_equal(tiktok_parse_orders(d, &o, err, sizeof(err)), 0);
    assert_int_equal(o.n, 1);
    assert_string_equal(o.items[0].id, BIG_ID);
    assert_int_equal(o.items[0].update_time, 1700000000);
    assert_int_equal(o.items[0].create_time, 0);
    assert_int_equal(o.items[0].n_line_items, 2);
    assert_string_equal(o.items[0].line_items[0].display_status, "CANCELLED");
    /* An oversized display status is informative only: left empty, the
     * order still parses. */
    assert_string_equal(o.items[0].line_items[1].display_status, "");
    assert_string_equal(o.next_page_token, "tok2");
    tiktok_orders_free(&o);
    json_decref(d);

    /* An order needs its id. */
    memset(&o, 0, sizeof(o));
    d = doc("{\"orders\":[{\"status\":\"X\"}]}");
    assert_int_equal(tiktok_parse_orders(d, &o, err, sizeof(err)), -1);
    assert_string_equal(err, "id: is required");
    tiktok_orders_free(&o);
    json_decref(d);
}

static void test_order_payment(void **state)
{
    (void)state;
    char err[192] = "";
    tiktok_orders_t o;
    memset(&o, 0, sizeof(o));
    json_t *d = doc("{\"orders\":[{\"id\":\"A\",\"line_items\":[],"
                    "\"payment\":{\"currency\":\"USD\",\"total_amount\":\"72.00\"}},"
                    "{\"id\":\"B\",\"line_items\":[]},"
                    "{\"id\":\"C\",\"line_items\":[],"
                    "\"payment\":{\"currency\":\"NOT-A-CODE\",\"total_amount\":72}}]}");
    assert_int_equal(tiktok_parse_orders(d, &o, err, sizeof(err)), 0);
    assert_int_equal(o.n, 3);
    assert_string_equal(o.items[0].currency, "USD");
    assert_string_equal(o.items[0].total_amount, "72.00");
    /* Revenue only: no payment, an oversized currency or a number for the
     * amount leave them empty, and the order still parses for stock. */
    assert_string_equal(o.items[1].currency, "");
    assert_string_equal(o.items[1].total_amount, "");
    assert_string_equal(o.items[2].currency, "");
    assert_string_equal(o.items[2].total_amount, "");
    tiktok_orders_free(&o);
    json_decref(d);
}

static void test_tokens(void **state)
{
    (void)state;
    char err[192] = "";
    tiktok_tokens_t t;
    memset(&t, 0, sizeof(t));
    json_t *d = doc("{\"access_token\":\"a\",\"access_token_expire_in\":1700000000,"
                    "\"refresh_token\":\"r\",\"refresh_token_expire_in\":1800000000,"
                    "\"seller_name\":\"S\"}");
    assert_int_equal(tiktok_parse_tokens(d, &t, err, sizeof(err)), 0);
    assert_string_equal(t.access_token, "a");
    assert_int_equal(t.refresh_token_expire_at, 1800000000);
    assert_string_equal(t.open_id, "");
    json_decref(d);
    d = doc("{\"access_token\":\"\",\"access_token_expire_in\":1,"
            "\"refresh_token\":\"r\",\"refresh_token_expire_in\":1}");
    assert_int_equal(tiktok_parse_tokens(d, &t, err, sizeof(err)), -1);
    assert_string_equal(err, "empty token");
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_ids_exact_and_required),
        cmocka_unit_test(test_inventories_flattened),
        cmocka_unit_test(test_sku_errors),
        cmocka_unit_test(test_orders),
        cmocka_unit_test(test_order_payment),
        cmocka_unit_test(test_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
