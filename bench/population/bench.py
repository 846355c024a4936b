"""人口资源库 benchmark driver (issue 20; not a test). Called by bench/population.sh with a running
`zhengwu serve` and its binary:

1. Import: writes a 公安 export of N generated people (valid GB 11643 ID numbers) with 300 columns
   (nine the database merges, 291 of the department's own, kept sealed), times `zhengwu import`
   (all new) and the same file again (all unchanged), with peak RSS. The reference is Python's
   sqlite3 loading the same CSV into a 300-column table with a plain row-by-row INSERT loop — once
   committing every row (the naive loop; scaled from 20,000 rows) and once in one transaction — no
   checks, no merging, no encryption.
2. Queries: 300 masked queries over HTTP as a 人口信息查询员 (a third by exact ID number, a third by
   exact name, a third by district + sex + age band), each with its purpose and each audited (the
   audit entries are counted); p50/p95, against GET /healthz in the same run as the floor.
3. Statistics: district x age band over everyone (small cells suppressed), p50/p95 of 10.

Usage: python bench.py BASE BIN DATA_DIR N OUT_DIR"""

import csv
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import urllib.request

base, binary, data_dir, n, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
AREAS = ["230102", "230103", "230104", "230108", "230109", "230110", "230111", "230112", "230113",
         "230123", "230124", "230125", "230126", "230127", "230128", "230129", "230183", "230184"]
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞", "平"]
EXTRA = 291


