/*
 * product_sync — the product sync job (see product_sync.h).
 */
#include "shopsync/product_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "shopsync/catalog.h"
#include "shopsync/connection.h"
#include "shopsync/crypto.h"
#include "shopsync/http_client.h"
#include "shopsync/instance.h"
#include "shopsync/jsonx.h"
#include "shopsync/log.h"
#include "shopsync/skumap.h"
#include "shopsync/stock.h"
#include "shopsync/tiktok.h"

#define JOB_TTL_S (7 * 86400)
/* The lock's value is the job id, prefixed with the instance id when the
 * job runs in `shopsync serve` (instance.h): a job whose instance died then
 * reads as interrupted and the next sync takes the lock over as soon as the
 * heartbeat lapses. The running job renews the lock before every product
 * and image, so it only has to outlive one step (a download of at most 20
 * s, a TikTok call with its retries); a job of a killed `shopsync sync`
 * frees it this long after its last step. */
#define LOCK_TTL_S 300
#define IMAGE_MAX (5 * 1024 * 1024)
#define INTERRUPTED "interrupted: the shopsync instance running this sync stopped; run Sync All Products again"

/* KEYS: 1 job hash, 2 lock. ARGV: lock owner, state, finished_at, error. The
 * job's end and the lock's release are one step, so no reader sees a
 * running job without its lock (which means interrupted). */
static const redis_script_t finish_script = {
    "sync_finish",
    "redis.call('HSET', KEYS[1], 'state', ARGV[2], 'finished_at', ARGV[3])\n"
    "if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[4]) end\n"
    "if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end\n"
    "return 1\n"};

typedef struct sync_ctx {
    const config_t *cfg;
    redis_conn_t *r;
    connection_t *conn;
    json_t *warehouses; /* owned: sales warehouse ids, primary first */
    const char *job_id;      /* borrowed */
    const atomic_int *stop;  /* borrowed, may be NULL */
    char lock[128];
    char owner[INSTANCE_OWNER_MAX];
} sync_ctx_t;

/* Renew the lock. 0 when it is no longer ours (it expired and another job
 * may have started: going on could create products twice), else 1 (also
 * when Redis did not answer: the next step finds out). */
static int keep_lock(sync_ctx_t *s)
{
    return redis_lock_extend(s->r, s->lock, s->owner, (long long)LOCK_TTL_S * 1000) != 0;
}

static int stopping(const sync_ctx_t *s)
{
    return s->stop && atomic_load(s->stop);
}

static void job_key(char *out, size_t cap, const char *id, const char *suffix)
{
    redis_key(out, cap, "sync:job:%s%s", id, suffix);
}

static void cmd_ignore(redisReply *rep)
{
    if (rep)
        freeReplyObject(rep);
}

product_sync_rc product_sync_create(const config_t *cfg, redis_conn_t *r, char *job_id)
{
    char lock[128], jk[128], last[128], now[32], owner[INSTANCE_OWNER_MAX];
    connection_t *c = connection_open(cfg, r);
    if (!c)
        return SYNC_UNAVAILABLE;
    int connected = connection_is_connected(c);
    connection_free(c);
    if (!connected)
        return SYNC_NOT_CONNECTED;
    if (crypto_random_hex(PRODUCT_SYNC_JOB_ID_HEX / 2, job_id) != 0)
        return SYNC_UNAVAILABLE;
    redis_key(lock, sizeof(lock), "sync:lock");
    instance_owner_named(owner, job_id);
    redisReply *rep = redis_cmd(r, "SET %s %s NX EX %d", lock, owner, LOCK_TTL_S);
    if (!rep)
        return SYNC_UNAVAILABLE;
    int got = rep->type == REDIS_REPLY_STATUS;
    freeReplyObject(rep);
    if (!got) {
        /* The running job's instance may have died: then its lock is ours. */
        got = instance_take_over(r, lock, owner, (long long)LOCK_TTL_S * 1000);
        if (got < 0)
            return SYNC_UNAVAILABLE;
    }
    if (!got) {
        rep = redis_cmd(r, "GET %s", lock);
        if (rep && rep->type == REDIS_REPLY_STRING)
            snprintf(job_id, PRODUCT_SYNC_JOB_ID_HEX + 1, "%s", instance_owner_name(rep->str));
        cmd_ignore(rep);
        return SYNC_BUSY;
    }
    job_key(jk, sizeof(jk), job_id, "");
    redis_key(last, sizeof(last), "sync:last");
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    rep = redis_cmd(r, "HSET %s state running total 0 done 0 created 0 updated 0 failed 0 started_at %s", jk, now);
    int ok = rep && rep->type == REDIS_REPLY_INTEGER;
    cmd_ignore(rep);
    cmd_ignore(redis_cmd(r, "EXPIRE %s %d", jk, JOB_TTL_S));
    cmd_ignore(redis_cmd(r, "SET %s %s", last, job_id));
    return ok ? SYNC_STARTED : SYNC_UNAVAILABLE;
}

