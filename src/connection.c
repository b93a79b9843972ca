/*
 * connection — OAuth, sealed tokens, refresh lock and the TikTok client's
 * hooks (see connection.h).
 */
#include "shopsync/connection.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shopsync/crypto.h"
#include "shopsync/httpx.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"
#include "shopsync/metrics.h"
#include "shopsync/ratelimit.h"
#include "shopsync/skumap.h"
#include "shopsync/util.h"

#define STATE_TTL_S 600
#define REFRESH_MARGIN_S 1800
#define REFRESH_LOCK_MS 120000

struct connection {
    const config_t *cfg;
    redis_conn_t *r;
    tiktok_client_t *client;
    char shop_id[TIKTOK_ID_MAX]; /* for the limiter key, read with the token */
    int rate_wait_ms;            /* longest wait for a limiter slot */
};

/* The connection hash's key into out. Returns 0 or -1 (does not fit). */
SHOPSYNC_MUST_USE static int conn_key(char *out, size_t cap)
{
    return redis_key(out, cap, KEY_TIKTOK_CONNECTION);
}

static long long now_s(void)
{
    return (long long)time(NULL);
}

/* Open a sealed field of the connection hash into out. Returns 0, 1 when
 * absent, -1 on Redis or decryption failure. */
static int read_sealed(connection_t *c, const char *field, char *out, size_t cap)
{
    char k[KEY_MAX];
    if (conn_key(k, sizeof(k)))
        return -1;
    redisReply *rep = redis_cmd(c->r, "HGET %s %s", k, field);
    if (!rep)
        return -1;
    int rc = 1;
    if (rep->type == REDIS_REPLY_STRING) {
        char *pt = NULL;
        size_t n = 0;
        rc = -1;
        /* The field name is the AAD, so a sealed value cannot be swapped
         * into another field. */
        if (crypto_open(c->cfg->secret_key, field, rep->str, &pt, &n) == 0) {
            if (n < cap) {
                memcpy(out, pt, n + 1);
                rc = 0;
            }
            memset(pt, 0, n);
            free(pt);
        } else {
            log_msg(LOG_ERROR, "connection_unseal_failed", "cannot decrypt %s: was SHOPSYNC_SECRET_KEY changed?", field);
        }
    }
    freeReplyObject(rep);
    return rc;
}

static int seal(connection_t *c, const char *field, const char *value, char **out)
{
    return crypto_seal(c->cfg->secret_key, field, value, strlen(value), out);
}

static int hook_get_token(void *ctx, char *token, size_t cap, char *cipher, size_t cipher_cap)
{
    connection_t *c = ctx;
    char k[KEY_MAX];
    if (conn_key(k, sizeof(k)))
        return -1;
    redisReply *rep = redis_cmd(c->r, "HMGET %s needs_reauth shop_id", k);
    if (!rep)
        return -1;
    int reauth = rep->type == REDIS_REPLY_ARRAY && rep->element[0]->type == REDIS_REPLY_STRING &&
                 strcmp(rep->element[0]->str, "1") == 0;
    if (rep->type == REDIS_REPLY_ARRAY && rep->element[1]->type == REDIS_REPLY_STRING)
        snprintf(c->shop_id, sizeof(c->shop_id), "%s", rep->element[1]->str);
    freeReplyObject(rep);
    if (reauth)
        return 1;
    int a = read_sealed(c, "access_token", token, cap);
    if (a != 0)
        return a;
    int s = read_sealed(c, "shop_cipher", cipher, cipher_cap);
    if (s < 0)
        return -1;
    if (s == 1)
        cipher[0] = '\0';
    return 0;
}

static int hook_refresh(void *ctx, const char *failed_token)
{
    return connection_refresh_expired(ctx, failed_token);
}

static void hook_reauth(void *ctx, int code, const char *message)
{
    char reason[600];
    snprintf(reason, sizeof(reason), "TikTok Shop revoked or expired the authorization (code %d: %s)", code, message);
    connection_mark_reauth(ctx, reason);
}

