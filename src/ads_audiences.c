/*
 * ads_audiences — customer-file audiences and their sync (see
 * ads_audiences.h).
 */
#include "shopsync/ads_audiences.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shopsync/ads_account.h"
#include "shopsync/ads_buyers.h"
#include "shopsync/ads_client.h"
#include "shopsync/instance.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"

/* A sync of the largest audience uploads a few files; each call renews it. */
#define LOCK_TTL_S 600
#define CSV_MAX ((size_t)ADS_AUDIENCE_FILE_LINES * ADS_HASH_HEX + 1)
#define UPLOAD_TIMEOUT_MS 120000L
/* Set members written per SADD / SREM. */
#define SET_CHUNK 1000
#define ADVERTISER_MAX 32

static const char *const UPLOAD_PATH = "/open_api/v1.3/dmp/custom_audience/file/upload/";
static const char *const CREATE_PATH = "/open_api/v1.3/dmp/custom_audience/create/";
static const char *const UPDATE_PATH = "/open_api/v1.3/dmp/custom_audience/update/";

/* ---- pure helpers -------------------------------------------------------- */

static int cmp_hash(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

void ads_audiences_sort(ads_hash_hex_t *hashes, size_t n)
{
    if (n > 1)
        qsort(hashes, n, sizeof(*hashes), cmp_hash);
}

int ads_audiences_csv(const ads_hash_hex_t *hashes, size_t n, buf_t *out, char md5[CRYPTO_MD5_HEX])
{
    buf_reset(out);
    for (size_t i = 0; i < n; i++)
        if (buf_append(out, hashes[i], strlen(hashes[i])) || buf_append(out, "\n", 1))
            return -1;
    return crypto_md5_hex(out->data ? out->data : "", out->len, md5);
}

void ads_audiences_diff(const ads_hash_hex_t *old, size_t n_old, const ads_hash_hex_t *now, size_t n_now,
                        size_t *add, size_t *n_add, size_t *rem, size_t *n_rem)
{
    size_t i = 0, j = 0;
    *n_add = *n_rem = 0;
    while (i < n_old || j < n_now) {
        int c = i == n_old ? 1 : j == n_now ? -1 : strcmp(old[i], now[j]);
        if (c == 0) {
            i++;
            j++;
        } else if (c < 0) {
            rem[(*n_rem)++] = i++;
        } else {
            add[(*n_add)++] = j++;
        }
    }
}

/* ---- records ------------------------------------------------------------- */

static int id_ok(const char *id)
{
    return strlen(id) == ADS_AUDIENCE_ID_HEX && strspn(id, "0123456789abcdef") == ADS_AUDIENCE_ID_HEX;
}

/* The stored record of id (new in *out). Returns AUD_OK, AUD_NOT_FOUND,
 * AUD_UNAVAILABLE. */
static ads_audience_rc load(redis_conn_t *r, const char *id, json_t **out)
{
    char key[KEY_MAX], jerr[128];
    *out = NULL;
    if (!id_ok(id))
        return AUD_NOT_FOUND;
    if (redis_key(key, sizeof(key), KEY_ADS_AUDIENCE_FMT, id))
        return AUD_UNAVAILABLE;
    redisReply *rep = redis_cmd(r, "GET %s", key);
    if (!rep)
        return AUD_UNAVAILABLE;
    *out = rep->type == REDIS_REPLY_STRING ? jsonx_loadb(rep->str, rep->len, jerr, sizeof(jerr)) : NULL;
    freeReplyObject(rep);
    return *out ? AUD_OK : AUD_NOT_FOUND;
}

static ads_audience_rc save(redis_conn_t *r, const json_t *doc)
{
    char key[KEY_MAX], set[KEY_MAX];
    const char *id = json_string_value(json_object_get(doc, "id"));
    char *text = json_dumps(doc, JSON_COMPACT);
    if (!text || !id || redis_key(key, sizeof(key), KEY_ADS_AUDIENCE_FMT, id) ||
        redis_key(set, sizeof(set), KEY_ADS_AUDIENCES)) {
        free(text);
        return AUD_UNAVAILABLE;
    }
    redisReply *rep = redis_cmd(r, "SET %s %s", key, text);
    free(text);
    int ok = rep && rep->type == REDIS_REPLY_STATUS;
    if (rep)
        freeReplyObject(rep);
    rep = ok ? redis_cmd(r, "SADD %s %s", set, id) : NULL;
    ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    return ok ? AUD_OK : AUD_UNAVAILABLE;
}

static ads_id_kind id_kind(const json_t *doc)
{
    const char *t = json_string_value(json_object_get(doc, "id_type"));
    return t && strcmp(t, "PHONE_SHA256") == 0 ? ADS_ID_PHONE : ADS_ID_EMAIL;
}

/* The members of an audience now: the hashes its rule matches. */
typedef struct members {
    ads_rule_t rule;
    ads_id_kind kind;
    long long now;
    ads_hash_hex_t *h; /* owned, NULL when only counting */
    size_t n, cap;
} members_t;

static int collect(const json_t *buyer, void *ctx)
{
    members_t *m = ctx;
    const char *h = json_string_value(json_object_get(buyer, m->kind == ADS_ID_PHONE ? "phone" : "email"));
    if (!h || !ads_hash_is_sha256(h) || !ads_rule_match(&m->rule, buyer, m->now))
        return 0;
    if (m->cap || m->h) {
        if (m->n == m->cap) {
            size_t cap = m->cap ? m->cap * 2 : 1024;
            if (cap > ADS_BUYERS_MAX)
                cap = ADS_BUYERS_MAX;
            if (cap <= m->n)
                return 0;
            ads_hash_hex_t *grown = realloc(m->h, cap * sizeof(*grown));
            if (!grown)
                return -1;
            m->h = grown;
            m->cap = cap;
        }
        memcpy(m->h[m->n], h, ADS_HASH_HEX);
    }
    m->n++;
    return 0;
}

/* Counting the members of several audiences in one pass over the buyers. */
typedef struct counts {
    members_t *m;
    size_t n;
} counts_t;

static int count_all(const json_t *buyer, void *ctx)
{
    counts_t *c = ctx;
    for (size_t i = 0; i < c->n; i++)
        collect(buyer, &c->m[i]);
    return 0;
}

static int members_init(const json_t *doc, members_t *m, long long now)
{
    char err[256];
    memset(m, 0, sizeof(*m));
    m->kind = id_kind(doc);
    m->now = now;
    return ads_rule_parse(json_object_get(doc, "rule"), &m->rule, err, sizeof(err));
}

/* The record as the admin API shows it (doc borrowed; new object). */
static json_t *view(const json_t *doc, long long members)
{
    char status[96];
    json_t *v = json_deep_copy(doc);
    if (!v)
        return NULL;
    json_object_set_new(v, "members", json_integer(members));
    const json_t *tid = json_object_get(doc, "tiktok_audience_id");
    if (json_is_string(tid))
        snprintf(status, sizeof(status), "synced");
    else if (members < ADS_AUDIENCE_MIN)
        snprintf(status, sizeof(status), "%lld of 1,000 buyers", members);
    else
        snprintf(status, sizeof(status), "ready: created at the next sync");
    json_object_set_new(v, "status", json_string(status));
    return v;
}

ads_audience_rc ads_audiences_get(redis_conn_t *r, const char *id, json_t **out)
{
    json_t *doc = NULL;
    members_t m;
    *out = NULL;
    ads_audience_rc rc = load(r, id, &doc);
    if (rc != AUD_OK)
        return rc;
    members_init(doc, &m, (long long)time(NULL));
    counts_t c = {&m, 1};
    if (ads_buyers_each(r, count_all, &c) != 0) {
        json_decref(doc);
        return AUD_UNAVAILABLE;
    }
    *out = view(doc, (long long)m.n);
    json_decref(doc);
    return *out ? AUD_OK : AUD_UNAVAILABLE;
}

ads_audience_rc ads_audiences_list(redis_conn_t *r, json_t **out)
{
    char set[KEY_MAX];
    json_t *docs = json_array();
    members_t *m = NULL;
    ads_audience_rc rc = AUD_UNAVAILABLE;
    redisReply *ids = NULL;
    *out = NULL;
    if (!docs || redis_key(set, sizeof(set), KEY_ADS_AUDIENCES))
        goto out;
    ids = redis_cmd(r, "SMEMBERS %s", set);
    if (!ids || ids->type != REDIS_REPLY_ARRAY)
        goto out;
    for (size_t i = 0; i < ids->elements; i++) {
        json_t *doc = NULL;
        ads_audience_rc lrc = load(r, ids->element[i]->str, &doc);
        if (lrc == AUD_UNAVAILABLE)
            goto out;
        if (doc)
            json_array_append_new(docs, doc);
    }
    size_t n = json_array_size(docs);
    m = calloc(n ? n : 1, sizeof(*m));
    if (!m)
        goto out;
    long long now = (long long)time(NULL);
    for (size_t i = 0; i < n; i++)
        members_init(json_array_get(docs, i), &m[i], now);
    counts_t c = {m, n};
    if (n && ads_buyers_each(r, count_all, &c) != 0)
        goto out;
    *out = json_array();
    /* Oldest first: the order the seller made them in (a selection sort
     * over at most ADS_AUDIENCES_MAX; now = -1 marks one already listed). */
    for (size_t k = 0; k < n; k++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            const json_t *d = json_array_get(docs, i);
            if (m[i].now < 0)
                continue;
            if (best == n || json_integer_value(json_object_get(d, "created_at")) <
                                 json_integer_value(json_object_get(json_array_get(docs, best), "created_at")))
                best = i;
        }
        json_array_append_new(*out, view(json_array_get(docs, best), (long long)m[best].n));
        m[best].now = -1;
    }
    rc = AUD_OK;
out:
    if (ids)
        freeReplyObject(ids);
    free(m);
    json_decref(docs);
    return rc;
}

