-- stock: the functions every stock-changing script shares (prepended to
-- each of them), so a change from an admin edit, an import, a TikTok order
-- or a Stripe checkout follows the same rules: floor at 0, shortfall
-- recorded as an oversell, one activity entry, the SKU marked for a push,
-- and TikTok's share of a low-stock SKU kept exact.
--
-- Per SKU: stock:{sku} (string) is what the website may sell now; its
-- channel state chan:{sku} (hash) holds the rest:
--   mode      'normal' or 'alloc' (absent: a SKU whose stock key is on hand)
--   onhand    units in the store
--   unseen    normal mode: TikTok sales its own quantity showed at the last
--             push but whose orders have not arrived yet (the website does
--             not sell those units)
--   tt        TikTok's share: what TikTok's own counter may still sell
--   res       units set aside while TikTok's earlier sales settle
--   settle    ms until which they settle (after TikTok was set to 0)
--   tb        1 when TikTok's share must be taken back (set it to 0)
--   pg        a share being granted: sent, or about to be, not yet recorded
--   pp        normal mode: the pend of a push sent, or about to be, not yet
--             recorded
--   pend      normal mode: net change from outside TikTok not yet pushed
--   rt, rw    recent sales per second on TikTok and the website (decaying);
--             a TikTok sale counts when a push's read of TikTok's quantity
--             shows it (unseen) or else when its order is applied
--   rts       ms of the last rate update
--   held      units held for storefront checkouts (hold_create.lua): still
--             on hand, sold by neither channel until the hold is consumed
--             (a paid checkout), released or expired
--   tk        normal mode: TikTok sales applied since the last push (its
--             own quantity already shows them)
--   lp        normal mode: the projection TikTok was last set to (absent:
--             not known, pushes then add pend alone)
--   rs        1 when the next push sends the projection outright (the SKU's
--             rule turned sync back on)
--   ns        1 while the SKU's rule says sync:false (push_plan keeps it):
--             such a SKU is never allocated
-- What TikTok may show follows the SKU's channel rule (rule_of,
-- tiktok_quantity) applied to available = on hand - held.
-- In normal mode the store and TikTok sell from one pool and a push adds
-- to TikTok's own current quantity what changed outside TikTok (push_plan:
-- the projection now less the one TikTok was last set to, plus TikTok's
-- own sales since). When stock runs low relative to the sales rate of both
-- channels, the SKU is allocated: TikTok holds tt, which only TikTok can
-- sell (its counter enforces it), the website sells what web_share gives
-- (on hand less tt, res, a grant in flight and held units), and TikTok's
-- share grows only when it is known to be
-- 0 and shrinks only by setting TikTok to 0 and letting its sales settle.
--
-- Functions take the keys they touch as arguments; callers pass them from
-- KEYS so every script declares all of its keys.

local RATE_TAU_MS = 10000
local RATE_MIN = 0.05
local DEFAULT_LOW_SECONDS = 10
local ACTIVITY_MAX = 1000

local function num(x)
  return tonumber(x) or 0
end

local function chan_load(ck)
  local v = redis.call('HMGET', ck, 'mode', 'onhand', 'tt', 'res', 'settle', 'tb', 'pend', 'rt', 'rw', 'rts', 'pg', 'pp',
                       'unseen', 'held', 'tk', 'rs', 'ns', 'lp')
  return {known = v[1] ~= false, alloc = v[1] == 'alloc', onhand = num(v[2]), tt = num(v[3]), res = num(v[4]),
          settle = num(v[5]), tb = num(v[6]), pend = num(v[7]), rt = num(v[8]), rw = num(v[9]),
          rts = num(v[10]), pg = num(v[11]), pp = num(v[12]), unseen = num(v[13]), held = num(v[14]),
          tk = num(v[15]), rs = num(v[16]), ns = num(v[17]), lp = tonumber(v[18]) or -1}
end

local function chan_save(ck, c)
  redis.call('HSET', ck, 'mode', c.alloc and 'alloc' or 'normal', 'onhand', c.onhand, 'tt', c.tt,
             'res', c.res, 'settle', c.settle, 'tb', c.tb, 'pend', c.pend, 'pg', c.pg, 'pp', c.pp,
             'unseen', c.unseen, 'held', c.held, 'tk', c.tk, 'rs', c.rs, 'ns', c.ns, 'lp', c.lp,
             'rt', string.format('%.6f', c.rt), 'rw', string.format('%.6f', c.rw), 'rts', c.rts)