static int hook_rate(void *ctx, const char *api)
{
    connection_t *c = ctx;
    if (!c->shop_id[0])
        connection_shop_id(c, c->shop_id, sizeof(c->shop_id));
    return ratelimit_acquire(c->r, c->shop_id[0] ? c->shop_id : "app", api, c->cfg->tiktok_rate_limit,
                             c->rate_wait_ms);
}

static connection_t *open_with(const config_t *cfg, redis_conn_t *r, int attempts, long timeout_ms, int rate_wait_ms)
{
    connection_t *c = calloc(1, sizeof(*c));
    char err[256];
    if (!c)
        return NULL;
    c->cfg = cfg;
    c->r = r;
    tiktok_config_t tc;
    memset(&tc, 0, sizeof(tc));
    tc.app_key = cfg->tiktok_app_key;
    tc.app_secret = cfg->tiktok_app_secret;
    tc.api_base = cfg->tiktok_api_base;
    tc.auth_base = cfg->tiktok_auth_base;
    tc.hooks.ctx = c;
    tc.hooks.get_token = hook_get_token;
    tc.hooks.refresh_token = hook_refresh;
    tc.hooks.mark_reauth = hook_reauth;
    tc.hooks.rate_acquire = hook_rate;
    tc.hooks.observe = metrics_tiktok_observe;
    tc.max_attempts = attempts;
    tc.timeout_ms = timeout_ms;
    c->rate_wait_ms = rate_wait_ms;
    c->client = tiktok_client_new(&tc, err, sizeof(err));
    if (!c->client) {
        log_msg(LOG_ERROR, "tiktok_client", "%s", err);
        free(c);
        return NULL;
    }
    return c;
}

connection_t *connection_open(const config_t *cfg, redis_conn_t *r)
{
    /* TikTok's 429 bursts last a few seconds; six attempts with backoff ride
     * out one burst before a call gives up. */
    return open_with(cfg, r, 6, 0, 10000);
}

connection_t *connection_open_for_push(const config_t *cfg, redis_conn_t *r)
{
    return open_with(cfg, r, 2, 10000, 5000);
}

void connection_free(connection_t *c)
{
    if (!c)
        return;
    tiktok_client_free(c->client);
    free(c);
}

tiktok_client_t *connection_client(connection_t *c)
{
    return c->client;
}

connection_rc connection_begin_auth(connection_t *c, buf_t *url)
{
    char state[65], k[KEY_MAX];
    if (!config_tiktok_configured(c->cfg))
        return CONN_NOT_CONFIGURED;
    if (crypto_random_hex(32, state) != 0 || redis_key(k, sizeof(k), KEY_OAUTH_STATE_FMT, state))
        return CONN_UNAVAILABLE;
    redisReply *rep = redis_cmd(c->r, "SET %s 1 EX %d", k, STATE_TTL_S);
    int ok = rep && rep->type == REDIS_REPLY_STATUS;
    if (rep)
        freeReplyObject(rep);
    if (!ok)
        return CONN_UNAVAILABLE;
    buf_reset(url);
    const char *base = c->cfg->tiktok_authorize_url;
    if (buf_appendf(url, "%s%sservice_id=", base, strchr(base, '?') ? "&" : "?") ||
        httpx_urlencode(url, c->cfg->tiktok_service_id) || buf_appends(url, "&state=") ||
        httpx_urlencode(url, state))
        return CONN_UNAVAILABLE;
    return CONN_OK;
}

/* Delete the state; 1 when it existed (valid, now used), 0 when not. */
static int consume_state(connection_t *c, const char *state)
{
    char k[KEY_MAX];
    if (!state || !*state || strlen(state) > 128 || redis_key(k, sizeof(k), KEY_OAUTH_STATE_FMT, state))
        return 0;
    redisReply *rep = redis_cmd(c->r, "DEL %s", k);
    if (!rep)
        return -1;
    int n = rep->type == REDIS_REPLY_INTEGER ? (int)rep->integer : 0;
    freeReplyObject(rep);
    return n == 1;
}

