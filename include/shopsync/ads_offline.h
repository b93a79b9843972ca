/*
 * ads_offline — in-store (offline) sales for TikTok Ads: a CSV upload or a
 * JSON array of rows with the columns event, event_id, timestamp
 * (ISO-8601), email, phone, value, currency, order_id, shop_id,
 * event_channel, content_id, content_name, content_type, content_category,
 * brand, quantity, price; each row one event with event_source "offline",
 * its email and phone hashed here (ads_hash).
 */
#ifndef SHOPSYNC_ADS_OFFLINE_H
#define SHOPSYNC_ADS_OFFLINE_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/ads_events.h"

/* Rows of one upload at most. */
#define ADS_OFFLINE_MAX_ROWS 10000

/* Parse CSV text (borrowed, len bytes; RFC 4180 quoting, LF or CRLF, an
 * optional UTF-8 BOM) whose first line names the columns. *rows is a new
 * array with one object per data line (column → string); a line whose
 * field count differs from the header's is an object with only "_error".
 * Returns 0, or -1 with err (no header, an unknown or repeated column, an
 * unterminated quote, too many rows). */
int ads_offline_parse_csv(const char *text, size_t len, json_t **rows, char *err, size_t errlen);

/* ISO-8601 date and time (borrowed): YYYY-MM-DDTHH:MM[:SS[.fff]] with Z
 * or +HH:MM / -HH:MM ('T' may be a space), or a date alone (midnight UTC),
 * into Unix seconds. Returns 0 or -1. */
int ads_offline_parse_time(const char *s, long long *out);

/* One row (borrowed: an object of the columns, strings or numbers) into a
 * queue entry (*entry new on ADS_BUILD_OK); ADS_BUILD_BAD names every bad
 * column in why (email or phone required; event_channel one of email,
 * website, phone_call, in_store, crm, other; timestamp within the last 28
 * days). */
ads_build_rc ads_offline_build(const ads_settings_t *s, const json_t *row, json_t **entry, char *why,
                               size_t whylen);

#endif
