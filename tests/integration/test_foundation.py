"""Foundation integration test: the real shopsync binary against a real
redis-server. Health and readiness (Redis down and back), authentication
(bearer, session cookie, CSRF, logout), the catalog and stock APIs, the CLI,
malformed input, configuration errors, SIGTERM and the embedded Redis.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import harness
from harness import (teardown, ADMIN_TOKEN, SECRET_KEY, SHOPSYNC_BIN, SOURCE_DIR, Checks, Redis, Shopsync, TempDir,
                     jrequest, request, wait_until)

MIB = 1024 * 1024

CATALOG = {"products": [
    {"id": "mug", "title": "Mug", "description": "<p>Stoneware</p>",
     "images": ["https://example.com/mug.jpg"], "category_id": "600001",
     "package": {"weight": "1.5", "weight_unit": "POUND", "length": "5", "width": "5", "height": "8",
                 "dimension_unit": "INCH"},
     "skus": [{"sku": "MUG-RED", "price": "12.00", "currency": "USD", "stock": 5, "attributes": {"Color": "Red"}},
              {"sku": "MUG-BLUE", "price": "12.00", "currency": "USD", "stock": 7, "attributes": {"Color": "Blue"}}]},
    {"id": "candle", "title": "Lavender Candle", "description": "<p>Hand poured</p>",
     "images": ["https://example.com/lav.jpg"],
     "skus": [{"sku": "CANDLE-1", "price": "24.00", "currency": "USD", "stock": 12, "attributes": {"Size": "8 oz"}}]},
]}

BEARER = {"Authorization": "Bearer " + ADMIN_TOKEN}


def is_error(doc, code=None):
    """The JSON error shape: {"error":{"code":...,"message":...}}."""
    if not isinstance(doc, dict) or not isinstance(doc.get("error"), dict):
        return False
    e = doc["error"]
    if not isinstance(e.get("code"), str) or not isinstance(e.get("message"), str) or not e["message"]:
        return False
    return code is None or e["code"] == code


def err_code(doc):
    try:
        return doc["error"]["code"]
    except (TypeError, KeyError):
        return None


def err_msg(doc):
    try:
        return doc["error"]["message"]
    except (TypeError, KeyError):
        return ""


def stock_of(ss, sku):
    st, doc = jrequest("GET", ss.base + "/api/stock/" + sku)
    return st, (doc or {}).get("stock")


def product_summary(ss):
    """[(id, [(sku, stock), ...]), ...] from the admin list."""
    st, doc = ss.admin("GET", "/api/admin/products")
    if st != 200:
        return st
    return [(p["id"], [(s["sku"], s.get("stock")) for s in p["skus"]]) for p in doc["products"]]


def raw_http(port, data, timeout=15.0):
    """Send raw bytes, read until the server closes or one response with a
    Content-Length is complete. Returns (status or None, headers, body)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        buf = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            buf += chunk
            if b"\r\n\r\n" in buf:
                head, _, body = buf.partition(b"\r\n\r\n")
                m = re.search(rb"(?i)content-length:\s*(\d+)", head)
                if m and len(body) >= int(m.group(1)):
                    break
        head, _, body = buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        m = re.match(rb"HTTP/1\.[01] (\d{3})", lines[0]) if lines and lines[0] else None
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(b":")
            hdrs[k.strip().lower().decode()] = v.strip().decode()
        return (int(m.group(1)) if m else None), hdrs, body
    finally:
        s.close()


# --------------------------------------------------------------------------
# sections


def check_health(c, ss):
    st, doc = jrequest("GET", ss.base + "/healthz")
    c.eq(st, 200, "GET /healthz status")
    c.eq((doc or {}).get("status"), "ok", "/healthz body status")
    st, doc = jrequest("GET", ss.base + "/readyz")
    c.eq(st, 200, "GET /readyz with Redis up")
    c.eq((doc or {}).get("status"), "ready", "/readyz body status")


