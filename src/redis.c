/*
 * redis — per-thread hiredis connections, scripts and locks (the embedded
 * server is in redis_server.c).
 */
#include "shopsync/redis.h"

#include <errno.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_scripts.h"
#include "shopsync/crypto.h"
#include "shopsync/log.h"
#include "shopsync/util.h"

#define REDIS_CONNECT_TIMEOUT_MS 2000
#define REDIS_COMMAND_TIMEOUT_MS 5000

/* Parsed once by redis_setup, read-only afterwards. */
static struct {
    char host[256];
    int port;
    char socket_path[512];
    char password[256];
    int db;
    char prefix[REDIS_PREFIX_MAX];
} server;

static unsigned long error_count;

struct redis_conn {
    redisContext *ctx;
    char last_error[128];
};

int redis_setup(const char *url, const char *prefix, char *err, size_t errlen)
{
    memset(&server, 0, sizeof(server));
    snprintf(server.prefix, sizeof(server.prefix), "%s", prefix);
    if (strncmp(url, "unix://", 7) == 0) {
        if (snprintf(server.socket_path, sizeof(server.socket_path), "%s", url + 7) >=
                (int)sizeof(server.socket_path) || !server.socket_path[0]) {
            snprintf(err, errlen, "REDIS_URL: bad unix socket path");
            return -1;
        }
        return 0;
    }
    if (strncmp(url, "redis://", 8) != 0) {
        snprintf(err, errlen, "REDIS_URL: must start with redis:// or unix://");
        return -1;
    }
    const char *p = url + 8;
    const char *at = strrchr(p, '@');
    if (at) {
        /* redis://[user]:password@host — the user part is ignored (no ACL
         * users in the AUTH we send). */
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon ? colon + 1 : p;
        size_t n = (size_t)(at - pw);
        if (n >= sizeof(server.password)) {
            snprintf(err, errlen, "REDIS_URL: password too long");
            return -1;
        }
        memcpy(server.password, pw, n);
        p = at + 1;
    }
    const char *slash = strchr(p, '/');
    const char *colon = strchr(p, ':');
    size_t host_len = colon && (!slash || colon < slash) ? (size_t)(colon - p)
                      : slash ? (size_t)(slash - p) : strlen(p);
    if (host_len == 0 || host_len >= sizeof(server.host)) {
        snprintf(err, errlen, "REDIS_URL: missing or too long host");
        return -1;
    }
    memcpy(server.host, p, host_len);
    server.port = 6379;
    if (colon && (!slash || colon < slash)) {
        char *end = NULL;
        long port = strtol(colon + 1, &end, 10);
        if (port <= 0 || port > 65535 || (end != slash && *end)) {
            snprintf(err, errlen, "REDIS_URL: bad port");
            return -1;
        }
        server.port = (int)port;
    }
    if (slash && slash[1]) {
        char *end = NULL;
        long db = strtol(slash + 1, &end, 10);
        if (db < 0 || db > 1000 || *end) {
            snprintf(err, errlen, "REDIS_URL: bad database number");
            return -1;
        }
        server.db = (int)db;
    }
    return 0;
}

const char *redis_prefix(void)
{
    return server.prefix;
}

redis_conn_t *redis_conn_new(void)
{
    return calloc(1, sizeof(redis_conn_t));
}

void redis_conn_free(redis_conn_t *c)
{
    if (!c)
        return;
    if (c->ctx)
        redisFree(c->ctx);
    free(c);
}

const char *redis_last_error(const redis_conn_t *c)
{
    return c->last_error;
}

unsigned long redis_error_count(void)
{
    return __atomic_load_n(&error_count, __ATOMIC_RELAXED);
}

static void drop(redis_conn_t *c, const char *why)
{
    snprintf(c->last_error, sizeof(c->last_error), "%s", why);
    if (c->ctx) {
        redisFree(c->ctx);
        c->ctx = NULL;
    }
}

