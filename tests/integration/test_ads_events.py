"""TikTok Ads conversions: every store sale reaches the sandbox's Events API.

A paid Stripe checkout becomes one Purchase checked field by field (hashed
match keys, value, contents, attribution metadata), and stays one when Stripe
redelivers it; a 40100 is retried, a 40002 dead-lettered with TikTok's
message and replayable, a refused token holds the events until a new token
is saved; a backlog of 3,000 goes out in three calls; the store events API
answers per event; an offline CSV answers per row; consent `required` and
`denied` keep events back. Plaintext emails and phones are never stored.

Sections run alone with: test_ads_events.py SECTION [SECTION ...]
"""
import hashlib
import json
import time

import harness as H

checks = H.Checks("ads_events")

PIXEL = "CSANDBOXPIXEL0000001"
ADS_TOKEN = "sandbox-ads-access-token"
OFFLINE_SET = "7300000000000000001"
STOREFRONT_TOKEN = "storefront-token-0123456789abcdef"

EMAIL = " Buyer.One+Shop@Example.COM "
PHONE = "(415) 555-0123"


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


def stripe_event(event_type, obj, event_id=None, created=None):
    doc = {"id": event_id or "evt_ads_%d" % time.time_ns(), "object": "event", "api_version": "2024-06-20",
           "created": created or int(time.time()), "livemode": False, "pending_webhooks": 1, "type": event_type,
           "data": {"object": obj}}
    return json.dumps(doc, separators=(",", ":")).encode()


class Env:
    """The sandbox, Redis and a shopsync sending TikTok Ads events to it."""

    def __init__(self, tmp, redis, sandbox, extra=None, name="shopsync"):
        self.tmp, self.redis, self.sb = tmp, redis, sandbox
        env = {"TIKTOK_PIXEL_ID": PIXEL, "TIKTOK_EVENTS_API_ACCESS_TOKEN": ADS_TOKEN,
               "TIKTOK_ADS_API_BASE": sandbox.base, "TIKTOK_OFFLINE_EVENT_SET_ID": OFFLINE_SET,
               "SHOPSYNC_STOREFRONT_TOKEN": STOREFRONT_TOKEN}
        env.update(extra or {})
        self.ss = H.Shopsync(tmp.path, redis.url, sandbox=sandbox, extra_env=env, name=name)

    def post_stripe(self, body):
        return H.jrequest("POST", self.ss.base + "/api/stripe/webhook", body,
                          {"Stripe-Signature": H.stripe_signature_header(body), "Content-Type": "application/json"})

    def events(self):
        return H.jrequest("GET", self.sb.base + "/sandbox/ads/events")[1]

    def received(self, event_id):
        return [e for e in self.events()["events"] if e.get("event_id") == event_id]

    def wait_received(self, event_id, n=1, timeout=15):
        H.wait_until(lambda: len(self.received(event_id)) >= n, timeout=timeout, what="event %s at TikTok" % event_id)
        return self.received(event_id)

    def faults(self, **kw):
        return H.jrequest("POST", self.sb.base + "/sandbox/faults", kw)

    def store_event(self, event_id, event_type="AddToCart", **extra):
        ev = {"event_type": event_type, "event_id": event_id, "event_time": int(time.time()),
              "user": {"email": "someone@example.com"},
              "properties": {"value": 12.5, "currency": "eur", "content_type": "product",
                             "contents": [{"content_id": "LAV-8OZ", "quantity": 1, "price": 12.5}]}}
        ev.update(extra)
        return ev

    def post_events(self, events, token=H.ADMIN_TOKEN):
        return H.jrequest("POST", self.ss.base + "/api/events/batch", {"events": events},
                          {"Authorization": "Bearer " + token})

    def overview(self):
        return self.ss.admin("GET", "/api/admin/ads/events")[1]

    def connection(self):
        return self.ss.admin("GET", "/api/admin/ads/connection")[1]


def sale_object(sid, **meta):
    metadata = {"shopsync_items": "LAV-8OZ:2", "ttclid": "E.C.P.click-123", "ttp": "ttp-cookie-456",
                "client_ip": "203.0.113.7", "client_user_agent": "Mozilla/5.0 (test)",
                "page_url": "https://shop.example/checkout?x=1", "tiktok_external_id": "user_123"}
    metadata.update(meta)
    return {"id": sid, "object": "checkout.session", "payment_status": "paid", "amount_total": 4998,
            "currency": "usd", "customer": "cus_NffrFeUfNV2Hib",
            "customer_details": {"email": EMAIL, "phone": PHONE, "name": "Buyer One"}, "metadata": metadata}


