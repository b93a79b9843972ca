/*
 * ads_hash — the buyer identifiers TikTok's Events API matches on,
 * normalised and hashed exactly as TikTok asks (tests/vectors/ads/
 * tiktok-events.json pins every rule): lowercase hex SHA-256 of the UTF-8
 * normal form. Email: trimmed, lowercased (dots and +tags kept). Phone:
 * E.164 with the "+" (libphonenumber, a default region for numbers written
 * without a country code). external_id: trimmed, case kept. A value that
 * already is 64 hex characters is passed through lowercased; an empty one
 * is never sent. Plaintext never leaves these functions.
 */
#ifndef SHOPSYNC_ADS_HASH_H
#define SHOPSYNC_ADS_HASH_H

#include <stddef.h>

/* Bytes of a hash buffer: 64 hex characters and the NUL. */
#define ADS_HASH_HEX 65
/* Longest normalised value accepted (an email may be 254 bytes). */
#define ADS_HASH_INPUT_MAX 512

typedef enum { ADS_ID_EMAIL = 0, ADS_ID_PHONE = 1, ADS_ID_EXTERNAL_ID = 2 } ads_id_kind;

typedef enum {
    ADS_HASH_OK = 0,       /* normalised (and hashed) */
    ADS_HASH_EMPTY = 1,    /* empty or blank: never sent */
    ADS_HASH_PASSED = 2,   /* already a SHA-256 hex: lowercased, not hashed again */
    ADS_HASH_INVALID = -1  /* not an email / phone number (err says why) */
} ads_hash_rc;

/* The normal form of input (borrowed) for kind into out (cap bytes); for a
 * hash passed through, out is the lowercased hex. region (borrowed, phones
 * only) is the ISO 3166 country assumed without a country code. */
ads_hash_rc ads_hash_normalize(ads_id_kind kind, const char *input, const char *region, char *out, size_t cap,
                               char *err, size_t errlen);

/* The value TikTok receives for input: lowercase hex SHA-256 of the normal
 * form into out. Returns as ads_hash_normalize. */
ads_hash_rc ads_hash_value(ads_id_kind kind, const char *input, const char *region, char out[ADS_HASH_HEX],
                           char *err, size_t errlen);

/* 1 when s (borrowed) is exactly 64 hex characters of either case. */
int ads_hash_is_sha256(const char *s);

#endif
