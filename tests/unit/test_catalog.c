/*
 * Unit tests for catalog validation (pure functions, no Redis):
 * catalog_valid_id, catalog_validate_product and catalog_validate, with the
 * error messages naming product, field and reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopsync/catalog_validate.h"

#define EXAMPLE                                                                                     \
    "{\"products\":[{\"id\":\"lavender-candle\",\"title\":\"Lavender Candle\","                    \
    "\"description\":\"<p>Hand poured</p>\",\"images\":[\"https://example.com/lav.jpg\"],"          \
    "\"category_id\":\"600001\",\"package\":{\"weight\":\"1.5\",\"weight_unit\":\"POUND\","         \
    "\"length\":\"5\",\"width\":\"5\",\"height\":\"8\",\"dimension_unit\":\"INCH\"},"               \
    "\"skus\":[{\"sku\":\"LAV-8OZ\",\"price\":\"24.00\",\"currency\":\"USD\",\"stock\":12,"          \
    "\"attributes\":{\"Size\":\"8 oz\"}}]}]}"

static char err[1024];

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!v)
        fail_msg("test JSON does not parse: %s: %s", jerr.text, text);
    return v;
}

/* Validate text as a catalog; on success return the normalised products. */
static json_t *valid(const char *text)
{
    json_t *doc = parse(text), *out = NULL;
    err[0] = '\0';
    catalog_rc rc = catalog_validate(doc, &out, err, sizeof(err));
    json_decref(doc);
    if (rc != CATALOG_OK)
        fail_msg("expected valid, got %d: %s", rc, err);
    assert_non_null(out);
    return out;
}

/* Validate text as a catalog, expect CATALOG_INVALID and every fragment in
 * the message. */
static void invalid(const char *text, ...)
{
    json_t *doc = parse(text), *out = (json_t *)1;
    err[0] = '\0';
    catalog_rc rc = catalog_validate(doc, &out, err, sizeof(err));
    json_decref(doc);
    if (rc == CATALOG_OK)
        json_decref(out);
    if (rc != CATALOG_INVALID)
        fail_msg("expected CATALOG_INVALID, got %d for %s", rc, text);
    assert_null(out);
    va_list ap;
    va_start(ap, text);
    for (const char *f = va_arg(ap, const char *); f; f = va_arg(ap, const char *)) {
        if (!strstr(err, f))
            fail_msg("message lacks \"%s\": %s", f, err);
    }
    va_end(ap);
}

/* A two-product catalog: product a is fine, product b has one SKU whose
 * fields are given as JSON text. */
static char *second_sku(const char *sku_json)
{
    static char text[4096];
    snprintf(text, sizeof(text),
             "{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"skus\":[{\"sku\":\"A-1\",\"price\":\"1.00\"}]},"
             "{\"id\":\"b\",\"title\":\"B\",\"skus\":[%s]}]}",
             sku_json);
    return text;
}

static void test_valid_id(void **state)
{
    (void)state;
    char id[64];
    memset(id, 'a', 50);
    id[50] = '\0';
    assert_int_equal(catalog_valid_id(id), 1);
    memset(id, 'a', 51);
    id[51] = '\0';
    assert_int_equal(catalog_valid_id(id), 0);
    assert_int_equal(catalog_valid_id("a"), 1);
    assert_int_equal(catalog_valid_id("LAV-8OZ_v2.1"), 1);
    assert_int_equal(catalog_valid_id("0123456789"), 1);
    assert_int_equal(catalog_valid_id(""), 0);
    assert_int_equal(catalog_valid_id("a b"), 0);
    assert_int_equal(catalog_valid_id("a/b"), 0);
    assert_int_equal(catalog_valid_id("../x"), 0);
    assert_int_equal(catalog_valid_id("a:b"), 0);
    assert_int_equal(catalog_valid_id("a%2f"), 0);
    assert_int_equal(catalog_valid_id("caf\xc3\xa9"), 0);
    assert_int_equal(catalog_valid_id("a\nb"), 0);
    assert_int_equal(catalog_valid_id("*"), 0);
}

