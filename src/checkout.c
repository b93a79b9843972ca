/*
 * checkout — Stripe checkout sessions applied once (see checkout.h).
 */
#include "shopsync/checkout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_stock.h"
#include "shopsync/catalog_validate.h"
#include "shopsync/holds.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"
#include "shopsync/ratelimit.h"
#include "shopsync/stock.h"
#include "shopsync/util.h"

#define LEDGER_TTL_S (90 * 86400)
#define MAX_SESSION_SKUS 200
/* The session's SKUs and its hold's. */
#define MAX_KEYED_SKUS (MAX_SESSION_SKUS + HOLDS_MAX_ITEMS)

/* KEYS and ARGV: src/lua/checkout_apply.lua. */
static const redis_script_t apply_script = {"checkout_apply", LUA_STOCK_PRELUDE LUA_SRC_CHECKOUT_APPLY};

event_rc checkout_apply_hold(redis_conn_t *r, const char *session_id, const stripe_line_t *lines, size_t n,
                             const char *hold, int *applied, int *consumed, char *err, size_t errlen)
{
    char ledger[KEY_MAX];
    char shared[STOCK_SHARED_KEYS][KEY_MAX];
    char (*sk)[KEY_MAX] = NULL;
    char (*ck)[KEY_MAX] = NULL;
    const char **keys = NULL;
    const char **skus = NULL;
    long long *qty = NULL;
    size_t m = 0;
    json_t *units = json_array(), *unmatched = json_array(), *req = NULL, *items = NULL, *at = json_object();
    char hold_key[KEY_MAX], expiry_key[KEY_MAX];
    size_t n_units = 0;
    char *text = NULL;
    event_rc rc = EVENT_UNAVAILABLE;

    *applied = 0;
    *consumed = 0;
    if (hold && *hold) {
        /* The hold's SKUs get keys too; its items never change, so the
         * script finds the same ones. A hold that is gone (or never was)
         * leaves the session a plain sale. */
        holds_rc h = holds_items(r, hold, &items);
        if (h == HOLDS_UNAVAILABLE)
            goto out;
        if (h != HOLDS_OK || redis_key(hold_key, sizeof(hold_key), KEY_HOLD_FMT, hold) ||
            redis_key(expiry_key, sizeof(expiry_key), KEY_HOLDS_EXPIRY))
            hold = NULL;
    } else {
        hold = NULL;
    }
    sk = calloc(MAX_KEYED_SKUS, sizeof(*sk));
    ck = calloc(MAX_KEYED_SKUS, sizeof(*ck));
    keys = calloc(3 + STOCK_SHARED_KEYS + 2 * MAX_KEYED_SKUS, sizeof(char *));
    skus = calloc(MAX_KEYED_SKUS, sizeof(char *));
    qty = calloc(MAX_KEYED_SKUS, sizeof(long long));
    if (!sk || !ck || !keys || !skus || !qty)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const stripe_line_t *l = &lines[i];
        if (l->quantity <= 0)
            continue;
        if (!l->sku[0] || !catalog_valid_id(l->sku)) {
            json_array_append_new(unmatched, json_pack("{s:s,s:s,s:s,s:s,s:I}", "source", "stripe", "ref", session_id,
                                                       "sku", l->sku, "sku_id", l->price_id, "quantity",
                                                       (json_int_t)l->quantity));
            continue;
        }
        size_t k;
        for (k = 0; k < m && strcmp(skus[k], l->sku) != 0; k++)
            ;
        if (k == m) {
            if (m == MAX_SESSION_SKUS) {
                snprintf(err, errlen, "checkout session %s has more than %d distinct SKUs", session_id, MAX_SESSION_SKUS);
                rc = EVENT_PERMANENT;
                goto out;
            }
            skus[m++] = l->sku;
        }
        qty[k] += l->quantity;
    }
    n_units = m;
    /* The hold's SKUs that no line names follow the lines' own. */
    size_t hi;
    json_t *hit;
    json_array_foreach(items, hi, hit) {
        const char *hs = json_string_value(json_array_get(hit, 0));
        size_t k;
        if (!hs || !catalog_valid_id(hs))
            continue;
        for (k = 0; k < m && strcmp(skus[k], hs) != 0; k++)
            ;
        if (k == m) {
            if (m == MAX_KEYED_SKUS)
                continue;
            skus[m++] = hs;
        }
        json_object_set_new(at, hs, json_integer((json_int_t)k + 1));
    }
    /* A key that cannot be built never will be: retrying cannot help. */
    if (redis_key(ledger, sizeof(ledger), KEY_CHECKOUT_STRIPE_FMT, session_id) || stock_shared_keys(shared)) {
        snprintf(err, errlen, "checkout session %s: its ledger key is too long for Redis", session_id);
        rc = EVENT_PERMANENT;
        goto out;
    }
    keys[0] = ledger;
    for (int i = 0; i < STOCK_SHARED_KEYS; i++)
        keys[1 + i] = shared[i];
    for (size_t k = 0; k < m; k++) {
        if (stock_key(sk[k], KEY_MAX, skus[k]) || stock_chan_key(ck[k], KEY_MAX, skus[k])) {
            snprintf(err, errlen, "checkout session %s: SKU %s is too long for a Redis key", session_id, skus[k]);
            rc = EVENT_PERMANENT;
            goto out;
        }
        keys[1 + STOCK_SHARED_KEYS + 2 * k] = sk[k];
        keys[2 + STOCK_SHARED_KEYS + 2 * k] = ck[k];
        if (k < n_units)
            json_array_append_new(units, json_pack("[s,I]", skus[k], (json_int_t)qty[k]));
    }
    int nk = 1 + STOCK_SHARED_KEYS + 2 * (int)m;
    if (hold) {
        keys[nk++] = hold_key;
        keys[nk++] = expiry_key;
    }
    req = json_pack("{s:O,s:O,s:O}", "units", units, "unmatched", unmatched, "at", at);
    text = jsonx_dump(req);
    char ts[32], ttl[32];
    snprintf(ts, sizeof(ts), "%lld", util_now_ms());
    snprintf(ttl, sizeof(ttl), "%d", LEDGER_TTL_S);
    char hold_ttl[32];
    snprintf(hold_ttl, sizeof(hold_ttl), "%d", HOLDS_ENDED_TTL_S);
    const char *args[] = {session_id, ts, text ? text : "{}", ttl, hold ? hold : "", hold_ttl};
    redisReply *rep = redis_eval(r, &apply_script, nk, keys, 6, args, NULL);
    if (!rep)
        goto out;
    if (rep->type == REDIS_REPLY_INTEGER) {
        *applied = rep->integer >= 1;
        *consumed = rep->integer == 2;
        rc = EVENT_DONE;
    } else {
        snprintf(err, errlen, "checkout script failed: %s", rep->type == REDIS_REPLY_ERROR ? rep->str : "bad reply");
        rc = EVENT_RETRY;
    }
    freeReplyObject(rep);
