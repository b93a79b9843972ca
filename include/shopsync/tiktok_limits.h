/*
 * tiktok_limits — TikTok Shop's documented limits that shopsync holds its
 * data to. A leaf header: the catalog checks imports against them without
 * depending on the TikTok API client, and tiktok_api builds requests within
 * them.
 */
#ifndef SHOPSYNC_TIKTOK_LIMITS_H
#define SHOPSYNC_TIKTOK_LIMITS_H

#define TIKTOK_MAX_ORDER_IDS 50
#define TIKTOK_MAX_QUANTITY 99999LL /* per SKU and warehouse */
#define TIKTOK_MAX_MAIN_IMAGES 9      /* per product */
#define TIKTOK_MAX_SALES_ATTRIBUTES 3 /* per SKU */

#endif
