/*
 * ads_connection — the TikTok Ads (Events API) connection: the pixel, its
 * Events API access token, the test event code and the offline event set.
 * The values come from the environment unless the admin page saved its own
 * (then the page's win, all four together, until deleted). The access token
 * is stored sealed with AES-256-GCM, as TikTok Shop tokens are, and never
 * leaves this module except to the transport. When TikTok refuses a token
 * (40102/40104/40105) its fingerprint is recorded with TikTok's message:
 * events are held until a different token is in force.
 *
 * Redis: P ads:connection (hash: pixel_id, access_token sealed,
 * test_event_code, offline_event_set_id, saved, saved_at, rejected_fp,
 * rejected_message, rejected_at, last_sent_at, last_sent_event,
 * last_sent_event_id, last_sent_source).
 */
#ifndef SHOPSYNC_ADS_CONNECTION_H
#define SHOPSYNC_ADS_CONNECTION_H

#include <jansson.h>

#include "shopsync/config.h"
#include "shopsync/redis.h"

#define ADS_ID_MAX 128
#define ADS_TOKEN_MAX 1024
#define ADS_MESSAGE_MAX 512

/* The connection in force. Holds the plaintext token: keep it on the
 * stack of the thread that sends, and clear it (ads_connection_clear). */
typedef struct ads_connection {
    char pixel_id[ADS_ID_MAX];
    char access_token[ADS_TOKEN_MAX];
    char test_event_code[ADS_ID_MAX];
    char offline_event_set_id[ADS_ID_MAX];
    int from_page;                        /* 1: saved on the admin page, 0: environment */
    char token_fp[17];                    /* first 16 hex of SHA-256(token), "" without one */
    char rejected_message[ADS_MESSAGE_MAX]; /* TikTok's message when it refused this token, else "" */
} ads_connection_t;

/* Read the connection in force into *out. Returns 0, or -1 when Redis is
 * unavailable or the saved token cannot be opened (wrong
 * SHOPSYNC_SECRET_KEY). */
int ads_connection_load(const config_t *cfg, redis_conn_t *r, ads_connection_t *out);

/* 1 when web events can be sent: a pixel and a token. */
int ads_connection_ready(const ads_connection_t *c);

/* Wipe the token from c. */
void ads_connection_clear(ads_connection_t *c);

/* Save the page's values from body (borrowed: {"pixel_id","access_token",
 * "test_event_code","offline_event_set_id"}). pixel_id is required;
 * access_token may be left out to keep the token in force; the two
 * optional ones are cleared when left out or empty. A saved token clears
 * the refused state. Returns 0, 1 when the body is invalid (field and
 * reason in err), -1 when Redis is unavailable. */
int ads_connection_save(const config_t *cfg, redis_conn_t *r, const json_t *body, char *err, size_t errlen);

/* Forget the page's values (the environment's apply again) and the refused
 * state. Returns 0 or -1. */
int ads_connection_delete(redis_conn_t *r);

/* Record that TikTok refused the token with fingerprint fp (borrowed) with
 * message (borrowed). Returns 0 or -1. */
int ads_connection_reject(redis_conn_t *r, const char *fp, const char *message);

/* Record the last event TikTok accepted: source, event and event_id
 * (borrowed). Returns 0 or -1. */
int ads_connection_sent(redis_conn_t *r, const char *source, const char *event, const char *event_id);

/* The status for the admin API (new object in *out): connected, pixel_id,
 * test_mode, test_event_code, offline_event_set_id, configured_from,
 * last_event_sent, token_rejected (TikTok's message or null). Never the
 * token. Returns 0 or -1. */
int ads_connection_status(const config_t *cfg, redis_conn_t *r, json_t **out);

#endif
