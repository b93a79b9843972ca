/*
 * jsonx — strict JSON loading and typed getters (see jsonx.h).
 */
#include "shopsync/jsonx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Measure nesting before parsing so a deeply nested document is refused
 * cheaply instead of recursing inside the parser. Strings are skipped so
 * brackets inside them do not count. */
static int too_deep(const char *buf, size_t len)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > JSONX_MAX_DEPTH)
                return 1;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 0;
}

json_t *jsonx_loadb(const char *buf, size_t len, char *err, size_t errlen)
{
    json_error_t jerr;
    if (len == 0) {
        snprintf(err, errlen, "empty body, expected JSON");
        return NULL;
    }
    if (too_deep(buf, len)) {
        snprintf(err, errlen, "JSON nested deeper than %d levels", JSONX_MAX_DEPTH);
        return NULL;
    }
    json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        snprintf(err, errlen, "invalid JSON at line %d column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        return NULL;
    }
    return v;
}

int jsonx_get_str(const json_t *obj, const char *key, const char **out,
                  char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        snprintf(err, errlen, "%s: is required", key);
        return -1;
    }
    if (!json_is_string(v)) {
        snprintf(err, errlen, "%s: must be a string", key);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

int jsonx_opt_str(const json_t *obj, const char *key, const char **out,
                  char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, errlen, "%s: must be a string", key);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

int jsonx_get_int(const json_t *obj, const char *key, long long *out,
                  char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        snprintf(err, errlen, "%s: is required", key);
        return -1;
    }
    if (!json_is_integer(v)) {
        snprintf(err, errlen, "%s: must be an integer", key);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

int jsonx_get_id(const json_t *obj, const char *key, char *out, size_t cap,
                 char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    int n;
    if (json_is_string(v))
        n = snprintf(out, cap, "%s", json_string_value(v));
    else if (json_is_integer(v))
        n = snprintf(out, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else {
        snprintf(err, errlen, "%s: %s", key, v ? "must be a string id" : "is required");
        return -1;
    }
    if (n <= 0 || (size_t)n >= cap) {
        snprintf(err, errlen, "%s: empty or too long", key);
        return -1;
    }
    return 0;
}

char *jsonx_dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

void jsonx_problem(jsonx_problems_t *p, const char *fmt, ...)
{
    size_t used = strlen(p->buf);
    if (used + 3 >= p->cap)
        return;
    if (p->n++)
        used += (size_t)snprintf(p->buf + used, p->cap - used, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->buf + used, p->cap - used, fmt, ap);
    va_end(ap);
}
