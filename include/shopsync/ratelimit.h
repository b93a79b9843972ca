/*
 * ratelimit — a request limiter shared by every shopsync instance on one
 * Redis: at most N requests per second per API per shop, counted in one-second
 * windows with INCR so concurrent instances see the same count.
 */
#ifndef SHOPSYNC_RATELIMIT_H
#define SHOPSYNC_RATELIMIT_H

#include "shopsync/redis.h"

/* Block until a slot for (shop, api) is free in the current or a later
 * second, at most max_wait_ms. shop and api are borrowed. Returns 0 when a
 * slot was taken, -1 when Redis is unavailable or the wait ran out. */
int ratelimit_acquire(redis_conn_t *r, const char *shop, const char *api, int per_second,
                      int max_wait_ms);

#endif