/* Check body's fields (all when creating) into doc (borrowed, changed).
 * Returns AUD_OK, AUD_INVALID or AUD_CONFLICT with err. */
static ads_audience_rc apply_fields(json_t *doc, const json_t *body, int creating, char *err, size_t errlen)
{
    char rerr[512];
    ads_rule_t rule;
    int held = json_is_string(json_object_get(doc, "tiktok_audience_id"));
    jsonx_problems_t p = {err, errlen, 0};
    err[0] = '\0';
    if (!json_is_object(body)) {
        snprintf(err, errlen, "the body must be a JSON object");
        return AUD_INVALID;
    }
    const json_t *name = json_object_get(body, "name");
    const json_t *adv = json_object_get(body, "advertiser_id");
    const json_t *type = json_object_get(body, "id_type");
    const json_t *rule_in = json_object_get(body, "rule");
    if (name || creating) {
        size_t len = json_string_length(name);
        if (!json_is_string(name) || len == 0 || len > ADS_AUDIENCE_NAME_MAX)
            jsonx_problem(&p, "name: required, 1 to 128 characters");
    }
    if (adv || creating) {
        const char *a = json_string_value(adv);
        if (!a || !a[0] || strlen(a) > ADVERTISER_MAX || strspn(a, "0123456789") != strlen(a))
            jsonx_problem(&p, "advertiser_id: required, the TikTok advertiser id (digits)");
    }
    if (type || creating) {
        const char *t = json_string_value(type);
        if (!t || (strcmp(t, "EMAIL_SHA256") != 0 && strcmp(t, "PHONE_SHA256") != 0))
            jsonx_problem(&p, "id_type: must be EMAIL_SHA256 or PHONE_SHA256");
    }
    if ((rule_in || creating) && ads_rule_parse(rule_in, &rule, rerr, sizeof(rerr)) != 0)
        jsonx_problem(&p, "%s", rerr);
    if (p.n)
        return AUD_INVALID;
    if (held && ((adv && !json_equal(adv, json_object_get(doc, "advertiser_id"))) ||
                 (type && !json_equal(type, json_object_get(doc, "id_type"))))) {
        snprintf(err, errlen, "advertiser_id and id_type cannot change once TikTok holds the audience: create a new "
                              "audience instead");
        return AUD_CONFLICT;
    }
    if (name)
        json_object_set_new(doc, "name", json_string(json_string_value(name)));
    if (adv)
        json_object_set_new(doc, "advertiser_id", json_string(json_string_value(adv)));
    if (type)
        json_object_set_new(doc, "id_type", json_string(json_string_value(type)));
    if (rule_in)
        json_object_set_new(doc, "rule", ads_rule_json(&rule));
    return AUD_OK;
}

