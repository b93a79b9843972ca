/*
 * config — the environment (and an optional env file) turned into one
 * immutable struct, validated once at start with a message naming every
 * missing or malformed variable.
 */
#ifndef SHOPSYNC_CONFIG_H
#define SHOPSYNC_CONFIG_H

#include <stddef.h>

#define CONFIG_STR 512

typedef struct config {
    char listen[CONFIG_STR];       /* SHOPSYNC_LISTEN host:port */
    char public_url[CONFIG_STR];   /* SHOPSYNC_PUBLIC_URL, no trailing slash; default
                                      http://localhost:<SHOPSYNC_LISTEN's port> */
    char admin_token[CONFIG_STR];  /* SHOPSYNC_ADMIN_TOKEN; empty = unset */
    char storefront_token[CONFIG_STR]; /* SHOPSYNC_STOREFRONT_TOKEN: the store's backend (stock, holds, store events); empty = unset */
    unsigned char secret_key[32];  /* SHOPSYNC_SECRET_KEY decoded */
    int has_secret_key;
    char data_dir[CONFIG_STR];     /* SHOPSYNC_DATA_DIR, made absolute */
    char web_dir[CONFIG_STR];      /* SHOPSYNC_WEB_DIR */
    int workers;                   /* SHOPSYNC_WORKERS */
    int push_workers;              /* SHOPSYNC_PUSH_WORKERS */
    int http_threads;              /* SHOPSYNC_HTTP_THREADS */
    int http_keepalive_ms;         /* SHOPSYNC_HTTP_KEEPALIVE_MS */
    long long stock_buffer;        /* SHOPSYNC_STOCK_BUFFER */
    char redis_url[CONFIG_STR];    /* REDIS_URL; empty = embedded redis-server */
    char redis_prefix[64];         /* SHOPSYNC_REDIS_PREFIX */
    char log_level[16];            /* SHOPSYNC_LOG_LEVEL */
    int reconcile_interval;        /* SHOPSYNC_RECONCILE_INTERVAL seconds, 0 = off */
    int max_attempts;              /* SHOPSYNC_MAX_ATTEMPTS before dead letter */
    int push_interval_ms;          /* SHOPSYNC_PUSH_INTERVAL_MS per-SKU coalescing */
    int tiktok_rate_limit;         /* SHOPSYNC_TIKTOK_RATE_LIMIT requests/s per API */
    int stripe_read_rate_limit;    /* STRIPE_READ_RATE_LIMIT requests/s, 0 = from the key's mode */
    int low_stock_seconds;         /* SHOPSYNC_LOW_STOCK_SECONDS, 0 = never allocate */
    int tiktok_settle_ms;          /* SHOPSYNC_TIKTOK_SETTLE_MS */
    int tiktok_settle_read;        /* SHOPSYNC_TIKTOK_SETTLE_READ: 1 reads TikTok's orders to end a settle */
    int sync_concurrency;          /* SHOPSYNC_SYNC_CONCURRENCY products synced at once */

    char package_weight[32];       /* SHOPSYNC_PACKAGE_WEIGHT */
    char package_weight_unit[16];  /* SHOPSYNC_PACKAGE_WEIGHT_UNIT */
    char package_dimensions[64];   /* SHOPSYNC_PACKAGE_DIMENSIONS LxWxH */
    char package_dimension_unit[16]; /* SHOPSYNC_PACKAGE_DIMENSION_UNIT */

    char tiktok_app_key[CONFIG_STR];
    char tiktok_app_secret[CONFIG_STR];
    char tiktok_service_id[CONFIG_STR];
    char tiktok_authorize_url[CONFIG_STR];
    char tiktok_auth_base[CONFIG_STR];
    char tiktok_api_base[CONFIG_STR];
    char tiktok_category_id[CONFIG_STR];
    char tiktok_warehouse_id[CONFIG_STR];

    char stripe_webhook_secret[CONFIG_STR];
    char stripe_secret_key[CONFIG_STR];
    char stripe_api_base[CONFIG_STR];

    /* TikTok Ads (Events API); the admin page may override the first four. */
    char ads_pixel_id[CONFIG_STR];          /* TIKTOK_PIXEL_ID */
    char ads_access_token[CONFIG_STR];      /* TIKTOK_EVENTS_API_ACCESS_TOKEN */
    char ads_test_event_code[CONFIG_STR];   /* TIKTOK_TEST_EVENT_CODE */
    char ads_offline_event_set_id[CONFIG_STR]; /* TIKTOK_OFFLINE_EVENT_SET_ID */
    char ads_api_base[CONFIG_STR];          /* TIKTOK_ADS_API_BASE, no trailing slash */
    char ads_purchase_event[32];            /* TIKTOK_PURCHASE_EVENT: Purchase or CompletePayment */
    char phone_region[4];                   /* SHOPSYNC_PHONE_REGION, e.g. "US" */
    int ads_consent_required;               /* TIKTOK_EVENTS_CONSENT=required (else assumed) */

    /* TikTok Ads account (Marketing API OAuth) and the daily spend sync. */
    char ads_app_id[CONFIG_STR];            /* TIKTOK_APP_ID */
    char ads_app_secret[CONFIG_STR];        /* TIKTOK_APP_SECRET */
    char ads_redirect_uri[CONFIG_STR];      /* TIKTOK_REDIRECT_URI; default
                                               $SHOPSYNC_PUBLIC_URL/api/admin/ads/oauth/callback */
    char ads_authorize_url[CONFIG_STR];     /* TIKTOK_ADS_AUTHORIZE_URL */
    int spend_sync_hour;                    /* TIKTOK_SPEND_SYNC_HOUR (UTC, 0..23) */
} config_t;

/* Load KEY=VALUE lines from path (borrowed) into the process environment;
 * variables already set in the environment win. Blank lines and # comments
 * are skipped; values may be wrapped in single or double quotes. Returns 0,
 * or -1 with the file and line in err. */
int config_load_env_file(const char *path, char *err, size_t errlen);

/* Fill cfg from the environment. Returns 0, or -1 with one line per bad
 * variable in err. */
int config_load(config_t *cfg, char *err, size_t errlen);

/* Checks that only serving needs (admin token, secret key). Returns 0 or -1
 * with the reasons in err. */
int config_check_serve(const config_t *cfg, char *err, size_t errlen);

/* Stripe read requests/s to stay under: STRIPE_READ_RATE_LIMIT, else
 * Stripe's limit for the secret key's mode (live 100, test 25). */
int config_stripe_read_rate(const config_t *cfg);

/* config_load and config_check_serve together: every problem of either in
 * one message, one line per variable (a variable config_load found
 * malformed is not named again). Returns 0 or -1. */
int config_load_serve(config_t *cfg, char *err, size_t errlen);

/* 1 when the Marketing API app (TIKTOK_APP_ID, TIKTOK_APP_SECRET) is set. */
int config_ads_app_configured(const config_t *cfg);

/* 1 when the TikTok app credentials are all present. */
int config_tiktok_configured(const config_t *cfg);

/* The TikTok app variables that are not set, comma-separated, into out (""
 * when none). Returns how many are missing. */
int config_tiktok_missing(const config_t *cfg, char *out, size_t cap);

#endif
