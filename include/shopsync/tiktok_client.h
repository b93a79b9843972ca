/*
 * tiktok_client — transport of the TikTok Shop Open API client, version
 * 202309: signs every request (tiktok_sign.h), classifies the {code,
 * message, request_id, data} envelope, retries rate limits, server errors
 * and network failures with jittered exponential backoff, refreshes an
 * expired access token once, and exchanges authorization codes and refresh
 * tokens for tokens. It knows nothing about storage or connection state:
 * tokens, token refresh, re-auth marking and rate limiting are hooks
 * supplied by the caller. The endpoint wrappers are in tiktok_api.h.
 *
 * IDs (shops, products, SKUs, warehouses, orders) are decimal strings longer
 * than a double can hold; they stay strings end to end.
 */
#ifndef SHOPSYNC_TIKTOK_CLIENT_H
#define SHOPSYNC_TIKTOK_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/http_client.h"
#include "shopsync/tiktok_sign.h"

#define TIKTOK_ID_MAX 64
#define TIKTOK_SKU_MAX 256
#define TIKTOK_NAME_MAX 256
#define TIKTOK_TOKEN_MAX 512
#define TIKTOK_CIPHER_MAX 256
#define TIKTOK_MESSAGE_MAX 512
#define TIKTOK_PAGE_TOKEN_MAX 1024

/* Error codes with a meaning of their own. */
#define TIKTOK_CODE_TOKEN_INVALID 105001LL
#define TIKTOK_CODE_TOKEN_EXPIRED 105002LL
#define TIKTOK_CODE_SHOP_UNAUTHORIZED 36004001LL
#define TIKTOK_CODE_AUTH_REVOKED 36004005LL
#define TIKTOK_CODE_RATE_LIMITED 36009002LL
#define TIKTOK_CODE_INTERNAL 36009003LL

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

/* ---- for the endpoint wrappers (tiktok_api, and any API family added
 * beside it) ---------------------------------------------------------- */

/* Initialise res as every call does: no data, code -1, empty message. */
void tiktok_result_init(tiktok_result_t *res);

/* Record a failure decided locally (not by TikTok) in res: kind and a
 * formatted message. Returns -1, for the caller to return. */
int tiktok_result_fail(tiktok_result_t *res, tiktok_kind_t kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A code-0 response whose data is not what the API documents: res becomes
 * TIKTOK_PERMANENT with "unexpected TikTok response: <what>" (what
 * borrowed). Returns -1. */
int tiktok_result_unexpected(tiktok_result_t *res, const char *what);

#endif
