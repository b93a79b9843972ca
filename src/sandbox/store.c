/*
 * store — the sandbox's in-memory state (see store.h).
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopsync/crypto.h"

const sb_warehouse_t sb_warehouses[SB_WAREHOUSE_COUNT] = {
    {"7068517275539719942", "Sandbox Main Warehouse", 1, "Austin", "100 Congress Ave",
     "78701"},
    {"7068517275539719943", "Sandbox East Warehouse", 0, "Newark", "1 Harbor Way", "07102"},
};

int sb_store_new(const sb_config_t *cfg, sb_store_t **out)
{
    sb_store_t *s = NULL;
    int rc = -1;

    s = calloc(1, sizeof(*s));
    if (!s)
        goto out;
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s);
        s = NULL;
        goto out;
    }
    s->cfg = cfg;
    s->faults.latency_ms = cfg->api_latency_ms;
    s->faults.webhook_delay_ms = cfg->webhook_delay_ms;
    s->products = json_array();
    s->orders = json_array();
    s->order_hooks = json_object();
    s->stripe_sessions = json_object();
    s->inventory_log = json_object();
    s->ads_events = json_array();
    s->ads_calls = json_array();
    s->mapi_codes = json_object();
    s->mapi_tokens = json_object();
    s->dmp_files = json_object();
    s->dmp_audiences = json_object();
    if (!s->products || !s->orders || !s->order_hooks || !s->stripe_sessions ||
        !s->inventory_log || !s->ads_events || !s->ads_calls || !s->mapi_codes || !s->mapi_tokens ||
        !s->dmp_files || !s->dmp_audiences)
        goto out;
    char hex[33];
    sb_random_hex(12, hex);
    snprintf(s->shop_cipher, sizeof(s->shop_cipher), "ROW_%s", hex);
    sb_random_hex(16, hex);
    snprintf(s->open_id, sizeof(s->open_id), "%s", hex);
    /* A random start makes ids differ between runs, so a client that caches
     * ids across a sandbox restart notices. */
    unsigned int r = 0;
    if (crypto_random(&r, sizeof(r)) != 0)
        goto out;
    s->seq = 1000000000ULL + (r % 1000000000ULL);
    *out = s;
    s = NULL;
    rc = 0;
out:
    sb_store_free(s);
    return rc;
}

static void images_clear(sb_store_t *s)
{
    for (size_t i = 0; i < s->n_images; i++)
        free(s->images[i].data);
    s->n_images = 0;
    s->image_bytes = 0;
}

