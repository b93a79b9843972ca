"""End-to-end TikTok Shop flow: the real shopsync against the local sandbox
and a real redis-server. Connecting (OAuth state, deny, failed exchange,
replay), tokens sealed at rest, Sync All Products (images uploaded once, a
broken image reported, stock buffer, create then update, async jobs and
their 409s), stock pushes, a transparently refreshed access token, absorbed
429s, syncs interrupted by SIGTERM, kill -9 and Ctrl-C, revoked
authorization and reconnecting, disconnecting, and the `shopsync sync` /
`shopsync status` commands.
"""
import json
import os
import re
import signal
import subprocess
import time
import urllib.parse

import harness as H

BUFFER = 2
TOKEN_PATTERN = re.compile(r"ROW_(AT|RT)_[0-9a-f]{10}")

checks = H.Checks("test_tiktok_flow")
seen_bodies = []  # every shopsync API body, scanned for secrets at the end


def catalog(base):
    img = base + "/static/"
    return {"products": [
        {"id": "lavender", "title": "Lavender Candle", "description": "<p>Soy wax.</p>",
         "images": [img + "sample-lavender.png"], "category_id": "600001",
         "package": {"weight": "1.5", "weight_unit": "POUND", "length": "5", "width": "5", "height": "8",
                     "dimension_unit": "INCH"},
         "skus": [{"sku": "LAV-8OZ", "price": "24.00", "currency": "USD", "stock": 12,
                   "attributes": {"Size": "8 oz"}},
                  {"sku": "LAV-16OZ", "price": "38.00", "currency": "USD", "stock": 1,
                   "attributes": {"Size": "16 oz"}}]},
        # No category_id: TIKTOK_SHOP_CATEGORY_ID applies.
        {"id": "cedar", "title": "Cedarwood Candle", "images": [img + "sample-cedar.png"],
         "skus": [{"sku": "CED-8OZ", "price": "26.00", "currency": "USD", "stock": 8}]},
        # Shares the lavender image: it must not be uploaded twice.
        {"id": "citrus", "title": "Citrus Bar Soap", "images": [img + "sample-citrus.png", img + "sample-lavender.png"],
         "category_id": "600001",
         "skus": [{"sku": "CIT-BAR", "price": "9.50", "currency": "USD", "stock": 40}]},
        {"id": "broken", "title": "Broken Image", "images": [img + "missing.png"], "category_id": "600001",
         "skus": [{"sku": "BRK-1", "price": "5.00", "currency": "USD", "stock": 5}]},
    ]}


STOCK = {"LAV-8OZ": 12, "LAV-16OZ": 1, "CED-8OZ": 8, "CIT-BAR": 40}


def projection(stock):
    return max(0, stock - BUFFER)


# --- small helpers ----------------------------------------------------------

def api(ss, method, path, body=None):
    """Admin call that keeps the raw body for the secret scan."""
    st, _, data = H.request(method, ss.base + path, body, {"Authorization": "Bearer " + H.ADMIN_TOKEN})
    seen_bodies.append(data)
    return st, (json.loads(data) if data else None)


def status(ss):
    st, doc = api(ss, "GET", "/api/admin/tiktok/sync")
    if st != 200:
        raise AssertionError("status answered %d" % st)
    return doc


def sb_state(sb):
    return H.jrequest("GET", sb.base + "/sandbox/state")[1]


def faults(sb, body):
    st, doc = H.jrequest("POST", sb.base + "/sandbox/faults", body)
    if st != 200:
        raise AssertionError("sandbox faults answered %d: %r" % (st, doc))


def sb_quantities(sb):
    """{seller_sku: total quantity over warehouses} of the sandbox shop."""
    out = {}
    for p in sb_state(sb)["products"]:
        for s in p["skus"]:
            out[s["seller_sku"]] = sum(i["quantity"] for i in s["inventory"])
    return out


def sku_tiktok(ss):
    """{sku: the SKU's "tiktok" object} from the admin product list."""
    st, doc = api(ss, "GET", "/api/admin/products")
    return {s["sku"]: s["tiktok"] for p in doc["products"] for s in p["skus"]}


def pushed(ss, sku, field, want, timeout=10.0):
    """sku's tiktok[field] from the product list once it equals want, or its
    last value after timeout: the push worker records a push only after the
    sandbox has applied (and answered) it, so the sandbox can be ahead."""
    deadline = time.time() + timeout
    while True:
        got = sku_tiktok(ss)[sku][field]
        if got == want or time.time() >= deadline:
            return got
        time.sleep(0.05)


def redis_text(redis):
    """Every key and value in Redis as one text, read type by type."""
    keys = [k for k in redis.cli("--scan").split("\n") if k]

    def batch(lines):
        out = subprocess.run(["redis-cli", "-p", str(redis.port), "--raw"], input="\n".join(lines) + "\n",
                             capture_output=True, text=True, timeout=30)
        return out.stdout

    types = batch(['TYPE "%s"' % k for k in keys]).split("\n")
    read = {"string": "GET", "hash": "HGETALL", "list": "LRANGE", "set": "SMEMBERS", "zset": "ZRANGE",
            "stream": "XRANGE"}
    extra = {"LRANGE": " 0 -1", "ZRANGE": " 0 -1", "XRANGE": " - +"}
    cmds = []
    for k, t in zip(keys, types):
        verb = read.get(t.strip())
        if verb:
            cmds.append('%s "%s"%s' % (verb, k, extra.get(verb, "")))
    return "\n".join(keys) + "\n" + batch(cmds)