def id_number(i):
    # A bijection of i onto (district, year, day of year, sequence): every number distinct.
    area = AREAS[i % 18]
    year = 1930 + (i // 18) % 90
    doy = (i // 1620) % 336
    seq = (i // 544320) * 2 + (i % 2)
    first17 = f"{area}{year}{1 + doy // 28:02d}{1 + doy % 28:02d}{seq:03d}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(first17, W)) % 11]
    return first17 + check


def name(i):
    return SURNAMES[(i * 7) % len(SURNAMES)] + GIVEN[(i * 13 + i // 20) % len(GIVEN)]


HEAD = ["公民身份号码", "姓名", "性别", "民族", "户籍地", "户别", "婚姻状况", "联系电话", "现住址"] + [f"字段{j:03d}" for j in range(1, EXTRA + 1)]
# The department's own columns: codes, counts and dates, 1,000 distinct rows of them.
OWN = [",".join(str((k * 7 + j * 13) % 997) if j % 3 else f"20{(k + j) % 26:02d}-{1 + j % 12:02d}-{1 + k % 28:02d}" for j in range(EXTRA)) for k in range(1000)]


def write_csv(path):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(HEAD) + "\n")
        for i in range(n):
            idn = id_number(i)
            sex = "男" if int(idn[16]) % 2 else "女"
            f.write(f"{idn},{name(i)},{sex},{'满族' if i % 19 == 0 else '汉族'},{idn[:6]},{'集体户' if i % 23 == 0 else '家庭户'},"
                    f"{['未婚', '已婚', '已婚', '丧偶', '离婚'][i % 5]},1{3 + i % 7}{i % 1_000_000_000:09d},某区某路{i % 500}号{1 + i % 6}单元,{OWN[i % 1000]}\n")


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
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db_path + suffix):
            os.remove(db_path + suffix)
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    cols = ", ".join(f"c{j} TEXT" for j in range(len(HEAD)))
    con.execute(f"CREATE TABLE p ({cols}, PRIMARY KEY (c0))")
    marks = ",".join("?" * len(HEAD))
    rows = 0
    limit = n if not per_row_commit else min(n, 20_000)
    t0 = time.time()
    if not per_row_commit:
        con.execute("BEGIN")
    with open(path, encoding="utf-8") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            con.execute(f"INSERT INTO p VALUES ({marks})", row)
            rows += 1
            if rows >= limit:
                break
    if not per_row_commit:
        con.execute("COMMIT")
    secs = time.time() - t0
    con.close()
    return secs * n / rows


def call(method, path, token=None, body=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def pct(ts, p):
    ts = sorted(ts)
    return ts[min(len(ts) - 1, int(len(ts) * p))]


lines = []
csv_path = os.path.join(out, f"population-{n}.csv")
t0 = time.time()
write_csv(csv_path)
gen = time.time() - t0
size_mb = os.path.getsize(csv_path) // 1_000_000
imp = [binary, "--data-dir", data_dir, "import", "--source", "2", csv_path]
s1, r1, o1 = timed(imp)
s2, r2, o2 = timed(imp)
db_mb = sum(os.path.getsize(os.path.join(data_dir, f)) for f in os.listdir(data_dir) if f.startswith("zhengwu.db")) // 1_000_000
loop_tx = loop_reference(csv_path, False)
loop_row = loop_reference(csv_path, True)
lines.append(f"IMPORT {n} people x {len(HEAD)} columns (UTF-8 CSV, {size_mb} MB, generated in {gen:.0f} s), SQLite, release build")
lines.append(f"  first import (all new)      {s1:7.1f} s  {n / s1:8.0f} rows/s  peak RSS {r1} MB  | {o1}")
lines.append(f"  same file again (unchanged) {s2:7.1f} s  {n / s2:8.0f} rows/s  peak RSS {r2} MB  | {o2}")
lines.append(f"  database after import: {db_mb} MB (names, numbers, phones, addresses and the 291 own columns sealed; own columns as value arrays, headings once per layout)")
lines.append(f"  reference: Python sqlite3 INSERT loop, commit every row  {loop_row:8.1f} s (scaled from 20,000 rows) -> zhengwu is {loop_row / s1:.1f}x faster")
lines.append(f"  reference: Python sqlite3 INSERT loop, one transaction    {loop_tx:8.1f} s -> zhengwu takes {s1 / loop_tx:.1f}x its time (checking, merging, sealing every row)")

token = subprocess.run([binary, "--data-dir", data_dir, "token", "create", "--username", "renkou_cx", "--name", "bench"], capture_output=True, text=True).stdout.split()[-1]
db = sqlite3.connect(f"file:{os.path.join(data_dir, 'zhengwu.db')}?mode=ro", uri=True)
audits = lambda: db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'population.query'").fetchone()[0]
before = audits()
purpose = {"purpose": "assistance", "purpose_note": "低保复核 2026-0312 号"}
rnd = random.Random(7)
kinds = {"id": [], "name": [], "area": []}
found = 0
for q in range(300):
    i = rnd.randrange(n)
    kind = ["id", "name", "area"][q % 3]
    body = dict(purpose)
    if kind == "id":
        body["id_number"] = id_number(i)
    elif kind == "name":
        body["name"] = name(i)
    else:
        body.update({"area_code": AREAS[i % 18], "sex": str(1 + i % 2), "age_band": ["15-34", "35-59", "60-79"][i % 3]})
    t = time.time()
    r = call("POST", "/api/v1/population/query", token, body)
    kinds[kind].append((time.time() - t) * 1000)
    found += r["count"] > 0
audited = audits() - before
health = []
for _ in range(100):
    t = time.time()
    urllib.request.urlopen(base + "/healthz").read()
    health.append((time.time() - t) * 1000)
every = kinds["id"] + kinds["name"] + kinds["area"]
lines.append(f"QUERY 300 masked queries over HTTP at {n} people, one connection, each with purpose; {audited} audit entries written, {found} found someone")
for k, label in [("id", "exact ID number (keyed hash)"), ("name", "exact name (keyed hash)"), ("area", "district + sex + age band, first 50 + count")]:
    lines.append(f"  {label:44s} p50 {pct(kinds[k], 0.5):6.1f} ms  p95 {pct(kinds[k], 0.95):6.1f} ms")
lines.append(f"  all                                          p50 {pct(every, 0.5):6.1f} ms  p95 {pct(every, 0.95):6.1f} ms  (target p95 <= 100 ms)")
lines.append(f"  reference: GET /healthz                      p50 {pct(health, 0.5):6.1f} ms  p95 {pct(health, 0.95):6.1f} ms")
stats = []
for _ in range(10):
    t = time.time()
    s = call("GET", "/api/v1/population/statistics?rows=area&cols=age&purpose=statistics&purpose_note=bench", token)
    stats.append((time.time() - t) * 1000)
lines.append(f"STATISTICS district x age band over {s['total']} people ({s['hidden']} cells hidden): p50 {pct(stats, 0.5):.0f} ms, p95 {pct(stats, 0.95):.0f} ms")
print("\n".join(lines))
