/*
 * ads_client — TikTok Business API transport (see ads_client.h).
 */
#include "shopsync/ads_client.h"

#include <stdio.h>
#include <string.h>

#include "shopsync/http_client.h"
#include "shopsync/httpx.h"
#include "shopsync/jsonx.h"

/* An answer bigger than this is not an Events API envelope. */
#define MAX_ANSWER (1024 * 1024)
/* Access-Token header line: the name and a token of up to 1 KiB. */
#define TOKEN_HEADER_MAX 1100
#define URL_MAX 2048

ads_client_rc ads_client_classify(long http_status, long long code)
{
    /* A server fault is retried whatever the body says. */
    if (http_status >= 500 || http_status == 429)
        return ADS_CLIENT_RETRY;
    if (code < 0)
        /* No envelope: a 4xx without one is a wrong path or method (sending
         * it again cannot help); anything else is a proxy or a truncated
         * answer, worth another try. */
        return http_status >= 400 && http_status < 500 ? ADS_CLIENT_DEAD : ADS_CLIENT_RETRY;
    if (code == 0 || code == 20001)
        return http_status == 200 ? ADS_CLIENT_OK : ADS_CLIENT_RETRY;
    if (code == 40100 || code == 40132 || code == 40133 || (code >= 50000 && code < 60000))
        return ADS_CLIENT_RETRY;
    if (code == 40102 || code == 40104 || code == 40105)
        return ADS_CLIENT_TOKEN_REJECTED;
    return ADS_CLIENT_DEAD;
}

int ads_client_path(buf_t *out, const char *path, const char *const *params)
{
    buf_reset(out);
    if (buf_appends(out, path))
        return -1;
    for (size_t i = 0; params && params[i] && params[i + 1]; i += 2)
        if (buf_appends(out, i == 0 ? "?" : "&") || buf_appends(out, params[i]) || buf_appends(out, "=") ||
            httpx_urlencode(out, params[i + 1]))
            return -1;
    return 0;
}

/* One call: a JSON body (body, len) or a multipart/form-data one (parts,
 * n_parts > 0); everything borrowed. */
static ads_client_rc call(const ads_client_config_t *cfg, const char *method, const char *path, const char *body,
                          size_t len, const http_part_t *parts, size_t n_parts, ads_client_result_t *res, char *msg,
                          size_t msglen)
{
    char url[URL_MAX], auth[TOKEN_HEADER_MAX], herr[256];
    http_response_t resp;
    json_t *doc = NULL;
    ads_client_rc rc = ADS_CLIENT_RETRY;

    memset(res, 0, sizeof(*res));
    res->code = -1;
    msg[0] = '\0';
    memset(&resp, 0, sizeof(resp));
    if ((size_t)snprintf(url, sizeof(url), "%s%s", cfg->api_base, path) >= sizeof(url) ||
        (size_t)snprintf(auth, sizeof(auth), "Access-Token: %s", cfg->access_token) >= sizeof(auth) ||
        strpbrk(cfg->access_token, "\r\n")) {
        snprintf(msg, msglen, "the API base, path or access token is too long or malformed");
        memset(auth, 0, sizeof(auth));
        return ADS_CLIENT_DEAD;
    }
    http_client_t *http = http_client_thread();
    if (!http) {
        snprintf(msg, msglen, "the HTTP client could not start");
        memset(auth, 0, sizeof(auth));
        return ADS_CLIENT_RETRY;
    }
    /* libcurl writes a multipart body's Content-Type with its boundary. */
    const char *with_token[] = {auth, "Content-Type: application/json", "Accept: application/json", NULL};
    const char *multipart[] = {auth, "Accept: application/json", NULL};
    const char *const *headers = n_parts ? multipart : cfg->access_token[0] ? with_token : with_token + 1;
    http_request_t req = {.method = method, .url = url, .headers = headers, .body = body, .body_len = body ? len : 0,
                          .parts = parts, .n_parts = n_parts, .timeout_ms = cfg->timeout_ms, .max_body = MAX_ANSWER};
    int hrc = http_client_request(http, &req, &resp, herr, sizeof(herr));
    memset(auth, 0, sizeof(auth));
    res->http_status = resp.status;
    if (hrc != 0) {
        snprintf(msg, msglen, "%s: %s", resp.timed_out ? "timeout" : "network error", herr);
        goto out;
    }
    char jerr[128];
    doc = resp.body.len ? jsonx_loadb(resp.body.data, resp.body.len, jerr, sizeof(jerr)) : NULL;
    const json_t *code = json_object_get(doc, "code");
    const char *message = json_string_value(json_object_get(doc, "message"));
    const char *rid = json_string_value(json_object_get(doc, "request_id"));
    if (json_is_integer(code))
        res->code = json_integer_value(code);
    if (rid)
        snprintf(res->request_id, sizeof(res->request_id), "%s", rid);
    rc = ads_client_classify(resp.status, res->code);
    if (rc == ADS_CLIENT_OK) {
        json_t *data = json_object_get(doc, "data");
        res->data = data ? json_incref(data) : NULL;
        if (res->code != 0)
            snprintf(msg, msglen, "%lld: %s", res->code, message ? message : "partial success");
    } else if (res->code >= 0) {
        snprintf(msg, msglen, "%lld: %s", res->code, message ? message : "(no message)");
    } else {
        snprintf(msg, msglen, "HTTP %ld without a TikTok envelope", resp.status);
    }
out:
    json_decref(doc);
    http_response_free(&resp);
    return rc;
}

ads_client_rc ads_client_call(const ads_client_config_t *cfg, const char *method, const char *path, const char *body,
                              size_t len, ads_client_result_t *res, char *msg, size_t msglen)
{
    return call(cfg, method, path, body, len, NULL, 0, res, msg, msglen);
}

ads_client_rc ads_client_upload(const ads_client_config_t *cfg, const char *path, const http_part_t *parts,
                                size_t n_parts, ads_client_result_t *res, char *msg, size_t msglen)
{
    return call(cfg, "POST", path, NULL, 0, parts, n_parts, res, msg, msglen);
}

void ads_client_result_free(ads_client_result_t *res)
{
    json_decref(res->data);
    res->data = NULL;
}
