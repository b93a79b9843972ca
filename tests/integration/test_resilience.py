"""Resilience integration test: shopsync keeps stock exact through a crash,
a flaky TikTok Shop and a Redis outage.

A. kill -9 in the middle of 2,000 webhooks (1,000 TikTok order pushes for
   real sandbox orders, 1,000 Stripe checkout events) sent from 8 threads;
   restart on the same Redis; re-send what was not acknowledged (as the
   providers retry) plus some acknowledged ones. Every order and session
   must count exactly once, and TikTok must end equal to the projection.
B. The sandbox answers 50% 500s and 30% 429s for ~30 s while stock edits,
   TikTok orders and Stripe checkouts keep coming; after the faults clear,
   TikTok equals the projection, the stock is exact and nothing is
   dead-lettered.
C. Redis stopped for 10 s: webhooks are answered 503 and /readyz 503;
   Redis back on the same port: the retried webhooks apply exactly once.
"""
import os
import random
import threading
import time

import harness as H
import propagation_util as U

checks = H.Checks("test_resilience")
figures = []


def figure(fmt, *args):
    line = fmt % args
    figures.append(line)
    print("# " + line, flush=True)


def send_event(s, ev):
    """Deliver one event; True when shopsync answered 200."""
    try:
        if ev["provider"] == "tiktok":
            st = s.post_tiktok(ev["body"], timeout=10)[0]
        else:
            st = s.post_stripe(ev["body"], timeout=10)[0]  # signed afresh, as Stripe's retries are
    except Exception:  # refused or reset: shopsync is gone
        return None
    return st


