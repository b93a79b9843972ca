-- stock_change: one stock change (prepended with stock.lua).
-- KEYS: 1 stock, 2 channel state, 3.. the shared keys (stock_shared_keys).
-- ARGV: 1 sku, 2 mode, 3 n, 4 reason, 5 ref, 6 ts.
local refused = take_check(KEYS[1], KEYS[2], ARGV[2], tonumber(ARGV[3]))
if refused then return refused end
local r = stock_change(KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5],
                       tonumber(ARGV[6]), shared_keys(3))
if not r then return redis.error_reply('NOT_FOUND') end
return r
