"""Integration test of the local TikTok Shop sandbox (build/shopsync-sandbox).

TikTok Shop signing is implemented here independently of both the service
and the sandbox; it must first reproduce every published vector, then the
live sandbox must accept what it signs and reject every mutation. The rest
drives the sandbox the way shopsync will: OAuth, products, inventory, orders
with signed webhooks, faults, rate limits and the Stripe stand-in.
"""
import hashlib
import hmac
import http.server
import json
import os
import re
import subprocess
import struct
import threading
import time
import urllib.parse
import zlib

import harness as H

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "vectors", "tiktok-shop.json")
REDIRECT = "http://127.0.0.1:9/api/admin/tiktok/callback"
checks = H.Checks("test_sandbox")


# --- TikTok Shop signing, written from the documented formula -------------

def string_to_sign(secret, path, query, body):
    """secret + path + sorted key+value (minus sign, access_token) + body + secret."""
    keys = sorted((k for k in query if k not in ("sign", "access_token")), key=lambda k: k.encode())
    head = secret + path + "".join(k + query[k] for k in keys)
    return head.encode() + body + secret.encode()


def tts_sign(secret, path, query, body=b""):
    return hmac.new(secret.encode(), string_to_sign(secret, path, query, body), hashlib.sha256).hexdigest()


def webhook_sig(app_key, app_secret, body):
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


def check_vectors():
    vec = json.load(open(VECTORS))
    for i, v in enumerate(vec["request_signing"]):
        body = v["body"].encode()
        if "string_to_sign" in v:
            checks.eq(string_to_sign(v["app_secret"], v["path"], v["query"], body).decode(),
                      v["string_to_sign"], "vector %d string_to_sign" % i)
        checks.eq(tts_sign(v["app_secret"], v["path"], v["query"], body), v["sign"],
                  "vector %d sign (%s)" % (i, v["source"][:40]))
    for i, v in enumerate(vec["webhook_signature"]):
        body = v["body"].encode()
        checks.eq(webhook_sig(v["app_key"], v["app_secret"], body), v["signature"], "webhook vector %d" % i)
        checks.eq(H.tiktok_webhook_signature(body, v["app_key"], v["app_secret"]), v["signature"],
                  "harness webhook signature agrees with vector %d" % i)
    return vec


def replay_vectors(vec, tmp):
    """Send the published requests verbatim to sandboxes configured with the
    vectors' credentials (timestamp check off): the sign must pass, so the
    request fails only at the access-token step (105001); one flipped sign
    character must fail at the sign step (106001)."""
    by_key = {}
    for v in vec["request_signing"]:
        if "app_key" in v["query"]:
            by_key.setdefault((v["query"]["app_key"], v["app_secret"]), []).append(v)
    for (key, secret), cases in by_key.items():
        sb = H.Sandbox(tmp.path, extra_env={"SANDBOX_APP_KEY": key, "SANDBOX_APP_SECRET": secret,
                                           "SANDBOX_SKIP_TIMESTAMP_CHECK": "1"})
        sb.proc.logpath = os.path.join(tmp.path, "sandbox-vectors-%s.log" % key)
        sb.start()
        try:
            for v in cases:
                q = dict(v["query"], sign=v["sign"])
                hdr = {"Content-Type": "application/json"} if v["body"] else {}
                url = sb.base + v["path"] + "?" + urllib.parse.urlencode(q)
                st, doc = H.jrequest(v["method"], url, v["body"].encode() or None, hdr)
                checks.eq(doc["code"], 105001, "replayed vector %s %s passes the sign check" % (v["method"], v["path"]))
                bad = dict(q, sign=("0" if v["sign"][0] != "0" else "1") + v["sign"][1:])
                st, doc = H.jrequest(v["method"], sb.base + v["path"] + "?" + urllib.parse.urlencode(bad),
                                     v["body"].encode() or None, hdr)
                checks.eq(doc["code"], 106001, "replayed vector with a wrong sign is rejected")
                if v["body"]:
                    st, doc = H.jrequest(v["method"], url, v["body"].encode() + b" ", hdr)
                    checks.eq(doc["code"], 106001, "replayed vector with a changed body is rejected")
        finally:
            checks.eq(sb.stop(), 0, "vector sandbox exits 0 on SIGTERM")


# --- a webhook receiver --------------------------------------------------

class Receiver:
    def __init__(self):
        self.got = []
        self.fail_next = 0
        self.lock = threading.Lock()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with rec.lock:
                    fail = rec.fail_next > 0
                    if fail:
                        rec.fail_next -= 1
                    rec.got.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                    "body": body, "failed": fail, "at": time.time()})
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def delivered(self, pred):
        with self.lock:
            return [g for g in self.got if not g["failed"] and pred(g)]

    def wait(self, pred, n=1, what="webhook"):
        return H.wait_until(lambda: len(self.delivered(pred)) >= n and self.delivered(pred), timeout=10,
                            what=what)


# --- a signed Open API client ---------------------------------------------

class Client:
    def __init__(self, base):
        self.base = base
        self.token = None
        self.cipher = None

    def call(self, method, path, query=None, body=None, multipart=None, shop=True, token=None,
             ts=None, sign_mutator=None, drop=()):
        q = {"app_key": H.APP_KEY, "timestamp": str(int(time.time()) if ts is None else ts)}
        if shop and self.cipher:
            q["shop_cipher"] = self.cipher
        q.update(query or {})
        headers = {}
        raw = b""
        if multipart is not None:
            boundary = "----sandboxtest%d" % int(time.time() * 1000)
            raw = multipart_body(boundary, multipart)
            headers["Content-Type"] = "multipart/form-data; boundary=" + boundary
        elif body is not None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for k in drop:
            q.pop(k, None)
        sign_body = b"" if multipart is not None else raw
        q["sign"] = tts_sign(H.APP_SECRET, path, q, sign_body)
        if sign_mutator:
            sign_mutator(q)
        tok = self.token if token is None else token
        if tok:
            headers["x-tts-access-token"] = tok
        st, h, data = H.request(method, self.base + path + "?" + urllib.parse.urlencode(q),
                                raw if raw else None, headers)
        return st, json.loads(data)