/* Download url into b (capped). Returns 0 or -1 with a seller-readable
 * reason in err. */
static int download_image(const char *url, buf_t *b, char *content_type, size_t ct_cap, char *err, size_t errlen)
{
    http_request_t req;
    http_response_t resp;
    char herr[256];
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.url = url;
    req.max_body = IMAGE_MAX;
    req.follow_redirects = 1;
    req.timeout_ms = 20000;
    if (http_client_request(http_client_thread(), &req, &resp, herr, sizeof(herr)) != 0) {
        snprintf(err, errlen, "image %s could not be downloaded (%s)", url,
                 resp.too_large ? "larger than 5 MB" : herr);
        http_response_free(&resp);
        return -1;
    }
    if (resp.status != 200) {
        snprintf(err, errlen, "image %s could not be downloaded (HTTP %ld)", url, resp.status);
        http_response_free(&resp);
        return -1;
    }
    if (resp.body.len == 0) {
        snprintf(err, errlen, "image %s is empty", url);
        http_response_free(&resp);
        return -1;
    }
    snprintf(content_type, ct_cap, "%s", resp.content_type[0] ? resp.content_type : "image/jpeg");
    buf_append(b, resp.body.data, resp.body.len);
    http_response_free(&resp);
    return 0;
}

/* TikTok image uri for url, uploading it unless cached. */
static int image_uri(sync_ctx_t *s, const char *url, char *uri, size_t cap, char *err, size_t errlen)
{
    unsigned char h[32];
    char hex[65], k[160];
    crypto_sha256(url, strlen(url), h);
    crypto_hex(h, sizeof(h), hex);
    redis_key(k, sizeof(k), "tiktok:image:%s", hex);
    redisReply *rep = redis_cmd(s->r, "GET %s", k);
    if (rep && rep->type == REDIS_REPLY_STRING) {
        snprintf(uri, cap, "%s", rep->str);
        freeReplyObject(rep);
        return 0;
    }
    cmd_ignore(rep);
    /* Between uploads too: a product with many new images can take
     * minutes, and an upload already made is cached by URL. */
    if (stopping(s) || !keep_lock(s)) {
        snprintf(err, errlen, "interrupted before image %s was uploaded", url);
        return -1;
    }
    buf_t img;
    buf_init(&img, IMAGE_MAX);
    char ct[128];
    int rc = -1;
    if (download_image(url, &img, ct, sizeof(ct), err, errlen) != 0)
        goto out;
    const char *slash = strrchr(url, '/');
    const char *name = slash && slash[1] ? slash + 1 : "image.jpg";
    tiktok_image_t out;
    tiktok_result_t res;
    if (tiktok_upload_product_image(connection_client(s->conn), img.data, img.len, name, ct, &out, &res) != 0) {
        snprintf(err, errlen, "TikTok Shop did not accept image %s: %s", url, res.message);
        tiktok_result_free(&res);
        goto out;
    }
    tiktok_result_free(&res);
    snprintf(uri, cap, "%s", out.uri);
    cmd_ignore(redis_cmd(s->r, "SET %s %s", k, out.uri));
    rc = 0;
out:
    buf_free(&img);
    return rc;
}

