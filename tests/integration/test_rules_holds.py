"""Channel rules per SKU and checkout holds, end to end against the TikTok
Shop sandbox: each rule's effect on the quantity TikTok is sent (buffer,
percent, zero_at, max, sync:false), a rule change marking exactly its SKUs,
holds taken all or none by 8 clients racing for the last units, a hold
consumed by its paid Checkout Session (and a Stripe retry of it applied
once), released, expired (also while shopsync is stopped), a session whose
hold had expired (a plain sale, an oversell when short), a
checkout.session.expired releasing its hold, the storefront token refused on
the admin API, and every bad field named in a 400.

A hold's time passing is simulated by moving its expiry into the past in
Redis (its hash and the expiry index), as the clock would.

Sections run alone with: test_rules_holds.py SECTION [SECTION ...]
"""
import threading
import time

import harness as H
import propagation_util as U

checks = H.Checks("rules_holds")
STOREFRONT_TOKEN = "test-storefront-token-0123456789"
FRONT = {"Authorization": "Bearer " + STOREFRONT_TOKEN}
PREFIX = "shopsync:"

SKUS = {"R-BUF": 20, "R-PCT": 20, "R-ZERO": 20, "R-MAX": 20, "R-OFF": 20, "R-KEEP": 20,
        "H-RACE": 5, "H-A": 10, "H-B": 2, "H-C": 10, "H-REL": 10, "H-EXP": 10, "H-DOWN": 10, "H-LATE": 3,
        "H-SESS": 10, "H-TOK": 10}


def front(s, method, path, body=None, headers=None):
    h = dict(FRONT)
    h.update(headers or {})
    return H.jrequest(method, s.base + path, body, h)


def hold(s, items, ttl=1800):
    return front(s, "POST", "/api/holds", {"items": [{"sku": k, "quantity": q} for k, q in items], "ttl_seconds": ttl})


def view(s, sku):
    return s.admin("GET", "/api/admin/stock/" + sku)[1]


def qty_is(s, want):
    """Wait until TikTok (the sandbox) shows want {sku: quantity}."""
    try:
        H.wait_until(lambda: all(s.tiktok_qty().get(k) == v for k, v in want.items()), timeout=20, interval=0.2,
                     what="TikTok quantities")
        return True
    except AssertionError:
        q = s.tiktok_qty()
        print("# TikTok shows %r, want %r" % ({k: q.get(k) for k in want}, want))
        return False


def expire_in_redis(s, hold_id):
    """Move a hold's expiry into the past, as if its TTL had passed."""
    past = int(time.time() * 1000) - 1000
    s.redis.cli("HSET", PREFIX + "hold:" + hold_id, "expires_at", str(past))
    s.redis.cli("ZADD", PREFIX + "holds:expiry", str(past), hold_id)


def session(s, sid, hold_id=None, items=None, typ="checkout.session.completed", event_id=None):
    meta = {}
    if hold_id:
        meta["shopsync_hold"] = hold_id
    if items:
        meta["shopsync_items"] = items
    obj = {"id": sid, "object": "checkout.session", "metadata": meta,
           "payment_status": "unpaid" if typ == "checkout.session.expired" else "paid"}
    body = U.stripe_event(typ, obj, event_id)
    return s.post_stripe(body)[0], body


