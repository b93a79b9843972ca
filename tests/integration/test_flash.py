"""Flash sales: a sale applied at once from the session's own items, no push
that gives TikTok back a sale it made, and the low-stock allocation between
TikTok and the website (hand-over both ways, a website oversell taken back
from TikTok's share, kill -9 in the middle), a settle that lasts as long
as TikTok's webhooks are late, one that ends once TikTok's orders are
read, and a SKU that turns low on TikTok sales only its quantity shows.

TikTok's webhooks go nowhere here (a closed port): each test delivers them
itself, so it decides when shopsync hears of a TikTok sale.

Sections run alone with: test_flash.py SECTION [SECTION ...]
"""
import json
import signal
import time

import harness as H
import propagation_util as U

checks = H.Checks("flash")
SETTLE_MS = 1500


def web_sale(s, sku, qty=1, items=None):
    """A paid Checkout Session that carries its items, as the README tells
    storefronts to create them; the session is not known to Stripe's
    sandbox, so only the metadata can tell shopsync what was sold."""
    sid = "cs_test_flash_%d" % time.time_ns()
    obj = {"id": sid, "object": "checkout.session", "payment_status": "paid", "amount_total": 1000 * qty,
           "currency": "usd", "metadata": {"shopsync_items": items or "%s:%d" % (sku, qty)}}
    st = s.post_stripe(U.stripe_event("checkout.session.completed", obj))[0]
    return st, sid


def tiktok_sale(s, sku, qty=1):
    """An order on the sandbox (TikTok's own counter drops); its webhook
    body is returned for the test to deliver."""
    st, o = s.sb_order(sku, qty)
    if st != 201:
        print("# the sandbox refused an order of %d %s: %d %r" % (qty, sku, st, o))
        return st, None
    return st, s.tiktok_body(1, o["order_id"], shop_id=s.shop_id())


def view(s, sku):
    return s.admin("GET", "/api/admin/stock/" + sku)[1]


def metadata_items(s):
    sku = "META-1"
    start = s.stock(sku)
    st, sid = web_sale(s, sku, 2)
    checks.eq(st, 200, "metadata: the sale is acknowledged")
    checks.eq(s.stock(sku), start - 2, "metadata: the stock is down when the webhook is answered")
    s.wait_drained()
    checks.eq(s.stock(sku), start - 2, "metadata: applied from shopsync_items, without a Stripe call")
    checks.eq(s.admin("GET", "/api/admin/dlq")[1].get("total"), 0, "metadata: nothing dead-lettered")
    st, _ = web_sale(s, sku, 1, items="META-1:1,NOPE-9:2")
    s.wait_drained()
    checks.eq(s.stock(sku), start - 3, "metadata: a known SKU of a mixed list applied")
    unmatched = s.admin("GET", "/api/admin/unmatched")[1]["unmatched"]
    checks.ok(any(u.get("sku") == "NOPE-9" for u in unmatched), "metadata: the unknown SKU is listed as unmatched")
    # Malformed items: the sale stands, its line items tell (a real
    # sandbox session with a line of META-1).
    st, sess = s.sb_checkout([{"sku": sku, "quantity": 1}])
    obj = {"id": sess["session_id"], "object": "checkout.session", "payment_status": "paid",
           "metadata": {"shopsync_items": "META-1:lots"}}
    checks.eq(s.post_stripe(U.stripe_event("checkout.session.completed", obj))[0], 200,
              "metadata: a malformed list is acknowledged")
    s.wait_drained()
    checks.eq(s.stock(sku), start - 4, "metadata: a malformed list falls back to the line items")


def held_webhook(s):
    """No push re-adds an unseen TikTok sale: a TikTok order whose webhook
    is held back, a web sale meanwhile, then the held webhook."""
    sku = "HELD-1"
    start = s.stock(sku)
    checks.eq(s.tiktok_qty()[sku], start, "held: TikTok shows the stock")
    st, body = tiktok_sale(s, sku, 2)
    checks.eq((st, s.tiktok_qty()[sku]), (201, start - 2), "held: TikTok sold 2; shopsync has not heard")
    checks.eq(web_sale(s, sku, 1)[0], 200, "held: a website sale meanwhile")
    s.wait_drained()
    seen = s.tiktok_qty()[sku]
    checks.eq(seen, start - 3, "held: the push took the web sale off TikTok's own quantity (not store stock)")
    checks.eq(s.post_tiktok(body)[0], 200, "held: the held webhook arrives")
    s.wait_drained()
    checks.eq(s.stock(sku), start - 3, "held: store stock counts all 3 sales")
    checks.eq(s.tiktok_qty()[sku], start - 3, "held: TikTok never showed more than it may sell")
    # An admin restock still reaches TikTok, added to what TikTok has.
    checks.eq(s.admin("POST", "/api/admin/stock/" + sku, {"delta": 5})[0], 200, "held: restock of 5")
    s.wait_drained()
    checks.eq(s.tiktok_qty()[sku], start + 2, "held: the restock reached TikTok")


