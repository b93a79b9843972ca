/*
 * tiktok — the TikTok Shop Open API adapter, version 202309, in four
 * modules; this header brings in all of them for callers that use the
 * adapter as a whole:
 *
 *   tiktok_sign.h    request signing and both webhook signature schemes
 *   tiktok_client.h  transport: envelope classification, retries, tokens
 *   tiktok_api.h     the endpoint wrappers and their request/response types
 *   (src/tiktok_parse.h, private: response data into those types)
 */
#ifndef SHOPSYNC_TIKTOK_H
#define SHOPSYNC_TIKTOK_H

#include "shopsync/tiktok_api.h"
#include "shopsync/tiktok_client.h"
#include "shopsync/tiktok_sign.h"

#endif
