/*
 * dmp — TikTok's customer-file audiences (DMP) as shopsync's audience sync
 * uses them: file/upload/ (multipart/form-data: advertiser_id, file,
 * file_signature, calculate_type) checks the MD5 signature against the
 * file and every line against the id type (64 hex characters for a
 * *_SHA256 type) and answers a file_path only that advertiser may use;
 * create/ refuses an audience under 1,000 distinct members; update/ applies
 * APPEND, REMOVE or REPLACE and refuses a result under 1,000. Tokens,
 * latency and the injected faults are the Marketing API's (marketing.c);
 * POST /sandbox/ads/marketing {"dmp_corrupt_next":N} damages the next N
 * uploaded files in transit, so their signature no longer matches.
 * GET /sandbox/ads/audiences lists the audiences (members with
 * ?members=1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "multipart.h"
#include "sandbox.h"
#include "shopsync/crypto.h"
#include "shopsync/jsonx.h"
#include "store.h"

#define MIN_MEMBERS 1000
#define MAX_FILES 2000
#define MAX_AUDIENCES 500
#define MAX_FILE_PATHS 500
#define HASH_LEN 64

/* 1 when type is a calculate_type TikTok takes for a customer file. */
static int type_known(const char *t)
{
    static const char *const types[] = {"EMAIL_SHA256", "PHONE_SHA256", "IDFA_SHA256", "GAID_SHA256",
                                        "IDFA_MD5",     "GAID_MD5",     NULL};
    for (size_t i = 0; t && types[i]; i++)
        if (strcmp(t, types[i]) == 0)
            return 1;
    return 0;
}

/* Split data into lines of the type's hash length into hashes (borrowed,
 * appended). Returns 0, or the 1-based number of the first bad line. */
static size_t parse_lines(const char *data, size_t len, const char *type, json_t *hashes)
{
    size_t want = strstr(type, "MD5") ? 32 : HASH_LEN, line = 0;
    char h[HASH_LEN + 1];
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t n = (nl ? (size_t)(nl - data) : len) - i;
        line++;
        if (n && data[i + n - 1] == '\r')
            n--;
        if (n != want)
            return line;
        for (size_t k = 0; k < n; k++) {
            char c = data[i + k];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                return line;
            h[k] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
        }
        h[n] = '\0';
        json_array_append_new(hashes, json_string(h));
        i += (nl ? (size_t)(nl - data) + 1 : len) - i;
    }
    return 0;
}

/* A text part of the upload into out (cap bytes): 0, or -1 when absent. */
static int text_part(sb_req_t *r, const char *ct, const char *name, char *out, size_t cap)
{
    sb_part_t p;
    if (sb_multipart_find(ct, r->body.data ? r->body.data : "", r->body.len, name, &p) != 0 || p.len >= cap)
        return -1;
    memcpy(out, p.data, p.len);
    out[p.len] = '\0';
    return 0;
}