static void test_example_catalog_validates(void **state)
{
    (void)state;
    json_t *out = valid(EXAMPLE);
    assert_int_equal(json_array_size(out), 1);
    json_t *p = json_array_get(out, 0);
    assert_string_equal(json_string_value(json_object_get(p, "id")), "lavender-candle");
    assert_string_equal(json_string_value(json_object_get(p, "title")), "Lavender Candle");
    assert_string_equal(json_string_value(json_object_get(p, "description")), "<p>Hand poured</p>");
    assert_string_equal(json_string_value(json_object_get(p, "category_id")), "600001");
    json_t *imgs = json_object_get(p, "images");
    assert_int_equal(json_array_size(imgs), 1);
    assert_string_equal(json_string_value(json_array_get(imgs, 0)), "https://example.com/lav.jpg");
    json_t *pkg = json_object_get(p, "package");
    assert_string_equal(json_string_value(json_object_get(pkg, "weight")), "1.5");
    assert_string_equal(json_string_value(json_object_get(pkg, "weight_unit")), "POUND");
    assert_string_equal(json_string_value(json_object_get(pkg, "length")), "5");
    assert_string_equal(json_string_value(json_object_get(pkg, "width")), "5");
    assert_string_equal(json_string_value(json_object_get(pkg, "height")), "8");
    assert_string_equal(json_string_value(json_object_get(pkg, "dimension_unit")), "INCH");
    json_t *skus = json_object_get(p, "skus");
    assert_int_equal(json_array_size(skus), 1);
    json_t *s = json_array_get(skus, 0);
    assert_string_equal(json_string_value(json_object_get(s, "sku")), "LAV-8OZ");
    assert_string_equal(json_string_value(json_object_get(s, "price")), "24.00");
    assert_string_equal(json_string_value(json_object_get(s, "currency")), "USD");
    assert_int_equal(json_integer_value(json_object_get(s, "stock")), 12);
    assert_string_equal(json_string_value(json_object_get(json_object_get(s, "attributes"), "Size")), "8 oz");
    json_decref(out);
}

static void test_minimal_product_normalised(void **state)
{
    (void)state;
    json_t *out = valid("{\"products\":[{\"id\":\"m\",\"title\":\"M\",\"skus\":[{\"sku\":\"M1\",\"price\":\"5\"}]}]}");
    json_t *p = json_array_get(out, 0);
    assert_string_equal(json_string_value(json_object_get(p, "description")), "");
    assert_int_equal(json_array_size(json_object_get(p, "images")), 0);
    /* no category: JSON null (filled from TIKTOK_SHOP_CATEGORY_ID later) */
    assert_true(json_is_null(json_object_get(p, "category_id")));
    json_t *s = json_array_get(json_object_get(p, "skus"), 0);
    assert_string_equal(json_string_value(json_object_get(s, "currency")), "USD");
    /* no stock given: none invented */
    assert_null(json_object_get(s, "stock"));
    assert_int_equal(json_object_size(json_object_get(s, "attributes")), 0);
    json_decref(out);
    /* an empty catalog is a valid (no-op) import */
    out = valid("{\"products\":[]}");
    assert_int_equal(json_array_size(out), 0);
    json_decref(out);
}

static void test_ids_length_and_characters(void **state)
{
    (void)state;
    char text[1024], id50[51], id51[52];
    memset(id50, 'p', 50);
    id50[50] = '\0';
    memset(id51, 'p', 51);
    id51[51] = '\0';
    snprintf(text, sizeof(text), "{\"products\":[{\"id\":\"%s\",\"title\":\"T\",\"skus\":[{\"sku\":\"%s\",\"price\":\"1\"}]}]}",
             id50, id50);
    json_decref(valid(text));
    snprintf(text, sizeof(text), "{\"products\":[{\"id\":\"%s\",\"title\":\"T\",\"skus\":[{\"sku\":\"S\",\"price\":\"1\"}]}]}", id51);
    invalid(text, "products[0].id", "1-50 characters", NULL);
    snprintf(text, sizeof(text), "{\"products\":[{\"id\":\"ok\",\"title\":\"T\",\"skus\":[{\"sku\":\"%s\",\"price\":\"1\"}]}]}", id51);
    invalid(text, "products[0] (product ok).skus[0].sku", "1-50 characters", NULL);
    invalid("{\"products\":[{\"id\":\"has space\",\"title\":\"T\",\"skus\":[{\"sku\":\"S\",\"price\":\"1\"}]}]}",
            "products[0].id", "has space", NULL);
    invalid("{\"products\":[{\"id\":\"ok\",\"title\":\"T\",\"skus\":[{\"sku\":\"a/b\",\"price\":\"1\"}]}]}",
            "products[0] (product ok).skus[0].sku", NULL);
    invalid("{\"products\":[{\"title\":\"T\",\"skus\":[{\"sku\":\"S\",\"price\":\"1\"}]}]}", "products[0].id: is required", NULL);
    invalid("{\"products\":[{\"id\":7,\"title\":\"T\",\"skus\":[{\"sku\":\"S\",\"price\":\"1\"}]}]}", "products[0].id: must be a string", NULL);
}

