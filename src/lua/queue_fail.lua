-- queue_fail: count a failed attempt; dead-letter the event at the limit.
-- KEYS: 1 stream, 2 attempts, 3 dead stream. ARGV: id, provider, event_id,
-- body, received_at, error, max_attempts (0 = dead now), ts.
-- 'workers' is the consumer group (GROUP in queue.c).
local n = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
local max = tonumber(ARGV[7])
if max > 0 and n < max then return 0 end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', '100000', '*', 'provider', ARGV[2], 'event_id', ARGV[3], 'body', ARGV[4],
           'received_at', ARGV[5], 'error', ARGV[6], 'attempts', n, 'failed_at', ARGV[8], 'original_id', ARGV[1])
redis.call('XACK', KEYS[1], 'workers', ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
