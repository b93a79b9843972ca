/*
 * cli — the shopsync command line. `serve` runs the service; the other
 * commands work on the same Redis (REDIS_URL, or the embedded server of
 * SHOPSYNC_DATA_DIR, started for the command when it is not running).
 */
#include "shopsync/cli.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "http_server.h"
#include "routes.h"
#include "service.h"
#include "shopsync/catalog.h"
#include "shopsync/config.h"
#include "shopsync/jsonx.h"
#include "shopsync/log.h"
#include "shopsync/redis.h"
#include "shopsync/stock.h"

#define CLI_MAX_FILE (64 * 1024 * 1024)

static const char usage[] =
    "usage: shopsync [--env-file FILE] [COMMAND] [ARGS]\n"
    "\n"
    "Keeps a web store's inventory and TikTok Shop in step.\n"
    "\n"
    "commands:\n"
    "  serve                       run the service (default)\n"
    "  import FILE                 import a catalog JSON file (- for stdin)\n"
    "  stock SKU [--set N|--delta N]  show or change a SKU's stock\n"
    "  status                      show Redis, catalog and TikTok connection status\n"
    "  sync                        push every product to TikTok Shop\n"
    "  reconcile [--repair]        compare TikTok quantities with store stock\n"
    "  dlq list | dlq replay ID|--all   dead-lettered events\n"
    "  --help, --version\n"
    "\n"
    "Configuration comes from the environment; see README.md.\n";

/* Redis for a one-off command: REDIS_URL, or the embedded server in the
 * data directory (started for the command when not already running). */
static int cli_redis(const config_t *cfg, redis_conn_t **out, pid_t *child)
{
    char err[512];
    *child = 0;
    if (cfg->redis_url[0]) {
        if (redis_setup(cfg->redis_url, cfg->redis_prefix, err, sizeof(err)) != 0) {
            fprintf(stderr, "shopsync: %s\n", err);
            return -1;
        }
    } else {
        char url[700];
        redis_embedded_url(cfg->data_dir, url, sizeof(url));
        if (redis_setup(url, cfg->redis_prefix, err, sizeof(err)) != 0) {
            fprintf(stderr, "shopsync: %s\n", err);
            return -1;
        }
        redis_conn_t *probe = redis_conn_new();
        int up = probe && redis_ping(probe) == 0;
        redis_conn_free(probe);
        if (!up && redis_embedded_start(cfg->data_dir, url, sizeof(url), child, err, sizeof(err)) != 0) {
            fprintf(stderr, "shopsync: cannot start the embedded redis-server: %s\n", err);
            return -1;
        }
    }
    *out = redis_conn_new();
    if (!*out || redis_ping(*out) != 0) {
        fprintf(stderr, "shopsync: Redis is not answering at %s\n", cfg->redis_url[0] ? cfg->redis_url : "the embedded socket");
        return -1;
    }
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return NULL;
    buf_t b;
    buf_init(&b, CLI_MAX_FILE);
    char chunk[65536];
    size_t n;
    int ok = 1;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_append(&b, chunk, n) != 0) {
            ok = 0;
            errno = EFBIG;
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    if (!ok) {
        buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return buf_steal(&b);
}

static int cmd_import(const config_t *cfg, int argc, char **argv)
{
    int rc = 1;
    char *text = NULL;
    json_t *doc = NULL, *products = NULL;
    redis_conn_t *r = NULL;
    pid_t child = 0;
    char err[1024];
    size_t len = 0, n_skus = 0;

    if (argc != 1) {
        fprintf(stderr, "usage: shopsync import FILE\n");
        return 2;
    }
    text = read_file(argv[0], &len);
    if (!text) {
        fprintf(stderr, "shopsync import: %s: %s\n", argv[0], strerror(errno));
        goto out;
    }
    doc = jsonx_loadb(text, len, err, sizeof(err));
    if (!doc) {
        fprintf(stderr, "shopsync import: %s: %s\n", argv[0], err);
        goto out;
    }
    if (catalog_validate(doc, &products, err, sizeof(err)) != CATALOG_OK) {
        fprintf(stderr, "shopsync import: %s: %s\n", argv[0], err);
        goto out;
    }
    if (cli_redis(cfg, &r, &child) != 0)
        goto out;
    catalog_rc crc = catalog_store(r, products, &n_skus, err, sizeof(err));
    if (crc != CATALOG_OK) {
        fprintf(stderr, "shopsync import: %s\n", crc == CATALOG_UNAVAILABLE ? "Redis is not answering" : err);
        goto out;
    }
    printf("imported %zu products, %zu SKUs\n", json_array_size(products), n_skus);
    rc = 0;
out:
    free(text);
    json_decref(doc);
    json_decref(products);
    redis_conn_free(r);
    redis_embedded_stop(child);
    return rc;
}

static int parse_ll(const char *s, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || !*s || *end)
        return -1;
    *out = v;
    return 0;
}

