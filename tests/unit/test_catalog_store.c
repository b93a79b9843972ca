/*
 * Unit tests for catalog_store against a real redis-server (tests/unit/
 * redis_fixture.h): import of new products with their stock, a replace that
 * drops SKUs, a SKU claimed by two products, delete, the reads, and a SKU's
 * "tiktok" rule written as its channel rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_fixture.h"
#include "shopsync/catalog.h"
#include "shopsync/rules.h"
#include "shopsync/stock.h"

static char err[1024];

static int setup(void **state)
{
    (void)state;
    return redis_fixture_flush(&redis_fx);
}

/* Validate text as a catalog document and store it: the path of an import. */
static catalog_rc import(const char *text, size_t *n_skus)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr), *products = NULL;
    if (!doc)
        fail_msg("test JSON does not parse: %s: %s", jerr.text, text);
    err[0] = '\0';
    if (catalog_validate(doc, &products, err, sizeof(err)) != CATALOG_OK)
        fail_msg("test catalog does not validate: %s", err);
    json_decref(doc);
    catalog_rc rc = catalog_store(redis_fx.conn, products, n_skus, err, sizeof(err));
    json_decref(products);
    return rc;
}

static long long on_hand(const char *sku)
{
    long long v = -1;
    assert_int_equal(stock_get(redis_fx.conn, sku, &v), STOCK_OK);
    return v;
}

/* The reply of a command on a fixture key (name without the prefix) as an
 * integer: EXISTS, HEXISTS and the like. */
static long long key_int(const char *cmd, const char *key, const char *field)
{
    redisReply *rep = field ? redis_cmd(redis_fx.conn, "%s " REDIS_FIXTURE_PREFIX "%s %s", cmd, key, field)
                            : redis_cmd(redis_fx.conn, "%s " REDIS_FIXTURE_PREFIX "%s", cmd, key);
    assert_non_null(rep);
    long long v = -1;
    if (rep->type == REDIS_REPLY_INTEGER)
        v = rep->integer;
    else if (rep->type == REDIS_REPLY_STRING)
        v = strtoll(rep->str, NULL, 10);
    else if (rep->type == REDIS_REPLY_NIL)
        v = 0;
    freeReplyObject(rep);
    return v;
}

/* The push mark (change counter) of sku, 0 when none. */
static long long dirty(const char *sku)
{
    return key_int("HGET", "push:dirty", sku);
}

static const json_t *sku_at(const json_t *product, size_t i)
{
    return json_array_get(json_object_get(product, "skus"), i);
}

static const char *sku_name(const json_t *product, size_t i)
{
    return json_string_value(json_object_get(sku_at(product, i), "sku"));
}

static void test_import_new_products(void **state)
{
    (void)state;
    size_t n = 0;
    json_t *list = NULL;
    char owner[CATALOG_ID_MAX + 1] = "";

    assert_int_equal(import("{\"products\":["
                            "{\"id\":\"mug\",\"title\":\"Mug\",\"skus\":[{\"sku\":\"MUG-B\",\"price\":\"9.00\"}]},"
                            "{\"id\":\"candle\",\"title\":\"Candle\",\"skus\":["
                            "{\"sku\":\"LAV-8OZ\",\"price\":\"24.00\",\"stock\":12},"
                            "{\"sku\":\"LAV-16OZ\",\"price\":\"39.00\",\"stock\":0}]}]}",
                            &n),
                     CATALOG_OK);
    assert_int_equal(n, 3);
    assert_int_equal(on_hand("LAV-8OZ"), 12);
    assert_int_equal(on_hand("LAV-16OZ"), 0);
    /* No stock in the input: a new SKU starts at 0. */
    assert_int_equal(on_hand("MUG-B"), 0);
    /* Every new SKU is marked for a push. */
    assert_true(dirty("LAV-8OZ") > 0);
    assert_true(dirty("MUG-B") > 0);

    assert_int_equal(catalog_sku_owner(redis_fx.conn, "LAV-16OZ", owner, sizeof(owner)), CATALOG_OK);
    assert_string_equal(owner, "candle");

    /* Sorted by id, each SKU with its current stock. */
    assert_int_equal(catalog_list(redis_fx.conn, &list), CATALOG_OK);
    assert_int_equal(json_array_size(list), 2);
    const json_t *candle = json_array_get(list, 0), *mug = json_array_get(list, 1);
    assert_string_equal(json_string_value(json_object_get(candle, "id")), "candle");
    assert_string_equal(json_string_value(json_object_get(mug, "id")), "mug");
    assert_string_equal(sku_name(candle, 0), "LAV-8OZ");
    assert_int_equal(json_integer_value(json_object_get(sku_at(candle, 0), "stock")), 12);
    assert_string_equal(json_string_value(json_object_get(sku_at(candle, 0), "price")), "24.00");
    assert_int_equal(json_integer_value(json_object_get(sku_at(mug, 0), "stock")), 0);
    json_decref(list);
}

