"""Security integration test: the real shopsync against a real redis-server
(and the TikTok Shop sandbox for the token checks).

- every admin route of src/routes.c refuses no token and a wrong bearer (401);
- every state-changing admin route refuses a session cookie without, with a
  wrong, or with another session's X-CSRF-Token (403);
- the OAuth state is single-use and cannot be forged;
- TikTok tokens and the shop cipher never appear in plaintext in Redis (every
  key read by type over a binary-safe connection, and the AOF), in the log or
  in any admin API answer; the exact plaintexts are taken from a recording
  proxy in front of the sandbox's token endpoints;
- session cookie attributes, security headers of the admin page, wrong logins
  (constant answer, no session created, attempted tokens not logged);
- a source check that secrets are compared with crypto_ct_equal /
  crypto_hex_equal, never strcmp/memcmp.
"""
import hashlib
import http.client
import http.server
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse

import harness
from harness import (teardown, ADMIN_TOKEN, SOURCE_DIR, Checks, Redis, Shopsync, TempDir, jrequest, request, wait_until)

BEARER = {"Authorization": "Bearer " + ADMIN_TOKEN}
ROUTE_RE = re.compile(r'\{"(GET|POST|PUT|DELETE)",\s*"([^"]+)",\s*([A-Z_ |]+),\s*(\w+)\}')


def routes_text():
    with open(os.path.join(SOURCE_DIR, "src", "routes.c")) as f:
        return f.read()


def routes():
    """(method, path with {} replaced by x, flags, handler) of src/routes.c."""
    return [(m, p.replace("{}", "x"), flags.strip(), fn) for m, p, flags, fn in ROUTE_RE.findall(routes_text())]


def admin_routes():
    return [r for r in routes() if "ROUTE_ADMIN" in r[2]]


def err_code(doc):
    try:
        return doc["error"]["code"]
    except (TypeError, KeyError):
        return None


class Resp:
    """A minimal binary-safe Redis client (RESP2) for the secret scan."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.sock.makefile("rb")

    def cmd(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.read()

    def read(self):
        line = self.f.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RuntimeError("redis: %r" % rest)
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("redis: unexpected reply %r" % line)

    def close(self):
        self.f.close()
        self.sock.close()


def redis_cmd(port, *args):
    """One command on a fresh connection."""
    r = Resp(port)
    try:
        return r.cmd(*args)
    finally:
        r.close()


def flatten(v):
    if isinstance(v, list):
        return b"".join(flatten(x) + b"\n" for x in v)
    if isinstance(v, int):
        return str(v).encode()
    return v or b""


def redis_dump(port):
    """{key: every byte of its value} for all keys, read with SCAN, TYPE and
    the type's read command."""
    r = Resp(port)
    out = {}
    read = {b"string": ("GET",), b"hash": ("HGETALL",), b"list": ("LRANGE", 0, -1), b"set": ("SMEMBERS",),
            b"zset": ("ZRANGE", 0, -1, "WITHSCORES"), b"stream": ("XRANGE", "-", "+")}
    try:
        cursor = b"0"
        while True:
            cursor, keys = r.cmd("SCAN", cursor, "COUNT", 1000)
            for k in keys:
                t = r.cmd("TYPE", k)
                verb = read.get(t)
                out[k] = (t, flatten(r.cmd(verb[0], k, *verb[1:])) if verb else b"")
            if cursor == b"0":
                break
    finally:
        r.close()
    return out


def aof_bytes(redis):
    data = b""
    for root, _, files in os.walk(redis.dir):
        for name in files:
            if "appendonly" in name:
                with open(os.path.join(root, name), "rb") as f:
                    data += f.read()
    return data


