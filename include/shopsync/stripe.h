/*
 * stripe — adapter for the parts of Stripe that shopsync uses: webhook
 * signature verification (Stripe-Signature header), parsing of the checkout
 * events that decrement stock, and fetching a Checkout Session's line items
 * (with pagination) to learn which SKUs were sold.
 *
 * Verification and parsing are pure functions; only stripe_fetch_line_items
 * performs I/O, through the calling thread's http_client handle. The secret
 * API key and the endpoint secret are never logged nor put in messages.
 */
#ifndef SHOPSYNC_STRIPE_H
#define SHOPSYNC_STRIPE_H

#include <stddef.h>

/* Fixed-size string fields hold up to STRIPE_ID_MAX - 1 bytes. */
#define STRIPE_ID_MAX 256
#define STRIPE_STATUS_MAX 64
#define STRIPE_DESC_MAX 512
/* Stripe caps a metadata value at 500 characters. */
#define STRIPE_METADATA_VALUE_MAX 500
/* A Stripe-Signature header longer than this is malformed. */
#define STRIPE_SIG_HEADER_MAX 8192
/* Stripe's own libraries default to five minutes. */
#define STRIPE_DEFAULT_TOLERANCE_S 300LL
/* Line items fetched per page, and caps on one session's total. */
#define STRIPE_PAGE_LIMIT 100
#define STRIPE_MAX_LINES 1000
#define STRIPE_MAX_PAGES 20
/* A larger line quantity is refused as malformed, so sums cannot overflow. */
#define STRIPE_MAX_QUANTITY 1000000000LL

/* ---- webhook signature (pure) ------------------------------------------ */

typedef enum {
    STRIPE_SIG_OK = 0,
    STRIPE_SIG_MALFORMED, /* unparsable header: no/duplicate/non-numeric t,
                             a pair without exactly one '=', no v1, too long */
    STRIPE_SIG_TOO_OLD,   /* signature valid but t outside now ± tolerance */
    STRIPE_SIG_MISMATCH   /* no v1 entry matches (or no secret configured) */
} stripe_sig_rc;

/* out_hex = lowercase hex HMAC-SHA256(key = secret, the whole string
 * including "whsec_"; msg = decimal t + "." + len bytes of body). secret and
 * body are borrowed; body may be NULL when len is 0. Returns 0, or -1 on a
 * NULL/empty secret, a negative t or a crypto failure. */
int stripe_sign(const char *secret, long long t, const void *body, size_t len,
                char out_hex[65]);

/* Check header (the Stripe-Signature value: "t=<unix>,v1=<hex>[,v1=...]
 * [,v0=...]") against body_len bytes of the raw body, as Stripe's libraries
 * do: the signature is accepted when ANY v1 equals stripe_sign(secret, t,
 * body) (constant-time, hex case ignored); v0 and other schemes are ignored;
 * whitespace around keys and values is tolerated. The signature is checked
 * before the timestamp, so a forged old request reports MISMATCH. Then
 * |now - t| must be at most tolerance_s (>= 0; future timestamps beyond it
 * are rejected too). Stricter than the libraries: a duplicate t is
 * malformed, because which one was signed is ambiguous. All pointers
 * borrowed; header/secret may be NULL. A reason goes to err (never the
 * secret). Returns a stripe_sig_rc. */
int stripe_verify_signature(const char *header, const void *body, size_t body_len,
                            const char *secret, long long now, long long tolerance_s,
                            char *err, size_t errlen);

/* ---- events (pure) ------------------------------------------------------ */

typedef struct stripe_event {
    char id[STRIPE_ID_MAX];                 /* "evt_..." */
    char type[STRIPE_ID_MAX];               /* e.g. "checkout.session.completed" */
    long long created;                      /* unix seconds; 0 when absent */
    int livemode;                           /* 1 / 0, or -1 when absent */
    /* Set only for checkout.session.completed,
     * checkout.session.async_payment_succeeded and
     * checkout.session.expired; "" otherwise. */
    char session_id[STRIPE_ID_MAX];         /* data.object.id, "cs_..." */
    char payment_status[STRIPE_STATUS_MAX]; /* data.object.payment_status */
    /* 1 when the event means goods were paid for (payment_status "paid" or
     * "no_payment_required" on one of the two types above), else 0. */
    int applies;
    /* data.object.metadata.shopsync_items as the storefront set it
     * ("SKU:QTY[,SKU:QTY...]"), when has_items; items_error says why a
     * present value was not taken (not a string, too long). */
    int has_items;
    char items[STRIPE_METADATA_VALUE_MAX + 1];
    char items_error[300];
    /* data.object.metadata.shopsync_hold: the storefront's checkout hold
     * (holds.h), "" when absent or not a string. Read for the two types
     * above and for checkout.session.expired. */
    char hold[STRIPE_ID_MAX];
    /* 1 for checkout.session.expired (session_id and hold are set): the
     * session's hold is released. */
    int expired;
} stripe_event_t;

