"""A new user's first hour, as the README leads them: the default (relative)
data directory, the command line run from another folder,
scripts/run-local.sh with its var/local.env and a second run, command line
errors that name their cause, the status summary, and what serve says at
start.

Sections run alone with: test_first_hour.py SECTION [SECTION ...]
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

from harness import (ADMIN_TOKEN, SECRET_KEY, SHOPSYNC_BIN, SANDBOX_BIN, SOURCE_DIR, STRIPE_SECRET, Checks,
                     Redis, Shopsync, TempDir, free_port, jrequest, request, stripe_signature_header, teardown,
                     wait_until)

BIN = os.path.abspath(SHOPSYNC_BIN)


def bare_env(**extra):
    """The environment of a user who set nothing of shopsync's."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SHOPSYNC_", "TIKTOK_", "STRIPE_", "REDIS_URL", "SANDBOX_"))}
    env.update(extra)
    return env


def run(argv, cwd, env, timeout=60, input=None):
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, input=input)


def stop_embedded(data_dir):
    """Stop a redis-server a CLI command left running in data_dir (none
    should be left, but a failed check must not leave one behind)."""
    sock = os.path.join(data_dir, "redis.sock")
    if os.path.exists(sock):
        subprocess.run(["redis-cli", "-s", sock, "shutdown", "nosave"], capture_output=True)