def stripe_sale(env):
    sid = "cs_test_ads_%d" % time.time_ns()
    created = int(time.time()) - 5
    body = stripe_event("checkout.session.completed", sale_object(sid), created=created)
    st, doc = env.post_stripe(body)
    checks.eq((st, doc), (200, {"received": True, "duplicate": False}), "stripe: the sale is received")
    got = env.wait_received(sid)
    checks.eq(len(got), 1, "stripe: one event at TikTok")
    e = got[0]
    checks.eq(e["event_source"], "web", "stripe: event_source web")
    checks.eq(e["event_source_id"], PIXEL, "stripe: event_source_id is the pixel")
    checks.eq(e["event"], "Purchase", "stripe: event Purchase")
    checks.eq(e["event_time"], created, "stripe: event_time is the Stripe event's created")
    checks.eq(e["event_id"], sid, "stripe: event_id is the Checkout Session id")
    u = e["user"]
    checks.eq(u.get("email"), sha("buyer.one+shop@example.com"), "stripe: email trimmed, lowercased, SHA-256")
    checks.eq(u.get("phone"), sha("+14155550123"), "stripe: phone E.164 with +, SHA-256")
    checks.eq(u.get("external_id"), sha("user_123"), "stripe: external_id from metadata.tiktok_external_id, SHA-256")
    checks.eq((u.get("ttclid"), u.get("ttp"), u.get("ip"), u.get("user_agent")),
              ("E.C.P.click-123", "ttp-cookie-456", "203.0.113.7", "Mozilla/5.0 (test)"),
              "stripe: ttclid, ttp, ip and user agent from the metadata, not hashed")
    checks.eq(e.get("page"), {"url": "https://shop.example/checkout?x=1"}, "stripe: page.url from metadata.page_url")
    p = e["properties"]
    checks.eq((p.get("value"), p.get("currency")), (49.98, "USD"), "stripe: value in major units, currency upper case")
    checks.eq(p.get("content_type"), "product", "stripe: content_type product")
    checks.eq(p.get("contents"), [{"content_id": "LAV-8OZ", "quantity": 2}], "stripe: contents from shopsync_items")
    checks.eq(p.get("order_id"), sid, "stripe: order_id is the session id")

    # Stripe's retry of the same event, and the second event of the same
    # session, add nothing; a later sale shows the queue moved past them.
    checks.eq(env.post_stripe(body), (200, {"received": True, "duplicate": True}), "stripe: the retry is a duplicate")
    again = stripe_event("checkout.session.async_payment_succeeded", sale_object(sid))
    checks.eq(env.post_stripe(again)[0], 200, "stripe: async_payment_succeeded of the same session received")
    later = "cs_test_ads_later_%d" % time.time_ns()
    env.post_stripe(stripe_event("checkout.session.completed", sale_object(later)))
    env.wait_received(later)
    checks.eq(len(env.received(sid)), 1, "stripe: redelivered and second event of the session: still one event")

    # Without an external id in the metadata, the Stripe customer is used.
    sid2 = "cs_test_ads_cus_%d" % time.time_ns()
    obj = sale_object(sid2)
    del obj["metadata"]["tiktok_external_id"]
    obj["currency"], obj["amount_total"] = "jpy", 1500
    env.post_stripe(stripe_event("checkout.session.completed", obj))
    e2 = env.wait_received(sid2)[0]
    checks.eq(e2["user"].get("external_id"), sha("cus_NffrFeUfNV2Hib"), "stripe: external_id from the Stripe customer")
    checks.eq((e2["properties"].get("value"), e2["properties"].get("currency")), (1500, "JPY"),
              "stripe: a zero-decimal currency is not divided")

    # The buyer's plaintext email and phone are nowhere in Redis.
    values = []
    for k in env.redis.cli("--scan").split():
        t = env.redis.cli("TYPE", k).strip()
        if t == "stream":
            values.append(env.redis.cli("XRANGE", k, "-", "+"))
        elif t == "string":
            values.append(env.redis.cli("GET", k))
        elif t == "hash":
            values.append(env.redis.cli("HGETALL", k))
        elif t == "list":
            values.append(env.redis.cli("LRANGE", k, "0", "-1"))
    text = "\n".join(values)
    checks.ok("Buyer.One" not in text and "buyer.one" not in text and "555-0123" not in text,
              "stripe: no plaintext email or phone in Redis")
    checks.ok("buyer.one" not in env.ss.proc.output().lower(), "stripe: no plaintext email in the log")
    st = env.connection()
    checks.eq((st["connected"], st["pixel_id"], st["test_mode"]), (True, PIXEL, False), "stripe: connection status")
    checks.eq(st["last_event_sent"]["event_id"], sid2, "stripe: last_event_sent")
    checks.ok(ADS_TOKEN not in json.dumps(st), "stripe: the status never shows the token")


