#!/usr/bin/env python3
"""Checkout holds on one SKU: it reports figures and asserts nothing.

Starts its own redis-server, TikTok Shop sandbox and `shopsync serve` on free
ports (binaries from --build-dir, else $BENCH_BUILD_DIR, else build/), imports
one product with two SKUs, connects the sandbox shop and syncs it (so every
hold also moves what TikTok is shown and marks a push, as in a live store),
then for each client count of --clients:

  create    --holds holds of 1 unit of HOLD-1 (plenty in stock), POST /api/holds
            with the storefront token from that many clients at once, each on
            its own keep-alive connection, as fast as answers come (closed
            loop): holds/s and the latency of each answer.
  release   the same holds released (DELETE /api/holds/{id}) the same way:
            releases/s and latency; then held units and what the website may
            sell, which should be back where they started.
  over-ask  --over-units units of OVER-1 and 3x as many 1-unit holds asked by
            the same clients: how many were held (201) and refused (409), and
            the units held at the end against the units there were.

Standard library only; shares its plumbing with bench/bench.py. See
bench/README.md, section "Checkout holds".
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench as B  # noqa: E402  (the shared plumbing lives beside this file)

HOLD_SKU = "HOLD-1"
OVER_SKU = "OVER-1"
STOREFRONT_TOKEN = "bench-storefront-token-0123456789"
FRONT = {"Authorization": "Bearer " + STOREFRONT_TOKEN, "Content-Type": "application/json"}
log = B.log


def run_clients(base, n_clients, jobs, call):
    """call(conn, job) -> status for every job, shared out to n_clients
    threads with a keep-alive connection each. Returns (seconds, [(job,
    status, body, ms)]) with the answers in the order they finished."""
    lock = threading.Lock()
    queue = list(jobs)
    out = []

    def worker():
        conn = B.KeepAlive(base)
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    job = queue.pop()
                t = time.perf_counter()
                try:
                    status, body = call(conn, job)
                except OSError as e:
                    status, body = 0, repr(e).encode()
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    out.append((job, status, body, ms))
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(n_clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, out


def create_hold(sku):
    body = json.dumps({"items": [{"sku": sku, "quantity": 1}], "ttl_seconds": 600}).encode()
    return lambda conn, _job: conn.send("POST", "/api/holds", body, FRONT)


def release_hold(conn, hold_id):
    return conn.send("DELETE", "/api/holds/" + hold_id, None, FRONT)


def sku_view(stack, sku):
    """(on hand, held, what the website may sell, what TikTok is shown)."""
    st, doc = stack.admin("GET", "/api/admin/stock/" + sku)
    if st != 200:
        raise RuntimeError("stock %s: %d %r" % (sku, st, doc))
    return doc.get("on_hand"), doc.get("held"), doc.get("available_web"), doc.get("tiktok_shown")


def statuses(answers):
    counts = {}
    for _, st, _, _ in answers:
        counts[st] = counts.get(st, 0) + 1
    return ", ".join("%s x%d" % (k, v) for k, v in sorted(counts.items()))


def one_round(stack, args, clients):
    res = {"clients": clients}
    log("\n== %d clients" % clients)
    secs, answers = run_clients(stack.base, clients, range(args.holds), create_hold(HOLD_SKU))
    ok = [a for a in answers if a[1] == 201]
    ids = [json.loads(a[2])["hold_id"] for a in ok]
    lat = [a[3] for a in answers]
    res["create"] = {"holds": len(ok), "seconds": secs, "per_s": len(answers) / secs,
                     "p50_ms": B.pct(lat, 50), "p99_ms": B.pct(lat, 99), "max_ms": max(lat)}
    on_hand, held, web, shown = sku_view(stack, HOLD_SKU)
    log("  create:   %d holds in %.2f s = %.0f holds/s; %s; answers %s"
        % (len(answers), secs, len(answers) / secs, B.summary(lat), statuses(answers)))
    log("            %s now: on hand %s, held %s, website may sell %s, TikTok shown %s"
        % (HOLD_SKU, on_hand, held, web, shown))

    secs, answers = run_clients(stack.base, clients, ids, release_hold)
    lat = [a[3] for a in answers]
    res["release"] = {"holds": len(answers), "seconds": secs, "per_s": len(answers) / secs,
                      "p50_ms": B.pct(lat, 50), "p99_ms": B.pct(lat, 99), "max_ms": max(lat)}
    on_hand, held, web, shown = sku_view(stack, HOLD_SKU)
    res["after_release"] = {"on_hand": on_hand, "held": held, "available_web": web}
    log("  release:  %d holds in %.2f s = %.0f releases/s; %s; answers %s"
        % (len(answers), secs, len(answers) / secs, B.summary(lat), statuses(answers)))
    log("            %s now: on hand %s, held %s, website may sell %s, TikTok shown %s"
        % (HOLD_SKU, on_hand, held, web, shown))

    st, doc = stack.admin("POST", "/api/admin/stock/" + OVER_SKU, {"set": args.over_units})
    if st != 200:
        raise RuntimeError("set %s: %d %r" % (OVER_SKU, st, doc))
    asked = 3 * args.over_units
    secs, answers = run_clients(stack.base, clients, range(asked), create_hold(OVER_SKU))
    held_ids = [json.loads(a[2])["hold_id"] for a in answers if a[1] == 201]
    refused = sum(1 for a in answers if a[1] == 409)
    on_hand, held, web, _ = sku_view(stack, OVER_SKU)
    res["over_ask"] = {"units": args.over_units, "asked": asked, "held_201": len(held_ids), "refused_409": refused,
                       "held_units": held, "available_web": web}
    log("  over-ask: %d one-unit holds asked for %d units in %.2f s: %d held (201), %d refused (409), "
        "others %d; held units %s of %s on hand, website may sell %s"
        % (asked, args.over_units, secs, len(held_ids), refused, asked - len(held_ids) - refused,
           held, on_hand, web))
    run_clients(stack.base, clients, held_ids, release_hold)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=B.default_build_dir())
    ap.add_argument("--holds", type=int, default=1000, help="holds created (and released) per round")
    ap.add_argument("--clients", default="8,32", help="client counts, one round each")
    ap.add_argument("--over-units", type=int, default=100, help="units of the over-asked SKU")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    args = ap.parse_args()
    B.need_binaries("holds", args.build_dir)
    workdir = tempfile.mkdtemp(prefix="shopsync-holds-")
    B.log_header("shopsync checkout-holds benchmark", args.build_dir)
    t0 = time.time()
    stack = None
    results = []
    try:
        stack = B.Stack(args.build_dir, workdir, "holds",
                        shopsync_env={"SHOPSYNC_STOREFRONT_TOKEN": STOREFRONT_TOKEN}).start()
        B.import_and_sync(stack, [{
            "id": "hold-candle", "title": "Hold Candle", "description": "<p>Checkout holds.</p>",
            "images": [stack.base + "/static/sample-cedar.png"],
            "skus": [{"sku": HOLD_SKU, "price": "20.00", "currency": "USD", "stock": 10 * args.holds},
                     {"sku": OVER_SKU, "price": "20.00", "currency": "USD", "stock": args.over_units}]}])
        stack.wait_quiet(30)
        log("stack: shopsync %s, sandbox %s, redis :%d; %s has %d units, %s %d"
            % (stack.base, stack.sandbox, stack.redis_port, HOLD_SKU, 10 * args.holds, OVER_SKU, args.over_units))
        for c in (int(x) for x in args.clients.split(",")):
            results.append(one_round(stack, args, c))
        log("\nshopsync CPU %.1f s; run took %.1f s; load average at the end: %s"
            % (B.cpu_seconds(stack.shopsync_proc.pid), time.time() - t0, B.loadavg()))
        if args.json:
            B.write_json(args.json, results)
    finally:
        if stack:
            stack.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log("work dir kept: %s" % workdir)


if __name__ == "__main__":
    main()
