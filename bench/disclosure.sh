#!/usr/bin/env bash
# 政府信息公开 benchmark (issue 17; not a test). One command:
#   bash bench/disclosure.sh                          # 100,000 requests and 100,000 catalogue items, SQLite
#   bash bench/disclosure.sh --requests 20000 --items 20000
#   bash bench/disclosure.sh --postgres               # the same on the local PostgreSQL
# Builds release; generates the demo with its own requests, guides and last year's reports plus N
# requests over the past year and M catalogue items over eight years across 12 agencies (kept in
# bench/out/disclosure-N-M); then, one connection at a time, drives with wrk: the public catalogue
# (first page, filtered by category, year and validity, by 文号, a deep page), the office's
# catalogue with its Art. 26 and validity lists, the office's queue and overdue list (the demo
# handler of 市科技局), the annual report of this year generated from the requests, the published
# report, the guide and the request form. The reference is nginx serving the same responses.
set -euo pipefail
cd "$(dirname "$0")/.."
N=100000
M=100000
DUR=${DUR:-5}
PG=""
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) N=$2; shift 2 ;;
    --items) M=$2; shift 2 ;;
    --duration) DUR=$2; shift 2 ;;
    --postgres) PG=1; shift ;;
    *) echo "用法：bash bench/disclosure.sh [--requests N] [--items M] [--duration 每轮秒数] [--postgres]" >&2; exit 2 ;;
  esac
done
source bench/lib.sh
ensure_tools
cargo build --release -p zhengwu --quiet
BIN=$PWD/target/release/zhengwu
W=$PWD/bench/out/disclosure-$N-$M${PG:+-pg}
DATA=$W/data
STATIC=$W/static
NG=127.0.0.1:18094
ZW=127.0.0.1:18095
export ZHENGWU_DATA_DIR=$DATA ZHENGWU_LOG=warn
if [ -n "$PG" ]; then use_postgres "zw_bench_disclosure_${N}_$M"; fi
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

if [ ! -f "$W/.ready" ]; then
  rm -rf "$W"; mkdir -p "$W"
  if [ -n "$PG" ]; then fresh_postgres; fi
  echo "== 生成演示站群、$N 件依申请公开和 $M 条公开目录"
  t0=$(date +%s%N)
  "$BIN" demo --articles 100 --letters 0 --applications 0 --disclosure-requests "$N" --disclosure-items "$M" >/dev/null
  echo "GEN_MS $(( ($(date +%s%N) - t0) / 1000000 ))" > "$W/gen.txt"
  if [ -n "$PG" ]; then psql -h 127.0.0.1 -U postgres -d "$PG_DB" -qc "VACUUM ANALYZE" >/dev/null; fi
  touch "$W/.ready"
fi
GEN_MS=$(awk '/GEN_MS/{print $2}' "$W/gen.txt")

"$BIN" serve --listen "$ZW" >"$W/serve.log" 2>&1 &
ZW_PID=$!
PIDS+=($ZW_PID)
for _ in $(seq 1 100); do curl -fs "http://$ZW/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
# The first start indexes the whole catalogue for the site search in the background; measuring
# during it would measure the indexer. Wait until the server's CPU time stops growing.
prev=-1; idle=0
for _ in $(seq 1 150); do
  sleep 2
  cpu=$(awk '{print $14 + $15}' "/proc/$ZW_PID/stat")
  if [ "$cpu" = "$prev" ]; then idle=$((idle + 1)); else idle=0; fi
  [ "$idle" -ge 10 ] && break
  prev=$cpu
done