ads_audience_rc ads_audiences_create(redis_conn_t *r, const json_t *body, json_t **out, char *err, size_t errlen)
{
    char id[ADS_AUDIENCE_ID_HEX + 1], set[KEY_MAX];
    *out = NULL;
    json_t *doc = json_pack("{s:n,s:n,s:I,s:n,s:n,s:I}", "tiktok_audience_id", "last_sync", "synced_members",
                            (json_int_t)0, "error", "last_sync_result", "created_at", (json_int_t)time(NULL));
    if (!doc)
        return AUD_UNAVAILABLE;
    ads_audience_rc rc = apply_fields(doc, body, 1, err, errlen);
    if (rc != AUD_OK)
        goto out;
    rc = AUD_UNAVAILABLE;
    if (redis_key(set, sizeof(set), KEY_ADS_AUDIENCES))
        goto out;
    redisReply *rep = redis_cmd(r, "SCARD %s", set);
    long long n = rep && rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
    if (rep)
        freeReplyObject(rep);
    if (n < 0)
        goto out;
    if (n >= ADS_AUDIENCES_MAX) {
        snprintf(err, errlen, "at most %d audiences: delete one first", ADS_AUDIENCES_MAX);
        rc = AUD_FULL;
        goto out;
    }
    if (crypto_random_hex(ADS_AUDIENCE_ID_HEX / 2, id) != 0)
        goto out;
    json_object_set_new(doc, "id", json_string(id));
    rc = save(r, doc);
    if (rc == AUD_OK)
        rc = ads_audiences_get(r, id, out);
out:
    json_decref(doc);
    return rc;
}

