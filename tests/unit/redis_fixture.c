/*
 * redis_fixture — a throwaway redis-server per unit test program (see
 * redis_fixture.h).
 */
#include "redis_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_TRIES 5
#define PING_WAIT_MS 10000

/* A TCP port free right now on 127.0.0.1, or -1. Another process may take
 * it before the server binds: the caller retries with a new one. */
static int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int port = -1;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(s);
    return port;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* fork/exec redis-server on f->port in f->dir, its log in the directory. */
static pid_t spawn(const redis_fixture_t *f)
{
    char port[16], logfile[300];
    snprintf(port, sizeof(port), "%d", f->port);
    snprintf(logfile, sizeof(logfile), "%s/redis.log", f->dir);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
    }
    execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", f->dir, "--save", "",
           "--appendonly", "no", "--logfile", logfile, (char *)NULL);
    perror("redis-fixture: exec redis-server");
    _exit(127);
}

/* Wait until the server on f->port answers PING: 0, or -1 when the child
 * exited (port taken) or the wait ran out. */
static int wait_ready(redis_fixture_t *f)
{
    for (long waited = 0; waited < PING_WAIT_MS; waited += 20) {
        int status;
        if (waitpid(f->pid, &status, WNOHANG) == f->pid) {
            f->pid = 0;
            return -1;
        }
        struct timeval tv = {0, 200000};
        redisContext *c = redisConnectWithTimeout("127.0.0.1", f->port, tv);
        if (c && !c->err) {
            redisReply *r = redisCommand(c, "PING");
            int ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
            if (r)
                freeReplyObject(r);
            redisFree(c);
            if (ok)
                return 0;
        } else if (c) {
            redisFree(c);
        }
        sleep_ms(20);
    }
    return -1;
}

static void kill_server(redis_fixture_t *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
    }
    f->pid = 0;
}

static void remove_dir(redis_fixture_t *f)
{
    if (!f->dir[0])
        return;
    DIR *d = opendir(f->dir);
    if (d) {
        struct dirent *e;
        char path[600];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(f->dir);
    f->dir[0] = '\0';
}

int redis_fixture_start(redis_fixture_t *f)
{
    char url[64], err[256];
    const char *tmp = getenv("TMPDIR");

    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "%s/shopsync-unit-redis-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        perror("redis-fixture: mkdtemp");
        f->dir[0] = '\0';
        return -1;
    }
    for (int i = 0; i < START_TRIES && f->pid == 0; i++) {
        f->port = free_port();
        if (f->port < 0)
            continue;
        f->pid = spawn(f);
        if (f->pid < 0) {
            f->pid = 0;
            break;
        }
        if (wait_ready(f) != 0)
            kill_server(f);
    }
    if (f->pid == 0) {
        fprintf(stderr, "redis-fixture: redis-server did not start (see it run by hand)\n");
        goto fail;
    }
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", f->port);
    if (redis_setup(url, REDIS_FIXTURE_PREFIX, err, sizeof(err)) != 0) {
        fprintf(stderr, "redis-fixture: %s\n", err);
        goto fail;
    }
    f->conn = redis_conn_new();
    if (!f->conn || redis_ping(f->conn) != 0) {
        fprintf(stderr, "redis-fixture: no connection through the module API\n");
        goto fail;
    }
    return 0;
fail:
    redis_fixture_stop(f);
    return -1;
}

int redis_fixture_flush(redis_fixture_t *f)
{
    redisReply *r = redis_cmd(f->conn, "FLUSHALL");
    int ok = r && r->type == REDIS_REPLY_STATUS;
    if (r)
        freeReplyObject(r);
    return ok ? 0 : -1;
}

int redis_fixture_seed_sku(redis_fixture_t *f, const char *sku, long long value)
{
    redisReply *r = redis_cmd(f->conn, "SET %sstock:%s %lld", REDIS_FIXTURE_PREFIX, sku, value);
    int ok = r && r->type == REDIS_REPLY_STATUS;
    if (r)
        freeReplyObject(r);
    return ok ? 0 : -1;
}

void redis_fixture_stop(redis_fixture_t *f)
{
    redis_conn_free(f->conn);
    f->conn = NULL;
    kill_server(f);
    remove_dir(f);
}

redis_fixture_t redis_fx;

int redis_fixture_group_setup(void **state)
{
    (void)state;
    return redis_fixture_start(&redis_fx);
}

int redis_fixture_group_teardown(void **state)
{
    (void)state;
    redis_fixture_stop(&redis_fx);
    return 0;
}
