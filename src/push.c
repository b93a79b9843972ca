/*
 * push — coalesced per-SKU inventory pushes to TikTok Shop (see push.h).
 */
#include "shopsync/push.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lua_stock.h"
#include "shopsync/catalog_validate.h"
#include "shopsync/instance.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"
#include "shopsync/metrics.h"
#include "shopsync/orders.h"
#include "shopsync/skumap.h"
#include "shopsync/stock.h"
#include "shopsync/util.h"

/* Longer than the longest push: 2 attempts of at most 5 s limiter wait and
 * 10 s timeout each, plus backoff (see connection_open_for_push). A lock
 * left by a dead instance does not wait for it: it is taken over once the
 * instance's heartbeat lapses (instance.h). */
#define LOCK_MS 40000
#define MAX_WAREHOUSES 16
#define PUSH_GROUP_MAX 32
#define PUSH_GROUPS_PER_PASS 2
/* Ending a settle early waits at most this long for events received
 * before its read to be applied. */
#define SETTLE_TRIES 30
#define SETTLE_TRY_MS 50

/* KEYS and ARGV: see src/lua/push_plan.lua and push_commit.lua. */
static const redis_script_t plan_script = {"push_plan", LUA_STOCK_PRELUDE LUA_SRC_PUSH_PLAN};
static const redis_script_t commit_script = {"push_commit", LUA_STOCK_PRELUDE LUA_SRC_PUSH_COMMIT};

/* KEYS and ARGV: src/lua/push_settle.lua. */
static const redis_script_t settle_script = {"push_settle", LUA_STOCK_PRELUDE LUA_SRC_PUSH_SETTLE};

/* KEYS and ARGV: src/lua/push_clear.lua. */
static const redis_script_t clear_script = {"push_clear", LUA_SRC_PUSH_CLEAR};

static void ignore(redisReply *rep)
{
    if (rep)
        freeReplyObject(rep);
}

int push_watch_allocated(redis_conn_t *r)
{
    char set[KEY_MAX], dirty[KEY_MAX];
    if (redis_key(set, sizeof(set), KEY_ALLOC_SKUS) || redis_key(dirty, sizeof(dirty), KEY_PUSH_DIRTY))
        return -1;
    redisReply *rep = redis_cmd(r, "SMEMBERS %s", set);
    if (!rep)
        return -1;
    int rc = 0;
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        redisReply *m = redis_cmd(r, "HINCRBY %s %s 1", dirty, rep->element[i]->str);
        if (!m) {
            rc = -1;
            break;
        }
        freeReplyObject(m);
    }
    freeReplyObject(rep);
    return rc;
}

int push_mark(redis_conn_t *r, const char *sku)
{
    char dirty[KEY_MAX];
    if (redis_key(dirty, sizeof(dirty), KEY_PUSH_DIRTY))
        return -1;
    redisReply *rep = redis_cmd(r, "HINCRBY %s %s 1", dirty, sku);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    ignore(rep);
    return ok ? 0 : -1;
}

static void clear_dirty(redis_conn_t *r, const char *dirty, const char *sku, const char *version)
{
    const char *k[] = {dirty};
    const char *a[] = {sku, version};
    ignore(redis_eval(r, &clear_script, 1, k, 2, a, NULL));
}

/* One SKU of a push: its lock, the dirty version read under the lock, its
 * mapping and the inventory to send. */
typedef struct item {
    const char *sku;
    char owner[INSTANCE_OWNER_MAX];
    int locked;
    char version[32];
    skumap_entry_t map;
    char kind[16];       /* the plan: "read", "set" kinds, "absent", "none" */
    long long pend;      /* normal mode: the change from outside TikTok the push covers */
    long long add;       /* normal mode: what that change moves the projection by */
    long long tk;        /* normal mode: TikTok's own sales the push covers */
    long long cap;       /* the most TikTok may show */
    long long unseen;    /* read: TikTok sales its quantity shows that the store has not heard of; -1 */
    int send;            /* 1 when quantity goes out */
    int took_back;       /* 1 once TikTok applied a takeback (set to 0) */
    long long settle_until; /* took_back: the settle's end (ms) it set */
    long long quantity;
    tiktok_stock_t inv[MAX_WAREHOUSES];
    size_t n_inv;
} item_t;

