/*
 * ads_account — the TikTok Ads account for reporting (Marketing API OAuth):
 * the authorize link with a single-use state, the callback's token
 * exchange, the advertisers the token reaches (name, currency, time zone),
 * which of them the report covers, the refused-token state (40102/40105:
 * reconnect) and disconnect (TikTok revokes the token). The Marketing API
 * token is long-lived; it is stored sealed with AES-256-GCM like every other
 * token and leaves this module only to the transport.
 *
 * Redis: P ads:account (hash: token sealed, advertisers and selected as
 * JSON, connected_at, error, error_at, reconnect), P ads:oauth_state:<state>
 * (TTL 10 min, deleted when used).
 */
#ifndef SHOPSYNC_ADS_ACCOUNT_H
#define SHOPSYNC_ADS_ACCOUNT_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/buf.h"
#include "shopsync/config.h"
#include "shopsync/redis.h"

#define ADS_ACCOUNT_TOKEN_MAX 1024
#define ADS_ACCOUNT_ERR_MAX 600

typedef enum {
    ADS_ACCOUNT_OK = 0,
    ADS_ACCOUNT_NOT_CONFIGURED = 1, /* TIKTOK_APP_ID / TIKTOK_APP_SECRET not set */
    ADS_ACCOUNT_INVALID_STATE = 2,  /* unknown, expired or used state */
    ADS_ACCOUNT_DENIED = 3,         /* no auth_code: the advertiser declined */
    ADS_ACCOUNT_EXCHANGE_FAILED = 4,/* TikTok refused the code or answered badly (err says) */
    ADS_ACCOUNT_NOT_CONNECTED = 5,
    ADS_ACCOUNT_UNAVAILABLE = -1    /* Redis */
} ads_account_rc;

/* The authorize URL (TIKTOK_ADS_AUTHORIZE_URL with app_id, a new
 * single-use state and redirect_uri) into url (reset first). */
ads_account_rc ads_account_begin(const config_t *cfg, redis_conn_t *r, buf_t *url);

/* The OAuth callback: consume state (borrowed), exchange auth_code
 * (borrowed) for the token, read the advertisers, store them sealed. A
 * single advertiser is selected by itself; a reconnect keeps the selection
 * of advertisers still reachable. err receives the reason of a failure. */
ads_account_rc ads_account_callback(const config_t *cfg, redis_conn_t *r, const char *state, const char *auth_code,
                                    char *err, size_t errlen);

/* The account for the admin API (new object in *out): configured,
 * connected, advertisers [{id,name,currency,timezone}], selected [ids],
 * error (a message or null), reconnect (bool), connected_at; the caller adds
 * last_spend_sync (ads_spend). Returns 0 or -1. */
int ads_account_status(const config_t *cfg, redis_conn_t *r, json_t **out);

/* Select advertisers from body (borrowed: {"advertiser_ids":[...]}, each
 * one of the account's). Returns ADS_ACCOUNT_OK, ADS_ACCOUNT_NOT_CONNECTED,
 * ADS_ACCOUNT_EXCHANGE_FAILED for an invalid body (err names the field), or
 * ADS_ACCOUNT_UNAVAILABLE. */
ads_account_rc ads_account_select(redis_conn_t *r, const json_t *body, char *err, size_t errlen);

/* Revoke the token at TikTok (a failure there is logged: the token is
 * forgotten either way) and forget it; the advertisers and the selection
 * stay for the report and a later reconnect. */
ads_account_rc ads_account_disconnect(const config_t *cfg, redis_conn_t *r);

/* The token into token (ADS_ACCOUNT_TOKEN_MAX bytes; wipe it after use) and
 * the selected advertisers as a new array of {id,name,currency,timezone}
 * into *selected (may be NULL). */
ads_account_rc ads_account_load(const config_t *cfg, redis_conn_t *r, char *token, json_t **selected);

/* The advertisers the report covers (new array of
 * {id,name,currency,timezone}) into *out, connected or not: a disconnect
 * keeps the selection so the spend already pulled stays in the report.
 * Returns 0 or -1. */
int ads_account_selected(redis_conn_t *r, json_t **out);

/* Record that TikTok refused the token (message borrowed): the page shows
 * it and asks to reconnect. Returns 0 or -1. */
int ads_account_refused(redis_conn_t *r, const char *message);

#endif
