"""Revenue and ad spend: the TikTok Ads account, the spend sync, revenue from
both channels and the daily report, against the sandbox.

OAuth refuses a forged and a reused state; the first spend sync pulls 90
days in 30-day windows of several pages, and the report's spend for a range
crossing a window boundary equals what the sandbox's report says day by day;
a re-sync after TikTok revised the last 7 days takes the new figures without
counting anything twice; the TikTok Shop backfill, live orders (one
cancelled, one webhook resent) and Stripe checkouts (one redelivered) each
count once; a hand-checked day's ROAS and average order value; the same as
CSV and from the command line; 40105 asks for a reconnect, which clears it;
disconnect revokes the token at TikTok.

Sections run alone with: test_ads_report.py SECTION [SECTION ...]
"""
import datetime
import json
import re
import time
import urllib.parse
from decimal import ROUND_HALF_UP, Decimal

import harness as H
import propagation_util as P

checks = H.Checks("ads_report")

APP_ID = "7400000000000000001"
APP_SECRET = "sandbox-ads-app-secret"
US, EU = "7200000000000000001", "7200000000000000002"
M64 = (1 << 64) - 1


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def iso(d):
    return d.isoformat()


class Env:
    def __init__(self, tmp, redis):
        self.sb, self.ss = H.ads_pair(tmp.path, redis.url, APP_ID, APP_SECRET,
                                      sandbox_env={"SANDBOX_ORDER_HISTORY_DAYS": "90"})
        self.redis = redis

    def report(self, frm, to, **q):
        q.update({"from": iso(frm), "to": iso(to)})
        return self.ss.admin("GET", "/api/admin/reports/daily?" + urllib.parse.urlencode(q))

    def day(self, rep, d, cur="USD"):
        return next((x for x in rep["days"] if x["date"] == iso(d) and x["currency"] == cur), None)

    def sync(self):
        return self.ss.admin("POST", "/api/admin/ads/spend/sync?wait=1")

    def mapi(self, **kw):
        return H.ads_mapi(self.sb, **kw)

    def sandbox_token(self):
        """A Marketing API token of the test's own, to read the sandbox's
        report independently of shopsync."""
        fields = H.ads_approve_fields(self.sb, APP_ID, "s", "http://example.invalid/cb")
        st, h, _ = H.request("POST", self.sb.base + "/portal/auth", urllib.parse.urlencode(fields),
                             {"Content-Type": "application/x-www-form-urlencoded"})
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(h["location"]).query)["auth_code"][0]
        st, doc = H.jrequest("POST", self.sb.base + "/open_api/v1.3/oauth2/access_token/",
                             {"app_id": APP_ID, "secret": APP_SECRET, "auth_code": code})
        return doc["data"]["access_token"]

    def sandbox_spend(self, token, adv, frm, to):
        """Per day: spend (Decimal), impressions, clicks, conversions, from
        the sandbox's report, page by page, 30 days at a time."""
        out = {}
        start = frm
        while start <= to:
            end = min(to, start + datetime.timedelta(days=29))
            page, pages = 1, 1
            while page <= pages:
                q = {"advertiser_id": adv, "report_type": "BASIC", "data_level": "AUCTION_CAMPAIGN",
                     "dimensions": json.dumps(["campaign_id", "stat_time_day"]),
                     "metrics": json.dumps(["spend", "impressions", "clicks", "conversion"]),
                     "start_date": iso(start), "end_date": iso(end), "page": page, "page_size": 1000}
                st, doc = H.jrequest("GET", self.sb.base + "/open_api/v1.3/report/integrated/get/?" +
                                     urllib.parse.urlencode(q), headers={"Access-Token": token})
                assert doc["code"] == 0, doc
                pages = doc["data"]["page_info"]["total_page"]
                for row in doc["data"]["list"]:
                    d = row["dimensions"]["stat_time_day"][:10]
                    m = row["metrics"]
                    t = out.setdefault(d, [Decimal("0"), 0, 0, 0])
                    val = lambda k: 0 if m[k] == "-" else int(m[k])
                    t[0] += Decimal("0") if m["spend"] == "-" else Decimal(m["spend"])
                    t[1] += val("impressions")
                    t[2] += val("clicks")
                    t[3] += val("conversion")
                page += 1
            start = end + datetime.timedelta(days=1)
        return out


