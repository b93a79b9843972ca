/*
 * cli_jobs — the commands of the command line that drive the service's
 * domain code on a Redis the caller opened: sync (a product sync job with
 * progress), reconcile [--repair], spend-sync (one ad spend sync job),
 * dlq list | replay (see cli_jobs.h).
 */
#include "cli_jobs.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shopsync/ads_spend.h"
#include "shopsync/connection.h"
#include "shopsync/http_client.h"
#include "shopsync/product_sync.h"
#include "shopsync/queue.h"
#include "shopsync/reconcile.h"

static void progress(void *ctx, long long done, long long total, const char *id, const char *status)
{
    int tty = *(int *)ctx;
    if (tty) {
        int width = 30, filled = total ? (int)(done * width / total) : width;
        fprintf(stderr, "\r[%.*s%*s] %lld/%lld %-24.24s", filled, "##############################",
                width - filled, "", done, total, id);
        if (done == total)
            fputc('\n', stderr);
    } else {
        fprintf(stderr, "%lld/%lld %s %s\n", done, total, id, status);
    }
}

/* Set by SIGINT/SIGTERM during `shopsync sync`: the job then ends between
 * products as failed (interrupted) and frees its lock, instead of leaving a
 * running job that blocks the next sync until the lock expires. */
static atomic_int cli_sync_stop;

static void on_cli_stop(int sig)
{
    (void)sig;
    atomic_store(&cli_sync_stop, 1);
}

static int cmd_sync(const config_t *cfg, redis_conn_t *r)
{
    char job[PRODUCT_SYNC_JOB_ID_HEX + 1];
    int code = 1;
    /* From before the job exists, so no signal can leave it running with
     * its lock; a second one ends the process at once (SA_RESETHAND). */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_cli_stop;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    product_sync_rc rc = product_sync_create(cfg, r, job);
    if (rc == SYNC_NOT_CONNECTED) {
        fprintf(stderr, "shopsync sync: TikTok Shop is not connected: use Connect TikTok Shop on the admin page\n");
        goto out;
    }
    if (rc == SYNC_BUSY) {
        fprintf(stderr, "shopsync sync: sync job %s is already running\n", job);
        goto out;
    }
    if (rc != SYNC_STARTED) {
        fprintf(stderr, "shopsync sync: Redis is not answering\n");
        goto out;
    }
    if (http_client_global_init() != 0) {
        product_sync_abort(r, job, "the HTTP client could not start");
        goto out;
    }
    int tty = isatty(2);
    product_sync_run_progress(cfg, r, job, &cli_sync_stop, progress, &tty);
    if (tty && atomic_load(&cli_sync_stop))
        fputc('\n', stderr);
    json_t *st = NULL;
    if (product_sync_get(r, job, &st) == 0) {
        printf("sync %s: %s — %lld created, %lld updated, %lld failed\n", job,
               json_string_value(json_object_get(st, "state")),
               (long long)json_integer_value(json_object_get(st, "created")),
               (long long)json_integer_value(json_object_get(st, "updated")),
               (long long)json_integer_value(json_object_get(st, "failed")));
        size_t i;
        json_t *row;
        json_array_foreach(json_object_get(st, "results"), i, row) {
            if (strcmp(json_string_value(json_object_get(row, "status")), "failed") == 0)
                printf("  %s: %s\n", json_string_value(json_object_get(row, "id")),
                       json_string_value(json_object_get(row, "error")));
        }
        const char *err = json_string_value(json_object_get(st, "error"));
        if (err)
            printf("error: %s\n", err);
        code = strcmp(json_string_value(json_object_get(st, "state")), "done") == 0 &&
                       json_integer_value(json_object_get(st, "failed")) == 0
                   ? 0
                   : 1;
    }
    json_decref(st);
    http_client_global_cleanup();
out:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return code;
}

static int cmd_reconcile(const config_t *cfg, redis_conn_t *r, int argc, char **argv)
{
    int repair = argc == 1 && strcmp(argv[0], "--repair") == 0;
    if (argc > 1 || (argc == 1 && !repair)) {
        fprintf(stderr, "usage: shopsync reconcile [--repair]\n");
        return 2;
    }
    if (http_client_global_init() != 0)
        return 1;
    connection_t *c = connection_open(cfg, r);
    json_t *report = NULL;
    int rc = c ? reconcile_run(cfg, r, c, repair, &report) : -1;
    connection_free(c);
    http_client_global_cleanup();
    if (rc == 1) {
        fprintf(stderr, "shopsync reconcile: TikTok Shop is not connected\n");
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "shopsync reconcile: failed (Redis or TikTok Shop not answering)\n");
        return 1;
    }
    char *text = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", text ? text : "{}");
    free(text);
    size_t drift = json_array_size(json_object_get(report, "drift"));
    json_decref(report);
    return drift && !repair ? 3 : 0;
}

