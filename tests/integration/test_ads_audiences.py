"""Custom audiences from real buyers, against the sandbox's TikTok DMP.

Buyers arrive as signed Stripe checkout webhooks through the real intake.
Bad audience bodies name each bad field; an audience under 1,000 buyers
waits ("N of 1,000 buyers") and nothing is created at TikTok; at 1,000+ the
first sync uploads the hashes and creates it, with exactly the buyers' hashes;
a Stripe retry of a session adds no second order and a denied buyer is in no
audience; a later sync APPENDs new buyers and REMOVEs those who aged out of
bought_within_days; an erased buyer (by email, by phone) is REMOVEd at the
next sync and counted in /metrics; a file the sandbox receives damaged is
refused for its MD5 and the audience shows why, then the next sync passes;
40105 asks for a reconnect; no key or value in Redis holds a plaintext email
or phone number.

Sections run alone with: test_ads_audiences.py SECTION [SECTION ...]
"""
import concurrent.futures
import hashlib
import json
import subprocess
import time
import urllib.parse

import harness as H
import propagation_util as P

checks = H.Checks("ads_audiences")

APP_ID = "7400000000000000001"
APP_SECRET = "sandbox-ads-app-secret"
US = "7200000000000000001"
DAY = 86400
# Buyers who bought this long before 30 days ran out: they age out of
# bought_within_days 30 while the test runs.
AGING_MARGIN_S = 60


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


def email_of(n):
    return "Buyer%05d@Audience.Example" % n


def email_hash(n):
    return sha(email_of(n).lower())


def phone_of(n):
    return "+1 (415) 555-%04d" % n


def phone_hash(n):
    return sha("+1415555%04d" % n)


class Env:
    def __init__(self, tmp, redis):
        self.sb, self.ss = H.ads_pair(tmp.path, redis.url, APP_ID, APP_SECRET)
        self.redis = redis
        self.ids = {}
        self.buyers = {}  # n -> created

    def mapi(self, **kw):
        return H.ads_mapi(self.sb, **kw)

    def post_sale(self, n, created, sku="CANDLE-A", session=None, event_type="checkout.session.completed", **meta):
        sid = session or "cs_aud_%05d" % n
        details = {"email": email_of(n), "name": "Buyer %d" % n}
        if n % 3 == 0:
            details["phone"] = phone_of(n)
        metadata = {"shopsync_items": sku + ":1"}
        metadata.update(meta)
        obj = {"id": sid, "object": "checkout.session", "payment_status": "paid", "amount_total": 2500 + n,
               "currency": "usd", "created": created, "customer": "cus_aud%05d" % n, "customer_details": details,
               "metadata": metadata}
        body = P.stripe_event(event_type, obj, "evt_%s_%d" % (sid, time.time_ns()))
        st, doc = H.jrequest("POST", self.ss.base + "/api/stripe/webhook", body,
                             {"Stripe-Signature": H.stripe_signature_header(body), "Content-Type": "application/json"})
        assert st == 200, (st, doc)
        return sid

    def seed(self, numbers, created):
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: self.post_sale(n, created), numbers))
        for n in numbers:
            self.buyers[n] = created
        self.wait_buyers(len(self.buyers))

    def wait_buyers(self, n):
        H.wait_until(lambda: self.ss.admin("GET", "/api/admin/audiences")[1]["buyers"] == n, timeout=120,
                     what="%d buyers recorded" % n)

    def audience(self, key):
        st, doc = self.ss.admin("GET", "/api/admin/audiences/" + self.ids[key])
        assert st == 200, (st, doc)
        return doc

    def sync(self, key):
        return self.ss.admin("POST", "/api/admin/audiences/%s/sync" % self.ids[key])

    def tiktok(self, audience_id):
        doc = H.jrequest("GET", self.sb.base + "/sandbox/ads/audiences?members=1")[1]
        return next((a for a in doc["audiences"] if a["custom_audience_id"] == audience_id), None)


