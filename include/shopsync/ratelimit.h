/*
 * ratelimit — a request limiter shared by every shopsync instance on one
 * Redis: at most N requests per second per API per shop, spaced evenly by a
 * slot reservation (GCRA) kept in Redis so concurrent instances share it.
 */
#ifndef SHOPSYNC_RATELIMIT_H
#define SHOPSYNC_RATELIMIT_H

#include "shopsync/redis.h"

/* Reserve the next free slot for (shop, api) and sleep until it, when it is
 * at most max_wait_ms away. shop and api are borrowed. Returns 0 when a slot
 * was taken, -1 when Redis is unavailable or the slot is too far away. */
int ratelimit_acquire(redis_conn_t *r, const char *shop, const char *api, int per_second,
                      int max_wait_ms);

/* Reserve the next free slot as ratelimit_acquire does, without sleeping:
 * *wait_us receives how long until it. For callers that start the request
 * themselves at that time (several in flight at once). Returns 0, or -1
 * (nothing reserved) when Redis is unavailable or the slot is too far. */
int ratelimit_reserve(redis_conn_t *r, const char *shop, const char *api, int per_second,
                      int max_wait_ms, long long *wait_us);

#endif