out:
    free(sk);
    free(ck);
    free(keys);
    free(skus);
    free(qty);
    json_decref(units);
    json_decref(unmatched);
    json_decref(req);
    json_decref(items);
    json_decref(at);
    free(text);
    return rc;
}

event_rc checkout_apply(redis_conn_t *r, const char *session_id, const stripe_line_t *lines, size_t n, int *applied,
                        char *err, size_t errlen)
{
    int consumed = 0;
    return checkout_apply_hold(r, session_id, lines, n, NULL, applied, &consumed, err, errlen);
}


int checkout_parse_items(const char *s, stripe_line_t **lines, size_t *n, char *err, size_t errlen)
{
    stripe_line_t *v = NULL;
    size_t m = 0;
    int rc = -1;

    *lines = NULL;
    *n = 0;
    v = calloc(MAX_SESSION_SKUS, sizeof(*v));
    if (!v) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    const char *p = s;
    for (int entry = 1;; entry++) {
        while (*p == ' ')
            p++;
        const char *colon = strchr(p, ':');
        const char *comma = strchr(p, ',');
        if (!comma)
            comma = p + strlen(p);
        if (!colon || colon > comma) {
            snprintf(err, errlen, "entry %d: expected SKU:QUANTITY", entry);
            goto out;
        }
        const char *sku_end = colon;
        while (sku_end > p && sku_end[-1] == ' ')
            sku_end--;
        char sku[STRIPE_ID_MAX];
        size_t sl = (size_t)(sku_end - p);
        if (sl == 0 || sl >= sizeof(sku)) {
            snprintf(err, errlen, "entry %d: the SKU is %s", entry, sl ? "too long" : "empty");
            goto out;
        }
        memcpy(sku, p, sl);
        sku[sl] = '\0';
        if (!catalog_valid_id(sku)) {
            snprintf(err, errlen, "entry %d: SKU %s must be 1-50 characters of A-Z a-z 0-9 . _ -", entry, sku);
            goto out;
        }
        const char *q = colon + 1;
        while (*q == ' ')
            q++;
        long long qty = 0;
        const char *d = q;
        for (; d < comma && *d >= '0' && *d <= '9'; d++) {
            qty = qty * 10 + (*d - '0');
            if (qty > STRIPE_MAX_QUANTITY)
                break;
        }
        const char *t = d;
        while (t < comma && *t == ' ')
            t++;
        if (d == q || t != comma || qty < 1 || qty > STRIPE_MAX_QUANTITY) {
            snprintf(err, errlen, "entry %d (%s): the quantity must be a whole number from 1 to %lld", entry, sku,
                     STRIPE_MAX_QUANTITY);
            goto out;
        }
        size_t k;
        for (k = 0; k < m && strcmp(v[k].sku, sku) != 0; k++)
            ;
        if (k == m) {
            if (m == MAX_SESSION_SKUS) {
                snprintf(err, errlen, "more than %d distinct SKUs", MAX_SESSION_SKUS);
                goto out;
            }
            snprintf(v[m].sku, sizeof(v[m].sku), "%s", sku);
            v[m].sku_source = STRIPE_SKU_METADATA;
            m++;
        }
        if (v[k].quantity + qty > STRIPE_MAX_QUANTITY) {
            snprintf(err, errlen, "SKU %s: more than %lld units in all", sku, STRIPE_MAX_QUANTITY);
            goto out;
        }
        v[k].quantity += qty;
        if (!*comma)
            break;
        p = comma + 1;
    }
    *lines = v;
    *n = m;
    v = NULL;
    rc = 0;
out:
    free(v);
    return rc;
}

