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
    {"GET", "/api/stock/{}", ROUTE_PUBLIC, route_public_stock},

    {"POST", "/api/admin/login", ROUTE_JSON_BODY, route_login},
    {"POST", "/api/admin/logout", ROUTE_PUBLIC, route_logout},
    {"GET", "/api/admin/session", ROUTE_PUBLIC, route_session},

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
    {0, 0, 0, 0}};

const route_t *routes_table(void)
{
    return table;
}
