#!/usr/bin/env python3
"""Flash sales on both channels: it reports figures and asserts nothing.

Starts its own redis-server, TikTok Shop sandbox and `shopsync serve` on free
ports (binaries from --build-dir, else $BENCH_BUILD_DIR, else build/), with the
sandbox's latency fault on every API it imitates (--latency-ms), and runs one
of these modes:

  flash sale (default)   one SKU with --units units, connected and synced; TikTok
                         buyers place sandbox orders (TikTok refuses at its own 0)
                         and website buyers read GET /api/stock/{sku} and, while it
                         says > 0, pay a sandbox Stripe checkout whose
                         metadata.shopsync_items is "SKU:1" (--line-items: no
                         metadata) and deliver its signed checkout.session.completed
                         to shopsync; each population at its own order rate. Reports
                         units sold per channel, oversold units, both stocks at the
                         end, when each reached 0, and Update Inventory calls.
  --stripe-throughput    signed checkout.session.completed events at a fixed rate;
                         applied/s and "acknowledged -> visible in /api/stock".
  --push-fanout          Sync All Products of a catalog (products/s), then stock
                         edits of many products at once: edit -> TikTok quantity.
  --sandbox-capacity     the sandbox alone: Stripe reads and signed TikTok calls at
                         once under the latency fault.

Standard library only; shares its plumbing with bench/bench.py. See
bench/README.md, section "Flash sales".
"""
import argparse
import hashlib
import hmac
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench as B  # noqa: E402  (the shared plumbing lives beside this file)

FLASH_SKU = "FLASH-1"
TPUT_SKU = "TPUT-1"
JSON_HEADERS = {"Content-Type": "application/json"}
STRIPE_AUTH = {"Authorization": "Bearer sk_test_sandbox"}
log = B.log


