"""Contract tests of the Redis Lua scripts (src/lua/): each script's text,
built the way the C code builds it (src/lua/stock.lua prepended to the
stock-changing ones), run with EVAL against a real redis-server with real
keys. A minimal RESP client keeps replies typed (integers, bulk strings,
arrays, errors), which redis-cli's text output does not.
"""
import os
import socket

from harness import SOURCE_DIR, Checks, Redis, TempDir

LUA_DIR = os.path.join(SOURCE_DIR, "src", "lua")

# The keys stock_shared_keys() passes after a script's own, in this order.
SHARED = ["activity", "oversells", "push:dirty", "stats", "unmatched", "settings", "alloc:skus"]


def script(name, prelude=False):
    """The text of src/lua/<name>.lua, after src/lua/stock.lua when prelude
    is set (LUA_STOCK_PRELUDE LUA_SRC_<NAME> in C)."""
    with open(os.path.join(LUA_DIR, name + ".lua"), encoding="utf-8") as f:
        body = f.read()
    if not prelude:
        return body
    with open(os.path.join(LUA_DIR, "stock.lua"), encoding="utf-8") as f:
        return f.read() + body


class ReplyError(Exception):
    """An error reply; str() is its text (e.g. 'SHORT 2')."""


def error_text(reply):
    """The text of an error reply as redis_error_is() reads it (without the
    'ERR ' Redis puts before a one-word error), or None for any other reply."""
    if not isinstance(reply, ReplyError):
        return None
    s = str(reply)
    return s[4:] if s.startswith("ERR ") else s


class Client:
    """One connection to redis-server speaking RESP2."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.rf = self.sock.makefile("rb")

    def close(self):
        self.rf.close()
        self.sock.close()

    def call(self, *args):
        """Send one command; return its reply (bytes, int, list, None), or
        a ReplyError instance for an error reply (returned, not raised, so a
        test can assert on it)."""
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        self.sock.sendall(b"".join(out))
        return self._reply()

    def _reply(self):
        line = self.rf.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("connection closed by redis-server")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest
        if kind == b"-":
            return ReplyError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.rf.read(n + 2)
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise ConnectionError("unexpected reply %r" % line)

    def eval(self, text, keys, args):
        return self.call("EVAL", text, len(keys), *keys, *args)

    def get(self, key):
        v = self.call("GET", key)
        return None if v is None else v.decode()

    def hget(self, key, field):
        v = self.call("HGET", key, field)
        return None if v is None else v.decode()


def run(name, sections):
    """Start a redis-server on a free port, run each (title, fn) of sections
    as fn(checks, client) on its own connection and an empty database, stop
    the server and exit
    with the verdict."""
    checks = Checks(name)
    tmp = TempDir()
    redis = Redis(tmp.path).start()
    try:
        for title, fn in sections:
            client = Client(redis.port)
            try:
                # Each section starts from an empty database.
                client.call("FLUSHALL")
                checks.section(title, fn, client)
            finally:
                client.close()
    finally:
        redis.stop()
        tmp.cleanup()
    checks.done()
