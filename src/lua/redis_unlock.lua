-- redis_unlock: release a lock held by its owner.
-- KEYS: 1 lock. ARGV: 1 owner. Deletes the lock only while owner holds it;
-- returns 1 when deleted, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
