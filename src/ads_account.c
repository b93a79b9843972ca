/*
 * ads_account — the Marketing API account: OAuth, advertisers, selection,
 * refused token, disconnect (see ads_account.h).
 */
#include "shopsync/ads_account.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shopsync/ads_client.h"
#include "shopsync/crypto.h"
#include "shopsync/httpx.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"

#define STATE_TTL_S 600
/* The sealed field's AAD: the value cannot be moved into another field or
 * the Events API connection. */
#define TOKEN_AAD "ads:marketing_token"
#define PATH_MAX_BYTES 4096
#define MAX_ADVERTISERS 200

ads_account_rc ads_account_begin(const config_t *cfg, redis_conn_t *r, buf_t *url)
{
    char state[65], k[KEY_MAX];
    if (!config_ads_app_configured(cfg))
        return ADS_ACCOUNT_NOT_CONFIGURED;
    if (crypto_random_hex(32, state) != 0 || redis_key(k, sizeof(k), KEY_ADS_OAUTH_STATE_FMT, state))
        return ADS_ACCOUNT_UNAVAILABLE;
    if (!redis_done(redis_cmd(r, "SET %s 1 EX %d", k, STATE_TTL_S)))
        return ADS_ACCOUNT_UNAVAILABLE;
    const char *base = cfg->ads_authorize_url;
    buf_reset(url);
    if (buf_appendf(url, "%s%sapp_id=", base, strchr(base, '?') ? "&" : "?") || httpx_urlencode(url, cfg->ads_app_id) ||
        buf_appends(url, "&state=") || httpx_urlencode(url, state) || buf_appends(url, "&redirect_uri=") ||
        httpx_urlencode(url, cfg->ads_redirect_uri))
        return ADS_ACCOUNT_UNAVAILABLE;
    return ADS_ACCOUNT_OK;
}

/* Delete the state: 1 when it existed (now used), 0 when not, -1 Redis. */
static int consume_state(redis_conn_t *r, const char *state)
{
    char k[KEY_MAX];
    /* Our states are 64 hex characters: anything else is forged. */
    if (!state || strlen(state) != 64 || strspn(state, "0123456789abcdef") != 64 ||
        redis_key(k, sizeof(k), KEY_ADS_OAUTH_STATE_FMT, state))
        return 0;
    redisReply *rep = redis_cmd(r, "DEL %s", k);
    if (!rep)
        return -1;
    int n = rep->type == REDIS_REPLY_INTEGER ? (int)rep->integer : 0;
    freeReplyObject(rep);
    return n == 1;
}

/* A JSON array of strings (borrowed) as text for a query, e.g. ["1","2"]:
 * a new string. */
static char *id_list(const json_t *ids)
{
    return json_dumps(ids, JSON_COMPACT);
}

/* Read the advertisers of token: names from oauth2/advertiser/get/,
 * currency and time zone from advertiser/info/ (a failure there leaves them
 * empty rather than failing the connect). *out is a new array of
 * {id,name,currency,timezone}. Returns an ads_client_rc with msg. */
