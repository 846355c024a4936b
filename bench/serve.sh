#!/usr/bin/env bash
# Serving benchmark (issue 7; not a test). One command:
#   bash bench/serve.sh                      # 100,000 articles
#   bash bench/serve.sh --articles 1000000   # the big run
#   CACHE_MB=1024 bash bench/serve.sh        # page cache size for the run (default 128 MB)
# Builds release; generates the demo site group with N articles (kept in bench/out/serve-N for
# later runs); exports the main site to static files with `zhengwu export`; serves that export
# with nginx and the same data with `zhengwu serve`, each on its own loopback port; drives both
# with wrk over the same URL classes (home, channel lists first and deep pages, random articles
# from the whole corpus, 304 revalidation) at 1, 16 and 128 connections; repeats Zhengwu with the
# page cache off; measures publish-to-visible under load, start-up time and peak memory; prints
# one table with the Zhengwu/nginx ratios. Loopback only; about 6 minutes after data generation.
set -euo pipefail
cd "$(dirname "$0")/.."
N=100000
DUR=${DUR:-5}
while [ $# -gt 0 ]; do
  case "$1" in
    --articles) N=$2; shift 2 ;;
    --duration) DUR=$2; shift 2 ;;
    *) echo "用法：bash bench/serve.sh [--articles N] [--duration 每轮秒数]" >&2; exit 2 ;;
  esac
done
. bench/lib.sh
ensure_tools
cargo build --release -p zhengwu --quiet
BIN=$PWD/target/release/zhengwu
W=$PWD/bench/out/serve-$N
DATA=$W/data
STATIC=$W/static
NG=127.0.0.1:18080
ZW=127.0.0.1:18081
export ZHENGWU_DATA_DIR=$DATA ZHENGWU_LOG=warn
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

if [ ! -f "$W/.ready" ]; then
  rm -rf "$W"; mkdir -p "$W"
  echo "== 生成演示站群（$N 篇信息）"
  "$BIN" demo --articles "$N" >/dev/null
  echo "== 建搜索索引"
  "$BIN" reindex >/dev/null 2>&1
  touch "$W/.ready"
fi

echo "== 导出静态页（zhengwu export）"
rm -rf "$STATIC"
t0=$(date +%s%N)
"$BIN" export --site hrb --out "$STATIC" --base-url "http://$ZW" >/dev/null 2>&1
EXPORT_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
EXPORT_PAGES=$(find "$STATIC" -name '*.html' | wc -l)

# nginx: the physical limit — the same bytes from disk, two workers like Zhengwu's two threads.
cat > "$W/nginx.conf" <<CONF
worker_processes 2;
worker_rlimit_nofile 16384;
pid $W/nginx.pid;
error_log $W/nginx-error.log warn;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000; keepalive_timeout 65;
  open_file_cache max=4096 inactive=60s;
  client_body_temp_path $W/tmp; proxy_temp_path $W/tmp; fastcgi_temp_path $W/tmp; uwsgi_temp_path $W/tmp; scgi_temp_path $W/tmp;
  server { listen $NG; root $STATIC; index index.html; }
}
CONF
mkdir -p "$W/tmp"
"$NGINX" -c "$W/nginx.conf" -g 'daemon off;' &
PIDS+=($!)

start_zhengwu() { # $1 = page cache MB; sets ZW_PID and STARTUP_MS
  local t0; t0=$(date +%s%N)
  "$BIN" serve --listen "$ZW" --page-cache-mb "$1" >"$W/serve.log" 2>&1 &
  ZW_PID=$!
  PIDS+=("$ZW_PID")
  until curl -sf -o /dev/null "http://$ZW/healthz"; do sleep 0.01; done
  STARTUP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}
stop_zhengwu() { kill "$ZW_PID"; wait "$ZW_PID" 2>/dev/null || true; }
CACHE_MB=${CACHE_MB:-128}
start_zhengwu "$CACHE_MB"
STARTUP_WARM=$STARTUP_MS
until curl -sf -o /dev/null "http://$NG/index.html"; do sleep 0.05; done