def connect(env):
    _, callback = H.ads_approve(env.ss, env.sb, APP_ID)
    H.request("GET", callback)
    st, acct = env.ss.admin("PUT", "/api/admin/ads/account", {"advertiser_ids": [US]})
    checks.eq((st, acct["connected"], acct["selected"]), (200, True, [US]), "TikTok Ads account connected, US picked")


def validation(env):
    st, doc = env.ss.admin("POST", "/api/admin/audiences", {"name": "", "advertiser_id": "x1", "id_type": "EMAIL",
                                                            "rule": {"kind": "bought_within_days", "days": 0}})
    msg = doc["error"]["message"]
    checks.eq((st, doc["error"]["code"]), (400, "invalid_field"), "a bad audience is refused")
    for field in ("name:", "advertiser_id:", "id_type:", "rule.days:"):
        checks.ok(field in msg, "the refusal names %s (%s)" % (field, msg))
    st, doc = env.ss.admin("POST", "/api/admin/audiences", {"name": "x", "advertiser_id": US, "id_type": "EMAIL_SHA256",
                                                            "rule": {"kind": "min_value", "value": "ten"}})
    checks.ok(st == 400 and "rule.currency" in doc["error"]["message"] and "rule.value" in doc["error"]["message"],
              "min_value names its currency and value: %s" % doc)
    st, doc = env.ss.admin("POST", "/api/admin/audiences", {"name": "x", "advertiser_id": US,
                                                            "id_type": "EMAIL_SHA256", "rule": {"kind": "everyone"}})
    checks.ok(st == 400 and "rule.kind" in doc["error"]["message"], "an unknown rule kind is named")
    st, doc = env.ss.admin("GET", "/api/admin/audiences/0123456789abcdef")
    checks.eq(st, 404, "an unknown audience is 404")


def waiting(env):
    now = int(time.time())
    env.seed(range(1, 901), now - 2 * DAY)
    for key, rule in (("all", {"kind": "all_buyers"}), ("recent", {"kind": "bought_within_days", "days": 30}),
                      ("phones", {"kind": "all_buyers"}), ("sku_b", {"kind": "bought_sku", "sku": "CANDLE-B"}),
                      ("repeat", {"kind": "min_orders", "orders": 2}),
                      ("big", {"kind": "min_value", "value": "25.50", "currency": "USD"})):
        st, a = env.ss.admin("POST", "/api/admin/audiences", {
            "name": "Shop buyers: " + key, "advertiser_id": US,
            "id_type": "PHONE_SHA256" if key == "phones" else "EMAIL_SHA256", "rule": rule})
        checks.eq(st, 201, "audience %s created here" % key)
        env.ids[key] = a["id"]
    a = env.audience("all")
    checks.eq((a["members"], a["status"], a["tiktok_audience_id"]), (900, "900 of 1,000 buyers", None),
              "900 buyers: waiting for 1,000")
    checks.eq(env.audience("phones")["members"], 300, "every third buyer gave a phone")
    checks.eq(env.audience("big")["members"], 851, "min_value 25.50 USD: amounts 25.50 and up")
    st, a = env.sync("all")
    checks.eq((st, a["tiktok_audience_id"], a["error"], a["status"]), (200, None, None, "900 of 1,000 buyers"),
              "a sync under 1,000 creates nothing")
    doc = H.jrequest("GET", env.sb.base + "/sandbox/ads/audiences")[1]
    checks.eq((doc["audiences"], doc["uploads"]), ([], 0), "nothing reached TikTok")