static ads_client_rc read_advertisers(const config_t *cfg, const char *token, json_t **out, char *msg, size_t msglen)
{
    ads_client_config_t cc = {.api_base = cfg->ads_api_base, .access_token = token, .timeout_ms = 15000};
    ads_client_result_t res;
    buf_t path;
    char *ids_text = NULL;
    json_t *ids = json_array();
    ads_client_rc rc = ADS_CLIENT_DEAD;

    *out = json_array();
    buf_init(&path, PATH_MAX_BYTES);
    memset(&res, 0, sizeof(res));
    const char *p1[] = {"app_id", cfg->ads_app_id, "secret", cfg->ads_app_secret, NULL};
    if (ads_client_path(&path, "/open_api/v1.3/oauth2/advertiser/get/", p1)) {
        snprintf(msg, msglen, "the request is too long");
        goto out;
    }
    rc = ads_client_call(&cc, "GET", path.data, NULL, 0, &res, msg, msglen);
    if (rc != ADS_CLIENT_OK)
        goto out;
    size_t i;
    const json_t *a;
    json_array_foreach(json_object_get(res.data, "list"), i, a) {
        /* 64 digits at most: a longer or empty id does not fit and is skipped. */
        char ids_s[65], ierr[64];
        if (jsonx_get_id(a, "advertiser_id", ids_s, sizeof(ids_s), ierr, sizeof(ierr)) != 0 ||
            strspn(ids_s, "0123456789") != strlen(ids_s) || json_array_size(*out) >= MAX_ADVERTISERS)
            continue;
        const char *name = json_string_value(json_object_get(a, "advertiser_name"));
        json_array_append_new(*out, json_pack("{s:s,s:s,s:s,s:s}", "id", ids_s, "name", name ? name : "", "currency", "",
                                              "timezone", ""));
        json_array_append_new(ids, json_string(ids_s));
    }
    ads_client_result_free(&res);
    if (json_array_size(ids) == 0)
        goto out;
    ids_text = id_list(ids);
    const char *p2[] = {"advertiser_ids", ids_text ? ids_text : "[]", NULL};
    char imsg[ADS_CLIENT_MSG_MAX];
    if (ads_client_path(&path, "/open_api/v1.3/advertiser/info/", p2) ||
        ads_client_call(&cc, "GET", path.data, NULL, 0, &res, imsg, sizeof(imsg)) != ADS_CLIENT_OK) {
        log_event(LOG_WARN, "ads_advertiser_info_failed", json_pack("{s:s}", "error", imsg));
        goto out;
    }
    json_array_foreach(json_object_get(res.data, "list"), i, a) {
        /* Only ids kept above (1 to 64 digits) can match. */
        char want[65], ierr[64];
        int have = jsonx_get_id(a, "advertiser_id", want, sizeof(want), ierr, sizeof(ierr)) == 0;
        size_t j;
        json_t *mine;
        json_array_foreach(*out, j, mine) {
            if (!have || strcmp(json_string_value(json_object_get(mine, "id")), want) != 0)
                continue;
            const char *cur = json_string_value(json_object_get(a, "currency"));
            const char *tz = json_string_value(json_object_get(a, "timezone"));
            const char *dtz = json_string_value(json_object_get(a, "display_timezone"));
            if (cur && strlen(cur) == 3)
                json_object_set_new(mine, "currency", json_string(cur));
            if (tz || dtz)
                json_object_set_new(mine, "timezone", json_string(dtz ? dtz : tz));
        }
    }
out:
    ads_client_result_free(&res);
    free(ids_text);
    json_decref(ids);
    buf_free(&path);
    return rc;
}

/* The selection kept across a reconnect: previous ids (JSON text, may be
 * NULL) still among advertisers; a lone advertiser is selected by itself.
 * A new array. */
static json_t *keep_selection(const char *previous, const json_t *advertisers)
{
    json_t *prev = previous ? json_loads(previous, 0, NULL) : NULL;
    json_t *sel = json_array();
    size_t i, j;
    const json_t *a, *p;
    json_array_foreach(advertisers, i, a) {
        const char *id = json_string_value(json_object_get(a, "id"));
        json_array_foreach(prev, j, p) if (json_is_string(p) && strcmp(json_string_value(p), id) == 0)
            json_array_append_new(sel, json_string(id));
    }
    if (json_array_size(sel) == 0 && json_array_size(advertisers) == 1)
        json_array_append_new(sel, json_string(json_string_value(json_object_get(json_array_get(advertisers, 0), "id"))));
    json_decref(prev);
    return sel;
}

