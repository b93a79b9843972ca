/*
 * cli_jobs — the `shopsync` commands that drive the service's domain code:
 * sync, reconcile, spend-sync, dlq. cli.c parses the command line, loads the
 * configuration and opens Redis, then hands these commands over.
 */
#ifndef SHOPSYNC_CLI_JOBS_H
#define SHOPSYNC_CLI_JOBS_H

#include "shopsync/config.h"
#include "shopsync/redis.h"

/* Run command cmd ("sync", "reconcile", "spend-sync" or "dlq"; anything
 * else is dlq) with its argc arguments argv, on r. cfg, r, cmd and argv are
 * borrowed. Output goes to stdout, errors to stderr. Returns the process
 * exit code: 0, 1 on failure, 2 on bad usage, 3 when reconcile found drift
 * it did not repair. */
int cli_jobs_command(const config_t *cfg, redis_conn_t *r, const char *cmd, int argc, char **argv);

#endif