static void test_stored_form_and_tiktok_rule(void **state)
{
    (void)state;
    size_t n = 0;
    json_t *rule = NULL;

    assert_int_equal(import("{\"products\":[{\"id\":\"candle\",\"title\":\"Candle\",\"skus\":["
                            "{\"sku\":\"LAV-8OZ\",\"price\":\"24.00\",\"stock\":5,"
                            "\"tiktok\":{\"max\":3,\"percent\":50}}]}]}",
                            &n),
                     CATALOG_OK);

    /* The product document holds neither stock nor the channel rule. */
    redisReply *rep = redis_cmd(redis_fx.conn, "HGET " REDIS_FIXTURE_PREFIX "catalog:products candle");
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_STRING);
    json_t *stored = json_loads(rep->str, 0, NULL);
    freeReplyObject(rep);
    assert_non_null(stored);
    assert_null(json_object_get(sku_at(stored, 0), "stock"));
    assert_null(json_object_get(sku_at(stored, 0), "tiktok"));
    json_decref(stored);

    /* The rule is the SKU's own channel rule. */
    assert_int_equal(rules_get_sku(redis_fx.conn, "LAV-8OZ", &rule), RULES_OK);
    assert_int_equal(json_integer_value(json_object_get(rule, "max")), 3);
    assert_int_equal(json_integer_value(json_object_get(rule, "percent")), 50);
    json_decref(rule);
}

static void test_replace_drops_skus(void **state)
{
    (void)state;
    size_t n = 0;
    json_t *p = NULL;
    char owner[CATALOG_ID_MAX + 1] = "";

    assert_int_equal(import("{\"products\":[{\"id\":\"candle\",\"title\":\"Candle\",\"skus\":["
                            "{\"sku\":\"LAV-8OZ\",\"price\":\"24.00\",\"stock\":5},"
                            "{\"sku\":\"LAV-16OZ\",\"price\":\"39.00\",\"stock\":3}]}]}",
                            &n),
                     CATALOG_OK);
    long long marked = dirty("LAV-16OZ");

    /* LAV-8OZ listed without stock keeps it; LAV-16OZ is no longer listed. */
    assert_int_equal(import("{\"products\":[{\"id\":\"candle\",\"title\":\"Candle v2\",\"skus\":["
                            "{\"sku\":\"LAV-8OZ\",\"price\":\"25.00\"},"
                            "{\"sku\":\"LAV-4OZ\",\"price\":\"14.00\",\"stock\":7}]}]}",
                            &n),
                     CATALOG_OK);
    assert_int_equal(n, 2);
    assert_int_equal(on_hand("LAV-8OZ"), 5);
    assert_int_equal(on_hand("LAV-4OZ"), 7);

    /* The dropped SKU goes with its stock and owner, marked for a push so
     * TikTok Shop shows 0. */
    assert_int_equal(key_int("EXISTS", "stock:LAV-16OZ", NULL), 0);
    assert_int_equal(catalog_sku_owner(redis_fx.conn, "LAV-16OZ", owner, sizeof(owner)), CATALOG_NOT_FOUND);
    assert_true(dirty("LAV-16OZ") > marked);

    assert_int_equal(catalog_get(redis_fx.conn, "candle", &p), CATALOG_OK);
    assert_string_equal(json_string_value(json_object_get(p, "title")), "Candle v2");
    assert_int_equal(json_array_size(json_object_get(p, "skus")), 2);
    assert_string_equal(sku_name(p, 0), "LAV-8OZ");
    assert_string_equal(json_string_value(json_object_get(sku_at(p, 0), "price")), "25.00");
    assert_string_equal(sku_name(p, 1), "LAV-4OZ");
    assert_int_equal(json_integer_value(json_object_get(sku_at(p, 1), "stock")), 7);
    json_decref(p);
}