/* Store tokens sealed. Returns 0 or -1. */
static int store_tokens(connection_t *c, const tiktok_tokens_t *t)
{
    char *at = NULL, *rt = NULL;
    char k[KEY_MAX], a_exp[32], r_exp[32], now[32];
    int rc = -1;
    if (conn_key(k, sizeof(k)) || seal(c, "access_token", t->access_token, &at) ||
        seal(c, "refresh_token", t->refresh_token, &rt))
        goto out;
    snprintf(a_exp, sizeof(a_exp), "%lld", t->access_token_expire_at);
    snprintf(r_exp, sizeof(r_exp), "%lld", t->refresh_token_expire_at);
    snprintf(now, sizeof(now), "%lld", now_s());
    const char *argv[] = {"HSET", k, "access_token", at, "refresh_token", rt, "access_expires_at", a_exp,
                          "refresh_expires_at", r_exp, "tokens_updated_at", now, "needs_reauth", "0",
                          "reauth_reason", ""};
    redisReply *rep = redis_cmd_argv(c->r, 16, argv, NULL);
    if (rep && rep->type == REDIS_REPLY_INTEGER)
        rc = 0;
    if (rep)
        freeReplyObject(rep);
out:
    free(at);
    free(rt);
    return rc;
}

/* TikTok ids learnt for one shop mean nothing in another: when the seller
 * connects a different shop, forget the old mappings so the next sync creates
 * the products there. Returns 0 or -1. */
