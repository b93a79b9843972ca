/*
 * api_order — Open API order calls: Get Order Detail and Search Orders over
 * the orders the sandbox's simulated buyers placed, and for Search Orders
 * the generated past orders (history.c).
 */
#include <stdio.h>
#include <string.h>

#include "sandbox.h"
#include "store.h"

#define MAX_DETAIL_IDS 50

int sb_api_order_detail(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    const char *ids = sb_params_get(&r->query, "ids");
    char id[SB_ARG_LEN];
    size_t n = 0;

    if (!ids || !*ids)
        return sb_api_fail(r, 200, SB_E_PARAM, "ids: required, comma-separated order ids");
    for (const char *p = ids; *p; p++)
        n += *p == ',';
    if (n + 1 > MAX_DETAIL_IDS)
        return sb_api_fail(r, 200, SB_E_PARAM, "ids: at most %d order ids per call",
                           MAX_DETAIL_IDS);
    json_t *orders = json_array();
    sb_store_lock(s);
    for (const char *p = ids; *p;) {
        size_t len = strcspn(p, ",");
        if (len > 0 && len < sizeof(id)) {
            memcpy(id, p, len);
            id[len] = '\0';
            /* Unknown ids are simply absent from the reply. */
            json_t *o = sb_store_order(s, id);
            if (o)
                json_array_append_new(orders, json_deep_copy(o));
        }
        p += len + (p[len] == ',');
    }
    sb_store_unlock(s);
    return sb_api_ok(r, json_pack("{s:o}", "orders", orders));
}

/* 1 when order o (borrowed) has update_time in [ge, lt) and, when status
 * (borrowed) is not NULL, that status. */
static int matches(const json_t *o, long long ge, long long lt, const char *status)
{
    long long ut = json_integer_value(json_object_get(o, "update_time"));
    return ut >= ge && ut < lt &&
           (!status || strcmp(status, json_string_value(json_object_get(o, "status"))) == 0);
}

int sb_api_order_search(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    sb_err_t e = {0};
    size_t size, offset, total = 0;
    char err[256];
    json_t *body = NULL;
    long long ge, lt;

    if (sb_page_params(r, &size, &offset, &e) != 0)
        return sb_api_err(r, &e);
    if (sb_req_object(r, &body, err, sizeof(err)) != 0)
        return sb_api_fail(r, 200, SB_E_PARAM, "invalid request body: %s", err);
    const char *status = json_string_value(json_object_get(body, "order_status"));
    if (sb_json_int(body, "update_time_ge", 0, 0, 1LL << 40, &ge, err, sizeof(err)) != 0 ||
        sb_json_int(body, "update_time_lt", 1LL << 40, 0, 1LL << 40, &lt, err, sizeof(err)) != 0) {
        json_decref(body);
        return sb_api_fail(r, 200, SB_E_PARAM, "%s", err);
    }
    json_t *items = json_array();
    /* The generated past orders come after the live ones (all older). */
    json_t *past = json_array();
    sb_history_orders(r->app->cfg, past);
    sb_store_lock(s);
    /* Newest first, as the real API sorts by create_time descending. */
    for (size_t i = json_array_size(s->orders); i-- > 0;) {
        json_t *o = json_array_get(s->orders, i);
        if (!matches(o, ge, lt, status))
            continue;
        if (total >= offset && total < offset + size)
            json_array_append_new(items, json_deep_copy(o));
        total++;
    }
    sb_store_unlock(s);
    size_t i;
    json_t *o;
    json_array_foreach(past, i, o) {
        if (!matches(o, ge, lt, status))
            continue;
        if (total >= offset && total < offset + size)
            json_array_append(items, o);
        total++;
    }
    json_decref(past);
    json_decref(body);
    char next[24];
    sb_page_token(size, offset, total, next, sizeof(next));
    return sb_api_ok(r, json_pack("{s:o,s:s,s:I}", "orders", items, "next_page_token", next,
                                  "total_count", (json_int_t)total));
}
