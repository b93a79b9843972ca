-- stock_view: the store's view of the stock of several SKUs (prepended
-- with stock.lua for the channel rules).
-- KEYS: 1 rules:default, 2 settings, then the stock, channel and rule keys
-- of each SKU, in threes. The store's view of each: ten integers (web, on
-- hand, allocated, TikTok's share, reserved, settle time, pending, held,
-- what TikTok may show, sync), or -1 in the first when the SKU is unknown.
-- What TikTok may show is its share when allocated, else the projection
-- of its rule (tiktok_quantity); sync is 0 when the rule says sync:false.
local out = {}
local st = settings(KEYS[2])
local d = rule_default(KEYS[1])
for i = 3, #KEYS, 3 do
  local w = redis.call('GET', KEYS[i])
  if not w then
    for _ = 1, 10 do out[#out + 1] = -1 end
  else
    local c = chan_load(KEYS[i + 1])
    local onhand = onhand_of(c, w)
    local rule = rule_of(d, KEYS[i + 2], st)
    out[#out + 1] = tonumber(w)
    out[#out + 1] = onhand
    out[#out + 1] = c.alloc and 1 or 0
    out[#out + 1] = c.alloc and c.tt or 0
    out[#out + 1] = c.alloc and c.res or 0
    out[#out + 1] = c.alloc and c.settle or 0
    out[#out + 1] = c.alloc and 0 or c.pend
    out[#out + 1] = c.held
    out[#out + 1] = c.alloc and c.tt or tiktok_quantity(rule, onhand - c.held)
    out[#out + 1] = rule.sync and 1 or 0
  end
end
return out