def create(env):
    now = int(time.time())
    env.seed(range(901, 1051), now - 3 * DAY)
    env.seed(range(1051, 1111), now - 30 * DAY + AGING_MARGIN_S)
    env.aging_until = now + AGING_MARGIN_S + 2
    st, a = env.sync("all")
    checks.eq((st, a["error"], a["members"], a["synced_members"]), (200, None, 1110, 1110), "1,110 buyers: synced")
    checks.ok(a["tiktok_audience_id"] is not None and a["status"] == "synced", "the audience exists at TikTok")
    t = env.tiktok(a["tiktok_audience_id"])
    checks.eq((t["custom_audience_name"], t["calculate_type"], t["advertiser_id"]),
              ("Shop buyers: all", "EMAIL_SHA256", US), "created with its name, type and advertiser")
    checks.eq(sorted(t["members"]), sorted(email_hash(n) for n in range(1, 1111)),
              "TikTok holds exactly the buyers' email hashes")
    st, r = env.sync("recent")
    checks.eq((st, r["members"], r["error"]), (200, 1110, None), "bought_within_days 30: 1,110 created")
    st, p = env.sync("phones")
    checks.eq((p["status"], p["tiktok_audience_id"]), ("370 of 1,000 buyers", None), "phone audience waits at 370")
    # A retry of a session (another event for it) adds no order; a second
    # session does.
    env.post_sale(5, now - DAY, event_type="checkout.session.async_payment_succeeded")
    env.post_sale(6, now - DAY, session="cs_aud_again_6", sku="CANDLE-B")
    env.post_sale(1200, now - DAY, tiktok_consent="denied")
    env.post_sale(7, now - DAY, session="cs_aud_denied_7", tiktok_consent="denied")
    H.wait_until(lambda: env.audience("repeat")["members"] == 1 and env.audience("sku_b")["members"] == 1,
                 timeout=30, what="second order of buyer 6")
    checks.eq(env.audience("repeat")["members"], 1, "a retried session adds no order: only buyer 6 has two")
    checks.eq(env.ss.admin("GET", "/api/admin/audiences")[1]["buyers"], 1110, "a denied new buyer is not recorded")
    checks.eq(env.audience("all")["members"], 1109, "a buyer who denied consent leaves the audience")


def append_remove(env):
    now = int(time.time())
    env.seed(range(2001, 2021), now - 60)
    H.wait_until(lambda: time.time() > env.aging_until, timeout=AGING_MARGIN_S + 30, what="aging buyers")
    st, a = env.sync("recent")
    res = a["last_sync_result"]
    checks.eq((st, a["error"], res["appended"], res["removed"]), (200, None, 20, 61),
              "APPEND 20 new buyers, REMOVE 60 aged out and the denied one")
    t = env.tiktok(a["tiktok_audience_id"])
    want = sorted(email_hash(n) for n in list(range(1, 1051)) + list(range(2001, 2021)) if n != 7)
    checks.eq(sorted(t["members"]), want, "TikTok holds the recent buyers only")
    checks.eq((t["appends"], t["removes"], a["synced_members"]), (1, 1, len(want)), "one update each way")
    st, a = env.sync("recent")
    checks.eq((a["last_sync_result"]["appended"], a["last_sync_result"]["removed"]), (0, 0),
              "a sync without change uploads nothing")