def multipart_body(boundary, parts):
    out = b""
    for name, value, filename in parts:
        out += b"--" + boundary.encode() + b"\r\n"
        if filename:
            out += ('Content-Disposition: form-data; name="%s"; filename="%s"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n" % (name, filename)).encode()
        else:
            out += ('Content-Disposition: form-data; name="%s"\r\n\r\n' % name).encode()
        out += value + b"\r\n"
    return out + b"--" + boundary.encode() + b"--\r\n"


def tiny_png(w=3, h=2):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def is_id(s):
    return isinstance(s, str) and re.fullmatch(r"[0-9]{18,19}", s) is not None


def form(url, fields):
    return H.request("POST", url, urllib.parse.urlencode(fields),
                     {"Content-Type": "application/x-www-form-urlencoded"})


# --- latency on every imitated API ------------------------------------------

def latency_everywhere(_checks, tmp):
    """SANDBOX_API_LATENCY_MS sets the latency fault at start; it slows the
    signed Open API, the OAuth token endpoints and the Stripe API alike, and
    many slow calls run at once without holding up the control endpoints."""
    bad = subprocess.run([H.SANDBOX_BIN], env=dict(os.environ, SANDBOX_API_LATENCY_MS="-5", SANDBOX_LISTEN="127.0.0.1:%d" % H.free_port()),
                           capture_output=True, text=True, timeout=10)
    checks.ok(bad.returncode != 0 and "SANDBOX_API_LATENCY_MS must be an integer in 0..60000" in bad.stderr,
              "a bad SANDBOX_API_LATENCY_MS is refused at start: %r" % bad.stderr.strip())
    bad = subprocess.run([H.SANDBOX_BIN], env=dict(os.environ, SANDBOX_WEBHOOK_DELAY_MS="x", SANDBOX_LISTEN="127.0.0.1:%d" % H.free_port()),
                           capture_output=True, text=True, timeout=10)
    checks.ok(bad.returncode != 0 and "SANDBOX_WEBHOOK_DELAY_MS must be an integer" in bad.stderr,
              "a bad SANDBOX_WEBHOOK_DELAY_MS is refused at start: %r" % bad.stderr.strip())
    sb = H.Sandbox(tmp.path, extra_env={"SANDBOX_API_LATENCY_MS": "400", "SANDBOX_WEBHOOK_DELAY_MS": "250"})
    sb.proc.logpath = os.path.join(tmp.path, "sandbox-latency.log")
    sb.start()
    try:
        st, f = H.jrequest("GET", sb.base + "/sandbox/faults")
        checks.eq((f["latency_ms"], f["webhook_delay_ms"]), (400, 250),
                  "SANDBOX_API_LATENCY_MS and SANDBOX_WEBHOOK_DELAY_MS set the faults at start")
        page = H.request("GET", sb.base + "/")[2].decode()
        checks.ok('id="latency_ms" value="400"' in page and 'id="webhook_delay_ms" value="250"' in page,
                  "the page's faults form shows both")
        auth = {"Authorization": "Bearer sk_test_sandbox"}
        calls = [
            ("signed Open API", "GET", "/authorization/202309/shops?app_key=x", {}),
            ("OAuth token refresh", "GET", "/api/v2/token/refresh?" + urllib.parse.urlencode(
                {"app_key": H.APP_KEY, "app_secret": H.APP_SECRET, "refresh_token": "ROW_RT_x",
                 "grant_type": "refresh_token"}), {}),
            ("OAuth token get", "GET", "/api/v2/token/get?app_key=x", {}),
            ("Stripe session", "GET", "/stripe/v1/checkout/sessions/cs_test_none", auth),
            ("Stripe line items", "GET", "/stripe/v1/checkout/sessions/cs_test_none/line_items", auth),
        ]
        for what, method, path, headers in calls:
            t0 = time.time()
            st, _, _ = H.request(method, sb.base + path, headers=headers)
            took = time.time() - t0
            checks.ok(took >= 0.4, "%s waits the 400 ms latency (%.3f s, status %d)" % (what, took, st))
        c = H.jrequest("GET", sb.base + "/sandbox/state")[1]["counters"]
        checks.eq((c["requests"], c["token_requests"], c["stripe_requests"]), (1, 2, 2),
                  "state counts the calls of each imitated API")

        # 60 slow Stripe reads at once, then a control call: it is answered
        # while they all still wait (no store lock held while sleeping, and
        # threads enough for all of them).
        H.jrequest("POST", sb.base + "/sandbox/faults", {"latency_ms": 2500})
        done, started = [], threading.Barrier(61)

        def slow():
            started.wait()
            H.request("GET", sb.base + "/stripe/v1/checkout/sessions/cs_test_none", headers=auth)
            done.append(time.time())

        ts = [threading.Thread(target=slow) for _ in range(60)]
        for t in ts:
            t.start()
        started.wait()
        H.wait_until(lambda: H.jrequest("GET", sb.base + "/sandbox/state")[1]["counters"]["stripe_requests"] >= 62,
                     timeout=2.4, interval=0.02, what="60 slow Stripe reads in progress at once")
        st, f = H.jrequest("GET", sb.base + "/sandbox/faults")
        answered = time.time()
        for t in ts:
            t.join()
        checks.ok(st == 200 and len(done) == 60 and answered < min(done),
                  "the faults API answered while 60 slow Stripe reads were waiting")
        checks.eq(H.jrequest("DELETE", sb.base + "/sandbox/faults")[1]["latency_ms"], 0,
                  "clearing the faults sets the latency to 0")
    finally:
        checks.eq(sb.stop(), 0, "latency sandbox exits 0 on SIGTERM")


# --- the scenario -----------------------------------------------------------

def oauth(sb, api):
    st, h, page = H.request("GET", sb.base + "/open/authorize?" +
                            urllib.parse.urlencode({"service_id": H.SERVICE_ID, "state": "st&1"}))
    page = page.decode()
    checks.eq(st, 200, "authorize page served")
    checks.ok('id="approve"' in page and 'id="deny"' in page, "authorize page has approve and deny buttons")
    checks.ok("Sandbox Candle Co" in page, "authorize page names the shop")
    checks.eq(H.request("GET", sb.base + "/open/authorize?service_id=1&state=x")[0], 400,
              "wrong service_id gives 400")
    checks.eq(H.request("GET", sb.base + "/open/authorize")[0], 400, "missing service_id gives 400")
    # Submit the page's own forms, as a browser would.
    forms = re.findall(r'<form method="post" action="([^"]+)">(.*?)</form>', page)
    fields = {}
    for action, inner in forms:
        vals = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', inner))
        fields[vals["decision"]] = (action, {k: v.replace("&amp;", "&") for k, v in vals.items()})
    st, h, _ = form(sb.base + fields["deny"][0], fields["deny"][1])
    loc = urllib.parse.urlsplit(h.get("location", ""))
    lq = urllib.parse.parse_qs(loc.query)
    checks.eq(st, 302, "deny redirects")
    checks.eq((lq.get("error"), lq.get("state")), (["auth_denied"], ["st&1"]), "deny carries error and state")
    st, h, _ = form(sb.base + fields["approve"][0], fields["approve"][1])
    loc = urllib.parse.urlsplit(h.get("location", ""))
    lq = urllib.parse.parse_qs(loc.query)
    checks.eq(st, 302, "approve redirects")
    checks.eq(loc.scheme + "://" + loc.netloc + loc.path, REDIRECT, "approve goes to the redirect URI")
    checks.eq(lq.get("state"), ["st&1"], "approve keeps state")
    code = lq.get("code", [""])[0]
    checks.ok(len(code) > 10, "approve gives an auth code")

    def token_get(c, secret=H.APP_SECRET):
        return H.jrequest("GET", sb.base + "/api/v2/token/get?" + urllib.parse.urlencode(
            {"app_key": H.APP_KEY, "app_secret": secret, "auth_code": c, "grant_type": "authorized_code"}))[1]

    checks.eq(token_get(code, "wrong")["code"], 36004004, "token/get with a wrong app_secret is refused")
    doc = token_get(code)
    d = doc.get("data") or {}
    checks.eq(doc["code"], 0, "token/get exchanges the code")
    now = time.time()
    checks.ok(d.get("access_token") and d.get("refresh_token"), "tokens issued")
    checks.ok(now + 14000 < d.get("access_token_expire_in", 0) < now + 14500, "access expiry is absolute unix time")
    checks.ok(d.get("refresh_token_expire_in", 0) > now + 86400, "refresh expiry is absolute unix time")
    checks.ok("seller.product.basic" in d.get("granted_scopes", []), "granted scopes listed")
    checks.eq((d.get("seller_base_region"), d.get("user_type")), ("US", 0), "seller region and user type")
    redo = token_get(code)
    checks.eq(redo["code"], 36004006, "an auth code is single-use")
    checks.ok(redo.get("data") is None, "error envelope has no data")
    checks.eq(token_get("nope")["code"], 36004006, "unknown auth code refused")
    api.token = d["access_token"]
    return d


def refresh(sb, rt):
    return H.jrequest("GET", sb.base + "/api/v2/token/refresh?" + urllib.parse.urlencode(
        {"app_key": H.APP_KEY, "app_secret": H.APP_SECRET, "refresh_token": rt,
         "grant_type": "refresh_token"}))[1]


def product_body(image_uri, wh, skus, title="Lavender Candle"):
    return {"title": title, "description": "<p>Hand poured.</p>", "category_id": "600001",
            "main_images": [{"uri": image_uri}],
            "package_weight": {"value": "1.5", "unit": "POUND"},
            "package_dimensions": {"length": "4", "width": "4", "height": "5", "unit": "INCH"},
            "skus": skus}


def sku(seller_sku, qty, wh, price="24.00", size="8 oz", **extra):
    s = {"seller_sku": seller_sku, "price": {"amount": price, "currency": "USD"},
         "inventory": [{"warehouse_id": wh, "quantity": qty}],
         "sales_attributes": [{"name": "Size", "value_name": size}]}
    s.update(extra)
    return s


# Sections, for `python3 test_sandbox.py SECTION [SECTION ...]` (none: all).
# The sandbox sections build on each other in this order: orders sells the
# products api creates, and page_and_state reads the counters of all three.
SECTIONS = ["vectors", "latency", "api", "orders", "stripe", "page_and_state"]
SANDBOX_STEPS = ["api", "orders", "stripe", "page_and_state"]
NEEDS = H.prefix_needs(SANDBOX_STEPS)


def main():
    want = H.selected_sections(SECTIONS, NEEDS)
    tmp = H.TempDir()
    rec = Receiver()
    sb = None

    def section(name, fn, *args):
        return checks.section(name, fn, *args) if name in want else None

    try:
        section("vectors", lambda _c: replay_vectors(check_vectors(), tmp))
        section("latency", latency_everywhere, tmp)
        if want.intersection(SANDBOX_STEPS):
            sb = H.Sandbox(tmp.path, redirect_uri=REDIRECT, webhook_url=rec.url + "/tiktok",
                           extra_env={"SANDBOX_STRIPE_WEBHOOK_URL": rec.url + "/stripe",
                                      "SANDBOX_STRIPE_WEBHOOK_SECRET": H.STRIPE_SECRET}).start()
            checks.ok("sandbox listening on http://127.0.0.1:%d" % sb.port in sb.proc.output(),
                      "startup line printed")
            checks.eq(H.jrequest("GET", sb.base + "/healthz"), (200, {"ok": True}), "healthz")
            api = Client(sb.base)
            grant = oauth(sb, api)
            made = section("api", lambda _c: scenario(sb, api, rec, grant))
            section("orders", lambda _c: orders(sb, api, rec, *made))
            section("stripe", lambda _c: stripe(sb, rec))
            section("page_and_state", lambda _c: page_and_state(sb, api, grant))
    finally:
        if sb:
            checks.eq(sb.stop(), 0, "sandbox exits 0 on SIGTERM")
        rec.server.shutdown()
        tmp.cleanup()
    checks.done()


def scenario(sb, api, rec, grant):
    # Shops: no shop_cipher needed there.
    st, doc = api.call("GET", "/authorization/202309/shops", shop=False)
    shops = (doc.get("data") or {}).get("shops", [])
    checks.eq((st, doc["code"], doc["message"]), (200, 0, "Success"), "get authorized shops")
    checks.ok(doc.get("request_id"), "envelope has request_id")
    checks.ok(len(shops) == 1 and shops[0]["cipher"].startswith("ROW_") and is_id(shops[0]["id"]),
              "one shop with cipher and id")
    api.cipher = shops[0]["cipher"]
    shop_id = shops[0]["id"]

    st, doc = api.call("GET", "/logistics/202309/warehouses")
    whs = doc["data"]["warehouses"]
    checks.eq(len(whs), 2, "two warehouses")
    checks.eq(sum(1 for w in whs if w["is_default"]), 1, "exactly one default warehouse")
    checks.ok(all(w["type"] == "SALES_WAREHOUSE" and w["effect_status"] == "ENABLED" for w in whs),
              "both are enabled sales warehouses")
    wh = [w["id"] for w in whs if w["is_default"]][0]
    wh2 = [w["id"] for w in whs if not w["is_default"]][0]

    # Gateway checks, in order.
    path = "/logistics/202309/warehouses"
    checks.eq(api.call("GET", path, sign_mutator=lambda q: q.update(sign="0" * 64))[1]["code"], 106001,
              "bad sign rejected")
    checks.eq(api.call("GET", path, sign_mutator=lambda q: q.pop("sign"))[1]["code"], 106001,
              "missing sign rejected")
    checks.eq(api.call("GET", path, query={"extra": "x y"},
                       sign_mutator=lambda q: q.update(extra="x z"))[1]["code"], 106001,
              "a changed query value breaks the sign")
    checks.eq(api.call("GET", path, query={"note": "a b+c/é"})[1]["code"], 0,
              "url-decoded values are signed (spaces, plus, utf-8)")
    checks.eq(api.call("GET", path, ts=int(time.time()) - 400)[1]["code"], 106002, "stale timestamp rejected")
    checks.eq(api.call("GET", path, ts=int(time.time()) + 120)[1]["code"], 106002, "future timestamp rejected")
    checks.eq(api.call("GET", path, ts=int(time.time()) - 200)[1]["code"], 0, "200 s old timestamp accepted")
    checks.eq(api.call("GET", path, drop=("app_key",))[1]["code"], 106003, "missing app_key rejected")
    checks.eq(api.call("GET", path, query={"app_key": "other"})[1]["code"], 106003, "unknown app_key rejected")
    checks.eq(api.call("GET", path, token="")[1]["code"], 105001, "missing access token rejected")
    checks.eq(api.call("GET", path, token="ROW_bogus")[1]["code"], 105001, "unknown access token rejected")
    checks.eq(api.call("GET", path, drop=("shop_cipher",))[1]["code"], 106011, "missing shop_cipher rejected")
    checks.eq(api.call("GET", path, query={"shop_cipher": "ROW_other"})[1]["code"], 106011,
              "wrong shop_cipher rejected")
    st, doc = api.call("GET", "/product/202309/nothing")
    checks.eq((st, doc["code"]), (404, 36009004), "unknown API path is 404 after verification")

    # Images.
    png = tiny_png()
    st, doc = api.call("POST", "/product/202309/images/upload",
                       multipart=[("data", png, "candle.png"), ("use_case", b"MAIN_IMAGE", None)])
    img = doc.get("data") or {}
    checks.eq(doc["code"], 0, "image upload accepted (multipart body not signed)")
    checks.ok(img.get("uri", "").startswith("tos-maliva-i-o3syd03w52-us/"), "image uri issued")
    checks.eq((img.get("width"), img.get("height"), img.get("use_case")), (3, 2, "MAIN_IMAGE"),
              "PNG size parsed")
    st, h, data = H.request("GET", img["url"])
    checks.eq((st, h.get("content-type"), data), (200, "image/png", png), "uploaded image served back")
    checks.eq(api.call("POST", "/product/202309/images/upload",
                       multipart=[("data", b"not an image at all", "x.txt")])[1]["code"], 12052217,
              "non-image rejected")
    checks.eq(api.call("POST", "/product/202309/images/upload",
                       multipart=[("use_case", b"MAIN_IMAGE", None)])[1]["code"], 12052217,
              "missing file part rejected")
    checks.eq(api.call("POST", "/product/202309/images/upload",
                       multipart=[("data", b"", "empty.png")])[1]["code"], 12052217, "empty file rejected")
    uri = img["uri"]

    # Create product.
    body = product_body(uri, wh, [sku("LAV-8OZ", 12, wh), sku("LAV-16OZ", 5, wh, "38.00", "16 oz")])
    body["skus"][0]["inventory"].append({"warehouse_id": wh2, "quantity": 3})
    st, doc = api.call("POST", "/product/202309/products", body=body)
    d = doc.get("data") or {}
    checks.eq(doc["code"], 0, "create product")
    checks.ok(is_id(d.get("product_id")), "product id is a 18-19 digit string")
    skus = {s["seller_sku"]: s["id"] for s in d.get("skus", [])}
    checks.ok(set(skus) == {"LAV-8OZ", "LAV-16OZ"} and all(is_id(v) for v in skus.values()), "sku ids issued")
    checks.eq(d.get("warnings"), [], "no warnings")
    pid = d["product_id"]

    def create_err(mutate, what):
        b = product_body(uri, wh, [sku("OTHER-1", 1, wh)])
        mutate(b)
        return api.call("POST", "/product/202309/products", body=b)[1]

    e = create_err(lambda b: b.update(title=""), "empty title")
    checks.ok(e["code"] == 12052001 and "title" in e["message"], "empty title rejected naming the field")
    e = create_err(lambda b: b.update(title="x" * 256), "long title")
    checks.eq(e["code"], 12052001, "256-char title rejected")
    e = create_err(lambda b: b.update(main_images=[{"uri": "tos-maliva-i-o3syd03w52-us/ffff"}]), "")
    checks.eq(e["code"], 12052218, "unknown image uri rejected")
    e = create_err(lambda b: b.update(main_images=[]), "")
    checks.ok(e["code"] == 12052001 and "main_images" in e["message"], "no images rejected")
    e = create_err(lambda b: b.pop("package_weight"), "")
    checks.ok(e["code"] == 12052001 and "package_weight" in e["message"], "missing package_weight rejected")
    e = create_err(lambda b: b.update(category_id=""), "")
    checks.ok(e["code"] == 12052001 and "category_id" in e["message"], "empty category rejected")
    e = create_err(lambda b: b["skus"][0]["price"].update(amount="-1"), "")
    checks.ok(e["code"] == 12052001 and "price.amount" in e["message"], "negative price rejected")
    e = create_err(lambda b: b["skus"][0]["price"].update(amount="0.00"), "")
    checks.eq(e["code"], 12052001, "zero price rejected")
    e = create_err(lambda b: b["skus"][0]["inventory"][0].update(quantity=100000), "")
    checks.ok(e["code"] == 12052001 and "quantity" in e["message"], "quantity over 99999 rejected")
    e = create_err(lambda b: b["skus"][0]["inventory"][0].update(quantity="5"), "")
    checks.eq(e["code"], 12052001, "string quantity rejected")
    e = create_err(lambda b: b["skus"][0]["inventory"][0].update(warehouse_id="123"), "")
    checks.eq(e["code"], 12052701, "unknown warehouse rejected")
    e = create_err(lambda b: b["skus"][0].pop("seller_sku"), "")
    checks.ok(e["code"] == 12052001 and "seller_sku" in e["message"], "missing seller_sku rejected")
    e = create_err(lambda b: b["skus"].append(sku("LAV-8OZ", 1, wh)), "")
    checks.ok(e["code"] == 12052902 and pid in e["message"], "seller_sku of another product rejected")
    st, doc = api.call("POST", "/product/202309/products", body=b"{")
    checks.eq(doc["code"], 36009001, "malformed JSON body rejected")

    # Edit: keep ids by id and by seller_sku, add a SKU, drop one.
    eb = product_body(uri, wh, [sku("LAV-8OZ", 12, wh), sku("LAV-4OZ", 7, wh, "14.00", "4 oz"),
                                sku("LAV-16OZ-NEW", 5, wh, "38.00", "16 oz", id=skus["LAV-16OZ"])],
                      title="Lavender Soy Candle")
    st, doc = api.call("PUT", "/product/202309/products/" + pid, body=eb)
    ed = {s["seller_sku"]: s["id"] for s in (doc.get("data") or {}).get("skus", [])}
    checks.eq(doc["code"], 0, "edit product")
    checks.eq(ed.get("LAV-8OZ"), skus["LAV-8OZ"], "sku matched by seller_sku keeps its id")
    checks.eq(ed.get("LAV-16OZ-NEW"), skus["LAV-16OZ"], "sku matched by id keeps its id")
    checks.ok(is_id(ed.get("LAV-4OZ")) and ed["LAV-4OZ"] not in skus.values(), "new sku gets a new id")
    checks.eq(api.call("PUT", "/product/202309/products/1729000000000000000", body=eb)[1]["code"], 12052048,
              "edit of an unknown product")
    bad = product_body(uri, wh, [sku("LAV-8OZ", 1, wh, id="1")])
    checks.eq(api.call("PUT", "/product/202309/products/" + pid, body=bad)[1]["code"], 12052702,
              "edit naming a foreign sku id")
    skus = ed

    st, doc = api.call("GET", "/product/202309/products/" + pid)
    p = doc.get("data") or {}
    checks.eq((p.get("title"), p.get("status")), ("Lavender Soy Candle", "ACTIVATE"), "get product after edit")
    checks.eq(sorted(s["seller_sku"] for s in p.get("skus", [])), ["LAV-16OZ-NEW", "LAV-4OZ", "LAV-8OZ"],
              "get product lists the edited skus")
    checks.ok(p.get("main_images", [{}])[0].get("urls"), "main image urls present")
    checks.eq(p.get("package_weight"), {"value": "1.5", "unit": "POUND"}, "package weight kept")
    checks.eq(api.call("GET", "/product/202309/products/1")[1]["code"], 12052048, "get unknown product")

    # A second product for paging.
    st, doc = api.call("POST", "/product/202309/products",
                       body=product_body(uri, wh, [sku("ROSE-8OZ", 4, wh)], title="Rose Candle"))
    pid2 = doc["data"]["product_id"]
    st, doc = api.call("POST", "/product/202309/products/search", query={"page_size": "10"},
                       body={"seller_skus": ["LAV-8OZ"]})
    d = doc.get("data") or {}
    checks.eq((d.get("total_count"), [x["id"] for x in d.get("products", [])]), (1, [pid]),
              "search by seller_sku")
    lav = [s for s in d["products"][0]["skus"] if s["seller_sku"] == "LAV-8OZ"][0]
    checks.eq(sorted((i["warehouse_id"], i["quantity"]) for i in lav["inventory"]),
              sorted([(wh, 12)]), "search shows per-warehouse inventory")
    st, doc = api.call("POST", "/product/202309/products/search", query={"page_size": "1"}, body={})
    d = doc["data"]
    checks.eq((d["total_count"], len(d["products"])), (2, 1), "paged search, page 1")
    st, doc = api.call("POST", "/product/202309/products/search",
                       query={"page_size": "1", "page_token": d["next_page_token"]}, body={})
    checks.eq(([x["id"] for x in doc["data"]["products"]], doc["data"]["next_page_token"]), ([pid2], ""),
              "paged search, page 2")
    checks.eq(api.call("POST", "/product/202309/products/search", body={})[1]["code"], 36009001,
              "search without page_size rejected")

    # Inventory update with per-SKU errors.
    upd = {"skus": [{"id": skus["LAV-8OZ"], "inventory": [{"warehouse_id": wh, "quantity": 20},
                                                          {"warehouse_id": wh2, "quantity": 2}]},
                    {"id": "1111111111111111111", "inventory": [{"warehouse_id": wh, "quantity": 1}]},
                    {"id": skus["LAV-4OZ"], "inventory": [{"warehouse_id": "999", "quantity": 1}]}]}
    st, doc = api.call("POST", "/product/202309/products/%s/inventory/update" % pid, body=upd)
    errs = (doc.get("data") or {}).get("errors", [])
    checks.eq(doc["code"], 0, "inventory update with some bad SKUs still answers code 0")
    checks.eq(sorted(e["detail"]["sku_id"] for e in errs), sorted(["1111111111111111111", skus["LAV-4OZ"]]),
              "per-SKU errors name the bad SKUs")
    wherr = [e for e in errs if e["detail"]["sku_id"] == skus["LAV-4OZ"]][0]
    checks.ok(wherr["code"] == 12052700 and wherr["detail"]["extra_errors"][0]["warehouse_id"] == "999",
              "unknown warehouse reported in extra_errors")
    st, doc = api.call("POST", "/product/202309/inventory/search", body={"sku_ids": [skus["LAV-8OZ"], skus["LAV-4OZ"]]})
    inv = {s["seller_sku"]: s for g in doc["data"]["inventory"] for s in g["skus"]}
    checks.eq(inv["LAV-8OZ"]["total_available_quantity"], 22, "valid SKU was applied (20 + 2)")
    checks.eq(sorted((w["warehouse_id"], w["available_quantity"]) for w in inv["LAV-8OZ"]["warehouse_inventory"]),
              sorted([(wh, 20), (wh2, 2)]), "per-warehouse quantities")
    checks.eq(inv["LAV-4OZ"]["total_available_quantity"], 7, "SKU with a bad warehouse left alone")
    st, doc = api.call("POST", "/product/202309/inventory/search", body={"product_ids": [pid2]})
    checks.eq([s["seller_sku"] for g in doc["data"]["inventory"] for s in g["skus"]], ["ROSE-8OZ"],
              "inventory search by product id")
    bad = {"skus": [{"id": skus["LAV-8OZ"], "inventory": [{"warehouse_id": wh, "quantity": -1}]}]}
    checks.eq(api.call("POST", "/product/202309/products/%s/inventory/update" % pid, body=bad)[1]["code"],
              12052001, "negative quantity rejected")
    checks.eq(api.call("POST", "/product/202309/products/1/inventory/update", body=upd)[1]["code"], 12052048,
              "inventory update of an unknown product")

    # Token expiry, then refresh.
    H.jrequest("POST", sb.base + "/sandbox/faults", {"expire_tokens": True})
    checks.eq(api.call("GET", path)[1]["code"], 105002, "expired token gives 105002")
    old = api.token
    doc = refresh(sb, grant["refresh_token"])
    checks.eq(doc["code"], 0, "refresh works")
    api.token = doc["data"]["access_token"]
    checks.ok(api.token != old, "refresh gives a new access token")
    checks.eq(api.call("GET", path)[1]["code"], 0, "new token works")
    checks.eq(api.call("GET", path, token=old)[1]["code"], 105001, "old access token invalid after refresh")
    checks.eq(refresh(sb, "ROW_RT_nope")["code"], 36004005, "unknown refresh token refused")

    # Injected faults.
    H.jrequest("POST", sb.base + "/sandbox/faults", {"fail_next": 2, "throttle_next": 1})
    r1, r2, r3, r4 = (api.call("GET", path) for _ in range(4))
    checks.eq([(r1[0], r1[1]["code"]), (r2[0], r2[1]["code"]), (r3[0], r3[1]["code"]), (r4[0], r4[1]["code"])],
              [(500, 36009003), (500, 36009003), (429, 36009002), (200, 0)], "fail_next and throttle_next")
    H.jrequest("POST", sb.base + "/sandbox/faults", {"error_rate": 1})
    checks.eq(api.call("GET", path)[0], 500, "error_rate 1 fails signed calls")
    checks.eq(refresh(sb, grant["refresh_token"])["code"], 36009003, "error_rate applies to token endpoints")
    checks.eq(H.request("GET", sb.base + "/sandbox/state")[0], 200, "faults do not touch control endpoints")
    st, doc = H.jrequest("DELETE", sb.base + "/sandbox/faults")
    checks.eq(doc["error_rate"], 0, "faults cleared")
    checks.eq(H.jrequest("POST", sb.base + "/sandbox/faults", {"error_rate": 2})[0], 400, "bad fault rejected")

    # Rate limit: a fresh window, then a burst over the limit.
    time.sleep(1.1)
    t0 = time.time()
    codes = [api.call("GET", path) for _ in range(60)]
    elapsed = time.time() - t0
    limited = [c for c in codes if c[0] == 429]
    checks.ok(all(c[1]["code"] == 36009002 for c in limited), "429s carry code 36009002")
    if elapsed < 1.0:
        checks.eq(len(limited), 10, "exactly 10 of 60 requests in one second are limited")
    else:
        checks.ok(len(limited) >= 1, "burst over 50/s is limited (took %.2fs)" % elapsed)
    time.sleep(1.05)
    checks.eq(api.call("GET", path)[0], 200, "next window accepts again")
    # What the orders section sells.
    return shop_id, skus, pid


def orders(sb, api, rec, shop_id, skus, pid):
    def stock():
        st, doc = api.call("POST", "/product/202309/inventory/search", body={"sku_ids": [skus["LAV-8OZ"]]})
        w = doc["data"]["inventory"][0]["skus"][0]["warehouse_inventory"]
        return {x["warehouse_id"]: x["available_quantity"] for x in w}

    before = stock()
    st, doc = H.jrequest("POST", sb.base + "/sandbox/orders", {"seller_sku": "LAV-8OZ", "quantity": 3})
    checks.eq(st, 201, "sandbox order created")
    oid = doc["order_id"]
    checks.ok(is_id(oid) and doc["webhook"]["queued"], "order id issued and webhook queued")
    after = stock()
    wh = [k for k in before if before[k] - after[k] == 3]
    checks.eq(len(wh), 1, "order took 3 units from one (the default) warehouse")
    hooks = rec.wait(lambda g: g["path"] == "/tiktok" and json.loads(g["body"])["data"]["order_id"] == oid,
                     what="order webhook")
    g = hooks[0]
    checks.eq(g["headers"].get("authorization"), webhook_sig(H.APP_KEY, H.APP_SECRET, g["body"]),
              "webhook Authorization is HMAC(app_secret, app_key + body)")
    checks.eq(g["headers"].get("content-type"), "application/json", "webhook content type")
    wb = json.loads(g["body"])
    checks.eq((wb["type"], wb["shop_id"], wb["data"]["order_status"]), (1, shop_id, "AWAITING_SHIPMENT"),
              "webhook type 1 body")
    checks.ok(is_id(wb["tts_notification_id"]) and abs(wb["timestamp"] - time.time()) < 30,
              "webhook notification id and timestamp")

    st, doc = api.call("GET", "/order/202309/orders", query={"ids": oid + ",576684000000000000"})
    ords = doc["data"]["orders"]
    checks.eq([o["id"] for o in ords], [oid], "order detail (unknown ids absent)")
    o = ords[0]
    checks.eq(o["status"], "AWAITING_SHIPMENT", "order status")
    checks.eq([(li["seller_sku"], li["sku_id"], li["product_id"]) for li in o["line_items"]],
              [("LAV-8OZ", skus["LAV-8OZ"], pid)] * 3, "one line item per unit")
    checks.eq(o["payment"]["total_amount"], "72.00", "payment total")
    many = ",".join(str(576684000000000000 + i) for i in range(51))
    checks.eq(api.call("GET", "/order/202309/orders", query={"ids": many})[1]["code"], 36009001,
              "more than 50 ids rejected")
    st, doc = api.call("POST", "/order/202309/orders/search", query={"page_size": "20"},
                       body={"order_status": "AWAITING_SHIPMENT", "update_time_ge": int(time.time()) - 60})
    checks.eq(([x["id"] for x in doc["data"]["orders"]], doc["data"]["total_count"]), ([oid], 1), "order search")

    st, doc = H.jrequest("POST", sb.base + "/sandbox/orders", {"seller_sku": "LAV-8OZ", "quantity": 99})
    checks.eq(st, 409, "order beyond stock refused")
    checks.eq(H.jrequest("POST", sb.base + "/sandbox/orders", {"seller_sku": "NOPE"})[0], 404, "unknown SKU")

    # Duplicate delivery.
    st, doc = H.jrequest("POST", sb.base + "/sandbox/webhooks/resend", {"order_id": oid, "type": 1})
    checks.eq(st, 202, "resend queued")
    dup = rec.wait(lambda g: g["path"] == "/tiktok" and json.loads(g["body"])["tts_notification_id"] == wb["tts_notification_id"],
                   n=2, what="duplicate webhook")
    checks.eq(dup[0]["body"], dup[1]["body"], "resend repeats the same bytes and notification id")

    # One item cancelled (the page's form), then the rest.
    st, h, _ = form(sb.base + "/sandbox/orders/%s/cancel" % oid, {"units": "1"})
    checks.eq((st, h.get("location")), (303, "/"), "cancel-one-item form redirects back")
    checks.eq(stock()[wh[0]] if wh else None, before[wh[0]] - 2 if wh else None,
              "cancelling one item restores its unit")
    st, doc = api.call("GET", "/order/202309/orders", query={"ids": oid})
    o = doc["data"]["orders"][0]
    checks.eq((o["status"], sorted(li["display_status"] for li in o["line_items"])),
              ("AWAITING_SHIPMENT", ["CANCELLED", "TO_SHIP", "TO_SHIP"]),
              "order goes on with one line CANCELLED")
    checks.eq(H.jrequest("POST", sb.base + "/sandbox/orders/%s/cancel" % oid, {"units": -1})[0], 400,
              "a negative unit count is refused")
    row = order_row(sb, oid)
    checks.eq((row.get("units"), row.get("total")), ("2 (1 cancelled)", "48.00"),
              "the page shows the live units and total after one item was cancelled")
    checks.ok(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", row.get("created", "")) is not None,
              "the page shows when the order was created as a UTC date-time: %r" % row.get("created"))
    created = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(o["create_time"]))
    checks.eq(row.get("created"), created, "that date-time is the order's create_time")
    # Cancellation.
    st, doc = H.jrequest("POST", sb.base + "/sandbox/orders/%s/cancel" % oid)
    checks.eq((st, doc.get("cancelled_units")), (200, 2), "cancel the rest: the 2 live lines")
    checks.eq(stock(), before, "cancel restores the units")
    rec.wait(lambda g: g["path"] == "/tiktok" and json.loads(g["body"])["type"] == 11, what="type 11 webhook")
    c11 = [json.loads(g["body"]) for g in rec.delivered(lambda g: g["path"] == "/tiktok") if json.loads(g["body"])["type"] == 11][0]
    checks.eq((c11["data"]["order_id"], c11["data"]["cancellation_status"]), (oid, "CANCELLATION_REQUEST_COMPLETE"),
              "type 11 cancellation webhook")
    rec.wait(lambda g: g["path"] == "/tiktok" and json.loads(g["body"])["data"].get("order_status") == "CANCELLED",
             what="cancelled status webhook")
    checks.ok(all(g["headers"]["authorization"] == webhook_sig(H.APP_KEY, H.APP_SECRET, g["body"])
                  for g in rec.delivered(lambda g: g["path"] == "/tiktok")), "every webhook correctly signed")
    st, doc = api.call("GET", "/order/202309/orders", query={"ids": oid})
    o = doc["data"]["orders"][0]
    checks.ok(o["status"] == "CANCELLED" and o["cancel_reason"], "order detail shows cancellation")
    checks.eq(H.jrequest("POST", sb.base + "/sandbox/orders/%s/cancel" % oid)[0], 409, "second cancel is 409")
    checks.eq(H.jrequest("POST", sb.base + "/sandbox/orders/1/cancel")[0], 404, "unknown order cancel is 404")

    webhook_delay(sb, rec)
    tiktok_sells_out(sb)

    # Delivery retried after a 500 (the order comes from the page's form).
    rec.fail_next = 1
    st, h, _ = form(sb.base + "/sandbox/orders", {"seller_sku": "LAV-8OZ", "quantity": "1"})
    checks.eq((st, h.get("location")), (303, "/"), "form order redirects back to the page")
    failed = H.wait_until(lambda: [g for g in rec.got if g["failed"]], what="a webhook answered 500")
    retried = rec.wait(lambda g: g["body"] == failed[0]["body"], what="the retried webhook")
    checks.eq(len(retried), 1, "webhook answered 500 is delivered again with the same body")


