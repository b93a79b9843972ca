/*
 * instance — this process among the shopsync instances that share one
 * Redis: an id, and a heartbeat key that lives INSTANCE_TTL_MS and is
 * renewed every INSTANCE_BEAT_MS by a thread of its own. Locks taken while
 * the heartbeat runs carry the id in their owner value ("<id>.<random>"),
 * so when their holder dies (kill -9, a lost machine) another instance
 * takes them over as soon as the heartbeat lapses, instead of waiting out
 * the lock's own TTL, which has to cover the longest call made under it.
 *
 * Redis: P instance:<id> (string, PX INSTANCE_TTL_MS).
 */
#ifndef SHOPSYNC_INSTANCE_H
#define SHOPSYNC_INSTANCE_H

#include "shopsync/redis.h"

#define INSTANCE_ID_HEX 16
#define INSTANCE_TTL_MS 3000
#define INSTANCE_BEAT_MS 1000
/* "<id>.<32 hex>" and its NUL. */
#define INSTANCE_OWNER_MAX (INSTANCE_ID_HEX + 1 + 32 + 1)

/* Pick this process's id, write the heartbeat once and keep renewing it
 * from a thread until instance_stop. Without it (the command-line tools)
 * lock owners carry no id and are never taken over. Returns 0 or -1. */
int instance_start(void);

/* Stop the heartbeat and delete its key. Call after every thread that
 * takes locks has ended. */
void instance_stop(void);

/* A new lock owner value into out (INSTANCE_OWNER_MAX bytes):
 * "<id>.<random>" while the heartbeat runs, else "<random>". Returns 0 or
 * -1. */
int instance_lock_owner(char *out);

/* The owner value for a lock held under name (borrowed, at most 32
 * characters, e.g. a job id): "<id>.<name>" while the heartbeat runs, else
 * name; the same in every call of this process. */
void instance_owner_named(char *out, const char *name);

/* The name part of an owner value (borrowed; points into owner). */
const char *instance_owner_name(const char *owner);

/* 0 when owner (borrowed) names an instance whose heartbeat has lapsed, 1
 * when it is alive or carries no id, -1 when Redis did not answer. */
int instance_owner_alive(redis_conn_t *r, const char *owner);

/* Take key over for new_owner (borrowed) when its owner is another
 * instance whose heartbeat has lapsed; the lock then lives ttl_ms. A lapsed
 * heartbeat can also mean a live holder cut off from Redis: whoever finds
 * its lock gone after its work must mark that work to be done again.
 * Returns 1 when taken, 0 when not (free, holder alive, ours, or an owner
 * without an id), -1 when Redis did not answer. */
int instance_take_over(redis_conn_t *r, const char *key, const char *new_owner, long long ttl_ms);

/* Take the lock key for owner (borrowed) for ttl_ms: SET NX, and when
 * another holds it, instance_take_over. Returns 1 when taken, 0 when held
 * by a live holder (or one without an id), -1 when Redis did not answer
 * the SET or the take-over. */
int instance_lock(redis_conn_t *r, const char *key, const char *owner, long long ttl_ms);

/* Whether the job job_id (borrowed), still marked running, was
 * interrupted: its lock key (borrowed) is gone, held by another job, or
 * held by an instance whose heartbeat has lapsed. Returns 1 interrupted,
 * 0 still running, -1 when Redis did not answer. */
int instance_job_interrupted(redis_conn_t *r, const char *lock, const char *job_id);

#endif
