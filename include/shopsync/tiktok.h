/*
 * tiktok — client adapter for the TikTok Shop Open API, version 202309.
 *
 * Signs every request (HMAC-SHA256 over secret + path + sorted query + body +
 * secret), classifies the {code, message, request_id, data} envelope, retries
 * rate limits, server errors and network failures with jittered exponential
 * backoff, refreshes an expired access token once, and parses the responses of
 * the few endpoints shopsync uses into small C structs. The adapter knows
 * nothing about storage or connection state: tokens, token refresh, re-auth
 * marking and rate limiting are hooks supplied by the caller.
 *
 * IDs (shops, products, SKUs, warehouses, orders) are decimal strings longer
 * than a double can hold; they stay strings end to end.
 */
#ifndef SHOPSYNC_TIKTOK_H
#define SHOPSYNC_TIKTOK_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/buf.h"
#include "shopsync/http_client.h"

#define TIKTOK_ID_MAX 64
#define TIKTOK_SKU_MAX 256
#define TIKTOK_NAME_MAX 256
#define TIKTOK_TOKEN_MAX 512
#define TIKTOK_CIPHER_MAX 256
#define TIKTOK_MESSAGE_MAX 512
#define TIKTOK_PAGE_TOKEN_MAX 1024
#define TIKTOK_MAX_ORDER_IDS 50
#define TIKTOK_MAX_QUANTITY 99999LL /* per SKU and warehouse */

/* Error codes with a meaning of their own. */
#define TIKTOK_CODE_TOKEN_INVALID 105001LL
#define TIKTOK_CODE_TOKEN_EXPIRED 105002LL
#define TIKTOK_CODE_SHOP_UNAUTHORIZED 36004001LL
#define TIKTOK_CODE_AUTH_REVOKED 36004005LL
#define TIKTOK_CODE_RATE_LIMITED 36009002LL
#define TIKTOK_CODE_INTERNAL 36009003LL

/* ---- signing (pure functions) ---------------------------------------- */

/* One query parameter; both strings borrowed, unencoded. */
typedef struct tiktok_param {
    const char *key;
    const char *value;
} tiktok_param_t;

/* Append the string TikTok signs to out (initialised by the caller):
 * app_secret + path + every param except "sign" and "access_token", sorted by
 * key (strcmp), as key+value with values unencoded + body_len bytes of body
 * (NULL/0 for GET and multipart) + app_secret. All inputs borrowed. Returns 0,
 * or -1 on duplicate keys, a NULL key/value, or a full buffer. */
int tiktok_string_to_sign(const char *app_secret, const char *path,
                          const tiktok_param_t *params, size_t n_params,
                          const void *body, size_t body_len, buf_t *out);

/* out_hex = lowercase hex HMAC-SHA256(key = app_secret, the string above),
 * computed without materialising the string. Returns 0 or -1 (as above). */
int tiktok_sign(const char *app_secret, const char *path,
                const tiktok_param_t *params, size_t n_params, const void *body,
                size_t body_len, char out_hex[65]);

/* Webhook signature: lowercase hex HMAC-SHA256(key = app_secret,
 * app_key + raw body). Returns 0 or -1. */
int tiktok_webhook_sign(const char *app_key, const char *app_secret,
                        const void *body, size_t len, char out_hex[65]);

/* 1 when header (the Authorization header value, borrowed, may be NULL) is the
 * webhook signature of body, compared in constant time ignoring hex case;
 * 0 otherwise. */
int tiktok_webhook_verify(const char *app_key, const char *app_secret,
                          const void *body, size_t len, const char *header);

/* ---- client ------------------------------------------------------------ */

typedef enum {
    TIKTOK_OK = 0,
    TIKTOK_RETRYABLE,     /* rate limited or server error: try again later */
    TIKTOK_TOKEN_EXPIRED, /* 105002 and the refresh did not help */
    TIKTOK_REAUTH,        /* the seller must authorize the app again */
    TIKTOK_PERMANENT,     /* the request itself is wrong; retrying won't help */
    TIKTOK_NETWORK        /* no response: connection failure or timeout */
} tiktok_kind_t;

/* Caller-supplied hooks; ctx is passed back to each. The hooks may be called
 * from several threads at once when one client is shared. */
typedef struct tiktok_hooks {
    void *ctx; /* borrowed */
    /* Current access token and shop cipher into the buffers. Returns 0; 1
     * when the shop has no token (→ TIKTOK_REAUTH); -1 on a transient failure
     * (→ TIKTOK_RETRYABLE). Required for tiktok_call. */
    int (*get_token)(void *ctx, char *access_token, size_t cap, char *shop_cipher,
                     size_t cipher_cap);
    /* TikTok called failed_token (borrowed: the token the attempt sent)
     * expired: refresh the stored token unless it is already another one.
     * Called at most once per call on code 105002, after which the request
     * is retried once with the stored token. Returns 0 or -1. May be NULL. */
    int (*refresh_token)(void *ctx, const char *failed_token);
    /* The authorization is gone (105001 / 36004005 / 36004001). May be NULL. */
    void (*mark_reauth)(void *ctx, int code, const char *message);
    /* Block until the limiter grants a request for api (a path template such
     * as "/product/202309/products/{product_id}"). Returns 0, or -1 when the
     * limiter is unavailable (→ TIKTOK_RETRYABLE). May be NULL. */
    int (*rate_acquire)(void *ctx, const char *api);
    /* One finished attempt, for metrics: code is -1 when the response had no
     * envelope. May be NULL. */
    void (*observe)(void *ctx, const char *api, long http_status, long long code,
                    double seconds);
} tiktok_hooks_t;

