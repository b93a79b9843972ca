/*
 * cli — the shopsync command line. `serve` runs the service; the other
 * commands work on the same Redis (REDIS_URL, or the embedded server of
 * SHOPSYNC_DATA_DIR, started for the command when it is not running).
 */
#include "shopsync/cli.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "cli_jobs.h"
#include "http_server.h"
#include "routes.h"
#include "service.h"
#include "shopsync/catalog.h"
#include "shopsync/day.h"
#include "shopsync/config.h"
#include "shopsync/jsonx.h"
#include "shopsync/log.h"
#include "shopsync/queue.h"
#include "shopsync/redis.h"
#include "shopsync/redis_server.h"
#include "shopsync/report.h"
#include "shopsync/rules.h"
#include "shopsync/skumap.h"
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
    "  rules [SKU] [--buffer N] [--percent P] [--zero-at N] [--max N|none] [--sync on|off]\n"
    "                              show or change channel rules (no SKU: the default)\n"
    "  status [--json]             shop, tokens, queue, pushes, dead letters, catalog\n"
    "  sync                        push every product to TikTok Shop\n"
    "  reconcile [--repair]        compare TikTok quantities with store stock\n"
    "  dlq list | dlq replay ID|--all   dead-lettered events\n"
    "  spend-sync                  pull TikTok ad spend of the selected advertisers\n"
    "  report --from D --to D [--csv]   the daily P&L (dates YYYY-MM-DD)\n"
    "  check-config                check the settings serve needs, then exit\n"
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
        if (crc == CATALOG_UNAVAILABLE)
            fprintf(stderr, "shopsync import: Redis is not answering\n");
        else
            fprintf(stderr, "shopsync import: %s: %s\n", argv[0], err);
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
    stock_result_t res = {0, 0, 0};
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
    int delta = argc == 3 && strcmp(argv[1], "--delta") == 0;
    if (cli_redis(cfg, &r, &child) != 0)
        goto out;
    if (argc == 1) {
        src = stock_get(r, argv[0], &cur);
        res.stock = cur;
    } else if (!delta) {
        src = stock_set(r, argv[0], n, "admin", "cli", &res);
    } else if (n < 0 && n >= -STOCK_MAX) {
        int replayed = 0;
        src = stock_take(r, argv[0], n, NULL, "cli", &res, &replayed, &cur);
        if (src == STOCK_SHORT) {
            /* Oversells are sales that asked for more than there was; an
             * edit that would go below 0 is a mistake to point out. */
            fprintf(stderr,
                    "shopsync stock: %s has %lld in stock; --delta %lld would take it below 0 (nothing was changed; "
                    "--set 0 empties it)\n",
                    argv[0], cur, n);
            goto out;
        }
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
    rc = 0;
out:
    redis_conn_free(r);
    redis_embedded_stop(child);
    return rc;
}

/* One rule's fields (borrowed) as "buffer=N percent=P ..." on stdout. */
static void print_rule(const char *name, const json_t *rule)
{
    const char *k;
    json_t *v;
    printf("%-20s", name);
    if (json_object_size(rule) == 0)
        printf(" (the default)");
    json_object_foreach((json_t *)rule, k, v) {
        if (json_is_boolean(v))
            printf(" %s=%s", k, json_is_true(v) ? "on" : "off");
        else if (json_is_null(v))
            printf(" %s=none", k);
        else
            printf(" %s=%lld", k, (long long)json_integer_value(v));
    }
}

/* Apply the flags of `shopsync rules` (argv, argc) to rule (borrowed).
 * Returns 0, or 2 with the problem on stderr. */
