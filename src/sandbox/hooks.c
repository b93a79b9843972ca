/*
 * hooks — background webhook delivery and a minimal HTTP/1.1 client
 * (see hooks.h).
 */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "shopsync/log.h"

#define HOOK_TIMEOUT_MS 2000
#define HOOK_RECENT 50
#define HOOK_ATTEMPTS 4
#define HOOK_MAX_RESPONSE 65536

/* Delays before the 2nd, 3rd and 4th attempt. */
static const long long retry_delay_ms[HOOK_ATTEMPTS - 1] = {200, 1000, 3000};

typedef struct hook_job {
    struct hook_job *next;
    char *url;
    char *headers;
    char *body;
    char *id;
    int attempts;
    long long due_ms;
} hook_job_t;

struct sb_hooks {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    hook_job_t *head;  /* FIFO; retries are appended with a later due time */
    size_t pending;
    int stop;
    unsigned long sent;
    unsigned long failed;
    json_t *recent;    /* last HOOK_RECENT outcomes, oldest first */
};

static void job_free(hook_job_t *j)
{
    if (!j)
        return;
    free(j->url);
    free(j->headers);
    free(j->body);
    free(j->id);
    free(j);
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Split http://host[:port][/path] into parts. Returns 0 or -1. */
static int parse_url(const char *url, char *host, size_t hcap, char *port, size_t pcap,
                     const char **path)
{
    if (strncmp(url, "http://", 7) != 0)
        return -1;
    const char *h = url + 7;
    const char *slash = strchr(h, '/');
    const char *hend = slash ? slash : h + strlen(h);
    const char *colon = NULL;
    if (*h == '[') {
        /* [v6]:port */
        const char *rb = memchr(h, ']', (size_t)(hend - h));
        if (!rb)
            return -1;
        colon = rb[1] == ':' ? rb + 1 : NULL;
        h++;
        if ((size_t)(rb - h) >= hcap)
            return -1;
        memcpy(host, h, (size_t)(rb - h));
        host[rb - h] = '\0';
    } else {
        colon = memchr(h, ':', (size_t)(hend - h));
        const char *e = colon ? colon : hend;
        if (e == h || (size_t)(e - h) >= hcap)
            return -1;
        memcpy(host, h, (size_t)(e - h));
        host[e - h] = '\0';
    }
    const char *p = colon ? colon + 1 : "80";
    size_t plen = colon ? (size_t)(hend - p) : 2;
    if (plen == 0 || plen >= pcap)
        return -1;
    memcpy(port, p, plen);
    port[plen] = '\0';
    *path = slash ? slash : "/";
    return 0;
}

/* Connect to host:port within timeout_ms. Returns a blocking socket with
 * send/receive timeouts set, or -1. */
static int dial(const char *host, const char *port, int timeout_ms, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    int fd = -1;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        snprintf(err, errlen, "resolve %s: %s", host, gai_strerror(gai));
        return -1;
    }
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        int flags = fcntl(fd, F_GETFL, 0);
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            rc = poll(&pfd, 1, timeout_ms) == 1 &&
                         getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0
                     ? 0
                     : -1;
            if (rc != 0)
                errno = soerr ? soerr : ETIMEDOUT;
        }
        if (rc != 0) {
            snprintf(err, errlen, "connect %s:%s: %s", host, port, strerror(errno));
            close(fd);
            fd = -1;
            continue;
        }
        fcntl(fd, F_SETFL, flags);
        struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    freeaddrinfo(res);
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int sb_http_post(const char *url, const char *headers, const char *body, size_t len,
                 int timeout_ms, int *status, char *err, size_t errlen)
{
    char host[256], port[16];
    const char *path = NULL;
    buf_t req, resp;
    int fd = -1, rc = -1;

    buf_init(&req, len + 16384);
    buf_init(&resp, HOOK_MAX_RESPONSE);
    if (parse_url(url, host, sizeof(host), port, sizeof(port), &path) != 0) {
        snprintf(err, errlen, "not an http:// URL");
        goto out;
    }
    if (buf_appendf(&req,
                    "POST %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: shopsync-sandbox\r\n"
                    "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
                    path, host, port, len, headers) ||
        buf_append(&req, body, len)) {
        snprintf(err, errlen, "request too large");
        goto out;
    }
    fd = dial(host, port, timeout_ms, err, errlen);
    if (fd < 0)
        goto out;
    if (send_all(fd, req.data, req.len) != 0) {
        snprintf(err, errlen, "send: %s", strerror(errno));
        goto out;
    }
    /* Read to EOF (the server closes: Connection: close) so the receiver is
     * never reset mid-reply; the cap bounds a chatty peer. */
    char chunk[4096];
    for (;;) {
        ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || buf_append(&resp, chunk, (size_t)n) != 0)
            break;
    }
    int major = 0, minor = 0, code = 0;
    if (!resp.data || sscanf(resp.data, "HTTP/%d.%d %d", &major, &minor, &code) != 3 ||
        code < 100 || code > 999) {
        snprintf(err, errlen, "no HTTP status line in reply");
        goto out;
    }
    *status = code;
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    buf_free(&req);
    buf_free(&resp);
    return rc;
}