/* The keys of the plan and commit scripts for sku into k (k->keys are
 * borrowed pointers into k's own buffers). */
typedef struct plan_keys {
    char stock[KEY_MAX], chan[KEY_MAX], events[KEY_MAX], rules_default[KEY_MAX], rule[KEY_MAX];
    char shared[STOCK_SHARED_KEYS][KEY_MAX];
    const char *keys[5 + STOCK_SHARED_KEYS];
} plan_keys_t;

#define PLAN_KEYS (5 + STOCK_SHARED_KEYS)

/* Returns 0, or -1 when a key does not fit. */
SHOPSYNC_MUST_USE static int plan_keys(plan_keys_t *k, const char *sku)
{
    if (stock_key(k->stock, sizeof(k->stock), sku) || stock_chan_key(k->chan, sizeof(k->chan), sku) ||
        stock_shared_keys(k->shared) || redis_key(k->events, sizeof(k->events), KEY_STREAM_EVENTS) ||
        redis_key(k->rules_default, sizeof(k->rules_default), KEY_RULES_DEFAULT) ||
        redis_key(k->rule, sizeof(k->rule), KEY_RULES_SKU_FMT, sku))
        return -1;
    k->keys[0] = k->stock;
    k->keys[1] = k->chan;
    for (int i = 0; i < STOCK_SHARED_KEYS; i++)
        k->keys[2 + i] = k->shared[i];
    k->keys[2 + STOCK_SHARED_KEYS] = k->events;
    k->keys[3 + STOCK_SHARED_KEYS] = k->rules_default;
    k->keys[4 + STOCK_SHARED_KEYS] = k->rule;
    return 0;
}

/* Decide what to send for it (see push_plan.lua). With force, a SKU in
 * normal mode is sent its projection outright (reconciliation's repair).
 * Returns 0 or -1 when Redis fails. */
static int plan(redis_conn_t *r, item_t *it, int force)
{
    plan_keys_t k;
    char now[32];
    if (plan_keys(&k, it->sku))
        return -1;
    snprintf(now, sizeof(now), "%lld", util_now_ms());
    const char *args[] = {it->sku, now, it->map.sku_id[0] ? "1" : "0"};
    redisReply *rep = redis_eval(r, &plan_script, PLAN_KEYS, k.keys, 3, args, NULL);
    if (!rep)
        return -1;
    int ok = rep->type == REDIS_REPLY_ARRAY && rep->elements == 7 && rep->element[0]->type == REDIS_REPLY_STRING;
    it->unseen = -1;
    if (ok) {
        const char *action = rep->element[0]->str;
        it->quantity = rep->element[1]->integer;
        it->pend = rep->element[2]->integer;
        it->cap = rep->element[3]->integer;
        it->add = rep->element[5]->integer;
        it->tk = rep->element[6]->integer;
        if (strcmp(action, "set") == 0)
            snprintf(it->kind, sizeof(it->kind), "%s", rep->element[4]->str);
        else
            snprintf(it->kind, sizeof(it->kind), "%s", action);
        it->send = strcmp(action, "none") != 0;
        if (strcmp(action, "absent") == 0)
            it->quantity = 0;
        else if (strcmp(action, "absolute") == 0 || (strcmp(action, "read") == 0 && force)) {
            /* Sent as it is, no read. */
            it->quantity = it->cap;
            snprintf(it->kind, sizeof(it->kind), "absolute");
        }
    } else {
        log_event(LOG_WARN, "push_plan_failed",
                  json_pack("{s:s,s:s}", "sku", it->sku, "error", rep->type == REDIS_REPLY_ERROR ? rep->str : "bad reply"));
    }
    freeReplyObject(rep);
    return ok ? 0 : -1;
}