void sb_store_free(sb_store_t *s)
{
    if (!s)
        return;
    images_clear(s);
    json_decref(s->products);
    json_decref(s->orders);
    json_decref(s->order_hooks);
    json_decref(s->stripe_sessions);
    json_decref(s->inventory_log);
    json_decref(s->ads_events);
    json_decref(s->ads_calls);
    json_decref(s->mapi_codes);
    json_decref(s->mapi_tokens);
    json_decref(s->dmp_files);
    json_decref(s->dmp_audiences);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void sb_store_lock(sb_store_t *s)
{
    pthread_mutex_lock(&s->mu);
}

void sb_store_unlock(sb_store_t *s)
{
    pthread_mutex_unlock(&s->mu);
}

void sb_store_reset(sb_store_t *s)
{
    json_array_clear(s->products);
    json_array_clear(s->orders);
    json_object_clear(s->order_hooks);
    json_object_clear(s->stripe_sessions);
    s->n_stripe_sessions = 0;
    json_object_clear(s->inventory_log);
    s->n_inventory_log = 0;
    s->inventory_log_dropped = 0;
    json_array_clear(s->ads_events);
    json_array_clear(s->ads_calls);
    json_object_clear(s->mapi_codes);
    json_object_clear(s->mapi_tokens);
    json_object_clear(s->dmp_files);
    json_object_clear(s->dmp_audiences);
    s->dmp_seq = 0;
    s->dmp_uploads = 0;
    s->dmp_corrupt_next = 0;
    s->mapi_revision = 0;
    s->mapi_fail_next = 0;
    s->mapi_report_calls = 0;
    s->n_grants = 0;
    s->n_codes = 0;
    images_clear(s);
    memset(s->window_start_ms, 0, sizeof(s->window_start_ms));
    memset(s->window_count, 0, sizeof(s->window_count));
    memset(s->route_calls, 0, sizeof(s->route_calls));
    memset(&s->counters, 0, sizeof(s->counters));
}

void sb_store_new_id(sb_store_t *s, const char *prefix, char out[SB_ID_LEN])
{
    /* 6 prefix digits + 13 sequence digits = 19 digits, built as a string so
     * no id ever passes through a double. */
    s->seq++;
    snprintf(out, SB_ID_LEN, "%.6s%013llu", prefix, s->seq % 10000000000000ULL);
}

const sb_warehouse_t *sb_store_warehouse(const char *id)
{
    for (int i = 0; i < SB_WAREHOUSE_COUNT; i++) {
        if (strcmp(sb_warehouses[i].id, id) == 0)
            return &sb_warehouses[i];
    }
    return NULL;
}

static void new_token(const char *prefix, char out[SB_TOKEN_LEN])
{
    char hex[49];
    sb_random_hex(24, hex);
    snprintf(out, SB_TOKEN_LEN, "%s%s", prefix, hex);
}

void sb_store_code_issue(sb_store_t *s, char out[SB_TOKEN_LEN])
{
    if (s->n_codes == SB_MAX_CODES) {
        memmove(&s->codes[0], &s->codes[1], (SB_MAX_CODES - 1) * sizeof(s->codes[0]));
        s->n_codes--;
    }
    sb_code_t *c = &s->codes[s->n_codes++];
    new_token("AC_", c->code);
    c->exp = sb_now() + SB_CODE_TTL;
    memcpy(out, c->code, SB_TOKEN_LEN);
}

int sb_store_code_take(sb_store_t *s, const char *code)
{
    for (size_t i = 0; i < s->n_codes; i++) {
        if (!sb_str_equal(s->codes[i].code, code))
            continue;
        int rc = s->codes[i].exp < sb_now() ? -2 : 0;
        memmove(&s->codes[i], &s->codes[i + 1], (s->n_codes - i - 1) * sizeof(s->codes[0]));
        s->n_codes--;
        return rc;
    }
    return -1;
}

sb_grant_t *sb_store_grant_new(sb_store_t *s)
{
    if (s->n_grants == SB_MAX_GRANTS) {
        memmove(&s->grants[0], &s->grants[1], (SB_MAX_GRANTS - 1) * sizeof(s->grants[0]));
        s->n_grants--;
    }
    sb_grant_t *g = &s->grants[s->n_grants++];
    memset(g, 0, sizeof(*g));
    new_token("ROW_AT_", g->access);
    new_token("ROW_RT_", g->refresh);
    g->access_exp = sb_now() + s->cfg->access_ttl;
    g->refresh_exp = sb_now() + SB_REFRESH_TTL;
    s->counters.tokens_issued++;
    return g;
}

sb_grant_t *sb_store_grant_by_refresh(sb_store_t *s, const char *rt)
{
    for (size_t i = 0; i < s->n_grants; i++) {
        sb_grant_t *g = &s->grants[i];
        if (!g->revoked && g->refresh_exp > sb_now() && sb_str_equal(g->refresh, rt))
            return g;
    }
    return NULL;
}

void sb_store_grant_refresh(sb_store_t *s, sb_grant_t *g)
{
    new_token("ROW_AT_", g->access);
    g->access_exp = sb_now() + s->cfg->access_ttl;
    if (s->cfg->rotate_refresh)
        new_token("ROW_RT_", g->refresh);
    s->counters.token_refreshes++;
}

sb_token_rc sb_store_token_check(sb_store_t *s, const char *token)
{
    for (size_t i = 0; i < s->n_grants; i++) {
        sb_grant_t *g = &s->grants[i];
        if (g->revoked || !sb_str_equal(g->access, token))
            continue;
        return g->access_exp <= sb_now() ? SB_TOKEN_EXPIRED : SB_TOKEN_OK;
    }
    return SB_TOKEN_UNKNOWN;
}

void sb_store_expire_tokens(sb_store_t *s)
{
    long long now = sb_now();
    for (size_t i = 0; i < s->n_grants; i++) {
        if (s->grants[i].access_exp > now - 1)
            s->grants[i].access_exp = now - 1;
    }
}

void sb_store_revoke_tokens(sb_store_t *s)
{
    for (size_t i = 0; i < s->n_grants; i++)
        s->grants[i].revoked = 1;
}

int sb_store_image_add(sb_store_t *s, const void *data, size_t len, const char *mime,
                       int width, int height, char out[33])
{
    if (s->n_images == SB_MAX_IMAGES || len > SB_MAX_IMAGES_TOTAL - s->image_bytes)
        return -1;
    sb_image_t *im = &s->images[s->n_images];
    im->data = malloc(len);
    if (!im->data)
        return -1;
    memcpy(im->data, data, len);
    im->len = len;
    im->mime = mime;
    im->width = width;
    im->height = height;
    sb_random_hex(16, im->hex);
    memcpy(out, im->hex, sizeof(im->hex));
    s->n_images++;
    s->image_bytes += len;
    return 0;
}

const sb_image_t *sb_store_image_find(sb_store_t *s, const char *hex_or_uri)
{
    const char *hex = hex_or_uri;
    size_t plen = strlen(SB_IMAGE_URI_PREFIX);
    if (strncmp(hex, SB_IMAGE_URI_PREFIX, plen) == 0)
        hex += plen;
    for (size_t i = 0; i < s->n_images; i++) {
        if (strcmp(s->images[i].hex, hex) == 0)
            return &s->images[i];
    }
    return NULL;
}

int sb_store_rate_take(sb_store_t *s, int route)
{
    long long now = sb_now_ms();
    /* A fixed window that opens with the first request after the previous
     * one closed: a burst of N > limit within a second always sees exactly
     * N - limit rejections, which keeps tests deterministic. */
    if (now - s->window_start_ms[route] >= 1000) {
        s->window_start_ms[route] = now;
        s->window_count[route] = 0;
    }
    if (s->window_count[route] >= s->cfg->rate_limit) {
        s->counters.rate_limited++;
        return 0;
    }
    s->window_count[route]++;
    return 1;
}

int sb_store_fault_roll(sb_store_t *s)
{
    int status = 0;
    if (s->faults.fail_next > 0) {
        s->faults.fail_next--;
        status = 500;
    } else if (s->faults.throttle_next > 0) {
        s->faults.throttle_next--;
        status = 429;
    } else if (s->faults.error_rate > 0 && sb_random_unit() < s->faults.error_rate) {
        status = 500;
    } else if (s->faults.rate_limit_rate > 0 && sb_random_unit() < s->faults.rate_limit_rate) {
        status = 429;
    }
    if (status)
        s->counters.faults_injected++;
    return status;
}

/* The first object of arr whose string member field equals want
 * (borrowed), or NULL. */
static json_t *find_by(const json_t *arr, const char *field, const char *want)
{
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o) {
        if (strcmp(json_string_value(json_object_get(o, field)), want) == 0)
            return o;
    }
    return NULL;
}