def check_auth(c, ss):
    base = ss.base
    st, doc = jrequest("GET", base + "/api/admin/products")
    c.eq(st, 401, "admin API without a token")
    c.ok(is_error(doc, "unauthorized"), "401 body is a JSON error with code unauthorized: %r" % (doc,))
    st, doc = jrequest("GET", base + "/api/admin/products", headers={"Authorization": "Bearer wrong-token-0123456789"})
    c.eq(st, 401, "admin API with a wrong bearer token")
    c.ok(is_error(doc, "unauthorized"), "wrong bearer: JSON error")
    st, doc = jrequest("GET", base + "/api/admin/products",
                       headers={"Authorization": "Bearer " + ADMIN_TOKEN[:-1]})
    c.eq(st, 401, "admin API with a prefix of the token")
    st, doc = jrequest("GET", base + "/api/admin/products", headers={"Authorization": "Basic " + ADMIN_TOKEN})
    c.eq(st, 401, "admin API with the token in a non-bearer scheme")
    st, doc = jrequest("GET", base + "/api/admin/products", headers=BEARER)
    c.eq(st, 200, "admin API with the right bearer token")

    st, doc = jrequest("POST", base + "/api/admin/login", {"token": "not-the-token"})
    c.eq(st, 401, "login with a wrong token")
    c.ok(is_error(doc, "unauthorized"), "wrong login: JSON error")
    st, doc = jrequest("POST", base + "/api/admin/login", {})
    c.eq(st, 400, "login without a token field")

    st, h, data = request("POST", base + "/api/admin/login", {"token": ADMIN_TOKEN})
    c.eq(st, 200, "login with the right token")
    body = json.loads(data) if data else {}
    csrf = body.get("csrf", "")
    c.ok(re.fullmatch(r"[0-9a-f]{64}", csrf or "") is not None, "login returns a 64-hex csrf token: %r" % csrf)
    cookie_hdr = h.get("set-cookie", "")
    c.ok("HttpOnly" in cookie_hdr, "session cookie is HttpOnly: %r" % cookie_hdr)
    c.ok("SameSite=Strict" in cookie_hdr, "session cookie is SameSite=Strict")
    c.ok("Path=/" in cookie_hdr, "session cookie has Path=/")
    m = re.match(r"shopsync_session=([0-9a-f]{64});", cookie_hdr)
    c.ok(m is not None, "cookie carries a 64-hex session id")
    if not m:
        return
    cookie = {"Cookie": "shopsync_session=" + m.group(1)}

    st, doc = jrequest("GET", base + "/api/admin/products", headers=cookie)
    c.eq(st, 200, "cookie session works for GET")
    st, doc = jrequest("GET", base + "/api/admin/session", headers=cookie)
    c.eq(st, 200, "GET /api/admin/session with the cookie")
    c.eq((doc or {}).get("csrf"), csrf, "session reports the same csrf token")
    c.eq((doc or {}).get("authenticated"), True, "session authenticated")

    st, doc = jrequest("POST", base + "/api/admin/stock/CANDLE-1", {"delta": 0}, headers=cookie)
    c.eq(st, 403, "cookie POST without X-CSRF-Token")
    c.ok(is_error(doc, "csrf"), "missing csrf: JSON error code csrf: %r" % (doc,))
    h2 = dict(cookie)
    h2["X-CSRF-Token"] = "0" * 64
    st, doc = jrequest("POST", base + "/api/admin/stock/CANDLE-1", {"delta": 0}, headers=h2)
    c.eq(st, 403, "cookie POST with a wrong X-CSRF-Token")
    h2["X-CSRF-Token"] = csrf
    st, doc = jrequest("POST", base + "/api/admin/stock/CANDLE-1", {"delta": 0}, headers=h2)
    c.eq(st, 200, "cookie POST with the csrf token from login")
    c.eq((doc or {}).get("stock"), 12, "cookie POST answered with the stock")
    st, doc = jrequest("DELETE", base + "/api/admin/products/nonexistent", headers=cookie)
    c.eq(st, 403, "cookie DELETE without X-CSRF-Token")
    st, doc = jrequest("GET", base + "/api/admin/products", headers={"Cookie": "shopsync_session=" + "a" * 64})
    c.eq(st, 401, "an unknown session id is refused")

    st, doc = jrequest("POST", base + "/api/admin/logout", headers=cookie)
    c.eq((st, (doc or {}).get("error", {}).get("code")), (403, "csrf"), "logout without X-CSRF-Token: 403 csrf")
    st, doc = jrequest("GET", base + "/api/admin/session", headers=cookie)
    c.eq(st, 200, "session endpoint: still signed in after the refused logout")
    h2 = dict(cookie)
    h2["X-CSRF-Token"] = csrf
    st, h, data = request("POST", base + "/api/admin/logout", headers=h2)
    c.eq(st, 200, "logout with the csrf token")
    c.ok("Max-Age=0" in h.get("set-cookie", ""), "logout clears the cookie")
    st, doc = jrequest("GET", base + "/api/admin/products", headers=cookie)
    c.eq(st, 401, "cookie no longer works after logout")
    st, doc = jrequest("GET", base + "/api/admin/session", headers=cookie)
    c.eq(st, 401, "session endpoint: signed out after logout")

    st, doc = jrequest("GET", base + "/api/stock/CANDLE-1")
    c.eq(st, 200, "public stock read without auth")
    c.eq(doc, {"sku": "CANDLE-1", "stock": 12}, "public stock body")
    st, doc = jrequest("GET", base + "/api/stock/NO-SUCH-SKU")
    c.eq(st, 404, "public stock of an unknown SKU")
    c.ok(is_error(doc, "not_found"), "unknown SKU: JSON error")