def rules_effect(s):
    st, doc = s.admin("PUT", "/api/admin/rules/R-BUF", {"buffer": 5})
    checks.eq((st, doc.get("rule"), doc.get("marked")), (200, {"buffer": 5}, 1), "a buffer of 5 set on R-BUF")
    checks.eq(s.admin("PUT", "/api/admin/rules/R-PCT", {"percent": 50})[0], 200, "percent 50 on R-PCT")
    checks.eq(s.admin("PUT", "/api/admin/rules/R-ZERO", {"zero_at": 20})[0], 200, "zero_at 20 on R-ZERO")
    checks.eq(s.admin("PUT", "/api/admin/rules/R-MAX", {"max": 7})[0], 200, "max 7 on R-MAX")
    checks.eq(s.admin("PUT", "/api/admin/rules/R-OFF", {"sync": False})[0], 200, "sync off on R-OFF")
    checks.ok(qty_is(s, {"R-BUF": 15, "R-PCT": 10, "R-ZERO": 0, "R-MAX": 7, "R-OFF": 20, "R-KEEP": 20}),
              "TikTok shows 20-5, 50% of 20, 0 at or under zero_at, the cap 7, R-OFF untouched")
    shown = {k: view(s, k).get("tiktok_shown") for k in ("R-BUF", "R-PCT", "R-ZERO", "R-MAX", "R-OFF")}
    checks.eq(shown, {"R-BUF": 15, "R-PCT": 10, "R-ZERO": 0, "R-MAX": 7, "R-OFF": None},
              "the admin view says what TikTok is shown (null with sync off)")

    # Sales from outside TikTok: each rule on the new stock.
    for k in ("R-BUF", "R-PCT", "R-ZERO", "R-MAX", "R-OFF"):
        st, _ = session(s, "cs_rules_%s_%d" % (k, time.time_ns()), items="%s:3" % k)
        checks.eq(st, 200, "a web sale of 3 %s" % k)
    checks.ok(qty_is(s, {"R-BUF": 12, "R-PCT": 8, "R-MAX": 7, "R-ZERO": 0}),
              "after a web sale of 3 (17 left): 12, floor(8.5), still the cap, still 0")
    s.wait_drained()
    checks.eq(s.tiktok_qty().get("R-OFF"), 20, "sync:false: the web sale was not pushed")
    # TikTok sells from the capped SKU: it is topped up to its cap again.
    st, o = s.sb_order("R-MAX", 2)
    checks.eq(st, 201, "a TikTok order of 2 R-MAX")
    checks.eq(s.post_tiktok(s.tiktok_body(1, o["order_id"], shop_id=s.shop_id()))[0], 200, "its webhook")
    checks.ok(qty_is(s, {"R-MAX": 7}), "TikTok's own sale of the capped SKU is topped up to the cap again")
    checks.eq(s.stock("R-MAX"), 15, "the store has 15 R-MAX left")

    # Reconciliation finds no drift: it uses the same projection, and
    # leaves R-OFF to the seller.
    st, rep = s.admin("POST", "/api/admin/reconcile", {"repair": False})
    rep = rep.get("report") or {}
    drift = [d["sku"] for d in rep.get("drift", []) if d["sku"].startswith("R-")]
    checks.eq((st, drift, rep.get("unsynced")), (200, [], 1), "reconciliation: no drift, one SKU unsynced")

    # Back on: the first push sends the projection outright.
    checks.eq(s.admin("PUT", "/api/admin/rules/R-OFF", {"sync": True})[1].get("marked"), 1, "R-OFF synced again")
    checks.ok(qty_is(s, {"R-OFF": 17}), "sync on again: TikTok shows the store's 17")
    st, doc = s.admin("DELETE", "/api/admin/rules/R-ZERO")
    checks.eq((st, doc.get("rule")), (200, {}), "R-ZERO back to the default")
    checks.ok(qty_is(s, {"R-ZERO": 17}), "R-ZERO back to the default shows 17")


def rule_change_marks(s):
    s.wait_drained()
    st, doc = s.admin("GET", "/api/admin/rules")
    checks.eq(st, 200, "GET /api/admin/rules")
    checks.eq(doc.get("default"), {"buffer": 0, "percent": 100, "zero_at": 0, "max": None, "sync": True},
              "the built-in default, field by field")
    own = doc.get("skus", {})
    checks.eq(own.get("R-BUF"), {"buffer": 5}, "R-BUF's own rule is listed")
    n_catalog = len(SKUS)
    # A default buffer of 1 changes every SKU without a buffer of its own:
    # all but R-BUF.
    st, doc = s.admin("PUT", "/api/admin/rules", {"default": {"buffer": 1}, "skus": own})
    checks.eq((st, doc.get("marked")), (200, n_catalog - 1), "a default buffer marks every SKU but R-BUF")
    s.wait_drained()
    # The same document again changes nothing: nothing is marked.
    st, doc = s.admin("PUT", "/api/admin/rules", {"default": {"buffer": 1}, "skus": own})
    checks.eq((st, doc.get("marked")), (200, 0), "the same rules again mark nothing")
    updates = s.counters().get("inventory_updates")
    st, doc = s.admin("PUT", "/api/admin/rules/R-KEEP", {"buffer": 4})
    checks.eq(doc.get("marked"), 1, "one SKU's rule marks one SKU")
    checks.ok(qty_is(s, {"R-KEEP": 16}), "R-KEEP shows 20-4")
    s.wait_drained()
    checks.eq(s.counters().get("inventory_updates"), updates + 1, "one Update Inventory call: R-KEEP's")
    # Back to the plain default for the hold sections.
    st, doc = s.admin("PUT", "/api/admin/rules", {"default": {}, "skus": {"R-KEEP": {"buffer": 4}}})
    checks.eq(st, 200, "the default back to the built-in")
    checks.eq(sorted(doc.get("skus", {})), ["R-KEEP"], "a PUT of the document drops the rules it does not name")


