-- spend_replace: replace the days of one report window of one advertiser in
-- one step, so a report never reads a window half old, half new, and a day
-- TikTok no longer reports (no rows) is emptied.
-- KEYS: the day keys (ads:spend:<advertiser>:<day>), every day of the window.
-- ARGV: 1 ttl seconds, then per key its JSON value, or "" to delete it.
local ttl = tonumber(ARGV[1])
for i, k in ipairs(KEYS) do
  local v = ARGV[i + 1]
  if v == nil or v == '' then
    redis.call('DEL', k)
  else
    redis.call('SET', k, v, 'EX', ttl)
  end
end
return #KEYS