/* Record a push TikTok applied (see push_commit.lua). */
static void commit(redis_conn_t *r, const item_t *it)
{
    plan_keys_t k;
    char value[32], pend[32], now[32], unseen[32], tk[32], cap[32];
    /* plan() built the same keys for this SKU before the push. */
    if (plan_keys(&k, it->sku))
        return;
    snprintf(value, sizeof(value), "%lld", it->quantity);
    snprintf(pend, sizeof(pend), "%lld", it->pend);
    snprintf(now, sizeof(now), "%lld", util_now_ms());
    snprintf(unseen, sizeof(unseen), "%lld", it->unseen);
    snprintf(tk, sizeof(tk), "%lld", it->tk);
    snprintf(cap, sizeof(cap), "%lld", it->cap);
    const char *args[] = {it->sku, it->kind, value, pend, now, unseen, tk, cap};
    ignore(redis_eval(r, &commit_script, PLAN_KEYS, k.keys, 8, args, NULL));
}

/* Locks this thread may hold but could not release because Redis went
 * away mid-push (a restart, a stall): released by the thread's next push,
 * so their SKUs do not wait LOCK_MS for the lock to expire while TikTok
 * shows a stale quantity. Releasing is compare-and-delete on the owner, so
 * a lock that expired or was never set is left alone. */
#define STALE_LOCKS 8
static _Thread_local struct {
    char key[KEY_MAX];
    char owner[INSTANCE_OWNER_MAX];
} stale_locks[STALE_LOCKS];
static _Thread_local int n_stale_locks;

static void remember_stale_lock(const char *key, const char *owner)
{
    if (n_stale_locks == STALE_LOCKS || strlen(key) >= sizeof(stale_locks[0].key))
        return; /* it expires by itself */
    snprintf(stale_locks[n_stale_locks].key, sizeof(stale_locks[0].key), "%s", key);
    snprintf(stale_locks[n_stale_locks].owner, sizeof(stale_locks[0].owner), "%s", owner);
    n_stale_locks++;
}

static void release_stale_locks(redis_conn_t *r)
{
    int kept = 0;
    for (int i = 0; i < n_stale_locks; i++) {
        if (redis_unlock(r, stale_locks[i].key, stale_locks[i].owner) < 0) {
            if (kept != i)
                stale_locks[kept] = stale_locks[i];
            kept++;
        }
    }
    n_stale_locks = kept;
}

static void unlock_item(redis_conn_t *r, item_t *it)
{
    char lock[KEY_MAX];
    /* claim() built the same key when it took the lock. */
    if (!it->locked || redis_key(lock, sizeof(lock), KEY_PUSH_LOCK_FMT, it->sku))
        return;
    int u = redis_unlock(r, lock, it->owner);
    if (u < 0)
        remember_stale_lock(lock, it->owner);
    else if (u == 0)
        /* Taken over while we worked (our heartbeat lapsed): the other
         * push may have landed before ours with a newer value, so the SKU
         * goes out once more with whatever is current. */
        push_mark(r, it->sku);
    it->locked = 0;
}

/* End the settle of it (a takeback whose read of TikTok's orders, begun at
 * start ms, succeeded): push_settle.lua, retried while an event received
 * before the read is still being applied. Returns "ended", "waiting" (still
 * not applied after SETTLE_TRIES), "over" (the settle ended or was replaced
 * meanwhile) or "failed" (the reason in err); static strings. */
static const char *settle_end(redis_conn_t *r, const item_t *it, long long start, char *err, size_t errlen)
{
    plan_keys_t k;
    char until_s[32], start_s[32];
    long long v = 0;

    if (plan_keys(&k, it->sku))
        return "failed";
    snprintf(until_s, sizeof(until_s), "%lld", it->settle_until);
    snprintf(start_s, sizeof(start_s), "%lld", start);
    const char *args[] = {it->sku, until_s, start_s};
    /* Events received just before the read may still be in their workers
     * (a Get Order Detail takes a round trip): give them a moment rather
     * than fall back to the whole settle. */
    for (int attempt = 0; attempt < SETTLE_TRIES && v == 0; attempt++) {
        if (attempt)
            util_sleep_ms(SETTLE_TRY_MS);
        redisReply *rep = redis_eval(r, &settle_script, PLAN_KEYS, k.keys, 3, args, NULL);
        if (rep && rep->type == REDIS_REPLY_INTEGER) {
            v = rep->integer;
        } else {
            snprintf(err, errlen, "%s", rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "Redis is not answering");
            v = -2;
        }
        ignore(rep);
    }
    return v == 1 ? "ended" : v == 0 ? "waiting" : v == -1 ? "over" : "failed";
}