ads_account_rc ads_account_callback(const config_t *cfg, redis_conn_t *r, const char *state, const char *auth_code,
                                    char *err, size_t errlen)
{
    ads_client_config_t cc = {.api_base = cfg->ads_api_base, .access_token = "", .timeout_ms = 15000};
    ads_client_result_t res;
    char msg[ADS_CLIENT_MSG_MAX], token[ADS_ACCOUNT_TOKEN_MAX] = "", k[KEY_MAX], now[32];
    char *body = NULL, *sealed = NULL, *adv_text = NULL, *sel_text = NULL;
    json_t *advertisers = NULL, *sel = NULL;
    redisReply *prev = NULL;
    ads_account_rc rc = ADS_ACCOUNT_EXCHANGE_FAILED;

    memset(&res, 0, sizeof(res));
    if (!config_ads_app_configured(cfg)) {
        snprintf(err, errlen, "the TikTok Ads app is not configured: set TIKTOK_APP_ID and TIKTOK_APP_SECRET");
        return ADS_ACCOUNT_NOT_CONFIGURED;
    }
    int s = consume_state(r, state);
    if (s < 0)
        return ADS_ACCOUNT_UNAVAILABLE;
    if (s == 0) {
        snprintf(err, errlen, "this authorization link is unknown, expired or was already used; start again with "
                              "Connect TikTok Ads account");
        return ADS_ACCOUNT_INVALID_STATE;
    }
    if (!auth_code || !*auth_code) {
        snprintf(err, errlen, "TikTok did not send an authorization code: the authorization was declined");
        return ADS_ACCOUNT_DENIED;
    }
    json_t *req = json_pack("{s:s,s:s,s:s}", "app_id", cfg->ads_app_id, "secret", cfg->ads_app_secret, "auth_code",
                            auth_code);
    body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (ads_client_call(&cc, "POST", "/open_api/v1.3/oauth2/access_token/", body, strlen(body), &res, msg,
                        sizeof(msg)) != ADS_CLIENT_OK) {
        snprintf(err, errlen, "TikTok did not accept the authorization code: %s", msg);
        goto out;
    }
    const char *at = json_string_value(json_object_get(res.data, "access_token"));
    if (!at || !*at || strlen(at) >= sizeof(token) || strpbrk(at, " \r\n")) {
        snprintf(err, errlen, "TikTok's answer carried no usable access_token");
        goto out;
    }
    memcpy(token, at, strlen(at) + 1);
    if (read_advertisers(cfg, token, &advertisers, msg, sizeof(msg)) != ADS_CLIENT_OK) {
        snprintf(err, errlen, "could not read the advertisers of the TikTok Ads account: %s", msg);
        goto out;
    }
    /* advertiser/get/ may list fewer than the exchange granted (or fail to
     * name them): the granted ids are kept either way. */
    size_t i;
    const json_t *gid;
    json_array_foreach(json_object_get(res.data, "advertiser_ids"), i, gid) {
        char idbuf[32];
        const char *id = json_string_value(gid);
        if (json_is_integer(gid)) {
            snprintf(idbuf, sizeof(idbuf), "%lld", (long long)json_integer_value(gid));
            id = idbuf;
        }
        if (!id || !*id || strlen(id) > 64 || strspn(id, "0123456789") != strlen(id))
            continue;
        size_t j;
        const json_t *a;
        int known = 0;
        json_array_foreach(advertisers, j, a) known |= strcmp(json_string_value(json_object_get(a, "id")), id) == 0;
        if (!known && json_array_size(advertisers) < MAX_ADVERTISERS)
            json_array_append_new(advertisers, json_pack("{s:s,s:s,s:s,s:s}", "id", id, "name", "", "currency", "",
                                                         "timezone", ""));
    }
    rc = ADS_ACCOUNT_UNAVAILABLE;
    if (redis_key(k, sizeof(k), KEY_ADS_ACCOUNT) ||
        crypto_seal(cfg->secret_key, TOKEN_AAD, token, strlen(token), &sealed) != 0)
        goto out;
    prev = redis_cmd(r, "HGET %s selected", k);
    if (!prev)
        goto out;
    sel = keep_selection(prev->type == REDIS_REPLY_STRING ? prev->str : NULL, advertisers);
    adv_text = json_dumps(advertisers, JSON_COMPACT);
    sel_text = json_dumps(sel, JSON_COMPACT);
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    if (!adv_text || !sel_text)
        goto out;
    const char *argv[] = {"HSET", k, "token", sealed, "advertisers", adv_text, "selected", sel_text,
                          "connected_at", now, "error", "", "reconnect", "0"};
    if (!redis_done(redis_cmd_argv(r, 14, argv, NULL)))
        goto out;
    log_event(LOG_INFO, "ads_account_connected", json_pack("{s:I,s:I}", "advertisers",
                                                           (json_int_t)json_array_size(advertisers), "selected",
                                                           (json_int_t)json_array_size(sel)));
    rc = ADS_ACCOUNT_OK;
out:
    memset(token, 0, sizeof(token));
    if (body) {
        memset(body, 0, strlen(body));
        free(body);
    }
    if (prev)
        freeReplyObject(prev);
    ads_client_result_free(&res);
    json_decref(advertisers);
    json_decref(sel);
    free(sealed);
    free(adv_text);
    free(sel_text);
    return rc;
}

/* HGETALL of the account (new reply) or NULL. */
static redisReply *read_account(redis_conn_t *r)
{
    char k[KEY_MAX];
    if (redis_key(k, sizeof(k), KEY_ADS_ACCOUNT))
        return NULL;
    redisReply *rep = redis_cmd(r, "HGETALL %s", k);
    if (rep && rep->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(rep);
        return NULL;
    }
    return rep;
}

