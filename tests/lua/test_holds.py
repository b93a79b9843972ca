"""Contract tests of the checkout hold scripts (src/lua/hold_create.lua,
hold_end.lua) and of a hold consumed by checkout_apply.lua: all or none
against what the website may sell, held units out of TikTok's projection,
released and expired units given back once, a consumed hold sold once, and
the channel rule's projection (stock.lua's tiktok_quantity) through
stock_view.lua and push_plan.lua.
"""
import json

from luatest import SHARED, error_text, run, script

TS = 1700000000000
CREATE = script("hold_create", prelude=True)
END = script("hold_end", prelude=True)
CHECKOUT = script("checkout_apply", prelude=True)
VIEW = script("stock_view", prelude=True)
PLAN = script("push_plan", prelude=True)
RULES = script("rules_store", prelude=True)


def keys(hold, skus):
    out = ["hold:" + hold, "holds:expiry"] + SHARED
    for s in skus:
        out += ["stock:" + s, "chan:" + s]
    return out


def create(r, hold, items, exp=TS + 60000):
    return r.eval(CREATE, keys(hold, [s for s, _ in items]), [hold, TS, exp, json.dumps(items)])


def end(r, hold, skus, state, ts=TS):
    return r.eval(END, keys(hold, skus), [hold, state, ts, 86400])


def view(r, sku):
    """(web, on hand, held, TikTok shown, sync) from stock_view."""
    v = r.eval(VIEW, ["rules:default", "settings", "stock:" + sku, "chan:" + sku, "rules:sku:" + sku], [])
    return (v[0], v[1], v[7], v[8], v[9])


def all_or_none(c, r):
    r.call("SET", "stock:A", 5)
    r.call("SET", "stock:B", 2)
    got = create(r, "h1", [["A", 3], ["B", 3]])
    c.eq([x.decode() if isinstance(x, bytes) else x for x in got], ["short", "B", 2], "B is short: refused naming it")
    c.eq((r.get("stock:A"), r.get("stock:B"), r.call("EXISTS", "hold:h1")), ("5", "2", 0), "nothing was held")
    got = create(r, "h1", [["A", 3], ["GHOST", 1]])
    c.eq([x.decode() for x in got], ["unknown", "GHOST"], "an unknown SKU is refused")
    c.eq(r.get("stock:A"), "5", "and nothing held")
    c.eq(create(r, "h1", [["A", 3], ["B", 2]]), [b"ok"], "both held")
    c.eq((r.get("stock:A"), r.get("stock:B")), ("2", "0"), "the website may sell what is left")
    c.eq(view(r, "A"), (2, 5, 3, 2, 1), "A: on hand 5, 3 held, TikTok is shown 2")
    c.eq(r.hget("chan:A", "pend"), "-3", "the held units are a change for TikTok to take off")
    c.eq(r.call("ZSCORE", "holds:expiry", "h1"), str(TS + 60000).encode(), "indexed by its expiry")
    c.eq(r.hget("stats", "holds_created"), "1", "counted")
    c.eq(error_text(create(r, "h1", [["A", 1]])), "EXISTS", "the same id twice is refused")


def end_hold(c, r):
    r.call("SET", "stock:E", 10)
    create(r, "h2", [["E", 4]])
    c.eq(end(r, "h2", ["E"], "expired"), [b"active", 0], "an expiry before its time changes nothing")
    c.eq(r.get("stock:E"), "6", "still held")
    c.eq(end(r, "h2", ["E"], "released"), [b"released", 1], "released")
    c.eq((r.get("stock:E"), r.hget("chan:E", "held"), r.hget("chan:E", "pend")), ("10", "0", "0"),
         "its units are back for both channels")
    c.eq(end(r, "h2", ["E"], "released"), [b"released", 0], "a second release changes nothing")
    c.eq(r.get("stock:E"), "10", "nothing given back twice")
    c.ok(0 < r.call("TTL", "hold:h2") <= 86400, "an ended hold is kept a day")
    c.eq(r.call("ZSCORE", "holds:expiry", "h2"), None, "and leaves the expiry index")
    create(r, "h3", [["E", 2]])
    c.eq(end(r, "h3", ["E"], "expired", TS + 60000), [b"expired", 1], "expired once its time has come")
    c.eq((r.get("stock:E"), r.hget("stats", "holds_expired")), ("10", "1"), "given back and counted")
    create(r, "h4", [["E", 2]])
    c.eq(end(r, "h4", ["E"], "released", TS + 70000), [b"expired", 1], "a release after its time is an expiry")
    c.eq(error_text(end(r, "nope", ["E"], "released")), "NOT_FOUND", "an unknown hold is NOT_FOUND")


