/*
 * connection — the shop's TikTok Shop connection: OAuth state, the token
 * exchange, tokens and shop cipher sealed at rest (AES-256-GCM), refresh with
 * one refresher at a time across instances, the needs-reauthorization flag,
 * the shop's warehouses, and a TikTok client whose hooks use all of that.
 *
 * Redis: P tiktok:connection (hash), P oauth:state:<state> (10 min, single
 * use), P tiktok:refresh_lock.
 */
#ifndef SHOPSYNC_CONNECTION_H
#define SHOPSYNC_CONNECTION_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/buf.h"
#include "shopsync/config.h"
#include "shopsync/redis.h"
#include "shopsync/tiktok.h"

typedef struct connection connection_t;

typedef enum {
    CONN_OK = 0,
    CONN_INVALID_STATE = 1,  /* missing, unknown, expired or reused state */
    CONN_DENIED = 2,         /* the seller pressed Deny */
    CONN_EXCHANGE_FAILED = 3,/* TikTok refused the code or the shop lookup */
    CONN_NOT_CONFIGURED = 4, /* app key / secret / service id missing */
    CONN_UNAVAILABLE = -1    /* Redis did not answer */
} connection_rc;

/* A connection handle for this thread: cfg and r are borrowed and must
 * outlive it. Returns a new handle or NULL. */
connection_t *connection_open(const config_t *cfg, redis_conn_t *r);

/* A handle for stock pushes: each TikTok call gives up sooner (2 attempts,
 * 10 s timeout, 5 s limiter wait) so a push always ends well inside its
 * per-SKU lock; the dirty mark retries it with a fresh stock read. */
connection_t *connection_open_for_push(const config_t *cfg, redis_conn_t *r);

/* Free a handle (NULL is fine). */
void connection_free(connection_t *c);

/* The handle's TikTok client (borrowed), with hooks bound to this handle. */
tiktok_client_t *connection_client(connection_t *c);

/* Create a single-use state and write the authorize URL into url. */
connection_rc connection_begin_auth(connection_t *c, buf_t *url);

/* Handle the OAuth callback: consume state, then exchange code (or honour
 * error), then look up the authorized shop and store it. err gets a
 * seller-readable reason. */
connection_rc connection_callback(connection_t *c, const char *state, const char *code,
                                  const char *error, char *err, size_t errlen);

/* Refresh the access token under the cross-instance lock. With force=0 only
 * when it expires within the refresh margin. Returns 0 (refreshed, not due,
 * or done by another instance), -1 on failure. */
int connection_refresh(connection_t *c, int force);

/* TikTok answered 105002 (expired) for failed_token (borrowed): refresh,
 * under the cross-instance lock, only while the stored access token is still
 * that one. When another thread or instance has already replaced it, return
 * 0 at once so the caller retries with the stored token. Returns 0 (the
 * stored token is now another one), -1 on failure. */
int connection_refresh_expired(connection_t *c, const char *failed_token);

/* Mark the connection as needing re-authorization, with a reason. */
void connection_mark_reauth(connection_t *c, const char *reason);

/* Record a warning shown on the status (e.g. authorization expiring). */
void connection_set_warning(connection_t *c, const char *warning);

/* Status object (new reference): configured, connected, needs_reauth,
 * reauth_reason, shop, access_token_expires_at, refresh_token_expires_at,
 * warning. */
connection_rc connection_status(connection_t *c, json_t **out);

/* 1 when a shop with tokens is stored, does not need re-authorization, and
 * the app credentials are configured (calls can be signed). */
int connection_is_connected(connection_t *c);

/* Shop id into out (cap bytes). Returns 0, 1 when not connected, -1. */
int connection_shop_id(connection_t *c, char *out, size_t cap);

/* Unix time the current shop was first connected (kept across reconnects
 * of the same shop), 0 when unknown. */
long long connection_first_connected_at(connection_t *c);

/* Delete tokens, shop data and cached warehouses. */
connection_rc connection_disconnect(connection_t *c);

/* The shop's enabled sales warehouse ids (new array of strings), the
 * configured or default warehouse first; fetched once and cached. */
int connection_warehouses(connection_t *c, json_t **out, char *err, size_t errlen);

#endif
