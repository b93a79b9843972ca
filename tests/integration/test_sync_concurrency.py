"""Sync All Products on several products at once (SHOPSYNC_SYNC_CONCURRENCY,
default 16), against the sandbox and a real redis-server, with the product
images served by a small server of this test that holds /held/ images until
the test lets them go. That makes "several at once" observable without
timing: products' images are seen being downloaded together, and a
product's three new images too. A 40-product sync with one broken product
ends with exact counts and the broken product's reason; an image shared by
the products under way is uploaded once. SIGTERM in the middle of a
concurrent sync lets the products under way end whole, starts no other,
ends the job as failed, interrupted after exactly the products finished,
and frees the lock; a job whose lock changed hands stops the same way.
"""
import collections
import http.server
import os
import threading

import harness as H

checks = H.Checks("test_sync_concurrency")
LOCK = "shopsync:sync:lock"


class ImageGate:
    """Serves sample-lavender.png at /free/<name> at once and at /held/<name>
    once released; anything else is 404. Counts requests by path and keeps
    the names of the held requests waiting now."""

    def __init__(self):
        with open(os.path.join(H.SOURCE_DIR, "web", "sample-lavender.png"), "rb") as f:
            png = f.read()
        self.cond = threading.Condition()
        self.waiting = collections.Counter()
        self.requests = collections.Counter()
        self.open_all = False
        self.hold_prefix = None  # while set (and not open_all), only names with it wait
        gate = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                path = self.path.split("?")[0]
                with gate.cond:
                    gate.requests[path] += 1
                if path.startswith("/held/"):
                    name = path[len("/held/"):]
                    with gate.cond:
                        gate.waiting[name] += 1
                        gate.cond.notify_all()
                        gate.cond.wait_for(lambda: gate.released(name), timeout=60)
                        gate.waiting[name] -= 1
                elif not path.startswith("/free/"):
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(png)))
                self.end_headers()
                self.wfile.write(png)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def released(self, name):
        return self.open_all or (self.hold_prefix is not None and not name.startswith(self.hold_prefix))

    def hold(self):
        """Hold /held/ images again."""
        with self.cond:
            self.open_all = False
            self.hold_prefix = None

    def release(self, all_but=None):
        """Let every held image go (all_but: except names starting with it)."""
        with self.cond:
            if all_but is None:
                self.open_all = True
            else:
                self.hold_prefix = all_but
            self.cond.notify_all()

    def waiting_names(self, prefix=""):
        with self.cond:
            return sorted(n for n, k in self.waiting.items() if k > 0 and n.startswith(prefix))

    def close(self):
        self.release()
        self.server.shutdown()


def job(ss, job_id):
    st, doc = ss.admin("GET", "/api/admin/tiktok/sync/" + job_id)
    if st != 200:
        raise AssertionError("job %s answered %d" % (job_id, st))
    return doc


def sb_state(sb):
    return H.jrequest("GET", sb.base + "/sandbox/state")[1]


def product(pid, images):
    return {"id": pid, "title": "Product " + pid, "images": images, "category_id": "600001",
            "skus": [{"sku": pid.upper(), "price": "3.00", "currency": "USD", "stock": 5}]}


def first_catalog(gate):
    """c00..c39: four with free images, then products with a held image of
    their own and the held image all of them share; c20's second image is
    missing (404); c30 has three held images of its own."""
    out = []
    for i in range(40):
        pid = "c%02d" % i
        if i < 4:
            images = [gate.base + "/free/%s.png" % pid]
        elif i == 20:
            images = [gate.base + "/held/%s.png" % pid, gate.base + "/missing/%s.png" % pid]
        elif i == 30:
            images = [gate.base + "/held/%s-%s.png" % (pid, x) for x in "abc"]
        else:
            images = [gate.base + "/held/%s.png" % pid, gate.base + "/held/shared.png"]
        out.append(product(pid, images))
    return {"products": out}


def wait_job(ss, job_id, progress):
    def finished():
        doc = job(ss, job_id)
        progress.append((doc["done"], doc["total"]))
        return doc if doc["state"] != "running" else None
    return H.wait_until(finished, timeout=90, interval=0.05, what="sync job %s" % job_id)


def consistent(j, what):
    checks.eq((j["done"], len(j["results"])), (j["created"] + j["updated"] + j["failed"],) * 2,
              "%s: done == created + updated + failed == result rows" % what)
    ids = [r["id"] for r in j["results"]]
    checks.eq(len(ids), len(set(ids)), "%s: one result row per product" % what)


