/*
 * routes — the one route table: every URL the service answers, its method,
 * whether it needs the admin, and the handler. Read this first to find any
 * behaviour.
 */
#include "routes.h"

static const route_t table[] = {
    {"GET", "/healthz", ROUTE_PUBLIC, route_healthz},
    {"GET", "/readyz", ROUTE_PUBLIC, route_readyz},
    {"GET", "/", ROUTE_PUBLIC, route_root},
    {"GET", "/admin/tiktok-shop", ROUTE_PUBLIC, route_admin_page},
    {"GET", "/static/{}", ROUTE_PUBLIC, route_static},
    {"GET", "/static/vendor/{}", ROUTE_PUBLIC, route_static_vendor},
    {"GET", "/static/js/{}", ROUTE_PUBLIC, route_static_js},
    {"GET", "/favicon.ico", ROUTE_PUBLIC, route_favicon},
    {"GET", "/api/stock/{}", ROUTE_PUBLIC, route_public_stock},
    {"POST", "/api/holds", ROUTE_STOREFRONT | ROUTE_JSON_BODY, route_hold_create},
    {"GET", "/api/holds/{}", ROUTE_STOREFRONT, route_hold_get},
    {"DELETE", "/api/holds/{}", ROUTE_STOREFRONT, route_hold_delete},
    {"GET", "/tiktok-attribution.js", ROUTE_PUBLIC, route_attribution_script},

    {"POST", "/api/admin/login", ROUTE_JSON_BODY, route_login},
    {"POST", "/api/admin/logout", ROUTE_PUBLIC, route_logout},
    {"GET", "/api/admin/session", ROUTE_PUBLIC, route_session},
    {"GET", "/api/admin/session/check", ROUTE_PUBLIC, route_session_check},

    {"GET", "/api/admin/products", ROUTE_ADMIN, route_products_list},
    {"POST", "/api/admin/products/import", ROUTE_ADMIN | ROUTE_JSON_BODY, route_products_import},
    {"GET", "/api/admin/products/{}", ROUTE_ADMIN, route_product_get},
    {"PUT", "/api/admin/products/{}", ROUTE_ADMIN | ROUTE_JSON_BODY, route_product_put},
    {"DELETE", "/api/admin/products/{}", ROUTE_ADMIN, route_product_delete},
    {"GET", "/api/admin/stock/{}", ROUTE_ADMIN, route_stock_get},
    {"POST", "/api/admin/stock/{}", ROUTE_ADMIN | ROUTE_JSON_BODY, route_stock_post},
    {"GET", "/api/admin/activity", ROUTE_ADMIN, route_activity},
    {"GET", "/api/admin/oversells", ROUTE_ADMIN, route_oversells},
    {"GET", "/api/admin/unmatched", ROUTE_ADMIN, route_unmatched},
    {"GET", "/api/admin/rules", ROUTE_ADMIN, route_rules_get},
    {"PUT", "/api/admin/rules", ROUTE_ADMIN | ROUTE_JSON_BODY, route_rules_put},
    {"PUT", "/api/admin/rules/{}", ROUTE_ADMIN | ROUTE_JSON_BODY, route_rule_put},
    {"DELETE", "/api/admin/rules/{}", ROUTE_ADMIN, route_rule_delete},

    {"GET", "/api/admin/tiktok/auth", ROUTE_ADMIN, route_tiktok_auth},
    /* The callback arrives by a redirect from TikTok, which does not carry
     * the SameSite=Strict session cookie; the single-use state protects it. */
    {"GET", "/api/admin/tiktok/callback", ROUTE_PUBLIC, route_tiktok_callback},
    {"GET", "/api/admin/tiktok/sync", ROUTE_ADMIN, route_tiktok_status},
    {"POST", "/api/admin/tiktok/sync", ROUTE_ADMIN, route_tiktok_sync_start},
    {"GET", "/api/admin/tiktok/sync/{}", ROUTE_ADMIN, route_tiktok_sync_job},
    {"POST", "/api/admin/tiktok/disconnect", ROUTE_ADMIN, route_tiktok_disconnect},

    {"POST", "/api/tiktok/webhook", ROUTE_RAW_BODY, route_tiktok_webhook},
    {"POST", "/api/stripe/webhook", ROUTE_RAW_BODY, route_stripe_webhook},

    {"GET", "/api/admin/ads/connection", ROUTE_ADMIN, route_ads_connection_get},
    {"PUT", "/api/admin/ads/connection", ROUTE_ADMIN | ROUTE_JSON_BODY, route_ads_connection_put},
    {"DELETE", "/api/admin/ads/connection", ROUTE_ADMIN, route_ads_connection_delete},
    {"GET", "/api/admin/ads/events", ROUTE_ADMIN, route_ads_overview},
    /* A CSV file or a JSON array: the handler reads the type. */
    {"POST", "/api/admin/ads/offline-events", ROUTE_ADMIN | ROUTE_RAW_BODY, route_ads_offline},
    {"GET", "/api/admin/ads/oauth/start", ROUTE_ADMIN, route_ads_oauth_start},
    /* TikTok's redirect: protected by the single-use state, not the
     * session (a cross-site navigation carries no SameSite=Strict cookie). */
    {"GET", "/api/admin/ads/oauth/callback", ROUTE_PUBLIC, route_ads_oauth_callback},
    {"POST", "/api/admin/ads/oauth/disconnect", ROUTE_ADMIN, route_ads_oauth_disconnect},
    {"GET", "/api/admin/ads/account", ROUTE_ADMIN, route_ads_account_get},
    {"PUT", "/api/admin/ads/account", ROUTE_ADMIN | ROUTE_JSON_BODY, route_ads_account_put},
    {"POST", "/api/admin/ads/spend/sync", ROUTE_ADMIN, route_ads_spend_sync_start},
    {"GET", "/api/admin/ads/spend/sync/{}", ROUTE_ADMIN, route_ads_spend_sync_job},
    {"GET", "/api/admin/audiences", ROUTE_ADMIN, route_audiences_list},
    {"POST", "/api/admin/audiences", ROUTE_ADMIN | ROUTE_JSON_BODY, route_audience_create},
    {"GET", "/api/admin/audiences/{}", ROUTE_ADMIN, route_audience_get},
    {"PUT", "/api/admin/audiences/{}", ROUTE_ADMIN | ROUTE_JSON_BODY, route_audience_put},
    {"DELETE", "/api/admin/audiences/{}", ROUTE_ADMIN, route_audience_delete},
    {"POST", "/api/admin/audiences/{}/sync", ROUTE_ADMIN, route_audience_sync},
    {"DELETE", "/api/admin/customers", ROUTE_ADMIN, route_customer_erase},
    {"GET", "/api/admin/reports/daily", ROUTE_ADMIN, route_report_daily},
    {"GET", "/api/admin/reports/campaigns", ROUTE_ADMIN, route_report_campaigns},
    /* The store's backend: admin or storefront token, checked by the handler. */
    {"POST", "/api/events", ROUTE_JSON_BODY, route_events_post},
    {"POST", "/api/events/batch", ROUTE_JSON_BODY, route_events_batch},

    {"GET", "/api/admin/dlq", ROUTE_ADMIN, route_dlq_list},
    {"POST", "/api/admin/dlq/replay", ROUTE_ADMIN | ROUTE_JSON_BODY, route_dlq_replay},
    {"GET", "/api/admin/reconcile", ROUTE_ADMIN, route_reconcile_get},
    {"POST", "/api/admin/reconcile", ROUTE_ADMIN | ROUTE_JSON_BODY, route_reconcile_post},
    {"GET", "/metrics", ROUTE_PUBLIC, route_metrics},
    {0, 0, 0, 0}};

const route_t *routes_table(void)
{
    return table;
}
