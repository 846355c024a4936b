#!/usr/bin/env bash
# Letters benchmark (issue 5; not a test). One command:
#   bash bench/letters.sh                       # 1,000,000 letters on SQLite
#   bash bench/letters.sh --letters 100000
#   bash bench/letters.sh --postgres            # the same on the local PostgreSQL
# Builds release; generates the demo site group with N letters spread over the past year (kept in
# bench/out/letters-N[-pg] for later runs); signs in as the office (siteadmin) and as a
# platform-wide handler; then, one connection at a time (a person waiting for a page), drives with
# wrk: the statistics page (this year, and the whole year back), the xlsx export, the handler's
# queue (every letter owed a reply, ordered by due date, first and a deep page), the office's
# screening queue, a mailbox's public list (first page, page 50, a keyword search) and Open311's
# request list. The reference in the same run is nginx serving the very same pages as static
# files: the ratio shows what the database work costs on top of sending the bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
N=1000000
DUR=${DUR:-5}
PG=""
while [ $# -gt 0 ]; do
  case "$1" in
    --letters) N=$2; shift 2 ;;
    --duration) DUR=$2; shift 2 ;;
    --postgres) PG=1; shift ;;
    *) echo "用法：bash bench/letters.sh [--letters N] [--duration 每轮秒数] [--postgres]" >&2; exit 2 ;;
  esac
done
source bench/lib.sh
ensure_tools
cargo build --release -p zhengwu --quiet
BIN=$PWD/target/release/zhengwu
W=$PWD/bench/out/letters-$N${PG:+-pg}
DATA=$W/data
STATIC=$W/static
NG=127.0.0.1:18090
ZW=127.0.0.1:18091
export ZHENGWU_DATA_DIR=$DATA ZHENGWU_LOG=warn
if [ -n "$PG" ]; then use_postgres "zw_bench_letters_$N"; fi
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

if [ ! -f "$W/.ready" ]; then
  rm -rf "$W"; mkdir -p "$W"
  if [ -n "$PG" ]; then fresh_postgres; fi
  echo "== 生成演示站群和 $N 封来信"
  t0=$(date +%s%N)
  "$BIN" demo --articles 200 --letters "$N" >/dev/null
  echo "GEN_MS $(( ($(date +%s%N) - t0) / 1000000 ))" > "$W/gen.txt"
  if [ -n "$PG" ]; then psql -h 127.0.0.1 -U postgres -d "zw_bench_letters_$N" -qc "VACUUM ANALYZE letter" >/dev/null; fi
  touch "$W/.ready"
fi
GEN_MS=$(awk '/GEN_MS/{print $2}' "$W/gen.txt")

"$BIN" serve --listen "$ZW" >"$W/serve.log" 2>&1 &
ZW_PID=$!
PIDS+=($ZW_PID)
for _ in $(seq 1 100); do curl -fs "http://$ZW/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

OFFICE=$(login siteadmin)
HANDLER=$(login handler)

YEAR_AGO=$(date -d '-365 days' +%F)
TODAY=$(date +%F)
KW=$(python3 -c 'import urllib.parse; print(urllib.parse.quote("路灯"))')
# name | who | path
CASES="stats|office|/admin/letters/stats
stats-year|office|/admin/letters/stats?from=$YEAR_AGO&to=$TODAY
stats-xlsx|office|/admin/letters/stats.xlsx?from=$YEAR_AGO&to=$TODAY
handler-queue|handler|/admin/letters
handler-queue-p100|handler|/admin/letters?page=100
office-queue|office|/admin/letters/office
public-list|-|/hudong/szxx/
public-list-p50|-|/hudong/szxx/?page=50
public-search|-|/hudong/szxx/?q=$KW
open311-requests|-|/open311/v2/requests.json"

# The same pages as files for nginx (the reference).
rm -rf "$STATIC"; mkdir -p "$STATIC" "$W/urls"
while IFS='|' read -r name who path; do
  cookie=""; [ "$who" = office ] && cookie=$OFFICE; [ "$who" = handler ] && cookie=$HANDLER
  code=$(curl -s -o "$STATIC/$name" -w '%{http_code}' -H "Cookie: $cookie" "http://$ZW$path")
  [ "$code" = 200 ] || { echo "$name $path answered $code" >&2; exit 1; }
  echo "$path" > "$W/urls/$name.zw"
  echo "/$name" > "$W/urls/$name.ng"
done <<< "$CASES"
start_nginx "$W" "$STATIC" "$NG"

echo
echo "来信 $N 封（$([ -n "$PG" ] && echo PostgreSQL || echo SQLite)），生成用时 $((GEN_MS / 1000)) 秒；单连接，每项 ${DUR} 秒"
echo "| 页面 | Zhengwu p50 ms | p99 ms | 请求/秒 | nginx 静态 p50 ms | 比值（nginx 吞吐/Zhengwu 吞吐） | 字节 |"
echo "|---|---|---|---|---|---|---|"
while IFS='|' read -r name who path; do
  cookie=""; [ "$who" = office ] && cookie=$OFFICE; [ "$who" = handler ] && cookie=$HANDLER
  read -r zr zp50 zp99 zbad zerr <<< "$(run_get "$ZW" "$W/urls/$name.zw" "$cookie")"
  read -r nr np50 _ _ _ <<< "$(run_get "$NG" "$W/urls/$name.ng" "")"
  bytes=$(stat -c %s "$STATIC/$name")
  ratio=$(echo "$nr $zr" | awk '{ if ($2 > 0) printf "%.0f", $1 / $2; else print "-" }')
  flag=""; [ "$zbad" != 0 ] || [ "$zerr" != 0 ] && flag=" (错误 $zbad/$zerr)"
  echo "| $name | $zp50 | $zp99 | $zr$flag | $np50 | $ratio | $bytes |"
done <<< "$CASES"
echo "RSS $(awk '/VmHWM/{print int($2/1024)}' "/proc/$ZW_PID/status") MB"
