#!/usr/bin/env python3
"""Fault scenarios: real redis-server, the TikTok Shop sandbox and one or two
shopsync processes, one fresh stack per scenario, each scenario a unit with
a PASS/FAIL verdict and the numbers it saw, printed as a table at the end.

  1 kill -9 of shopsync mid-burst, restart, providers re-send what was not
    acknowledged
  2 Redis restarted mid-burst (redis-cli SHUTDOWN, which fsyncs the AOF;
    same port and dir): what was acknowledged before survives
  3 Redis unreachable for 10 s (webhooks and /readyz 503), then frozen
    (SIGSTOP) for 7 s, past the 5 s command timeout; retries applied after,
    an admin decrement never applied twice
  4 TikTok 429 storm (rate_limit_rate 0.8 for 15 s) while sales happen
  5 TikTok 500s and 2 s latency (error_rate 0.3) while sales happen
  6 access token expired mid-run (expire_tokens): refreshed, converges
  7 duplicated, reordered and replayed TikTok and Stripe webhooks,
    cancellations before creations, replays after the dedupe markers expired
  8 two instances on one Redis, webhooks split between them, one killed

Every scenario checks the same invariants: every acknowledged event applied
exactly once (store stock = initial - units of the distinct acknowledged,
not cancelled orders and sessions + admin restocks), stock never negative
(activity log, oversells), TikTok quantity = max(0, stock - buffer) for every
SKU, nothing stuck (shopsync_queue_depth 0, shopsync_push_dirty_skus 0, DLQ
empty), no process died, no sanitizer report in any log.

Usage: scenarios.py [N ...]   (scenario numbers; default all). Standard
library only; binaries from SHOPSYNC_BIN / SHOPSYNC_SANDBOX_BIN (defaults
build/shopsync, build/shopsync-sandbox under the repository).
"""
import json
import os
import random
import re
import signal
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
os.environ.setdefault("SHOPSYNC_SOURCE_DIR", ROOT)
os.environ.setdefault("SHOPSYNC_BIN", os.path.join(ROOT, "build", "shopsync"))
os.environ.setdefault("SHOPSYNC_SANDBOX_BIN", os.path.join(ROOT, "build", "shopsync-sandbox"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness as H  # noqa: E402
import propagation_util as U  # noqa: E402

E429 = 'shopsync_tiktok_api_errors_total{code="36009002"}'
E500 = 'shopsync_tiktok_api_errors_total{code="36009003"}'


# --- bookkeeping ----------------------------------------------------------------

class Result:
    """Verdict and figures of one scenario."""

    def __init__(self, num, name):
        self.num, self.name = num, name
        self.failures, self.notes = [], []
        self.events = self.sent = self.acked = self.applied = self.dups = 0
        self.stock_err = self.drift = None
        self.seconds = 0.0

    def check(self, cond, what):
        print("  %s [%d] %s" % ("ok  " if cond else "FAIL", self.num, what), flush=True)
        if not cond:
            self.failures.append(what)
        return cond

    def note(self, fmt, *args):
        line = fmt % args
        self.notes.append(line)
        print("  #    [%d] %s" % (self.num, line), flush=True)

    @property
    def verdict(self):
        return "FAIL" if self.failures else "PASS"


class Run:
    """The events of a scenario, their deliveries and acknowledgements, and
    the store stock that must follow from them.

    An event is one provider notification (a TikTok push under one
    notification id, one Stripe event). A TikTok order counts -units when any
    of its events was acknowledged and it was not cancelled on TikTok (a
    cancelled order ends restocked or cancelled_first: 0); a checkout session
    counts -units when any of its events was acknowledged; admin restocks
    answered 200 count +delta."""

    def __init__(self, initial):
        self.initial = dict(initial)
        self.events = []
        self.acked = []
        self.acked_at = []
        self.sent = 0
        self.ok = {}            # (ref, kind) -> 200 answers
        self.units = {}         # ref -> {sku: n}
        self.cancelled = set()  # order refs cancelled on TikTok
        self.restocks = []      # (sku, delta) answered 200
        self.restock_tries = 0
        self.lock = threading.Lock()

    def add(self, ev):
        with self.lock:
            self.events.append(ev)
            self.acked.append(False)
            self.acked_at.append(None)
            self.units.setdefault(ev["ref"], ev["units"])
            return len(self.events) - 1

    def record(self, i, st):
        with self.lock:
            self.sent += 1
            if st == 200:
                key = (self.events[i]["ref"], self.events[i]["kind"])
                self.ok[key] = self.ok.get(key, 0) + 1
                if not self.acked[i]:
                    self.acked[i] = True
                    self.acked_at[i] = time.time()

    def restock(self, s, sku, delta):
        self.restock_tries += 1
        try:
            st = s.admin("POST", "/api/admin/stock/" + sku, {"delta": delta})[0]
        except Exception:
            st = None
        if st == 200:
            self.restocks.append((sku, delta))
        return st

    def n_acked(self):
        return sum(self.acked)

    def acked_refs(self):
        return {ev["ref"] for i, ev in enumerate(self.events) if self.acked[i]}

    def unacked(self):
        return [i for i in range(len(self.events)) if not self.acked[i]]

    def expected(self):
        want = dict(self.initial)
        for ref in self.acked_refs():
            if ref in self.cancelled:
                continue
            for sku, n in self.units[ref].items():
                want[sku] -= n
        for sku, d in self.restocks:
            want[sku] += d
        return want

    def duplicates(self):
        return sum(n - 1 for n in self.ok.values() if n > 1)


class Sender:
    """Delivers events (indexes into run.events, repeats allowed, in the
    given order) from a few threads, as providers' retry workers do.
    target(i) gives the base URL for event i."""

    def __init__(self, run, idxs, target, threads=6, timeout=10, pace=0.0, hold_at=None):
        self.run, self.idxs, self.target = run, list(idxs), target
        self.timeout, self.pace = timeout, pace
        # Deliveries from the hold_at-th on wait for release(): a fault meant
        # to land mid-burst must not find the burst already over.
        self.hold_at = hold_at
        self.gate = threading.Event()
        self.next = 0
        self.lock = threading.Lock()
        self.statuses = {}
        self.failed = []
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(threads)]

    def _work(self):
        while True:
            with self.lock:
                k = self.next
                self.next += 1
            if k >= len(self.idxs):
                return
            if self.hold_at is not None and k >= self.hold_at:
                self.gate.wait(120)
            i = self.idxs[k]
            st = U.deliver(self.target(i), self.run.events[i], timeout=self.timeout)
            self.run.record(i, st)
            with self.lock:
                self.statuses[st] = self.statuses.get(st, 0) + 1
                if st != 200:
                    self.failed.append(i)
            if self.pace:
                time.sleep(self.pace)

    def release(self):
        self.gate.set()

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def join(self, timeout=300):
        for t in self.threads:
            t.join(timeout)
        return self


def send(run, idxs, target, threads=6):
    return Sender(run, idxs, target, threads).start().join()


def send_until_acked(run, target, rounds=6, pause=0.5, threads=6):
    """Re-send every event not yet acknowledged until all are (providers
    retry). Returns {status: count} over all rounds."""
    statuses = {}
    for _ in range(rounds):
        todo = run.unacked()
        if not todo:
            break
        sd = send(run, todo, target, threads)
        for k, v in sd.statuses.items():
            statuses[k] = statuses.get(k, 0) + v
        if run.unacked():
            time.sleep(pause)
    return statuses


def new_stack(workdir, res, ctx, prefix, n_skus, stock=1000, ss_env=None, sb_env=None):
    """A started, connected and synced stack with n_skus SKUs of `stock`,
    one product each; the sandbox delivers no webhooks (the scenario is the
    provider)."""
    s = U.Stack(workdir, ss_env=ss_env, sb_env=sb_env, tiktok_hooks=False, stripe_hooks=False)
    ctx["stack"] = s
    s.start()
    skus = ["%s-%02d" % (prefix, i) for i in range(n_skus)]
    initial = {k: stock for k in skus}
    res.check(s.import_catalog(initial)[0] == 200, "%d SKUs of %d imported" % (n_skus, stock))
    res.check(s.connect()[0] == 302, "connected through OAuth")
    res.check(s.sync()[1].get("created") == n_skus, "Sync All Products created %d products" % n_skus)
    return s, skus, initial


def add_built(res, s, run, skus, n_orders, n_sessions, seed):
    events, errors = U.build_events(s, skus, n_orders, n_sessions, random.Random(seed))
    res.check(not errors and len(events) == n_orders + n_sessions,
              "%d sandbox orders and %d Stripe sessions created (errors %r)" % (n_orders, n_sessions, errors[:2]))
    return [run.add(ev) for ev in events]


def sales(res, s, run, skus, seconds, pace, rng, during=None):
    """Sales as they happen: every `pace` s a TikTok order (sandbox, its push
    delivered at once), a Stripe checkout, or an admin restock. during(t) is
    called with the elapsed time before each step. Returns the number of
    steps whose delivery was not acknowledged at once."""
    shop = s.shop_id()
    t0 = time.time()
    late = 0
    while time.time() - t0 < seconds:
        if during:
            during(time.time() - t0)
        r = rng.random()
        sku = rng.choice(skus)
        if r < 0.5:
            qty = rng.choice([1, 1, 2, 3])
            st, o = s.sb_order(sku, qty)
            if st != 201:
                res.check(False, "sandbox order answered %d: %r" % (st, o))
            else:
                body = s.tiktok_body(1, o["order_id"], notification_id=o["webhook"]["tts_notification_id"],
                                     shop_id=shop)
                i = run.add({"provider": "tiktok", "kind": "order", "ref": o["order_id"], "body": body,
                             "units": {sku: qty}})
                run.record(i, U.deliver(s.base, run.events[i]))
                late += not run.acked[i]
        elif r < 0.85:
            units = {sku: rng.choice([1, 2])}
            st, co = s.sb_checkout([{"sku": k, "quantity": q} for k, q in units.items()])
            if st != 201:
                res.check(False, "sandbox checkout answered %d: %r" % (st, co))
            else:
                i = run.add({"provider": "stripe", "kind": "session", "ref": co["session_id"],
                             "body": co["event_body"].encode(), "units": units})
                run.record(i, U.deliver(s.base, run.events[i]))
                late += not run.acked[i]
        else:
            if run.restock(s, sku, rng.choice([2, 3, 5])) != 200:
                late += 1
        time.sleep(pace)
    return late


def redis_states(s, run):
    """{ref: ledger state} for every ref: an order's `state` field, or
    'applied' for a checkout session whose ledger key exists."""
    refs = sorted(run.units)
    out = {}
    for k in range(0, len(refs), 200):
        chunk = refs[k:k + 200]
        script = ("local o = {} for i, r in ipairs(ARGV) do "
                  "local st = redis.call('HGET', 'shopsync:order:tiktok:' .. r, 'state') "
                  "if not st and redis.call('EXISTS', 'shopsync:checkout:stripe:' .. r) == 1 then st = 'applied' end "
                  "o[i] = st or '-' end return o")
        lines = s.redis.cli("EVAL", script, "0", *chunk).split("\n")
        for r, st in zip(chunk, lines):
            out[r] = st.strip()
    return out


def push_locks(s):
    """{lock key: PTTL ms} of the per-SKU push locks now held."""
    out = s.redis.cli("EVAL", "local o = {} for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
                      "o[#o + 1] = k o[#o + 1] = redis.call('PTTL', k) end return o", "0",
                      "shopsync:push:lock:*").split()
    return {out[i].split(":")[-1]: int(out[i + 1]) for i in range(0, len(out) - 1, 2)}


def verify(res, s, run, skus, buffer=0, expect_dlq=0, drain_timeout=90, converge_timeout=60):
    """The invariants, with the table's figures."""
    t0 = time.time()
    try:
        s.wait_drained(timeout=drain_timeout)
    except AssertionError as e:
        print("  #    [%d] %s" % (res.num, e), flush=True)
    res.note("drained %.1f s after the last delivery", time.time() - t0)
    m = s.metrics()
    res.check((m.get("shopsync_queue_depth"), m.get("shopsync_queue_pending"), m.get("shopsync_push_dirty_skus"))
              == (0, 0, 0), "nothing stuck: queue depth, pending and dirty SKUs all 0 (got %r, %r, %r)"
              % (m.get("shopsync_queue_depth"), m.get("shopsync_queue_pending"), m.get("shopsync_push_dirty_skus")))
    dlq = s.admin("GET", "/api/admin/dlq")[1]
    res.check(dlq["total"] == expect_dlq, "DLQ holds %d (got %d: %r)" % (expect_dlq, dlq["total"],
                                                                          [e.get("error") for e in dlq["entries"][:2]]))

    # Exactly once: the stock, then the ledgers, then the activity log.
    want = run.expected()
    got = s.stocks(skus)
    res.stock_err = sum(abs((got.get(k) or 0) - want[k]) for k in skus)
    res.check(got == want, "store stock = initial - acknowledged sales + restocks, each once (off by %d%s)"
              % (res.stock_err, "" if got == want else ": " + repr({k: (got[k], want[k]) for k in skus
                                                                   if got[k] != want[k]})))
    states = redis_states(s, run)
    acked = run.acked_refs()
    bad = {}
    for ref in acked:
        ok = ({"restocked", "cancelled_first"} if ref in run.cancelled else {"applied"})
        if states.get(ref) not in ok:
            bad[ref] = states.get(ref)
    stray = {r: st for r, st in states.items() if r not in acked and st != "-"}
    res.applied = sum(1 for r in acked if states.get(r, "-") != "-") + len(run.restocks)
    res.check(not bad, "every acknowledged order/session in its ledger in the right state (%d wrong: %r)"
              % (len(bad), dict(list(bad.items())[:3])))
    res.check(not stray, "nothing unacknowledged applied (%r)" % dict(list(stray.items())[:3]))
    acts = s.activity(1000)
    seen = {}
    for a in acts:
        if a.get("reason") in ("tiktok_order", "tiktok_cancel", "stripe_checkout"):
            key = (a.get("ref"), a.get("reason"), a.get("sku"))
            seen[key] = seen.get(key, 0) + 1
    twice = {k: n for k, n in seen.items() if n > 1}
    res.check(not twice, "no sale or cancellation applied twice in the activity log (%r)" % list(twice)[:3])
    if len(acts) >= 1000:
        res.note("activity log full (1000 entries): only the newest were checked")
    neg = [a for a in acts if a.get("stock", 0) < 0]
    res.check(not neg and all(v is not None and v >= 0 for v in got.values()),
              "stock never negative (activity log and final stock)")
    over = s.admin("GET", "/api/admin/oversells")[1]["oversells"]
    res.check(over == [], "no oversell recorded (%d)" % len(over))

    # TikTok converges on the projection.
    t0 = time.time()
    try:
        s.wait_converged(skus, timeout=converge_timeout, buffer=buffer)
    except AssertionError as e:
        print("  #    [%d] %s" % (res.num, e), flush=True)
    q = s.tiktok_qty()
    now = s.stocks(skus)
    res.drift = sum(abs((q.get(k) or 0) - max(0, (now[k] or 0) - buffer)) for k in skus)
    res.check(res.drift == 0, "TikTok quantity = max(0, stock - %d) for every SKU (drift %d)" % (buffer, res.drift))
    if time.time() - t0 > 1:
        res.note("TikTok converged %.1f s after the queue drained", time.time() - t0)

    res.events = len(run.events) + run.restock_tries
    res.sent = run.sent
    res.acked = run.n_acked() + len(run.restocks)
    res.dups = run.duplicates()


def finish(res, s, killed=()):
    """Stop every process gracefully; each must exit 0 (a sanitizer report
    aborts it) and no log may hold a sanitizer report. Processes in killed
    were killed on purpose and are only scanned."""
    for p in s.procs:
        if p in killed:
            continue
        if p.proc is None:
            continue
        if not p.alive():
            res.check(False, "%s died on its own (exit %r)" % (os.path.basename(p.logpath), p.proc.returncode))
            continue
        try:
            rc = p.stop()
        except AssertionError as e:
            rc = str(e)
        res.check(rc == 0, "%s stopped cleanly on SIGTERM (exit %r)" % (os.path.basename(p.logpath), rc))
    if s.sb is not None and s.sb.proc.alive():
        try:
            rc = s.sb.stop()
        except AssertionError as e:
            rc = str(e)
        res.check(rc == 0, "sandbox stopped cleanly (exit %r)" % rc)
    for p in list(s.procs) + ([s.sb.proc] if s.sb else []):
        rep = U.sanitizer_report(p.output())
        res.check(rep is None, "no sanitizer report in %s%s" % (os.path.basename(p.logpath),
                                                                ": " + rep if rep else ""))


# --- 1. kill -9 mid-burst -------------------------------------------------------------

def s1_kill(workdir, res, ctx):
    s, skus, initial = new_stack(workdir, res, ctx, "K", 8)
    run = Run(initial)
    add_built(res, s, run, skus, 120, 100, 11)
    sd = Sender(run, range(len(run.events)), lambda i: s.base, threads=6, hold_at=150).start()
    H.wait_until(lambda: run.n_acked() >= 90, timeout=60, interval=0.002, what="90 acknowledged")
    old = s.ss.proc
    old.kill9()
    at_kill = run.n_acked()
    sd.release()
    sd.join()
    queued = int(s.redis.cli("XLEN", "shopsync:stream:events").strip() or -1)
    pending = s.redis.cli("XPENDING", "shopsync:stream:events", "workers").split("\n")[0].strip()
    locks = s.redis.cli("KEYS", "shopsync:push:lock:*").split()
    left = {k: s.redis.cli("GET", k).strip() for k in locks}
    res.note("kill -9 after %d acknowledged (%d by the end of the pass); %s queued, %s claimed by the dead "
             "workers, %d push lock(s) left", at_kill, run.n_acked(), queued, pending, len(locks))
    res.check(0 < run.n_acked() < len(run.events), "killed mid-burst (%d of %d acknowledged)"
              % (run.n_acked(), len(run.events)))
    res.check(set(sd.statuses) <= {200, None}, "before the kill every answer was 200 (%r)" % sd.statuses)
    t0 = time.time()
    s.start_shopsync()
    res.note("restarted in %.1f s", time.time() - t0)
    if left:
        # A figure, not a verdict: a lock is taken over only when its SKU is
        # pushed again, and a kill between a push's end and its unlock
        # leaves a lock nobody needs. test_propagation 1f checks the
        # take-over itself.
        def freed():
            return all(s.redis.cli("GET", k).strip() != v for k, v in left.items())
        try:
            H.wait_until(freed, timeout=45, interval=0.1, what="the dead instance's push locks freed")
        except AssertionError:
            pass
        res.note("the dead instance's %d push lock(s) taken over or gone %.1f s after the restart began",
                 len(left), time.time() - t0)
    # Providers retry what was not acknowledged; some acknowledged ones come
    # again too (a 200 lost on the way).
    rng = random.Random(1)
    dupes = rng.sample([i for i in range(len(run.events)) if run.acked[i]], 40)
    todo = run.unacked() + dupes
    rng.shuffle(todo)
    st = send(run, todo, lambda i: s.base).statuses
    st2 = send_until_acked(run, lambda i: s.base)
    res.check(not run.unacked(), "every event acknowledged after the restart (%r %r)" % (st, st2))
    verify(res, s, run, skus, drain_timeout=120, converge_timeout=90)
    ctx["killed"] = (old,)


# --- 2. Redis restart mid-burst (AOF) ------------------------------------------------

def s2_redis_restart(workdir, res, ctx):
    s, skus, initial = new_stack(workdir, res, ctx, "R", 8)
    run = Run(initial)
    add_built(res, s, run, skus, 110, 90, 22)
    sd = Sender(run, range(len(run.events)), lambda i: s.base, threads=4, hold_at=110).start()
    H.wait_until(lambda: run.n_acked() >= 70, timeout=60, interval=0.002, what="70 acknowledged")
    port = s.redis.port
    t_down = time.time()
    # SHUTDOWN fsyncs the AOF before exiting: everything acknowledged so far
    # is on disk. (kill -9 with appendfsync everysec may lose up to ~1 s of
    # acknowledged writes: Redis's own durability window, not shopsync's.)
    s.redis.cli("SHUTDOWN")
    try:
        s.redis.proc.wait(15)
    except Exception:
        res.check(False, "redis-server exited after SHUTDOWN")
    sd.release()
    before = [i for i in range(len(run.events)) if run.acked[i] and run.acked_at[i] <= t_down]
    time.sleep(1.0)
    s.redis = H.Redis(workdir, port=port).start()
    res.note("Redis down %.1f s (redis-cli SHUTDOWN, restarted on the same port and AOF)", time.time() - t_down)
    sd.join()
    res.note("first pass: %r; %d acknowledged before the shutdown", sd.statuses, len(before))
    res.check(0 < len(before) < len(run.events), "Redis went away mid-burst")
    res.check(set(sd.statuses) <= {200, 503}, "every answer was 200 or 503 (%r)" % sd.statuses)
    res.check(sd.statuses.get(503, 0) > 0, "some webhooks answered 503 while Redis was down")
    H.wait_until(lambda: H.request("GET", s.base + "/readyz")[0] == 200, timeout=30, what="ready again")
    res.note("push locks held once Redis was back: %r", push_locks(s))
    # Only what was not acknowledged is re-sent: what was acknowledged before
    # the restart must have survived in the AOF by itself.
    statuses = send_until_acked(run, lambda i: s.base)
    res.check(not run.unacked(), "every event acknowledged after the restart (%r)" % statuses)
    verify(res, s, run, skus)
    states = redis_states(s, run)
    lost = [run.events[i]["ref"] for i in before if states.get(run.events[i]["ref"]) != "applied"]
    res.check(not lost, "all %d events acknowledged before the shutdown survived and were applied (lost %r)"
              % (len(before), lost[:3]))


# --- 3. Redis unreachable 10 s, then frozen ------------------------------------------

def s3_redis_down(workdir, res, ctx):
    s, skus, initial = new_stack(workdir, res, ctx, "D", 7)
    solo = skus.pop()  # only the admin edit during the freeze touches it
    run = Run(initial)
    run.initial.pop(solo)
    idx = add_built(res, s, run, skus, 60, 40, 33)
    send(run, idx[:40], lambda i: s.base)
    res.check(run.n_acked() == 40, "first 40 events acknowledged with Redis up")

    port = s.redis.port
    s.redis.stop()  # SIGTERM: a clean stop, the AOF is flushed
    t0 = time.time()
    statuses, ready, edits = {}, set(), set()
    k = 40
    while time.time() - t0 < 10:
        sd = send(run, idx[k:k + 5], lambda i: s.base, threads=5)
        for st, n in sd.statuses.items():
            statuses[st] = statuses.get(st, 0) + n
        k = 40 if k + 5 >= 70 else k + 5
        ready.add(H.request("GET", s.base + "/readyz")[0])
        edits.add(run.restock(s, skus[0], 5))
        time.sleep(0.3)
    res.note("Redis unreachable %.1f s: webhooks %r, /readyz %r, admin stock edits %r",
             time.time() - t0, statuses, sorted(ready), sorted(edits))
    res.check(list(statuses) == [503], "every webhook answered 503 while Redis was unreachable")
    res.check(ready == {503}, "/readyz 503 while Redis was unreachable")
    res.check(edits == {503}, "admin stock edits 503 while Redis was unreachable")
    res.check(s.ss.proc.alive(), "shopsync kept running")
    s.redis = H.Redis(workdir, port=port).start()
    H.wait_until(lambda: H.request("GET", s.base + "/readyz")[0] == 200, timeout=30, what="ready again")
    res.note("ready again %.1f s after Redis came back", time.time() - t0 - 10)
    send(run, idx[40:70], lambda i: s.base)
    res.check(all(run.acked[i] for i in idx[:70]), "the retried webhooks accepted once Redis is back")

    # Frozen rather than gone (SIGSTOP for 7 s: connections hang, as behind a
    # stalled server or a dropped network), longer than shopsync's 5 s
    # command timeout: every request must still get an answer, 503 or 200;
    # commands that timed out run when Redis resumes, so nothing may be
    # sent twice. The admin decrement carries an Idempotency-Key and is
    # repeated with it once Redis is back, as a client that got a 503 does:
    # applied exactly once whatever the first answer was.
    # One decrement first: the script is then in Redis's cache, so a
    # timed-out EVALSHA does run on thaw instead of failing with NOSCRIPT.
    res.check(run.restock(s, solo, -1) == 200, "an admin decrement with Redis up")
    edit_key = "faults-3-%d" % time.time_ns()
    res.check(s.ss.admin("POST", "/api/admin/stock/" + solo, {"delta": 0},
                         headers={"Idempotency-Key": edit_key + "-warm"})[0] == 200,
              "an admin edit with an Idempotency-Key with Redis up (its script is cached)")
    solo0 = s.stock(solo)
    s.redis.proc.send_signal(signal.SIGSTOP)
    t1 = time.time()
    fz = Sender(run, idx[70:], lambda i: s.base, threads=5, timeout=30).start()
    out = {}

    def edit():
        run.restock_tries += 1
        try:
            out["edit"] = s.ss.admin("POST", "/api/admin/stock/" + solo, {"delta": -5},
                                     headers={"Idempotency-Key": edit_key})[0]
        except Exception as e:
            out["edit"] = repr(e)

    def readyz():
        t = time.time()
        out["ready"] = H.request("GET", s.base + "/readyz", timeout=30)[0]
        out["ready_s"] = time.time() - t

    ths = [threading.Thread(target=edit), threading.Thread(target=readyz)]
    for t in ths:
        t.start()
    time.sleep(max(0.0, 7 - (time.time() - t1)))
    s.redis.proc.send_signal(signal.SIGCONT)
    for t in ths:
        t.join(30)
    fz.join()
    res.note("Redis frozen %.1f s: webhooks %r, /readyz %r after %.1f s, admin decrement %r",
             time.time() - t1, fz.statuses, out.get("ready"), out.get("ready_s", -1), out.get("edit"))
    res.check(set(fz.statuses) <= {200, 503}, "while frozen every webhook got an answer, 200 or 503 (%r)"
              % fz.statuses)
    res.check(out.get("ready") == 503, "/readyz 503 while Redis was frozen")
    statuses = send_until_acked(run, lambda i: s.base)
    # The providers re-send acknowledged ones too.
    send(run, idx[::4], lambda i: s.base)
    res.check(not run.unacked(), "every event acknowledged in the end (%r)" % statuses)
    s.wait_drained()
    taken_first = solo0 - s.stock(solo)
    st, h, _ = H.request("POST", s.base + "/api/admin/stock/" + solo, {"delta": -5},
                         {"Authorization": "Bearer " + H.ADMIN_TOKEN, "Idempotency-Key": edit_key})
    taken = solo0 - s.stock(solo)
    res.check(st == 200 and taken == 5, "the admin decrement (answered %r during the freeze, then repeated with "
              "its Idempotency-Key: %r) applied exactly once (took %d)" % (out.get("edit"), st, taken))
    res.note("the admin decrement answered %r during the freeze took %d unit(s); its repeat answered %s%s",
             out.get("edit"), taken_first, st, " (replayed)" if h.get("idempotent-replayed") == "true" else "")
    run.initial[solo] = solo0 + 1
    run.restocks.append((solo, -5))
    verify(res, s, run, skus + [solo])


# --- 4. TikTok 429 storm ----------------------------------------------------------------

def storm(res, s, run, skus, faults, seconds, seed):
    m0, c0 = s.metrics(), s.counters()
    st, f = s.sb_faults(faults)
    res.check(st == 200, "sandbox faults on: %r" % faults)
    late = sales(res, s, run, skus, seconds, 0.12, random.Random(seed))
    m1, c1 = s.metrics(), s.counters()
    st, f = s.sb_faults()
    res.check(st == 200 and f.get("error_rate") == 0 and f.get("rate_limit_rate") == 0, "faults cleared")
    res.check(late == 0, "every sale and restock during the faults acknowledged at once (%d late)" % late)
    return ({k: m1.get(k, 0) - m0.get(k, 0) for k in set(m1) | set(m0)},
            {k: c1[k] - c0[k] for k in c1 if isinstance(c1[k], int)})


def s4_429(workdir, res, ctx):
    s, skus, initial = new_stack(workdir, res, ctx, "T", 6)
    run = Run(initial)
    dm, dc = storm(res, s, run, skus, {"rate_limit_rate": 0.8}, 15, 44)
    res.note("429 storm 15 s: %d sales/restocks; shopsync saw %d x 429; pushes sent %d, retried %d; events "
             "retried %d; sandbox injected %d faults", len(run.events) + run.restock_tries, dm.get(E429, 0),
             dm.get("shopsync_pushes_sent_total", 0), dm.get("shopsync_pushes_retried_total", 0),
             dm.get("shopsync_events_failed_total", 0), dc.get("faults_injected", 0))
    res.check(dm.get(E429, 0) > 0, "shopsync really met 429s")
    verify(res, s, run, skus)
    res.check(s.status()["connected"] is True, "still connected (429 is not an authorization error)")


# --- 5. TikTok 500s and latency ---------------------------------------------------------

def s5_500(workdir, res, ctx):
    s, skus, initial = new_stack(workdir, res, ctx, "E", 6)
    run = Run(initial)
    dm, dc = storm(res, s, run, skus, {"error_rate": 0.3, "latency_ms": 2000}, 15, 55)
    api = "/product/202309/products/{product_id}/inventory/update"
    slow = dm.get('shopsync_tiktok_api_seconds_count{api="%s"}' % api, 0) - \
        dm.get('shopsync_tiktok_api_seconds_bucket{api="%s",le="1"}' % api, 0)
    res.note("500s + 2 s latency for 15 s: %d sales/restocks; shopsync saw %d x 500; %d Update Inventory calls "
             "over 1 s; pushes sent %d, retried %d; events retried %d", len(run.events) + run.restock_tries,
             dm.get(E500, 0), slow, dm.get("shopsync_pushes_sent_total", 0),
             dm.get("shopsync_pushes_retried_total", 0), dm.get("shopsync_events_failed_total", 0))
    res.check(dm.get(E500, 0) > 0, "shopsync really met 500s")
    verify(res, s, run, skus)
    res.check(s.status()["connected"] is True, "still connected")


# --- 6. expired access token --------------------------------------------------------------

def s6_token(workdir, res, ctx):
    s, skus, initial = new_stack(workdir, res, ctx, "X", 6)
    run = Run(initial)
    c0 = s.counters()
    exp0 = s.redis.cli("HGET", "shopsync:tiktok:connection", "access_expires_at").strip()
    fired = []

    def expire(t):
        if t >= 3 and not fired:
            fired.append(s.sb_faults({"expire_tokens": True})[0])

    sales(res, s, run, skus, 10, 0.1, random.Random(66), during=expire)
    res.check(fired == [200], "access tokens expired in the sandbox mid-run")
    verify(res, s, run, skus)
    c1 = s.counters()
    exp1 = s.redis.cli("HGET", "shopsync:tiktok:connection", "access_expires_at").strip()
    refreshes = c1["token_refreshes"] - c0["token_refreshes"]
    res.note("token refreshes %d; access_expires_at %s -> %s", refreshes, exp0, exp1)
    res.check(refreshes >= 1, "the token was refreshed (token_refreshes %d)" % refreshes)
    res.check(refreshes <= 2, "one refresh, not one per worker (token_refreshes %d)" % refreshes)
    res.check(exp1 != exp0, "shopsync stored the new token")
    st = s.status()
    res.check(st["connected"] is True and st["needs_reauth"] is False, "still connected, no re-authorization")


# --- 7. duplicated, reordered, replayed --------------------------------------------------

def s7_dupes(workdir, res, ctx):
    s, skus, initial = new_stack(workdir, res, ctx, "P", 6)
    run = Run(initial)
    rng = random.Random(77)
    shop = s.shop_id()
    built, errors = U.build_events(s, skus, 75, 40, rng)
    res.check(not errors, "75 sandbox orders and 40 Stripe sessions created")
    orders = [e for e in built if e["kind"] == "order"]
    sessions = [e for e in built if e["kind"] == "session"]
    plain, first_cancelled, later_cancelled = orders[:35], orders[35:55], orders[55:]

    def cancel_events(ev):
        st, c = s.sb_cancel(ev["ref"])
        if st != 200:
            raise AssertionError("sandbox cancel of %s answered %d: %r" % (ev["ref"], st, c))
        run.cancelled.add(ev["ref"])
        id11, id1 = c["webhooks"]["tts_notification_ids"]
        return [run.add({"provider": "tiktok", "kind": "cancel", "ref": ev["ref"], "units": ev["units"],
                         "body": s.tiktok_body(11, ev["ref"], notification_id=id11, shop_id=shop)}),
                run.add({"provider": "tiktok", "kind": "order", "ref": ev["ref"], "units": ev["units"],
                         "body": s.tiktok_body(1, ev["ref"], notification_id=id1, status="CANCELLED",
                                               shop_id=shop)})]

    def copies(i):
        return [i] * rng.choice([2, 3])

    # Phase 1: every event 2-3 times, shuffled; some orders and sessions
    # also under a second notification/event id; 20 orders cancelled on
    # TikTok before shopsync hears of them, their cancellation first.
    deliveries, originals = [], {}
    for ev in plain + later_cancelled + sessions:
        i = run.add(ev)
        originals[ev["ref"]] = i
        deliveries += copies(i)
    for ev in plain[::4]:
        deliveries += copies(run.add(dict(ev, body=s.tiktok_body(1, ev["ref"], shop_id=shop))))
    for ev in sessions[::4]:
        doc = json.loads(ev["body"])
        doc["id"] += "_again"
        deliveries += copies(run.add(dict(ev, body=json.dumps(doc).encode())))
    rng.shuffle(deliveries)
    for ev in first_cancelled:
        i1 = run.add(ev)
        originals[ev["ref"]] = i1
        c11, c1 = cancel_events(ev)
        mine = copies(c11) + copies(c1) + copies(i1)
        deliveries[:0] = mine[:2]                                  # a cancellation comes first
        for i in mine[2:]:
            deliveries.insert(rng.randrange(len(deliveries) // 2, len(deliveries) + 1), i)
    sd = send(run, deliveries, lambda i: s.base, threads=4)
    res.check(set(sd.statuses) == {200}, "phase 1: %d deliveries, all 200 (%r)" % (len(deliveries), sd.statuses))
    s.wait_drained()

    # Phase 2: 20 applied orders cancelled; their cancellations 2-3 times,
    # mixed with stale replays of their (and other) creations.
    deliveries = []
    for ev in later_cancelled:
        for i in cancel_events(ev):
            deliveries += copies(i)
        deliveries.append(originals[ev["ref"]])
    deliveries += [originals[e["ref"]] for e in plain[::3]]
    rng.shuffle(deliveries)
    sd = send(run, deliveries, lambda i: s.base, threads=4)
    res.check(set(sd.statuses) == {200}, "phase 2: %d deliveries, all 200" % len(deliveries))
    s.wait_drained()

    # Phase 3: a replay of everything after processing, then again after
    # the dedupe markers expired (TikTok's 3 days, Stripe's 7 days,
    # simulated by deleting them): the ledgers alone must hold.
    everything = list(range(len(run.events)))
    rng.shuffle(everything)
    dup0 = s.metrics()
    sd = send(run, everything, lambda i: s.base, threads=4)
    s.wait_drained()
    dup1 = s.metrics()
    n_dup = sum(dup1.get('shopsync_webhooks_duplicate_total{provider="%s"}' % p, 0) -
                dup0.get('shopsync_webhooks_duplicate_total{provider="%s"}' % p, 0) for p in ("tiktok", "stripe"))
    res.check(set(sd.statuses) == {200} and n_dup == len(everything),
              "replay of all %d events: all 200, all counted duplicate (%d)" % (len(everything), n_dup))
    gone = s.redis.cli("EVAL", "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
                       "redis.call('DEL', k) n = n + 1 end return n", "0", "shopsync:dedupe:*").strip()
    rng.shuffle(everything)
    p0 = s.metrics().get("shopsync_events_processed_total", 0)
    sd = send(run, everything, lambda i: s.base, threads=4)
    s.wait_drained()
    p1 = s.metrics().get("shopsync_events_processed_total", 0)
    res.check(set(sd.statuses) == {200} and p1 - p0 == len(everything),
              "late replay after %s dedupe markers expired: all accepted and processed again (%d)" % (gone, p1 - p0))
    res.note("%d orders applied, %d cancelled before they were seen, %d applied then cancelled, %d sessions; "
             "%d deliveries in all", len(plain), len(first_cancelled), len(later_cancelled), len(sessions), run.sent)
    verify(res, s, run, skus)
    states = redis_states(s, run)
    res.check(all(states[e["ref"]] == "cancelled_first" for e in first_cancelled),
              "orders cancelled before they were seen: cancelled_first, never decremented")
    res.check(all(states[e["ref"]] == "restocked" for e in later_cancelled),
              "orders cancelled after they were applied: restocked once")


# --- 8. two instances, one killed --------------------------------------------------------

def inventory_update_overlaps(sandbox_log):
    """Largest overlap in ms between two Update Inventory calls for the same
    product, from the sandbox's request log: a call spans from its arrival
    (`start_us`) to the moment its answer started to go out (`reply_us`),
    before which no client can have acted on it."""
    spans = {}
    for line in sandbox_log.splitlines():
        if '"sandbox.request"' not in line or "/inventory/update" not in line:
            continue
        try:
            d = json.loads(line)
        except ValueError:
            continue
        m = re.search(r"/products/([^/]+)/inventory/update", d.get("path", ""))
        if not m or d.get("status") != 200:
            continue
        if not d.get("start_us") or not d.get("reply_us"):
            continue
        spans.setdefault(m.group(1), []).append((d["start_us"] / 1000.0, d["reply_us"] / 1000.0))
    worst, calls = 0.0, 0
    for sp in spans.values():
        sp.sort()
        calls += len(sp)
        for a, b in zip(sp, sp[1:]):
            worst = max(worst, a[1] - b[0])
    return worst, calls


def s8_two(workdir, res, ctx):
    s, skus, initial = new_stack(workdir, res, ctx, "M", 8)
    run = Run(initial)
    b = s.add_instance("shopsync-b")
    res.check(b.proc.alive(), "second instance started on the same Redis")
    # Slow Update Inventory calls a little, so two pushes of one SKU at once
    # would show as overlapping calls in the sandbox's log.
    s.sb_faults({"latency_ms": 60})
    u0 = s.counters()["inventory_updates"]
    add_built(res, s, run, skus, 130, 100, 88)
    target = lambda i: s.base if i % 2 == 0 else b.base  # noqa: E731
    # A burst of ~6 s, so that both instances take part in processing and
    # pushing before B dies.
    sd = Sender(run, range(len(run.events)), target, threads=6, pace=0.15).start()
    H.wait_until(lambda: run.n_acked() >= 110, timeout=60, interval=0.01, what="110 acknowledged")
    try:
        H.wait_until(lambda: U.metrics_at(b.base, timeout=5).get("shopsync_pushes_sent_total", 0) > 0,
                     timeout=10, interval=0.05, what="a push by B")
    except AssertionError:
        pass
    mb = U.metrics_at(b.base, timeout=5)
    b.proc.kill9()
    sd.join()
    res.note("instance B killed after %d acknowledged; B had processed %d events and sent %d pushes", run.n_acked(),
             mb.get("shopsync_events_processed_total", 0), mb.get("shopsync_pushes_sent_total", 0))
    res.check(0 < run.n_acked() < len(run.events), "B killed mid-way")
    # What B did not acknowledge goes to A (the load balancer fails over),
    # plus some acknowledged ones again.
    rng = random.Random(8)
    todo = run.unacked() + rng.sample([i for i in range(len(run.events)) if run.acked[i]], 30)
    rng.shuffle(todo)
    send(run, todo, lambda i: s.base)
    statuses = send_until_acked(run, lambda i: s.base)
    res.check(not run.unacked(), "every event acknowledged after the failover (%r)" % statuses)
    verify(res, s, run, skus, drain_timeout=120, converge_timeout=90)
    ma = s.metrics()
    res.check(mb.get("shopsync_events_processed_total", 0) > 0 and ma.get("shopsync_events_processed_total", 0) > 0,
              "both instances processed events (A %d, B %d before its death)"
              % (ma.get("shopsync_events_processed_total", 0), mb.get("shopsync_events_processed_total", 0)))
    pushes = ma.get("shopsync_pushes_sent_total", 0) + mb.get("shopsync_pushes_sent_total", 0)
    updates = s.counters()["inventory_updates"] - u0
    worst, calls = inventory_update_overlaps(s.sb.proc.output())
    res.note("pushes: A %d, B %d (until killed); sandbox Update Inventory calls %d for %d stock-changing events; "
             "largest overlap of two calls for one product %.0f ms (%d calls read from the sandbox log)",
             ma.get("shopsync_pushes_sent_total", 0), mb.get("shopsync_pushes_sent_total", 0), updates,
             len(run.acked_refs()), worst, calls)
    res.check(calls >= updates > 0, "the sandbox log shows every Update Inventory call (%d of %d)" % (calls, updates))
    res.check(ma.get("shopsync_pushes_sent_total", 0) > 0 and mb.get("shopsync_pushes_sent_total", 0) > 0,
              "both instances pushed")
    res.check(0 < updates <= len(run.acked_refs()) + 2 * len(skus),
              "Update Inventory calls sensible (coalesced): %d" % updates)
    res.check(worst <= 0, "the per-SKU lock kept pushes of one product from overlapping (worst %.1f ms)" % worst)
    ctx["killed"] = (b.proc,)


SCENARIOS = [
    (1, "kill -9 mid-burst", s1_kill),
    (2, "Redis restart (AOF)", s2_redis_restart),
    (3, "Redis down 10s+frozen", s3_redis_down),
    (4, "TikTok 429 storm", s4_429),
    (5, "TikTok 500s+latency", s5_500),
    (6, "token expired", s6_token),
    (7, "dupes/reorder/replay", s7_dupes),
    (8, "two instances, 1 killed", s8_two),
]


def run_one(num, name, fn, root):
    res = Result(num, name)
    print("== scenario %d: %s" % (num, name), flush=True)
    d = os.path.join(root, "s%d" % num)
    os.makedirs(d)
    ctx = {}
    t0 = time.time()
    try:
        fn(d, res, ctx)
    except Exception as e:
        traceback.print_exc()
        res.check(False, "scenario raised %s: %s" % (type(e).__name__, str(e)[:300]))
    finally:
        s = ctx.get("stack")
        if s is not None:
            try:
                finish(res, s, ctx.get("killed", ()))
            except Exception as e:
                traceback.print_exc()
                res.check(False, "teardown raised %r" % e)
            if res.failures:
                s.dump_logs()
            s.stop()
    res.seconds = time.time() - t0
    print("== scenario %d: %s in %.1f s" % (num, res.verdict, res.seconds), flush=True)
    return res


def table(results):
    head = ["#", "scenario", "verdict", "events", "sent", "acked", "applied", "dups", "stock err", "drift",
            "seconds"]
    rows = [[str(r.num), r.name, r.verdict, str(r.events), str(r.sent), str(r.acked), str(r.applied), str(r.dups),
             "-" if r.stock_err is None else str(r.stock_err), "-" if r.drift is None else str(r.drift),
             "%.1f" % r.seconds] for r in results]
    w = [max(len(x[i]) for x in [head] + rows) for i in range(len(head))]
    fmt = lambda x: " | ".join(c.ljust(w[i]) if i < 3 else c.rjust(w[i]) for i, c in enumerate(x))  # noqa: E731
    print(fmt(head))
    print("-+-".join("-" * n for n in w))
    for x in rows:
        print(fmt(x))


def main(argv):
    want = {int(a) for a in argv} if argv else None
    tmp = H.TempDir(prefix="shopsync-faults-")
    t0 = time.time()
    results = []
    try:
        for num, name, fn in SCENARIOS:
            if want is None or num in want:
                results.append(run_one(num, name, fn, tmp.path))
    finally:
        if os.environ.get("SHOPSYNC_KEEP_TMP"):
            print("# kept %s" % tmp.path)
        else:
            tmp.cleanup()
    print()
    table(results)
    print()
    for r in results:
        for n in r.notes:
            print("[%d] %s" % (r.num, n))
        for f in r.failures:
            print("[%d] FAILED: %s" % (r.num, f))
    print("total %.1f s" % (time.time() - t0))
    passed = sum(1 for r in results if r.verdict == "PASS")
    failed = len(results) - passed
    print("faults: %d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