static int forget_other_shop(connection_t *c, const char *shop_id)
{
    char k[KEY_MAX];
    if (redis_key(k, sizeof(k), KEY_TIKTOK_LAST_SHOP_ID))
        return -1;
    redisReply *rep = redis_cmd(c->r, "GET %s", k);
    if (!rep)
        return -1;
    int other = rep->type == REDIS_REPLY_STRING && strcmp(rep->str, shop_id) != 0;
    int first = rep->type != REDIS_REPLY_STRING;
    freeReplyObject(rep);
    if (other) {
        log_msg(LOG_INFO, "tiktok_shop_changed", "a different shop was connected: forgetting product mappings");
        if (skumap_clear(c->r) != 0)
            return -1;
    }
    if (other || first) {
        char fk[KEY_MAX], now[32];
        if (redis_key(fk, sizeof(fk), KEY_TIKTOK_FIRST_CONNECTED_AT))
            return -1;
        snprintf(now, sizeof(now), "%lld", now_s());
        rep = redis_cmd(c->r, "SET %s %s", fk, now);
        if (rep)
            freeReplyObject(rep);
    }
    rep = redis_cmd(c->r, "SET %s %s", k, shop_id);
    int ok = rep && rep->type == REDIS_REPLY_STATUS;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

connection_rc connection_callback(connection_t *c, const char *state, const char *code,
                                  const char *error, char *err, size_t errlen)
{
    tiktok_tokens_t tok;
    tiktok_shops_t shops = {0};
    tiktok_result_t res;
    connection_rc rc = CONN_EXCHANGE_FAILED;
    char k[KEY_MAX], wk[KEY_MAX];
    char *cipher = NULL;

    memset(&res, 0, sizeof(res));
    if (!config_tiktok_configured(c->cfg)) {
        snprintf(err, errlen, "TikTok Shop app credentials are not configured");
        return CONN_NOT_CONFIGURED;
    }
    int s = consume_state(c, state);
    if (s < 0)
        return CONN_UNAVAILABLE;
    if (s == 0) {
        snprintf(err, errlen, "this authorization link is unknown, expired or was already used; start again with Connect TikTok Shop");
        return CONN_INVALID_STATE;
    }
    if (error && *error) {
        snprintf(err, errlen, "%s", strcmp(error, "auth_denied") == 0
                                        ? "you declined the authorization on TikTok Shop"
                                        : "TikTok Shop reported an authorization error");
        return CONN_DENIED;
    }
    if (!code || !*code) {
        snprintf(err, errlen, "TikTok Shop did not send an authorization code");
        return CONN_EXCHANGE_FAILED;
    }
    char terr[512];
    tiktok_kind_t kind = tiktok_token_get(c->client, code, &tok, terr, sizeof(terr));
    if (kind != TIKTOK_OK) {
        snprintf(err, errlen, "TikTok Shop did not accept the authorization code: %s", terr);
        goto out;
    }
    if (store_tokens(c, &tok) != 0) {
        rc = CONN_UNAVAILABLE;
        goto out;
    }
    if (tiktok_get_authorized_shops(c->client, &shops, &res) != 0 || shops.n == 0) {
        snprintf(err, errlen, "could not read the authorized shop from TikTok Shop: %s",
                 res.message[0] ? res.message : "no shop was authorized");
        connection_disconnect(c);
        goto out;
    }
    const tiktok_shop_t *shop = &shops.items[0];
    if (seal(c, "shop_cipher", shop->cipher, &cipher) != 0)
        goto out;
    if (forget_other_shop(c, shop->id) != 0) {
        rc = CONN_UNAVAILABLE;
        goto out;
    }
    if (conn_key(k, sizeof(k)) || redis_key(wk, sizeof(wk), KEY_TIKTOK_WAREHOUSES)) {
        rc = CONN_UNAVAILABLE;
        goto out;
    }
    char now[32];
    snprintf(now, sizeof(now), "%lld", now_s());
    const char *argv[] = {"HSET", k, "shop_id", shop->id, "shop_name", shop->name, "shop_region", shop->region,
                          "shop_cipher", cipher, "seller_name", tok.seller_name, "connected_at", now,
                          "warning", ""};
    redisReply *rep = redis_cmd_argv(c->r, 16, argv, NULL);
    if (!rep || rep->type != REDIS_REPLY_INTEGER) {
        if (rep)
            freeReplyObject(rep);
        rc = CONN_UNAVAILABLE;
        goto out;
    }
    freeReplyObject(rep);
    /* Warehouses of a previously connected shop must not leak into this one. */
    rep = redis_cmd(c->r, "DEL %s", wk);
    if (rep)
        freeReplyObject(rep);
    log_event(LOG_INFO, "tiktok_connected", json_pack("{s:s,s:s,s:s}", "shop_id", shop->id, "shop_name", shop->name,
                                                      "region", shop->region));
    rc = CONN_OK;
out:
    memset(&tok, 0, sizeof(tok));
    free(cipher);
    tiktok_shops_free(&shops);
    tiktok_result_free(&res);
    return rc;
}

/* Expiry, needs_reauth and presence of the stored tokens. Returns 0, or -1
 * when Redis did not answer. */
static int token_state(connection_t *c, long long *exp, int *reauth, int *have)
{
    char k[KEY_MAX];
    if (conn_key(k, sizeof(k)))
        return -1;
    redisReply *rep = redis_cmd(c->r, "HMGET %s access_expires_at needs_reauth", k);
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
        if (rep)
            freeReplyObject(rep);
        return -1;
    }
    *have = rep->element[0]->type == REDIS_REPLY_STRING;
    *exp = *have ? strtoll(rep->element[0]->str, NULL, 10) : 0;
    *reauth = rep->element[1]->type == REDIS_REPLY_STRING && strcmp(rep->element[1]->str, "1") == 0;
    freeReplyObject(rep);
    return 0;
}

/* 1 when the stored access token is failed (borrowed), 0 when another
 * thread or instance has replaced it, -1 when it cannot be read. */
static int token_is(connection_t *c, const char *failed)
{
    char stored[TIKTOK_TOKEN_MAX];
    int rc = read_sealed(c, "access_token", stored, sizeof(stored));
    int same = rc == 0 ? strcmp(stored, failed) == 0 : -1;
    memset(stored, 0, sizeof(stored));
    return same;
}