static int rules_flags(json_t *rule, int argc, char **argv)
{
    static const struct {
        const char *flag, *field;
    } flags[] = {{"--buffer", "buffer"}, {"--percent", "percent"}, {"--zero-at", "zero_at"}, {"--max", "max"},
                 {"--sync", "sync"}};
    for (int i = 0; i < argc; i += 2) {
        size_t f;
        for (f = 0; f < sizeof(flags) / sizeof(flags[0]) && strcmp(argv[i], flags[f].flag) != 0; f++)
            ;
        if (f == sizeof(flags) / sizeof(flags[0]) || i + 1 >= argc) {
            fprintf(stderr, "shopsync rules: %s %s\n", argv[i],
                    i + 1 >= argc ? "needs a value" : "is not an option (--buffer, --percent, --zero-at, --max, --sync)");
            return 2;
        }
        const char *v = argv[i + 1];
        long long n = 0;
        if (strcmp(flags[f].field, "sync") == 0) {
            if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
                fprintf(stderr, "shopsync rules: --sync takes on or off\n");
                return 2;
            }
            json_object_set_new(rule, "sync", json_boolean(strcmp(v, "on") == 0));
        } else if (strcmp(flags[f].field, "max") == 0 && strcmp(v, "none") == 0) {
            json_object_set_new(rule, "max", json_null());
        } else if (parse_ll(v, &n) != 0) {
            fprintf(stderr, "shopsync rules: %s needs a whole number\n", argv[i]);
            return 2;
        } else {
            json_object_set_new(rule, flags[f].field, json_integer(n));
        }
    }
    return 0;
}

/* `shopsync rules [SKU] [flags]`: show the rules, or change the given
 * fields of one SKU's rule (or, without a SKU, of the default); the other
 * fields stay as they are. */
static int cmd_rules(const config_t *cfg, int argc, char **argv)
{
    redis_conn_t *r = NULL;
    pid_t child = 0;
    json_t *doc = NULL, *rule = NULL, *valid = NULL;
    int rc = 1;
    char err[1024] = "";
    const char *sku = argc > 0 && argv[0][0] != '-' ? argv[0] : NULL;
    int nflags = argc - (sku ? 1 : 0);
    char **flags = argv + (sku ? 1 : 0);

    if (nflags % 2 != 0 || (sku && !catalog_valid_id(sku))) {
        fprintf(stderr, "usage: shopsync rules [SKU] [--buffer N] [--percent P] [--zero-at N] [--max N|none] "
                        "[--sync on|off]\n");
        return 2;
    }
    if (cli_redis(cfg, &r, &child) != 0)
        goto out;
    rules_rc g = sku ? rules_get_sku(r, sku, &rule) : rules_get_default(r, &rule);
    if (g != RULES_OK) {
        fprintf(stderr, "shopsync rules: Redis is not answering\n");
        goto out;
    }
    if (nflags) {
        long long marked = 0;
        rc = rules_flags(rule, nflags, flags);
        if (rc != 0)
            goto out;
        rc = 2;
        if (rules_validate(rule, sku ? sku : "default", &valid, NULL, err, sizeof(err)) != 0) {
            fprintf(stderr, "shopsync rules: %s\n", err);
            goto out;
        }
        rc = 1;
        rules_rc w;
        if (sku) {
            w = rules_set_sku(r, sku, valid, &marked);
        } else {
            /* The default alone changes: every SKU's own rule stays. */
            if (rules_get(r, &doc) != RULES_OK) {
                fprintf(stderr, "shopsync rules: Redis is not answering\n");
                goto out;
            }
            json_object_set(doc, "default", valid);
            w = rules_replace(r, doc, &marked, err, sizeof(err));
        }
        if (w == RULES_NOT_FOUND) {
            fprintf(stderr, "shopsync rules: unknown SKU %s\n", sku ? sku : err);
            goto out;
        }
        if (w != RULES_OK) {
            fprintf(stderr, "shopsync rules: Redis is not answering\n");
            goto out;
        }
        printf("%lld SKU(s) marked for a push\n", marked);
    }
    json_decref(doc);
    doc = NULL;
    if (rules_get(r, &doc) != RULES_OK) {
        fprintf(stderr, "shopsync rules: Redis is not answering\n");
        goto out;
    }
    print_rule("default", json_object_get(doc, "default"));
    putchar('\n');
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(doc, "skus"), k, v) {
        if (sku && strcmp(k, sku) != 0)
            continue;
        print_rule(k, v);
        putchar('\n');
    }
    if (sku) {
        stock_view_t view;
        stock_rc s = stock_view(r, sku, &view);
        if (s == STOCK_NOT_FOUND) {
            fprintf(stderr, "shopsync rules: unknown SKU %s\n", sku);
            goto out;
        }
        if (s != STOCK_OK) {
            fprintf(stderr, "shopsync rules: Redis is not answering\n");
            goto out;
        }
        if (view.sync)
            printf("%-20s on hand %lld, held %lld, TikTok shown %lld\n", sku, view.on_hand, view.held, view.tiktok);
        else
            printf("%-20s on hand %lld, held %lld, not pushed to TikTok (sync off)\n", sku, view.on_hand, view.held);
    }
    rc = 0;