def sell_tiktok_until_refused(s, sku, limit=200):
    """TikTok buyers until TikTok refuses at its own 0; returns the held
    webhook bodies (one per unit sold)."""
    bodies = []
    for _ in range(limit):
        st, body = tiktok_sale(s, sku)
        if st != 201:
            break
        bodies.append(body)
    return bodies


def allocation(s):
    """Both channels sell a low-stock SKU: it is allocated; TikTok's share
    is taken back by setting it to 0, then split; TikTok selling its whole
    share gets a new one; the website selling beyond its share takes from
    TikTok's; nothing is sold twice."""
    sku = "ALLOC-1"
    start = s.stock(sku)
    sold = 0
    # TikTok's three orders first: once shopsync hears of both channels
    # selling it may set TikTok to 0 (allocation) before a later order.
    bodies = []
    for i in range(3):
        st, body = tiktok_sale(s, sku)
        checks.eq(st, 201, "alloc: TikTok order %d" % (i + 1))
        if body is None:
            return
        bodies.append(body)
    updates = len(s.sb_updates(sku))
    for body in bodies:
        s.post_tiktok(body)
        web_sale(s, sku)
        sold += 2
    s.wait_drained()
    v = H.wait_until(lambda: view(s, sku)["mode"] == "allocated" and view(s, sku), what="allocation")
    checks.eq(v["on_hand"], start - sold, "alloc: on hand counts every sale")
    # TikTok's orders are all known already, so the settle may end as soon
    # as TikTok is at 0: the sandbox's log shows the 0 was set.
    H.wait_until(lambda: 0 in [u["quantity"] for u in s.sb_updates(sku)[updates:]],
                 what="TikTok set to 0 to take its share back")
    checks.ok(s.stock(sku) <= v["on_hand"], "alloc: the website sells only what is surely not TikTok's")
    # After the settle: TikTok gets a share, the website the rest.
    v = H.wait_until(lambda: (view(s, sku)["tiktok_share"] or 0) > 0 and view(s, sku), timeout=15,
                     what="TikTok's share after the settle")
    share, web = v["tiktok_share"], v["available_web"]
    checks.eq(share + web, v["on_hand"], "alloc: TikTok's share and the website's add up to on hand")
    H.wait_until(lambda: s.tiktok_qty()[sku] == share, what="TikTok shows its share")
    checks.eq(s.stock(sku), web, "alloc: GET /api/stock is the website's share")

    # TikTok sells its whole share, then refuses at its own 0.
    bodies = sell_tiktok_until_refused(s, sku)
    checks.eq(len(bodies), share, "alloc: TikTok sold exactly its share, then refused")
    checks.eq(s.stock(sku), web, "alloc: the website's share is untouched meanwhile")
    for b in bodies:
        s.post_tiktok(b)
    s.wait_drained()
    sold += len(bodies)
    # Known to be at 0, TikTok may be given more at once.
    v = H.wait_until(lambda: view(s, sku)["on_hand"] == start - sold and view(s, sku), what="TikTok's sales applied")
    checks.eq(v["on_hand"], start - sold, "alloc: on hand after TikTok's share sold")
    H.wait_until(lambda: s.tiktok_qty()[sku] == (view(s, sku)["tiktok_share"] or 0), what="TikTok shows its new share")

    # The website sells its share and one more: that one comes out of
    # TikTok's share, which is taken back (TikTok to 0).
    v = view(s, sku)
    web = v["available_web"]
    updates = len(s.sb_updates(sku))
    for _ in range(web + 1):
        web_sale(s, sku)
    s.wait_drained()
    sold += web + 1
    v = view(s, sku)
    checks.eq(v["on_hand"], start - sold, "alloc: the website sale beyond its share is applied")
    if v["on_hand"] > 0:
        H.wait_until(lambda: 0 in [u["quantity"] for u in s.sb_updates(sku)[updates:]],
                     what="TikTok's share taken back")
        checks.ok(True, "alloc: TikTok set to 0 to cover the website's extra sale")
    over = [o for o in s.admin("GET", "/api/admin/oversells")[1]["oversells"] if o.get("sku") == sku]
    checks.eq(over, [], "alloc: nothing oversold")
    # Whatever is left goes out once the settle ends; sell it all on both
    # channels and check the total.
    H.wait_until(lambda: view(s, sku)["reserved"] == 0, timeout=15, what="settle over")
    for _ in range(60):
        left = view(s, sku)
        if left["on_hand"] == 0:
            break
        w = s.stock(sku)
        if w > 0:
            web_sale(s, sku, w)
            sold += w
        bodies = sell_tiktok_until_refused(s, sku)
        for b in bodies:
            s.post_tiktok(b)
        sold += len(bodies)
        s.wait_drained()
        time.sleep(0.3)
    checks.eq(view(s, sku)["on_hand"], 0, "alloc: sold out")
    checks.eq(sold, start, "alloc: exactly the stock was sold over both channels")
    over = [o for o in s.admin("GET", "/api/admin/oversells")[1]["oversells"] if o.get("sku") == sku]
    checks.eq(over, [], "alloc: still nothing oversold")


