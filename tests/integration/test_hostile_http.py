"""Hostile HTTP integration test: a table of malformed requests sent over raw
sockets to the real shopsync (against a real redis-server). Each row names
the status it must get (None: the server closes the connection without an
answer) and is followed by a /healthz check that the service is still up.
Then the cases that need more than one request: chunked bodies that must be
applied, a truncated body whose client goes away, a slow client that must
not hold up others and is cut off, idle kept-alive connections that must
not hold up a webhook, and catalog type errors that must name the field.

Expected codes follow the current behaviour where the protocol leaves a
choice (civetweb answers some requests itself); a 5xx or a crash is always a
failure. test_foundation.py covers the basic malformed-JSON, 413-by-header,
405 and /static traversal cases; this file extends them.
"""
import json
import os
import re
import signal
import socket
import sys
import threading
import time

import harness
from harness import teardown, ADMIN_TOKEN, SOURCE_DIR, Checks, Redis, Shopsync, TempDir, jrequest, request

MIB = 1024 * 1024
TOKEN = ADMIN_TOKEN.encode()
CLOSE = b"Connection: close\r\n"
# Content that must never appear in an answer: files outside web/.
LEAK_MARKERS = (b"root:x:0:0", b"cmake_minimum_required", b"add_subdirectory", b"#include", b"[core]")