def build_events(s, skus, n_orders, n_sessions, rng):
    """Real sandbox orders and Stripe sessions (no webhook delivery by the
    sandbox), as a shuffled list of events with their units per SKU."""
    shop = s.shop_id()
    events = []
    lock = threading.Lock()
    errors = []

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
                events.append({"provider": "tiktok", "ref": o["order_id"], "body": body, "units": {sku: qty}})

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
                events.append({"provider": "stripe", "ref": co["session_id"], "body": co["event_body"].encode(),
                               "units": units})

    ths = [threading.Thread(target=make_orders, args=(range(k, n_orders, 4),)) for k in range(4)]
    ths += [threading.Thread(target=make_sessions, args=(range(k, n_sessions, 4),)) for k in range(4)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(120)
    rng.shuffle(events)
    return events, errors


def expected_stock(initial, events, acked):
    want = dict(initial)
    for i, ev in enumerate(events):
        if acked[i]:
            for sku, q in ev["units"].items():
                want[sku] -= q
    return want


def ledger_count(s, pattern, field=None, value=None):
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


# --- A ---------------------------------------------------------------------------

def scenario_kill(workdir):
    s = U.Stack(workdir, tiktok_hooks=False, stripe_hooks=False)
    rng = random.Random(20240611)
    try:
        s.start()
        skus = ["KILL-%02d" % i for i in range(10)]
        initial = {k: 3000 for k in skus}
        checks.eq(s.import_catalog(initial)[0], 200, "A: 10 SKUs of 3000 imported")
        checks.eq(s.connect()[0], 302, "A: connected")
        checks.eq(s.sync()[1].get("created"), 10, "A: synced")
        t0 = time.time()
        events, errors = build_events(s, skus, 1000, 1000, rng)
        figure("A: created 1000 sandbox orders and 1000 Stripe sessions in %.1f s", time.time() - t0)
        checks.eq((len(events), errors[:3]), (2000, []), "A: 2000 events built from real orders and sessions")

        acked = [False] * len(events)
        first_status = [None] * len(events)
        nxt = [0]
        lock = threading.Lock()
        n_acked = [0]

        def sender():
            while True:
                with lock:
                    i = nxt[0]
                    nxt[0] += 1
                if i >= len(events):
                    return
                st = send_event(s, events[i])
                with lock:
                    first_status[i] = st
                    if st == 200:
                        acked[i] = True
                        n_acked[0] += 1

        ths = [threading.Thread(target=sender) for _ in range(8)]
        t0 = time.time()
        for t in ths:
            t.start()
        H.wait_until(lambda: n_acked[0] >= 800, timeout=120, interval=0.002, what="800 acknowledged")
        s.ss.proc.kill9()
        at_kill = n_acked[0]
        for t in ths:
            t.join(120)
        before_kill = sum(acked)
        figure("A: kill -9 after %d acknowledged (%d by the end of the first pass, %.1f s); %d refused or lost",
               at_kill, before_kill, time.time() - t0, len(events) - before_kill)
        left = int(s.redis.cli("XLEN", "shopsync:stream:events").strip() or -1)
        pending = s.redis.cli("XPENDING", "shopsync:stream:events", "workers").split("\n")[0].strip()
        figure("A: at the kill, %d acknowledged events were still queued (%s claimed by killed workers), "
               "%d already processed", left, pending, before_kill - left)
        locks = s.redis.cli("EVAL", "local o = {} for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
                            "o[#o + 1] = k .. '=' .. redis.call('PTTL', k) end return o", "0",
                            "shopsync:push:lock:*").split()
        figure("A: push locks left by the killed process: %r", locks)
        checks.ok(700 <= before_kill < 2000, "A: killed mid-way (%d of 2000 acknowledged)" % before_kill)
        checks.ok(0 < left <= before_kill, "A: killed with work queued (%d)" % left)
        checks.ok(all(st in (200, None) for st in first_status),
                  "A: before the kill every answer was 200 (others: %r)"
                  % sorted(set(st for st in first_status if st not in (200, None))))

        t0 = time.time()
        s.start_shopsync()
        figure("A: restarted in %.1f s", time.time() - t0)
        # Providers retry what was not acknowledged; some acknowledged ones
        # come again too (a lost 200, an over-eager retry).
        dupes = rng.sample([i for i in range(len(events)) if acked[i]], 300)
        todo = [i for i in range(len(events)) if not acked[i]] + dupes
        rounds, statuses = 0, {}
        while todo and rounds < 5:
            rounds += 1
            nxt2 = [0]
            failed = []

            def resender():
                while True:
                    with lock:
                        k = nxt2[0]
                        nxt2[0] += 1
                    if k >= len(todo):
                        return
                    i = todo[k]
                    st = send_event(s, events[i])
                    with lock:
                        statuses[st] = statuses.get(st, 0) + 1
                        if st == 200:
                            acked[i] = True
                        else:
                            failed.append(i)

            ths = [threading.Thread(target=resender) for _ in range(8)]
            for t in ths:
                t.start()
            for t in ths:
                t.join(120)
            todo = failed
        figure("A: re-sent %d not acknowledged + %d duplicates in %d round(s): %r",
               len(events) - before_kill, len(dupes), rounds, statuses)
        checks.eq(sum(acked), 2000, "A: every event acknowledged at least once")

        t0 = time.time()
        try:
            s.wait_drained(timeout=150)
        except AssertionError as e:
            print("# %s" % e, flush=True)
        figure("A: queue and pushes drained %.1f s after the re-sends", time.time() - t0)
        m = s.metrics()
        checks.eq((m.get("shopsync_queue_depth"), m.get("shopsync_push_dirty_skus")), (0, 0),
                  "A: queue depth 0 and no dirty SKU")
        want = expected_stock(initial, events, acked)
        got = s.stocks(skus)
        checks.eq(got, want, "A: every SKU = initial - units of every acknowledged order/session, exactly once")
        figure("A: %d units sold in total", sum(initial.values()) - sum(got.values()))
        checks.ok(all(v >= 0 for v in got.values()), "A: no negative stock")
        checks.eq(s.admin("GET", "/api/admin/oversells")[1]["oversells"], [], "A: no oversell recorded")
        checks.eq(s.admin("GET", "/api/admin/dlq")[1]["total"], 0, "A: DLQ empty")
        checks.eq(ledger_count(s, "shopsync:order:tiktok:*", "state", "applied"), 1000,
                  "A: 1000 TikTok orders in the ledger, each applied")
        checks.eq(ledger_count(s, "shopsync:checkout:stripe:*"), 1000, "A: 1000 Stripe sessions in the ledger")
        try:
            s.wait_converged(skus, timeout=90)
        except AssertionError:
            pass
        q = s.tiktok_qty()
        checks.eq({k: q[k] for k in skus}, got, "A: TikTok quantity = projection for every SKU")
        checks.ok(s.ss.proc.alive(), "A: restarted shopsync still running")
    except Exception:
        import traceback
        traceback.print_exc()
        checks.ok(False, "A: scenario raised")
        s.dump_logs()
    finally:
        s.stop()


# --- B ---------------------------------------------------------------------------

def scenario_faults(workdir):
    s = U.Stack(workdir)
    rng = random.Random(7)
    try:
        s.start()
        skus = ["FLT-%d" % i for i in range(5)]
        want = {k: 1000 for k in skus}
        checks.eq(s.import_catalog(want)[0], 200, "B: 5 SKUs imported")
        checks.eq(s.connect()[0], 302, "B: connected")
        checks.eq(s.sync()[1].get("created"), 5, "B: synced")
        c0 = s.counters()
        m0 = s.metrics()
        st, f = s.sb_faults({"error_rate": 0.5, "rate_limit_rate": 0.3})
        checks.eq((st, f.get("error_rate"), f.get("rate_limit_rate")), (200, 0.5, 0.3),
                  "B: sandbox faults on: 50% errors, 30% rate limited")
        edits = orders = sessions = 0
        bad = []
        t_end = time.time() + 30
        k = 0
        while time.time() < t_end:
            k += 1
            sku = rng.choice(skus)
            d = rng.choice([-3, -2, -1, 1, 2, 4])
            st, doc = s.admin("POST", "/api/admin/stock/" + sku, {"delta": d})
            if st == 200:
                want[sku] += d
                edits += 1
            else:
                bad.append(("edit", st))
            if k % 10 == 0:
                osku = rng.choice(skus)
                st, o = s.sb_order(osku, 2)
                if st == 201:
                    want[osku] -= 2
                    orders += 1
                else:
                    bad.append(("order", st))
            if k % 15 == 0:
                sku2 = rng.choice(skus)
                st, co = s.sb_checkout([{"sku": sku2, "quantity": 1}])
                if st == 201:
                    want[sku2] -= 1
                    sessions += 1
                else:
                    bad.append(("checkout", st))
            time.sleep(0.15)
        checks.eq(bad, [], "B: every edit, order and checkout accepted during the faults")
        c1 = s.counters()
        m1 = s.metrics()
        e500 = m1.get('shopsync_tiktok_api_errors_total{code="36009003"}', 0) - \
            m0.get('shopsync_tiktok_api_errors_total{code="36009003"}', 0)
        e429 = m1.get('shopsync_tiktok_api_errors_total{code="36009002"}', 0) - \
            m0.get('shopsync_tiktok_api_errors_total{code="36009002"}', 0)
        figure("B: under faults for 30 s: %d stock edits, %d TikTok orders, %d Stripe checkouts; sandbox "
               "injected %d faults; shopsync saw %d x 500 and %d x 429", edits, orders, sessions,
               c1["faults_injected"] - c0["faults_injected"], e500, e429)
        checks.ok(e500 > 0 and e429 > 0, "B: shopsync really got 500s (%d) and 429s (%d)" % (e500, e429))
        st, f = s.sb_faults()
        checks.eq((st, f.get("error_rate"), f.get("rate_limit_rate")), (200, 0, 0), "B: faults cleared")
        t0 = time.time()
        try:
            s.wait_drained(timeout=120)
            s.wait_converged(skus, timeout=60)
        except AssertionError as e:
            print("# %s" % e, flush=True)
        figure("B: converged %.1f s after the faults cleared", time.time() - t0)
        got = s.stocks(skus)
        checks.eq(got, want, "B: store stock exact (edits, orders and checkouts each once)")
        q = s.tiktok_qty()
        checks.eq({k: q[k] for k in skus}, got, "B: TikTok quantities = projection")
        checks.eq(s.admin("GET", "/api/admin/dlq")[1]["total"], 0, "B: nothing in the DLQ")
        m1 = s.metrics()
        figure("B: pushes sent %d, retried %d; events failed (retried) %d",
               m1.get("shopsync_pushes_sent_total", 0) - m0.get("shopsync_pushes_sent_total", 0),
               m1.get("shopsync_pushes_retried_total", 0) - m0.get("shopsync_pushes_retried_total", 0),
               m1.get("shopsync_events_failed_total", 0) - m0.get("shopsync_events_failed_total", 0))
        checks.eq(s.status()["connected"], True, "B: still connected (faults are not authorization errors)")
    except Exception:
        import traceback
        traceback.print_exc()
        checks.ok(False, "B: scenario raised")
        s.dump_logs()
    finally:
        s.stop()


# --- C ---------------------------------------------------------------------------

def scenario_redis_down(workdir):
    s = U.Stack(workdir, tiktok_hooks=False, stripe_hooks=False)
    try:
        s.start()
        skus = ["RD-1", "RD-2", "RD-3"]
        initial = {k: 100 for k in skus}
        checks.eq(s.import_catalog(initial)[0], 200, "C: SKUs imported")
        checks.eq(s.connect()[0], 302, "C: connected")
        checks.eq(s.sync()[1].get("created"), 3, "C: synced")
        events, errors = build_events(s, skus, 3, 3, random.Random(3))
        checks.eq((len(events), errors), (6, []), "C: 3 sandbox orders and 3 Stripe sessions ready")
        checks.eq(H.request("GET", s.base + "/readyz")[0], 200, "C: ready before")

        port = s.redis.port
        t_stop = time.time()
        s.redis.stop()
        sts = [send_event(s, ev) for ev in events]
        checks.eq(sts, [503] * 6, "C: every webhook answered 503 while Redis is down")
        st, doc = H.jrequest("GET", s.base + "/readyz")
        checks.eq((st, doc["error"]["code"]), (503, "redis_unavailable"), "C: /readyz 503")
        checks.eq(H.request("GET", s.base + "/api/stock/RD-1")[0], 503, "C: stock reads 503")
        checks.ok(s.ss.proc.alive(), "C: shopsync keeps running without Redis")
        time.sleep(max(0.0, 10 - (time.time() - t_stop)))
        s.redis = H.Redis(workdir, port=port).start()
        figure("C: Redis down for %.1f s", time.time() - t_stop)
        H.wait_until(lambda: H.request("GET", s.base + "/readyz")[0] == 200, timeout=20, what="ready again")
        checks.eq(H.request("GET", s.base + "/readyz")[0], 200, "C: /readyz 200 once Redis is back")
        sts = [send_event(s, ev) for ev in events]
        checks.eq(sts, [200] * 6, "C: the retried webhooks are accepted")
        s.wait_drained(timeout=60)
        want = expected_stock(initial, events, [True] * 6)
        checks.eq(s.stocks(skus), want, "C: each applied exactly once")
        sts = [send_event(s, ev) for ev in events]
        checks.eq(sts, [200] * 6, "C: one more delivery of each: 200")
        s.wait_drained(timeout=60)
        checks.eq(s.stocks(skus), want, "C: and no change")
        checks.eq(s.admin("GET", "/api/admin/dlq")[1]["total"], 0, "C: nothing dead-lettered")
        s.wait_converged(skus, timeout=30)
        q = s.tiktok_qty()
        checks.eq({k: q[k] for k in skus}, want, "C: TikTok quantities = projection")
    except Exception:
        import traceback
        traceback.print_exc()
        checks.ok(False, "C: scenario raised")
        s.dump_logs()
    finally:
        s.stop()


# Scenarios, each on its own stack, for `python3 test_resilience.py NAME
# [NAME ...]` (none: all).
SCENARIOS = {"kill": scenario_kill, "faults": scenario_faults, "redis": scenario_redis_down}


def main():
    want = H.selected_sections(list(SCENARIOS))
    tmp = H.TempDir()
    t0 = time.time()
    try:
        for name, fn in SCENARIOS.items():
            if name not in want:
                continue
            d = os.path.join(tmp.path, name)
            os.makedirs(d)
            t = time.time()
            fn(d)
            figure("%s: %.1f s", name, time.time() - t)
    finally:
        tmp.cleanup()
    figure("test_resilience took %.1f s", time.time() - t0)
    checks.done()


if __name__ == "__main__":
    main()
