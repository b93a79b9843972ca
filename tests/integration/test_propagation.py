"""Propagation integration test: stock changes travel between the web store
(Stripe), shopsync (Redis) and TikTok Shop (the local sandbox), exactly once.

Two stacks of redis-server + sandbox + shopsync, each connected through the
OAuth dance and synced:
  main  — the sandbox delivers its TikTok and Stripe webhooks to shopsync:
          TikTok sales and cancellations (whole orders and single lines)
          with duplicate deliveries, Stripe
          checkouts and their replays, the webhook intake contract, the last
          unit sold on both channels at once, a burst of 200 orders
          (coalesced pushes), unknown and deauthorization webhooks;
  quiet — the sandbox's TikTok webhooks go to a closed port, so TikTok can
          change behind shopsync's back: an order first seen cancelled, dead
          letters and their replay (SHOPSYNC_MAX_ATTEMPTS=2),
          reconciliation (SHOPSYNC_STOCK_BUFFER=1), and SKUs removed from
          the catalog going to 0 on TikTok.
"""
import hashlib
import hmac
import json
import os
import threading
import time

import harness as H
import propagation_util as U

checks = H.Checks("test_propagation")
DUP_TIKTOK = 'shopsync_webhooks_duplicate_total{provider="tiktok"}'
DUP_STRIPE = 'shopsync_webhooks_duplicate_total{provider="stripe"}'
PROCESSED = "shopsync_events_processed_total"


def wait_stock(s, sku, want, timeout=15):
    try:
        H.wait_until(lambda: s.stock(sku) == want, timeout=timeout, what="stock of %s = %d" % (sku, want))
    except AssertionError:
        pass
    return s.stock(sku)


def alt_headers(body, ts=None, secret=H.APP_SECRET):
    ts = str(int(time.time()) if ts is None else ts)
    sig = hmac.new(secret.encode(), ts.encode() + body, hashlib.sha256).hexdigest()
    return {"x-tiktok-shop-timestamp": ts, "x-tiktok-shop-signature": sig}


def sandbox_hook_body(s, order_id, notification_id):
    """The exact bytes of the sandbox's type 1 webhook for a new order (its
    make_hook: compact JSON in insertion order, timestamps = create time)."""
    state = s.sb_state()
    order = [o for o in state["orders"] if o["id"] == order_id][0]
    now = order["create_time"]
    doc = {"type": 1, "tts_notification_id": notification_id, "shop_id": state["shop"]["id"], "timestamp": now,
           "data": {"order_id": order_id, "order_status": "AWAITING_SHIPMENT", "update_time": now}}
    return json.dumps(doc, separators=(",", ":")).encode()


def hooks_sent(s):
    return s.sb_state()["webhooks"]["sent"]


def activity_for(s, ref):
    return sorted((a["reason"], a["sku"], a["delta"]) for a in s.activity() if a.get("ref") == ref)


# --- 1. TikTok sales, duplicates and cancellations --------------------------

def tiktok_sale(s):
    sku = "LAV-8OZ"
    checks.eq(s.stock(sku), 20, "1: %s starts at 20" % sku)
    st, o = s.sb_order(sku, 3)
    checks.eq(st, 201, "1: TikTok order for 3 units created in the sandbox")
    oid, nid = o["order_id"], o["webhook"]["tts_notification_id"]
    checks.eq(wait_stock(s, sku, 17), 17, "1: store stock down by exactly 3 after the TikTok sale")
    s.wait_drained()
    dup0 = s.metrics().get(DUP_TIKTOK, 0)
    sent0 = hooks_sent(s)
    checks.eq(s.sb_resend(oid, 1)[0], 202, "1: sandbox resends the order webhook (1st)")
    checks.eq(s.sb_resend(oid, 1)[0], 202, "1: sandbox resends the order webhook (2nd)")
    H.wait_until(lambda: hooks_sent(s) >= sent0 + 2, what="two resends delivered")
    body = sandbox_hook_body(s, oid, nid)
    st, h, data = s.post_tiktok(body)
    checks.eq((st, data), (200, b""), "1: the identical signed body posted again: 200, empty body")
    s.wait_drained()
    checks.eq(s.metrics().get(DUP_TIKTOK, 0) - dup0, 3, "1: the three repeats were counted as duplicates")
    checks.eq(s.stock(sku), 17, "1: stock unchanged by the duplicates")

    # The same order under a new notification id passes intake, so only the
    # ledger stands between it and a second decrement.
    st, _, _ = s.post_tiktok(s.tiktok_body(1, oid, shop_id=s.shop_id()))
    checks.eq(st, 200, "1: a fresh notification for the same order is accepted")
    s.wait_drained()
    checks.eq(s.stock(sku), 17, "1: the ledger applies an order once, whatever the notification")

    st, c = s.sb_cancel(oid)
    checks.eq(st, 200, "1: order cancelled in the sandbox")
    checks.eq(wait_stock(s, sku, 20), 20, "1: cancellation restocks the 3 units")
    sent1 = hooks_sent(s)
    checks.eq(s.sb_resend(oid, 11)[0], 202, "1: the cancellation webhook is delivered a second time")
    H.wait_until(lambda: hooks_sent(s) >= sent1 + 1, what="cancellation resend delivered")
    st, _, _ = s.post_tiktok(s.tiktok_body(11, oid, shop_id=s.shop_id()))
    checks.eq(st, 200, "1: one more cancellation notification under a new id")
    s.wait_drained()
    checks.eq(s.stock(sku), 20, "1: restocked exactly once (+3), not more")
    checks.eq(activity_for(s, oid), [("tiktok_cancel", sku, 3), ("tiktok_order", sku, -3)],
              "1: activity has one tiktok_order (-3) and one tiktok_cancel (+3) with the order id as ref")
    s.wait_converged([sku])
    checks.eq(s.tiktok_qty()[sku], 20, "1: TikTok quantity back to 20")