def retry_40100(env):
    env.faults(ads_fail_next=1, ads_fail_code=40100)
    eid = "ev-retry-%d" % time.time_ns()
    st, doc = env.post_events([env.store_event(eid)])
    checks.eq((st, doc["results"][0]["status"]), (202, "accepted"), "40100: the event is accepted")
    got = env.wait_received(eid, timeout=20)
    checks.eq(len(got), 1, "40100: sent once after the rate limit")
    codes = [c["code"] for c in env.events()["calls"]]
    checks.ok(40100 in codes and codes[-1] == 0, "40100: TikTok answered 40100, then accepted the retry")


def dead_40002(env):
    env.faults(ads_fail_next=1, ads_fail_code=40002)
    eid = "ev-dead-%d" % time.time_ns()
    env.post_events([env.store_event(eid)])

    def dead():
        return [d for d in env.ss.admin("GET", "/api/admin/dlq")[1]["entries"] if eid in d.get("event_id", "")]
    H.wait_until(lambda: dead(), timeout=15, what="dead letter")
    d = dead()[0]
    checks.eq(d["source"], "tiktok_ads", "40002: the dead letter is marked as an ads event")
    checks.ok("40002" in d["error"] and "Invalid parameter" in d["error"], "40002: dead letter has TikTok's message: %s" % d["error"])
    ov = env.overview()
    checks.ok(any(eid in x.get("event_id", "") for x in ov["dead_letters"]), "40002: listed in the page's dead letters")
    checks.ok(any(r.get("event_id") == eid and r.get("code") == 40002 for r in ov["recent"]), "40002: recent shows the code")
    checks.eq(len(env.received(eid)), 0, "40002: nothing accepted by TikTok")
    st, doc = env.ss.admin("POST", "/api/admin/dlq/replay", {"id": d["id"]})
    checks.eq((st, doc), (200, {"replayed": 1}), "40002: replay")
    checks.eq(len(env.wait_received(eid)), 1, "40002: the replayed event is sent")


def token_rejected(env):
    st, _ = env.ss.admin("PUT", "/api/admin/ads/connection", {"pixel_id": PIXEL, "access_token": "wrong-token",
                                                              "offline_event_set_id": OFFLINE_SET})
    checks.eq(st, 200, "token: a wrong token saved")
    first = "ev-held-%d" % time.time_ns()
    env.post_events([env.store_event(first)])
    H.wait_until(lambda: env.connection()["token_rejected"], timeout=15, what="token rejected")
    msg = env.connection()["token_rejected"]
    checks.ok("40105" in msg, "token: the connection says TikTok refused the token: %s" % msg)
    H.wait_until(lambda: env.overview()["today"]["held"] >= 1, timeout=10, what="held")
    more = ["ev-held-more-%d-%d" % (time.time_ns(), i) for i in range(3)]
    env.post_events([env.store_event(x) for x in more])
    H.wait_until(lambda: env.overview()["today"]["held"] >= 4, timeout=10, what="held 4")
    checks.eq(len(env.received(first)), 0, "token: nothing accepted meanwhile")
    st, doc = env.ss.admin("PUT", "/api/admin/ads/connection", {"pixel_id": PIXEL, "access_token": ADS_TOKEN,
                                                                "offline_event_set_id": OFFLINE_SET})
    checks.eq((st, doc.get("token_rejected")), (200, None), "token: a new token clears the refusal")
    for x in [first] + more:
        env.wait_received(x)
    checks.ok(all(len(env.received(x)) == 1 for x in [first] + more), "token: the kept events are sent, once each")
    checks.eq(env.overview()["today"]["held"], 0, "token: nothing held any more")


