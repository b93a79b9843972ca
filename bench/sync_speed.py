#!/usr/bin/env python3
"""Sync All Products speed: products/s at a given TikTok API latency.

Starts its own redis-server, TikTok Shop sandbox and shopsync on free ports
(tests/integration/harness.py), connects the shop through the sandbox's OAuth
pages, imports a catalog of N products (one SKU each; --images images of its
own, default 1, and one shared by every product, all served by shopsync at
/static/), sets the sandbox's latency fault (every signed TikTok call answers
that much later) and times `POST /api/admin/tiktok/sync?wait=1` twice: the
first sync searches, uploads every image and creates every product; the
second finds the mappings and the cached images and edits. It reports
products/s for both and asserts nothing.

    python3 bench/sync_speed.py [--products 200] [--latency-ms 200]
        [--images 1] [--concurrency N] [--build build] [--keep]

--concurrency sets SHOPSYNC_SYNC_CONCURRENCY (unset: shopsync's default).
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))


def catalog(base, n, n_images):
    static = base + "/static/"
    shared = static + "sample-citrus.png"
    products = []
    for i in range(n):
        # A query string makes a distinct URL (uploaded once) of the same file.
        own = [static + "sample-lavender.png?bench=%d-%d" % (i, k) for k in range(n_images)]
        products.append({"id": "bench-%04d" % i, "title": "Bench product %d" % i,
                         "images": own + [shared], "category_id": "600001",
                         "skus": [{"sku": "BENCH-%04d" % i, "price": "10.00", "currency": "USD", "stock": 100}]})
    return {"products": products}


def timed_sync(H, ss):
    t0 = time.time()
    st, _, body = H.request("POST", ss.base + "/api/admin/tiktok/sync?wait=1", None,
                            {"Authorization": "Bearer " + H.ADMIN_TOKEN}, timeout=3600)
    took = time.time() - t0
    job = json.loads(body) if body else {}
    if st != 200:
        raise SystemExit("sync answered %d: %r" % (st, body[:300]))
    return took, job


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--products", type=int, default=200)
    ap.add_argument("--latency-ms", type=int, default=200)
    ap.add_argument("--images", type=int, default=1, choices=range(1, 9), metavar="1..8",
                    help="images of its own per product")
    ap.add_argument("--concurrency", type=int, default=None)
    ap.add_argument("--build", default=os.path.join(SOURCE, "build"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = ap.parse_args()
    os.environ.setdefault("SHOPSYNC_BIN", os.path.join(args.build, "shopsync"))
    os.environ.setdefault("SHOPSYNC_SANDBOX_BIN", os.path.join(args.build, "shopsync-sandbox"))
    os.environ.setdefault("SHOPSYNC_SOURCE_DIR", SOURCE)
    import harness as H

    env = {"SHOPSYNC_LOG_LEVEL": "warn"}
    if args.concurrency is not None:
        env["SHOPSYNC_SYNC_CONCURRENCY"] = str(args.concurrency)
    tmp = H.TempDir(prefix="shopsync-bench-sync-")
    redis = sb = ss = None
    try:
        redis = H.Redis(tmp.path).start()
        sb, ss = H.linked_pair(tmp.path, redis.url, shopsync_env=env)
        sb.start()
        ss.start()
        _, st, h = H.connect_shop(ss, sb)
        if st != 302 or "connected=1" not in h.get("location", ""):
            raise SystemExit("connecting the shop failed: %d %r" % (st, h))
        st, doc = ss.admin("POST", "/api/admin/products/import", catalog(ss.base, args.products, args.images))
        if st != 200:
            raise SystemExit("import answered %d: %r" % (st, doc))
        st, doc = H.jrequest("POST", sb.base + "/sandbox/faults", {"latency_ms": args.latency_ms})
        if st != 200:
            raise SystemExit("sandbox faults answered %d: %r" % (st, doc))
        print("# %d products with %d+1 images, TikTok latency %d ms, SHOPSYNC_SYNC_CONCURRENCY=%s"
              % (args.products, args.images, args.latency_ms, env.get("SHOPSYNC_SYNC_CONCURRENCY", "default")),
              flush=True)
        for name in ("first sync (search, upload, create)", "second sync (cached images, edit)"):
            took, job = timed_sync(H, ss)
            counters = H.jrequest("GET", sb.base + "/sandbox/state")[1]["counters"]
            print("%-38s %7.1f s  %6.1f products/s  (state %s: %s created, %s updated, %s failed; "
                  "sandbox: %s images uploaded, %s rate-limited)"
                  % (name, took, job.get("done", 0) / took if took else 0.0, job.get("state"), job.get("created"),
                     job.get("updated"), job.get("failed"), counters.get("images_uploaded"),
                     counters.get("rate_limited")), flush=True)
    finally:
        for p in (ss, sb):
            if p and p.proc.alive():
                p.stop()
        if redis:
            redis.stop()
        if args.keep:
            print("# work directory kept: %s" % tmp.path)
        else:
            tmp.cleanup()


if __name__ == "__main__":
    main()
