-- buyer_record: add one paid checkout to a buyer's record in one step, so
-- two sessions of the same buyer handled at once both count, and a session
-- already recorded (a Stripe retry) adds nothing.
-- KEYS: 1 the buyer (ads:buyer:<hash>), 2 the buyer set (ads:buyers),
--       3 the phone index (ads:buyers:phone).
-- ARGV: 1 buyer key (its hash), 2 email hash or "", 3 phone hash or "",
--       4 customer id hash or "", 5 the order (JSON), 6 its session id,
--       7 orders kept, 8 "1" when the session denied consent, 9 buyers max.
-- Returns 1 recorded, 0 nothing to do, -1 the buyer set is full.
local cur = redis.call('GET', KEYS[1])
local b
if cur then
  b = cjson.decode(cur)
else
  -- A denied session of an unknown buyer leaves nothing behind.
  if ARGV[8] == '1' then return 0 end
  if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[9]) then return -1 end
  b = {orders = {}}
end
if type(b.orders) ~= 'table' then b.orders = {} end
if ARGV[2] ~= '' then b.email = ARGV[2] end
if ARGV[3] ~= '' then b.phone = ARGV[3] end
if ARGV[4] ~= '' then b.customer = ARGV[4] end
if ARGV[8] == '1' then
  b.denied = true
else
  for _, o in ipairs(b.orders) do
    if o.session == ARGV[6] then return 0 end
  end
  table.insert(b.orders, cjson.decode(ARGV[5]))
  table.sort(b.orders, function(x, y) return (x.at or 0) > (y.at or 0) end)
  local keep = tonumber(ARGV[7])
  while #b.orders > keep do table.remove(b.orders) end
end
redis.call('SET', KEYS[1], cjson.encode(b))
redis.call('SADD', KEYS[2], ARGV[1])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[3], ARGV[1])
end
return 1
