"""A new user's first hour, as the README leads them: the default (relative)
data directory, the command line run from another folder, and
scripts/run-local.sh with its var/local.env and a second run.

Sections run alone with: test_first_hour.py SECTION [SECTION ...]
"""
import os
import signal
import subprocess
import sys
import time

from harness import (ADMIN_TOKEN, SECRET_KEY, SHOPSYNC_BIN, SANDBOX_BIN, SOURCE_DIR, Checks,
                     TempDir, free_port, jrequest, request, wait_until)

BIN = os.path.abspath(SHOPSYNC_BIN)


def bare_env(**extra):
    """The environment of a user who set nothing of shopsync's."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SHOPSYNC_", "TIKTOK_", "STRIPE_", "REDIS_URL", "SANDBOX_"))}
    env.update(extra)
    return env


def run(argv, cwd, env, timeout=60, input=None):
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, input=input)


def stop_embedded(data_dir):
    """Stop a redis-server a CLI command left running in data_dir (none
    should be left, but a failed check must not leave one behind)."""
    sock = os.path.join(data_dir, "redis.sock")
    if os.path.exists(sock):
        subprocess.run(["redis-cli", "-s", sock, "shutdown", "nosave"], capture_output=True)


def default_data_dir(c):
    """The default SHOPSYNC_DATA_DIR (./var) from an empty folder: the CLI
    starts the embedded redis-server there and works; serve does too."""
    tmp = TempDir()
    try:
        env = bare_env()
        r = run([BIN, "status"], tmp.path, env)
        c.eq(r.returncode, 0, "status in an empty folder with the default data dir exits 0")
        c.ok("FATAL" not in r.stdout + r.stderr, "no redis-server config error: %r" % r.stderr[-300:])
        c.ok(os.path.exists(os.path.join(tmp.path, "var", "redis.log")),
             "the embedded server's log is ./var/redis.log")
        c.ok("redis: ok" in r.stdout, "status reports Redis ok: %r" % r.stdout[:200])

        r = run([BIN, "import", "-"], tmp.path, env,
                input='{"products":[{"id":"p1","title":"Candle","skus":[{"sku":"C-1","price":"9.00","stock":5}]}]}')
        c.eq(r.returncode, 0, "import with a relative data dir: %s" % r.stderr.strip()[-200:])
        sub = os.path.join(tmp.path, "elsewhere")
        os.mkdir(sub)
        r = run([BIN, "stock", "C-1"], sub, bare_env(SHOPSYNC_DATA_DIR="../var"))
        c.ok(r.returncode == 0 and "5" in r.stdout,
             "a relative SHOPSYNC_DATA_DIR from another folder names the same store: %r %r"
             % (r.stdout.strip(), r.stderr.strip()[-200:]))

        port = free_port()
        env = bare_env(SHOPSYNC_LISTEN="127.0.0.1:%d" % port, SHOPSYNC_ADMIN_TOKEN=ADMIN_TOKEN,
                       SHOPSYNC_SECRET_KEY=SECRET_KEY, SHOPSYNC_DATA_DIR="data",
                       SHOPSYNC_WEB_DIR=os.path.join(SOURCE_DIR, "web"))
        log = open(os.path.join(tmp.path, "serve.log"), "wb")
        p = subprocess.Popen([BIN, "serve"], cwd=tmp.path, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            up = wait_until(lambda: p.poll() is not None or
                            request("GET", "http://127.0.0.1:%d/readyz" % port)[0] == 200,
                            timeout=20, what="serve")
            c.ok(up is True and p.poll() is None, "serve with SHOPSYNC_DATA_DIR=data in an empty folder is ready")
            c.ok(os.path.exists(os.path.join(tmp.path, "data", "redis.sock")), "its socket is ./data/redis.sock")
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(15)
            log.close()
    finally:
        stop_embedded(os.path.join(tmp.path, "var"))
        tmp.cleanup()


def missing_redis_server(c):
    """Without redis-server on PATH the error says so and how to install it,
    instead of pointing at a log that does not exist."""
    tmp = TempDir()
    try:
        env = bare_env(PATH="/nonexistent")
        r = run([BIN, "status"], tmp.path, env)
        c.ok(r.returncode != 0, "status without redis-server fails")
        c.ok("not installed" in r.stderr and "apt-get install redis-server" in r.stderr,
             "the error says redis-server is not installed: %r" % r.stderr.strip())
    finally:
        tmp.cleanup()


def run_local(c):
    """scripts/run-local.sh: settings in local.env, the CLI reaches the
    instance from the repo root, a second run changes nothing, the catalog
    is imported once."""
    tmp = TempDir()
    local = os.path.join(tmp.path, "var")
    port, sport = free_port(), free_port()
    env = bare_env(SHOPSYNC_LOCAL_DIR=local, SHOPSYNC_SKIP_SETUP="1",
                   SHOPSYNC_PORT=str(port), SANDBOX_PORT=str(sport))
    # The script runs build/shopsync of the source tree: point it at the
    # binaries under test through a scratch tree of links.
    tree = os.path.join(tmp.path, "tree")
    os.makedirs(os.path.join(tree, "scripts"))
    os.makedirs(os.path.join(tree, "build"))
    for name in ("examples", "web"):
        os.symlink(os.path.join(SOURCE_DIR, name), os.path.join(tree, name))
    os.symlink(os.path.join(SOURCE_DIR, "scripts", "run-local.sh"), os.path.join(tree, "scripts", "run-local.sh"))
    os.symlink(BIN, os.path.join(tree, "build", "shopsync"))
    os.symlink(os.path.abspath(SANDBOX_BIN), os.path.join(tree, "build", "shopsync-sandbox"))
    script = os.path.join(tree, "scripts", "run-local.sh")
    out = open(os.path.join(tmp.path, "first.out"), "wb")
    first = subprocess.Popen(["bash", script], cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
    base = "http://127.0.0.1:%d" % port
    try:
        wait_until(lambda: first.poll() is not None or b"Admin token" in open(out.name, "rb").read(),
                   timeout=60, what="run-local.sh")
        c.ok(first.poll() is None, "run-local.sh is up: %s" % open(out.name, "rb").read()[-500:])
        envfile = os.path.join(local, "local.env")
        settings = dict(line.split("=", 1) for line in open(envfile).read().splitlines()
                        if line and not line.startswith("#"))
        for k in ("SHOPSYNC_ADMIN_TOKEN", "SHOPSYNC_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "SHOPSYNC_LISTEN",
                  "SHOPSYNC_DATA_DIR", "TIKTOK_SHOP_APP_KEY", "TIKTOK_SHOP_APP_SECRET", "TIKTOK_SHOP_SERVICE_ID",
                  "TIKTOK_SHOP_API_BASE", "STRIPE_API_BASE", "STRIPE_SECRET_KEY"):
            c.ok(settings.get(k), "local.env has %s" % k)
        c.eq(oct(os.stat(envfile).st_mode & 0o777), "0o600", "local.env is private")
        token = settings["SHOPSYNC_ADMIN_TOKEN"]
        auth = {"Authorization": "Bearer " + token}
        st, b = jrequest("GET", base + "/api/admin/products", headers=auth)
        n_products = len(b.get("products", [])) if isinstance(b, dict) else -1
        c.ok(st == 200 and n_products > 0, "the sample catalog was imported (%d products)" % n_products)

        r = run([BIN, "--env-file", envfile, "status"], tmp.path, bare_env())
        c.eq(r.returncode, 0, "shopsync --env-file var/local.env status reaches it: %s" % r.stderr.strip()[-300:])
        r = run([BIN, "status"], tmp.path, bare_env())
        c.eq(r.returncode, 0, "shopsync status from the folder of var/ reaches it with no settings")
        c.ok("%d products" % n_products in r.stdout, "... and sees its catalog: %r" % r.stdout[:300])

        sku = "LAV-8OZ"
        st, _ = jrequest("POST", base + "/api/admin/stock/" + sku, {"set": 3}, auth)
        c.eq(st, 200, "stock of %s set to 3" % sku)
        again = run(["bash", script], tree, env, timeout=60)
        c.ok(again.returncode != 0, "a second run while the first is up fails")
        c.ok("already running" in again.stderr, "... and says so: %r" % again.stderr.strip()[:300])
        st, b = jrequest("GET", base + "/api/stock/" + sku)
        c.eq(b.get("stock") if isinstance(b, dict) else None, 3, "... and left the live stock alone")
        c.ok(first.poll() is None, "... and the first run is still up")
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGTERM)
            first.wait(20)
        out.close()

    try:
        out = open(os.path.join(tmp.path, "second.out"), "wb")
        second = subprocess.Popen(["bash", script], cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        wait_until(lambda: second.poll() is not None or b"Admin token" in open(out.name, "rb").read(),
                   timeout=60, what="run-local.sh again")
        text = open(out.name, "rb").read().decode()
        c.ok("last run" in text, "a later run keeps the catalog and stock of the last one: %r" % text[-300:])
        st, b = jrequest("GET", base + "/api/stock/" + sku)
        c.eq(b.get("stock") if isinstance(b, dict) else None, 3, "... the stock edit survived")
    finally:
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(20)
        out.close()
        stop_embedded(local)
        tmp.cleanup()


SECTIONS = {
    "default_data_dir": default_data_dir,
    "missing_redis_server": missing_redis_server,
    "run_local": run_local,
}


def main():
    c = Checks("first_hour")
    names = sys.argv[1:] or list(SECTIONS)
    for n in names:
        if n not in SECTIONS:
            print("unknown section %s; sections: %s" % (n, " ".join(SECTIONS)), file=sys.stderr)
            sys.exit(2)
        c.section(n, SECTIONS[n])
    c.done()


if __name__ == "__main__":
    main()
