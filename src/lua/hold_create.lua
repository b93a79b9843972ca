-- hold_create: hold units of several SKUs for a storefront checkout, all
-- or none (prepended with stock.lua).
-- KEYS: 1 the hold, 2 holds:expiry, 3..9 the shared keys
-- (stock_shared_keys), then the stock and channel keys of each item, in
-- pairs and in the order of ARGV[4].
-- ARGV: 1 hold id, 2 now in ms, 3 expiry in ms, 4 items JSON [[sku, n]]
-- (distinct SKUs, n >= 1).
-- Each item is checked against what the website may sell (the stock key:
-- on hand less TikTok's share or unseen sales, less units already held).
-- Returns {'ok'}, {'short', sku, available} (nothing held) or
-- {'unknown', sku} (nothing held). Held units leave TikTok's projection
-- too: each SKU is marked for a push.
local S = shared_keys(3)
local ts = tonumber(ARGV[2])
local items = cjson.decode(ARGV[4])
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('EXISTS') end
local cur = {}
for i, it in ipairs(items) do
  local v = redis.call('GET', KEYS[8 + 2 * i])
  if not v then return {'unknown', it[1]} end
  if tonumber(v) < it[2] then return {'short', it[1], tonumber(v)} end
  cur[i] = v
end
for i, it in ipairs(items) do
  local sk, ck = KEYS[8 + 2 * i], KEYS[9 + 2 * i]
  local c = chan_load(ck)
  c.onhand = onhand_of(c, cur[i])
  c.held = c.held + it[2]
  -- Units TikTok may no longer show: a change from outside TikTok.
  if not c.alloc then c.pend = c.pend - it[2] end
  redis.call('SET', sk, web_share(c))
  chan_save(ck, c)
  redis.call('HINCRBY', S.dk, it[1], 1)
end
redis.call('HSET', KEYS[1], 'state', 'active', 'items', ARGV[4], 'created_at', ts, 'expires_at', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('HINCRBY', S.stk, 'holds_created', 1)
return {'ok'}