def order_row(sb, oid):
    """The cells of an order's row on the seller page, by class."""
    page = H.request("GET", sb.base + "/")[2].decode()
    m = re.search(r'<tr class="order" data-order="%s">(.*?)</tr>' % oid, page, re.S)
    if not m:
        return {}
    cells = re.findall(r'<td class="([a-z]+)">(.*?)</td>', m.group(1), re.S)
    return {k: re.sub(r"<[^>]+>", "", v).strip() for k, v in cells}


def webhook_delay(sb, rec):
    """With a webhook delay, the order API answers at once and the webhook
    follows the delay later; an order placed after the delay is lifted
    overtakes it."""
    st, doc = H.jrequest("POST", sb.base + "/sandbox/faults", {"webhook_delay_ms": 1500})
    checks.eq((st, doc.get("webhook_delay_ms")), (200, 1500), "webhook delay set through the faults API")
    checks.eq(H.jrequest("GET", sb.base + "/sandbox/faults")[1].get("webhook_delay_ms"), 1500,
              "the faults API shows the webhook delay")
    t0 = time.time()
    st, late = H.jrequest("POST", sb.base + "/sandbox/orders", {"seller_sku": "LAV-8OZ"})
    checks.ok(st == 201 and late["webhook"]["queued"], "order created while webhooks are delayed")
    H.jrequest("POST", sb.base + "/sandbox/faults", {"webhook_delay_ms": 0})
    st, early = H.jrequest("POST", sb.base + "/sandbox/orders", {"seller_sku": "LAV-8OZ"})

    def arrival(oid):
        got = rec.wait(lambda g: g["path"] == "/tiktok" and json.loads(g["body"])["data"]["order_id"] == oid,
                       what="webhook of order %s" % oid)
        return got[0]["at"]

    t_late, t_early = arrival(late["order_id"]), arrival(early["order_id"])
    checks.ok(t_late - t0 >= 1.5, "the delayed webhook came %.2f s after its order (delay 1.5 s)" % (t_late - t0))
    checks.ok(t_early < t_late, "an order placed without the delay had its webhook first")
    checks.eq(H.jrequest("POST", sb.base + "/sandbox/faults", {"webhook_delay_ms": 600001})[0], 400,
              "a webhook delay over 600000 ms is refused")
    for oid in (late["order_id"], early["order_id"]):
        H.jrequest("POST", sb.base + "/sandbox/orders/%s/cancel" % oid)


