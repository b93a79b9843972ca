/*
 * checkout — web store sales from Stripe. A paid checkout session is
 * applied to store stock once: its line items are fetched from Stripe, each
 * line's SKU (product metadata, price metadata, or lookup key) is
 * decremented by its quantity, and the session is recorded so a retry or a
 * second event for it changes nothing.
 *
 * Redis: P checkout:stripe:<session id>, kept 90 days.
 */
#ifndef SHOPSYNC_CHECKOUT_H
#define SHOPSYNC_CHECKOUT_H

#include <stddef.h>

#include "shopsync/config.h"
#include "shopsync/orders.h"
#include "shopsync/redis.h"
#include "shopsync/stripe.h"

/* Apply lines (borrowed) of session_id once. *applied is 1 when this call
 * changed stock, 0 when the session had been applied before. */
event_rc checkout_apply(redis_conn_t *r, const char *session_id, const stripe_line_t *lines,
                        size_t n, int *applied, char *err, size_t errlen);

/* checkout_apply for a session whose metadata named hold (borrowed; NULL
 * or "" for none), in the same atomic step that records the session: an
 * active hold is consumed (its own items are sold, the lines are not taken
 * again; *consumed 1), any other hold leaves the session a plain sale of
 * its lines (a hold whose time has come is expired first). */
event_rc checkout_apply_hold(redis_conn_t *r, const char *session_id, const stripe_line_t *lines, size_t n,
                             const char *hold, int *applied, int *consumed, char *err, size_t errlen);

#define CHECKOUT_ERR_MAX 1024

/* Parse the storefront's "SKU:QTY[,SKU:QTY...]" (borrowed; spaces around
 * parts allowed; a SKU given twice is summed; at most 200 SKUs, each
 * quantity 1..STRIPE_MAX_QUANTITY) into *lines, a new array of *n entries
 * with sku_source STRIPE_SKU_METADATA (free with stripe_lines_free).
 * Returns 0, or -1 with the first problem (entry number, SKU) in err. */
int checkout_parse_items(const char *s, stripe_line_t **lines, size_t *n, char *err, size_t errlen);

/* One Stripe event on its way to the stock: the parsed event and the lines
 * it sold (owned), from metadata.shopsync_items or from Stripe. */
typedef struct checkout_event {
    stripe_event_t ev;
    stripe_line_t *lines;
    size_t n_lines;
} checkout_event_t;

typedef enum {
    CHECKOUT_BAD,    /* malformed event (err says why): dead-letter */
    CHECKOUT_IGNORE, /* not a paid checkout: acknowledge */
    CHECKOUT_READY,  /* lines known from metadata: apply now */
    CHECKOUT_FETCH,  /* lines to be read from Stripe first */
    CHECKOUT_RELEASE /* an expired session with a hold: release it (checkout_release) */
} checkout_need;

/* Parse one Stripe event body (borrowed) into *ce (caller-owned; free its
 * lines with checkout_event_free) and say what it needs. A session whose
 * metadata.shopsync_items is malformed is logged and read from Stripe. */
checkout_need checkout_prepare(const char *body, size_t len, checkout_event_t *ce, char *err, size_t errlen);

/* checkout_prepare for an event already parsed into ce->ev (ce
 * caller-owned; its lines are set here). */
checkout_need checkout_classify(checkout_event_t *ce);

/* Read the line items of n prepared events (borrowed) from Stripe at once,
 * paced by the shared Stripe read limit (config_stripe_read_rate), filling
 * each event's lines. rcs[i] is EVENT_DONE when event i has its lines, or
 * EVENT_RETRY / EVENT_PERMANENT with errs[i] saying why. */
void checkout_fetch_many(const config_t *cfg, redis_conn_t *r, checkout_event_t *const *events, size_t n,
                         event_rc *rcs, char (*errs)[CHECKOUT_ERR_MAX]);

/* Apply a prepared event's lines (ce borrowed) once, and log it. */
event_rc checkout_finish(redis_conn_t *r, const checkout_event_t *ce, char *err, size_t errlen);

/* Release the hold of an expired session (ce borrowed), once: a hold
 * that already ended or is unknown is left as it is. */
event_rc checkout_release(redis_conn_t *r, const checkout_event_t *ce, char *err, size_t errlen);

/* Free the lines of ce (not ce itself). */
void checkout_event_free(checkout_event_t *ce);

#endif
