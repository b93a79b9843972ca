/*
 * service — background threads of `shopsync serve` and the CLI commands
 * built on the same domain code.
 */
#include "service.h"

#include <stdio.h>
#include <string.h>

int service_start(app_t *app, char *err, size_t errlen)
{
    (void)app;
    (void)err;
    (void)errlen;
    return 0;
}

void service_stop(app_t *app)
{
    (void)app;
}

int service_status(const config_t *cfg, redis_conn_t *r, json_t **out)
{
    (void)r;
    *out = json_pack("{s:b,s:b}", "configured", config_tiktok_configured(cfg), "connected", 0);
    return 0;
}

int service_command(const config_t *cfg, redis_conn_t *r, const char *cmd, int argc, char **argv)
{
    (void)cfg;
    (void)r;
    (void)argc;
    (void)argv;
    fprintf(stderr, "shopsync %s: not available in this build\n", cmd);
    return 1;
}
