"""Concurrency integration test: 4 clients x 250 concurrent decrements of one
SKU that starts at 600, over keep-alive connections. The stock must end at
exactly 0, never go negative, and the 400 units that could not be taken must
all be reported as oversold, in the responses and in the oversell log.
"""
import http.client
import json
import threading
import time
import traceback

from harness import ADMIN_TOKEN, Checks, Redis, Shopsync, TempDir, jrequest

THREADS = 4
PER_THREAD = 250
START = 600
SKU = "CONC-1"


def worker(port, barrier, out, idx):
    """PER_THREAD POSTs of {"delta":-1} on one keep-alive connection."""
    res = {"responses": [], "errors": [], "sockets": set()}
    out[idx] = res
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"delta": -1})
    headers = {"Authorization": "Bearer " + ADMIN_TOKEN, "Content-Type": "application/json"}
    try:
        conn.connect()
        barrier.wait(30)
        for _ in range(PER_THREAD):
            try:
                conn.request("POST", "/api/admin/stock/" + SKU, body=body, headers=headers)
                res["sockets"].add(id(conn.sock))
                r = conn.getresponse()
                data = r.read()
                res["responses"].append((r.status, json.loads(data) if data else None))
            except Exception as e:  # recorded, checked below
                res["errors"].append(repr(e))
                conn.close()
    except Exception:
        res["errors"].append(traceback.format_exc())
    finally:
        conn.close()


def main():
    c = Checks("test_concurrency")
    tmp = TempDir()
    redis = Redis(tmp.path).start()
    ss = None
    t_start = time.time()
    try:
        ss = Shopsync(tmp.path, redis.url).start()
        st, doc = ss.admin("POST", "/api/admin/products/import", {"products": [
            {"id": "conc", "title": "Concurrency", "skus": [{"sku": SKU, "price": "1.00", "stock": START}]}]})
        c.eq((st, doc), (200, {"imported": 1, "skus": 1}), "import one SKU with stock %d" % START)

        out = [None] * THREADS
        barrier = threading.Barrier(THREADS)
        ths = [threading.Thread(target=worker, args=(ss.port, barrier, out, i)) for i in range(THREADS)]
        t0 = time.time()
        for t in ths:
            t.start()
        for t in ths:
            t.join(300)
        elapsed = time.time() - t0
        print("# %d requests in %.2f s" % (THREADS * PER_THREAD, elapsed), flush=True)
        c.ok(not any(t.is_alive() for t in ths), "all client threads finished")

        responses = [r for o in out if o for r in o["responses"]]
        errors = [e for o in out if o for e in o["errors"]]
        c.eq(errors, [], "no client errors")
        c.eq(len(responses), THREADS * PER_THREAD, "every request answered")
        c.eq(sorted(set(st for st, _ in responses)), [200], "every answer is 200")
        docs = [d for st, d in responses if st == 200 and isinstance(d, dict)]
        c.eq(len(docs), THREADS * PER_THREAD, "every answer is a JSON object")
        stocks = [d.get("stock") for d in docs]
        c.ok(all(isinstance(s, int) and s >= 0 for s in stocks),
             "no response shows a negative stock (min %r)" % (min(stocks) if stocks else None))
        oversold = sum(d.get("oversold", 0) for d in docs)
        c.eq(oversold, THREADS * PER_THREAD - START, "sum of oversold over all responses")
        applied = sum(d.get("applied", 0) for d in docs)
        c.eq(applied, -START, "sum of applied over all responses")
        taken = sorted(d["stock"] for d in docs if d.get("applied") == -1)
        c.ok(taken == list(range(START)),
             "each successful decrement left a distinct stock, together exactly 0..%d (%d values, %d distinct, "
             "range %r..%r)" % (START - 1, len(taken), len(set(taken)), taken[0] if taken else None,
                                taken[-1] if taken else None))
        c.ok(all((d.get("applied"), d.get("oversold"), d.get("stock")) in ((-1, 0, d.get("stock")), (0, 1, 0))
                 for d in docs), "each answer either took one unit or oversold one at stock 0")
        reused = [len(o["sockets"]) for o in out if o]
        c.eq(reused, [1] * THREADS, "each client kept one keep-alive connection")

        st, doc = jrequest("GET", ss.base + "/api/stock/" + SKU)
        c.eq((st, (doc or {}).get("stock")), (200, 0), "final stock is exactly 0")

        st, doc = ss.admin("GET", "/api/admin/oversells?limit=1000")
        c.eq(st, 200, "GET /api/admin/oversells?limit=1000")
        ov = [e for e in (doc or {}).get("oversells", []) if e.get("sku") == SKU]
        c.eq(len(ov), THREADS * PER_THREAD - START, "one oversell entry per oversold request")
        c.eq(sum(e.get("shortfall", 0) for e in ov), THREADS * PER_THREAD - START, "oversell log shortfall sum")
        c.ok(all(e.get("reason") == "admin" and e.get("requested") == 1 and e.get("applied") == 0 for e in ov),
             "oversell entries: requested 1, applied 0, reason admin")

        st, doc = ss.admin("GET", "/api/admin/activity?limit=1000")
        acts = [a for a in (doc or {}).get("activity", []) if a.get("sku") == SKU]
        c.eq(len(acts), 1000, "activity log holds the newest 1000 entries")
        c.eq(sum(a.get("delta", 0) for a in acts), -START, "activity deltas of the 1000 POSTs sum to -%d" % START)
        c.ok(all(a.get("reason") == "admin" for a in acts), "the newest 1000 activity entries are the admin POSTs")
    except Exception:
        c.ok(False, "raised:\n" + traceback.format_exc())
    finally:
        if ss is not None and ss.proc.alive():
            try:
                c.eq(ss.stop(), 0, "shopsync stops cleanly")
            except AssertionError as e:
                c.ok(False, str(e))
        redis.stop()
        tmp.cleanup()
    print("# total: %.1f s" % (time.time() - t_start), flush=True)
    c.done()


if __name__ == "__main__":
    main()
