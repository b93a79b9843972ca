/*
 * util — clocks and sleeps every module shares, so each one reads time the
 * same way and a sleep interrupted by a signal still lasts as long as asked.
 */
#ifndef SHOPSYNC_UTIL_H
#define SHOPSYNC_UTIL_H

/* Sleep ms milliseconds (nothing when ms <= 0), resuming after a signal
 * interrupts the sleep (EINTR), so the whole time has passed on return. */
void util_sleep_ms(long long ms);

/* As util_sleep_ms, in microseconds. */
void util_sleep_us(long long us);

/* Milliseconds of the monotonic clock: for durations and deadlines only (it
 * does not jump with the wall clock, and its zero means nothing). */
long long util_monotonic_ms(void);

/* Microseconds of the monotonic clock, as util_monotonic_ms. */
long long util_monotonic_us(void);

/* Milliseconds since the Unix epoch (wall clock): for timestamps stored or
 * shown, and compared with Redis stream ids. */
long long util_now_ms(void);

#endif