def kill_mid_sale(s):
    """kill -9 of shopsync in the middle of a two-channel sale on a
    low-stock SKU, and every TikTok webhook delivered twice: after the
    restart every acknowledged sale is counted once, none lost."""
    sku = "KILLF-1"
    start = s.stock(sku)
    tiktok_sold = web_sold = 0
    delivered = []
    for i in range(60):
        st, body = tiktok_sale(s, sku)
        if st == 201:
            tiktok_sold += 1
            delivered.append(body)
            s.post_tiktok(body)
        # The website sells while GET /api/stock says so.
        if (s.stock(sku) or 0) > 0 and web_sale(s, sku)[0] == 200:
            web_sold += 1
        if i == 15:
            s.ss.proc.kill9()
            s.start_shopsync()
    for b in delivered:
        s.post_tiktok(b)  # a provider retry of every delivery
    s.wait_drained(timeout=90)
    v = view(s, sku)
    over = sum(o.get("shortfall", 0) for o in s.admin("GET", "/api/admin/oversells")[1]["oversells"]
               if o.get("sku") == sku)
    print("# kill: TikTok sold %d, the website %d, on hand %d, oversold %d" % (tiktok_sold, web_sold,
                                                                               v["on_hand"], over), flush=True)
    # While the killed instance's push lock waits for its heartbeat to lapse
    # (3 s), nothing lowers TikTok: what it sells then may be oversold, and
    # is recorded as such. What must hold is the accounting.
    checks.eq(v["on_hand"] - over, start - tiktok_sold - web_sold,
              "kill: every acknowledged sale applied once (on hand - oversold = start - sales)")
    acts = [a for a in s.activity() if a["sku"] == sku and a["reason"] in ("tiktok_order", "stripe_checkout")]
    refs = [a["ref"] for a in acts]
    checks.eq(len(refs), len(set(refs)), "kill: no sale applied twice (activity)")
    checks.eq(len(refs), tiktok_sold + web_sold, "kill: no acknowledged sale lost (activity)")


def late_webhook(s):
    """A TikTok webhook stamped 6 s before it arrives: the lag is noted, so
    a low-stock SKU's settle waits that long for TikTok's late sales."""
    st, o = s.sb_order("META-1", 1)
    checks.eq(st, 201, "late: a TikTok order")
    doc = json.loads(s.tiktok_body(1, o["order_id"], shop_id=s.shop_id()))
    doc["timestamp"] -= 6
    checks.eq(s.post_tiktok(json.dumps(doc, separators=(",", ":")).encode())[0], 200, "late: its webhook 6 s late")
    lag = s.redis.cli("HGET", "shopsync:settings", "hook_lag_ms").strip()
    checks.ok(lag.isdigit() and 6000 <= int(lag) < 8000, "late: the lag is noted (%r ms)" % lag)
    doc = json.loads(s.tiktok_body(1, o["order_id"], shop_id=s.shop_id()))
    doc["timestamp"] -= 3600
    checks.eq(s.post_tiktok(json.dumps(doc, separators=(",", ":")).encode())[0], 200,
              "late: a resend an hour late is still taken")
    checks.eq(s.redis.cli("HGET", "shopsync:settings", "hook_lag_ms").strip(), lag,
              "late: an hour-old resend does not stretch the settle")
    s.wait_drained()


