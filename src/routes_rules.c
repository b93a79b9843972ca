/*
 * routes_rules — the admin API of channel rules (rules.h): the whole
 * document, and one SKU's rule.
 */
#include <stdio.h>
#include <string.h>

#include "routes.h"
#include "shopsync/catalog_store.h"
#include "shopsync/rules.h"

int route_rules_get(req_t *rq)
{
    json_t *doc = NULL;
    if (rules_get(rq->redis, &doc) != RULES_OK)
        return http_reply_redis_down(rq);
    return http_reply_json(rq, 200, doc);
}

int route_rules_put(req_t *rq)
{
    char err[1024] = "";
    json_t *fields = json_array(), *doc = NULL;
    long long marked = 0;
    if (rules_validate_doc(rq->json, &doc, fields, err, sizeof(err)) != 0)
        return routes_reply_fields(rq, fields, err);
    json_decref(fields);
    rules_rc rc = rules_replace(rq->redis, doc, &marked, err, sizeof(err));
    json_decref(doc);
    if (rc == RULES_NOT_FOUND) {
        /* err names the field first: "skus.SKU: ...". */
        char path[128];
        snprintf(path, sizeof(path), "%.*s", (int)strcspn(err, ":"), err);
        return routes_reply_fields(rq, json_pack("[s]", path), err);
    }
    if (rc != RULES_OK)
        return http_reply_redis_down(rq);
    json_t *out = NULL;
    if (rules_get(rq->redis, &out) != RULES_OK)
        return http_reply_redis_down(rq);
    json_object_set_new(out, "marked", json_integer(marked));
    return http_reply_json(rq, 200, out);
}

/* The {} SKU of rq when it is in the catalog: 0, or the status of the
 * error already sent. */
static int known_sku(req_t *rq)
{
    char owner[64];
    const char *sku = rq->params[0];
    if (!catalog_valid_id(sku))
        return http_reply_error(rq, 400, "invalid_sku", "SKU must be 1-50 characters of A-Z a-z 0-9 . _ -");
    catalog_rc c = catalog_sku_owner(rq->redis, sku, owner, sizeof(owner));
    if (c == CATALOG_NOT_FOUND)
        return http_reply_error(rq, 404, "not_found", "unknown SKU %s", sku);
    if (c != CATALOG_OK)
        return http_reply_redis_down(rq);
    return 0;
}

/* One SKU's rule after a change: {sku, rule, marked}. */
static int reply_sku(req_t *rq, long long marked)
{
    json_t *rule = NULL;
    if (rules_get_sku(rq->redis, rq->params[0], &rule) != RULES_OK)
        return http_reply_redis_down(rq);
    return http_reply_json(rq, 200, json_pack("{s:s,s:o,s:I}", "sku", rq->params[0], "rule", rule, "marked",
                                              (json_int_t)marked));
}

int route_rule_put(req_t *rq)
{
    char err[1024] = "";
    json_t *fields = json_array(), *rule = NULL;
    long long marked = 0;
    int status = known_sku(rq);
    if (status) {
        json_decref(fields);
        return status;
    }
    if (rules_validate(rq->json, "", &rule, fields, err, sizeof(err)) != 0)
        return routes_reply_fields(rq, fields, err);
    json_decref(fields);
    rules_rc rc = rules_set_sku(rq->redis, rq->params[0], rule, &marked);
    json_decref(rule);
    if (rc == RULES_NOT_FOUND)
        return http_reply_error(rq, 404, "not_found", "unknown SKU %s", rq->params[0]);
    if (rc != RULES_OK)
        return http_reply_redis_down(rq);
    return reply_sku(rq, marked);
}

int route_rule_delete(req_t *rq)
{
    long long marked = 0;
    int status = known_sku(rq);
    if (status)
        return status;
    if (rules_set_sku(rq->redis, rq->params[0], NULL, &marked) != RULES_OK)
        return http_reply_redis_down(rq);
    return reply_sku(rq, marked);
}
