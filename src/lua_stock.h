/*
 * lua_stock — the Lua function every stock-changing script shares, so a
 * decrement from an admin edit, a TikTok order or a Stripe checkout follows
 * the same rules: floor at 0, shortfall recorded as an oversell, one activity
 * entry, and the SKU marked dirty for a push to TikTok.
 *
 * The function takes the keys it touches as arguments; callers pass them in
 * from KEYS so every script declares all of its keys.
 */
#ifndef SHOPSYNC_LUA_STOCK_H
#define SHOPSYNC_LUA_STOCK_H

#define LUA_ACTIVITY_MAX "1000"

/* stock_change(stock_key, sku, mode, n, reason, ref, ts, act_key, over_key,
 *              dirty_key, stats_key)
 * mode 'set' sets n, 'delta' adds n (negative n decrements with a floor).
 * Returns nil for an unknown SKU, else {new_stock, applied, shortfall}.
 * record_unmatched(unmatched_key, entry, ts) logs a sale line whose SKU the
 * store does not know. */
#define LUA_STOCK_PRELUDE \
    "local function stock_change(sk, sku, mode, n, reason, ref, ts, ak, ok, dk, stk)\n" \
    "  local cur = redis.call('GET', sk)\n" \
    "  if not cur then return nil end\n" \
    "  cur = tonumber(cur)\n" \
    "  local new, shortfall = cur, 0\n" \
    "  if mode == 'set' then new = n else\n" \
    "    new = cur + n\n" \
    "    if new < 0 then shortfall = -new; new = 0 end\n" \
    "  end\n" \
    "  local applied = new - cur\n" \
    "  if applied ~= 0 then redis.call('SET', sk, new) end\n" \
    "  redis.call('LPUSH', ak, cjson.encode({ts=ts, sku=sku, delta=applied, stock=new, reason=reason, ref=ref}))\n" \
    "  redis.call('LTRIM', ak, 0, " LUA_ACTIVITY_MAX " - 1)\n" \
    "  if shortfall > 0 then\n" \
    "    redis.call('LPUSH', ok, cjson.encode({ts=ts, sku=sku, requested=-n, applied=-applied, shortfall=shortfall, reason=reason, ref=ref}))\n" \
    "    redis.call('LTRIM', ok, 0, " LUA_ACTIVITY_MAX " - 1)\n" \
    "    redis.call('HINCRBY', stk, 'oversold_units', shortfall)\n" \
    "    redis.call('HINCRBY', stk, 'oversells', 1)\n" \
    "  end\n" \
    "  if applied ~= 0 or reason == 'admin' then redis.call('HINCRBY', dk, sku, 1) end\n" \
    "  return {new, applied, shortfall}\n" \
    "end\n" \
    "local function record_unmatched(uk, entry, ts)\n" \
    "  entry.ts = ts\n" \
    "  redis.call('LPUSH', uk, cjson.encode(entry))\n" \
    "  redis.call('LTRIM', uk, 0, " LUA_ACTIVITY_MAX " - 1)\n" \
    "end\n"

#endif
