/*
 * config — the sandbox's settings from SANDBOX_* environment variables, each
 * overridable by a --flag (see usage()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

enum {
    O_LISTEN, O_APP_KEY, O_APP_SECRET, O_SERVICE_ID, O_REDIRECT_URI, O_WEBHOOK_URL,
    O_ACCESS_TTL, O_RATE_LIMIT, O_STRIPE_URL, O_STRIPE_SECRET, O_ROTATE_REFRESH,
    O_API_LATENCY, O_WEBHOOK_DELAY, O_THREADS, O_SKIP_TS, O_ADS_TOKEN, O_ADS_PIXEL, O_ADS_OFFLINE,
    O_ADS_APP_ID, O_ADS_APP_SECRET, O_ORDER_HISTORY,
    O_COUNT
};

static const struct {
    const char *env;
    const char *flag;
    const char *def;
    const char *help;
} opts[O_COUNT] = {
    [O_LISTEN] = {"SANDBOX_LISTEN", "--listen", "127.0.0.1:9090", "host:port to listen on"},
    [O_APP_KEY] = {"SANDBOX_APP_KEY", "--app-key", "sandbox_app_key", "the app's app_key"},
    [O_APP_SECRET] = {"SANDBOX_APP_SECRET", "--app-secret", "sandbox_app_secret",
                      "the app's app_secret"},
    [O_SERVICE_ID] = {"SANDBOX_SERVICE_ID", "--service-id", "7100000000000000001",
                      "service_id the authorize page accepts"},
    [O_REDIRECT_URI] = {"SANDBOX_REDIRECT_URI", "--redirect-uri",
                        "http://localhost:8080/api/admin/tiktok/callback",
                        "where Approve/Deny redirect"},
    [O_WEBHOOK_URL] = {"SANDBOX_WEBHOOK_URL", "--webhook-url", "",
                       "http:// URL for order webhooks (empty: none)"},
    [O_ACCESS_TTL] = {"SANDBOX_ACCESS_TTL", "--access-ttl", "14400",
                      "access token lifetime, seconds"},
    [O_RATE_LIMIT] = {"SANDBOX_RATE_LIMIT", "--rate-limit", "50",
                      "requests per second per API path and shop"},
    [O_STRIPE_URL] = {"SANDBOX_STRIPE_WEBHOOK_URL", "--stripe-webhook-url", "",
                      "http:// URL for Stripe events (empty: none)"},
    [O_STRIPE_SECRET] = {"SANDBOX_STRIPE_WEBHOOK_SECRET", "--stripe-webhook-secret", "",
                         "whsec_ secret that signs Stripe events"},
    [O_ROTATE_REFRESH] = {"SANDBOX_ROTATE_REFRESH", "--rotate-refresh", "0",
                          "1: token refresh also replaces the refresh token"},
    [O_API_LATENCY] = {"SANDBOX_API_LATENCY_MS", "--api-latency-ms", "0",
                       "start value of the latency fault: ms added to every imitated API call "
                       "(signed Open API, OAuth token, Stripe)"},
    [O_WEBHOOK_DELAY] = {"SANDBOX_WEBHOOK_DELAY_MS", "--webhook-delay-ms", "0",
                         "start value of the webhook delay: ms between an order event and "
                         "its TikTok webhook"},
    [O_THREADS] = {"SANDBOX_THREADS", "--threads", "128",
                   "HTTP worker threads (each slow call holds one while it waits)"},
    /* Test-only: lets the integration test replay the published signing
     * vectors, whose timestamps are years old. */
    [O_SKIP_TS] = {"SANDBOX_SKIP_TIMESTAMP_CHECK", "--skip-timestamp-check", "0",
                   "1: accept any timestamp (tests only)"},
    [O_ADS_TOKEN] = {"SANDBOX_ADS_ACCESS_TOKEN", "--ads-access-token", "sandbox-ads-access-token",
                     "the Events API access token the TikTok Ads imitation accepts"},
    [O_ADS_PIXEL] = {"SANDBOX_ADS_PIXEL_ID", "--ads-pixel-id", "CSANDBOXPIXEL0000001",
                     "the pixel code the TikTok Ads imitation knows"},
    [O_ADS_OFFLINE] = {"SANDBOX_ADS_OFFLINE_EVENT_SET_ID", "--ads-offline-event-set-id",
                       "7300000000000000001", "the offline event set the TikTok Ads imitation knows"},
    [O_ADS_APP_ID] = {"SANDBOX_ADS_APP_ID", "--ads-app-id", "7400000000000000001",
                      "the Marketing API app_id its OAuth accepts"},
    [O_ADS_APP_SECRET] = {"SANDBOX_ADS_APP_SECRET", "--ads-app-secret", "sandbox-ads-app-secret",
                          "the Marketing API app secret"},
    [O_ORDER_HISTORY] = {"SANDBOX_ORDER_HISTORY_DAYS", "--order-history-days", "0",
                         "days of generated past TikTok Shop orders that Search Orders finds (0-366)"},
};