/* TikTok product id that already holds any of p's SKUs, via Search Products. */
static int find_existing(sync_ctx_t *s, const json_t *skus, char *product_id, size_t cap)
{
    const char *list[CATALOG_MAX_SKUS];
    size_t n = 0, i;
    json_t *x;
    json_array_foreach(skus, i, x) list[n++] = json_string_value(json_object_get(x, "sku"));
    tiktok_products_t found;
    tiktok_result_t res;
    int rc = tiktok_search_products(connection_client(s->conn), list, n, 20, NULL, &found, &res);
    int hit = 1;
    if (rc == 0) {
        for (size_t p = 0; p < found.n && hit; p++) {
            for (size_t k = 0; k < found.items[p].n_skus && hit; k++) {
                for (size_t m = 0; m < n; m++) {
                    if (strcmp(found.items[p].skus[k].seller_sku, list[m]) == 0) {
                        snprintf(product_id, cap, "%s", found.items[p].id);
                        hit = 0;
                        break;
                    }
                }
            }
        }
    }
    tiktok_products_free(&found);
    tiktok_result_free(&res);
    return rc != 0 ? -1 : hit; /* 0 found, 1 none */
}

static const char *str_or(const json_t *o, const char *key, const char *def)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v && *v ? v : def;
}

/* A seller-readable reason for a failed create or edit: a refusal is about
 * the product; anything else is TikTok being busy or unreachable. */
static void describe_failure(const tiktok_result_t *res, const char *what, char *err, size_t errlen)
{
    if (res->kind == TIKTOK_PERMANENT)
        snprintf(err, errlen, "TikTok Shop rejected the %s: %s", what, res->message);
    else if (res->kind == TIKTOK_REAUTH || res->kind == TIKTOK_TOKEN_EXPIRED)
        snprintf(err, errlen, "TikTok Shop needs you to reconnect the shop (%s)", res->message);
    else
        snprintf(err, errlen, "TikTok Shop was busy or unreachable (%s); run the sync again", res->message);
}

