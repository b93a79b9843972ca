/*
 * http_client — outbound HTTP on libcurl with per-thread handles, timeouts
 * and a capped response body (see http_client.h).
 */
#include "shopsync/http_client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct http_client {
    CURL *curl;
    char errbuf[CURL_ERROR_SIZE];
};

/* State shared with the libcurl callbacks during one transfer. */
typedef struct transfer {
    http_response_t *resp;
    int too_large;
    int saw_retry_after;
    char retry_after[64];
} transfer_t;

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;
static int thread_key_ok;

int http_client_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_client_global_cleanup(void)
{
    curl_global_cleanup();
}

http_client_t *http_client_new(void)
{
    http_client_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->curl = curl_easy_init();
    if (!c->curl) {
        free(c);
        return NULL;
    }
    return c;
}

void http_client_free(http_client_t *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c);
}

static void thread_client_destroy(void *p)
{
    http_client_free(p);
}

static void thread_key_init(void)
{
    thread_key_ok = pthread_key_create(&thread_key, thread_client_destroy) == 0;
}

http_client_t *http_client_thread(void)
{
    if (pthread_once(&thread_once, thread_key_init) != 0 || !thread_key_ok)
        return NULL;
    http_client_t *c = pthread_getspecific(thread_key);
    if (c)
        return c;
    c = http_client_new();
    if (c && pthread_setspecific(thread_key, c) != 0) {
        http_client_free(c);
        c = NULL;
    }
    return c;
}

void http_response_free(http_response_t *resp)
{
    buf_free(&resp->body);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    transfer_t *t = userdata;
    size_t n = size * nmemb;
    if (buf_append(&t->resp->body, ptr, n) != 0) {
        /* Returning a short count makes libcurl abort with CURLE_WRITE_ERROR. */
        t->too_large = 1;
        return 0;
    }
    return n;
}

/* Copy the value of a "Name: value\r\n" header line, trimmed, into out. */
static void header_value(const char *line, size_t len, size_t name_len, char *out,
                         size_t cap)
{
    size_t i = name_len + 1;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    size_t end = len;
    while (end > i && (line[end - 1] == '\r' || line[end - 1] == '\n' ||
                       line[end - 1] == ' ' || line[end - 1] == '\t'))
        end--;
    size_t n = end - i;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, line + i, n);
    out[n] = '\0';
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    transfer_t *t = userdata;
    size_t n = size * nmemb;
    static const char ct[] = "Content-Type:", ra[] = "Retry-After:";

    /* A status line starts a new response (after a redirect or a 100
     * Continue): only the final response's headers count. */
    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        t->resp->content_type[0] = '\0';
        t->saw_retry_after = 0;
    } else if (n > sizeof(ct) - 1 && strncasecmp(ptr, ct, sizeof(ct) - 1) == 0) {
        header_value(ptr, n, sizeof(ct) - 2, t->resp->content_type,
                     sizeof(t->resp->content_type));
    } else if (n > sizeof(ra) - 1 && strncasecmp(ptr, ra, sizeof(ra) - 1) == 0) {
        header_value(ptr, n, sizeof(ra) - 2, t->retry_after, sizeof(t->retry_after));
        t->saw_retry_after = 1;
    }
    return n;
}

/* Retry-After is either delta-seconds or an HTTP date; -1 when unusable. */
static long parse_retry_after(const char *v)
{
    if (v[0] >= '0' && v[0] <= '9') {
        char *end;
        long s = strtol(v, &end, 10);
        return *end == '\0' && s >= 0 ? s : -1;
    }
    time_t when = curl_getdate(v, NULL);
    if (when < 0)
        return -1;
    time_t now = time(NULL);
    return when > now ? (long)(when - now) : 0;
}

/* The host of url for error messages: never the query, which may carry
 * secrets (token calls put app_secret there). */
static void url_host(const char *url, char *out, size_t cap)
{
    CURLU *u = curl_url();
    char *host = NULL;
    snprintf(out, cap, "host");
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        snprintf(out, cap, "%s", host);
    curl_free(host);
    curl_url_cleanup(u);
}

static int valid_method(const char *m)
{
    if (!m || !*m)
        return 0;
    for (; *m; m++) {
        if (*m < 'A' || *m > 'Z')
            return 0;
    }
    return 1;
}