static void usage(void)
{
    fputs("usage: shopsync-sandbox [--flag value]...\n"
          "A local TikTok Shop Open API sandbox (202309), with OAuth pages, order\n"
          "webhooks, fault injection, a Stripe checkout stand-in and TikTok's\n"
          "Events API (POST /open_api/v1.3/event/track/).\n\n"
          "Each setting comes from its environment variable; a flag overrides it.\n",
          stdout);
    for (int i = 0; i < O_COUNT; i++)
        printf("  %-26s %-30s %s (default \"%s\")\n", opts[i].flag, opts[i].env, opts[i].help,
               opts[i].def);
}

static int copy(char *dst, size_t cap, const char *src, const char *name)
{
    if (strlen(src) >= cap) {
        fprintf(stderr, "shopsync-sandbox: %s is too long\n", name);
        return -1;
    }
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

static int to_long(const char *s, long min, long max, const char *name, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !*s || *end || v < min || v > max) {
        fprintf(stderr, "shopsync-sandbox: %s must be an integer in %ld..%ld\n", name, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int http_url_ok(const char *url, const char *name)
{
    if (*url && strncmp(url, "http://", 7) != 0) {
        fprintf(stderr, "shopsync-sandbox: %s must be an http:// URL\n", name);
        return -1;
    }
    return 0;
}

int sb_config_load(sb_config_t *cfg, int argc, char **argv)
{
    const char *val[O_COUNT];
    long flag;

    for (int i = 0; i < O_COUNT; i++) {
        const char *e = getenv(opts[i].env);
        /* An empty variable means "use the default", as a blank line in an
         * env file usually does. */
        val[i] = e && *e ? e : opts[i].def;
    }
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
            usage();
            return 1;
        }
        int found = 0;
        for (int i = 0; i < O_COUNT && !found; i++) {
            size_t n = strlen(opts[i].flag);
            if (strncmp(argv[a], opts[i].flag, n) != 0)
                continue;
            if (argv[a][n] == '=') {
                val[i] = argv[a] + n + 1;
                found = 1;
            } else if (argv[a][n] == '\0' && a + 1 < argc) {
                val[i] = argv[++a];
                found = 1;
            }
        }
        if (!found) {
            fprintf(stderr, "shopsync-sandbox: unknown or incomplete argument %s (try --help)\n",
                    argv[a]);
            return -1;
        }
    }
    memset(cfg, 0, sizeof(*cfg));
    if (copy(cfg->listen, sizeof(cfg->listen), val[O_LISTEN], "SANDBOX_LISTEN") ||
        copy(cfg->app_key, sizeof(cfg->app_key), val[O_APP_KEY], "SANDBOX_APP_KEY") ||
        copy(cfg->app_secret, sizeof(cfg->app_secret), val[O_APP_SECRET], "SANDBOX_APP_SECRET") ||
        copy(cfg->service_id, sizeof(cfg->service_id), val[O_SERVICE_ID], "SANDBOX_SERVICE_ID") ||
        copy(cfg->redirect_uri, sizeof(cfg->redirect_uri), val[O_REDIRECT_URI],
             "SANDBOX_REDIRECT_URI") ||
        copy(cfg->webhook_url, sizeof(cfg->webhook_url), val[O_WEBHOOK_URL],
             "SANDBOX_WEBHOOK_URL") ||
        copy(cfg->stripe_webhook_url, sizeof(cfg->stripe_webhook_url), val[O_STRIPE_URL],
             "SANDBOX_STRIPE_WEBHOOK_URL") ||
        copy(cfg->stripe_webhook_secret, sizeof(cfg->stripe_webhook_secret),
             val[O_STRIPE_SECRET], "SANDBOX_STRIPE_WEBHOOK_SECRET") ||
        copy(cfg->ads_access_token, sizeof(cfg->ads_access_token), val[O_ADS_TOKEN],
             "SANDBOX_ADS_ACCESS_TOKEN") ||
        copy(cfg->ads_pixel_id, sizeof(cfg->ads_pixel_id), val[O_ADS_PIXEL], "SANDBOX_ADS_PIXEL_ID") ||
        copy(cfg->ads_offline_event_set_id, sizeof(cfg->ads_offline_event_set_id),
             val[O_ADS_OFFLINE], "SANDBOX_ADS_OFFLINE_EVENT_SET_ID") ||
        copy(cfg->ads_app_id, sizeof(cfg->ads_app_id), val[O_ADS_APP_ID], "SANDBOX_ADS_APP_ID") ||
        copy(cfg->ads_app_secret, sizeof(cfg->ads_app_secret), val[O_ADS_APP_SECRET], "SANDBOX_ADS_APP_SECRET"))
        return -1;
    if (to_long(val[O_ORDER_HISTORY], 0, 366, "SANDBOX_ORDER_HISTORY_DAYS", &cfg->order_history_days))
        return -1;
    if (to_long(val[O_ACCESS_TTL], 1, 315360000L, "SANDBOX_ACCESS_TTL", &cfg->access_ttl) ||
        to_long(val[O_RATE_LIMIT], 1, 1000000L, "SANDBOX_RATE_LIMIT", &cfg->rate_limit) ||
        to_long(val[O_ROTATE_REFRESH], 0, 1, "SANDBOX_ROTATE_REFRESH", &flag) ||
        to_long(val[O_API_LATENCY], 0, SB_MAX_LATENCY_MS, "SANDBOX_API_LATENCY_MS",
                &cfg->api_latency_ms) ||
        to_long(val[O_WEBHOOK_DELAY], 0, SB_MAX_WEBHOOK_DELAY_MS, "SANDBOX_WEBHOOK_DELAY_MS",
                &cfg->webhook_delay_ms) ||
        to_long(val[O_THREADS], 2, SB_MAX_THREADS, "SANDBOX_THREADS", &cfg->threads))
        return -1;
    cfg->rotate_refresh = (int)flag;
    if (to_long(val[O_SKIP_TS], 0, 1, "SANDBOX_SKIP_TIMESTAMP_CHECK", &flag))
        return -1;
    cfg->skip_timestamp_check = (int)flag;
    if (http_url_ok(cfg->webhook_url, "SANDBOX_WEBHOOK_URL") ||
        http_url_ok(cfg->stripe_webhook_url, "SANDBOX_STRIPE_WEBHOOK_URL"))
        return -1;
    if (!strchr(cfg->listen, ':')) {
        fputs("shopsync-sandbox: SANDBOX_LISTEN must be host:port\n", stderr);
        return -1;
    }
    snprintf(cfg->public_url, sizeof(cfg->public_url), "http://%s", cfg->listen);
    return 0;
}
