/*
 * keys — the one registry of the Redis keys shopsync uses: every key's name
 * (or printf pattern), its type and the module that owns it. Code builds a
 * key only from these names, with redis_key() (which puts
 * SHOPSYNC_REDIS_PREFIX in front), into a buffer of KEY_MAX bytes. README's
 * "Redis layout" describes the same keys for readers of the store.
 *
 * | Name (after the prefix)     | Type                 | Owner        | Note |
 * | stock:{sku}                 | string (integer)     | stock        | what the website may sell now |
 * | chan:{sku}                  | hash                 | stock        | channel state (src/lua/stock.lua) |
 * | alloc:skus                  | set                  | stock        | SKUs in the low-stock mode |
 * | settings                    | hash                 | service      | settings the stock scripts read |
 * | rules:default               | hash                 | rules        | the store's default channel rule (fields set) |
 * | rules:sku:{sku}             | hash                 | rules        | a SKU's own channel rule (fields set) |
 * | rules:skus                  | set                  | rules        | SKUs that have a rule of their own |
 * | hold:{id}                   | hash, TTL 24 h ended | holds        | a checkout hold: state, items, expires_at |
 * | holds:expiry                | sorted set           | holds        | active hold id → expiry (ms) |
 * | activity                    | list (≤ 1000)        | stock        | JSON entries, newest first |
 * | oversells                   | list (≤ 1000)        | stock        | JSON entries, newest first |
 * | unmatched                   | list (≤ 1000)        | stock        | JSON entries, newest first |
 * | stats                       | hash                 | stock        | oversells, oversold_units, holds_* (read by metrics) |
 * | idempotency:stock:{key}     | string, TTL 24 h     | stock        | first result of an Idempotency-Key |
 * | catalog:products            | hash                 | catalog      | product id → product JSON |
 * | catalog:sku_owner           | hash                 | catalog      | sku → product id |
 * | push:dirty                  | hash                 | push         | sku → change counter |
 * | push:lock:{sku}             | string, TTL 40 s     | push         | one push per SKU at a time |
 * | push:last:{sku}             | string, TTL 1 h      | push         | last push time |
 * | instance:{id}               | string, TTL 3 s      | instance     | heartbeat of a running serve |
 * | stream:events               | stream, group workers| queue        | inbound webhooks |
 * | stream:dead                 | stream               | queue        | dead letters |
 * | stream:parked               | stream               | queue        | TikTok orders held while disconnected |
 * | queue:attempts              | hash                 | queue        | attempts per entry |
 * | dedupe:{provider}:{id}      | string, TTL 3/7 days | queue        | webhook dedupe markers (tiktok, stripe) |
 * | stream:ads                  | stream, group workers| queue        | TikTok Ads events to send |
 * | stream:ads:held             | stream               | queue        | ads events held while the token is refused |
 * | ads:attempts                | hash                 | queue        | attempts per ads entry |
 * | dedupe:ads:{src}:{ev}:{id}  | string, TTL 35 days  | ads_events   | one event per (source, event, event_id) |
 * | ads:connection              | hash                 | ads_events   | pixel, sealed token, test code, token state |
 * | ads:recent                  | list (≤ 100)         | ads_events   | last events sent or failed, newest first |
 * | ads:day:{yyyy-mm-dd}        | hash, TTL 8 days     | ads_events   | sent / failed counts of a UTC day |
 * | ads:account                 | hash                 | ads_account  | Marketing API token (sealed), advertisers, selection, error |
 * | ads:oauth_state:{state}     | string, TTL 10 min   | ads_account  | single-use Marketing API OAuth states |
 * | ads:spend:{adv}:{day}       | string, TTL 400 days | ads_spend    | one advertiser's day: totals and campaigns (JSON) |
 * | ads:spend:synced:{adv}      | string               | ads_spend    | last day pulled for the advertiser (first pull done) |
 * | ads:spend:job:{id}          | string, TTL 7 days   | ads_spend    | a spend sync job (JSON) |
 * | ads:spend:last              | string               | ads_spend    | the last spend sync job's id |
 * | ads:spend:lock              | string, TTL 5 min    | ads_spend    | one spend sync at a time |
 * | ads:spend:daily:{day}       | string, TTL 2 days   | service      | the daily spend sync of that UTC day was started |
 * | ads:buyer:{hash}            | string               | ads_buyers   | one buyer: hashes, orders (≤ 50), consent (JSON) |
 * | ads:buyers                  | set                  | ads_buyers   | the buyer keys ({hash}: email's, else phone's) |
 * | ads:buyers:phone            | hash                 | ads_buyers   | phone hash -> buyer key |
 * | ads:audience:{id}           | string               | ads_audiences| one custom audience: name, rule, sync state (JSON) |
 * | ads:audience:{id}:synced    | set                  | ads_audiences| the hashes TikTok holds for the audience |
 * | ads:audiences               | set                  | ads_audiences| audience ids |
 * | ads:audience:lock           | string, TTL 10 min   | ads_audiences| one audience sync at a time |
 * | ads:audience:daily:{day}    | string, TTL 2 days   | service      | the daily audience sync of that UTC day was started |
 * | revenue:day:{day}           | hash, TTL 400 days   | revenue      | per currency: web and TikTok Shop orders, amounts, cancelled |
 * | revenue:web:{session}       | string, TTL 400 days | revenue      | a Stripe checkout counted once |
 * | revenue:tts:{order id}      | hash, TTL 400 days   | revenue      | a TikTok Shop order counted once: day, currency, amount, state |
 * | revenue:backfill            | hash                 | revenue      | the Search Orders backfill: shop, state, orders, error |
 * | revenue:backfill:lock       | string, TTL 5 min    | revenue      | one backfill at a time |
 * | order:tiktok:{order id}     | hash, TTL 90 days    | orders       | order ledger |
 * | checkout:stripe:{session}   | string, TTL 90 days  | checkout     | applied checkout sessions |
 * | tiktok:connection           | hash                 | connection   | shop, token expiry, sealed tokens |
 * | tiktok:refresh_lock         | string, TTL 120 s    | connection   | one token refresh at a time |
 * | tiktok:warehouses           | string               | connection   | cached warehouses |
 * | tiktok:last_shop_id         | string               | connection   | the shop connected last |
 * | tiktok:first_connected_at   | string               | connection   | since when |
 * | oauth:state:{state}         | string, TTL 10 min   | connection   | single-use OAuth states |
 * | tiktok:sku:{sku}            | hash                 | skumap       | TikTok ids and last push of a SKU |
 * | tiktok:sku_id:{id}          | string               | skumap       | TikTok SKU id → sku |
 * | tiktok:product:{id}         | string               | skumap       | TikTok product of a store product |
 * | tiktok:mapped               | set                  | skumap       | mapped SKUs |
 * | tiktok:image:{sha256(url)}  | string               | product_sync | uploaded image URI |
 * | sync:job:{id}               | hash, TTL 7 days     | product_sync | a product sync job |
 * | sync:job:{id}:results       | list, TTL 7 days     | product_sync | its result rows |
 * | sync:last                   | string               | product_sync | the last job's id |
 * | sync:lock                   | string, TTL 5 min    | product_sync | one sync at a time |
 * | session:{sha256(id)}        | string, TTL 12 h     | session      | admin page sessions |
 * | reconcile:last              | string               | reconcile    | last reconciliation report |
 * | reconcile:lock              | string, TTL interval | service      | one reconciliation per interval |
 * | ratelimit:{shop}:{api}      | string, short TTL    | ratelimit    | next free slot of the limiter |
 *
 * The Lua scripts in src/lua/ never name a key: they receive every one as
 * KEYS from C, built from these names.
 */
