/*
 * sandbox — shared declarations of the local TikTok Shop sandbox: its
 * configuration, the per-request context, envelope helpers and the route
 * handlers that the route table in server.c points at.
 *
 * The sandbox uses the base layer only and assembles its own string-to-sign,
 * so a signing mistake in the service cannot hide in both programs.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <civetweb.h>
#include <jansson.h>
#include <stddef.h>

#include "shopsync/buf.h"

/* Envelope codes, chosen to look like the real Open API's. */
#define SB_E_SIGN 106001L            /* sign missing or wrong */
#define SB_E_TIMESTAMP 106002L       /* timestamp missing or out of window */
#define SB_E_APP_KEY 106003L         /* app_key missing or unknown */
#define SB_E_SHOP_CIPHER 106011L     /* shop_cipher missing or wrong */
#define SB_E_TOKEN_INVALID 105001L   /* access token missing, unknown, revoked */
#define SB_E_TOKEN_EXPIRED 105002L   /* access token past its expiry */
#define SB_E_PARAM 36009001L         /* malformed query or body (generic) */
#define SB_E_RATE_LIMIT 36009002L    /* HTTP 429 */
#define SB_E_INTERNAL 36009003L      /* HTTP 500, injected faults */
#define SB_E_NO_API 36009004L        /* HTTP 404, no such API path */
#define SB_E_TOO_LARGE 36009005L     /* HTTP 413, body over the cap */
#define SB_E_GRANT_TYPE 36004003L    /* token endpoints: wrong grant_type */
#define SB_E_APP_CREDS 36004004L     /* token endpoints: bad app_key/app_secret */
#define SB_E_REFRESH 36004005L       /* refresh token unknown, revoked, expired */
#define SB_E_AUTH_CODE 36004006L     /* auth code unknown, used or expired */
#define SB_E_FIELD 12052001L         /* product body field invalid (message names it) */
#define SB_E_PRODUCT_NOT_FOUND 12052048L
#define SB_E_IMAGE_INVALID 12052217L /* upload is not a usable image */
#define SB_E_IMAGE_NOT_FOUND 12052218L
#define SB_E_IMAGE_STORE_FULL 12052219L
#define SB_E_INVENTORY 12052700L     /* per-SKU error inside a code-0 reply */
#define SB_E_WAREHOUSE_NOT_FOUND 12052701L
#define SB_E_SKU_NOT_FOUND 12052702L
#define SB_E_SELLER_SKU_TAKEN 12052902L

#define SB_MAX_PARAMS 64
#define SB_MAX_ARGS 2
#define SB_ARG_LEN 96
#define SB_ID_LEN 24
#define SB_MAX_LATENCY_MS 60000L        /* the latency fault's upper bound */
#define SB_MAX_WEBHOOK_DELAY_MS 600000L /* the webhook delay's upper bound */
#define SB_MAX_THREADS 1024L

typedef struct sb_store sb_store_t;
typedef struct sb_hooks sb_hooks_t;

typedef struct sb_config {
    char listen[256];
    char public_url[300]; /* "http://" + listen: image URLs */
    char app_key[128];
    char app_secret[128];
    char service_id[64];
    char redirect_uri[1024];
    char webhook_url[1024];       /* "" = do not push TikTok webhooks */
    char stripe_webhook_url[1024];
    char stripe_webhook_secret[256];
    long access_ttl;              /* seconds */
    long rate_limit;              /* requests per second per path and shop */
    long api_latency_ms;          /* start value of faults.latency_ms */
    long webhook_delay_ms;        /* start value of faults.webhook_delay_ms */
    long threads;                 /* civetweb worker threads */
    int skip_timestamp_check;     /* tests only: replay old signed vectors */
    int rotate_refresh;           /* refresh issues a new refresh token */
    char ads_access_token[256];   /* Events API: the Access-Token accepted */
    char ads_pixel_id[64];        /* Events API: the known pixel */
    char ads_offline_event_set_id[64]; /* Events API: the known offline event set */
    char ads_app_id[64];          /* Marketing API: the app's app_id */
    char ads_app_secret[128];     /* Marketing API: the app's secret */
    long order_history_days;      /* generated past orders Search Orders finds */
} sb_config_t;