def tiktok_sells_out(sb):
    """TikTok's own stock refuses an order at its own 0."""
    st, state = H.jrequest("GET", sb.base + "/sandbox/state")
    rose = [s for p in state["products"] for s in p["skus"] if s["seller_sku"] == "ROSE-8OZ"][0]
    have = sum(i["quantity"] for i in rose["inventory"] if i["warehouse_id"] == state["warehouses"][0]["id"])
    checks.ok(have > 0, "ROSE-8OZ has %d units on TikTok" % have)
    st, doc = H.jrequest("GET", sb.base + "/sandbox/stock?sku=ROSE-8OZ")
    checks.eq((st, doc["sku"], doc["quantity"], doc["warehouses"].get(state["warehouses"][0]["id"])),
              (200, "ROSE-8OZ", have, have), "GET /sandbox/stock gives TikTok's quantity of a SKU")
    st, doc = H.jrequest("POST", sb.base + "/sandbox/orders", {"seller_sku": "ROSE-8OZ", "quantity": have})
    checks.eq(st, 201, "an order for all of TikTok's units is taken")
    checks.eq(H.jrequest("GET", sb.base + "/sandbox/stock?sku=ROSE-8OZ")[1]["quantity"], 0,
              "GET /sandbox/stock follows the order down to 0")
    checks.eq(H.jrequest("GET", sb.base + "/sandbox/stock?sku=NOPE")[0], 404, "GET /sandbox/stock of an unknown SKU")
    checks.eq(H.jrequest("GET", sb.base + "/sandbox/stock")[0], 400, "GET /sandbox/stock without a SKU")
    st, doc = H.jrequest("POST", sb.base + "/sandbox/orders", {"seller_sku": "ROSE-8OZ"})
    msg = (doc or {}).get("error", {}).get("message", "")
    checks.eq((st, doc["error"]["code"]), (409, "conflict"), "the next order at TikTok's 0 is refused")
    checks.ok("0 available, 1 wanted" in msg and "ROSE-8OZ" in msg, "with a clear error: %r" % msg)


