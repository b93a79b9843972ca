"""Concurrency integration test: 4 clients x 250 concurrent admin decrements
of one SKU that starts at 600, over keep-alive connections. The stock must
end at exactly 0 and never go negative; each of the 600 units is taken once,
and the 400 decrements that found the stock at 0 are refused (409
insufficient_stock: an admin edit may not go below 0), changing nothing and
recording no oversell. The check and the change are one step, so no request
slips between them.
"""
import http.client
import json
import threading
import time
import traceback

import harness
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


def decrements(c, ss):
    """The concurrent decrements and every answer they got."""
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
    c.eq(sorted(set(st for st, _ in responses)), [200, 409], "every answer is 200 or 409")
    docs = [d for st, d in responses if st == 200 and isinstance(d, dict)]
    c.eq(len(docs), START, "exactly %d decrements applied" % START)
    refused = [d for st, d in responses if st == 409]
    c.eq(len(refused), THREADS * PER_THREAD - START, "the other %d refused" % (THREADS * PER_THREAD - START))
    c.ok(all(isinstance(d, dict) and d.get("error", {}).get("code") == "insufficient_stock" and
             "has 0 in stock" in d["error"].get("message", "") for d in refused),
         "each refusal is insufficient_stock at 0")
    stocks = [d.get("stock") for d in docs]
    c.ok(all(isinstance(s, int) and s >= 0 for s in stocks),
         "no response shows a negative stock (min %r)" % (min(stocks) if stocks else None))
    c.eq(sum(d.get("oversold", 0) for d in docs), 0, "nothing oversold")
    applied = sum(d.get("applied", 0) for d in docs)
    c.eq(applied, -START, "sum of applied over all responses")
    taken = sorted(d["stock"] for d in docs if d.get("applied") == -1)
    c.ok(taken == list(range(START)),
         "each successful decrement left a distinct stock, together exactly 0..%d (%d values, %d distinct, "
         "range %r..%r)" % (START - 1, len(taken), len(set(taken)), taken[0] if taken else None,
                            taken[-1] if taken else None))
    reused = [len(o["sockets"]) for o in out if o]
    c.eq(reused, [1] * THREADS, "each client kept one keep-alive connection")


def final_state(c, ss):
    """What the decrements left: stock, oversells, activity."""
    st, doc = jrequest("GET", ss.base + "/api/stock/" + SKU)
    c.eq((st, (doc or {}).get("stock")), (200, 0), "final stock is exactly 0")

    st, doc = ss.admin("GET", "/api/admin/oversells?limit=1000")
    c.eq((st, (doc or {}).get("oversells")), (200, []), "no oversell recorded")

    st, doc = ss.admin("GET", "/api/admin/activity?limit=1000")
    acts = [a for a in (doc or {}).get("activity", []) if a.get("sku") == SKU]
    admin = [a for a in acts if a.get("reason") == "admin"]
    c.eq((len(admin), sum(a.get("delta", 0) for a in admin)), (START, -START),
         "one activity entry per applied decrement, -1 each")


# Sections, for `python3 test_concurrency.py SECTION [SECTION ...]` (none:
# all); final_state checks what the decrements left.
SECTIONS = ["decrements", "final_state"]
NEEDS = {"final_state": ["decrements"]}


def main():
    want = harness.selected_sections(SECTIONS, NEEDS)
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
        for name in SECTIONS:
            if name in want:
                c.section(name, globals()[name], ss)
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