#ifndef SHOPSYNC_KEYS_H
#define SHOPSYNC_KEYS_H

/* Bytes of a key buffer: the prefix (at most 63 bytes) and the longest
 * name with a SKU, product, order, session or lock id in it. */
#define KEY_MAX 300

/* Bytes of a dedupe key buffer: a provider's event id alone may take up to
 * QUEUE_EVENT_ID_MAX (256) bytes, more than KEY_MAX leaves after the prefix. */
#define KEY_DEDUPE_MAX 600

/* stock */
#define KEY_STOCK_FMT "stock:%s"
#define KEY_CHAN_FMT "chan:%s"
#define KEY_ALLOC_SKUS "alloc:skus"
#define KEY_ACTIVITY "activity"
#define KEY_OVERSELLS "oversells"
#define KEY_UNMATCHED "unmatched"
#define KEY_STATS "stats"
#define KEY_IDEMPOTENCY_STOCK_FMT "idempotency:stock:%s"

/* rules */
#define KEY_RULES_DEFAULT "rules:default"
#define KEY_RULES_SKU_FMT "rules:sku:%s"
#define KEY_RULES_SKUS "rules:skus"

/* holds */
#define KEY_HOLD_FMT "hold:%s"
#define KEY_HOLDS_EXPIRY "holds:expiry"

/* service */
#define KEY_SETTINGS "settings"
#define KEY_RECONCILE_LOCK "reconcile:lock"

/* catalog */
#define KEY_CATALOG_PRODUCTS "catalog:products"
#define KEY_CATALOG_SKU_OWNER "catalog:sku_owner"

/* push */
#define KEY_PUSH_DIRTY "push:dirty"
#define KEY_PUSH_LOCK_FMT "push:lock:%s"
#define KEY_PUSH_LAST_FMT "push:last:%s"

/* instance: the id is taken to its first INSTANCE_ID_HEX characters. */
#define KEY_INSTANCE_FMT "instance:%.*s"