ads_audience_rc ads_audiences_update(redis_conn_t *r, const char *id, const json_t *body, json_t **out, char *err,
                                     size_t errlen)
{
    json_t *doc = NULL;
    *out = NULL;
    ads_audience_rc rc = load(r, id, &doc);
    if (rc == AUD_OK)
        rc = apply_fields(doc, body, 0, err, errlen);
    if (rc == AUD_OK)
        rc = save(r, doc);
    if (rc == AUD_OK)
        rc = ads_audiences_get(r, id, out);
    json_decref(doc);
    return rc;
}

ads_audience_rc ads_audiences_delete(redis_conn_t *r, const char *id)
{
    char key[KEY_MAX], synced[KEY_MAX], set[KEY_MAX];
    json_t *doc = NULL;
    ads_audience_rc rc = load(r, id, &doc);
    json_decref(doc);
    if (rc != AUD_OK)
        return rc;
    if (redis_key(key, sizeof(key), KEY_ADS_AUDIENCE_FMT, id) ||
        redis_key(synced, sizeof(synced), KEY_ADS_AUDIENCE_SYNCED_FMT, id) ||
        redis_key(set, sizeof(set), KEY_ADS_AUDIENCES))
        return AUD_UNAVAILABLE;
    redisReply *rep = redis_cmd(r, "DEL %s %s", key, synced);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    rep = ok ? redis_cmd(r, "SREM %s %s", set, id) : NULL;
    ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    return ok ? AUD_OK : AUD_UNAVAILABLE;
}

/* ---- sync ---------------------------------------------------------------- */

typedef struct sync {
    const config_t *cfg;
    redis_conn_t *r;
    const char *token;   /* borrowed */
    const char *adv;     /* borrowed, from the record */
    const char *type;    /* borrowed, from the record */
    char lock[KEY_MAX], owner[INSTANCE_OWNER_MAX], synced_key[KEY_MAX];
    char err[ADS_AUDIENCE_ERR_MAX];
    int refused;         /* TikTok refused the token */
    buf_t csv;
} sync_t;

/* The outcome of a TikTok call as the seller reads it, into s->err. */
static void call_failed(sync_t *s, ads_client_rc crc, const char *what, const char *msg)
{
    if (crc == ADS_CLIENT_TOKEN_REJECTED) {
        s->refused = 1;
        snprintf(s->err, sizeof(s->err), "TikTok refused the access token (%s): reconnect the TikTok Ads account",
                 msg);
        ads_account_refused(s->r, msg);
    } else if (crc == ADS_CLIENT_RETRY) {
        snprintf(s->err, sizeof(s->err), "TikTok did not answer while %s (%s): the next sync tries again", what, msg);
    } else {
        snprintf(s->err, sizeof(s->err), "TikTok refused %s: %s", what, msg);
    }
}