def partial_cancel(s):
    """A buyer cancels one line of a three-line order: its unit comes back
    once while the order goes on; cancelling the rest gives back the other
    two, once, whatever the repeats."""
    sku = "PART-1"
    checks.eq(s.stock(sku), 10, "1d: %s starts at 10" % sku)
    st, o = s.sb_order(sku, 3)
    oid = o["order_id"]
    checks.eq(st, 201, "1d: TikTok order for 3 units (3 lines)")
    checks.eq(wait_stock(s, sku, 7), 7, "1d: store stock down by 3")
    st, c = s.sb_cancel(oid, units=1)
    checks.eq((st, c.get("status"), c.get("cancelled_units"), len(c["webhooks"]["tts_notification_ids"])),
              (200, "AWAITING_SHIPMENT", 1, 1), "1d: one line cancelled, the order goes on (one type 11 webhook)")
    checks.eq(wait_stock(s, sku, 8), 8, "1d: the cancelled line's unit is back")
    shop = s.shop_id()
    sent = hooks_sent(s)
    checks.eq(s.sb_resend(oid, 11)[0], 202, "1d: the cancellation webhook is delivered again")
    H.wait_until(lambda: hooks_sent(s) >= sent + 1, what="resend delivered")
    st11 = s.post_tiktok(s.tiktok_body(11, oid, shop_id=shop))[0]
    st1 = s.post_tiktok(s.tiktok_body(1, oid, shop_id=shop))[0]
    checks.eq((st11, st1), (200, 200), "1d: fresh type 11 and type 1 notifications for the order")
    s.wait_drained()
    checks.eq(s.stock(sku), 8, "1d: the line is given back once, and the live order takes nothing again")
    st, c = s.sb_cancel(oid)
    checks.eq((st, c.get("status"), c.get("cancelled_units")), (200, "CANCELLED", 2),
              "1d: the rest of the order cancelled")
    checks.eq(wait_stock(s, sku, 10), 10, "1d: the other two units are back")
    st11 = s.post_tiktok(s.tiktok_body(11, oid, shop_id=shop))[0]
    st1 = s.post_tiktok(s.tiktok_body(1, oid, shop_id=shop))[0]
    s.wait_drained()
    checks.eq((st11, st1, s.stock(sku)), (200, 200, 10), "1d: repeats after the cancellation change nothing")
    checks.eq(activity_for(s, oid), [("tiktok_cancel", sku, 1), ("tiktok_cancel", sku, 2), ("tiktok_order", sku, -3)],
              "1d: activity: -3 for the order, +1 for the line, +2 for the rest")
    s.wait_converged([sku])
    checks.eq(s.tiktok_qty()[sku], 10, "1d: TikTok quantity back to 10")


def lock_takeover(s):
    """A push lock held by a live instance is waited for; one left by an
    instance that died (no heartbeat) is taken over at once instead of
    blocking the SKU's pushes for the lock's 40 s."""
    sku = "CIT-BAR"
    key = "shopsync:push:lock:" + sku
    s.wait_drained()
    live = [k.split(":")[-1] for k in s.redis.cli("KEYS", "shopsync:instance:*").split()]
    checks.eq(len(live), 1, "1f: one instance heartbeat in Redis")
    ttl = int(s.redis.cli("PTTL", "shopsync:instance:" + (live[0] if live else "none")).strip() or -2)
    checks.ok(0 < ttl <= 3000, "1f: the heartbeat lives at most 3 s (%d ms left)" % ttl)
    checks.eq(s.redis.cli("SET", key, "%s.held-by-test" % (live[0] if live else "x"), "PX", "2500").strip(), "OK",
              "1f: the SKU's push lock held in the live instance's name for 2.5 s")
    st, doc = s.admin("POST", "/api/admin/stock/" + sku, {"delta": -1})
    want = doc["stock"]
    time.sleep(1.0)
    checks.ok(s.tiktok_qty()[sku] != want, "1f: no push while a live instance holds the lock")
    H.wait_until(lambda: s.tiktok_qty()[sku] == want, timeout=10, interval=0.1, what="the push after that lock")
    checks.eq(s.tiktok_qty()[sku], want, "1f: pushed once the lock expired")
    s.wait_drained()
    checks.eq(s.redis.cli("SET", key, "0123456789abcdef.left-by-a-dead-instance", "PX", "40000").strip(), "OK",
              "1f: the lock left by an instance that no longer beats, 40 s to live")
    t0 = time.time()
    st, doc = s.admin("POST", "/api/admin/stock/" + sku, {"delta": 1})
    want = doc["stock"]
    H.wait_until(lambda: s.tiktok_qty()[sku] == want, timeout=10, interval=0.1, what="the push despite the dead lock")
    took = time.time() - t0
    checks.ok(took < 5, "1f: taken over and pushed %.1f s after the change" % took)
    s.wait_drained()
    checks.eq(s.redis.cli("EXISTS", key).strip(), "0", "1f: the lock is released after the push")


