/*
 * Unit tests for config: defaults, every malformed variable named in the
 * error, several problems at once, the serve-only checks, and env files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shopsync/config.h"

extern char **environ;

#define GOOD_KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static char errbuf[4096];

/* Remove every variable config reads (and any left over by another test). */
static int clear_env(void **state)
{
    (void)state;
    static const char *const prefixes[] = {"SHOPSYNC_", "REDIS_URL", "TIKTOK_", "STRIPE_", "SSTEST_", NULL};
    for (;;) {
        char name[256] = "";
        for (char **e = environ; e && *e && !name[0]; e++) {
            for (int i = 0; prefixes[i]; i++) {
                if (strncmp(*e, prefixes[i], strlen(prefixes[i])) == 0) {
                    const char *eq = strchr(*e, '=');
                    size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
                    if (n >= sizeof(name))
                        n = sizeof(name) - 1;
                    memcpy(name, *e, n);
                    name[n] = '\0';
                    break;
                }
            }
        }
        if (!name[0])
            break;
        unsetenv(name);
    }
    return 0;
}

static config_t *load_ok(void)
{
    config_t *cfg = calloc(1, sizeof(*cfg));
    assert_non_null(cfg);
    errbuf[0] = 'x';
    int rc = config_load(cfg, errbuf, sizeof(errbuf));
    if (rc != 0)
        fail_msg("config_load failed: %s", errbuf);
    assert_string_equal(errbuf, "");
    return cfg;
}

/* config_load must fail and the error must mention every name given. */
static void load_fails_naming(const char *first, ...)
{
    config_t *cfg = calloc(1, sizeof(*cfg));
    assert_non_null(cfg);
    int rc = config_load(cfg, errbuf, sizeof(errbuf));
    free(cfg);
    if (rc != -1)
        fail_msg("config_load accepted a bad value of %s", first);
    va_list ap;
    va_start(ap, first);
    for (const char *n = first; n; n = va_arg(ap, const char *)) {
        if (!strstr(errbuf, n))
            fail_msg("error does not name %s: %s", n, errbuf);
    }
    va_end(ap);
}

/* Every default as documented in README.md's configuration table. */
static void test_defaults(void **state)
{
    (void)state;
    config_t *cfg = load_ok();
    assert_string_equal(cfg->listen, "127.0.0.1:8080");
    assert_string_equal(cfg->public_url, "http://localhost:8080");
    assert_string_equal(cfg->admin_token, "");
    assert_int_equal(cfg->has_secret_key, 0);
    char want[4096], cwd[2048];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(want, sizeof(want), "%s/var", cwd);
    assert_string_equal(cfg->data_dir, want); /* ./var, made absolute */
    assert_int_equal(cfg->workers, 32);
    assert_int_equal(cfg->http_threads, 32);
    assert_int_equal(cfg->http_keepalive_ms, 500);
    assert_int_equal(cfg->stock_buffer, 0);
    assert_string_equal(cfg->redis_url, "");
    assert_string_equal(cfg->redis_prefix, "shopsync:");
    assert_string_equal(cfg->log_level, "info");
    assert_int_equal(cfg->reconcile_interval, 900);
    assert_int_equal(cfg->max_attempts, 8); /* README: SHOPSYNC_MAX_ATTEMPTS default 8 */
    assert_int_equal(cfg->push_interval_ms, 100);
    assert_int_equal(cfg->tiktok_rate_limit, 50);
    assert_int_equal(cfg->sync_concurrency, 16); /* README: SHOPSYNC_SYNC_CONCURRENCY default 16 */
    assert_string_equal(cfg->package_weight, "1");
    assert_string_equal(cfg->package_weight_unit, "POUND");
    assert_string_equal(cfg->package_dimensions, "10x10x10");
    assert_string_equal(cfg->package_dimension_unit, "INCH");
    assert_string_equal(cfg->tiktok_app_key, "");
    assert_string_equal(cfg->tiktok_app_secret, "");
    assert_string_equal(cfg->tiktok_service_id, "");
    assert_string_equal(cfg->tiktok_authorize_url, "https://services.tiktokshop.com/open/authorize");
    assert_string_equal(cfg->tiktok_auth_base, "https://auth.tiktok-shops.com");
    assert_string_equal(cfg->tiktok_api_base, "https://open-api.tiktokglobalshop.com");
    assert_string_equal(cfg->tiktok_category_id, "");
    assert_string_equal(cfg->tiktok_warehouse_id, "");
    assert_string_equal(cfg->stripe_webhook_secret, "");
    assert_string_equal(cfg->stripe_secret_key, "");
    assert_string_equal(cfg->stripe_api_base, "https://api.stripe.com");
    assert_int_equal(config_tiktok_configured(cfg), 0);
    free(cfg);
}

