/*
 * session — hashed session ids with CSRF tokens in Redis (see session.h).
 */
#include "shopsync/session.h"

#include <stdio.h>
#include <string.h>

#include "shopsync/crypto.h"
#include "shopsync/keys.h"

SHOPSYNC_MUST_USE static int session_redis_key(char *out, size_t cap, const char *id)
{
    unsigned char h[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    /* Only the hash is stored so a Redis dump does not hand out sessions. */
    if (crypto_sha256(id, strlen(id), h) != 0)
        return -1;
    crypto_hex(h, sizeof(h), hex);
    return redis_key(out, cap, KEY_SESSION_FMT, hex);
}

int session_create(redis_conn_t *r, char *id, char *csrf)
{
    char k[KEY_MAX];
    if (crypto_random_hex(SESSION_ID_HEX / 2, id) || crypto_random_hex(SESSION_ID_HEX / 2, csrf) ||
        session_redis_key(k, sizeof(k), id))
        return -1;
    redisReply *rep = redis_cmd(r, "SET %s %s EX %d", k, csrf, SESSION_TTL_S);
    int ok = rep && rep->type == REDIS_REPLY_STATUS;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

int session_lookup(redis_conn_t *r, const char *id, char *csrf, size_t cap)
{
    char k[KEY_MAX];
    if (strlen(id) != SESSION_ID_HEX || session_redis_key(k, sizeof(k), id))
        return 1;
    return redis_get_str(r, csrf, cap, "GET %s", k);
}

int session_delete(redis_conn_t *r, const char *id)
{
    char k[KEY_MAX];
    if (session_redis_key(k, sizeof(k), id))
        return -1;
    redisReply *rep = redis_cmd(r, "DEL %s", k);
    if (!rep)
        return -1;
    freeReplyObject(rep);
    return 0;
}
