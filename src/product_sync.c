/*
 * product_sync — the product sync job (see product_sync.h).
 */
#include "shopsync/product_sync.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lua_scripts.h"
#include "shopsync/catalog_store.h"
#include "shopsync/connection.h"
#include "shopsync/crypto.h"
#include "shopsync/http_client.h"
#include "shopsync/instance.h"
#include "shopsync/jsonx.h"
#include "shopsync/keys.h"
#include "shopsync/log.h"
#include "shopsync/push.h"
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
#define URI_MAX 512
#define ERR_MAX 1024
#define INTERRUPTED "interrupted: the shopsync instance running this sync stopped; run Sync All Products again"

/* KEYS and ARGV: src/lua/product_sync_finish.lua. */
/* How long a product edit waits for pushes of its SKUs running now. */
#define SKU_LOCK_WAIT_MS 5000

static const redis_script_t finish_script = {"sync_finish", LUA_SRC_PRODUCT_SYNC_FINISH};

/* KEYS and ARGV: src/lua/product_sync_record.lua. */
static const redis_script_t record_script = {"sync_record", LUA_SRC_PRODUCT_SYNC_RECORD};

/* Why a job stopped starting products. */
typedef enum { HALT_NONE = 0, HALT_STOPPING = 1, HALT_LOST_LOCK = 2 } halt_t;

/* One image of a product to upload, queued for any idle thread of the job:
 * its URL (borrowed), and where its uri or error goes. It lives in the
 * product's memory, which its product keeps until the task is done. */
typedef enum { TASK_QUEUED, TASK_RUNNING, TASK_DONE } task_state_t;
typedef struct image_task {
    const char *url;
    char *uri;                 /* borrowed, URI_MAX bytes */
    char err[ERR_MAX];
    int todo;                  /* not cached when the product started */
    int rc;
    task_state_t state;        /* guarded by the job's mu */
    struct image_task *next;   /* in the job's queue */
} image_task_t;

/* What the threads of one job share. Everything below mu is guarded by it. */
typedef struct sync_job {
    const config_t *cfg;         /* borrowed */
    const atomic_int *stop;      /* borrowed, may be NULL */
    const json_t *products;      /* borrowed: only read while threads run */
    const json_t *warehouses;    /* borrowed: sales warehouse ids, primary first */
    product_sync_progress_fn fn; /* may be NULL */
    void *fn_ctx;
    char jk[KEY_MAX], rk[KEY_MAX], lock[KEY_MAX];
    char owner[INSTANCE_OWNER_MAX];
    atomic_int halt;             /* a halt_t; once set no product starts */
    pthread_mutex_t mu;
    pthread_cond_t moved;        /* a product or task ended or was queued, or the job halted */
    pthread_cond_t uploaded;     /* an upload in flight ended */
    image_task_t *queue;         /* images waiting for an idle thread */
    size_t next, total;          /* next product to start, of total */
    size_t in_flight, window, max_window;
    long long done;
    char (*uploading)[65];       /* owned: sha256 hex of the URLs being uploaded */
    size_t n_uploading, cap_uploading;
} sync_job_t;

/* One thread's handles: a Redis connection and a TikTok client (whose
 * libcurl handle is the thread's own) are never shared between threads. */
typedef struct sync_ctx {
    sync_job_t *job;     /* borrowed */
    redis_conn_t *r;
    connection_t *conn;
} sync_ctx_t;

/* From now on no product starts; the first reason is kept. */
static void halt(sync_job_t *j, halt_t why)
{
    int none = HALT_NONE;
    pthread_mutex_lock(&j->mu);
    atomic_compare_exchange_strong(&j->halt, &none, (int)why);
    pthread_cond_broadcast(&j->moved);
    pthread_mutex_unlock(&j->mu);
}

/* Renew the lock. 0 when it is no longer ours (it expired and another job
 * may have started: going on could create products twice; the job halts),
 * else 1 (also when Redis did not answer: the next step finds out). */