static int cmd_dlq(redis_conn_t *r, int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "list") == 0 && argc == 1) {
        json_t *list = NULL;
        long long total = 0;
        if (queue_dlq_list(r, 1000, &list, &total) != 0) {
            fprintf(stderr, "shopsync dlq: Redis is not answering\n");
            return 1;
        }
        size_t i;
        json_t *e;
        printf("%lld dead-lettered event(s)\n", total);
        json_array_foreach(list, i, e) {
            printf("%s  %-6s %-40s attempts=%lld  %s\n", json_string_value(json_object_get(e, "id")),
                   json_string_value(json_object_get(e, "source")), json_string_value(json_object_get(e, "event_id")),
                   (long long)json_integer_value(json_object_get(e, "attempts")),
                   json_string_value(json_object_get(e, "error")));
        }
        json_decref(list);
        return 0;
    }
    if (argc == 2 && strcmp(argv[0], "replay") == 0) {
        long long n = 0;
        int rc = queue_dlq_replay(r, strcmp(argv[1], "--all") == 0 ? NULL : argv[1], &n);
        if (rc < 0) {
            fprintf(stderr, "shopsync dlq: Redis is not answering\n");
            return 1;
        }
        if (rc == 1) {
            fprintf(stderr, "shopsync dlq: no dead letter %s\n", argv[1]);
            return 1;
        }
        printf("replayed %lld event(s)\n", n);
        return 0;
    }
    fprintf(stderr, "usage: shopsync dlq list | shopsync dlq replay ID|--all\n");
    return 2;
}

/* `shopsync spend-sync`: one spend sync job, run here on r (borrowed). */
static int cmd_spend_sync(const config_t *cfg, redis_conn_t *r, int argc)
{
    char job[ADS_SPEND_JOB_ID_HEX + 1];
    json_t *st = NULL;
    int code = 1;
    if (argc) {
        fprintf(stderr, "usage: shopsync spend-sync\n");
        return 2;
    }
    ads_spend_rc rc = ads_spend_create(cfg, r, job);
    if (rc == SPEND_NOT_CONNECTED || rc == SPEND_NO_ADVERTISER) {
        fprintf(stderr, "shopsync spend-sync: %s\n",
                rc == SPEND_NOT_CONNECTED ? "the TikTok Ads account is not connected (admin page, TikTok Ads)"
                                          : "no advertiser is selected (admin page, TikTok Ads)");
        goto out;
    }
    if (rc == SPEND_BUSY) {
        fprintf(stderr, "shopsync spend-sync: spend sync %s is already running\n", job);
        goto out;
    }
    if (rc != SPEND_STARTED || http_client_global_init() != 0) {
        if (rc == SPEND_STARTED)
            ads_spend_abort(r, job, "the HTTP client could not start");
        fprintf(stderr, "shopsync spend-sync: Redis is not answering\n");
        goto out;
    }
    ads_spend_run(cfg, r, job, NULL);
    http_client_global_cleanup();
    if (ads_spend_get(r, job, &st) != 0) {
        fprintf(stderr, "shopsync spend-sync: Redis is not answering\n");
        goto out;
    }
    const char *state = json_string_value(json_object_get(st, "state"));
    printf("spend sync %s: %s\n", job, state);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(st, "advertisers"), i, a) {
        const char *e = json_string_value(json_object_get(a, "error"));
        printf("  %s %s: %s %s..%s, %lld pages, %lld rows%s%s\n", json_string_value(json_object_get(a, "id")),
               json_string_value(json_object_get(a, "name")), json_string_value(json_object_get(a, "state")),
               json_string_value(json_object_get(a, "from")) ? json_string_value(json_object_get(a, "from")) : "-",
               json_string_value(json_object_get(a, "to")) ? json_string_value(json_object_get(a, "to")) : "-",
               (long long)json_integer_value(json_object_get(a, "pages")),
               (long long)json_integer_value(json_object_get(a, "rows")), e ? ": " : "", e ? e : "");
    }
    code = state && strcmp(state, "done") == 0 ? 0 : 1;
out:
    json_decref(st);
    return code;
}

int cli_jobs_command(const config_t *cfg, redis_conn_t *r, const char *cmd, int argc, char **argv)
{
    if (strcmp(cmd, "sync") == 0) {
        if (argc) {
            fprintf(stderr, "usage: shopsync sync\n");
            return 2;
        }
        return cmd_sync(cfg, r);
    }
    if (strcmp(cmd, "reconcile") == 0)
        return cmd_reconcile(cfg, r, argc, argv);
    if (strcmp(cmd, "spend-sync") == 0)
        return cmd_spend_sync(cfg, r, argc);
    return cmd_dlq(r, argc, argv);
}
