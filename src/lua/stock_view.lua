-- stock_view: the store's view of the stock of several SKUs.
-- KEYS: stock and channel keys of each SKU, in pairs. The store's view of
-- each: seven integers (web, on hand, allocated, TikTok's share, reserved,
-- settle time, pending), or -1 in the first when the SKU is unknown.
local out = {}
for i = 1, #KEYS, 2 do
  local w = redis.call('GET', KEYS[i])
  if not w then
    for _ = 1, 7 do out[#out + 1] = -1 end
  else
    local v = redis.call('HMGET', KEYS[i + 1], 'mode', 'onhand', 'tt', 'res', 'settle', 'pend')
    local alloc = v[1] == 'alloc'
    out[#out + 1] = tonumber(w)
    out[#out + 1] = v[1] and tonumber(v[2]) or tonumber(w)
    out[#out + 1] = alloc and 1 or 0
    out[#out + 1] = alloc and tonumber(v[3] or '0') or 0
    out[#out + 1] = alloc and tonumber(v[4] or '0') or 0
    out[#out + 1] = alloc and tonumber(v[5] or '0') or 0
    out[#out + 1] = alloc and 0 or tonumber(v[6] or '0')
  end
end
return out