static void test_values_from_environment(void **state)
{
    (void)state;
    setenv("SHOPSYNC_LISTEN", "0.0.0.0:9090", 1);
    setenv("SHOPSYNC_PUBLIC_URL", "https://shop.example.com//", 1);
    setenv("SHOPSYNC_ADMIN_TOKEN", "a-long-enough-admin-token", 1);
    setenv("SHOPSYNC_SECRET_KEY", GOOD_KEY, 1);
    setenv("SHOPSYNC_DATA_DIR", "/srv/shopsync", 1);
    setenv("SHOPSYNC_WORKERS", "64", 1);
    setenv("SHOPSYNC_SYNC_CONCURRENCY", "1", 1);
    setenv("SHOPSYNC_STOCK_BUFFER", "3", 1);
    setenv("REDIS_URL", "redis://:pw@10.0.0.5:6380/2", 1);
    setenv("TIKTOK_SHOP_APP_KEY", "k", 1);
    setenv("TIKTOK_SHOP_APP_SECRET", "s", 1);
    setenv("TIKTOK_SHOP_SERVICE_ID", "7100000000000000001", 1);
    setenv("TIKTOK_SHOP_API_BASE", "http://127.0.0.1:1234/", 1);
    config_t *cfg = load_ok();
    assert_string_equal(cfg->listen, "0.0.0.0:9090");
    assert_string_equal(cfg->public_url, "https://shop.example.com");
    assert_string_equal(cfg->admin_token, "a-long-enough-admin-token");
    assert_int_equal(cfg->has_secret_key, 1);
    assert_int_equal(cfg->secret_key[0], 0x00);
    assert_int_equal(cfg->secret_key[1], 0x11);
    assert_int_equal(cfg->secret_key[31], 0xff);
    assert_string_equal(cfg->data_dir, "/srv/shopsync");
    assert_int_equal(cfg->workers, 64);
    assert_int_equal(cfg->sync_concurrency, 1);
    assert_int_equal(cfg->stock_buffer, 3);
    assert_string_equal(cfg->redis_url, "redis://:pw@10.0.0.5:6380/2");
    assert_string_equal(cfg->tiktok_api_base, "http://127.0.0.1:1234");
    assert_int_equal(config_tiktok_configured(cfg), 1);
    free(cfg);

    /* an empty integer variable means the default */
    setenv("SHOPSYNC_WORKERS", "", 1);
    cfg = load_ok();
    assert_int_equal(cfg->workers, 32);
    free(cfg);

    setenv("REDIS_URL", "unix:///run/redis/redis.sock", 1);
    cfg = load_ok();
    assert_string_equal(cfg->redis_url, "unix:///run/redis/redis.sock");
    free(cfg);
}

static void test_bad_workers(void **state)
{
    (void)state;
    static const char *const bad[] = {"abc", "0", "65", "-1", "4x", " 4x", "1e2", "99999999999999999999", NULL};
    for (int i = 0; bad[i]; i++) {
        setenv("SHOPSYNC_WORKERS", bad[i], 1);
        load_fails_naming("SHOPSYNC_WORKERS", "from 1 to 64", NULL);
    }
}

