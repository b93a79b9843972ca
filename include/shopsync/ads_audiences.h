/*
 * ads_audiences — TikTok customer-file audiences built from the store's
 * buyers (ads_buyers) and kept in sync: an audience is a name, an
 * advertiser, an id type (EMAIL_SHA256 or PHONE_SHA256) and a rule; its
 * members are the hashes of the buyers the rule matches now.
 *
 * A sync uploads customer files (one hash a line, no header, at most
 * ADS_AUDIENCE_FILE_LINES lines, with their MD5 as file_signature) through
 * POST /open_api/v1.3/dmp/custom_audience/file/upload/. The first sync
 * creates the audience (dmp/custom_audience/create/) once the rule matches
 * ADS_AUDIENCE_MIN members (TikTok refuses fewer: until then the audience
 * waits, "N of 1,000 buyers"); later syncs upload only the change and call
 * dmp/custom_audience/update/ with APPEND (new members) then REMOVE (members
 * who left the rule, were erased or denied consent). What TikTok holds is
 * kept per audience, updated after each call TikTok accepted, so a sync
 * that fails half-way resumes from what was really applied. One sync at a
 * time across instances (a lock naming its instance). A refused token
 * (40102/40105) stops the sync and marks the account for reconnection.
 *
 * Redis: P ads:audience:<id> (string JSON), P ads:audience:<id>:synced
 * (set of hashes), P ads:audiences (set of ids), P ads:audience:lock (TTL).
 */
#ifndef SHOPSYNC_ADS_AUDIENCES_H
#define SHOPSYNC_ADS_AUDIENCES_H

#include <jansson.h>
#include <stddef.h>

#include "shopsync/ads_hash.h"
#include "shopsync/buf.h"
#include "shopsync/config.h"
#include "shopsync/crypto.h"
#include "shopsync/redis.h"

#define ADS_AUDIENCE_ID_HEX 16
#define ADS_AUDIENCE_MIN 1000
#define ADS_AUDIENCE_FILE_LINES 50000
#define ADS_AUDIENCE_NAME_MAX 128
#define ADS_AUDIENCES_MAX 100
#define ADS_AUDIENCE_ERR_MAX 1024

typedef char ads_hash_hex_t[ADS_HASH_HEX];

typedef enum {
    AUD_OK = 0,
    AUD_NOT_FOUND = 1,
    AUD_INVALID = 2,       /* err names every bad field */
    AUD_CONFLICT = 3,      /* a change TikTok's audience cannot take (err says) */
    AUD_BUSY = 4,          /* another sync runs */
    AUD_NOT_CONNECTED = 5, /* no TikTok Ads account */
    AUD_FAILED = 6,        /* the sync failed: the audience's error says why */
    AUD_FULL = 7,          /* ADS_AUDIENCES_MAX reached */
    AUD_UNAVAILABLE = -1   /* Redis */
} ads_audience_rc;

/* All audiences with their members now (new array in *out). */
ads_audience_rc ads_audiences_list(redis_conn_t *r, json_t **out);

/* One audience (new object in *out): id, name, advertiser_id, id_type,
 * rule, members, synced_members, tiktok_audience_id, last_sync, error,
 * status ("N of 1,000 buyers" while waiting). */
ads_audience_rc ads_audiences_get(redis_conn_t *r, const char *id, json_t **out);

/* Create from body (borrowed); *out as ads_audiences_get. */
ads_audience_rc ads_audiences_create(redis_conn_t *r, const json_t *body, json_t **out, char *err, size_t errlen);

/* Change id (borrowed) with the fields present in body (borrowed);
 * advertiser_id and id_type cannot change once TikTok holds the audience. */
ads_audience_rc ads_audiences_update(redis_conn_t *r, const char *id, const json_t *body, json_t **out, char *err,
                                     size_t errlen);

/* Forget id here (TikTok keeps its copy until deleted in Ads Manager). */
ads_audience_rc ads_audiences_delete(redis_conn_t *r, const char *id);

/* Sync id (borrowed) now on this thread; *out (new) the audience after.
 * AUD_FAILED when TikTok refused (the audience's error says why in the
 * seller's words). */
ads_audience_rc ads_audiences_sync(const config_t *cfg, redis_conn_t *r, const char *id, json_t **out);

/* Sync every audience (the daily job): returns AUD_OK, AUD_BUSY,
 * AUD_NOT_CONNECTED, AUD_FAILED when one failed, AUD_UNAVAILABLE. */
ads_audience_rc ads_audiences_sync_all(const config_t *cfg, redis_conn_t *r);

/* The customer file of hashes[0..n) (borrowed): one per line, "\n"-ended,
 * into out (reset first) and its MD5 hex into md5. Returns 0 or -1. */
int ads_audiences_csv(const ads_hash_hex_t *hashes, size_t n, buf_t *out, char md5[CRYPTO_MD5_HEX]);

/* Sort hashes[0..n) in place (strcmp order). */
void ads_audiences_sort(ads_hash_hex_t *hashes, size_t n);

/* The change from sorted old[0..n_old) to sorted now[0..n_now) (both
 * borrowed): indexes into now of the hashes to APPEND into add (n_now
 * slots), into old of those to REMOVE into rem (n_old slots), counts in
 * *n_add, *n_rem. */
void ads_audiences_diff(const ads_hash_hex_t *old, size_t n_old, const ads_hash_hex_t *now, size_t n_now,
                        size_t *add, size_t *n_add, size_t *rem, size_t *n_rem);

#endif
