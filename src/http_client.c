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

#include "shopsync/util.h"

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

/* The clients of a thread's batches: created on first use, freed with the
 * thread. */
typedef struct pool {
    http_client_t *c[HTTP_CLIENT_BATCH_MAX];
} pool_t;

static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static int pool_key_ok;

static void pool_destroy(void *p)
{
    pool_t *pool = p;
    for (size_t i = 0; i < HTTP_CLIENT_BATCH_MAX; i++)
        http_client_free(pool->c[i]);
    free(pool);
}

static void pool_key_init(void)
{
    pool_key_ok = pthread_key_create(&pool_key, pool_destroy) == 0;
}

http_client_t *const *http_client_thread_pool(size_t n)
{
    if (n > HTTP_CLIENT_BATCH_MAX || pthread_once(&pool_once, pool_key_init) != 0 || !pool_key_ok)
        return NULL;
    pool_t *pool = pthread_getspecific(pool_key);
    if (!pool) {
        pool = calloc(1, sizeof(*pool));
        if (!pool || pthread_setspecific(pool_key, pool) != 0) {
            free(pool);
            return NULL;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!pool->c[i] && !(pool->c[i] = http_client_new()))
            return NULL;
    }
    return pool->c;
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

/* Everything one transfer owns while it runs: freed by transfer_end. */
typedef struct running {
    http_client_t *c;
    transfer_t t;
    struct curl_slist *headers;
    curl_mime *mime;
    char host[256];
    long connect_ms, total_ms;
    size_t max_body;
} running_t;

/* Set c's handle up for req, the response going to resp. Returns 0, or -1
 * with a message in err. */
static int transfer_begin(running_t *x, http_client_t *c, const http_request_t *req,
                          http_response_t *resp, char *err, size_t errlen)
{
    CURL *curl = c->curl;
    int rc = -1;

    memset(x, 0, sizeof(*x));
    x->c = c;
    memset(resp, 0, sizeof(*resp));
    resp->retry_after_s = -1;
    x->max_body = req->max_body ? req->max_body : HTTP_CLIENT_MAX_BODY;
    buf_init(&resp->body, x->max_body);
    x->connect_ms = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : HTTP_CLIENT_CONNECT_TIMEOUT_MS;
    x->total_ms = req->timeout_ms > 0 ? req->timeout_ms : HTTP_CLIENT_TIMEOUT_MS;
    x->t.resp = resp;
    url_host(req->url ? req->url : "", x->host, sizeof(x->host));

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
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, x->connect_ms);
    SETOPT(CURLOPT_TIMEOUT_MS, x->total_ms);
    SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
    SETOPT(CURLOPT_TCP_KEEPIDLE, 60L);
    SETOPT(CURLOPT_TCP_KEEPINTVL, 30L);
    SETOPT(CURLOPT_USERAGENT, "shopsync/" SHOPSYNC_VERSION);
    SETOPT(CURLOPT_ACCEPT_ENCODING, "");
    /* Refuses up front when Content-Length already announces too much; the
     * write callback catches bodies without one. */
    SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_body);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, &x->t);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, &x->t);
    SETOPT(CURLOPT_PRIVATE, x);
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
        struct curl_slist *n = curl_slist_append(x->headers, *h);
        if (!n) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        x->headers = n;
    }
    /* libcurl would otherwise wait for 100-continue on large bodies. */
    struct curl_slist *expect = curl_slist_append(x->headers, "Expect:");
    if (!expect) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    x->headers = expect;
    SETOPT(CURLOPT_HTTPHEADER, x->headers);

    if (req->n_parts) {
        x->mime = curl_mime_init(curl);
        if (!x->mime) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < req->n_parts; i++) {
            const http_part_t *p = &req->parts[i];
            curl_mimepart *part = curl_mime_addpart(x->mime);
            if (!part || curl_mime_name(part, p->name) != CURLE_OK ||
                curl_mime_data(part, p->data, p->len) != CURLE_OK ||
                (p->filename && curl_mime_filename(part, p->filename) != CURLE_OK) ||
                (p->content_type && curl_mime_type(part, p->content_type) != CURLE_OK)) {
                snprintf(err, errlen, "cannot build multipart part %zu", i);
                goto out;
            }
        }
        SETOPT(CURLOPT_MIMEPOST, x->mime);
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
    rc = 0;
out:
    return rc;
}

/* Interpret the end of x's transfer (cc from libcurl) into its response.
 * Returns 0 when a response arrived, or -1 with a message in err. */