def default_data_dir(c):
    """The default SHOPSYNC_DATA_DIR (./var) from an empty folder: the CLI
    starts the embedded redis-server there and works; serve does too."""
    tmp = TempDir()
    try:
        env = bare_env()
        r = run([BIN, "status"], tmp.path, env)
        c.eq(r.returncode, 0, "status in an empty folder with the default data dir exits 0")
        c.ok("FATAL" not in r.stdout + r.stderr, "no redis-server config error: %r" % r.stderr[-300:])
        c.ok(os.path.exists(os.path.join(tmp.path, "var", "redis.log")),
             "the embedded server's log is ./var/redis.log")
        c.ok(re.search(r"^Redis: +ok", r.stdout, re.M), "status reports Redis ok: %r" % r.stdout[:200])

        r = run([BIN, "import", "-"], tmp.path, env,
                input='{"products":[{"id":"p1","title":"Candle","skus":[{"sku":"C-1","price":"9.00","stock":5}]}]}')
        c.eq(r.returncode, 0, "import with a relative data dir: %s" % r.stderr.strip()[-200:])
        sub = os.path.join(tmp.path, "elsewhere")
        os.mkdir(sub)
        r = run([BIN, "stock", "C-1"], sub, bare_env(SHOPSYNC_DATA_DIR="../var"))
        c.ok(r.returncode == 0 and "5" in r.stdout,
             "a relative SHOPSYNC_DATA_DIR from another folder names the same store: %r %r"
             % (r.stdout.strip(), r.stderr.strip()[-200:]))

        port = free_port()
        env = bare_env(SHOPSYNC_LISTEN="127.0.0.1:%d" % port, SHOPSYNC_ADMIN_TOKEN=ADMIN_TOKEN,
                       SHOPSYNC_SECRET_KEY=SECRET_KEY, SHOPSYNC_DATA_DIR="data",
                       SHOPSYNC_WEB_DIR=os.path.join(SOURCE_DIR, "web"))
        log = open(os.path.join(tmp.path, "serve.log"), "wb")
        p = subprocess.Popen([BIN, "serve"], cwd=tmp.path, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            up = wait_until(lambda: p.poll() is not None or
                            request("GET", "http://127.0.0.1:%d/readyz" % port)[0] == 200,
                            timeout=20, what="serve")
            c.ok(up is True and p.poll() is None, "serve with SHOPSYNC_DATA_DIR=data in an empty folder is ready")
            c.ok(os.path.exists(os.path.join(tmp.path, "data", "redis.sock")), "its socket is ./data/redis.sock")
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(15)
            log.close()
    finally:
        stop_embedded(os.path.join(tmp.path, "var"))
        tmp.cleanup()


def missing_redis_server(c):
    """Without redis-server on PATH the error says so and how to install it,
    instead of pointing at a log that does not exist."""
    tmp = TempDir()
    try:
        env = bare_env(PATH="/nonexistent")
        r = run([BIN, "status"], tmp.path, env)
        c.ok(r.returncode != 0, "status without redis-server fails")
        c.ok("not installed" in r.stderr and "apt-get install redis-server" in r.stderr,
             "the error says redis-server is not installed: %r" % r.stderr.strip())
    finally:
        tmp.cleanup()


def run_local(c):
    """scripts/run-local.sh: settings in local.env, the CLI reaches the
    instance from the repo root, a second run changes nothing, the catalog
    is imported once."""
    tmp = TempDir()
    local = os.path.join(tmp.path, "var")
    port, sport = free_port(), free_port()
    env = bare_env(SHOPSYNC_LOCAL_DIR=local, SHOPSYNC_SKIP_SETUP="1",
                   SHOPSYNC_PORT=str(port), SANDBOX_PORT=str(sport))
    # The script runs build/shopsync of the source tree: point it at the
    # binaries under test through a scratch tree of links.
    tree = os.path.join(tmp.path, "tree")
    os.makedirs(os.path.join(tree, "scripts"))
    os.makedirs(os.path.join(tree, "build"))
    for name in ("examples", "web"):
        os.symlink(os.path.join(SOURCE_DIR, name), os.path.join(tree, name))
    os.symlink(os.path.join(SOURCE_DIR, "scripts", "run-local.sh"), os.path.join(tree, "scripts", "run-local.sh"))
    os.symlink(BIN, os.path.join(tree, "build", "shopsync"))
    os.symlink(os.path.abspath(SANDBOX_BIN), os.path.join(tree, "build", "shopsync-sandbox"))
    script = os.path.join(tree, "scripts", "run-local.sh")
    out = open(os.path.join(tmp.path, "first.out"), "wb")
    first = subprocess.Popen(["bash", script], cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
    base = "http://127.0.0.1:%d" % port
    try:
        wait_until(lambda: first.poll() is not None or b"Admin token" in open(out.name, "rb").read(),
                   timeout=60, what="run-local.sh")
        c.ok(first.poll() is None, "run-local.sh is up: %s" % open(out.name, "rb").read()[-500:])
        envfile = os.path.join(local, "local.env")
        settings = dict(line.split("=", 1) for line in open(envfile).read().splitlines()
                        if line and not line.startswith("#"))
        for k in ("SHOPSYNC_ADMIN_TOKEN", "SHOPSYNC_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "SHOPSYNC_LISTEN",
                  "SHOPSYNC_DATA_DIR", "TIKTOK_SHOP_APP_KEY", "TIKTOK_SHOP_APP_SECRET", "TIKTOK_SHOP_SERVICE_ID",
                  "TIKTOK_SHOP_API_BASE", "STRIPE_API_BASE", "STRIPE_SECRET_KEY"):
            c.ok(settings.get(k), "local.env has %s" % k)
        c.eq(oct(os.stat(envfile).st_mode & 0o777), "0o600", "local.env is private")
        token = settings["SHOPSYNC_ADMIN_TOKEN"]
        auth = {"Authorization": "Bearer " + token}
        st, b = jrequest("GET", base + "/api/admin/products", headers=auth)
        n_products = len(b.get("products", [])) if isinstance(b, dict) else -1
        c.ok(st == 200 and n_products > 0, "the sample catalog was imported (%d products)" % n_products)

        r = run([BIN, "--env-file", envfile, "status"], tmp.path, bare_env())
        c.eq(r.returncode, 0, "shopsync --env-file var/local.env status reaches it: %s" % r.stderr.strip()[-300:])
        r = run([BIN, "status"], tmp.path, bare_env())
        c.eq(r.returncode, 0, "shopsync status from the folder of var/ reaches it with no settings")
        c.ok("%d products" % n_products in r.stdout, "... and sees its catalog: %r" % r.stdout[:300])

        sku = "LAV-8OZ"
        st, _ = jrequest("POST", base + "/api/admin/stock/" + sku, {"set": 3}, auth)
        c.eq(st, 200, "stock of %s set to 3" % sku)
        again = run(["bash", script], tree, env, timeout=60)
        c.ok(again.returncode != 0, "a second run while the first is up fails")
        c.ok("already running" in again.stderr, "... and says so: %r" % again.stderr.strip()[:300])
        st, b = jrequest("GET", base + "/api/stock/" + sku)
        c.eq(b.get("stock") if isinstance(b, dict) else None, 3, "... and left the live stock alone")
        c.ok(first.poll() is None, "... and the first run is still up")
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGTERM)
            first.wait(20)
        out.close()

    try:
        out = open(os.path.join(tmp.path, "second.out"), "wb")
        second = subprocess.Popen(["bash", script], cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        wait_until(lambda: second.poll() is not None or b"Admin token" in open(out.name, "rb").read(),
                   timeout=60, what="run-local.sh again")
        text = open(out.name, "rb").read().decode()
        c.ok("last run" in text, "a later run keeps the catalog and stock of the last one: %r" % text[-300:])
        st, b = jrequest("GET", base + "/api/stock/" + sku)
        c.eq(b.get("stock") if isinstance(b, dict) else None, 3, "... the stock edit survived")
    finally:
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(20)
        out.close()
        stop_embedded(local)
        tmp.cleanup()


TIKTOK_VARS = ("TIKTOK_SHOP_APP_KEY", "TIKTOK_SHOP_APP_SECRET", "TIKTOK_SHOP_SERVICE_ID")


def cli_errors(c):
    """Command line errors name the real cause, not "Redis is not
    answering"."""
    tmp = TempDir()
    redis = Redis(tmp.path).start()
    try:
        env = bare_env(REDIS_URL=redis.url)
        for cmd in (["sync"], ["reconcile"]):
            r = run([BIN] + cmd, tmp.path, env)
            c.ok(r.returncode != 0, "%s without TikTok settings fails" % cmd[0])
            c.ok(all(v in r.stderr for v in TIKTOK_VARS) and "not configured" in r.stderr,
                 "... and names the missing variables: %r" % r.stderr.strip())
            c.ok("Redis" not in r.stderr, "... and does not blame Redis")
        for bad in ("nope", "1-1", "12-x"):
            r = run([BIN, "dlq", "replay", bad], tmp.path, env)
            c.ok(r.returncode == 1 and "no dead letter" in r.stderr and bad in r.stderr and "Redis" not in r.stderr,
                 "dlq replay %s says there is no such dead letter: %r" % (bad, r.stderr.strip()))
        r = run([BIN, "import", "-"], tmp.path, env,
                input='{"products":[{"id":"p1","title":"One","skus":[{"sku":"S-1","price":"1.00","stock":1}]}]}')
        c.eq(r.returncode, 0, "import a product")
        path = os.path.join(tmp.path, "clash.json")
        with open(path, "w") as f:
            f.write('{"products":[{"id":"p2","title":"Two","skus":[{"sku":"S-2","price":"1.00"},'
                    '{"sku":"S-1","price":"1.00"}]}]}')
        r = run([BIN, "import", path], tmp.path, env)
        c.ok(r.returncode == 1 and path + ": products[0] (product p2).skus[1].sku: S-1" in r.stderr
             and "p1" in r.stderr,
             "a SKU of another product is named by file and field path: %r" % r.stderr.strip())
        r = run([BIN, "stock", "S-1", "--delta", "-20"], tmp.path, env)
        c.ok(r.returncode == 1 and "below 0" in r.stderr and "has 1 in stock" in r.stderr,
             "an admin decrement below 0 is refused: %r" % r.stderr.strip())
        r = run([BIN, "stock", "S-1"], tmp.path, env)
        c.eq(r.stdout.strip(), "S-1 1", "... and the stock is unchanged")
        c.eq(redis.cli("LLEN", "shopsync:oversells").strip(), "0", "... and no oversell was recorded")
        r = run([BIN, "stock", "S-1", "--delta", "-1"], tmp.path, env)
        c.eq((r.returncode, r.stdout.strip()), (0, "S-1 0"), "a decrement to exactly 0 is applied")
    finally:
        redis.stop()
        tmp.cleanup()


def status_summary(c):
    """shopsync status prints a summary for people; --json keeps the form
    scripts read."""
    tmp = TempDir()
    redis = Redis(tmp.path).start()
    try:
        env = bare_env(REDIS_URL=redis.url)
        run([BIN, "import", "-"], tmp.path, env,
            input='{"products":[{"id":"p1","title":"One","skus":[{"sku":"S-1","price":"1.00","stock":4},'
                  '{"sku":"S-2","price":"1.00"}]}]}')
        r = run([BIN, "status"], tmp.path, env)
        c.eq(r.returncode, 0, "status exits 0")
        out = r.stdout
        for want in (r"^Redis: +ok \(REDIS_URL\)$", r"^Catalog: +1 products, 2 SKUs$",
                     r"^TikTok Shop: +not configured: set TIKTOK_SHOP_APP_KEY, TIKTOK_SHOP_APP_SECRET, "
                     r"TIKTOK_SHOP_SERVICE_ID$", r"^Queue: +0 event", r"^Last push: +none yet$",
                     r"^Dead letters: +0$"):
            c.ok(re.search(want, out, re.M), "status shows %r" % want)
        c.ok("{" not in out, "status prints no raw JSON: %r" % out)
        r = run([BIN, "status", "--json"], tmp.path, env)
        lines = r.stdout.split("\n", 2)
        c.eq(lines[:2], ["redis: ok (REDIS_URL)", "catalog: 1 products, 2 SKUs"], "status --json keeps the first lines")
        c.ok(lines[2].startswith("tiktok: {"), "... and the TikTok status as JSON")
        doc = json.loads(lines[2][len("tiktok: "):])
        c.eq((doc["configured"], doc["connected"], doc["shop"]), (False, False, None), "... with today's fields")
        r = run([BIN, "status", "--verbose"], tmp.path, env)
        c.eq(r.returncode, 2, "an unknown status option is a usage error")
    finally:
        redis.stop()
        tmp.cleanup()


def startup_config(c):
    """Every bad variable is named at start in one message; without TikTok
    settings serve warns once and runs; the admin page line names the real
    address."""
    tmp = TempDir()
    redis = Redis(tmp.path).start()
    try:
        env = bare_env(REDIS_URL=redis.url, SHOPSYNC_LOG_LEVEL="loud", SHOPSYNC_ADMIN_TOKEN="short",
                       SHOPSYNC_WORKERS="0")
        for cmd in ("serve", "check-config"):
            r = run([BIN, cmd], tmp.path, env)
            c.eq(r.returncode, 2, "%s with bad settings exits 2" % cmd)
            for want in ("SHOPSYNC_LOG_LEVEL: must be one of debug, info, warn, error",
                         "SHOPSYNC_ADMIN_TOKEN: must be at least 16 characters",
                         "SHOPSYNC_SECRET_KEY: is required", "SHOPSYNC_WORKERS:"):
                c.ok(want in r.stderr, "%s names %r in one message: %r" % (cmd, want, r.stderr.strip()))

        port = free_port()
        env = bare_env(REDIS_URL=redis.url, SHOPSYNC_LISTEN="127.0.0.1:%d" % port,
                       SHOPSYNC_ADMIN_TOKEN=ADMIN_TOKEN, SHOPSYNC_SECRET_KEY=SECRET_KEY,
                       SHOPSYNC_WEB_DIR=os.path.join(SOURCE_DIR, "web"), STRIPE_WEBHOOK_SECRET=STRIPE_SECRET)
        r = run([BIN, "check-config"], tmp.path, env)
        c.ok(r.returncode == 0 and "TIKTOK_SHOP_APP_KEY" in r.stdout,
             "check-config passes and notes TikTok Shop is not configured: %r" % r.stdout)
        logpath = os.path.join(tmp.path, "serve.log")
        log = open(logpath, "wb")
        p = subprocess.Popen([BIN, "serve"], cwd=tmp.path, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = "http://127.0.0.1:%d" % port
        try:
            wait_until(lambda: p.poll() is not None or request("GET", base + "/readyz")[0] == 200,
                       timeout=20, what="serve")
            c.ok(p.poll() is None, "serve runs without TikTok settings")
            body = json.dumps({"id": "evt_first_hour_1", "type": "customer.created",
                               "data": {"object": {"id": "cus_1"}}}).encode()
            st, _, _ = request("POST", base + "/api/stripe/webhook", body,
                               {"Stripe-Signature": stripe_signature_header(body), "Content-Type": "application/json"})
            c.eq(st, 200, "a Stripe event is taken")
            processed = wait_until(lambda: re.search(r"^shopsync_events_processed_total (\d+)$",
                                                     request("GET", base + "/metrics")[2].decode(), re.M),
                                   timeout=20, what="metrics")
            wait_until(lambda: int(re.search(r"^shopsync_events_processed_total (\d+)$",
                                             request("GET", base + "/metrics")[2].decode(), re.M).group(1)) >= 1,
                       timeout=20, what="the Stripe event processed")
            c.ok(processed is not None, "the queue workers run without TikTok settings")
            auth = {"Authorization": "Bearer " + ADMIN_TOKEN}
            st, doc = jrequest("GET", base + "/api/admin/tiktok/sync", headers=auth)
            c.eq((st, doc.get("configured"), doc.get("connected")), (200, False, False),
                 "the connection status answers: not configured")
            st, doc = jrequest("POST", base + "/api/admin/tiktok/sync", headers=auth)
            c.ok(st == 409 and doc["error"]["code"] == "not_configured" and "TIKTOK_SHOP_APP_KEY" in doc["error"]["message"],
                 "Sync All Products says what is missing: %r" % doc)
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(15)
            log.close()
        text = open(logpath, encoding="utf-8", errors="replace").read()
        warn = [l for l in text.splitlines() if '"tiktok_not_configured"' in l]
        c.eq(len(warn), 1, "one warning about the TikTok settings")
        c.ok(warn and all(v in warn[0] for v in TIKTOK_VARS) and '"level":"warn"' in warn[0],
             "... naming the missing variables: %r" % warn)
        c.ok("app_key and app_secret are required" not in text and '"tiktok_client"' not in text,
             "no per-thread TikTok client errors")
        admin = "http://localhost:%d/admin/tiktok-shop" % port
        listening = [json.loads(l) for l in text.splitlines() if '"event":"listening"' in l]
        c.ok(listening and listening[0].get("admin_page") == admin,
             "the listening log line names the admin page: %r" % listening)
        c.ok("admin page: " + admin in text, "the startup line names the real address")
    finally:
        redis.stop()
        tmp.cleanup()


def disconnected_orders(c):
    """A TikTok order that arrives while the shop is disconnected is kept
    (parked, never dead-lettered) and applied once when the seller
    reconnects; meanwhile the products read not connected, and status says
    what is waiting."""
    import propagation_util as U
    tmp = TempDir()
    s = U.Stack(tmp.path, ss_env={"SHOPSYNC_MAX_ATTEMPTS": "2"}).start()
    try:
        sku = "PARK-1"
        c.eq(s.import_catalog({sku: 10})[0], 200, "catalog imported")
        c.eq(s.connect(), (302, "/admin/tiktok-shop?connected=1"), "connected")
        c.eq(s.sync()[1].get("state"), "done", "synced")
        r = s.ss.cli("status")
        out = r.stdout
        c.ok(re.search(r"^TikTok Shop: +connected to Sandbox Candle Co", out, re.M),
             "status names the connected shop: %r" % out)
        c.ok(re.search(r"^Access token: +expires \d{4}-\d\d-\d\d \d\d:\d\d UTC", out, re.M) and
             re.search(r"^Authorization: +expires \d{4}-\d\d-\d\d \d\d:\d\d UTC", out, re.M),
             "status gives the token and authorization expiry as UTC dates")
        c.ok(re.search(r"^Last push: +\d{4}-\d\d-\d\d \d\d:\d\d UTC \(PARK-1 set to 10", out, re.M),
             "status gives the last push")
        c.ok(re.search(r"^Last sync: +done, ", out, re.M), "status gives the last sync")

        st, _ = s.admin("POST", "/api/admin/tiktok/disconnect")
        c.eq(st, 200, "disconnected")
        st, doc = s.admin("GET", "/api/admin/products")
        tk = doc["products"][0]["skus"][0]["tiktok"]
        c.eq(tk["status"], "not_connected", "a synced SKU reads not connected after the disconnect")
        failed0 = s.metrics().get("shopsync_events_failed_total", 0)
        st, o = s.sb_order(sku, 2)
        c.eq(st, 201, "a TikTok order for 2 units while disconnected")
        parked = wait_until(lambda: s.metrics().get("shopsync_events_parked") == 1, timeout=30,
                            what="the order event parked")
        c.ok(parked, "the order's webhook is taken and parked")
        m = s.metrics()
        c.eq((m.get("shopsync_queue_depth"), m.get("shopsync_dlq_size")), (0, 0), "... not queued, not dead-lettered")
        c.eq(m.get("shopsync_events_failed_total", 0), failed0, "... and not counted as a failed attempt")
        c.eq(s.stock(sku), 10, "stock untouched while disconnected")
        r = s.ss.cli("status")
        c.ok(re.search(r"^Parked: +1 TikTok order event", r.stdout, re.M), "status shows the parked order: %r" % r.stdout)

        c.eq(s.connect(), (302, "/admin/tiktok-shop?connected=1"), "reconnected")
        wait_until(lambda: s.stock(sku) == 8, timeout=30, what="the parked order applied")
        s.wait_drained()
        c.eq(s.stock(sku), 8, "the order that arrived meanwhile is applied on reconnect, once")
        oid = o["order_id"]
        acts = sorted((a["reason"], a["delta"]) for a in s.activity() if a.get("ref") == oid)
        c.eq(acts, [("tiktok_order", -2)], "one tiktok_order entry for it")
        m = s.metrics()
        c.eq((m.get("shopsync_events_parked"), m.get("shopsync_dlq_size")), (0, 0), "nothing parked or dead-lettered")
        s.wait_converged([sku])
        c.eq(s.tiktok_qty()[sku], 8, "TikTok Shop shows 8")
    except Exception:
        s.dump_logs()
        raise
    finally:
        s.stop()
        tmp.cleanup()


def admin_api(c):
    """What the admin page relies on: a session probe that answers 200
    signed in or not, /favicon.ico, an admin decrement below 0 refused
    (not an oversell), and an import clash named by its field path."""
    tmp = TempDir()
    redis = Redis(tmp.path).start()
    ss = None
    try:
        ss = Shopsync(tmp.path, redis.url).start()
        st, doc = jrequest("GET", ss.base + "/api/admin/session/check")
        c.eq((st, doc), (200, {"signed_in": False, "expired": False}), "session check when signed out: 200")
        st, doc = jrequest("GET", ss.base + "/api/admin/session/check",
                           headers={"Cookie": "shopsync_session=" + "0" * 64})
        c.eq((st, doc), (200, {"signed_in": False, "expired": True}), "... with a stale cookie: 200, expired")
        st, h, body = request("POST", ss.base + "/api/admin/login", {"token": ADMIN_TOKEN})
        cookie = h.get("set-cookie", "").split(";")[0]
        st, doc = jrequest("GET", ss.base + "/api/admin/session/check", headers={"Cookie": cookie})
        c.ok(st == 200 and doc.get("signed_in") is True and doc.get("csrf") == json.loads(body)["csrf"],
             "... signed in: the session's CSRF token: %r" % doc)
        st, _ = jrequest("GET", ss.base + "/api/admin/session")
        c.eq(st, 401, "the older session route still answers 401 when signed out")

        st, h, body = request("GET", ss.base + "/favicon.ico")
        c.ok(st == 200 and h.get("content-type") == "image/svg+xml" and b"<svg" in body,
             "/favicon.ico serves the page's icon (%d %s)" % (st, h.get("content-type")))

        st, doc = ss.admin("POST", "/api/admin/products/import",
                           {"products": [{"id": "p1", "title": "One",
                                          "skus": [{"sku": "S-1", "price": "1.00", "stock": 5}]}]})
        c.eq(st, 200, "import")
        st, doc = ss.admin("POST", "/api/admin/products/import",
                           {"products": [{"id": "p0", "title": "Zero", "skus": [{"sku": "S-0", "price": "1.00"}]},
                                         {"id": "p2", "title": "Two", "skus": [{"sku": "S-2", "price": "1.00"},
                                                                               {"sku": "S-1", "price": "1.00"}]}]})
        c.ok(st == 409 and doc["error"]["message"].startswith("products[1] (product p2).skus[1].sku: S-1")
             and "p1" in doc["error"]["message"], "an import clash is named by its field path: %r" % doc)

        st, doc = ss.admin("POST", "/api/admin/stock/S-1", {"delta": -20})
        c.ok(st == 409 and doc["error"]["code"] == "insufficient_stock" and "has 5 in stock" in doc["error"]["message"],
             "an admin delta below 0 is refused: %r" % doc)
        c.eq((ss.admin("GET", "/api/admin/stock/S-1")[1]["stock"], ss.admin("GET", "/api/admin/oversells")[1]),
             (5, {"oversells": []}), "... stock unchanged, no oversell listed")
        key = {"Idempotency-Key": "first-hour-1"}
        st, doc = ss.admin("POST", "/api/admin/stock/S-1", {"delta": -4}, key)
        c.eq((st, doc.get("stock")), (200, 1), "a keyed decrement within stock is applied")
        ss.admin("POST", "/api/admin/stock/S-1", {"set": 0})
        st, doc = ss.admin("POST", "/api/admin/stock/S-1", {"delta": -4}, key)
        c.eq((st, doc.get("stock")), (200, 1), "its repeat is answered from its record, not refused")
        st, doc = ss.admin("POST", "/api/admin/stock/NOPE", {"delta": -1})
        c.eq(st, 404, "a decrement of an unknown SKU is 404")
    finally:
        teardown(c, ss, redis, tmp)


def docker_settings(c):
    """The settings docker/sandbox.env gives the compose sandbox profile pass
    the check its shopsync-config service runs; no settings fail it, naming
    what is missing, with exit 2 (no Docker engine needed)."""
    tmp = TempDir()
    try:
        r = run([BIN, "--env-file", os.path.join(SOURCE_DIR, "docker", "sandbox.env"), "check-config"], tmp.path,
                bare_env())
        c.eq(r.returncode, 0, "docker/sandbox.env passes check-config: %s" % r.stderr.strip())
        r = run([BIN, "check-config"], tmp.path, bare_env())
        c.ok(r.returncode == 2 and "SHOPSYNC_ADMIN_TOKEN" in r.stderr and "SHOPSYNC_SECRET_KEY" in r.stderr,
             "without settings check-config exits 2 naming them: %r" % r.stderr.strip())
    finally:
        tmp.cleanup()


SECTIONS = {
    "default_data_dir": default_data_dir,
    "missing_redis_server": missing_redis_server,
    "run_local": run_local,
    "cli_errors": cli_errors,
    "status_summary": status_summary,
    "startup_config": startup_config,
    "disconnected_orders": disconnected_orders,
    "admin_api": admin_api,
    "docker_settings": docker_settings,
}


def main():
    c = Checks("first_hour")
    names = sys.argv[1:] or list(SECTIONS)
    for n in names:
        if n not in SECTIONS:
            print("unknown section %s; sections: %s" % (n, " ".join(SECTIONS)), file=sys.stderr)
            sys.exit(2)
        c.section(n, SECTIONS[n])
    c.done()


if __name__ == "__main__":
    main()
