/*
 * httpx — civetweb helpers shared by the service and the sandbox: read a
 * request body under a cap, send JSON and JSON errors with the status decided
 * before any byte is written, query-string access, and a standard set of
 * server options.
 */
#ifndef SHOPSYNC_HTTPX_H
#define SHOPSYNC_HTTPX_H

#include <civetweb.h>
#include <jansson.h>
#include <stddef.h>

#include "shopsync/buf.h"

#define HTTPX_MAX_BODY (1024 * 1024)

typedef enum {
    HTTPX_BODY_OK = 0,
    HTTPX_BODY_TOO_LARGE = 1, /* declared or actual size over the cap: 413 */
    HTTPX_BODY_BAD = 2        /* truncated or unreadable body: 400 */
} httpx_body_rc;

/* Read the whole request body into body (initialised by the caller with its
 * cap). Content-Length is checked before reading, chunked bodies are counted
 * as they arrive. */
httpx_body_rc httpx_read_body(struct mg_connection *conn, buf_t *body);

/* Send status with a JSON body (v borrowed) and extra header lines (borrowed,
 * may be NULL, each "Name: value\r\n"). Returns 0 or -1. */
int httpx_send_json(struct mg_connection *conn, int status, const json_t *v,
                    const char *extra_headers);

/* Send {"error":{"code":code,"message":message}} with status. */
int httpx_send_error(struct mg_connection *conn, int status, const char *code,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Send status with an empty body. */
int httpx_send_empty(struct mg_connection *conn, int status, const char *extra_headers);

/* Send status with the given body bytes and content type (both borrowed). */
int httpx_send(struct mg_connection *conn, int status, const char *content_type,
               const void *body, size_t len, const char *extra_headers);

/* 302 to location (borrowed; must not contain CR/LF). */
int httpx_redirect(struct mg_connection *conn, const char *location);

/* Decode query parameter name into out (cap bytes). Returns its length, or -1
 * when absent or too long. */
int httpx_query(const struct mg_connection *conn, const char *name, char *out, size_t cap);

/* Percent-encode s (borrowed) for a URL query value into b. Returns 0 or -1. */
int httpx_urlencode(buf_t *b, const char *s);

/* Reason phrase for a status code. */
const char *httpx_status_text(int status);

#endif
