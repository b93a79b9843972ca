/*
 * util — small helpers of the sandbox: clocks, randomness, constant-time
 * string comparison, UTF-8 length, decimal strings, lenient JSON/form field
 * getters, JSON string lists, HTML escaping and hidden form fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sandbox.h"
#include "shopsync/crypto.h"

long long sb_now(void)
{
    return (long long)time(NULL);
}

long long sb_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long sb_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void sb_random_hex(size_t n_bytes, char *out)
{
    if (crypto_random_hex(n_bytes, out) != 0) {
        fputs("shopsync-sandbox: no randomness available\n", stderr);
        abort();
    }
}

double sb_random_unit(void)
{
    unsigned int r = 0;
    if (crypto_random(&r, sizeof(r)) != 0)
        return 0.999999;
    return (double)r / 4294967296.0;
}

int sb_str_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n != strlen(b))
        return 0;
    return crypto_ct_equal(a, b, n);
}

long sb_utf8_len(const char *s)
{
    long n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        /* Continuation bytes that follow a lead byte of 110x, 1110x, 11110x. */
        int extra = *p < 0x80          ? 0
                    : (*p >> 5) == 6   ? 1
                    : (*p >> 4) == 14  ? 2
                    : (*p >> 3) == 30  ? 3
                                       : -1;
        if (extra < 0)
            return -1;
        p++;
        for (int i = 0; i < extra; p++, i++) {
            if ((*p & 0xC0) != 0x80)
                return -1;
        }
        n++;
    }
    return n;
}

int sb_decimal_parse(const char *s, int max_frac, int allow_zero, long long *out)
{
    long long v = 0;
    int frac = -1;
    const char *p = s;
    if (!*p)
        return -1;
    for (; *p; p++) {
        if (*p == '.') {
            if (frac >= 0 || p == s || !p[1])
                return -1;
            frac = 0;
            continue;
        }
        if (*p < '0' || *p > '9' || (frac >= 0 && ++frac > max_frac))
            return -1;
        /* 10^12 units is far above any price, weight or size we accept. */
        if (v > 100000000000LL)
            return -1;
        v = v * 10 + (*p - '0');
    }
    for (int i = frac < 0 ? 0 : frac; i < max_frac; i++)
        v *= 10;
    if (v == 0 && !allow_zero)
        return -1;
    *out = v;
    return 0;
}

int sb_json_int(const json_t *obj, const char *key, long long def, long long min,
                long long max, long long *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    long long x = def;
    if (json_is_integer(v)) {
        x = json_integer_value(v);
    } else if (json_is_string(v) && json_string_length(v) > 0) {
        /* Form fields arrive as strings. */
        char *end = NULL;
        errno = 0;
        x = strtoll(json_string_value(v), &end, 10);
        if (errno || *end) {
            snprintf(err, errlen, "%s: must be an integer", key);
            return -1;
        }
    } else if (v && !json_is_null(v) && !json_is_string(v)) {
        snprintf(err, errlen, "%s: must be an integer", key);
        return -1;
    }
    if (x < min || x > max) {
        snprintf(err, errlen, "%s: must be between %lld and %lld", key, min, max);
        return -1;
    }
    *out = x;
    return 0;
}

int sb_json_real(const json_t *obj, const char *key, double def, double min,
                 double max, double *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    double x = def;
    if (json_is_number(v)) {
        x = json_number_value(v);
    } else if (json_is_string(v) && json_string_length(v) > 0) {
        char *end = NULL;
        errno = 0;
        x = strtod(json_string_value(v), &end);
        if (errno || *end) {
            snprintf(err, errlen, "%s: must be a number", key);
            return -1;
        }
    } else if (v && !json_is_null(v) && !json_is_string(v)) {
        snprintf(err, errlen, "%s: must be a number", key);
        return -1;
    }
    /* The negated form also rejects NaN. */
    if (!(x >= min && x <= max)) {
        snprintf(err, errlen, "%s: must be between %g and %g", key, min, max);
        return -1;
    }
    *out = x;
    return 0;
}

int sb_json_true(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_true(v))
        return 1;
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        return strcmp(s, "1") == 0 || strcmp(s, "true") == 0 || strcmp(s, "on") == 0;
    }
    return 0;
}

int sb_json_list_has(const json_t *list, const char *s)
{
    size_t i;
    const json_t *v;
    if (!s)
        return 0;
    json_array_foreach(list, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return 1;
    }
    return 0;
}

int sb_html_escape(buf_t *b, const char *s)
{
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (rep ? buf_appends(b, rep) : buf_append(b, s, 1))
            return -1;
    }
    return 0;
}

int sb_html_hidden(buf_t *b, const char *name, const char *value)
{
    return buf_appendf(b, "<input type=\"hidden\" name=\"%s\" value=\"", name) || sb_html_escape(b, value) ||
           buf_appends(b, "\">");
}