class Recorder:
    """An HTTP proxy for GETs that forwards to target and keeps every answer
    body: shopsync's TIKTOK_SHOP_AUTH_BASE, so the token plaintexts the
    sandbox issues are known exactly."""

    def __init__(self):
        self.target = None
        self.bodies = []
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                u = urllib.parse.urlsplit(rec.target)
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                try:
                    conn.request("GET", self.path)
                    r = conn.getresponse()
                    body = r.read()
                    status, ctype = r.status, r.getheader("Content-Type", "application/json")
                finally:
                    conn.close()
                rec.bodies.append((self.path.split("?")[0], body))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def tokens(self):
        """Every access and refresh token seen in a token answer."""
        out = set()
        for path, body in self.bodies:
            try:
                data = json.loads(body).get("data") or {}
            except ValueError:
                continue
            for k in ("access_token", "refresh_token"):
                if data.get(k):
                    out.add(data[k])
        return out

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def login(base):
    st, h, data = request("POST", base + "/api/admin/login", {"token": ADMIN_TOKEN})
    m = re.match(r"shopsync_session=([0-9a-f]{64});", h.get("set-cookie", ""))
    csrf = json.loads(data).get("csrf") if st == 200 else None
    return st, h.get("set-cookie", ""), (m.group(1) if m else None), csrf


# --------------------------------------------------------------------------
# sections


def check_admin_auth(c, ss):
    table = admin_routes()
    c.eq(len(table), routes_text().count("ROUTE_ADMIN"), "every ROUTE_ADMIN entry of src/routes.c parsed (%d)" % len(table))
    for method, path, flags, fn in table:
        body = {} if "ROUTE_JSON_BODY" in flags else None
        for what, headers in (("no token", {}), ("wrong bearer", {"Authorization": "Bearer wrong-0123456789abcdef"}),
                              ("bearer without a token", {"Authorization": "Bearer "}),
                              ("admin token in the wrong scheme", {"Authorization": "Token " + ADMIN_TOKEN})):
            st, doc = jrequest(method, ss.base + path, body, headers)
            c.eq((st, err_code(doc)), (401, "unauthorized"), "%s %s (%s) with %s" % (method, path, fn, what))


def check_csrf(c, ss):
    st, cookie_hdr, sid, csrf = login(ss.base)
    st2, _, sid2, csrf2 = login(ss.base)
    c.eq((st, st2), (200, 200), "two logins for the CSRF checks")
    if not (sid and csrf and sid2 and csrf2):
        return
    c.ok(csrf != csrf2 and sid != sid2, "each session has its own id and csrf token")
    cookie = {"Cookie": "shopsync_session=" + sid}
    changing = [r for r in admin_routes() if r[0] in ("POST", "PUT", "DELETE")]
    want = len([ln for ln in routes_text().splitlines()
                if re.match(r'\s*\{"(POST|PUT|DELETE)",', ln) and "ROUTE_ADMIN" in ln])
    c.eq(len(changing), want, "every state-changing admin route parsed (%d)" % len(changing))
    for method, path, flags, fn in changing:
        body = {} if "ROUTE_JSON_BODY" in flags else None
        for what, extra in (("no X-CSRF-Token", {}), ("a wrong X-CSRF-Token", {"X-CSRF-Token": "0" * 64}),
                            ("another session's X-CSRF-Token", {"X-CSRF-Token": csrf2}),
                            ("the csrf token with a changed case", {"X-CSRF-Token": csrf.upper()}),
                            ("a prefix of the csrf token", {"X-CSRF-Token": csrf[:32]}),
                            ("the session id as the csrf token", {"X-CSRF-Token": sid})):
            st, doc = jrequest(method, ss.base + path, body, dict(cookie, **extra))
            c.eq((st, err_code(doc)), (403, "csrf"), "%s %s with the cookie and %s" % (method, path, what))
    # Logout is public (it must clear a stale cookie) but ends a live session
    # only with that session's token: another site cannot sign the seller out.
    for what, extra in (("no X-CSRF-Token", {}), ("another session's X-CSRF-Token", {"X-CSRF-Token": csrf2}),
                        ("the session id as the csrf token", {"X-CSRF-Token": sid})):
        st, doc = jrequest("POST", ss.base + "/api/admin/logout", None, dict(cookie, **extra))
        c.eq((st, err_code(doc)), (403, "csrf"), "POST /api/admin/logout with the cookie and %s" % what)
    st, _ = jrequest("GET", ss.base + "/api/admin/session", None, cookie)
    c.eq(st, 200, "the session survived the refused logouts")
    st, doc = jrequest("POST", ss.base + "/api/admin/logout", None, {"Cookie": "shopsync_session=" + "b" * 64})
    c.eq(st, 200, "logout with a cookie naming no live session only clears it")
    # The same token passes the check (a harmless route: a stock change of 0
    # on an unknown SKU is a 404 from the handler, past authentication).
    st, doc = jrequest("POST", ss.base + "/api/admin/stock/NO-SUCH", {"delta": 0},
                       dict(cookie, **{"X-CSRF-Token": csrf}))
    c.eq((st, err_code(doc)), (404, "not_found"), "the right X-CSRF-Token gets past the check")