end

-- Settings written by `shopsync serve` at start (defaults when absent). The
-- settle lasts at least settle_ms, and longer when TikTok's webhooks have
-- lately arrived later than that (hook_lag_ms, stock_hook_lag.lua): a sale
-- whose webhook comes after the settle would be sold again.
local SETTLE_MARGIN_MS = 250
local SETTLE_MAX_MS = 60000
local function settings(setk)
  local v = redis.call('HMGET', setk, 'low_seconds', 'settle_ms', 'buffer', 'hook_lag_ms')
  local settle = tonumber(v[2]) or 2000
  local lag = tonumber(v[4])
  if lag and lag + SETTLE_MARGIN_MS > settle then settle = math.min(lag + SETTLE_MARGIN_MS, SETTLE_MAX_MS) end
  return {low = tonumber(v[1]) or DEFAULT_LOW_SECONDS, settle = settle, buffer = tonumber(v[3]) or 0}
end

-- rule_default(rdk): the store's default rule (rules:default) as stored,
-- read once for rule_of however many SKUs a script looks at.
local RULE_FIELDS = {'buffer', 'percent', 'zero_at', 'max', 'sync'}
local function rule_default(rdk)
  return redis.call('HMGET', rdk, unpack(RULE_FIELDS))
end

-- rule_of(d, rsk, st): a SKU's channel rule, each field from its own rule
-- (rules:sku:{sku}, rsk) or else the store's default d (rule_default), else
-- the built-in default (buffer SHOPSYNC_STOCK_BUFFER, percent 100, zero_at
-- 0, no max, sync on). max 'none' is "no cap" set explicitly.
local function rule_of(d, rsk, st)
  local s = redis.call('HMGET', rsk, unpack(RULE_FIELDS))
  local function pick(i)
    if s[i] then return s[i] end
    return d[i]
  end
  return {buffer = tonumber(pick(1)) or st.buffer, percent = tonumber(pick(2)) or 100,
          zero_at = tonumber(pick(3)) or 0, max = tonumber(pick(4)), sync = pick(5) ~= '0'}
end

-- What TikTok may show of available units under rule r: 0 when available
-- <= zero_at, else min(max, floor(percent% of max(0, available - buffer))).
-- The one formula of the projection: pushes, product sync, reconciliation
-- and the admin views all come here.
local function tiktok_quantity(r, available)
  if available <= r.zero_at then return 0 end
  local x = available - r.buffer
  if x < 0 then x = 0 end
  x = math.floor(x * r.percent / 100)
  if r.max and x > r.max then x = r.max end
  return x
end

-- Decay both rates to ts.
local function rates_at(c, ts)
  if c.rts > 0 and ts > c.rts then
    local f = math.exp(-(ts - c.rts) / RATE_TAU_MS)
    c.rt = c.rt * f
    c.rw = c.rw * f
  end
  if ts > c.rts then c.rts = ts end
end

-- On hand, from the state or (a SKU never changed since the state was
-- introduced) from the stock key cur.
local function onhand_of(c, cur)
  if c.known then return c.onhand end
  return tonumber(cur)
end

-- What the website may sell: on hand less the units held for checkouts,
-- less TikTok's share (allocated) or TikTok's sales not yet heard of
-- (normal).
local function web_share(c)
  local w = c.onhand - c.unseen - c.held
  -- A grant in flight is TikTok's already: TikTok may sell it before the
  -- push that sets it is recorded.
  if c.alloc then w = c.onhand - c.tt - c.res - c.pg - c.held end
  if w < 0 then w = 0 end
  return w
end

-- chan_store(sk, ck, c, cur): save the channel state c and, when it
-- changed, what the website may sell (cur: the stock key as read before).
local function chan_store(sk, ck, c, cur)
  chan_save(ck, c)
  local w = web_share(c)
  if tostring(w) ~= cur then redis.call('SET', sk, w) end
end

-- Both channels selling, and the stock would last less than low seconds
-- (never for a SKU whose stock is not pushed: TikTok's share could not be
-- taken back).
local function is_low(c, onhand, st)
  return c.ns == 0 and st.low > 0 and c.rt >= RATE_MIN and c.rw >= RATE_MIN and onhand <= st.low * (c.rt + c.rw)
end