/* Sync one product. Returns "created", "updated" or NULL with err. */
static const char *sync_one(sync_ctx_t *s, const json_t *p, char *err, size_t errlen)
{
    const config_t *cfg = s->cfg;
    const json_t *skus = json_object_get(p, "skus");
    const json_t *images = json_object_get(p, "images");
    size_t n_skus = json_array_size(skus), n_img = json_array_size(images), i;
    const char *result = NULL;
    char existing[64] = "";
    tiktok_product_ref_t ref;
    tiktok_result_t res;
    memset(&ref, 0, sizeof(ref));
    memset(&res, 0, sizeof(res));
    /* The request's arrays live on the heap: with ?wait=1 this runs on a
     * civetweb thread, whose stack is small. */
    struct sync_scratch {
        char uris[9][512];
        const char *uri_ptrs[9];
        tiktok_sku_spec_t specs[CATALOG_MAX_SKUS];
        tiktok_stock_t stock[CATALOG_MAX_SKUS];
        long long have[CATALOG_MAX_SKUS]; /* store stock the quantity came from */
        long long pending[CATALOG_MAX_SKUS]; /* the change it covers (stock_absorb_pending) */
        tiktok_attr_t attrs[CATALOG_MAX_SKUS][3];
        char sku_ids[CATALOG_MAX_SKUS][64];
    } *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    const char *category = str_or(p, "category_id", cfg->tiktok_category_id);
    if (!*category) {
        snprintf(err, errlen, "no TikTok category: set category_id on the product or TIKTOK_SHOP_CATEGORY_ID");
        goto out;
    }
    if (n_img == 0) {
        snprintf(err, errlen, "TikTok Shop needs at least one product image: add an image URL to the product");
        goto out;
    }
    for (i = 0; i < n_img && i < 9; i++) {
        if (image_uri(s, json_string_value(json_array_get(images, i)), w->uris[i], sizeof(w->uris[i]), err, errlen) != 0)
            goto out;
        w->uri_ptrs[i] = w->uris[i];
    }
    const char *primary = json_string_value(json_array_get(s->warehouses, 0));
    for (i = 0; i < n_skus; i++) {
        const json_t *x = json_array_get(skus, i);
        const char *sku = json_string_value(json_object_get(x, "sku"));
        stock_view_t v;
        /* Read now, with what TikTok has not been sent yet, so the push
         * that follows adds only later changes. An allocated SKU keeps
         * TikTok's share. */
        if (stock_view(s->r, sku, &v) != STOCK_OK) {
            snprintf(err, errlen, "Redis is not answering");
            goto out;
        }
        long long have = v.on_hand;
        long long q = v.allocated ? v.tiktok_share : have - cfg->stock_buffer;
        w->have[i] = have;
        w->pending[i] = v.pending;
        w->stock[i].warehouse_id = primary;
        w->stock[i].quantity = q < 0 ? 0 : q > TIKTOK_MAX_QUANTITY ? TIKTOK_MAX_QUANTITY : q;
        memset(&w->specs[i], 0, sizeof(w->specs[i]));
        w->specs[i].seller_sku = sku;
        w->specs[i].price_amount = json_string_value(json_object_get(x, "price"));
        w->specs[i].currency = str_or(x, "currency", "USD");
        w->specs[i].inventory = &w->stock[i];
        w->specs[i].n_inventory = 1;
        size_t na = 0;
        const char *an;
        json_t *av;
        json_object_foreach((json_t *)json_object_get(x, "attributes"), an, av) {
            if (na < 3) {
                w->attrs[i][na].name = an;
                w->attrs[i][na].value_name = json_string_value(av);
                na++;
            }
        }
        w->specs[i].sales_attributes = w->attrs[i];
        w->specs[i].n_sales_attributes = na;
    }
    const json_t *pkg = json_object_get(p, "package");
    char length[32], width[32], height[32];
    double dl = 0, dw = 0, dh = 0;
    sscanf(cfg->package_dimensions, "%lfx%lfx%lf", &dl, &dw, &dh);
    snprintf(length, sizeof(length), "%g", dl);
    snprintf(width, sizeof(width), "%g", dw);
    snprintf(height, sizeof(height), "%g", dh);
    tiktok_product_spec_t spec;
    memset(&spec, 0, sizeof(spec));
    spec.title = json_string_value(json_object_get(p, "title"));
    spec.description = str_or(p, "description", spec.title);
    spec.category_id = category;
    spec.main_image_uris = w->uri_ptrs;
    spec.n_main_images = n_img < 9 ? n_img : 9;
    spec.weight_value = str_or(pkg, "weight", cfg->package_weight);
    spec.weight_unit = str_or(pkg, "weight_unit", cfg->package_weight_unit);
    spec.length = str_or(pkg, "length", length);
    spec.width = str_or(pkg, "width", width);
    spec.height = str_or(pkg, "height", height);
    spec.dimension_unit = str_or(pkg, "dimension_unit", cfg->package_dimension_unit);
    spec.skus = w->specs;
    spec.n_skus = n_skus;

    const char *id = json_string_value(json_object_get(p, "id"));
    int have_map = skumap_product_get(s->r, id, existing, sizeof(existing));
    if (have_map < 0) {
        snprintf(err, errlen, "Redis is not answering");
        goto out;
    }
    if (have_map == 1) {
        int f = find_existing(s, skus, existing, sizeof(existing));
        if (f < 0) {
            snprintf(err, errlen, "could not search TikTok Shop for this product's SKUs; try again");
            goto out;
        }
    }
    if (existing[0]) {
        /* Keep TikTok's SKU ids so an edit updates SKUs instead of
         * replacing them. */
        for (i = 0; i < n_skus; i++) {
            skumap_entry_t e;
            if (skumap_get(s->r, w->specs[i].seller_sku, &e) == 0 && strcmp(e.product_id, existing) == 0) {
                snprintf(w->sku_ids[i], sizeof(w->sku_ids[i]), "%s", e.sku_id);
                w->specs[i].id = w->sku_ids[i];
            }
            skumap_entry_free(&e);
        }
        if (tiktok_edit_product(connection_client(s->conn), existing, &spec, &ref, &res) != 0) {
            describe_failure(&res, "update", err, errlen);
            goto out;
        }
        result = "updated";
    } else {
        if (tiktok_create_product(connection_client(s->conn), &spec, &ref, &res) != 0) {
            describe_failure(&res, "product", err, errlen);
            goto out;
        }
        result = "created";
    }
    if (ref.n_skus == 0) {
        /* Without TikTok's SKU ids no push could ever reach these SKUs. */
        snprintf(err, errlen, "TikTok Shop accepted the product but returned no SKU ids; run the sync again");
        result = NULL;
        goto out;
    }
    if (skumap_product_set(s->r, id, ref.product_id) != 0) {
        snprintf(err, errlen, "Redis is not answering");
        result = NULL;
        goto out;
    }
    json_t *wh = json_pack("[s]", primary);
    char dirty[128];
    redis_key(dirty, sizeof(dirty), "push:dirty");
    for (size_t k = 0; k < ref.n_skus; k++) {
        for (i = 0; i < n_skus; i++) {
            if (strcmp(ref.skus[k].seller_sku, w->specs[i].seller_sku) != 0)
                continue;
            skumap_set(s->r, w->specs[i].seller_sku, ref.product_id, ref.skus[k].id, wh);
            skumap_record_push(s->r, w->specs[i].seller_sku, 1, w->stock[i].quantity, NULL);
            stock_absorb_pending(s->r, w->specs[i].seller_sku, w->pending[i]);
            /* The quantity sent was read when the job began. If the stock
             * is different now, the call may have overwritten a newer push:
             * mark the SKU so the current value goes out. If it is the
             * same, any change in between marked the SKU itself, so a
             * second call would only repeat this one. */
            long long now_stock = -1;
            if (stock_get(s->r, w->specs[i].seller_sku, &now_stock) != STOCK_OK || now_stock != w->have[i])
                cmd_ignore(redis_cmd(s->r, "HINCRBY %s %s 1", dirty, w->specs[i].seller_sku));
        }
    }
    json_decref(wh);
out:
    tiktok_product_ref_free(&ref);
    tiktok_result_free(&res);
    free(w);
    return result;
}