def aof_bytes(redis):
    """Everything Redis ever appended: values since overwritten included."""
    out = b""
    for root, _, files in os.walk(redis.dir):
        for f in files:
            if "appendonly" in f:
                with open(os.path.join(root, f), "rb") as fh:
                    out += fh.read()
    return out


def dirty_count(redis):
    return int(redis.cli("HLEN", "shopsync:push:dirty").strip() or "0")


def wait_job(ss, job_id, progress):
    """Poll a job until it ends, noting (done, total) of every poll."""
    def finished():
        st, doc = api(ss, "GET", "/api/admin/tiktok/sync/" + job_id)
        progress.append((doc["done"], doc["total"]))
        return doc if doc["state"] != "running" else None
    return H.wait_until(finished, timeout=60, interval=0.02, what="sync job %s" % job_id)


def results_by_id(job):
    return {r["id"]: r for r in job["results"]}


# --- the scenario -----------------------------------------------------------

def before_connecting(ss):
    s = status(ss)
    checks.eq((s["configured"], s["connected"], s["needs_reauth"], s["shop"]), (True, False, False, None),
              "fresh install: configured, not connected, no shop")
    checks.eq(s["last_sync"], None, "no sync yet")
    st, doc = api(ss, "POST", "/api/admin/tiktok/sync")
    checks.eq((st, doc["error"]["code"]), (409, "not_connected"), "sync before connecting is 409 not_connected")
    r = ss.cli("sync")
    checks.eq(r.returncode, 1, "CLI sync before connecting exits 1")
    checks.ok("not connected" in r.stderr, "CLI sync says it is not connected: %r" % r.stderr.strip())


def auth_redirect(ss, sb):
    st, h, _ = H.request("GET", ss.base + "/api/admin/tiktok/auth")
    checks.eq(st, 401, "auth needs the admin")
    st, h, _ = H.request("GET", ss.base + "/api/admin/tiktok/auth", headers={"Authorization": "Bearer " + H.ADMIN_TOKEN})
    loc = urllib.parse.urlsplit(h.get("location", ""))
    q = urllib.parse.parse_qs(loc.query)
    checks.eq(st, 302, "auth redirects")
    checks.eq(loc.scheme + "://" + loc.netloc + loc.path, sb.base + "/open/authorize",
              "auth goes to the configured authorize URL")
    checks.eq(q.get("service_id"), [H.SERVICE_ID], "authorize URL carries service_id")
    state = q.get("state", [""])[0]
    checks.ok(re.fullmatch(r"[0-9a-f]{32,}", state) is not None,
              "state is at least 128 bits of hex (%d chars)" % len(state))


def bad_callbacks(ss, redis):
    cb = ss.base + "/api/admin/tiktok/callback"
    st, doc = H.jrequest("GET", cb + "?code=AC_x&state=" + "ab" * 32)
    checks.eq((st, doc["error"]["code"]), (400, "invalid_state"), "unknown state: 400 invalid_state JSON")
    st, doc = H.jrequest("GET", cb + "?code=AC_x")
    checks.eq((st, doc["error"]["code"]), (400, "invalid_state"), "missing state: 400 invalid_state")
    st, h, page = H.request("GET", cb + "?code=AC_x&state=nope", headers={"Accept": "text/html"})
    checks.eq((st, h.get("content-type", "").split(";")[0]), (400, "text/html"), "browser gets a 400 HTML page")
    checks.ok(b"was not connected" in page, "the page says the shop was not connected")
    # An expired state is the same as an unknown one: Redis forgets it.
    state = new_state(ss)
    ttl = int(redis.cli("TTL", "shopsync:oauth:state:" + state).strip())
    checks.ok(0 < ttl <= 600, "state lives at most 10 minutes (ttl %d)" % ttl)
    redis.cli("DEL", "shopsync:oauth:state:" + state)
    st, doc = H.jrequest("GET", cb + "?code=AC_x&state=" + state)
    checks.eq((st, doc["error"]["code"]), (400, "invalid_state"), "expired state: 400")
    checks.eq(status(ss)["connected"], False, "still not connected after bad callbacks")


def new_state(ss):
    st, h, _ = H.request("GET", ss.base + "/api/admin/tiktok/auth", headers={"Authorization": "Bearer " + H.ADMIN_TOKEN})
    return urllib.parse.parse_qs(urllib.parse.urlsplit(h["location"]).query)["state"][0]