static void test_bad_other_integers(void **state)
{
    (void)state;
    setenv("SHOPSYNC_STOCK_BUFFER", "-1", 1);
    load_fails_naming("SHOPSYNC_STOCK_BUFFER", NULL);
    unsetenv("SHOPSYNC_STOCK_BUFFER");
    setenv("SHOPSYNC_HTTP_THREADS", "1", 1);
    load_fails_naming("SHOPSYNC_HTTP_THREADS", NULL);
    unsetenv("SHOPSYNC_HTTP_THREADS");
    setenv("SHOPSYNC_HTTP_KEEPALIVE_MS", "60001", 1);
    load_fails_naming("SHOPSYNC_HTTP_KEEPALIVE_MS", "from 0 to 60000", NULL);
    setenv("SHOPSYNC_HTTP_KEEPALIVE_MS", "0", 1);
    config_t *cfg = load_ok();
    assert_int_equal(cfg->http_keepalive_ms, 0);
    free(cfg);
    unsetenv("SHOPSYNC_HTTP_KEEPALIVE_MS");
    setenv("SHOPSYNC_MAX_ATTEMPTS", "many", 1);
    load_fails_naming("SHOPSYNC_MAX_ATTEMPTS", NULL);
    unsetenv("SHOPSYNC_MAX_ATTEMPTS");
    static const char *const bad_concurrency[] = {"0", "65", "many", NULL};
    for (int i = 0; bad_concurrency[i]; i++) {
        setenv("SHOPSYNC_SYNC_CONCURRENCY", bad_concurrency[i], 1);
        load_fails_naming("SHOPSYNC_SYNC_CONCURRENCY", "from 1 to 64", NULL);
    }
    setenv("SHOPSYNC_SYNC_CONCURRENCY", "64", 1);
    cfg = load_ok();
    assert_int_equal(cfg->sync_concurrency, 64);
    free(cfg);
}

static void test_bad_secret_key(void **state)
{
    (void)state;
    /* 63 characters, 65 characters, a non-hex character, a 32-char key */
    static const char *const bad[] = {
        "0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        "000112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        "g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        "00112233445566778899aabbccddeeff",
        "not-a-key",
        NULL};
    for (int i = 0; bad[i]; i++) {
        setenv("SHOPSYNC_SECRET_KEY", bad[i], 1);
        load_fails_naming("SHOPSYNC_SECRET_KEY", "64 hex", NULL);
    }
    /* upper-case hex is hex */
    setenv("SHOPSYNC_SECRET_KEY", "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF", 1);
    config_t *cfg = load_ok();
    assert_int_equal(cfg->has_secret_key, 1);
    assert_int_equal(cfg->secret_key[15], 0xff);
    free(cfg);
}

static void test_bad_redis_url(void **state)
{
    (void)state;
    static const char *const bad[] = {"http://127.0.0.1:6379", "127.0.0.1:6379", "rediss://x", NULL};
    for (int i = 0; bad[i]; i++) {
        setenv("REDIS_URL", bad[i], 1);
        load_fails_naming("REDIS_URL", "redis://", NULL);
    }
}

static void test_bad_listen(void **state)
{
    (void)state;
    setenv("SHOPSYNC_LISTEN", "8080", 1);
    load_fails_naming("SHOPSYNC_LISTEN", "host:port", NULL);
    setenv("SHOPSYNC_LISTEN", "localhost", 1);
    load_fails_naming("SHOPSYNC_LISTEN", NULL);
}

/* host:port with a port that is not a port is just as malformed as a
 * missing colon and must be named at start, not surface later as a civetweb
 * listen failure. */
static void test_bad_listen_port(void **state)
{
    (void)state;
    static const char *const bad[] = {"127.0.0.1:", "127.0.0.1:http", "127.0.0.1:99999", "127.0.0.1:80x", NULL};
    for (int i = 0; bad[i]; i++) {
        setenv("SHOPSYNC_LISTEN", bad[i], 1);
        config_t *cfg = calloc(1, sizeof(*cfg));
        assert_non_null(cfg);
        int rc = config_load(cfg, errbuf, sizeof(errbuf));
        free(cfg);
        if (rc != -1 || !strstr(errbuf, "SHOPSYNC_LISTEN"))
            fail_msg("SHOPSYNC_LISTEN=%s was accepted (rc %d, err \"%s\")", bad[i], rc, errbuf);
    }
}