void checkout_event_free(checkout_event_t *ce)
{
    stripe_lines_free(ce->lines, ce->n_lines);
    ce->lines = NULL;
    ce->n_lines = 0;
}

checkout_need checkout_prepare(const char *body, size_t len, checkout_event_t *ce, char *err, size_t errlen)
{
    memset(ce, 0, sizeof(*ce));
    if (stripe_parse_event(body, len, &ce->ev, err, errlen) != 0)
        return CHECKOUT_BAD;
    return checkout_classify(ce);
}

checkout_need checkout_classify(checkout_event_t *ce)
{
    char ierr[256];
    ce->lines = NULL;
    ce->n_lines = 0;
    if (ce->ev.expired && ce->ev.hold[0])
        return CHECKOUT_RELEASE;
    if (!ce->ev.applies) {
        log_event(LOG_DEBUG, "stripe_event_ignored", json_pack("{s:s,s:s}", "event_id", ce->ev.id, "type", ce->ev.type));
        return CHECKOUT_IGNORE;
    }
    if (ce->ev.has_items) {
        if (checkout_parse_items(ce->ev.items, &ce->lines, &ce->n_lines, ierr, sizeof(ierr)) == 0)
            return CHECKOUT_READY;
        snprintf(ce->ev.items_error, sizeof(ce->ev.items_error), "metadata.shopsync_items: %s", ierr);
    }
    if (ce->ev.items_error[0])
        /* The sale stands; Stripe's own line items tell what it was. */
        log_event(LOG_WARN, "stripe_items_ignored", json_pack("{s:s,s:s,s:s}", "event_id", ce->ev.id, "session_id",
                                                              ce->ev.session_id, "error", ce->ev.items_error));
    return CHECKOUT_FETCH;
}