static void test_error_names_product_and_field(void **state)
{
    (void)state;
    invalid(second_sku("{\"sku\":\"B-1\",\"price\":\"24.001\"}"), "products[1] (product b).skus[0]", "(sku B-1).price",
            "positive decimal", NULL);
    invalid(second_sku("{\"sku\":\"B-1\",\"price\":\"1.00\"},{\"sku\":\"B-2\",\"price\":\"abc\"}"),
            "products[1] (product b).skus[1]", "(sku B-2).price", NULL);
}

static void test_price(void **state)
{
    (void)state;
    static const char *const bad[] = {"\"24.001\"", "\"abc\"", "\"0\"", "\"0.00\"", "\"-1.00\"", "\"24.\"", "\".5\"",
                                      "\"1e3\"", "\"\"", "\" 24.00\"", "\"1.2.3\"", "\"9999999999\"", "24.00", "24", "null",
                                      NULL};
    char sku[128];
    for (int i = 0; bad[i]; i++) {
        snprintf(sku, sizeof(sku), "{\"sku\":\"B-1\",\"price\":%s}", bad[i]);
        invalid(second_sku(sku), "products[1] (product b).skus[0]", "price", NULL);
    }
    invalid(second_sku("{\"sku\":\"B-1\"}"), "products[1] (product b).skus[0]", "price", NULL);
    static const char *const good[] = {"\"24.00\"", "\"24\"", "\"0.01\"", "\"24.5\"", "\"999999999.99\"", NULL};
    for (int i = 0; good[i]; i++) {
        snprintf(sku, sizeof(sku), "{\"sku\":\"B-1\",\"price\":%s}", good[i]);
        json_decref(valid(second_sku(sku)));
    }
}

static void test_stock(void **state)
{
    (void)state;
    invalid(second_sku("{\"sku\":\"B-1\",\"price\":\"1\",\"stock\":-1}"), "products[1] (product b).skus[0]",
            "(sku B-1).stock", "whole number", NULL);
    invalid(second_sku("{\"sku\":\"B-1\",\"price\":\"1\",\"stock\":1.5}"), "(sku B-1).stock", NULL);
    invalid(second_sku("{\"sku\":\"B-1\",\"price\":\"1\",\"stock\":\"12\"}"), "(sku B-1).stock", NULL);
    invalid(second_sku("{\"sku\":\"B-1\",\"price\":\"1\",\"stock\":true}"), "(sku B-1).stock", NULL);
    invalid(second_sku("{\"sku\":\"B-1\",\"price\":\"1\",\"stock\":1000000001}"), "(sku B-1).stock", NULL);
    json_t *out = valid(second_sku("{\"sku\":\"B-1\",\"price\":\"1\",\"stock\":1000000000}"));
    json_t *s = json_array_get(json_object_get(json_array_get(out, 1), "skus"), 0);
    assert_int_equal(json_integer_value(json_object_get(s, "stock")), 1000000000);
    json_decref(out);
    out = valid(second_sku("{\"sku\":\"B-1\",\"price\":\"1\",\"stock\":0}"));
    s = json_array_get(json_object_get(json_array_get(out, 1), "skus"), 0);
    assert_true(json_is_integer(json_object_get(s, "stock")));
    assert_int_equal(json_integer_value(json_object_get(s, "stock")), 0);
    json_decref(out);
}

static void test_skus_required(void **state)
{
    (void)state;
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"skus\":[]}]}", "products[0] (product a).skus", "1 to 100", NULL);
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\"}]}", "products[0] (product a).skus", NULL);
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"skus\":{}}]}", "products[0] (product a).skus", NULL);
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"skus\":[\"A-1\"]}]}", "products[0] (product a).skus[0]",
            "must be an object", NULL);
    /* 101 SKUs */
    char *text = malloc(20000);
    assert_non_null(text);
    size_t k = (size_t)sprintf(text, "{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"skus\":[");
    for (int i = 0; i < 101; i++)
        k += (size_t)sprintf(text + k, "%s{\"sku\":\"S%d\",\"price\":\"1\"}", i ? "," : "", i);
    sprintf(text + k, "]}]}");
    invalid(text, "products[0] (product a).skus", "1 to 100", NULL);
    free(text);
}