def check_oauth_state(c, ss, redis):
    cb = ss.base + "/api/admin/tiktok/callback"
    st, doc = jrequest("GET", cb + "?state=%s&code=x" % os.urandom(32).hex(), timeout=60)
    c.eq((st, err_code(doc)), (400, "invalid_state"), "callback with a random state")
    for what, state in (("an empty state", ""), ("a 200-character state", "a" * 200), ("a glob", "*"),
                        ("a path", "../../x"), ("CRLF and a Redis command", "a\r\nFLUSHALL"),
                        ("a NUL", "ab\x00cd")):
        st, doc = jrequest("GET", cb + "?" + urllib.parse.urlencode({"state": state, "code": "x"}), timeout=60)
        c.eq((st, err_code(doc)), (400, "invalid_state"), "callback with %s as the state" % what)
    c.eq(redis_cmd(redis.port, "DBSIZE") > 0, True, "the forged states did not flush Redis")

    def real_state():
        st, h, _ = request("GET", ss.base + "/api/admin/tiktok/auth", headers=BEARER)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(h.get("location", "")).query)
        return st, q.get("state", [""])[0]

    st, state = real_state()
    c.eq(st, 302, "GET /api/admin/tiktok/auth redirects to TikTok")
    c.ok(re.fullmatch(r"[0-9a-f]{64}", state) is not None, "the state is 256 bits of hex: %r" % state)
    ttls = [redis_cmd(redis.port, "TTL", k) for k in redis_cmd(redis.port, "KEYS", "*oauth:state:*")]
    c.ok(len(ttls) == 1 and 0 < ttls[0] <= 600, "one state key, expiring within 10 minutes: %r" % ttls)
    # Forged look-alikes do not use up the real state.
    for what, fake in (("upper case", state.upper()), ("one character changed", state[:-1] + ("0" if state[-1] != "0" else "1")),
                       ("with a suffix", state + "00"), ("a prefix", state[:32])):
        st, doc = jrequest("GET", cb + "?state=%s&code=x" % fake, timeout=60)
        c.eq((st, err_code(doc)), (400, "invalid_state"), "the real state %s" % what)
    st, h, _ = request("GET", cb + "?state=%s&code=x" % state, timeout=60)
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(h.get("location", "")).query)
    c.eq((st, q.get("error"), q.get("connected")), (302, ["token_exchange_failed"], ["0"]),
         "first use of the real state reaches the token exchange (closed port: fails)")
    st, doc = jrequest("GET", cb + "?state=%s&code=x" % state, timeout=60)
    c.eq((st, err_code(doc)), (400, "invalid_state"), "second use of the same state")
    st, state = real_state()
    st, h, _ = request("GET", cb + "?state=%s&error=access_denied" % state, timeout=60)
    c.eq(st, 302, "a state used for an error answer")
    st, doc = jrequest("GET", cb + "?state=%s&code=x" % state, timeout=60)
    c.eq((st, err_code(doc)), (400, "invalid_state"), "a state used for an error answer cannot be used again")
    c.eq(redis_cmd(redis.port, "KEYS", "*oauth:state:*"), [], "no state left in Redis")
    c.eq(redis_cmd(redis.port, "EXISTS", "shopsync:tiktok:connection"), 0, "no connection was stored")