static json_t *json_field(const redisReply *rep, const char *field, int array)
{
    const char *t = redis_reply_field(rep, field);
    json_t *v = t ? json_loads(t, 0, NULL) : NULL;
    if (array && !json_is_array(v)) {
        json_decref(v);
        v = json_array();
    }
    return v;
}

int ads_account_status(const config_t *cfg, redis_conn_t *r, json_t **out)
{
    redisReply *rep = read_account(r);
    *out = NULL;
    if (!rep)
        return -1;
    int connected = redis_reply_field(rep, "token") != NULL;
    const char *error = redis_reply_field(rep, "error");
    const char *reconnect = redis_reply_field(rep, "reconnect");
    const char *at = redis_reply_field(rep, "connected_at");
    *out = json_pack("{s:b,s:b,s:o,s:o,s:o,s:b,s:o}", "configured", config_ads_app_configured(cfg), "connected",
                     connected, "advertisers", json_field(rep, "advertisers", 1), "selected",
                     json_field(rep, "selected", 1), "error", error && *error ? json_string(error) : json_null(),
                     "reconnect", reconnect && strcmp(reconnect, "1") == 0, "connected_at",
                     at ? json_integer((json_int_t)strtoll(at, NULL, 10)) : json_null());
    freeReplyObject(rep);
    return *out ? 0 : -1;
}

ads_account_rc ads_account_select(redis_conn_t *r, const json_t *body, char *err, size_t errlen)
{
    char k[KEY_MAX];
    char *text = NULL;
    json_t *sel = NULL, *advertisers = NULL;
    ads_account_rc rc = ADS_ACCOUNT_EXCHANGE_FAILED;
    redisReply *rep = read_account(r);
    if (!rep)
        return ADS_ACCOUNT_UNAVAILABLE;
    if (!redis_reply_field(rep, "token")) {
        rc = ADS_ACCOUNT_NOT_CONNECTED;
        goto out;
    }
    advertisers = json_field(rep, "advertisers", 1);
    const json_t *ids = json_object_get(body, "advertiser_ids");
    if (!json_is_array(ids) || json_array_size(ids) == 0) {
        snprintf(err, errlen, "advertiser_ids: required, an array of one or more of the account's advertiser ids");
        goto out;
    }
    if (json_object_size(body) != 1) {
        snprintf(err, errlen, "only advertiser_ids is expected");
        goto out;
    }
    sel = json_array();
    size_t i;
    const json_t *id;
    json_array_foreach(ids, i, id) {
        if (!json_is_string(id)) {
            snprintf(err, errlen, "advertiser_ids[%zu]: must be a string", i);
            goto out;
        }
        size_t j;
        const json_t *a, *s;
        int known = 0, twice = 0;
        json_array_foreach(advertisers, j, a) known |= strcmp(json_string_value(json_object_get(a, "id")),
                                                              json_string_value(id)) == 0;
        json_array_foreach(sel, j, s) twice |= strcmp(json_string_value(s), json_string_value(id)) == 0;
        if (!known) {
            snprintf(err, errlen, "advertiser_ids[%zu]: %.64s is not an advertiser of the connected account", i,
                     json_string_value(id));
            goto out;
        }
        if (!twice)
            json_array_append_new(sel, json_string(json_string_value(id)));
    }
    text = json_dumps(sel, JSON_COMPACT);
    rc = ADS_ACCOUNT_UNAVAILABLE;
    if (text && redis_key(k, sizeof(k), KEY_ADS_ACCOUNT) == 0 && redis_done(redis_cmd(r, "HSET %s selected %s", k, text)))
        rc = ADS_ACCOUNT_OK;
out:
    freeReplyObject(rep);
    json_decref(sel);
    json_decref(advertisers);
    free(text);
    return rc;
}

/* The selected advertisers' records of an account reply (new array). */
static json_t *selection_of(const redisReply *rep)
{
    json_t *ids = json_field(rep, "selected", 1), *all = json_field(rep, "advertisers", 1);
    json_t *out = json_array();
    size_t i, j;
    const json_t *id, *a;
    json_array_foreach(ids, i, id) json_array_foreach(all, j, a) if (
        json_is_string(id) && strcmp(json_string_value(json_object_get(a, "id")), json_string_value(id)) == 0)
        json_array_append(out, (json_t *)a);
    json_decref(ids);
    json_decref(all);
    return out;
}