/* TikTok shows 0 now for the items taken back by the call sent at sent_at
 * ms. Rather than hold back their units for the whole settle while the
 * webhooks of TikTok's sales made before the 0 come in, read those orders
 * (Search Orders, once for the call: its SKUs are one product's), apply
 * them, and end each settle at once. The read covers every order a webhook
 * could still be on its way for: a settle lasts as long as the longest
 * webhook lag, so the read starts that long (plus a second, for
 * whole-second times) before it. On any failure a settle ends by time, as
 * without the read. Logged per SKU as settle_read with its result. */
static void settle_early(const config_t *cfg, redis_conn_t *r, connection_t *conn, item_t *items, size_t n,
                         long long sent_at)
{
    char err[512] = "";
    size_t applied = 0;
    long long span = 0;

    if (!cfg->tiktok_settle_read)
        return;
    for (size_t i = 0; i < n; i++) {
        plan_keys_t k;
        if (!items[i].took_back || plan_keys(&k, items[i].sku))
            continue;
        redisReply *rep = redis_cmd(r, "HGET %s settle", k.chan);
        items[i].settle_until = rep && rep->type == REDIS_REPLY_STRING ? strtoll(rep->str, NULL, 10) : 0;
        ignore(rep);
        if (items[i].settle_until - sent_at > span)
            span = items[i].settle_until - sent_at;
    }
    if (span <= 0)
        return;
    long long start = util_now_ms();
    int read = orders_pull(r, conn, (start - span) / 1000 - 1, &applied, err, sizeof(err)) == 0;
    for (size_t i = 0; i < n; i++) {
        item_t *it = &items[i];
        if (!it->took_back || it->settle_until <= sent_at)
            continue;
        const char *result = read ? settle_end(r, it, start, err, sizeof(err)) : "failed";
        if (strcmp(result, "ended") == 0)
            metrics_add(M_SETTLES_ENDED_EARLY, 1);
        else if (strcmp(result, "waiting") == 0)
            metrics_add(M_SETTLES_WAITING, 1);
        else if (strcmp(result, "failed") == 0)
            metrics_add(M_SETTLE_READS_FAILED, 1);
        log_event(strcmp(result, "failed") == 0 ? LOG_WARN : LOG_INFO, "settle_read",
                  json_pack("{s:s,s:s,s:I,s:s}", "sku", it->sku, "result", result, "orders", (json_int_t)applied,
                            "error", err));
    }
}

/* Take sku's lock and read its state. Returns 1 when it should be pushed
 * (the lock is then held), 0 when not, -1 when Redis fails. */
static int claim(redis_conn_t *r, const char *dirty, item_t *it, int force, push_rc *skipped)
{
    char lock[KEY_MAX];
    if (redis_key(lock, sizeof(lock), KEY_PUSH_LOCK_FMT, it->sku) || instance_lock_owner(it->owner) != 0)
        return -1;
    redisReply *rep = redis_cmd(r, "SET %s %s NX PX %d", lock, it->owner, LOCK_MS);
    if (!rep) {
        remember_stale_lock(lock, it->owner); /* a stalled Redis may still set it */
        return -1;
    }
    it->locked = rep->type == REDIS_REPLY_STATUS;
    freeReplyObject(rep);
    if (!it->locked) {
        int t = instance_take_over(r, lock, it->owner, LOCK_MS);
        if (t < 0)
            return -1;
        if (t == 0)
            return 0; /* another worker is pushing it right now */
        it->locked = 1;
        log_event(LOG_WARN, "push_lock_taken_over", json_pack("{s:s,s:s}", "sku", it->sku, "reason",
                                                              "its holder stopped (no heartbeat)"));
    }
    rep = redis_cmd(r, "HGET %s %s", dirty, it->sku);
    if (!rep)
        return -1;
    int is_dirty = rep->type == REDIS_REPLY_STRING;
    snprintf(it->version, sizeof(it->version), "%s", is_dirty ? rep->str : "0");
    freeReplyObject(rep);
    if (!is_dirty && !force)
        return 0;
    int m = skumap_get(r, it->sku, &it->map);
    if (m < 0)
        return -1;
    long long ignored;
    if (m == 1 && stock_get(r, it->sku, &ignored) == STOCK_NOT_FOUND) {
        /* Removed from the catalog before it ever reached TikTok Shop:
         * nothing to withdraw there. */
        clear_dirty(r, dirty, it->sku, it->version);
        return 0;
    }
    if (m == 1) {
        metrics_add(M_PUSHES_SKIPPED, 1);
        log_event(LOG_INFO, "push_skipped", json_pack("{s:s,s:s}", "sku", it->sku, "reason",
                                                      "not on TikTok Shop yet: run Sync All Products"));
        clear_dirty(r, dirty, it->sku, it->version);
        *skipped = PUSH_SKIPPED;
        return 0;
    }
    return 1;
}