def backlog_3000(env):
    env.ss.admin("PUT", "/api/admin/ads/connection", {"pixel_id": PIXEL, "access_token": "wrong-again",
                                                      "offline_event_set_id": OFFLINE_SET})
    tag = "bk%d" % time.time_ns()
    env.post_events([env.store_event(tag + "-0")])
    H.wait_until(lambda: env.connection()["token_rejected"], timeout=15, what="token rejected")
    for b in range(3):
        evs = [env.store_event("%s-%d" % (tag, 1 + b * 1000 + i)) for i in range(1000 if b < 2 else 999)]
        st, doc = env.post_events(evs)
        checks.eq((st, sum(r["status"] == "accepted" for r in doc["results"])), (202, len(evs)),
                  "backlog: batch %d accepted" % b)
    H.wait_until(lambda: env.overview()["today"]["held"] == 3000 and env.overview()["today"]["waiting"] == 0,
                 timeout=30, what="3,000 held")
    calls_before = len(env.events()["calls"])
    env.ss.admin("PUT", "/api/admin/ads/connection", {"pixel_id": PIXEL, "access_token": ADS_TOKEN,
                                                      "offline_event_set_id": OFFLINE_SET})
    H.wait_until(lambda: sum(1 for e in env.events()["events"] if e["event_id"].startswith(tag)) >= 3000,
                 timeout=60, what="3,000 events at TikTok")
    calls = env.events()["calls"][calls_before:]
    checks.eq([c["events"] for c in calls if c["code"] == 0], [1000, 1000, 1000],
              "backlog: 3,000 backlogged events go out in 3 calls of 1,000")
    checks.eq(sum(1 for e in env.events()["events"] if e["event_id"].startswith(tag)), 3000, "backlog: each once")


def batch_api(env):
    good = "ev-good-%d" % time.time_ns()
    events = [
        env.store_event(good, "InitiateCheckout", context={"page_url": "https://shop.example/cart",
                                                          "ip": "2001:db8::1", "user_agent": "UA"}),
        env.store_event("ev-bad-1", "BuySomething"),
        env.store_event("ev-bad-2", user={"email": "not-an-email", "phone": "call me", "nickname": "x"}),
        env.store_event("ev-bad-3", properties={"value": 10, "currency": "EURO",
                                                "contents": [{"content_id": 12345}]}),
        {"event_type": "ViewContent"},
        env.store_event(good, "InitiateCheckout"),
    ]
    st, doc = env.post_events(events, token=STOREFRONT_TOKEN)
    checks.eq(st, 202, "batch: 202 with the storefront token")
    r = doc["results"]
    checks.eq([x["status"] for x in r], ["accepted", "rejected", "rejected", "rejected", "rejected", "accepted"],
              "batch: a status per event")
    checks.eq((r[0]["event_id"], r[0]["duplicate"], r[5]["duplicate"]), (good, False, True),
              "batch: the same event twice is accepted once")
    checks.ok("event_type" in r[1]["error"] and "BuySomething" in r[1]["error"], "batch: bad event name named: %s" % r[1]["error"])
    checks.ok("user.email" in r[2]["error"] and "user.phone" in r[2]["error"] and "user.nickname" in r[2]["error"],
              "batch: every bad user field named: %s" % r[2]["error"])
    checks.ok("properties.currency" in r[3]["error"] and "contents[0].content_id" in r[3]["error"],
              "batch: bad properties named: %s" % r[3]["error"])
    checks.ok("event_id" in r[4]["error"], "batch: a missing event_id named")
    e = env.wait_received(good)[0]
    checks.eq((e["event"], e["user"].get("ip"), e["page"]["url"], e["properties"]["currency"]),
              ("InitiateCheckout", "2001:db8::1", "https://shop.example/cart", "EUR"), "batch: the good event as sent")
    checks.eq(e["user"]["email"], sha("someone@example.com"), "batch: email hashed")
    st, doc = H.jrequest("POST", env.ss.base + "/api/events", env.store_event("x", "Nope"),
                         {"Authorization": "Bearer " + STOREFRONT_TOKEN})
    checks.eq((st, doc["error"]["code"]), (400, "invalid_event"), "single: a bad event is a 400 naming it")
    one = "ev-single-%d" % time.time_ns()
    st, doc = H.jrequest("POST", env.ss.base + "/api/events", env.store_event(one, "AddToWishlist"),
                         {"Authorization": "Bearer " + STOREFRONT_TOKEN})
    checks.eq((st, doc["results"][0]["status"]), (202, "accepted"), "single: accepted")
    st, doc = H.jrequest("POST", env.ss.base + "/api/events", env.store_event("y"), {"Authorization": "Bearer nope"})
    checks.eq((st, doc["error"]["code"]), (401, "unauthorized"), "single: a wrong token is refused")
    st, doc = env.post_events([env.store_event("z%d" % i) for i in range(1001)])
    checks.eq((st, doc["error"]["code"]), (413, "too_many_events"), "batch: more than 1,000 events refused")
    env.wait_received(one)