#define SETOPT(opt, val)                                                    \
    do {                                                                    \
        if (curl_easy_setopt(curl, opt, val) != CURLE_OK) {                 \
            snprintf(err, errlen, "cannot set libcurl option %s", #opt);    \
            goto out;                                                       \
        }                                                                   \
    } while (0)

int http_client_request(http_client_t *c, const http_request_t *req,
                        http_response_t *resp, char *err, size_t errlen)
{
    struct curl_slist *headers = NULL;
    curl_mime *mime = NULL;
    CURL *curl = c->curl;
    transfer_t t;
    char host[256];
    int rc = -1;

    memset(resp, 0, sizeof(*resp));
    resp->retry_after_s = -1;
    size_t max_body = req->max_body ? req->max_body : HTTP_CLIENT_MAX_BODY;
    buf_init(&resp->body, max_body);
    long connect_ms = req->connect_timeout_ms > 0 ? req->connect_timeout_ms
                                                  : HTTP_CLIENT_CONNECT_TIMEOUT_MS;
    long total_ms = req->timeout_ms > 0 ? req->timeout_ms : HTTP_CLIENT_TIMEOUT_MS;
    memset(&t, 0, sizeof(t));
    t.resp = resp;
    url_host(req->url ? req->url : "", host, sizeof(host));

    if (!req->url || !valid_method(req->method)) {
        snprintf(err, errlen, "bad request: missing URL or invalid method");
        goto out;
    }
    if (req->n_parts && req->body) {
        snprintf(err, errlen, "bad request: both a body and multipart parts");
        goto out;
    }

    /* Reset drops the previous request's options but keeps this handle's
     * own live connections, so keep-alive still works between calls. */
    curl_easy_reset(curl);
    c->errbuf[0] = '\0';
    SETOPT(CURLOPT_ERRORBUFFER, c->errbuf);
    SETOPT(CURLOPT_URL, req->url);
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    SETOPT(CURLOPT_TIMEOUT_MS, total_ms);
    SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
    SETOPT(CURLOPT_TCP_KEEPIDLE, 60L);
    SETOPT(CURLOPT_TCP_KEEPINTVL, 30L);
    SETOPT(CURLOPT_USERAGENT, "shopsync/" SHOPSYNC_VERSION);
    SETOPT(CURLOPT_ACCEPT_ENCODING, "");
    /* Refuses up front when Content-Length already announces too much; the
     * write callback catches bodies without one. */
    SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_body);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, &t);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, &t);
    if (req->follow_redirects) {
        SETOPT(CURLOPT_FOLLOWLOCATION, 1L);
        SETOPT(CURLOPT_MAXREDIRS, HTTP_CLIENT_MAX_REDIRECTS);
        SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    }

    for (const char *const *h = req->headers; h && *h; h++) {
        /* A CR or LF inside a value would let it smuggle extra headers. */
        if (strpbrk(*h, "\r\n")) {
            snprintf(err, errlen, "bad request: header line contains CR or LF");
            goto out;
        }
        struct curl_slist *n = curl_slist_append(headers, *h);
        if (!n) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        headers = n;
    }
    /* libcurl would otherwise wait for 100-continue on large bodies. */
    struct curl_slist *expect = curl_slist_append(headers, "Expect:");
    if (!expect) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    headers = expect;
    SETOPT(CURLOPT_HTTPHEADER, headers);

    if (req->n_parts) {
        mime = curl_mime_init(curl);
        if (!mime) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < req->n_parts; i++) {
            const http_part_t *p = &req->parts[i];
            curl_mimepart *part = curl_mime_addpart(mime);
            if (!part || curl_mime_name(part, p->name) != CURLE_OK ||
                curl_mime_data(part, p->data, p->len) != CURLE_OK ||
                (p->filename && curl_mime_filename(part, p->filename) != CURLE_OK) ||
                (p->content_type && curl_mime_type(part, p->content_type) != CURLE_OK)) {
                snprintf(err, errlen, "cannot build multipart part %zu", i);
                goto out;
            }
        }
        SETOPT(CURLOPT_MIMEPOST, mime);
    } else if (req->body || strcmp(req->method, "POST") == 0) {
        SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        SETOPT(CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
    } else if (strcmp(req->method, "HEAD") == 0) {
        SETOPT(CURLOPT_NOBODY, 1L);
    } else {
        SETOPT(CURLOPT_HTTPGET, 1L);
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0 &&
        strcmp(req->method, "HEAD") != 0)
        SETOPT(CURLOPT_CUSTOMREQUEST, req->method);

    CURLcode cc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &resp->seconds);
    if (cc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
        if (t.saw_retry_after)
            resp->retry_after_s = parse_retry_after(t.retry_after);
        rc = 0;
        goto out;
    }
    if (t.too_large || cc == CURLE_FILESIZE_EXCEEDED) {
        resp->too_large = 1;
        snprintf(err, errlen, "response from %s larger than %zu bytes", host, max_body);
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
        curl_off_t connected_us = 0;
        curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connected_us);
        resp->network_error = 1;
        resp->timed_out = 1;
        if (connected_us == 0)
            snprintf(err, errlen, "timed out after %g s connecting to %s",
                     connect_ms / 1000.0, host);
        else
            snprintf(err, errlen, "timed out after %g s waiting for %s",
                     total_ms / 1000.0, host);
    } else {
        resp->network_error = 1;
        snprintf(err, errlen, "request to %s failed: %s", host,
                 c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
    }
    /* A partial body is not a response; do not let callers parse it. */
    buf_reset(&resp->body);
    resp->status = 0;

out:
    /* The handle must not keep pointers to the freed lists past this call. */
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, NULL);
    curl_mime_free(mime);
    curl_slist_free_all(headers);
    return rc;
}
