/*
 * hooks — outgoing webhook delivery: a queue drained by one background
 * thread that POSTs over a small blocking HTTP/1.1 client (plain http only,
 * with connect and I/O timeouts), each job when it falls due (at once, or
 * after the webhook delay), and retries non-2xx answers after 0.2 s, 1 s
 * and 3 s before giving up.
 */
#ifndef SANDBOX_HOOKS_H
#define SANDBOX_HOOKS_H

#include <jansson.h>
#include <stddef.h>

#include "sandbox.h"

#define SB_HOOKS_MAX_QUEUE 1000

/* Start the delivery thread; *out is new. Returns 0 or -1. */
int sb_hooks_start(sb_hooks_t **out);

/* Stop the thread (waits for an in-flight POST, bounded by its timeouts),
 * drop undelivered jobs and free h (stolen; NULL is fine). */
void sb_hooks_stop(sb_hooks_t *h);

/* Queue a POST of body to url with extra header lines ("Name: v\r\n"...),
 * due delay_ms from now (0: at once); jobs are sent in due order, one at a
 * time, so a delay never holds up the caller. id names the delivery in the
 * log (e.g. the tts_notification_id). All strings are borrowed (copied).
 * Returns 0, or -1 when the queue is full. */
int sb_hooks_post(sb_hooks_t *h, const char *url, const char *headers, const char *body,
                  const char *id, long delay_ms);

/* Delivery statistics as new JSON: {"sent","failed","pending","recent":[..]}. */
json_t *sb_hooks_stats(sb_hooks_t *h);

/* One blocking POST: url (http://host[:port]/path), extra header lines and
 * body are borrowed. *status gets the HTTP status. Returns 0 when a status
 * line was read, -1 with a reason in err otherwise. */
int sb_http_post(const char *url, const char *headers, const char *body, size_t len,
                 int timeout_ms, int *status, char *err, size_t errlen);

#endif
