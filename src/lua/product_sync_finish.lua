-- product_sync_finish: end a product sync job and release its lock.
-- KEYS: 1 job hash, 2 lock. ARGV: lock owner, state, finished_at, error. The
-- job's end and the lock's release are one step, so no reader sees a
-- running job without its lock (which means interrupted).
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'finished_at', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[4]) end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