def check_catalog(c, ss, workdir):
    st, doc = ss.admin("POST", "/api/admin/products/import", CATALOG)
    c.eq(st, 200, "import a 2-product catalog")
    c.eq(doc, {"imported": 2, "skus": 3}, "import reports counts")

    summary = product_summary(ss)
    c.eq(summary, [("candle", [("CANDLE-1", 12)]), ("mug", [("MUG-RED", 5), ("MUG-BLUE", 7)])],
         "product list sorted by id with stock")
    st, doc = ss.admin("GET", "/api/admin/products/mug")
    c.eq(st, 200, "GET one product")
    doc = doc or {}
    c.eq(doc.get("title"), "Mug", "product title")
    c.eq(doc.get("description"), "<p>Stoneware</p>", "product description kept")
    c.eq(doc.get("package", {}).get("weight_unit"), "POUND", "package kept")
    c.eq([(s.get("sku"), s.get("price"), s.get("stock"), s.get("attributes")) for s in doc.get("skus", [])],
         [("MUG-RED", "12.00", 5, {"Color": "Red"}), ("MUG-BLUE", "12.00", 7, {"Color": "Blue"})],
         "product SKUs with price, stock and attributes")
    st, doc = ss.admin("GET", "/api/admin/products/nope")
    c.eq(st, 404, "GET an unknown product")
    c.ok(is_error(doc, "not_found"), "unknown product: JSON error")

    # activity records the import
    st, doc = ss.admin("GET", "/api/admin/activity")
    acts = (doc or {}).get("activity", [])
    imp = [a for a in acts if a.get("reason") == "import" and a.get("sku") == "CANDLE-1"]
    c.ok(len(imp) == 1 and imp[0].get("stock") == 12 and imp[0].get("ref") == "candle",
         "activity has the import of CANDLE-1: %r" % (imp,))

    # PUT replaces: MUG-BLUE removed with its stock, MUG-GREEN added at 0,
    # MUG-RED keeps its stock when none is given
    put = {"title": "Mug v2", "skus": [{"sku": "MUG-RED", "price": "13.00"}, {"sku": "MUG-GREEN", "price": "13.00"}]}
    st, doc = ss.admin("PUT", "/api/admin/products/mug", put)
    c.eq(st, 200, "PUT replaces a product")
    c.eq((doc or {}).get("title"), "Mug v2", "PUT answers with the new product")
    c.eq([(s.get("sku"), s.get("stock")) for s in (doc or {}).get("skus", [])], [("MUG-RED", 5), ("MUG-GREEN", 0)],
         "PUT keeps stock of kept SKUs, new SKU starts at 0")
    st, _ = stock_of(ss, "MUG-BLUE")
    c.eq(st, 404, "SKU removed by PUT is gone from /api/stock")
    st, doc = ss.admin("POST", "/api/admin/stock/MUG-BLUE", {"set": 1})
    c.eq(st, 404, "removed SKU cannot be stocked")
    st, doc = ss.admin("PUT", "/api/admin/products/mug", {"id": "other", "title": "x",
                                                           "skus": [{"sku": "Z", "price": "1"}]})
    c.eq(st, 400, "PUT with a body id that differs from the URL")

    # a SKU that belongs to another product
    st, doc = ss.admin("PUT", "/api/admin/products/plate",
                       {"title": "Plate", "skus": [{"sku": "CANDLE-1", "price": "3.00"}]})
    c.eq(st, 409, "PUT with a SKU owned by another product")
    c.ok(is_error(doc, "conflict") and "CANDLE-1" in err_msg(doc) and "candle" in err_msg(doc),
         "conflict names the SKU and its owner: %r" % (doc,))
    st, _ = ss.admin("GET", "/api/admin/products/plate")
    c.eq(st, 404, "conflicting PUT created nothing")
    st, doc = ss.admin("POST", "/api/admin/products/import",
                       {"products": [{"id": "plate", "title": "Plate", "skus": [{"sku": "PLATE-1", "price": "3", "stock": 4}]},
                                     {"id": "bowl", "title": "Bowl", "skus": [{"sku": "MUG-RED", "price": "3"}]}]})
    c.eq(st, 409, "import with a SKU owned by another product")
    st, _ = stock_of(ss, "PLATE-1")
    c.eq(st, 404, "conflicting import wrote nothing (first product not imported)")

    # the SKU freed by the PUT can move to another product
    st, doc = ss.admin("PUT", "/api/admin/products/plate",
                       {"title": "Plate", "skus": [{"sku": "MUG-BLUE", "price": "3.00", "stock": 2}]})
    c.eq(st, 200, "a SKU removed from one product can be used by another")
    c.eq(stock_of(ss, "MUG-BLUE"), (200, 2), "re-used SKU has the new stock")

    st, doc = ss.admin("DELETE", "/api/admin/products/plate")
    c.eq(st, 200, "DELETE a product")
    c.eq(doc, {"deleted": True, "id": "plate"}, "DELETE body")
    st, _ = ss.admin("GET", "/api/admin/products/plate")
    c.eq(st, 404, "deleted product is gone")
    st, _ = stock_of(ss, "MUG-BLUE")
    c.eq(st, 404, "deleted product's SKU stock is gone")
    st, doc = ss.admin("DELETE", "/api/admin/products/plate")
    c.eq(st, 404, "DELETE again is 404")

    # an invalid catalog writes nothing
    before = product_summary(ss)
    bad = {"products": [
        {"id": "new-a", "title": "A", "skus": [{"sku": "NEWA-1", "price": "1.00", "stock": 3}]},
        {"id": "new-b", "title": "B", "skus": [{"sku": "NEWB-1", "price": "abc", "stock": 3}]}]}
    st, doc = ss.admin("POST", "/api/admin/products/import", bad)
    c.eq(st, 400, "invalid catalog is refused")
    c.ok(is_error(doc, "invalid_catalog"), "invalid catalog: JSON error code invalid_catalog")
    c.ok("products[1] (product new-b)" in err_msg(doc) and "price" in err_msg(doc),
         "message names product and field: %r" % err_msg(doc))
    c.eq(product_summary(ss), before, "invalid catalog left the product list unchanged")
    st, _ = stock_of(ss, "NEWA-1")
    c.eq(st, 404, "first (valid) product of an invalid catalog was not imported")
    st, doc = ss.admin("POST", "/api/admin/products/import", {"items": []})
    c.eq(st, 400, "catalog without a products list")

    # CLI import and stock
    path = os.path.join(workdir, "cli-catalog.json")
    with open(path, "w") as f:
        json.dump({"products": [{"id": "cli-prod", "title": "CLI", "skus": [
            {"sku": "CLI-1", "price": "2.50", "stock": 10}, {"sku": "CLI-2", "price": "2.50"}]}]}, f)
    r = ss.cli("import", path)
    c.eq(r.returncode, 0, "shopsync import FILE exit status (stderr %r)" % r.stderr)
    c.ok("imported 1 products, 2 SKUs" in r.stdout, "CLI import reports counts: %r" % r.stdout)
    c.eq(stock_of(ss, "CLI-1"), (200, 10), "CLI import visible through the API")
    c.eq(stock_of(ss, "CLI-2"), (200, 0), "CLI import: SKU without stock starts at 0")
    r = ss.cli("stock", "CLI-1", "--delta", "-2")
    c.eq(r.returncode, 0, "shopsync stock --delta -2 exit status")
    c.eq(r.stdout.strip(), "CLI-1 8", "shopsync stock --delta -2 output")
    r = ss.cli("stock", "CLI-1", "--set", "5")
    c.eq(r.returncode, 0, "shopsync stock --set 5 exit status")
    c.eq(r.stdout.strip(), "CLI-1 5", "shopsync stock --set 5 output")
    r = ss.cli("stock", "CLI-1")
    c.eq((r.returncode, r.stdout.strip()), (0, "CLI-1 5"), "shopsync stock SKU shows the stock")
    c.eq(stock_of(ss, "CLI-1"), (200, 5), "CLI stock change visible through the API")
    r = ss.cli("stock", "NOPE")
    c.ok(r.returncode != 0, "shopsync stock NOPE exits non-zero (%d)" % r.returncode)
    c.ok("NOPE" in r.stderr, "shopsync stock NOPE names the SKU: %r" % r.stderr)
    r = ss.cli("stock", "CLI-1", "--delta", "two")
    c.ok(r.returncode != 0, "shopsync stock --delta two exits non-zero")
    badpath = os.path.join(workdir, "bad-catalog.json")
    with open(badpath, "w") as f:
        json.dump({"products": [{"id": "cli-bad", "title": "X", "skus": [{"sku": "CB-1", "price": "0"}]}]}, f)
    r = ss.cli("import", badpath)
    c.ok(r.returncode != 0, "CLI import of an invalid catalog exits non-zero")
    c.ok("products[0] (product cli-bad)" in r.stderr, "CLI import error names the product: %r" % r.stderr)
    st, _ = ss.admin("GET", "/api/admin/products/cli-bad")
    c.eq(st, 404, "invalid CLI import wrote nothing")


