/*
 * log — structured JSON-lines logging with request ids and redaction.
 */
#include "shopsync/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static log_level_t min_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local char request_id[40];

static const char *level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(log_level_t level)
{
    min_level = level;
}

int log_enabled(log_level_t level)
{
    return level >= min_level;
}

int log_parse_level(const char *s, log_level_t *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (log_level_t)i;
            return 0;
        }
    }
    return -1;
}

void log_set_request_id(const char *id)
{
    if (!id) {
        request_id[0] = '\0';
        return;
    }
    snprintf(request_id, sizeof(request_id), "%s", id);
}

const char *log_request_id(void)
{
    return request_id[0] ? request_id : NULL;
}

/* Case-insensitive substring test (strcasestr is not POSIX). */
static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    }
    return 0;
}

int log_is_sensitive(const char *name)
{
    static const char *words[] = {"token", "secret", "signature", "authorization",
                                  "password", "email", "phone", "cipher", "cookie",
                                  "auth_code", "code_verifier", NULL};
    for (int i = 0; words[i]; i++) {
        if (contains_ci(name, words[i]))
            return 1;
    }
    return 0;
}

/* Replace sensitive values in place, recursively. */
static void redact(json_t *v)
{
    const char *key;
    json_t *child;
    size_t i;

    if (json_is_object(v)) {
        json_object_foreach(v, key, child) {
            if (log_is_sensitive(key))
                json_object_set_new(v, key, json_string("[redacted]"));
            else
                redact(child);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, child) redact(child);
    }
}

void log_event(log_level_t level, const char *event, json_t *fields)
{
    if (level < min_level) {
        json_decref(fields);
        return;
    }
    json_t *line = json_object();
    if (!line) {
        json_decref(fields);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[96];
    snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
             tm.tm_sec, ts.tv_nsec / 1000000);
    json_object_set_new(line, "ts", json_string(stamp));
    json_object_set_new(line, "level", json_string(level_names[level]));
    json_object_set_new(line, "event", json_string(event));
    if (request_id[0])
        json_object_set_new(line, "req_id", json_string(request_id));
    if (json_is_object(fields)) {
        redact(fields);
        json_object_update_missing(line, fields);
    }
    json_decref(fields);
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(line);
    if (!text)
        return;
    pthread_mutex_lock(&log_lock);
    fputs(text, stderr);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
    free(text);
}

void log_msg(log_level_t level, const char *event, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_event(level, event, json_pack("{s:s}", "msg", msg));
}