/* 1 when any item's last push is older than the coalescing interval. */
static int due(const config_t *cfg, redis_conn_t *r, item_t *items, size_t n, long long now)
{
    if (cfg->push_interval_ms <= 0)
        return 1;
    for (size_t i = 0; i < n; i++) {
        char last[KEY_MAX];
        if (!items[i].locked)
            continue;
        /* As long as the lock's key, which claim() built: it fits. */
        if (redis_key(last, sizeof(last), KEY_PUSH_LAST_FMT, items[i].sku))
            return 1;
        redisReply *rep = redis_cmd(r, "GET %s", last);
        long long prev = rep && rep->type == REDIS_REPLY_STRING ? strtoll(rep->str, NULL, 10) : 0;
        ignore(rep);
        if (now - prev >= cfg->push_interval_ms)
            return 1;
    }
    return 0;
}

/* The per-SKU error TikTok returned for sku_id, or NULL. */
static const tiktok_sku_error_t *error_for(const tiktok_sku_errors_t *errs, const char *sku_id)
{
    for (size_t i = 0; i < errs->n; i++)
        if (strcmp(errs->items[i].sku_id, sku_id) == 0)
            return &errs->items[i];
    return NULL;
}

/* Push the SKUs (borrowed, all of one TikTok product, or one unmapped SKU)
 * in one Update Inventory call. *sent counts the SKUs pushed. */
