-- revenue_read: the revenue of many days in one call (a report of a year
-- reads 366 hashes).
-- KEYS: the day hashes (revenue:day:<day>). ARGV: none.
-- Returns one HGETALL array per key, in order.
local out = {}
for i, k in ipairs(KEYS) do out[i] = redis.call('HGETALL', k) end
return out