static int keep_lock(sync_t *s)
{
    if (redis_lock_extend(s->r, s->lock, s->owner, (long long)LOCK_TTL_S * 1000) == 1)
        return 0;
    snprintf(s->err, sizeof(s->err), "the audience sync lost its lock (another instance took it over)");
    return -1;
}

/* Upload hashes[idx[0..n)] (or hashes[0..n) when idx is NULL) in files of
 * at most ADS_AUDIENCE_FILE_LINES lines; their file_paths appended to paths
 * (borrowed). Returns 0 or -1 with s->err. */
static int upload(sync_t *s, const ads_hash_hex_t *hashes, const size_t *idx, size_t n, json_t *paths)
{
    ads_hash_hex_t *part = malloc((n < ADS_AUDIENCE_FILE_LINES ? n : ADS_AUDIENCE_FILE_LINES) * sizeof(*part) + 1);
    if (!part) {
        snprintf(s->err, sizeof(s->err), "out of memory building the customer file");
        return -1;
    }
    int rc = 0;
    for (size_t from = 0; from < n && rc == 0; from += ADS_AUDIENCE_FILE_LINES) {
        size_t k = n - from < ADS_AUDIENCE_FILE_LINES ? n - from : ADS_AUDIENCE_FILE_LINES;
        char md5[CRYPTO_MD5_HEX], msg[ADS_CLIENT_MSG_MAX];
        for (size_t i = 0; i < k; i++)
            memcpy(part[i], hashes[idx ? idx[from + i] : from + i], ADS_HASH_HEX);
        if (ads_audiences_csv((const ads_hash_hex_t *)part, k, &s->csv, md5) != 0 || keep_lock(s) != 0) {
            if (!s->err[0])
                snprintf(s->err, sizeof(s->err), "the customer file could not be built");
            rc = -1;
            break;
        }
        http_part_t parts[] = {
            {"advertiser_id", NULL, NULL, s->adv, strlen(s->adv)},
            {"file", "customers.csv", "text/csv", s->csv.data, s->csv.len},
            {"file_signature", NULL, NULL, md5, strlen(md5)},
            {"calculate_type", NULL, NULL, s->type, strlen(s->type)},
        };
        ads_client_config_t cc = {.api_base = s->cfg->ads_api_base, .access_token = s->token,
                                  .timeout_ms = UPLOAD_TIMEOUT_MS};
        ads_client_result_t res;
        ads_client_rc crc = ads_client_upload(&cc, UPLOAD_PATH, parts, 4, &res, msg, sizeof(msg));
        const char *fp = json_string_value(json_object_get(res.data, "file_path"));
        if (crc != ADS_CLIENT_OK || !fp) {
            call_failed(s, crc == ADS_CLIENT_OK ? ADS_CLIENT_DEAD : crc, "the customer file",
                        crc == ADS_CLIENT_OK ? "no file_path in the answer" : msg);
            rc = -1;
        } else {
            json_array_append_new(paths, json_string(fp));
        }
        ads_client_result_free(&res);
    }
    free(part);
    return rc;
}

/* POST a JSON body (borrowed) to path; *data (new) the answer's data.
 * Returns 0 or -1 with s->err naming what. */
static int post_json(sync_t *s, const char *path, const json_t *body, const char *what, json_t **data)
{
    char msg[ADS_CLIENT_MSG_MAX];
    ads_client_result_t res;
    *data = NULL;
    char *text = json_dumps(body, JSON_COMPACT);
    if (!text || keep_lock(s) != 0) {
        free(text);
        if (!s->err[0])
            snprintf(s->err, sizeof(s->err), "out of memory");
        return -1;
    }
    ads_client_config_t cc = {.api_base = s->cfg->ads_api_base, .access_token = s->token, .timeout_ms = 60000};
    ads_client_rc crc = ads_client_call(&cc, "POST", path, text, strlen(text), &res, msg, sizeof(msg));
    free(text);
    if (crc != ADS_CLIENT_OK) {
        call_failed(s, crc, what, msg);
        ads_client_result_free(&res);
        return -1;
    }
    *data = res.data ? json_incref(res.data) : json_object();
    ads_client_result_free(&res);
    return 0;
}