def denied_and_failed(ss, sb, redis):
    url, st, h = H.connect_shop(ss, sb, decision="deny")
    loc = urllib.parse.urlsplit(h.get("location", ""))
    q = urllib.parse.parse_qs(loc.query)
    checks.eq((st, loc.path), (302, "/admin/tiktok-shop"), "deny: callback redirects to the admin page")
    checks.eq((q.get("connected"), q.get("error")), (["0"], ["auth_denied"]), "deny: connected=0 error=auth_denied")
    checks.ok("declined" in q.get("message", [""])[0], "deny: message says it was declined: %r" % q.get("message"))
    checks.eq(status(ss)["connected"], False, "deny: not connected")
    st, doc = H.jrequest("GET", url)
    checks.eq(st, 400, "deny callback replayed: 400 (state used)")

    # A good state with a code TikTok does not know.
    state = new_state(ss)
    st, h, _ = H.request("GET", ss.base + "/api/admin/tiktok/callback?code=AC_forged&state=" + state)
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(h.get("location", "")).query)
    checks.eq((st, q.get("connected"), q.get("error")), (302, ["0"], ["token_exchange_failed"]),
              "unknown code: 302 with error=token_exchange_failed")
    checks.ok("authorization code" in q.get("message", [""])[0], "exchange failure message: %r" % q.get("message"))
    checks.eq(status(ss)["connected"], False, "failed exchange: not connected")
    checks.eq(redis.cli("EXISTS", "shopsync:tiktok:connection").strip(), "0", "failed exchange stores nothing")


def connect(ss, sb, redis):
    t0 = int(time.time())
    url, st, h = H.connect_shop(ss, sb)
    checks.eq((st, h.get("location")), (302, "/admin/tiktok-shop?connected=1"), "approve: callback 302 connected=1")
    s = status(ss)
    shop = sb_state(sb)["shop"]
    checks.eq((s["connected"], s["needs_reauth"], s["reauth_reason"]), (True, False, None), "status: connected")
    checks.eq(s["shop"], {"id": shop["id"], "name": shop["name"], "region": "US"}, "status: the sandbox's shop")
    now = time.time()
    checks.ok(isinstance(s["access_token_expires_at"], int) and s["access_token_expires_at"] > now + 3600,
              "access expiry is an absolute time in the future: %r" % s["access_token_expires_at"])
    checks.ok(isinstance(s["refresh_token_expires_at"], int) and s["refresh_token_expires_at"] > now + 86400,
              "refresh expiry is an absolute time in the future: %r" % s["refresh_token_expires_at"])
    checks.ok(t0 <= s["connected_at"] <= now + 1, "connected_at is now: %r" % s["connected_at"])
    checks.eq(sb_state(sb)["counters"]["tokens_issued"], 1, "one token exchange")

    # Replaying the callback (same state, same code) changes nothing.
    before = redis.cli("HGETALL", "shopsync:tiktok:connection")
    st, doc = H.jrequest("GET", url)
    checks.eq((st, doc["error"]["code"]), (400, "invalid_state"), "replayed callback: 400 invalid_state")
    checks.eq(redis.cli("HGETALL", "shopsync:tiktok:connection"), before, "replay leaves the connection as it was")
    checks.eq(sb_state(sb)["counters"]["tokens_issued"], 1, "replay did not exchange the code again")
    checks.eq(status(ss)["connected"], True, "still connected after the replay")
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["code"][0]
    return code


def secrets_sealed(ss, sb, redis, code, when):
    """No token, cipher or auth code in plaintext in Redis (live keys and the
    AOF history), in the log, or in any API answer."""
    cipher = sb_state(sb)["shop"]["cipher"]
    text = redis_text(redis)
    checks.ok("shopsync:tiktok:connection" in text, "%s: the connection hash is in the scan" % when)
    checks.ok(TOKEN_PATTERN.search(text) is None, "%s: no access or refresh token in Redis" % when)
    checks.ok(cipher not in text, "%s: no shop cipher in Redis" % when)
    checks.ok(code not in text, "%s: no auth code in Redis" % when)
    aof = aof_bytes(redis)
    checks.ok(b"tiktok:connection" in aof, "%s: the AOF holds the connection writes" % when)
    checks.ok(re.search(rb"ROW_(AT|RT)_", aof) is None and cipher.encode() not in aof,
              "%s: no token or cipher ever written to the AOF" % when)
    sealed = redis.cli("HGET", "shopsync:tiktok:connection", "access_token").strip()
    checks.ok(len(sealed) > 60 and not sealed.startswith("ROW_"), "%s: access_token field is sealed" % when)
    log = ss.proc.output()
    checks.ok(TOKEN_PATTERN.search(log) is None and cipher not in log, "%s: no token or cipher in the log" % when)
    blob = b"\n".join(seen_bodies)
    checks.ok(re.search(rb"ROW_(AT|RT)_", blob) is None and cipher.encode() not in blob,
              "%s: no token or cipher in %d API answers" % (when, len(seen_bodies)))