def check_large_catalog(c, redis, workdir):
    """A realistic store: 100 products x 3 SKUs, and one product with the
    maximum of 100 SKUs. Runs on its own key prefix so a failure here cannot
    disturb the other sections."""
    ss = Shopsync(workdir, redis.url, name="large", extra_env={"SHOPSYNC_REDIS_PREFIX": "large:"}).start()
    try:
        example = os.path.join(SOURCE_DIR, "examples", "catalog.json")
        if os.path.isfile(example):
            with open(example) as f:
                ex = json.load(f)
            n_skus = sum(len(p["skus"]) for p in ex["products"])
            st, doc = ss.admin("POST", "/api/admin/products/import", ex)
            c.eq((st, doc), (200, {"imported": len(ex["products"]), "skus": n_skus}), "import examples/catalog.json")
            first = ex["products"][0]["skus"][0]
            c.eq(stock_of(ss, first["sku"]), (200, first.get("stock", 0)), "example catalog stock readable")
        else:
            print("# examples/catalog.json not present: skipped", flush=True)
        cat = {"products": [{"id": "p%03d" % i, "title": "P%d" % i,
                             "skus": [{"sku": "P%03d-%d" % (i, j), "price": "1.00", "stock": i + j} for j in range(3)]}
                            for i in range(100)]}
        st, doc = ss.admin("POST", "/api/admin/products/import", cat)
        c.eq((st, doc), (200, {"imported": 100, "skus": 300}), "import 100 products with 300 SKUs")
        st, doc = ss.admin("GET", "/api/admin/products")
        c.eq(st, 200, "list 100 products / 300 SKUs")
        # The example catalog imported above sorts after the p### products.
        prods = [p for p in (doc or {}).get("products") or [] if p.get("id", "").startswith("p")]
        ids = [p.get("id") for p in prods]
        c.ok(ids == ["p%03d" % i for i in range(100)], "large list: 100 products sorted by id (got %d: %r...)"
             % (len(ids), ids[:3]))
        stocks = [(s.get("sku"), s.get("stock")) for p in prods for s in p.get("skus", [])]
        c.ok(stocks == [("P%03d-%d" % (i, j), i + j) for i in range(100) for j in range(3)],
             "large list carries all 300 SKUs with their stock (got %d)" % len(stocks))
        c.eq(stock_of(ss, "P099-2"), (200, 101), "stock of the last SKU of a large import")

        wide = {"title": "Wide", "skus": [{"sku": "W-%03d" % j, "price": "2.00", "stock": j} for j in range(100)]}
        st, doc = ss.admin("PUT", "/api/admin/products/wide", wide)
        c.eq(st, 200, "PUT a product with the maximum of 100 SKUs")
        st, doc = ss.admin("GET", "/api/admin/products/wide")
        c.eq((st, len((doc or {}).get("skus") or [])), (200, 100), "GET a product with 100 SKUs")

        path = os.path.join(workdir, "large-catalog.json")
        with open(path, "w") as f:
            json.dump({"products": [{"id": "c%03d" % i, "title": "C", "skus": [{"sku": "C%03d" % i, "price": "1"}]}
                                    for i in range(80)]}, f)
        r = ss.cli("import", path)
        c.eq((r.returncode, r.stdout.strip()), (0, "imported 80 products, 80 SKUs"),
             "CLI import of 80 products (stderr %r)" % r.stderr)
    finally:
        ss.stop()