/* Change the synced set by hashes[idx[0..n)] (SADD or SREM, op). */
static int set_change(sync_t *s, const char *op, const ads_hash_hex_t *hashes, const size_t *idx, size_t n)
{
    const char *argv[SET_CHUNK + 2];
    for (size_t from = 0; from < n; from += SET_CHUNK) {
        size_t k = n - from < SET_CHUNK ? n - from : SET_CHUNK;
        argv[0] = op;
        argv[1] = s->synced_key;
        for (size_t i = 0; i < k; i++)
            argv[i + 2] = hashes[idx ? idx[from + i] : from + i];
        redisReply *rep = redis_cmd_argv(s->r, (int)k + 2, argv, NULL);
        int ok = rep && rep->type == REDIS_REPLY_INTEGER;
        if (rep)
            freeReplyObject(rep);
        if (!ok) {
            snprintf(s->err, sizeof(s->err), "Redis is not answering: what TikTok holds was not recorded");
            return -1;
        }
    }
    return 0;
}

/* What TikTok holds (sorted, new in *out, count in *n). */
static int load_synced(sync_t *s, ads_hash_hex_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    redisReply *rep = redis_cmd(s->r, "SMEMBERS %s", s->synced_key);
    if (!rep || rep->type != REDIS_REPLY_ARRAY) {
        if (rep)
            freeReplyObject(rep);
        return -1;
    }
    *out = malloc((rep->elements ? rep->elements : 1) * sizeof(**out));
    for (size_t i = 0; *out && i < rep->elements; i++)
        if (rep->element[i]->type == REDIS_REPLY_STRING && rep->element[i]->len == ADS_HASH_HEX - 1)
            memcpy((*out)[(*n)++], rep->element[i]->str, ADS_HASH_HEX);
    freeReplyObject(rep);
    if (!*out)
        return -1;
    ads_audiences_sort(*out, *n);
    return 0;
}

/* APPEND or REMOVE (action) hashes[idx[0..n)] to the audience tid. */
static int change(sync_t *s, const char *tid, const char *action, const ads_hash_hex_t *hashes, const size_t *idx,
                  size_t n)
{
    json_t *paths = json_array(), *data = NULL;
    int rc = -1;
    if (!paths || upload(s, hashes, idx, n, paths) != 0)
        goto out;
    json_t *body = json_pack("{s:s,s:s,s:O,s:s}", "advertiser_id", s->adv, "custom_audience_id", tid, "file_paths",
                             paths, "action", action);
    rc = body ? post_json(s, UPDATE_PATH, body, strcmp(action, "APPEND") == 0 ? "adding the new members"
                                                                              : "removing members who left",
                          &data)
              : -1;
    json_decref(body);
    if (rc == 0)
        rc = set_change(s, strcmp(action, "APPEND") == 0 ? "SADD" : "SREM", hashes, idx, n);
out:
    json_decref(data);
    json_decref(paths);
    return rc;
}