def raw_http(port, data, timeout=30.0, shut_write=False):
    """Send raw bytes (the server may stop reading early), then read until
    the server closes or one response with a Content-Length is complete.
    Returns (status or None, headers, body)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    buf = b""
    try:
        try:
            s.sendall(data)
            if shut_write:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading it all
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
                m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                if m and len(body) >= int(m.group(1)):
                    break
    finally:
        s.close()
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    m = re.match(rb"HTTP/\d\.\d (\d{3})", lines[0]) if lines and lines[0] else None
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(b":")
        hdrs[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    return (int(m.group(1)) if m else None), hdrs, body


def err_code(body):
    try:
        return json.loads(body)["error"]["code"]
    except (ValueError, TypeError, KeyError):
        return None


def err_msg(body):
    try:
        return json.loads(body)["error"]["message"]
    except (ValueError, TypeError, KeyError):
        return ""


def chunked(body, size):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


def post(path, body, extra=b"", auth=True, content_type=b"application/json", length=None):
    """A raw POST with Content-Length (length overrides it)."""
    head = b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if auth:
        head += b"Authorization: Bearer " + TOKEN + b"\r\n"
    if content_type:
        head += b"Content-Type: " + content_type + b"\r\n"
    head += b"Content-Length: %d\r\n" % (len(body) if length is None else length)
    return head + extra + CLOSE + b"\r\n" + body


def post_chunked(path, body, size=65536, auth=True):
    head = b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if auth:
        head += b"Authorization: Bearer " + TOKEN + b"\r\nContent-Type: application/json\r\n"
    return head + b"Transfer-Encoding: chunked\r\n" + CLOSE + b"\r\n" + chunked(body, size)


def get(path, extra=b""):
    return b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + CLOSE + b"\r\n"


def tiktok_signed(body):
    return b"Authorization: " + harness.tiktok_webhook_signature(body).encode() + b"\r\n"


def table():
    """(name, raw request, expected status, expected error code or None[,
    half-close after sending])."""
    big = b'{"products":[],"pad":"' + b"a" * (MIB + 16) + b'"}'
    over = b"x" * (MIB + 1)
    deep = b'{"products":' + b"[" * 1000 + b"]" * 1000 + b"}"
    deep_hook = b'{"tts_notification_id":"1","data":' + b"[" * 1000 + b"]" * 1000 + b"}"
    dup_hook = b'{"tts_notification_id":"1","tts_notification_id":"2"}'
    bad_utf8 = b'{"products":[{"id":"u","title":"\xff\xfe caf\xc3","skus":[{"sku":"U-1","price":"1.00"}]}]}'
    overlong = b'{"products":[{"id":"u","title":"\xc0\xaf","skus":[{"sku":"U-1","price":"1.00"}]}]}'
    surrogate = b'{"products":[{"id":"u","title":"\xed\xa0\x80","skus":[{"sku":"U-1","price":"1.00"}]}]}'
    lone_escape = b'{"products":[{"id":"u","title":"\\ud800","skus":[{"sku":"U-1","price":"1.00"}]}]}'
    imp = b"/api/admin/products/import"
    rows = [
        # methods
        ("unknown method FOO /healthz", b"FOO /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + CLOSE + b"\r\n", 400, None),
        ("TRACE /healthz", b"TRACE /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + CLOSE + b"\r\n", 400, None),
        ("lower-case method get", b"get /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + CLOSE + b"\r\n", 400, None),
        ("control byte in the method", b"G\x01T /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + CLOSE + b"\r\n", 400, None),
        ("PATCH /api/admin/products with the token",
         b"PATCH /api/admin/products HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN + b"\r\n" +
         CLOSE + b"\r\n", 405, "method_not_allowed"),
        ("PATCH /api/admin/products without a token",
         b"PATCH /api/admin/products HTTP/1.1\r\nHost: 127.0.0.1\r\n" + CLOSE + b"\r\n", 405, "method_not_allowed"),
        ("OPTIONS /healthz", b"OPTIONS /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + CLOSE + b"\r\n", 405,
         "method_not_allowed"),
        ("CONNECT /healthz", b"CONNECT /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + CLOSE + b"\r\n", 405,
         "method_not_allowed"),
        ("PUT on a webhook", b"PUT /api/stripe/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n" +
         CLOSE + b"\r\n{}", 405, "method_not_allowed"),
        # request line and headers
        ("HTTP/0.9 request line", b"GET /healthz\r\n\r\n", 400, None),
        ("absolute-form URI to another host", b"GET http://evil.example/static/../../CMakeLists.txt HTTP/1.1\r\n"
         b"Host: evil.example\r\n" + CLOSE + b"\r\n", None, None),
        ("request line of 20 KiB", get(b"/static/" + b"a" * 20000), 400, None),
        ("one header line of 64 KiB", get(b"/healthz", b"X-Big: " + b"a" * 65536 + b"\r\n"), 400, None),
        ("200 headers", get(b"/healthz", b"".join(b"X-H%d: v\r\n" % i for i in range(200))), 200, None),
        ("200 headers before the admin token (headers past civetweb's 64 are dropped)",
         get(b"/api/admin/products", b"".join(b"X-H%d: v\r\n" % i for i in range(200)) +
             b"Authorization: Bearer " + TOKEN + b"\r\n"), 401, "unauthorized"),
        ("raw NUL byte in the path", b"GET /static/app.js\x00.png HTTP/1.1\r\nHost: 127.0.0.1\r\n" + CLOSE + b"\r\n",
         400, None),
        ("%00 as the static file name", get(b"/static/%00"), 404, "not_found"),
        ("%00 after an admin path, no token", get(b"/api/admin/products%00"), 401, "unauthorized"),
        ("Content-Length -1", post(b"/api/stripe/webhook", b"{}", auth=False, content_type=None, length=-1), 411, None),
        ("Content-Length abc", post(b"/api/stripe/webhook", b"{}", auth=False, content_type=None)
         .replace(b"Content-Length: 2", b"Content-Length: abc"), 411, None),
        ("Transfer-Encoding gzip", b"POST /api/stripe/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         b"Transfer-Encoding: gzip\r\n" + CLOSE + b"\r\n{}", 400, None),
        # body caps (413) on a JSON route and on both webhooks, body actually sent
        ("1 MiB + 1 body sent to the import route", post(imp, over), 413, "payload_too_large"),
        ("1 MiB + 1 body sent to the TikTok webhook", post(b"/api/tiktok/webhook", over, auth=False), 413,
         "payload_too_large"),
        ("1 MiB + 1 body sent to the Stripe webhook", post(b"/api/stripe/webhook", over, auth=False), 413,
         "payload_too_large"),
        ("Content-Length of 1 MiB + 1 on the TikTok webhook, no body",
         post(b"/api/tiktok/webhook", b"", auth=False, length=MIB + 1), 413, "payload_too_large"),
        ("Content-Length of 1 MiB + 1 on the Stripe webhook, no body",
         post(b"/api/stripe/webhook", b"", auth=False, length=MIB + 1), 413, "payload_too_large"),
        # chunked bodies
        ("chunked body over 1 MiB on the import route", post_chunked(imp, big), 413, "payload_too_large"),
        ("chunked body over 1 MiB on the TikTok webhook", post_chunked(b"/api/tiktok/webhook", big, auth=False), 413,
         "payload_too_large"),
        ("chunked body over 1 MiB on the Stripe webhook", post_chunked(b"/api/stripe/webhook", big, auth=False), 413,
         "payload_too_large"),
        ("chunk size not hex", post_chunked(imp, b"").replace(b"0\r\n\r\n", b"zz\r\nabc\r\n0\r\n\r\n"), 400,
         "bad_request"),
        ("negative chunk size", post_chunked(imp, b"").replace(b"0\r\n\r\n", b"-5\r\nabc\r\n0\r\n\r\n"), 400,
         "bad_request"),
        ("chunk size of 18 hex digits", post_chunked(imp, b"").replace(b"0\r\n\r\n", b"ffffffffffffffffff\r\nabc\r\n0\r\n\r\n"),
         400, "bad_request"),
        ("chunk shorter than its size", post_chunked(imp, b"").replace(b"0\r\n\r\n", b"10\r\nabc\r\n0\r\n\r\n"), 400,
         "bad_request"),
        ("chunk without its CRLF", post_chunked(imp, b"").replace(b"0\r\n\r\n", b"3\r\nabcXY"), 400, "bad_request"),
        # civetweb 1.15 does not parse chunk extensions (RFC 9112 says to
        # ignore them): refused as an unreadable body, not a crash.
        ("chunk extension", post_chunked(imp, b"").replace(b"0\r\n\r\n", b"f;ext=1\r\n{\"products\":[]}\r\n0\r\n\r\n"),
         400, "bad_request"),
        # truncated body: Content-Length 100, 10 bytes, then the client stops sending
        ("Content-Length 100 with 10 bytes then half-close", post(imp, b'{"products', length=100), 400, "bad_request",
         True),
        # JSON that must be refused before any handler logic
        ("invalid UTF-8 in a JSON string", post(imp, bad_utf8), 400, "invalid_json"),
        ("overlong UTF-8 encoding of '/'", post(imp, overlong), 400, "invalid_json"),
        ("UTF-8-encoded surrogate", post(imp, surrogate), 400, "invalid_json"),
        ("lone \\ud800 escape", post(imp, lone_escape), 400, "invalid_json"),
        ("JSON nested 1000 levels on the import route", post(imp, deep), 400, "invalid_json"),
        ("duplicate keys on the import route", post(imp, b'{"products":[],"products":[]}'), 400, "invalid_json"),
        ("duplicate keys in a nested product",
         post(imp, b'{"products":[{"id":"a","id":"b","title":"T","skus":[{"sku":"S","price":"1"}]}]}'), 400,
         "invalid_json"),
        ("NUL escape in a JSON string", post(imp, b'{"products":[{"id":"a\\u0000b","title":"T","skus":[]}]}'), 400,
         "invalid_json"),
        ("signed TikTok webhook nested 1000 levels",
         post(b"/api/tiktok/webhook", deep_hook, extra=tiktok_signed(deep_hook), auth=False, content_type=None), 400,
         "invalid_json"),
        ("signed TikTok webhook with duplicate keys",
         post(b"/api/tiktok/webhook", dup_hook, extra=tiktok_signed(dup_hook), auth=False, content_type=None), 400,
         "invalid_json"),
        # hostile signature headers
        ("TikTok relay timestamp -2^63 (signed overflow before the fix)",
         post(b"/api/tiktok/webhook", b"{}", extra=b"x-tiktok-shop-timestamp: -9223372036854775808\r\n"
              b"x-tiktok-shop-signature: " + b"0" * 64 + b"\r\n", auth=False, content_type=None), 401, None),
        ("TikTok relay timestamp 2^63 - 1",
         post(b"/api/tiktok/webhook", b"{}", extra=b"x-tiktok-shop-timestamp: 9223372036854775807\r\n"
              b"x-tiktok-shop-signature: " + b"0" * 64 + b"\r\n", auth=False, content_type=None), 401, None),
        # civetweb refuses header values with control bytes itself.
        ("TikTok signature with control bytes for digits",
         post(b"/api/tiktok/webhook", b"{}", extra=b"Authorization: " + bytes(
             c - 0x20 if 0x30 <= c <= 0x39 else c for c in harness.tiktok_webhook_signature(b"{}").encode()) + b"\r\n",
              auth=False, content_type=None), 400, None),
        ("Stripe-Signature of 9 KiB", post(b"/api/stripe/webhook", b"{}", extra=b"Stripe-Signature: t=1," +
                                            b"v1=ab," * 1500 + b"\r\n", auth=False, content_type=None), 400,
         "invalid_signature"),
        ("Stripe-Signature with t = 10^19", post(b"/api/stripe/webhook", b"{}",
                                                 extra=b"Stripe-Signature: t=10000000000000000000,v1=" + b"0" * 64 +
                                                 b"\r\n", auth=False, content_type=None), 400, "invalid_signature"),
    ]
    # non-UTF-8 in an error message (the decoded path is quoted): the 404
    # stays a 404 (it was a 500 when a long message was cut inside a
    # character or the path held raw bytes)
    rows.append(("404 for a path of 400 two-byte characters", get(b"/x/" + b"%C3%A9" * 400), 404, "not_found"))
    rows.append(("404 for a path with the bytes C0 AE", get(b"/x/%c0%ae"), 404, "not_found"))
    rows.append(("405 for a path with the byte FF", b"PUT /static/%ff HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Length: 0\r\n" + CLOSE + b"\r\n", 405, "method_not_allowed"))
    # path traversal and dot files on the static routes: 404, never content
    for path in (b"/static/../../../../etc/passwd", b"/static/..%2f..%2fetc%2fpasswd", b"/static/%2e%2e/README.md",
                 b"/static/.hidden", b"/admin/../CMakeLists.txt", b"/static/%2e%2e%2fCMakeLists.txt",
                 b"/static/..%5c..%5cCMakeLists.txt", b"/static/..\\..\\CMakeLists.txt",
                 b"/static/%252e%252e%252fCMakeLists.txt", b"/static/.git%2fconfig", b"/static//etc/passwd",
                 b"/static/app.js/../../CMakeLists.txt", b"/static/%c0%ae%c0%ae/CMakeLists.txt"):
        rows.append(("GET %s" % path.decode(), get(path), 404, "not_found"))
    return rows


def check_table(c, ss):
    for name, data, want, code, *shut in table():
        try:
            st, h, body = raw_http(ss.port, data, shut_write=bool(shut and shut[0]))
        except OSError as e:
            st, h, body = "error %r" % e, {}, b""
        c.eq(st, want, "%s: status" % name)
        if code is not None:
            c.eq(err_code(body), code, "%s: JSON error code" % name)
        c.ok(not any(m in body for m in LEAK_MARKERS), "%s: no file content in the answer" % name)
        st, _, _ = request("GET", ss.base + "/healthz", timeout=10)
        c.eq(st, 200, "%s: /healthz still 200 afterwards" % name)


def check_nul_paths(c, ss):
    # civetweb decodes %00 and the path ends there: the part before the NUL
    # is what gets served, which is a public file of web/ or nothing.
    with open(os.path.join(SOURCE_DIR, "web", "app.js"), "rb") as f:
        app_js = f.read()
    with open(os.path.join(SOURCE_DIR, "web", "index.html"), "rb") as f:
        index = f.read()
    st, h, body = raw_http(ss.port, get(b"/static/app.js%00.png"))
    c.eq((st, body == app_js), (200, True), "/static/app.js%00.png serves web/app.js (name cut at the NUL)")
    c.eq(h.get("content-type"), "text/javascript; charset=utf-8", "/static/app.js%00.png: type of app.js, not png")
    st, h, body = raw_http(ss.port, get(b"/admin/tiktok-shop%00../../CMakeLists.txt"))
    c.eq((st, body == index), (200, True), "/admin/tiktok-shop%00../../CMakeLists.txt serves only the admin page")
    st, h, body = raw_http(ss.port, get(b"/static/..%00/etc/passwd"))
    c.eq((st, h.get("location")), (302, "/admin/tiktok-shop"), "/static/..%00/etc/passwd is / (redirect)")
    c.eq(request("GET", ss.base + "/healthz")[0], 200, "NUL paths: /healthz still 200")


def check_chunked_import(c, ss):
    cat = json.dumps({"products": [{"id": "chunk", "title": "Chunked", "skus": [
        {"sku": "CH-1", "price": "1.00", "stock": 3}, {"sku": "CH-2", "price": "2.00", "stock": 9}]}]}).encode()
    st, h, body = raw_http(ss.port, post_chunked(b"/api/admin/products/import", cat, size=7))
    c.eq(st, 200, "valid chunked JSON (7-byte chunks) to the import route")
    c.eq(json.loads(body or b"null"), {"imported": 1, "skus": 2}, "chunked import counts")
    c.eq(jrequest("GET", ss.base + "/api/stock/CH-2"), (200, {"sku": "CH-2", "stock": 9}), "chunked import applied")
    # a trailer after the last chunk is legal HTTP/1.1
    cat2 = json.dumps({"products": [{"id": "chunk", "title": "Chunked", "skus": [
        {"sku": "CH-1", "price": "1.00", "stock": 4}]}]}).encode()
    data = post_chunked(b"/api/admin/products/import", b"").replace(
        b"0\r\n\r\n", b"%x\r\n" % len(cat2) + cat2 + b"\r\n0\r\nX-Trailer: t\r\n\r\n")
    st, h, body = raw_http(ss.port, data)
    c.eq(st, 200, "chunked body with a trailer")
    c.eq(jrequest("GET", ss.base + "/api/stock/CH-1"), (200, {"sku": "CH-1", "stock": 4}),
         "chunked import with a trailer applied")
    st, _, _ = raw_http(ss.port, post_chunked(b"/api/admin/products/import", b"[" * 40 + b"]" * 40, size=3))
    c.eq(st, 400, "chunked JSON nested 40 levels refused")
    c.eq(jrequest("GET", ss.base + "/api/stock/CH-1"), (200, {"sku": "CH-1", "stock": 4}),
         "refused chunked bodies changed nothing")


def check_truncated(c, ss):
    # The client announces 100 bytes, sends 10 and goes away entirely.
    for i in range(5):
        s = socket.create_connection(("127.0.0.1", ss.port), timeout=10)
        s.sendall(post(b"/api/admin/stock/CH-1", b'{"set":77,', length=100))
        s.close()
    c.eq(request("GET", ss.base + "/healthz")[0], 200, "five clients vanishing mid-body: /healthz 200")
    c.eq(jrequest("GET", ss.base + "/api/stock/CH-1"), (200, {"sku": "CH-1", "stock": 4}),
         "vanished partial bodies changed nothing")
    # Same with the connection reset (SO_LINGER 0) instead of a FIN.
    s = socket.create_connection(("127.0.0.1", ss.port), timeout=10)
    s.sendall(post(b"/api/admin/stock/CH-1", b'{"set":77,', length=100))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    c.eq(request("GET", ss.base + "/healthz")[0], 200, "client resetting mid-body: /healthz 200")


def check_slow_client(c, ss):
    """One byte per second: other clients are served meanwhile, and the slow
    one is cut off (civetweb's request timeout) before it finishes."""
    data = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100 + b"\r\n\r\n"
    s = socket.create_connection(("127.0.0.1", ss.port), timeout=10)
    result = {"cut": False, "status": None, "sent": 0}
    parallel = []

    def slow():
        try:
            for i in range(len(data)):
                s.send(data[i:i + 1])
                result["sent"] = i + 1
                s.settimeout(1.0)
                try:
                    got = s.recv(4096)
                except socket.timeout:
                    continue
                result["cut"] = True
                m = re.match(rb"HTTP/\d\.\d (\d{3})", got)
                result["status"] = int(m.group(1)) if m else None
                return
        except OSError:
            result["cut"] = True

    t = threading.Thread(target=slow)
    t.start()
    for _ in range(3):
        parallel.append(request("GET", ss.base + "/healthz", timeout=10)[0])
        time.sleep(1.0)
    t.join(len(data) + 30)
    s.close()
    c.eq(parallel, [200, 200, 200], "/healthz served while a client sends one byte per second")
    c.eq(result["cut"], True, "the slow client is cut off before its request is complete (sent %d of %d bytes)"
         % (result["sent"], len(data)))
    c.ok(result["status"] in (None, 400, 408), "the slow client gets no 5xx: %r" % result["status"])
    c.eq(request("GET", ss.base + "/healthz")[0], 200, "after the slow client: /healthz 200")


def check_idle_keepalive(c, ss):
    """As many idle kept-alive connections as HTTP threads (a relay's pool,
    a few browser tabs): each holds a civetweb thread until its keep-alive
    timeout, so a webhook on a new connection waits for one to expire. It
    must still be answered well inside TikTok's 3 s, and the idle
    connections are closed by the server."""
    threads = int(ss.env.get("SHOPSYNC_HTTP_THREADS", "32"))
    idle = []
    try:
        for _ in range(threads):
            s = socket.create_connection(("127.0.0.1", ss.port), timeout=10)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            idle.append(s)
        answered = sum(1 for s in idle if s.recv(4096).startswith(b"HTTP/1.1 200"))
        c.eq(answered, len(idle), "%d kept-alive connections answered once each (%d HTTP threads)"
             % (len(idle), threads))
        body = json.dumps({"type": 99, "tts_notification_id": "idle-keepalive-%d" % time.time(),
                           "shop_id": "1", "data": {}}).encode()
        t0 = time.time()
        st, _, _ = request("POST", ss.base + "/api/tiktok/webhook", body,
                           {"Content-Type": "application/json",
                            "Authorization": harness.tiktok_webhook_signature(body)}, timeout=10)
        took = time.time() - t0
        c.eq(st, 200, "a webhook on a new connection beside the idle ones: 200")
        c.ok(took < 1.5, "that webhook was answered in %.2f s (TikTok gives up at 3 s)" % took)
        closed = 0
        deadline = time.time() + 5
        for s in idle:
            s.settimeout(max(0.1, deadline - time.time()))
            try:
                closed += s.recv(4096) == b""
            except OSError:
                pass
        c.eq(closed, len(idle), "the server closed all %d idle connections within 5 s" % len(idle))
    finally:
        for s in idle:
            s.close()


def check_catalog_types(c, ss):
    """Numbers (and other types) where the catalog wants strings: 400 naming
    the field."""
    def product(**over):
        p = {"id": "typed", "title": "Typed", "skus": [{"sku": "TY-1", "price": "1.00"}]}
        p.update(over)
        return p

    def sku(**over):
        s = {"sku": "TY-1", "price": "1.00"}
        s.update(over)
        return product(skus=[s])

    cases = (
        ("id as a number", product(id=7), "products[0].id"),
        ("title as a number", product(title=123), "title"),
        ("description as a number", product(description=5), "description"),
        ("category_id as a number", product(category_id=600001), "category_id"),
        ("an image URL as a number", product(images=[5]), "images[0]"),
        ("images as a string", product(images="https://example.com/a.png"), "images"),
        ("weight_unit as a number", product(package={"weight": "1", "weight_unit": 1}), "weight_unit"),
        ("dimension_unit as a list", product(package={"dimension_unit": ["INCH"]}), "dimension_unit"),
        ("package as a string", product(package="1kg"), "package"),
        ("a 70-character weight (was cut to 63 and became 0)",
         product(package={"weight": "0." + "0" * 67 + "1"}), "package.weight"),
        ("sku as a number", sku(sku=5), "sku"),
        ("price as a number", sku(price=1.5), "price"),
        ("currency as a number", sku(currency=840), "currency"),
        ("stock as a string", sku(stock="5"), "stock"),
        ("an attribute value as a number", sku(attributes={"Color": 1}), "attributes.Color"),
        ("skus as an object", product(skus={"sku": "TY-1", "price": "1.00"}), "skus"),
        ("a product as a string", "typed", "products[0]"),
    )
    for what, p, field in cases:
        st, doc = jrequest("POST", ss.base + "/api/admin/products/import", {"products": [p]},
                           headers={"Authorization": "Bearer " + ADMIN_TOKEN})
        msg = ((doc or {}).get("error") or {}).get("message", "")
        c.eq((st, ((doc or {}).get("error") or {}).get("code")), (400, "invalid_catalog"), "import with %s" % what)
        c.ok(field in msg, "import with %s: message names %s: %r" % (what, field, msg))
    st, _ = jrequest("GET", ss.base + "/api/admin/products/typed", headers={"Authorization": "Bearer " + ADMIN_TOKEN})
    c.eq(st, 404, "none of the mistyped catalogs created the product")
    c.eq(request("GET", ss.base + "/healthz")[0], 200, "catalog types: /healthz 200")


# Sections, for `python3 test_hostile_http.py SECTION [SECTION ...]` (none: all);
# truncated_bodies works on the SKUs of chunked_import.
SECTIONS = [
    "chunked_import", "table", "nul_paths", "truncated_bodies", "slow_client", "idle_keep-alive",
    "catalog_types",
]
NEEDS = {"truncated_bodies": ["chunked_import"]}


def main():
    want = harness.selected_sections(SECTIONS, NEEDS)
    c = Checks("test_hostile_http")
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
        section("chunked import", check_chunked_import, ss)
        section("table", check_table, ss)
        section("nul paths", check_nul_paths, ss)
        section("truncated bodies", check_truncated, ss)
        section("slow client", check_slow_client, ss)
        section("idle keep-alive", check_idle_keepalive, ss)
        section("catalog types", check_catalog_types, ss)
        c.ok(ss.proc.alive(), "shopsync is still running after the hostile requests")
        out = ss.proc.output()
        c.ok("AddressSanitizer" not in out and "runtime error" not in out,
             "no sanitizer report in the shopsync log")
        c.eq(ss.stop(signal.SIGTERM), 0, "shopsync exits 0 on SIGTERM after the hostile requests")
    finally:
        teardown(c, ss, redis, tmp)
    print("# total: %.1f s" % (time.time() - t_start), flush=True)
    c.done()


if __name__ == "__main__":
    main()
