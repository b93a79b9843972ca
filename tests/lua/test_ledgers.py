"""Contract tests of the ledger scripts: a TikTok order (orders_apply), a
Stripe checkout session (checkout_apply), one stock change with its floor at
0 (stock_change) and the queue's intake dedupe (queue_enqueue), each EVALed
with real keys on a real redis-server.
"""
import json

from luatest import SHARED, error_text, run, script

TS = 1700000000000
TTL = 3600

ORDER = script("orders_apply", prelude=True)
CHECKOUT = script("checkout_apply", prelude=True)
CHANGE = script("stock_change", prelude=True)
ENQUEUE = script("queue_enqueue")


def order(r, oid, status, units):
    """orders_apply for order oid with units [[sku, active lines, cancelled
    lines]]: KEYS ledger, shared keys, then stock and channel key per SKU."""
    keys = ["order:" + oid] + SHARED
    for u in units:
        keys += ["stock:" + u[0], "chan:" + u[0]]
    req = json.dumps({"units": units, "unmatched": []})
    return r.eval(ORDER, keys, [oid, status, TS, req, TTL])


def change(r, sku, mode, n, reason="admin"):
    return r.eval(CHANGE, ["stock:" + sku, "chan:" + sku] + SHARED, [sku, mode, n, reason, "ref-1", TS])


def order_ledger(c, r):
    r.call("SET", "stock:A", 5)
    c.eq(order(r, "o1", "active", [["A", 2, 0]]), b"applied", "an order is applied")
    c.eq(r.get("stock:A"), "3", "the order took its 2 units")
    c.eq(order(r, "o1", "active", [["A", 2, 0]]), b"noop", "the same order again is a no-op")
    c.eq(r.get("stock:A"), "3", "the same order again takes nothing")
    c.eq(order(r, "o1", "cancelled", [["A", 0, 2]]), b"restocked", "its cancellation restocks")
    c.eq(r.get("stock:A"), "5", "the cancellation gave the 2 units back")
    c.eq(order(r, "o1", "cancelled", [["A", 0, 2]]), b"noop", "the same cancellation again is a no-op")
    c.eq(r.get("stock:A"), "5", "the same cancellation again gives nothing back")
    c.eq(order(r, "o1", "active", [["A", 2, 0]]), b"noop", "an older fetch after the cancellation is a no-op")
    c.eq(r.get("stock:A"), "5", "an older fetch after the cancellation takes nothing")

    c.eq(order(r, "o2", "cancelled", [["A", 0, 1]]), b"cancelled_first", "a cancellation seen first")
    c.eq(r.get("stock:A"), "5", "a cancellation seen first restocks nothing")
    c.eq(r.hget("order:o2", "state"), "cancelled_first", "the ledger remembers the cancellation")
    c.eq(order(r, "o2", "active", [["A", 1, 0]]), b"noop", "the order after its cancellation is a no-op")
    c.eq(r.get("stock:A"), "5", "an order cancelled first is never decremented")

    c.eq(order(r, "o3", "active", [["A", 3, 0]]), b"applied", "a 3-line order")
    c.eq(r.get("stock:A"), "2", "it took 3 units")
    c.eq(order(r, "o3", "active", [["A", 2, 1]]), b"restocked_lines", "one of its lines cancelled")
    c.eq(r.get("stock:A"), "3", "the cancelled line gave its unit back")
    c.eq(order(r, "o3", "active", [["A", 2, 1]]), b"noop", "the same fetch again")
    c.eq(r.get("stock:A"), "3", "the cancelled line's unit is given back once")
    c.eq(order(r, "o3", "cancelled", [["A", 0, 3]]), b"restocked", "then the whole order cancelled")
    c.eq(r.get("stock:A"), "5", "the whole cancellation gives back the other 2 units only")


