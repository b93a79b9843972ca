-- catalog_delete: remove one product and its SKUs.
-- KEYS: 1 products, 2 sku_owner, 3 dirty, 4 alloc:skus, then the stock and
-- channel keys of each SKU, in pairs. ARGV: id, old doc, then the SKUs in
-- the order of their keys. A removed SKU is marked for a push, like one
-- removed from a product by the store script: a SKU on TikTok Shop that is
-- no longer in the catalog is pushed as 0 so it stops selling there.
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return redis.error_reply('NOT_FOUND') end
if cur ~= ARGV[2] then return redis.error_reply('RETRY') end
redis.call('HDEL', KEYS[1], ARGV[1])
for i = 3, #ARGV do
  redis.call('HDEL', KEYS[2], ARGV[i])
  redis.call('HINCRBY', KEYS[3], ARGV[i], 1)
  redis.call('SREM', KEYS[4], ARGV[i])
  redis.call('DEL', KEYS[2 * i - 1], KEYS[2 * i])
end
return 1
