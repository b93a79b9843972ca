-- queue_replay: move dead-lettered events back to the events stream.
-- KEYS: 1 dead stream, 2 events stream, 3 ads stream. ARGV: id or '' for
-- all. A dead TikTok Ads event (provider 'tiktok_ads') goes back to the ads
-- stream, every other one to the events stream.
local entries
if ARGV[1] ~= '' then entries = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
else entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 10000) end
local n = 0
for _, e in ipairs(entries) do
  local f = {}
  for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end
  local target = KEYS[2]
  if f.provider == 'tiktok_ads' then target = KEYS[3] end
  redis.call('XADD', target, '*', 'provider', f.provider, 'event_id', f.event_id, 'body', f.body, 'received_at', f.received_at)
  redis.call('XDEL', KEYS[1], e[1])
  n = n + 1
end
return n