def oauth(env):
    authorize, callback = H.ads_approve(env.ss, env.sb, APP_ID)
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize).query)
    checks.ok(authorize.startswith(env.sb.base + "/portal/auth?"), "start redirects to the authorize URL")
    checks.eq((q["app_id"], q["redirect_uri"]), ([APP_ID], [env.ss.base + "/api/admin/ads/oauth/callback"]),
              "authorize URL carries app_id and the redirect_uri")
    checks.ok(re.fullmatch(r"[0-9a-f]{64}", q["state"][0]) is not None, "a random state")
    forged = callback.replace(q["state"][0], "ab" * 32)
    st, doc = H.jrequest("GET", forged)
    checks.eq((st, doc["error"]["code"]), (400, "invalid_state"), "a forged state is refused")
    st, h, _ = H.request("GET", callback)
    checks.eq((st, h.get("location")), (302, "/admin/tiktok-shop?ads_connected=1#tiktok-ads"), "callback connects")
    st, doc = H.jrequest("GET", callback)
    checks.eq((st, doc["error"]["code"]), (400, "invalid_state"), "the same state a second time is refused")
    st, acct = env.ss.admin("GET", "/api/admin/ads/account")
    checks.eq((acct["connected"], [(a["id"], a["currency"], a["timezone"]) for a in acct["advertisers"]]),
              (True, [(US, "USD", "America/Los_Angeles"), (EU, "EUR", "Europe/Berlin")]),
              "the account's advertisers with currency and time zone")
    checks.eq(acct["selected"], [], "two advertisers: none picked by itself")
    checks.eq(env.sync()[1]["error"]["code"], "no_advertiser", "no sync before an advertiser is picked")
    st, doc = env.ss.admin("PUT", "/api/admin/ads/account", {"advertiser_ids": ["123"]})
    checks.eq((st, doc["error"]["code"]), (400, "invalid_field"), "an unknown advertiser is refused")
    st, acct = env.ss.admin("PUT", "/api/admin/ads/account", {"advertiser_ids": [US]})
    checks.eq((st, acct["selected"]), (200, [US]), "the US advertiser picked")
    sealed = env.redis.cli("HGET", "shopsync:ads:account", "token").strip()
    checks.ok(len(sealed) > 60 and not re.fullmatch(r"[0-9a-f]{48}", sealed), "the token is stored sealed: %s" % sealed[:12])


def spend(env):
    st, job = env.sync()
    checks.eq((st, job["state"]), (200, "done"), "first spend sync done")
    a = job["advertisers"][0]
    t = today()
    checks.eq((a["from"], a["to"], a["windows"]),
              (iso(t - datetime.timedelta(days=89)), iso(t + datetime.timedelta(days=1)), 4),
              "first sync: 90 days (and tomorrow) in 4 windows of at most 30 days")
    checks.eq((a["pages"], a["rows"]), (7, 90 * 40), "two pages of 1,000 rows per full window")
    env.token = env.sandbox_token()
    frm, to = t - datetime.timedelta(days=45), t - datetime.timedelta(days=10)
    want = env.sandbox_spend(env.token, US, frm, to)
    st, rep = env.report(frm, to)
    got = {x["date"]: [Decimal(str(x["ad_spend"])), x["impressions"], x["clicks"], x["conversions"]]
           for x in rep["days"] if x["currency"] == "USD"}
    checks.eq(len(got), 36, "36 days in the range")
    bad = [d for d in want if want[d] != got.get(d)]
    checks.eq(bad, [], "every day's spend, impressions, clicks and conversions as TikTok reported them")
    total = sum((v[0] for v in want.values()), Decimal("0"))
    checks.eq(Decimal(str(rep["totals"]["USD"]["ad_spend"])), total, "the range's total spend")
    st, camps = env.ss.admin("GET", "/api/admin/reports/campaigns?from=%s&to=%s" % (iso(frm), iso(to)))
    checks.eq(len(camps["campaigns"]), 40, "40 campaigns")
    checks.eq(sum(Decimal(str(c["spend"])) for c in camps["campaigns"]), total, "campaign spend adds up")
    checks.ok(camps["campaigns"][0]["spend"] >= camps["campaigns"][-1]["spend"] and
              camps["campaigns"][0]["campaign_name"].startswith("USD campaign"), "by spend, with names")


