-- redis_lock_extend: extend a lock held by its owner.
-- KEYS: 1 lock. ARGV: 1 owner, 2 ttl in ms. Extends the lock only while
-- owner holds it; returns 1 when extended, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