# --- 2. Stripe checkouts ----------------------------------------------------

def stripe_checkout(s):
    a, b = "CED-8OZ", "CIT-BAR"
    before = s.stocks([a, b])
    checks.eq(before, {a: 15, b: 40}, "2: starting stock")
    st, co = s.sb_checkout([{"sku": a, "quantity": 2}, {"sku": b, "quantity": 1, "where": "price"}])
    checks.eq((st, co["webhook"]["queued"]), (201, True), "2: Stripe checkout created and its event queued")
    checks.eq(wait_stock(s, a, 13), 13, "2: %s down by 2" % a)
    checks.eq(wait_stock(s, b, 39), 39, "2: %s down by 1 (SKU in price metadata)" % b)
    try:
        s.wait_converged([a, b], timeout=10)
    except AssertionError:
        pass
    q = s.tiktok_qty()
    checks.eq((q[a], q[b]), (13, 39), "2: TikTok quantities equal the projection within seconds")
    counter = [r for r in s.activity() if r.get("ref") == co["session_id"]]
    checks.eq(sorted((r["reason"], r["sku"], r["delta"]) for r in counter),
              [("stripe_checkout", a, -2), ("stripe_checkout", b, -1)], "2: activity names the session")

    dup0 = s.metrics().get(DUP_STRIPE, 0)
    st, h, data = s.post_stripe(co["event_body"], co["signature_header"])
    checks.eq((st, json.loads(data)), (200, {"received": True, "duplicate": True}),
              "2: replayed event body + signature header: 200, duplicate")
    checks.eq(s.metrics().get(DUP_STRIPE, 0) - dup0, 1, "2: replay counted as a duplicate")
    # The same session in a new event (Stripe can send more than one) passes
    # intake; the session ledger keeps it from decrementing twice.
    ev = json.loads(co["event_body"])
    ev["id"] = ev["id"] + "x"
    st, _, data = s.post_stripe(json.dumps(ev).encode())
    checks.eq((st, json.loads(data)), (200, {"received": True, "duplicate": False}),
              "2: a second event for the same session is accepted")
    s.wait_drained()
    checks.eq(s.stocks([a, b]), {a: 13, b: 39}, "2: no second decrement")

    body = co["event_body"].encode()
    st, h, data = s.post_stripe(body, H.stripe_signature_header(body, secret="whsec_wrong"))
    doc = json.loads(data) if data.startswith(b"{") else None
    checks.eq((st, h.get("content-type", "").split(";")[0], (doc or {}).get("error", {}).get("code")),
              (400, "application/json", "invalid_signature"), "2: bad Stripe signature: 400 JSON")
    old = H.stripe_signature_header(body, t=int(time.time()) - 301)
    st, h, data = s.post_stripe(body, old)
    checks.eq((st, json.loads(data)["error"]["code"]), (400, "invalid_signature"),
              "2: correctly signed but 301 s old: 400")
    p0 = s.metrics().get(PROCESSED, 0)
    ign = U.stripe_event("payment_intent.created", {"id": "pi_test_1", "object": "payment_intent",
                                                    "amount": 1000, "currency": "usd"})
    st, h, data = s.post_stripe(ign)
    checks.eq((st, json.loads(data)), (200, {"received": True, "duplicate": False}),
              "2: payment_intent.created (ignored type) answered 200")
    s.wait_drained()
    checks.eq(s.metrics().get(PROCESSED, 0) - p0, 1, "2: the ignored event was processed (and acknowledged)")
    checks.eq(s.stocks([a, b]), {a: 13, b: 39}, "2: ignored event type changes no stock")

    st, co2 = s.sb_checkout([{"sku": "NO-SUCH-SKU", "quantity": 2}, {"sku": b, "quantity": 1}])
    checks.eq(st, 201, "2: checkout with an unknown SKU created")
    checks.eq(wait_stock(s, b, 38), 38, "2: the known line of that session still applied")
    s.wait_drained()
    un = s.admin("GET", "/api/admin/unmatched")[1]["unmatched"]
    hit = [(u.get("source"), u.get("sku"), u.get("quantity")) for u in un if u.get("ref") == co2["session_id"]]
    checks.eq(hit, [("stripe", "NO-SUCH-SKU", 2)], "2: the unknown SKU is recorded in /api/admin/unmatched")
    checks.eq(s.admin("GET", "/api/admin/dlq")[1]["total"], 0, "2: nothing dead-lettered")


# --- 3. Webhook intake contract -----------------------------------------------

