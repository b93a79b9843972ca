-- queue_enqueue: add an inbound event once (intake dedupe).
-- KEYS: 1 dedupe marker, 2 stream, 3 parked stream. ARGV: ttl, provider,
-- event_id, body, ts, max backlog. The marker and the entry are written
-- together or not at all; parked entries count towards the backlog, so a
-- long disconnection cannot grow Redis without bound.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('XLEN', KEYS[2]) + redis.call('XLEN', KEYS[3]) >= tonumber(ARGV[6]) then return 2 end
redis.call('XADD', KEYS[2], '*', 'provider', ARGV[2], 'event_id', ARGV[3], 'body', ARGV[4], 'received_at', ARGV[5])
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
return 1
