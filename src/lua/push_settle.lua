-- push_settle: end a settle early (prepended with stock.lua). TikTok was set
-- to 0 (a takeback), and then every order TikTok updated since before any
-- of its sales not yet heard of could have been made was read with Search
-- Orders and applied: its sales before the 0 are all known, so what was
-- set aside for them and not sold is the store's again without waiting for
-- their webhooks.
-- KEYS: as push_plan. ARGV: 1 sku, 2 the settle's end (ms) this takeback
-- set (another settle is left alone), 3 ms when the read began: an event
-- received before it and still waiting to be applied may be an order the
-- read did not cover, so the settle then ends by time.
-- Returns 1 when the settle ended, 0 when an event is still waiting, -1
-- when that settle is over already (ended, or replaced by another, or the
-- SKU left the catalog).
local sk, ck = KEYS[1], KEYS[2]
local S = shared_keys(3)
local cur = redis.call('GET', sk)
if not cur then return -1 end
local c = chan_load(ck)
if not c.alloc or c.settle == 0 or c.settle ~= tonumber(ARGV[2]) then return -1 end
c.onhand = onhand_of(c, cur)
if not settle_end(c, KEYS[10], tonumber(ARGV[3])) then return 0 end
chan_store(sk, ck, c, cur)
-- The next push gives TikTok its share.
redis.call('HINCRBY', S.dk, ARGV[1], 1)
return 1
