/*
 * params — decoding of query strings and urlencoded form bodies into
 * key/value pairs in arrival order (see sandbox.h).
 */
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

/* Decode n bytes of src ('+' is a space, %XX a byte) into a new string. */
static char *decode(const char *src, size_t n)
{
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    if (mg_url_decode(src, (int)n, out, (int)n + 1, 1) < 0) {
        free(out);
        return NULL;
    }
    return out;
}

int sb_params_parse(sb_params_t *p, const char *qs, size_t len)
{
    p->n = 0;
    if (!qs)
        return 0;
    const char *end = qs + len;
    const char *s = qs;
    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *stop = amp ? amp : end;
        if (stop > s) {
            const char *eq = memchr(s, '=', (size_t)(stop - s));
            const char *kend = eq ? eq : stop;
            if (p->n == SB_MAX_PARAMS)
                return -1;
            p->key[p->n] = decode(s, (size_t)(kend - s));
            p->val[p->n] = eq ? decode(eq + 1, (size_t)(stop - eq - 1)) : decode("", 0);
            p->n++;
            if (!p->key[p->n - 1] || !p->val[p->n - 1])
                return -1;
        }
        s = stop + 1;
    }
    return 0;
}

const char *sb_params_get(const sb_params_t *p, const char *key)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->key[i], key) == 0)
            return p->val[i];
    }
    return NULL;
}

void sb_params_free(sb_params_t *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->key[i]);
        free(p->val[i]);
    }
    p->n = 0;
}