def intake_contract(s):
    body = s.tiktok_body(99, data={"note": "contract"})
    st, h, data = s.post_tiktok(body, auth=None)
    checks.eq((st, data), (401, b""), "3: TikTok webhook without Authorization: 401, empty body")
    st, h, data = s.post_tiktok(body, auth="0" * 64)
    checks.eq((st, data), (401, b""), "3: wrong Authorization: 401, empty body")
    st, h, data = s.post_tiktok(body, auth=H.tiktok_webhook_signature(body, app_secret="not_the_secret"))
    checks.eq((st, data), (401, b""), "3: signed with another secret: 401, empty body")
    st, h, data = s.post_tiktok(body + b" ", auth=H.tiktok_webhook_signature(body))
    checks.eq((st, data), (401, b""), "3: body changed after signing: 401")

    r0 = s.metrics()
    st, h, data = s.post_tiktok(body, auth=None, headers=alt_headers(body))
    checks.eq((st, data), (200, b""), "3: relay form (x-tiktok-shop-timestamp/-signature) accepted")
    st, _, _ = s.post_tiktok(body, auth=None, headers=alt_headers(body, ts=int(time.time()) - 301))
    checks.eq(st, 401, "3: relay form with a timestamp 301 s old: 401")
    bad = alt_headers(body)
    bad["x-tiktok-shop-signature"] = H.tiktok_webhook_signature(body)
    checks.eq(s.post_tiktok(body, auth=None, headers=bad)[0], 401, "3: relay form with a wrong signature: 401")

    junk = b'{"type":1,"data":'
    st, h, data = s.post_tiktok(junk)
    checks.eq((st, (json.loads(data) if data else {}).get("error", {}).get("code")), (400, "invalid_json"),
              "3: malformed JSON with a valid signature: 400 invalid_json")
    st, h, data = s.post_tiktok(b"[1,2]")
    checks.eq(st, 400, "3: a JSON array with a valid signature: 400")

    big = b'{"type":99,"pad":"' + b"x" * (1024 * 1024) + b'"}'
    try:
        st = s.post_tiktok(big, timeout=30)[0]
    except (ConnectionError, OSError) as e:  # the server may close before reading it all
        st = repr(e)
    checks.eq(st, 413, "3: body over 1 MiB: 413")

    s.wait_drained()
    p0 = s.metrics()
    nid = U.new_notification_id()
    first = s.tiktok_body(99, notification_id=nid, data={"n": 1})
    second = s.tiktok_body(99, notification_id=nid, data={"n": 2})
    st1 = s.post_tiktok(first)[0]
    st2 = s.post_tiktok(first)[0]
    st3 = s.post_tiktok(second)[0]
    checks.eq((st1, st2, st3), (200, 200, 200), "3: the same tts_notification_id three times: all 200")
    s.wait_drained()
    p1 = s.metrics()
    checks.eq(p1.get(DUP_TIKTOK, 0) - p0.get(DUP_TIKTOK, 0), 2,
              "3: shopsync_webhooks_duplicate_total{provider=\"tiktok\"} rose by 2")
    checks.eq(p1.get(PROCESSED, 0) - p0.get(PROCESSED, 0), 1, "3: the notification was processed once")
    rej = p1.get('shopsync_webhooks_rejected_total{provider="tiktok"}', 0) - \
        r0.get('shopsync_webhooks_rejected_total{provider="tiktok"}', 0)
    checks.eq(rej, 4, "3: rejections counted: old relay, wrong relay, bad JSON, array (413 is refused earlier)")


# --- 4. The last unit, sold on both channels at once --------------------------