def erasure(env):
    q = urllib.parse.urlencode({"email": "  " + email_of(42).upper()})
    st, doc = env.ss.admin("DELETE", "/api/admin/customers?" + q)
    checks.eq((st, doc.get("erased")), (200, True), "erase a buyer by email (any case)")
    st, doc = env.ss.admin("DELETE", "/api/admin/customers?" + q)
    checks.eq(st, 404, "a second erasure finds nobody")
    st, doc = env.ss.admin("DELETE", "/api/admin/customers?" + urllib.parse.urlencode({"phone": phone_of(99)}))
    checks.eq(st, 200, "erase a buyer by phone")
    for n in (42, 99):
        del env.buyers[n]
    checks.eq(env.ss.admin("GET", "/api/admin/audiences")[1]["buyers"], len(env.buyers), "two buyers fewer")
    st, doc = env.ss.admin("DELETE", "/api/admin/customers?phone=abc")
    checks.eq((st, doc["error"]["code"]), (400, "invalid_field"), "a phone that is no phone number is refused")
    st, doc = env.ss.admin("DELETE", "/api/admin/customers")
    checks.eq(st, 400, "email or phone is required")
    st, a = env.sync("all")
    t = env.tiktok(a["tiktok_audience_id"])
    checks.eq((a["error"], a["last_sync_result"]["appended"], a["last_sync_result"]["removed"]), (None, 20, 3),
              "the next sync REMOVEs the two erased (and the denied one), APPENDs the 20 new")
    checks.ok(email_hash(42) not in t["members"] and email_hash(99) not in t["members"],
              "TikTok no longer holds them")
    st, _, body = H.request("GET", env.ss.base + "/metrics")
    checks.ok("shopsync_ads_buyer_erasures_total 2" in body.decode(), "/metrics counts 2 erasures")


def bad_md5(env):
    env.seed([3001], int(time.time()) - 60)
    st, doc = env.mapi(dmp_corrupt_next=1)
    checks.eq(st, 200, "the sandbox will damage the next file")
    st, a = env.sync("all")
    checks.eq(st, 200, "the sync ran")
    checks.ok("file_signature" in (a["error"] or "") and "TikTok refused" in (a["error"] or ""),
              "the audience says TikTok refused the file's signature: %s" % a["error"])
    checks.eq(env.audience("all")["error"], a["error"], "the error stays on the audience")
    st, a = env.sync("all")
    checks.eq((st, a["error"], a["last_sync_result"]["appended"]), (200, None, 1), "the next sync appends it")


def token_40105(env):
    env.seed([3002], int(time.time()) - 60)
    env.mapi(fail_next=1, fail_code=40105)
    st, a = env.sync("all")
    checks.ok(st == 200 and "reconnect" in (a["error"] or ""), "40105: the audience asks to reconnect")
    acct = env.ss.admin("GET", "/api/admin/ads/account")[1]
    checks.ok(acct["reconnect"], "the account is marked for reconnection")


def redis_pipe(env, commands):
    """Run commands (lists of words) through one redis-cli; its raw output."""
    text = "".join(" ".join(json.dumps(w) for w in c) + "\n" for c in commands)
    out = subprocess.run(["redis-cli", "-p", str(env.redis.port), "--raw"], input=text, capture_output=True,
                         text=True, timeout=120)
    return out.stdout


def no_plaintext(env):
    keys = [k for k in env.redis.cli("--scan").split("\n") if k]
    checks.ok(any(k.endswith(":ads:buyers") for k in keys), "the buyers are in Redis (%d keys)" % len(keys))
    types = redis_pipe(env, [["TYPE", k] for k in keys]).split("\n")
    read = {"string": ["GET"], "hash": ["HGETALL"], "set": ["SMEMBERS"], "list": ["LRANGE", "0", "-1"],
            "zset": ["ZRANGE", "0", "-1", "WITHSCORES"], "stream": ["XRANGE", "-", "+"]}
    commands = []
    for k, t in zip(keys, types):
        if t not in read:
            checks.ok(False, "key %s of unexpected type %s" % (k, t))
            continue
        commands.append([read[t][0], k] + read[t][1:])
    text = ("\n".join(keys) + redis_pipe(env, commands)).lower()
    checks.ok("audience.example" not in text, "no email address in any key or value")
    checks.ok("415555" not in text and "(415)" not in text and "555-" not in text,
              "no phone number in any key or value")
    checks.ok(email_hash(1) in text and phone_hash(3) in text, "the hashes are there instead")


SECTIONS = ["connect", "validation", "waiting", "create", "append_remove", "erasure", "bad_md5", "token_40105",
            "no_plaintext"]


def main():
    H.run_env_sections(checks, SECTIONS, Env, globals())


if __name__ == "__main__":
    main()
