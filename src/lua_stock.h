/*
 * lua_stock — the Lua functions every stock-changing script shares
 * (src/lua/stock.lua: stock_change, record_unmatched, the channel state of
 * a SKU and the allocation rules), prepended to each such script so that a
 * decrement from an admin edit, an import, a TikTok order or a Stripe
 * checkout follows the same rules.
 */
#ifndef SHOPSYNC_LUA_STOCK_H
#define SHOPSYNC_LUA_STOCK_H

#include "lua_scripts.h"

#define LUA_STOCK_PRELUDE LUA_SRC_STOCK

#endif
