/*
 * reconcile — compare every mapped SKU's TikTok quantity (Inventory Search)
 * with the projection of store stock, report drift, and with repair push the
 * projection. The last report is kept for the admin API.
 *
 * Redis: P reconcile:last (JSON report), P reconcile:lock.
 */
#ifndef SHOPSYNC_RECONCILE_H
#define SHOPSYNC_RECONCILE_H

#include <jansson.h>

#include "shopsync/config.h"
#include "shopsync/connection.h"
#include "shopsync/redis.h"

/* Run one reconciliation; *report (new) is
 * {"ts","checked","drift":[{"sku","store","projection","tiktok"}],"repaired","repair",
 *  "errors":[{"error"} for a failed TikTok read, {"sku","error"} for a repair not sent]}.
 * A repair pushes each drifted SKU's projection at once (waiting briefly for a
 * push worker holding its lock); one not sent stays marked for the push workers.
 * Returns 0, 1 when the shop is not connected, -1 on failure. */
int reconcile_run(const config_t *cfg, redis_conn_t *r, connection_t *conn, int repair, json_t **report);

/* The last stored report (new) or NULL in *out. Returns 0 or -1. */
int reconcile_last(redis_conn_t *r, json_t **out);

#endif