/* Sync the record doc (borrowed, updated) holding the lock. */
static void sync_one(sync_t *s, json_t *doc)
{
    members_t m;
    ads_hash_hex_t *old = NULL;
    size_t n_old = 0, *add = NULL, *rem = NULL, n_add = 0, n_rem = 0;
    json_t *paths = NULL, *data = NULL;
    const char *id = json_string_value(json_object_get(doc, "id"));
    const char *tid = json_string_value(json_object_get(doc, "tiktok_audience_id"));

    s->adv = json_string_value(json_object_get(doc, "advertiser_id"));
    s->type = json_string_value(json_object_get(doc, "id_type"));
    s->err[0] = '\0';
    if (members_init(doc, &m, (long long)time(NULL)) != 0 || !s->adv || !s->type ||
        redis_key(s->synced_key, sizeof(s->synced_key), KEY_ADS_AUDIENCE_SYNCED_FMT, id)) {
        snprintf(s->err, sizeof(s->err), "the audience's record is damaged: edit and save it again");
        goto out;
    }
    /* Collect the hashes, not only count them. */
    m.h = malloc(1024 * sizeof(*m.h));
    m.cap = m.h ? 1024 : 0;
    if (!m.h || ads_buyers_each(s->r, collect, &m) != 0) {
        snprintf(s->err, sizeof(s->err), "the buyers could not be read (Redis)");
        goto out;
    }
    ads_audiences_sort(m.h, m.n);
    /* A buyer first recorded by phone and later by email is two records
     * with one phone: TikTok gets each hash once. */
    size_t uniq = 0;
    for (size_t i = 0; i < m.n; i++)
        if (uniq == 0 || strcmp(m.h[uniq - 1], m.h[i]) != 0)
            memmove(m.h[uniq++], m.h[i], ADS_HASH_HEX);
    m.n = uniq;
    if (!tid) {
        if (m.n < ADS_AUDIENCE_MIN)
            goto out; /* waiting: TikTok refuses an audience under 1,000 */
        paths = json_array();
        if (!paths || upload(s, m.h, NULL, m.n, paths) != 0)
            goto out;
        json_t *body = json_pack("{s:s,s:s,s:s,s:O}", "advertiser_id", s->adv, "custom_audience_name",
                                 json_string_value(json_object_get(doc, "name")), "calculate_type", s->type,
                                 "file_paths", paths);
        int prc = body ? post_json(s, CREATE_PATH, body, "creating the audience", &data) : -1;
        json_decref(body);
        if (prc != 0)
            goto out;
        const json_t *cid = json_object_get(data, "custom_audience_id");
        char cbuf[64];
        if (json_is_integer(cid))
            snprintf(cbuf, sizeof(cbuf), "%lld", (long long)json_integer_value(cid));
        else if (json_is_string(cid) && json_string_length(cid) < sizeof(cbuf))
            snprintf(cbuf, sizeof(cbuf), "%s", json_string_value(cid));
        else {
            snprintf(s->err, sizeof(s->err), "TikTok created the audience but did not say its id");
            goto out;
        }
        json_object_set_new(doc, "tiktok_audience_id", json_string(cbuf));
        /* Recorded before the members: a failure below leaves an audience
         * whose next sync appends what is missing, never a second one. */
        if (save(s->r, doc) != AUD_OK) {
            snprintf(s->err, sizeof(s->err), "Redis is not answering: the audience id was not recorded");
            goto out;
        }
        redisReply *rep = redis_cmd(s->r, "DEL %s", s->synced_key);
        if (rep)
            freeReplyObject(rep);
        if (set_change(s, "SADD", m.h, NULL, m.n) != 0)
            goto out;
        n_old = m.n;
        goto out;
    }
    if (load_synced(s, &old, &n_old) != 0) {
        snprintf(s->err, sizeof(s->err), "Redis is not answering: what TikTok holds could not be read");
        goto out;
    }
    add = malloc((m.n ? m.n : 1) * sizeof(*add));
    rem = malloc((n_old ? n_old : 1) * sizeof(*rem));
    if (!add || !rem) {
        snprintf(s->err, sizeof(s->err), "out of memory");
        goto out;
    }
    ads_audiences_diff((const ads_hash_hex_t *)old, n_old, (const ads_hash_hex_t *)m.h, m.n, add, &n_add, rem,
                       &n_rem);
    /* New members first: TikTok refuses a change leaving fewer than 1,000. */
    if (n_add && change(s, tid, "APPEND", m.h, add, n_add) != 0)
        goto out;
    n_old += n_add;
    if (n_rem && change(s, tid, "REMOVE", old, rem, n_rem) != 0)
        goto out;
    n_old -= n_rem;
out:
    if (tid || json_is_string(json_object_get(doc, "tiktok_audience_id"))) {
        redisReply *rep = s->synced_key[0] ? redis_cmd(s->r, "SCARD %s", s->synced_key) : NULL;
        if (rep && rep->type == REDIS_REPLY_INTEGER)
            json_object_set_new(doc, "synced_members", json_integer(rep->integer));
        if (rep)
            freeReplyObject(rep);
    }
    json_object_set_new(doc, "last_sync", json_integer((json_int_t)time(NULL)));
    json_object_set_new(doc, "error", s->err[0] ? json_string(s->err) : json_null());
    json_object_set_new(doc, "last_sync_result",
                        json_pack("{s:I,s:I,s:I}", "members", (json_int_t)m.n, "appended", (json_int_t)n_add,
                                  "removed", (json_int_t)n_rem));
    if (save(s->r, doc) != AUD_OK)
        log_msg(LOG_WARN, "ads_audience_save_failed", "the audience's sync result could not be recorded");
    log_event(s->err[0] ? LOG_WARN : LOG_INFO, "ads_audience_sync",
              json_pack("{s:s,s:I,s:I,s:I,s:s?}", "audience_id", id, "members", (json_int_t)m.n, "appended",
                        (json_int_t)n_add, "removed", (json_int_t)n_rem, "error", s->err[0] ? s->err : NULL));
    json_decref(paths);
    json_decref(data);
    free(m.h);
    free(old);
    free(add);
    free(rem);
}

