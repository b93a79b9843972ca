-- stock_change_once: one stock change applied at most once per idempotency
-- key (prepended with stock.lua).
-- KEYS: those of change_script, then the idempotency record. ARGV: the six
-- of change_script, 7 record ttl, 8 fingerprint of the change. The record
-- is written in the same step as the change, so a timed-out call that ran
-- anyway is found by its retry.
local prev = redis.call('GET', KEYS[#KEYS])
if prev then
  local p = cjson.decode(prev)
  if p.fp ~= ARGV[8] then return redis.error_reply('KEY_REUSED') end
  return {p.stock, p.applied, p.shortfall, 1}
end
local refused = take_check(KEYS[1], KEYS[2], ARGV[2], tonumber(ARGV[3]))
if refused then return refused end
local r = stock_change(KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5],
                       tonumber(ARGV[6]), shared_keys(3))
if not r then return redis.error_reply('NOT_FOUND') end
redis.call('SET', KEYS[#KEYS], cjson.encode({fp=ARGV[8], stock=r[1], applied=r[2], shortfall=r[3]}), 'EX', ARGV[7])
return {r[1], r[2], r[3], 0}