def check_stock(c, ss):
    st, doc = ss.admin("POST", "/api/admin/stock/CANDLE-1", {"set": 10})
    c.eq(st, 200, "stock set")
    c.eq(doc, {"sku": "CANDLE-1", "stock": 10, "applied": -2, "oversold": 0}, "stock set body")
    st, doc = ss.admin("POST", "/api/admin/stock/CANDLE-1", {"delta": -3})
    c.eq(doc, {"sku": "CANDLE-1", "stock": 7, "applied": -3, "oversold": 0}, "stock delta body")
    st, doc = ss.admin("POST", "/api/admin/stock/CANDLE-1", {"delta": 4})
    c.eq(doc, {"sku": "CANDLE-1", "stock": 11, "applied": 4, "oversold": 0}, "stock increment body")
    st, doc = ss.admin("POST", "/api/admin/stock/CANDLE-1", {"delta": -4})
    c.eq((st, (doc or {}).get("stock")), (200, 7), "stock back to 7")

    for body, what in (({"set": 1, "delta": 1}, "both set and delta"), ({}, "neither set nor delta"),
                       ({"set": "5"}, "set as a string"), ({"delta": 1.5}, "delta as a real"),
                       ({"set": None}, "set null"), ({"set": -1}, "negative set"),
                       ({"set": 1000000001}, "set over the maximum"), ({"delta": 1000000000}, "increment past the maximum")):
        st, doc = ss.admin("POST", "/api/admin/stock/CANDLE-1", body)
        c.eq(st, 400, "stock POST with %s" % what)
        c.ok(is_error(doc), "%s: JSON error" % what)
    c.eq(stock_of(ss, "CANDLE-1"), (200, 7), "refused stock changes left the stock alone")
    st, doc = ss.admin("POST", "/api/admin/stock/NO-SUCH", {"delta": -1})
    c.eq(st, 404, "stock POST for an unknown SKU")
    c.ok(is_error(doc, "not_found"), "unknown SKU: JSON error")
    st, doc = ss.admin("POST", "/api/admin/stock/NO-SUCH", {"set": 3})
    c.eq(st, 404, "stock set for an unknown SKU does not create it")
    c.eq(stock_of(ss, "NO-SUCH")[0], 404, "unknown SKU still unknown")

    # A seller's own decrement may not go below 0: an oversell is a sale
    # that asked for more than there was, not an edit.
    st, doc = ss.admin("POST", "/api/admin/stock/CANDLE-1", {"delta": -10})
    c.ok(st == 409 and is_error(doc, "insufficient_stock") and "has 7 in stock" in err_msg(doc),
         "an admin decrement past 0 is refused, naming the stock there is: %r" % (doc,))
    c.eq(stock_of(ss, "CANDLE-1"), (200, 7), "... and changes nothing")
    st, doc = ss.admin("POST", "/api/admin/stock/CANDLE-1", {"delta": -7})
    c.eq((st, doc), (200, {"sku": "CANDLE-1", "stock": 0, "applied": -7, "oversold": 0}), "a decrement to exactly 0")
    st, doc = ss.admin("POST", "/api/admin/stock/CANDLE-1", {"delta": -2})
    c.ok(st == 409 and is_error(doc, "insufficient_stock"), "a decrement at 0 is refused")
    c.eq(stock_of(ss, "CANDLE-1"), (200, 0), "stock is 0, not negative")

    st, doc = ss.admin("GET", "/api/admin/oversells")
    c.eq(st, 200, "GET /api/admin/oversells")
    c.eq((doc or {}).get("oversells"), [], "admin edits record no oversell")

    st, doc = ss.admin("GET", "/api/admin/activity?limit=4")
    c.eq(st, 200, "GET /api/admin/activity?limit=4")
    acts = (doc or {}).get("activity", [])
    c.eq([(a.get("sku"), a.get("delta"), a.get("stock"), a.get("reason")) for a in acts],
         [("CANDLE-1", -7, 0, "admin"), ("CANDLE-1", -4, 7, "admin"), ("CANDLE-1", 4, 11, "admin"),
          ("CANDLE-1", -3, 7, "admin")], "activity newest first with delta, stock and reason; refused edits not listed")
    ts = [a.get("ts") for a in acts]
    c.ok(all(isinstance(t, int) for t in ts) and ts == sorted(ts, reverse=True), "activity timestamps descend: %r" % ts)
    st, doc = ss.admin("GET", "/api/admin/activity?limit=0")
    c.eq(st, 400, "activity limit=0 refused")
    st, doc = ss.admin("GET", "/api/admin/activity?limit=abc")
    c.eq(st, 400, "activity limit=abc refused")
    ss.admin("POST", "/api/admin/stock/CANDLE-1", {"set": 12})
    check_idempotent_stock(c, ss)


def check_idempotent_stock(c, ss):
    """An edit repeated with its Idempotency-Key (its answer was lost) is
    applied once and answered with the first result."""
    def post(body, key):
        h = {"Authorization": "Bearer " + ADMIN_TOKEN}
        if key is not None:
            h["Idempotency-Key"] = key
        st, hdrs, data = request("POST", ss.base + "/api/admin/stock/CANDLE-1", body, h)
        return st, hdrs, json.loads(data) if data else None

    key = "edit-%d" % time.time_ns()
    st, h, first = post({"delta": -2}, key)
    c.eq((st, first, h.get("idempotent-replayed")), (200, {"sku": "CANDLE-1", "stock": 10, "applied": -2,
                                                            "oversold": 0}, None), "delta -2 with an Idempotency-Key")
    st, h, again = post({"delta": -2}, key)
    c.eq((st, again, h.get("idempotent-replayed")), (200, first, "true"),
         "the same edit and key again: the first answer, marked Idempotent-Replayed")
    c.eq(stock_of(ss, "CANDLE-1"), (200, 10), "applied once")
    st, h, doc = post({"delta": -3}, key)
    c.eq((st, (doc or {}).get("error", {}).get("code")), (409, "idempotency_key_reused"),
         "the key with another change: 409")
    st, h, doc = post({"set": 10}, key)
    c.eq(st, 409, "the key with a set instead of the delta: 409")
    for bad in ("", "a" * 65, "has space", "semi;colon", "ünïcode"):
        st, h, doc = post({"delta": -1}, bad)
        c.eq((st, (doc or {}).get("error", {}).get("code")), (400, "invalid_idempotency_key"),
             "Idempotency-Key %r refused" % bad)
    c.eq(stock_of(ss, "CANDLE-1"), (200, 10), "none of the refused edits changed the stock")
    st, h, doc = post({"set": 12}, key + "-b")
    c.eq((st, (doc or {}).get("stock")), (200, 12), "a set with a fresh key")
    acts = ss.admin("GET", "/api/admin/activity?limit=2")[1]["activity"]
    c.eq([(a.get("delta"), a.get("ref")) for a in acts], [(2, key + "-b"), (-2, key)],
         "activity: one entry per key, the key as its ref")
    # A repeat is answered from its record even where a first try would now
    # be refused: here the first try took the stock to the maximum.
    c.eq(post({"set": 999999999}, key + "-c")[0], 200, "stock one below the maximum")
    st, h, top = post({"delta": 1}, key + "-d")
    c.eq((st, (top or {}).get("stock")), (200, 1000000000), "+1 with a key reaches the maximum")
    st, h, again = post({"delta": 1}, key + "-d")
    c.eq((st, again, h.get("idempotent-replayed")), (200, top, "true"),
         "its repeat is replayed, not refused as passing the maximum")
    c.eq(post({"set": 12}, key + "-e")[0], 200, "stock back to 12")


