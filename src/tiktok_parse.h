/*
 * tiktok_parse — TikTok Shop responses into C structs: the {code, message,
 * request_id, data} envelope, and each endpoint's data object into the
 * types of tiktok_api.h / tiktok_client.h. Pure functions, private to the
 * adapter: callers get parsed results from the wrappers.
 *
 * Every data parser takes data borrowed (NULL when the response had none),
 * fills out (zeroed by the caller; arrays in it are new, released with the
 * type's free function even on failure) and returns 0, or -1 with a message
 * naming the member in err. Optional members that are absent or null give
 * "" or 0.
 */
#ifndef SHOPSYNC_TIKTOK_PARSE_H
#define SHOPSYNC_TIKTOK_PARSE_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/http_client.h"
#include "shopsync/tiktok_api.h"
#include "shopsync/tiktok_client.h"

/* Fill res (initialised by the caller) from resp's body (borrowed): code,
 * message, request_id and a new reference to data when present. Returns 1
 * when the body was a TikTok envelope (a JSON object with an integer code),
 * else 0 with a message saying so and code left as it was. */
int tiktok_parse_envelope(const http_response_t *resp, tiktok_result_t *res);

/* Token exchange: both tokens required and non-empty. */
int tiktok_parse_tokens(const json_t *data, tiktok_tokens_t *out, char *err, size_t errlen);

/* Get Authorized Shops: every shop needs id and cipher. */
int tiktok_parse_shops(const json_t *data, tiktok_shops_t *out, char *err, size_t errlen);

/* Get Warehouses: every warehouse needs an id. */
int tiktok_parse_warehouses(const json_t *data, tiktok_warehouses_t *out, char *err,
                            size_t errlen);

/* Upload Product Image: uri required. */
int tiktok_parse_image(const json_t *data, tiktok_image_t *out, char *err, size_t errlen);

/* Create / Edit Product: product_id and each SKU's id required. */
int tiktok_parse_product_ref(const json_t *data, tiktok_product_ref_t *out, char *err,
                             size_t errlen);

/* One product (Get Product's data, or an item of Search Products). */
int tiktok_parse_product(const json_t *obj, tiktok_product_t *out, char *err, size_t errlen);

/* Search Products: the products, next_page_token and total_count. */
int tiktok_parse_products(const json_t *data, tiktok_products_t *out, char *err,
                          size_t errlen);

/* Update Inventory's per-SKU errors; no data at all is no error. */
int tiktok_parse_sku_errors(const json_t *data, tiktok_sku_errors_t *out, char *err,
                            size_t errlen);

/* Inventory Search, flattened to one item per SKU. */
int tiktok_parse_inventories(const json_t *data, tiktok_inventories_t *out, char *err,
                             size_t errlen);

/* Get Order Detail / Search Orders: every order needs its id. */
int tiktok_parse_orders(const json_t *data, tiktok_orders_t *out, char *err, size_t errlen);

#endif
