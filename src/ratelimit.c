/*
 * ratelimit — fixed one-second windows counted in Redis (see ratelimit.h).
 */
#include "shopsync/ratelimit.h"

#include <stdio.h>
#include <time.h>

static const redis_script_t take_script = {
    "ratelimit_take",
    "local n = redis.call('INCR', KEYS[1])\n"
    "if n == 1 then redis.call('PEXPIRE', KEYS[1], 2000) end\n"
    "return n\n"};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ratelimit_acquire(redis_conn_t *r, const char *shop, const char *api, int per_second,
                      int max_wait_ms)
{
    long long deadline = now_ms() + max_wait_ms;
    for (;;) {
        long long now = now_ms();
        long long window = now / 1000;
        char key[512];
        if (redis_key(key, sizeof(key), "ratelimit:%s:%s:%lld", shop, api, window))
            return -1;
        const char *keys[] = {key};
        redisReply *rep = redis_eval(r, &take_script, 1, keys, 0, NULL, NULL);
        if (!rep)
            return -1;
        long long n = rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
        freeReplyObject(rep);
        if (n < 0)
            return -1;
        if (n <= per_second)
            return 0;
        /* Window full: wait for the next second (plus a little jitter so the
         * waiters of several instances do not stampede together). */
        long long wait = (window + 1) * 1000 - now + (now % 7);
        if (now + wait > deadline)
            return -1;
        struct timespec ts = {wait / 1000, (wait % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
}
