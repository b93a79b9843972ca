-- instance_take_over: take over a lock whose holder stopped beating.
-- KEYS: 1 lock, 2 the holder's heartbeat. ARGV: owner seen, new owner, ttl
-- ms. Compare, check and set in one step, so a lock that changed hands or
-- whose holder just beat again is left alone.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