typedef struct sb_app {
    const sb_config_t *cfg;
    sb_store_t *store;
    sb_hooks_t *hooks;
} sb_app_t;

/* An error to report: HTTP status, envelope code and message. */
typedef struct sb_err {
    int http;
    long code;
    char msg[320];
} sb_err_t;

/* Decoded query or form parameters, in arrival order. */
typedef struct sb_params {
    size_t n;
    char *key[SB_MAX_PARAMS]; /* owned */
    char *val[SB_MAX_PARAMS]; /* owned */
} sb_params_t;

typedef struct sb_req {
    struct mg_connection *conn;
    const struct mg_request_info *ri;
    sb_app_t *app;
    const char *path;               /* borrowed from ri */
    char arg[SB_MAX_ARGS][SB_ARG_LEN]; /* captured {...} segments */
    sb_params_t query;
    buf_t body;
    int form; /* body is application/x-www-form-urlencoded */
    long long start_us; /* wall clock when the request was dispatched */
    long long reply_us; /* wall clock just before an API envelope was sent, or 0 */
} sb_req_t;

/* A route handler: r is borrowed; it sends exactly one response and returns
 * its HTTP status (civetweb's "handled" value). The sb_api_* handlers below
 * run only after the gateway in server.c accepted the signed call. */
typedef int (*sb_handler_fn)(sb_req_t *r);

/* config.c */

/* Fill cfg from SANDBOX_* variables overridden by --flags. Returns 0, 1 when
 * --help was asked (usage printed), or -1 with a message on stderr. */
int sb_config_load(sb_config_t *cfg, int argc, char **argv);

/* server.c */

/* Start civetweb on cfg->listen with app (borrowed, must outlive the server).
 * *out is the new context. Returns 0 or -1. */
int sb_server_start(sb_app_t *app, struct mg_context **out);

/* "METHOD pattern" of each route in table order, NULL-terminated (static;
 * valid once sb_server_start has run). */
const char *const *sb_server_route_names(void);

/* Reply 200 with the Open API envelope around data (stolen, may be NULL).
 * Returns the status sent. */
int sb_api_ok(sb_req_t *r, json_t *data);

/* Reply with an error envelope. Returns e->http. */
int sb_api_err(sb_req_t *r, const sb_err_t *e);

