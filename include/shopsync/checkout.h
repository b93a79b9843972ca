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

/* Handle one Stripe event body (borrowed): paid checkout sessions are
 * applied, everything else is ignored. */
event_rc checkout_handle_event(const config_t *cfg, redis_conn_t *r, const char *body, size_t len,
                               char *err, size_t errlen);

#endif