static void test_title(void **state)
{
    (void)state;
    invalid("{\"products\":[{\"id\":\"a\",\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}", "products[0] (product a).title", NULL);
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"\",\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}",
            "products[0] (product a).title", NULL);
    invalid("{\"products\":[{\"id\":\"a\",\"title\":5,\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}",
            "products[0] (product a).title", NULL);
}

static void test_duplicate_sku_across_products(void **state)
{
    (void)state;
    invalid(second_sku("{\"sku\":\"A-1\",\"price\":\"2.00\"}"), "products[1] (product b).skus[0].sku", "A-1",
            "also used by product a", NULL);
    /* within one product */
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"skus\":[{\"sku\":\"X\",\"price\":\"1\"},{\"sku\":\"X\",\"price\":\"2\"}]}]}",
            "products[0] (product a).skus[1].sku", "X", NULL);
}

static void test_duplicate_product_ids(void **state)
{
    (void)state;
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]},"
            "{\"id\":\"a\",\"title\":\"A again\",\"skus\":[{\"sku\":\"A-2\",\"price\":\"1\"}]}]}",
            "products[1].id", "product a appears twice", NULL);
}

static void test_images(void **state)
{
    (void)state;
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"images\":[\"https://x/1.jpg\",\"lav.jpg\"],"
            "\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}",
            "products[0] (product a).images[1]", "URL", NULL);
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"images\":[\"ftp://x/1.jpg\"],"
            "\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}",
            "products[0] (product a).images[0]", NULL);
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"images\":[42],"
            "\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}",
            "products[0] (product a).images[0]", NULL);
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"images\":\"https://x/1.jpg\","
            "\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}",
            "products[0] (product a).images", NULL);
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"images\":[\"http://x/1\",\"http://x/2\",\"http://x/3\","
            "\"http://x/4\",\"http://x/5\",\"http://x/6\",\"http://x/7\",\"http://x/8\",\"http://x/9\",\"http://x/10\"],"
            "\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}",
            "products[0] (product a).images", "up to 9", NULL);
    json_t *out = valid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"images\":[\"http://x/1.png\",\"https://y/2.png\"],"
                        "\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}");
    assert_int_equal(json_array_size(json_object_get(json_array_get(out, 0), "images")), 2);
    json_decref(out);
}

static void test_package_units_and_numbers(void **state)
{
    (void)state;
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"package\":{\"weight\":\"1\",\"weight_unit\":\"GRAM\"},"
            "\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}",
            "products[0] (product a).package.weight_unit", "POUND or KILOGRAM", NULL);
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"package\":{\"dimension_unit\":\"inch\"},"
            "\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}",
            "products[0] (product a).package.dimension_unit", "INCH or CENTIMETER", NULL);
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"package\":{\"weight\":\"-2\"},"
            "\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}",
            "products[0] (product a).package.weight", "positive number", NULL);
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"package\":{\"height\":\"tall\"},"
            "\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}",
            "products[0] (product a).package.height", NULL);
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"package\":{\"length\":0},"
            "\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}",
            "products[0] (product a).package.length", NULL);
    invalid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"package\":\"big\","
            "\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}",
            "products[0] (product a).package", NULL);
    /* numbers are accepted and normalised to strings */
    json_t *out = valid("{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"package\":{\"weight\":2.5,\"width\":3,"
                        "\"weight_unit\":\"KILOGRAM\",\"dimension_unit\":\"CENTIMETER\"},"
                        "\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}");
    json_t *pkg = json_object_get(json_array_get(out, 0), "package");
    assert_string_equal(json_string_value(json_object_get(pkg, "weight")), "2.5");
    assert_string_equal(json_string_value(json_object_get(pkg, "width")), "3");
    assert_string_equal(json_string_value(json_object_get(pkg, "weight_unit")), "KILOGRAM");
    assert_string_equal(json_string_value(json_object_get(pkg, "dimension_unit")), "CENTIMETER");
    json_decref(out);
}

/* Package dimensions go to TikTok Shop as decimal strings; strtod's other
 * spellings (hex, exponents, leading blanks) must not slip through. */
static void test_package_numbers_are_plain_decimals(void **state)
{
    (void)state;
    static const char *const bad[] = {"\"0x10\"", "\"1e2\"", "\" 2\"", NULL};
    char text[512];
    for (int i = 0; bad[i]; i++) {
        snprintf(text, sizeof(text),
                 "{\"products\":[{\"id\":\"a\",\"title\":\"A\",\"package\":{\"weight\":%s},"
                 "\"skus\":[{\"sku\":\"A-1\",\"price\":\"1\"}]}]}",
                 bad[i]);
        invalid(text, "products[0] (product a).package.weight", NULL);
    }
}