def settle_read(s):
    """TikTok orders whose webhooks have not come when a SKU turns low:
    once TikTok is set to 0, shopsync reads them (Search Orders) and applies
    them, so the website gets what is left without waiting out the settle;
    the webhooks that come later change nothing."""
    sku = "READ-1"
    start = s.stock(sku)
    ended = s.metrics().get('shopsync_settle_reads_total{result="ended"}', 0)
    first, held = tiktok_sale(s, sku)[1], [tiktok_sale(s, sku, 2)[1], tiktok_sale(s, sku)[1]]
    checks.ok(first is not None and None not in held, "read: three TikTok orders (4 units)")
    if first is None or None in held:
        return
    checks.eq(s.post_tiktok(first)[0], 200, "read: the first order's webhook comes")
    checks.eq(web_sale(s, sku)[0], 200, "read: a website sale")
    v = H.wait_until(lambda: view(s, sku)["mode"] == "allocated" and view(s, sku)["reserved"] == 0
                     and view(s, sku), timeout=20, what="allocated, and nothing held back for TikTok's sales")
    checks.eq(v["on_hand"], start - 5, "read: on hand counts the orders whose webhooks have not come")
    checks.eq(v["tiktok_share"] + v["available_web"], v["on_hand"], "read: TikTok's share and the website's add up")
    checks.ok(s.metrics().get('shopsync_settle_reads_total{result="ended"}', 0) > ended,
              "read: the settle ended on reading TikTok's orders (/metrics)")
    for b in held:
        checks.eq(s.post_tiktok(b)[0], 200, "read: a held webhook comes late")
    s.wait_drained()
    checks.eq(view(s, sku)["on_hand"], start - 5, "read: the late webhooks change nothing")
    refs = [a["ref"] for a in s.activity() if a["sku"] == sku and a["reason"] == "tiktok_order"]
    checks.eq(len(refs), 3, "read: each TikTok order applied once (activity)")
    over = [o for o in s.admin("GET", "/api/admin/oversells")[1]["oversells"] if o.get("sku") == sku]
    checks.eq(over, [], "read: nothing oversold")


def read_rate(s):
    """TikTok sells a low-stock SKU and none of its webhooks has come: the
    push's read of TikTok's quantity shows the sales, so the SKU turns low
    (allocated) on the website's next sale, before any TikTok webhook."""
    sku = "RATE-1"
    start = s.stock(sku)
    held = [tiktok_sale(s, sku, 3)[1]]
    checks.ok(None not in held, "rate: a TikTok order of 3, its webhook held back")
    if None in held:
        return
    checks.eq(web_sale(s, sku)[0], 200, "rate: a website sale")
    s.wait_drained()
    checks.eq(view(s, sku)["mode"], "normal", "rate: still normal (the store has heard of no TikTok sale)")
    checks.eq(s.tiktok_qty()[sku], start - 4, "rate: the push took the website's sale off TikTok's own quantity")
    checks.eq(web_sale(s, sku)[0], 200, "rate: a second website sale")
    H.wait_until(lambda: view(s, sku)["mode"] == "allocated", timeout=20,
                     what="allocated without any TikTok webhook")
    checks.ok(True, "rate: allocated, from the TikTok sales the read showed")
    s.wait_drained()
    for b in held:
        checks.eq(s.post_tiktok(b)[0], 200, "rate: the held webhook comes")
    s.wait_drained()
    checks.eq(view(s, sku)["on_hand"], start - 5, "rate: every sale counted once")
    over = [o for o in s.admin("GET", "/api/admin/oversells")[1]["oversells"] if o.get("sku") == sku]
    checks.eq(over, [], "rate: nothing oversold")


SECTIONS = {"metadata_items": metadata_items, "held_webhook": held_webhook, "allocation": allocation,
            "kill_mid_sale": kill_mid_sale, "late_webhook": late_webhook, "settle_read": settle_read,
            "read_rate": read_rate}


def main():
    U.run_stack_sections(checks, SECTIONS,
                         {"META-1": 50, "HELD-1": 30, "ALLOC-1": 20, "KILLF-1": 30, "READ-1": 10, "RATE-1": 20},
                         {"SHOPSYNC_LOW_STOCK_SECONDS": "60", "SHOPSYNC_TIKTOK_SETTLE_MS": str(SETTLE_MS)})


if __name__ == "__main__":
    main()