static int connect_now(redis_conn_t *c)
{
    struct timeval ctv = {REDIS_CONNECT_TIMEOUT_MS / 1000, (REDIS_CONNECT_TIMEOUT_MS % 1000) * 1000};
    struct timeval ttv = {REDIS_COMMAND_TIMEOUT_MS / 1000, (REDIS_COMMAND_TIMEOUT_MS % 1000) * 1000};
    redisContext *ctx = server.socket_path[0]
                            ? redisConnectUnixWithTimeout(server.socket_path, ctv)
                            : redisConnectWithTimeout(server.host, server.port, ctv);
    if (!ctx || ctx->err) {
        drop(c, ctx ? ctx->errstr : "out of memory");
        if (ctx)
            redisFree(ctx);
        return -1;
    }
    /* hiredis forgets the command timeout with the old context, so it is set
     * again on every (re)connect. */
    redisSetTimeout(ctx, ttv);
    c->ctx = ctx;
    redisReply *r = NULL;
    if (server.password[0]) {
        r = redisCommand(ctx, "AUTH %s", server.password);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            drop(c, "AUTH failed");
            if (r)
                freeReplyObject(r);
            return -1;
        }
        freeReplyObject(r);
    }
    if (server.db) {
        r = redisCommand(ctx, "SELECT %d", server.db);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            drop(c, "SELECT failed");
            if (r)
                freeReplyObject(r);
            return -1;
        }
        freeReplyObject(r);
    }
    c->last_error[0] = '\0';
    return 0;
}

/* Send one already formatted command and read its reply. A command that
 * failed because the server had closed an old connection is retried once on
 * a fresh one; one that failed right after connecting is not, because then
 * Redis is down. */
static redisReply *run_formatted(redis_conn_t *c, const char *cmd, size_t len)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int fresh = 0;
        if (!c->ctx) {
            if (connect_now(c) != 0)
                break;
            fresh = 1;
        }
        void *reply = NULL;
        if (redisAppendFormattedCommand(c->ctx, cmd, len) == REDIS_OK &&
            redisGetReply(c->ctx, &reply) == REDIS_OK && reply)
            return reply;
        /* Only a connection the server had already closed (EOF, reset: a
         * restart) is retried. After a timeout the command may have run, and
         * running it again could apply a stock change twice. */
        int closed = c->ctx->err == REDIS_ERR_EOF ||
                     (c->ctx->err == REDIS_ERR_IO && (errno == ECONNRESET || errno == EPIPE));
        drop(c, c->ctx->errstr[0] ? c->ctx->errstr : "connection lost");
        if (fresh || !closed)
            break;
    }
    __atomic_add_fetch(&error_count, 1, __ATOMIC_RELAXED);
    return NULL;
}

redisReply *redis_cmd_argv(redis_conn_t *c, int argc, const char **argv, const size_t *lens)
{
    char *cmd = NULL;
    int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
    if (len < 0)
        return NULL;
    redisReply *r = run_formatted(c, cmd, (size_t)len);
    redisFreeCommand(cmd);
    return r;
}

/* redis_cmd with its arguments in ap: a new reply, or NULL. */
static redisReply *cmd_v(redis_conn_t *c, const char *fmt, va_list ap)
{
    char *cmd = NULL;
    int len = redisvFormatCommand(&cmd, fmt, ap);
    if (len < 0)
        return NULL;
    redisReply *r = run_formatted(c, cmd, (size_t)len);
    redisFreeCommand(cmd);
    return r;
}

redisReply *redis_cmd(redis_conn_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = cmd_v(c, fmt, ap);
    va_end(ap);
    return r;
}

int redis_done(redisReply *rep)
{
    int ok = rep && (rep->type == REDIS_REPLY_INTEGER || rep->type == REDIS_REPLY_STATUS);
    if (rep)
        freeReplyObject(rep);
    return ok;
}

const char *redis_reply_field(const redisReply *rep, const char *field)
{
    for (size_t i = 0; rep && rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements; i += 2)
        if (rep->element[i]->type == REDIS_REPLY_STRING && strcmp(rep->element[i]->str, field) == 0 &&
            rep->element[i + 1]->type == REDIS_REPLY_STRING)
            return rep->element[i + 1]->str;
    return NULL;
}

int redis_get_str(redis_conn_t *c, char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = cmd_v(c, fmt, ap);
    va_end(ap);
    if (!r)
        return -1;
    int rc = 1;
    if (r->type == REDIS_REPLY_STRING) {
        snprintf(out, cap, "%s", r->str);
        rc = 0;
    }
    freeReplyObject(r);
    return rc;
}