def resync(env):
    t = today()
    frm, to = t - datetime.timedelta(days=20), t
    before = env.report(frm, to)[1]
    checks.eq(env.mapi(revise=True)[0], 200, "TikTok revises the last 7 days")
    st, job = env.sync()
    a = job["advertisers"][0]
    checks.eq((job["state"], a["from"], a["windows"]), ("done", iso(t - datetime.timedelta(days=6)), 1),
              "a later sync pulls the last 7 days again")
    after = env.report(frm, to)[1]
    want = env.sandbox_spend(env.token, US, frm, to)
    old = {x["date"]: x["ad_spend"] for x in before["days"] if x["currency"] == "USD"}
    new = {x["date"]: x["ad_spend"] for x in after["days"] if x["currency"] == "USD"}
    recent = [iso(t - datetime.timedelta(days=k)) for k in range(7)]
    checks.ok(any(old[d] != new[d] for d in recent), "revised days changed")
    checks.eq([d for d in old if d not in recent and old[d] != new[d]], [], "older days unchanged")
    checks.eq([d for d in new if Decimal(str(new[d])) != want.get(d, [Decimal("0")])[0]], [],
              "each day is TikTok's latest figure, never old + new")
    checks.eq(Decimal(str(after["totals"]["USD"]["ad_spend"])), sum((v[0] for v in want.values()), Decimal("0")),
              "total after the re-sync")


def mix(day, k):
    h = 1469598103934665603 ^ (day & M64)
    h = ((h ^ k) * 1099511628211) & M64
    h ^= h >> 29
    h = (h * 0xbf58476d1ce4e5b9) & M64
    return h ^ (h >> 32)


def history(d):
    """The sandbox's generated orders of day d: (orders, gmv, cancelled)."""
    day = (d - datetime.date(1970, 1, 1)).days
    n, gmv, cancelled = 0, Decimal("0"), 0
    for k in range(1, 2 + mix(day, 0) % 4):
        h = mix(day, k)
        if (h >> 40) % 9 == 0:
            cancelled += 1
        else:
            n += 1
            gmv += Decimal(500 + (h >> 20) % 9500) / 100
    return n, gmv, cancelled


def stripe_sale(env, session, cents, currency="usd"):
    obj = {"id": session, "object": "checkout.session", "payment_status": "paid", "amount_total": cents,
           "currency": currency, "created": int(time.time()), "metadata": {"shopsync_items": "LAV-8OZ:1"}}
    body = P.stripe_event("checkout.session.completed", obj, "evt_" + session)
    return H.jrequest("POST", env.ss.base + "/api/stripe/webhook", body,
                      {"Stripe-Signature": H.stripe_signature_header(body), "Content-Type": "application/json"})


