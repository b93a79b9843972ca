-- queue_ack: remove a processed event from the stream.
-- KEYS: 1 stream, 2 attempts hash. ARGV: id.
-- 'workers' is the consumer group (GROUP in queue.c).
redis.call('XACK', KEYS[1], 'workers', ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