/* Parse len bytes of body (borrowed) strictly (jsonx_loadb: no duplicate
 * keys, bounded depth) into *out (caller-owned, fully overwritten). Requires
 * a string id starting "evt_" and a non-empty string type; for the two
 * checkout types also data.object with an id starting "cs_" and a string
 * payment_status. Optional created must be an integer and livemode a boolean.
 * Any string longer than its field is an error. Returns 0, or -1 with a
 * message in err. */
int stripe_parse_event(const void *body, size_t len, stripe_event_t *out, char *err,
                       size_t errlen);

/* ---- line items (I/O) --------------------------------------------------- */

typedef struct stripe_config {
    const char *api_base;   /* borrowed; e.g. "https://api.stripe.com", no trailing '/' */
    const char *secret_key; /* borrowed; "sk_..." or "rk_...", never logged */
    long timeout_ms;        /* per page; 0: http_client default */
} stripe_config_t;

/* Where a line's sku came from. */
typedef enum {
    STRIPE_SKU_NONE = 0,       /* none found: sku is "" (record as unmatched) */
    STRIPE_SKU_PRODUCT,        /* price.product.metadata.sku (expanded product) */
    STRIPE_SKU_PRICE,          /* price.metadata.sku */
    STRIPE_SKU_LOOKUP_KEY,     /* price.lookup_key */
    STRIPE_SKU_METADATA        /* the session's metadata.shopsync_items */
} stripe_sku_source_t;

typedef struct stripe_line {
    char id[STRIPE_ID_MAX];               /* "li_..." */
    char sku[STRIPE_ID_MAX];              /* "" when no source has one */
    stripe_sku_source_t sku_source;
    char price_id[STRIPE_ID_MAX];         /* "price_...", "" when no price */
    char description[STRIPE_DESC_MAX];    /* truncated on a UTF-8 boundary */
    long long quantity;                   /* 0 .. STRIPE_MAX_QUANTITY */
} stripe_line_t;

/* Return values of stripe_fetch_line_items. */
#define STRIPE_FETCH_OK 0
#define STRIPE_FETCH_PERMANENT (-1) /* 4xx other than 429 (404: unknown session,
                                       401: bad key), malformed response, bad
                                       arguments, caps exceeded */
#define STRIPE_FETCH_RETRYABLE (-2) /* network failure or timeout, 429, 5xx */

/* GET {api_base}/v1/checkout/sessions/{session_id}/line_items?limit=100&
 * expand[]=data.price.product with "Authorization: Bearer <secret_key>",
 * following has_more with starting_after=<last id>, at most STRIPE_MAX_PAGES
 * pages and STRIPE_MAX_LINES lines (beyond either: permanent error, never a
 * silent truncation). Each line's sku is the first non-empty string of
 * price.product.metadata.sku, price.metadata.sku, price.lookup_key.
 * cfg and session_id are borrowed; session_id must be [A-Za-z0-9_]+.
 * On success *lines is a new array of *n_lines entries (NULL when 0) the
 * caller frees with stripe_lines_free. On failure *lines is NULL, *n_lines 0
 * and err says why. Returns STRIPE_FETCH_OK / _PERMANENT / _RETRYABLE. */
int stripe_fetch_line_items(const stripe_config_t *cfg, const char *session_id,
                            stripe_line_t **lines, size_t *n_lines, char *err,
                            size_t errlen);

/* Sessions fetched together by stripe_fetch_line_items_many. */
#define STRIPE_BATCH_MAX 64

/* A pacer: stores in *wait_us how long to wait before the next request
 * may leave (a shared rate limit), having reserved that slot. Returns 0, or
 * -1 when no slot can be had (the request is then not sent). */
typedef int (*stripe_pace_fn)(void *ctx, long long *wait_us);

typedef struct stripe_fetch_result {
    int rc;               /* STRIPE_FETCH_* */
    stripe_line_t *lines; /* new on success (free with stripe_lines_free), else NULL */
    size_t n_lines;
    char err[512];        /* why, when rc is not STRIPE_FETCH_OK */
} stripe_fetch_result_t;

/* stripe_fetch_line_items for n (<= STRIPE_BATCH_MAX) sessions at once:
 * their first pages go out together on libcurl's multi interface, each when
 * pace (may be NULL) gives it a slot, so one slow answer does not hold the
 * others back; further pages follow one by one. session_ids and cfg are
 * borrowed; out[i] (caller-owned array of n) receives session i's result.
 * Returns 0, or -1 when the batch could not run (every out[i] then says why). */
int stripe_fetch_line_items_many(const stripe_config_t *cfg, const char *const *session_ids, size_t n,
                                 stripe_pace_fn pace, void *pace_ctx, stripe_fetch_result_t *out);

/* Free an array from stripe_fetch_line_items (stolen; NULL is fine). */
void stripe_lines_free(stripe_line_t *lines, size_t n);

#endif
