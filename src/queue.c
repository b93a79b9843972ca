/*
 * queue — Redis stream, consumer group, attempts and dead letters (see
 * queue.h).
 */
#include "shopsync/queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_scripts.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"
#include "shopsync/util.h"

/* The consumer group; the queue scripts of src/lua name it too. */
#define GROUP "workers"

/* KEYS and ARGV: src/lua/queue_enqueue.lua. */
static const redis_script_t enqueue_script = {"queue_enqueue", LUA_SRC_QUEUE_ENQUEUE};

/* KEYS and ARGV: src/lua/queue_ack.lua. */
static const redis_script_t ack_script = {"queue_ack", LUA_SRC_QUEUE_ACK};

/* KEYS and ARGV: src/lua/queue_ack_many.lua. */
static const redis_script_t ack_many_script = {"queue_ack_many", LUA_SRC_QUEUE_ACK_MANY};

/* KEYS and ARGV: src/lua/queue_fail.lua. */
static const redis_script_t fail_script = {"queue_fail", LUA_SRC_QUEUE_FAIL};

/* KEYS and ARGV: src/lua/queue_park.lua. */
static const redis_script_t park_script = {"queue_park", LUA_SRC_QUEUE_PARK};

/* KEYS and ARGV: src/lua/queue_unpark.lua. */
static const redis_script_t unpark_script = {"queue_unpark", LUA_SRC_QUEUE_UNPARK};

/* KEYS and ARGV: src/lua/queue_replay.lua. */
static const redis_script_t replay_script = {"queue_replay", LUA_SRC_QUEUE_REPLAY};

/* The keys of each stream of the module: the stream, its attempts hash and
 * its parked stream. Dead letters of both share one stream. */
static const struct {
    const char *stream;
    const char *attempts;
    const char *parked;
} names[] = {
    [QUEUE_INBOUND] = {KEY_STREAM_EVENTS, KEY_QUEUE_ATTEMPTS, KEY_STREAM_PARKED},
    [QUEUE_ADS] = {KEY_STREAM_ADS, KEY_ADS_ATTEMPTS, KEY_STREAM_ADS_HELD},
};

/* Queue q's keys into KEY_MAX buffers (attempts and dead may be NULL when
 * not wanted). Returns 0 or -1 (a key does not fit). */
SHOPSYNC_MUST_USE static int keys_of(queue_name q, char *stream, char *attempts, char *dead)
{
    if (redis_key(stream, KEY_MAX, "%s", names[q].stream))
        return -1;
    if (attempts && redis_key(attempts, KEY_MAX, "%s", names[q].attempts))
        return -1;
    if (dead && redis_key(dead, KEY_MAX, KEY_STREAM_DEAD))
        return -1;
    return 0;
}

/* The inbound stream's keys (see keys_of). */
SHOPSYNC_MUST_USE static int keys(char *stream, char *attempts, char *dead)
{
    return keys_of(QUEUE_INBOUND, stream, attempts, dead);
}

/* Queue q's parked stream key into a KEY_MAX buffer. Returns 0 or -1. */
SHOPSYNC_MUST_USE static int parked_key_of(queue_name q, char *out)
{
    return redis_key(out, KEY_MAX, "%s", names[q].parked);
}

/* The inbound parked stream's key into a KEY_MAX buffer. Returns 0 or -1. */
SHOPSYNC_MUST_USE static int parked_key(char *out)
{
    return parked_key_of(QUEUE_INBOUND, out);
}

/* 1 when id has the form of a stream entry id (ms or ms-seq); anything else
 * would make XRANGE fail, which is not "Redis is not answering". */
static int stream_id_ok(const char *id)
{
    size_t ms = strspn(id, "0123456789");
    if (ms == 0 || ms > 20)
        return 0;
    if (id[ms] == '\0')
        return 1;
    size_t seq = id[ms] == '-' ? strspn(id + ms + 1, "0123456789") : 0;
    return seq > 0 && seq <= 20 && id[ms + 1 + seq] == '\0';
}

int queue_setup(redis_conn_t *r)
{
    return queue_setup_in(r, QUEUE_INBOUND);
}

int queue_setup_in(redis_conn_t *r, queue_name q)
{
    char stream[KEY_MAX];
    if (keys_of(q, stream, NULL, NULL))
        return -1;
    redisReply *rep = redis_cmd(r, "XGROUP CREATE %s " GROUP " 0 MKSTREAM", stream);
    if (!rep)
        return -1;
    int ok = rep->type == REDIS_REPLY_STATUS || (rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "BUSYGROUP", 9) == 0);
    freeReplyObject(rep);
    return ok ? 0 : -1;
}