def stripe(sb, rec):
    lines = [{"sku": "LAV-8OZ", "quantity": 2, "where": "product"},
             {"sku": "LAV-4OZ", "quantity": 1, "where": "price"},
             {"sku": "ROSE-8OZ", "quantity": 1, "where": "lookup_key"}]
    lines += [{"sku": "FILL-%d" % i, "quantity": 1} for i in range(9)]
    st, doc = H.jrequest("POST", sb.base + "/sandbox/stripe/checkout", {"lines": lines, "payment_status": "paid"})
    checks.eq(st, 201, "stripe checkout created")
    cs = doc["session_id"]
    checks.ok(cs.startswith("cs_test_") and doc["event_id"].startswith("evt_"), "session and event ids")
    g = rec.wait(lambda g: g["path"] == "/stripe", what="stripe event")[0]
    sig = g["headers"].get("stripe-signature", "")
    m = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", sig)
    checks.ok(m is not None, "Stripe-Signature header shape")
    want = hmac.new(H.STRIPE_SECRET.encode(), m.group(1).encode() + b"." + g["body"], hashlib.sha256).hexdigest()
    checks.eq(m.group(2), want, "Stripe-Signature v1 verifies")
    checks.eq(sig, doc["signature_header"], "response carries the same signature header")
    checks.eq(g["body"].decode(), doc["event_body"], "response carries the exact event bytes")
    ev = json.loads(g["body"])
    checks.eq((ev["type"], ev["data"]["object"]["id"], ev["data"]["object"]["payment_status"]),
              ("checkout.session.completed", cs, "paid"), "event body")

    base = sb.base + "/stripe/v1/checkout/sessions/%s/line_items" % cs
    st, doc = H.jrequest("GET", base)
    checks.ok(st == 401 and doc["error"]["type"] == "invalid_request_error", "line items need an API key")
    auth = {"Authorization": "Bearer sk_test_sandbox"}
    st, p1 = H.jrequest("GET", base + "?expand[]=data.price.product", headers=auth)
    checks.eq((st, p1["object"], len(p1["data"]), p1["has_more"]), (200, "list", 10, True), "line items page 1")
    st, p2 = H.jrequest("GET", base + "?" + urllib.parse.urlencode(
        {"limit": 10, "starting_after": p1["data"][-1]["id"], "expand[]": "data.price.product"}), headers=auth)
    checks.eq((len(p2["data"]), p2["has_more"]), (2, False), "line items page 2")
    items = p1["data"] + p2["data"]
    checks.eq(items[0]["quantity"], 2, "quantity")
    checks.eq(items[0]["price"]["product"]["metadata"].get("sku"), "LAV-8OZ", "sku in product metadata")
    checks.eq(items[1]["price"]["metadata"].get("sku"), "LAV-4OZ", "sku in price metadata")
    checks.eq(items[2]["price"]["lookup_key"], "ROSE-8OZ", "sku as lookup_key")
    st, plain = H.jrequest("GET", base + "?limit=1", headers=auth)
    checks.ok(isinstance(plain["data"][0]["price"]["product"], str), "unexpanded product is an id")
    st, doc = H.jrequest("GET", sb.base + "/stripe/v1/checkout/sessions/cs_test_nope/line_items", headers=auth)
    checks.ok(st == 404 and doc["error"]["type"] == "invalid_request_error", "unknown session is 404")
    st, doc = H.jrequest("GET", sb.base + "/stripe/v1/checkout/sessions/" + cs, headers=auth)
    checks.eq((st, doc["payment_status"]), (200, "paid"), "retrieve session")
    checks.eq(doc.get("metadata"), {}, "a session without metadata has an empty metadata object")
    stripe_metadata(sb, rec, auth)


