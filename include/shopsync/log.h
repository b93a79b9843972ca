/*
 * log — structured logs, one JSON object per line on stderr.
 *
 * Every line has ts, level, event and, inside a request, req_id. Fields whose
 * names look secret or personal (token, secret, signature, authorization,
 * password, email, phone, code) are replaced by "[redacted]" so a careless
 * call cannot leak them.
 */
#ifndef SHOPSYNC_LOG_H
#define SHOPSYNC_LOG_H

#include <jansson.h>

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level_t;

/* Set the lowest level written (default LOG_INFO). */
void log_set_level(log_level_t level);

/* Parse "debug|info|warn|error"; returns 0 and sets *out, or -1. */
int log_parse_level(const char *s, log_level_t *out);

/* 1 when a line at level would be written (lets hot paths skip building
 * fields nobody will see). */
int log_enabled(log_level_t level);

/* Write one line: event name (borrowed), fields (stolen, may be NULL, must be
 * an object). */
void log_event(log_level_t level, const char *event, json_t *fields);

/* Convenience: one line with a printf-formatted "msg" field. */
void log_msg(log_level_t level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set the calling thread's request id (copied; NULL clears). */
void log_set_request_id(const char *id);

/* The calling thread's request id (borrowed, valid until the next set), or
 * NULL. */
const char *log_request_id(void);

/* 1 when a field with this name must never be logged in clear. */
int log_is_sensitive(const char *name);

#endif
