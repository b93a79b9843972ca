"""Contract tests of the low-stock rules shared by src/lua/stock.lua,
push_plan.lua and push_commit.lua: a SKU that both channels sell fast at
low stock is allocated, TikTok's share is taken back first, a grant in
proportion to the sales rates follows the settle, TikTok's sales come out of
its share and a website sale beyond its own share has the share taken back;
a grant in flight is TikTok's already (the website does not sell it, and
TikTok's sales made from it before the push is recorded come out of it);
the settle lasts at least as long as TikTok's webhooks have lately been late,
and ends early once TikTok's orders have been read and applied
(push_settle.lua); TikTok sales a push's read shows count in TikTok's rate
before their webhooks come.

Rates: each unit sold adds 1000 / RATE_TAU_MS = 0.1 per second to its
channel's rate; with low_seconds 10 a SKU is low when on hand <= 10 * (rate
on TikTok + rate on the website).
"""
from luatest import SHARED, run, script

TS = 1700000000000
SETTLE_MS = 4000

CHANGE = script("stock_change", prelude=True)
PLAN = script("push_plan", prelude=True)
COMMIT = script("push_commit", prelude=True)
HOOK_LAG = script("stock_hook_lag")
SETTLE = script("push_settle", prelude=True)

SKU = "LOW"
KEYS = ["stock:" + SKU, "chan:" + SKU] + SHARED
PLAN_KEYS = KEYS + ["stream:events", "rules:default", "rules:sku:" + SKU]


def sale(r, n, reason, ts):
    return r.eval(CHANGE, KEYS, [SKU, "delta", -n, reason, "ref", ts])


def plan(r, ts):
    """push_plan's {action, value, kind} (pend and cap left out)."""
    p = r.eval(PLAN, PLAN_KEYS, [SKU, ts, "1"])
    return [p[0].decode(), p[1], p[4].decode()]


def commit(r, kind, value, ts):
    return r.eval(COMMIT, PLAN_KEYS, [SKU, kind, value, 0, ts])


def chan(r, *fields):
    return tuple(r.hget("chan:" + SKU, f) for f in fields)


def taken_back(r):
    """15 units; TikTok sells 5 and the website 3: allocated, and TikTok's
    share taken back at TS (7 units set aside until TS + SETTLE_MS)."""
    r.call("HSET", "settings", "low_seconds", 10, "settle_ms", SETTLE_MS, "buffer", 0)
    r.call("SET", KEYS[0], 15)
    sale(r, 5, "tiktok_order", TS)
    sale(r, 3, "stripe_checkout", TS)
    plan(r, TS)
    commit(r, "takeback", 0, TS)


def allocation(c, r):
    r.call("HSET", "settings", "low_seconds", 10, "settle_ms", SETTLE_MS, "buffer", 0)
    r.call("SET", KEYS[0], 15)

    # 5 TikTok units: rate 0.5 on TikTok only, 10 left: one channel alone
    # is never low.
    c.eq(sale(r, 5, "tiktok_order", TS), [10, -5, 0], "a TikTok order of 5")
    c.eq(chan(r, "mode"), ("normal",), "one channel selling fast stays normal")
    # 3 website units: rates 0.5 + 0.3, 7 left <= 10 * 0.8.
    c.eq(sale(r, 3, "stripe_checkout", TS), [7, -3, 0], "a website sale of 3")
    c.eq(chan(r, "mode", "onhand", "tt", "res", "tb"), ("alloc", "7", "0", "7", "1"),
         "both channels fast at low stock: allocated, everything set aside, TikTok's share to take back")
    c.eq(r.get(KEYS[0]), "0", "the website sells nothing while TikTok's sales may be in flight")
    c.eq(r.call("SISMEMBER", "alloc:skus", SKU), 1, "the SKU is listed as allocated")

    c.eq(plan(r, TS), ["set", 0, "takeback"], "the first push takes TikTok's share back (sets it to 0)")
    c.eq(commit(r, "takeback", 0, TS), 1, "the takeback is recorded")
    c.eq(chan(r, "tt", "res", "tb", "settle"), ("0", "7", "0", str(TS + SETTLE_MS)),
         "after the takeback TikTok's sales settle until settle_ms from now")
    c.eq(plan(r, TS + 1000), ["none", 0, ""], "nothing is pushed while TikTok's sales settle")

    # Settle over, no event waiting: 7 units on hand, rates decayed alike,
    # so TikTok's share is floor(7 * 0.5 / (0.5 + 0.3)) = 4.
    c.eq(plan(r, TS + SETTLE_MS), ["set", 4, "grant"], "after the settle TikTok is granted a share by the rates")
    c.eq(chan(r, "res", "settle", "pg"), ("0", "0", "4"), "the settle is over and the grant pending")
    c.eq(commit(r, "grant", 4, TS + SETTLE_MS), 1, "the grant is recorded")
    c.eq(chan(r, "tt", "pg", "tb"), ("4", "0", "0"), "TikTok holds its share of 4")
    c.eq(r.get(KEYS[0]), "3", "the website sells the other 3")

    c.eq(sale(r, 1, "tiktok_order", TS + SETTLE_MS), [6, -1, 0], "a TikTok order of 1")
    c.eq(chan(r, "onhand", "tt", "res", "tb"), ("6", "3", "0", "0"), "TikTok's sale came out of its share")
    c.eq(r.get(KEYS[0]), "3", "the website's share is untouched by TikTok's sale")

    c.eq(sale(r, 4, "stripe_checkout", TS + SETTLE_MS), [2, -4, 0], "a website sale of 4, beyond its share of 3")
    c.eq(chan(r, "onhand", "tt", "tb"), ("2", "3", "1"), "the website took from TikTok's share: take it back")
    c.eq(r.get(KEYS[0]), "0", "the website has nothing left to sell")
    c.eq(plan(r, TS + SETTLE_MS), ["set", 0, "takeback"], "the next push takes TikTok's share back")


