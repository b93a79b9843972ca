/*
 * ratelimit — a shared limiter spacing requests evenly (see ratelimit.h).
 *
 * GCRA: Redis keeps, per (shop, api), the theoretical arrival time of the
 * next request. Each caller reserves the next slot (now or later) and sleeps
 * until it. Requests leave at most one per 1/rate seconds, so no one-second
 * window anywhere, however TikTok aligns its own, sees more than the rate;
 * fixed windows counted per wall-clock second let 2x the rate through across
 * a boundary and drew 429s.
 */
#include "shopsync/ratelimit.h"

#include <stdio.h>

#include "lua_scripts.h"
#include "shopsync/keys.h"
#include "shopsync/util.h"

/* KEYS and ARGV: src/lua/ratelimit_reserve.lua. */
static const redis_script_t reserve_script = {"ratelimit_reserve", LUA_SRC_RATELIMIT_RESERVE};

int ratelimit_reserve(redis_conn_t *r, const char *shop, const char *api, int per_second,
                      int max_wait_ms, long long *wait_us)
{
    char key[KEY_MAX], interval[32], max_wait[32];
    *wait_us = 0;
    if (per_second < 1 || redis_key(key, sizeof(key), KEY_RATELIMIT_FMT, shop, api))
        return -1;
    /* A little under the published rate leaves room for clock jitter
     * between our spacing and the provider's counting. */
    snprintf(interval, sizeof(interval), "%lld", 1000000LL * 100 / (per_second * 95LL));
    snprintf(max_wait, sizeof(max_wait), "%lld", (long long)max_wait_ms * 1000);
    const char *keys[] = {key};
    const char *args[] = {interval, max_wait};
    redisReply *rep = redis_eval(r, &reserve_script, 1, keys, 2, args, NULL);
    if (!rep)
        return -1;
    long long wait = rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
    freeReplyObject(rep);
    if (wait < 0)
        return -1;
    *wait_us = wait;
    return 0;
}

int ratelimit_acquire(redis_conn_t *r, const char *shop, const char *api, int per_second,
                      int max_wait_ms)
{
    long long wait;
    if (ratelimit_reserve(r, shop, api, per_second, max_wait_ms, &wait) != 0)
        return -1;
    util_sleep_us(wait);
    return 0;
}