def first_sync(ss, sb, redis):
    st, doc = api(ss, "POST", "/api/admin/products/import", catalog(ss.base))
    checks.eq((st, doc), (200, {"imported": 4, "skus": 5}), "catalog imported")
    st, job = api(ss, "POST", "/api/admin/tiktok/sync?wait=1")
    checks.eq(st, 200, "sync ?wait=1 answers 200 when done")
    checks.eq((job["state"], job["total"], job["done"], job["created"], job["updated"], job["failed"]),
              ("done", 4, 4, 3, 0, 1), "first sync: 3 created, 1 failed")
    checks.ok(re.fullmatch(r"[0-9a-f]{16}", job["job_id"]) is not None, "job id shape")
    checks.ok(job["started_at"] <= job["finished_at"], "started_at <= finished_at")
    r = results_by_id(job)
    checks.eq({k: v["status"] for k, v in r.items()},
              {"broken": "failed", "cedar": "created", "citrus": "created", "lavender": "created"},
              "per-product results")
    err = r["broken"]["error"] or ""
    checks.ok("missing.png" in err and "HTTP 404" in err, "broken image result names the image and HTTP 404: %r" % err)
    checks.eq([r[k]["error"] for k in ("cedar", "citrus", "lavender")], [None, None, None], "others have no error")
    checks.eq(r["lavender"]["title"], "Lavender Candle", "result carries the title")
    checks.eq(status(ss)["last_sync"]["job_id"], job["job_id"], "status last_sync is this job")

    state = sb_state(sb)
    prods = state["products"]
    checks.eq(len(prods), 3, "sandbox has 3 products")
    checks.eq(sorted(s["seller_sku"] for p in prods for s in p["skus"]), sorted(STOCK), "sandbox seller_skus")
    by_title = {p["title"]: p for p in prods}
    checks.eq(by_title["Cedarwood Candle"]["category_id"], "600002", "TIKTOK_SHOP_CATEGORY_ID used when unset")
    checks.eq(len(by_title["Citrus Bar Soap"]["main_images"]), 2, "citrus has both images")
    checks.eq(state["counters"]["images_uploaded"], 3, "3 distinct image URLs uploaded once each")
    want = {k: projection(v) for k, v in STOCK.items()}
    checks.eq(sb_quantities(sb), want, "sandbox quantities = stock - buffer, floored at 0 (LAV-16OZ: 1 -> 0)")
    H.wait_until(lambda: dirty_count(redis) == 0, what="post-sync pushes")
    checks.eq(sb_quantities(sb), want, "quantities unchanged after the follow-up pushes")

    tk = sku_tiktok(ss)
    ids = {s["seller_sku"]: (p["id"], s["id"]) for p in prods for s in p["skus"]}
    checks.eq({k: (v["status"], v["product_id"], v["sku_id"]) for k, v in tk.items() if k in STOCK},
              {k: ("synced",) + ids[k] for k in STOCK}, "products API maps each SKU to the sandbox ids")
    checks.eq({k: tk[k]["last_pushed_quantity"] for k in STOCK}, want, "last_pushed_quantity per SKU")
    checks.eq((tk["BRK-1"]["status"], tk["BRK-1"]["product_id"]), ("not_synced", None), "broken SKU not synced")
    return {p["id"]: sorted(s["id"] for s in p["skus"]) for p in prods}


def resync_async(ss, sb, redis, ids_before):
    c0 = sb_state(sb)["counters"]
    # Slow the sandbox so the job is certainly still running for the second POST.
    faults(sb, {"latency_ms": 150})
    st, doc = api(ss, "POST", "/api/admin/tiktok/sync")
    checks.eq(st, 202, "sync without wait answers 202")
    job_id = doc.get("job_id", "")
    checks.ok(re.fullmatch(r"[0-9a-f]{16}", job_id) is not None, "202 carries a job id")
    st, busy = api(ss, "POST", "/api/admin/tiktok/sync")
    checks.eq((st, busy["error"]["code"], busy.get("job_id")), (409, "sync_running", job_id),
              "second sync while one runs: 409 with the running job id")
    st, running = api(ss, "GET", "/api/admin/tiktok/sync/" + job_id)
    checks.eq((st, running["state"], running["finished_at"]), (200, "running", None), "job reads as running")
    # A sale while the job runs: its push may land before the job's edit of
    # that product, which carries the stock read when the job began. The job
    # must see the change and push again, or TikTok keeps the stale value.
    st, doc = api(ss, "POST", "/api/admin/stock/CIT-BAR", {"delta": -1})
    checks.eq((st, doc["stock"]), (200, 39), "a sale of CIT-BAR while the sync runs")
    faults(sb, {"latency_ms": 0})
    progress = []
    job = wait_job(ss, job_id, progress)
    checks.ok(all(0 <= d <= t for d, t in progress) and [d for d, _ in progress] == sorted(d for d, _ in progress),
              "polled progress never decreases nor passes total (%d polls)" % len(progress))
    checks.eq((job["state"], job["done"], job["total"]), ("done", 4, 4), "polling reaches done == total")
    checks.eq((job["created"], job["updated"], job["failed"]), (0, 3, 1), "re-sync updates 3, creates none")
    c1 = sb_state(sb)["counters"]
    checks.eq(c1["images_uploaded"], c0["images_uploaded"], "re-sync uploads no image again")
    checks.eq((c1["products_created"], c1["products_edited"] - c0["products_edited"]), (3, 3),
              "re-sync edits the 3 products")
    prods = sb_state(sb)["products"]
    checks.eq({p["id"]: sorted(s["id"] for s in p["skus"]) for p in prods}, ids_before,
              "same product and SKU ids after the re-sync")
    H.wait_until(lambda: dirty_count(redis) == 0, what="pushes settled after the re-sync")
    checks.eq(sb_quantities(sb)["CIT-BAR"], projection(39), "the sale made during the sync is on TikTok")
    c2 = sb_state(sb)["counters"]
    # None when the job read CIT-BAR's stock after the sale (its edit carried
    # 39 and the push found TikTok already there), a few when it read it before.
    checks.ok(0 <= c2["inventory_updates"] - c0["inventory_updates"] <= 3,
              "Update Inventory only for the SKU that changed during the re-sync (%d calls); the edits carried "
              "the other quantities" % (c2["inventory_updates"] - c0["inventory_updates"]))
    st, doc = api(ss, "POST", "/api/admin/stock/CIT-BAR", {"delta": 1})
    checks.eq((st, doc["stock"]), (200, 40), "CIT-BAR back to 40")
    H.wait_until(lambda: sb_quantities(sb)["CIT-BAR"] == projection(40), what="CIT-BAR pushed back")
    st, doc = api(ss, "GET", "/api/admin/tiktok/sync/0123456789abcdef")
    checks.eq(st, 404, "unknown job: 404")
    st, doc = api(ss, "GET", "/api/admin/tiktok/sync/nothex")
    checks.eq(st, 404, "malformed job id: 404")