def holds_race(s):
    results = []
    lock = threading.Lock()

    def client():
        for _ in range(3):
            st, doc = hold(s, [("H-RACE", 1)])
            with lock:
                results.append((st, doc))

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [d for st, d in results if st == 201]
    lost = [d for st, d in results if st == 409]
    checks.eq((len(won), len(lost)), (5, 19), "24 attempts by 8 clients for 5 units: 5 held, 19 refused")
    checks.ok(all(d["error"]["code"] == "insufficient_stock" and d["error"]["sku"] == "H-RACE" and
                  d["error"]["available"] == 0 for d in lost), "each refusal names the SKU and 0 available")
    checks.eq(s.stock("H-RACE"), 0, "the website may sell none of them")
    v = view(s, "H-RACE")
    checks.eq((v.get("on_hand"), v.get("held"), v.get("tiktok_shown")), (5, 5, 0),
              "on hand stays 5, all 5 held, TikTok is shown 0")
    checks.ok(qty_is(s, {"H-RACE": 0}), "TikTok shows 0 of a SKU wholly held")

    # All or none: the second item is short, so the first is not held.
    st, doc = hold(s, [("H-A", 1), ("H-B", 3)])
    checks.eq((st, doc["error"]["code"], doc["error"]["sku"], doc["error"]["available"]),
              (409, "insufficient_stock", "H-B", 2), "a hold with one short item is refused naming it")
    checks.eq((s.stock("H-A"), s.stock("H-B")), (10, 2), "nothing was held of either")
    st, doc = hold(s, [("H-A", 4), ("H-B", 2), ("H-A", 1)])
    checks.eq((st, doc.get("items")), (201, [{"sku": "H-A", "quantity": 5}, {"sku": "H-B", "quantity": 2}]),
              "a hold of both (a SKU given twice summed)")
    checks.ok(doc.get("hold_id", "").startswith("hold_") and doc.get("expires_at", 0) > time.time() + 1700,
              "201 has the hold id and its expiry in Unix seconds")
    checks.eq((s.stock("H-A"), s.stock("H-B")), (5, 0), "both SKUs held")


def consume(s):
    st, doc = hold(s, [("H-C", 2)])
    hid = doc["hold_id"]
    checks.eq((st, s.stock("H-C")), (201, 8), "2 of 10 held: the website may sell 8")
    checks.ok(qty_is(s, {"H-C": 8}), "TikTok is shown 8")
    st, body = session(s, "cs_hold_consume", hid, "H-C:2", event_id="evt_hold_consume")
    checks.eq(st, 200, "the paid session naming the hold")
    v = view(s, "H-C")
    checks.eq((v.get("on_hand"), v.get("held"), s.stock("H-C")), (8, 0, 8),
              "consumed: on hand 8, nothing held, the website still sells 8 (no second decrement)")
    checks.eq(front(s, "GET", "/api/holds/" + hid)[1].get("state"), "consumed", "the hold reads consumed")
    # Stripe retries: the same event, and another event of the session.
    checks.eq(s.post_stripe(body)[0], 200, "Stripe re-sends the event")
    checks.eq(session(s, "cs_hold_consume", hid, "H-C:2")[0], 200, "a second event of the same session")
    s.wait_drained()
    v = view(s, "H-C")
    checks.eq((v.get("on_hand"), v.get("held")), (8, 0), "applied once")
    checks.ok(qty_is(s, {"H-C": 8}), "TikTok still shows 8")
    checks.eq(front(s, "DELETE", "/api/holds/" + hid)[0], 409, "a consumed hold cannot be released")