def check_malformed(c, ss):
    base = ss.base
    url = base + "/api/admin/stock/CANDLE-1"
    hj = dict(BEARER, **{"Content-Type": "application/json"})
    st, doc = jrequest("POST", url, '{"set":', headers=hj)
    c.eq(st, 400, "invalid JSON")
    c.ok(is_error(doc, "invalid_json"), "invalid JSON: code invalid_json")
    st, doc = jrequest("POST", url, '{"set":1,"set":2}', headers=hj)
    c.eq(st, 400, "duplicate keys")
    c.ok(is_error(doc, "invalid_json") and "duplicate" in err_msg(doc), "duplicate keys: invalid_json naming duplicate")
    st, doc = jrequest("POST", url, '{"set":' + "[" * 100 + "]" * 100 + "}", headers=hj)
    c.eq(st, 400, "100 levels of nesting")
    c.ok(is_error(doc, "invalid_json"), "deep nesting: invalid_json")
    st, doc = jrequest("POST", url, "", headers=hj)
    c.eq(st, 400, "empty JSON body")
    st, doc = jrequest("POST", url, "[1]", headers=hj)
    c.eq(st, 400, "a JSON array where an object is expected")
    st, doc = jrequest("POST", url, '{"set":1} trailing', headers=hj)
    c.eq(st, 400, "trailing garbage after JSON")
    st, doc = jrequest("POST", url, '{"set":3}', headers=dict(BEARER, **{"Content-Type": "text/plain"}))
    c.eq(st, 415, "text/plain on a JSON route")
    c.ok(is_error(doc, "unsupported_media_type"), "415: JSON error")
    st, doc = jrequest("POST", url, "set=3", headers=dict(BEARER, **{"Content-Type": "application/x-www-form-urlencoded"}))
    c.eq(st, 415, "form body on a JSON route")
    st, doc = jrequest("POST", url, '{"set":3}', headers=dict(BEARER, **{"Content-Type": "application/json; charset=utf-8"}))
    c.eq(st, 200, "application/json with a charset is accepted")
    c.eq(stock_of(ss, "CANDLE-1"), (200, 3), "none of the malformed requests changed the stock")

    # body size cap: exactly 1 MiB is read, 1 MiB + 1 declared is 413
    body = '{"set":4}'
    body += " " * (MIB - len(body))
    st, doc = jrequest("POST", url, body, headers=hj)
    c.eq(st, 200, "a body of exactly 1 MiB is accepted")
    c.eq(stock_of(ss, "CANDLE-1"), (200, 4), "1 MiB body applied")
    req = ("POST /api/admin/stock/CANDLE-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
           "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (ADMIN_TOKEN, MIB + 1))
    st, h, data = raw_http(ss.port, req.encode())
    c.eq(st, 413, "Content-Length of 1 MiB + 1")
    try:
        doc = json.loads(data)
    except ValueError:
        doc = None
    c.ok(is_error(doc, "payload_too_large"), "413: JSON error: %r" % data[:200])
    req = ("POST /api/admin/products/import HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
           "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (ADMIN_TOKEN, 50 * MIB))
    st, h, data = raw_http(ss.port, req.encode())
    c.eq(st, 413, "Content-Length of 50 MiB on import")

    st, doc = jrequest("GET", base + "/no/such/route")
    c.eq(st, 404, "unknown route")
    c.ok(is_error(doc, "not_found"), "unknown route: JSON error")
    st, doc = jrequest("DELETE", base + "/healthz")
    c.eq(st, 405, "DELETE /healthz")
    c.ok(is_error(doc, "method_not_allowed"), "405: JSON error")
    st, doc = jrequest("POST", base + "/api/stock/CANDLE-1", {"set": 1})
    c.eq(st, 405, "POST on the public stock route")
    c.eq(stock_of(ss, "CANDLE-1"), (200, 4), "public POST changed nothing")
    st, doc = jrequest("GET", base + "/api/admin/products/import", headers=BEARER)
    c.eq(st, 405, "GET /api/admin/products/import (import is POST only)")
    c.ok(is_error(doc, "method_not_allowed"), "GET on the import route: method_not_allowed JSON error: %r" % (doc,))

    # path traversal through /static
    web = os.path.join(SOURCE_DIR, "web")
    if os.path.isfile(os.path.join(web, "app.js")):
        st, h, data = request("GET", base + "/static/app.js")
        c.eq(st, 200, "a real static file is served (so the 404s below mean something)")
    # the page's ES modules (web/js/), imported by /static/app.js
    with open(os.path.join(web, "js", "core.js"), "rb") as f:
        core_js = f.read()
    st, h, data = request("GET", base + "/static/js/core.js")
    c.eq((st, h.get("content-type"), data == core_js), (200, "text/javascript; charset=utf-8", True),
         "/static/js/core.js: web/js/core.js as JavaScript (a module script needs that type)")
    for path in ("/static/js/no-such-module.js", "/static/js/.hidden", "/static/js/app.js",
                 "/static/js/%2e%2e%2f%2e%2e%2fCMakeLists.txt", "/static/js/"):
        st, h, data = raw_http(ss.port, ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % path).encode())
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None
        c.ok(st == 404 and is_error(doc, "not_found"), "%s: 404 not_found, no file contents: %d %r" % (path, st, data[:120]))
    for path in ("/static/../../etc/passwd", "/static/..%2f..%2f..%2fetc%2fpasswd",
                 "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/static/%2e%2e/%2e%2e/etc/passwd",
                 "/static/%252e%252e%252f%252e%252e%252fetc%252fpasswd", "/static/..%5c..%5cetc%5cpasswd",
                 "/static/.htaccess", "/static/%2fetc%2fpasswd", "/static/....//....//etc/passwd"):
        st, h, data = raw_http(ss.port, ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % path).encode())
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None
        c.eq(st, 404, "%s answered 404" % path)
        c.ok(is_error(doc, "not_found"), "%s: JSON not_found error, no file contents: %r" % (path, data[:120]))

    # a stalled client is dropped and does not block others
    stalled_body = socket.create_connection(("127.0.0.1", ss.port), timeout=45)
    stalled_body.sendall(("POST /api/admin/stock/CANDLE-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                          "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"set\":" % ADMIN_TOKEN).encode())
    stalled_head = socket.create_connection(("127.0.0.1", ss.port), timeout=45)
    stalled_head.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    t0 = time.time()
    time.sleep(0.5)
    st, _, _ = request("GET", base + "/healthz", timeout=5)
    c.eq(st, 200, "/healthz served while two clients stall")
    c.eq(stock_of(ss, "CANDLE-1"), (200, 4), "stock read served while two clients stall")

    def wait_closed(s):
        try:
            while True:
                d = s.recv(4096)
                if not d:
                    return time.time() - t0
        except (ConnectionResetError, socket.timeout) as e:
            return time.time() - t0 if isinstance(e, ConnectionResetError) else None

    results = {}
    ths = [threading.Thread(target=lambda k=k, s=s: results.__setitem__(k, wait_closed(s)))
           for k, s in (("body", stalled_body), ("head", stalled_head))]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    stalled_body.close()
    stalled_head.close()
    # request_timeout_ms is 10 s; civetweb answers a stalled body with a 400
    # after ~20 s and closes after ~30 s, a stalled header block after ~10 s.
    for k, limit in (("body", 40), ("head", 20)):
        c.ok(results.get(k) is not None and results[k] < limit,
             "client stalled in the %s is disconnected within %d s (after %s s)" % (k, limit, results.get(k)))
    c.eq(stock_of(ss, "CANDLE-1"), (200, 4), "the stalled partial body changed nothing")