def concurrent_sync(ss, sb, gate):
    st, doc = ss.admin("POST", "/api/admin/products/import", first_catalog(gate))
    checks.eq((st, doc), (200, {"imported": 40, "skus": 40}), "40 products imported")
    c0 = sb_state(sb)["counters"]
    st, doc = ss.admin("POST", "/api/admin/tiktok/sync")
    checks.eq(st, 202, "sync started")
    job_id = doc["job_id"]

    # One product at a time never has two products' images downloading.
    try:
        names = H.wait_until(lambda: len(gate.waiting_names("c")) >= 4 and gate.waiting_names("c"), timeout=20,
                             what="4 products' images downloading at once")
    except AssertionError as e:
        names = str(e)
    checks.ok(isinstance(names, list), "several products are synced at once (images waiting: %s)" % names)
    j = job(ss, job_id)
    checks.eq((j["state"], j["done"], j["total"]), ("running", 4, 40),
              "while they wait the job runs, with the 4 products of free images done")

    # Everything but c30's images goes; c30's three are then downloaded at once.
    gate.release(all_but="c30-")
    try:
        names = H.wait_until(lambda: gate.waiting_names("c30-") == ["c30-a.png", "c30-b.png", "c30-c.png"] and
                             gate.waiting_names("c30-"), timeout=30, what="c30's three images downloading at once")
    except AssertionError as e:
        names = str(e)
    checks.eq(names, ["c30-a.png", "c30-b.png", "c30-c.png"], "a product's three new images are downloaded at once")
    gate.release()

    progress = []
    j = wait_job(ss, job_id, progress)
    checks.ok(all(0 <= d <= t for d, t in progress) and [d for d, _ in progress] == sorted(d for d, _ in progress),
              "polled progress never decreases nor passes total (%d polls)" % len(progress))
    checks.eq((j["state"], j["total"], j["done"], j["created"], j["updated"], j["failed"]),
              ("done", 40, 40, 39, 0, 1), "concurrent sync: 39 created, 1 failed, exact counts")
    checks.eq(j["error"], None, "the job has no error")
    consistent(j, "concurrent sync")
    rows = {r["id"]: r for r in j["results"]}
    checks.eq(sorted(rows), ["c%02d" % i for i in range(40)], "a result for each of the 40 products")
    err = rows.get("c20", {}).get("error") or ""
    checks.ok(rows.get("c20", {}).get("status") == "failed" and gate.base + "/missing/c20.png" in err and
              "HTTP 404" in err, "the broken product's result names its image and HTTP 404: %r" % err)
    checks.eq({(r["status"], r["error"]) for k, r in rows.items() if k != "c20"}, {("created", None)},
              "every other product created, without error")
    state = sb_state(sb)
    checks.eq(sorted(s["seller_sku"] for p in state["products"] for s in p["skus"]),
              sorted("C%02d" % i for i in range(40) if i != 20), "the sandbox has the 39 products, once each")
    # 4 free + 34 own held + c20's held one + c30's three + the shared one.
    checks.eq(state["counters"]["images_uploaded"] - c0["images_uploaded"], 43,
              "each distinct image uploaded once")
    checks.eq(gate.requests["/held/shared.png"], 1, "the image 34 products share was downloaded once")
    checks.eq(H.jrequest("GET", ss.base + "/healthz")[0], 200, "shopsync still healthy")
    return j