static int transfer_finish(running_t *x, CURLcode cc, char *err, size_t errlen)
{
    CURL *curl = x->c->curl;
    http_response_t *resp = x->t.resp;
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &resp->seconds);
    if (cc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
        if (x->t.saw_retry_after)
            resp->retry_after_s = parse_retry_after(x->t.retry_after);
        return 0;
    }
    if (x->t.too_large || cc == CURLE_FILESIZE_EXCEEDED) {
        resp->too_large = 1;
        snprintf(err, errlen, "response from %s larger than %zu bytes", x->host, x->max_body);
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
        curl_off_t connected_us = 0;
        curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connected_us);
        resp->network_error = 1;
        resp->timed_out = 1;
        if (connected_us == 0)
            snprintf(err, errlen, "timed out after %g s connecting to %s", x->connect_ms / 1000.0, x->host);
        else
            snprintf(err, errlen, "timed out after %g s waiting for %s", x->total_ms / 1000.0, x->host);
    } else {
        resp->network_error = 1;
        snprintf(err, errlen, "request to %s failed: %s", x->host,
                 x->c->errbuf[0] ? x->c->errbuf : curl_easy_strerror(cc));
    }
    /* A partial body is not a response; do not let callers parse it. */
    buf_reset(&resp->body);
    resp->status = 0;
    return -1;
}

/* Release what x holds; the handle keeps no pointer to the freed lists. */
static void transfer_end(running_t *x)
{
    if (!x->c)
        return;
    curl_easy_setopt(x->c->curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(x->c->curl, CURLOPT_MIMEPOST, NULL);
    curl_easy_setopt(x->c->curl, CURLOPT_PRIVATE, NULL);
    curl_mime_free(x->mime);
    curl_slist_free_all(x->headers);
    x->mime = NULL;
    x->headers = NULL;
}

int http_client_request(http_client_t *c, const http_request_t *req,
                        http_response_t *resp, char *err, size_t errlen)
{
    running_t x;
    int rc = -1;
    if (transfer_begin(&x, c, req, resp, err, errlen) == 0)
        rc = transfer_finish(&x, curl_easy_perform(c->curl), err, errlen);
    else
        resp->status = 0;
    transfer_end(&x);
    return rc;
}

int http_client_request_many(http_client_t *const *clients, http_batch_item_t *items, size_t n)
{
    CURLM *multi = NULL;
    running_t *run = NULL;
    size_t started = 0, active = 0;
    int rc = -1;

    if (n == 0)
        return 0;
    if (n > HTTP_CLIENT_BATCH_MAX)
        return -1;
    multi = curl_multi_init();
    run = calloc(n, sizeof(*run));
    if (!multi || !run)
        goto out;
    for (size_t i = 0; i < n; i++) {
        items[i].rc = -1;
        items[i].err[0] = '\0';
        memset(&items[i].resp, 0, sizeof(items[i].resp));
    }
    while (started < n || active > 0) {
        long long now = util_monotonic_us();
        /* Start every transfer whose slot has come, in order. */
        while (started < n && items[started].start_us <= now) {
            http_batch_item_t *it = &items[started];
            running_t *x = &run[started];
            if (transfer_begin(x, clients[started], it->req, &it->resp, it->err, sizeof(it->err)) != 0 ||
                curl_multi_add_handle(multi, clients[started]->curl) != CURLM_OK) {
                if (!it->err[0])
                    snprintf(it->err, sizeof(it->err), "cannot start the transfer");
                transfer_end(x);
            } else {
                active++;
            }
            started++;
        }
        int still = 0;
        if (curl_multi_perform(multi, &still) != CURLM_OK)
            goto out;
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            char *priv = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
            running_t *x = (running_t *)priv;
            CURLcode cc = m->data.result;
            curl_multi_remove_handle(multi, m->easy_handle);
            if (!x)
                continue;
            size_t i = (size_t)(x - run);
            items[i].rc = transfer_finish(x, cc, items[i].err, sizeof(items[i].err));
            transfer_end(x);
            active--;
        }
        if (started == n && active == 0)
            break;
        /* Sleep until a socket is ready or the next slot comes. */
        long long wait_ms = 100;
        if (started < n) {
            long long until = (items[started].start_us - util_monotonic_us()) / 1000;
            if (until < wait_ms)
                wait_ms = until < 0 ? 0 : until;
        }
        if (active > 0) {
            if (curl_multi_poll(multi, NULL, 0, (int)wait_ms, NULL) != CURLM_OK)
                goto out;
        } else if (wait_ms > 0) {
            util_sleep_ms(wait_ms);
        }
    }
    rc = 0;
out:
    if (run) {
        for (size_t i = 0; i < n; i++) {
            if (run[i].c) {
                if (multi)
                    curl_multi_remove_handle(multi, run[i].c->curl);
                transfer_end(&run[i]);
            }
        }
    }
    free(run);
    if (multi)
        curl_multi_cleanup(multi);
    return rc;
}