def offline_csv(env):
    now = time.time()
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    good = "off-%d" % time.time_ns()
    csv = ("event,event_id,timestamp,email,phone,value,currency,order_id,shop_id,event_channel,content_id,"
           "content_name,content_type,content_category,brand,quantity,price\r\n"
           "Purchase,%s,%s,Shopper@Example.com,+44 20 7946 0958,24.50,gbp,ORD-1,store-7,in_store,LAV-8OZ,"
           "\"Lavender, 8 oz\",product,candles,Acme,2,12.25\r\n"
           "Purchase,old-1,%s,old@example.com,,10,USD,ORD-2,,in_store,,,,,,,\r\n"
           "Purchase,short-row,%s\r\n"
           "Purchase,bad-chan,%s,,,,,,,,,,,,,,\r\n"
           "Purchase,bad-2,%s,x@example.com,,5,USD,,,by_pigeon,,,,,,,\r\n"
           % (good, iso(now - 3600), iso(now - 40 * 86400), iso(now), iso(now), iso(now)))
    st, doc = H.jrequest("POST", env.ss.base + "/api/admin/ads/offline-events", csv,
                         {"Authorization": "Bearer " + H.ADMIN_TOKEN, "Content-Type": "text/csv"})
    checks.eq(st, 202, "offline: the upload is taken")
    r = doc["results"]
    checks.eq([(x["row"], x["status"]) for x in r],
              [(1, "accepted"), (2, "rejected"), (3, "rejected"), (4, "rejected"), (5, "rejected")], "offline: a result per row")
    checks.ok("older than 28 days" in r[1]["error"], "offline: the old row says why: %s" % r[1]["error"])
    checks.ok("fields" in r[2]["error"], "offline: the malformed row says why: %s" % r[2]["error"])
    checks.ok("email or phone" in r[3]["error"], "offline: email or phone required: %s" % r[3]["error"])
    checks.ok("event_channel" in r[4]["error"], "offline: a bad channel named: %s" % r[4]["error"])
    e = env.wait_received(good)[0]
    checks.eq((e["event_source"], e["event_source_id"]), ("offline", OFFLINE_SET), "offline: sent to the offline event set")
    checks.eq(e["user"], {"email": sha("shopper@example.com"), "phone": sha("+442079460958")}, "offline: email and phone hashed")
    p = e["properties"]
    checks.eq((p["value"], p["currency"], p["event_channel"], p["order_id"], p["shop_id"]),
              (24.5, "GBP", "in_store", "ORD-1", "store-7"), "offline: properties")
    checks.eq(p["contents"], [{"content_id": "LAV-8OZ", "content_name": "Lavender, 8 oz", "content_category": "candles",
                               "brand": "Acme", "quantity": 2, "price": 12.25}], "offline: contents")
    # JSON rows too; an unknown column is refused up front in a CSV.
    st, doc = env.ss.admin("POST", "/api/admin/ads/offline-events",
                           [{"event": "Purchase", "event_id": good, "timestamp": iso(now - 60), "email": "a@b.co"}])
    checks.eq((st, doc["results"][0]["status"], doc["results"][0]["duplicate"]), (202, "accepted", True),
              "offline: a JSON row with a known event_id is a duplicate")
    st, doc = H.jrequest("POST", env.ss.base + "/api/admin/ads/offline-events", "event,colour\nPurchase,red\n",
                         {"Authorization": "Bearer " + H.ADMIN_TOKEN, "Content-Type": "text/csv"})
    checks.eq((st, doc["error"]["code"]), (400, "invalid_csv"), "offline: an unknown column refuses the file")


