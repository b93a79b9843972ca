/*
 * ads_client — transport of TikTok's Business API (business-api.tiktok.com,
 * the Events API and the Marketing API): a JSON request with the
 * Access-Token header, and TikTok's envelope {code, message, request_id,
 * data} read into one of four outcomes. TikTok answers almost everything
 * with HTTP 200, so success is HTTP 200 *and* code 0 (or 20001, partial
 * success); the code, not the status, decides. Endpoint-agnostic: callers
 * pass the path. Uses the calling thread's http_client handle. The access
 * token is never logged nor put in a message.
 */
#ifndef SHOPSYNC_ADS_CLIENT_H
#define SHOPSYNC_ADS_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/buf.h"
#include "shopsync/http_client.h"

/* Bytes of a message buffer: TikTok's message with the code in front. */
#define ADS_CLIENT_MSG_MAX 512

typedef enum {
    ADS_CLIENT_OK = 0,             /* HTTP 200, code 0 or 20001 */
    ADS_CLIENT_RETRY = 1,          /* rate limit (40100, 40132, 40133), 5xx, 5xxxx codes,
                                      timeouts, network errors, unreadable answers */
    ADS_CLIENT_DEAD = 2,           /* any other client error (40001, 40002, ...): sending
                                      the same request again cannot succeed */
    ADS_CLIENT_TOKEN_REJECTED = 3  /* 40102 expired, 40104 empty, 40105 wrong or revoked:
                                      nothing succeeds until a new token is saved */
} ads_client_rc;

typedef struct ads_client_config {
    const char *api_base;     /* borrowed; e.g. "https://business-api.tiktok.com", no trailing '/' */
    const char *access_token; /* borrowed; never logged; "" sends no Access-Token header (the
                                 OAuth token exchange takes none) */
    long timeout_ms;          /* 0: http_client's default */
} ads_client_config_t;

/* What came back, whatever the outcome. */
typedef struct ads_client_result {
    long http_status;       /* 0 when no answer arrived */
    long long code;         /* TikTok's code; -1 when the answer carried none */
    char request_id[96];    /* "" when absent */
    json_t *data;           /* the envelope's data on ADS_CLIENT_OK (new, may be NULL) */
} ads_client_result_t;

/* method (borrowed: "GET", "POST") path (borrowed, starting with "/" and
 * with its query, e.g. "/open_api/v1.3/event/track/") on cfg->api_base, with
 * body (borrowed JSON text, may be NULL for GET). res is always filled;
 * release it with ads_client_result_free. msg receives "<code>: <TikTok's
 * message>" (or the transport's reason) on anything but ADS_CLIENT_OK, and
 * TikTok's message on partial success. Returns an ads_client_rc. */
ads_client_rc ads_client_call(const ads_client_config_t *cfg, const char *method, const char *path, const char *body,
                              size_t len, ads_client_result_t *res, char *msg, size_t msglen);

/* POST path (borrowed) as multipart/form-data of n_parts parts (borrowed,
 * n_parts > 0: TikTok's customer file upload) with the Access-Token header;
 * outcome, res and msg as ads_client_call. */
ads_client_rc ads_client_upload(const ads_client_config_t *cfg, const char *path, const http_part_t *parts,
                                size_t n_parts, ads_client_result_t *res, char *msg, size_t msglen);

/* path (borrowed, e.g. "/open_api/v1.3/report/integrated/get/") with the
 * query of params (borrowed: name, value, name, value, ..., NULL), each
 * value URL-encoded (a JSON array such as ["spend"] goes in as its text),
 * into out (reset first). Returns 0, or -1 when out's maximum is reached. */
int ads_client_path(buf_t *out, const char *path, const char *const *params);

/* The outcome of TikTok's code (a pure function, shared by the tests). */
ads_client_rc ads_client_classify(long http_status, long long code);

/* Release res->data. */
void ads_client_result_free(ads_client_result_t *res);

#endif