queue_rc queue_enqueue(redis_conn_t *r, const char *provider, const char *event_id,
                       const void *body, size_t len, int ttl_s)
{
    return queue_enqueue_in(r, QUEUE_INBOUND, provider, event_id, body, len, ttl_s);
}

queue_rc queue_enqueue_in(redis_conn_t *r, queue_name q, const char *provider, const char *event_id,
                          const void *body, size_t len, int ttl_s)
{
    char stream[KEY_MAX], parked[KEY_MAX], dedupe[KEY_DEDUPE_MAX], ttl[16], ts[32], max[32];
    if (keys_of(q, stream, NULL, NULL) || parked_key_of(q, parked) ||
        redis_key(dedupe, sizeof(dedupe), KEY_DEDUPE_FMT, provider, event_id))
        return QUEUE_UNAVAILABLE;
    snprintf(ttl, sizeof(ttl), "%d", ttl_s);
    snprintf(ts, sizeof(ts), "%lld", util_now_ms());
    snprintf(max, sizeof(max), "%d", QUEUE_MAX_BACKLOG);
    const char *k[] = {dedupe, stream, parked};
    const char *a[] = {ttl, provider, event_id, body, ts, max};
    size_t lens[] = {strlen(ttl), strlen(provider), strlen(event_id), len, strlen(ts), strlen(max)};
    redisReply *rep = redis_eval(r, &enqueue_script, 3, k, 6, a, lens);
    if (!rep)
        return QUEUE_UNAVAILABLE;
    queue_rc rc = QUEUE_UNAVAILABLE;
    if (rep->type == REDIS_REPLY_INTEGER)
        rc = rep->integer == 1 ? QUEUE_ADDED : rep->integer == 0 ? QUEUE_DUPLICATE : QUEUE_FULL;
    freeReplyObject(rep);
    return rc;
}

/* Fill e from one [id, [field, value, ...]] stream entry. */
static int parse_entry(const redisReply *x, queue_entry_t *e)
{
    memset(e, 0, sizeof(*e));
    if (x->type != REDIS_REPLY_ARRAY || x->elements != 2 || x->element[0]->type != REDIS_REPLY_STRING ||
        x->element[1]->type != REDIS_REPLY_ARRAY)
        return -1;
    snprintf(e->id, sizeof(e->id), "%s", x->element[0]->str);
    const redisReply *f = x->element[1];
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        const char *name = f->element[i]->str;
        const redisReply *v = f->element[i + 1];
        if (!name || v->type != REDIS_REPLY_STRING)
            continue;
        if (strcmp(name, "provider") == 0)
            snprintf(e->provider, sizeof(e->provider), "%s", v->str);
        else if (strcmp(name, "event_id") == 0)
            snprintf(e->event_id, sizeof(e->event_id), "%s", v->str);
        else if (strcmp(name, "received_at") == 0)
            e->received_at_ms = strtoll(v->str, NULL, 10);
        else if (strcmp(name, "body") == 0) {
            free(e->body);
            e->body = malloc(v->len + 1);
            if (!e->body)
                return -1;
            memcpy(e->body, v->str, v->len);
            e->body[v->len] = '\0';
            e->len = v->len;
        }
    }
    return e->body ? 0 : -1;
}

/* Parse a list of entries; entries deleted while pending come back with a
 * nil field list and are skipped. */
static int collect(const redisReply *list, queue_entry_t *out, int max)
{
    int n = 0;
    for (size_t i = 0; i < list->elements && n < max; i++) {
        if (parse_entry(list->element[i], &out[n]) == 0)
            n++;
        else
            queue_entry_free(&out[n]);
    }
    return n;
}

int queue_read(redis_conn_t *r, const char *consumer, queue_entry_t *out, int max, int block_ms)
{
    return queue_read_in(r, QUEUE_INBOUND, consumer, out, max, block_ms);
}

int queue_read_in(redis_conn_t *r, queue_name q, const char *consumer, queue_entry_t *out, int max, int block_ms)
{
    char stream[KEY_MAX];
    if (keys_of(q, stream, NULL, NULL))
        return -1;
    redisReply *rep = redis_cmd(r, "XREADGROUP GROUP " GROUP " %s COUNT %d BLOCK %d STREAMS %s >", consumer, max,
                                block_ms, stream);
    if (!rep)
        return -1;
    int n = 0;
    if (rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOGROUP", 7) == 0) {
        /* The stream was deleted (FLUSHALL, restore): recreate the group. */
        freeReplyObject(rep);
        return queue_setup_in(r, q) == 0 ? 0 : -1;
    }
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 && rep->element[0]->elements == 2)
        n = collect(rep->element[0]->element[1], out, max);
    freeReplyObject(rep);
    return n;
}