static void test_sku_of_another_product(void **state)
{
    (void)state;
    size_t n = 0;
    json_t *p = NULL;

    assert_int_equal(import("{\"products\":[{\"id\":\"candle\",\"title\":\"Candle\",\"skus\":["
                            "{\"sku\":\"LAV-8OZ\",\"price\":\"24.00\",\"stock\":5}]}]}",
                            &n),
                     CATALOG_OK);
    assert_int_equal(import("{\"products\":[{\"id\":\"soap\",\"title\":\"Soap\",\"skus\":["
                            "{\"sku\":\"SOAP-1\",\"price\":\"5.00\"},"
                            "{\"sku\":\"LAV-8OZ\",\"price\":\"6.00\",\"stock\":1}]}]}",
                            &n),
                     CATALOG_CONFLICT);
    assert_string_equal(err, "products[0] (product soap).skus[1].sku: LAV-8OZ already belongs to product candle");
    /* Nothing of the refused import is written. */
    assert_int_equal(catalog_get(redis_fx.conn, "soap", &p), CATALOG_NOT_FOUND);
    assert_null(p);
    assert_int_equal(key_int("EXISTS", "stock:SOAP-1", NULL), 0);
    assert_int_equal(on_hand("LAV-8OZ"), 5);
}

static void test_delete(void **state)
{
    (void)state;
    size_t n = 0;
    json_t *p = NULL, *list = NULL;
    char owner[CATALOG_ID_MAX + 1] = "";

    assert_int_equal(import("{\"products\":[{\"id\":\"candle\",\"title\":\"Candle\",\"skus\":["
                            "{\"sku\":\"LAV-8OZ\",\"price\":\"24.00\",\"stock\":4},"
                            "{\"sku\":\"LAV-16OZ\",\"price\":\"39.00\",\"stock\":2}]},"
                            "{\"id\":\"mug\",\"title\":\"Mug\",\"skus\":[{\"sku\":\"MUG-B\",\"price\":\"9.00\"}]}]}",
                            &n),
                     CATALOG_OK);
    long long marked = dirty("LAV-8OZ");

    assert_int_equal(catalog_delete(redis_fx.conn, "candle", err, sizeof(err)), CATALOG_OK);
    assert_int_equal(catalog_get(redis_fx.conn, "candle", &p), CATALOG_NOT_FOUND);
    assert_int_equal(key_int("EXISTS", "stock:LAV-8OZ", NULL), 0);
    assert_int_equal(key_int("EXISTS", "stock:LAV-16OZ", NULL), 0);
    assert_int_equal(catalog_sku_owner(redis_fx.conn, "LAV-8OZ", owner, sizeof(owner)), CATALOG_NOT_FOUND);
    assert_true(dirty("LAV-8OZ") > marked);

    /* The other product stays. */
    assert_int_equal(catalog_list(redis_fx.conn, &list), CATALOG_OK);
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "id")), "mug");
    json_decref(list);

    assert_int_equal(catalog_delete(redis_fx.conn, "candle", err, sizeof(err)), CATALOG_NOT_FOUND);
}

static void test_reads_of_an_empty_catalog(void **state)
{
    (void)state;
    json_t *list = NULL, *p = NULL;
    char owner[CATALOG_ID_MAX + 1] = "";

    assert_int_equal(catalog_list(redis_fx.conn, &list), CATALOG_OK);
    assert_true(json_is_array(list));
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    assert_int_equal(catalog_get(redis_fx.conn, "candle", &p), CATALOG_NOT_FOUND);
    assert_null(p);
    assert_int_equal(catalog_sku_owner(redis_fx.conn, "LAV-8OZ", owner, sizeof(owner)), CATALOG_NOT_FOUND);
    assert_int_equal(catalog_delete(redis_fx.conn, "candle", err, sizeof(err)), CATALOG_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_import_new_products, setup),
        cmocka_unit_test_setup(test_stored_form_and_tiktok_rule, setup),
        cmocka_unit_test_setup(test_replace_drops_skus, setup),
        cmocka_unit_test_setup(test_sku_of_another_product, setup),
        cmocka_unit_test_setup(test_delete, setup),
        cmocka_unit_test_setup(test_reads_of_an_empty_catalog, setup),
    };
    return cmocka_run_group_tests(tests, redis_fixture_group_setup, redis_fixture_group_teardown);
}