static push_rc push_group(const config_t *cfg, redis_conn_t *r, connection_t *conn, const char *const *skus,
                          size_t n, int force, int *sent)
{
    char dirty[KEY_MAX];
    push_rc rc = PUSH_NOTHING;
    size_t n_stock = 0, i;
    long long now = util_now_ms();

    if (n > PUSH_GROUP_MAX)
        n = PUSH_GROUP_MAX;
    if (redis_key(dirty, sizeof(dirty), KEY_PUSH_DIRTY))
        return PUSH_UNAVAILABLE;
    release_stale_locks(r);
    /* On the heap: civetweb request threads (reconcile, admin edits) have
     * small stacks. */
    item_t *items = calloc(n, sizeof(*items));
    tiktok_sku_stock_t *stocks = calloc(n, sizeof(*stocks));
    if (!items || !stocks) {
        free(items);
        free(stocks);
        return PUSH_UNAVAILABLE;
    }
    for (i = 0; i < n; i++) {
        items[i].sku = skus[i];
        int c = claim(r, dirty, &items[i], force, &rc);
        if (c < 0) {
            rc = PUSH_UNAVAILABLE;
            goto out;
        }
        if (c == 0)
            unlock_item(r, &items[i]);
    }
    /* Too soon after the last push: leave the marks; the next pass sends
     * whatever the stock is by then, which is how bursts coalesce. */
    if (!force && !due(cfg, r, items, n, now))
        goto out;
    int any = 0;
    for (i = 0; i < n; i++)
        any |= items[i].locked;
    if (!any)
        goto out;
    if (!connection_is_connected(conn)) {
        rc = PUSH_NOT_CONNECTED;
        goto out;
    }
    const char *product_id = NULL;
    int reads = 0;
    for (i = 0; i < n; i++) {
        item_t *it = &items[i];
        if (!it->locked)
            continue;
        if (plan(r, it, force) != 0) {
            rc = PUSH_UNAVAILABLE;
            goto out;
        }
        if (!it->send) {
            /* Nothing TikTok needs now (an allocated SKU between its
             * moves): the mark has done its work. */
            clear_dirty(r, dirty, it->sku, it->version);
            unlock_item(r, it);
            continue;
        }
        reads += strcmp(it->kind, "read") == 0 && !force;
    }
    if (reads) {
        /* TikTok's own quantity already counts its sales, even those whose
         * webhooks are still on their way: the push adds only what changed
         * outside TikTok, so it never gives TikTok back a unit it sold. */
        const char *ids[PUSH_GROUP_MAX];
        size_t m = 0;
        for (i = 0; i < n; i++)
            if (items[i].locked && items[i].send && strcmp(items[i].kind, "read") == 0)
                ids[m++] = items[i].map.sku_id;
        tiktok_inventories_t inv;
        tiktok_result_t res;
        memset(&inv, 0, sizeof(inv));
        if (tiktok_inventory_search(connection_client(conn), ids, m, &inv, &res) != 0) {
            int again = res.kind != TIKTOK_PERMANENT && res.kind != TIKTOK_REAUTH;
            for (i = 0; i < n; i++) {
                item_t *it = &items[i];
                if (!it->locked || !it->send || strcmp(it->kind, "read") != 0)
                    continue;
                if (again) {
                    metrics_add(M_PUSHES_RETRIED, 1);
                    log_event(LOG_WARN, "push_retry", json_pack("{s:s,s:s}", "sku", it->sku, "error", res.message));
                    continue;
                }
                char why[700];
                snprintf(why, sizeof(why), "TikTok Shop refused the stock update: %s", res.message);
                skumap_record_push(r, it->sku, 0, 0, why);
                metrics_add(M_PUSHES_FAILED, 1);
                log_event(LOG_WARN, "push_failed", json_pack("{s:s,s:s}", "sku", it->sku, "error", why));
                /* As for a refused update: the mark stays only while the
                 * shop needs re-authorization. */
                if (res.kind == TIKTOK_PERMANENT)
                    clear_dirty(r, dirty, it->sku, it->version);
            }
            tiktok_inventories_free(&inv);
            tiktok_result_free(&res);
            rc = again ? PUSH_RETRY : PUSH_FAILED;
            goto out;
        }
        for (i = 0; i < n; i++) {
            item_t *it = &items[i];
            if (!it->locked || !it->send || strcmp(it->kind, "read") != 0)
                continue;
            long long q = -1;
            for (size_t j = 0; j < inv.n; j++)
                if (strcmp(inv.items[j].sku_id, it->map.sku_id) == 0)
                    q = inv.items[j].total_available_quantity;
            /* A SKU TikTok did not report gets its projection. Never more
             * than the projection: TikTok above it has units the store
             * does not have (a restock of an oversold unit, a
             * cancellation TikTok knew of first, which add counts once the
             * store applies it, drift). */
            it->quantity = q < 0 ? it->cap : q + it->add;
            /* TikTok's own quantity already took off the sales whose
             * orders are still on their way: the store's projection less
             * what TikTok shows is how many; the website must not sell
             * those units meanwhile. */
            it->unseen = q < 0 || it->cap - it->quantity < 0 ? 0 : it->cap - it->quantity;
            if (it->quantity > it->cap)
                it->quantity = it->cap;
            if (it->quantity < 0)
                it->quantity = 0;
            if (q >= 0 && it->quantity == q) {
                /* TikTok shows it already: writing it again could only
                 * undo a sale made meanwhile. */
                commit(r, it);
                clear_dirty(r, dirty, it->sku, it->version);
                unlock_item(r, it);
            }
        }
        tiktok_inventories_free(&inv);
        tiktok_result_free(&res);
    }
    for (i = 0; i < n; i++) {
        item_t *it = &items[i];
        if (!it->locked)
            continue;
        /* TikTok Shop takes at most 99999 per warehouse; sync caps the same. */
        if (it->quantity > TIKTOK_MAX_QUANTITY)
            it->quantity = TIKTOK_MAX_QUANTITY;
        size_t n_wh = json_array_size(it->map.warehouses);
        for (size_t w = 0; w < n_wh && it->n_inv < MAX_WAREHOUSES; w++) {
            it->inv[it->n_inv].warehouse_id = json_string_value(json_array_get(it->map.warehouses, w));
            /* The whole quantity goes to the first warehouse; others are
             * listed with 0 because Update Inventory wants every warehouse. */
            it->inv[it->n_inv].quantity = it->n_inv == 0 ? it->quantity : 0;
            it->n_inv++;
        }
        if (it->n_inv == 0) {
            skumap_record_push(r, it->sku, 0, 0, "no warehouse recorded for this SKU: run Sync All Products");
            clear_dirty(r, dirty, it->sku, it->version);
            unlock_item(r, it);
            rc = PUSH_FAILED;
            continue;
        }
        product_id = it->map.product_id;
        stocks[n_stock].sku_id = it->map.sku_id;
        stocks[n_stock].inventory = it->inv;
        stocks[n_stock].n_inventory = it->n_inv;
        n_stock++;
    }
    if (n_stock == 0)
        goto out;
    tiktok_sku_errors_t errs;
    tiktok_result_t res;
    memset(&errs, 0, sizeof(errs));
    int ok = tiktok_update_inventory(connection_client(conn), product_id, stocks, n_stock, &errs, &res) == 0;
    char stamp[32];
    snprintf(stamp, sizeof(stamp), "%lld", now);
    int retry = !ok && res.kind != TIKTOK_PERMANENT && res.kind != TIKTOK_REAUTH;
    for (i = 0; i < n; i++) {
        item_t *it = &items[i];
        char last[KEY_MAX];
        if (!it->locked || it->n_inv == 0)
            continue;
        /* As long as the lock's key, which claim() built: it fits. */
        if (redis_key(last, sizeof(last), KEY_PUSH_LAST_FMT, it->sku) == 0)
            ignore(redis_cmd(r, "SET %s %s PX 3600000", last, stamp));
        const tiktok_sku_error_t *e = ok ? NULL : error_for(&errs, it->map.sku_id);
        if (ok || (!retry && errs.n && !e)) {
            /* Applied: the call succeeded, or TikTok refused only other SKUs
             * of this product. */
            commit(r, it);
            log_event(LOG_DEBUG, "push_sent", json_pack("{s:s,s:s,s:I,s:I}", "sku", it->sku, "kind", it->kind,
                                                        "quantity", (json_int_t)it->quantity, "pending",
                                                        (json_int_t)it->pend));
            skumap_record_push(r, it->sku, 1, it->quantity, NULL);
            clear_dirty(r, dirty, it->sku, it->version);
            it->took_back = strcmp(it->kind, "takeback") == 0;
            metrics_add(M_PUSHES_SENT, 1);
            (*sent)++;
            if (rc == PUSH_NOTHING)
                rc = PUSH_SENT;
        } else if (retry) {
            metrics_add(M_PUSHES_RETRIED, 1);
            log_event(LOG_WARN, "push_retry", json_pack("{s:s,s:s}", "sku", it->sku, "error", res.message));
            rc = PUSH_RETRY;
        } else {
            char why[700];
            snprintf(why, sizeof(why), "TikTok Shop refused the stock update: %s", e ? e->message : res.message);
            skumap_record_push(r, it->sku, 0, 0, why);
            metrics_add(M_PUSHES_FAILED, 1);
            log_event(LOG_WARN, "push_failed", json_pack("{s:s,s:s}", "sku", it->sku, "error", why));
            /* A refused push will not pass by repetition; the mark stays
             * only while the shop needs re-authorization. */
            if (res.kind == TIKTOK_PERMANENT)
                clear_dirty(r, dirty, it->sku, it->version);
            rc = PUSH_FAILED;
        }
    }
    tiktok_sku_errors_free(&errs);
    tiktok_result_free(&res);
    /* After every SKU of the call is recorded: the read takes a round trip. */
    settle_early(cfg, r, conn, items, n, now);
out:
    for (i = 0; i < n; i++) {
        unlock_item(r, &items[i]);
        skumap_entry_free(&items[i].map);
    }
    free(items);
    free(stocks);
    return rc;
}

