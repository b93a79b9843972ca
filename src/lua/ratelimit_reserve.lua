-- ratelimit_reserve: reserve the next call slot of a shared rate limit.
-- KEYS: 1 the slot key. ARGV: 1 interval in microseconds, 2 longest wait in
-- microseconds. Returns the wait in microseconds, or -1 when the next slot
-- is further away than the longest wait (nothing reserved). Redis's clock is
-- used so every instance agrees on "now".
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now
if wait > tonumber(ARGV[2]) then return -1 end
redis.call('SET', KEYS[1], string.format('%d', tat + interval), 'PX', math.floor((wait + interval) / 1000) + 1000)
return wait