int sb_dmp_upload(sb_req_t *r)
{
    char adv[64], sig[64], type[32], md5[CRYPTO_MD5_HEX];
    int st;
    json_t *ids = sb_mapi_open(r, &st);
    if (!ids)
        return st;
    const char *ct = mg_get_header(r->conn, "Content-Type");
    sb_part_t file;
    json_t *hashes = NULL;
    if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0) {
        st = sb_business_reply(r, 200, 40002, NULL, "file/upload/ takes multipart/form-data.");
        goto out;
    }
    if (text_part(r, ct, "advertiser_id", adv, sizeof(adv)) || !sb_json_list_has(ids, adv)) {
        st = sb_business_reply(r, 200, 40002, NULL, "advertiser_id: missing or not reached by this token.");
        goto out;
    }
    if (text_part(r, ct, "calculate_type", type, sizeof(type)) || !type_known(type)) {
        st = sb_business_reply(r, 200, 40002, NULL, "calculate_type: missing or not a customer file type.");
        goto out;
    }
    if (text_part(r, ct, "file_signature", sig, sizeof(sig))) {
        st = sb_business_reply(r, 200, 40002, NULL, "file_signature: required (the MD5 of the file).");
        goto out;
    }
    if (sb_multipart_find(ct, r->body.data ? r->body.data : "", r->body.len, "file", &file) != 0 || file.len == 0) {
        st = sb_business_reply(r, 200, 40002, NULL, "file: required, a non-empty .csv or .txt file.");
        goto out;
    }
    sb_store_t *s = r->app->store;
    sb_store_lock(s);
    int corrupt = s->dmp_corrupt_next > 0;
    if (corrupt) {
        s->dmp_corrupt_next--;
        s->counters.faults_injected++;
    }
    sb_store_unlock(s);
    /* A file damaged in transit: what arrived is not what was signed. */
    if (crypto_md5_hex(file.data, file.len - (corrupt ? 1 : 0), md5) != 0 || !crypto_hex_equal(md5, sig)) {
        st = sb_business_reply(r, 200, 40002, NULL, "file_signature does not match the MD5 of the file received.");
        goto out;
    }
    hashes = json_array();
    size_t bad = parse_lines(file.data, file.len, type, hashes);
    if (bad) {
        st = sb_business_reply(r, 200, 40002, NULL,
                               "line %zu of the file does not match calculate_type %s.", bad, type);
        goto out;
    }
    sb_store_lock(s);
    if (json_object_size(s->dmp_files) >= MAX_FILES) {
        sb_store_unlock(s);
        st = sb_business_reply(r, 200, 40002, NULL, "too many files uploaded.");
        goto out;
    }
    char path[64];
    snprintf(path, sizeof(path), "sbx/dmp/%lu.csv", ++s->dmp_seq);
    json_object_set_new(s->dmp_files, path,
                        json_pack("{s:s,s:s,s:O}", "advertiser_id", adv, "calculate_type", type, "hashes", hashes));
    s->dmp_uploads++;
    sb_store_unlock(s);
    st = sb_business_reply(r, 200, 0, json_pack("{s:s}", "file_path", path), "OK");
out:
    json_decref(hashes);
    json_decref(ids);
    return st;
}

/* The members of file_paths (borrowed) added to (or, remove, taken from)
 * members (borrowed object used as a set); store locked. Returns 0, or -1
 * with why. */
static int apply_files(sb_store_t *s, const json_t *paths, const char *adv, const char *type, json_t *members,
                       int remove, char *why, size_t whylen)
{
    size_t i, k;
    const json_t *p, *h;
    if (!json_is_array(paths) || json_array_size(paths) == 0 || json_array_size(paths) > MAX_FILE_PATHS) {
        snprintf(why, whylen, "file_paths: 1 to %d file paths", MAX_FILE_PATHS);
        return -1;
    }
    json_array_foreach(paths, i, p) {
        const json_t *f = json_object_get(s->dmp_files, json_string_value(p) ? json_string_value(p) : "");
        if (!f || strcmp(json_string_value(json_object_get(f, "advertiser_id")), adv) != 0) {
            snprintf(why, whylen, "file_paths[%zu]: unknown file or uploaded by another advertiser", i);
            return -1;
        }
        if (strcmp(json_string_value(json_object_get(f, "calculate_type")), type) != 0) {
            snprintf(why, whylen, "file_paths[%zu]: the file's calculate_type is not %s", i, type);
            return -1;
        }
    }
    json_array_foreach(paths, i, p) {
        const json_t *f = json_object_get(s->dmp_files, json_string_value(p));
        json_array_foreach(json_object_get(f, "hashes"), k, h) {
            if (remove)
                json_object_del(members, json_string_value(h));
            else
                json_object_set_new(members, json_string_value(h), json_true());
        }
    }
    return 0;
}

/* The opening of create and update: the faults, the token's advertisers
 * (*ids, new), the JSON body (*body, new) and its advertiser_id (*adv,
 * borrowed from it), which the token must reach. Returns 0, or the status
 * of the answer already sent (nothing left to free). */
static int dmp_open(sb_req_t *r, json_t **ids, json_t **body, const char **adv)
{
    char err[256];
    int st;
    *body = NULL;
    if (!(*ids = sb_mapi_open(r, &st)))
        return st;
    if (sb_req_object(r, body, err, sizeof(err)) != 0)
        st = sb_business_reply(r, 200, 40002, NULL, "%s", err);
    else if (!sb_json_list_has(*ids, *adv = json_string_value(json_object_get(*body, "advertiser_id"))))
        st = sb_business_reply(r, 200, 40002, NULL, "advertiser_id: missing or not reached by this token.");
    else
        return 0;
    json_decref(*body);
    json_decref(*ids);
    *body = *ids = NULL;
    return st;
}