-- Leave allocation: the website sells all it may again, and the next push
-- raises TikTok by what the projection (target) gives it beyond its share.
-- The caller stores c (chan_store).
local function chan_leave(ask, sku, c, target)
  c.pend = target - c.tt - c.res
  -- What TikTok was given, for the next push to add the rest to.
  c.lp = c.tt + c.res
  c.alloc, c.tt, c.res, c.settle, c.tb, c.pg, c.unseen, c.tk = false, 0, 0, 0, 0, 0, 0, 0
  redis.call('SREM', ask, sku)
end

-- settle_end(c, ek, since): end the settle unless an event received (in
-- the inbound stream ek) before since ms is still waiting to be applied
-- (its worker died, Redis stalled): acknowledged events leave the stream,
-- so its first entry is the oldest not yet applied. What was set aside for
-- TikTok's sales and not sold is the store's again. Returns true when it
-- ended.
local function settle_end(c, ek, since)
  local first = redis.call('XRANGE', ek, '-', '+', 'COUNT', 1)[1]
  if first and tonumber(string.match(first[1], '^(%d+)')) < since then return false end
  c.res, c.settle = 0, 0
  return true
end

-- on_hand(sk, ck): the store's units of a SKU, or nil when unknown.
local function on_hand(sk, ck)
  local cur = redis.call('GET', sk)
  if not cur then return nil end
  return onhand_of(chan_load(ck), cur)
end

-- A seller's decrement ('take') may not go below 0: an oversell records a
-- sale that asked for more than there was, an edit asking for it is a
-- mistake to point out. Returns an error reply to send back, or nil.
local function take_check(sk, ck, mode, n)
  if mode ~= 'take' then return nil end
  local have = on_hand(sk, ck)
  if not have then return redis.error_reply('NOT_FOUND') end
  if have + n < 0 then return redis.error_reply('SHORT ' .. have) end
  return nil
end

-- The keys every sale script passes after its own, from KEYS[first] on:
-- activity, oversells, push:dirty, stats, unmatched, settings, alloc:skus
-- (stock_shared_keys in C).
local function shared_keys(first)
  return {ak = KEYS[first], ok = KEYS[first + 1], dk = KEYS[first + 2], stk = KEYS[first + 3],
          uk = KEYS[first + 4], setk = KEYS[first + 5], ask = KEYS[first + 6]}
end

