/*
 * fuzz_tiktok_response — the TikTok Shop response parsers (src/tiktok_parse.h)
 * on fuzzed responses: the {code,message,request_id,data} envelope
 * (tiktok_parse_envelope), its classification (tiktok_classify) and each
 * endpoint's data parser (shops, warehouses, image, product ref, product,
 * products, SKU errors, inventories, orders, tokens), as the API wrappers
 * chain them.
 *
 * Input: byte 0 picks the data parser ('0'..'9'), byte 1 the HTTP status
 * ('0' = 200, see statuses[]), the rest is the response body.
 *
 * Oracles: classification follows the documented rules; an envelope without
 * an integer code leaves code -1; parsed items carry their required ids.
 */
#include "fuzz_common.h"
#include "shopsync/tiktok.h"
#include "tiktok_parse.h"

enum { N_PARSERS = 10 };

static const long statuses[16] = {200, 201, 400, 401, 403, 404, 429, 500,
                                  502, 503, 504, 0,   302, 599, 600, 100};

static void check_kind(long status, int has_code, long long code, tiktok_kind_t kind)
{
    FUZZ_ASSERT(kind == tiktok_classify(status, has_code, code));
    FUZZ_ASSERT(strcmp(tiktok_kind_name(kind), "unknown") != 0);
    if (has_code && code == 0)
        FUZZ_ASSERT(kind == TIKTOK_OK);
    else
        FUZZ_ASSERT(kind != TIKTOK_OK);
    if (has_code && code == TIKTOK_CODE_TOKEN_EXPIRED)
        FUZZ_ASSERT(kind == TIKTOK_TOKEN_EXPIRED);
    if (!has_code && (status == 429 || (status >= 500 && status <= 599)))
        FUZZ_ASSERT(kind == TIKTOK_RETRYABLE);
}

static void parse_data(int which, const json_t *data)
{
    char err[192] = "";
    int rc = 0;
    switch (which) {
    case 0: {
        tiktok_shops_t o = {0};
        rc = tiktok_parse_shops(data, &o, err, sizeof(err));
        for (size_t i = 0; rc == 0 && i < o.n; i++)
            FUZZ_ASSERT(o.items[i].id[0] != '\0');
        tiktok_shops_free(&o);
        break;
    }
    case 1: {
        tiktok_warehouses_t o = {0};
        rc = tiktok_parse_warehouses(data, &o, err, sizeof(err));
        for (size_t i = 0; rc == 0 && i < o.n; i++)
            FUZZ_ASSERT(o.items[i].id[0] != '\0');
        tiktok_warehouses_free(&o);
        break;
    }
    case 2: {
        tiktok_image_t o;
        memset(&o, 0, sizeof(o));
        rc = tiktok_parse_image(data, &o, err, sizeof(err));
        break;
    }
    case 3: {
        tiktok_product_ref_t o;
        memset(&o, 0, sizeof(o));
        rc = tiktok_parse_product_ref(data, &o, err, sizeof(err));
        FUZZ_ASSERT(rc != 0 || o.product_id[0] != '\0');
        tiktok_product_ref_free(&o);
        break;
    }
    case 4: {
        tiktok_product_t o;
        memset(&o, 0, sizeof(o));
        rc = tiktok_parse_product(data, &o, err, sizeof(err));
        FUZZ_ASSERT(rc != 0 || o.id[0] != '\0');
        tiktok_product_free(&o);
        break;
    }
    case 5: {
        tiktok_products_t o;
        memset(&o, 0, sizeof(o));
        rc = tiktok_parse_products(data, &o, err, sizeof(err));
        for (size_t i = 0; rc == 0 && i < o.n; i++)
            for (size_t j = 0; j < o.items[i].n_skus; j++)
                FUZZ_ASSERT(o.items[i].skus[j].id[0] != '\0');
        tiktok_products_free(&o);
        break;
    }
    case 6: {
        tiktok_sku_errors_t o = {0};
        rc = tiktok_parse_sku_errors(data, &o, err, sizeof(err));
        tiktok_sku_errors_free(&o);
        break;
    }
    case 7: {
        tiktok_inventories_t o = {0};
        rc = tiktok_parse_inventories(data, &o, err, sizeof(err));
        for (size_t i = 0; rc == 0 && i < o.n; i++)
            FUZZ_ASSERT(o.items[i].sku_id[0] != '\0');
        tiktok_inventories_free(&o);
        break;
    }
    case 8: {
        tiktok_orders_t o;
        memset(&o, 0, sizeof(o));
        rc = tiktok_parse_orders(data, &o, err, sizeof(err));
        /* An order needs its id; a line item's sku_id is optional (the
         * seller_sku alone can match it, or it is recorded as unmatched). */
        for (size_t i = 0; rc == 0 && i < o.n; i++) {
            FUZZ_ASSERT(o.items[i].id[0] != '\0');
            for (size_t k = 0; k < o.items[i].n_line_items; k++)
                FUZZ_ASSERT(memchr(o.items[i].line_items[k].display_status, '\0',
                                   sizeof(o.items[i].line_items[k].display_status)) != NULL);
        }
        tiktok_orders_free(&o);
        break;
    }
    default: {
        tiktok_tokens_t o;
        memset(&o, 0, sizeof(o));
        rc = tiktok_parse_tokens(data, &o, err, sizeof(err));
        FUZZ_ASSERT(rc != 0 || (o.access_token[0] && o.refresh_token[0]));
        break;
    }
    }
    FUZZ_ASSERT(rc == 0 || rc == -1);
    FUZZ_ASSERT(rc == 0 || err[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int which = (unsigned char)(data[0] - '0') % N_PARSERS;
    long status = statuses[(unsigned char)(data[1] - '0') % 16];
    http_response_t resp;
    tiktok_result_t res;
    memset(&resp, 0, sizeof(resp));
    buf_init(&resp.body, size);
    if (size > 2)
        FUZZ_ASSERT(buf_append(&resp.body, data + 2, size - 2) == 0);
    resp.status = status;
    tiktok_result_init(&res);
    int has_code = tiktok_parse_envelope(&resp, &res);
    FUZZ_ASSERT(has_code == 0 || has_code == 1);
    FUZZ_ASSERT(has_code || res.code == -1);
    FUZZ_ASSERT(memchr(res.message, '\0', sizeof(res.message)) != NULL);
    FUZZ_ASSERT(memchr(res.request_id, '\0', sizeof(res.request_id)) != NULL);
    res.kind = tiktok_classify(status, has_code, res.code);
    check_kind(status, has_code, res.code, res.kind);
    /* The wrappers parse data only on success; parse it anyway so a
     * failing envelope's data is exercised too. */
    parse_data(which, res.data);
    tiktok_result_free(&res);
    FUZZ_ASSERT(res.data == NULL);
    http_response_free(&resp);
    return 0;
}