static void test_currency_and_attributes(void **state)
{
    (void)state;
    invalid(second_sku("{\"sku\":\"B-1\",\"price\":\"1\",\"currency\":\"usd\"}"), "(sku B-1).currency", NULL);
    invalid(second_sku("{\"sku\":\"B-1\",\"price\":\"1\",\"currency\":\"DOLLAR\"}"), "(sku B-1).currency", NULL);
    invalid(second_sku("{\"sku\":\"B-1\",\"price\":\"1\",\"attributes\":{\"Size\":8}}"), "(sku B-1).attributes.Size", NULL);
    invalid(second_sku("{\"sku\":\"B-1\",\"price\":\"1\",\"attributes\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\"}}"),
            "(sku B-1).attributes", "up to 3", NULL);
    invalid(second_sku("{\"sku\":\"B-1\",\"price\":\"1\",\"attributes\":[\"x\"]}"), "(sku B-1).attributes", NULL);
    json_t *out = valid(second_sku("{\"sku\":\"B-1\",\"price\":\"1\",\"currency\":\"EUR\",\"attributes\":{\"Color\":\"Red\"}}"));
    json_t *s = json_array_get(json_object_get(json_array_get(out, 1), "skus"), 0);
    assert_string_equal(json_string_value(json_object_get(s, "currency")), "EUR");
    assert_string_equal(json_string_value(json_object_get(json_object_get(s, "attributes"), "Color")), "Red");
    json_decref(out);
}

static void test_document_shape(void **state)
{
    (void)state;
    invalid("[]", "products", NULL);
    invalid("{}", "products", NULL);
    invalid("{\"products\":{}}", "products", NULL);
    invalid("{\"products\":[\"a\"]}", "products[0]", "must be an object", NULL);
}

static void test_validate_product_where_prefix(void **state)
{
    (void)state;
    json_t *p = parse("{\"id\":\"x\",\"title\":\"X\",\"skus\":[{\"sku\":\"X-1\",\"price\":\"0\"}]}"), *out = (json_t *)1;
    assert_int_equal(catalog_validate_product(p, "product", &out, err, sizeof(err)), CATALOG_INVALID);
    assert_null(out);
    assert_non_null(strstr(err, "product (product x).skus[0] (sku X-1).price"));
    json_decref(p);
    p = parse("{\"id\":\"x\",\"title\":\"X\",\"skus\":[{\"sku\":\"X-1\",\"price\":\"3.50\",\"stock\":4}]}");
    assert_int_equal(catalog_validate_product(p, "product", &out, err, sizeof(err)), CATALOG_OK);
    assert_non_null(out);
    assert_string_equal(json_string_value(json_object_get(out, "id")), "x");
    json_t *s = json_array_get(json_object_get(out, "skus"), 0);
    assert_string_equal(json_string_value(json_object_get(s, "price")), "3.50");
    assert_int_equal(json_integer_value(json_object_get(s, "stock")), 4);
    /* the input is borrowed, not modified */
    assert_int_equal(json_object_size(p), 3);
    json_decref(out);
    json_decref(p);
}

static void test_second_product_invalid_gives_no_output(void **state)
{
    (void)state;
    /* validation is all or nothing: the valid first product is not returned */
    invalid(second_sku("{\"sku\":\"B-1\",\"price\":\"free\"}"), "products[1] (product b)", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_id),
        cmocka_unit_test(test_example_catalog_validates),
        cmocka_unit_test(test_minimal_product_normalised),
        cmocka_unit_test(test_ids_length_and_characters),
        cmocka_unit_test(test_error_names_product_and_field),
        cmocka_unit_test(test_price),
        cmocka_unit_test(test_stock),
        cmocka_unit_test(test_skus_required),
        cmocka_unit_test(test_title),
        cmocka_unit_test(test_duplicate_sku_across_products),
        cmocka_unit_test(test_duplicate_product_ids),
        cmocka_unit_test(test_images),
        cmocka_unit_test(test_package_units_and_numbers),
        cmocka_unit_test(test_package_numbers_are_plain_decimals),
        cmocka_unit_test(test_currency_and_attributes),
        cmocka_unit_test(test_document_shape),
        cmocka_unit_test(test_validate_product_where_prefix),
        cmocka_unit_test(test_second_product_invalid_gives_no_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