def stock_push(ss, sb):
    st, doc = api(ss, "POST", "/api/admin/stock/LAV-8OZ", {"delta": -1})
    checks.eq((st, doc["stock"]), (200, 11), "stock edit applied")
    want = projection(11)
    got = H.wait_until(lambda: sb_quantities(sb)["LAV-8OZ"] == want and sb_quantities(sb), what="LAV-8OZ push")
    checks.eq(got["LAV-8OZ"], want, "sandbox quantity follows the edit (11 - buffer)")
    checks.eq(pushed(ss, "LAV-8OZ", "last_pushed_quantity", want), want, "products API shows the pushed quantity")
    st, doc = api(ss, "POST", "/api/admin/stock/LAV-16OZ", {"set": 3})
    H.wait_until(lambda: sb_quantities(sb)["LAV-16OZ"] == 1, what="LAV-16OZ push")
    checks.eq(pushed(ss, "LAV-16OZ", "last_pushed_quantity", 1), 1, "stock 3 pushes 1 with the buffer")


def expired_token(ss, sb, redis):
    H.wait_until(lambda: dirty_count(redis) == 0, what="pushes settled")
    before = status(ss)["access_token_expires_at"]
    c0 = sb_state(sb)["counters"]
    faults(sb, {"expire_tokens": True})
    checks.eq(sb_state(sb)["counters"]["live_access_tokens"], 0, "sandbox expired the access token")
    st, doc = api(ss, "POST", "/api/admin/stock/CIT-BAR", {"delta": -5})
    H.wait_until(lambda: sb_quantities(sb)["CIT-BAR"] == projection(35), what="push with an expired token")
    c1 = sb_state(sb)["counters"]
    checks.eq(c1["token_refreshes"] - c0["token_refreshes"], 1, "exactly one token refresh")
    checks.eq(c1["live_access_tokens"], 1, "a live access token again")
    s = status(ss)
    checks.eq((s["connected"], s["needs_reauth"]), (True, False), "still connected after the refresh")
    checks.ok(s["access_token_expires_at"] >= before, "expiry moved with the new token")
    checks.eq(pushed(ss, "CIT-BAR", "last_pushed_quantity", projection(35)), projection(35), "the push went through")
    st, job = api(ss, "POST", "/api/admin/tiktok/sync?wait=1")
    checks.eq((job["state"], job["updated"], job["failed"]), ("done", 3, 1), "sync after the refresh works")

    # Expired again moments after that refresh: the stored token is still
    # the one TikTok refused, so it is refreshed again at once; how recent
    # the last refresh was does not matter.
    H.wait_until(lambda: dirty_count(redis) == 0, what="pushes settled")
    c1 = sb_state(sb)["counters"]
    faults(sb, {"expire_tokens": True})
    st, job = api(ss, "POST", "/api/admin/tiktok/sync?wait=1")
    c2 = sb_state(sb)["counters"]
    checks.eq((job["state"], job["updated"], job["failed"]), ("done", 3, 1),
              "a token expired right after a refresh is refreshed again: the sync works")
    checks.eq([r["error"] for r in job["results"] if r["id"] != "broken"], [None, None, None],
              "no product failed on the expired token")
    checks.eq(c2["token_refreshes"] - c1["token_refreshes"], 1, "one more token refresh")

    # Three pushes at once meet the expired token: the first to take the
    # refresh lock refreshes, the others find the stored token replaced and
    # retry with it.
    H.wait_until(lambda: dirty_count(redis) == 0, what="pushes settled")
    faults(sb, {"expire_tokens": True})
    for sku in ("LAV-8OZ", "CED-8OZ", "CIT-BAR"):
        api(ss, "POST", "/api/admin/stock/" + sku, {"delta": -1})
    want = {"LAV-8OZ": projection(10), "CED-8OZ": projection(7), "CIT-BAR": projection(34)}
    H.wait_until(lambda: all(sb_quantities(sb)[k] == v for k, v in want.items()), what="three pushes")
    c3 = sb_state(sb)["counters"]
    checks.eq(c3["token_refreshes"] - c2["token_refreshes"], 1,
              "three pushes with the same expired token: one refresh")
    for sku, q in (("LAV-8OZ", 1), ("CED-8OZ", 1), ("CIT-BAR", 1)):
        api(ss, "POST", "/api/admin/stock/" + sku, {"delta": q})