def revenue(env):
    t = today()
    _, st, h = H.connect_shop(env.ss, env.sb)
    checks.eq(st, 302, "TikTok Shop connected")
    H.wait_until(lambda: (env.report(t, t)[1].get("tiktok_shop_backfill") or {}).get("state") == "done",
                 timeout=60, what="revenue backfill")
    frm, to = t - datetime.timedelta(days=88), t - datetime.timedelta(days=1)
    rep = env.report(frm, to)[1]
    bad = []
    for i in range(88):
        d = frm + datetime.timedelta(days=i)
        row = env.day(rep, d) or {"tiktok_shop_orders": 0, "tiktok_shop_gmv": 0, "tiktok_shop_cancelled": 0}
        if (row["tiktok_shop_orders"], Decimal(str(row["tiktok_shop_gmv"])), row["tiktok_shop_cancelled"]) != history(d):
            bad.append(iso(d))
    checks.eq(bad, [], "backfill: every day's TikTok Shop orders, GMV and cancellations")
    catalog = {"products": [{"id": "lavender", "title": "Lavender", "category_id": "600001",
                             "images": [env.ss.base + "/static/sample-lavender.png"], "skus": [
        {"sku": "LAV-8OZ", "price": "24.00", "currency": "USD", "stock": 100}]}]}
    env.ss.admin("POST", "/api/admin/products/import", catalog)
    st, job = env.ss.admin("POST", "/api/admin/tiktok/sync?wait=1")
    checks.eq((job["state"], job["failed"]), ("done", 0), "products on TikTok Shop")
    ids = []
    for q in (1, 2, 3):
        st, doc = H.jrequest("POST", env.sb.base + "/sandbox/orders", {"seller_sku": "LAV-8OZ", "quantity": q})
        checks.eq(st, 201, "a TikTok order of %d" % q)
        ids.append(doc["order_id"])
    H.jrequest("POST", env.sb.base + "/sandbox/orders/%s/cancel" % ids[2], {})
    H.jrequest("POST", env.sb.base + "/sandbox/webhooks/resend", {"order_id": ids[0], "type": 1})
    stripe_sale(env, "cs_test_report_a", 4999)
    stripe_sale(env, "cs_test_report_a", 4999)
    stripe_sale(env, "cs_test_report_b", 2500)
    H.wait_until(lambda: (env.day(env.report(t, t)[1], t) or {}).get("tiktok_shop_cancelled") == 1 and
                 env.day(env.report(t, t)[1], t)["web_orders"] == 2, timeout=30, what="live sales counted")
    time.sleep(1.5)
    row = env.day(env.report(t, t)[1], t)
    checks.eq((row["tiktok_shop_orders"], row["tiktok_shop_gmv"], row["tiktok_shop_cancelled"]), (2, 72.0, 1),
              "live orders: two counted (24 + 48), the cancelled one apart, a resent webhook once")
    checks.eq((row["web_orders"], row["web_revenue"]), (2, 74.99), "two checkouts, a redelivered one once")
    env.hand_day = row


def arithmetic(env):
    t = today()
    row = env.day(env.report(t, t)[1], t)
    want = env.sandbox_spend(env.token, US, t, t).get(iso(t), [Decimal("0")])[0]
    checks.eq(Decimal(str(row["ad_spend"])), want, "today's spend is TikTok's")
    revenue_total = Decimal("74.99") + Decimal("72.00")
    roas = (revenue_total / want).quantize(Decimal("0.01"), ROUND_HALF_UP) if want else None
    checks.eq(None if row["roas"] is None else Decimal(str(row["roas"])), roas,
              "ROAS = (74.99 + 72.00) / spend, rounded half up")
    checks.eq(row["tiktok_shop_aov"], 36.0, "average order value 72.00 / 2")
    frm = t - datetime.timedelta(days=29)
    rep = env.report(frm, t)[1]
    tot = rep["totals"]["USD"]
    for k in ("web_orders", "tiktok_shop_orders", "tiktok_shop_cancelled", "impressions", "clicks", "conversions"):
        checks.eq(tot[k], sum(x[k] for x in rep["days"] if x["currency"] == "USD"), "total %s is the sum" % k)
    s = sum(Decimal(str(x["ad_spend"])) for x in rep["days"])
    r = sum(Decimal(str(x["web_revenue"])) + Decimal(str(x["tiktok_shop_gmv"])) for x in rep["days"])
    checks.eq(Decimal(str(tot["roas"])), (r / s).quantize(Decimal("0.01"), ROUND_HALF_UP), "total ROAS")
    st, doc = env.ss.admin("GET", "/api/admin/reports/daily?from=%s&to=%s" % (iso(t), iso(frm)))
    checks.eq((st, doc["error"]["code"]), (400, "invalid_range"), "from after to refused")
    st, doc = env.ss.admin("GET", "/api/admin/reports/daily?from=2024-01-01&to=2025-01-01")
    checks.eq((st, doc["error"]["code"]), (400, "invalid_range"), "367 days refused")
    st, doc = env.ss.admin("GET", "/api/admin/reports/daily?from=2025-02-30&to=2025-03-01")
    checks.eq((st, doc["error"]["code"]), (400, "invalid_range"), "an impossible date refused")