typedef struct tiktok_config {
    const char *app_key;    /* copied */
    const char *app_secret; /* copied */
    const char *api_base;   /* copied; e.g. "https://open-api.tiktokglobalshop.com" */
    const char *auth_base;  /* copied; e.g. "https://auth.tiktok-shops.com" */
    tiktok_hooks_t hooks;
    int max_attempts;        /* 0: 5 */
    long backoff_base_ms;    /* 0: 200 */
    long backoff_cap_ms;     /* 0: 5000; also caps a Retry-After */
    long connect_timeout_ms; /* 0: HTTP client default */
    long timeout_ms;         /* 0: HTTP client default */
    size_t max_response;     /* 0: HTTP client default */
} tiktok_config_t;

typedef struct tiktok_client tiktok_client_t;

/* A new client (caller frees with tiktok_client_free) from cfg (borrowed; the
 * strings are copied, hooks.ctx is kept borrowed), or NULL with a message in
 * err. The client is immutable and may be shared by threads; each request
 * uses the calling thread's HTTP client. Without an app key or secret the
 * client is made, and every call fails at once as TIKTOK_PERMANENT ("not
 * configured"), so a service without TikTok settings still runs. */
tiktok_client_t *tiktok_client_new(const tiktok_config_t *cfg, char *err, size_t errlen);

/* Free a client (NULL is fine). */
void tiktok_client_free(tiktok_client_t *c);

/* One API request. Every pointer is borrowed for the duration of the call. */
typedef struct tiktok_call {
    const char *method;            /* "GET", "POST", "PUT", "DELETE" */
    const char *path;              /* "/product/202309/products" */
    const char *api;               /* rate-limit/metrics key; NULL: path */
    const tiktok_param_t *query;   /* extra query params, unencoded */
    size_t n_query;
    int shop_scoped;               /* send shop_cipher */
    const json_t *body;            /* serialised once; those bytes are signed and sent */
    const http_part_t *parts;      /* multipart body instead (not signed) */
    size_t n_parts;
} tiktok_call_t;

typedef struct tiktok_result {
    tiktok_kind_t kind;
    long http_status;                  /* 0 when no response arrived */
    long long code;                    /* envelope code, -1 when none */
    char message[TIKTOK_MESSAGE_MAX];  /* TikTok's message or ours */
    char request_id[128];
    json_t *data;                      /* new reference or NULL */
    int attempts;                      /* HTTP attempts made */
} tiktok_result_t;

/* Perform call with c (borrowed). res is always initialised and must be
 * released with tiktok_result_free. Returns 0 when kind is TIKTOK_OK, else
 * -1 with kind and message describing the last attempt. */
int tiktok_call(tiktok_client_t *c, const tiktok_call_t *call, tiktok_result_t *res);

/* Release res->data. */
void tiktok_result_free(tiktok_result_t *res);

/* Kind of one response: has_code says whether the body was a JSON envelope
 * with an integer code. Success is code 0 whatever the HTTP status. */
tiktok_kind_t tiktok_classify(long http_status, int has_code, long long code);

/* Stable lowercase name of a kind, for logs and metrics. */
const char *tiktok_kind_name(tiktok_kind_t kind);

/* ---- tokens (auth base, unsigned GETs) --------------------------------- */

typedef struct tiktok_tokens {
    char access_token[TIKTOK_TOKEN_MAX];
    long long access_token_expire_at;  /* "access_token_expire_in": absolute Unix time */
    char refresh_token[TIKTOK_TOKEN_MAX];
    long long refresh_token_expire_at; /* "refresh_token_expire_in": absolute Unix time */
    char open_id[TIKTOK_ID_MAX];
    char seller_name[TIKTOK_NAME_MAX];
    char seller_base_region[16];
} tiktok_tokens_t;

/* Exchange an authorization code (borrowed) for tokens in out. Returns
 * TIKTOK_OK, or another kind with a message in err. */
tiktok_kind_t tiktok_token_get(tiktok_client_t *c, const char *auth_code,
                               tiktok_tokens_t *out, char *err, size_t errlen);

/* New tokens from a refresh token (borrowed), as tiktok_token_get. */
tiktok_kind_t tiktok_token_refresh(tiktok_client_t *c, const char *refresh_token,
                                   tiktok_tokens_t *out, char *err, size_t errlen);

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
