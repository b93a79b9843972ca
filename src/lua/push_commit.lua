-- push_commit: record a push TikTok applied (prepended with stock.lua).
-- KEYS: as push_plan. ARGV: 1 sku, 2 kind ('read', 'takeback', 'grant',
-- 'absent', 'absolute'), 3 value sent, 4 pend the push covered, 5 now in
-- ms, 6 unseen TikTok sales (-1: unknown), 7 the TikTok sales (tk) the push
-- covered, 8 the projection it was planned against (cap).
-- Changes that arrived during the push stay for the next one.
local sk, ck = KEYS[1], KEYS[2]
local S = shared_keys(3)
local cur = redis.call('GET', sk)
if not cur then return 0 end
local c = chan_load(ck)
local st = settings(S.setk)
local kind, value, ts = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[5])
if kind == 'read' or kind == 'absolute' then
  if not c.alloc then
    c.pend, c.pp = c.pend - tonumber(ARGV[4]), 0
    c.tk = math.max(0, c.tk - (tonumber(ARGV[7]) or 0))
    c.lp = tonumber(ARGV[8]) or -1
    local u = tonumber(ARGV[6]) or -1
    if u >= 0 then
      -- TikTok's own quantity showed sales the store has not heard of:
      -- they count in TikTok's rate now, not when their webhooks come
      -- (seconds later, perhaps after the last units are gone), so a SKU
      -- both channels are emptying turns low in time.
      rates_at(c, ts)
      c.rt = c.rt + math.max(0, u - c.unseen) * 1000 / RATE_TAU_MS
      c.unseen = u
    end
    -- Sent outright: TikTok shows the store's projection, nothing unseen.
    if kind == 'absolute' then c.unseen, c.rs = 0, 0 end
  end
elseif c.alloc and kind == 'takeback' then
  -- TikTok shows 0: its share waits for the sales made before that.
  c.res, c.tt, c.tb = c.res + c.tt, 0, 0
  c.settle = ts + st.settle
elseif c.alloc and kind == 'grant' then
  c.tt, c.pg = c.tt + c.pg, 0
  if c.onhand - c.held - c.tt - c.res < 0 then
    -- The website sold part of it meanwhile.
    c.tb = 1
    redis.call('HINCRBY', S.dk, ARGV[1], 1)
  end
end
c.onhand = onhand_of(c, cur)
chan_store(sk, ck, c, cur)
return 1
