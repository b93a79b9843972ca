#!/usr/bin/env python3
"""shopsync benchmarks: they report figures, they assert nothing.

Starts its own redis-server, TikTok Shop sandbox and shopsync on free ports,
connects the shop through the sandbox's OAuth pages, imports and syncs a
small catalog, then runs:

  1. webhook intake: signed TikTok webhooks acknowledged per second, latency,
     RSS (wrk + bench/webhook.lua);
  2. Stripe sale -> TikTok Update Inventory latency at a fixed rate;
  3. coalescing: Update Inventory calls for a burst of sales of one SKU.

Standard library only. See bench/README.md; bench/run.sh builds and runs it.
"""
import argparse
import hashlib
import hmac
import html
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)

ADMIN_TOKEN = "bench-admin-token-0123456789"
SECRET_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
APP_KEY = "sandbox_app_key"
APP_SECRET = "sandbox_app_secret"
SERVICE_ID = "7100000000000000001"
STRIPE_SECRET = "whsec_bench_secret"
PREFIX = "shopsync:"

SIZES = ["4 oz", "8 oz", "12 oz", "16 oz"]
IMAGES = ["sample-lavender.png", "sample-cedar.png", "sample-citrus.png"]
BURST_SKU = "BURST-1"


def log(msg):
    print(msg, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout, what, interval=0.05):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = pred()
            if last:
                return last
        except Exception as e:  # not up yet
            last = e
        time.sleep(interval)
    raise RuntimeError("timed out waiting for %s (last: %r)" % (what, last))


def request(method, url, body=None, headers=None, timeout=30):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    path = (u.path or "/") + ("?" + u.query if u.query else "")
    hdrs = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    try:
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def jrequest(method, url, body=None, headers=None, timeout=30):
    st, _, data = request(method, url, body, headers, timeout)
    return st, (json.loads(data) if data else None)


class KeepAlive:
    """One persistent HTTP/1.1 connection (reconnects when the server closes it)."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.conn = None

    def send(self, method, path, body, headers):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def close(self):
        if self.conn:
            self.conn.close()


def pct(values, p):
    """Nearest-rank percentile of a list (p in 0..100)."""
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS", "Threads"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def cpu_seconds(pid):
    """utime + stime of a live process, in seconds."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


