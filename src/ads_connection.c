/*
 * ads_connection — the TikTok Ads connection in force, sealed token and
 * refused state (see ads_connection.h).
 */
#include "shopsync/ads_connection.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shopsync/crypto.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"

/* The sealed field's name, also its AAD: the value cannot be swapped into
 * another field or the TikTok Shop connection. */
#define TOKEN_FIELD "access_token"
#define TOKEN_AAD "ads:access_token"

/* src (borrowed, NULL for "") into dst, cut to cap - 1 bytes. */
static void copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static void fingerprint(const char *token, char out[17])
{
    unsigned char h[CRYPTO_SHA256_LEN];
    char hex[65];
    out[0] = '\0';
    if (!token[0] || crypto_sha256(token, strlen(token), h) != 0)
        return;
    crypto_hex(h, sizeof(h), hex);
    memcpy(out, hex, 16);
    out[16] = '\0';
}

int ads_connection_load(const config_t *cfg, redis_conn_t *r, ads_connection_t *out)
{
    char k[KEY_MAX];
    redisReply *rep = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (redis_key(k, sizeof(k), KEY_ADS_CONNECTION))
        return -1;
    rep = redis_cmd(r, "HGETALL %s", k);
    if (!rep || rep->type != REDIS_REPLY_ARRAY)
        goto out;
    if (redis_reply_field(rep, "saved")) {
        out->from_page = 1;
        copy(out->pixel_id, sizeof(out->pixel_id), redis_reply_field(rep, "pixel_id"));
        copy(out->test_event_code, sizeof(out->test_event_code), redis_reply_field(rep, "test_event_code"));
        copy(out->offline_event_set_id, sizeof(out->offline_event_set_id),
             redis_reply_field(rep, "offline_event_set_id"));
        const char *sealed = redis_reply_field(rep, TOKEN_FIELD);
        if (sealed) {
            char *pt = NULL;
            size_t n = 0;
            if (crypto_open(cfg->secret_key, TOKEN_AAD, sealed, &pt, &n) != 0) {
                log_msg(LOG_ERROR, "ads_unseal_failed", "cannot decrypt the TikTok Ads access token: was SHOPSYNC_SECRET_KEY changed?");
                goto out;
            }
            if (n < sizeof(out->access_token))
                memcpy(out->access_token, pt, n + 1);
            memset(pt, 0, n);
            free(pt);
        }
    } else {
        copy(out->pixel_id, sizeof(out->pixel_id), cfg->ads_pixel_id);
        copy(out->access_token, sizeof(out->access_token), cfg->ads_access_token);
        copy(out->test_event_code, sizeof(out->test_event_code), cfg->ads_test_event_code);
        copy(out->offline_event_set_id, sizeof(out->offline_event_set_id), cfg->ads_offline_event_set_id);
    }
    fingerprint(out->access_token, out->token_fp);
    const char *fp = redis_reply_field(rep, "rejected_fp");
    /* A refusal holds only for the token it was about: a new one (saved
     * here, or set in the environment and restarted) is tried again. */
    if (fp && out->token_fp[0] && strcmp(fp, out->token_fp) == 0)
        copy(out->rejected_message, sizeof(out->rejected_message), redis_reply_field(rep, "rejected_message"));
    rc = 0;
out:
    if (rep)
        freeReplyObject(rep);
    return rc;
}

int ads_connection_ready(const ads_connection_t *c)
{
    return c->pixel_id[0] && c->access_token[0];
}

void ads_connection_clear(ads_connection_t *c)
{
    memset(c->access_token, 0, sizeof(c->access_token));
}

/* Optional string member key of body into out: absent or null gives "".
 * Returns 0, or -1 with the reason in err. */
static int opt_field(const json_t *body, const char *key, char *out, size_t cap, const char *allowed, char *err,
                     size_t errlen)
{
    const json_t *v = json_object_get(body, key);
    out[0] = '\0';
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, errlen, "%s: must be a string", key);
        return -1;
    }
    const char *s = json_string_value(v);
    if (strlen(s) >= cap) {
        snprintf(err, errlen, "%s: longer than %zu characters", key, cap - 1);
        return -1;
    }
    if (allowed && strspn(s, allowed) != strlen(s)) {
        snprintf(err, errlen, "%s: only letters, digits, '_' and '-' are allowed", key);
        return -1;
    }
    copy(out, cap, s);
    return 0;
}

#define ID_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

