/*
 * httpx — civetweb request/response helpers (see httpx.h).
 */
#include "shopsync/httpx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

httpx_body_rc httpx_read_body(struct mg_connection *conn, buf_t *body)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    char chunk[16384];

    if (ri->content_length > 0 && (size_t)ri->content_length > body->max)
        return HTTPX_BODY_TOO_LARGE;
    for (;;) {
        int n = mg_read(conn, chunk, sizeof(chunk));
        if (n == 0)
            break;
        if (n < 0)
            return HTTPX_BODY_BAD;
        if (buf_append(body, chunk, (size_t)n) != 0)
            return HTTPX_BODY_TOO_LARGE;
    }
    if (ri->content_length > 0 && body->len != (size_t)ri->content_length)
        return HTTPX_BODY_BAD;
    return HTTPX_BODY_OK;
}

const char *httpx_status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

int httpx_send(struct mg_connection *conn, int status, const char *content_type,
               const void *body, size_t len, const char *extra_headers)
{
    /* Headers and body go out in one write so small responses are one
     * segment; keep-alive is left to civetweb. */
    buf_t out;
    buf_init(&out, len + 4096);
    int rc = buf_appendf(&out,
                         "HTTP/1.1 %d %s\r\n"
                         "Content-Type: %s\r\n"
                         "Content-Length: %zu\r\n"
                         "Cache-Control: no-store\r\n"
                         "X-Content-Type-Options: nosniff\r\n"
                         "%s\r\n",
                         status, httpx_status_text(status), content_type, len,
                         extra_headers ? extra_headers : "");
    if (rc == 0 && len)
        rc = buf_append(&out, body, len);
    if (rc == 0 && mg_write(conn, out.data, out.len) != (int)out.len)
        rc = -1;
    buf_free(&out);
    return rc;
}

int httpx_send_json(struct mg_connection *conn, int status, const json_t *v,
                    const char *extra_headers)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        return httpx_send(conn, 500, "application/json", "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}", 55, NULL);
    int rc = httpx_send(conn, status, "application/json", text, strlen(text), extra_headers);
    free(text);
    return rc;
}

int httpx_send_error(struct mg_connection *conn, int status, const char *code,
                     const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *v = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
    if (!v) {
        /* The message quotes request input (a decoded path) that is not
         * UTF-8, which a JSON string cannot hold: without this the answer
         * became a 500. Replace the non-ASCII bytes and keep the status. */
        for (char *p = msg; *p; p++)
            if ((unsigned char)*p >= 0x80)
                *p = '?';
        v = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
    }
    int rc = httpx_send_json(conn, status, v, NULL);
    json_decref(v);
    return rc;
}

int httpx_send_empty(struct mg_connection *conn, int status, const char *extra_headers)
{
    return httpx_send(conn, status, "text/plain", "", 0, extra_headers);
}

int httpx_redirect(struct mg_connection *conn, const char *location)
{
    if (strpbrk(location, "\r\n"))
        return httpx_send_error(conn, 500, "internal", "bad redirect target");
    buf_t h;
    buf_init(&h, 8192);
    int rc = buf_appendf(&h, "Location: %s\r\n", location);
    if (rc == 0)
        rc = httpx_send(conn, 302, "text/plain", "", 0, h.data);
    buf_free(&h);
    return rc;
}

int httpx_query(const struct mg_connection *conn, const char *name, char *out, size_t cap)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    if (!ri->query_string)
        return -1;
    int n = mg_get_var(ri->query_string, strlen(ri->query_string), name, out, cap);
    return n < 0 ? -1 : n;
}

int httpx_urlencode(buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
        char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
        if (plain ? buf_append(b, p, 1) : buf_append(b, enc, 3))
            return -1;
    }
    return 0;
}