def throttled(ss, sb, redis):
    # The client makes 5 attempts per call, so a burst of 4 429s on one call
    # is the most a single call can absorb.
    H.wait_until(lambda: dirty_count(redis) == 0, what="pushes settled")
    c0 = sb_state(sb)["counters"]
    faults(sb, {"throttle_next": 4})
    st, job = api(ss, "POST", "/api/admin/tiktok/sync?wait=1")
    checks.eq((job["state"], job["updated"], job["failed"]), ("done", 3, 1),
              "sync under a burst of 429s: 3 updated, only the broken image fails")
    checks.eq([r["error"] for r in job["results"] if r["id"] != "broken"], [None, None, None],
              "no throttled product has an error")
    state = sb_state(sb)
    checks.eq(state["faults"]["throttle_next"], 0, "every throttled answer was consumed")
    checks.eq(state["counters"]["faults_injected"] - c0["faults_injected"], 4, "sandbox answered 429 4 times")


def cli_sync(ss, sb):
    r = ss.cli("sync")
    checks.eq(r.returncode, 1, "CLI sync with a failing product exits 1")
    checks.ok(re.search(r"done .* 0 created, 3 updated, 1 failed", r.stdout) is not None,
              "CLI sync prints the counts: %r" % r.stdout.strip())
    checks.ok(re.search(r"broken: .*missing\.png.*HTTP 404", r.stdout) is not None, "CLI sync names the failure")
    fixed = dict(catalog(ss.base)["products"][3], images=[ss.base + "/static/sample-cedar.png"])
    st, doc = api(ss, "PUT", "/api/admin/products/broken", fixed)
    checks.eq(st, 200, "broken product gets a working image")
    r = ss.cli("sync")
    checks.eq(r.returncode, 0, "CLI sync exits 0 when every product syncs")
    checks.ok(re.search(r"done .* 1 created, 3 updated, 0 failed", r.stdout) is not None,
              "CLI sync creates the fixed product: %r" % r.stdout.strip())
    checks.eq(len(sb_state(sb)["products"]), 4, "sandbox now has 4 products")
    checks.eq(sb_quantities(sb)["BRK-1"], projection(5), "fixed product's quantity")
    checks.eq(status(ss)["last_sync"]["created"], 1, "the CLI's job is the service's last_sync")


def job(ss, job_id):
    st, doc = api(ss, "GET", "/api/admin/tiktok/sync/" + job_id)
    if st != 200:
        raise AssertionError("job %s answered %d" % (job_id, st))
    return doc


def started_slow_sync(ss, sb):
    """An async sync with TikTok answering after 1 s, once its first product
    is done (so it is certainly mid-catalog). Returns the job id."""
    faults(sb, {"latency_ms": 1000})
    st, doc = api(ss, "POST", "/api/admin/tiktok/sync")
    checks.eq(st, 202, "slow sync started")
    job_id = doc.get("job_id", "")
    H.wait_until(lambda: job(ss, job_id)["done"] >= 1, timeout=30, interval=0.05, what="first product synced")
    return job_id


