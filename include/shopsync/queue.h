/*
 * queue — the durable inbound event queue: one Redis stream with a consumer
 * group. Intake stores an event and its dedupe marker in one atomic step;
 * workers read, reclaim entries left by crashed workers (XAUTOCLAIM), count
 * attempts, and move an entry that keeps failing to the dead-letter stream,
 * from where it can be replayed. Acknowledged entries are deleted, so the
 * stream holds only work not yet done and its length is bounded by refusing
 * intake (503, the provider retries) past a maximum backlog. An entry that
 * cannot be handled yet through no fault of its own (a TikTok order while
 * the shop is not connected) is parked, without counting an attempt, and
 * put back in the stream when the cause is gone.
 *
 * The same machinery keeps a second stream, the TikTok Ads events on their
 * way out (ads_events): the functions named *_in take the stream; the others
 * work on the inbound one. Dead letters of both share one stream, and a
 * replay puts each back where it came from.
 *
 * Redis: P stream:events (group "workers"), P stream:dead, P stream:parked,
 * P queue:attempts, P dedupe:<provider>:<event id>; P stream:ads (group
 * "workers"), P stream:ads:held, P ads:attempts.
 */
#ifndef SHOPSYNC_QUEUE_H
#define SHOPSYNC_QUEUE_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/redis.h"

#define QUEUE_MAX_BACKLOG 1000000
#define QUEUE_EVENT_ID_MAX 256
#define QUEUE_UNPARK_BATCH 1000

/* The streams of the module. */
typedef enum {
    QUEUE_INBOUND = 0, /* webhooks from TikTok Shop and Stripe */
    QUEUE_ADS = 1      /* TikTok Ads events to send (provider "tiktok_ads") */
} queue_name;

typedef enum {
    QUEUE_ADDED = 0,
    QUEUE_DUPLICATE = 1,
    QUEUE_FULL = 2,
    QUEUE_UNAVAILABLE = -1
} queue_rc;

typedef struct queue_entry {
    char id[64];                        /* stream entry id */
    char provider[16];                  /* "tiktok" or "stripe" */
    char event_id[QUEUE_EVENT_ID_MAX];  /* provider's id (dedupe key) */
    char *body;                         /* owned, NUL-terminated */
    size_t len;
    long long received_at_ms;
} queue_entry_t;

typedef struct queue_stats {
    long long depth;                /* entries not yet acknowledged */
    long long pending;              /* delivered to a worker, not acknowledged */
    long long oldest_pending_age_ms;
    long long dead;                 /* dead-letter stream length */
    long long dirty;                /* SKUs waiting for a push */
    long long parked;               /* entries parked until their cause is gone */
} queue_stats_t;

/* Create the consumer group if missing. Returns 0 or -1. */
int queue_setup(redis_conn_t *r);

/* Record an event durably unless event_id was seen within ttl_s. provider,
 * event_id and body are borrowed. */
queue_rc queue_enqueue(redis_conn_t *r, const char *provider, const char *event_id,
                       const void *body, size_t len, int ttl_s);

/* Read up to max new entries for consumer, blocking up to block_ms. Entries
 * are filled into out (caller frees each with queue_entry_free). Returns the
 * count, or -1 when Redis is unavailable. */
int queue_read(redis_conn_t *r, const char *consumer, queue_entry_t *out, int max, int block_ms);

/* Claim up to max entries idle for at least min_idle_ms (crashed workers,
 * failed attempts waiting for their retry). Returns the count or -1. */
int queue_reclaim(redis_conn_t *r, const char *consumer, long long min_idle_ms,
                  queue_entry_t *out, int max);

/* Reset the idle time of entries this consumer still holds (borrowed), so
 * other workers do not reclaim a batch that is merely slow. Returns 0 or -1. */
int queue_touch(redis_conn_t *r, const char *consumer, const queue_entry_t *entries, int n);

/* Done with an entry: acknowledge and delete it. Returns 0 or -1. */
int queue_ack(redis_conn_t *r, const queue_entry_t *e);

/* Record a failed attempt with its error (borrowed). After max_attempts the
 * entry moves to the dead-letter stream. Returns 1 when dead-lettered, 0
 * when it stays for a retry, -1 when Redis is unavailable. */
int queue_fail(redis_conn_t *r, const queue_entry_t *e, const char *error, int max_attempts);

/* Move an entry straight to the dead-letter stream (a permanent error). */
int queue_dead_letter(redis_conn_t *r, const queue_entry_t *e, const char *error, int attempts);

/* Park an entry (borrowed) with its reason (borrowed): it leaves the stream
 * for the parked stream in one step, attempts forgotten, never
 * dead-lettered. Returns 0 or -1 (the entry then stays pending and is
 * reclaimed). */
int queue_park(redis_conn_t *r, const queue_entry_t *e, const char *reason);

/* Put every parked entry back in the stream, oldest first; *n receives how
 * many. Returns 0 or -1. */
int queue_unpark(redis_conn_t *r, long long *n);

/* The functions above on stream q (same contracts; parked entries of
 * QUEUE_ADS are the events held while TikTok refuses the access token). */
int queue_setup_in(redis_conn_t *r, queue_name q);
queue_rc queue_enqueue_in(redis_conn_t *r, queue_name q, const char *provider, const char *event_id,
                          const void *body, size_t len, int ttl_s);
int queue_read_in(redis_conn_t *r, queue_name q, const char *consumer, queue_entry_t *out, int max, int block_ms);
int queue_reclaim_in(redis_conn_t *r, queue_name q, const char *consumer, long long min_idle_ms,
                     queue_entry_t *out, int max);
int queue_touch_in(redis_conn_t *r, queue_name q, const char *consumer, const queue_entry_t *entries, int n);
int queue_ack_in(redis_conn_t *r, queue_name q, const queue_entry_t *e);

/* Acknowledge and delete n (at most QUEUE_ACK_MANY_MAX) entries of stream
 * q (borrowed) in one step. Returns 0 or -1. */
#define QUEUE_ACK_MANY_MAX 1000
int queue_ack_many_in(redis_conn_t *r, queue_name q, const queue_entry_t *const *entries, int n);
int queue_dead_letter_in(redis_conn_t *r, queue_name q, const queue_entry_t *e, const char *error);
int queue_park_in(redis_conn_t *r, queue_name q, const queue_entry_t *e, const char *reason);
int queue_unpark_in(redis_conn_t *r, queue_name q, long long *n);

/* Entries of stream q waiting (not acknowledged) and parked. Returns 0 or
 * -1. */
int queue_lengths_in(redis_conn_t *r, queue_name q, long long *waiting, long long *parked);

/* Free an entry's body. */
void queue_entry_free(queue_entry_t *e);

/* Dead letters, newest first, up to limit: new array of {id, source,
 * event_id, error, attempts, failed_at}. *total receives the DLQ length. */
int queue_dlq_list(redis_conn_t *r, int limit, json_t **out, long long *total);

/* Replay one dead letter (id) or all (id NULL) into the event stream.
 * *n receives how many were replayed. Returns 0, 1 when id is unknown (or
 * not an entry id at all), -1. */
int queue_dlq_replay(redis_conn_t *r, const char *id, long long *n);

/* Depth, pending, oldest pending age, DLQ size, dirty SKUs, parked entries.
 * Returns 0 or -1. */
int queue_stats(redis_conn_t *r, queue_stats_t *out);

#endif
