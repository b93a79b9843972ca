/*
 * money — integer amounts, exact decimal text, ROAS (see money.h).
 */
#include "shopsync/money.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "shopsync/ads_events.h"

/* 10^15 minor units: far above any day's figures, and a year of such days
 * still fits a long long. */
#define MONEY_LIMIT 1000000000000000LL

int money_decimals(const char *currency)
{
    return ads_events_currency_decimals(currency);
}

int money_currency_code(const char *currency, char out[4])
{
    if (!currency || strlen(currency) != 3)
        return -1;
    for (int i = 0; i < 3; i++) {
        if (!isalpha((unsigned char)currency[i]))
            return -1;
        out[i] = (char)toupper((unsigned char)currency[i]);
    }
    out[3] = '\0';
    return 0;
}

int money_parse(const char *s, int decimals, long long *minor)
{
    long long v = 0;
    int frac = 0, seen_point = 0, digits = 0, kept = 0, round_up = 0;

    *minor = 0;
    if (!s || !*s || strcmp(s, "-") == 0)
        return 1;
    for (const char *p = s; *p; p++) {
        if (*p == '.') {
            if (seen_point || digits == 0)
                return -1;
            seen_point = 1;
            continue;
        }
        if (*p < '0' || *p > '9')
            return -1;
        digits++;
        if (seen_point && frac >= decimals) {
            /* Only the first digit past the kept ones decides the rounding. */
            if (frac == decimals)
                round_up = *p >= '5';
            frac++;
            continue;
        }
        /* At most 15 digits kept: with the scaling below (10^3 at most)
         * the value stays far inside a long long. */
        if (++kept > 15)
            return -1;
        v = v * 10 + (*p - '0');
        if (seen_point)
            frac++;
    }
    if (digits == 0 || s[strlen(s) - 1] == '.')
        return -1;
    for (int k = frac < decimals ? frac : decimals; k < decimals; k++)
        v *= 10;
    v += round_up;
    if (v > MONEY_LIMIT)
        return -1;
    *minor = v;
    return 0;
}

void money_format(long long minor, int decimals, char *out, size_t cap)
{
    long long scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    unsigned long long a = minor < 0 ? 0ULL - (unsigned long long)minor : (unsigned long long)minor;
    if (decimals == 0)
        snprintf(out, cap, "%s%llu", minor < 0 ? "-" : "", a);
    else
        snprintf(out, cap, "%s%llu.%0*llu", minor < 0 ? "-" : "", a / (unsigned long long)scale, decimals,
                 a % (unsigned long long)scale);
}

int money_ratio(long long num, long long den, char *out, size_t cap)
{
    if (den <= 0) {
        out[0] = '\0';
        return 1;
    }
    /* In hundredths, rounded half up: (num * 100 + den / 2) / den, in 128
     * bits so a year's sums cannot overflow. */
    long long sign = num < 0 ? -1 : 1;
    unsigned __int128 a = (unsigned __int128)(num < 0 ? -num : num);
    long long h = (long long)((a * 100 + (unsigned __int128)den / 2) / (unsigned __int128)den);
    money_format(sign * h, 2, out, cap);
    return 0;
}
