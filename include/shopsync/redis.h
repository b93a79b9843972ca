/*
 * redis — the Redis adapter: URL parsing, one connection per thread with
 * reconnect, key prefixing, Lua scripts by EVALSHA with a NOSCRIPT fallback.
 * The embedded redis-server child used when REDIS_URL is unset is in
 * redis_server.h.
 */
#ifndef SHOPSYNC_REDIS_H
#define SHOPSYNC_REDIS_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "shopsync/common.h"
#include "shopsync/keys.h"

/* The longest key prefix kept, terminating NUL included. */
#define REDIS_PREFIX_MAX 64

typedef struct redis_conn redis_conn_t;

typedef struct redis_script {
    const char *name; /* for logs */
    const char *body; /* Lua source, static */
} redis_script_t;

/* Set the server URL and key prefix for every connection made afterwards
 * (copied). Returns 0, or -1 with err when the URL is malformed. Call once
 * before threads start. */
SHOPSYNC_MUST_USE int redis_setup(const char *url, const char *prefix, char *err, size_t errlen);

/* The configured key prefix (borrowed, static). */
const char *redis_prefix(void);

/* A new, not yet connected handle (connects on first use). NULL on OOM. */
redis_conn_t *redis_conn_new(void);

/* Close and free (NULL is fine). */
void redis_conn_free(redis_conn_t *c);

/* Run a command (hiredis format). Returns a new reply the caller frees with
 * freeReplyObject, or NULL when Redis cannot be reached (the handle will
 * reconnect on the next call). Error replies are returned as replies. A
 * command that failed on a connection found dead before it was sent is
 * retried once on a fresh connection. */
redisReply *redis_cmd(redis_conn_t *c, const char *fmt, ...);

/* Same with an argument vector (args and lens borrowed; lens may be NULL for
 * NUL-terminated args). */
redisReply *redis_cmd_argv(redis_conn_t *c, int argc, const char **argv, const size_t *lens);

/* Run a command (hiredis format) that reads one string (GET, HGET) and copy
 * the string into out (cap bytes, cut to fit). Returns 0 when copied, 1 when
 * the reply is no string (the key or field is absent; out is left as it
 * was), -1 when Redis cannot be reached. */
int redis_get_str(redis_conn_t *c, char *out, size_t cap, const char *fmt, ...);

/* The value of field (borrowed) in an HGETALL reply rep (borrowed, may be
 * NULL): borrowed from rep, or NULL when the field is absent or rep is no
 * array. */
const char *redis_reply_field(const redisReply *rep, const char *field);

/* 1 when rep (stolen: freed here; may be NULL) says a write was done: an
 * integer or status reply. 0 for NULL (no Redis), an error or any other
 * reply. */
int redis_done(redisReply *rep);

/* Run script s with keys and args (borrowed; arg_lens may be NULL). Uses
 * EVALSHA and falls back to EVAL on NOSCRIPT. Returns a new reply or NULL as
 * redis_cmd. */
redisReply *redis_eval(redis_conn_t *c, const redis_script_t *s, int nkeys,
                       const char **keys, int nargs, const char **args,
                       const size_t *arg_lens);

/* Release a lock taken with SET key owner NX PX: deleted only while it still
 * holds owner (both borrowed), so a lock that expired and was taken by
 * someone else stays theirs. Returns 1 when deleted, 0 when not ours (or
 * gone), -1 when Redis did not answer. */
int redis_unlock(redis_conn_t *c, const char *key, const char *owner);

/* Give a lock taken as above ttl_ms more to live, only while it still holds
 * owner (both borrowed): a long job's heartbeat. Returns 1 when extended, 0
 * when not ours (or gone), -1 when Redis did not answer. */
SHOPSYNC_MUST_USE int redis_lock_extend(redis_conn_t *c, const char *key, const char *owner, long long ttl_ms);

/* For an error reply raised by one of our scripts with
 * redis.error_reply('CODE message'): 1 when its code is code. Redis 7 may
 * put "ERR " in front, which is skipped. */
int redis_error_is(const redisReply *r, const char *code);

/* The text of a script error after its code (borrowed from r), or "". */
const char *redis_error_text(const redisReply *r);

/* Write prefix + formatted suffix into out (a KEY_MAX buffer; fmt one of the
 * names in keys.h). Returns 0, or -1 when it does not fit: the caller must
 * not use out then. */
SHOPSYNC_MUST_USE int redis_key(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* 0 when PING answers PONG, else -1. */
SHOPSYNC_MUST_USE int redis_ping(redis_conn_t *c);

/* Message of the last connection error on c (borrowed), or "". */
const char *redis_last_error(const redis_conn_t *c);

/* Total commands that failed for lack of a connection (for metrics). */
unsigned long redis_error_count(void);

#endif
