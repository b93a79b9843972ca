-- hold_end: end an active hold whose units were not sold: released by the
-- storefront (or its Checkout Session expired), or expired by its TTL
-- (prepended with stock.lua).
-- KEYS: 1 the hold, 2 holds:expiry, 3..9 the shared keys
-- (stock_shared_keys), then the stock and channel keys of each of the
-- hold's items, in pairs and in the order of its items.
-- ARGV: 1 hold id, 2 'released' or 'expired', 3 now in ms, 4 seconds an
-- ended hold keeps its state.
-- An expiry applies only once the hold's time has come; a release of a
-- hold whose time has come ends it as expired. Returns the hold's state
-- after the call and 1 when this call ended it, or an error NOT_FOUND.
local S = shared_keys(3)
local ts = tonumber(ARGV[3])
local h = redis.call('HMGET', KEYS[1], 'state', 'items', 'expires_at')
if not h[1] then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return redis.error_reply('NOT_FOUND')
end
if h[1] ~= 'active' then return {h[1], 0} end
local due = tonumber(h[3]) <= ts
if ARGV[2] == 'expired' and not due then return {'active', 0} end
local state = due and 'expired' or 'released'
local items = {}
for i, it in ipairs(cjson.decode(h[2])) do
  items[i] = {it[1], it[2], KEYS[8 + 2 * i], KEYS[9 + 2 * i]}
end
hold_end(KEYS[1], KEYS[2], ARGV[1], items, state, ts, tonumber(ARGV[4]), S)
return {state, 1}