/* Refresh under the cross-instance lock. failed (borrowed) is the access
 * token TikTok called expired, or NULL for a refresh by expiry (force: even
 * when not due). Whoever holds the lock first refreshes; the others wait for
 * it and then use its token. Once the lock is ours the need is checked
 * again, as a refresher may have finished between the caller's read and
 * the lock. Returns 0 or -1. */
static int refresh_locked(connection_t *c, const char *failed, int force)
{
    char lock[KEY_MAX], owner[33];
    char refresh[TIKTOK_TOKEN_MAX];
    tiktok_tokens_t tok;
    long long exp = 0;
    int reauth = 0, have = 0, rc = -1;

    memset(&tok, 0, sizeof(tok));
    if (redis_key(lock, sizeof(lock), KEY_TIKTOK_REFRESH_LOCK) || crypto_random_hex(16, owner) != 0)
        return -1;
    redisReply *rep = redis_cmd(c->r, "SET %s %s NX PX %d", lock, owner, REFRESH_LOCK_MS);
    int got = rep && rep->type == REDIS_REPLY_STATUS;
    if (rep)
        freeReplyObject(rep);
    if (!got) {
        /* Someone else is refreshing: wait for them, then use their token. */
        for (int i = 0; i < 300; i++) {
            util_sleep_ms(100);
            rep = redis_cmd(c->r, "EXISTS %s", lock);
            int held = rep && rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
            if (rep)
                freeReplyObject(rep);
            if (!held)
                return 0;
        }
        return -1;
    }
    if (token_state(c, &exp, &reauth, &have) != 0 || !have || reauth)
        goto unlock;
    if (failed) {
        int same = token_is(c, failed);
        if (same <= 0) {
            rc = same == 0 ? 0 : -1;
            goto unlock;
        }
    } else if (!force && exp - now_s() > REFRESH_MARGIN_S) {
        rc = 0;
        goto unlock;
    }
    if (read_sealed(c, "refresh_token", refresh, sizeof(refresh)) != 0)
        goto unlock;
    char terr[512];
    tiktok_kind_t kind = tiktok_token_refresh(c->client, refresh, &tok, terr, sizeof(terr));
    if (kind == TIKTOK_OK) {
        rc = store_tokens(c, &tok);
        log_msg(LOG_INFO, "tiktok_token_refreshed", "access token refreshed, expires at %lld", tok.access_token_expire_at);
    } else if (kind == TIKTOK_REAUTH || kind == TIKTOK_PERMANENT) {
        char reason[700];
        snprintf(reason, sizeof(reason), "the token refresh was refused: %s", terr);
        connection_mark_reauth(c, reason);
    } else {
        log_msg(LOG_WARN, "tiktok_token_refresh_failed", "%s", terr);
    }
unlock:
    memset(refresh, 0, sizeof(refresh));
    memset(&tok, 0, sizeof(tok));
    /* An unanswered unlock leaves the lock to expire by itself. */
    redis_unlock(c->r, lock, owner);
    return rc;
}

int connection_refresh(connection_t *c, int force)
{
    long long exp = 0;
    int reauth = 0, have = 0;
    if (token_state(c, &exp, &reauth, &have) != 0 || !have || reauth)
        return -1;
    if (!force && exp - now_s() > REFRESH_MARGIN_S)
        return 0;
    return refresh_locked(c, NULL, force);
}

int connection_refresh_expired(connection_t *c, const char *failed_token)
{
    long long exp = 0;
    int reauth = 0, have = 0;
    if (!failed_token || !failed_token[0] || token_state(c, &exp, &reauth, &have) != 0 || !have ||
        reauth)
        return -1;
    /* Compare tokens, not clocks: a token another thread or instance has
     * already replaced needs no refresh, however long ago that was, and a
     * token still stored needs one, however recent the last refresh. */
    int same = token_is(c, failed_token);
    if (same <= 0)
        return same == 0 ? 0 : -1;
    return refresh_locked(c, failed_token, 1);
}

