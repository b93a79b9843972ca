/*
 * multipart — find one part of a multipart/form-data body, and recognise
 * JPEG, PNG, GIF and WEBP images by their magic bytes (with their size when
 * the header carries it).
 */
#ifndef SANDBOX_MULTIPART_H
#define SANDBOX_MULTIPART_H

#include <stddef.h>

typedef struct sb_part {
    const char *data; /* borrowed from the body */
    size_t len;
} sb_part_t;

/* Find the part named name in body (len bytes) whose Content-Type header
 * value is content_type. All borrowed. Returns 0 with *out filled, 1 when the
 * body is well formed but has no such part, -1 when it is malformed. */
int sb_multipart_find(const char *content_type, const char *body, size_t len,
                      const char *name, sb_part_t *out);

/* The MIME type of an image by its magic bytes, or NULL when it is none of
 * JPEG/PNG/GIF/WEBP. *width and *height get its size, or 0 when unknown. */
const char *sb_image_sniff(const unsigned char *p, size_t n, int *width, int *height);

#endif
