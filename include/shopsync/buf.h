/*
 * buf — growable byte buffer with a hard maximum size.
 *
 * Every buffer that grows from outside input (HTTP bodies, API responses, log
 * lines) is a buf_t with a cap, so one hostile peer cannot exhaust memory.
 * The data is always NUL-terminated (the NUL is not counted in len).
 */
#ifndef SHOPSYNC_BUF_H
#define SHOPSYNC_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct buf {
    char *data;  /* owned; NULL until the first append */
    size_t len;
    size_t cap;
    size_t max;  /* appends that would exceed max bytes fail */
} buf_t;

/* Initialise an empty buffer that may hold at most max bytes. */
void buf_init(buf_t *b, size_t max);

/* Append n bytes of p. Returns 0, or -1 when the maximum would be exceeded or
 * memory runs out (the buffer is left unchanged). p is borrowed. */
int buf_append(buf_t *b, const void *p, size_t n);

/* Append a NUL-terminated string (borrowed). Returns 0 or -1 as buf_append. */
int buf_appends(buf_t *b, const char *s);

/* Append printf-formatted text. Returns 0 or -1 as buf_append. */
int buf_appendf(buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forget the content but keep the allocation. */
void buf_reset(buf_t *b);

/* Give up ownership of the data: returns the (new, caller frees) string, or an
 * empty newly allocated string when nothing was appended; NULL on OOM. The
 * buffer is left empty. */
char *buf_steal(buf_t *b);

/* Release the data. The buffer may be reused after buf_init. */
void buf_free(buf_t *b);

#endif