/* queue: dedupe takes the provider ("tiktok" or "stripe"), then the id. */
#define KEY_STREAM_EVENTS "stream:events"
#define KEY_STREAM_DEAD "stream:dead"
#define KEY_STREAM_PARKED "stream:parked"
#define KEY_QUEUE_ATTEMPTS "queue:attempts"
#define KEY_DEDUPE_FMT "dedupe:%s:%s"
#define KEY_STREAM_ADS "stream:ads"
#define KEY_STREAM_ADS_HELD "stream:ads:held"
#define KEY_ADS_ATTEMPTS "ads:attempts"

/* ads_events: the dedupe marker is KEY_DEDUPE_FMT with provider
 * "tiktok_ads" and "{source}:{event}:{event_id}". */
#define KEY_ADS_CONNECTION "ads:connection"
#define KEY_ADS_RECENT "ads:recent"
#define KEY_ADS_DAY_FMT "ads:day:%s"

/* ads_account, ads_spend */
#define KEY_ADS_ACCOUNT "ads:account"
#define KEY_ADS_OAUTH_STATE_FMT "ads:oauth_state:%s"
#define KEY_ADS_SPEND_DAY_FMT "ads:spend:%s:%s"
#define KEY_ADS_SPEND_SYNCED_FMT "ads:spend:synced:%s"
#define KEY_ADS_SPEND_JOB_FMT "ads:spend:job:%s"
#define KEY_ADS_SPEND_LAST "ads:spend:last"
#define KEY_ADS_SPEND_LOCK "ads:spend:lock"
#define KEY_ADS_SPEND_DAILY_FMT "ads:spend:daily:%s"

/* ads_buyers, ads_audiences */
#define KEY_ADS_BUYER_FMT "ads:buyer:%s"
#define KEY_ADS_BUYERS "ads:buyers"
#define KEY_ADS_BUYERS_PHONE "ads:buyers:phone"
#define KEY_ADS_AUDIENCE_FMT "ads:audience:%s"
#define KEY_ADS_AUDIENCE_SYNCED_FMT "ads:audience:%s:synced"
#define KEY_ADS_AUDIENCES "ads:audiences"
#define KEY_ADS_AUDIENCE_LOCK "ads:audience:lock"
#define KEY_ADS_AUDIENCE_DAILY_FMT "ads:audience:daily:%s"

/* revenue */
#define KEY_REVENUE_DAY_FMT "revenue:day:%s"
#define KEY_REVENUE_WEB_FMT "revenue:web:%s"
#define KEY_REVENUE_TTS_FMT "revenue:tts:%s"
#define KEY_REVENUE_BACKFILL "revenue:backfill"
#define KEY_REVENUE_BACKFILL_LOCK "revenue:backfill:lock"

/* orders, checkout */
#define KEY_ORDER_TIKTOK_FMT "order:tiktok:%s"
#define KEY_CHECKOUT_STRIPE_FMT "checkout:stripe:%s"

/* connection */
#define KEY_TIKTOK_CONNECTION "tiktok:connection"
#define KEY_TIKTOK_REFRESH_LOCK "tiktok:refresh_lock"
#define KEY_TIKTOK_WAREHOUSES "tiktok:warehouses"
#define KEY_TIKTOK_LAST_SHOP_ID "tiktok:last_shop_id"
#define KEY_TIKTOK_FIRST_CONNECTED_AT "tiktok:first_connected_at"
#define KEY_OAUTH_STATE_FMT "oauth:state:%s"

/* skumap; KEY_TIKTOK_ALL matches every tiktok:* key (SCAN pattern). */
#define KEY_TIKTOK_SKU_FMT "tiktok:sku:%s"
#define KEY_TIKTOK_SKU_ID_FMT "tiktok:sku_id:%s"
#define KEY_TIKTOK_PRODUCT_FMT "tiktok:product:%s"
#define KEY_TIKTOK_MAPPED "tiktok:mapped"
#define KEY_TIKTOK_ALL "tiktok:*"

/* product_sync: a job's results list is its hash's name + ":results". */
#define KEY_TIKTOK_IMAGE_PREFIX "tiktok:image:"
#define KEY_TIKTOK_IMAGE_FMT KEY_TIKTOK_IMAGE_PREFIX "%s"
#define KEY_SYNC_JOB_FMT "sync:job:%s%s"
#define KEY_SYNC_JOB_RESULTS_SUFFIX ":results"
#define KEY_SYNC_LAST "sync:last"
#define KEY_SYNC_LOCK "sync:lock"

/* session: the id's sha256 in hex. */
#define KEY_SESSION_FMT "session:%s"

/* reconcile */
#define KEY_RECONCILE_LAST "reconcile:last"

/* ratelimit: shop (or "stripe"), then the API. */
#define KEY_RATELIMIT_FMT "ratelimit:%s:%s"

#endif
