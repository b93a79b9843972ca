"""Helpers shared by test_propagation.py and test_resilience.py: a whole
stack (redis-server, the TikTok Shop sandbox, shopsync) wired together the
way scripts/run-local.sh wires them, connected through the OAuth dance and
synced, plus small readers for stock, TikTok quantities and metrics, and
senders for signed TikTok and Stripe webhooks.

Standard library only; everything goes through harness.py.
"""
import json
import os
import re
import sys
import time
import urllib.parse

import harness as H

SHOP_ID_FALLBACK = "7495000000000000001"


def catalog(port, skus, per_product=1):
    """A catalog of products holding the given {sku: stock} (insertion
    order), per_product SKUs each, with images served by shopsync itself."""
    images = ["sample-lavender.png", "sample-cedar.png", "sample-citrus.png"]
    items = list(skus.items())
    products = []
    for i in range(0, len(items), per_product):
        group = items[i:i + per_product]
        pid = "p-%s" % group[0][0].lower()
        products.append({
            "id": pid, "title": "Product %s" % group[0][0], "description": "<p>Test product.</p>",
            "images": ["http://127.0.0.1:%d/static/%s" % (port, images[(i // per_product) % len(images)])],
            "category_id": "600001",
            "package": {"weight": "1.5", "weight_unit": "POUND", "length": "5", "width": "5", "height": "8",
                        "dimension_unit": "INCH"},
            "skus": [{"sku": sku, "price": "10.00", "currency": "USD", "stock": stock,
                      "attributes": {"Size": "size %d" % j}} for j, (sku, stock) in enumerate(group)]})
    return {"products": products}


class Stack:
    """Redis + sandbox + shopsync on free ports in one temp dir.

    tiktok_hooks / stripe_hooks: whether the sandbox delivers its webhooks to
    shopsync; False leaves the URL empty (the sandbox then queues nothing) and
    a string is used as the URL as is (e.g. a closed port)."""

    def __init__(self, tmpdir, ss_env=None, sb_env=None, tiktok_hooks=True, stripe_hooks=True):
        self.tmp = tmpdir
        self.port = H.free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.ss_env = dict(ss_env or {})
        self.sb_env = dict(sb_env or {})
        self.tiktok_hooks = tiktok_hooks
        self.stripe_hooks = stripe_hooks
        self.redis = None
        self.sb = None
        self.ss = None
        self.runs = 0
        self.procs = []   # every shopsync Proc started by this stack, in order
        self.extra = []   # further instances sharing the Redis (add_instance)

    # --- processes ------------------------------------------------------

    def _hook_url(self, setting, path):
        if setting is True:
            return self.base + path
        return setting or ""

    def start(self):
        self.redis = H.Redis(self.tmp).start()
        sb_env = {"SANDBOX_STRIPE_WEBHOOK_URL": self._hook_url(self.stripe_hooks, "/api/stripe/webhook"),
                  "SANDBOX_STRIPE_WEBHOOK_SECRET": H.STRIPE_SECRET}
        sb_env.update(self.sb_env)
        self.sb = H.Sandbox(self.tmp, redirect_uri=self.base + "/api/admin/tiktok/callback",
                            webhook_url=self._hook_url(self.tiktok_hooks, "/api/tiktok/webhook"),
                            extra_env=sb_env).start()
        self.start_shopsync()
        return self

    def start_shopsync(self, extra=None):
        """(Re)start shopsync on the same port against the same Redis."""
        env = {"SHOPSYNC_LISTEN": "127.0.0.1:%d" % self.port, "SHOPSYNC_PUBLIC_URL": self.base,
               "TIKTOK_SHOP_CATEGORY_ID": "600001", "SHOPSYNC_RECONCILE_INTERVAL": "0"}
        env.update(self.ss_env)
        env.update(extra or {})
        self.runs += 1
        name = "shopsync" if self.runs == 1 else "shopsync-run%d" % self.runs
        ss = H.Shopsync(self.tmp, self.redis.url, sandbox=self.sb, extra_env=env, name=name)
        # harness.Shopsync picks its own port; this stack's port was chosen
        # first because the sandbox needs the URLs.
        ss.port, ss.base = self.port, self.base
        if self.ss is not None:
            ss.proc.logpath = os.path.join(self.tmp, name + ".log")
        self.procs.append(ss.proc)
        self.ss = ss.start()
        return ss

    def add_instance(self, name, extra=None):
        """Start one more shopsync on its own free port, sharing this
        stack's Redis, sandbox and secret key (so it reads the same sealed
        TikTok tokens). The sandbox still sends its webhooks to the first
        instance. Returns the harness.Shopsync; stop() stops it too."""
        env = {"TIKTOK_SHOP_CATEGORY_ID": "600001", "SHOPSYNC_RECONCILE_INTERVAL": "0"}
        env.update(self.ss_env)
        env.update(extra or {})
        ss = H.Shopsync(self.tmp, self.redis.url, sandbox=self.sb, extra_env=env, name=name)
        self.procs.append(ss.proc)
        self.extra.append(ss)
        return ss.start()

    def stop(self):
        """Stop everything that is still running; never raises."""
        for x in self.extra:
            try:
                x.proc.alive() and x.stop()
            except Exception as e:  # cleanup must go on
                print("# stopping %s: %r" % (x.proc.logpath, e), file=sys.stderr)
        for what, fn in (("shopsync", lambda: self.ss and self.ss.proc.alive() and self.ss.stop()),
                         ("sandbox", lambda: self.sb and self.sb.proc.alive() and self.sb.stop()),
                         ("redis", lambda: self.redis and self.redis.stop())):
            try:
                fn()
            except Exception as e:  # cleanup must go on
                print("# stopping %s: %r" % (what, e), file=sys.stderr)

    def dump_logs(self, n=6000):
        """Print the tails of the logs, without the tests' own polling."""
        for p in (self.ss, self.sb):
            if p is not None:
                lines = [ln for ln in p.proc.output().splitlines()
                         if "/sandbox/state" not in ln and '"/healthz"' not in ln]
                print("---- %s (tail) ----\n%s" % (p.proc.logpath, "\n".join(lines)[-n:]), file=sys.stderr)

    # --- admin ----------------------------------------------------------

    def admin(self, method, path, body=None):
        return self.ss.admin(method, path, body)

    def import_catalog(self, skus, per_product=1):
        return self.admin("POST", "/api/admin/products/import", catalog(self.port, skus, per_product))

    def connect(self):
        """The OAuth dance: shopsync's auth redirect, the sandbox's page, its
        Approve form, then the callback. Returns the callback's status and
        Location."""
        st, h, _ = H.request("GET", self.base + "/api/admin/tiktok/auth",
                             headers={"Authorization": "Bearer " + H.ADMIN_TOKEN})
        if st != 302:
            raise AssertionError("auth start gave %d" % st)
        st, h2, page = H.request("GET", h["location"])
        page = page.decode()
        forms = re.findall(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S)
        approve = None
        for action, inner in forms:
            vals = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', inner))
            vals = {k: v.replace("&amp;", "&") for k, v in vals.items()}
            if vals.get("decision") == "approve":
                approve = (action, vals)
        if approve is None:
            raise AssertionError("no approve form on the authorize page (%d)" % st)
        st, h3, _ = H.request("POST", self.sb.base + approve[0], urllib.parse.urlencode(approve[1]),
                              {"Content-Type": "application/x-www-form-urlencoded"})
        if st != 302:
            raise AssertionError("approve gave %d" % st)
        st, h4, _ = H.request("GET", h3["location"])
        return st, h4.get("location")

    def sync(self):
        """Sync All Products and wait for the pushes it triggers to settle, so
        that no stale push can race what a test does next."""
        res = self.admin("POST", "/api/admin/tiktok/sync?wait=1")
        if res[0] == 200:
            self.wait_drained()
        return res

    def status(self):
        return self.admin("GET", "/api/admin/tiktok/sync")[1]

    # --- readers ----------------------------------------------------------

    def stock(self, sku):
        st, doc = H.jrequest("GET", self.base + "/api/stock/" + sku)
        return doc.get("stock") if st == 200 else None

    def stocks(self, skus):
        return {s: self.stock(s) for s in skus}

    def sb_state(self):
        return H.jrequest("GET", self.sb.base + "/sandbox/state", timeout=30)[1]

    def tiktok_qty(self, state=None):
        """{seller_sku: total quantity over warehouses} in the sandbox."""
        state = state or self.sb_state()
        out = {}
        for p in state["products"]:
            for s in p.get("skus", []):
                out[s["seller_sku"]] = sum(w.get("quantity", 0) for w in s.get("inventory", []))
        return out

    def counters(self):
        return self.sb_state()["counters"]

    def sb_updates(self, sku):
        """The Update Inventory calls the sandbox applied for sku, oldest
        first: [{"quantity": n, "at_us": t, ...}]."""
        st, doc = H.jrequest("GET", self.sb.base + "/sandbox/inventory-log?sku=" + sku)
        assert st == 200, "inventory-log: %d %r" % (st, doc)
        return doc["updates"]

    def metrics(self):
        st, h, data = H.request("GET", self.base + "/metrics")
        out = {}
        for line in data.decode().splitlines():
            if not line or line.startswith("#"):
                continue
            name, _, value = line.rpartition(" ")
            try:
                out[name] = float(value)
            except ValueError:
                pass
        return out

    def drained(self):
        m = self.metrics()
        return m.get("shopsync_queue_depth") == 0 and m.get("shopsync_push_dirty_skus") == 0

    def wait_drained(self, timeout=60):
        return H.wait_until(self.drained, timeout=timeout, interval=0.2, what="queue and pushes drained")

    def converged(self, skus, buffer=0):
        """True when every SKU's TikTok quantity equals its projection."""
        q = self.tiktok_qty()
        return all(q.get(s) == max(0, self.stock(s) - buffer) for s in skus)

    def wait_converged(self, skus, timeout=30, buffer=0):
        try:
            return H.wait_until(lambda: self.converged(skus, buffer), timeout=timeout, interval=0.2,
                                what="TikTok quantities equal the projection")
        except AssertionError:
            q = self.tiktok_qty()
            raise AssertionError("TikTok quantities never equalled the projection: %r" % {
                s: {"tiktok": q.get(s), "store": self.stock(s), "buffer": buffer} for s in skus})

    def activity(self, limit=1000):
        return self.admin("GET", "/api/admin/activity?limit=%d" % limit)[1]["activity"]

    def shop_id(self):
        st = self.status()
        return ((st or {}).get("shop") or {}).get("id") or SHOP_ID_FALLBACK

    # --- sandbox control -------------------------------------------------

    def sb_order(self, sku, qty=1):
        return H.jrequest("POST", self.sb.base + "/sandbox/orders", {"seller_sku": sku, "quantity": qty})

    def sb_cancel(self, order_id, units=None):
        """Cancel the order in the sandbox, or only `units` of its lines."""
        return H.jrequest("POST", self.sb.base + "/sandbox/orders/%s/cancel" % order_id,
                          {"units": units} if units else None)

    def sb_resend(self, order_id, typ):
        return H.jrequest("POST", self.sb.base + "/sandbox/webhooks/resend", {"order_id": order_id, "type": typ})

    def sb_checkout(self, lines):
        return H.jrequest("POST", self.sb.base + "/sandbox/stripe/checkout", {"lines": lines})

    def sb_faults(self, body=None):
        if body is None:
            return H.jrequest("DELETE", self.sb.base + "/sandbox/faults")
        return H.jrequest("POST", self.sb.base + "/sandbox/faults", body)

    # --- webhooks --------------------------------------------------------

    def tiktok_body(self, typ, order_id=None, notification_id=None, status="AWAITING_SHIPMENT", shop_id=None,
                    data=None):
        now = int(time.time())
        if data is None:
            data = {"order_id": order_id, "order_status": status, "update_time": now}
            if typ == 11:
                data = {"order_id": order_id, "cancellation_status": "CANCELLATION_REQUEST_COMPLETE",
                        "cancel_id": "5770880000000" + str(now)[-6:], "update_time": now}
        doc = {"type": typ, "tts_notification_id": notification_id or new_notification_id(),
               "shop_id": shop_id or SHOP_ID_FALLBACK, "timestamp": now, "data": data}
        return json.dumps(doc, separators=(",", ":")).encode()

    def post_tiktok(self, body, auth=True, headers=None, timeout=15):
        h = {"Content-Type": "application/json"}
        if auth is True:
            h["Authorization"] = H.tiktok_webhook_signature(body)
        elif auth:
            h["Authorization"] = auth
        h.update(headers or {})
        return H.request("POST", self.base + "/api/tiktok/webhook", body, h, timeout=timeout)

    def post_stripe(self, body, sig=None, timeout=15):
        """POST a Stripe event; sig None signs it now, as each delivery of
        Stripe's does."""
        if isinstance(body, str):
            body = body.encode()
        h = {"Content-Type": "application/json",
             "Stripe-Signature": sig if sig is not None else H.stripe_signature_header(body)}
        return H.request("POST", self.base + "/api/stripe/webhook", body, h, timeout=timeout)


_nid = [int(time.time() * 1000) % 10 ** 9]


def new_notification_id():
    _nid[0] += 1
    return "7327610%012d" % _nid[0]


def stripe_event(event_type, obj, event_id=None):
    """A Stripe event body (bytes) of the given type around obj."""
    doc = {"id": event_id or "evt_test_%d" % (time.time_ns() % 10 ** 15), "object": "event",
           "api_version": "2024-06-20", "created": int(time.time()), "livemode": False,
           "pending_webhooks": 1, "type": event_type, "data": {"object": obj}}
    return json.dumps(doc, separators=(",", ":")).encode()


def run_stack_sections(checks, sections, skus, ss_env, needs=None):
    """Run a test file's selected sections (H.selected_sections over
    sections' names and needs; each sections[name](stack)) in file order
    against one Stack: TikTok's webhooks sent to a closed port, Stripe's not
    sent, shopsync with ss_env. Before them, three checks: skus (sku ->
    quantity) imported, the shop connected, the catalog synced. Logs are
    dumped when a check failed; the Stack is stopped at the end."""
    want = H.selected_sections(list(sections), needs)
    tmp = H.TempDir()
    s = None
    try:
        s = Stack(tmp.path, tiktok_hooks=closed_port_url("/api/tiktok/webhook"), stripe_hooks=False,
                  ss_env=ss_env).start()
        checks.eq(s.import_catalog(skus)[0], 200, "catalog imported")
        checks.eq(s.connect(), (302, "/admin/tiktok-shop?connected=1"), "connected")
        checks.eq(s.sync()[1].get("state"), "done", "synced")
        for n in sections:
            if n in want:
                checks.section(n, lambda _c, st, f=sections[n]: f(st), s)
    finally:
        if s is not None:
            if checks.failed:
                s.dump_logs()
            s.stop()
        tmp.cleanup()
    checks.done()


def closed_port_url(path):
    """An http:// URL on a loopback port nothing listens on."""
    return "http://127.0.0.1:%d%s" % (H.free_port(), path)


# --- shared by the fault scenarios (tests/faults) ------------------------------

def metrics_at(base, timeout=15):
    """GET base/metrics parsed into {series: float}."""
    st, h, data = H.request("GET", base + "/metrics", timeout=timeout)
    out = {}
    for line in data.decode().splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        try:
            out[name] = float(value)
        except ValueError:
            pass
    return out


def build_events(s, skus, n_orders, n_sessions, rng, threads=4):
    """Real sandbox orders and Stripe checkout sessions (create them with the
    sandbox's own webhook delivery off), returned shuffled as events
    {"provider", "kind", "ref", "body", "units"}; kind is "order" (a TikTok
    type 1 push under the sandbox's notification id) or "session" (the
    Stripe checkout.session.completed event). Also returns the errors."""
    import threading
    shop = s.shop_id()
    events, errors = [], []
    lock = threading.Lock()

    def make_orders(idx):
        for i in idx:
            sku, qty = skus[i % len(skus)], 1 + i % 3
            st, o = s.sb_order(sku, qty)
            if st != 201:
                errors.append((st, o))
                continue
            body = s.tiktok_body(1, o["order_id"], notification_id=o["webhook"]["tts_notification_id"],
                                 shop_id=shop)
            with lock:
                events.append({"provider": "tiktok", "kind": "order", "ref": o["order_id"], "body": body,
                               "units": {sku: qty}})

    def make_sessions(idx):
        wheres = ["product", "price", "lookup_key"]
        for j in idx:
            units = {skus[j % len(skus)]: 1 + j % 2}
            if j % 3 == 0:
                other = skus[(j + 3) % len(skus)]
                units[other] = units.get(other, 0) + 1
            lines = [{"sku": k, "quantity": q, "where": wheres[(j + n) % 3]} for n, (k, q) in enumerate(units.items())]
            st, co = s.sb_checkout(lines)
            if st != 201:
                errors.append((st, co))
                continue
            with lock:
                events.append({"provider": "stripe", "kind": "session", "ref": co["session_id"],
                               "body": co["event_body"].encode(), "units": units})

    ths = [threading.Thread(target=make_orders, args=(range(k, n_orders, threads),)) for k in range(threads)]
    ths += [threading.Thread(target=make_sessions, args=(range(k, n_sessions, threads),)) for k in range(threads)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(120)
    events.sort(key=lambda e: e["ref"])  # thread timing must not decide the shuffle
    rng.shuffle(events)
    return events, errors


def deliver(base, ev, timeout=10):
    """POST one event (from build_events) to the shopsync at base, as its
    provider would: TikTok bodies as they are with the app's signature,
    Stripe bodies signed afresh (each Stripe delivery is). Returns the HTTP
    status, or None when the connection failed (shopsync gone)."""
    path = "/api/tiktok/webhook" if ev["provider"] == "tiktok" else "/api/stripe/webhook"
    h = {"Content-Type": "application/json"}
    if ev["provider"] == "tiktok":
        h["Authorization"] = H.tiktok_webhook_signature(ev["body"])
    else:
        h["Stripe-Signature"] = H.stripe_signature_header(ev["body"])
    try:
        return H.request("POST", base + path, ev["body"], h, timeout=timeout)[0]
    except Exception:  # refused, reset or timed out
        return None


def ledger_count(s, pattern, field=None, value=None):
    """Number of keys matching pattern (optionally whose hash field equals
    value), counted inside Redis."""
    if field:
        script = ("local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
                  "if redis.call('HGET', k, ARGV[2]) == ARGV[3] then n = n + 1 end end return n")
        out = s.redis.cli("EVAL", script, "0", pattern, field, value)
    else:
        out = s.redis.cli("EVAL", "return #redis.call('KEYS', ARGV[1])", "0", pattern)
    try:
        return int(out.strip())
    except ValueError:
        return out


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer", "ThreadSanitizer")


def sanitizer_report(text):
    """The first line of a sanitizer report in a process's output, or None."""
    for line in text.splitlines():
        if any(m in line for m in SANITIZER_MARKERS):
            return line.strip()[:300]
    return None