static int cmd_stock(const config_t *cfg, int argc, char **argv)
{
    redis_conn_t *r = NULL;
    pid_t child = 0;
    int rc = 1;
    long long n = 0, cur = 0;
    stock_result_t res;
    stock_rc src;

    if (!(argc == 1 || (argc == 3 && (strcmp(argv[1], "--set") == 0 || strcmp(argv[1], "--delta") == 0)))) {
        fprintf(stderr, "usage: shopsync stock SKU [--set N|--delta N]\n");
        return 2;
    }
    if (!catalog_valid_id(argv[0])) {
        fprintf(stderr, "shopsync stock: SKU must be 1-50 characters of A-Z a-z 0-9 . _ -\n");
        return 2;
    }
    if (argc == 3 && parse_ll(argv[2], &n) != 0) {
        fprintf(stderr, "shopsync stock: %s needs a whole number\n", argv[1]);
        return 2;
    }
    if (cli_redis(cfg, &r, &child) != 0)
        goto out;
    if (argc == 1) {
        src = stock_get(r, argv[0], &cur);
        res.stock = cur;
        res.shortfall = 0;
    } else if (strcmp(argv[1], "--set") == 0) {
        src = stock_set(r, argv[0], n, "admin", "cli", &res);
    } else {
        src = stock_adjust(r, argv[0], n, "admin", "cli", &res);
    }
    if (src == STOCK_NOT_FOUND) {
        fprintf(stderr, "shopsync stock: unknown SKU %s\n", argv[0]);
        goto out;
    }
    if (src == STOCK_INVALID) {
        fprintf(stderr, "shopsync stock: stock must stay between 0 and %lld\n", STOCK_MAX);
        goto out;
    }
    if (src != STOCK_OK) {
        fprintf(stderr, "shopsync stock: Redis is not answering\n");
        goto out;
    }
    printf("%s %lld\n", argv[0], res.stock);
    if (res.shortfall)
        printf("oversold by %lld\n", res.shortfall);
    rc = 0;
out:
    redis_conn_free(r);
    redis_embedded_stop(child);
    return rc;
}