/* Reply with an error envelope built from the arguments. Returns http. */
int sb_api_fail(sb_req_t *r, int http, long code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reply with the Business API envelope (Events API, Marketing API):
 * {code, message, request_id, data}, data stolen when given, else {} for
 * code 0 and null for an error. Returns http. */
int sb_business_reply(sb_req_t *r, int http, long code, json_t *data, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Answer an injected Business API fault code (non-zero) as TikTok would:
 * 500 (HTTP 500, code 50000), 40100, 40102, 40105, 40001; any other code
 * as 40002. Returns the HTTP status sent. */
int sb_business_fault(sb_req_t *r, long code);

/* Reply with a plain JSON document (stolen). Returns status. */
int sb_reply_json(sb_req_t *r, int status, json_t *v);

/* Reply to a control endpoint: JSON error for API callers, or a 303 back to
 * the page with the message for HTML forms. Returns the status sent. */
int sb_sim_fail(sb_req_t *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* For HTML forms: 303 to "/" and return 303; for JSON callers reply status
 * with v. v is stolen either way. */
int sb_sim_done(sb_req_t *r, int status, json_t *v);

/* Like sb_sim_done, with a message for the page to show after the 303
 * (?note=...). v is stolen either way. */
int sb_sim_note(sb_req_t *r, int status, json_t *v, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The body as a JSON object: parsed JSON, or form fields as strings; an
 * empty body gives {}. *out is new. Returns 0 or -1 with a message in err. */
int sb_req_object(sb_req_t *r, json_t **out, char *err, size_t errlen);

/* Send an HTML page (borrowed) with status. Returns status. */
int sb_reply_html(sb_req_t *r, int status, const buf_t *html);

/* Send the "Authorization error" page of the OAuth flows with status and
 * msg (borrowed, escaped). Returns the status sent. */
int sb_error_page(sb_req_t *r, int status, const char *msg);

/* params.c */

/* Parse a query or form string (borrowed; may be NULL) into p, decoding '+'
 * and %XX. Returns 0, or -1 on too many parameters or out of memory. */
int sb_params_parse(sb_params_t *p, const char *qs, size_t len);

/* The first value for key (borrowed from p), or NULL. */
const char *sb_params_get(const sb_params_t *p, const char *key);

/* Free the owned strings; p may be parsed again afterwards. */
void sb_params_free(sb_params_t *p);

/* sign.c */

/* Lowercase hex TikTok Shop request sign into out: HMAC-SHA256 keyed with
 * secret over secret + path + sorted key+value pairs (all params except sign
 * and access_token, values decoded) + body (when include_body) + secret.
 * All arguments borrowed. Returns 0 or -1. */
int sb_sign_request(const char *secret, const char *path, const sb_params_t *q,
                    const void *body, size_t body_len, int include_body,
                    char out[65]);

/* Lowercase hex HMAC-SHA256(key, a + b) into out. Returns 0 or -1. */
int sb_hmac_hex2(const char *key, const char *a, size_t a_len, const char *b,
                 size_t b_len, char out[65]);

/* util.c */

/* Seconds since the epoch. */
long long sb_now(void);

/* Monotonic milliseconds. */
long long sb_now_ms(void);

/* Wall-clock microseconds since the epoch (comparable across processes). */
long long sb_wall_us(void);

/* Uniform random number in [0, 1). */
double sb_random_unit(void);

/* 1 when a and b (borrowed) are equal, in time independent of where they
 * differ. */
int sb_str_equal(const char *a, const char *b);

/* Number of UTF-8 characters in s, or -1 when s is not valid UTF-8. */
long sb_utf8_len(const char *s);

/* Parse a positive decimal string with at most max_frac fractional digits
 * into units of 10^-max_frac (e.g. cents). Returns 0, or -1 when malformed,
 * zero (unless allow_zero) or too large. */
int sb_decimal_parse(const char *s, int max_frac, int allow_zero, long long *out);

/* Integer member key of obj, as a JSON integer or a decimal string (forms).
 * Absent gives def. Returns 0, or -1 with a message when malformed or outside
 * [min, max]. */
int sb_json_int(const json_t *obj, const char *key, long long def, long long min,
                long long max, long long *out, char *err, size_t errlen);

/* Like sb_json_int for a real number (JSON number or decimal string). */
int sb_json_real(const json_t *obj, const char *key, double def, double min,
                 double max, double *out, char *err, size_t errlen);

/* 1 when member key is true, a non-zero number, or "1"/"true"/"on". */
int sb_json_true(const json_t *obj, const char *key);

/* 1 when the array list (borrowed; anything else counts as empty) holds
 * the string s (borrowed), else 0; 0 for a NULL s. Entries that are not
 * strings never match. */
int sb_json_list_has(const json_t *list, const char *s);

/* Append s (borrowed) to b with &<>"' escaped. Returns 0 or -1. */
int sb_html_escape(buf_t *b, const char *s);

/* Append a hidden form field: name (borrowed, written as is) and value
 * (borrowed, escaped). Returns 0 or -1. */
int sb_html_hidden(buf_t *b, const char *name, const char *value);

/* A random lowercase hex string of n_bytes into out (2*n_bytes+1). Aborts the
 * process when the system has no randomness, which never recovers. */
void sb_random_hex(size_t n_bytes, char *out);

/* product.c */

/* Validate a Create/Edit Product body (borrowed) as the real API would and
 * build the stored product document into *out (new). existing is the
 * product being edited (borrowed; its SKU ids are kept, matched by id or by
 * seller_sku) or NULL for a create. The store lock must be held. Returns 0,
 * or -1 with e filled. */
int sb_product_build(sb_store_t *s, const json_t *body, const json_t *existing, json_t **out,
                     sb_err_t *e);

/* api_product.c */

/* Paging query of search calls: page_size (required, 1..100) and
 * page_token (an opaque offset from next_page_token). Returns 0 or -1 with e
 * filled. */
int sb_page_params(sb_req_t *r, size_t *size, size_t *offset, sb_err_t *e);

/* The next_page_token of a page of size items from offset, out of total
 * matches, into out (cap bytes): the offset sb_page_params reads back, or
 * "" after the last page. */
void sb_page_token(size_t size, size_t offset, size_t total, char *out, size_t cap);

/* routes: auth.c */
int sb_auth_page(sb_req_t *r);
int sb_auth_decide(sb_req_t *r);
int sb_token_get(sb_req_t *r);
int sb_token_refresh(sb_req_t *r);

/* routes: api_shop.c */
int sb_api_shops(sb_req_t *r);
int sb_api_warehouses(sb_req_t *r);
int sb_api_image_upload(sb_req_t *r);
int sb_image_get(sb_req_t *r);

/* routes: api_product.c */
int sb_api_product_create(sb_req_t *r);
int sb_api_product_edit(sb_req_t *r);
int sb_api_product_get(sb_req_t *r);
int sb_api_product_search(sb_req_t *r);
int sb_api_inventory_update(sb_req_t *r);
int sb_api_inventory_search(sb_req_t *r);

/* routes: api_order.c */
int sb_api_order_detail(sb_req_t *r);
int sb_api_order_search(sb_req_t *r);

/* routes: sim.c */
int sb_sim_healthz(sb_req_t *r);
int sb_sim_state(sb_req_t *r);
int sb_sim_order_create(sb_req_t *r);
int sb_sim_order_cancel(sb_req_t *r);
int sb_sim_webhook_resend(sb_req_t *r);
int sb_sim_faults_get(sb_req_t *r);
int sb_sim_faults_set(sb_req_t *r);
int sb_sim_faults_clear(sb_req_t *r);
int sb_sim_reset(sb_req_t *r);
int sb_sim_inventory_log(sb_req_t *r);
int sb_sim_stock(sb_req_t *r);

/* routes: ads.c (TikTok's Events API 2.0 and its Test Events list) */
int sb_ads_track(sb_req_t *r);
int sb_ads_events(sb_req_t *r);

/* routes: marketing.c (TikTok's Marketing API: OAuth, advertisers, the
 * integrated report, and its control endpoint) */
int sb_mapi_authorize_page(sb_req_t *r);
int sb_mapi_authorize_decide(sb_req_t *r);
int sb_mapi_access_token(sb_req_t *r);
int sb_mapi_advertiser_get(sb_req_t *r);
int sb_mapi_advertiser_info(sb_req_t *r);
int sb_mapi_revoke(sb_req_t *r);
int sb_mapi_report(sb_req_t *r);
int sb_mapi_state(sb_req_t *r);
int sb_mapi_control(sb_req_t *r);

/* marketing.c, the opening of Marketing API calls that need only a token:
 * answer an injected fault, else return the advertiser ids the request's
 * token reaches (a new array), or NULL after answering 40104/40105. *status
 * is the status of the answer sent, 0 when none was. */
json_t *sb_mapi_open(sb_req_t *r, int *status);

/* routes: dmp.c (TikTok's customer-file audiences) */
int sb_dmp_upload(sb_req_t *r);
int sb_dmp_create(sb_req_t *r);
int sb_dmp_update(sb_req_t *r);
int sb_dmp_state(sb_req_t *r);

/* page.c helper of dmp.c: the audiences section (store locked). */
int sb_dmp_page_html(buf_t *b, sb_store_t *s);

/* The generated past orders of marketing.c's sibling history.c: append
 * every one to out (borrowed), newest first. */
void sb_history_orders(const sb_config_t *cfg, json_t *out);

/* page.c helper of ads.c: the received events section (store locked). */
int sb_ads_page_html(buf_t *b, sb_store_t *s);

/* routes: page.c */
int sb_page_home(sb_req_t *r);

/* routes: stripe.c */
int sb_stripe_checkout(sb_req_t *r);
int sb_stripe_session_get(sb_req_t *r);
int sb_stripe_line_items(sb_req_t *r);

#endif