static void test_bad_public_url_and_package(void **state)
{
    (void)state;
    setenv("SHOPSYNC_PUBLIC_URL", "shop.example.com", 1);
    load_fails_naming("SHOPSYNC_PUBLIC_URL", "http://", NULL);
    unsetenv("SHOPSYNC_PUBLIC_URL");
    setenv("SHOPSYNC_PACKAGE_WEIGHT", "0", 1);
    load_fails_naming("SHOPSYNC_PACKAGE_WEIGHT", NULL);
    unsetenv("SHOPSYNC_PACKAGE_WEIGHT");
    setenv("SHOPSYNC_PACKAGE_DIMENSIONS", "10x10", 1);
    load_fails_naming("SHOPSYNC_PACKAGE_DIMENSIONS", NULL);
    setenv("SHOPSYNC_PACKAGE_DIMENSIONS", "10x10x10cm", 1);
    load_fails_naming("SHOPSYNC_PACKAGE_DIMENSIONS", NULL);
}

/* The weight goes to TikTok Shop as given; "2kg" is not a number even if
 * strtod reads a 2 from its start (the dimensions are checked strictly). */
static void test_package_weight_is_a_number(void **state)
{
    (void)state;
    static const char *const bad[] = {"2kg", "1.5 lb", "abc", NULL};
    for (int i = 0; bad[i]; i++) {
        setenv("SHOPSYNC_PACKAGE_WEIGHT", bad[i], 1);
        config_t *cfg = calloc(1, sizeof(*cfg));
        assert_non_null(cfg);
        int rc = config_load(cfg, errbuf, sizeof(errbuf));
        free(cfg);
        if (rc != -1 || !strstr(errbuf, "SHOPSYNC_PACKAGE_WEIGHT"))
            fail_msg("SHOPSYNC_PACKAGE_WEIGHT=%s was accepted (rc %d, err \"%s\")", bad[i], rc, errbuf);
    }
    setenv("SHOPSYNC_PACKAGE_WEIGHT", "2.25", 1);
    config_t *cfg = load_ok();
    assert_string_equal(cfg->package_weight, "2.25");
    free(cfg);
}

static void test_too_long_value(void **state)
{
    (void)state;
    char longv[700];
    memset(longv, 'a', sizeof(longv) - 1);
    longv[sizeof(longv) - 1] = '\0';
    memcpy(longv, "https://", 8);
    setenv("SHOPSYNC_PUBLIC_URL", longv, 1);
    load_fails_naming("SHOPSYNC_PUBLIC_URL", "too long", NULL);
}

static void test_several_problems_at_once(void **state)
{
    (void)state;
    setenv("SHOPSYNC_WORKERS", "lots", 1);
    setenv("SHOPSYNC_SECRET_KEY", "abc", 1);
    setenv("REDIS_URL", "mysql://db", 1);
    setenv("SHOPSYNC_LISTEN", "nocolon", 1);
    load_fails_naming("SHOPSYNC_WORKERS", "SHOPSYNC_SECRET_KEY", "REDIS_URL", "SHOPSYNC_LISTEN", NULL);
    /* one line per problem, no trailing newline */
    int lines = 1;
    for (const char *p = errbuf; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 4);
    assert_true(errbuf[strlen(errbuf) - 1] != '\n');
    /* variables that are fine are not mentioned */
    assert_null(strstr(errbuf, "SHOPSYNC_PUBLIC_URL"));
    assert_null(strstr(errbuf, "SHOPSYNC_STOCK_BUFFER"));
}

