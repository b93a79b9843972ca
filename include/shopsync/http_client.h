/*
 * http_client — outbound HTTP(S) on libcurl, one easy handle per thread.
 *
 * Every transfer has a connect timeout, a total timeout and a cap on the
 * response body, so a slow or hostile peer can neither hang a worker nor
 * exhaust memory. Redirects are not followed unless a request asks for it
 * (image downloads), and then at most HTTP_CLIENT_MAX_REDIRECTS times. No
 * connection cache is shared between handles; each thread's handle keeps its
 * own connections alive for reuse.
 */
#ifndef SHOPSYNC_HTTP_CLIENT_H
#define SHOPSYNC_HTTP_CLIENT_H

#include <stddef.h>

#include "shopsync/buf.h"

#define HTTP_CLIENT_CONNECT_TIMEOUT_MS 5000L
#define HTTP_CLIENT_TIMEOUT_MS 15000L
#define HTTP_CLIENT_MAX_BODY ((size_t)8 * 1024 * 1024)
#define HTTP_CLIENT_MAX_REDIRECTS 3L

typedef struct http_client http_client_t;

/* One part of a multipart/form-data body. All pointers are borrowed for the
 * duration of the request. A part with filename NULL is a plain text field. */
typedef struct http_part {
    const char *name;
    const char *filename;     /* NULL for a plain field */
    const char *content_type; /* NULL: libcurl's default */
    const void *data;
    size_t len;
} http_part_t;

/* One request. Every pointer is borrowed for the duration of the call. */
typedef struct http_request {
    const char *method;              /* "GET", "POST", "PUT", "DELETE", ... */
    const char *url;                 /* http:// or https:// only */
    const char *const *headers;      /* NULL-terminated "Name: value" lines, or NULL */
    const void *body;                /* raw body, or NULL */
    size_t body_len;
    const http_part_t *parts;        /* multipart/form-data body when n_parts > 0 */
    size_t n_parts;
    long connect_timeout_ms;         /* 0: HTTP_CLIENT_CONNECT_TIMEOUT_MS */
    long timeout_ms;                 /* 0: HTTP_CLIENT_TIMEOUT_MS */
    size_t max_body;                 /* 0: HTTP_CLIENT_MAX_BODY */
    int follow_redirects;            /* nonzero: follow up to HTTP_CLIENT_MAX_REDIRECTS */
} http_request_t;

/* What came back. body is owned by the response: release with
 * http_response_free. */
typedef struct http_response {
    long status;               /* HTTP status, 0 when no response arrived */
    buf_t body;
    char content_type[128];    /* "" when absent */
    long retry_after_s;        /* Retry-After in seconds, -1 when absent */
    double seconds;            /* wall time of the transfer */
    int network_error;         /* set when -1: no usable response */
    int timed_out;             /* set with network_error on a timeout */
    int too_large;             /* set when the body exceeded max_body */
} http_response_t;

/* Initialise libcurl. Call once from the main thread before any other thread
 * starts. Returns 0 or -1. */
int http_client_global_init(void);

/* Release libcurl's global state; call once after all threads have ended. */
void http_client_global_cleanup(void);

/* A new client with its own easy handle (caller frees with
 * http_client_free), or NULL. A client must be used by one thread at a time. */
http_client_t *http_client_new(void);

/* Free a client from http_client_new (NULL is fine). */
void http_client_free(http_client_t *c);

/* The calling thread's client: borrowed, created on first use and freed
 * automatically when the thread exits. NULL when it cannot be created. */
http_client_t *http_client_thread(void);

/* Perform req with c (borrowed). resp is always initialised, whatever the
 * outcome, and the caller must call http_response_free on it. Returns 0 when
 * an HTTP response arrived (any status), or -1 with a message in err (which
 * never contains the URL's query, where secrets may travel) and
 * resp->network_error / timed_out / too_large set. */
int http_client_request(http_client_t *c, const http_request_t *req,
                        http_response_t *resp, char *err, size_t errlen);

/* Transfers run together by http_client_request_many. */
#define HTTP_CLIENT_BATCH_MAX 64

typedef struct http_batch_item {
    const http_request_t *req;   /* borrowed for the call */
    long long start_us;          /* CLOCK_MONOTONIC microseconds: not sent before */
    http_response_t resp;        /* filled; caller frees with http_response_free */
    int rc;                      /* as http_client_request's return */
    char err[256];               /* why, when rc is -1 */
} http_batch_item_t;

/* Perform n (<= HTTP_CLIENT_BATCH_MAX) requests at once on libcurl's multi
 * interface, items[i] on clients[i] (borrowed, distinct, used by this
 * thread only), each started no earlier than its start_us (items sorted by
 * start_us), so a caller can pace them to a rate limit while earlier ones
 * are still in flight. Each item's resp, rc and err are set as
 * http_client_request would set them. Returns 0, or -1 when the batch
 * itself could not run (every item not finished then has rc -1). */
int http_client_request_many(http_client_t *const *clients, http_batch_item_t *items, size_t n);

/* n (<= HTTP_CLIENT_BATCH_MAX) clients of the calling thread for
 * http_client_request_many: borrowed, created on first use, kept (with
 * their live connections) and freed when the thread exits. NULL on failure. */
http_client_t *const *http_client_thread_pool(size_t n);

/* Release the response body. The response may be reused after that. */
void http_response_free(http_response_t *resp);

#endif
