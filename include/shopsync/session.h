/*
 * session — admin page sessions in Redis. The cookie carries a random id;
 * Redis stores only its SHA-256 with the session's CSRF token, with a TTL.
 */
#ifndef SHOPSYNC_SESSION_H
#define SHOPSYNC_SESSION_H

#include <stddef.h>

#include "shopsync/redis.h"

#define SESSION_COOKIE "shopsync_session"
#define SESSION_TTL_S 43200
#define SESSION_ID_HEX 64

/* Create a session: id and csrf (each SESSION_ID_HEX+1 bytes) are filled.
 * Returns 0, or -1 when Redis is unavailable. */
int session_create(redis_conn_t *r, char *id, char *csrf);

/* Look up session id (borrowed); csrf receives its token. Returns 0 found,
 * 1 unknown or expired, -1 Redis unavailable. */
int session_lookup(redis_conn_t *r, const char *id, char *csrf, size_t cap);

/* Delete session id. Returns 0 or -1. */
int session_delete(redis_conn_t *r, const char *id);

#endif