def grant_in_flight(c, r):
    taken_back(r)
    c.eq(plan(r, TS + SETTLE_MS), ["set", 4, "grant"], "after the settle a grant of 4 is planned")
    c.eq(r.get(KEYS[0]), "3", "while the grant is in flight the website sells only the 3 beyond it")

    c.eq(sale(r, 1, "tiktok_order", TS + SETTLE_MS), [6, -1, 0], "TikTok sells one unit of the grant at once")
    c.eq(chan(r, "tt", "pg", "res"), ("0", "3", "0"), "the sale came out of the grant in flight")
    c.eq(r.get(KEYS[0]), "3", "the website's share is unchanged")
    c.eq(commit(r, "grant", 4, TS + SETTLE_MS), 1, "the grant is recorded")
    c.eq(chan(r, "tt", "pg", "tb"), ("3", "0", "0"), "TikTok holds what is left of its grant")

    r.call("HSET", "chan:" + SKU, "pg", 2, "tt", 0)
    r.call("SET", KEYS[0], 4)
    c.eq(sale(r, 5, "stripe_checkout", TS + SETTLE_MS), [1, -5, 0],
         "a website sale of 5 while a grant of 2 is in flight (4 its own)")
    c.eq(chan(r, "onhand", "pg", "tb"), ("1", "2", "1"), "the website took from the grant: take TikTok's share back")


def late_webhooks(c, r):
    r.call("HSET", "settings", "low_seconds", 10, "settle_ms", 2000, "buffer", 0)
    window = 600000

    def note(lag, now):
        return r.eval(HOOK_LAG, ["settings"], [lag, now, window])

    c.eq(note(800, TS), 1, "a first webhook lag is noted")
    c.eq(note(3100, TS + 1000), 1, "a longer one replaces it")
    c.eq(note(500, TS + 2000), 0, "a shorter one within the window does not")
    c.eq(r.hget("settings", "hook_lag_ms"), "3100", "the longest lag of the window is kept")

    r.call("SET", KEYS[0], 15)
    sale(r, 5, "tiktok_order", TS)
    sale(r, 3, "stripe_checkout", TS)
    c.eq(plan(r, TS), ["set", 0, "takeback"], "allocated: TikTok's share is taken back")
    commit(r, "takeback", 0, TS)
    c.eq(chan(r, "settle"), (str(TS + 3100 + 250),),
         "the settle lasts the late webhooks' lag plus a margin, not the configured 2 s")
    c.eq(plan(r, TS + 2500), ["none", 0, ""], "2.5 s later TikTok's late sales are still awaited")

    c.eq(note(400, TS + 1000 + window), 1, "after the window a shorter lag replaces the old one")
    c.eq(r.hget("settings", "hook_lag_ms"), "400", "the lag noted is the recent one")
    r.call("HSET", "chan:" + SKU, "tb", 1)
    plan(r, TS + 2 * window)
    commit(r, "takeback", 0, TS + 2 * window)
    c.eq(chan(r, "settle"), (str(TS + 2 * window + 2000),), "a lag under settle_ms leaves the settle at settle_ms")