def check_redis_outage(c, ss, redis, workdir):
    before = stock_of(ss, "CANDLE-1")
    c.eq(before[0], 200, "stock readable before the outage")
    redis.stop()
    st, doc = jrequest("GET", ss.base + "/readyz")
    c.eq(st, 503, "/readyz with Redis down")
    c.ok(is_error(doc, "redis_unavailable"), "/readyz 503 body names redis_unavailable: %r" % (doc,))
    st, doc = jrequest("GET", ss.base + "/healthz")
    c.eq(st, 200, "/healthz stays 200 with Redis down (liveness)")
    for method, path, body in (("GET", "/api/admin/products", None), ("GET", "/api/admin/stock/CANDLE-1", None),
                               ("POST", "/api/admin/stock/CANDLE-1", {"delta": -1}),
                               ("POST", "/api/admin/products/import", CATALOG),
                               ("GET", "/api/admin/activity", None)):
        st, doc = ss.admin(method, path, body)
        c.eq(st, 503, "%s %s with Redis down" % (method, path))
        c.ok(is_error(doc), "%s %s 503: JSON error {code,message}: %r" % (method, path, doc))
    st, doc = jrequest("GET", ss.base + "/api/stock/CANDLE-1")
    c.eq(st, 503, "public stock with Redis down")
    c.ok(is_error(doc), "public stock 503: JSON error")
    st, doc = jrequest("POST", ss.base + "/api/admin/login", {"token": ADMIN_TOKEN})
    c.eq(st, 503, "login with Redis down")

    again = Redis(workdir, port=redis.port).start()
    try:
        wait_until(lambda: request("GET", ss.base + "/readyz")[0] == 200, timeout=15, what="readyz back to 200")
        c.ok(True, "/readyz recovers to 200 after Redis restarts on the same port")
    except AssertionError as e:
        c.ok(False, str(e))
    c.eq(stock_of(ss, "CANDLE-1"), before, "stock reads work again, data survived (AOF)")
    st, doc = ss.admin("POST", "/api/admin/stock/CANDLE-1", {"delta": -1})
    c.eq((st, (doc or {}).get("stock")), (200, before[1] - 1), "stock writes work again")
    return again


