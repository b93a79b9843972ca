/*
 * store — the sandbox's whole in-memory state behind one mutex: the shop and
 * its warehouses, products and orders (kept as the JSON documents the API
 * returns), OAuth codes and grants, uploaded images, Stripe sessions, fault
 * settings, rate-limit windows and counters.
 *
 * Locking: sb_store_new/free/lock/unlock manage the mutex; every other
 * function and every field access requires the caller to hold the lock.
 */
#ifndef SANDBOX_STORE_H
#define SANDBOX_STORE_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>

#include "sandbox.h"

#define SB_SHOP_ID "7494726673780148744"
#define SB_SHOP_NAME "Sandbox Candle Co"
#define SB_SHOP_CODE "USLCSANDBOX"
#define SB_IMAGE_URI_PREFIX "tos-maliva-i-o3syd03w52-us/"

#define SB_WAREHOUSE_COUNT 2
#define SB_MAX_PRODUCTS 5000
#define SB_MAX_SKUS 100
#define SB_MAX_ORDERS 5000
#define SB_MAX_ORDER_UNITS 100
#define SB_MAX_GRANTS 256
#define SB_MAX_CODES 256
#define SB_MAX_IMAGES 2000
#define SB_MAX_IMAGE_BYTES (5u * 1024u * 1024u)
#define SB_MAX_IMAGES_TOTAL (64u * 1024u * 1024u)
#define SB_MAX_STRIPE_SESSIONS 10000
#define SB_MAX_INVENTORY_LOG 200000 /* Update Inventory entries kept for /sandbox/inventory-log */
#define SB_MAX_ROUTES 64
#define SB_MAX_QUANTITY 99999
#define SB_CODE_TTL 600
#define SB_REFRESH_TTL (365L * 24 * 3600)
#define SB_TOKEN_LEN 72

typedef struct sb_warehouse {
    const char *id;
    const char *name;
    int is_default;
    const char *city;
    const char *address_line;
    const char *postal_code;
} sb_warehouse_t;

/* The two sales warehouses; index 0 is the default one. */
extern const sb_warehouse_t sb_warehouses[SB_WAREHOUSE_COUNT];

typedef struct sb_grant {
    char access[SB_TOKEN_LEN];
    long long access_exp;
    char refresh[SB_TOKEN_LEN];
    long long refresh_exp;
    int revoked; /* the seller took the authorisation back */
} sb_grant_t;

typedef struct sb_code {
    char code[SB_TOKEN_LEN];
    long long exp;
} sb_code_t;

typedef struct sb_image {
    char hex[33];
    unsigned char *data; /* owned */
    size_t len;
    const char *mime;    /* static string */
    int width;
    int height;
} sb_image_t;

typedef struct sb_faults {
    long latency_ms;       /* added to every imitated API call: Open API, OAuth token, Stripe */
    long webhook_delay_ms; /* between an order event and its TikTok webhook */
    double error_rate;
    double rate_limit_rate;
    long fail_next;
    long throttle_next;
    long ads_fail_next;    /* Events API: the next N track calls answer ads_fail_code */
    long ads_fail_code;    /* 40100, 40105, 40002, 40001 or 500 */
} sb_faults_t;

typedef struct sb_counters {
    unsigned long requests;          /* signed API requests received */
    unsigned long token_requests;    /* OAuth token get/refresh requests received */
    unsigned long stripe_requests;   /* Stripe API requests received */
    unsigned long inventory_updates; /* Update Inventory calls answered code 0 */
    unsigned long rate_limited;      /* real 429s from the per-path limit */
    unsigned long faults_injected;   /* injected 500s and 429s */
    unsigned long images_uploaded;
    unsigned long products_created;
    unsigned long products_edited;
    unsigned long tokens_issued;
    unsigned long token_refreshes;
    unsigned long orders_created;
    unsigned long orders_cancelled;
    unsigned long ads_requests;      /* Events API track calls received */
    unsigned long ads_accepted;      /* track calls answered code 0 */
} sb_counters_t;

typedef enum { SB_TOKEN_OK = 0, SB_TOKEN_UNKNOWN = 1, SB_TOKEN_EXPIRED = 2 } sb_token_rc;

struct sb_store {
    pthread_mutex_t mu;
    const sb_config_t *cfg;      /* borrowed */
    char shop_cipher[48];
    char open_id[48];
    unsigned long long seq;      /* id sequence, random start */
    json_t *products;            /* array of product documents, oldest first */
    json_t *orders;              /* array of order documents, oldest first */
    json_t *order_hooks;         /* {order_id: {"1": body, "11": body}} */
    json_t *stripe_sessions;     /* {cs_id: {"session":{..}, "items":[..]}} */
    size_t n_stripe_sessions;
    json_t *inventory_log;       /* {seller_sku: [[at_us, quantity], ..]}, oldest first */
    size_t n_inventory_log;      /* entries in inventory_log */
    unsigned long inventory_log_dropped; /* entries not kept: the log was full */
    sb_grant_t grants[SB_MAX_GRANTS];
    size_t n_grants;
    sb_code_t codes[SB_MAX_CODES];
    size_t n_codes;
    sb_image_t images[SB_MAX_IMAGES];
    size_t n_images;
    size_t image_bytes;
    long long window_start_ms[SB_MAX_ROUTES]; /* rate-limit window per route */
    long window_count[SB_MAX_ROUTES];
    unsigned long route_calls[SB_MAX_ROUTES]; /* calls that reached a handler */
    sb_faults_t faults;
    sb_counters_t counters;
    json_t *mapi_codes;          /* Marketing API auth codes: {code: expires_at} */
    json_t *mapi_tokens;         /* Marketing API tokens: {token: [advertiser ids]} */
    long mapi_revision;          /* bumps the last 7 days of generated spend */
    long mapi_fail_next;         /* the next N Marketing API calls answer mapi_fail_code */
    long mapi_fail_code;         /* 40100, 40102, 40105, 40002 or 500 */
    unsigned long mapi_report_calls; /* report/integrated/get/ calls answered */
    json_t *ads_events;          /* events of accepted track calls, oldest first */
    json_t *ads_calls;           /* per track call: {at, code, events, event_source} */
    json_t *dmp_files;           /* customer files: {file_path: {advertiser_id, calculate_type, hashes}} */
    json_t *dmp_audiences;       /* {custom_audience_id: {name, advertiser_id, calculate_type, members {}}} */
    unsigned long dmp_seq;       /* file paths and audience ids */
    unsigned long dmp_uploads;   /* files accepted */
    long dmp_corrupt_next;       /* the next N uploaded files arrive damaged */
};

