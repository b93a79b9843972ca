#!/usr/bin/env python3
"""A customer-file audience of 100,000 buyers: how long the first sync takes
(read and match every buyer, two files of 50,000 hashes uploaded with their
MD5, the audience created at the sandbox's DMP) and a later one that appends
1,000 new buyers and removes 1,000 erased ones, with shopsync's memory
(VmRSS after, VmHWM) and how long listing the audiences (members counted
over every buyer) takes. Buyers arrive as signed Stripe checkout webhooks
through the real intake (the hashing, the buyer script), so seeding is
measured too. Reports only; asserts nothing.

  python3 bench/audiences.py [--buyers N] [--senders N]
"""
import argparse
import concurrent.futures
import http.client
import os
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import bench  # noqa: E402
import harness as H  # noqa: E402
import propagation_util as P  # noqa: E402
import test_ads_audiences as T  # noqa: E402


def seed(env, numbers, created, senders):
    """Post the sales on one keep-alive connection per sender."""
    parts = [numbers[i::senders] for i in range(senders)]
    port = urllib.parse.urlsplit(env.ss.base).port

    def send(part):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for n in part:
            obj = {"id": "cs_bench_%07d" % n, "object": "checkout.session", "payment_status": "paid",
                   "amount_total": 2500, "currency": "usd", "created": created, "customer": "cus_b%07d" % n,
                   "customer_details": {"email": T.email_of(n)}, "metadata": {"shopsync_items": "CANDLE-A:1"}}
            body = P.stripe_event("checkout.session.completed", obj, "evt_bench_%07d" % n)
            conn.request("POST", "/api/stripe/webhook", body,
                         {"Stripe-Signature": H.stripe_signature_header(body), "Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            assert r.status == 200, r.status
        conn.close()

    with concurrent.futures.ThreadPoolExecutor(senders) as pool:
        list(pool.map(send, parts))


def buyers(env):
    return env.ss.admin("GET", "/api/admin/audiences")[1]["buyers"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--buyers", type=int, default=100000)
    ap.add_argument("--senders", type=int, default=8)
    args = ap.parse_args()
    tmp = H.TempDir()
    redis = H.Redis(tmp.path).start()
    env = T.Env(tmp, redis)
    try:
        env.sb.start()
        env.ss.start()
        T.connect(env)
        now = int(time.time())
        t0 = time.perf_counter()
        seed(env, list(range(1, args.buyers + 1)), now - 86400, args.senders)
        H.wait_until(lambda: buyers(env) == args.buyers, timeout=1800, interval=1, what="buyers recorded")
        seeding = time.perf_counter() - t0
        st, a = env.ss.admin("POST", "/api/admin/audiences", {"name": "All buyers", "advertiser_id": T.US,
                                                              "id_type": "EMAIL_SHA256",
                                                              "rule": {"kind": "all_buyers"}})
        assert st == 201, a
        pid = env.ss.proc.proc.pid
        before = bench.proc_status(pid)
        t0 = time.perf_counter()
        st, list_doc = env.ss.admin("GET", "/api/admin/audiences")
        listing = time.perf_counter() - t0
        t0 = time.perf_counter()
        st, first = env.ss.admin("POST", "/api/admin/audiences/%s/sync" % a["id"])
        first_s = time.perf_counter() - t0
        after_first = bench.proc_status(pid)
        seed(env, list(range(args.buyers + 1, args.buyers + 1001)), now - 60, args.senders)
        H.wait_until(lambda: buyers(env) == args.buyers + 1000, timeout=600, interval=1, what="new buyers")
        for n in range(1, 1001):
            env.ss.admin("DELETE", "/api/admin/customers?" + urllib.parse.urlencode({"email": T.email_of(n)}))
        t0 = time.perf_counter()
        st, later = env.ss.admin("POST", "/api/admin/audiences/%s/sync" % a["id"])
        later_s = time.perf_counter() - t0
        after = bench.proc_status(pid)
        sb = H.jrequest("GET", env.sb.base + "/sandbox/ads/audiences")[1]
        print("audience of %d buyers (%d senders)" % (args.buyers, args.senders))
        print("  seeding through the Stripe webhook: %.1f s (%.0f checkouts/s)" % (seeding, args.buyers / seeding))
        print("  list audiences (members counted):   %.2f s" % listing)
        print("  first sync (create):                %.2f s  members %d, synced %d, error %s, sandbox files %d" %
              (first_s, first["members"], first["synced_members"], first["error"], sb["uploads"]))
        print("  later sync (+1,000 / -1,000):       %.2f s  appended %d, removed %d, error %s" %
              (later_s, later["last_sync_result"]["appended"], later["last_sync_result"]["removed"], later["error"]))
        print("  shopsync VmRSS before %d MiB, after first sync %d MiB, after later sync %d MiB; VmHWM %d MiB" %
              (before["VmRSS"] // 1024, after_first["VmRSS"] // 1024, after["VmRSS"] // 1024, after["VmHWM"] // 1024))
        print("  redis used_memory: %s" % [l for l in redis.cli("INFO", "memory").split("\n")
                                            if l.startswith("used_memory_human")][0].strip())
    finally:
        env.sb.stop()
        env.ss.stop()
        redis.stop()
        tmp.cleanup()


if __name__ == "__main__":
    main()
