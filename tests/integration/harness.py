"""Shared plumbing for the integration tests: free ports, a real redis-server,
the real shopsync and sandbox binaries, and a small HTTP client.

Standard library only, so the tests run on a bare Debian python3.
"""
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

SHOPSYNC_BIN = os.environ.get("SHOPSYNC_BIN", "build/shopsync")
SANDBOX_BIN = os.environ.get("SHOPSYNC_SANDBOX_BIN", "build/shopsync-sandbox")
SOURCE_DIR = os.environ.get("SHOPSYNC_SOURCE_DIR", os.getcwd())

ADMIN_TOKEN = "test-admin-token-0123456789"
SECRET_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
APP_KEY = "sandbox_app_key"
APP_SECRET = "sandbox_app_secret"
SERVICE_ID = "7100000000000000001"
STRIPE_SECRET = "whsec_integration_secret"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = pred()
            if last:
                return last
        except Exception as e:  # the thing waited for may not be up yet
            last = e
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


class TempDir:
    def __init__(self, prefix="shopsync-test-"):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


class Redis:
    """A redis-server on a free loopback port with AOF on, in its own dir."""

    def __init__(self, workdir, port=None):
        self.dir = os.path.join(workdir, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.fixed_port = port is not None
        self.port = port or free_port()
        self.proc = None

    @property
    def url(self):
        return "redis://127.0.0.1:%d/0" % self.port

    def start(self):
        # A port picked free can be taken before redis-server binds it (by
        # another test, or as some connection's local port): then pick again
        # rather than talk to whoever holds it.
        for attempt in range(5):
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--dir", self.dir, "--appendonly", "yes", "--appendfsync", "everysec",
                 "--save", "", "--daemonize", "no", "--logfile", os.path.join(self.dir, "redis.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_until(lambda: self.proc.poll() is not None or self.cli("PING").strip() == "PONG",
                       what="redis-server")
            if self.proc.poll() is None:
                return self
            if self.fixed_port:
                break
            self.port = free_port()
        raise AssertionError("redis-server exited at start (port %d), see %s"
                             % (self.port, os.path.join(self.dir, "redis.log")))

    def cli(self, *args):
        out = subprocess.run(["redis-cli", "-p", str(self.port), "--no-raw" if False else "--raw"] + list(args),
                             capture_output=True, text=True, timeout=10)
        return out.stdout

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Proc:
    """A child process (shopsync or the sandbox) with its output in a file."""

    def __init__(self, argv, env, logpath):
        self.argv = argv
        self.env = env
        self.logpath = logpath
        self.proc = None

    def start(self):
        self.log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            raise AssertionError("%s did not stop within %ss" % (self.argv[0], timeout))
        finally:
            self.log.close()
        return rc

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def output(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


def request(method, url, body=None, headers=None, timeout=15):
    """One HTTP request; returns (status, headers dict lowercased, body bytes)."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    hdrs = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    try:
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        conn.close()


def jrequest(method, url, body=None, headers=None, timeout=15):
    """request() that decodes a JSON body (None when empty)."""
    st, h, data = request(method, url, body, headers, timeout)
    try:
        doc = json.loads(data) if data else None
    except ValueError:
        raise AssertionError("non-JSON body from %s %s (%d): %r" % (method, url, st, data[:200]))
    return st, doc


def tiktok_webhook_signature(body, app_key=APP_KEY, app_secret=APP_SECRET):
    """Authorization header TikTok Shop puts on a webhook push."""
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


def stripe_signature_header(body, secret=STRIPE_SECRET, t=None):
    t = int(time.time()) if t is None else t
    sig = hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    return "t=%d,v1=%s" % (t, sig)


class Sandbox:
    """The local TikTok Shop sandbox on a free port."""

    def __init__(self, workdir, redirect_uri="", webhook_url="", extra_env=None):
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        env = dict(os.environ)
        env.update({
            "SANDBOX_LISTEN": "127.0.0.1:%d" % self.port,
            "SANDBOX_APP_KEY": APP_KEY,
            "SANDBOX_APP_SECRET": APP_SECRET,
            "SANDBOX_SERVICE_ID": SERVICE_ID,
            "SANDBOX_REDIRECT_URI": redirect_uri,
            "SANDBOX_WEBHOOK_URL": webhook_url,
        })
        env.update(extra_env or {})
        self.proc = Proc([SANDBOX_BIN], env, os.path.join(workdir, "sandbox.log"))

    def start(self):
        self.proc.start()
        wait_until(lambda: self.proc.proc.poll() is not None or request("GET", self.base + "/healthz")[0] == 200,
                   what="sandbox")
        if not self.proc.alive():
            raise AssertionError("the sandbox exited at start:\n" + self.proc.output()[-2000:])
        return self

    def stop(self):
        return self.proc.stop()


class Shopsync:
    """The real shopsync binary on a free port against a given Redis."""

    def __init__(self, workdir, redis_url, sandbox=None, extra_env=None, name="shopsync"):
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.workdir = workdir
        env = dict(os.environ)
        env.update({
            "SHOPSYNC_LISTEN": "127.0.0.1:%d" % self.port,
            "SHOPSYNC_PUBLIC_URL": self.base,
            "SHOPSYNC_ADMIN_TOKEN": ADMIN_TOKEN,
            "SHOPSYNC_SECRET_KEY": SECRET_KEY,
            "SHOPSYNC_DATA_DIR": os.path.join(workdir, "data-" + name),
            "SHOPSYNC_WEB_DIR": os.path.join(SOURCE_DIR, "web"),
            "SHOPSYNC_LOG_LEVEL": "info",
            "REDIS_URL": redis_url,
            "STRIPE_WEBHOOK_SECRET": STRIPE_SECRET,
            "TIKTOK_SHOP_APP_KEY": APP_KEY,
            "TIKTOK_SHOP_APP_SECRET": APP_SECRET,
            "TIKTOK_SHOP_SERVICE_ID": SERVICE_ID,
        })
        if sandbox is not None:
            env.update({
                "TIKTOK_SHOP_AUTHORIZE_URL": sandbox.base + "/open/authorize",
                "TIKTOK_SHOP_AUTH_BASE": sandbox.base,
                "TIKTOK_SHOP_API_BASE": sandbox.base,
                "STRIPE_API_BASE": sandbox.base + "/stripe",
                "STRIPE_SECRET_KEY": "sk_test_sandbox",
            })
        env.update(extra_env or {})
        self.env = env
        self.proc = Proc([SHOPSYNC_BIN, "serve"], env, os.path.join(workdir, name + ".log"))

    def start(self, wait=True):
        self.proc.start()
        if wait:
            wait_until(lambda: self.proc.proc.poll() is not None or
                       request("GET", self.base + "/healthz")[0] == 200, timeout=20, what="shopsync")
            if not self.proc.alive():
                raise AssertionError("shopsync exited at start:\n" + self.proc.output()[-2000:])
        return self

    def stop(self, sig=signal.SIGTERM):
        return self.proc.stop(sig)

    def cli(self, *args, input=None, timeout=60):
        return subprocess.run([SHOPSYNC_BIN] + list(args), env=self.env, capture_output=True,
                              text=True, input=input, timeout=timeout)

    def admin(self, method, path, body=None, headers=None):
        h = {"Authorization": "Bearer " + ADMIN_TOKEN}
        h.update(headers or {})
        return jrequest(method, self.base + path, body, h)


class Checks:
    """Tiny assertion collector: every check is reported, the run fails at the
    end if any failed, and the plain 'N passed, N failed' line closes it."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def ok(self, cond, what):
        if cond:
            self.passed += 1
            print("ok   - %s" % what, flush=True)
        else:
            self.failed += 1
            print("FAIL - %s" % what, flush=True)
        return cond

    def eq(self, got, want, what):
        return self.ok(got == want, "%s (got %r, want %r)" % (what, got, want))

    def section(self, name, fn, *args):
        """Run fn(self, *args) as a named part of the test: an exception is
        one failed check (the other parts still run), and the time is shown."""
        t0 = time.time()
        try:
            return fn(self, *args)
        except Exception:
            import traceback
            self.ok(False, "%s raised:\n%s" % (name, traceback.format_exc()))
        finally:
            print("# %s: %.1f s" % (name, time.time() - t0), flush=True)

    def done(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed), flush=True)
        sys.exit(1 if self.failed or self.passed == 0 else 0)


def selected_sections(names, needs=None, argv=None):
    """The sections of a test file to run: `python3 test_x.py NAME [NAME ...]`
    runs the named ones and, transitively, those they need (needs: name ->
    names run before it; a scenario whose steps build on each other needs
    every earlier step), none runs all of names. An unknown name prints the
    sections and exits 2. Returns a set of names; the file keeps its order."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        return set(names)
    want = set()
    for n in argv:
        if n not in names:
            print("unknown section %s; sections: %s" % (n, " ".join(names)), file=sys.stderr)
            sys.exit(2)
        todo = [n]
        while todo:
            m = todo.pop()
            if m not in want:
                want.add(m)
                todo.extend((needs or {}).get(m, ()))
    return want


def prefix_needs(steps):
    """needs for selected_sections where each step builds on the one
    before: selecting a step runs every step up to it."""
    return {b: [a] for a, b in zip(steps, steps[1:])}


def linked_pair(workdir, redis_url, shopsync_env=None, sandbox_env=None):
    """A Sandbox and a Shopsync, neither started, wired to each other the way
    scripts/run-local.sh does: shopsync calls the sandbox's APIs, and the
    sandbox redirects OAuth approvals to shopsync's callback and sends its
    webhooks to shopsync. sandbox_env entries win over the wiring. Start the
    sandbox first. Returns (sandbox, shopsync)."""
    sandbox = Sandbox(workdir)
    shopsync = Shopsync(workdir, redis_url, sandbox=sandbox, extra_env=shopsync_env)
    links = {
        "SANDBOX_REDIRECT_URI": shopsync.base + "/api/admin/tiktok/callback",
        "SANDBOX_WEBHOOK_URL": shopsync.base + "/api/tiktok/webhook",
        "SANDBOX_STRIPE_WEBHOOK_URL": shopsync.base + "/api/stripe/webhook",
        "SANDBOX_STRIPE_WEBHOOK_SECRET": STRIPE_SECRET,
    }
    links.update(sandbox_env or {})
    sandbox.proc.env.update(links)
    return sandbox, shopsync


def connect_shop(shopsync, sandbox, decision="approve"):
    """The OAuth dance as the seller's browser does it: shopsync's 302 to the
    authorize page, the page's approve or deny form, then the redirect back
    to shopsync's callback. Returns (callback URL, status, headers) of the
    callback; status 302 to /admin/tiktok-shop?connected=1 means connected.
    Raises AssertionError when a step before the callback goes wrong."""
    import html
    import re
    st, h, _ = request("GET", shopsync.base + "/api/admin/tiktok/auth",
                       headers={"Authorization": "Bearer " + ADMIN_TOKEN})
    if st != 302 or not h.get("location", "").startswith(sandbox.base + "/"):
        raise AssertionError("auth did not redirect to the sandbox: %d %r" % (st, h.get("location")))
    authorize = h["location"]
    st, _, page = request("GET", authorize)
    if st != 200:
        raise AssertionError("authorize page answered %d" % st)
    for action, inner in re.findall(r'<form method="post" action="([^"]+)">(.*?)</form>', page.decode()):
        fields = {k: html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', inner)}
        if fields.get("decision") == decision:
            break
    else:
        raise AssertionError("no %s form on the authorize page" % decision)
    st, h, _ = request("POST", urllib.parse.urljoin(authorize, action), urllib.parse.urlencode(fields),
                       {"Content-Type": "application/x-www-form-urlencoded"})
    if st != 302 or not h.get("location", "").startswith(shopsync.base + "/api/admin/tiktok/callback?"):
        raise AssertionError("%s did not redirect to the callback: %d %r" % (decision, st, h.get("location")))
    callback = h["location"]
    st, h, _ = request("GET", callback)
    return callback, st, h


def ads_pair(workdir, redis_url, app_id, app_secret, sandbox_env=None):
    """linked_pair with shopsync set up as the TikTok Ads app app_id and
    pointed at the sandbox's advertiser authorize page and Marketing API.
    Neither is started. Returns (sandbox, shopsync)."""
    sandbox, shopsync = linked_pair(workdir, redis_url,
                                    shopsync_env={"TIKTOK_APP_ID": app_id, "TIKTOK_APP_SECRET": app_secret},
                                    sandbox_env=sandbox_env)
    shopsync.env.update({"TIKTOK_ADS_AUTHORIZE_URL": sandbox.base + "/portal/auth",
                         "TIKTOK_ADS_API_BASE": sandbox.base})
    return sandbox, shopsync


def ads_mapi(sandbox, **kw):
    """POST kw to the sandbox's Marketing API control route; (status, doc)."""
    return jrequest("POST", sandbox.base + "/sandbox/ads/marketing", kw)


def ads_approve_fields(sandbox, app_id, state, redirect_uri):
    """The fields of the approve form on the sandbox's advertiser authorize
    page for app_id, state and redirect_uri."""
    import html
    import re
    st, _, page = request("GET", sandbox.base + "/portal/auth?" + urllib.parse.urlencode(
        {"app_id": app_id, "state": state, "redirect_uri": redirect_uri}))
    assert st == 200, st
    fields = {}
    for inner in re.findall(r'<form method="post" action="/portal/auth">(.*?)</form>', page.decode()):
        fields = {k: html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', inner)}
        if fields.get("decision") == "approve":
            break
    return fields


def ads_approve(shopsync, sandbox, app_id):
    """shopsync's TikTok Ads authorize link approved at the sandbox, the
    callback not yet followed. Returns (authorize URL, callback URL)."""
    st, h, _ = request("GET", shopsync.base + "/api/admin/ads/oauth/start",
                       headers={"Authorization": "Bearer " + ADMIN_TOKEN})
    assert st == 302, st
    authorize = h["location"]
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize).query)
    fields = ads_approve_fields(sandbox, app_id, q["state"][0], q["redirect_uri"][0])
    st, h, _ = request("POST", sandbox.base + "/portal/auth", urllib.parse.urlencode(fields),
                       {"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 302, st
    return authorize, h["location"]


def teardown(checks, ss, redis, tmp):
    """End of a test: kill a shopsync still running, stop Redis, show the
    shopsync log when something failed, remove the temp dir."""
    if ss is not None and ss.proc.alive():
        try:
            ss.stop(signal.SIGKILL)
        except AssertionError:
            pass
    redis.stop()
    if checks.failed and ss is not None:
        print("---- shopsync log (tail) ----\n" + ss.proc.output()[-4000:], file=sys.stderr)
    tmp.cleanup()


def run_env_sections(checks, sections, make_env, funcs):
    """Run the selected sections (each funcs[name](env)) against one
    environment: a redis-server, then make_env(tmp, redis) with a sandbox
    (.sb) and shopsync (.ss) started in that order and stopped at the end."""
    want = selected_sections(sections, needs=prefix_needs(sections))
    tmp = TempDir()
    redis = Redis(tmp.path).start()
    env = make_env(tmp, redis)
    t0 = time.time()
    try:
        env.sb.start()
        env.ss.start()
        for name in sections:
            if name in want:
                checks.section(name, lambda _c, fn: fn(env), funcs[name])
    finally:
        env.sb.stop()
        teardown(checks, env.ss, redis, tmp)
    print("# total: %.1f s" % (time.time() - t0), flush=True)
    checks.done()
