/*
 * day — calendar days as integers (days since 1970-01-01, proleptic
 * Gregorian, no time zone): YYYY-MM-DD text both ways, the UTC day of a
 * Unix time, and a range of days cut into windows of at most n days (the
 * Marketing API's 30-day limit per report call).
 */
#ifndef SHOPSYNC_DAY_H
#define SHOPSYNC_DAY_H

#include <stddef.h>

/* Bytes of "YYYY-MM-DD" and its NUL. */
#define DAY_TEXT_MAX 11

/* Parse "YYYY-MM-DD" (borrowed; a real date, years 1970..9999) into *day.
 * With allow_time, a " HH:MM:SS" after it is accepted and ignored
 * (TikTok's stat_time_day "2025-03-01 00:00:00"). Returns 0 or -1. */
int day_parse(const char *s, int allow_time, long long *day);

/* day as "YYYY-MM-DD" into out (DAY_TEXT_MAX bytes). */
void day_format(long long day, char out[DAY_TEXT_MAX]);

/* The UTC day of Unix time t (seconds). */
long long day_of_unix(long long t);

/* Today (UTC). */
long long day_today(void);

typedef struct day_window {
    long long from, to; /* inclusive */
} day_window_t;

/* Cut [from, to] (inclusive, from <= to) into consecutive windows of at
 * most max_days days, oldest first, into out (cap entries). Returns how
 * many, or -1 when they do not fit in cap or the range is empty. */
int day_windows(long long from, long long to, int max_days, day_window_t *out, size_t cap);

#endif
