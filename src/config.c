/*
 * config — environment to config_t, validated once (see config.h).
 */
#include "shopsync/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shopsync/buf.h"
#include "shopsync/crypto.h"
#include "shopsync/log.h"
#include "shopsync/phone.h"

#ifndef SHOPSYNC_DEFAULT_WEB_DIR
#define SHOPSYNC_DEFAULT_WEB_DIR "web"
#endif

/* Append one problem line to err without overflowing it. */
static void add_problem(char *err, size_t errlen, const char *fmt, const char *name,
                        const char *detail)
{
    size_t used = strlen(err);
    if (used + 1 >= errlen)
        return;
    snprintf(err + used, errlen - used, fmt, name, detail);
}

/* 1 when err already has a line about variable name ("NAME: ..."). */
static int named(const char *err, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = err; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, name, n) == 0 && line[n] == ':')
            return 1;
    }
    return 0;
}

static int get_str(const char *name, const char *def, char *out, size_t cap,
                   char *err, size_t errlen)
{
    const char *v = getenv(name);
    if (!v)
        v = def;
    if (strlen(v) >= cap) {
        add_problem(err, errlen, "%s: %s\n", name, "value is too long");
        return -1;
    }
    snprintf(out, cap, "%s", v);
    return 0;
}

static int get_int(const char *name, long long def, long long lo, long long hi,
                   long long *out, char *err, size_t errlen)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        *out = def;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || end == v || n < lo || n > hi) {
        char detail[96];
        snprintf(detail, sizeof(detail), "must be an integer from %lld to %lld", lo, hi);
        add_problem(err, errlen, "%s: %s\n", name, detail);
        return -1;
    }
    *out = n;
    return 0;
}

/* Make a relative path absolute against the working directory, so that
 * child processes that change directory (redis-server does, to its --dir)
 * and commands run from elsewhere name the same place. Leading "./" parts
 * are dropped. Returns 0, or -1 when the result does not fit. */
static int absolute_path(const char *name, char *path, size_t cap, char *err, size_t errlen)
{
    if (!path[0] || path[0] == '/')
        return 0;
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd))) {
        add_problem(err, errlen, "%s: %s\n", name, "relative, and the working directory cannot be read");
        return -1;
    }
    const char *rel = path;
    while (rel[0] == '.' && rel[1] == '/')
        for (rel += 2; *rel == '/'; rel++)
            ;
    char abs[PATH_MAX + CONFIG_STR];
    int n = strcmp(rel, ".") == 0 || !*rel ? snprintf(abs, sizeof(abs), "%s", cwd)
                                           : snprintf(abs, sizeof(abs), "%s%s%s", cwd,
                                                      strcmp(cwd, "/") == 0 ? "" : "/", rel);
    if (n < 0 || (size_t)n >= cap) {
        add_problem(err, errlen, "%s: %s\n", name, "value is too long once made absolute");
        return -1;
    }
    memcpy(path, abs, (size_t)n + 1);
    return 0;
}

/* Strip one trailing slash so paths can be appended with "/...". */
static void trim_slash(char *s)
{
    size_t n = strlen(s);
    while (n > 1 && s[n - 1] == '/')
        s[--n] = '\0';
}

