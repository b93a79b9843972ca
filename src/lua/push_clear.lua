-- push_clear: clear a SKU's push mark unless it changed during the push.
-- KEYS: 1 dirty. ARGV: sku, version read before the push.
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
