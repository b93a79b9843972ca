-- revenue_web: count a paid Stripe checkout in its day's website revenue,
-- once per Checkout Session (a redelivered event or a second event of the
-- same session adds nothing).
-- KEYS: 1 the session's marker (revenue:web:<session>), 2 the day
-- (revenue:day:<day>).
-- ARGV: 1 currency (upper case), 2 amount_total in minor units, 3 ttl.
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[3])) == false then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[1] .. ':web_orders', 1)
redis.call('HINCRBY', KEYS[2], ARGV[1] .. ':web_revenue', tonumber(ARGV[2]))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return 1