/* Pacer of Stripe reads: a slot of the shared limiter. */
typedef struct pace_ctx {
    redis_conn_t *r;
    int per_second;
} pace_ctx_t;

static int pace_stripe(void *ctx, long long *wait_us)
{
    pace_ctx_t *p = ctx;
    /* A slot further than this would hold the batch too long; the event
     * is retried later instead. */
    return ratelimit_reserve(p->r, "stripe", "read", p->per_second, 10000, wait_us);
}

void checkout_fetch_many(const config_t *cfg, redis_conn_t *r, checkout_event_t *const *events, size_t n,
                         event_rc *rcs, char (*errs)[CHECKOUT_ERR_MAX])
{
    const char *ids[STRIPE_BATCH_MAX];
    stripe_fetch_result_t res[STRIPE_BATCH_MAX];
    pace_ctx_t pace = {r, config_stripe_read_rate(cfg)};
    stripe_config_t sc = {cfg->stripe_api_base, cfg->stripe_secret_key, 0};

    for (size_t done = 0; done < n;) {
        size_t m = n - done < STRIPE_BATCH_MAX ? n - done : STRIPE_BATCH_MAX;
        for (size_t i = 0; i < m; i++)
            ids[i] = events[done + i]->ev.session_id;
        if (!cfg->stripe_secret_key[0]) {
            for (size_t i = 0; i < m; i++) {
                rcs[done + i] = EVENT_RETRY;
                snprintf(errs[done + i], CHECKOUT_ERR_MAX,
                         "STRIPE_SECRET_KEY is not set, so line items of %s cannot be read (or send "
                         "metadata.shopsync_items with the session)", ids[i]);
            }
            done += m;
            continue;
        }
        stripe_fetch_line_items_many(&sc, ids, m, pace_stripe, &pace, res);
        for (size_t i = 0; i < m; i++) {
            checkout_event_t *ce = events[done + i];
            if (res[i].rc == STRIPE_FETCH_OK) {
                ce->lines = res[i].lines;
                ce->n_lines = res[i].n_lines;
                rcs[done + i] = EVENT_DONE;
                errs[done + i][0] = '\0';
            } else {
                rcs[done + i] = res[i].rc == STRIPE_FETCH_RETRYABLE ? EVENT_RETRY : EVENT_PERMANENT;
                snprintf(errs[done + i], CHECKOUT_ERR_MAX, "%s", res[i].err);
            }
        }
        done += m;
    }
}

event_rc checkout_finish(redis_conn_t *r, const checkout_event_t *ce, char *err, size_t errlen)
{
    int applied = 0, consumed = 0;
    event_rc rc = checkout_apply_hold(r, ce->ev.session_id, ce->lines, ce->n_lines, ce->ev.hold, &applied, &consumed,
                                      err, errlen);
    if (rc == EVENT_DONE)
        log_event(LOG_INFO, "stripe_checkout",
                  json_pack("{s:s,s:s,s:b,s:I,s:s,s:s,s:b}", "event_id", ce->ev.id, "session_id", ce->ev.session_id,
                            "applied", applied, "lines", (json_int_t)ce->n_lines, "items_from",
                            consumed ? "hold"
                            : ce->n_lines && ce->lines[0].sku_source == STRIPE_SKU_METADATA ? "metadata"
                                                                                            : "line_items",
                            "hold", ce->ev.hold, "hold_consumed", consumed));
    return rc;
}

event_rc checkout_release(redis_conn_t *r, const checkout_event_t *ce, char *err, size_t errlen)
{
    char state[16];
    int ended = 0;
    holds_rc h = holds_end(r, ce->ev.hold, "released", state, sizeof(state), &ended);
    if (h == HOLDS_UNAVAILABLE) {
        snprintf(err, errlen, "hold %s: Redis is not answering", ce->ev.hold);
        return EVENT_RETRY;
    }
    log_event(LOG_INFO, "stripe_checkout_expired",
              json_pack("{s:s,s:s,s:s,s:s,s:b}", "event_id", ce->ev.id, "session_id", ce->ev.session_id, "hold",
                        ce->ev.hold, "state", h == HOLDS_OK ? state : "unknown", "released", ended));
    return EVENT_DONE;
}
