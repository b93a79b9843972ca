-- checkout_apply: apply a paid Stripe checkout session once (prepended with
-- stock.lua).
-- KEYS: 1 ledger, 2..8 the shared keys (stock_shared_keys), then per SKU
-- of ARGV[3].units its stock and channel keys. ARGV: 1 session id, 2 ts,
-- 3 JSON {"units":[[sku,n]],"unmatched":[...]}, 4 ttl.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local S = shared_keys(2)
local req = cjson.decode(ARGV[3])
local ts = tonumber(ARGV[2])
for i, u in ipairs(req.units) do
  local r = stock_change(KEYS[7 + 2 * i], KEYS[8 + 2 * i], u[1], 'delta', -u[2], 'stripe_checkout', ARGV[1], ts, S)
  if not r then
    record_unmatched(S, {source='stripe', ref=ARGV[1], sku=u[1], quantity=u[2]}, ts)
  end
end
for _, m in ipairs(req.unmatched) do record_unmatched(S, m, ts) end
redis.call('SET', KEYS[1], ts, 'EX', ARGV[4])
return 1
