/*
 * tiktok_api — the TikTok Shop Open API 202309 endpoints shopsync uses:
 * request bodies built from small C specs, sent through tiktok_call
 * (tiktok_client.h), and the responses parsed (tiktok_parse) into the
 * structs below.
 */
#ifndef SHOPSYNC_TIKTOK_API_H
#define SHOPSYNC_TIKTOK_API_H

#include <stddef.h>

#include "shopsync/tiktok_client.h"
#include "shopsync/tiktok_limits.h"

/* Webhook types (the "type" of a webhook body) that shopsync acts on. */
#define TIKTOK_WEBHOOK_ORDER_STATUS 1
#define TIKTOK_WEBHOOK_SELLER_DEAUTHORIZED 6
#define TIKTOK_WEBHOOK_AUTH_EXPIRING 7
#define TIKTOK_WEBHOOK_CANCELLATION_STATUS 11

/* ---- API wrappers ------------------------------------------------------
 * Each returns 0 or -1 like tiktok_call and always initialises res (release
 * with tiktok_result_free) and out (release with its free function). A
 * response with code 0 that does not have the documented shape is -1 with
 * kind TIKTOK_PERMANENT. */

typedef struct tiktok_shop {
    char id[TIKTOK_ID_MAX];
    char name[TIKTOK_NAME_MAX];
    char region[16];
    char cipher[TIKTOK_CIPHER_MAX];
    char code[TIKTOK_ID_MAX];
    char seller_type[32];
} tiktok_shop_t;

typedef struct tiktok_shops {
    tiktok_shop_t *items; /* owned */
    size_t n;
} tiktok_shops_t;

/* GET /authorization/202309/shops (not shop-scoped). */
int tiktok_get_authorized_shops(tiktok_client_t *c, tiktok_shops_t *out,
                                tiktok_result_t *res);
void tiktok_shops_free(tiktok_shops_t *s);

typedef struct tiktok_warehouse {
    char id[TIKTOK_ID_MAX];
    char name[TIKTOK_NAME_MAX];
    char effect_status[32];
    char type[32]; /* "SALES_WAREHOUSE" or "RETURN_WAREHOUSE" */
    int is_default;
} tiktok_warehouse_t;

typedef struct tiktok_warehouses {
    tiktok_warehouse_t *items; /* owned */
    size_t n;
} tiktok_warehouses_t;

/* GET /logistics/202309/warehouses. */
int tiktok_get_warehouses(tiktok_client_t *c, tiktok_warehouses_t *out,
                          tiktok_result_t *res);
void tiktok_warehouses_free(tiktok_warehouses_t *w);

typedef struct tiktok_image {
    char uri[512];
    char url[2048];
} tiktok_image_t;

/* POST /product/202309/images/upload as multipart: data (len bytes,
 * borrowed) named filename with content_type, use_case MAIN_IMAGE. */
int tiktok_upload_product_image(tiktok_client_t *c, const void *data, size_t len,
                                const char *filename, const char *content_type,
                                tiktok_image_t *out, tiktok_result_t *res);

/* ---- products: request specs (all pointers borrowed) ---- */

typedef struct tiktok_stock {
    const char *warehouse_id;
    long long quantity; /* absolute, >= 0 */
} tiktok_stock_t;

typedef struct tiktok_attr {
    const char *name;
    const char *value_name;
} tiktok_attr_t;

typedef struct tiktok_sku_spec {
    const char *id;           /* existing SKU id on edit, else NULL */
    const char *seller_sku;
    const char *price_amount; /* decimal string, "12.50" */
    const char *currency;     /* "USD" */
    const tiktok_stock_t *inventory;
    size_t n_inventory;
    const tiktok_attr_t *sales_attributes;
    size_t n_sales_attributes;
} tiktok_sku_spec_t;

typedef struct tiktok_product_spec {
    const char *title;
    const char *description;
    const char *category_id;
    const char *const *main_image_uris;
    size_t n_main_images;
    const char *weight_value;    /* decimal string */
    const char *weight_unit;     /* "KILOGRAM" / "POUND" */
    const char *length, *width, *height; /* decimal strings; NULL: omitted */
    const char *dimension_unit;  /* "CENTIMETER" / "INCH" */
    const tiktok_sku_spec_t *skus;
    size_t n_skus;
} tiktok_product_spec_t;

/* ---- products: responses ---- */

typedef struct tiktok_sku_ref {
    char id[TIKTOK_ID_MAX];
    char seller_sku[TIKTOK_SKU_MAX];
} tiktok_sku_ref_t;

typedef struct tiktok_product_ref {
    char product_id[TIKTOK_ID_MAX];
    tiktok_sku_ref_t *skus; /* owned */
    size_t n_skus;
} tiktok_product_ref_t;

typedef struct tiktok_warehouse_qty {
    char warehouse_id[TIKTOK_ID_MAX];
    long long quantity;
} tiktok_warehouse_qty_t;

typedef struct tiktok_sku {
    char id[TIKTOK_ID_MAX];
    char seller_sku[TIKTOK_SKU_MAX];
    tiktok_warehouse_qty_t *inventory; /* owned */
    size_t n_inventory;
} tiktok_sku_t;

typedef struct tiktok_product {
    char id[TIKTOK_ID_MAX];
    char status[32];
    tiktok_sku_t *skus; /* owned */
    size_t n_skus;
} tiktok_product_t;

typedef struct tiktok_products {
    tiktok_product_t *items; /* owned */
    size_t n;
    long long total_count;
    char next_page_token[TIKTOK_PAGE_TOKEN_MAX]; /* "" on the last page */
} tiktok_products_t;

