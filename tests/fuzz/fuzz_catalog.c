/*
 * fuzz_catalog — catalog import validation as POST /api/admin/products/import
 * and PUT /api/admin/products/{id} see it: jsonx_loadb on the fuzzed bytes,
 * then catalog_validate on the document and catalog_validate_product on it
 * as a single product.
 *
 * Oracles: a refusal always has a message and no output; an accepted catalog
 * has one normalised product per input product, and normalising is
 * idempotent: the normalised catalog validates again to an equal document.
 */
#include "fuzz_common.h"
#include "shopsync/catalog_validate.h"
#include "shopsync/jsonx.h"

static void check_idempotent(const json_t *products)
{
    char err[512] = "";
    json_t *again = NULL;
    json_t *doc = json_pack("{s:O}", "products", products);
    FUZZ_ASSERT(doc != NULL);
    catalog_rc rc = catalog_validate(doc, &again, err, sizeof(err));
    if (rc != CATALOG_OK)
        fprintf(stderr, "normalised catalog refused: %s\n", err);
    FUZZ_ASSERT(rc == CATALOG_OK);
    FUZZ_ASSERT(json_equal(again, (json_t *)products));
    json_decref(again);
    json_decref(doc);
}

static void check_catalog(const json_t *doc)
{
    char err[512] = "";
    json_t *out = NULL;
    catalog_rc rc = catalog_validate(doc, &out, err, sizeof(err));
    if (rc != CATALOG_OK) {
        FUZZ_ASSERT(rc == CATALOG_INVALID && out == NULL && err[0] != '\0');
        return;
    }
    FUZZ_ASSERT(json_is_array(out));
    FUZZ_ASSERT(json_array_size(out) == json_array_size(json_object_get(doc, "products")));
    check_idempotent(out);
    json_decref(out);
}

static void check_product(const json_t *doc)
{
    char err[512] = "";
    json_t *out = NULL;
    catalog_rc rc = catalog_validate_product(doc, "product", &out, err, sizeof(err));
    if (rc != CATALOG_OK) {
        FUZZ_ASSERT(rc == CATALOG_INVALID && out == NULL && err[0] != '\0');
        return;
    }
    const char *id = json_string_value(json_object_get(out, "id"));
    FUZZ_ASSERT(id != NULL && catalog_valid_id(id));
    json_t *again = NULL;
    FUZZ_ASSERT(catalog_validate_product(out, "product", &again, err, sizeof(err)) == CATALOG_OK);
    FUZZ_ASSERT(json_equal(again, out));
    json_decref(again);
    json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char jerr[256] = "";
    char *text = fuzz_dup(data, size);
    json_t *doc = jsonx_loadb(text, size, jerr, sizeof(jerr));
    if (!doc) {
        FUZZ_ASSERT(jerr[0] != '\0');
    } else {
        check_catalog(doc);
        check_product(doc);
        json_t *first = json_array_get(json_object_get(doc, "products"), 0);
        if (first)
            check_product(first);
        json_decref(doc);
    }
    free(text);
    return 0;
}