def check_config_errors(c, workdir):
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("SHOPSYNC_", "TIKTOK_", "STRIPE_")) and k != "REDIS_URL"}
    base_env.update({"SHOPSYNC_LISTEN": "127.0.0.1:%d" % harness.free_port(),
                     "SHOPSYNC_DATA_DIR": os.path.join(workdir, "data-config"),
                     "REDIS_URL": "redis://127.0.0.1:%d/0" % harness.free_port()})

    def run(extra, *args):
        env = dict(base_env)
        env.update(extra)
        for k in [k for k, v in env.items() if v is None]:
            del env[k]
        try:
            return subprocess.run([SHOPSYNC_BIN] + list(args), env=env, capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            return None

    r = run({"SHOPSYNC_SECRET_KEY": SECRET_KEY}, "serve")
    c.ok(r is not None and r.returncode != 0, "serve without SHOPSYNC_ADMIN_TOKEN exits non-zero")
    c.ok(r is not None and "SHOPSYNC_ADMIN_TOKEN" in r.stderr, "message names SHOPSYNC_ADMIN_TOKEN: %r" % (r and r.stderr))
    r = run({"SHOPSYNC_ADMIN_TOKEN": ADMIN_TOKEN, "SHOPSYNC_SECRET_KEY": "abc123"}, "serve")
    c.ok(r is not None and r.returncode != 0, "serve with a bad SHOPSYNC_SECRET_KEY exits non-zero")
    c.ok(r is not None and "SHOPSYNC_SECRET_KEY" in r.stderr, "message names SHOPSYNC_SECRET_KEY: %r" % (r and r.stderr))
    r = run({"SHOPSYNC_ADMIN_TOKEN": ADMIN_TOKEN}, "serve")
    c.ok(r is not None and r.returncode != 0 and "SHOPSYNC_SECRET_KEY" in r.stderr,
         "serve without SHOPSYNC_SECRET_KEY exits non-zero naming it")
    r = run({"SHOPSYNC_ADMIN_TOKEN": ADMIN_TOKEN, "SHOPSYNC_SECRET_KEY": SECRET_KEY, "SHOPSYNC_WORKERS": "many",
             "REDIS_URL": "http://localhost"}, "serve")
    c.ok(r is not None and r.returncode != 0 and "SHOPSYNC_WORKERS" in r.stderr and "REDIS_URL" in r.stderr,
         "several bad variables are all named: %r" % (r and r.stderr))
    r = run({}, "--version")
    c.ok(r is not None and r.returncode == 0, "--version exits 0")
    c.ok(r is not None and re.fullmatch(r"shopsync \d+\.\d+\.\d+\n", r.stdout) is not None,
         "--version prints the version: %r" % (r and r.stdout))
    r = run({}, "--help")
    c.ok(r is not None and r.returncode == 0, "--help exits 0")
    c.ok(r is not None and "usage: shopsync" in r.stdout and "import FILE" in r.stdout, "--help prints usage")
    r = run({}, "frobnicate")
    c.ok(r is not None and r.returncode != 0 and "frobnicate" in r.stderr, "an unknown command exits non-zero naming it")


def check_sigterm(c, ss):
    # an idle keep-alive connection must not hold up the shutdown
    conn = socket.create_connection(("127.0.0.1", ss.port), timeout=10)
    conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    conn.recv(4096)
    t0 = time.time()
    rc = None
    try:
        rc = ss.stop(signal.SIGTERM)
    except AssertionError as e:
        c.ok(False, str(e))
    elapsed = time.time() - t0
    conn.close()
    c.eq(rc, 0, "SIGTERM: exit status")
    # About 2.4 s here in both builds; 10 s leaves room for a loaded machine.
    c.ok(elapsed < 10, "SIGTERM: exited within 10 s (%.2f s, with an idle keep-alive connection open)" % elapsed)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie still answers kill(0): look at its state
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def check_embedded(c, workdir):
    ss = Shopsync(workdir, "", name="embedded")
    data_dir = ss.env["SHOPSYNC_DATA_DIR"]
    c.ok(not os.path.exists(data_dir), "embedded: the data dir starts fresh")
    sock = os.path.join(data_dir, "redis.sock")
    pid = None
    try:
        ss.start()
        c.ok(os.path.exists(sock), "embedded: redis.sock in the data dir")
        c.ok(os.path.isdir(os.path.join(data_dir, "appendonlydir")), "embedded: appendonlydir created (AOF on)")
        m = re.search(r"started redis-server \(pid (\d+)\)", ss.proc.output())
        c.ok(m is not None, "embedded: log names the redis-server pid")
        pid = int(m.group(1)) if m else None
        c.ok(pid is not None and pid_alive(pid), "embedded: redis-server child is running")
        st, doc = jrequest("GET", ss.base + "/readyz")
        c.eq(st, 200, "embedded: /readyz")
        st, doc = ss.admin("POST", "/api/admin/products/import",
                           {"products": [{"id": "emb", "title": "E", "skus": [{"sku": "EMB-1", "price": "1", "stock": 9}]}]})
        c.eq((st, doc), (200, {"imported": 1, "skus": 1}), "embedded: import via the API")
        c.eq(stock_of(ss, "EMB-1"), (200, 9), "embedded: stock read")
        r = ss.cli("stock", "EMB-1", "--delta", "-1")
        c.eq((r.returncode, r.stdout.strip()), (0, "EMB-1 8"), "embedded: CLI uses the running embedded Redis")
        t0 = time.time()
        rc = ss.stop()
        elapsed = time.time() - t0
        c.eq(rc, 0, "embedded: SIGTERM exit status")
        c.ok(elapsed < 10, "embedded: stopped within 10 s (%.2f s)" % elapsed)
        c.ok(pid is not None and not pid_alive(pid), "embedded: redis-server child is gone after SIGTERM")
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(sock)
            held = True
        except OSError:
            held = False
        finally:
            s.close()
        c.ok(not held, "embedded: nothing listens on redis.sock any more")

        # the data survives a restart of the whole thing
        ss2 = Shopsync(workdir, "", name="embedded")
        ss2.start()
        try:
            c.eq(stock_of(ss2, "EMB-1"), (200, 8), "embedded: data survives a restart (AOF)")
        finally:
            m2 = re.findall(r"started redis-server \(pid (\d+)\)", ss2.proc.output())
            c.eq(ss2.stop(), 0, "embedded: second run stops cleanly")
            if m2:
                c.ok(not pid_alive(int(m2[-1])), "embedded: second redis-server child gone")
    finally:
        if ss.proc.alive():
            ss.proc.stop(signal.SIGKILL)
        if pid and pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


# Sections, for `python3 test_foundation.py SECTION [SECTION ...]` (none: all);
# auth, stock, malformed and redis_outage work on the catalog section's SKUs.
SECTIONS = [
    "health", "catalog", "example_and_large_catalogs", "auth", "stock", "malformed", "redis_outage",
    "config_errors", "sigterm", "embedded_redis",
]
NEEDS = {"auth": ["catalog"], "stock": ["catalog"], "malformed": ["catalog"], "redis_outage": ["catalog"]}


def main():
    want = harness.selected_sections(SECTIONS, NEEDS)
    c = Checks("test_foundation")
    tmp = TempDir()
    redis = Redis(tmp.path).start()
    ss = None
    t_start = time.time()

    def section(name, fn, *args):
        # Only the sections asked for on the command line (all without one).
        key = name.replace(" ", "_")
        assert key in SECTIONS, key
        return c.section(name, fn, *args) if key in want else None

    try:
        ss = Shopsync(tmp.path, redis.url).start()
        section("health", check_health, ss)
        section("catalog", check_catalog, ss, tmp.path)
        section("example and large catalogs", check_large_catalog, redis, tmp.path)
        section("auth", check_auth, ss)
        section("stock", check_stock, ss)
        section("malformed", check_malformed, ss)
        again = section("redis outage", check_redis_outage, ss, redis, tmp.path)
        if again is not None:
            redis = again
        section("config errors", check_config_errors, tmp.path)
        section("sigterm", check_sigterm, ss)
        section("embedded redis", check_embedded, tmp.path)
    finally:
        teardown(c, ss, redis, tmp)
    print("# total: %.1f s" % (time.time() - t_start), flush=True)
    c.done()


if __name__ == "__main__":
    main()
