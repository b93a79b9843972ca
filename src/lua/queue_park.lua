-- queue_park: move an event to the parked stream until the shop answers.
-- KEYS: 1 stream, 2 attempts, 3 parked stream. ARGV: id, provider,
-- event_id, body, received_at, reason, ts. Moving the entry is one step:
-- it is in exactly one of the two streams. Its failed attempts are
-- forgotten: waiting for the shop is not a failure.
-- 'workers' is the consumer group (GROUP in queue.c).
redis.call('XADD', KEYS[3], '*', 'provider', ARGV[2], 'event_id', ARGV[3], 'body', ARGV[4],
           'received_at', ARGV[5], 'reason', ARGV[6], 'parked_at', ARGV[7], 'original_id', ARGV[1])
redis.call('XACK', KEYS[1], 'workers', ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
