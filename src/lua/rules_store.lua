-- rules_store: write channel rules and mark for a push exactly the SKUs
-- whose rule changed (prepended with stock.lua).
-- KEYS: 1 rules:default, 2 rules:skus, 3..9 the shared keys
-- (stock_shared_keys), then the stock, channel and rule keys of each SKU of
-- ARGV[1].skus, in threes and in its order.
-- ARGV[1]: {"default":{...} (absent: unchanged), "skus":[{"sku","op",
-- "rule"}]} with op 'set' (replace the SKU's rule with rule), 'del' (back
-- to the default) or 'keep' (only its effective rule may change, through
-- the default). Rule fields as rules.h; max null is stored as 'none'.
-- Returns the number of SKUs marked, or an error 'NOT_FOUND <sku>' for a
-- SKU set that the catalog does not have (nothing is written).
local S = shared_keys(3)
local st = settings(S.setk)
local req = cjson.decode(ARGV[1])
local skus = req.skus or {}

local function write(k, rule)
  redis.call('DEL', k)
  for _, f in ipairs(RULE_FIELDS) do
    local v = rule[f]
    if v == cjson.null then
      if f == 'max' then redis.call('HSET', k, f, 'none') end
    elseif v ~= nil then
      if f == 'sync' then v = v and '1' or '0' end
      redis.call('HSET', k, f, v)
    end
  end
end

local function same(a, b)
  return a.buffer == b.buffer and a.percent == b.percent and a.zero_at == b.zero_at and a.max == b.max and
         a.sync == b.sync
end

for i, s in ipairs(skus) do
  if s.op == 'set' and redis.call('EXISTS', KEYS[7 + 3 * i]) == 0 then
    return redis.error_reply('NOT_FOUND ' .. s.sku)
  end
end
local before = {}
local d = rule_default(KEYS[1])
for i, _ in ipairs(skus) do before[i] = rule_of(d, KEYS[9 + 3 * i], st) end
if req.default ~= nil then write(KEYS[1], req.default) end
for i, s in ipairs(skus) do
  local rk = KEYS[9 + 3 * i]
  if s.op == 'set' then
    write(rk, s.rule)
    redis.call('SADD', KEYS[2], s.sku)
  elseif s.op == 'del' then
    redis.call('DEL', rk)
    redis.call('SREM', KEYS[2], s.sku)
  end
end
local marked = 0
d = rule_default(KEYS[1])
for i, s in ipairs(skus) do
  if redis.call('EXISTS', KEYS[7 + 3 * i]) == 1 and not same(before[i], rule_of(d, KEYS[9 + 3 * i], st)) then
    redis.call('HINCRBY', S.dk, s.sku, 1)
    marked = marked + 1
  end
end
return marked