void connection_mark_reauth(connection_t *c, const char *reason)
{
    char k[KEY_MAX];
    if (conn_key(k, sizeof(k)) == 0) {
        redisReply *rep = redis_cmd(c->r, "HSET %s needs_reauth 1 reauth_reason %s", k, reason);
        if (rep)
            freeReplyObject(rep);
    }
    log_msg(LOG_WARN, "tiktok_needs_reauth", "%s", reason);
}

void connection_set_warning(connection_t *c, const char *warning)
{
    char k[KEY_MAX];
    if (conn_key(k, sizeof(k)))
        return;
    redisReply *rep = redis_cmd(c->r, "HSET %s warning %s", k, warning);
    if (rep)
        freeReplyObject(rep);
}

static json_t *field_str(redisReply *e)
{
    return e->type == REDIS_REPLY_STRING && e->len ? json_string(e->str) : json_null();
}

static json_t *field_int(redisReply *e)
{
    return e->type == REDIS_REPLY_STRING && e->len ? json_integer(strtoll(e->str, NULL, 10)) : json_null();
}

connection_rc connection_status(connection_t *c, json_t **out)
{
    char k[KEY_MAX];
    *out = NULL;
    if (conn_key(k, sizeof(k)))
        return CONN_UNAVAILABLE;
    redisReply *rep = redis_cmd(c->r,
                                "HMGET %s shop_id shop_name shop_region access_expires_at refresh_expires_at "
                                "needs_reauth reauth_reason warning connected_at access_token",
                                k);
    if (!rep)
        return CONN_UNAVAILABLE;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 10) {
        freeReplyObject(rep);
        return CONN_UNAVAILABLE;
    }
    redisReply **e = rep->element;
    int has_shop = e[0]->type == REDIS_REPLY_STRING && e[9]->type == REDIS_REPLY_STRING;
    int reauth = e[5]->type == REDIS_REPLY_STRING && strcmp(e[5]->str, "1") == 0;
    /* Without the app credentials no call can be signed: a stored shop is
     * shown, but nothing is sent to it or fetched from it. */
    int configured = config_tiktok_configured(c->cfg);
    json_t *shop = has_shop ? json_pack("{s:o,s:o,s:o}", "id", field_str(e[0]), "name", field_str(e[1]),
                                        "region", field_str(e[2]))
                            : json_null();
    *out = json_pack("{s:b,s:b,s:b,s:o,s:o,s:o,s:o,s:o,s:o}", "configured", configured,
                     "connected", has_shop && !reauth && configured, "needs_reauth", has_shop && reauth, "reauth_reason",
                     reauth ? field_str(e[6]) : json_null(), "shop", shop, "access_token_expires_at",
                     has_shop ? field_int(e[3]) : json_null(), "refresh_token_expires_at",
                     has_shop ? field_int(e[4]) : json_null(), "warning", field_str(e[7]), "connected_at",
                     has_shop ? field_int(e[8]) : json_null());
    freeReplyObject(rep);
    return *out ? CONN_OK : CONN_UNAVAILABLE;
}

int connection_is_connected(connection_t *c)
{
    json_t *st = NULL;
    if (connection_status(c, &st) != CONN_OK)
        return 0;
    int ok = json_is_true(json_object_get(st, "connected"));
    json_decref(st);
    return ok;
}

long long connection_first_connected_at(connection_t *c)
{
    char k[KEY_MAX];
    if (redis_key(k, sizeof(k), KEY_TIKTOK_FIRST_CONNECTED_AT))
        return 0;
    redisReply *rep = redis_cmd(c->r, "GET %s", k);
    long long v = rep && rep->type == REDIS_REPLY_STRING ? strtoll(rep->str, NULL, 10) : 0;
    if (rep)
        freeReplyObject(rep);
    return v;
}