def consumed(c, r):
    r.call("SET", "stock:C", 10)
    create(r, "h5", [["C", 2]])
    req = json.dumps({"units": [["C", 2]], "unmatched": [], "at": {"C": 1}})
    k = ["checkout:cs_5"] + SHARED + ["stock:C", "chan:C", "hold:h5", "holds:expiry"]
    c.eq(r.eval(CHECKOUT, k, ["cs_5", TS, req, 100, "h5", 86400]), 2, "the session consumes its hold")
    c.eq((r.get("stock:C"), r.hget("chan:C", "onhand"), r.hget("chan:C", "held")), ("8", "8", "0"),
         "sold from the held units: on hand 8, the website still sells 8")
    c.eq(r.hget("chan:C", "pend"), "-2", "TikTok loses the 2 units once (when they were held)")
    c.eq(r.hget("hold:h5", "state"), "consumed", "the hold reads consumed")
    c.eq(r.eval(CHECKOUT, k, ["cs_5", TS, req, 100, "h5", 86400]), 0, "the same session again: nothing")
    c.eq(r.get("stock:C"), "8", "not taken twice")
    # A session whose hold has expired is a sale like any other.
    create(r, "h6", [["C", 3]])
    k = ["checkout:cs_6"] + SHARED + ["stock:C", "chan:C", "hold:h6", "holds:expiry"]
    req = json.dumps({"units": [["C", 3]], "unmatched": [], "at": {"C": 1}})
    c.eq(r.eval(CHECKOUT, k, ["cs_6", TS + 60000, req, 100, "h6", 86400]), 1, "after its time: a plain sale")
    c.eq((r.get("stock:C"), r.hget("chan:C", "held"), r.hget("hold:h6", "state")), ("5", "0", "expired"),
         "the hold expired first, then the sale took 3")


def projection(c, r):
    r.call("SET", "stock:P", 20)
    r.call("HSET", "settings", "buffer", 2)
    c.eq(view(r, "P")[3], 18, "the default buffer is SHOPSYNC_STOCK_BUFFER's (settings)")
    cases = [({"buffer": 5}, 15), ({"percent": 50}, 9), ({"percent": 33, "buffer": 0}, 6), ({"zero_at": 20}, 0),
             ({"zero_at": 19, "buffer": 0}, 20), ({"max": 4}, 4), ({"max": None, "buffer": 0}, 20)]
    for rule, want in cases:
        req = {"skus": [{"sku": "P", "op": "set", "rule": rule}]}
        r.eval(RULES, ["rules:default", "rules:skus"] + SHARED + ["stock:P", "chan:P", "rules:sku:P"],
               [json.dumps(req)])
        c.eq(view(r, "P")[3], want, "rule %r on 20 available shows %d" % (rule, want))
    r.call("HSET", "rules:default", "max", 3)
    c.eq(view(r, "P")[3], 20, "the SKU's own max none wins over the default's max")
    r.call("DEL", "rules:sku:P")
    c.eq(view(r, "P")[3], 3, "back to the default: the default's max")
    r.call("HSET", "rules:sku:P", "sync", "0")
    c.eq(view(r, "P")[4], 0, "sync off")
    plan = r.eval(PLAN, ["stock:P", "chan:P"] + SHARED + ["stream:events", "rules:default", "rules:sku:P"],
                  ["P", TS, "1"])
    c.eq(plan[0], b"none", "sync off: the push sends nothing")
    r.call("DEL", "rules:sku:P", "rules:default")
    r.call("HSET", "settings", "buffer", 0)
    plan = r.eval(PLAN, ["stock:P", "chan:P"] + SHARED + ["stream:events", "rules:default", "rules:sku:P"],
                  ["P", TS, "1"])
    c.eq((plan[0], plan[3]), (b"absolute", 20), "sync back on: the projection is sent outright")


def rule_marks(c, r):
    for s in ("M1", "M2"):
        r.call("SET", "stock:" + s, 10)
    k = ["rules:default", "rules:skus"] + SHARED
    for s in ("M1", "M2"):
        k += ["stock:" + s, "chan:" + s, "rules:sku:" + s]
    req = {"default": {"buffer": 1}, "skus": [{"sku": "M1", "op": "set", "rule": {"buffer": 0}},
                                               {"sku": "M2", "op": "keep"}]}
    c.eq(r.eval(RULES, k, [json.dumps(req)]), 1, "a default buffer with M1 keeping 0: only M2 changes")
    c.eq((r.call("HEXISTS", "push:dirty", "M1"), r.call("HEXISTS", "push:dirty", "M2")), (0, 1),
         "only M2 is marked")
    req = {"skus": [{"sku": "GONE", "op": "set", "rule": {"buffer": 1}}]}
    got = r.eval(RULES, ["rules:default", "rules:skus"] + SHARED + ["stock:GONE", "chan:GONE", "rules:sku:GONE"],
                 [json.dumps(req)])
    c.eq(error_text(got), "NOT_FOUND GONE", "a rule of an unknown SKU is refused")


if __name__ == "__main__":
    run("holds", [("all or none", all_or_none), ("end", end_hold), ("consumed", consumed),
                  ("projection", projection), ("rule marks", rule_marks)])
