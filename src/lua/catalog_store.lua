-- catalog_store: store products and their SKUs, with imported stock
-- (prepended with stock.lua).
-- KEYS: 1 products, 2 sku_owner, 3..9 the shared keys (stock_shared_keys),
-- then the stock and channel keys of every SKU named in ARGV[1] (by their
-- k and c indexes). A SKU new to the store starts with a fresh channel
-- state; a dropped one loses both.
-- ARGV[1]: {"ts":ms,"items":[{"id","doc","old","skus":[{"sku","stock","k","c"}],
-- "drop":[{"sku","k","c"}]}]} where old is the product JSON the caller read
-- ("" = absent) so a concurrent change is detected instead of overwritten.
local S = shared_keys(3)
local req = cjson.decode(ARGV[1])
for i, it in ipairs(req.items) do
  local cur = redis.call('HGET', KEYS[1], it.id)
  if (cur or '') ~= it.old then return redis.error_reply('RETRY ' .. it.id) end
  for j, s in ipairs(it.skus) do
    local owner = redis.call('HGET', KEYS[2], s.sku)
    if owner and owner ~= it.id then
      return redis.error_reply('CONFLICT ' .. (i - 1) .. ' ' .. (j - 1) .. ' ' .. owner)
    end
  end
end
local n = 0
for _, it in ipairs(req.items) do
  redis.call('HSET', KEYS[1], it.id, it.doc)
  for _, d in ipairs(it.drop) do
    redis.call('HDEL', KEYS[2], d.sku)
    redis.call('DEL', KEYS[d.k], KEYS[d.c])
    redis.call('SREM', S.ask, d.sku)
    redis.call('HINCRBY', S.dk, d.sku, 1)
  end
  for _, s in ipairs(it.skus) do
    redis.call('HSET', KEYS[2], s.sku, it.id)
    local sk = KEYS[s.k]
    if redis.call('EXISTS', sk) == 0 then
      redis.call('SET', sk, 0)
      redis.call('DEL', KEYS[s.c])
      redis.call('HINCRBY', S.dk, s.sku, 1)
    end
    if s.stock >= 0 then
      local c = chan_load(KEYS[s.c])
      local have = onhand_of(c, redis.call('GET', sk))
      if have ~= s.stock then
        stock_change(sk, KEYS[s.c], s.sku, 'set', s.stock, 'import', it.id, req.ts, S)
      end
    end
    n = n + 1
  end
end
return n
