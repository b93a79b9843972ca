-- stock_hook_lag: note how late a TikTok webhook arrived after the event it
-- reports, so a low-stock SKU's settle lasts at least that long (settings()
-- in stock.lua). Keeps the largest lag of a window: a later, smaller one
-- replaces it only once the window has passed.
-- KEYS: 1 settings. ARGV: 1 lag in ms, 2 now in ms, 3 window in ms.
local lag, now, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'hook_lag_ms', 'hook_lag_at')
local old, at = tonumber(v[1]) or -1, tonumber(v[2]) or 0
if lag >= old or now - at >= window then
  redis.call('HSET', KEYS[1], 'hook_lag_ms', lag, 'hook_lag_at', now)
  return 1
end
return 0
