/*
 * shopsync-sandbox — a local imitation of the TikTok Shop Open API (202309
 * shapes), its OAuth authorize page and order webhooks, plus a Stripe
 * checkout stand-in, so shopsync can be developed and tested offline.
 * This file: configuration, signals, start and orderly stop.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "hooks.h"
#include "sandbox.h"
#include "shopsync/log.h"
#include "store.h"

int main(int argc, char **argv)
{
    sb_config_t cfg;
    sb_app_t app = {.cfg = &cfg};
    struct mg_context *ctx = NULL;
    sigset_t stop_signals;
    int sig = 0, rc = 1;

    int crc = sb_config_load(&cfg, argc, argv);
    if (crc != 0)
        return crc > 0 ? 0 : 2;
    const char *level = getenv("SANDBOX_LOG_LEVEL");
    log_level_t lv;
    if (level && log_parse_level(level, &lv) == 0)
        log_set_level(lv);
    /* Seed jansson's hash before any thread exists; block the stop signals
     * here so every thread inherits the mask and only sigwait sees them. */
    json_object_seed(0);
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    mg_init_library(0);

    if (sb_store_new(&cfg, &app.store) != 0 || sb_hooks_start(&app.hooks) != 0) {
        fputs("shopsync-sandbox: out of memory or threads\n", stderr);
        goto out;
    }
    if (sb_server_start(&app, &ctx) != 0) {
        fprintf(stderr, "shopsync-sandbox: cannot listen on %s\n", cfg.listen);
        goto out;
    }
    fprintf(stderr, "sandbox listening on http://%s\n", cfg.listen);
    fflush(stderr);
    while (sigwait(&stop_signals, &sig) != 0)
        ;
    log_msg(LOG_INFO, "sandbox.stop", "signal %d, stopping", sig);
    rc = 0;
out:
    /* Order matters: stop serving before the state the handlers use goes. */
    if (ctx)
        mg_stop(ctx);
    sb_hooks_stop(app.hooks);
    sb_store_free(app.store);
    mg_exit_library();
    return rc;
}