int connection_shop_id(connection_t *c, char *out, size_t cap)
{
    char k[KEY_MAX];
    if (conn_key(k, sizeof(k)))
        return -1;
    return redis_get_str(c->r, out, cap, "HGET %s shop_id", k);
}

connection_rc connection_disconnect(connection_t *c)
{
    char k[KEY_MAX], wk[KEY_MAX];
    if (conn_key(k, sizeof(k)) || redis_key(wk, sizeof(wk), KEY_TIKTOK_WAREHOUSES))
        return CONN_UNAVAILABLE;
    redisReply *rep = redis_cmd(c->r, "DEL %s %s", k, wk);
    if (!rep)
        return CONN_UNAVAILABLE;
    freeReplyObject(rep);
    log_msg(LOG_INFO, "tiktok_disconnected", "tokens and shop data deleted");
    return CONN_OK;
}

int connection_warehouses(connection_t *c, json_t **out, char *err, size_t errlen)
{
    char wk[KEY_MAX], jerr[128];
    tiktok_warehouses_t w = {0};
    tiktok_result_t res;
    *out = NULL;
    if (redis_key(wk, sizeof(wk), KEY_TIKTOK_WAREHOUSES)) {
        snprintf(err, errlen, "the warehouses' Redis key is too long (SHOPSYNC_REDIS_PREFIX)");
        return -1;
    }
    redisReply *rep = redis_cmd(c->r, "GET %s", wk);
    if (!rep) {
        snprintf(err, errlen, "Redis is not answering");
        return -1;
    }
    if (rep->type == REDIS_REPLY_STRING) {
        *out = jsonx_loadb(rep->str, rep->len, jerr, sizeof(jerr));
        freeReplyObject(rep);
        if (*out)
            return 0;
    } else {
        freeReplyObject(rep);
    }
    memset(&res, 0, sizeof(res));
    if (tiktok_get_warehouses(c->client, &w, &res) != 0) {
        snprintf(err, errlen, "could not read warehouses from TikTok Shop: %s", res.message);
        tiktok_result_free(&res);
        return -1;
    }
    tiktok_result_free(&res);
    json_t *ids = json_array();
    const char *preferred = c->cfg->tiktok_warehouse_id;
    /* The configured warehouse, else the default one, goes first: that is
     * where new products get their stock. */
    for (int pass = 0; pass < 3; pass++) {
        for (size_t i = 0; i < w.n; i++) {
            const tiktok_warehouse_t *x = &w.items[i];
            if (strcmp(x->type, "SALES_WAREHOUSE") != 0 || (x->effect_status[0] && strcmp(x->effect_status, "ENABLED") != 0))
                continue;
            int is_pref = preferred[0] && strcmp(x->id, preferred) == 0;
            if ((pass == 0 && is_pref) || (pass == 1 && !is_pref && !preferred[0] && x->is_default) ||
                (pass == 2 && !is_pref && !(pass == 2 && !preferred[0] && x->is_default)))
                json_array_append_new(ids, json_string(x->id));
        }
    }
    tiktok_warehouses_free(&w);
    if (preferred[0] && (json_array_size(ids) == 0 || strcmp(json_string_value(json_array_get(ids, 0)), preferred) != 0)) {
        snprintf(err, errlen, "TIKTOK_SHOP_WAREHOUSE_ID %s is not an enabled sales warehouse of the shop", preferred);
        json_decref(ids);
        return -1;
    }
    if (json_array_size(ids) == 0) {
        snprintf(err, errlen, "the TikTok shop has no enabled sales warehouse");
        json_decref(ids);
        return -1;
    }
    char *text = jsonx_dump(ids);
    if (text) {
        rep = redis_cmd(c->r, "SET %s %s EX 3600", wk, text);
        if (rep)
            freeReplyObject(rep);
        free(text);
    }
    *out = ids;
    return 0;
}