static int cmd_status(const config_t *cfg)
{
    redis_conn_t *r = NULL;
    pid_t child = 0;
    json_t *products = NULL, *status = NULL;
    int rc = 1;

    if (cli_redis(cfg, &r, &child) != 0)
        goto out;
    if (catalog_list(r, &products) != CATALOG_OK) {
        fprintf(stderr, "shopsync status: Redis is not answering\n");
        goto out;
    }
    size_t skus = 0, i;
    json_t *p;
    json_array_foreach(products, i, p) skus += json_array_size(json_object_get(p, "skus"));
    printf("redis: ok (%s)\n", cfg->redis_url[0] ? "REDIS_URL" : "embedded");
    printf("catalog: %zu products, %zu SKUs\n", json_array_size(products), skus);
    if (service_status(cfg, r, &status) == 0) {
        char *text = json_dumps(status, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("tiktok: %s\n", text ? text : "{}");
        free(text);
    }
    rc = 0;
out:
    json_decref(products);
    json_decref(status);
    redis_conn_free(r);
    redis_embedded_stop(child);
    return rc;
}

static int cmd_serve(const config_t *cfg)
{
    char err[2048];
    pid_t child = 0;
    struct mg_context *ctx = NULL;
    app_t app = {.cfg = cfg};
    int rc = 1;
    log_level_t lvl;

    if (log_parse_level(cfg->log_level, &lvl) == 0)
        log_set_level(lvl);
    if (config_check_serve(cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "shopsync: configuration problems:\n%s\n", err);
        return 2;
    }
    if (cfg->redis_url[0]) {
        if (redis_setup(cfg->redis_url, cfg->redis_prefix, err, sizeof(err)) != 0) {
            fprintf(stderr, "shopsync: %s\n", err);
            return 2;
        }
    } else {
        char url[700];
        redis_embedded_url(cfg->data_dir, url, sizeof(url));
        if (redis_setup(url, cfg->redis_prefix, err, sizeof(err)) != 0) {
            fprintf(stderr, "shopsync: %s\n", err);
            return 2;
        }
        /* A server already answering on our socket belongs to another
         * shopsync (or its orphan): two servers on one AOF would corrupt it. */
        redis_conn_t *probe = redis_conn_new();
        int taken = probe && redis_ping(probe) == 0;
        redis_conn_free(probe);
        if (taken) {
            fprintf(stderr, "shopsync: a redis-server already answers on %s: is another shopsync using "
                            "SHOPSYNC_DATA_DIR=%s? Stop it, or set REDIS_URL to share it.\n", url, cfg->data_dir);
            return 1;
        }
        if (redis_embedded_start(cfg->data_dir, url, sizeof(url), &child, err, sizeof(err)) != 0) {
            fprintf(stderr, "shopsync: cannot start the embedded redis-server: %s\n", err);
            return 1;
        }
        log_msg(LOG_INFO, "redis_embedded", "started redis-server (pid %d) on %s", (int)child, url);
    }
    /* jansson's hash seed must be fixed before threads can create objects. */
    json_object_seed(0);
    mg_init_library(0);
    /* Block the stop signals in every thread (they inherit this mask) and
     * wait for them here, so a signal is never taken by a worker thread. The
     * embedded redis-server was forked before, with the default mask. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (service_start(&app, err, sizeof(err)) != 0) {
        fprintf(stderr, "shopsync: %s\n", err);
        /* What did start (threads, the heartbeat) is stopped. */
        goto stop_service;
    }
    ctx = http_server_start(&app, routes_table(), err, sizeof(err));
    if (!ctx) {
        fprintf(stderr, "shopsync: %s\n", err);
        goto stop_service;
    }
    log_event(LOG_INFO, "listening", json_pack("{s:s,s:s}", "listen", cfg->listen, "admin_page", ""));
    fprintf(stderr, "shopsync %s listening on http://%s — admin page: %s/admin/tiktok-shop\n", SHOPSYNC_VERSION,
            cfg->listen, cfg->public_url);
    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0)
        ;
    log_msg(LOG_INFO, "stopping", "signal %d: stopping", sig);
    /* The flag first, so a sync running on a request thread (?wait=1) ends
     * between products and mg_stop does not wait for a whole catalog; then
     * stop taking requests; then let workers finish or release what they
     * hold. */
    atomic_store(&app.stopping, 1);
    http_server_stop(ctx);
    rc = 0;
stop_service:
    atomic_store(&app.stopping, 1);
    service_stop(&app);
    mg_exit_library();
    redis_embedded_stop(child);
    return rc;
}

int cli_main(int argc, char **argv)
{
    config_t *cfg = NULL;
    char err[4096];
    int i = 1, rc = 2;

    if (i < argc && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "help") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    if (i < argc && strcmp(argv[i], "--version") == 0) {
        printf("shopsync %s\n", SHOPSYNC_VERSION);
        return 0;
    }
    if (i < argc && strcmp(argv[i], "--env-file") == 0) {
        if (i + 1 >= argc) {
            fprintf(stderr, "shopsync: --env-file needs a FILE\n");
            return 2;
        }
        if (config_load_env_file(argv[i + 1], err, sizeof(err)) != 0) {
            fprintf(stderr, "shopsync: %s\n", err);
            return 2;
        }
        i += 2;
    }
    cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return 1;
    if (config_load(cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "shopsync: configuration problems:\n%s\n", err);
        goto out;
    }
    const char *cmd = i < argc ? argv[i++] : "serve";
    int n = argc - i;
    char **rest = argv + i;
    if (strcmp(cmd, "serve") == 0)
        rc = cmd_serve(cfg);
    else if (strcmp(cmd, "import") == 0)
        rc = cmd_import(cfg, n, rest);
    else if (strcmp(cmd, "stock") == 0)
        rc = cmd_stock(cfg, n, rest);
    else if (strcmp(cmd, "status") == 0)
        rc = cmd_status(cfg);
    else if (strcmp(cmd, "sync") == 0 || strcmp(cmd, "reconcile") == 0 || strcmp(cmd, "dlq") == 0) {
        pid_t child = 0;
        redis_conn_t *r = NULL;
        rc = 1;
        if (cli_redis(cfg, &r, &child) == 0)
            rc = service_command(cfg, r, cmd, n, rest);
        redis_conn_free(r);
        redis_embedded_stop(child);
    } else {
        fprintf(stderr, "shopsync: unknown command '%s'\n\n%s", cmd, usage);
        rc = 2;
    }
out:
    free(cfg);
    return rc;
}