push_rc push_sku(const config_t *cfg, redis_conn_t *r, connection_t *conn, const char *sku, int force)
{
    int sent = 0;
    const char *one[] = {sku};
    push_rc rc = push_group(cfg, r, conn, one, 1, force, &sent);
    return sent ? PUSH_SENT : rc;
}

int push_pass(const config_t *cfg, redis_conn_t *r, connection_t *conn, int *sent)
{
    char dirty[KEY_MAX];
    *sent = 0;
    if (redis_key(dirty, sizeof(dirty), KEY_PUSH_DIRTY))
        return -1;
    redisReply *rep = redis_cmd(r, "HKEYS %s", dirty);
    if (!rep)
        return -1;
    size_t n = rep->type == REDIS_REPLY_ARRAY ? rep->elements : 0;
    /* Group the dirty SKUs by TikTok product so a product's SKUs go out in
     * one Update Inventory call: the rate limit counts calls, not SKUs. */
    char (*product)[64] = calloc(n + 1, sizeof(*product));
    unsigned char *done = calloc(n + 1, 1);
    int result = 0;
    if (!product || !done) {
        result = -1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (skumap_product_of(r, rep->element[i]->str, product[i], sizeof(product[i])) < 0) {
            result = -1;
            goto out;
        }
    }
    int groups = 0;
    for (size_t i = 0; i < n && groups < PUSH_GROUPS_PER_PASS; i++) {
        const char *group[PUSH_GROUP_MAX];
        size_t g = 0;
        if (done[i])
            continue;
        for (size_t j = i; j < n && g < PUSH_GROUP_MAX; j++) {
            if (!done[j] && (j == i || (product[i][0] && strcmp(product[i], product[j]) == 0))) {
                group[g++] = rep->element[j]->str;
                done[j] = 1;
            }
        }
        push_rc p = push_group(cfg, r, conn, group, g, 0, sent);
        /* A worker leaves the rest of the dirty SKUs to the other workers
         * once it has made a few calls, so many calls are in flight. */
        if (p != PUSH_NOTHING && p != PUSH_SKIPPED)
            groups++;
        if (p == PUSH_NOT_CONNECTED)
            result = 1;
        else if (p == PUSH_UNAVAILABLE) {
            result = -1;
            goto out;
        }
    }
out:
    free(product);
    free(done);
    freeReplyObject(rep);
    return result;
}

