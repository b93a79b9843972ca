/*
 * reconcile — drift between TikTok quantities and store stock (see
 * reconcile.h).
 */
#include "shopsync/reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"
#include "shopsync/metrics.h"
#include "shopsync/push.h"
#include "shopsync/skumap.h"
#include "shopsync/stock.h"
#include "shopsync/tiktok.h"
#include "shopsync/util.h"

#define BATCH 50
/* How long a repair waits for a push worker that holds the SKU's lock. */
#define REPAIR_WAIT_TRIES 100
#define REPAIR_WAIT_MS 20

/* Push sku's projection now. Push workers poll the dirty marks, so one of
 * them may hold the SKU's lock for a moment (even just to find the push not
 * due yet); waiting for it, instead of giving up, is what makes "repaired"
 * mean "TikTok holds the projection now". Returns 1 when sent, 0 when the
 * SKU stays marked for the push workers (*why, borrowed static text, says
 * why). */
static int repair_one(const config_t *cfg, redis_conn_t *r, connection_t *conn, const char *sku, const char **why)
{
    *why = "a push worker kept the SKU locked; it stays marked for the next push";
    if (push_mark(r, sku) != 0) {
        *why = "Redis unavailable";
        return 0;
    }
    for (int attempt = 0; attempt < REPAIR_WAIT_TRIES; attempt++) {
        push_rc p = push_sku(cfg, r, conn, sku, 1);
        switch (p) {
        case PUSH_SENT:
            return 1;
        case PUSH_NOTHING:
            util_sleep_ms(REPAIR_WAIT_MS);
            continue;
        case PUSH_SKIPPED:
            *why = "not on TikTok Shop: run Sync All Products";
            return 0;
        case PUSH_FAILED:
            *why = "TikTok Shop refused the stock update (reason on the SKU)";
            return 0;
        case PUSH_RETRY:
            *why = "TikTok Shop did not answer; the push workers retry it";
            return 0;
        case PUSH_NOT_CONNECTED:
            *why = "TikTok Shop is not connected";
            return 0;
        case PUSH_UNAVAILABLE:
            *why = "Redis unavailable";
            return 0;
        }
    }
    return 0;
}