def interrupted_sync(ss, sb, redis):
    """SIGTERM ends a running sync between products instead of waiting for
    the whole catalog; the job says it was interrupted and frees its lock. A
    job whose instance was killed reads as interrupted once the instance's
    heartbeat lapses, and the next sync takes its lock over. `shopsync sync`
    stopped by Ctrl-C ends the same way."""
    H.wait_until(lambda: dirty_count(redis) == 0, what="pushes settled")
    job_id = started_slow_sync(ss, sb)
    t0 = time.time()
    rc = ss.stop()
    took = time.time() - t0
    faults(sb, {"latency_ms": 0})
    checks.eq(rc, 0, "SIGTERM during a sync: shopsync exits 0")
    checks.ok(took < 8, "SIGTERM during a sync: stopped in %.1f s" % took)
    checks.eq(redis.cli("EXISTS", "shopsync:sync:lock").strip(), "0", "the stopped job freed the sync lock")
    ss.start()
    j = job(ss, job_id)
    checks.eq(j["state"], "failed", "the stopped job reads as failed")
    checks.ok(j["done"] < j["total"], "it stopped between products (%d of %d), not after the catalog"
              % (j["done"], j["total"]))
    checks.ok((j["error"] or "").startswith("interrupted: shopsync was stopping after %d of %d" % (j["done"], j["total"])),
              "its error says it was interrupted and how far it got: %r" % j["error"])
    st, doc = api(ss, "POST", "/api/admin/tiktok/sync?wait=1")
    checks.eq((st, doc["state"], doc["updated"], doc["failed"]), (200, "done", 4, 0),
              "a new sync starts at once and completes")

    job_id = started_slow_sync(ss, sb)
    lock = redis.cli("GET", "shopsync:sync:lock").strip()
    checks.ok(re.fullmatch(r"[0-9a-f]{16}\." + job_id, lock) is not None,
              "the running job's lock names its instance and the job: %r" % lock)
    ss.proc.kill9()
    t0 = time.time()
    faults(sb, {"latency_ms": 0})
    ss.start()
    pttl = int(redis.cli("PTTL", "shopsync:sync:lock").strip() or -2)
    checks.ok(0 < pttl <= 300000, "the killed job's lock is still there (%d ms left)" % pttl)
    j = H.wait_until(lambda: job(ss, job_id)["state"] == "failed" and job(ss, job_id), timeout=20, interval=0.1,
                     what="the killed job reads as interrupted")
    took = time.time() - t0
    checks.ok((j["error"] or "").startswith("interrupted: the shopsync instance running this sync stopped"),
              "the killed job reads as failed, interrupted, %.1f s after the kill: %r" % (took, j["error"]))
    checks.ok(took < 10, "as soon as its instance's heartbeat lapsed, not when the lock expires (%.1f s)" % took)
    checks.eq(status(ss)["last_sync"]["state"], "failed", "status shows the interrupted job as the last sync")
    st, doc = api(ss, "POST", "/api/admin/tiktok/sync?wait=1")
    checks.eq((st, doc.get("state")), (200, "done"), "a new sync takes the dead job's lock over and completes")

    faults(sb, {"latency_ms": 1000})
    last = (status(ss)["last_sync"] or {}).get("job_id")
    p = subprocess.Popen([H.SHOPSYNC_BIN, "sync"], env=ss.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    H.wait_until(lambda: (status(ss)["last_sync"] or {}).get("job_id") not in (None, last) and
                 status(ss)["last_sync"]["done"] >= 1, timeout=30, interval=0.05, what="CLI sync under way")
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=30)
    faults(sb, {"latency_ms": 0})
    checks.eq(p.returncode, 1, "`shopsync sync` stopped by SIGINT exits 1")
    checks.ok("failed" in out and "error: interrupted: shopsync was stopping" in out,
              "and says it was interrupted: %r" % out.strip())
    checks.eq(redis.cli("EXISTS", "shopsync:sync:lock").strip(), "0", "the CLI job freed the sync lock")
    st, doc = api(ss, "POST", "/api/admin/tiktok/sync?wait=1")
    checks.eq((st, doc["state"]), (200, "done"), "a sync after the interrupted ones completes")
    # A push the kill -9 cut off mid-call keeps its SKU's lock until the lock
    # expires (40 s); the SKU stays marked and goes out after that.
    t0 = time.time()
    H.wait_until(lambda: dirty_count(redis) == 0, timeout=90, interval=0.2, what="pushes settled after the kill")
    print("# pushes settled %.1f s after the last sync" % (time.time() - t0), flush=True)


def revoked(ss, sb, redis, code):
    # The CLI sync's follow-up pushes must be done, so that the one below is
    # the call that meets the revoked token.
    H.wait_until(lambda: dirty_count(redis) == 0, what="pushes settled")
    faults(sb, {"revoke_tokens": True})
    st, doc = api(ss, "POST", "/api/admin/stock/CED-8OZ", {"delta": -1})
    checks.eq((st, doc["stock"]), (200, 7), "stock edit after the revoke is accepted locally")
    s = H.wait_until(lambda: status(ss)["needs_reauth"] and status(ss), what="needs_reauth")
    checks.eq((s["connected"], s["needs_reauth"]), (False, True), "revoked: needs_reauth, not connected")
    checks.ok("105001" in (s["reauth_reason"] or ""), "reason names TikTok's code: %r" % s["reauth_reason"])
    checks.eq(s["shop"]["id"], sb_state(sb)["shop"]["id"], "the shop is still shown for reconnecting")
    tk = H.wait_until(lambda: sku_tiktok(ss)["CED-8OZ"]["status"] == "error" and sku_tiktok(ss), what="push error")
    checks.ok("refused" in (tk["CED-8OZ"]["error"] or ""), "the SKU shows why its push failed")
    st, doc = api(ss, "POST", "/api/admin/tiktok/sync")
    checks.eq((st, doc["error"]["code"]), (409, "not_connected"), "sync while reauth is needed: 409")
    checks.eq(sb_quantities(sb)["CED-8OZ"], projection(8), "sandbox kept the old quantity")

    # Reconnecting sends the change that waited.
    url, st, h = H.connect_shop(ss, sb)
    checks.eq((st, h.get("location")), (302, "/admin/tiktok-shop?connected=1"), "reconnect succeeds")
    s = status(ss)
    checks.eq((s["connected"], s["needs_reauth"], s["reauth_reason"]), (True, False, None), "reconnected")
    H.wait_until(lambda: sb_quantities(sb)["CED-8OZ"] == projection(7), what="the pending push")
    checks.eq(pushed(ss, "CED-8OZ", "status", "synced"), "synced", "pending push delivered after reconnecting")
    secrets_sealed(ss, sb, redis, urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["code"][0],
                   "after refresh and reconnect")
    checks.ok(code not in redis_text(redis), "first auth code still absent")


