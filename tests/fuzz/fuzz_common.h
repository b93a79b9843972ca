/*
 * fuzz_common — small helpers shared by the fuzz targets: splitting an input
 * into a header and a body, exact-size copies (so ASan sees any over-read),
 * and an oracle failure that aborts with a message.
 */
#ifndef SHOPSYNC_FUZZ_COMMON_H
#define SHOPSYNC_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with a message: an oracle (not a sanitizer) found a wrong answer. */
#define FUZZ_ASSERT(cond)                                                       \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "fuzz oracle failed at %s:%d: %s\n", __FILE__,     \
                    __LINE__, #cond);                                           \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* A NUL-terminated heap copy of exactly n bytes of p (never NULL; abort on
 * OOM). The caller frees. */
static inline char *fuzz_dup(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Split data at the first '\n' or NUL: *header is a new string of the bytes
 * before it, *body a new buffer of the bytes after it (*body_len of them).
 * Without a separator the whole input is the header and the body is empty. */
static inline void fuzz_split(const uint8_t *data, size_t size, char **header,
                              char **body, size_t *body_len)
{
    size_t i = 0;
    while (i < size && data[i] != '\n' && data[i] != '\0')
        i++;
    *header = fuzz_dup(data, i);
    if (i < size) {
        *body_len = size - i - 1;
        *body = fuzz_dup(data + i + 1, *body_len);
    } else {
        *body_len = 0;
        *body = fuzz_dup(data, 0);
    }
}

/* Reference for "equal hex ignoring case": only ASCII letters fold. */
static inline int fuzz_hex_equal_ref(const char *want, const char *got)
{
    if (strlen(want) != strlen(got))
        return 0;
    for (size_t i = 0; want[i]; i++) {
        unsigned char a = (unsigned char)want[i], b = (unsigned char)got[i];
        if (a >= 'A' && a <= 'Z')
            a = (unsigned char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (unsigned char)(b + 32);
        if (a != b)
            return 0;
    }
    return 1;
}

#endif