def sandbox_checks(env):
    """The sandbox's Events API checks what TikTok checks."""
    url = env.sb.base + "/open_api/v1.3/event/track/"
    ev = {"event": "Purchase", "event_time": int(time.time()), "event_id": "sb-1", "user": {"email": sha("a@b.co")}}
    body = {"event_source": "web", "event_source_id": PIXEL, "data": [ev]}

    def track(b, token=ADS_TOKEN):
        h = {"Access-Token": token} if token is not None else {}
        return H.jrequest("POST", url, b, h)
    st, d = track(body, token=None)
    checks.eq((st, d["code"]), (200, 40104), "sandbox: no Access-Token is 40104")
    checks.eq(track(body, token="nope")[1]["code"], 40105, "sandbox: a wrong token is 40105")
    d = track(body)[1]
    checks.eq((d["code"], d["message"], d["data"]), (0, "OK", {}), "sandbox: a good call is code 0 with data {}")
    st, d = track(dict(body, data=[ev] * 1001))
    checks.ok(d["code"] == 40002 and "1000" in d["message"], "sandbox: more than 1,000 events is 40002: %s" % d["message"])
    st, d = track(dict(body, data=[dict(ev, user={"email": "a@b.co"})]))
    checks.ok(d["code"] == 40002 and "data[0].user.email" in d["message"], "sandbox: a plaintext email is 40002: %s" % d["message"])
    st, d = track(dict(body, event_source_id="OTHERPIXEL"))
    checks.eq(d["code"], 40001, "sandbox: an unknown pixel is 40001")
    env.faults(ads_fail_next=1, ads_fail_code=500)
    checks.eq(track(body)[0], 500, "sandbox: the 500 fault")
    checks.eq(env.faults(ads_fail_code=40105)[0], 200, "sandbox: the fault code is settable")
    checks.eq(env.faults(ads_fail_code=12345)[0], 400, "sandbox: an unknown fault code is refused")


def metrics(env):
    st, _, body = H.request("GET", env.ss.base + "/metrics")
    text = body.decode()
    checks.ok('shopsync_ads_events_total{source="stripe",result="sent"}' in text, "metrics: events by source and result")
    sent = [l for l in text.splitlines() if l.startswith('shopsync_ads_events_total{source="store",result="sent"}')]
    checks.ok(sent and int(sent[0].split()[-1]) > 0, "metrics: store events sent counted")


def consent(tmp, redis, sandbox):
    env = Env(tmp, redis, sandbox, {"TIKTOK_EVENTS_CONSENT": "required"}, name="consent-required")
    env.ss.start()
    try:
        base = "cs_test_consent_%d" % time.time_ns()
        none, denied, granted = base + "_none", base + "_denied", base + "_granted"
        obj = sale_object(none)
        env.post_stripe(stripe_event("checkout.session.completed", obj))
        env.post_stripe(stripe_event("checkout.session.completed", sale_object(denied, tiktok_consent="denied")))
        env.post_stripe(stripe_event("checkout.session.completed", sale_object(granted, tiktok_consent="granted")))
        env.wait_received(granted)
        checks.eq((len(env.received(none)), len(env.received(denied))), (0, 0),
                  "consent required: a session without granted consent, or denied, is not sent")
    finally:
        env.ss.stop()
    env = Env(tmp, redis, sandbox, name="consent-assumed")
    env.ss.start()
    try:
        base = "cs_test_assumed_%d" % time.time_ns()
        env.post_stripe(stripe_event("checkout.session.completed", sale_object(base + "_denied", tiktok_consent="denied")))
        env.post_stripe(stripe_event("checkout.session.completed", sale_object(base + "_none")))
        env.wait_received(base + "_none")
        checks.eq(len(env.received(base + "_denied")), 0, "consent assumed: denied is still never sent")
    finally:
        env.ss.stop()


SECTIONS = ["stripe_sale", "retry_40100", "dead_40002", "token_rejected", "backlog_3000", "batch_api",
            "offline_csv", "sandbox_checks", "metrics", "consent"]


def main():
    want = H.selected_sections(SECTIONS, needs={"metrics": ["stripe_sale", "batch_api"]})
    tmp = H.TempDir()
    redis = H.Redis(tmp.path).start()
    sandbox = H.Sandbox(tmp.path).start()
    env = Env(tmp, redis, sandbox)
    t0 = time.time()
    try:
        env.ss.start()
        catalog = {"products": [{"id": "lavender", "title": "Lavender", "skus": [
            {"sku": "LAV-8OZ", "price": "24.99", "currency": "USD", "stock": 100}]}]}
        env.ss.admin("POST", "/api/admin/products/import", catalog)
        for name in SECTIONS[:-1]:
            if name in want:
                checks.section(name, lambda _c, fn, e: fn(e), globals()[name], env)
        env.ss.stop()
        if "consent" in want:
            checks.section("consent", lambda _c: consent(tmp, redis, sandbox))
    finally:
        sandbox.stop()
        H.teardown(checks, env.ss, redis, tmp)
    print("# total: %.1f s" % (time.time() - t0), flush=True)
    checks.done()


if __name__ == "__main__":
    main()