def stripe_metadata(sb, rec, auth):
    meta = {"shopsync_items": "LAV-8OZ:2,ROSE-8OZ:1", "order_ref": "web-1001"}
    st, doc = H.jrequest("POST", sb.base + "/sandbox/stripe/checkout",
                         {"lines": [{"sku": "LAV-8OZ", "quantity": 2}, {"sku": "ROSE-8OZ"}], "metadata": meta})
    checks.eq(st, 201, "checkout with metadata created")
    checks.eq(doc["event"]["data"]["object"].get("metadata"), meta, "the event's session carries the metadata")
    g = rec.wait(lambda g: g["path"] == "/stripe" and json.loads(g["body"])["id"] == doc["event_id"],
                 what="stripe event with metadata")[0]
    checks.eq(json.loads(g["body"])["data"]["object"]["metadata"], meta, "the delivered event carries the metadata")
    st, got = H.jrequest("GET", sb.base + "/stripe/v1/checkout/sessions/" + doc["session_id"], headers=auth)
    checks.eq((st, got.get("metadata")), (200, meta), "the retrieved session carries the metadata")

    def refused(metadata, what, needle):
        st, doc = H.jrequest("POST", sb.base + "/sandbox/stripe/checkout",
                             {"lines": [{"sku": "LAV-8OZ"}], "metadata": metadata})
        msg = (doc or {}).get("error", {}).get("message", "")
        checks.ok(st == 400 and needle in msg, "%s is refused naming the problem: %d %r" % (what, st, msg))

    refused(["x"], "metadata that is not an object", "metadata: must be an object")
    refused({"k%d" % i: "v" for i in range(51)}, "51 metadata keys", "at most 50 keys")
    refused({"k" * 41: "v"}, "a 41-character metadata key", "1 to 40 characters")
    refused({"": "v"}, "an empty metadata key", "1 to 40 characters")
    refused({"note": "v" * 501}, "a 501-character metadata value", "metadata.note: must be at most 500")
    refused({"qty": 2}, "a metadata value that is not a string", "metadata.qty: must be a string")
    st, _ = H.jrequest("POST", sb.base + "/sandbox/stripe/checkout",
                       {"lines": [{"sku": "LAV-8OZ"}],
                        "metadata": dict({"k%02d" % i: "é" * 500 for i in range(49)}, **{"k" * 40: "v"})})
    checks.eq(st, 201, "50 keys, a 40-character key and 500-character values are accepted")

    # A website sale: one SKU and a quantity.
    st, doc = H.jrequest("POST", sb.base + "/sandbox/stripe/checkout", {"sku": "LAV-4OZ", "quantity": 3})
    checks.eq(st, 201, "website sale (JSON) created")
    sess = doc["event"]["data"]["object"]
    checks.eq((sess["metadata"], sess["payment_status"]), ({"shopsync_items": "LAV-4OZ:3"}, "paid"),
              "a website sale is paid and names its items in metadata.shopsync_items")
    st, li = H.jrequest("GET", sb.base + "/stripe/v1/checkout/sessions/%s/line_items?expand[]=data.price.product"
                        % doc["session_id"], headers=auth)
    checks.eq([(x["quantity"], x["price"]["product"]["metadata"].get("sku")) for x in li["data"]], [(3, "LAV-4OZ")],
              "its line items say the same")
    g = rec.wait(lambda g: g["path"] == "/stripe" and json.loads(g["body"])["id"] == doc["event_id"],
                 what="website sale event")[0]
    m = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", g["headers"].get("stripe-signature", ""))
    checks.ok(m is not None and m.group(2) == hmac.new(H.STRIPE_SECRET.encode(), m.group(1).encode() + b"." + g["body"],
                                                         hashlib.sha256).hexdigest(),
              "the website sale's event is delivered signed")
    for body, needle in (({"sku": "LAV-4OZ", "quantity": 0}, "quantity"), ({"sku": "A:B"}, "sku: must be"),
                         ({"sku": "LAV-4OZ", "lines": []}, "either sku and quantity")):
        st, doc = H.jrequest("POST", sb.base + "/sandbox/stripe/checkout", body)
        msg = (doc or {}).get("error", {}).get("message", "")
        checks.ok(st == 400 and needle in msg, "website sale %r refused: %d %r" % (body, st, msg))

    # The same from the page's form.
    page = H.request("GET", sb.base + "/")[2].decode()
    checks.ok('id="website-sale"' in page and '<option value="LAV-8OZ">' in page and 'id="website-qty"' in page,
              "the page has a Website sale form with a SKU choice and a quantity")
    checks.ok('id="stripe-webhook-url"' in page, "the page says where website sales are sent")
    n0 = len(rec.delivered(lambda g: g["path"] == "/stripe"))
    st, h, _ = form(sb.base + "/sandbox/stripe/checkout", {"sku": "LAV-8OZ", "quantity": "2"})
    loc = h.get("location", "")
    checks.ok(st == 303 and loc.startswith("/?note="), "the Website sale form redirects back with a note: %r" % loc)
    g = rec.wait(lambda g: g["path"] == "/stripe", n=n0 + 1, what="website sale event from the form")[-1]
    ev = json.loads(g["body"])
    checks.eq((ev["type"], ev["data"]["object"]["metadata"]), ("checkout.session.completed",
                                                               {"shopsync_items": "LAV-8OZ:2"}),
              "the form's sale sends checkout.session.completed with metadata.shopsync_items")
    page = H.request("GET", sb.base + loc)[2].decode()
    note = re.search(r'<p class="note" id="note">(.*?)</p>', page, re.S)
    checks.ok(note is not None and ev["data"]["object"]["id"] in note.group(1) and "LAV-8OZ:2" in note.group(1),
              "the page shows the note naming the session and its items: %r" % (note and note.group(1)))