def stock_floor(c, r):
    r.call("SET", "stock:B", 2)
    c.eq(change(r, "B", "delta", -5, "stripe_checkout"), [0, -2, 3], "a decrement below 0 floors at 0")
    c.eq(r.get("stock:B"), "0", "the stock stays at 0")
    rows = [json.loads(x) for x in r.call("LRANGE", "oversells", 0, -1)]
    c.eq([(o["sku"], o["requested"], o["applied"], o["shortfall"]) for o in rows], [("B", 5, 2, 3)],
         "the oversell is recorded with its shortfall")
    c.eq((r.hget("stats", "oversells"), r.hget("stats", "oversold_units")), ("1", "3"),
         "the oversell is counted")

    r.call("SET", "stock:C", 2)
    short = change(r, "C", "take", -3)
    c.eq(error_text(short), "SHORT 2", "a take below 0 is refused with SHORT and what there is")
    c.eq(r.get("stock:C"), "2", "a refused take changes nothing")
    c.eq(r.call("LLEN", "oversells"), 1, "a refused take records no oversell")
    c.eq(change(r, "C", "take", -2), [0, -2, 0], "a take down to exactly 0 is applied")
    missing = change(r, "NOPE", "take", -1)
    c.eq(error_text(missing), "NOT_FOUND", "a take on an unknown SKU is NOT_FOUND")


def checkout_ledger(c, r):
    r.call("SET", "stock:D", 4)
    keys = ["checkout:cs_1"] + SHARED + ["stock:D", "chan:D", "stock:GHOST", "chan:GHOST"]
    req = json.dumps({"units": [["D", 3], ["GHOST", 1]], "unmatched": []})
    c.eq(r.eval(CHECKOUT, keys, ["cs_1", TS, req, TTL]), 1, "a checkout session is applied")
    c.eq(r.get("stock:D"), "1", "the session took its 3 units")
    unmatched = [json.loads(x) for x in r.call("LRANGE", "unmatched", 0, -1)]
    c.eq([(u["source"], u["ref"], u["sku"], u["quantity"]) for u in unmatched], [("stripe", "cs_1", "GHOST", 1)],
         "a line of an unknown SKU is recorded as unmatched")
    c.eq(r.eval(CHECKOUT, keys, ["cs_1", TS, req, TTL]), 0, "the same session again is not applied")
    c.eq(r.get("stock:D"), "1", "the same session again takes nothing")
    c.eq(r.call("LLEN", "unmatched"), 1, "the same session again records nothing")


def intake_dedupe(c, r):
    keys = ["dedupe:tiktok:e1", "stream:events", "stream:parked"]
    args = [60, "tiktok", "e1", '{"type":1}', TS, 10]
    c.eq(r.eval(ENQUEUE, keys, args), 1, "an event is queued")
    c.eq(r.eval(ENQUEUE, keys, args), 0, "the same event again is a duplicate")
    c.eq(r.call("XLEN", "stream:events"), 1, "the duplicate added no entry")
    entry = r.call("XRANGE", "stream:events", "-", "+")[0][1]
    fields = dict(zip(entry[::2], entry[1::2]))
    c.eq((fields[b"provider"], fields[b"event_id"], fields[b"received_at"]), (b"tiktok", b"e1", str(TS).encode()),
         "the entry carries provider, event id and time")
    full = ["dedupe:tiktok:e2", "stream:events", "stream:parked"]
    r.call("XADD", "stream:parked", "*", "provider", "tiktok")
    c.eq(r.eval(ENQUEUE, full, [60, "tiktok", "e2", "{}", TS, 2]), 2,
         "a full backlog (parked entries count) refuses the event")
    c.eq(r.call("EXISTS", "dedupe:tiktok:e2"), 0, "a refused event leaves no dedupe marker")


def main():
    run("test_ledgers", [("order ledger", order_ledger), ("stock floor", stock_floor),
                         ("checkout ledger", checkout_ledger), ("intake dedupe", intake_dedupe)])


if __name__ == "__main__":
    main()