class Stack:
    """redis-server + sandbox + shopsync, wired like scripts/run-local.sh."""

    def __init__(self, build, workdir, name, rate_limit=None, shopsync_env=None, sandbox_env=None):
        self.build = build
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.name = name
        self.rate_limit = rate_limit
        self.procs = []
        self.redis_port = free_port()
        self.sandbox_port = free_port()
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.sandbox = "http://127.0.0.1:%d" % self.sandbox_port
        self.shopsync_env = shopsync_env or {}
        self.sandbox_env = sandbox_env or {}

    def _spawn(self, argv, env, logname):
        logf = open(os.path.join(self.dir, logname), "ab")
        p = subprocess.Popen(argv, env=env, stdout=logf, stderr=subprocess.STDOUT)
        self.procs.append((p, logf))
        return p

    def redis(self, *args):
        out = subprocess.run(["redis-cli", "-p", str(self.redis_port), "--raw"] + [str(a) for a in args],
                             capture_output=True, text=True, timeout=30)
        return out.stdout.strip()

    def start(self):
        rdir = os.path.join(self.dir, "redis")
        os.makedirs(rdir)
        self.redis_proc = self._spawn(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--dir", rdir,
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no"],
            dict(os.environ), "redis.log")
        wait_until(lambda: self.redis("PING") == "PONG", 10, "redis-server")

        env = dict(os.environ)
        env.update({
            "SANDBOX_LISTEN": "127.0.0.1:%d" % self.sandbox_port,
            "SANDBOX_APP_KEY": APP_KEY, "SANDBOX_APP_SECRET": APP_SECRET,
            "SANDBOX_SERVICE_ID": SERVICE_ID,
            "SANDBOX_REDIRECT_URI": self.base + "/api/admin/tiktok/callback",
            "SANDBOX_WEBHOOK_URL": self.base + "/api/tiktok/webhook",
            # Stripe events are signed and sent by the load generator itself.
            "SANDBOX_STRIPE_WEBHOOK_URL": "", "SANDBOX_STRIPE_WEBHOOK_SECRET": "",
        })
        if self.rate_limit:
            env["SANDBOX_RATE_LIMIT"] = str(self.rate_limit)
        env.update(self.sandbox_env)
        self.sandbox_proc = self._spawn([os.path.join(self.build, "shopsync-sandbox")], env, "sandbox.log")
        wait_until(lambda: request("GET", self.sandbox + "/healthz")[0] == 200, 10, "sandbox")

        env = dict(os.environ)
        env.update({
            "SHOPSYNC_LISTEN": "127.0.0.1:%d" % self.port,
            "SHOPSYNC_PUBLIC_URL": self.base,
            "SHOPSYNC_ADMIN_TOKEN": ADMIN_TOKEN,
            "SHOPSYNC_SECRET_KEY": SECRET_KEY,
            "SHOPSYNC_DATA_DIR": os.path.join(self.dir, "data"),
            "SHOPSYNC_WEB_DIR": os.path.join(SOURCE, "web"),
            "SHOPSYNC_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "info"),
            "REDIS_URL": "redis://127.0.0.1:%d/0" % self.redis_port,
            "STRIPE_WEBHOOK_SECRET": STRIPE_SECRET,
            "STRIPE_SECRET_KEY": "sk_test_sandbox",
            "STRIPE_API_BASE": self.sandbox + "/stripe",
            "TIKTOK_SHOP_APP_KEY": APP_KEY, "TIKTOK_SHOP_APP_SECRET": APP_SECRET,
            "TIKTOK_SHOP_SERVICE_ID": SERVICE_ID,
            "TIKTOK_SHOP_AUTHORIZE_URL": self.sandbox + "/open/authorize",
            "TIKTOK_SHOP_AUTH_BASE": self.sandbox,
            "TIKTOK_SHOP_API_BASE": self.sandbox,
            "TIKTOK_SHOP_CATEGORY_ID": "600001",
        })
        if self.rate_limit:
            env["SHOPSYNC_TIKTOK_RATE_LIMIT"] = str(self.rate_limit)
        env.update(self.shopsync_env)
        self.env = env
        self.shopsync_proc = self._spawn([os.path.join(self.build, "shopsync"), "serve"], env, "shopsync.log")
        wait_until(lambda: request("GET", self.base + "/readyz")[0] == 200, 20, "shopsync")
        return self

    def stop(self):
        for p, logf in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            logf.close()
        self.procs = []

    def admin(self, method, path, body=None):
        return jrequest(method, self.base + path, body, {"Authorization": "Bearer " + ADMIN_TOKEN})

    def connect(self):
        """The OAuth dance as the seller's browser does it."""
        st, h, _ = request("GET", self.base + "/api/admin/tiktok/auth",
                           headers={"Authorization": "Bearer " + ADMIN_TOKEN})
        if st != 302:
            raise RuntimeError("auth: %d" % st)
        authorize = h["location"]
        st, _, page = request("GET", authorize)
        for action, inner in re.findall(r'<form method="post" action="([^"]+)">(.*?)</form>', page.decode(), re.S):
            fields = {k: html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', inner)}
            if fields.get("decision") == "approve":
                break
        else:
            raise RuntimeError("no approve form on the authorize page")
        st, h, _ = request("POST", urllib.parse.urljoin(authorize, action), urllib.parse.urlencode(fields),
                           {"Content-Type": "application/x-www-form-urlencoded"})
        if st != 302:
            raise RuntimeError("approve: %d" % st)
        st, h, _ = request("GET", h["location"])
        if st != 302 or "connected=1" not in h.get("location", ""):
            raise RuntimeError("callback: %d %r" % (st, h.get("location")))

    def catalog(self, n_skus, stock, burst_stock):
        products = []
        for p in range((n_skus + len(SIZES) - 1) // len(SIZES)):
            skus = []
            for j, size in enumerate(SIZES):
                i = p * len(SIZES) + j
                if i >= n_skus:
                    break
                skus.append({"sku": "BENCH-%02d" % (i + 1), "price": "%d.00" % (20 + j * 5), "currency": "USD",
                             "stock": stock, "attributes": {"Size": size}})
            products.append({"id": "bench-candle-%d" % (p + 1), "title": "Bench Candle %d" % (p + 1),
                             "description": "<p>Benchmark product %d.</p>" % (p + 1),
                             "images": [self.base + "/static/" + IMAGES[p % len(IMAGES)]],
                             "skus": skus})
        products.append({"id": "burst-candle", "title": "Burst Candle", "description": "<p>Coalescing.</p>",
                         "images": [self.base + "/static/sample-citrus.png"],
                         "skus": [{"sku": BURST_SKU, "price": "12.00", "currency": "USD", "stock": burst_stock}]})
        return {"products": products}

    def setup_shop(self, n_skus, stock, burst_stock):
        st, doc = self.admin("POST", "/api/admin/products/import", self.catalog(n_skus, stock, burst_stock))
        if st != 200:
            raise RuntimeError("import: %d %r" % (st, doc))
        self.connect()
        t0 = time.time()
        st, doc = self.admin("POST", "/api/admin/tiktok/sync?wait=1")
        if st != 200 or doc.get("state") != "done" or doc.get("failed"):
            raise RuntimeError("sync: %d %r" % (st, doc))
        log("  catalog: %d SKUs + %s in %d products, synced in %.1f s (created %s)"
            % (n_skus, BURST_SKU, len(self.catalog(n_skus, stock, burst_stock)["products"]),
               time.time() - t0, doc.get("created")))
        # The pushes that follow a sync settle before measuring.
        self.wait_quiet(30)

    def stock(self, sku):
        st, doc = jrequest("GET", self.base + "/api/stock/" + sku)
        return doc["stock"]

    def backlog(self):
        n = self.redis("XLEN", PREFIX + "stream:events")
        d = self.redis("HLEN", PREFIX + "push:dirty")
        return int(n or 0), int(d or 0)

    def wait_quiet(self, timeout):
        """Until the event stream is empty and no SKU is marked for a push."""
        return wait_until(lambda: self.backlog() == (0, 0), timeout, "queue drained and pushes done", 0.05)

    def inventory_log(self, sku):
        st, doc = jrequest("GET", self.sandbox + "/sandbox/inventory-log?sku=" + urllib.parse.quote(sku))
        if st != 200:
            raise RuntimeError("inventory-log: %d %r (does this sandbox have the endpoint?)" % (st, doc))
        return doc["updates"]

    def sandbox_quantity(self, sku):
        st, state = jrequest("GET", self.sandbox + "/sandbox/state")
        for p in state["products"]:
            for s in p["skus"]:
                if s["seller_sku"] == sku:
                    return sum(i["quantity"] for i in s["inventory"]), state
        raise RuntimeError("no SKU %s in the sandbox" % sku)


# ---------------------------------------------------------------- bench 1

def bench_webhooks(stack, args):
    log("\n== 1. Signed TikTok webhooks: intake throughput (wrk -t%d -c%d -d%ds --latency), load %s"
        % (args.wrk_threads, args.connections, args.duration, loadavg()))
    pid = stack.shopsync_proc.pid
    rss_before = proc_status(pid)
    run_id = "%x" % int(time.time() * 1000)
    argv = ["wrk", "-t%d" % args.wrk_threads, "-c%d" % args.connections, "-d%ds" % args.duration, "--latency",
            "-s", os.path.join(HERE, "webhook.lua"), stack.base, "--", APP_KEY, APP_SECRET, run_id,
            os.path.join(SOURCE, "tests", "vectors", "tiktok-shop.json")]
    cpu0 = {n: cpu_seconds(p.pid) for n, p in (("shopsync", stack.shopsync_proc), ("redis", stack.redis_proc))}
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    perf = None
    wrk = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak_rss, samples = 0, []
    t_start = time.time()
    if args.perf:
        time.sleep(2)
        perf_data = os.path.join(stack.dir, "perf.data")
        perf = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-o", perf_data, "-p", str(pid), "--",
                                 "sleep", str(max(1, args.duration - 4))],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while wrk.poll() is None:
        s = proc_status(pid)
        if s:
            samples.append(s)
            peak_rss = max(peak_rss, s.get("VmRSS", 0))
        time.sleep(0.5)
    out = wrk.stdout.read()
    wall = time.time() - t_start
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu1 = {n: cpu_seconds(p.pid) for n, p in (("shopsync", stack.shopsync_proc), ("redis", stack.redis_proc))}
    during = proc_status(pid)
    m = re.search(r"^WRK_JSON (.*)$", out, re.M)
    if wrk.returncode != 0 or not m:
        log(out)
        raise RuntimeError("wrk failed (exit %s)" % wrk.returncode)
    w = json.loads(m.group(1))
    secs = w["duration_us"] / 1e6
    errs = w["errors"]
    lat = w["latency_us"]
    backlog_end, _ = stack.backlog()
    t0 = time.time()
    try:
        stack.wait_quiet(600)
        drain = time.time() - t0
    except RuntimeError:
        drain = float("nan")
    time.sleep(1)
    after = proc_status(pid)
    res = {
        "requests": w["requests"], "rps": w["requests"] / secs,
        "p50_ms": lat["p50"] / 1000, "p90_ms": lat["p90"] / 1000, "p99_ms": lat["p99"] / 1000,
        "p999_ms": lat["p999"] / 1000, "max_ms": lat["max"] / 1000,
        "non2xx": errs["status"], "socket_errors": errs["connect"] + errs["read"] + errs["write"],
        "timeouts": errs["timeout"],
        "rss_before_kb": rss_before.get("VmRSS"), "rss_peak_kb": peak_rss,
        "hwm_kb": after.get("VmHWM", during.get("VmHWM")), "rss_after_kb": after.get("VmRSS"),
        "backlog_at_end": backlog_end, "drain_s": drain,
        "cpu_shopsync_s": cpu1["shopsync"] - cpu0["shopsync"], "cpu_redis_s": cpu1["redis"] - cpu0["redis"],
        "cpu_wrk_s": (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime), "wall_s": wall,
    }
    log("  %d requests in %.1f s: %.0f webhooks acknowledged/s" % (res["requests"], secs, res["rps"]))
    log("  latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.1f ms"
        % (res["p50_ms"], res["p90_ms"], res["p99_ms"], res["p999_ms"], res["max_ms"]))
    log("  non-2xx: %d, socket errors: %d, timeouts: %d" % (res["non2xx"], res["socket_errors"], res["timeouts"]))
    log("  shopsync RSS: %.1f MB before, peak sampled %.1f MB, VmHWM %.1f MB, %.1f MB after the drain"
        % (res["rss_before_kb"] / 1024, res["rss_peak_kb"] / 1024, res["hwm_kb"] / 1024, res["rss_after_kb"] / 1024))
    log("  CPU seconds during the run: shopsync %.1f, redis-server %.1f, wrk %.1f (wall %.1f s, %d cores)"
        % (res["cpu_shopsync_s"], res["cpu_redis_s"], res["cpu_wrk_s"], wall, os.cpu_count()))
    log("  events waiting when wrk stopped: %d; queue drained %.1f s later" % (backlog_end, drain))
    if perf:
        perf.wait()
        rep = subprocess.run(["perf", "report", "-i", perf_data, "--stdio", "--no-children", "--sort", "dso,symbol",
                              "--percent-limit", "1.5", "-g", "none"], capture_output=True, text=True)
        log("  perf (shopsync, self time, >= 1.5%):")
        for line in rep.stdout.splitlines():
            if line.strip() and not line.startswith("#"):
                log("    " + line.strip())
    return res


# ---------------------------------------------------------------- bench 2

def stripe_header(body, t=None):
    t = int(time.time()) if t is None else t
    sig = hmac.new(STRIPE_SECRET.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    return "t=%d,v1=%s" % (t, sig)


def parallel(n_threads, items, fn):
    """Run fn(item) over items on n_threads threads; results in item order."""
    results = [None] * len(items)
    errors = []

    def worker(k):
        try:
            for i in range(k, len(items), n_threads):
                results[i] = fn(items[i])
        except Exception as e:
            errors.append(e)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise errors[0]
    return results


def bench_sale_latency(stack, args, label=""):
    n = int(args.rate * args.sale_seconds)
    skus = ["BENCH-%02d" % (i + 1) for i in range(args.skus)]
    log("\n== 2. Stripe sale -> TikTok Update Inventory latency%s: %d sales at %d/s over %d SKUs, load %s"
        % (label, n, args.rate, args.skus, loadavg()))
    # Checkout sessions ahead of time (the sandbox sends no webhook for them).
    local = threading.local()

    def create(i):
        if not hasattr(local, "c"):
            local.c = KeepAlive(stack.sandbox)
        body = json.dumps({"lines": [{"sku": skus[i % len(skus)], "quantity": 1}]}).encode()
        st, data = local.c.send("POST", "/sandbox/stripe/checkout", body, {"Content-Type": "application/json"})
        if st != 201:
            raise RuntimeError("checkout: %d %s" % (st, data[:200]))
        doc = json.loads(data)
        return skus[i % len(skus)], doc["event_body"].encode()

    t0 = time.time()
    sales = parallel(4, list(range(n)), create)
    log("  %d checkout sessions created in the sandbox in %.1f s" % (n, time.time() - t0))
    start_stock = {s: stack.stock(s) for s in skus}
    stack.wait_quiet(30)

    sent = [None] * n
    statuses = {}
    lock = threading.Lock()
    n_senders = 4
    begin = time.time() + 0.2

    def sender(k):
        c = KeepAlive(stack.base)
        for i in range(k, n, n_senders):
            due = begin + i / float(args.rate)
            d = due - time.time()
            if d > 0:
                time.sleep(d)
            sku, body = sales[i]
            headers = {"Content-Type": "application/json", "Stripe-Signature": stripe_header(body)}
            ts = time.time()
            st, _ = c.send("POST", "/api/stripe/webhook", body, headers)
            sent[i] = (sku, ts, time.time() - ts, ts - due)
            with lock:
                statuses[st] = statuses.get(st, 0) + 1
        c.close()

    ts = [threading.Thread(target=sender, args=(k,)) for k in range(n_senders)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    send_span = max(s[1] for s in sent) - min(s[1] for s in sent)
    lag = [s[3] for s in sent]
    ack = [s[2] * 1000 for s in sent]
    per_sku = {s: 0 for s in skus}
    for s in sent:
        per_sku[s[0]] += 1

    # Until TikTok shows every sale (or a timeout).
    t0 = time.time()

    def settled():
        for s in skus:
            want = start_stock[s] - per_sku[s]
            if stack.stock(s) != want:
                return False
            upd = stack.inventory_log(s)
            if not upd or upd[-1]["quantity"] != want:
                return False
        return True

    try:
        wait_until(settled, 120, "TikTok quantities to reflect every sale", 0.2)
        settle = time.time() - t0
    except RuntimeError:
        settle = float("nan")

    lat, missing, pushes = [], 0, 0
    sku_p50 = {}
    first_send = min(s[1] for s in sent)
    for s in skus:
        upd = [u for u in stack.inventory_log(s) if u["at_us"] >= first_send * 1e6 - 1e5]
        pushes += len(upd)
        mine = sorted((x[1] for x in sent if x[0] == s))
        j = 0
        for k, t_send in enumerate(mine, 1):
            target = start_stock[s] - k
            # First update made after the send whose quantity shows this sale.
            while j < len(upd) and (upd[j]["at_us"] < t_send * 1e6 or upd[j]["quantity"] > target):
                j += 1
            if j == len(upd):
                missing += 1
                continue
            lat.append(upd[j]["at_us"] / 1000.0 - t_send * 1000.0)
            sku_p50.setdefault(s, []).append(lat[-1])
    sku_p50 = {s: pct(v, 50) for s, v in sku_p50.items()}
    _, state = stack.sandbox_quantity(skus[0])
    res = {
        "sales": n, "sent_rate": n / send_span if send_span else float("nan"),
        "statuses": statuses, "ack_p50_ms": pct(ack, 50), "ack_p99_ms": pct(ack, 99),
        "late_sends_over_10ms": sum(1 for x in lag if x > 0.010), "max_send_lag_ms": max(lag) * 1000,
        "p50_ms": pct(lat, 50), "p90_ms": pct(lat, 90), "p99_ms": pct(lat, 99), "max_ms": max(lat) if lat else float("nan"),
        "measured": len(lat), "missing": missing, "pushes": pushes, "settle_s": settle,
        "sandbox_429": state["counters"]["rate_limited"],
        "sku_p50_min_ms": min(sku_p50.values()), "sku_p50_max_ms": max(sku_p50.values()),
    }
    log("  sent %d signed checkout.session.completed events at %.1f/s (responses %s; ack p50 %.1f ms, p99 %.1f ms;"
        " %d sends > 10 ms late, max %.0f ms)"
        % (n, res["sent_rate"], statuses, res["ack_p50_ms"], res["ack_p99_ms"], res["late_sends_over_10ms"],
           res["max_send_lag_ms"]))
    log("  sale -> Update Inventory carrying it: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%d measured,"
        " %d never seen)" % (res["p50_ms"], res["p90_ms"], res["p99_ms"], res["max_ms"], len(lat), missing))
    log("  per-SKU median latency ranges from %.1f ms (%s) to %.1f ms (%s)"
        % (res["sku_p50_min_ms"], min(sku_p50, key=sku_p50.get), res["sku_p50_max_ms"], max(sku_p50, key=sku_p50.get)))
    log("  %d Update Inventory calls for %d sales; all quantities final %.1f s after the last send;"
        " sandbox 429s so far: %d" % (pushes, n, settle, res["sandbox_429"]))
    return res


# ---------------------------------------------------------------- bench 3

def bench_coalescing(stack, args, label=""):
    n = args.burst
    log("\n== 3. Coalescing%s: %d TikTok orders of %s in one burst, load %s" % (label, n, BURST_SKU, loadavg()))
    s0 = stack.stock(BURST_SKU)
    q0, _ = stack.sandbox_quantity(BURST_SKU)
    before = len(stack.inventory_log(BURST_SKU))
    stack.wait_quiet(30)
    local = threading.local()
    queued = [0]
    lock = threading.Lock()

    def order(i):
        if not hasattr(local, "c"):
            local.c = KeepAlive(stack.sandbox)
        st, data = local.c.send("POST", "/sandbox/orders", json.dumps({"seller_sku": BURST_SKU, "quantity": 1}).encode(),
                                {"Content-Type": "application/json"})
        if st != 201:
            raise RuntimeError("order: %d %s" % (st, data[:200]))
        if json.loads(data)["webhook"]["queued"]:
            with lock:
                queued[0] += 1
        return time.time()

    t0 = time.time()
    parallel(8, list(range(n)), order)
    burst = time.time() - t0
    want = s0 - n

    def settled():
        # TikTok's own sales need no push (its counter already took them
        # off): settled once the store has applied them all and TikTok
        # shows the same, with or without an Update Inventory call.
        if stack.stock(BURST_SKU) != want or stack.backlog() != (0, 0):
            return False
        return stack.sandbox_quantity(BURST_SKU)[0] == want

    try:
        wait_until(settled, 300, "the burst to be applied and pushed", 0.1)
        drain = time.time() - t0
    except RuntimeError:
        drain = float("nan")
    upd = stack.inventory_log(BURST_SKU)[before:]
    final_store = stack.stock(BURST_SKU)
    final_tiktok, state = stack.sandbox_quantity(BURST_SKU)
    last_push = (upd[-1]["at_us"] / 1e6 - t0) if upd else float("nan")
    res = {"orders": n, "burst_s": burst, "webhooks_queued": queued[0], "pushes": len(upd), "drain_s": drain,
           "last_push_s": last_push, "store_stock": final_store, "tiktok_qty": final_tiktok,
           "match": final_store == final_tiktok == want, "quantities": [u["quantity"] for u in upd],
           "sandbox_429": state["counters"]["rate_limited"]}
    log("  %d orders created in %.2f s (%d webhooks queued by the sandbox); stock %d -> %d"
        % (n, burst, queued[0], s0, want))
    log("  Update Inventory calls for %s: %d (%s; all applied and drained after %.1f s)"
        % (BURST_SKU, len(upd), "last one %.1f s after the burst began" % last_push if upd else "none needed", drain))
    gaps = [(b["at_us"] - a["at_us"]) / 1000.0 for a, b in zip(upd, upd[1:])]
    if gaps:
        res.update({"gap_min_ms": min(gaps), "gap_p50_ms": pct(gaps, 50), "gap_max_ms": max(gaps)})
        log("  time between consecutive calls: min %.0f ms, median %.0f ms, max %.0f ms"
            % (min(gaps), pct(gaps, 50), max(gaps)))
    q = res["quantities"]
    log("  quantities pushed: %s" % (", ".join(map(str, q)) if len(q) <= 30 else
                                     ", ".join(map(str, q[:12])) + ", ..., " + ", ".join(map(str, q[-6:]))))
    log("  final: store stock %d, TikTok quantity %d -> %s (TikTok showed %d before the burst)"
        % (final_store, final_tiktok, "equal" if res["match"] else "MISMATCH", q0))
    return res


# ------------------------------------------- shared by the bench/*.py drivers

def default_build_dir():
    """Where the drivers find the binaries: $BENCH_BUILD_DIR, else build/."""
    return os.environ.get("BENCH_BUILD_DIR") or os.path.join(SOURCE, "build")


def summary(values, unit="ms"):
    """Percentiles of a list of figures in unit, as one phrase."""
    if not values:
        return "none measured"
    return "p50 %.1f %s, p90 %.1f, p99 %.1f, max %.1f (%d measured)" % (
        pct(values, 50), unit, pct(values, 90), pct(values, 99), max(values), len(values))


def need_binaries(name, build_dir):
    """Exit with a message naming the driver when a binary is not built."""
    for b in ("shopsync", "shopsync-sandbox"):
        if not os.access(os.path.join(build_dir, b), os.X_OK):
            sys.exit("%s: %s/%s is missing: build first (cmake --build build)" % (name, build_dir, b))


def log_header(title, build_dir):
    """The run's title and date, the machine and the command line."""
    log("%s, %s" % (title, time.strftime("%Y-%m-%d %H:%M:%S %Z")))
    log("machine: %s; load average %s; binaries: %s" % (machine(), loadavg(), build_dir))
    log("command: %s" % " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:]))


def write_json(path, results):
    """The figures (results) with the date, machine and command, to path."""
    with open(path, "w") as f:
        json.dump({"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(),
                   "command": sys.argv[1:], "results": results}, f, indent=1)
    log("figures written to %s" % path)


def import_and_sync(stack, products, timeout=110):
    """Import products, connect through the sandbox's OAuth pages, run Sync
    All Products and wait for the job. Returns (seconds the sync took, job)."""
    st, doc = stack.admin("POST", "/api/admin/products/import", {"products": products})
    if st != 200:
        raise RuntimeError("import: %d %r" % (st, doc))
    stack.connect()
    t0 = time.time()
    st, doc = stack.admin("POST", "/api/admin/tiktok/sync")
    if st != 202:
        raise RuntimeError("sync: %d %r" % (st, doc))
    job_id = doc["job_id"]
    job = wait_until(lambda: (lambda j: j if j.get("state") != "running" else None)(
        stack.admin("GET", "/api/admin/tiktok/sync/" + job_id)[1]), timeout, "Sync All Products", 0.1)
    took = time.time() - t0
    if job.get("state") != "done" or job.get("failed"):
        raise RuntimeError("sync ended %s: %r" % (job.get("state"), job))
    return took, job


# ---------------------------------------------------------------- main

def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return "%s, nproc %d, %s" % (os.uname().nodename, os.cpu_count(), model)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(SOURCE, "build-bench"))
    ap.add_argument("--only", default="1,2,3", help="benchmarks to run, e.g. 1,3")
    ap.add_argument("--duration", type=int, default=20, help="wrk seconds (bench 1)")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--http-threads", type=int, default=None, help="SHOPSYNC_HTTP_THREADS (default: shopsync's)")
    ap.add_argument("--rate", type=int, default=200, help="sales per second (bench 2)")
    ap.add_argument("--sale-seconds", type=float, default=20)
    ap.add_argument("--skus", type=int, default=20)
    ap.add_argument("--burst", type=int, default=1000)
    ap.add_argument("--rate-limit", type=int, default=None,
                    help="TikTok rate limit for shopsync and the sandbox (default: their defaults, 50/s)")
    ap.add_argument("--variant-rate-limit", type=int, default=1000,
                    help="also run 2 and 3 on a second stack with this rate limit (0 = skip)")
    ap.add_argument("--perf", action="store_true", help="perf record shopsync during bench 1")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    args = ap.parse_args()
    only = set(args.only.split(","))
    for b in ("shopsync", "shopsync-sandbox"):
        if not os.access(os.path.join(args.build_dir, b), os.X_OK):
            sys.exit("bench: %s/%s is missing: run bench/run.sh (it builds)" % (args.build_dir, b))
    if "1" in only and not shutil.which("wrk"):
        sys.exit("bench: wrk is not installed (apt-get install -y wrk)")

    workdir = tempfile.mkdtemp(prefix="shopsync-bench-")
    log("shopsync benchmarks, %s" % time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    log("machine: %s; load average %s" % (machine(), loadavg()))
    log("work dir: %s" % workdir)
    extra = {}
    if args.http_threads:
        extra["SHOPSYNC_HTTP_THREADS"] = str(args.http_threads)
    stacks = []
    results = {}
    try:
        a = Stack(args.build_dir, workdir, "default", args.rate_limit, extra).start()
        stacks.append(a)
        log("\nstack A: shopsync %s, sandbox %s, redis :%d, TikTok rate limit %s"
            % (a.base, a.sandbox, a.redis_port, args.rate_limit or "default (50/s)"))
        a.setup_shop(args.skus, 10000, 5000)
        if "1" in only:
            results["1"] = bench_webhooks(a, args)
        if "2" in only:
            results["2"] = bench_sale_latency(a, args)
        if "3" in only:
            results["3"] = bench_coalescing(a, args)
        a.stop()
        if args.variant_rate_limit and (only & {"2", "3"}):
            b = Stack(args.build_dir, workdir, "variant", args.variant_rate_limit, extra).start()
            stacks.append(b)
            label = " [TikTok rate limit %d/s]" % args.variant_rate_limit
            log("\nstack B: same, with SHOPSYNC_TIKTOK_RATE_LIMIT=SANDBOX_RATE_LIMIT=%d" % args.variant_rate_limit)
            b.setup_shop(args.skus, 10000, 5000)
            if "2" in only:
                results["2b"] = bench_sale_latency(b, args, label)
            if "3" in only:
                results["3b"] = bench_coalescing(b, args, label)
        log("\nload average at the end: %s" % loadavg())
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(), "results": results},
                          f, indent=1)
            log("figures written to %s" % args.json)
    finally:
        for s in stacks:
            s.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
