/*
 * day — calendar days as integers (see day.h). The conversions are Howard
 * Hinnant's days_from_civil / civil_from_days.
 */
#include "shopsync/day.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static long long from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static void to_civil(long long z, long long *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long long)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int day_parse(const char *s, int allow_time, long long *day)
{
    unsigned y, m, d, hh, mm, ss;
    if (!s || strlen(s) < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) || digits(s + 5, 2, &m) ||
        digits(s + 8, 2, &d))
        return -1;
    if (s[10] != '\0') {
        if (!allow_time || strlen(s) != 19 || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
            digits(s + 11, 2, &hh) || digits(s + 14, 2, &mm) || digits(s + 17, 2, &ss) || hh > 23 || mm > 59 ||
            ss > 59)
            return -1;
    }
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    long long v = from_civil(y, m, d);
    long long cy;
    unsigned cm, cd;
    /* 2025-02-30 would land on a day of March: refused. */
    to_civil(v, &cy, &cm, &cd);
    if (cy != (long long)y || cm != m || cd != d)
        return -1;
    *day = v;
    return 0;
}

void day_format(long long day, char out[DAY_TEXT_MAX])
{
    long long y;
    unsigned m, d;
    to_civil(day, &y, &m, &d);
    if (y < 0 || y > 9999)
        y = y < 0 ? 0 : 9999;
    snprintf(out, DAY_TEXT_MAX, "%04lld-%02u-%02u", y, m, d);
}

long long day_of_unix(long long t)
{
    return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

long long day_today(void)
{
    return day_of_unix((long long)time(NULL));
}

int day_windows(long long from, long long to, int max_days, day_window_t *out, size_t cap)
{
    size_t n = 0;
    if (from > to || max_days < 1)
        return -1;
    for (long long s = from; s <= to; s += max_days) {
        if (n == cap)
            return -1;
        out[n].from = s;
        out[n].to = s + max_days - 1 < to ? s + max_days - 1 : to;
        n++;
    }
    return (int)n;
}