class Paced:
    """Run action(i) for i = 0, 1, ... at a fixed rate (open loop: the i-th call
    is due at begin + i/rate whatever the earlier ones took) on n threads, each
    with its own keep-alive connections, until should_stop() or count calls."""

    def __init__(self, name, rate, action, threads=8, should_stop=None, count=None):
        self.name, self.rate, self.action = name, float(rate), action
        self.n_threads = threads
        self.count = count  # at most this many calls
        self.should_stop = should_stop or (lambda: False)
        self.lock = threading.Lock()
        self.next_i = 0
        self.stopped = threading.Event()
        self.late = []  # seconds behind schedule at each call
        self.errors = []
        self.threads = []

    def start(self, begin):
        self.begin = begin
        for k in range(self.n_threads):
            t = threading.Thread(target=self._run, name="%s-%d" % (self.name, k), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def _run(self):
        local = {}
        while not self.stopped.is_set():
            with self.lock:
                i = self.next_i
                self.next_i += 1
            if self.count is not None and i >= self.count:
                break
            due = self.begin + i / self.rate
            while not self.stopped.is_set() and time.time() < due:
                time.sleep(min(0.05, max(0.0, due - time.time())))
            if self.stopped.is_set():
                break
            if self.should_stop():
                self.stopped.set()
                break
            self.late.append(time.time() - due)
            try:
                self.action(i, local)
            except Exception as e:  # counted and shown; the run goes on
                self.errors.append(repr(e))
        for c in local.values():
            c.close()

    def max_late_ms(self):
        return max(self.late) * 1000 if self.late else 0.0

    def join(self):
        for t in self.threads:
            t.join()


def conn(local, base):
    """The calling thread's keep-alive connection to base."""
    if base not in local:
        local[base] = B.KeepAlive(base)
    return local[base]


class Channel:
    """Counters of one buyer population."""

    def __init__(self, name, tail):
        self.name, self.tail = name, tail
        self.lock = threading.Lock()
        self.sold = 0
        self.refused = 0
        self.errors = 0
        self.sale_times = []
        self.soldout_since = None  # first sold-out signal since the last sale or positive read

    def sale(self, t):
        with self.lock:
            self.sold += 1
            self.sale_times.append(t)
            self.soldout_since = None

    def error(self):
        with self.lock:
            self.errors += 1

    def available(self):
        with self.lock:
            self.soldout_since = None

    def soldout(self, t):
        with self.lock:
            self.refused += 1
            if self.soldout_since is None:
                self.soldout_since = t

    def done(self):
        with self.lock:
            return self.soldout_since is not None and time.time() - self.soldout_since >= self.tail


class Monitor:
    """Samples store stock (GET /api/stock) and TikTok's own quantity (GET
    /sandbox/stock) every few ms; keeps each value's changes with their time."""

    def __init__(self, stack, sku, interval=0.01):
        self.stack, self.sku, self.interval = stack, sku, interval
        self.store, self.tiktok = [], []  # [(t, value)] on change
        self.chan = []  # [(t, {field: value})] on change, when asked for
        self.want_chan = False
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.t.start()
        return self

    def _run(self):
        a, b = B.KeepAlive(self.stack.base), B.KeepAlive(self.stack.sandbox)
        path_a = "/api/stock/" + urllib.parse.quote(self.sku)
        path_b = "/sandbox/stock?sku=" + urllib.parse.quote(self.sku)
        while not self.stop_ev.is_set():
            for series, c, path, key in ((self.store, a, path_a, "stock"), (self.tiktok, b, path_b, "quantity")):
                try:
                    st, data = c.send("GET", path, None, {})
                    v = json.loads(data)[key] if st == 200 else None
                except (OSError, ValueError):
                    v = None
                now = time.time()
                if v is not None and (not series or series[-1][1] != v):
                    series.append((now, v))
            if self.want_chan:
                self._sample_chan()
            time.sleep(self.interval)
        a.close()
        b.close()

    def _sample_chan(self):
        out = self.stack.redis("HGETALL", B.PREFIX + "chan:" + self.sku).split("\n")
        h = dict(zip(out[0::2], out[1::2]))
        h = {k: v for k, v in h.items() if k not in ("rt", "rw", "rts")}
        if h and (not self.chan or self.chan[-1][1] != h):
            self.chan.append((time.time(), h))

    def stop(self):
        self.stop_ev.set()
        self.t.join()


def write_timeline(path, begin, mon, tiktok, web, updates):
    """One line per happening, in time order, seconds from the start: sales
    per channel, store stock and TikTok quantity changes, the SKU's channel
    state in Redis, and Update Inventory calls (as the sandbox logged them)."""
    rows = [(t, "sale", "tiktok") for t in tiktok.sale_times] + [(t, "sale", "web") for t in web.sale_times]
    rows += [(t, "store", v) for t, v in mon.store] + [(t, "tiktok", v) for t, v in mon.tiktok]
    rows += [(t, "chan", json.dumps(h, sort_keys=True)) for t, h in mon.chan]
    for u in updates:
        rows.append((u["at_us"] / 1e6, "update", u["quantity"]))
    rows.sort(key=lambda r: r[0])
    with open(path, "w") as f:
        for t, kind, v in rows:
            f.write("%8.3f %-6s %s\n" % (t - begin, kind, v))
    log("  timeline written to %s (%d lines)" % (path, len(rows)))


def final_zero(series):
    """Time since which the series has been 0 until the end, or None."""
    if not series or series[-1][1] != 0:
        return None
    return series[-1][0]


def first_zero(series):
    for t, v in series:
        if v == 0:
            return t
    return None


def new_stack(args, workdir, name, extra_sandbox=None, shopsync_env=None, rate_limit=None):
    env = {"SANDBOX_API_LATENCY_MS": str(args.latency_ms), "SANDBOX_WEBHOOK_DELAY_MS": str(args.webhook_delay_ms)}
    env.update(extra_sandbox or {})
    s = B.Stack(args.build_dir, workdir, name, rate_limit, shopsync_env, env)
    return s


def product(pid, sku, stock, image, price="25.00"):
    return {"id": pid, "title": "Flash " + pid, "description": "<p>%s</p>" % pid,
            "images": [image], "skus": [{"sku": sku, "price": price, "currency": "USD", "stock": stock}]}


def stats(stack):
    """shopsync's oversell counters (Redis hash stats)."""
    out = stack.redis("HMGET", B.PREFIX + "stats", "oversells", "oversold_units").split("\n")
    return [int(x or 0) for x in (out + ["", ""])[:2]]


def counters(stack):
    return B.jrequest("GET", stack.sandbox + "/sandbox/state")[1]["counters"]


def endpoint_calls(stack):
    """{"METHOD pattern": calls} of the sandbox's APIs."""
    return B.jrequest("GET", stack.sandbox + "/sandbox/state")[1]["endpoint_calls"]


LINE_ITEMS = "GET /stripe/v1/checkout/sessions/{session}/line_items"
ORDER_DETAIL = "GET /order/202309/orders"


# ------------------------------------------------------------- flash sale

def flash_sale(args, workdir):
    mode = "TikTok only" if args.tiktok_only else (
        "website sessions without metadata (line items)" if args.line_items else "website metadata.shopsync_items")
    web_rate = 0 if args.tiktok_only else args.web_rate
    log("\n== Flash sale: %d units of %s; TikTok buyers %d orders/s, website buyers %d orders/s (%s); "
        "sandbox latency %d ms on every API, TikTok webhooks %d ms late; load %s"
        % (args.units, FLASH_SKU, args.tiktok_rate, web_rate, mode, args.latency_ms, args.webhook_delay_ms,
           B.loadavg()))
    stack = new_stack(args, workdir, "flash").start()
    try:
        image = stack.base + "/static/sample-lavender.png"
        took, _ = B.import_and_sync(stack, [product("flash", FLASH_SKU, args.units, image)])
        stack.wait_quiet(60)
        q0, _ = stack.sandbox_quantity(FLASH_SKU)
        log("  connected and synced in %.1f s; store stock %d, TikTok quantity %d"
            % (took, stack.stock(FLASH_SKU), q0))
        return run_sale(stack, args, web_rate)
    finally:
        stack.stop()


def run_sale(stack, args, web_rate):
    log_before = len(stack.inventory_log(FLASH_SKU))
    c0 = endpoint_calls(stack)
    tiktok = Channel("tiktok", args.tail_s)
    web = Channel("website", args.tail_s)
    sku_path = "/api/stock/" + FLASH_SKU
    order_body = json.dumps({"seller_sku": FLASH_SKU, "quantity": 1}).encode()
    if args.line_items:
        checkout_body = json.dumps({"lines": [{"sku": FLASH_SKU, "quantity": 1}]}).encode()
    else:
        checkout_body = json.dumps({"sku": FLASH_SKU, "quantity": 1}).encode()
    web_acks = []

    def tiktok_buyer(i, local):
        st, data = conn(local, stack.sandbox).send("POST", "/sandbox/orders", order_body, JSON_HEADERS)
        now = time.time()
        if st == 201:
            tiktok.sale(now)
        elif st == 409 and b"not enough stock" in data:
            tiktok.soldout(now)
        else:
            tiktok.error()

    def web_buyer(i, local):
        st, data = conn(local, stack.base).send("GET", sku_path, None, {})
        if st != 200:
            web.error()
            return
        if json.loads(data)["stock"] <= 0:
            web.soldout(time.time())
            return
        web.available()
        st, data = conn(local, stack.sandbox).send("POST", "/sandbox/stripe/checkout", checkout_body, JSON_HEADERS)
        if st != 201:
            web.error()
            return
        body = json.loads(data)["event_body"].encode()
        headers = {"Content-Type": "application/json", "Stripe-Signature": B.stripe_header(body)}
        st, _ = conn(local, stack.base).send("POST", "/api/stripe/webhook", body, headers)
        if st == 200:
            now = time.time()
            web.sale(now)
            web_acks.append(now)
        else:
            web.error()

    mon = Monitor(stack, FLASH_SKU)
    mon.want_chan = bool(args.timeline)
    mon.start()
    begin = time.time() + 0.2
    deadline = begin + args.max_s
    pops = [Paced("tiktok", args.tiktok_rate, tiktok_buyer, should_stop=lambda: tiktok.done() or time.time() > deadline)]
    if web_rate > 0:
        pops.append(Paced("web", web_rate, web_buyer, should_stop=lambda: web.done() or time.time() > deadline))
    for p in pops:
        p.start(begin)
    for p in pops:
        p.join()
    ended = time.time()
    # Settle: every webhook delivered and applied, every push done.
    hooks_pending = lambda: B.jrequest("GET", stack.sandbox + "/sandbox/state")[1]["webhooks"]["pending"]  # noqa: E731
    try:
        B.wait_until(lambda: hooks_pending() == 0 and stack.backlog() == (0, 0), 60, "webhooks applied and pushes done",
                     0.1)
        time.sleep(0.5)
        settled = time.time() - ended
    except RuntimeError:
        settled = float("nan")
    mon.stop()
    waiting, dirty = stack.backlog()
    hooks_left = hooks_pending()
    store_end = stack.stock(FLASH_SKU)
    tiktok_end, _ = stack.sandbox_quantity(FLASH_SKU)
    upd = stack.inventory_log(FLASH_SKU)[log_before:]
    c1 = endpoint_calls(stack)
    oversells, oversold_units = stats(stack)
    sales = tiktok.sale_times + web.sale_times
    last_sale = max(sales) if sales else begin
    total = tiktok.sold + web.sold

    def rel(t):
        return None if t is None else t - last_sale

    res = {
        "units": args.units, "latency_ms": args.latency_ms, "webhook_delay_ms": args.webhook_delay_ms,
        "tiktok_rate": args.tiktok_rate, "web_rate": web_rate, "line_items": bool(args.line_items),
        "sold_tiktok": tiktok.sold, "sold_web": web.sold, "sold_total": total, "oversold": total - args.units,
        "store_stock_end": store_end, "tiktok_quantity_end": tiktok_end,
        "shopsync_oversells": oversells, "shopsync_oversold_units": oversold_units,
        "tiktok_refused": tiktok.refused, "web_turned_away": web.refused,
        "errors": {"tiktok": tiktok.errors, "web": web.errors,
                   "exceptions": sum(len(p.errors) for p in pops)},
        "buying_s": ended - begin, "last_sale_s": last_sale - begin, "settle_s": settled,
        "settle_cap_s": 60, "events_waiting_at_end": waiting, "webhooks_undelivered_at_end": hooks_left,
        "store_zero_after_last_sale_s": rel(final_zero(mon.store)),
        "store_first_zero_after_last_sale_s": rel(first_zero(mon.store)),
        "tiktok_zero_after_last_sale_s": rel(final_zero(mon.tiktok)),
        "tiktok_first_zero_after_last_sale_s": rel(first_zero(mon.tiktok)),
        "update_inventory_calls": len(upd),
        "order_detail_calls": c1.get(ORDER_DETAIL, 0) - c0.get(ORDER_DETAIL, 0),
        "stripe_line_item_calls": c1.get(LINE_ITEMS, 0) - c0.get(LINE_ITEMS, 0),
        "max_send_lag_ms": max(p.max_late_ms() for p in pops),
    }

    if args.timeline:
        write_timeline(args.timeline, begin, mon, tiktok, web, upd)

    def when(x):
        return "never (not 0 at the end)" if x is None else "%+.2f s" % x

    log("  buyers ran %.1f s (last sale %.1f s in); TikTok: %d sold, %d refused at TikTok's 0; website: %d sold,"
        " %d turned away by /api/stock = 0; errors %r"
        % (res["buying_s"], res["last_sale_s"], tiktok.sold, tiktok.refused, web.sold, web.refused, res["errors"]))
    log("  sold %d of %d units: oversold %d (shopsync recorded %d oversells, %d units)"
        % (total, args.units, res["oversold"], oversells, oversold_units))
    if settled == settled:
        log("  at the end: store stock %d, TikTok quantity %d (settled %.1f s after the buyers stopped)"
            % (store_end, tiktok_end, settled))
    else:
        log("  at the end: store stock %d, TikTok quantity %d; not settled 60 s after the buyers stopped: %d events"
            " still waiting in shopsync, %d TikTok webhooks undelivered" % (store_end, tiktok_end, waiting, hooks_left))
    log("  reached 0 for good, after the last sale: store %s, TikTok %s; first 0: store %s, TikTok %s"
        % (when(res["store_zero_after_last_sale_s"]), when(res["tiktok_zero_after_last_sale_s"]),
           when(res["store_first_zero_after_last_sale_s"]), when(res["tiktok_first_zero_after_last_sale_s"])))
    log("  Update Inventory calls for %s: %d; Get Order Detail calls %d; Stripe line-items calls %d;"
        " buyers at most %.0f ms behind schedule"
        % (FLASH_SKU, len(upd), res["order_detail_calls"], res["stripe_line_item_calls"], res["max_send_lag_ms"]))
    return res


# ------------------------------------------------------ Stripe throughput

def stripe_throughput(args, workdir):
    rate = args.rate or (100 if args.line_items else 300)
    n = args.events or int(rate * args.send_s)
    kind = "line items (no metadata)" if args.line_items else "metadata.shopsync_items"
    log("\n== Stripe throughput: %d signed checkout.session.completed at %d/s (%s), sandbox latency %d ms; load %s"
        % (n, rate, kind, args.latency_ms, B.loadavg()))
    stack = new_stack(args, workdir, "stripe").start()
    try:
        image = stack.base + "/static/sample-citrus.png"
        B.import_and_sync(stack, [product("tput", TPUT_SKU, 100000, image)])
        stack.wait_quiet(60)
        body = ({"lines": [{"sku": TPUT_SKU, "quantity": 1}]} if args.line_items
                else {"sku": TPUT_SKU, "quantity": 1})
        local = threading.local()

        def create(i):
            if not hasattr(local, "c"):
                local.c = B.KeepAlive(stack.sandbox)
            st, data = local.c.send("POST", "/sandbox/stripe/checkout", json.dumps(body).encode(), JSON_HEADERS)
            if st != 201:
                raise RuntimeError("checkout: %d %s" % (st, data[:200]))
            return json.loads(data)["event_body"].encode()

        events = B.parallel(4, list(range(n)), create)
        c0 = endpoint_calls(stack)
        start = stack.stock(TPUT_SKU)
        mon = Monitor(stack, TPUT_SKU, interval=0.003).start()
        acks, statuses = [], {}

        def send(i, local):
            b = events[i]
            st, _ = conn(local, stack.base).send("POST", "/api/stripe/webhook", b,
                                                 {"Content-Type": "application/json",
                                                  "Stripe-Signature": B.stripe_header(b)})
            acks.append(time.time())
            statuses[st] = statuses.get(st, 0) + 1

        p = Paced("stripe", rate, send, threads=8, count=n)
        begin = time.time() + 0.2
        p.start(begin)
        p.join()
        end_send = time.time()
        try:
            B.wait_until(lambda: stack.stock(TPUT_SKU) <= start - n, args.drain_s, "every event applied", 0.05)
        except RuntimeError:
            pass
        # A few more samples: the monitor must see the last value too, or
        # the last sale counts as not applied.
        time.sleep(0.05)
        mon.stop()
        c1 = endpoint_calls(stack)
    finally:
        stack.stop()
    acks.sort()
    lat, applied_at = [], []
    j = 0
    for k, t_ack in enumerate(acks, 1):
        while j < len(mon.store) and mon.store[j][1] > start - k:
            j += 1
        if j == len(mon.store):
            break
        applied_at.append(mon.store[j][0])
        lat.append((mon.store[j][0] - t_ack) * 1000)
    applied = len(applied_at)
    in_window = sum(1 for t in applied_at if t <= end_send)
    span = (applied_at[-1] - begin) if applied_at else float("nan")
    res = {"events": n, "rate": rate, "line_items": bool(args.line_items), "latency_ms": args.latency_ms,
           "sent_rate": n / (end_send - begin), "statuses": statuses, "applied": applied,
           "applied_per_s": applied / span if applied else 0.0,
           "applied_per_s_while_sending": in_window / (end_send - begin),
           "visible_p50_ms": B.pct(lat, 50), "visible_p99_ms": B.pct(lat, 99),
           "visible_max_ms": max(lat) if lat else float("nan"),
           "not_applied_after_drain": n - applied, "drain_cap_s": args.drain_s,
           "stripe_line_item_calls": c1.get(LINE_ITEMS, 0) - c0.get(LINE_ITEMS, 0)}
    log("  sent %d events at %.1f/s (responses %s)" % (n, res["sent_rate"], statuses))
    log("  applied %d of %d: %.1f/s over the run (%.1f/s while sending); %d not applied %d s after sending"
        % (applied, n, res["applied_per_s"], res["applied_per_s_while_sending"], n - applied, args.drain_s))
    log("  acknowledged -> visible in /api/stock: %s" % B.summary(lat))
    log("  Stripe line-items calls: %d" % res["stripe_line_item_calls"])
    return res


# ------------------------------------------------------------ push fan-out

def push_fanout(args, workdir):
    log("\n== Push fan-out: Sync All Products of %d products, then %d products' stock changed at once; "
        "sandbox latency %d ms; load %s" % (args.catalog, args.fanout, args.latency_ms, B.loadavg()))
    stack = new_stack(args, workdir, "fanout").start()
    try:
        products = [product("fan-%03d" % (i + 1), "FAN-%03d" % (i + 1), 100,
                            stack.base + "/static/" + B.IMAGES[i % len(B.IMAGES)])
                    for i in range(args.catalog)]
        took, job = B.import_and_sync(stack, products)
        res = {"catalog": args.catalog, "fanout": args.fanout, "latency_ms": args.latency_ms,
               "sync_s": took, "sync_products_per_s": args.catalog / took}
        log("  Sync All Products: %d products in %.1f s = %.2f products/s (created %s)"
            % (args.catalog, took, args.catalog / took, job.get("created")))
        stack.wait_quiet(60)
        skus = ["FAN-%03d" % (i + 1) for i in range(args.fanout)]
        before = {s: len(stack.inventory_log(s)) for s in skus}
        u0 = counters(stack)["inventory_updates"]
        acked = {}

        def edit(sku):
            st, doc = stack.admin("POST", "/api/admin/stock/" + sku, {"delta": -1})
            acked[sku] = time.time()
            if st != 200 or doc.get("stock") != 99:
                raise RuntimeError("edit %s: %d %r" % (sku, st, doc))

        t0 = time.time()
        B.parallel(16, skus, edit)
        edits = time.time() - t0
        lat, missing = [], []

        def all_shown():
            for s in skus:
                if s in seen:
                    continue
                upd = [u for u in stack.inventory_log(s)[before[s]:] if u["quantity"] == 99]
                if upd:
                    seen[s] = upd[0]["at_us"] / 1e6
            return len(seen) == len(skus)

        seen = {}
        try:
            B.wait_until(all_shown, args.drain_s, "every new quantity on TikTok", 0.2)
        except RuntimeError:
            pass
        for s in skus:
            if s in seen:
                lat.append((seen[s] - acked[s]) * 1000)
            else:
                missing.append(s)
        calls = counters(stack)["inventory_updates"] - u0
        res.update({"edits_s": edits, "push_p50_ms": B.pct(lat, 50), "push_p99_ms": B.pct(lat, 99),
                    "push_max_ms": max(lat) if lat else float("nan"), "not_shown": len(missing),
                    "update_inventory_calls": calls,
                    "last_shown_s": (max(seen.values()) - t0) if seen else float("nan")})
        log("  %d stock edits acknowledged in %.2f s; edit acknowledged -> new quantity on TikTok: %s"
            % (len(skus), edits, B.summary(lat)))
        log("  all shown %.1f s after the first edit; %d never shown within %d s; %d Update Inventory calls"
            % (res["last_shown_s"], len(missing), args.drain_s, calls))
        return res
    finally:
        stack.stop()


# -------------------------------------------------------- sandbox capacity

def tts_sign(secret, path, query, body=b""):
    """TikTok Shop request sign: HMAC-SHA256(secret, secret + path + sorted
    key+value (minus sign, access_token) + body + secret)."""
    keys = sorted((k for k in query if k not in ("sign", "access_token")), key=lambda k: k.encode())
    msg = (secret + path + "".join(k + query[k] for k in keys)).encode() + body + secret.encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def sandbox_capacity(args, workdir):
    log("\n== Sandbox capacity: Stripe line-items reads at %d/s and signed TikTok calls at %d/s at once for %.0f s,"
        " latency %d ms; load %s" % (args.stripe_rate, args.tiktok_api_rate, args.send_s, args.latency_ms,
                                     B.loadavg()))
    port = B.free_port()
    base = "http://127.0.0.1:%d" % port
    env = dict(os.environ, SANDBOX_LISTEN="127.0.0.1:%d" % port, SANDBOX_APP_KEY=B.APP_KEY,
               SANDBOX_APP_SECRET=B.APP_SECRET, SANDBOX_SERVICE_ID=B.SERVICE_ID,
               SANDBOX_REDIRECT_URI="http://127.0.0.1:9/callback", SANDBOX_RATE_LIMIT="100000",
               SANDBOX_API_LATENCY_MS="0")
    logf = open(os.path.join(workdir, "sandbox-capacity.log"), "ab")
    proc = subprocess.Popen([os.path.join(args.build_dir, "shopsync-sandbox")], env=env, stdout=logf,
                            stderr=subprocess.STDOUT)
    try:
        B.wait_until(lambda: B.request("GET", base + "/healthz")[0] == 200, 10, "sandbox")
        st, _, page = B.request("GET", base + "/open/authorize?service_id=%s&state=x" % B.SERVICE_ID)
        fields = {}
        for inner in re.findall(r'<form method="post" action="/open/authorize">(.*?)</form>', page.decode(), re.S):
            f = {k: html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', inner)}
            if f.get("decision") == "approve":
                fields = f
        st, h, _ = B.request("POST", base + "/open/authorize", urllib.parse.urlencode(fields),
                             {"Content-Type": "application/x-www-form-urlencoded"})
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(h["location"]).query)["code"][0]
        st, doc = B.jrequest("GET", base + "/api/v2/token/get?" + urllib.parse.urlencode(
            {"app_key": B.APP_KEY, "app_secret": B.APP_SECRET, "auth_code": code, "grant_type": "authorized_code"}))
        token = doc["data"]["access_token"]

        def signed(path, extra=None):
            q = {"app_key": B.APP_KEY, "timestamp": str(int(time.time()))}
            q.update(extra or {})
            q["sign"] = tts_sign(B.APP_SECRET, path, q)
            return path + "?" + urllib.parse.urlencode(q)

        st, doc = B.jrequest("GET", base + signed("/authorization/202309/shops"),
                             headers={"x-tts-access-token": token})
        cipher = doc["data"]["shops"][0]["cipher"]
        st, doc = B.jrequest("POST", base + "/sandbox/stripe/checkout", {"sku": "CAP-1", "quantity": 1})
        li_path = "/stripe/v1/checkout/sessions/%s/line_items?limit=100" % doc["session_id"]
        B.jrequest("POST", base + "/sandbox/faults", {"latency_ms": args.latency_ms})
        out = {"stripe": [], "tiktok": []}
        bad = {"stripe": 0, "tiktok": 0}

        def stripe_read(i, local):
            t = time.time()
            st, _ = conn(local, base).send("GET", li_path, None, STRIPE_AUTH)
            out["stripe"].append((t, time.time()))
            bad["stripe"] += st != 200

        def tiktok_call(i, local):
            t = time.time()
            st, data = conn(local, base).send("GET", signed("/logistics/202309/warehouses", {"shop_cipher": cipher}),
                                              None, {"x-tts-access-token": token})
            out["tiktok"].append((t, time.time()))
            bad["tiktok"] += st != 200 or json.loads(data).get("code") != 0

        # About as many client threads as calls in flight: each keeps one
        # connection busy, as a client's connection pool would.
        slow = args.latency_ms / 1000.0
        pops = [Paced("stripe", args.stripe_rate, stripe_read, threads=int(args.stripe_rate * slow * 1.3) + 8,
                      count=int(args.stripe_rate * args.send_s)),
                Paced("tiktok", args.tiktok_api_rate, tiktok_call, threads=int(args.tiktok_api_rate * slow * 1.3) + 4,
                      count=int(args.tiktok_api_rate * args.send_s))]
        begin = time.time() + 0.3
        for p in pops:
            p.start(begin)
        for p in pops:
            p.join()
    finally:
        proc.terminate()
        proc.wait(15)
        logf.close()
    res = {"latency_ms": args.latency_ms}
    for p, rate in zip(pops, (args.stripe_rate, args.tiktok_api_rate)):
        calls = out[p.name]
        ends = sorted(e for _, e in calls)
        span = (ends[-1] - ends[0]) if len(ends) > 1 else float("nan")
        lat = [(e - s) * 1000 for s, e in calls]
        res[p.name] = {"target_per_s": rate, "calls": len(calls), "served_per_s": (len(calls) - 1) / span,
                       "not_ok": bad[p.name], "p50_ms": B.pct(lat, 50), "p99_ms": B.pct(lat, 99),
                       "client_threads": p.n_threads, "max_behind_schedule_ms": p.max_late_ms()}
        log("  %s: %d calls on %d client threads, %.1f/s served (target %d/s), %d not OK, at most %.0f ms behind"
            " schedule; latency %s" % (p.name, len(calls), p.n_threads, res[p.name]["served_per_s"], rate,
                                       bad[p.name], p.max_late_ms(), B.summary(lat)))
    return res


# ------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=B.default_build_dir())
    ap.add_argument("--latency-ms", type=int, default=None,
                    help="sandbox latency on every API (default 0; 200 for the throughput, fan-out and capacity modes)")
    ap.add_argument("--webhook-delay-ms", type=int, default=0, help="TikTok order webhooks this much late")
    ap.add_argument("--units", type=int, default=500)
    ap.add_argument("--tiktok-rate", type=int, default=100, help="TikTok one-unit orders per second")
    ap.add_argument("--web-rate", type=int, default=100, help="website one-unit orders per second")
    ap.add_argument("--tiktok-only", action="store_true", help="no website buyers")
    ap.add_argument("--line-items", action="store_true",
                    help="website sessions without metadata: shopsync must read the line items from Stripe")
    ap.add_argument("--tail-s", type=float, default=3.0,
                    help="a population stops after seeing sold out for this long")
    ap.add_argument("--max-s", type=float, default=40.0, help="buyers stop after this long in any case")
    ap.add_argument("--stripe-throughput", action="store_true")
    ap.add_argument("--rate", type=int, default=None, help="events/s (default 300, 100 with --line-items)")
    ap.add_argument("--events", type=int, default=None, help="events to send (default: rate x --send-s)")
    ap.add_argument("--send-s", type=float, default=5.0)
    ap.add_argument("--drain-s", type=int, default=60, help="how long to wait for the last results")
    ap.add_argument("--push-fanout", action="store_true")
    ap.add_argument("--catalog", type=int, default=200, help="products synced in the fan-out mode")
    ap.add_argument("--fanout", type=int, default=100, help="products whose stock changes at once")
    ap.add_argument("--sandbox-capacity", action="store_true")
    ap.add_argument("--stripe-rate", type=int, default=300, help="Stripe reads/s in the capacity mode")
    ap.add_argument("--tiktok-api-rate", type=int, default=50, help="signed TikTok calls/s in the capacity mode")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    ap.add_argument("--timeline", help="flash sale: write every sale, stock change, channel state and update here")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    args = ap.parse_args()
    slow_mode = args.stripe_throughput or args.push_fanout or args.sandbox_capacity
    if args.latency_ms is None:
        args.latency_ms = 200 if slow_mode else 0
    B.need_binaries("flash_sale", args.build_dir)
    workdir = tempfile.mkdtemp(prefix="shopsync-flash-")
    B.log_header("shopsync flash-sale driver", args.build_dir)
    t0 = time.time()
    try:
        if args.stripe_throughput:
            res = stripe_throughput(args, workdir)
        elif args.push_fanout:
            res = push_fanout(args, workdir)
        elif args.sandbox_capacity:
            res = sandbox_capacity(args, workdir)
        else:
            res = flash_sale(args, workdir)
        log("\nrun took %.1f s; load average at the end: %s" % (time.time() - t0, B.loadavg()))
        if args.json:
            B.write_json(args.json, res)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log("work dir kept: %s" % workdir)


if __name__ == "__main__":
    main()