ads_account_rc ads_account_load(const config_t *cfg, redis_conn_t *r, char *token, json_t **selected)
{
    token[0] = '\0';
    if (selected)
        *selected = NULL;
    redisReply *rep = read_account(r);
    if (!rep)
        return ADS_ACCOUNT_UNAVAILABLE;
    const char *sealed = redis_reply_field(rep, "token");
    if (!sealed) {
        freeReplyObject(rep);
        return ADS_ACCOUNT_NOT_CONNECTED;
    }
    char *pt = NULL;
    size_t n = 0;
    if (crypto_open(cfg->secret_key, TOKEN_AAD, sealed, &pt, &n) != 0 || n >= ADS_ACCOUNT_TOKEN_MAX) {
        log_msg(LOG_ERROR, "ads_account_unseal_failed",
                "cannot decrypt the TikTok Ads account token: was SHOPSYNC_SECRET_KEY changed? Reconnect the account");
        if (pt) {
            memset(pt, 0, n);
            free(pt);
        }
        freeReplyObject(rep);
        return ADS_ACCOUNT_UNAVAILABLE;
    }
    memcpy(token, pt, n + 1);
    memset(pt, 0, n);
    free(pt);
    if (selected)
        *selected = selection_of(rep);
    freeReplyObject(rep);
    return ADS_ACCOUNT_OK;
}

int ads_account_selected(redis_conn_t *r, json_t **out)
{
    redisReply *rep = read_account(r);
    *out = NULL;
    if (!rep)
        return -1;
    *out = selection_of(rep);
    freeReplyObject(rep);
    return 0;
}

int ads_account_refused(redis_conn_t *r, const char *message)
{
    char k[KEY_MAX], now[32], text[ADS_ACCOUNT_ERR_MAX];
    if (redis_key(k, sizeof(k), KEY_ADS_ACCOUNT))
        return -1;
    snprintf(text, sizeof(text), "TikTok refused the TikTok Ads account's token (%s): reconnect the account", message);
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    log_event(LOG_WARN, "ads_account_token_refused", json_pack("{s:s}", "message", message));
    return redis_done(redis_cmd(r, "HSET %s error %s error_at %s reconnect 1", k, text, now)) ? 0 : -1;
}

ads_account_rc ads_account_disconnect(const config_t *cfg, redis_conn_t *r)
{
    char token[ADS_ACCOUNT_TOKEN_MAX], k[KEY_MAX], msg[ADS_CLIENT_MSG_MAX];
    ads_account_rc rc = ads_account_load(cfg, r, token, NULL);
    if (rc == ADS_ACCOUNT_UNAVAILABLE)
        return rc;
    if (rc == ADS_ACCOUNT_OK && config_ads_app_configured(cfg)) {
        ads_client_config_t cc = {.api_base = cfg->ads_api_base, .access_token = token, .timeout_ms = 15000};
        ads_client_result_t res;
        memset(&res, 0, sizeof(res));
        snprintf(msg, sizeof(msg), "out of memory");
        json_t *req = json_pack("{s:s,s:s,s:s}", "app_id", cfg->ads_app_id, "secret", cfg->ads_app_secret,
                                "access_token", token);
        char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
        json_decref(req);
        ads_client_rc crc = body ? ads_client_call(&cc, "POST", "/open_api/v1.3/oauth2/revoke_token/", body,
                                                   strlen(body), &res, msg, sizeof(msg))
                                 : ADS_CLIENT_DEAD;
        if (body) {
            memset(body, 0, strlen(body));
            free(body);
        }
        /* The token is forgotten either way: a revoke TikTok missed leaves
         * a token nobody holds any more. */
        if (crc != ADS_CLIENT_OK)
            log_event(LOG_WARN, "ads_account_revoke_failed", json_pack("{s:s}", "error", msg));
        ads_client_result_free(&res);
    }
    memset(token, 0, sizeof(token));
    if (redis_key(k, sizeof(k), KEY_ADS_ACCOUNT) ||
        !redis_done(redis_cmd(r, "HDEL %s token connected_at error error_at reconnect", k)))
        return ADS_ACCOUNT_UNAVAILABLE;
    log_msg(LOG_INFO, "ads_account_disconnected", "the TikTok Ads account was disconnected");
    return ADS_ACCOUNT_OK;
}