int queue_reclaim(redis_conn_t *r, const char *consumer, long long min_idle_ms,
                  queue_entry_t *out, int max)
{
    return queue_reclaim_in(r, QUEUE_INBOUND, consumer, min_idle_ms, out, max);
}

int queue_reclaim_in(redis_conn_t *r, queue_name q, const char *consumer, long long min_idle_ms,
                     queue_entry_t *out, int max)
{
    char stream[KEY_MAX];
    if (keys_of(q, stream, NULL, NULL))
        return -1;
    redisReply *rep = redis_cmd(r, "XAUTOCLAIM %s " GROUP " %s %lld 0-0 COUNT %d", stream, consumer, min_idle_ms, max);
    if (!rep)
        return -1;
    int n = 0;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 2 && rep->element[1]->type == REDIS_REPLY_ARRAY)
        n = collect(rep->element[1], out, max);
    freeReplyObject(rep);
    return n;
}

int queue_touch(redis_conn_t *r, const char *consumer, const queue_entry_t *entries, int n)
{
    return queue_touch_in(r, QUEUE_INBOUND, consumer, entries, n);
}

int queue_touch_in(redis_conn_t *r, queue_name q, const char *consumer, const queue_entry_t *entries, int n)
{
    char stream[KEY_MAX];
    if (n <= 0)
        return 0;
    if (keys_of(q, stream, NULL, NULL))
        return -1;
    const char **argv = calloc((size_t)n + 7, sizeof(char *));
    if (!argv)
        return -1;
    int argc = 0;
    argv[argc++] = "XCLAIM";
    argv[argc++] = stream;
    argv[argc++] = GROUP;
    argv[argc++] = consumer;
    argv[argc++] = "0";
    for (int i = 0; i < n; i++)
        argv[argc++] = entries[i].id;
    argv[argc++] = "JUSTID";
    redisReply *rep = redis_cmd_argv(r, argc, argv, NULL);
    free(argv);
    int ok = rep && rep->type == REDIS_REPLY_ARRAY;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

int queue_ack(redis_conn_t *r, const queue_entry_t *e)
{
    return queue_ack_in(r, QUEUE_INBOUND, e);
}

int queue_ack_in(redis_conn_t *r, queue_name q, const queue_entry_t *e)
{
    char stream[KEY_MAX], attempts[KEY_MAX];
    if (keys_of(q, stream, attempts, NULL))
        return -1;
    const char *k[] = {stream, attempts};
    const char *a[] = {e->id};
    redisReply *rep = redis_eval(r, &ack_script, 2, k, 1, a, NULL);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

int queue_ack_many_in(redis_conn_t *r, queue_name q, const queue_entry_t *const *entries, int n)
{
    char stream[KEY_MAX], attempts[KEY_MAX];
    if (n <= 0)
        return 0;
    if (n > QUEUE_ACK_MANY_MAX || keys_of(q, stream, attempts, NULL))
        return -1;
    const char **ids = calloc((size_t)n, sizeof(char *));
    if (!ids)
        return -1;
    for (int i = 0; i < n; i++)
        ids[i] = entries[i]->id;
    const char *k[] = {stream, attempts};
    redisReply *rep = redis_eval(r, &ack_many_script, 2, k, n, ids, NULL);
    free(ids);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

static int fail_with(redis_conn_t *r, queue_name q, const queue_entry_t *e, const char *error, int max_attempts)
{
    char stream[KEY_MAX], attempts[KEY_MAX], dead[KEY_MAX], max[16], ra[32], ts[32];
    if (keys_of(q, stream, attempts, dead))
        return -1;
    snprintf(max, sizeof(max), "%d", max_attempts);
    snprintf(ra, sizeof(ra), "%lld", e->received_at_ms);
    snprintf(ts, sizeof(ts), "%lld", util_now_ms());
    const char *k[] = {stream, attempts, dead};
    const char *a[] = {e->id, e->provider, e->event_id, e->body, ra, error, max, ts};
    size_t lens[] = {strlen(e->id), strlen(e->provider), strlen(e->event_id), e->len, strlen(ra), strlen(error),
                     strlen(max), strlen(ts)};
    redisReply *rep = redis_eval(r, &fail_script, 3, k, 8, a, lens);
    if (!rep)
        return -1;
    int rc = rep->type == REDIS_REPLY_INTEGER ? (int)rep->integer : -1;
    freeReplyObject(rep);
    if (rc == 1)
        log_event(LOG_WARN, "event_dead_lettered", json_pack("{s:s,s:s,s:s}", "provider", e->provider, "event_id",
                                                             e->event_id, "error", error));
    return rc;
}

int queue_fail(redis_conn_t *r, const queue_entry_t *e, const char *error, int max_attempts)
{
    return fail_with(r, QUEUE_INBOUND, e, error, max_attempts < 1 ? 1 : max_attempts);
}

int queue_dead_letter(redis_conn_t *r, const queue_entry_t *e, const char *error, int attempts)
{
    (void)attempts;
    return queue_dead_letter_in(r, QUEUE_INBOUND, e, error);
}

int queue_dead_letter_in(redis_conn_t *r, queue_name q, const queue_entry_t *e, const char *error)
{
    return fail_with(r, q, e, error, 0) == 1 ? 0 : -1;
}

int queue_park(redis_conn_t *r, const queue_entry_t *e, const char *reason)
{
    return queue_park_in(r, QUEUE_INBOUND, e, reason);
}

int queue_park_in(redis_conn_t *r, queue_name q, const queue_entry_t *e, const char *reason)
{
    char stream[KEY_MAX], attempts[KEY_MAX], parked[KEY_MAX], ra[32], ts[32];
    if (keys_of(q, stream, attempts, NULL) || parked_key_of(q, parked))
        return -1;
    snprintf(ra, sizeof(ra), "%lld", e->received_at_ms);
    snprintf(ts, sizeof(ts), "%lld", util_now_ms());
    const char *k[] = {stream, attempts, parked};
    const char *a[] = {e->id, e->provider, e->event_id, e->body, ra, reason, ts};
    size_t lens[] = {strlen(e->id), strlen(e->provider), strlen(e->event_id), e->len, strlen(ra), strlen(reason),
                     strlen(ts)};
    redisReply *rep = redis_eval(r, &park_script, 3, k, 7, a, lens);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject(rep);
    if (ok)
        log_event(LOG_INFO, "event_parked", json_pack("{s:s,s:s,s:s}", "provider", e->provider, "event_id",
                                                      e->event_id, "reason", reason));
    return ok ? 0 : -1;
}

int queue_unpark(redis_conn_t *r, long long *n)
{
    return queue_unpark_in(r, QUEUE_INBOUND, n);
}

int queue_unpark_in(redis_conn_t *r, queue_name q, long long *n)
{
    char parked[KEY_MAX], stream[KEY_MAX], count[16];
    *n = 0;
    if (keys_of(q, stream, NULL, NULL) || parked_key_of(q, parked))
        return -1;
    snprintf(count, sizeof(count), "%d", QUEUE_UNPARK_BATCH);
    const char *k[] = {parked, stream};
    const char *a[] = {count};
    /* In batches, so one script never holds Redis for long; never more
     * rounds than the backlog allows entries. */
    for (int round = 0; round <= QUEUE_MAX_BACKLOG / QUEUE_UNPARK_BATCH; round++) {
        redisReply *rep = redis_eval(r, &unpark_script, 2, k, 1, a, NULL);
        if (!rep || rep->type != REDIS_REPLY_INTEGER) {
            if (rep)
                freeReplyObject(rep);
            return -1;
        }
        long long moved = rep->integer;
        freeReplyObject(rep);
        *n += moved;
        if (moved < QUEUE_UNPARK_BATCH)
            break;
    }
    if (*n)
        log_event(LOG_INFO, "events_unparked", json_pack("{s:s,s:I}", "stream", names[q].stream, "events", (json_int_t)*n));
    return 0;
}

void queue_entry_free(queue_entry_t *e)
{
    free(e->body);
    e->body = NULL;
    e->len = 0;
}

/* The length of key by cmd (XLEN, HLEN); 0 when Redis does not answer, so
 * the counts of a report stay readable. */
static long long length_of(redis_conn_t *r, const char *cmd, const char *key)
{
    redisReply *rep = redis_cmd(r, "%s %s", cmd, key);
    long long n = rep && rep->type == REDIS_REPLY_INTEGER ? rep->integer : 0;
    if (rep)
        freeReplyObject(rep);
    return n;
}

int queue_dlq_list(redis_conn_t *r, int limit, json_t **out, long long *total)
{
    char dead[KEY_MAX];
    *out = NULL;
    if (redis_key(dead, sizeof(dead), KEY_STREAM_DEAD))
        return -1;
    redisReply *rep = redis_cmd(r, "XREVRANGE %s + - COUNT %d", dead, limit);
    if (!rep)
        return -1;
    json_t *arr = json_array();
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        const redisReply *x = rep->element[i];
        if (x->type != REDIS_REPLY_ARRAY || x->elements != 2)
            continue;
        json_t *o = json_pack("{s:s}", "id", x->element[0]->str);
        const redisReply *f = x->element[1];
        for (size_t j = 0; j + 1 < f->elements; j += 2) {
            const char *name = f->element[j]->str;
            const char *v = f->element[j + 1]->str;
            if (!name || !v)
                continue;
            if (strcmp(name, "provider") == 0)
                json_object_set_new(o, "source", json_string(v));
            else if (strcmp(name, "event_id") == 0 || strcmp(name, "error") == 0)
                json_object_set_new(o, name, json_string(v));
            else if (strcmp(name, "attempts") == 0 || strcmp(name, "failed_at") == 0 || strcmp(name, "received_at") == 0)
                json_object_set_new(o, name, json_integer(strtoll(v, NULL, 10)));
        }
        json_array_append_new(arr, o);
    }
    freeReplyObject(rep);
    *total = length_of(r, "XLEN", dead);
    *out = arr;
    return 0;
}

int queue_dlq_replay(redis_conn_t *r, const char *id, long long *n)
{
    char stream[KEY_MAX], dead[KEY_MAX], ads[KEY_MAX];
    *n = 0;
    if (keys(stream, NULL, dead) || keys_of(QUEUE_ADS, ads, NULL, NULL))
        return -1;
    /* A dead ads event goes back to the ads stream (see queue_replay.lua). */
    const char *k[] = {dead, stream, ads};
    const char *a[] = {id ? id : ""};
    if (id && !stream_id_ok(id))
        return 1;
    redisReply *rep = redis_eval(r, &replay_script, 3, k, 1, a, NULL);
    if (!rep)
        return -1;
    int rc = -1;
    if (rep->type == REDIS_REPLY_INTEGER) {
        *n = rep->integer;
        rc = id && rep->integer == 0 ? 1 : 0;
    }
    freeReplyObject(rep);
    return rc;
}

int queue_stats(redis_conn_t *r, queue_stats_t *out)
{
    char stream[KEY_MAX], dead[KEY_MAX], dirty[KEY_MAX], parked[KEY_MAX];
    memset(out, 0, sizeof(*out));
    if (keys(stream, NULL, dead) || redis_key(dirty, sizeof(dirty), KEY_PUSH_DIRTY) || parked_key(parked))
        return -1;
    redisReply *rep = redis_cmd(r, "XLEN %s", stream);
    if (!rep)
        return -1;
    out->depth = rep->type == REDIS_REPLY_INTEGER ? rep->integer : 0;
    freeReplyObject(rep);
    rep = redis_cmd(r, "XPENDING %s " GROUP, stream);
    if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements >= 2) {
        out->pending = rep->element[0]->integer;
        if (rep->element[1]->type == REDIS_REPLY_STRING)
            out->oldest_pending_age_ms = util_now_ms() - strtoll(rep->element[1]->str, NULL, 10);
    }
    if (rep)
        freeReplyObject(rep);
    if (out->depth > out->pending && out->oldest_pending_age_ms == 0) {
        /* Nothing pending but entries waiting: age of the oldest waiting. */
        rep = redis_cmd(r, "XRANGE %s - + COUNT 1", stream);
        if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 1)
            out->oldest_pending_age_ms = util_now_ms() - strtoll(rep->element[0]->element[0]->str, NULL, 10);
        if (rep)
            freeReplyObject(rep);
    }
    out->dead = length_of(r, "XLEN", dead);
    out->dirty = length_of(r, "HLEN", dirty);
    out->parked = length_of(r, "XLEN", parked);
    return 0;
}

int queue_lengths_in(redis_conn_t *r, queue_name q, long long *waiting, long long *parked)
{
    char stream[KEY_MAX], held[KEY_MAX];
    *waiting = *parked = 0;
    if (keys_of(q, stream, NULL, NULL) || parked_key_of(q, held))
        return -1;
    redisReply *rep = redis_cmd(r, "XLEN %s", stream);
    if (!rep)
        return -1;
    *waiting = rep->type == REDIS_REPLY_INTEGER ? rep->integer : 0;
    freeReplyObject(rep);
    rep = redis_cmd(r, "XLEN %s", held);
    if (!rep)
        return -1;
    *parked = rep->type == REDIS_REPLY_INTEGER ? rep->integer : 0;
    freeReplyObject(rep);
    return 0;
}