json_t *sb_store_product(sb_store_t *s, const char *id)
{
    return find_by(s->products, "id", id);
}

json_t *sb_store_sku(sb_store_t *s, const char *sku_id, const char *seller_sku,
                     json_t **product)
{
    const char *field = sku_id ? "id" : "seller_sku";
    const char *want = sku_id ? sku_id : seller_sku;
    size_t i;
    json_t *p, *sku;
    json_array_foreach(s->products, i, p) {
        sku = find_by(json_object_get(p, "skus"), field, want);
        if (sku) {
            if (product)
                *product = p;
            return sku;
        }
    }
    return NULL;
}

json_t *sb_store_sku_stock(json_t *sku, const char *warehouse_id)
{
    return find_by(json_object_get(sku, "inventory"), "warehouse_id", warehouse_id);
}

json_t *sb_store_order(sb_store_t *s, const char *id)
{
    return find_by(s->orders, "id", id);
}

int sb_store_line_cancelled(const json_t *li)
{
    const char *st = json_string_value(json_object_get(li, "display_status"));
    return st && strcmp(st, "CANCELLED") == 0;
}

json_t *sb_store_shop_json(const sb_store_t *s)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", SB_SHOP_ID, "name", SB_SHOP_NAME,
                     "region", "US", "seller_type", "LOCAL", "cipher", s->shop_cipher,
                     "code", SB_SHOP_CODE);
}