def last_unit(s):
    sku = "LAST-1"
    checks.eq((s.stock(sku), s.tiktok_qty()[sku]), (1, 1), "4: one unit left, on both channels")
    res = {}
    barrier = threading.Barrier(2)

    def tiktok():
        barrier.wait(10)
        res["tiktok"] = s.sb_order(sku, 1)

    def stripe():
        barrier.wait(10)
        res["stripe"] = s.sb_checkout([{"sku": sku, "quantity": 1}])

    ths = [threading.Thread(target=tiktok), threading.Thread(target=stripe)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(30)
    checks.eq((res["tiktok"][0], res["stripe"][0]), (201, 201), "4: a TikTok order and a Stripe checkout, at once")
    oid, cs = res["tiktok"][1]["order_id"], res["stripe"][1]["session_id"]
    H.wait_until(lambda: len(activity_for(s, oid)) == 1 and len(activity_for(s, cs)) == 1,
                 what="both sales applied")
    s.wait_drained()
    checks.eq(s.stock(sku), 0, "4: final stock 0")
    acts = [a for a in s.activity() if a.get("sku") == sku]
    checks.ok(all(a["stock"] >= 0 for a in acts), "4: stock never negative in the activity log")
    deltas = sorted(a["delta"] for a in acts if a.get("ref") in (oid, cs))
    checks.eq(deltas, [-1, 0], "4: one sale took the unit, the other found none")
    over = [o for o in s.admin("GET", "/api/admin/oversells")[1]["oversells"] if o.get("sku") == sku]
    checks.eq([(o.get("shortfall"), o.get("ref") in (oid, cs)) for o in over], [(1, True)],
              "4: exactly one oversell recorded, shortfall 1, naming the sale")
    s.wait_converged([sku])
    checks.eq(s.tiktok_qty()[sku], 0, "4: TikTok quantity 0")


# --- 5. Unknown and deauthorization webhooks -----------------------------------

def unknown_and_deauth(s, skus):
    before = s.stocks(skus)
    p0 = s.metrics().get(PROCESSED, 0)
    st, _, data = s.post_tiktok(s.tiktok_body(99, data={"whatever": True}, shop_id=s.shop_id()))
    checks.eq((st, data), (200, b""), "5: type 99 answered 200")
    s.wait_drained()
    checks.eq(s.metrics().get(PROCESSED, 0) - p0, 1, "5: type 99 processed (ignored) and acknowledged")
    checks.eq(s.stocks(skus), before, "5: type 99 changed no stock")
    checks.eq(s.admin("GET", "/api/admin/dlq")[1]["total"], 0, "5: type 99 not dead-lettered")
    checks.eq(s.status()["needs_reauth"], False, "5: no re-authorization needed before the type 6 push")
    st, _, _ = s.post_tiktok(s.tiktok_body(6, data={"shop_id": s.shop_id()}, shop_id=s.shop_id()))
    checks.eq(st, 200, "5: type 6 (seller deauthorized) answered 200")
    H.wait_until(lambda: s.status()["needs_reauth"], what="needs_reauth")
    st = s.status()
    checks.eq((st["needs_reauth"], st["connected"]), (True, False), "5: status shows needs_reauth true")


# --- 6. A burst of 200 orders ----------------------------------------------------

def burst(s):
    sku = "BURST-1"
    checks.eq((s.stock(sku), s.tiktok_qty()[sku]), (500, 500), "6: burst SKU starts at 500 on both channels")
    s.wait_drained()
    upd0 = s.counters()["inventory_updates"]
    t0 = time.time()
    statuses = []
    lock = threading.Lock()

    def buy(n):
        for _ in range(n):
            st, _ = s.sb_order(sku, 1)
            with lock:
                statuses.append(st)

    ths = [threading.Thread(target=buy, args=(50,)) for _ in range(4)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(60)
    checks.eq((len(statuses), set(statuses)), (200, {201}), "6: 200 one-unit TikTok orders created")
    final = wait_stock(s, sku, 300, timeout=60)
    checks.eq(final, 300, "6: final store stock exactly 500 - 200")
    s.wait_drained(timeout=60)
    s.wait_converged([sku])
    checks.eq(s.tiktok_qty()[sku], 300, "6: TikTok quantity equals the projection at the end")
    updates = s.counters()["inventory_updates"] - upd0
    elapsed = time.time() - t0
    # TikTok counted its own sales: a push adds only what changed outside
    # TikTok, so 200 TikTok orders need no Update Inventory call at all
    # (each one could only give back a sale made meanwhile).
    print("# burst: 200 orders in %.1f s -> %d Update Inventory calls" % (elapsed, updates), flush=True)
    checks.eq(updates, 0, "6: no Update Inventory call for 200 TikTok orders in %.1f s" % elapsed)
    checks.eq(s.admin("GET", "/api/admin/dlq")[1]["total"], 0, "6: nothing dead-lettered")


# --- the quiet stack: 1b, 7, 8 -------------------------------------------------------

def cancelled_first(s):
    sku = "CF-1"
    start = s.stock(sku)
    st, o = s.sb_order(sku, 2)
    oid = o["order_id"]
    checks.eq(st, 201, "1b: order created (its webhook goes nowhere)")
    checks.eq(s.sb_cancel(oid)[0], 200, "1b: and cancelled before shopsync heard of it")
    shop = s.shop_id()
    st11 = s.post_tiktok(s.tiktok_body(11, oid, shop_id=shop))[0]
    s.wait_drained()
    st1 = s.post_tiktok(s.tiktok_body(1, oid, shop_id=shop))[0]
    s.wait_drained()
    checks.eq((st11, st1), (200, 200), "1b: cancellation pushed first, then the (stale) order push")
    checks.eq(s.stock(sku), start, "1b: an order first seen cancelled is never decremented")
    checks.eq(activity_for(s, oid), [], "1b: no stock activity for it")
    checks.eq(s.redis.cli("HGET", "shopsync:order:tiktok:" + oid, "state").strip(), "cancelled_first",
              "1b: the ledger records it as cancelled_first")

    # The same, but a push of the (unchanged) store stock goes out between
    # the sale and its cancellation. Update Inventory sets an absolute
    # quantity: a push computed from store stock would give TikTok back the
    # 2 units it sold. The push adds only what changed outside TikTok to
    # TikTok's own quantity, so TikTok keeps its decrement, and its restock
    # on cancellation brings it back to the projection.
    s.wait_drained()
    proj = start - 1
    checks.eq(s.tiktok_qty()[sku], proj, "1c: TikTok shows the projection")
    st, o = s.sb_order(sku, 2)
    oid = o["order_id"]
    checks.eq((st, s.tiktok_qty()[sku]), (201, proj - 2), "1c: a TikTok sale shopsync does not hear of")
    checks.eq(s.admin("POST", "/api/admin/stock/" + sku, {"set": start})[0], 200, "1c: an admin save (no change)")
    s.wait_drained()
    checks.eq(s.tiktok_qty()[sku], proj - 2, "1c: the push did not give TikTok back the units it sold")
    checks.eq(s.sb_cancel(oid)[0], 200, "1c: the sale is cancelled on TikTok")
    checks.eq(s.tiktok_qty()[sku], proj, "1c: TikTok restocked it itself")
    st11 = s.post_tiktok(s.tiktok_body(11, oid, shop_id=shop))[0]
    st1 = s.post_tiktok(s.tiktok_body(1, oid, shop_id=shop))[0]
    checks.eq((st11, st1), (200, 200), "1c: cancellation and order pushes arrive")
    s.wait_drained()
    checks.eq(s.stock(sku), start, "1c: store stock unchanged")
    try:
        s.wait_converged([sku], timeout=5, buffer=1)
    except AssertionError:
        pass
    checks.eq(s.tiktok_qty()[sku], proj, "1c: an order first seen cancelled re-pushes its SKUs: TikTok = projection")


def partly_cancelled_first(s):
    """An order whose first push reaches shopsync after one of its lines was
    cancelled takes only the lines still live; cancelling the rest gives
    back exactly those."""
    sku = "PF-1"
    start = s.stock(sku)
    st, o = s.sb_order(sku, 3)
    oid = o["order_id"]
    checks.eq(st, 201, "1e: order of 3 created (its webhook goes nowhere)")
    checks.eq(s.sb_cancel(oid, units=1)[0], 200, "1e: one line cancelled before shopsync heard of the order")
    shop = s.shop_id()
    checks.eq(s.post_tiktok(s.tiktok_body(1, oid, shop_id=shop))[0], 200, "1e: the order push arrives")
    s.wait_drained()
    checks.eq(s.stock(sku), start - 2, "1e: only the 2 live lines are taken")
    checks.eq(s.sb_cancel(oid)[0], 200, "1e: the rest cancelled")
    checks.eq(s.post_tiktok(s.tiktok_body(11, oid, shop_id=shop))[0], 200, "1e: its cancellation push arrives")
    s.wait_drained()
    checks.eq(s.stock(sku), start, "1e: the 2 units are back, no more")
    s.wait_converged([sku], buffer=1)
    checks.eq(s.tiktok_qty()[sku], start - 1, "1e: TikTok = projection")


def cancelled_line_of_oversold_order(s):
    """An order that took less than it sold (the store ran out): one of its
    lines cancelled gives nothing back, yet TikTok puts that unit back on
    its side, so the SKU must be pushed again."""
    sku = "OS-1"
    key = "shopsync:push:lock:" + sku
    s.wait_drained()
    live = s.redis.cli("KEYS", "shopsync:instance:*").split()
    checks.eq(len(live), 1, "1g: one live instance")
    # Hold the SKU's pushes so TikTok keeps showing more than the store has.
    s.redis.cli("SET", key, live[0].split(":")[-1] + ".held-by-test", "PX", "30000")
    checks.eq(s.admin("POST", "/api/admin/stock/" + sku, {"set": 1})[0], 200, "1g: store stock set to 1")
    st, o = s.sb_order(sku, 3)
    oid = o["order_id"]
    checks.eq(st, 201, "1g: TikTok (still showing 9) sells 3")
    shop = s.shop_id()
    checks.eq(s.post_tiktok(s.tiktok_body(1, oid, shop_id=shop))[0], 200, "1g: the order push arrives")
    H.wait_until(lambda: s.stock(sku) == 0, what="the order applied")
    checks.eq(s.stock(sku), 0, "1g: the order took the 1 unit there was (2 oversold)")
    s.redis.cli("DEL", key)
    s.wait_drained()
    checks.eq(s.tiktok_qty()[sku], 0, "1g: TikTok pushed down to the projection, 0")
    checks.eq(s.sb_cancel(oid, units=1)[0], 200, "1g: one line cancelled on TikTok")
    checks.eq(s.tiktok_qty()[sku], 1, "1g: TikTok put that unit back: 1 above the projection")
    checks.eq(s.post_tiktok(s.tiktok_body(11, oid, shop_id=shop))[0], 200, "1g: its cancellation push arrives")
    s.wait_drained()
    checks.eq(s.stock(sku), 0, "1g: nothing given back: the order keeps its 1 unit for its 2 live lines")
    checks.eq(s.tiktok_qty()[sku], 0, "1g: the SKU was pushed again: TikTok = projection")


def dlq(s):
    sku = "DLQ-1"
    start = s.stock(sku)
    st, o = s.sb_order(sku, 2)
    oid = o["order_id"]
    checks.eq(st, 201, "7: sandbox order for 2 units (webhook goes nowhere)")
    # TikTok Shop fails every call for now, so the order cannot be fetched.
    # (A disconnected shop is no such failure: its orders are parked, see
    # test_first_hour.)
    st, _ = s.sb_faults({"fail_next": 1000000})
    checks.eq(st, 200, "7: TikTok Shop answers 500 to every call")
    nid = U.new_notification_id()
    st, _, _ = s.post_tiktok(s.tiktok_body(1, oid, notification_id=nid, shop_id=s.shop_id()))
    checks.eq(st, 200, "7: signed type 1 webhook accepted while TikTok Shop fails")
    t0 = time.time()
    dl = H.wait_until(lambda: (lambda d: d if d["entries"] else None)(s.admin("GET", "/api/admin/dlq")[1]),
                      timeout=90, interval=0.5, what="dead letter")
    print("# dead-lettered after %.1f s" % (time.time() - t0), flush=True)
    e = dl["entries"][0]
    checks.eq((dl["total"], e.get("source"), e.get("event_id"), e.get("attempts")), (1, "tiktok", nid, 2),
              "7: the event is in the DLQ (source tiktok, 2 attempts)")
    checks.ok(isinstance(e.get("error"), str) and len(e["error"]) > 0, "7: with an error: %r" % e.get("error"))
    checks.eq(s.stock(sku), start, "7: no stock change while dead-lettered")
    r = s.ss.cli("dlq", "list")
    checks.eq(r.returncode, 0, "7: `shopsync dlq list` exits 0")
    checks.ok("1 dead-lettered event(s)" in r.stdout and nid in r.stdout, "7: and lists it: %r" % r.stdout[:300])

    checks.eq(s.sb_faults()[0], 200, "7: TikTok Shop answers again")
    st, doc = s.admin("POST", "/api/admin/dlq/replay", {"all": True})
    checks.eq((st, doc), (200, {"replayed": 1}), "7: replay all: replayed 1")
    checks.eq(wait_stock(s, sku, start - 2), start - 2, "7: the replayed order decremented the stock")
    s.wait_drained()
    checks.eq(s.admin("POST", "/api/admin/dlq/replay", {"all": True})[1], {"replayed": 0}, "7: DLQ now empty")
    checks.eq(s.stock(sku), start - 2, "7: decremented exactly once")
    r = s.ss.cli("dlq", "list")
    checks.eq((r.returncode, r.stdout.splitlines()[0] if r.stdout else ""), (0, "0 dead-lettered event(s)"),
              "7: `shopsync dlq list` after the replay")
    s.wait_converged([sku], buffer=1)
    checks.eq(s.tiktok_qty()[sku], start - 2 - 1, "7: TikTok quantity = projection once TikTok Shop answers")


def reconcile(s, skus):
    sku = "REC-1"
    s.wait_drained()
    s.wait_converged(skus, buffer=1)
    store = s.stock(sku)
    tk0 = s.tiktok_qty()[sku]
    checks.eq(tk0, store - 1, "8: TikTok shows stock - buffer (1)")
    st, o = s.sb_order(sku, 3)
    checks.eq(st, 201, "8: a TikTok sale shopsync never hears about")
    checks.eq(s.tiktok_qty()[sku], tk0 - 3, "8: TikTok quantity dropped behind shopsync's back")
    st, doc = s.admin("POST", "/api/admin/reconcile", {"repair": False})
    rep = doc.get("report") or {}
    checks.eq(st, 200, "8: reconcile without repair")
    checks.eq(rep.get("drift"), [{"sku": sku, "store": store, "projection": store - 1, "tiktok": tk0 - 3}],
              "8: drift lists the SKU with store, projection and tiktok")
    checks.eq((rep.get("checked"), rep.get("repaired")), (len(skus), 0), "8: every SKU checked, none repaired")
    checks.eq(s.tiktok_qty()[sku], tk0 - 3, "8: a report-only run changes nothing")
    r = s.ss.cli("reconcile")
    checks.eq(r.returncode, 3, "8: `shopsync reconcile` exits 3 while there is drift")
    # A push worker polling the dirty marks may hold the SKU's lock just when
    # the repair wants it: hold it from here for 400 ms to make that race
    # certain. The repair must wait for it, not give up.
    checks.eq(s.redis.cli("SET", "shopsync:push:lock:" + sku, "held-by-test", "NX", "PX", "400").strip(), "OK",
              "8: push lock held by someone else during the repair")
    st, doc = s.admin("POST", "/api/admin/reconcile", {"repair": True})
    rep = doc.get("report") or {}
    checks.eq((st, rep.get("repaired"), [d["sku"] for d in rep.get("drift", [])], rep.get("errors")),
              (200, 1, [sku], []), "8: repair: repaired 1, no errors")
    checks.eq(s.tiktok_qty()[sku], store - 1, "8: sandbox quantity equals the projection again")
    st, last = s.admin("GET", "/api/admin/reconcile")
    checks.eq((st, last["report"]["repair"], last["report"]["repaired"], last["report"]["ts"]),
              (200, True, 1, rep.get("ts")), "8: GET /api/admin/reconcile returns the last report")
    r = s.ss.cli("reconcile")
    out = json.loads(r.stdout) if r.stdout.strip().startswith("{") else {}
    checks.eq((r.returncode, out.get("drift")), (0, []), "8: `shopsync reconcile` exits 0 after the repair")
    checks.eq(s.stock(sku), store, "8: store stock itself untouched by reconciliation")


def withdrawn(s, skus):
    """A SKU removed from the catalog stops selling on TikTok Shop: a PUT that
    drops it or a DELETE of its product pushes 0; the listing and its
    mapping stay, and reconciliation counts it as 0."""
    wd = {"WD-1": 6, "WD-2": 4}
    doc = U.catalog(s.port, wd, per_product=2)
    product = doc["products"][0]
    checks.eq(s.import_catalog(wd, per_product=2)[0], 200, "9: a two-SKU product imported")
    checks.eq(s.sync()[1].get("state"), "done", "9: synced")
    s.wait_converged(list(wd), buffer=1)
    checks.eq({k: s.tiktok_qty()[k] for k in wd}, {"WD-1": 5, "WD-2": 3}, "9: TikTok shows stock - 1")
    st, _ = s.admin("PUT", "/api/admin/products/" + product["id"], dict(product, skus=product["skus"][:1]))
    checks.eq(st, 200, "9: PUT without WD-2")
    checks.eq(H.jrequest("GET", s.base + "/api/stock/WD-2")[0], 404, "9: WD-2 is gone from the store")
    H.wait_until(lambda: s.tiktok_qty().get("WD-2") == 0, timeout=15, interval=0.2, what="WD-2 at 0 on TikTok")
    checks.eq({k: s.tiktok_qty()[k] for k in wd}, {"WD-1": 5, "WD-2": 0}, "9: WD-2 pushed as 0, WD-1 unchanged")
    st, _ = s.admin("DELETE", "/api/admin/products/" + product["id"])
    checks.eq(st, 200, "9: DELETE the product")
    H.wait_until(lambda: s.tiktok_qty().get("WD-1") == 0, timeout=15, interval=0.2, what="WD-1 at 0 on TikTok")
    s.wait_drained()
    checks.eq({k: s.tiktok_qty()[k] for k in wd}, {"WD-1": 0, "WD-2": 0}, "9: both SKUs at 0 on TikTok")
    st, doc = s.admin("POST", "/api/admin/reconcile", {"repair": False})
    rep = doc.get("report") or {}
    checks.eq((st, rep.get("checked"), rep.get("drift")), (200, len(skus) + 2, []),
              "9: reconcile checks the removed SKUs too and finds no drift")


# Steps, for `python3 test_propagation.py STEP [STEP ...]` (none: all). The
# steps of one stack build on each other: a step runs with every step of
# its stack before it (and the stack's import, connect and sync).
MAIN_STEPS = ["tiktok_sale", "partial_cancel", "lock_takeover", "stripe_checkout", "intake_contract", "last_unit",
              "burst", "unknown_and_deauth"]
QUIET_STEPS = ["cancelled_first", "partly_cancelled_first", "cancelled_line_of_oversold_order", "dlq", "reconcile",
               "withdrawn"]


def main():
    want = H.selected_sections(MAIN_STEPS + QUIET_STEPS,
                               dict(H.prefix_needs(MAIN_STEPS), **H.prefix_needs(QUIET_STEPS)))
    tmp = H.TempDir()
    main_stack = quiet = None
    t0 = time.time()
    try:
        os.makedirs(os.path.join(tmp.path, "main"))
        os.makedirs(os.path.join(tmp.path, "quiet"))
        skus = {"LAV-8OZ": 20, "CED-8OZ": 15, "CIT-BAR": 40, "LAST-1": 1, "BURST-1": 500, "PART-1": 10}
        if want & set(MAIN_STEPS):
            main_stack = U.Stack(os.path.join(tmp.path, "main")).start()
            checks.eq(main_stack.import_catalog(skus)[0], 200, "main: catalog imported")
            checks.eq(main_stack.connect(), (302, "/admin/tiktok-shop?connected=1"), "main: connected through OAuth")
            st, job = main_stack.sync()
            checks.eq((st, job.get("state"), job.get("created")), (200, "done", len(skus)), "main: products synced")
            checks.eq(main_stack.tiktok_qty(), skus, "main: TikTok quantities = stock after the sync")
        steps = {"tiktok_sale": tiktok_sale, "partial_cancel": partial_cancel, "lock_takeover": lock_takeover,
                 "stripe_checkout": stripe_checkout, "intake_contract": intake_contract, "last_unit": last_unit,
                 "burst": burst, "unknown_and_deauth": lambda s: unknown_and_deauth(s, list(skus))}
        for name in MAIN_STEPS:
            if name in want:
                steps[name](main_stack)

        qskus = {"CF-1": 10, "DLQ-1": 10, "REC-1": 10, "PF-1": 10, "OS-1": 10}
        if want & set(QUIET_STEPS):
            quiet = U.Stack(os.path.join(tmp.path, "quiet"), tiktok_hooks=U.closed_port_url("/api/tiktok/webhook"),
                            ss_env={"SHOPSYNC_MAX_ATTEMPTS": "2", "SHOPSYNC_STOCK_BUFFER": "1"}).start()
            checks.eq(quiet.import_catalog(qskus)[0], 200, "quiet: catalog imported")
            checks.eq(quiet.connect(), (302, "/admin/tiktok-shop?connected=1"), "quiet: connected")
            checks.eq(quiet.sync()[1].get("state"), "done", "quiet: synced")
            checks.eq(quiet.tiktok_qty(), {k: v - 1 for k, v in qskus.items()}, "quiet: TikTok shows stock - 1")
        steps = {"cancelled_first": cancelled_first, "partly_cancelled_first": partly_cancelled_first,
                 "cancelled_line_of_oversold_order": cancelled_line_of_oversold_order, "dlq": dlq,
                 "reconcile": lambda s: reconcile(s, list(qskus)), "withdrawn": lambda s: withdrawn(s, list(qskus))}
        for name in QUIET_STEPS:
            if name in want:
                steps[name](quiet)
    except Exception:
        import traceback
        traceback.print_exc()
        checks.ok(False, "scenario raised")
        for s in (main_stack, quiet):
            if s:
                s.dump_logs()
    finally:
        for s in (main_stack, quiet):
            if s:
                s.stop()
        tmp.cleanup()
    print("# test_propagation took %.1f s" % (time.time() - t0), flush=True)
    checks.done()


if __name__ == "__main__":
    main()