def release(s):
    st, doc = hold(s, [("H-REL", 4)])
    hid = doc["hold_id"]
    checks.eq((st, s.stock("H-REL")), (201, 6), "4 held")
    st, doc = front(s, "DELETE", "/api/holds/" + hid)
    checks.eq((st, doc.get("state"), doc.get("released")), (200, "released", True), "DELETE releases it")
    checks.eq(s.stock("H-REL"), 10, "the units are sellable again")
    st, doc = front(s, "DELETE", "/api/holds/" + hid)
    checks.eq((st, doc.get("released")), (200, False), "a second release changes nothing")
    checks.eq(front(s, "GET", "/api/holds/" + hid)[1].get("state"), "released", "it reads released")
    checks.eq(front(s, "GET", "/api/holds/hold_nosuch")[0], 404, "an unknown hold is 404")
    s.redis.cli("DEL", PREFIX + "hold:" + hid)
    checks.eq(front(s, "GET", "/api/holds/" + hid)[0], 404, "once its 24 h are over, 404")
    checks.ok(qty_is(s, {"H-REL": 10}), "TikTok shows all 10 again")


def expiry(s):
    before = s.metrics().get("shopsync_holds_expired_total", 0)
    st, doc = hold(s, [("H-EXP", 3)], ttl=60)
    hid = doc["hold_id"]
    checks.eq((st, s.stock("H-EXP")), (201, 7), "3 held for 60 s")
    expire_in_redis(s, hid)
    H.wait_until(lambda: s.stock("H-EXP") == 10, timeout=10, what="the expired hold's units back")
    checks.eq(front(s, "GET", "/api/holds/" + hid)[1].get("state"), "expired", "the hold reads expired")
    checks.eq(s.metrics().get("shopsync_holds_expired_total", 0), before + 1, "counted in /metrics")
    checks.ok(qty_is(s, {"H-EXP": 10}), "TikTok shows all 10 again")


def expiry_while_stopped(s):
    st, doc = hold(s, [("H-DOWN", 6)], ttl=60)
    hid = doc["hold_id"]
    checks.eq((st, s.stock("H-DOWN")), (201, 4), "6 held")
    s.ss.stop()
    expire_in_redis(s, hid)
    s.start_shopsync()
    H.wait_until(lambda: s.stock("H-DOWN") == 10, timeout=10, what="the units back after the restart")
    checks.eq(view(s, "H-DOWN").get("held"), 0, "no unit left held after a restart")
    checks.eq(front(s, "GET", "/api/holds/" + hid)[1].get("state"), "expired", "the hold reads expired")


def completed_after_expiry(s):
    st, doc = hold(s, [("H-LATE", 3)], ttl=60)
    hid = doc["hold_id"]
    checks.eq(st, 201, "all 3 H-LATE held")
    expire_in_redis(s, hid)
    H.wait_until(lambda: s.stock("H-LATE") == 3, timeout=10, what="the expired hold's units back")
    checks.eq(session(s, "cs_late_other", items="H-LATE:2")[0], 200, "another buyer takes 2 meanwhile")
    oversells = len(s.admin("GET", "/api/admin/oversells")[1]["oversells"])
    checks.eq(session(s, "cs_late_paid", hid, "H-LATE:3")[0], 200, "the first buyer pays after the hold expired")
    v = view(s, "H-LATE")
    checks.eq((v.get("on_hand"), v.get("held")), (0, 0), "a plain sale: the 1 left is taken")
    o = s.admin("GET", "/api/admin/oversells")[1]["oversells"]
    checks.eq((len(o) - oversells, o[0].get("sku"), o[0].get("shortfall")), (1, "H-LATE", 2),
              "the 2 units short are recorded as an oversell")