static void record(sb_hooks_t *h, const hook_job_t *j, int status, const char *error, int done)
{
    json_t *e = json_pack("{s:s,s:s,s:i,s:i,s:b,s:b}", "id", j->id, "url", j->url, "attempts",
                          j->attempts, "status", status, "delivered",
                          status >= 200 && status < 300, "final", done);
    if (!e)
        return;
    if (error)
        json_object_set_new(e, "error", json_string(error));
    json_array_append_new(h->recent, e);
    if (json_array_size(h->recent) > HOOK_RECENT)
        json_array_remove(h->recent, 0);
}

/* Pop the first job that is due, or report in *wait_ms how long until one
 * is (-1: none queued). Lock held. */
static hook_job_t *take_due(sb_hooks_t *h, long long *wait_ms)
{
    long long now = mono_ms(), best = -1;
    for (hook_job_t **pp = &h->head; *pp; pp = &(*pp)->next) {
        hook_job_t *j = *pp;
        if (j->due_ms <= now) {
            *pp = j->next;
            h->pending--;
            return j;
        }
        if (best < 0 || j->due_ms - now < best)
            best = j->due_ms - now;
    }
    *wait_ms = best;
    return NULL;
}

static void append(sb_hooks_t *h, hook_job_t *j)
{
    hook_job_t **pp = &h->head;
    while (*pp)
        pp = &(*pp)->next;
    j->next = NULL;
    *pp = j;
    h->pending++;
}

static void *run(void *arg)
{
    sb_hooks_t *h = arg;
    pthread_mutex_lock(&h->mu);
    while (!h->stop) {
        long long wait_ms = -1;
        hook_job_t *j = take_due(h, &wait_ms);
        if (!j) {
            if (wait_ms < 0) {
                pthread_cond_wait(&h->cv, &h->mu);
            } else {
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                ts.tv_sec += wait_ms / 1000;
                ts.tv_nsec += (wait_ms % 1000) * 1000000;
                if (ts.tv_nsec >= 1000000000) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000;
                }
                pthread_cond_timedwait(&h->cv, &h->mu, &ts);
            }
            continue;
        }
        pthread_mutex_unlock(&h->mu);
        int status = 0;
        char err[256] = "";
        int rc = sb_http_post(j->url, j->headers, j->body, strlen(j->body), HOOK_TIMEOUT_MS,
                              &status, err, sizeof(err));
        j->attempts++;
        int ok = rc == 0 && status >= 200 && status < 300;
        json_t *fields = json_pack("{s:s,s:i,s:i}", "id", j->id, "attempt", j->attempts,
                                   "status", status);
        if (rc != 0)
            json_object_set_new(fields, "error", json_string(err));
        log_event(ok ? LOG_INFO : LOG_WARN, "sandbox.webhook", fields);
        pthread_mutex_lock(&h->mu);
        int done = ok || j->attempts >= HOOK_ATTEMPTS;
        record(h, j, status, rc == 0 ? NULL : err, done);
        if (ok) {
            h->sent++;
            job_free(j);
        } else if (done) {
            h->failed++;
            job_free(j);
        } else {
            j->due_ms = mono_ms() + retry_delay_ms[j->attempts - 1];
            append(h, j);
        }
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

int sb_hooks_start(sb_hooks_t **out)
{
    sb_hooks_t *h = calloc(1, sizeof(*h));
    pthread_condattr_t ca;
    int have_mu = 0, have_cv = 0, rc = -1;

    if (!h)
        return -1;
    h->recent = json_array();
    if (!h->recent || pthread_mutex_init(&h->mu, NULL) != 0)
        goto out;
    have_mu = 1;
    if (pthread_condattr_init(&ca) != 0)
        goto out;
    /* Retry deadlines are monotonic; wall-clock jumps must not stall them. */
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    have_cv = pthread_cond_init(&h->cv, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!have_cv || pthread_create(&h->thread, NULL, run, h) != 0)
        goto out;
    *out = h;
    h = NULL;
    rc = 0;
out:
    if (h) {
        if (have_cv)
            pthread_cond_destroy(&h->cv);
        if (have_mu)
            pthread_mutex_destroy(&h->mu);
        json_decref(h->recent);
        free(h);
    }
    return rc;
}

void sb_hooks_stop(sb_hooks_t *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stop = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    while (h->head) {
        hook_job_t *j = h->head;
        h->head = j->next;
        job_free(j);
    }
    json_decref(h->recent);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

int sb_hooks_post(sb_hooks_t *h, const char *url, const char *headers, const char *body,
                  const char *id, long delay_ms)
{
    hook_job_t *j = calloc(1, sizeof(*j));
    int rc = -1;
    if (!j)
        return -1;
    j->url = strdup(url);
    j->headers = strdup(headers);
    j->body = strdup(body);
    j->id = strdup(id);
    if (!j->url || !j->headers || !j->body || !j->id)
        goto out;
    j->due_ms = mono_ms() + (delay_ms > 0 ? delay_ms : 0);
    pthread_mutex_lock(&h->mu);
    if (h->pending < SB_HOOKS_MAX_QUEUE) {
        append(h, j);
        j = NULL;
        rc = 0;
        pthread_cond_signal(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
out:
    job_free(j);
    return rc;
}

json_t *sb_hooks_stats(sb_hooks_t *h)
{
    pthread_mutex_lock(&h->mu);
    json_t *v = json_pack("{s:I,s:I,s:I,s:o}", "sent", (json_int_t)h->sent, "failed",
                          (json_int_t)h->failed, "pending", (json_int_t)h->pending, "recent",
                          json_deep_copy(h->recent));
    pthread_mutex_unlock(&h->mu);
    return v;
}
