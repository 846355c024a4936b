#!/usr/bin/env python3
"""Scores the site search against the labelled set: for every query, asks GET /api/v1/search on a
running demo and finds the rank of the first hit whose title holds the expected text. Prints
hits@1, hits@3, hits@10, MRR and the zero-result rate, and each query that misses its mark.

  python3 bench/relevance/score.py http://127.0.0.1:8080 [queries.tsv]
"""
import html
import json
import re
import sys
import urllib.parse
import urllib.request
from pathlib import Path

base = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8080"
labels = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).with_name("queries.tsv")

rows = []
for line in labels.read_text(encoding="utf-8").splitlines():
    if not line.strip() or line.startswith("#"):
        continue
    q, expect, k, *_ = line.split("\t")
    rows.append((q, expect, int(k)))

def titles(q):
    url = f"{base}/api/v1/search?q={urllib.parse.quote(q)}"
    with urllib.request.urlopen(url, timeout=30) as r:
        d = json.load(r)
    return d.get("total", 0), [html.unescape(re.sub(r"<[^>]+>", "", h["title_html"])) for h in d.get("hits", [])]

h1 = h3 = h10 = zero = met = 0
rr = 0.0
misses = []
for q, expect, k in rows:
    total, ts = titles(q)
    rank = next((i + 1 for i, t in enumerate(ts[:10]) if expect in t), None)
    zero += total == 0
    if rank:
        rr += 1 / rank
        h1 += rank <= 1
        h3 += rank <= 3
        h10 += rank <= 10
    if rank and rank <= k:
        met += 1
    else:
        misses.append(f"  {q}: 期望“{expect}”在前 {k} 名，实际 {'第 %d 名' % rank if rank else '前 10 名之外'}（共 {total} 条；前三：{' | '.join(ts[:3])}）")
n = len(rows)
print(f"queries {n}")
print(f"hits@1 {h1 / n:.3f}  hits@3 {h3 / n:.3f}  hits@10 {h10 / n:.3f}  MRR {rr / n:.3f}")
print(f"zero-result rate {zero / n:.3f}  labels met (rank within its k) {met / n:.3f}")
if misses:
    print("misses:")
    print("\n".join(misses))