int sb_dmp_create(sb_req_t *r)
{
    char err[256];
    json_t *body = NULL, *members = NULL, *ids = NULL;
    const char *adv = NULL;
    int st = dmp_open(r, &ids, &body, &adv);
    if (st)
        return st;
    const char *name = json_string_value(json_object_get(body, "custom_audience_name"));
    const char *type = json_string_value(json_object_get(body, "calculate_type"));
    if (!name || sb_utf8_len(name) < 1 || sb_utf8_len(name) > 128) {
        st = sb_business_reply(r, 200, 40002, NULL, "custom_audience_name: 1 to 128 characters.");
        goto out;
    }
    if (!type_known(type)) {
        st = sb_business_reply(r, 200, 40002, NULL, "calculate_type: missing or not a customer file type.");
        goto out;
    }
    sb_store_t *s = r->app->store;
    members = json_object();
    sb_store_lock(s);
    int rc = apply_files(s, json_object_get(body, "file_paths"), adv, type, members, 0, err, sizeof(err));
    if (rc == 0 && json_object_size(members) < MIN_MEMBERS) {
        snprintf(err, sizeof(err), "The audience has %zu users: a custom audience needs at least %d.",
                 json_object_size(members), MIN_MEMBERS);
        rc = -1;
    }
    if (rc == 0 && json_object_size(s->dmp_audiences) >= MAX_AUDIENCES) {
        snprintf(err, sizeof(err), "too many audiences.");
        rc = -1;
    }
    char id[32];
    if (rc == 0) {
        snprintf(id, sizeof(id), "%lu", 7300000000000000000UL + ++s->dmp_seq);
        json_object_set_new(s->dmp_audiences, id,
                            json_pack("{s:s,s:s,s:s,s:s,s:O,s:I,s:I,s:I}", "custom_audience_id", id,
                                      "custom_audience_name", name, "advertiser_id", adv, "calculate_type", type,
                                      "members", members, "created_at", (json_int_t)time(NULL), "appends",
                                      (json_int_t)0, "removes", (json_int_t)0));
    }
    sb_store_unlock(s);
    st = rc == 0 ? sb_business_reply(r, 200, 0, json_pack("{s:s}", "custom_audience_id", id), "OK")
                 : sb_business_reply(r, 200, 40002, NULL, "%s", err);
out:
    json_decref(members);
    json_decref(body);
    json_decref(ids);
    return st;
}

int sb_dmp_update(sb_req_t *r)
{
    char err[256];
    json_t *body = NULL, *members = NULL, *ids = NULL;
    const char *adv = NULL;
    int st = dmp_open(r, &ids, &body, &adv);
    if (st)
        return st;
    const char *aid = json_string_value(json_object_get(body, "custom_audience_id"));
    const char *action = json_string_value(json_object_get(body, "action"));
    if (!action)
        action = "REPLACE";
    if (strcmp(action, "APPEND") != 0 && strcmp(action, "REMOVE") != 0 && strcmp(action, "REPLACE") != 0) {
        st = sb_business_reply(r, 200, 40002, NULL, "action: must be APPEND, REMOVE or REPLACE.");
        goto out;
    }
    sb_store_t *s = r->app->store;
    sb_store_lock(s);
    json_t *a = json_object_get(s->dmp_audiences, aid ? aid : "");
    int rc = 0;
    if (!a || strcmp(json_string_value(json_object_get(a, "advertiser_id")), adv) != 0) {
        snprintf(err, sizeof(err), "custom_audience_id: no such audience of this advertiser.");
        rc = -1;
    }
    if (rc == 0) {
        members = strcmp(action, "REPLACE") == 0 ? json_object() : json_deep_copy(json_object_get(a, "members"));
        rc = apply_files(s, json_object_get(body, "file_paths"), adv,
                         json_string_value(json_object_get(a, "calculate_type")), members,
                         strcmp(action, "REMOVE") == 0, err, sizeof(err));
    }
    if (rc == 0 && json_object_size(members) < MIN_MEMBERS) {
        snprintf(err, sizeof(err), "After this update the audience would have %zu users: at least %d are needed.",
                 json_object_size(members), MIN_MEMBERS);
        rc = -1;
    }
    if (rc == 0) {
        json_object_set(a, "members", members);
        const char *n = strcmp(action, "REMOVE") == 0 ? "removes" : "appends";
        json_object_set_new(a, n, json_integer(json_integer_value(json_object_get(a, n)) + 1));
    }
    sb_store_unlock(s);
    st = rc == 0 ? sb_business_reply(r, 200, 0, json_pack("{s:s}", "custom_audience_id", aid), "OK")
                 : sb_business_reply(r, 200, 40002, NULL, "%s", err);
out:
    json_decref(members);
    json_decref(body);
    json_decref(ids);
    return st;
}