-- stock_change(sk, ck, sku, mode, n, reason, ref, ts, S, from_held)
-- mode 'set' sets on hand to n, 'delta' (or 'take', checked by take_check
-- first) adds n (negative n decrements with a floor at 0). from_held (may
-- be nil) of the -n units sold were held for this sale (a consumed hold):
-- they leave the held count. Returns nil for an unknown SKU, else
-- {on_hand, applied, shortfall}.
local function stock_change(sk, ck, sku, mode, n, reason, ref, ts, S, from_held)
  local cur = redis.call('GET', sk)
  if not cur then return nil end
  local c = chan_load(ck)
  local st = settings(S.setk)
  local old = onhand_of(c, cur)
  local new, shortfall = old, 0
  if mode == 'set' then
    new = n
  else
    mode = 'delta'
    new = old + n
    if new < 0 then shortfall = -new; new = 0 end
  end
  local applied = new - old
  local held_before = c.held
  c.held = math.max(0, c.held - (from_held or 0))
  local push = applied ~= 0 or reason == 'admin'
  rates_at(c, ts)
  if mode ~= 'set' and n < 0 then
    -- A TikTok sale a push's read already showed (unseen) was counted in
    -- the rate then (push_commit.lua): counted once.
    if reason == 'tiktok_order' then
      local counted = c.alloc and 0 or math.min(-n, c.unseen)
      c.rt = c.rt + (-n - counted) * 1000 / RATE_TAU_MS
    elseif reason == 'stripe_checkout' then
      c.rw = c.rw - n * 1000 / RATE_TAU_MS
    end
  end
  if c.alloc then
    push = reason == 'admin' or reason == 'import'
    if reason == 'tiktok_order' then
      -- TikTok's counter sold these: first from what was set aside while
      -- its earlier sales settle, then from its share.
      local u = mode ~= 'set' and -n or 0
      local r = math.min(u, c.res)
      c.res = c.res - r
      local t = math.min(u - r, c.tt)
      c.tt = c.tt - t
      -- Then from a grant in flight (TikTok sold some of it before the
      -- push was recorded; the commit adds what is left of it).
      local g = math.min(u - r - t, c.pg)
      c.pg = c.pg - g
      -- Every unit of its share seen sold: TikTok is at 0, known, and may
      -- be given more.
      if t > 0 and c.tt == 0 then push = true end
    elseif reason == 'tiktok_cancel' then
      -- TikTok put the units back on its own counter.
      if c.settle > 0 then c.res = c.res + applied else c.tt = c.tt + applied end
      push = true
    end
    if new - c.held - c.tt - c.res - c.pg < 0 and c.tt + c.pg > 0 then
      -- The website (or an edit) took units of TikTok's share.
      c.tb = 1
      push = true
    end
  elseif reason == 'tiktok_order' then
    -- One of the sales TikTok's quantity had shown: no longer unseen.
    local u = mode ~= 'set' and -n or 0
    c.unseen = math.max(0, c.unseen - u)
    c.tk = c.tk + u
  else
    -- A cancellation counts too: TikTok may or may not have put the units
    -- back on its own yet (or at all); either way the push adds them and
    -- the projection caps the sum, so they are there exactly once. pend
    -- counts available units (on hand less held): a hold's units left
    -- TikTok when it was made, so selling them changes nothing there.
    c.pend = c.pend + applied + (held_before - c.held)
  end
  c.onhand = new
  -- What is left is on hand less the TikTok sales TikTok already shows.
  if not c.alloc and is_low(c, new - c.unseen - c.held, st) then
    -- TikTok goes to 0 first; until its sales in flight have settled, the
    -- website sells nothing it may have sold (held units stay held).
    c.alloc, c.tt, c.res, c.tb, c.settle, c.unseen, c.tk = true, 0, math.max(0, new - c.held), 1, 0, 0, 0
    redis.call('SADD', S.ask, sku)
    push = true
  end
  chan_store(sk, ck, c, cur)
  redis.call('LPUSH', S.ak, cjson.encode({ts = ts, sku = sku, delta = applied, stock = new, reason = reason, ref = ref}))
  redis.call('LTRIM', S.ak, 0, ACTIVITY_MAX - 1)
  if shortfall > 0 then
    redis.call('LPUSH', S.ok, cjson.encode({ts = ts, sku = sku, requested = -n, applied = -applied,
                                          shortfall = shortfall, reason = reason, ref = ref}))
    redis.call('LTRIM', S.ok, 0, ACTIVITY_MAX - 1)
    redis.call('HINCRBY', S.stk, 'oversold_units', shortfall)
    redis.call('HINCRBY', S.stk, 'oversells', 1)
  end
  if push then redis.call('HINCRBY', S.dk, sku, 1) end
  return {new, applied, shortfall}
end

-- record_unmatched(S, entry, ts) logs a sale line whose SKU the store does
-- not know.
local function record_unmatched(S, entry, ts)
  entry.ts = ts
  redis.call('LPUSH', S.uk, cjson.encode(entry))
  redis.call('LTRIM', S.uk, 0, ACTIVITY_MAX - 1)
end

-- hold_return(sk, ck, sku, n, S): n units held for a checkout go back to
-- both channels (the hold was released or expired). A SKU gone from the
-- catalog meanwhile has nothing to give back.
local function hold_return(sk, ck, sku, n, S)
  local cur = redis.call('GET', sk)
  if not cur then return end
  local c = chan_load(ck)
  c.onhand = onhand_of(c, cur)
  local h = math.min(n, c.held)
  c.held = c.held - h
  if not c.alloc then c.pend = c.pend + h end
  chan_store(sk, ck, c, cur)
  redis.call('HINCRBY', S.dk, sku, 1)
end

-- hold_close(hk, ek, id, state, ts, ttl, S): the bookkeeping of any end of
-- a hold (sold, released or expired): its state for ttl seconds, out of
-- the expiry index, counted.
local function hold_close(hk, ek, id, state, ts, ttl, S)
  redis.call('HSET', hk, 'state', state, 'ended_at', ts)
  redis.call('EXPIRE', hk, ttl)
  redis.call('ZREM', ek, id)
  redis.call('HINCRBY', S.stk, 'holds_' .. state, 1)
end

-- hold_end(hk, ek, id, items, state, ts, ttl, S): end an active hold whose
-- items ({{sku, n, stock key, channel key}}) were not sold: its units go
-- back, it keeps state for ttl seconds, and it leaves the expiry index.
local function hold_end(hk, ek, id, items, state, ts, ttl, S)
  for _, it in ipairs(items) do hold_return(it[3], it[4], it[1], it[2], S) end
  hold_close(hk, ek, id, state, ts, ttl, S)
end
