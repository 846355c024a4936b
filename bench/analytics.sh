#!/usr/bin/env bash
# Access-statistics benchmark (issue 21; not a test). One command:
#   bash bench/analytics.sh                          # 10,000 articles, 10,000,000 page views
#   bash bench/analytics.sh --views 1000000          # a smaller year
# Builds release; generates the demo with N articles and V page views over the past year replayed
# through the kernel's counter (kept in bench/out/analytics-N-V); then
#  1. the one-year statistics page (and its API) of the portal, one connection, against nginx
#     serving the very same response as a file;
#  2. counting cost: cached article pages driven by wrk as 20,000 browsers (user agents, addresses,
#     referrers) at 1 and 16 connections, Zhengwu with counting on and off (--no-visit-counting)
#     and nginx on the same pages; and the ingest: the views written to the database against the
#     requests wrk made, and how many per second.
set -euo pipefail
cd "$(dirname "$0")/.."
N=10000
V=10000000
DUR=${DUR:-10}
while [ $# -gt 0 ]; do
  case "$1" in
    --articles) N=$2; shift 2 ;;
    --views) V=$2; shift 2 ;;
    --duration) DUR=$2; shift 2 ;;
    *) echo "用法：bash bench/analytics.sh [--articles N] [--views V] [--duration 每轮秒数]" >&2; exit 2 ;;
  esac
done
. bench/lib.sh
ensure_tools
cargo build --release -p zhengwu --quiet
BIN=$PWD/target/release/zhengwu
W=$PWD/bench/out/analytics-$N-$V
DATA=$W/data
NG=127.0.0.1:18080
ZW=127.0.0.1:18081
export ZHENGWU_DATA_DIR=$DATA ZHENGWU_LOG=warn
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

if [ ! -f "$W/.ready" ]; then
  rm -rf "$W"; mkdir -p "$W"
  echo "== 生成演示站群（$N 篇信息，$V 次浏览回放到访问统计）"
  t0=$(date +%s)
  "$BIN" demo --articles "$N" --letters 0 --applications 0 --visits "$V" >/dev/null
  echo "$(( $(date +%s) - t0 ))" > "$W/generate-seconds"
  touch "$W/.ready"
fi
GEN_S=$(cat "$W/generate-seconds")
YEAR=$(date +%Y)
DB="$DATA/zhengwu.db"
PORTAL=$(sqlite3 "$DB" "SELECT id FROM site ORDER BY sort_order, id LIMIT 1" 2>/dev/null || python3 -c "import sqlite3,sys; print(sqlite3.connect('$DB').execute('SELECT id FROM site ORDER BY sort_order, id LIMIT 1').fetchone()[0])")
q() { python3 -c "import sqlite3,sys; r=sqlite3.connect('$DB').execute(sys.argv[1]).fetchone(); print(r[0] if r and r[0] is not None else 0)" "$1"; }
YEAR_VIEWS=$(q "SELECT SUM(views) FROM analytics_total WHERE period = '$YEAR'")
PAST_VIEWS=$(q "SELECT SUM(views) FROM analytics_total WHERE length(period) = 10")
PAGE_ROWS=$(q "SELECT COUNT(*) FROM analytics_page")

start_zhengwu() { # extra serve flags…; sets ZW_PID
  "$BIN" serve --listen "$ZW" --trust-proxy "$@" >"$W/serve.log" 2>&1 &
  ZW_PID=$!
  PIDS+=("$ZW_PID")
  until curl -sf -o /dev/null "http://$ZW/healthz"; do sleep 0.05; done
}
stop_zhengwu() { kill "$ZW_PID"; wait "$ZW_PID" 2>/dev/null || true; }

echo "== 一年统计页（$YEAR 年，门户）"
start_zhengwu
COOKIE=$(login siteadmin)
STATIC=$W/static; rm -rf "$STATIC"; mkdir -p "$STATIC/s"
curl -sf -H "Cookie: $COOKIE" "http://$ZW/admin/supervision/stats/sites/$PORTAL?period=$YEAR" -o "$STATIC/s/page.html"
curl -sf -H "Cookie: $COOKIE" "http://$ZW/api/v1/visits/sites/$PORTAL?period=$YEAR" -o "$STATIC/s/api.json"
grep -q "热门文章" "$STATIC/s/page.html" || { echo "统计页没有内容" >&2; exit 1; }
start_nginx "$W/ng" "$STATIC" "$NG"
declare -A R
echo "/admin/supervision/stats/sites/$PORTAL?period=$YEAR" > "$W/u-page"; echo "/s/page.html" > "$W/n-page"
echo "/api/v1/visits/sites/$PORTAL?period=$YEAR" > "$W/u-api"; echo "/s/api.json" > "$W/n-api"
for k in page api; do
  R[zw,$k]=$(run_get "$ZW" "$W/u-$k" "$COOKIE")
  R[ng,$k]=$(run_get "$NG" "$W/n-$k" "")
  echo "  $k zhengwu ${R[zw,$k]} | nginx ${R[ng,$k]}" >&2
done