def csv(env):
    t = today()
    frm = t - datetime.timedelta(days=6)
    q = "/api/admin/reports/daily?from=%s&to=%s" % (iso(frm), iso(t))
    auth = {"Authorization": "Bearer " + H.ADMIN_TOKEN}
    st, h, body = H.request("GET", env.ss.base + q + "&format=csv", headers=auth)
    lines = body.decode().splitlines()
    checks.eq((st, h.get("content-type", "").split(";")[0]), (200, "text/csv"), "format=csv gives text/csv")
    checks.ok("attachment" in h.get("content-disposition", ""), "as a download")
    checks.eq(lines[0].split(",")[:12], ["date", "currency", "web_orders", "web_revenue", "tiktok_shop_orders",
                                         "tiktok_shop_gmv", "tiktok_shop_cancelled", "ad_spend", "impressions",
                                         "clicks", "conversions", "roas"], "CSV header")
    rep = env.report(frm, t)[1]
    last = lines[-1].split(",")
    row = env.day(rep, t)
    checks.eq((last[0], int(last[2]), Decimal(last[3]), Decimal(last[7])),
              (iso(t), row["web_orders"], Decimal(str(row["web_revenue"])), Decimal(str(row["ad_spend"]))),
              "CSV row as the JSON day")
    st2, _, body2 = H.request("GET", env.ss.base + q, headers=dict(auth, Accept="text/csv"))
    checks.eq(body2, body, "Accept: text/csv gives the same")
    out = env.ss.cli("report", "--from", iso(frm), "--to", iso(t), "--csv")
    checks.eq((out.returncode, out.stdout), (0, body.decode().replace("\r\n", "\n")),
              "shopsync report --csv prints the same")
    out = env.ss.cli("spend-sync")
    checks.ok(out.returncode == 0 and "done" in out.stdout, "shopsync spend-sync: %s" % out.stdout.strip()[:120])


def token_40105(env):
    env.mapi(fail_next=1, fail_code=40105)
    st, job = env.sync()
    checks.eq(job["state"], "failed", "a refused token fails the sync")
    checks.ok("40105" in (job["error"] or ""), "the job says 40105")
    acct = env.ss.admin("GET", "/api/admin/ads/account")[1]
    checks.ok(acct["reconnect"] and "reconnect" in (acct["error"] or ""), "the account asks to reconnect")
    _, callback = H.ads_approve(env.ss, env.sb, APP_ID)
    H.request("GET", callback)
    acct = env.ss.admin("GET", "/api/admin/ads/account")[1]
    checks.eq((acct["connected"], acct["reconnect"], acct["error"], acct["selected"]), (True, False, None, [US]),
              "reconnecting clears it and keeps the selection")


def disconnect(env):
    before = H.jrequest("GET", env.sb.base + "/sandbox/ads/marketing")[1]["tokens"]
    st, acct = env.ss.admin("POST", "/api/admin/ads/oauth/disconnect")
    checks.eq((st, acct["connected"]), (200, False), "disconnected")
    checks.eq(H.jrequest("GET", env.sb.base + "/sandbox/ads/marketing")[1]["tokens"], before - 1,
              "the token revoked at TikTok")
    checks.eq(env.sync()[1]["error"]["code"], "not_connected", "no sync while disconnected")
    t = today()
    checks.ok(env.day(env.report(t, t)[1], t)["ad_spend"] > 0, "spend already pulled stays in the report")


SECTIONS = ["oauth", "spend", "resync", "revenue", "arithmetic", "csv", "token_40105", "disconnect"]


def main():
    H.run_env_sections(checks, SECTIONS, Env, globals())


if __name__ == "__main__":
    main()