def disconnect(ss, redis):
    st, doc = api(ss, "POST", "/api/admin/tiktok/disconnect")
    checks.eq((st, doc["connected"], doc["shop"], doc["needs_reauth"]), (200, False, None, False),
              "disconnect answers the new status")
    s = status(ss)
    checks.eq((s["connected"], s["shop"], s["access_token_expires_at"]), (False, None, None),
              "status after disconnect")
    checks.eq(redis.cli("EXISTS", "shopsync:tiktok:connection").strip(), "0", "no tiktok:connection key")
    st, doc = api(ss, "POST", "/api/admin/tiktok/sync")
    checks.eq((st, doc["error"]["code"]), (409, "not_connected"), "sync after disconnect: 409")
    r = ss.cli("status", "--json")
    checks.eq(r.returncode, 0, "CLI status --json exits 0")
    checks.ok("redis: ok (REDIS_URL)" in r.stdout and "catalog: 4 products, 5 SKUs" in r.stdout,
              "CLI status shows Redis and the catalog: %r" % r.stdout[:120])
    checks.ok(re.search(r'"connected": false', r.stdout) is not None and '"shop": null' in r.stdout,
              "CLI status shows the shop disconnected")


def other_shop(ss, sb, redis):
    """Mappings survive a reconnect of the same shop and are forgotten when
    another shop connects; a sync then finds the products by seller_sku."""
    ids = {k: v["product_id"] for k, v in sku_tiktok(ss).items()}
    checks.eq(sorted(k for k, v in sku_tiktok(ss).items() if v["product_id"]), sorted(list(STOCK) + ["BRK-1"]),
              "mappings are kept after a disconnect")
    checks.eq({v["status"] for v in sku_tiktok(ss).values()}, {"not_connected"},
              "while disconnected every SKU reads not_connected, not synced")
    url, st, h = H.connect_shop(ss, sb)
    checks.eq((st, {k: v["product_id"] for k, v in sku_tiktok(ss).items()}), (302, ids),
              "reconnecting the same shop keeps the mappings")
    api(ss, "POST", "/api/admin/tiktok/disconnect")
    # As if the shop connected before had been another one.
    redis.cli("SET", "shopsync:tiktok:last_shop_id", "1000000000000000001")
    url, st, h = H.connect_shop(ss, sb)
    checks.eq(st, 302, "connecting after another shop")
    checks.eq({v["status"] for v in sku_tiktok(ss).values()}, {"not_synced"}, "another shop: mappings forgotten")
    checks.eq(redis.cli("GET", "shopsync:tiktok:last_shop_id").strip(), sb_state(sb)["shop"]["id"],
              "the connected shop is remembered")
    st, job = api(ss, "POST", "/api/admin/tiktok/sync?wait=1")
    checks.eq((job["state"], job["created"], job["updated"], job["failed"]), ("done", 0, 4, 0),
              "sync finds the existing products by seller_sku and updates them")
    checks.eq((len(sb_state(sb)["products"]), {k: v["product_id"] for k, v in sku_tiktok(ss).items()}), (4, ids),
              "no duplicates: same TikTok product ids")


# Steps, for `python3 test_tiktok_flow.py STEP [STEP ...]` (none: all). One
# shop's life, each step building on the ones before: a step runs with every
# step before it.
STEPS = ["before_connecting", "auth_redirect", "bad_callbacks", "denied_and_failed", "connect", "secrets_sealed",
         "first_sync", "resync_async", "stock_push", "expired_token", "throttled", "cli_sync", "interrupted_sync",
         "revoked", "disconnect", "other_shop"]


def main():
    want = H.selected_sections(STEPS, H.prefix_needs(STEPS))
    tmp = H.TempDir()
    redis = sb = ss = None
    t0 = time.time()
    try:
        redis = H.Redis(tmp.path).start()
        sb, ss = H.linked_pair(tmp.path, redis.url,
                               shopsync_env={"SHOPSYNC_STOCK_BUFFER": str(BUFFER),
                                             "TIKTOK_SHOP_CATEGORY_ID": "600002"})
        sb.start()
        ss.start()
        got = {}
        run = {
            "before_connecting": lambda: before_connecting(ss),
            "auth_redirect": lambda: auth_redirect(ss, sb),
            "bad_callbacks": lambda: bad_callbacks(ss, redis),
            "denied_and_failed": lambda: denied_and_failed(ss, sb, redis),
            "connect": lambda: got.update(code=connect(ss, sb, redis)),
            "secrets_sealed": lambda: secrets_sealed(ss, sb, redis, got["code"], "after connect"),
            "first_sync": lambda: got.update(ids=first_sync(ss, sb, redis)),
            "resync_async": lambda: resync_async(ss, sb, redis, got["ids"]),
            "stock_push": lambda: stock_push(ss, sb),
            "expired_token": lambda: expired_token(ss, sb, redis),
            "throttled": lambda: throttled(ss, sb, redis),
            "cli_sync": lambda: cli_sync(ss, sb),
            "interrupted_sync": lambda: interrupted_sync(ss, sb, redis),
            "revoked": lambda: revoked(ss, sb, redis, got["code"]),
            "disconnect": lambda: disconnect(ss, redis),
            "other_shop": lambda: other_shop(ss, sb, redis),
        }
        for name in STEPS:
            if name in want:
                run[name]()
    finally:
        for name, p in (("shopsync", ss), ("sandbox", sb)):
            if p and p.proc.alive():
                checks.eq(p.stop(), 0, "%s exits 0 on SIGTERM" % name)
        if redis:
            redis.stop()
        tmp.cleanup()
        print("elapsed %.1f s" % (time.time() - t0), flush=True)
    checks.done()


if __name__ == "__main__":
    main()