def check_cookie_and_headers(c, ss, workdir, redis):
    st, cookie_hdr, sid, csrf = login(ss.base)
    c.eq(st, 200, "login")
    parts = [p.strip() for p in cookie_hdr.split(";")]
    attrs = {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else True) for p in parts[1:]}
    c.ok(re.fullmatch(r"shopsync_session=[0-9a-f]{64}", parts[0]) is not None, "cookie name and a 64-hex id")
    c.eq(attrs.get("httponly"), True, "session cookie HttpOnly")
    c.eq(attrs.get("samesite"), "Strict", "session cookie SameSite=Strict")
    c.eq(attrs.get("path"), "/", "session cookie Path=/")
    c.eq(attrs.get("max-age"), "43200", "session cookie Max-Age is the 12 h session lifetime")
    c.eq(("domain" in attrs, "expires" in attrs), (False, False), "no Domain (host-only) and no Expires")
    c.eq("secure" in attrs, False, "no Secure on a plain-http SHOPSYNC_PUBLIC_URL")
    key = "shopsync:session:" + hashlib.sha256((sid or "").encode()).hexdigest()
    ttl = redis_cmd(redis.port, "TTL", key)
    c.ok(isinstance(ttl, int) and 0 < ttl <= 43200, "the session (stored under the id's SHA-256) expires in Redis "
         "too (ttl %r)" % ttl)
    dump = redis_dump(redis.port)
    c.eq([k for k, (t, v) in dump.items() if sid.encode() in k or sid.encode() in v], [],
         "the session id itself is in no Redis key or value")
    st, h, _ = request("POST", ss.base + "/api/admin/logout",
                       headers={"Cookie": "shopsync_session=%s" % sid, "X-CSRF-Token": csrf})
    c.eq(st, 200, "logout with the session's csrf token")
    out = h.get("set-cookie", "")
    c.ok(out.startswith("shopsync_session=;") and "Max-Age=0" in out and "HttpOnly" in out and
         "SameSite=Strict" in out and "Path=/" in out, "logout clears the cookie with the same attributes: %r" % out)

    https = Shopsync(workdir, redis.url, name="https", extra_env={"SHOPSYNC_PUBLIC_URL": "https://shop.example"})
    try:
        https.start()
        st, cookie_hdr, _, _ = login(https.base)
        c.ok(st == 200 and "; Secure" in cookie_hdr, "Secure cookie when SHOPSYNC_PUBLIC_URL is https: %r" % cookie_hdr)
    finally:
        if https.proc.alive():
            https.stop()

    for path in ("/admin/tiktok-shop", "/static/app.js", "/static/js/core.js", "/static/index.html"):
        st, h, _ = request("GET", ss.base + path)
        csp = h.get("content-security-policy", "")
        c.eq(st, 200, "GET %s" % path)
        c.ok(re.search(r"(^|;)\s*default-src 'self'\s*(;|$)", csp) is not None,
             "%s: CSP default-src 'self': %r" % (path, csp))
        c.ok("frame-ancestors 'none'" in csp and "base-uri 'none'" in csp and "form-action 'self'" in csp,
             "%s: CSP frame-ancestors, base-uri and form-action locked down" % path)
        c.ok("unsafe-inline" not in csp and "unsafe-eval" not in csp, "%s: CSP allows no inline script or eval" % path)
        c.eq(h.get("x-frame-options"), "DENY", "%s: X-Frame-Options DENY" % path)
        c.eq(h.get("x-content-type-options"), "nosniff", "%s: X-Content-Type-Options nosniff" % path)
        c.eq(h.get("referrer-policy"), "no-referrer", "%s: Referrer-Policy no-referrer" % path)
    for method, path in (("GET", "/healthz"), ("GET", "/api/admin/products"), ("GET", "/no/such/route")):
        st, h, _ = request(method, ss.base + path)
        c.eq((h.get("x-content-type-options"), h.get("cache-control")), ("nosniff", "no-store"),
             "%s %s (%d): nosniff and no-store" % (method, path, st))