def settle_read(c, r):
    taken_back(r)
    until = TS + SETTLE_MS
    c.eq(chan(r, "res", "settle"), ("7", str(until)), "TikTok at 0: 7 units set aside until the settle ends")

    def end(settle, read_at):
        return r.eval(SETTLE, PLAN_KEYS, [SKU, settle, read_at])

    c.eq(end(until + 1, TS + 100), -1, "a read for another settle ends nothing")
    c.eq(chan(r, "res", "settle"), ("7", str(until)), "the settle goes on")
    # An event received before the read and not yet applied may be a
    # TikTok order the read did not cover.
    r.call("XADD", "stream:events", "%d-0" % (TS + 50), "provider", "tiktok")
    c.eq(end(until, TS + 100), 0, "an event received before the read is still waiting: the settle goes on")
    c.eq(r.get(KEYS[0]), "0", "the website still sells nothing")
    r.call("DEL", "stream:events")
    r.call("XADD", "stream:events", "%d-0" % (TS + 150), "provider", "stripe")
    r.call("HDEL", "push:dirty", SKU)
    # The read applied a TikTok order of 2 (as its webhook would have).
    sale(r, 2, "tiktok_order", TS + 120)
    c.eq(chan(r, "res"), ("5",), "the order read came out of what was set aside")
    c.eq(end(until, TS + 100), 1, "every event before the read applied: the settle ends")
    c.eq(chan(r, "res", "settle", "onhand"), ("0", "0", "5"), "nothing set aside any more")
    c.eq(r.get(KEYS[0]), "5", "the website may sell what is left at once")
    c.eq(r.hget("push:dirty", SKU), "1", "marked for the push that gives TikTok its share")
    # Rates 0.7 (TikTok) and 0.3: floor(5 * 0.7 / 1.0) = 3.
    c.eq(plan(r, TS + 200), ["set", 3, "grant"], "the next push grants TikTok its share, before the settle's time")
    c.eq(end(until, TS + 100), -1, "a second read of the same settle changes nothing")


def read_rate(c, r):
    r.call("HSET", "settings", "low_seconds", 10, "settle_ms", SETTLE_MS, "buffer", 0)
    r.call("SET", KEYS[0], 1000)

    def rate(field):
        return round(float(r.hget("chan:" + SKU, field)), 3)

    def read_commit(unseen, ts):
        return r.eval(COMMIT, PLAN_KEYS, [SKU, "read", 0, 0, ts, unseen, 0, 0])

    sale(r, 1, "stripe_checkout", TS)
    c.eq(read_commit(5, TS), 1, "a push whose read of TikTok showed 5 sales not heard of")
    c.eq((rate("rt"), chan(r, "unseen")), (0.5, ("5",)), "TikTok's rate counts them at once")
    sale(r, 3, "tiktok_order", TS)
    c.eq((rate("rt"), chan(r, "unseen")), (0.5, ("2",)), "their orders, when they come, are not counted again")
    sale(r, 4, "tiktok_order", TS)
    c.eq(rate("rt"), 0.7, "an order beyond what the read showed counts")
    c.eq(read_commit(3, TS), 1, "a later read showing 3 not heard of (of which none counted yet)")
    c.eq(rate("rt"), 1.0, "those 3 count")

    # No TikTok webhook at all yet, and the SKU still turns low: the
    # reads show TikTok selling it.
    r.call("DEL", "chan:" + SKU)
    r.call("SET", KEYS[0], 12)
    sale(r, 1, "stripe_checkout", TS)
    c.eq(chan(r, "mode"), ("normal",), "the website alone selling: normal")
    read_commit(5, TS)
    sale(r, 1, "stripe_checkout", TS)
    c.eq(chan(r, "mode", "onhand", "res", "tb"), ("alloc", "10", "10", "1"),
         "5 TikTok sales seen only in TikTok's quantity: 10 on hand is low at rates 0.5 + 0.2")


def main():
    run("test_low_stock", [("allocation", allocation), ("grant_in_flight", grant_in_flight),
                           ("late_webhooks", late_webhooks), ("settle_read", settle_read),
                           ("read_rate", read_rate)])


if __name__ == "__main__":
    main()