static int keep_lock(sync_ctx_t *s)
{
    if (redis_lock_extend(s->r, s->job->lock, s->job->owner, (long long)LOCK_TTL_S * 1000) != 0)
        return 1;
    halt(s->job, HALT_LOST_LOCK);
    return 0;
}

static int stopping(const sync_ctx_t *s)
{
    return (s->job->stop && atomic_load(s->job->stop)) || atomic_load(&s->job->halt) != HALT_NONE;
}

/* The key of job id's hash (suffix "") or of another of its keys (suffix
 * KEY_SYNC_JOB_RESULTS_SUFFIX) into out. Returns 0 or -1 (does not fit). */
SHOPSYNC_MUST_USE static int job_key(char *out, size_t cap, const char *id, const char *suffix)
{
    return redis_key(out, cap, KEY_SYNC_JOB_FMT, id, suffix);
}

static void cmd_ignore(redisReply *rep)
{
    if (rep)
        freeReplyObject(rep);
}

product_sync_rc product_sync_create(const config_t *cfg, redis_conn_t *r, char *job_id)
{
    char lock[KEY_MAX], jk[KEY_MAX], last[KEY_MAX], now[32], owner[INSTANCE_OWNER_MAX];
    connection_t *c = connection_open(cfg, r);
    if (!c)
        return SYNC_UNAVAILABLE;
    int connected = connection_is_connected(c);
    connection_free(c);
    if (!connected)
        return SYNC_NOT_CONNECTED;
    if (crypto_random_hex(PRODUCT_SYNC_JOB_ID_HEX / 2, job_id) != 0 || redis_key(lock, sizeof(lock), KEY_SYNC_LOCK) ||
        job_key(jk, sizeof(jk), job_id, "") || redis_key(last, sizeof(last), KEY_SYNC_LAST))
        return SYNC_UNAVAILABLE;
    instance_owner_named(owner, job_id);
    int got = instance_lock(r, lock, owner, (long long)LOCK_TTL_S * 1000);
    if (got < 0)
        return SYNC_UNAVAILABLE;
    if (!got) {
        redisReply *holder = redis_cmd(r, "GET %s", lock);
        if (holder && holder->type == REDIS_REPLY_STRING)
            snprintf(job_id, PRODUCT_SYNC_JOB_ID_HEX + 1, "%s", instance_owner_name(holder->str));
        cmd_ignore(holder);
        return SYNC_BUSY;
    }
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    redisReply *rep =
        redis_cmd(r, "HSET %s state running total 0 done 0 created 0 updated 0 failed 0 started_at %s", jk, now);
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

/* The cached TikTok uri of the image whose cache key is k (borrowed), into
 * uri. Returns 1 when cached, else 0 (Redis not answering included: the
 * upload is then tried). */
static int image_cached(redis_conn_t *r, const char *k, char *uri, size_t cap)
{
    return redis_get_str(r, uri, cap, "GET %s", k) == 0;
}

static void url_hash(const char *url, char *hex)
{
    unsigned char h[32];
    crypto_sha256(url, strlen(url), h);
    crypto_hex(h, sizeof(h), hex);
}

/* Become the one thread of the job uploading the image whose URL hashes to
 * hex (borrowed, 65 bytes). When another thread is uploading it, wait for
 * that upload to end and return 0: look in the cache again. Else return 1
 * with *held set when hex was registered, to be released with
 * image_release (the registry has a place for every thread, so it always
 * is; a full one would only mean a second upload). */
static int image_claim(sync_job_t *j, const char *hex, int *held)
{
    int waited = 0;
    *held = 0;
    pthread_mutex_lock(&j->mu);
    for (;;) {
        size_t i = 0;
        while (i < j->n_uploading && strcmp(j->uploading[i], hex) != 0)
            i++;
        if (i == j->n_uploading)
            break;
        waited = 1;
        pthread_cond_wait(&j->uploaded, &j->mu);
    }
    if (!waited && j->n_uploading < j->cap_uploading) {
        memcpy(j->uploading[j->n_uploading++], hex, 65);
        *held = 1;
    }
    pthread_mutex_unlock(&j->mu);
    return !waited;
}

/* The upload of hex (borrowed) ended, whatever its outcome. */
static void image_release(sync_job_t *j, const char *hex)
{
    pthread_mutex_lock(&j->mu);
    for (size_t i = 0; i < j->n_uploading; i++) {
        if (strcmp(j->uploading[i], hex) == 0) {
            memcpy(j->uploading[i], j->uploading[--j->n_uploading], 65);
            break;
        }
    }
    pthread_cond_broadcast(&j->uploaded);
    pthread_mutex_unlock(&j->mu);
}

/* TikTok image uri for url (borrowed) into uri, uploading it unless cached.
 * Products that share an image and are synced at once upload it once: the
 * others wait for that upload and take its uri from the cache. */
static int image_uri(sync_ctx_t *s, const char *url, char *uri, size_t cap, char *err, size_t errlen)
{
    char hex[65], k[KEY_MAX];
    int held = 0;
    url_hash(url, hex);
    if (redis_key(k, sizeof(k), KEY_TIKTOK_IMAGE_FMT, hex)) {
        snprintf(err, errlen, "image %s: its cache key is too long for Redis", url);
        return -1;
    }
    for (;;) {
        if (image_cached(s->r, k, uri, cap))
            return 0;
        if (image_claim(s->job, hex, &held))
            break;
    }
    buf_t img;
    buf_init(&img, IMAGE_MAX);
    char ct[128];
    int rc = -1;
    /* Between uploads too: a product with many new images can take
     * minutes, and an upload already made is cached by URL. */
    if (stopping(s) || !keep_lock(s)) {
        snprintf(err, errlen, "interrupted before image %s was uploaded", url);
        goto out;
    }
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
    if (held)
        image_release(s->job, hex);
    buf_free(&img);
    return rc;
}

/* Run task t (borrowed) on this thread's handles. */
static void run_task(sync_ctx_t *s, image_task_t *t)
{
    t->rc = image_uri(s, t->url, t->uri, URI_MAX, t->err, sizeof(t->err));
    pthread_mutex_lock(&s->job->mu);
    t->state = TASK_DONE;
    pthread_cond_broadcast(&s->job->moved);
    pthread_mutex_unlock(&s->job->mu);
}

/* Take t (borrowed) off the job's queue if it is still there; the job's mu
 * is held. Returns 1 when taken. */
static int unqueue(sync_job_t *j, image_task_t *t)
{
    for (image_task_t **q = &j->queue; *q; q = &(*q)->next) {
        if (*q == t) {
            *q = t->next;
            t->state = TASK_RUNNING;
            return 1;
        }
    }
    return 0;
}

/* The TikTok uris of the first n images (borrowed) into uris, with t
 * (borrowed, n tasks) as the images' tasks. The images
 * not cached yet beyond the first are queued for the job's idle threads
 * (waiting for the window, or out of products), each with its own handles,
 * so a product with several new images waits for one upload instead of
 * each in turn; what no idle thread takes, this thread uploads itself, so
 * a busy job makes no extra calls at once. On failure err names the first
 * image, in the product's order, that failed. Returns 0 or -1. */
static int product_images(sync_ctx_t *s, const json_t *images, size_t n, char (*uris)[URI_MAX],
                          image_task_t *t, char *err, size_t errlen)
{
    sync_job_t *j = s->job;
    char hex[65];
    size_t i, first = n;
    for (i = 0; i < n; i++) {
        memset(&t[i], 0, sizeof(t[i]));
        t[i].url = json_string_value(json_array_get(images, i));
        t[i].uri = uris[i];
        url_hash(t[i].url, hex);
        t[i].todo = !image_cached(s->r, hex, uris[i], URI_MAX);
        if (t[i].todo && first == n)
            first = i;
    }
    pthread_mutex_lock(&j->mu);
    for (i = n; i-- > first + 1;) {
        if (t[i].todo) {
            t[i].state = TASK_QUEUED;
            t[i].next = j->queue;
            j->queue = &t[i];
        }
    }
    pthread_cond_broadcast(&j->moved);
    pthread_mutex_unlock(&j->mu);
    for (i = first; i < n; i++) {
        if (!t[i].todo)
            continue;
        pthread_mutex_lock(&j->mu);
        int mine = i == first || unqueue(j, &t[i]);
        pthread_mutex_unlock(&j->mu);
        if (mine)
            run_task(s, &t[i]);
    }
    /* The tasks idle threads took must end before this memory goes. */
    pthread_mutex_lock(&j->mu);
    for (i = first; i < n; i++) {
        while (t[i].todo && t[i].state != TASK_DONE)
            pthread_cond_wait(&j->moved, &j->mu);
    }
    pthread_mutex_unlock(&j->mu);
    for (i = 0; i < n; i++) {
        if (t[i].todo && t[i].rc != 0) {
            snprintf(err, errlen, "%s", t[i].err);
            return -1;
        }
    }
    return 0;
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
    const config_t *cfg = s->job->cfg;
    const json_t *skus = json_object_get(p, "skus");
    const json_t *images = json_object_get(p, "images");
    size_t n_skus = json_array_size(skus), n_img = json_array_size(images), i;
    /* The SKUs whose push locks this sync holds: every SKU, as the catalog
     * lists at most CATALOG_MAX_SKUS per product. */
    size_t n_held = n_skus < CATALOG_MAX_SKUS ? n_skus : CATALOG_MAX_SKUS;
    const char *result = NULL;
    char existing[64] = "", dirty[KEY_MAX], owner[INSTANCE_OWNER_MAX] = "";
    const char *sku_names[CATALOG_MAX_SKUS];
    int locked = 0;
    tiktok_product_ref_t ref;
    tiktok_result_t res;
    memset(&ref, 0, sizeof(ref));
    memset(&res, 0, sizeof(res));
    /* Built before anything reaches TikTok Shop. */
    if (redis_key(dirty, sizeof(dirty), KEY_PUSH_DIRTY)) {
        snprintf(err, errlen, "the push marks' Redis key is too long (SHOPSYNC_REDIS_PREFIX)");
        return NULL;
    }
    /* The request's arrays live on the heap: with ?wait=1 this runs on a
     * civetweb thread, whose stack is small. */
    struct sync_scratch {
        char uris[TIKTOK_MAX_MAIN_IMAGES][URI_MAX];
        const char *uri_ptrs[TIKTOK_MAX_MAIN_IMAGES];
        image_task_t images[TIKTOK_MAX_MAIN_IMAGES];
        tiktok_sku_spec_t specs[CATALOG_MAX_SKUS];
        tiktok_stock_t stock[CATALOG_MAX_SKUS];
        long long have[CATALOG_MAX_SKUS]; /* store stock the quantity came from */
        long long pending[CATALOG_MAX_SKUS]; /* the change it covers (stock_absorb_pending) */
        tiktok_attr_t attrs[CATALOG_MAX_SKUS][TIKTOK_MAX_SALES_ATTRIBUTES];
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
    size_t n_main = n_img < TIKTOK_MAX_MAIN_IMAGES ? n_img : TIKTOK_MAX_MAIN_IMAGES;
    if (product_images(s, images, n_main, w->uris, w->images, err, errlen) != 0)
        goto out;
    for (i = 0; i < n_main; i++)
        w->uri_ptrs[i] = w->uris[i];
    const char *primary = json_string_value(json_array_get(s->job->warehouses, 0));
    /* No push of these SKUs may run between the read below and the record
     * of what the edit set: a push landing after the edit would count a
     * sale the edit already carried (TikTok one short per sale). */
    for (i = 0; i < n_held; i++)
        sku_names[i] = json_string_value(json_object_get(json_array_get(skus, i), "sku"));
    locked = push_hold_skus(s->r, sku_names, n_held, SKU_LOCK_WAIT_MS, owner) == 0;
    if (!locked)
        log_event(LOG_WARN, "sync_push_busy", json_pack("{s:s,s:s}", "sku", sku_names[0] ? sku_names[0] : "",
                                                        "reason", "a push kept the SKU's lock; the edit goes ahead "
                                                                  "and the SKU is marked for another push"));
    for (i = 0; i < n_skus; i++) {
        const json_t *x = json_array_get(skus, i);
        const char *sku = sku_names[i];
        stock_view_t v;
        /* Read now, with what TikTok has not been sent yet, so the push
         * that follows adds only later changes. An allocated SKU keeps
         * TikTok's share. */
        if (stock_view(s->r, sku, &v) != STOCK_OK) {
            snprintf(err, errlen, "Redis is not answering");
            goto out;
        }
        long long have = v.on_hand;
        /* What the SKU's channel rule lets TikTok show (TikTok's share
         * when allocated); a SKU the rule keeps out of sync is listed
         * with 0 and then left to the seller. */
        long long q = v.sync ? v.tiktok : 0;
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
            if (na < TIKTOK_MAX_SALES_ATTRIBUTES) {
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
    spec.n_main_images = n_main;
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
    for (size_t k = 0; k < ref.n_skus; k++) {
        for (i = 0; i < n_skus; i++) {
            if (strcmp(ref.skus[k].seller_sku, w->specs[i].seller_sku) != 0)
                continue;
            skumap_set(s->r, w->specs[i].seller_sku, ref.product_id, ref.skus[k].id, wh);
            skumap_record_push(s->r, w->specs[i].seller_sku, 1, w->stock[i].quantity, NULL);
            long long left = 0;
            int absorbed = stock_absorb_pending(s->r, w->specs[i].seller_sku, w->pending[i], w->stock[i].quantity,
                                                &left);
            /* The quantity sent was read when the job began. If the stock
             * is different now, the call may have overwritten a newer push:
             * mark the SKU so the current value goes out. A push that ran
             * beside this call may have counted the same change (a change
             * still pending): then the next push evens it out. If nothing
             * differs, any change in between marked the SKU itself, so a
             * second call would only repeat this one. */
            long long now_stock = -1;
            if (absorbed != 0 || left != 0 || stock_get(s->r, w->specs[i].seller_sku, &now_stock) != STOCK_OK ||
                now_stock != w->have[i])
                cmd_ignore(redis_cmd(s->r, "HINCRBY %s %s 1", dirty, w->specs[i].seller_sku));
        }
    }
    json_decref(wh);
out:
    if (locked)
        push_release_skus(s->r, sku_names, n_held, owner);
    tiktok_product_ref_free(&ref);
    tiktok_result_free(&res);
    free(w);
    return result;
}

/* End job_id (its state and error) and release its lock, in one step. */
static void finish(redis_conn_t *r, const char *job_id, const char *state, const char *error)
{
    char now[32], jk[KEY_MAX], lock[KEY_MAX], owner[INSTANCE_OWNER_MAX];
    /* Job ids are of a fixed length: product_sync_create built these keys. */
    if (job_key(jk, sizeof(jk), job_id, "") || redis_key(lock, sizeof(lock), KEY_SYNC_LOCK))
        return;
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

/* Store product p's result (p, status and err borrowed; status NULL:
 * failed, with err). */
static void record(sync_ctx_t *s, const json_t *p, const char *status, const char *err)
{
    const char *id = json_string_value(json_object_get(p, "id"));
    json_t *row = json_pack("{s:s,s:s,s:s,s:o}", "id", id, "title", json_string_value(json_object_get(p, "title")),
                            "status", status ? status : "failed", "error", status ? json_null() : json_string(err));
    char *text = jsonx_dump(row);
    json_decref(row);
    const char *keys[] = {s->job->jk, s->job->rk};
    const char *args[] = {text ? text : "{}", status ? status : "failed"};
    cmd_ignore(redis_eval(s->r, &record_script, 2, keys, 2, args, NULL));
    free(text);
    if (!status)
        log_event(LOG_WARN, "product_sync_failed", json_pack("{s:s,s:s}", "product", id, "error", err));
}

/* Take products and sync them until none is left or the job halts, and
 * upload other products' queued images while no product may start. Every
 * thread of the job runs this with its own handles. */
static void run_products(sync_ctx_t *s)
{
    sync_job_t *j = s->job;
    char err[ERR_MAX];
    for (;;) {
        const json_t *p = NULL;
        image_task_t *t = NULL;
        pthread_mutex_lock(&j->mu);
        for (;;) {
            int more = atomic_load(&j->halt) == HALT_NONE && j->next < j->total;
            if (j->queue) {
                t = j->queue;
                j->queue = t->next;
                t->state = TASK_RUNNING;
                break;
            }
            if (more && j->in_flight < j->window) {
                p = json_array_get(j->products, j->next++);
                j->in_flight++;
                break;
            }
            if (!more && j->in_flight == 0)
                break;
            pthread_cond_wait(&j->moved, &j->mu);
        }
        pthread_mutex_unlock(&j->mu);
        if (t) {
            run_task(s, t);
            continue;
        }
        if (!p)
            return;

        const char *status = NULL;
        int synced = 0;
        /* Between products, never inside one: a product is created or
         * edited whole. keep_lock halts the job when the lock is lost. */
        if (j->stop && atomic_load(j->stop)) {
            halt(j, HALT_STOPPING);
        } else if (keep_lock(s)) {
            err[0] = '\0';
            status = sync_one(s, p, err, sizeof(err));
            record(s, p, status, err);
            synced = 1;
        }

        pthread_mutex_lock(&j->mu);
        j->in_flight--;
        if (synced) {
            j->done++;
            /* The first product goes alone and each one that ends lets one
             * more start, so the number in flight doubles every round trip
             * up to SHOPSYNC_SYNC_CONCURRENCY: an expired token or a shop
             * that refuses every call meets one call, not a burst, and a
             * stop soon after the start leaves most of the catalog as it
             * was. */
            if (j->window < j->max_window)
                j->window++;
            /* Under the lock: the callback sees done rise one by one. */
            if (j->fn)
                j->fn(j->fn_ctx, j->done, (long long)j->total, json_string_value(json_object_get(p, "id")),
                      status ? status : "failed");
        }
        pthread_cond_broadcast(&j->moved);
        pthread_mutex_unlock(&j->mu);
    }
}

/* A worker thread of the job (arg: its sync_ctx_t, borrowed): its own Redis
 * connection and TikTok client. A thread that cannot get them leaves the
 * products to the others. */
static void *worker_thread(void *arg)
{
    sync_ctx_t *s = arg;
    s->r = redis_conn_new();
    if (s->r)
        s->conn = connection_open(s->job->cfg, s->r);
    if (s->conn)
        run_products(s);
    connection_free(s->conn);
    redis_conn_free(s->r);
    return NULL;
}

int product_sync_run_progress(const config_t *cfg, redis_conn_t *r, const char *job_id, const atomic_int *stop,
                              product_sync_progress_fn fn, void *fn_ctx)
{
    char err[ERR_MAX];
    json_t *products = NULL, *warehouses = NULL;
    sync_ctx_t *workers = NULL;
    pthread_t *threads = NULL;
    size_t n_threads = 0, i;
    sync_job_t j;
    sync_ctx_t s = {&j, r, NULL};
    int rc = -1;

    memset(&j, 0, sizeof(j));
    j.cfg = cfg;
    j.stop = stop;
    j.fn = fn;
    j.fn_ctx = fn_ctx;
    atomic_init(&j.halt, HALT_NONE);
    pthread_mutex_init(&j.mu, NULL);
    pthread_cond_init(&j.moved, NULL);
    pthread_cond_init(&j.uploaded, NULL);
    instance_owner_named(j.owner, job_id);
    if (job_key(j.jk, sizeof(j.jk), job_id, "") || job_key(j.rk, sizeof(j.rk), job_id, KEY_SYNC_JOB_RESULTS_SUFFIX) ||
        redis_key(j.lock, sizeof(j.lock), KEY_SYNC_LOCK)) {
        snprintf(err, sizeof(err), "the job's Redis keys are too long (SHOPSYNC_REDIS_PREFIX)");
        goto fail;
    }
    s.conn = connection_open(cfg, r);
    if (!s.conn) {
        snprintf(err, sizeof(err), "out of memory");
        goto fail;
    }
    if (catalog_list(r, &products) != CATALOG_OK) {
        snprintf(err, sizeof(err), "Redis is not answering");
        goto fail;
    }
    j.products = products;
    j.total = json_array_size(products);
    cmd_ignore(redis_cmd(r, "HSET %s total %lld", j.jk, (long long)j.total));
    if (connection_warehouses(s.conn, &warehouses, err, sizeof(err)) != 0)
        goto fail;
    j.warehouses = warehouses;

    size_t n = j.total < (size_t)cfg->sync_concurrency ? j.total : (size_t)cfg->sync_concurrency;
    if (n < 1)
        n = 1;
    j.window = 1;
    j.max_window = n;
    /* Each thread uploads at most one image at a time. */
    j.cap_uploading = n;
    j.uploading = calloc(j.cap_uploading, sizeof(*j.uploading));
    workers = calloc(n, sizeof(*workers));
    threads = calloc(n, sizeof(*threads));
    if (!j.uploading || !workers || !threads) {
        snprintf(err, sizeof(err), "out of memory");
        goto fail;
    }
    /* This thread is one of the workers; a thread that does not start only
     * lowers the concurrency. */
    for (i = 1; i < n; i++) {
        workers[n_threads].job = &j;
        if (pthread_create(&threads[n_threads], NULL, worker_thread, &workers[n_threads]) == 0)
            n_threads++;
    }
    run_products(&s);
    for (i = 0; i < n_threads; i++)
        pthread_join(threads[i], NULL);

    if (atomic_load(&j.halt) == HALT_STOPPING) {
        snprintf(err, sizeof(err),
                 "interrupted: shopsync was stopping after %lld of %lld products; run Sync All Products again", j.done,
                 (long long)j.total);
        goto fail;
    }
    if (atomic_load(&j.halt) == HALT_LOST_LOCK) {
        snprintf(err, sizeof(err),
                 "interrupted: the sync lost its lock after %lld of %lld products (another sync may have "
                 "started); run Sync All Products again", j.done, (long long)j.total);
        goto fail;
    }
    finish(r, job_id, "done", "");
    rc = 0;
    goto out;
fail:
    finish(r, job_id, "failed", err);
    log_msg(LOG_WARN, "product_sync_job_failed", "%s", err);
out:
    cmd_ignore(redis_cmd(r, "EXPIRE %s %d", j.rk, JOB_TTL_S));
    free(threads);
    free(workers);
    free(j.uploading);
    json_decref(products);
    json_decref(warehouses);
    connection_free(s.conn);
    pthread_cond_destroy(&j.uploaded);
    pthread_cond_destroy(&j.moved);
    pthread_mutex_destroy(&j.mu);
    return rc;
}

int product_sync_run(const config_t *cfg, redis_conn_t *r, const char *job_id, const atomic_int *stop)
{
    return product_sync_run_progress(cfg, r, job_id, stop, NULL, NULL);
}

int product_sync_get(redis_conn_t *r, const char *job_id, json_t **out)
{
    char jk[KEY_MAX], rk[KEY_MAX], lock[KEY_MAX], jerr[128];
    *out = NULL;
    if (strlen(job_id) != PRODUCT_SYNC_JOB_ID_HEX || strspn(job_id, "0123456789abcdef") != PRODUCT_SYNC_JOB_ID_HEX)
        return 1;
    if (job_key(jk, sizeof(jk), job_id, "") || job_key(rk, sizeof(rk), job_id, KEY_SYNC_JOB_RESULTS_SUFFIX) ||
        redis_key(lock, sizeof(lock), KEY_SYNC_LOCK))
        return -1;
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
        interrupted = instance_job_interrupted(r, lock, job_id);
        if (interrupted < 0) {
            freeReplyObject(rep);
            return -1;
        }
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
    char last[KEY_MAX], id[64];
    *out = NULL;
    if (redis_key(last, sizeof(last), KEY_SYNC_LAST))
        return -1;
    int got = redis_get_str(r, id, sizeof(id), "GET %s", last);
    if (got != 0)
        return got < 0 ? -1 : 0;
    return product_sync_get(r, id, out) < 0 ? -1 : 0;
}
