/*
 * redis_server — the embedded redis-server of a shopsync without REDIS_URL:
 * a child process on a unix socket in SHOPSYNC_DATA_DIR with AOF on, which
 * dies with its parent. Starting it also points the Redis adapter (redis.h)
 * at it. The functions keep their redis_embedded_ names from before the
 * module had a file of its own.
 */
#ifndef SHOPSYNC_REDIS_SERVER_H
#define SHOPSYNC_REDIS_SERVER_H

#include <stddef.h>
#include <sys/types.h>

#include "shopsync/common.h"

/* Start a redis-server child on a unix socket in data_dir with AOF on
 * (appendfsync everysec) and wait until it answers. url_out receives its
 * unix:// URL. Returns 0 and *pid, or -1 with err. */
SHOPSYNC_MUST_USE int redis_embedded_start(const char *data_dir, char *url_out, size_t url_cap,
                                           pid_t *pid, char *err, size_t errlen);

/* unix:// URL of the embedded server's socket in data_dir. */
void redis_embedded_url(const char *data_dir, char *url_out, size_t url_cap);

/* Stop a child started by redis_embedded_start (waits for its exit). */
void redis_embedded_stop(pid_t pid);

#endif