def check_wrong_logins(c, ss, redis):
    before = len(redis_cmd(redis.port, "KEYS", "*session:*"))
    attempts = ["wrong", "", ADMIN_TOKEN[:-1], ADMIN_TOKEN + "x", ADMIN_TOKEN.upper(), " " + ADMIN_TOKEN,
                "x" * len(ADMIN_TOKEN), "\u00e9" * 12, "a" * 10000]
    attempts += ["guess-%02d-%s" % (i, os.urandom(6).hex()) for i in range(20)]
    bodies, statuses, cookies = set(), [], []
    for tok in attempts:
        st, h, data = request("POST", ss.base + "/api/admin/login", {"token": tok})
        statuses.append(st)
        bodies.add(data)
        cookies.append(h.get("set-cookie"))
    c.eq(statuses, [401] * len(attempts), "%d wrong logins: each 401" % len(attempts))
    c.eq(len(bodies), 1, "every wrong login gets the same answer: %r" % sorted(bodies)[:2])
    c.eq(cookies, [None] * len(attempts), "no wrong login sets a cookie")
    c.eq(len(redis_cmd(redis.port, "KEYS", "*session:*")), before, "no wrong login creates a session in Redis")
    log = ss.proc.output()
    leaked = [t for t in attempts if len(t) >= 12 and t in log]
    c.eq(leaked, [], "attempted tokens are not written to the log")
    st, doc = jrequest("POST", ss.base + "/api/admin/login", {"token": 12345})
    c.eq((st, err_code(doc)), (400, "invalid_field"), "a non-string token is a 400")
    st, _, _, _ = login(ss.base)
    c.eq(st, 200, "the right token still signs in after the wrong ones")


def check_compare_sites(c):
    """Secrets (signatures, tokens, CSRF) must be compared in constant time.
    Flags strcmp/memcmp-family calls on lines that mention one."""
    files = ("src/routes_webhooks.c", "src/http_server.c", "src/routes_admin.c", "src/stripe.c",
             "src/tiktok_sign.c", "src/tiktok_client.c", "src/tiktok_api.c", "src/connection.c", "src/session.c")
    call = re.compile(r"\b(strcmp|strncmp|strcasecmp|strncasecmp|memcmp|bcmp)\s*\(")
    secret = re.compile(r"sig|token|secret|hmac|csrf|cipher|password", re.I)
    # Legitimate uses, each with why it is not a secret comparison.
    allowed = {
        ("src/tiktok_sign.c", 'strcmp(params[i].key, "sign") == 0 || strcmp(params[i].key, "access_token") == 0'):
            "compares a query parameter's NAME with the names excluded from signing, not a secret value",
    }
    found = []
    for rel in files:
        with open(os.path.join(SOURCE_DIR, rel)) as f:
            for n, line in enumerate(f, 1):
                code = line.split("//")[0]
                if not call.search(code) or not secret.search(code):
                    continue
                if any(rel == af and snippet in code for (af, snippet) in allowed):
                    continue
                found.append("%s:%d: %s" % (rel, n, line.strip()))
    c.eq(found, [], "no strcmp/memcmp on a line that handles a signature, token, secret, hmac or csrf value")
    for (af, snippet), why in allowed.items():
        with open(os.path.join(SOURCE_DIR, af)) as f:
            c.ok(snippet in f.read(), "allow-listed site still exists (%s: %s)" % (af, why))
    uses = {"src/http_server.c": "crypto_ct_equal(",
            "src/routes_admin.c": "crypto_ct_equal(", "src/stripe.c": "crypto_hex_equal(",
            "src/tiktok_sign.c": "crypto_hex_equal("}
    for rel, fn in uses.items():
        with open(os.path.join(SOURCE_DIR, rel)) as f:
            c.ok(fn in f.read(), "%s compares with %s...)" % (rel, fn))
    with open(os.path.join(SOURCE_DIR, "src", "crypto.c")) as f:
        text = f.read()
    c.ok(re.search(r"crypto_ct_equal\([^)]*\)\s*\{[^}]*CRYPTO_memcmp", text) is not None,
         "crypto_ct_equal is OpenSSL's CRYPTO_memcmp")