ADMIN=$(login siteadmin)
HANDLER=$(login handler)
YEAR=$(date +%Y)
# 市科技局: its back-office id (from the guides page) and its public code (from the reports list).
KJJ_ID=$(curl -s -H "Cookie: $ADMIN" "http://$ZW/admin/disclosure/guides" | perl -0ne 'print $1 if /哈尔滨市科学技术局<\/td>.*?\/admin\/disclosure\/reports\/(\d+)\//s')
REPORT=$(curl -s "http://$ZW/gongkai/reports/" | grep -o '/gongkai/reports/[^"]*/[0-9]*' | head -1)
GUIDE=$(curl -s "http://$ZW/gongkai/" | grep -o '/gongkai/guide/[^"]*' | head -1)
[ -n "$KJJ_ID" ] && [ -n "$REPORT" ] && [ -n "$GUIDE" ] || { echo "demo pages not found" >&2; exit 1; }
# Page 50 of the closed requests, reached as the handler does: by following 下一页 (a keyset).
CLOSED=/admin/disclosure/requests?state=closed
for _ in $(seq 2 50); do
  next=$(curl -s -H "Cookie: $HANDLER" "http://$ZW$CLOSED" | grep -o 'href="[^"]*before=[^"]*"' | tail -1 | sed 's/^href="//; s/"$//; s/&amp;/\&/g')
  [ -n "$next" ] || { echo "closed requests end before page 50" >&2; exit 1; }
  CLOSED=$next
done
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
FILTER="topic=$(enc 统计信息)&year=$((YEAR - 2))&validity=valid"
DOCNO=$(enc "冰政规($((YEAR - 1)))500号")
CASES="catalogue|-|/gongkai/catalogue
catalogue-filtered|-|/gongkai/catalogue?$FILTER
catalogue-doc-no|-|/gongkai/catalogue?doc_no=$DOCNO
catalogue-page-200|-|/gongkai/catalogue?page=200
office-catalogue|admin|/admin/disclosure/catalogue
queue|handler|/admin/disclosure/requests
overdue-list|handler|/admin/disclosure/requests?overdue=1
closed-list-page-50|handler|$CLOSED
annual-report|admin|/admin/disclosure/reports/$KJJ_ID/$YEAR
report-public|-|$REPORT
guide|-|$GUIDE
apply-form|-|/gongkai/apply"

rm -rf "$STATIC"; mkdir -p "$STATIC" "$W/urls"
while IFS='|' read -r name who path; do
  cookie=""; [ "$who" = admin ] && cookie=$ADMIN; [ "$who" = handler ] && cookie=$HANDLER
  code=$(curl -s -o "$STATIC/$name" -w '%{http_code}' -H "Cookie: $cookie" "http://$ZW$path")
  [ "$code" = 200 ] || { echo "$name $path answered $code" >&2; exit 1; }
  echo "$path" > "$W/urls/$name.zw"
  echo "/$name" > "$W/urls/$name.ng"
done <<< "$CASES"
start_nginx "$W" "$STATIC" "$NG"

TOTAL=$(db_query "SELECT COUNT(*) FROM disclosure_request")
ITEMS=$(db_query "SELECT COUNT(*) FROM disclosure_item")
grep -q '共 1 条' "$STATIC/catalogue-doc-no" || echo "注意：按文号筛选没有恰好找到 1 条" >&2
echo
echo "依申请公开 $TOTAL 件、公开目录 $ITEMS 条（$([ -n "$PG" ] && echo PostgreSQL || echo SQLite)，其中生成 $N 件、$M 条），生成用时 $((GEN_MS / 1000)) 秒；单连接，每项 ${DUR} 秒"
echo "| 页面 | Zhengwu p50 ms | p99 ms | 请求/秒 | nginx 静态 p50 ms | 比值（nginx 吞吐/Zhengwu 吞吐） | 字节 |"
echo "|---|---|---|---|---|---|---|"
while IFS='|' read -r name who path; do
  cookie=""; [ "$who" = admin ] && cookie=$ADMIN; [ "$who" = handler ] && cookie=$HANDLER
  read -r zr zp50 zp99 zbad zerr <<< "$(run_get "$ZW" "$W/urls/$name.zw" "$cookie")"
  read -r nr np50 _ _ _ <<< "$(run_get "$NG" "$W/urls/$name.ng" "")"
  bytes=$(stat -c %s "$STATIC/$name")
  ratio=$(echo "$nr $zr" | awk '{ if ($2 > 0) printf "%.0f", $1 / $2; else print "-" }')
  flag=""; [ "$zbad" != 0 ] || [ "$zerr" != 0 ] && flag=" (错误 $zbad/$zerr)"
  echo "| $name | $zp50 | $zp99 | $zr$flag | $np50 | $ratio | $bytes |"
done <<< "$CASES"
echo "RSS $(awk '/VmHWM/{print int($2/1024)}' "/proc/$ZW_PID/status") MB"