/* Take the lock and the token for a sync. */
static ads_audience_rc begin(const config_t *cfg, redis_conn_t *r, sync_t *s, char *token, const char *name)
{
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    s->r = r;
    s->token = token;
    ads_account_rc arc = ads_account_load(cfg, r, token, NULL);
    if (arc == ADS_ACCOUNT_NOT_CONNECTED)
        return AUD_NOT_CONNECTED;
    if (arc != ADS_ACCOUNT_OK || redis_key(s->lock, sizeof(s->lock), KEY_ADS_AUDIENCE_LOCK))
        return AUD_UNAVAILABLE;
    instance_owner_named(s->owner, name);
    int got = instance_lock(r, s->lock, s->owner, (long long)LOCK_TTL_S * 1000);
    if (got <= 0)
        return got < 0 ? AUD_UNAVAILABLE : AUD_BUSY;
    buf_init(&s->csv, CSV_MAX);
    return AUD_OK;
}

static void end(sync_t *s, char *token)
{
    memset(token, 0, ADS_ACCOUNT_TOKEN_MAX);
    buf_free(&s->csv);
    redis_unlock(s->r, s->lock, s->owner);
}

ads_audience_rc ads_audiences_sync(const config_t *cfg, redis_conn_t *r, const char *id, json_t **out)
{
    char token[ADS_ACCOUNT_TOKEN_MAX];
    json_t *doc = NULL;
    sync_t s;
    *out = NULL;
    ads_audience_rc rc = load(r, id, &doc);
    if (rc != AUD_OK)
        return rc;
    rc = begin(cfg, r, &s, token, id);
    if (rc != AUD_OK) {
        memset(token, 0, sizeof(token));
        json_decref(doc);
        return rc;
    }
    sync_one(&s, doc);
    int failed = s.err[0] != 0;
    end(&s, token);
    json_decref(doc);
    rc = ads_audiences_get(r, id, out);
    return rc == AUD_OK && failed ? AUD_FAILED : rc;
}

ads_audience_rc ads_audiences_sync_all(const config_t *cfg, redis_conn_t *r)
{
    char token[ADS_ACCOUNT_TOKEN_MAX], set[KEY_MAX];
    sync_t s;
    int failed = 0;
    if (redis_key(set, sizeof(set), KEY_ADS_AUDIENCES))
        return AUD_UNAVAILABLE;
    ads_audience_rc rc = begin(cfg, r, &s, token, "daily");
    if (rc != AUD_OK) {
        memset(token, 0, sizeof(token));
        return rc;
    }
    redisReply *ids = redis_cmd(r, "SMEMBERS %s", set);
    for (size_t i = 0; ids && ids->type == REDIS_REPLY_ARRAY && i < ids->elements && !s.refused; i++) {
        json_t *doc = NULL;
        if (load(r, ids->element[i]->str, &doc) != AUD_OK)
            continue;
        sync_one(&s, doc);
        failed |= s.err[0] != 0;
        json_decref(doc);
    }
    if (!ids || ids->type != REDIS_REPLY_ARRAY)
        rc = AUD_UNAVAILABLE;
    if (ids)
        freeReplyObject(ids);
    end(&s, token);
    return rc == AUD_OK && failed ? AUD_FAILED : rc;
}