/* POST /product/202309/products. */
int tiktok_create_product(tiktok_client_t *c, const tiktok_product_spec_t *spec,
                          tiktok_product_ref_t *out, tiktok_result_t *res);

/* PUT /product/202309/products/{product_id} with the full product. */
int tiktok_edit_product(tiktok_client_t *c, const char *product_id,
                        const tiktok_product_spec_t *spec, tiktok_product_ref_t *out,
                        tiktok_result_t *res);
void tiktok_product_ref_free(tiktok_product_ref_t *p);

/* POST /product/202309/products/search?page_size=N[&page_token=] with
 * {"seller_skus":[...]} (omitted when n_seller_skus is 0). page_token may be
 * NULL or "". */
int tiktok_search_products(tiktok_client_t *c, const char *const *seller_skus,
                           size_t n_seller_skus, int page_size,
                           const char *page_token, tiktok_products_t *out,
                           tiktok_result_t *res);
void tiktok_products_free(tiktok_products_t *p);

/* GET /product/202309/products/{product_id}; the full product stays in
 * res->data. */
int tiktok_get_product(tiktok_client_t *c, const char *product_id,
                       tiktok_product_t *out, tiktok_result_t *res);
void tiktok_product_free(tiktok_product_t *p);

/* ---- inventory ---- */

typedef struct tiktok_sku_stock {
    const char *sku_id;
    const tiktok_stock_t *inventory; /* every warehouse of the SKU */
    size_t n_inventory;
} tiktok_sku_stock_t;

typedef struct tiktok_warehouse_error {
    char warehouse_id[TIKTOK_ID_MAX];
    long long code;
    char message[TIKTOK_MESSAGE_MAX];
} tiktok_warehouse_error_t;

typedef struct tiktok_sku_error {
    char sku_id[TIKTOK_ID_MAX]; /* "" when TikTok did not name one */
    long long code;
    char message[TIKTOK_MESSAGE_MAX];
    tiktok_warehouse_error_t *extra; /* owned */
    size_t n_extra;
} tiktok_sku_error_t;

typedef struct tiktok_sku_errors {
    tiktok_sku_error_t *items; /* owned */
    size_t n;
} tiktok_sku_errors_t;

/* POST /product/202309/products/{product_id}/inventory/update with absolute
 * quantities. A code-0 response listing per-SKU errors is a failure: -1 with
 * kind TIKTOK_PERMANENT, the errors in out and a summary in res->message. */
int tiktok_update_inventory(tiktok_client_t *c, const char *product_id,
                            const tiktok_sku_stock_t *skus, size_t n_skus,
                            tiktok_sku_errors_t *out, tiktok_result_t *res);
void tiktok_sku_errors_free(tiktok_sku_errors_t *e);

typedef struct tiktok_sku_inventory {
    char product_id[TIKTOK_ID_MAX];
    char sku_id[TIKTOK_ID_MAX];
    char seller_sku[TIKTOK_SKU_MAX];
    long long total_available_quantity;
    tiktok_warehouse_qty_t *warehouses; /* owned; available_quantity each */
    size_t n_warehouses;
} tiktok_sku_inventory_t;

typedef struct tiktok_inventories {
    tiktok_sku_inventory_t *items; /* owned, one per SKU */
    size_t n;
} tiktok_inventories_t;

/* POST /product/202309/inventory/search with {"sku_ids":[...]}. */
int tiktok_inventory_search(tiktok_client_t *c, const char *const *sku_ids,
                            size_t n_sku_ids, tiktok_inventories_t *out,
                            tiktok_result_t *res);
void tiktok_inventories_free(tiktok_inventories_t *inv);

/* ---- orders ---- */

typedef struct tiktok_line_item {
    char id[TIKTOK_ID_MAX];
    char sku_id[TIKTOK_ID_MAX];
    char seller_sku[TIKTOK_SKU_MAX];
    char product_id[TIKTOK_ID_MAX];
    char display_status[48]; /* e.g. TO_SHIP; CANCELLED for a cancelled line */
} tiktok_line_item_t;

typedef struct tiktok_order {
    char id[TIKTOK_ID_MAX];
    char status[48];
    long long update_time;
    long long create_time;          /* 0 when absent */
    char currency[8];               /* payment.currency, "" when absent */
    char total_amount[32];          /* payment.total_amount ("72.00"), "" when absent */
    tiktok_line_item_t *line_items; /* owned */
    size_t n_line_items;
} tiktok_order_t;

typedef struct tiktok_orders {
    tiktok_order_t *items; /* owned */
    size_t n;
    char next_page_token[TIKTOK_PAGE_TOKEN_MAX]; /* search only; "" at the end */
} tiktok_orders_t;

/* GET /order/202309/orders?ids=a,b,c for 1..TIKTOK_MAX_ORDER_IDS ids. */
int tiktok_get_orders(tiktok_client_t *c, const char *const *ids, size_t n_ids,
                      tiktok_orders_t *out, tiktok_result_t *res);

typedef struct tiktok_order_query {
    long long update_time_ge;
    long long update_time_lt; /* 0: open-ended */
    int page_size;            /* 1..100 */
    const char *page_token;   /* NULL or "" for the first page */
} tiktok_order_query_t;

/* POST /order/202309/orders/search?page_size=N[&page_token=] with
 * {"update_time_ge":T[,"update_time_lt":T]}. */
int tiktok_search_orders(tiktok_client_t *c, const tiktok_order_query_t *q,
                         tiktok_orders_t *out, tiktok_result_t *res);
void tiktok_orders_free(tiktok_orders_t *o);

#endif