def session_expired(s):
    st, doc = hold(s, [("H-SESS", 5)])
    hid = doc["hold_id"]
    checks.eq((st, s.stock("H-SESS")), (201, 5), "5 held")
    st, body = session(s, "cs_sess_expired", hid, typ="checkout.session.expired")
    checks.eq(st, 200, "checkout.session.expired naming the hold")
    checks.eq(s.stock("H-SESS"), 10, "its units are back")
    checks.eq(s.post_stripe(body)[0], 200, "Stripe re-sends it")
    checks.eq(session(s, "cs_sess_expired", hid, typ="checkout.session.expired")[0], 200, "another expired event")
    s.wait_drained()
    checks.eq((s.stock("H-SESS"), view(s, "H-SESS").get("held")), (10, 0), "released once")
    checks.eq(front(s, "GET", "/api/holds/" + hid)[1].get("state"), "released", "it reads released")


def storefront_token(s):
    for method, path, body in (("GET", "/api/admin/products", None), ("GET", "/api/admin/rules", None),
                               ("PUT", "/api/admin/rules/H-TOK", {"buffer": 1}),
                               ("POST", "/api/admin/stock/H-TOK", {"delta": 1}),
                               ("GET", "/api/admin/tiktok/sync", None)):
        st, doc = front(s, method, path, body)
        checks.eq((st, (doc.get("error") or {}).get("code")), (403, "forbidden"),
                  "the storefront token on %s %s is refused" % (method, path))
    checks.eq(view(s, "H-TOK").get("on_hand"), 10, "nothing was changed by it")
    checks.eq(front(s, "GET", "/api/stock/H-TOK")[1].get("stock"), 10, "it reads stock")
    st, doc = hold(s, [("H-TOK", 1)])
    checks.eq(st, 201, "it creates a hold")
    checks.eq(front(s, "GET", "/api/holds/" + doc["hold_id"])[0], 200, "it reads the hold")
    checks.eq(front(s, "DELETE", "/api/holds/" + doc["hold_id"])[0], 200, "it releases the hold")
    wrong = {"Authorization": "Bearer wrong-token-0123456789"}
    checks.eq(H.jrequest("POST", s.base + "/api/holds", {"items": [{"sku": "H-TOK", "quantity": 1}]}, wrong)[0], 401,
              "a wrong token may not hold")
    checks.eq(H.jrequest("POST", s.base + "/api/holds", {"items": [{"sku": "H-TOK", "quantity": 1}]})[0], 401,
              "no token may not hold")
    st, _ = H.jrequest("POST", s.base + "/api/holds", {"items": [{"sku": "H-TOK", "quantity": 1}]},
                       {"Authorization": "Bearer " + H.ADMIN_TOKEN})
    checks.eq(st, 201, "the admin may hold too")


def bad_fields(s):
    st, doc = front(s, "POST", "/api/holds", {"items": [{"sku": "bad sku!", "quantity": 0, "color": "red"},
                                                        {"sku": "H-TOK"}], "ttl_seconds": 30, "note": 1})
    fields = (doc.get("error") or {}).get("fields")
    checks.eq((st, doc["error"]["code"]), (400, "invalid_field"), "a bad hold is 400 invalid_field")
    checks.eq(sorted(fields or []), sorted(["note", "ttl_seconds", "items[0].color", "items[0].sku",
                                            "items[0].quantity", "items[1].quantity"]),
              "every bad field of a hold is named")
    checks.ok(all(f in doc["error"]["message"] for f in fields or ["?"]), "and each is in the message")
    st, doc = front(s, "POST", "/api/holds", {"items": []})
    checks.eq((st, doc["error"].get("fields")), (400, ["items"]), "no items: items named")
    st, doc = front(s, "POST", "/api/holds", {"items": [{"sku": "H-TOK", "quantity": 1},
                                                        {"sku": "NO-SUCH", "quantity": 1}]})
    checks.eq((st, doc["error"].get("fields")), (400, ["items[1].sku"]), "an unknown SKU is named")
    checks.eq(s.stock("H-TOK"), 9, "and nothing was held")
    st, doc = s.admin("PUT", "/api/admin/rules", {"default": {"percent": 0, "max": -1},
                                                  "skus": {"R-BUF": {"buffer": "5", "sync": "yes", "x": 1},
                                                           "bad sku": {}}, "extra": {}})
    checks.eq(st, 400, "bad rules are 400")
    checks.eq(sorted(doc["error"].get("fields") or []),
              sorted(["default.percent", "default.max", "skus.R-BUF.buffer", "skus.R-BUF.sync", "skus.R-BUF.x",
                      "skus.bad sku", "extra"]), "every bad rule field is named")
    st, doc = s.admin("PUT", "/api/admin/rules/R-BUF", {"zero_at": -1, "percent": 101})
    checks.eq((st, sorted(doc["error"].get("fields") or [])), (400, ["percent", "zero_at"]),
              "one SKU's bad fields are named")
    checks.eq(s.admin("PUT", "/api/admin/rules/NO-SUCH", {"buffer": 1})[0], 404, "a rule of an unknown SKU is 404")
    st, doc = s.admin("PUT", "/api/admin/rules", {"skus": {"NO-SUCH": {"buffer": 1}}})
    checks.eq((st, doc["error"].get("fields")), (400, ["skus.NO-SUCH"]), "an unknown SKU in the document is named")
    checks.eq(s.admin("GET", "/api/admin/rules")[1]["skus"], {"R-KEEP": {"buffer": 4}}, "nothing was changed")


