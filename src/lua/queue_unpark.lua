-- queue_unpark: move parked events back to the events stream.
-- KEYS: 1 parked stream, 2 events stream. ARGV: max entries. Oldest first,
-- so orders are applied in the order they arrived.
local entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', tonumber(ARGV[1]))
for _, e in ipairs(entries) do
  local f = {}
  for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end
  redis.call('XADD', KEYS[2], '*', 'provider', f.provider, 'event_id', f.event_id, 'body', f.body, 'received_at', f.received_at)
  redis.call('XDEL', KEYS[1], e[1])
end
return #entries