/* Take sku's lock for owner: 1 taken, 0 held by a live holder, -1 Redis. */
static int hold_one(redis_conn_t *r, const char *sku, const char *owner)
{
    char lock[KEY_MAX];
    if (redis_key(lock, sizeof(lock), KEY_PUSH_LOCK_FMT, sku))
        return -1;
    return instance_lock(r, lock, owner, LOCK_MS);
}

void push_release_skus(redis_conn_t *r, const char *const *skus, size_t n, const char *owner)
{
    char lock[KEY_MAX];
    for (size_t i = 0; i < n; i++)
        if (redis_key(lock, sizeof(lock), KEY_PUSH_LOCK_FMT, skus[i]) == 0 && redis_unlock(r, lock, owner) < 0)
            remember_stale_lock(lock, owner);
}

int push_hold_skus(redis_conn_t *r, const char *const *skus, size_t n, long long wait_ms, char *owner)
{
    unsigned char held[CATALOG_MAX_SKUS] = {0};
    size_t n_held = 0;
    if (n > CATALOG_MAX_SKUS || instance_lock_owner(owner) != 0)
        return -1;
    long long deadline = util_monotonic_ms() + wait_ms;
    for (;;) {
        for (size_t i = 0; i < n; i++) {
            if (held[i])
                continue;
            int t = hold_one(r, skus[i], owner);
            if (t < 0)
                goto fail;
            if (t == 1) {
                held[i] = 1;
                n_held++;
            }
        }
        if (n_held == n)
            return 0;
        if (util_monotonic_ms() >= deadline)
            goto fail;
        /* A push holds one: it takes a TikTok round trip or two. */
        util_sleep_ms(20);
    }
fail:
    for (size_t i = 0; i < n; i++)
        if (held[i])
            push_release_skus(r, &skus[i], 1, owner);
    return -1;
}
