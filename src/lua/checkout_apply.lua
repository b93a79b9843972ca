-- checkout_apply: apply a paid Stripe checkout session once (prepended with
-- stock.lua).
-- KEYS: 1 ledger, 2..8 the shared keys (stock_shared_keys), then the stock
-- and channel keys of SKUs, in pairs (pair i at KEYS[7 + 2i], KEYS[8 + 2i]);
-- with a hold, its key and holds:expiry last.
-- ARGV: 1 session id, 2 ts, 3 JSON {"units":[[sku,n]],"unmatched":[...],
-- "at":{sku:pair}} (unit i uses pair i; at gives the pair of each SKU of the
-- hold), 4 ttl, 5 the session's hold id ('' or absent: none), 6 seconds an
-- ended hold keeps its state.
-- An active hold is consumed: its units, held until now, are sold (the
-- session's own lines are not taken again). A hold that is no longer
-- active (expired, released, unknown) leaves the session a sale like any
-- other; one whose time has come is expired first.
-- Returns 0 (applied before), 1 (applied) or 2 (applied by consuming the
-- hold).
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local S = shared_keys(2)
local req = cjson.decode(ARGV[3])
local ts = tonumber(ARGV[2])
local hid = ARGV[5] or ''
if hid ~= '' then
  local hk, ek = KEYS[#KEYS - 1], KEYS[#KEYS]
  local hold_ttl = tonumber(ARGV[6])
  local h = redis.call('HMGET', hk, 'state', 'items', 'expires_at')
  if h[1] == 'active' then
    local items = {}
    for i, it in ipairs(cjson.decode(h[2])) do
      local p = req.at[it[1]]
      items[i] = {it[1], it[2], KEYS[7 + 2 * p], KEYS[8 + 2 * p]}
    end
    if tonumber(h[3]) > ts then
      for _, it in ipairs(items) do
        if not stock_change(it[3], it[4], it[1], 'delta', -it[2], 'stripe_checkout', ARGV[1], ts, S, it[2]) then
          record_unmatched(S, {source='stripe', ref=ARGV[1], sku=it[1], quantity=it[2]}, ts)
        end
      end
      hold_close(hk, ek, hid, 'consumed', ts, hold_ttl, S)
      redis.call('HSET', hk, 'session', ARGV[1])
      redis.call('SET', KEYS[1], ts, 'EX', ARGV[4])
      return 2
    end
    hold_end(hk, ek, hid, items, 'expired', ts, hold_ttl, S)
  end
end
for i, u in ipairs(req.units) do
  local r = stock_change(KEYS[7 + 2 * i], KEYS[8 + 2 * i], u[1], 'delta', -u[2], 'stripe_checkout', ARGV[1], ts, S)
  if not r then
    record_unmatched(S, {source='stripe', ref=ARGV[1], sku=u[1], quantity=u[2]}, ts)
  end
end
for _, m in ipairs(req.unmatched) do record_unmatched(S, m, ts) end
redis.call('SET', KEYS[1], ts, 'EX', ARGV[4])
return 1