int ads_connection_save(const config_t *cfg, redis_conn_t *r, const json_t *body, char *err, size_t errlen)
{
    char pixel[ADS_ID_MAX], token[ADS_TOKEN_MAX], test[ADS_ID_MAX], offline[ADS_ID_MAX], k[KEY_MAX], ts[32];
    char *sealed = NULL;
    ads_connection_t cur;
    int rc = 1;

    memset(&cur, 0, sizeof(cur));
    memset(token, 0, sizeof(token));
    const char *known[] = {"pixel_id", "access_token", "test_event_code", "offline_event_set_id"};
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)body, key, v) {
        size_t i;
        for (i = 0; i < 4 && strcmp(key, known[i]) != 0; i++)
            ;
        if (i == 4) {
            snprintf(err, errlen, "%s: unknown field (expected pixel_id, access_token, test_event_code, offline_event_set_id)", key);
            goto out;
        }
    }
    if (opt_field(body, "pixel_id", pixel, sizeof(pixel), ID_CHARS, err, errlen) ||
        opt_field(body, "access_token", token, sizeof(token), NULL, err, errlen) ||
        opt_field(body, "test_event_code", test, sizeof(test), ID_CHARS, err, errlen) ||
        opt_field(body, "offline_event_set_id", offline, sizeof(offline), "0123456789", err, errlen))
        goto out;
    if (!pixel[0]) {
        snprintf(err, errlen, "pixel_id: required (Events Manager: the pixel's code)");
        goto out;
    }
    if (strpbrk(token, " \t\r\n")) {
        snprintf(err, errlen, "access_token: must not contain spaces or line breaks");
        goto out;
    }
    if (!token[0]) {
        /* Left out: keep the token in force, which the page never sees. */
        if (ads_connection_load(cfg, r, &cur) != 0) {
            rc = -1;
            goto out;
        }
        if (!cur.access_token[0]) {
            snprintf(err, errlen, "access_token: required (Events Manager: pixel, Settings, Generate Access Token)");
            goto out;
        }
        memcpy(token, cur.access_token, sizeof(token));
    }
    rc = -1;
    if (redis_key(k, sizeof(k), KEY_ADS_CONNECTION) ||
        crypto_seal(cfg->secret_key, TOKEN_AAD, token, strlen(token), &sealed) != 0)
        goto out;
    snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
    const char *argv[] = {"HSET", k, "saved", "1", "saved_at", ts, "pixel_id", pixel, TOKEN_FIELD, sealed,
                          "test_event_code", test, "offline_event_set_id", offline};
    redisReply *rep = redis_cmd_argv(r, 14, argv, NULL);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    if (!ok)
        goto out;
    /* A token saved on purpose is tried again, even the one refused. */
    rep = redis_cmd(r, "HDEL %s rejected_fp rejected_message rejected_at", k);
    ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    rc = ok ? 0 : -1;
    if (ok)
        log_event(LOG_INFO, "ads_connection_saved", json_pack("{s:s,s:b,s:b}", "pixel_id", pixel, "test_mode",
                                                              test[0] != '\0', "offline", offline[0] != '\0'));
out:
    memset(token, 0, sizeof(token));
    ads_connection_clear(&cur);
    free(sealed);
    return rc;
}

int ads_connection_delete(redis_conn_t *r)
{
    char k[KEY_MAX];
    if (redis_key(k, sizeof(k), KEY_ADS_CONNECTION))
        return -1;
    redisReply *rep = redis_cmd(r, "HDEL %s saved saved_at pixel_id " TOKEN_FIELD
                                   " test_event_code offline_event_set_id rejected_fp rejected_message rejected_at",
                                k);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

int ads_connection_reject(redis_conn_t *r, const char *fp, const char *message)
{
    char k[KEY_MAX], ts[32];
    if (redis_key(k, sizeof(k), KEY_ADS_CONNECTION))
        return -1;
    snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
    redisReply *rep = redis_cmd(r, "HSET %s rejected_fp %s rejected_message %s rejected_at %s", k, fp, message, ts);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    if (ok)
        log_event(LOG_WARN, "ads_token_rejected", json_pack("{s:s}", "message", message));
    return ok ? 0 : -1;
}

int ads_connection_sent(redis_conn_t *r, const char *source, const char *event, const char *event_id)
{
    char k[KEY_MAX], ts[32];
    if (redis_key(k, sizeof(k), KEY_ADS_CONNECTION))
        return -1;
    snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
    redisReply *rep = redis_cmd(r, "HSET %s last_sent_at %s last_sent_source %s last_sent_event %s last_sent_event_id %s",
                                k, ts, source, event, event_id);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

int ads_connection_status(const config_t *cfg, redis_conn_t *r, json_t **out)
{
    ads_connection_t c;
    char k[KEY_MAX];
    *out = NULL;
    if (ads_connection_load(cfg, r, &c) != 0 || redis_key(k, sizeof(k), KEY_ADS_CONNECTION)) {
        ads_connection_clear(&c);
        return -1;
    }
    redisReply *rep = redis_cmd(r, "HMGET %s last_sent_at last_sent_source last_sent_event last_sent_event_id rejected_at", k);
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 5) {
        if (rep)
            freeReplyObject(rep);
        ads_connection_clear(&c);
        return -1;
    }
    json_t *last = json_null();
    if (rep->element[0]->type == REDIS_REPLY_STRING)
        last = json_pack("{s:I,s:s,s:s,s:s}", "at", (json_int_t)strtoll(rep->element[0]->str, NULL, 10), "source",
                         rep->element[1]->type == REDIS_REPLY_STRING ? rep->element[1]->str : "",
                         "event", rep->element[2]->type == REDIS_REPLY_STRING ? rep->element[2]->str : "",
                         "event_id", rep->element[3]->type == REDIS_REPLY_STRING ? rep->element[3]->str : "");
    json_int_t rejected_at = c.rejected_message[0] && rep->element[4]->type == REDIS_REPLY_STRING
                                 ? (json_int_t)strtoll(rep->element[4]->str, NULL, 10)
                                 : 0;
    freeReplyObject(rep);
    *out = json_pack("{s:b,s:s,s:b,s:s,s:s,s:s,s:o,s:o,s:o}", "connected", ads_connection_ready(&c), "pixel_id",
                     c.pixel_id, "test_mode", c.test_event_code[0] != '\0', "test_event_code", c.test_event_code,
                     "offline_event_set_id", c.offline_event_set_id, "configured_from", c.from_page ? "page" : "env",
                     "last_event_sent", last, "token_rejected",
                     c.rejected_message[0] ? json_string(c.rejected_message) : json_null(), "token_rejected_at",
                     rejected_at ? json_integer(rejected_at) : json_null());
    ads_connection_clear(&c);
    return *out ? 0 : -1;
}
