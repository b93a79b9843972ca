/*
 * routes — the handlers behind the route table (routes.c). Each one parses
 * its input, calls one domain function and renders the result.
 */
#ifndef SHOPSYNC_ROUTES_H
#define SHOPSYNC_ROUTES_H

#include "http_server.h"
#include "shopsync/stock.h"

/* The whole route table (static, zero-terminated). */
const route_t *routes_table(void);

/* routes_public.c */

/* Validate the {} SKU of rq and read its stock into *out. Returns 0, or the
 * HTTP status of the error already sent (400, 404, 503). */
int routes_read_stock(req_t *rq, stock_view_t *out);

int route_healthz(req_t *rq);
int route_readyz(req_t *rq);
int route_public_stock(req_t *rq);
int route_root(req_t *rq);
int route_admin_page(req_t *rq);
int route_static(req_t *rq);
int route_static_vendor(req_t *rq);
int route_static_js(req_t *rq);
int route_favicon(req_t *rq);
int route_attribution_script(req_t *rq);

/* routes_admin.c */
int route_login(req_t *rq);
int route_logout(req_t *rq);
int route_session(req_t *rq);
int route_session_check(req_t *rq);
int route_products_list(req_t *rq);
int route_product_get(req_t *rq);
int route_product_put(req_t *rq);
int route_product_delete(req_t *rq);
int route_products_import(req_t *rq);
int route_stock_get(req_t *rq);
int route_stock_post(req_t *rq);
int route_activity(req_t *rq);
int route_oversells(req_t *rq);
int route_unmatched(req_t *rq);

/* routes_tiktok.c */
int route_tiktok_auth(req_t *rq);
int route_tiktok_callback(req_t *rq);
int route_tiktok_status(req_t *rq);
int route_tiktok_disconnect(req_t *rq);
int route_tiktok_sync_start(req_t *rq);
int route_tiktok_sync_job(req_t *rq);

/* routes_webhooks.c */
int route_tiktok_webhook(req_t *rq);
int route_stripe_webhook(req_t *rq);

/* routes_holds.c */

/* Answer 400 invalid_field with err (borrowed) as the message and fields
 * (stolen: the paths of the bad fields) in the error. */
int routes_reply_fields(req_t *rq, json_t *fields, const char *err);

int route_hold_create(req_t *rq);
int route_hold_get(req_t *rq);
int route_hold_delete(req_t *rq);

/* routes_rules.c */
int route_rules_get(req_t *rq);
int route_rules_put(req_t *rq);
int route_rule_put(req_t *rq);
int route_rule_delete(req_t *rq);
/* routes_ads.c */
int route_ads_connection_get(req_t *rq);
int route_ads_connection_put(req_t *rq);
int route_ads_connection_delete(req_t *rq);
int route_ads_overview(req_t *rq);
int route_ads_offline(req_t *rq);
int route_events_post(req_t *rq);
int route_events_batch(req_t *rq);

/* routes_reports.c */
int route_ads_oauth_start(req_t *rq);
int route_ads_oauth_callback(req_t *rq);
int route_ads_oauth_disconnect(req_t *rq);
int route_ads_account_get(req_t *rq);
int route_ads_account_put(req_t *rq);
int route_ads_spend_sync_start(req_t *rq);
int route_ads_spend_sync_job(req_t *rq);

/* routes_audiences.c */
int route_audiences_list(req_t *rq);
int route_audience_create(req_t *rq);
int route_audience_get(req_t *rq);
int route_audience_put(req_t *rq);
int route_audience_delete(req_t *rq);
int route_audience_sync(req_t *rq);
int route_customer_erase(req_t *rq);
int route_report_daily(req_t *rq);
int route_report_campaigns(req_t *rq);

/* routes_ops.c */
int route_dlq_list(req_t *rq);
int route_dlq_replay(req_t *rq);
int route_reconcile_get(req_t *rq);
int route_reconcile_post(req_t *rq);
int route_metrics(req_t *rq);

#endif
