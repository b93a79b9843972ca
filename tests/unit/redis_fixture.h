/*
 * redis_fixture — a throwaway redis-server for unit tests of the modules
 * that keep their state in Redis: started on a free TCP port in a new
 * temporary directory (no RDB, no AOF), shut down and removed at the end.
 * Not a test program itself: linked into each unit test.
 */
#ifndef SHOPSYNC_TEST_REDIS_FIXTURE_H
#define SHOPSYNC_TEST_REDIS_FIXTURE_H

#include <sys/types.h>

#include "shopsync/redis.h"

#define REDIS_FIXTURE_PREFIX "t:"

typedef struct redis_fixture {
    pid_t pid;           /* the redis-server child, 0 when none */
    int port;
    char dir[256];       /* its temporary directory, "" when none */
    redis_conn_t *conn;  /* owned: a connection through the module API */
} redis_fixture_t;

/* Start redis-server, wait until it answers PING, then redis_setup() with
 * its redis:// URL and prefix REDIS_FIXTURE_PREFIX and open f->conn.
 * Returns 0, or -1 (with a message on stderr; everything started is
 * stopped again). */
int redis_fixture_start(redis_fixture_t *f);

/* Empty the database between tests. Returns 0 or -1. */
int redis_fixture_flush(redis_fixture_t *f);

/* Make sku a known SKU with value units, as the store's scripts see one:
 * its stock key set directly (no channel state yet). Returns 0 or -1. */
int redis_fixture_seed_sku(redis_fixture_t *f, const char *sku, long long value);

/* Close f->conn, shut the server down (waits for its exit) and remove its
 * directory. Safe on a fixture that did not start. */
void redis_fixture_stop(redis_fixture_t *f);

/* The server of a test program: cmocka group setup and teardown that start
 * and stop redis_fx. */
extern redis_fixture_t redis_fx;
int redis_fixture_group_setup(void **state);
int redis_fixture_group_teardown(void **state);

#endif
