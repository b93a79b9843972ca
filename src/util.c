/*
 * util — clocks and sleeps every module shares (see util.h).
 */
#include "shopsync/util.h"

#include <errno.h>
#include <time.h>

void util_sleep_us(long long us)
{
    if (us <= 0)
        return;
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    /* nanosleep leaves what was not slept in ts when a signal cuts it short. */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void util_sleep_ms(long long ms)
{
    if (ms > 0)
        util_sleep_us(ms * 1000);
}

long long util_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long util_monotonic_ms(void)
{
    return util_monotonic_us() / 1000;
}

long long util_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
