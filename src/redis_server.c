/*
 * redis_server — the embedded redis-server child of a shopsync without
 * REDIS_URL (see redis_server.h).
 */
#include "shopsync/redis_server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shopsync/redis.h"
#include "shopsync/util.h"

void redis_embedded_url(const char *data_dir, char *url_out, size_t url_cap)
{
    snprintf(url_out, url_cap, "unix://%s/redis.sock", data_dir);
}

static int mkdir_p(const char *path)
{
    char tmp[1024];
    if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
        return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    return mkdir(tmp, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* The last non-empty line of the log at path, or a note that there is
 * none, into out. */
static void last_log_line(const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "it wrote nothing");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        size_t n = strcspn(line, "\r\n");
        line[n] = '\0';
        if (n) {
            size_t k = n < cap - 1 ? n : cap - 1;
            memcpy(out, line, k);
            out[k] = '\0';
        }
    }
    fclose(f);
}

int redis_embedded_start(const char *data_dir, char *url_out, size_t url_cap,
                         pid_t *pid, char *err, size_t errlen)
{
    char sock[600], logf[600];
    if (mkdir_p(data_dir) != 0) {
        snprintf(err, errlen, "cannot create SHOPSYNC_DATA_DIR %s: %s", data_dir, strerror(errno));
        return -1;
    }
    snprintf(sock, sizeof(sock), "%s/redis.sock", data_dir);
    snprintf(logf, sizeof(logf), "%s/redis.log", data_dir);
    if (strlen(sock) >= 100) {
        /* sun_path holds 108 bytes; refuse early with a clear reason. */
        snprintf(err, errlen, "SHOPSYNC_DATA_DIR path too long for a unix socket: %s", sock);
        return -1;
    }
    redis_embedded_url(data_dir, url_out, url_cap);
    pid_t child = fork();
    if (child < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (child == 0) {
        /* Die with shopsync, so a killed shopsync leaves no orphan server
         * holding the socket and the AOF. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        /* What redis-server says before it opens its log (a config error)
         * goes to the same file, so the error below can quote it. */
        int fd = open(logf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock,
               "--unixsocketperm", "700", "--dir", data_dir, "--appendonly", "yes",
               "--appendfsync", "everysec", "--save", "", "--daemonize", "no",
               "--logfile", logf, (char *)NULL);
        _exit(127);
    }
    char url_err[256], prefix[REDIS_PREFIX_MAX];
    /* redis_setup clears the server settings, so keep the prefix aside. */
    snprintf(prefix, sizeof(prefix), "%s", redis_prefix()[0] ? redis_prefix() : "shopsync:");
    if (redis_setup(url_out, prefix, url_err, sizeof(url_err)) != 0) {
        snprintf(err, errlen, "%s", url_err);
        redis_embedded_stop(child);
        return -1;
    }
    redis_conn_t *c = redis_conn_new();
    int up = 0;
    for (int i = 0; i < 200 && c; i++) {
        int status;
        if (waitpid(child, &status, WNOHANG) == child) {
            if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
                snprintf(err, errlen, "redis-server is not installed or not on PATH "
                                      "(Debian: apt-get install redis-server)");
            } else {
                char said[300];
                last_log_line(logf, said, sizeof(said));
                snprintf(err, errlen, "redis-server exited at start: %s (log: %s)", said, logf);
            }
            redis_conn_free(c);
            return -1;
        }
        if (redis_ping(c) == 0) {
            up = 1;
            break;
        }
        util_sleep_ms(50);
    }
    redis_conn_free(c);
    if (!up) {
        snprintf(err, errlen, "redis-server did not answer within 10 s (see %s)", logf);
        redis_embedded_stop(child);
        return -1;
    }
    *pid = child;
    return 0;
}

void redis_embedded_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
}
