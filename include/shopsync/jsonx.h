/*
 * jsonx — small jansson helpers: strict parsing and typed getters that name
 * the offending field in their error message.
 */
#ifndef SHOPSYNC_JSONX_H
#define SHOPSYNC_JSONX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest nesting accepted by jsonx_loadb. */
#define JSONX_MAX_DEPTH 32

/* Parse len bytes of buf (borrowed) as one JSON value, rejecting duplicate
 * keys, NUL bytes, and nesting deeper than JSONX_MAX_DEPTH. Returns a new
 * reference, or NULL with a message in err. */
json_t *jsonx_loadb(const char *buf, size_t len, char *err, size_t errlen);

/* Required string member key of obj: *out is borrowed from obj. Returns 0, or
 * -1 with "<key>: ..." in err when absent or not a string. */
int jsonx_get_str(const json_t *obj, const char *key, const char **out,
                  char *err, size_t errlen);

/* Optional string member: like jsonx_get_str but absent/null gives *out=NULL
 * and 0. */
int jsonx_opt_str(const json_t *obj, const char *key, const char **out,
                  char *err, size_t errlen);

/* Required integer member (JSON integer only, not a real or a string). */
int jsonx_get_int(const json_t *obj, const char *key, long long *out,
                  char *err, size_t errlen);

/* A decimal ID that providers may send as a string or an integer, copied to
 * out (cap bytes) as a string; never passes through a double. Returns 0 or -1. */
int jsonx_get_id(const json_t *obj, const char *key, char *out, size_t cap,
                 char *err, size_t errlen);

/* A caller's message buffer that collects every problem of an input, "; "
 * between them, so one answer names each bad field at once. buf (borrowed,
 * NUL-terminated, cap bytes) keeps what fits; n counts the problems. */
typedef struct jsonx_problems {
    char *buf;
    size_t cap;
    int n;
} jsonx_problems_t;

/* Add one problem (printf-style) to p. */
void jsonx_problem(jsonx_problems_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Serialise compactly: new string the caller frees, or NULL. v borrowed. */
char *jsonx_dump(const json_t *v);

#endif
