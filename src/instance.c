/*
 * instance — this process's id and heartbeat in Redis, and the take-over of
 * locks whose holder stopped beating (see instance.h).
 */
#include "shopsync/instance.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "lua_scripts.h"
#include "shopsync/crypto.h"
#include "shopsync/keys.h"
#include "shopsync/util.h"

/* KEYS and ARGV: src/lua/instance_take_over.lua. */
static const redis_script_t take_over_script = {"lock_take_over", LUA_SRC_INSTANCE_TAKE_OVER};

static char self_id[INSTANCE_ID_HEX + 1];
static atomic_int beating;
static atomic_int stop_beating;
static pthread_t beat_thread;

/* The heartbeat key of the instance whose id starts id. Returns 0 or -1
 * (does not fit). */
SHOPSYNC_MUST_USE static int heartbeat_key(char *out, size_t cap, const char *id)
{
    return redis_key(out, cap, KEY_INSTANCE_FMT, INSTANCE_ID_HEX, id);
}

static int beat(redis_conn_t *r, const char *key)
{
    redisReply *rep = redis_cmd(r, "SET %s 1 PX %d", key, INSTANCE_TTL_MS);
    int ok = rep && rep->type == REDIS_REPLY_STATUS;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

static void *beat_loop(void *arg)
{
    redis_conn_t *r = arg;
    char key[KEY_MAX];
    /* instance_start built the same key before starting this thread, so
     * this one fits too. */
    if (heartbeat_key(key, sizeof(key), self_id) == 0) {
        while (!atomic_load(&stop_beating)) {
            /* A failed beat is retried at the next tick: Redis being away
             * stops every lock holder alike. */
            beat(r, key);
            for (int i = 0; i < INSTANCE_BEAT_MS / 100 && !atomic_load(&stop_beating); i++)
                util_sleep_ms(100);
        }
        redisReply *rep = redis_cmd(r, "DEL %s", key);
        if (rep)
            freeReplyObject(rep);
    }
    redis_conn_free(r);
    return NULL;
}

int instance_start(void)
{
    char key[KEY_MAX];
    redis_conn_t *r = NULL;
    if (crypto_random_hex(INSTANCE_ID_HEX / 2, self_id) != 0 || heartbeat_key(key, sizeof(key), self_id))
        goto fail;
    r = redis_conn_new();
    /* The first beat before any lock is taken, so no lock of ours can be
     * seen without a live heartbeat. */
    if (!r || beat(r, key) != 0)
        goto fail;
    atomic_store(&stop_beating, 0);
    if (pthread_create(&beat_thread, NULL, beat_loop, r) != 0)
        goto fail;
    atomic_store(&beating, 1);
    return 0;
fail:
    redis_conn_free(r);
    self_id[0] = '\0';
    return -1;
}

void instance_stop(void)
{
    if (!atomic_load(&beating))
        return;
    atomic_store(&beating, 0);
    atomic_store(&stop_beating, 1);
    pthread_join(beat_thread, NULL);
}

int instance_lock_owner(char *out)
{
    char rnd[33];
    if (crypto_random_hex(16, rnd) != 0)
        return -1;
    instance_owner_named(out, rnd);
    return 0;
}

void instance_owner_named(char *out, const char *name)
{
    if (atomic_load(&beating))
        snprintf(out, INSTANCE_OWNER_MAX, "%s.%.32s", self_id, name);
    else
        snprintf(out, INSTANCE_OWNER_MAX, "%.32s", name);
}

/* Length of owner's instance id, or 0 when it carries none. */
static size_t id_length(const char *owner)
{
    const char *dot = strchr(owner, '.');
    if (!dot || dot - owner != INSTANCE_ID_HEX || strspn(owner, "0123456789abcdef") != INSTANCE_ID_HEX)
        return 0;
    return INSTANCE_ID_HEX;
}

const char *instance_owner_name(const char *owner)
{
    size_t n = id_length(owner);
    return n ? owner + n + 1 : owner;
}

int instance_owner_alive(redis_conn_t *r, const char *owner)
{
    char hb[KEY_MAX];
    if (!id_length(owner))
        return 1;
    if (heartbeat_key(hb, sizeof(hb), owner))
        return -1;
    redisReply *rep = redis_cmd(r, "EXISTS %s", hb);
    if (!rep)
        return -1;
    int alive = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
    freeReplyObject(rep);
    return alive;
}

int instance_take_over(redis_conn_t *r, const char *key, const char *new_owner, long long ttl_ms)
{
    char seen[INSTANCE_OWNER_MAX], hb[KEY_MAX], ttl[32];
    redisReply *rep = redis_cmd(r, "GET %s", key);
    if (!rep)
        return -1;
    int have = rep->type == REDIS_REPLY_STRING && rep->len < sizeof(seen);
    if (have)
        memcpy(seen, rep->str, rep->len + 1);
    freeReplyObject(rep);
    if (!have || !id_length(seen))
        return 0;
    /* Our own heartbeat can lapse only while Redis is away from us, and the
     * holder, a sibling thread, is then still running: never take it. */
    if (atomic_load(&beating) && strncmp(seen, self_id, INSTANCE_ID_HEX) == 0)
        return 0;
    if (heartbeat_key(hb, sizeof(hb), seen))
        return -1;
    snprintf(ttl, sizeof(ttl), "%lld", ttl_ms);
    const char *keys[] = {key, hb};
    const char *args[] = {seen, new_owner, ttl};
    rep = redis_eval(r, &take_over_script, 2, keys, 3, args, NULL);
    if (!rep)
        return -1;
    int rc = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
    freeReplyObject(rep);
    return rc;
}

int instance_lock(redis_conn_t *r, const char *key, const char *owner, long long ttl_ms)
{
    redisReply *rep = redis_cmd(r, "SET %s %s NX PX %lld", key, owner, ttl_ms);
    if (!rep)
        return -1;
    int got = rep->type == REDIS_REPLY_STATUS;
    freeReplyObject(rep);
    /* Held: its holder's instance may have died, and then it is ours. */
    return got ? 1 : instance_take_over(r, key, owner, ttl_ms);
}

int instance_job_interrupted(redis_conn_t *r, const char *lock, const char *job_id)
{
    redisReply *rep = redis_cmd(r, "GET %s", lock);
    if (!rep)
        return -1;
    int ours = rep->type == REDIS_REPLY_STRING && strcmp(instance_owner_name(rep->str), job_id) == 0;
    int alive = ours ? instance_owner_alive(r, rep->str) : 0;
    freeReplyObject(rep);
    if (alive < 0)
        return -1;
    return !ours || !alive;
}
