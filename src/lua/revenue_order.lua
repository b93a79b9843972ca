-- revenue_order: count a TikTok Shop order in the day it was placed, once:
-- a live order adds one order and its GMV; a cancelled one adds one
-- cancellation and nothing else; a counted order cancelled later moves from
-- the first to the second. Webhook retries, out-of-order webhooks and the
-- Search Orders backfill all converge on the same counts.
-- KEYS: 1 the order's marker (revenue:tts:<order id>), 2 its day
-- (revenue:day:<day of create_time>).
-- ARGV: 1 "live" or "cancelled", 2 currency, 3 total in minor units,
-- 4 ttl, 5 the day (YYYY-MM-DD).
-- Returns 0 nothing changed, 1 counted, 2 a counted order now cancelled.
local prev = redis.call('HGET', KEYS[1], 'st')
local want = ARGV[1]
local ttl = tonumber(ARGV[4])
if prev == want or prev == 'cancelled' then return 0 end
if prev == 'live' then
  local cur = redis.call('HGET', KEYS[1], 'cur')
  local amt = tonumber(redis.call('HGET', KEYS[1], 'amt'))
  redis.call('HINCRBY', KEYS[2], cur .. ':tts_orders', -1)
  redis.call('HINCRBY', KEYS[2], cur .. ':tts_gmv', -amt)
  redis.call('HINCRBY', KEYS[2], cur .. ':tts_cancelled', 1)
  redis.call('HSET', KEYS[1], 'st', 'cancelled')
  return 2
end
if want == 'live' then
  redis.call('HINCRBY', KEYS[2], ARGV[2] .. ':tts_orders', 1)
  redis.call('HINCRBY', KEYS[2], ARGV[2] .. ':tts_gmv', tonumber(ARGV[3]))
else
  redis.call('HINCRBY', KEYS[2], ARGV[2] .. ':tts_cancelled', 1)
end
redis.call('HSET', KEYS[1], 'st', want, 'cur', ARGV[2], 'amt', ARGV[3], 'day', ARGV[5])
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
return 1
