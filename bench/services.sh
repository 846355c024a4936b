#!/usr/bin/env bash
# Online-services benchmark (issue 6; not a test). One command:
#   bash bench/services.sh                         # 1,000,000 applications on SQLite
#   bash bench/services.sh --applications 100000
# Builds release; generates the demo with its 44 items and N applications spread over the past
# year (kept in bench/out/services-N); files one real application through the public form to get a
# receipt number and query code; then, one connection at a time, drives with wrk: the applicant's
# status query (POST by number and code), the overdue list (every department, as a platform-wide
# handler), the department case list, the statistics page for this year and for the year back, the
# service hall and an item page. The reference is nginx serving the same responses as files.
set -euo pipefail
cd "$(dirname "$0")/.."
N=1000000
DUR=${DUR:-5}
while [ $# -gt 0 ]; do
  case "$1" in
    --applications) N=$2; shift 2 ;;
    --duration) DUR=$2; shift 2 ;;
    *) echo "用法：bash bench/services.sh [--applications N] [--duration 每轮秒数]" >&2; exit 2 ;;
  esac
done
source bench/lib.sh
ensure_tools
cargo build --release -p zhengwu --quiet
BIN=$PWD/target/release/zhengwu
W=$PWD/bench/out/services-$N
DATA=$W/data
STATIC=$W/static
NG=127.0.0.1:18092
ZW=127.0.0.1:18093
export ZHENGWU_DATA_DIR=$DATA ZHENGWU_LOG=warn
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

if [ ! -f "$W/.ready" ]; then
  rm -rf "$W"; mkdir -p "$W"
  echo "== 生成演示站群和 $N 件办件"
  t0=$(date +%s%N)
  "$BIN" demo --articles 100 --letters 0 --applications "$N" >/dev/null
  echo "GEN_MS $(( ($(date +%s%N) - t0) / 1000000 ))" > "$W/gen.txt"
  touch "$W/.ready"
fi
GEN_MS=$(awk '/GEN_MS/{print $2}' "$W/gen.txt")

"$BIN" serve --listen "$ZW" >"$W/serve.log" 2>&1 &
ZW_PID=$!
PIDS+=($ZW_PID)
for _ in $(seq 1 100); do curl -fs "http://$ZW/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

ADMIN=$(login siteadmin)
HANDLER=$(login handler)

# One real application through the public form: its receipt number and query code.
JAR=$(mktemp)
PDF="$W/material.pdf"; printf '%%PDF-1.4\n%%bench\n' > "$PDF"
CSRF=$(curl -s -c "$JAR" "http://$ZW/banshi/items/230100-RSJ-002/apply" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
RECEIPT=$(curl -s -L -b "$JAR" -c "$JAR" -F "_csrf=$CSRF" -F applicant_kind=person -F applicant_name=王建国 -F applicant_code=11010519491231002X -F phone=13812345678 -F "v_reason=申领就业创业证" -F "mat_0=@$PDF;filename=身份证.pdf" -F "mat_1=@$PDF;filename=申请表.pdf" "http://$ZW/banshi/items/230100-RSJ-002/apply")
NO=$(echo "$RECEIPT" | grep -o 'BJ[0-9]*' | head -1)
CODE=$(echo "$RECEIPT" | sed -n 's/.*查询码<\/dt><dd><strong>\([A-Z0-9]*\)<.*/\1/p' | head -1)
[ -n "$NO" ] && [ -n "$CODE" ] || { echo "could not file the test application" >&2; exit 1; }
PUBCOOKIE=$(awk '$6 ~ /^zw_/ {printf "%s=%s; ", $6, $7}' "$JAR")
QBODY="_csrf=$CSRF&no=$NO&code=$CODE"
rm -f "$JAR"

YEAR_AGO=$(date -d '-365 days' +%F)
TODAY=$(date +%F)
CASES="status-query|post|/banshi/query
overdue-list|handler|/admin/services/cases?overdue=1
dept-cases|handler|/admin/services/cases
stats|admin|/admin/services/stats
stats-year|admin|/admin/services/stats?from=$YEAR_AGO&to=$TODAY
hall|-|/banshi/
item-page|-|/banshi/items/230100-SCJ-001
gongshi|-|/banshi/gongshi"

rm -rf "$STATIC"; mkdir -p "$STATIC" "$W/urls"
while IFS='|' read -r name who path; do
  cookie=""; [ "$who" = admin ] && cookie=$ADMIN; [ "$who" = handler ] && cookie=$HANDLER
  if [ "$who" = post ]; then
    code=$(curl -s -o "$STATIC/$name" -w '%{http_code}' -H "Cookie: $PUBCOOKIE" --data "$QBODY" "http://$ZW$path")
  else
    code=$(curl -s -o "$STATIC/$name" -w '%{http_code}' -H "Cookie: $cookie" "http://$ZW$path")
  fi
  [ "$code" = 200 ] || { echo "$name $path answered $code" >&2; exit 1; }
  echo "$path" > "$W/urls/$name.zw"
  echo "/$name" > "$W/urls/$name.ng"
done <<< "$CASES"
grep -q "$NO" "$STATIC/status-query" || { echo "status query did not find $NO" >&2; exit 1; }
start_nginx "$W" "$STATIC" "$NG"

run_post() { ZW_COOKIE="$PUBCOOKIE" ZW_BODY="$QBODY" wrk -t1 -c1 -d"${DUR}s" -s bench/services/post.lua "http://$1$2" 2>/dev/null | awk '/^RESULT/{print $2, $3, $4, $5, $6}'; }
echo
echo "办件 $N 件（SQLite），生成用时 $((GEN_MS / 1000)) 秒；单连接，每项 ${DUR} 秒"
echo "| 页面 | Zhengwu p50 ms | p99 ms | 请求/秒 | nginx 静态 p50 ms | 比值（nginx 吞吐/Zhengwu 吞吐） | 字节 |"
echo "|---|---|---|---|---|---|---|"
while IFS='|' read -r name who path; do
  cookie=""; [ "$who" = admin ] && cookie=$ADMIN; [ "$who" = handler ] && cookie=$HANDLER
  if [ "$who" = post ]; then
    read -r zr zp50 zp99 zbad zerr <<< "$(run_post "$ZW" "$path")"
  else
    read -r zr zp50 zp99 zbad zerr <<< "$(run_get "$ZW" "$W/urls/$name.zw" "$cookie")"
  fi
  read -r nr np50 _ _ _ <<< "$(run_get "$NG" "$W/urls/$name.ng" "")"
  bytes=$(stat -c %s "$STATIC/$name")
  ratio=$(echo "$nr $zr" | awk '{ if ($2 > 0) printf "%.0f", $1 / $2; else print "-" }')
  flag=""; [ "$zbad" != 0 ] || [ "$zerr" != 0 ] && flag=" (错误 $zbad/$zerr)"
  echo "| $name | $zp50 | $zp99 | $zr$flag | $np50 | $ratio | $bytes |"
done <<< "$CASES"
echo "RSS $(awk '/VmHWM/{print int($2/1024)}' "/proc/$ZW_PID/status") MB"