json_t *sb_store_warehouses_json(void)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < SB_WAREHOUSE_COUNT; i++) {
        const sb_warehouse_t *w = &sb_warehouses[i];
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s}}",
                           "id", w->id, "name", w->name, "effect_status", "ENABLED", "type",
                           "SALES_WAREHOUSE", "sub_type", "DOMESTIC_WAREHOUSE", "is_default",
                           w->is_default, "address", "region", "United States", "region_code",
                           "US", "state", w->is_default ? "Texas" : "New Jersey", "city",
                           w->city, "postal_code", w->postal_code, "address_line1",
                           w->address_line, "contact_person", "Sandbox Seller"));
    }
    return arr;
}

json_t *sb_store_faults_json(const sb_store_t *s)
{
    return json_pack("{s:I,s:I,s:f,s:f,s:I,s:I,s:I,s:I}", "latency_ms", (json_int_t)s->faults.latency_ms,
                     "webhook_delay_ms", (json_int_t)s->faults.webhook_delay_ms, "error_rate", s->faults.error_rate, "rate_limit_rate",
                     s->faults.rate_limit_rate, "fail_next", (json_int_t)s->faults.fail_next,
                     "throttle_next", (json_int_t)s->faults.throttle_next, "ads_fail_next",
                     (json_int_t)s->faults.ads_fail_next, "ads_fail_code", (json_int_t)s->faults.ads_fail_code);
}

void sb_store_inventory_logged(sb_store_t *s, const json_t *sku, long long at_us,
                               long long quantity)
{
    const char *seller_sku = json_string_value(json_object_get(sku, "seller_sku"));
    if (!seller_sku)
        return;
    if (s->n_inventory_log >= SB_MAX_INVENTORY_LOG) {
        s->inventory_log_dropped++;
        return;
    }
    json_t *mine = json_object_get(s->inventory_log, seller_sku);
    if (!mine) {
        mine = json_array();
        json_object_set_new(s->inventory_log, seller_sku, mine);
    }
    if (json_array_append_new(mine, json_pack("[I,I]", (json_int_t)at_us, (json_int_t)quantity)) == 0)
        s->n_inventory_log++;
}

json_t *sb_store_dump(sb_store_t *s, const char *const *route_names)
{
    const sb_counters_t *c = &s->counters;
    json_t *calls = json_object();
    for (int i = 0; calls && i < SB_MAX_ROUTES && route_names[i]; i++) {
        if (s->route_calls[i])
            json_object_set_new(calls, route_names[i], json_integer((json_int_t)s->route_calls[i]));
    }
    size_t live = 0;
    long long now = sb_now();
    for (size_t i = 0; i < s->n_grants; i++)
        live += !s->grants[i].revoked && s->grants[i].access_exp > now;
    /* Deep copies: the caller serialises the dump after unlocking. */
    return json_pack(
        "{s:o,s:o,s:o,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:o,"
        "s:o}",
        "shop", sb_store_shop_json(s), "warehouses", sb_store_warehouses_json(), "products",
        json_deep_copy(s->products), "orders", json_deep_copy(s->orders), "counters",
        "requests", (json_int_t)c->requests, "token_requests", (json_int_t)c->token_requests,
        "stripe_requests", (json_int_t)c->stripe_requests,
        "inventory_updates", (json_int_t)c->inventory_updates, "rate_limited",
        (json_int_t)c->rate_limited, "faults_injected", (json_int_t)c->faults_injected,
        "images_uploaded", (json_int_t)c->images_uploaded, "products_created",
        (json_int_t)c->products_created, "products_edited", (json_int_t)c->products_edited,
        "tokens_issued", (json_int_t)c->tokens_issued, "token_refreshes",
        (json_int_t)c->token_refreshes, "orders_created", (json_int_t)c->orders_created,
        "orders_cancelled", (json_int_t)c->orders_cancelled, "live_access_tokens",
        (json_int_t)live, "images_bytes", (json_int_t)s->image_bytes, "faults",
        sb_store_faults_json(s), "endpoint_calls", calls);
}