def interrupted_sync(ss, sb, gate, redis):
    """d00..d39 (after the c products by id), each with a new held image: once
    the c products are done, SHOPSYNC_SYNC_CONCURRENCY (16) of them are under
    way, waiting for their images, when SIGTERM comes."""
    gate.hold()
    st, doc = ss.admin("POST", "/api/admin/products/import",
                  {"products": [product("d%02d" % i, [gate.base + "/held/d%02d.png" % i]) for i in range(40)]})
    checks.eq((st, doc), (200, {"imported": 40, "skus": 40}), "40 more products imported")
    st, doc = ss.admin("POST", "/api/admin/tiktok/sync")
    checks.eq(st, 202, "second sync started")
    job_id = doc["job_id"]
    H.wait_until(lambda: len(gate.waiting_names("d")) == 16, timeout=30, what="16 d products under way")
    under_way = gate.waiting_names("d")
    before = ss.proc.output().count("signal 15: stopping")
    stopped = []
    t = threading.Thread(target=lambda: stopped.append(ss.stop()))
    t.start()
    # The stop flag is set before shopsync logs this; only then may the
    # products under way go on.
    H.wait_until(lambda: ss.proc.output().count("signal 15: stopping") > before, what="shopsync stopping")
    gate.release()
    t.join(60)
    checks.eq(stopped, [0], "SIGTERM during a concurrent sync: shopsync exits 0")
    checks.eq(redis.cli("EXISTS", LOCK).strip(), "0", "the stopped job freed the sync lock")
    ss.start()
    j = job(ss, job_id)
    checks.eq((j["state"], j["total"]), ("failed", 80), "the stopped job reads as failed")
    checks.eq(j["done"], 40 + 16, "it stopped mid-catalog, after the c products and the 16 under way")
    checks.ok((j["error"] or "").startswith("interrupted: shopsync was stopping after %d of 80 products"
                                            % j["done"]),
              "its error says it was interrupted after the products finished: %r" % j["error"])
    consistent(j, "interrupted sync")
    rows = {r["id"]: r for r in j["results"]}
    created = sorted(k for k, r in rows.items() if r["status"] == "created")
    checks.eq((j["updated"], j["failed"], j["created"]), (39, 1, len(created)),
              "the c products updated (c20 failing again), the d products under way created")
    checks.eq(created, sorted(n[:3] for n in under_way), "the products under way at the stop were finished whole")
    checks.eq(sorted(p[len("/held/"):][:3] for p, k in gate.requests.items() if p.startswith("/held/d")),
              created, "no other product was started after the stop")
    on_tiktok = sorted(s["seller_sku"] for p in sb_state(sb)["products"] for s in p["skus"] if s["seller_sku"][0] == "D")
    checks.eq(on_tiktok, [k.upper() for k in created], "exactly the products the job counted are on TikTok")

    st, j = ss.admin("POST", "/api/admin/tiktok/sync?wait=1")
    checks.eq((st, j["state"], j["done"], j["created"], j["updated"], j["failed"]),
              (200, "done", 80, 40 - len(created), 39 + len(created), 1),
              "the next sync starts at once and syncs the rest, nothing twice")
    checks.eq(len(sb_state(sb)["products"]), 79, "79 products on TikTok, no duplicate")
    checks.eq(redis.cli("EXISTS", LOCK).strip(), "0", "the lock is free after the sync")


def lost_lock(ss, sb, gate, redis):
    """e00..e39, each with a new held image: while 16 are under way the lock
    changes hands (as when it expired and another sync took it). No product
    starts after that, and the job ends saying so, leaving the other's lock
    alone."""
    gate.hold()
    st, doc = ss.admin("POST", "/api/admin/products/import",
                       {"products": [product("e%02d" % i, [gate.base + "/held/e%02d.png" % i]) for i in range(40)]})
    checks.eq((st, doc), (200, {"imported": 40, "skus": 40}), "40 more products imported")
    st, doc = ss.admin("POST", "/api/admin/tiktok/sync")
    checks.eq(st, 202, "third sync started")
    job_id = doc["job_id"]
    H.wait_until(lambda: len(gate.waiting_names("e")) == 16, timeout=30, what="16 e products under way")
    redis.cli("SET", LOCK, "another-sync")
    gate.release()
    # A running job without its lock reads as interrupted at once; its own
    # end comes when the products under way are done.
    j = H.wait_until(lambda: job(ss, job_id)["finished_at"] is not None and job(ss, job_id), timeout=30,
                     what="the job that lost its lock ends")
    checks.eq((j["state"], j["done"], j["total"], j["created"]), ("failed", 80 + 16, 120, 16),
              "the job that lost its lock ended after the products under way, starting no other")
    checks.ok((j["error"] or "").startswith("interrupted: the sync lost its lock after 96 of 120 products"),
              "its error says it lost its lock: %r" % j["error"])
    consistent(j, "sync that lost its lock")
    checks.eq(redis.cli("GET", LOCK).strip(), "another-sync", "the other holder's lock is left alone")
    redis.cli("DEL", LOCK)
    st, j = ss.admin("POST", "/api/admin/tiktok/sync?wait=1")
    checks.eq((st, j["state"], j["created"], j["failed"]), (200, "done", 24, 1), "the next sync creates the rest")


def main():
    tmp = H.TempDir()
    redis = sb = ss = None
    gate = ImageGate()
    try:
        redis = H.Redis(tmp.path).start()
        sb, ss = H.linked_pair(tmp.path, redis.url)
        sb.start()
        ss.start()
        _, st, h = H.connect_shop(ss, sb)
        checks.eq((st, h.get("location")), (302, "/admin/tiktok-shop?connected=1"), "shop connected")
        concurrent_sync(ss, sb, gate)
        interrupted_sync(ss, sb, gate, redis)
        lost_lock(ss, sb, gate, redis)
    finally:
        gate.close()
        for p in (ss, sb):
            if p and p.proc.alive():
                checks.eq(p.stop(), 0, "exits 0 on SIGTERM")
        if redis:
            redis.stop()
        if checks.failed and ss is not None:
            print("---- shopsync log (tail) ----\n" + ss.proc.output()[-4000:], flush=True)
        tmp.cleanup()
    checks.done()


if __name__ == "__main__":
    main()
