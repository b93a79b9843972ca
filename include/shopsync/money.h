/*
 * money — amounts as integers, never floats: decimal strings (TikTok's
 * "12.34", a Stripe amount's minor units) to integers in a currency's minor
 * units and back to exact decimal text, counts from TikTok's metric strings
 * ("-" is none), and the ratio of two amounts (ROAS) rounded to 2 decimals.
 */
#ifndef SHOPSYNC_MONEY_H
#define SHOPSYNC_MONEY_H

#include <stddef.h>

/* Bytes of a formatted amount: sign, 18 digits, point, NUL. */
#define MONEY_TEXT_MAX 32

/* Digits after the point of currency (upper-case ISO 4217, borrowed): 0 for
 * zero-decimal currencies (JPY, KRW, ...), 3 for BHD, JOD, KWD, OMR, TND,
 * else 2 (Stripe's minor units). */
int money_decimals(const char *currency);

/* currency (borrowed, may be NULL) upper-cased into out when it is three
 * letters ("usd" -> "USD"). Returns 0, or -1 for anything else. */
int money_currency_code(const char *currency, char out[4]);

/* Parse a non-negative decimal string s (borrowed: "12", "12.3", "0.125")
 * into *minor, units of 10^-decimals; digits past that are rounded half up
 * (TikTok reports spend with 2 decimals; a third is not lost silently but
 * rounded). Returns 0, 1 when s is "-" or empty (TikTok's "no value": *minor
 * is 0), -1 when s is not such a number or is too large (over 10^15). */
int money_parse(const char *s, int decimals, long long *minor);

/* minor (units of 10^-decimals) as exact decimal text into out (cap >=
 * MONEY_TEXT_MAX): 1234, 2 -> "12.34"; -5, 2 -> "-0.05"; 7, 0 -> "7". */
void money_format(long long minor, int decimals, char *out, size_t cap);

/* num / den (amounts in the same units) rounded half up to 2 decimals, as
 * text into out (cap >= MONEY_TEXT_MAX). Returns 0, or 1 (out "") when den
 * is 0 or less: no ratio. */
int money_ratio(long long num, long long den, char *out, size_t cap);

#endif