echo "== 计数成本与写入速度（缓存文章页，模拟 20,000 位访客）"
"$BIN" export --site hrb --out "$W/export" --base-url "http://$ZW" >/dev/null 2>&1
(cd "$W/export" && ls a | shuf -n 5000 --random-source=<(yes) | sed 's|^|/a/|') > "$W/articles"
kill "${PIDS[-1]}" 2>/dev/null || true
start_nginx "$W/ng2" "$W/export" "$NG"
find "$W/export" -type f -exec cat {} + > /dev/null
run_visits() { # host conns -> "rps p50 p99 non2xx errors requests"
  local t=2; [ "$2" -lt 2 ] && t=1
  wrk -t"$t" -c"$2" -d"${DUR}s" -s bench/analytics/visits.lua "http://$1" -- "$W/articles" 2>/dev/null | awk '/^RESULT/{print $2, $3, $4, $5, $6, $7}'
}
today_views() { q "SELECT COALESCE(SUM(views), 0) FROM analytics_total WHERE period = '$(TZ=Asia/Shanghai date +%F)'"; }
# Waits until what the server counted is written: today's views unchanged across a flush interval.
settle() {
  local prev=-1 cur
  for _ in $(seq 1 12); do
    cur=$(today_views)
    [ "$cur" = "$prev" ] && break
    prev=$cur
    sleep 16
  done
}
for c in 1 16; do R[ng,a,$c]=$(run_visits "$NG" "$c"); done
stop_zhengwu
start_zhengwu --no-visit-counting
for c in 1 16; do run_visits "$ZW" "$c" >/dev/null; R[off,a,$c]=$(run_visits "$ZW" "$c"); done
stop_zhengwu
start_zhengwu
for c in 1 16; do run_visits "$ZW" "$c" >/dev/null; done
settle
BEFORE=$(today_views)
SENT=0
for c in 1 16; do
  R[on,a,$c]=$(run_visits "$ZW" "$c")
  SENT=$(( SENT + $(echo "${R[on,a,$c]}" | awk '{print $6}') ))
done
settle
AFTER=$(today_views)
RSS=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$ZW_PID/status")
stop_zhengwu
WRITTEN=$(( AFTER - BEFORE ))

# At the issue's load: browsers paced to about 5,000 counted views a second (9 connections, a
# 1 ms pause before each request) while a crawler — served the same cached pages, never counted —
# measures what the server still answers at 16 connections; once with counting, once without.
paced_round() { # -> "crawler_rps browsers_rps browsers_requests"
  wrk -t1 -c9 -d"$((DUR + 2))s" -s bench/analytics/visits.lua "http://$ZW" -- "$W/articles" browser 1 2>/dev/null \
    | awk '/^RESULT/{print $2, $7}' > "$W/paced.out" &
  local bg=$!
  sleep 1
  local crawl
  crawl=$(wrk -t2 -c16 -d"${DUR}s" -s bench/analytics/visits.lua "http://$ZW" -- "$W/articles" crawler 2>/dev/null | awk '/^RESULT/{print $2}')
  wait "$bg"
  echo "$crawl $(cat "$W/paced.out")"
}
start_zhengwu --no-visit-counting
paced_round >/dev/null
P_OFF=$(paced_round)
stop_zhengwu
start_zhengwu
paced_round >/dev/null
settle
P_BEFORE=$(today_views)
P_ON=$(paced_round)
settle
P_WRITTEN=$(( $(today_views) - P_BEFORE ))
stop_zhengwu

ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2f", $1 / $2; else print "-" }'; }
echo
echo "## 访问统计（$N 篇信息，$V 次浏览回放，每轮 ${DUR} 秒，同机 2 核）"
echo
echo "生成：${GEN_S} 秒；$YEAR 年全站群浏览量 $YEAR_VIEWS；按日汇总的浏览量合计 $PAST_VIEWS；页面汇总行 $PAGE_ROWS"
echo
echo "| 一年统计（门户） | Zhengwu 请求/秒 | p50 / p99 ms | nginx 请求/秒 | 比值 |"
echo "|---|---|---|---|---|"
for k in page api; do
  read -r zr z50 z99 _ _ <<< "${R[zw,$k]}"; read -r nr _ _ _ _ <<< "${R[ng,$k]}"
  echo "| $k | $zr | $z50 / $z99 | $nr | $(ratio "$zr" "$nr") |"
done
echo
echo "| 缓存文章页 | 连接 | nginx 请求/秒 | 不计数 请求/秒 | 计数 请求/秒 | 不计数/nginx | 计数/nginx | 计数/不计数 |"
echo "|---|---|---|---|---|---|---|---|"
for c in 1 16; do
  read -r nr _ _ _ _ _ <<< "${R[ng,a,$c]}"; read -r fr _ _ _ _ _ <<< "${R[off,a,$c]}"; read -r orr _ _ _ _ _ <<< "${R[on,a,$c]}"
  echo "| article | $c | $nr | $fr | $orr | $(ratio "$fr" "$nr") | $(ratio "$orr" "$nr") | $(ratio "$orr" "$fr") |"
done
echo
echo "写入：压测发出 $SENT 次请求，统计表记下 $WRITTEN 次浏览（$(ratio "$WRITTEN" "$SENT")，等写完后计）；计数轮 $((2 * DUR)) 秒内平均 $(( SENT / (2 * DUR) )) 次/秒；峰值内存 ${RSS} MB"
echo
read -r c_off b_off _ <<< "$P_OFF"; read -r c_on b_on n_on <<< "$P_ON"
echo "| 按目标负载（浏览器约 5,000 次/秒计数） | 爬虫 16 连接 请求/秒 | 浏览器 请求/秒 |"
echo "|---|---|---|"
echo "| 不计数 | $c_off | $b_off |"
echo "| 计数 | $c_on | $b_on |"
echo
echo "计数/不计数（同时在计数的缓存页服务能力）：$(ratio "$c_on" "$c_off")；浏览器发出 $n_on 次，统计表记下 $P_WRITTEN 次（$(ratio "$P_WRITTEN" "$n_on")）"
