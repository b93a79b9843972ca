-- queue_ack_many: remove several processed events from the stream at once.
-- KEYS: 1 stream, 2 attempts hash. ARGV: ids (at most 1000).
-- 'workers' is the consumer group (GROUP in queue.c).
redis.call('XACK', KEYS[1], 'workers', unpack(ARGV))
redis.call('XDEL', KEYS[1], unpack(ARGV))
redis.call('HDEL', KEYS[2], unpack(ARGV))
return #ARGV
