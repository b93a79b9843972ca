/*
 * ads_buyers — the store's buyers as TikTok custom audiences need them, and
 * nothing more: per buyer the SHA-256 of the normalised email and phone
 * (ads_hash, as the Events API; the plaintext never reaches Redis), the
 * hash of the Stripe customer id and the last ADS_BUYERS_ORDERS_MAX orders
 * (the session's created time, SKUs, value and currency). A buyer is keyed
 * by the email hash, or the phone hash when the checkout had no email.
 * Recorded from each paid Checkout Session once (a Stripe retry finds the
 * session among the orders and adds nothing). Consent as ads_events: a
 * session whose metadata.tiktok_consent is "denied" marks its buyer denied
 * (they leave every audience at the next sync) and a buyer never recorded
 * is not recorded; with TIKTOK_EVENTS_CONSENT=required only "granted"
 * sessions are recorded. Erasure forgets a buyer; the audiences' diff
 * takes them out at TikTok at the next sync.
 *
 * Also the audience rules (ads_rule_t): parsed from the admin API's JSON,
 * evaluated against a buyer record.
 *
 * Redis: P ads:buyer:<hash> (string JSON), P ads:buyers (set of buyer
 * keys), P ads:buyers:phone (hash: phone hash -> buyer key, so a checkout
 * without an email and an erasure by phone find the buyer).
 */
#ifndef SHOPSYNC_ADS_BUYERS_H
#define SHOPSYNC_ADS_BUYERS_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/ads_hash.h"
#include "shopsync/checkout.h"
#include "shopsync/config.h"
#include "shopsync/redis.h"

/* Orders kept per buyer, newest first: enough for any min_orders rule. */
#define ADS_BUYERS_ORDERS_MAX 50
/* Buyers a sync reads; beyond this new buyers are not recorded (logged). */
#define ADS_BUYERS_MAX 1000000
#define ADS_RULE_SKU_MAX 128
#define ADS_RULE_DAYS_MAX 3650

typedef enum {
    ADS_RULE_ALL_BUYERS = 0,
    ADS_RULE_BOUGHT_WITHIN_DAYS,
    ADS_RULE_BOUGHT_SKU,
    ADS_RULE_MIN_ORDERS,
    ADS_RULE_MIN_VALUE
} ads_rule_kind;

typedef struct ads_rule {
    ads_rule_kind kind;
    long long days;                 /* bought_within_days: 1..ADS_RULE_DAYS_MAX */
    char sku[ADS_RULE_SKU_MAX];     /* bought_sku */
    long long orders;               /* min_orders: 1..ADS_BUYERS_ORDERS_MAX */
    long long value;                /* min_value: minor units of currency */
    char currency[4];               /* min_value: upper-case ISO 4217 */
} ads_rule_t;

/* Parse rule (borrowed) into out. Returns 0, or -1 with every bad field
 * named in err ("rule.days: ..."). */
int ads_rule_parse(const json_t *rule, ads_rule_t *out, char *err, size_t errlen);

/* The rule as the admin API shows it (new object, or NULL). */
json_t *ads_rule_json(const ads_rule_t *rule);

/* 1 when buyer (borrowed: a record as stored) matches rule at now (Unix
 * seconds): never for a denied buyer. */
int ads_rule_match(const ads_rule_t *rule, const json_t *buyer, long long now);

/* Record the buyer of a paid checkout: obj (borrowed, may be NULL) is the
 * data.object of the Stripe event as queued (email and phone already hashed
 * at intake), ce (borrowed) its
 * session and lines. Returns 0 (recorded, already recorded, or nothing to
 * record) or -1 when Redis is unavailable (retry the event: recording twice
 * adds nothing). */
int ads_buyers_stripe_sale(const config_t *cfg, redis_conn_t *r, const json_t *obj, const checkout_event_t *ce);

/* The record of an identifier of kind (ADS_ID_EMAIL or ADS_ID_PHONE) in
 * plaintext or already hashed (borrowed), hashed as at intake. Returns 0
 * with the buyer key in key, 1 when no buyer has it, 2 when value is not an
 * email / phone number (err says why), -1 Redis. */
int ads_buyers_find(const config_t *cfg, redis_conn_t *r, ads_id_kind kind, const char *value,
                    char key[ADS_HASH_HEX], char *err, size_t errlen);

/* Forget the buyer under key (borrowed) and counts the erasure. Returns 0,
 * 1 when there is no such buyer, -1 Redis. */
int ads_buyers_erase(redis_conn_t *r, const char *key);

/* Call fn(buyer, ctx) for every buyer record (borrowed for the call), read
 * a few hundred at a time so that no more than those are in memory; ctx is
 * borrowed. fn returns 0 to go on, -1 to stop. Returns 0, or -1 (Redis, or
 * fn stopped). */
int ads_buyers_each(redis_conn_t *r, int (*fn)(const json_t *buyer, void *ctx), void *ctx);

/* How many buyers are recorded (*n). Returns 0 or -1. */
int ads_buyers_count(redis_conn_t *r, long long *n);

#endif