int config_load_env_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        if (strncmp(p, "export ", 7) == 0)
            p += 7;
        char *eq = strchr(p, '=');
        if (!eq || eq == p) {
            snprintf(err, errlen, "%s:%d: expected KEY=VALUE", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *val = eq + 1;
        size_t vl = strlen(val);
        if (vl >= 2 && (val[0] == '"' || val[0] == '\'') && val[vl - 1] == val[0]) {
            val[vl - 1] = '\0';
            val++;
        }
        /* The real environment wins so one-off overrides work. */
        if (setenv(p, val, 0) != 0) {
            snprintf(err, errlen, "%s:%d: invalid variable name", path, lineno);
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

int config_load(config_t *cfg, char *err, size_t errlen)
{
    long long n = 0;
    int bad = 0;

    memset(cfg, 0, sizeof(*cfg));
    err[0] = '\0';
    bad |= get_str("SHOPSYNC_LISTEN", "127.0.0.1:8080", cfg->listen, sizeof(cfg->listen), err, errlen);
    /* Unset or empty: derived from SHOPSYNC_LISTEN's port below. */
    const char *public_url = getenv("SHOPSYNC_PUBLIC_URL");
    int public_default = !public_url || !*public_url;
    if (!public_default)
        bad |= get_str("SHOPSYNC_PUBLIC_URL", "", cfg->public_url, sizeof(cfg->public_url), err, errlen);
    bad |= get_str("SHOPSYNC_ADMIN_TOKEN", "", cfg->admin_token, sizeof(cfg->admin_token), err, errlen);
    bad |= get_str("SHOPSYNC_STOREFRONT_TOKEN", "", cfg->storefront_token, sizeof(cfg->storefront_token), err, errlen);
    if (get_str("SHOPSYNC_DATA_DIR", "./var", cfg->data_dir, sizeof(cfg->data_dir), err, errlen) != 0 ||
        absolute_path("SHOPSYNC_DATA_DIR", cfg->data_dir, sizeof(cfg->data_dir), err, errlen) != 0)
        bad = 1;
    bad |= get_str("SHOPSYNC_WEB_DIR", SHOPSYNC_DEFAULT_WEB_DIR, cfg->web_dir, sizeof(cfg->web_dir), err, errlen);
    bad |= get_str("REDIS_URL", "", cfg->redis_url, sizeof(cfg->redis_url), err, errlen);
    bad |= get_str("SHOPSYNC_REDIS_PREFIX", "shopsync:", cfg->redis_prefix, sizeof(cfg->redis_prefix), err, errlen);
    bad |= get_str("SHOPSYNC_LOG_LEVEL", "info", cfg->log_level, sizeof(cfg->log_level), err, errlen);
    bad |= get_str("SHOPSYNC_PACKAGE_WEIGHT", "1", cfg->package_weight, sizeof(cfg->package_weight), err, errlen);
    bad |= get_str("SHOPSYNC_PACKAGE_WEIGHT_UNIT", "POUND", cfg->package_weight_unit, sizeof(cfg->package_weight_unit), err, errlen);
    bad |= get_str("SHOPSYNC_PACKAGE_DIMENSIONS", "10x10x10", cfg->package_dimensions, sizeof(cfg->package_dimensions), err, errlen);
    bad |= get_str("SHOPSYNC_PACKAGE_DIMENSION_UNIT", "INCH", cfg->package_dimension_unit, sizeof(cfg->package_dimension_unit), err, errlen);
    bad |= get_str("TIKTOK_SHOP_APP_KEY", "", cfg->tiktok_app_key, sizeof(cfg->tiktok_app_key), err, errlen);
    bad |= get_str("TIKTOK_SHOP_APP_SECRET", "", cfg->tiktok_app_secret, sizeof(cfg->tiktok_app_secret), err, errlen);
    bad |= get_str("TIKTOK_SHOP_SERVICE_ID", "", cfg->tiktok_service_id, sizeof(cfg->tiktok_service_id), err, errlen);
    bad |= get_str("TIKTOK_SHOP_AUTHORIZE_URL", "https://services.tiktokshop.com/open/authorize", cfg->tiktok_authorize_url, sizeof(cfg->tiktok_authorize_url), err, errlen);
    bad |= get_str("TIKTOK_SHOP_AUTH_BASE", "https://auth.tiktok-shops.com", cfg->tiktok_auth_base, sizeof(cfg->tiktok_auth_base), err, errlen);
    bad |= get_str("TIKTOK_SHOP_API_BASE", "https://open-api.tiktokglobalshop.com", cfg->tiktok_api_base, sizeof(cfg->tiktok_api_base), err, errlen);
    bad |= get_str("TIKTOK_SHOP_CATEGORY_ID", "", cfg->tiktok_category_id, sizeof(cfg->tiktok_category_id), err, errlen);
    bad |= get_str("TIKTOK_SHOP_WAREHOUSE_ID", "", cfg->tiktok_warehouse_id, sizeof(cfg->tiktok_warehouse_id), err, errlen);
    bad |= get_str("STRIPE_WEBHOOK_SECRET", "", cfg->stripe_webhook_secret, sizeof(cfg->stripe_webhook_secret), err, errlen);
    bad |= get_str("STRIPE_SECRET_KEY", "", cfg->stripe_secret_key, sizeof(cfg->stripe_secret_key), err, errlen);
    bad |= get_str("STRIPE_API_BASE", "https://api.stripe.com", cfg->stripe_api_base, sizeof(cfg->stripe_api_base), err, errlen);
    bad |= get_str("TIKTOK_PIXEL_ID", "", cfg->ads_pixel_id, sizeof(cfg->ads_pixel_id), err, errlen);
    bad |= get_str("TIKTOK_EVENTS_API_ACCESS_TOKEN", "", cfg->ads_access_token, sizeof(cfg->ads_access_token), err, errlen);
    bad |= get_str("TIKTOK_TEST_EVENT_CODE", "", cfg->ads_test_event_code, sizeof(cfg->ads_test_event_code), err, errlen);
    bad |= get_str("TIKTOK_OFFLINE_EVENT_SET_ID", "", cfg->ads_offline_event_set_id, sizeof(cfg->ads_offline_event_set_id), err, errlen);
    bad |= get_str("TIKTOK_ADS_API_BASE", "https://business-api.tiktok.com", cfg->ads_api_base, sizeof(cfg->ads_api_base), err, errlen);
    if (get_str("TIKTOK_PURCHASE_EVENT", "Purchase", cfg->ads_purchase_event, sizeof(cfg->ads_purchase_event), err, errlen) != 0)
        bad = 1;
    else if (strcmp(cfg->ads_purchase_event, "Purchase") != 0 && strcmp(cfg->ads_purchase_event, "CompletePayment") != 0) {
        add_problem(err, errlen, "%s: %s\n", "TIKTOK_PURCHASE_EVENT", "must be Purchase or CompletePayment");
        bad = 1;
    }
    if (get_str("SHOPSYNC_PHONE_REGION", "US", cfg->phone_region, sizeof(cfg->phone_region), err, errlen) != 0)
        bad = 1;
    else if (!phone_region_known(cfg->phone_region)) {
        add_problem(err, errlen, "%s: %s\n", "SHOPSYNC_PHONE_REGION",
                    "must be a two-letter country code in capitals, e.g. US or GB");
        bad = 1;
    }
    bad |= get_str("TIKTOK_APP_ID", "", cfg->ads_app_id, sizeof(cfg->ads_app_id), err, errlen);
    bad |= get_str("TIKTOK_APP_SECRET", "", cfg->ads_app_secret, sizeof(cfg->ads_app_secret), err, errlen);
    bad |= get_str("TIKTOK_REDIRECT_URI", "", cfg->ads_redirect_uri, sizeof(cfg->ads_redirect_uri), err, errlen);
    bad |= get_str("TIKTOK_ADS_AUTHORIZE_URL", "https://business-api.tiktok.com/portal/auth", cfg->ads_authorize_url,
                   sizeof(cfg->ads_authorize_url), err, errlen);
    char consent[16];
    if (get_str("TIKTOK_EVENTS_CONSENT", "assumed", consent, sizeof(consent), err, errlen) != 0)
        bad = 1;
    else if (strcmp(consent, "assumed") != 0 && strcmp(consent, "required") != 0) {
        add_problem(err, errlen, "%s: %s\n", "TIKTOK_EVENTS_CONSENT", "must be assumed or required");
        bad = 1;
    } else {
        cfg->ads_consent_required = strcmp(consent, "required") == 0;
    }

    /* A worker waits on one batch's provider reads (a Stripe line-items read
     * takes 100-400 ms): about rate x latency workers keep sales from
     * queueing behind one another below Stripe's read limit (100/s x 0.2 s
     * at least), and an idle worker only blocks in Redis. */
    if (get_int("SHOPSYNC_WORKERS", 32, 1, 64, &n, err, errlen) == 0)
        cfg->workers = (int)n;
    else
        bad = 1;
    if (get_int("SHOPSYNC_PUSH_WORKERS", 16, 1, 64, &n, err, errlen) == 0)
        cfg->push_workers = (int)n;
    else
        bad = 1;
    if (get_int("SHOPSYNC_HTTP_THREADS", 32, 2, 256, &n, err, errlen) == 0)
        cfg->http_threads = (int)n;
    else
        bad = 1;
    if (get_int("SHOPSYNC_HTTP_KEEPALIVE_MS", 500, 0, 60000, &n, err, errlen) == 0)
        cfg->http_keepalive_ms = (int)n;
    else
        bad = 1;
    if (get_int("SHOPSYNC_STOCK_BUFFER", 0, 0, 1000000, &n, err, errlen) == 0)
        cfg->stock_buffer = n;
    else
        bad = 1;
    if (get_int("SHOPSYNC_RECONCILE_INTERVAL", 900, 0, 86400 * 7, &n, err, errlen) == 0)
        cfg->reconcile_interval = (int)n;
    else
        bad = 1;
    if (get_int("SHOPSYNC_MAX_ATTEMPTS", 8, 1, 100, &n, err, errlen) == 0)
        cfg->max_attempts = (int)n;
    else
        bad = 1;
    if (get_int("SHOPSYNC_PUSH_INTERVAL_MS", 100, 0, 60000, &n, err, errlen) == 0)
        cfg->push_interval_ms = (int)n;
    else
        bad = 1;
    if (get_int("SHOPSYNC_TIKTOK_RATE_LIMIT", 50, 1, 10000, &n, err, errlen) == 0)
        cfg->tiktok_rate_limit = (int)n;
    else
        bad = 1;
    if (get_int("STRIPE_READ_RATE_LIMIT", 0, 0, 10000, &n, err, errlen) == 0)
        cfg->stripe_read_rate_limit = (int)n;
    else
        bad = 1;
    if (get_int("SHOPSYNC_LOW_STOCK_SECONDS", 10, 0, 86400, &n, err, errlen) == 0)
        cfg->low_stock_seconds = (int)n;
    else
        bad = 1;
    if (get_int("SHOPSYNC_TIKTOK_SETTLE_MS", 2000, 500, 600000, &n, err, errlen) == 0)
        cfg->tiktok_settle_ms = (int)n;
    else
        bad = 1;
    if (get_int("SHOPSYNC_TIKTOK_SETTLE_READ", 1, 0, 1, &n, err, errlen) == 0)
        cfg->tiktok_settle_read = (int)n;
    else
        bad = 1;
    if (get_int("SHOPSYNC_SYNC_CONCURRENCY", 16, 1, 64, &n, err, errlen) == 0)
        cfg->sync_concurrency = (int)n;
    else
        bad = 1;
    if (get_int("TIKTOK_SPEND_SYNC_HOUR", 3, 0, 23, &n, err, errlen) == 0)
        cfg->spend_sync_hour = (int)n;
    else
        bad = 1;

    const char *key = getenv("SHOPSYNC_SECRET_KEY");
    if (key && *key) {
        if (crypto_unhex(key, cfg->secret_key, sizeof(cfg->secret_key)) != 0) {
            add_problem(err, errlen, "%s: %s\n", "SHOPSYNC_SECRET_KEY",
                        "must be 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`");
            bad = 1;
        } else {
            cfg->has_secret_key = 1;
        }
    }
    const char *colon = strrchr(cfg->listen, ':');
    char *port_end = NULL;
    long port = colon ? strtol(colon + 1, &port_end, 10) : 0;
    if (!colon || colon == cfg->listen || !colon[1] || *port_end || port < 1 || port > 65535) {
        add_problem(err, errlen, "%s: %s\n", "SHOPSYNC_LISTEN", "must be host:port, e.g. 127.0.0.1:8080");
        bad = 1;
        port = 8080;
    }
    /* The address a browser on this machine reaches the listener at; the
     * listen host may be 0.0.0.0, which a browser cannot open. */
    if (public_default)
        snprintf(cfg->public_url, sizeof(cfg->public_url), "http://localhost:%ld", port);
    trim_slash(cfg->public_url);
    /* The Marketing API's redirect follows the public URL unless set. */
    if (!cfg->ads_redirect_uri[0] &&
        (size_t)snprintf(cfg->ads_redirect_uri, sizeof(cfg->ads_redirect_uri), "%s/api/admin/ads/oauth/callback",
                         cfg->public_url) >= sizeof(cfg->ads_redirect_uri)) {
        add_problem(err, errlen, "%s: %s\n", "TIKTOK_REDIRECT_URI", "SHOPSYNC_PUBLIC_URL is too long to derive it");
        bad = 1;
    }
    static const struct {
        const char *name;
        size_t offset;
    } urls[] = {
        {"SHOPSYNC_PUBLIC_URL", offsetof(config_t, public_url)},
        {"TIKTOK_SHOP_AUTHORIZE_URL", offsetof(config_t, tiktok_authorize_url)},
        {"TIKTOK_SHOP_AUTH_BASE", offsetof(config_t, tiktok_auth_base)},
        {"TIKTOK_SHOP_API_BASE", offsetof(config_t, tiktok_api_base)},
        {"STRIPE_API_BASE", offsetof(config_t, stripe_api_base)},
        {"TIKTOK_ADS_API_BASE", offsetof(config_t, ads_api_base)},
        {"TIKTOK_ADS_AUTHORIZE_URL", offsetof(config_t, ads_authorize_url)},
        {"TIKTOK_REDIRECT_URI", offsetof(config_t, ads_redirect_uri)},
    };
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        const char *u = (const char *)cfg + urls[i].offset;
        /* A value that was too long is already named. */
        if (named(err, urls[i].name))
            continue;
        if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) {
            add_problem(err, errlen, "%s: %s\n", urls[i].name, "must start with http:// or https://");
            bad = 1;
        }
    }
    log_level_t level;
    if (log_parse_level(cfg->log_level, &level) != 0) {
        add_problem(err, errlen, "%s: %s\n", "SHOPSYNC_LOG_LEVEL", "must be one of debug, info, warn, error");
        bad = 1;
    }
    if (cfg->redis_url[0] && strncmp(cfg->redis_url, "redis://", 8) != 0 &&
        strncmp(cfg->redis_url, "unix://", 7) != 0) {
        add_problem(err, errlen, "%s: %s\n", "REDIS_URL",
                    "must be redis://[:password@]host:port[/db] or unix:///path.sock");
        bad = 1;
    }
    char *w_end = NULL;
    double w = strtod(cfg->package_weight, &w_end);
    if (!(w > 0) || *w_end || strspn(cfg->package_weight, "0123456789.") != strlen(cfg->package_weight)) {
        add_problem(err, errlen, "%s: %s\n", "SHOPSYNC_PACKAGE_WEIGHT", "must be a positive number");
        bad = 1;
    }
    double l = 0, wd = 0, h = 0;
    char tail = 0;
    if (sscanf(cfg->package_dimensions, "%lfx%lfx%lf%c", &l, &wd, &h, &tail) != 3 ||
        !(l > 0 && wd > 0 && h > 0)) {
        add_problem(err, errlen, "%s: %s\n", "SHOPSYNC_PACKAGE_DIMENSIONS", "must be LxWxH, e.g. 10x10x10");
        bad = 1;
    }
    trim_slash(cfg->public_url);
    trim_slash(cfg->tiktok_auth_base);
    trim_slash(cfg->tiktok_api_base);
    trim_slash(cfg->stripe_api_base);
    trim_slash(cfg->ads_api_base);
    size_t el = strlen(err);
    if (el && err[el - 1] == '\n')
        err[el - 1] = '\0';
    return bad ? -1 : 0;
}

int config_ads_app_configured(const config_t *cfg)
{
    return cfg->ads_app_id[0] && cfg->ads_app_secret[0];
}

int config_check_serve(const config_t *cfg, char *err, size_t errlen)
{
    err[0] = '\0';
    int bad = 0;
    if (!cfg->admin_token[0]) {
        add_problem(err, errlen, "%s: %s\n", "SHOPSYNC_ADMIN_TOKEN", "is required to serve (the admin API and page sign-in token)");
        bad = 1;
    } else if (strlen(cfg->admin_token) < 16) {
        add_problem(err, errlen, "%s: %s\n", "SHOPSYNC_ADMIN_TOKEN", "must be at least 16 characters");
        bad = 1;
    }
    if (cfg->storefront_token[0] && strlen(cfg->storefront_token) < 16) {
        add_problem(err, errlen, "%s: %s\n", "SHOPSYNC_STOREFRONT_TOKEN", "must be at least 16 characters");
        bad = 1;
    } else if (cfg->storefront_token[0] && strcmp(cfg->storefront_token, cfg->admin_token) == 0) {
        add_problem(err, errlen, "%s: %s\n", "SHOPSYNC_STOREFRONT_TOKEN",
                    "must differ from SHOPSYNC_ADMIN_TOKEN (it may only read stock and manage holds)");
        bad = 1;
    }
    if (!cfg->has_secret_key) {
        add_problem(err, errlen, "%s: %s\n", "SHOPSYNC_SECRET_KEY", "is required to serve (64 hex characters; encrypts tokens at rest)");
        bad = 1;
    }
    size_t el = strlen(err);
    if (el && err[el - 1] == '\n')
        err[el - 1] = '\0';
    return bad ? -1 : 0;
}

int config_stripe_read_rate(const config_t *cfg)
{
    if (cfg->stripe_read_rate_limit > 0)
        return cfg->stripe_read_rate_limit;
    /* Stripe allows about 100 read requests/s to live-mode keys and 25 to
     * test-mode keys. */
    const char *k = cfg->stripe_secret_key;
    return strncmp(k, "sk_live_", 8) == 0 || strncmp(k, "rk_live_", 8) == 0 ? 100 : 25;
}

int config_load_serve(config_t *cfg, char *err, size_t errlen)
{
    char serve[1024];
    int bad = config_load(cfg, err, errlen) != 0;
    if (config_check_serve(cfg, serve, sizeof(serve)) != 0) {
        for (char *line = serve; *line;) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            char *colon = strchr(line, ':');
            char name[64];
            snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - line) : 0, line);
            /* A variable config_load found malformed is named once. */
            if (!named(err, name)) {
                size_t used = strlen(err);
                if (used + 1 < errlen)
                    snprintf(err + used, errlen - used, "%s%s", used ? "\n" : "", line);
                bad = 1;
            }
            if (!nl)
                break;
            line = nl + 1;
        }
    }
    return bad ? -1 : 0;
}

int config_tiktok_configured(const config_t *cfg)
{
    return cfg->tiktok_app_key[0] && cfg->tiktok_app_secret[0] && cfg->tiktok_service_id[0];
}

int config_tiktok_missing(const config_t *cfg, char *out, size_t cap)
{
    const struct {
        const char *name;
        const char *value;
    } vars[] = {{"TIKTOK_SHOP_APP_KEY", cfg->tiktok_app_key},
                {"TIKTOK_SHOP_APP_SECRET", cfg->tiktok_app_secret},
                {"TIKTOK_SHOP_SERVICE_ID", cfg->tiktok_service_id}};
    int n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        if (vars[i].value[0])
            continue;
        size_t used = strlen(out);
        if (used + 1 < cap)
            snprintf(out + used, cap - used, "%s%s", n ? ", " : "", vars[i].name);
        n++;
    }
    return n;
}