int reconcile_run(const config_t *cfg, redis_conn_t *r, connection_t *conn, int repair, json_t **report)
{
    json_t *skus = NULL, *drift = json_array(), *errors = json_array();
    long long checked = 0, repaired = 0, allocated = 0, unsynced = 0;
    char last_key[KEY_MAX];
    int rc = -1;

    *report = NULL;
    if (redis_key(last_key, sizeof(last_key), KEY_RECONCILE_LAST))
        goto out;
    if (!connection_is_connected(conn)) {
        rc = 1;
        goto out;
    }
    if (skumap_all(r, &skus) != 0)
        goto out;
    size_t n = json_array_size(skus);
    /* On the heap: this also runs on civetweb request threads, whose stacks
     * are small. */
    const char **ids = calloc(BATCH, sizeof(char *));
    char (*sku_of)[256] = calloc(BATCH, sizeof(*sku_of));
    char (*id_buf)[64] = calloc(BATCH, sizeof(*id_buf));
    if (!ids || !sku_of || !id_buf) {
        free(ids);
        free(sku_of);
        free(id_buf);
        goto out;
    }
    for (size_t start = 0; start < n; start += BATCH) {
        size_t m = 0;
        for (size_t i = start; i < n && m < BATCH; i++) {
            const char *sku = json_string_value(json_array_get(skus, i));
            skumap_entry_t e;
            if (skumap_get(r, sku, &e) == 0) {
                snprintf(id_buf[m], sizeof(id_buf[m]), "%s", e.sku_id);
                snprintf(sku_of[m], sizeof(sku_of[m]), "%s", sku);
                ids[m] = id_buf[m];
                m++;
            }
            skumap_entry_free(&e);
        }
        if (m == 0)
            continue;
        tiktok_inventories_t inv;
        tiktok_result_t res;
        if (tiktok_inventory_search(connection_client(conn), ids, m, &inv, &res) != 0) {
            json_array_append_new(errors, json_pack("{s:s}", "error", res.message));
            tiktok_inventories_free(&inv);
            tiktok_result_free(&res);
            continue;
        }
        /* The store's side of the whole batch in one read. */
        const char *sku_ptrs[BATCH];
        stock_view_t views[BATCH];
        for (size_t k = 0; k < m; k++)
            sku_ptrs[k] = sku_of[k];
        if (stock_view_many(r, sku_ptrs, m, views) != STOCK_OK) {
            tiktok_inventories_free(&inv);
            tiktok_result_free(&res);
            continue;
        }
        for (size_t k = 0; k < m; k++) {
            long long tiktok_q = -1;
            for (size_t j = 0; j < inv.n; j++)
                if (strcmp(inv.items[j].sku_id, ids[k]) == 0)
                    tiktok_q = inv.items[j].total_available_quantity;
            long long stock = 0;
            const stock_view_t v = views[k];
            /* A mapped SKU gone from the catalog should show 0, as push
             * sends (its view is all 0). */
            if (!v.found)
                stock = 0;
            else if (!v.sync) {
                /* The seller keeps this SKU's quantity on TikTok. */
                unsynced++;
                continue;
            } else if (v.allocated) {
                /* TikTok holds its share, sold down by its own counter; an
                 * outright repair could give it back units it sold. */
                allocated++;
                continue;
            } else
                stock = v.on_hand;
            /* The projection of the SKU's channel rule (on hand less held
             * units); a SKU gone from the catalog shows 0. */
            long long proj = v.tiktok;
            checked++;
            if (tiktok_q == proj)
                continue;
            metrics_add(M_DRIFT_FOUND, 1);
            json_array_append_new(drift, json_pack("{s:s,s:I,s:I,s:o}", "sku", sku_of[k], "store", (json_int_t)stock,
                                                   "projection", (json_int_t)proj, "tiktok",
                                                   tiktok_q >= 0 ? json_integer(tiktok_q) : json_null()));
            if (repair) {
                const char *why = NULL;
                if (repair_one(cfg, r, conn, sku_of[k], &why))
                    repaired++;
                else
                    json_array_append_new(errors, json_pack("{s:s,s:s}", "sku", sku_of[k], "error", why));
            }
        }
        tiktok_inventories_free(&inv);
        tiktok_result_free(&res);
    }
    free(ids);
    free(sku_of);
    free(id_buf);
    *report = json_pack("{s:I,s:I,s:O,s:I,s:b,s:O,s:I,s:I}", "ts", (json_int_t)time(NULL), "checked",
                        (json_int_t)checked, "drift", drift, "repaired", (json_int_t)repaired, "repair", repair,
                        "errors", errors, "allocated", (json_int_t)allocated, "unsynced", (json_int_t)unsynced);
    char *text = jsonx_dump(*report);
    if (text) {
        redisReply *rep = redis_cmd(r, "SET %s %s", last_key, text);
        if (rep)
            freeReplyObject(rep);
        free(text);
    }
    log_event(LOG_INFO, "reconcile", json_pack("{s:I,s:I,s:I}", "checked", (json_int_t)checked, "drift",
                                               (json_int_t)json_array_size(drift), "repaired", (json_int_t)repaired));
    rc = 0;
out:
    json_decref(skus);
    json_decref(drift);
    json_decref(errors);
    return rc;
}

int reconcile_last(redis_conn_t *r, json_t **out)
{
    char k[KEY_MAX], jerr[128];
    *out = NULL;
    if (redis_key(k, sizeof(k), KEY_RECONCILE_LAST))
        return -1;
    redisReply *rep = redis_cmd(r, "GET %s", k);
    if (!rep)
        return -1;
    if (rep->type == REDIS_REPLY_STRING)
        *out = jsonx_loadb(rep->str, rep->len, jerr, sizeof(jerr));
    freeReplyObject(rep);
    return 0;
}
