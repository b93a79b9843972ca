-- push_plan: what a push of one SKU sends (prepended with stock.lua).
-- KEYS: 1 stock, 2 channel state, 3..9 the shared keys (stock_shared_keys),
-- 10 the inbound event stream, 11 rules:default, 12 the SKU's rule.
-- ARGV: 1 sku, 2 now in ms, 3 '1' when the SKU is on TikTok Shop.
-- Returns {action, value, pend, cap, kind, add, tk}:
--   'absent'  the SKU left the catalog: TikTok must show 0
--   'read'    normal mode: TikTok's own quantity plus add (read TikTok
--             first: its own sales and restocks are already in it); cap is
--             the projection, sent when TikTok does not report the SKU
--   'absolute' normal mode after a push that was never recorded, or the
--             first push after the rule turned sync back on: send cap
--   'set'     allocated: send value (kind 'takeback' = 0, or 'grant')
--   'none'    nothing to send (also: the rule says sync:false)
-- pend and tk are what the push covers (push_commit takes them off).
-- add is what TikTok's own quantity needs: the projection now less the one
-- TikTok was last set to (lp), plus TikTok's own sales since (tk), which
-- its quantity already took off; with lp unknown, pend. Under a plain
-- buffer both are the change from outside TikTok; under a share, a cap or
-- a changed rule only the first is what TikTok should show.
-- Allocation decisions that need no push (a settle ending, leaving the
-- mode) are made and saved here.
local sk, ck = KEYS[1], KEYS[2]
local S = shared_keys(3)
local sku, ts = ARGV[1], tonumber(ARGV[2])
local cur = redis.call('GET', sk)
if not cur then return {'absent', 0, 0, 0, '', 0, 0} end
local c = chan_load(ck)
local st = settings(S.setk)
local rule = rule_of(rule_default(KEYS[11]), KEYS[12], st)
c.onhand = onhand_of(c, cur)
-- What TikTok may show of on hand less units held for checkouts.
local function cap_of(onhand)
  return tiktok_quantity(rule, onhand - c.held)
end

local function finish(action, value, kind, add)
  chan_store(sk, ck, c, cur)
  return {action, value, c.pend, cap_of(c.onhand), kind, add or 0, c.tk}
end

if not rule.sync then
  -- The seller keeps TikTok's quantity themselves: nothing is sent, no
  -- share is held, and when sync comes back on the first push sends the
  -- projection outright.
  if c.alloc then chan_leave(S.ask, sku, c, 0) end
  c.ns, c.rs, c.pend, c.pp, c.tk = 1, 1, 0, 0, 0
  return finish('none', 0, '')
end
c.ns = 0
if not c.alloc then
  -- A push whose change may or may not have reached TikTok (it failed, or
  -- its instance died before recording it) must not be added twice: this
  -- one sends the projection outright instead.
  local kind = (c.pp ~= 0 or c.rs == 1) and 'absolute' or 'read'
  c.pp = c.pend
  local cap = cap_of(c.onhand)
  local add = c.pend
  if c.lp >= 0 then add = cap - c.lp + c.tk end
  chan_save(ck, c)
  return {kind, 0, c.pend, cap, '', add, c.tk}
end

rates_at(c, ts)
if c.pg > 0 then
  -- A grant went out and was never recorded (the push failed or its
  -- instance died): TikTok may hold it. Count it as TikTok's, and take it
  -- back to know for sure.
  c.tt, c.pg, c.tb = c.tt + c.pg, 0, 1
end
if ARGV[3] ~= '1' then
  -- Not on TikTok Shop: there is no share to hold.
  chan_leave(S.ask, sku, c, cap_of(c.onhand))
  return finish('read', 0, '', c.pend)
end
if c.settle > 0 and ts >= c.settle then
  -- TikTok's earlier sales have all arrived, unless an event received
  -- before TikTok went to 0 is still waiting to be applied.
  settle_end(c, KEYS[10], c.settle - st.settle)
end
local settling = c.settle > 0
if settling then
  -- TikTok is at 0 already.
  c.tb = 0
  return finish('none', 0, '')
end
if c.tb == 1 then return finish('set', 0, 'takeback') end
local low = st.low > 0 and (c.rt >= RATE_MIN / 2 or c.rw >= RATE_MIN / 2) and
            c.onhand - c.held <= 2 * st.low * (c.rt + c.rw)
if not low then
  chan_leave(S.ask, sku, c, cap_of(c.onhand))
  return finish('read', 0, '', c.pend)
end
if c.tt == 0 then
  -- TikTok is at 0 and every sale of its share is known: give it a share
  -- in proportion to its recent sales.
  local wt, ww = c.rt, c.rw
  if wt + ww <= 0 then wt, ww = 1, 1 end
  local a = math.floor((c.onhand - c.held - c.res) * wt / (wt + ww))
  -- The SKU's rule bounds the share too.
  local cap = cap_of(c.onhand) - c.res
  if a > cap then a = cap end
  if a > 0 then
    c.pg = a
    return finish('set', a, 'grant')
  end
  return finish('none', 0, '')
end
if web_share(c) == 0 and c.rw >= RATE_MIN and c.tt > c.rt * st.settle / 1000 then
  -- The website's buyers wait while TikTok's would take longer than a
  -- settle to sell its share: take the share back.
  return finish('set', 0, 'takeback')
end
return finish('none', 0, '')
