/*
 * Unit tests for util: a sleep cut short by a signal still lasts as long as
 * asked, and the clocks agree with each other and with time().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "shopsync/util.h"

#define SLEEP_MS 150
#define SIGNAL_AFTER_MS 20

static volatile sig_atomic_t signals_seen;

static void on_signal(int sig)
{
    (void)sig;
    signals_seen++;
}

/* Interrupts the sleeping thread (arg, borrowed) once, early in its sleep. */
static void *interrupter(void *arg)
{
    pthread_t *target = arg;
    struct timespec ts = {0, SIGNAL_AFTER_MS * 1000000L};
    nanosleep(&ts, NULL);
    pthread_kill(*target, SIGUSR1);
    return NULL;
}

/* Run sleep(amount) while another thread signals this one early in it;
 * return the time it took by clock. The handler has no SA_RESTART, so the
 * signal makes nanosleep fail with EINTR. */
static long long interrupted_sleep(void (*sleep)(long long), long long amount, long long (*clock)(void))
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    signals_seen = 0;

    pthread_t self = pthread_self(), t;
    long long t0 = clock();
    assert_int_equal(pthread_create(&t, NULL, interrupter, &self), 0);
    sleep(amount);
    long long took = clock() - t0;
    pthread_join(t, NULL);
    sigaction(SIGUSR1, &old, NULL);
    assert_int_equal(signals_seen, 1);
    return took;
}

static void test_sleep_resumes_after_signal(void **state)
{
    (void)state;
    assert_true(interrupted_sleep(util_sleep_ms, SLEEP_MS, util_monotonic_ms) >= SLEEP_MS);
}

static void test_sleep_us_resumes_after_signal(void **state)
{
    (void)state;
    assert_true(interrupted_sleep(util_sleep_us, SLEEP_MS * 1000LL, util_monotonic_us) >= SLEEP_MS * 1000LL);
}

static void test_clocks(void **state)
{
    (void)state;
    long long us = util_monotonic_us();
    long long ms = util_monotonic_ms();
    /* Same clock, read later: never behind, in the right unit. */
    assert_true(ms >= us / 1000);
    assert_true(util_monotonic_ms() >= ms);

    long long before = (long long)time(NULL) * 1000;
    long long now = util_now_ms();
    long long after = ((long long)time(NULL) + 1) * 1000;
    assert_true(now >= before && now <= after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sleep_resumes_after_signal),
        cmocka_unit_test(test_sleep_us_resumes_after_signal),
        cmocka_unit_test(test_clocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