def check_tokens_sealed(c, tmp):
    redis = Redis(os.path.join(tmp, "sealed")).start()
    rec = Recorder()
    sb, ss = harness.linked_pair(os.path.join(tmp, "sealed"), redis.url,
                                 shopsync_env={"TIKTOK_SHOP_AUTH_BASE": rec.base},
                                 sandbox_env={"SANDBOX_ROTATE_REFRESH": "1"})
    rec.target = sb.base
    answers = []

    def admin(method, path, body=None):
        st, h, data = request(method, ss.base + path, body, BEARER)
        answers.append((method, path, data + json.dumps(h).encode()))
        return st, (json.loads(data) if data else None)

    try:
        sb.start()
        ss.start()
        with open(os.path.join(SOURCE_DIR, "examples", "catalog.json"), "rb") as f:
            catalog = json.load(f)
        for p in catalog["products"]:  # images this shopsync serves itself
            p["images"] = [u.replace("http://localhost:8080", ss.base) for u in p.get("images", [])]
        st, _ = admin("POST", "/api/admin/products/import", catalog)
        c.eq(st, 200, "sealed: catalog imported")
        url, st, h = harness.connect_shop(ss, sb)
        c.eq((st, h.get("location")), (302, "/admin/tiktok-shop?connected=1"), "sealed: connected through the sandbox")
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["code"][0]
        # Expire the access token, so the next API call refreshes (a second,
        # rotated token pair).
        st, _ = jrequest("POST", sb.base + "/sandbox/faults", {"expire_tokens": True})
        c.eq(st, 200, "sealed: sandbox tokens expired")
        st, doc = admin("POST", "/api/admin/tiktok/sync")
        c.eq(st, 202, "sealed: sync started")
        job = (doc or {}).get("job_id", "x")
        wait_until(lambda: admin("GET", "/api/admin/tiktok/sync/" + job)[1].get("state") != "running",
                   timeout=120, what="sync job")
        counters = jrequest("GET", sb.base + "/sandbox/state")[1]["counters"]
        c.eq((counters["tokens_issued"], counters["token_refreshes"]), (1, 1),
             "sealed: one code exchange and one refresh")
        tokens = rec.tokens()
        c.eq(len(tokens), 4, "sealed: the proxy saw two access and two refresh tokens")
        cipher = jrequest("GET", sb.base + "/sandbox/state")[1]["shop"]["cipher"]
        secrets = sorted(tokens) + [cipher, code]
        c.ok(all(len(s) >= 10 for s in secrets), "sealed: secrets to look for: %d" % len(secrets))

        for method, path, flags, fn in admin_routes():
            if method == "GET":
                admin("GET", path)
        for path in ("/api/admin/tiktok/sync", "/api/admin/products", "/api/admin/activity?limit=500",
                     "/api/admin/products/lavender-candle", "/api/admin/tiktok/sync/" + job):
            admin("GET", path)
        for path in ("/metrics", "/readyz", "/api/stock/LAV-8OZ"):
            st, h, data = request("GET", ss.base + path)
            answers.append(("GET", path, data))

        dump = redis_dump(redis.port)
        conn = dump.get(b"shopsync:tiktok:connection", (None, b""))
        c.eq(conn[0], b"hash", "sealed: the connection hash is in the scan")
        c.ok(len(dump) >= 10, "sealed: %d keys scanned" % len(dump))
        everything = b"\n".join(k + b"\n" + v for k, (t, v) in dump.items())
        aof = aof_bytes(redis)
        c.ok(b"tiktok:connection" in aof, "sealed: the AOF holds the connection writes")
        log = ss.proc.output().encode()
        for i, s in enumerate(secrets):
            what = ("token %d" % i) if i < len(tokens) else ("shop cipher" if s == cipher else "auth code")
            b = s.encode()
            c.eq([k for k, (t, v) in dump.items() if b in k or b in v], [], "sealed: %s in no Redis key or value" % what)
            c.ok(b not in aof, "sealed: %s never written to the AOF" % what)
            c.ok(b not in log, "sealed: %s not in the shopsync log" % what)
            c.eq([(m, p) for m, p, d in answers if b in d], [], "sealed: %s in no API answer" % what)
        r = Resp(redis.port)
        try:
            fields = [r.cmd("HGET", "shopsync:tiktok:connection", f) or b""
                      for f in ("access_token", "refresh_token", "shop_cipher")]
        finally:
            r.close()
        c.ok(all(re.fullmatch(rb"v1\.[0-9a-f]{24}\.[0-9a-f]{32,}", f) for f in fields),
             "sealed: access_token, refresh_token and shop_cipher are v1.<nonce>.<ciphertext>: %r"
             % [f[:20] for f in fields])
        c.ok(len(set(fields)) == 3, "sealed: the three sealed values differ")
    finally:
        for p in (ss, sb):
            if p.proc.alive():
                try:
                    p.stop()
                except AssertionError:
                    pass
        rec.stop()
        redis.stop()


