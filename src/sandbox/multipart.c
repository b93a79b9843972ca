/*
 * multipart — multipart/form-data part lookup and image sniffing
 * (see multipart.h).
 */
#include "multipart.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_BOUNDARY 70

/* memmem is a GNU extension; bodies are small enough for a plain scan. */
static const char *find(const char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0 || m > n)
        return NULL;
    for (size_t i = 0; i + m <= n; i++) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
            return hay + i;
    }
    return NULL;
}

/* Copy the boundary parameter of a Content-Type value (quoted or not). */
static int boundary_of(const char *ct, char *out, size_t cap)
{
    const char *b = NULL;
    for (const char *p = ct; *p; p++) {
        if (strncasecmp(p, "boundary=", 9) == 0 && (p == ct || p[-1] == ';' || p[-1] == ' ')) {
            b = p + 9;
            break;
        }
    }
    if (!b)
        return -1;
    size_t n;
    if (*b == '"') {
        const char *q = strchr(++b, '"');
        if (!q)
            return -1;
        n = (size_t)(q - b);
    } else {
        n = strcspn(b, "; \t");
    }
    if (n == 0 || n > MAX_BOUNDARY || n >= cap)
        return -1;
    memcpy(out, b, n);
    out[n] = '\0';
    return 0;
}

/* 1 when a Content-Disposition header line of n bytes has name="want". */
static int disposition_names(const char *line, size_t n, const char *want)
{
    static const char key[] = "name=\"";
    size_t klen = sizeof(key) - 1, wlen = strlen(want);
    for (size_t i = 0; i + klen <= n; i++) {
        if (strncasecmp(line + i, key, klen) != 0)
            continue;
        /* "filename=" also ends in "name=": require a separator before. */
        if (i > 0 && line[i - 1] != ' ' && line[i - 1] != ';')
            continue;
        const char *v = line + i + klen;
        const char *q = memchr(v, '"', n - i - klen);
        return q && (size_t)(q - v) == wlen && memcmp(v, want, wlen) == 0;
    }
    return 0;
}

int sb_multipart_find(const char *content_type, const char *body, size_t len,
                      const char *name, sb_part_t *out)
{
    char boundary[MAX_BOUNDARY + 1], delim[MAX_BOUNDARY + 5];
    if (!content_type || boundary_of(content_type, boundary, sizeof(boundary)) != 0)
        return -1;
    int dlen = snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
    /* The first delimiter may start the body without the leading CRLF. */
    const char *p;
    if (len >= (size_t)dlen - 2 && memcmp(body, delim + 2, (size_t)dlen - 2) == 0)
        p = body + dlen - 2;
    else if ((p = find(body, len, delim, (size_t)dlen)) != NULL)
        p += dlen;
    else
        return -1;
    const char *end = body + len;
    for (;;) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return 1; /* closing delimiter */
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return -1;
        p += 2;
        const char *hend = find(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!hend)
            return -1;
        const char *data = hend + 4;
        const char *next = find(data, (size_t)(end - data), delim, (size_t)dlen);
        if (!next)
            return -1;
        int match = 0;
        for (const char *line = p; line < hend + 2;) {
            const char *eol = find(line, (size_t)(hend + 2 - line), "\r\n", 2);
            size_t n = (size_t)(eol - line);
            if (n >= 20 && strncasecmp(line, "Content-Disposition:", 20) == 0)
                match = disposition_names(line, n, name);
            line = eol + 2;
        }
        if (match) {
            out->data = data;
            out->len = (size_t)(next - data);
            return 0;
        }
        p = next + dlen;
    }
}

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static unsigned le16(const unsigned char *p)
{
    return (unsigned)p[1] << 8 | p[0];
}

static unsigned long be32(const unsigned char *p)
{
    return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

/* Walk JPEG segments to the first start-of-frame marker. */
static void jpeg_size(const unsigned char *p, size_t n, int *w, int *h)
{
    size_t i = 2;
    while (i + 9 < n) {
        if (p[i] != 0xFF) {
            i++;
            continue;
        }
        unsigned char m = p[i + 1];
        if (m == 0xFF) {
            i++;
            continue;
        }
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
            i += 2;
            continue;
        }
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            *h = (int)be16(p + i + 5);
            *w = (int)be16(p + i + 7);
            return;
        }
        i += 2 + be16(p + i + 2);
    }
}

static void webp_size(const unsigned char *p, size_t n, int *w, int *h)
{
    if (n >= 30 && memcmp(p + 12, "VP8X", 4) == 0) {
        *w = (int)(1 + (p[24] | p[25] << 8 | p[26] << 16));
        *h = (int)(1 + (p[27] | p[28] << 8 | p[29] << 16));
    } else if (n >= 30 && memcmp(p + 12, "VP8 ", 4) == 0) {
        *w = (int)(le16(p + 26) & 0x3FFF);
        *h = (int)(le16(p + 28) & 0x3FFF);
    } else if (n >= 25 && memcmp(p + 12, "VP8L", 4) == 0) {
        unsigned long bits = (unsigned long)p[21] | (unsigned long)p[22] << 8 |
                             (unsigned long)p[23] << 16 | (unsigned long)p[24] << 24;
        *w = (int)((bits & 0x3FFF) + 1);
        *h = (int)(((bits >> 14) & 0x3FFF) + 1);
    }
}

const char *sb_image_sniff(const unsigned char *p, size_t n, int *width, int *height)
{
    *width = 0;
    *height = 0;
    if (n >= 24 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) {
        if (memcmp(p + 12, "IHDR", 4) == 0) {
            *width = (int)(be32(p + 16) & 0x7FFFFFFF);
            *height = (int)(be32(p + 20) & 0x7FFFFFFF);
        }
        return "image/png";
    }
    if (n >= 4 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) {
        jpeg_size(p, n, width, height);
        return "image/jpeg";
    }
    if (n >= 10 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0)) {
        *width = (int)le16(p + 6);
        *height = (int)le16(p + 8);
        return "image/gif";
    }
    if (n >= 16 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0) {
        webp_size(p, n, width, height);
        return "image/webp";
    }
    return NULL;
}