/* End job_id (its state and error) and release its lock, in one step. */
static void finish(redis_conn_t *r, const char *job_id, const char *state, const char *error)
{
    char now[32], jk[128], lock[128], owner[INSTANCE_OWNER_MAX];
    job_key(jk, sizeof(jk), job_id, "");
    redis_key(lock, sizeof(lock), "sync:lock");
    /* A job ends in the process that created it, so its owner value is
     * the one product_sync_create set. */
    instance_owner_named(owner, job_id);
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    const char *keys[] = {jk, lock};
    const char *args[] = {owner, state, now, error};
    cmd_ignore(redis_eval(r, &finish_script, 2, keys, 4, args, NULL));
}

void product_sync_abort(redis_conn_t *r, const char *job_id, const char *why)
{
    finish(r, job_id, "failed", why);
}

int product_sync_run_progress(const config_t *cfg, redis_conn_t *r, const char *job_id, const atomic_int *stop,
                              product_sync_progress_fn fn, void *fn_ctx)
{
    char jk[128], rk[128], err[1024];
    json_t *products = NULL;
    sync_ctx_t s = {cfg, r, NULL, NULL, job_id, stop, "", ""};
    int rc = -1;

    job_key(jk, sizeof(jk), job_id, "");
    job_key(rk, sizeof(rk), job_id, ":results");
    redis_key(s.lock, sizeof(s.lock), "sync:lock");
    instance_owner_named(s.owner, job_id);
    s.conn = connection_open(cfg, r);
    if (!s.conn) {
        snprintf(err, sizeof(err), "out of memory");
        goto fail;
    }
    if (catalog_list(r, &products) != CATALOG_OK) {
        snprintf(err, sizeof(err), "Redis is not answering");
        goto fail;
    }
    cmd_ignore(redis_cmd(r, "HSET %s total %lld", jk, (long long)json_array_size(products)));
    if (connection_warehouses(s.conn, &s.warehouses, err, sizeof(err)) != 0)
        goto fail;
    size_t i;
    json_t *p;
    long long done = 0, total = (long long)json_array_size(products);
    json_array_foreach(products, i, p) {
        const char *id = json_string_value(json_object_get(p, "id"));
        /* Between products, never inside one: a product is created or
         * edited whole. */
        if (stopping(&s)) {
            snprintf(err, sizeof(err),
                     "interrupted: shopsync was stopping after %lld of %lld products; run Sync All Products again",
                     done, total);
            goto fail;
        }
        if (!keep_lock(&s)) {
            snprintf(err, sizeof(err),
                     "interrupted: the sync lost its lock after %lld of %lld products (another sync may have "
                     "started); run Sync All Products again", done, total);
            goto fail;
        }
        err[0] = '\0';
        const char *status = sync_one(&s, p, err, sizeof(err));
        json_t *row = json_pack("{s:s,s:s,s:s,s:o}", "id", id, "title",
                                json_string_value(json_object_get(p, "title")), "status", status ? status : "failed",
                                "error", status ? json_null() : json_string(err));
        char *text = jsonx_dump(row);
        json_decref(row);
        cmd_ignore(redis_cmd(r, "RPUSH %s %s", rk, text ? text : "{}"));
        free(text);
        cmd_ignore(redis_cmd(r, "HINCRBY %s %s 1", jk, status ? status : "failed"));
        cmd_ignore(redis_cmd(r, "HINCRBY %s done 1", jk));
        if (!status)
            log_event(LOG_WARN, "product_sync_failed", json_pack("{s:s,s:s}", "product", id, "error", err));
        done++;
        if (fn)
            fn(fn_ctx, done, total, id, status ? status : "failed");
    }
    finish(r, job_id, "done", "");
    rc = 0;
    goto out;
fail:
    finish(r, job_id, "failed", err);
    log_msg(LOG_WARN, "product_sync_job_failed", "%s", err);
out:
    cmd_ignore(redis_cmd(r, "EXPIRE %s %d", rk, JOB_TTL_S));
    json_decref(products);
    json_decref(s.warehouses);
    connection_free(s.conn);
    return rc;
}