out:
    json_decref(doc);
    json_decref(rule);
    json_decref(valid);
    redis_conn_free(r);
    redis_embedded_stop(child);
    return rc;
}

/* Unix time t as "2025-01-31 14:05 UTC" into out, or "unknown" for 0. */
static void utc_time(long long t, char *out, size_t cap)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (t <= 0 || !gmtime_r(&tt, &tm) || strftime(out, cap, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(out, cap, "unknown");
}

/* One "Label:  value" line of the status summary. */
static void status_line(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void status_line(const char *label, const char *fmt, ...)
{
    va_list ap;
    printf("%-15s ", label);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* The TikTok part of the status summary from the connection status st
 * (borrowed, as GET /api/admin/tiktok/sync answers it). */
static void status_tiktok(const config_t *cfg, const json_t *st)
{
    char missing[256], when[64];
    const json_t *shop = json_object_get(st, "shop");
    const char *name = json_string_value(json_object_get(shop, "name"));
    const char *id = json_string_value(json_object_get(shop, "id"));
    const char *region = json_string_value(json_object_get(shop, "region"));
    if (config_tiktok_missing(cfg, missing, sizeof(missing)))
        status_line("TikTok Shop:", "not configured: set %s%s%s%s", missing, name ? " (" : "", name ? name : "",
                    name ? " stays stored)" : "");
    else if (json_is_true(json_object_get(st, "connected")))
        status_line("TikTok Shop:", "connected to %s (%s%s%s)", name ? name : "your shop", region ? region : "",
                    region ? ", shop " : "shop ", id ? id : "?");
    else if (json_is_true(json_object_get(st, "needs_reauth")))
        status_line("TikTok Shop:", "%s needs re-authorization: %s; reconnect on %s/admin/tiktok-shop",
                    name ? name : "the shop", json_string_value(json_object_get(st, "reauth_reason")),
                    cfg->public_url);
    else
        status_line("TikTok Shop:", "not connected: use Connect TikTok Shop on %s/admin/tiktok-shop", cfg->public_url);
    if (json_is_object(shop)) {
        utc_time(json_integer_value(json_object_get(st, "access_token_expires_at")), when, sizeof(when));
        status_line("Access token:", "expires %s (renewed automatically)", when);
        utc_time(json_integer_value(json_object_get(st, "refresh_token_expires_at")), when, sizeof(when));
        status_line("Authorization:", "expires %s (reconnect before then)", when);
    }
    const char *warning = json_string_value(json_object_get(st, "warning"));
    if (warning)
        status_line("Warning:", "%s", warning);
    const json_t *job = json_object_get(st, "last_sync");
    if (json_is_object(job)) {
        const json_t *t = json_object_get(job, "finished_at");
        utc_time(json_integer_value(t ? t : json_object_get(job, "started_at")), when, sizeof(when));
        status_line("Last sync:", "%s, %s: %lld created, %lld updated, %lld failed",
                    json_string_value(json_object_get(job, "state")), when,
                    (long long)json_integer_value(json_object_get(job, "created")),
                    (long long)json_integer_value(json_object_get(job, "updated")),
                    (long long)json_integer_value(json_object_get(job, "failed")));
    } else {
        status_line("Last sync:", "never");
    }
}

/* Today's form, kept for scripts: two text lines and the TikTok status as
 * raw JSON. */
static void status_json(const config_t *cfg, size_t n_products, size_t n_skus, const json_t *st)
{
    printf("redis: ok (%s)\n", cfg->redis_url[0] ? "REDIS_URL" : "embedded");
    printf("catalog: %zu products, %zu SKUs\n", n_products, n_skus);
    if (st) {
        char *text = json_dumps(st, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("tiktok: %s\n", text ? text : "{}");
        free(text);
    }
}

static int cmd_status(const config_t *cfg, int argc, char **argv)
{
    redis_conn_t *r = NULL;
    pid_t child = 0;
    json_t *products = NULL, *status = NULL;
    int rc = 1;
    queue_stats_t qs;
    char when[64];

    if (argc > 1 || (argc == 1 && strcmp(argv[0], "--json") != 0)) {
        fprintf(stderr, "usage: shopsync status [--json]\n");
        return 2;
    }
    int json = argc == 1;
    if (cli_redis(cfg, &r, &child) != 0)
        goto out;
    if (catalog_list(r, &products) != CATALOG_OK) {
        fprintf(stderr, "shopsync status: Redis is not answering\n");
        goto out;
    }
    size_t skus = 0, i, j;
    json_t *p, *s;
    json_array_foreach(products, i, p) skus += json_array_size(json_object_get(p, "skus"));
    int have_status = service_status(cfg, r, &status) == 0;
    if (json) {
        status_json(cfg, json_array_size(products), skus, status);
        rc = 0;
        goto out;
    }
    if (cfg->redis_url[0])
        status_line("Redis:", "ok (REDIS_URL)");
    else
        status_line("Redis:", "ok (embedded, %s)", cfg->data_dir);
    status_line("Catalog:", "%zu products, %zu SKUs", json_array_size(products), skus);
    if (have_status)
        status_tiktok(cfg, status);
    /* The newest push of any SKU. */
    long long last_at = 0, last_qty = 0;
    const char *last_sku = NULL;
    json_array_foreach(products, i, p) {
        json_array_foreach(json_object_get(p, "skus"), j, s) {
            skumap_entry_t e;
            const char *sku = json_string_value(json_object_get(s, "sku"));
            if (sku && skumap_get(r, sku, &e) == 0 && e.last_pushed_at > last_at) {
                last_at = e.last_pushed_at;
                last_qty = e.last_pushed_quantity;
                last_sku = sku;
            }
            if (sku)
                skumap_entry_free(&e);
        }
    }
    utc_time(last_at, when, sizeof(when));
    if (last_sku)
        status_line("Last push:", "%s (%s set to %lld on TikTok Shop)", when, last_sku, last_qty);
    else
        status_line("Last push:", "none yet");
    if (queue_stats(r, &qs) == 0) {
        status_line("Queue:", "%lld event(s) waiting, %lld SKU(s) waiting for a push", qs.depth, qs.dirty);
        if (qs.parked)
            status_line("Parked:", "%lld TikTok order event(s) kept until TikTok Shop is connected again", qs.parked);
        status_line("Dead letters:", "%lld%s", qs.dead, qs.dead ? " (shopsync dlq list)" : "");
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
    char missing[256];
    /* Said once here rather than by every thread that opens a TikTok
     * client: the service runs without TikTok Shop. */
    if (config_tiktok_missing(cfg, missing, sizeof(missing)))
        log_event(LOG_WARN, "tiktok_not_configured",
                  json_pack("{s:s,s:s}", "missing", missing, "msg",
                            "TikTok Shop is not configured: orders and stock are not exchanged with it until "
                            "these variables are set (from your app in the TikTok Shop Partner Center) and "
                            "shopsync is restarted; the admin page, imports and Stripe checkouts work"));
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
    char admin_page[CONFIG_STR + 32];
    snprintf(admin_page, sizeof(admin_page), "%s/admin/tiktok-shop", cfg->public_url);
    log_event(LOG_INFO, "listening", json_pack("{s:s,s:s}", "listen", cfg->listen, "admin_page", admin_page));
    fprintf(stderr, "shopsync %s listening on http://%s — admin page: %s\n", SHOPSYNC_VERSION, cfg->listen,
            admin_page);
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

/* `shopsync report --from D --to D [--csv]`: the daily P&L on stdout. */
static int cmd_report(const config_t *cfg, int argc, char **argv)
{
    const char *f = NULL, *t = NULL;
    int csv = 0, code = 1;
    long long from, to;
    redis_conn_t *r = NULL;
    pid_t child = 0;
    report_t rep;
    char err[256];
    buf_t out;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--csv") == 0)
            csv = 1;
        else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            f = argv[++i];
        else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
            t = argv[++i];
        else {
            f = t = NULL;
            break;
        }
    }
    if (!f || !t) {
        fprintf(stderr, "usage: shopsync report --from YYYY-MM-DD --to YYYY-MM-DD [--csv]\n");
        return 2;
    }
    if (day_parse(f, 0, &from) != 0 || day_parse(t, 0, &to) != 0 || from > to || to - from + 1 > REPORT_MAX_DAYS) {
        fprintf(stderr, "shopsync report: --from and --to must be dates YYYY-MM-DD, from <= to, at most %d days\n",
                REPORT_MAX_DAYS);
        return 2;
    }
    if (cli_redis(cfg, &r, &child) != 0)
        goto done;
    if (report_load(r, from, to, &rep, err, sizeof(err)) != 0) {
        fprintf(stderr, "shopsync report: %s\n", err);
        goto done;
    }
    buf_init(&out, REPORT_TEXT_MAX);
    int rc = csv ? report_csv(&rep, &out) : report_json(&rep, NULL, &out);
    report_free(&rep);
    if (rc == 0) {
        fwrite(out.data ? out.data : "", 1, out.len, stdout);
        if (!csv)
            fputc('\n', stdout);
        code = 0;
    } else {
        fprintf(stderr, "shopsync report: the report is too large\n");
    }
    buf_free(&out);
done:
    redis_conn_free(r);
    redis_embedded_stop(child);
    return code;
}

/* `shopsync check-config`: the checks of serve, without serving. */
static int cmd_check_config(const config_t *cfg, int argc)
{
    char missing[256];
    if (argc) {
        fprintf(stderr, "usage: shopsync check-config\n");
        return 2;
    }
    printf("shopsync: the configuration is complete (admin page: %s/admin/tiktok-shop)\n", cfg->public_url);
    if (config_tiktok_missing(cfg, missing, sizeof(missing)))
        printf("note: TikTok Shop is not configured (%s not set): shopsync runs, but exchanges nothing with it\n",
               missing);
    return 0;
}

/* Commands that talk to TikTok Shop cannot run without the app
 * credentials; say which are missing instead of failing later. */
static int needs_tiktok(const config_t *cfg, const char *cmd)
{
    char missing[256];
    if (!config_tiktok_missing(cfg, missing, sizeof(missing)))
        return 0;
    fprintf(stderr,
            "shopsync %s: TikTok Shop is not configured: set %s (from your app in the TikTok Shop Partner Center)\n",
            cmd, missing);
    return 1;
}

int cli_main(int argc, char **argv)
{
    static const char *const commands[] = {"serve", "import", "stock", "status", "sync",
                                           "reconcile", "dlq", "check-config", "rules", "spend-sync",
                                           "report", NULL};
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
    const char *cmd = i < argc ? argv[i++] : "serve";
    int n = argc - i;
    char **rest = argv + i;
    int known = 0;
    for (int k = 0; commands[k]; k++)
        known |= strcmp(cmd, commands[k]) == 0;
    if (!known) {
        fprintf(stderr, "shopsync: unknown command '%s'\n\n%s", cmd, usage);
        return 2;
    }
    cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return 1;
    /* Serving needs more settings than the other commands; they are all
     * named in one message. */
    int serving = strcmp(cmd, "serve") == 0 || strcmp(cmd, "check-config") == 0;
    if ((serving ? config_load_serve(cfg, err, sizeof(err)) : config_load(cfg, err, sizeof(err))) != 0) {
        fprintf(stderr, "shopsync: configuration problems:\n%s\n", err);
        goto out;
    }
    if (strcmp(cmd, "serve") == 0)
        rc = cmd_serve(cfg);
    else if (strcmp(cmd, "check-config") == 0)
        rc = cmd_check_config(cfg, n);
    else if (strcmp(cmd, "import") == 0)
        rc = cmd_import(cfg, n, rest);
    else if (strcmp(cmd, "stock") == 0)
        rc = cmd_stock(cfg, n, rest);
    else if (strcmp(cmd, "status") == 0)
        rc = cmd_status(cfg, n, rest);
    else if (strcmp(cmd, "rules") == 0)
        rc = cmd_rules(cfg, n, rest);
    else if (strcmp(cmd, "report") == 0)
        rc = cmd_report(cfg, n, rest);
    else if ((strcmp(cmd, "sync") == 0 || strcmp(cmd, "reconcile") == 0) && needs_tiktok(cfg, cmd))
        rc = 2;
    else {
        pid_t child = 0;
        redis_conn_t *r = NULL;
        rc = 1;
        if (cli_redis(cfg, &r, &child) == 0)
            rc = cli_jobs_command(cfg, r, cmd, n, rest);
        redis_conn_free(r);
        redis_embedded_stop(child);
    }
out:
    free(cfg);
    return rc;
}