redisReply *redis_eval(redis_conn_t *c, const redis_script_t *s, int nkeys,
                       const char **keys, int nargs, const char **args,
                       const size_t *arg_lens)
{
    char nkeys_s[16];
    unsigned char digest[SHA_DIGEST_LENGTH];
    char sha[2 * SHA_DIGEST_LENGTH + 1];
    redisReply *r = NULL;
    size_t total = 3 + (size_t)nkeys + (size_t)nargs;
    const char **argv = malloc(total * sizeof(char *));
    size_t *lens = malloc(total * sizeof(size_t));

    if (!argv || !lens)
        goto out;
    SHA1((const unsigned char *)s->body, strlen(s->body), digest);
    crypto_hex(digest, sizeof(digest), sha);
    snprintf(nkeys_s, sizeof(nkeys_s), "%d", nkeys);
    argv[0] = "EVALSHA";
    argv[1] = sha;
    argv[2] = nkeys_s;
    int argc = 3;
    for (int i = 0; i < nkeys; i++)
        argv[argc++] = keys[i];
    for (int i = 0; i < nargs; i++)
        argv[argc++] = args[i];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    if (arg_lens) {
        for (int i = 0; i < nargs; i++)
            lens[3 + nkeys + i] = arg_lens[i];
    }
    r = redis_cmd_argv(c, argc, argv, lens);
    if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        /* Script cache was flushed (restart, failover): EVAL loads it again. */
        freeReplyObject(r);
        argv[0] = "EVAL";
        argv[1] = s->body;
        lens[0] = 4;
        lens[1] = strlen(s->body);
        r = redis_cmd_argv(c, argc, argv, lens);
    }
out:
    free(argv);
    free(lens);
    return r;
}

static const char *error_body(const redisReply *r)
{
    const char *s = r->str;
    if (strncmp(s, "ERR ", 4) == 0)
        s += 4;
    return s;
}

/* KEYS and ARGV: src/lua/redis_unlock.lua. */
static const redis_script_t unlock_script = {"unlock", LUA_SRC_REDIS_UNLOCK};

/* Run a one-key lock script: 1 when it answered 1, 0 otherwise, -1 when
 * Redis did not answer. */
static int lock_script(redis_conn_t *c, const redis_script_t *script, const char *key, int nargs,
                       const char **args)
{
    const char *keys[] = {key};
    redisReply *rep = redis_eval(c, script, 1, keys, nargs, args, NULL);
    if (!rep)
        return -1;
    int rc = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
    freeReplyObject(rep);
    return rc;
}

int redis_unlock(redis_conn_t *c, const char *key, const char *owner)
{
    const char *args[] = {owner};
    return lock_script(c, &unlock_script, key, 1, args);
}

/* KEYS and ARGV: src/lua/redis_lock_extend.lua. */
static const redis_script_t extend_script = {"lock_extend", LUA_SRC_REDIS_LOCK_EXTEND};

int redis_lock_extend(redis_conn_t *c, const char *key, const char *owner, long long ttl_ms)
{
    char ttl[32];
    snprintf(ttl, sizeof(ttl), "%lld", ttl_ms);
    const char *args[] = {owner, ttl};
    return lock_script(c, &extend_script, key, 2, args);
}

int redis_error_is(const redisReply *r, const char *code)
{
    if (!r || r->type != REDIS_REPLY_ERROR)
        return 0;
    const char *s = error_body(r);
    size_t n = strlen(code);
    return strncmp(s, code, n) == 0 && (s[n] == '\0' || s[n] == ' ');
}

const char *redis_error_text(const redisReply *r)
{
    const char *s = error_body(r);
    const char *sp = strchr(s, ' ');
    return sp ? sp + 1 : "";
}

int redis_key(char *out, size_t cap, const char *fmt, ...)
{
    int n = snprintf(out, cap, "%s", server.prefix);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(out + n, cap - (size_t)n, fmt, ap);
    va_end(ap);
    return m < 0 || (size_t)m >= cap - (size_t)n ? -1 : 0;
}

int redis_ping(redis_conn_t *c)
{
    redisReply *r = redis_cmd(c, "PING");
    int ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    if (r)
        freeReplyObject(r);
    return ok ? 0 : -1;
}