def page_and_state(sb, api, grant):
    st, h, page = H.request("GET", sb.base + "/")
    page = page.decode()
    checks.eq(st, 200, "seller page")
    checks.ok('class="buy" type="submit" data-sku="LAV-8OZ"' in page and 'class="qty"' in page,
              "page has a buy button and quantity input per SKU")
    checks.ok('class="cancel"' in page and 'id="faults-apply"' in page, "page has cancel and fault controls")
    checks.ok("latency ms (all APIs)" in page and "the OAuth token endpoints and the Stripe API" in page,
              "the faults form says the latency applies to every imitated API")
    checks.ok('name="webhook_delay_ms"' in page, "the faults form has the webhook delay")
    st, h, _ = form(sb.base + "/sandbox/faults", {"latency_ms": "0", "error_rate": "0", "fail_next": "0"})
    checks.eq((st, h.get("location")), (303, "/"), "fault form redirects back")
    st, state = H.jrequest("GET", sb.base + "/sandbox/state")
    c = state["counters"]
    checks.ok(c["inventory_updates"] >= 1 and c["images_uploaded"] == 1 and c["products_created"] == 2
              and c["products_edited"] == 1 and c["token_refreshes"] == 1, "counters: %r" % c)
    checks.ok(c["rate_limited"] >= 1 and c["faults_injected"] >= 4 and c["webhooks_sent"] >= 6
              and c["requests"] > 60, "counters: traffic")
    checks.ok(state["endpoint_calls"].get("POST /product/202309/products/{product_id}/inventory/update", 0) >= 1,
              "per-endpoint call counts")
    checks.eq(len(state["products"]), 2, "state lists products")
    H.jrequest("POST", sb.base + "/sandbox/faults", {"revoke_tokens": True})
    checks.eq(api.call("GET", "/logistics/202309/warehouses")[1]["code"], 105001, "revoked token gives 105001")
    checks.eq(refresh(sb, grant["refresh_token"])["code"], 36004005, "revoked grant cannot refresh")
    st, _ = H.jrequest("POST", sb.base + "/sandbox/reset")
    st, state = H.jrequest("GET", sb.base + "/sandbox/state")
    checks.eq((state["products"], state["orders"], state["counters"]["live_access_tokens"]), ([], [], 0),
              "reset empties products, orders and tokens")


if __name__ == "__main__":
    main()