/* One audience (borrowed) as the state lists it; with_members adds them. */
static json_t *audience_view(const json_t *a, int with_members)
{
    json_t *v = json_pack("{s:O,s:O,s:O,s:O,s:I,s:O,s:O,s:O}", "custom_audience_id",
                          json_object_get(a, "custom_audience_id"), "custom_audience_name",
                          json_object_get(a, "custom_audience_name"), "advertiser_id",
                          json_object_get(a, "advertiser_id"), "calculate_type", json_object_get(a, "calculate_type"),
                          "size", (json_int_t)json_object_size(json_object_get(a, "members")), "created_at",
                          json_object_get(a, "created_at"), "appends", json_object_get(a, "appends"), "removes",
                          json_object_get(a, "removes"));
    if (v && with_members) {
        json_t *m = json_array();
        const char *k;
        json_t *x;
        json_object_foreach(json_object_get(a, "members"), k, x) json_array_append_new(m, json_string(k));
        json_object_set_new(v, "members", m);
    }
    return v;
}

int sb_dmp_state(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    const char *want = sb_params_get(&r->query, "members");
    int with_members = want && strcmp(want, "1") == 0;
    json_t *list = json_array();
    const char *k;
    json_t *a;
    sb_store_lock(s);
    json_object_foreach(s->dmp_audiences, k, a) json_array_append_new(list, audience_view(a, with_members));
    json_t *v = json_pack("{s:o,s:I,s:I,s:I}", "audiences", list, "uploads", (json_int_t)s->dmp_uploads, "files",
                          (json_int_t)json_object_size(s->dmp_files), "corrupt_next", (json_int_t)s->dmp_corrupt_next);
    sb_store_unlock(s);
    return sb_reply_json(r, 200, v);
}

int sb_dmp_page_html(buf_t *b, sb_store_t *s)
{
    int rc = buf_appendf(b, "<h2>TikTok Ads: custom audiences</h2><p>Customer-file audiences created through "
                            "<code>dmp/custom_audience/create/</code> (%lu files uploaded).</p><table id=\"ads-audiences\">"
                            "<tr><th>Audience</th><th>Id</th><th>Advertiser</th><th>Type</th><th>Members</th>"
                            "<th>Appends</th><th>Removes</th></tr>",
                         s->dmp_uploads);
    const char *k;
    json_t *a;
    json_object_foreach(s->dmp_audiences, k, a) {
        if (rc)
            break;
        rc = buf_appends(b, "<tr><td>") ||
             sb_html_escape(b, json_string_value(json_object_get(a, "custom_audience_name"))) ||
             buf_appends(b, "</td><td><code>") || sb_html_escape(b, k) || buf_appends(b, "</code></td><td>") ||
             sb_html_escape(b, json_string_value(json_object_get(a, "advertiser_id"))) ||
             buf_appends(b, "</td><td>") || sb_html_escape(b, json_string_value(json_object_get(a, "calculate_type"))) ||
             buf_appendf(b, "</td><td>%zu</td><td>%lld</td><td>%lld</td></tr>",
                         json_object_size(json_object_get(a, "members")),
                         (long long)json_integer_value(json_object_get(a, "appends")),
                         (long long)json_integer_value(json_object_get(a, "removes")));
    }
    return rc || buf_appends(b, "</table>");
}