def catalog_and_cli(s):
    doc = U.catalog(s.port, {"C-TK": 12})
    doc["products"][0]["skus"][0]["tiktok"] = {"max": 3, "percent": 50}
    checks.eq(s.admin("POST", "/api/admin/products/import", doc)[0], 200, "a catalog SKU carrying a tiktok rule")
    checks.eq(s.admin("GET", "/api/admin/rules")[1]["skus"].get("C-TK"), {"max": 3, "percent": 50},
              "its rule shows in GET /api/admin/rules")
    doc["products"][0]["skus"][0]["tiktok"] = {"percent": 0}
    st, body = s.admin("POST", "/api/admin/products/import", doc)
    checks.ok(st == 400 and "tiktok.percent" in body["error"]["message"], "a bad tiktok rule is named: %r" % body)
    r = s.ss.cli("rules", "C-TK", "--buffer", "4", "--max", "none")
    checks.eq(r.returncode, 0, "shopsync rules C-TK --buffer 4 --max none: %s" % r.stderr)
    checks.eq(s.admin("GET", "/api/admin/rules")[1]["skus"].get("C-TK"), {"buffer": 4, "max": None, "percent": 50},
              "the CLI changed only the fields given")
    checks.ok("TikTok shown 4" in r.stdout, "it shows what TikTok is shown: %r" % r.stdout)
    r = s.ss.cli("rules", "C-TK", "--percent", "0")
    checks.ok(r.returncode == 2 and "percent" in r.stderr, "a bad value is named: %r" % r.stderr)
    r = s.ss.cli("rules", "--sync", "maybe")
    checks.eq(r.returncode, 2, "--sync takes on or off")


def metrics(s):
    m = s.metrics()
    for k in ("created", "consumed", "released", "expired"):
        checks.ok(m.get("shopsync_holds_%s_total" % k, 0) >= 1, "/metrics counts holds %s" % k)


SECTIONS = {
    "rules_effect": rules_effect,
    "rule_change_marks": rule_change_marks,
    "holds_race": holds_race,
    "consume": consume,
    "release": release,
    "expiry": expiry,
    "expiry_while_stopped": expiry_while_stopped,
    "completed_after_expiry": completed_after_expiry,
    "session_expired": session_expired,
    "storefront_token": storefront_token,
    "bad_fields": bad_fields,
    "catalog_and_cli": catalog_and_cli,
    "metrics": metrics,
}
# rule_change_marks reads the rules rules_effect leaves; metrics counts
# what the hold sections did.
NEEDS = {"rule_change_marks": ["rules_effect"],
         "metrics": ["consume", "release", "expiry", "holds_race"]}


def main():
    U.run_stack_sections(checks, SECTIONS, SKUS,
                         {"SHOPSYNC_STOREFRONT_TOKEN": STOREFRONT_TOKEN, "SHOPSYNC_LOW_STOCK_SECONDS": "0"}, NEEDS)


if __name__ == "__main__":
    main()