int product_sync_run(const config_t *cfg, redis_conn_t *r, const char *job_id, const atomic_int *stop)
{
    return product_sync_run_progress(cfg, r, job_id, stop, NULL, NULL);
}

int product_sync_get(redis_conn_t *r, const char *job_id, json_t **out)
{
    char jk[128], rk[128], jerr[128];
    *out = NULL;
    if (strlen(job_id) != PRODUCT_SYNC_JOB_ID_HEX || strspn(job_id, "0123456789abcdef") != PRODUCT_SYNC_JOB_ID_HEX)
        return 1;
    job_key(jk, sizeof(jk), job_id, "");
    job_key(rk, sizeof(rk), job_id, ":results");
    redisReply *rep = redis_cmd(r, "HMGET %s state total done created updated failed started_at finished_at error", jk);
    if (!rep)
        return -1;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 9 || rep->element[0]->type != REDIS_REPLY_STRING) {
        freeReplyObject(rep);
        return 1;
    }
    redisReply **e = rep->element;
    int interrupted = 0;
    if (strcmp(e[0]->str, "running") == 0) {
        char lock[128];
        redis_key(lock, sizeof(lock), "sync:lock");
        redisReply *l = redis_cmd(r, "GET %s", lock);
        if (!l) {
            freeReplyObject(rep);
            return -1;
        }
        int ours = l->type == REDIS_REPLY_STRING && strcmp(instance_owner_name(l->str), job_id) == 0;
        int alive = ours ? instance_owner_alive(r, l->str) : 0;
        freeReplyObject(l);
        if (alive < 0) {
            freeReplyObject(rep);
            return -1;
        }
        interrupted = !ours || !alive;
    }
#define NUM(i) (e[i]->type == REDIS_REPLY_STRING ? json_integer(strtoll(e[i]->str, NULL, 10)) : json_integer(0))
    json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "job_id", job_id, "state",
                          interrupted ? "failed" : e[0]->str,
                          "total", NUM(1), "done", NUM(2), "created", NUM(3), "updated", NUM(4), "failed", NUM(5),
                          "started_at", NUM(6), "finished_at",
                          e[7]->type == REDIS_REPLY_STRING ? json_integer(strtoll(e[7]->str, NULL, 10)) : json_null(),
                          "error", interrupted ? json_string(INTERRUPTED)
                                   : e[8]->type == REDIS_REPLY_STRING && e[8]->len ? json_string(e[8]->str)
                                                                                   : json_null());
#undef NUM
    freeReplyObject(rep);
    json_t *results = json_array();
    rep = redis_cmd(r, "LRANGE %s 0 -1", rk);
    for (size_t i = 0; rep && rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        json_t *row = jsonx_loadb(rep->element[i]->str, rep->element[i]->len, jerr, sizeof(jerr));
        if (row)
            json_array_append_new(results, row);
    }
    cmd_ignore(rep);
    json_object_set_new(o, "results", results);
    *out = o;
    return 0;
}

int product_sync_last(redis_conn_t *r, json_t **out)
{
    char last[128], id[64];
    *out = NULL;
    redis_key(last, sizeof(last), "sync:last");
    redisReply *rep = redis_cmd(r, "GET %s", last);
    if (!rep)
        return -1;
    int have = rep->type == REDIS_REPLY_STRING && rep->len < sizeof(id);
    if (have)
        snprintf(id, sizeof(id), "%s", rep->str);
    freeReplyObject(rep);
    if (!have)
        return 0;
    return product_sync_get(r, id, out) < 0 ? -1 : 0;
}