static void test_check_serve(void **state)
{
    (void)state;
    config_t *cfg = load_ok();
    assert_int_equal(config_check_serve(cfg, errbuf, sizeof(errbuf)), -1);
    assert_non_null(strstr(errbuf, "SHOPSYNC_ADMIN_TOKEN"));
    assert_non_null(strstr(errbuf, "SHOPSYNC_SECRET_KEY"));
    free(cfg);

    setenv("SHOPSYNC_ADMIN_TOKEN", "a-long-enough-admin-token", 1);
    cfg = load_ok();
    assert_int_equal(config_check_serve(cfg, errbuf, sizeof(errbuf)), -1);
    assert_null(strstr(errbuf, "SHOPSYNC_ADMIN_TOKEN"));
    assert_non_null(strstr(errbuf, "SHOPSYNC_SECRET_KEY"));
    free(cfg);

    setenv("SHOPSYNC_SECRET_KEY", GOOD_KEY, 1);
    cfg = load_ok();
    errbuf[0] = 'x';
    assert_int_equal(config_check_serve(cfg, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(errbuf, "");
    free(cfg);

    /* a guessable token is refused */
    setenv("SHOPSYNC_ADMIN_TOKEN", "short", 1);
    cfg = load_ok();
    assert_int_equal(config_check_serve(cfg, errbuf, sizeof(errbuf)), -1);
    assert_non_null(strstr(errbuf, "SHOPSYNC_ADMIN_TOKEN"));
    assert_null(strstr(errbuf, "SHOPSYNC_SECRET_KEY"));
    free(cfg);

    unsetenv("SHOPSYNC_ADMIN_TOKEN");
    cfg = load_ok();
    assert_int_equal(config_check_serve(cfg, errbuf, sizeof(errbuf)), -1);
    assert_non_null(strstr(errbuf, "SHOPSYNC_ADMIN_TOKEN"));
    assert_null(strstr(errbuf, "SHOPSYNC_SECRET_KEY"));
    free(cfg);
}

/* Write text to a new temporary file; path receives its name. */
static void write_tmp(char *path, size_t cap, const char *text)
{
    snprintf(path, cap, "/tmp/shopsync-test-env-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
}

static void test_env_file(void **state)
{
    (void)state;
    char path[64];
    write_tmp(path, sizeof(path),
              "# shopsync settings\n"
              "   # an indented comment\n"
              "\n"
              "   \n"
              "export SHOPSYNC_WORKERS=7\n"
              "SHOPSYNC_PUBLIC_URL=\"https://shop.example.com/\"\n"
              "SHOPSYNC_DATA_DIR='/srv/shop data'\n"
              "SHOPSYNC_LISTEN=0.0.0.0:9000\n"
              "SHOPSYNC_ADMIN_TOKEN=abc=def=ghi-0123456789\n"
              "SHOPSYNC_STOCK_BUFFER=2\r\n"
              "SSTEST_MISMATCHED=\"half'\n"
              "SSTEST_EMPTY=\n"
              "SSTEST_HASH=value#not-a-comment\n");
    /* the real environment wins over the file */
    setenv("SHOPSYNC_LISTEN", "127.0.0.1:7000", 1);
    errbuf[0] = '\0';
    assert_int_equal(config_load_env_file(path, errbuf, sizeof(errbuf)), 0);
    unlink(path);
    assert_string_equal(getenv("SHOPSYNC_WORKERS"), "7");
    assert_string_equal(getenv("SHOPSYNC_PUBLIC_URL"), "https://shop.example.com/");
    assert_string_equal(getenv("SHOPSYNC_DATA_DIR"), "/srv/shop data");
    assert_string_equal(getenv("SHOPSYNC_LISTEN"), "127.0.0.1:7000");
    assert_string_equal(getenv("SHOPSYNC_ADMIN_TOKEN"), "abc=def=ghi-0123456789");
    assert_string_equal(getenv("SHOPSYNC_STOCK_BUFFER"), "2");
    assert_string_equal(getenv("SSTEST_MISMATCHED"), "\"half'");
    assert_non_null(getenv("SSTEST_EMPTY"));
    assert_string_equal(getenv("SSTEST_EMPTY"), "");
    assert_string_equal(getenv("SSTEST_HASH"), "value#not-a-comment");
    assert_null(getenv("export SHOPSYNC_WORKERS"));

    config_t *cfg = load_ok();
    assert_int_equal(cfg->workers, 7);
    assert_string_equal(cfg->public_url, "https://shop.example.com");
    assert_string_equal(cfg->data_dir, "/srv/shop data");
    assert_string_equal(cfg->listen, "127.0.0.1:7000");
    assert_int_equal(cfg->stock_buffer, 2);
    free(cfg);
}

static void test_env_file_malformed_line(void **state)
{
    (void)state;
    char path[64], want[96];
    write_tmp(path, sizeof(path),
              "# first\n"
              "SHOPSYNC_WORKERS=3\n"
              "this line has no equals sign\n"
              "SHOPSYNC_STOCK_BUFFER=9\n");
    assert_int_equal(config_load_env_file(path, errbuf, sizeof(errbuf)), -1);
    snprintf(want, sizeof(want), "%s:3", path);
    if (!strstr(errbuf, want))
        fail_msg("error does not name %s: %s", want, errbuf);
    unlink(path);

    write_tmp(path, sizeof(path), "\n\n\n\n=value\n");
    assert_int_equal(config_load_env_file(path, errbuf, sizeof(errbuf)), -1);
    snprintf(want, sizeof(want), "%s:5", path);
    if (!strstr(errbuf, want))
        fail_msg("error does not name %s: %s", want, errbuf);
    unlink(path);
}

static void test_env_file_missing(void **state)
{
    (void)state;
    assert_int_equal(config_load_env_file("/nonexistent/shopsync.env", errbuf, sizeof(errbuf)), -1);
    assert_non_null(strstr(errbuf, "/nonexistent/shopsync.env"));
}

/* A relative SHOPSYNC_DATA_DIR names the same place from any process: the
 * embedded redis-server changes directory to it before opening its log. */
static void test_data_dir_made_absolute(void **state)
{
    (void)state;
    char cwd[2048], want[4096];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    static const char *const cases[][2] = {
        {"var", "/var"}, {"./var", "/var"}, {".//x/./y", "/x/./y"}, {"./", ""}, {".", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setenv("SHOPSYNC_DATA_DIR", cases[i][0], 1);
        config_t *cfg = load_ok();
        snprintf(want, sizeof(want), "%s%s", cwd, cases[i][1]);
        assert_string_equal(cfg->data_dir, want);
        free(cfg);
    }
    setenv("SHOPSYNC_DATA_DIR", "/srv/shopsync", 1);
    config_t *cfg = load_ok();
    assert_string_equal(cfg->data_dir, "/srv/shopsync");
    free(cfg);
}

/* SHOPSYNC_LOG_LEVEL is checked at start like every other variable, and
 * the message says which values are accepted. */
static void test_log_level(void **state)
{
    (void)state;
    setenv("SHOPSYNC_LOG_LEVEL", "loud", 1);
    load_fails_naming("SHOPSYNC_LOG_LEVEL", "debug, info, warn, error", NULL);
    setenv("SHOPSYNC_LOG_LEVEL", "WARN", 1);
    config_t *cfg = load_ok();
    assert_string_equal(cfg->log_level, "WARN");
    free(cfg);
}

/* Without SHOPSYNC_PUBLIC_URL the public address follows the listen port,
 * so the admin page line and the OAuth redirect name the real address. */
static void test_public_url_follows_listen(void **state)
{
    (void)state;
    setenv("SHOPSYNC_LISTEN", "0.0.0.0:9191", 1);
    config_t *cfg = load_ok();
    assert_string_equal(cfg->public_url, "http://localhost:9191");
    free(cfg);
    setenv("SHOPSYNC_PUBLIC_URL", "", 1);
    cfg = load_ok();
    assert_string_equal(cfg->public_url, "http://localhost:9191");
    free(cfg);
    setenv("SHOPSYNC_PUBLIC_URL", "https://shop.example.com/", 1);
    cfg = load_ok();
    assert_string_equal(cfg->public_url, "https://shop.example.com");
    free(cfg);
}

static void test_bad_base_urls(void **state)
{
    (void)state;
    setenv("TIKTOK_SHOP_API_BASE", "open-api.tiktokglobalshop.com", 1);
    setenv("TIKTOK_SHOP_AUTH_BASE", "ftp://auth", 1);
    setenv("TIKTOK_SHOP_AUTHORIZE_URL", "services.tiktokshop.com/open/authorize", 1);
    setenv("STRIPE_API_BASE", "api.stripe.com", 1);
    load_fails_naming("TIKTOK_SHOP_API_BASE", "TIKTOK_SHOP_AUTH_BASE", "TIKTOK_SHOP_AUTHORIZE_URL",
                      "STRIPE_API_BASE", "http://", NULL);
}

/* Serving reports the serve-only problems with every other one, in one
 * message, and a malformed secret key once. */
static void test_load_serve_names_everything(void **state)
{
    (void)state;
    setenv("SHOPSYNC_LOG_LEVEL", "loud", 1);
    setenv("SHOPSYNC_ADMIN_TOKEN", "short", 1);
    setenv("SHOPSYNC_SECRET_KEY", "not-hex", 1);
    setenv("SHOPSYNC_WORKERS", "0", 1);
    config_t *cfg = calloc(1, sizeof(*cfg));
    assert_non_null(cfg);
    assert_int_equal(config_load_serve(cfg, errbuf, sizeof(errbuf)), -1);
    free(cfg);
    static const char *const names[] = {"SHOPSYNC_LOG_LEVEL:", "SHOPSYNC_ADMIN_TOKEN:", "SHOPSYNC_SECRET_KEY:",
                                        "SHOPSYNC_WORKERS:"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *at = strstr(errbuf, names[i]);
        if (!at)
            fail_msg("error does not name %s: %s", names[i], errbuf);
        if (strstr(at + 1, names[i]))
            fail_msg("error names %s twice: %s", names[i], errbuf);
    }
    int lines = 1;
    for (const char *p = errbuf; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 4);
    assert_true(errbuf[strlen(errbuf) - 1] != '\n');

    /* only the serve checks fail */
    unsetenv("SHOPSYNC_LOG_LEVEL");
    unsetenv("SHOPSYNC_WORKERS");
    unsetenv("SHOPSYNC_SECRET_KEY");
    cfg = calloc(1, sizeof(*cfg));
    assert_int_equal(config_load_serve(cfg, errbuf, sizeof(errbuf)), -1);
    assert_non_null(strstr(errbuf, "SHOPSYNC_ADMIN_TOKEN: must be at least 16 characters"));
    assert_non_null(strstr(errbuf, "SHOPSYNC_SECRET_KEY: is required"));
    free(cfg);

    setenv("SHOPSYNC_ADMIN_TOKEN", "a-long-enough-admin-token", 1);
    setenv("SHOPSYNC_SECRET_KEY", GOOD_KEY, 1);
    cfg = calloc(1, sizeof(*cfg));
    assert_int_equal(config_load_serve(cfg, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(errbuf, "");
    free(cfg);
}

static void test_tiktok_missing(void **state)
{
    (void)state;
    char out[256];
    config_t *cfg = load_ok();
    assert_int_equal(config_tiktok_missing(cfg, out, sizeof(out)), 3);
    assert_string_equal(out, "TIKTOK_SHOP_APP_KEY, TIKTOK_SHOP_APP_SECRET, TIKTOK_SHOP_SERVICE_ID");
    free(cfg);
    setenv("TIKTOK_SHOP_APP_SECRET", "s", 1);
    cfg = load_ok();
    assert_int_equal(config_tiktok_missing(cfg, out, sizeof(out)), 2);
    assert_string_equal(out, "TIKTOK_SHOP_APP_KEY, TIKTOK_SHOP_SERVICE_ID");
    free(cfg);
    setenv("TIKTOK_SHOP_APP_KEY", "k", 1);
    setenv("TIKTOK_SHOP_SERVICE_ID", "1", 1);
    cfg = load_ok();
    assert_int_equal(config_tiktok_missing(cfg, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    free(cfg);
}

#define T(f) cmocka_unit_test_setup(f, clear_env)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_defaults),
        T(test_values_from_environment),
        T(test_bad_workers),
        T(test_bad_other_integers),
        T(test_bad_secret_key),
        T(test_bad_redis_url),
        T(test_bad_listen),
        T(test_bad_listen_port),
        T(test_bad_public_url_and_package),
        T(test_package_weight_is_a_number),
        T(test_too_long_value),
        T(test_several_problems_at_once),
        T(test_check_serve),
        T(test_env_file),
        T(test_env_file_malformed_line),
        T(test_env_file_missing),
        T(test_data_dir_made_absolute),
        T(test_log_level),
        T(test_public_url_follows_listen),
        T(test_bad_base_urls),
        T(test_load_serve_names_everything),
        T(test_tiktok_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
