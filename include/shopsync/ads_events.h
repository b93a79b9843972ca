/*
 * ads_events — the events shopsync sends to TikTok's Events API 2.0: built
 * from a paid Stripe checkout (Purchase), from the store's own backend
 * (POST /api/events) and from in-store sales (ads_offline), with the
 * buyer's identifiers hashed the moment they arrive (ads_hash), and put on
 * the durable ads stream (queue QUEUE_ADS) once per (source, event,
 * event_id) ever: a Stripe retry, a replayed webhook or a resent store event
 * finds the marker and adds nothing. ads_delivery sends them.
 *
 * A queued entry is {"source":"web"|"offline","origin":"stripe"|"store"|
 * "offline","event":{...one element of the request's data[]...}}.
 *
 * Redis: P dedupe:tiktok_ads:<source>:<event>:<event_id> (35 days: longer
 * than the 28 days within which an event is accepted, so no event can
 * pass twice).
 */
#ifndef SHOPSYNC_ADS_EVENTS_H
#define SHOPSYNC_ADS_EVENTS_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/checkout.h"
#include "shopsync/config.h"
#include "shopsync/redis.h"

#define ADS_MAX_BATCH 1000
/* TikTok attributes conversions up to 28 days after the click. */
#define ADS_MAX_AGE_S (28LL * 86400)
/* Clocks disagree a little; an event_time further ahead is refused. */
#define ADS_FUTURE_SKEW_S 300LL
#define ADS_DEDUPE_TTL_S (35 * 86400)
#define ADS_EVENT_ID_MAX 128
#define ADS_ERR_MAX 1024
#define ADS_PROVIDER "tiktok_ads"

/* Where an event came from (metrics, the page). */
typedef enum { ADS_ORIGIN_STRIPE = 0, ADS_ORIGIN_STORE = 1, ADS_ORIGIN_OFFLINE = 2, ADS_ORIGIN_COUNT = 3 } ads_origin;

/* What the builders need to know besides the input. */
typedef struct ads_settings {
    const char *phone_region;   /* borrowed: default region of phone numbers */
    const char *purchase_event; /* borrowed: "Purchase" or "CompletePayment" */
    int consent_required;       /* TIKTOK_EVENTS_CONSENT=required */
    long long now;              /* Unix seconds: age checks */
} ads_settings_t;

typedef enum {
    ADS_BUILD_OK = 0,   /* *entry is new */
    ADS_BUILD_SKIP = 1, /* nothing to send (no consent): why says so */
    ADS_BUILD_BAD = -1  /* invalid input: every bad field named in why */
} ads_build_rc;

/* "stripe", "store" or "offline". */
const char *ads_events_origin_name(ads_origin o);

/* Digits after the decimal point of a currency (upper-case ISO 4217, borrowed)
 * in Stripe's minor units: 0 for zero-decimal currencies (JPY, KRW, ...), 3
 * for BHD, JOD, KWD, OMR, TND, else 2. */
int ads_events_currency_decimals(const char *currency);

/* Stripe's amount (minor units) in currency (borrowed, any case) as the
 * Events API's value: *value is a new JSON number in major units (an
 * integer for zero-decimal currencies), cur_out the upper-case code.
 * Returns 0, or -1 (not a three-letter code, negative amount) with err. */
int ads_events_money(long long minor, const char *currency, char cur_out[4], json_t **value, char *err,
                     size_t errlen);

/* 1 when name (borrowed) is one of TikTok's standard events, or for web
 * events also a legacy name TikTok still converts (CompletePayment,
 * PlaceAnOrder, SubmitForm, ClickButton). */
int ads_events_name_ok(const char *name, int offline);

/* The Purchase of a paid Checkout Session: body (borrowed) is the Stripe
 * event as queued (its email and phone already hashed, see
 * ads_events_redact_stripe) and lines (borrowed) what it sold. *entry is new
 * on ADS_BUILD_OK. ADS_BUILD_SKIP when the buyer's consent is missing
 * (required) or denied. */
ads_build_rc ads_events_from_stripe(const ads_settings_t *s, const char *body, size_t len, const stripe_line_t *lines,
                                    size_t n_lines, json_t **entry, char *why, size_t whylen);

/* ads_events_from_stripe on the Stripe event already parsed (borrowed, may
 * be NULL: "not a Stripe checkout event"). */
ads_build_rc ads_events_from_stripe_event(const ads_settings_t *s, const json_t *event, const stripe_line_t *lines,
                                          size_t n_lines, json_t **entry, char *why, size_t whylen);

/* One event of the store events API (in borrowed; see README): *entry is
 * new on ADS_BUILD_OK; on ADS_BUILD_BAD why names every bad field. */
ads_build_rc ads_events_from_store(const ads_settings_t *s, const json_t *in, json_t **entry, char *why,
                                   size_t whylen);

/* The Stripe event body (borrowed) with data.object's customer_email,
 * customer_details.email and customer_details.phone replaced by their
 * SHA-256 (ads_hash; a value that is not an email / phone number is
 * removed): shopsync never stores them in plaintext. *out is a new body
 * (*out_len bytes) when something was replaced, NULL when nothing had to
 * be. Returns 0, or -1 when the body is not JSON (keep it unchanged: the
 * intake refuses it anyway). */
int ads_events_redact_stripe(const char *region, const char *body, size_t len, char **out, size_t *out_len);

/* JSON text of v (borrowed) as the Events API receives it: compact, reals
 * with 15 significant digits (19.99, not 19.989999999999998). New string,
 * or NULL. */
char *ads_events_dump(const json_t *v);

typedef enum {
    ADS_QUEUED = 0,
    ADS_DUPLICATE = 1,       /* already queued or sent once */
    ADS_BACKLOG_FULL = 2,
    ADS_UNAVAILABLE = -1     /* Redis */
} ads_intake_rc;

/* Queue entry (borrowed, from a builder) once per (source, event,
 * event_id). Counts the intake in the metrics under origin. */
ads_intake_rc ads_events_enqueue(redis_conn_t *r, ads_origin origin, const json_t *entry);

/* The Stripe hook: after a paid checkout is applied (ce borrowed, with its
 * lines; event borrowed, the queued Stripe event parsed, may be NULL when it
 * did not parse), queue its Purchase once
 * when a pixel is connected and the buyer's consent allows it. Returns 0
 * (queued, duplicate, skipped) or -1 when Redis is unavailable (retry the
 * Stripe event: the checkout and the marker make the retry harmless). */
int ads_events_stripe_sale(const config_t *cfg, redis_conn_t *r, const json_t *event, const checkout_event_t *ce);

/* Settings from cfg at this moment. */
ads_settings_t ads_events_settings(const config_t *cfg);

/* Intake counters per origin: accepted, duplicate, rejected, skipped. */
typedef enum { ADS_IN_ACCEPTED = 0, ADS_IN_DUPLICATE, ADS_IN_REJECTED, ADS_IN_SKIPPED, ADS_IN_COUNT } ads_intake_result;

/* Count one intake result (thread-safe). */
void ads_events_count(ads_origin origin, ads_intake_result result);

/* The intake counter (origin, result). */
unsigned long ads_events_counted(ads_origin origin, ads_intake_result result);

#endif
