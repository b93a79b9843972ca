/*
 * tiktok_sign — the TikTok Shop signatures, as pure functions: the Open API
 * request sign (HMAC-SHA256 over secret + path + sorted query + body +
 * secret) and both webhook signature schemes, the Authorization header
 * (HMAC over app key + body) and the relay form (x-tiktok-shop-timestamp /
 * x-tiktok-shop-signature: HMAC over timestamp + body, timestamp within
 * TIKTOK_WEBHOOK_RELAY_WINDOW_S of now). No I/O, no state.
 */
#ifndef SHOPSYNC_TIKTOK_SIGN_H
#define SHOPSYNC_TIKTOK_SIGN_H

#include <stddef.h>

#include "shopsync/buf.h"

/* How far a relay-form timestamp may be from now, either way. */
#define TIKTOK_WEBHOOK_RELAY_WINDOW_S 300

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

/* Relay-form signature: lowercase hex HMAC-SHA256(key = app_secret,
 * timestamp + raw body), timestamp being the x-tiktok-shop-timestamp header
 * text as sent. All inputs borrowed. Returns 0 or -1. */
int tiktok_webhook_relay_sign(const char *app_secret, const char *timestamp,
                              const void *body, size_t len, char out_hex[65]);

/* 1 when signature (x-tiktok-shop-signature, borrowed, may be NULL) is the
 * relay-form signature of body with timestamp (x-tiktok-shop-timestamp,
 * borrowed, may be NULL: decimal Unix seconds) and the timestamp is within
 * TIKTOK_WEBHOOK_RELAY_WINDOW_S of now; compared in constant time ignoring
 * hex case. 0 otherwise. */
int tiktok_webhook_relay_verify(const char *app_secret, const char *timestamp,
                                const char *signature, const void *body, size_t len,
                                long long now);

#endif
