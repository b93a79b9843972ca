#!/usr/bin/env python3
"""The daily report over 366 days: how long GET /api/admin/reports/daily
takes (JSON and CSV) with a year of data in Redis: revenue on every day
(website and TikTok Shop, two currencies) and the spend of two advertisers
with 40 campaigns a day each, written straight into Redis in the layout
shopsync keeps. Reports only; asserts nothing.

  python3 bench/report_year.py [--runs N]
"""
import argparse
import datetime
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness as H  # noqa: E402

ADVERTISERS = [("7200000000000000001", "USD"), ("7200000000000000002", "EUR")]


def seed(redis, days):
    cmds = []
    sel = json.dumps([a for a, _ in ADVERTISERS])
    advs = json.dumps([{"id": a, "name": a, "currency": c, "timezone": "UTC"} for a, c in ADVERTISERS])
    cmds.append(["HSET", "shopsync:ads:account", "advertisers", advs, "selected", sel])
    for d in days:
        day = d.isoformat()
        cmds.append(["HSET", "shopsync:revenue:day:" + day, "USD:web_orders", "12", "USD:web_revenue", "59988",
                     "USD:tts_orders", "9", "USD:tts_gmv", "43100", "USD:tts_cancelled", "1",
                     "EUR:web_orders", "3", "EUR:web_revenue", "8997"])
        for adv, cur in ADVERTISERS:
            camps = {"%s%03d" % (adv[:16], c): {"name": "Campaign %d" % c, "spend": 1234 + c, "impressions": 1000,
                                                "clicks": 20, "conversions": 2, "complete_payment": 1}
                     for c in range(40)}
            rec = {"currency": cur, "spend": sum(v["spend"] for v in camps.values()), "impressions": 40000,
                   "clicks": 800, "conversions": 80, "complete_payment": 40, "campaigns": camps}
            cmds.append(["SET", "shopsync:ads:spend:%s:%s" % (adv, day), json.dumps(rec, separators=(",", ":"))])
    text = "".join("*%d\r\n" % len(c) + "".join("$%d\r\n%s\r\n" % (len(x.encode()), x) for x in c) for c in cmds)
    import subprocess
    subprocess.run(["redis-cli", "-p", str(redis.port), "--pipe"], input=text.encode(), capture_output=True,
                   check=True)


def timed(url, runs, headers):
    ms, size = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        st, _, body = H.request("GET", url, headers=headers, timeout=60)
        ms.append((time.perf_counter() - t0) * 1000)
        assert st == 200, st
        size = len(body)
    return ms, size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    tmp = H.TempDir()
    redis = H.Redis(tmp.path).start()
    ss = H.Shopsync(tmp.path, redis.url)
    try:
        ss.start()
        to = datetime.datetime.now(datetime.timezone.utc).date()
        frm = to - datetime.timedelta(days=365)
        days = [frm + datetime.timedelta(days=i) for i in range(366)]
        seed(redis, days)
        auth = {"Authorization": "Bearer " + H.ADMIN_TOKEN}
        base = "%s/api/admin/reports/daily?from=%s&to=%s" % (ss.base, frm, to)
        print("report over 366 days, 2 currencies, 2 advertisers x 40 campaigns a day, %d runs each" % args.runs)
        for name, url in (("json", base), ("csv", base + "&format=csv"),
                          ("campaigns", base.replace("/daily?", "/campaigns?"))):
            ms, size = timed(url, args.runs, auth)
            ms.sort()
            print("  %-9s median %6.1f ms  p90 %6.1f ms  max %6.1f ms  (%d bytes)" %
                  (name, statistics.median(ms), ms[int(len(ms) * 0.9) - 1], ms[-1], size))
    finally:
        ss.stop()
        redis.stop()
        tmp.cleanup()


if __name__ == "__main__":
    main()