# URL classes: the same paths on both servers.
U=$W/urls; mkdir -p "$U"
echo "/" > "$U/home"
(cd "$STATIC" && find c -name index.html | sed 's|^|/|') > "$U/list-first"
(cd "$STATIC" && find c -name '[0-9]*.html' | awk -F/ '{n=$3; sub(/\.html/,"",n); if (n+0 >= 10) print "/"$0}' | shuf -n 2000 --random-source=<(yes)) > "$U/list-deep"
cat "$U/list-first" "$U/list-deep" > "$U/list"
(cd "$STATIC" && ls a | shuf -n 20000 --random-source=<(yes) | sed 's|^|/a/|') > "$U/article"
# 304: each server's own validators for a sample of every class.
# (/index.html rather than /: nginx's directory index does not answer a conditional "/" on a
# single keep-alive connection reliably, and the comparison is about validators, not indexes.)
(echo /index.html; head -50 "$U/list"; head -200 "$U/article") > "$U/revalidate-paths"
for s in "$NG" "$ZW"; do
  while read -r p; do
    etag=$(curl -s -D - -o /dev/null "http://$s$p" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
    printf '%s\t%s\n' "$p" "$etag"
  done < "$U/revalidate-paths" > "$U/revalidate@$s"
done
for s in "$NG" "$ZW"; do
  p=$(head -1 "$U/revalidate@$s" | cut -f1); e=$(head -1 "$U/revalidate@$s" | cut -f2)
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $e" "http://$s$p")
  [ "$code" = 304 ] || { echo "重新验证未得到 304（$s$p → $code）" >&2; exit 1; }
done

# Both servers read from memory: nginx's files are put in the OS page cache first (a cold disk
# would measure the disk, not the server).
find "$STATIC" -type f -exec cat {} + > /dev/null

run() { # server class conns -> "rps p50 p99 status_errors socket_errors"
  local file="$U/$2"; [ "$2" = revalidate ] && file="$U/revalidate@$1"
  local t=2; [ "$3" -lt 2 ] && t=1
  wrk -t"$t" -c"$3" -d"${DUR}s" -s bench/serve/urls.lua "http://$1" -- "$file" 2>/dev/null | awk '/^RESULT/{print $2, $3, $4, $5, $6}'
}
CLASSES="home list article revalidate"
declare -A R
echo "== 压测（每轮 ${DUR} 秒）"
for cls in $CLASSES; do for c in 1 16 128; do
  run "$ZW" "$cls" "$c" >/dev/null  # warm the page cache for this class
  R[ng,$cls,$c]=$(run "$NG" "$cls" "$c")
  R[zw,$cls,$c]=$(run "$ZW" "$cls" "$c")
  echo "  $cls c=$c nginx ${R[ng,$cls,$c]} | zhengwu ${R[zw,$cls,$c]}" >&2
done; done
RSS_WARM=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$ZW_PID/status")

echo "== 发布生效时间（压测进行中）"
TOKENS=()
for u in editor reviewer_dept reviewer_office; do TOKENS+=("$("$BIN" token create --username "$u" --name 压测 2>/dev/null | tail -1)"); done
CHANNEL=$(python3 - "$DATA" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/zhengwu.db")
print(db.execute("SELECT c.id FROM channel c JOIN site s ON s.id = c.site_id WHERE s.code = 'hrb' AND c.slug = 'bmdt'").fetchone()[0])
PY
)
wrk -t2 -c16 -d60s -s bench/serve/urls.lua "http://$ZW" -- "$U/article" >/dev/null 2>&1 &
LOAD=$!
PUB=$(python3 bench/serve/publish.py "http://$ZW" "$CHANNEL" "${TOKENS[@]}" 20)
kill "$LOAD" 2>/dev/null || true; wait "$LOAD" 2>/dev/null || true
stop_zhengwu

echo "== 关闭页面缓存（渲染成本）"
start_zhengwu 0
STARTUP_COLD=$STARTUP_MS
for cls in home list article; do for c in 1 16; do
  R[cold,$cls,$c]=$(run "$ZW" "$cls" "$c")
  echo "  $cls c=$c cold ${R[cold,$cls,$c]}" >&2
done; done
stop_zhengwu

ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2f", $1 / $2; else print "-" }'; }
echo
echo "## 服务性能：Zhengwu 对 nginx（$N 篇信息，页面缓存 ${CACHE_MB} MB，每轮 ${DUR} 秒，同机 2 核）"
echo
echo "| 类别 | 连接 | nginx 请求/秒 | nginx p50/p99 ms | Zhengwu 请求/秒 | Zhengwu p50/p99 ms | 比值 | 错误 |"
echo "|---|---|---|---|---|---|---|---|"
for cls in $CLASSES; do for c in 1 16 128; do
  read -r nr n50 n99 _ _ <<< "${R[ng,$cls,$c]}"
  read -r zr z50 z99 zs ze <<< "${R[zw,$cls,$c]}"
  echo "| $cls | $c | $nr | $n50 / $n99 | $zr | $z50 / $z99 | $(ratio "$zr" "$nr") | $zs/$ze |"
done; done
echo
echo "| 关闭缓存 | 连接 | Zhengwu 请求/秒 | p50/p99 ms | 对 nginx 比值 |"
echo "|---|---|---|---|---|"
for cls in home list article; do for c in 1 16; do
  read -r cr c50 c99 _ _ <<< "${R[cold,$cls,$c]}"
  read -r nr _ _ _ _ <<< "${R[ng,$cls,$c]}"
  echo "| $cls | $c | $cr | $c50 / $c99 | $(ratio "$cr" "$nr") |"
done; done
echo
echo "| 发布生效（压测中，20 次） | p50 ms | p99 ms |"
echo "|---|---|---|"
echo "$PUB" | awk '/^PUBLISH/{printf "| %s | %s | %s |\n", $2, $3, $4}'
echo
echo "启动到可服务：${STARTUP_WARM} ms（缓存开）/ ${STARTUP_COLD} ms（缓存关）；压测后峰值内存（RSS）：${RSS_WARM} MB"
echo "导出：${EXPORT_PAGES} 个页面，用时 $((EXPORT_MS / 1000)).$(( (EXPORT_MS % 1000) / 100 )) 秒"
