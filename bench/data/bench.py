"""信息资源共享 benchmark driver (issue 20; not a test). Called by bench/data.sh with a running
`zhengwu serve` and its binary:

1. Import: writes a registry CSV of N generated enterprises (valid GB 32100 credit codes, 12
   columns), times `zhengwu import` (all new), the same file again (all unchanged) and with 1% of
   rows changed, with peak RSS; the reference is Python's sqlite3 loading the same CSV into a table
   of the same columns with a plain row-by-row INSERT loop — once committing every row (the naive
   loop) and once in one transaction (the best a loop can do), no checks either way.
2. Ingest: a year of hourly values for six air metrics at two stations, sent to the ingest endpoint
   in batches of 5,000 points (points/s end to end over HTTP, rollups included).
3. Charts: the station page over a year (daily means) and a week (hourly), uncached, 30 requests
   each, p50/p95.

Usage: python bench.py BASE BIN DATA_DIR N OUT_DIR"""

import csv
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request

base, binary, data_dir, n, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(i):
    body = f"{10_000_000 + i:08d}"
    s = sum(int(c) * w for c, w in zip(body, [3, 7, 9, 10, 5, 8, 4, 2]))
    c9 = {10: "X", 11: "0"}.get(11 - s % 11, str(11 - s % 11))
    first17 = f"91230102{body}{c9}"
    check = USCC[(31 - sum(USCC.index(c) * w for c, w in zip(first17, W)) % 31) % 31]
    return first17 + check


HEAD = ["统一社会信用代码", "企业名称", "企业类型", "法定代表人", "行业门类", "行政区划", "成立日期", "注册资本", "住所", "经营范围", "登记状态", "联系电话"]


def write_csv(path, changed_every=0):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEAD)
        for i in range(n):
            name = f"哈尔滨冰城第{i}机械制造有限公司" + ("（更名）" if changed_every and i % changed_every == 0 else "")
            w.writerow([credit_code(i), name, "有限责任公司", "王伟", "C", "230102", f"{1995 + i % 30}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                        str(100 + i % 900), f"道里区中央大街 {i % 300} 号", "通用机械、农业机械的制造和销售；技术开发、技术咨询", "存续", f"0451-8{i % 10_000_000:07d}"])


def timed(cmd):
    t0 = time.time()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    secs = time.time() - t0
    rss = next((int(l.split()[-1]) for l in p.stderr.splitlines() if "Maximum resident set size" in l), 0)
    if p.returncode != 0:
        print(p.stdout, p.stderr, file=sys.stderr)
        sys.exit(1)
    return secs, rss // 1024, p.stdout.strip().splitlines()[0]


def loop_reference(path, per_row_commit):
    db_path = os.path.join(out, "loop.db")
    if os.path.exists(db_path):
        os.remove(db_path)
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE e (credit_code TEXT PRIMARY KEY, name TEXT, kind TEXT, legal_rep TEXT, industry TEXT, area_code TEXT, registered_on TEXT, capital TEXT, address TEXT, scope TEXT, status TEXT, phone TEXT)")
    rows = 0
    t0 = time.time()
    limit = n if not per_row_commit else min(n, 20_000)
    if not per_row_commit:
        con.execute("BEGIN")
    with open(path, encoding="utf-8") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            con.execute("INSERT INTO e VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", row)
            rows += 1
            if rows >= limit:
                break
    if not per_row_commit:
        con.execute("COMMIT")
    secs = time.time() - t0
    con.close()
    # The per-row loop runs on 20,000 rows at most and is scaled to N.
    return secs * n / rows


lines = []
csv_path = os.path.join(out, f"enterprises-{n}.csv")
write_csv(csv_path)
imp = [binary, "--data-dir", data_dir, "import", "--source", "1", csv_path]
s1, r1, o1 = timed(imp)
s2, r2, o2 = timed(imp)
changed = os.path.join(out, f"enterprises-{n}-changed.csv")
write_csv(changed, changed_every=100)
s3, r3, o3 = timed([binary, "--data-dir", data_dir, "import", "--source", "1", changed])
loop_tx = loop_reference(csv_path, False)
loop_row = loop_reference(csv_path, True)
lines.append(f"IMPORT {n} rows x 12 columns (UTF-8 CSV, {os.path.getsize(csv_path) // 1_000_000} MB), SQLite, release build")
lines.append(f"  first import (all new)      {s1:7.2f} s  {n / s1:9.0f} rows/s  peak RSS {r1} MB  | {o1}")
lines.append(f"  same file again (unchanged) {s2:7.2f} s  {n / s2:9.0f} rows/s  peak RSS {r2} MB  | {o2}")
lines.append(f"  1% of rows changed          {s3:7.2f} s  {n / s3:9.0f} rows/s  peak RSS {r3} MB  | {o3}")
lines.append(f"  reference: Python sqlite3 INSERT loop, one transaction      {loop_tx:7.2f} s  -> zhengwu first import is {loop_tx / s1:.2f}x its speed (with every row checked)")
lines.append(f"  reference: Python sqlite3 INSERT loop, commit every row     {loop_row:7.2f} s (scaled from 20,000 rows) -> {loop_row / s1:.1f}x")

# Ingest.
token = subprocess.run([binary, "--data-dir", data_dir, "token", "create", "--username", "siteadmin", "--name", "bench"], capture_output=True, text=True).stdout.split()[-1]


def call(method, path, body=None, headers=None):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(), headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


keys = {}
for sid, code in [(2, "daoli-air"), (3, "songbei-air")]:
    keys[code] = call("POST", f"/api/v1/stations/{sid}/key", headers={"Authorization": f"Bearer {token}"})["key"]
end = (int(time.time()) // 3600) * 3600
metrics = ["pm25", "pm10", "so2", "no2", "co", "o3"]
total = 0
t0 = time.time()
for code, key in keys.items():
    batch = []
    for h in range(365 * 24, 0, -1):
        ts = end - h * 3600
        for m in metrics:
            batch.append({"metric": m, "time": ts, "value": 20 + (h * 7 + len(m)) % 60})
        if len(batch) >= 5000:
            total += call("POST", f"/api/monitoring/stations/{code}/points", {"points": batch}, {"X-API-Key": key})["accepted"]
            batch = []
    if batch:
        total += call("POST", f"/api/monitoring/stations/{code}/points", {"points": batch}, {"X-API-Key": key})["accepted"]
secs = time.time() - t0
lines.append(f"INGEST {total} points (2 stations x 6 metrics x 8,760 hours) in batches of 5,000 over HTTP: {secs:.2f} s, {total / secs:,.0f} points/s (rollups hour/day/month included)")


def page_times(path, k=30):
    ts = []
    for _ in range(k):
        t = time.time()
        with urllib.request.urlopen(base + path) as r:
            r.read()
        ts.append((time.time() - t) * 1000)
    ts.sort()
    return ts[len(ts) // 2], ts[int(len(ts) * 0.95) - 1]


for label, path in [("year (365 daily means)", "/shuju/jiance/daoli-air?metric=pm25&range=year"), ("week (168 hourly means)", "/shuju/jiance/daoli-air?metric=pm25&range=week")]:
    p50, p95 = page_times(path)
    lines.append(f"CHART page {label}, uncached: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
print("\n".join(lines))
