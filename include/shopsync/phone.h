/*
 * phone — phone numbers to E.164 ("+" then country code and number, digits
 * only), parsed by libphonenumber. The library is C++; this header is its
 * whole C face, and no exception crosses it.
 */
#ifndef SHOPSYNC_PHONE_H
#define SHOPSYNC_PHONE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of an E.164 buffer: "+", at most 15 digits, NUL, with room to spare. */
#define PHONE_E164_MAX 24

/* Parse input (borrowed, any common written form: spaces, brackets, dashes,
 * a "(0)" trunk prefix, "00" international prefix) into E.164 in out.
 * region (borrowed) is the ISO 3166 two-letter country assumed for a number
 * written without a country code. A number libphonenumber cannot parse, or
 * whose length is impossible for its country, is refused. Returns 0, or -1
 * with the reason in err. */
int phone_e164(const char *input, const char *region, char out[PHONE_E164_MAX], char *err, size_t errlen);

/* 1 when region (borrowed) is a two-letter region libphonenumber knows. */
int phone_region_known(const char *region);

#ifdef __cplusplus
}
#endif

#endif