# Sections, for `python3 test_security.py SECTION [SECTION ...]` (none: all).
SECTIONS = [
    "source_compare_sites", "admin_auth", "csrf", "oauth_state", "cookie_and_headers", "wrong_logins",
    "tokens_sealed",
]


def main():
    want = harness.selected_sections(SECTIONS)
    c = Checks("test_security")
    tmp = TempDir()
    redis = Redis(tmp.path).start()
    ss = None
    t_start = time.time()

    def section(name, fn, *args):
        # Only the sections asked for on the command line (all without one).
        key = name.replace(" ", "_")
        assert key in SECTIONS, key
        return c.section(name, fn, *args) if key in want else None

    closed = "http://127.0.0.1:%d" % harness.free_port()
    try:
        # TikTok configured (harness defaults) but every TikTok URL is a
        # closed port: the OAuth state checks need no sandbox.
        ss = Shopsync(tmp.path, redis.url, extra_env={
            "TIKTOK_SHOP_AUTHORIZE_URL": closed + "/open/authorize", "TIKTOK_SHOP_AUTH_BASE": closed,
            "TIKTOK_SHOP_API_BASE": closed}).start()
        section("source compare sites", check_compare_sites)
        section("admin auth", check_admin_auth, ss)
        section("csrf", check_csrf, ss)
        section("oauth state", check_oauth_state, ss, redis)
        section("cookie and headers", check_cookie_and_headers, ss, tmp.path, redis)
        section("wrong logins", check_wrong_logins, ss, redis)
        section("tokens sealed", check_tokens_sealed, tmp.path)
        c.eq(ss.stop(signal.SIGTERM), 0, "shopsync exits 0 on SIGTERM")
    finally:
        teardown(c, ss, redis, tmp)
    print("# total: %.1f s" % (time.time() - t_start), flush=True)
    c.done()


if __name__ == "__main__":
    main()
