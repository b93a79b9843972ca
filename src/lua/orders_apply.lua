-- orders_apply: apply a TikTok order, its cancellation and cancelled lines
-- once (prepended with stock.lua).
-- KEYS: 1 ledger, 2..8 the shared keys (stock_shared_keys), then per SKU
-- of ARGV[4].units its stock and channel keys.
-- ARGV: 1 order id, 2 'cancelled' (the whole order) or 'active', 3 ts ms,
-- 4 JSON {"units":[[sku,active lines,cancelled lines],...],"unmatched":[...]},
-- 5 ledger ttl.
-- The ledger keeps what the order took per SKU ("taken", after the floor
-- at 0), what was given back ("back") and how many cancelled lines it has
-- seen ("cx"). An applied order keeps at most min(taken, active lines) per
-- SKU; whatever it took beyond that is given back once, so a line cancelled
-- on its own restocks its unit and a later full cancellation restocks the
-- rest. A fetch older than one already applied shows more active lines and
-- gives nothing back twice. TikTok puts a cancelled line's unit back on its
-- side even when the store gives nothing back (the order took less than it
-- sold, at 0), so more cancelled lines always mark the SKU for a push.
local S = shared_keys(2)
local state = redis.call('HGET', KEYS[1], 'state')
local req = cjson.decode(ARGV[4])
local ts = tonumber(ARGV[3])
local cancelled = ARGV[2] == 'cancelled'
local function sk(i) return KEYS[7 + 2 * i] end
local function ck(i) return KEYS[8 + 2 * i] end
local function mark(i, sku)
  if redis.call('EXISTS', sk(i)) == 1 then redis.call('HINCRBY', S.dk, sku, 1) end
end
if not state and cancelled then
  redis.call('HSET', KEYS[1], 'state', 'cancelled_first', 'ts', ts)
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  -- No stock change, but TikTok restocked the units on its side: a push
  -- made between the sale and its cancellation (which overwrote TikTok's
  -- decrement) would otherwise leave TikTok above the projection.
  for i, u in ipairs(req.units) do mark(i, u[1]) end
  return 'cancelled_first'
end
if not state then
  local taken, cx = {}, {}
  for i, u in ipairs(req.units) do
    if u[2] > 0 then
      local r = stock_change(sk(i), ck(i), u[1], 'delta', -u[2], 'tiktok_order', ARGV[1], ts, S)
      if r then taken[u[1]] = -r[2] else
        record_unmatched(S, {source='tiktok', ref=ARGV[1], sku=u[1], sku_id='', quantity=u[2]}, ts)
      end
    end
    -- Lines cancelled before the order was first seen: as above.
    if u[3] > 0 then cx[u[1]] = u[3]; mark(i, u[1]) end
  end
  for _, m in ipairs(req.unmatched) do record_unmatched(S, m, ts) end
  redis.call('HSET', KEYS[1], 'state', 'applied', 'ts', ts, 'taken', cjson.encode(taken), 'cx', cjson.encode(cx))
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return 'applied'
end
if state ~= 'applied' then return 'noop' end
local taken = cjson.decode(redis.call('HGET', KEYS[1], 'taken'))
local back = cjson.decode(redis.call('HGET', KEYS[1], 'back') or '{}')
local cx = cjson.decode(redis.call('HGET', KEYS[1], 'cx') or '{}')
local given, more_cx = 0, false
for i, u in ipairs(req.units) do
  local t = taken[u[1]] or 0
  local keep = cancelled and 0 or math.min(t, u[2])
  local d = t - keep - (back[u[1]] or 0)
  if d > 0 then
    stock_change(sk(i), ck(i), u[1], 'delta', d, 'tiktok_cancel', ARGV[1], ts, S)
    back[u[1]] = (back[u[1]] or 0) + d
    given = given + d
  end
  if u[3] > (cx[u[1]] or 0) then
    cx[u[1]] = u[3]
    more_cx = true
    if d <= 0 then mark(i, u[1]) end
  end
end
if given > 0 then redis.call('HSET', KEYS[1], 'back', cjson.encode(back)) end
if more_cx then redis.call('HSET', KEYS[1], 'cx', cjson.encode(cx)) end
if cancelled then
  redis.call('HSET', KEYS[1], 'state', 'restocked', 'restocked_at', ts)
  return 'restocked'
end
return given > 0 and 'restocked_lines' or 'noop'