#define SB_MAX_ADS_EVENTS 200000
#define SB_MAX_ADS_CALLS 20000

/* New store for cfg (borrowed, must outlive it) into *out; the latency
 * and webhook delay faults start at cfg's values. Returns 0 or -1. */
int sb_store_new(const sb_config_t *cfg, sb_store_t **out);

/* Free the store (stolen; NULL is fine). No other thread may use it. */
void sb_store_free(sb_store_t *s);

/* Take / release the store's one mutex. Never hold it across network I/O. */
void sb_store_lock(sb_store_t *s);
void sb_store_unlock(sb_store_t *s);

/* Forget products, orders, tokens, codes, images, sessions and counters;
 * keep the configuration, shop cipher and faults. */
void sb_store_reset(sb_store_t *s);

/* A new unique 19-digit decimal id starting with the 6-digit prefix. */
void sb_store_new_id(sb_store_t *s, const char *prefix, char out[SB_ID_LEN]);

/* The warehouse with this id (borrowed, static), or NULL. */
const sb_warehouse_t *sb_store_warehouse(const char *id);

/* Issue a single-use auth code valid SB_CODE_TTL seconds into out. */
void sb_store_code_issue(sb_store_t *s, char out[SB_TOKEN_LEN]);

/* Consume code (borrowed). Returns 0, or -1 when unknown or already used,
 * -2 when expired (it is consumed either way). */
int sb_store_code_take(sb_store_t *s, const char *code);

/* A new grant with fresh tokens; the returned pointer is borrowed and valid
 * until the lock is released. The oldest grant is dropped when full. */
sb_grant_t *sb_store_grant_new(sb_store_t *s);

/* The live grant holding refresh token rt (borrowed), or NULL. */
sb_grant_t *sb_store_grant_by_refresh(sb_store_t *s, const char *rt);

/* Give grant g a new access token (and refresh token when rotating). */
void sb_store_grant_refresh(sb_store_t *s, sb_grant_t *g);

/* Check an access token (borrowed). */
sb_token_rc sb_store_token_check(sb_store_t *s, const char *token);

/* Fault actions: every current access token expires now (105002 until a
 * refresh) / every grant is revoked, so its access and refresh tokens both
 * stop working (105001, then 36004005: the seller must authorize again). */
void sb_store_expire_tokens(sb_store_t *s);
void sb_store_revoke_tokens(sb_store_t *s);

/* Keep a copy of an image (data borrowed). out gets its hex id. Returns 0,
 * or -1 when the store is full. */
int sb_store_image_add(sb_store_t *s, const void *data, size_t len, const char *mime,
                       int width, int height, char out[33]);

/* The image with this hex id or full uri (borrowed), or NULL. */
const sb_image_t *sb_store_image_find(sb_store_t *s, const char *hex_or_uri);

/* Count one request against route's window. Returns 1 when allowed, 0 when
 * over cfg->rate_limit in the current 1 s window. */
int sb_store_rate_take(sb_store_t *s, int route);

/* Decide an injected fault for a signed call: 0 none, 500 or 429. Consumes
 * fail_next/throttle_next first, then rolls error_rate, rate_limit_rate. */
int sb_store_fault_roll(sb_store_t *s);

/* The product document with this id (borrowed), or NULL. */
json_t *sb_store_product(sb_store_t *s, const char *id);

/* Find a SKU by id or by seller_sku (whichever is non-NULL) across all
 * products. Returns the SKU object (borrowed) and, when product is not NULL,
 * its product; NULL when absent. */
json_t *sb_store_sku(sb_store_t *s, const char *sku_id, const char *seller_sku,
                     json_t **product);

/* The inventory entry of sku for warehouse id (borrowed), or NULL. */
json_t *sb_store_sku_stock(json_t *sku, const char *warehouse_id);

/* Record that an Update Inventory call set sku (borrowed) to quantity, at
 * wall-clock time at_us (microseconds since the epoch): the measurements in
 * bench/ read it back through GET /sandbox/inventory-log. */
void sb_store_inventory_logged(sb_store_t *s, const json_t *sku, long long at_us,
                               long long quantity);

/* The order document with this id (borrowed), or NULL. */
json_t *sb_store_order(sb_store_t *s, const char *id);

/* 1 when an order's line item (borrowed) is cancelled. */
int sb_store_line_cancelled(const json_t *li);

/* The state as JSON (new): shop, warehouses, products, orders, counters,
 * faults and per-route call counts. route_names has SB_MAX_ROUTES entries
 * (NULL past the end of the table). */
json_t *sb_store_dump(sb_store_t *s, const char *const *route_names);

/* Faults as JSON (new). */
json_t *sb_store_faults_json(const sb_store_t *s);

/* The shop object the API returns (new). */
json_t *sb_store_shop_json(const sb_store_t *s);

/* The warehouses array the API returns (new). */
json_t *sb_store_warehouses_json(void);

#endif
