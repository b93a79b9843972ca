#!/usr/bin/env python3
"""TikTok Ads delivery: events/s sent to the Events API at a given latency.

Starts its own redis-server, sandbox (its Events API imitation answers every
track call --latency-ms later, SANDBOX_API_LATENCY_MS) and a shopsync
connected to it (tests/integration/harness.py), then measures:

1. backlog: --events store events posted through POST /api/events/batch
   (1,000 per request) as fast as shopsync takes them; events/s from the
   first post until the sandbox has accepted them all, and the track calls
   it took;
2. trickle: --trickle events posted one at a time through POST /api/events
   at --rate per second; each event's time from its 202 to its arrival at
   the sandbox (p50/p99), and the calls it took.

It reports and asserts nothing.

    python3 bench/ads_events.py [--latency-ms 200] [--events 20000]
        [--trickle 300] [--rate 100] [--build build]
"""
import argparse
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))

PIXEL = "CSANDBOXPIXEL0000001"
TOKEN = "sandbox-ads-access-token"


def event(eid):
    return {"event_type": "AddToCart", "event_id": eid, "user": {"email": "bench-%s@example.com" % eid},
            "properties": {"value": 10.0, "currency": "USD", "content_type": "product",
                           "contents": [{"content_id": "SKU-1", "quantity": 1}]}}


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency-ms", type=int, default=200)
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--trickle", type=int, default=300)
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--build", default=os.path.join(SOURCE, "build"))
    args = ap.parse_args()
    os.environ.setdefault("SHOPSYNC_BIN", os.path.join(args.build, "shopsync"))
    os.environ.setdefault("SHOPSYNC_SANDBOX_BIN", os.path.join(args.build, "shopsync-sandbox"))
    os.environ.setdefault("SHOPSYNC_SOURCE_DIR", SOURCE)
    import harness as H

    tmp = H.TempDir(prefix="shopsync-bench-ads-")
    redis = sb = ss = None
    try:
        redis = H.Redis(tmp.path).start()
        sb = H.Sandbox(tmp.path, extra_env={"SANDBOX_API_LATENCY_MS": str(args.latency_ms)}).start()
        ss = H.Shopsync(tmp.path, redis.url, sandbox=sb, extra_env={
            "TIKTOK_PIXEL_ID": PIXEL, "TIKTOK_EVENTS_API_ACCESS_TOKEN": TOKEN, "TIKTOK_ADS_API_BASE": sb.base,
            "SHOPSYNC_LOG_LEVEL": "warn"}).start()
        auth = {"Authorization": "Bearer " + H.ADMIN_TOKEN}

        def at_tiktok():
            return H.jrequest("GET", sb.base + "/sandbox/ads/events", timeout=60)[1]

        # 1. backlog
        t0 = time.time()
        for start in range(0, args.events, 1000):
            batch = [event("b-%d" % i) for i in range(start, min(args.events, start + 1000))]
            st, doc = H.jrequest("POST", ss.base + "/api/events/batch", {"events": batch}, auth, timeout=60)
            if st != 202:
                raise SystemExit("batch refused: %d %r" % (st, doc))
        posted = time.time() - t0
        while True:
            d = at_tiktok()
            if len(d["events"]) >= args.events:
                break
            time.sleep(0.05)
        took = time.time() - t0
        calls = [c for c in d["calls"] if c["code"] == 0]
        print("latency %d ms, backlog of %d events: posted in %.2f s, all at TikTok after %.2f s = %.0f events/s; "
              "%d track calls (largest %d events)" % (args.latency_ms, args.events, posted, took, args.events / took,
                                                      len(calls), max(c["events"] for c in calls)), flush=True)

        # 2. trickle
        sent_at = {}
        arrived = {}
        done = threading.Event()
        base_calls = len(d["calls"])

        def watch():
            while not done.is_set():
                for e in at_tiktok()["events"][args.events:]:
                    arrived.setdefault(e["event_id"], time.time())
                time.sleep(0.02)

        w = threading.Thread(target=watch, daemon=True)
        w.start()
        t1 = time.time()
        for i in range(args.trickle):
            eid = "t-%d" % i
            st, _ = H.jrequest("POST", ss.base + "/api/events", event(eid), auth)
            sent_at[eid] = time.time()
            pause = t1 + (i + 1) / args.rate - time.time()
            if pause > 0:
                time.sleep(pause)
        deadline = time.time() + 60
        while len(arrived) < args.trickle and time.time() < deadline:
            time.sleep(0.05)
        done.set()
        w.join()
        lat = [arrived[k] - sent_at[k] for k in sent_at if k in arrived]
        calls = [c for c in at_tiktok()["calls"][base_calls:] if c["code"] == 0]
        print("trickle of %d events at %.0f/s: %d arrived; 202 -> at TikTok p50 %.0f ms, p99 %.0f ms, max %.0f ms; "
              "%d track calls, %.1f events per call" % (args.trickle, args.rate, len(lat), pct(lat, 50) * 1000,
                                                         pct(lat, 99) * 1000, max(lat) * 1000 if lat else 0,
                                                         len(calls), len(lat) / max(1, len(calls))), flush=True)
    finally:
        for p in (ss, sb):
            if p is not None:
                p.stop()
        if redis is not None:
            redis.stop()
        tmp.cleanup()


if __name__ == "__main__":
    main()
