#!/usr/bin/env bash
# 公众参与 benchmark (issue 18; not a test). One command:
#   bash bench/participation.sh                      # 2,000 viewers for 30 s; 100,000 survey responses
#   bash bench/participation.sh --viewers 500 --seconds 10 --responses 20000
# Builds release; generates the demo with N extra responses to its closed survey (kept in
# bench/out/participation-N); serves it on SQLite; starts the announced interview and holds V
# server-sent-event viewers on it while a message is posted every second (bench/participation/
# sse.mjs: delivery latency and the server's RSS); then, one connection at a time, drives with wrk
# the survey's results (public API and page, read from the per-choice counters) and the live
# interview page. The reference is nginx serving the same responses.
set -euo pipefail
cd "$(dirname "$0")/.."
R=100000
V=2000
S=30
DUR=${DUR:-5}
while [ $# -gt 0 ]; do
  case "$1" in
    --responses) R=$2; shift 2 ;;
    --viewers) V=$2; shift 2 ;;
    --seconds) S=$2; shift 2 ;;
    --duration) DUR=$2; shift 2 ;;
    *) echo "用法：bash bench/participation.sh [--responses N] [--viewers V] [--seconds 直播秒数] [--duration 每轮秒数]" >&2; exit 2 ;;
  esac
done
source bench/lib.sh
ensure_tools
cargo build --release -p zhengwu --quiet
BIN=$PWD/target/release/zhengwu
W=$PWD/bench/out/participation-$R
DATA=$W/data
STATIC=$W/static
NG=127.0.0.1:18096
ZW=127.0.0.1:18097
export ZHENGWU_DATA_DIR=$DATA ZHENGWU_LOG=warn
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
ulimit -n 16384 2>/dev/null || ulimit -n 4096

# A fresh copy each run: the interview is started and posted to.
rm -rf "$W"; mkdir -p "$W"
echo "== 生成演示站群和 $R 份问卷答卷"
t0=$(date +%s%N)
"$BIN" demo --articles 100 --letters 0 --applications 0 --survey-responses "$R" >/dev/null
GEN_MS=$(( ($(date +%s%N) - t0) / 1000000 ))

"$BIN" serve --listen "$ZW" >"$W/serve.log" 2>&1 &
ZW_PID=$!
PIDS+=($ZW_PID)
for _ in $(seq 1 100); do curl -fs "http://$ZW/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
# Wait for the first start's search indexing to finish (the server's CPU time stops growing).
prev=-1; idle=0
for _ in $(seq 1 150); do
  sleep 1
  cpu=$(awk '{print $14 + $15}' "/proc/$ZW_PID/stat")
  if [ "$cpu" = "$prev" ]; then idle=$((idle + 1)); else idle=0; fi
  [ "$idle" -ge 5 ] && break
  prev=$cpu
done

TOKEN=$("$BIN" token create --username siteadmin --name 压测 | grep -o 'zw_[A-Za-z0-9_-]*' | head -1)
[ -n "$TOKEN" ] || { echo "no API token" >&2; exit 1; }
SURVEY=$(curl -s "http://$ZW/canyu/surveys/" | grep -o '/canyu/surveys/[0-9][0-9]*' | tail -1 | grep -o '[0-9]*$')
INTERVIEW=$(curl -s "http://$ZW/canyu/interviews/" | grep -o '/canyu/interviews/[0-9][0-9]*' | head -1 | grep -o '[0-9]*$')
curl -fs -X POST -H "Authorization: Bearer $TOKEN" "http://$ZW/api/v1/interviews/$INTERVIEW/actions/start" >/dev/null

echo
echo "== 直播：$V 个观众（SSE），每秒发布一条消息，持续 $S 秒"
SSE=$(node bench/participation/sse.mjs "http://$ZW" "$INTERVIEW" "$V" "$S" "$TOKEN" "$ZW_PID")
echo "$SSE"

CASES="survey-results-api|/api/v1/public/surveys/$SURVEY/results
survey-results-page|/canyu/surveys/$SURVEY
interview-live-page|/canyu/interviews/$INTERVIEW
consultation-page|/canyu/consultations/1"
rm -rf "$STATIC"; mkdir -p "$STATIC" "$W/urls"
while IFS='|' read -r name path; do
  code=$(curl -s -o "$STATIC/$name" -w '%{http_code}' "http://$ZW$path")
  [ "$code" = 200 ] || { echo "$name $path answered $code" >&2; exit 1; }
  echo "$path" > "$W/urls/$name.zw"
  echo "/$name" > "$W/urls/$name.ng"
done <<< "$CASES"
start_nginx "$W" "$STATIC" "$NG"
RESPONSES=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["responses"])' "$STATIC/survey-results-api")
echo
echo "问卷答卷 $RESPONSES 份（SQLite，其中生成 $R 份，生成用时 $((GEN_MS / 1000)) 秒）；单连接，每项 ${DUR} 秒"
echo "| 页面 | Zhengwu p50 ms | p99 ms | 请求/秒 | nginx 静态 p50 ms | 比值（nginx 吞吐/Zhengwu 吞吐） | 字节 |"
echo "|---|---|---|---|---|---|---|"
while IFS='|' read -r name path; do
  read -r zr zp50 zp99 zbad zerr <<< "$(run_get "$ZW" "$W/urls/$name.zw" "")"
  read -r nr np50 _ _ _ <<< "$(run_get "$NG" "$W/urls/$name.ng" "")"
  bytes=$(stat -c %s "$STATIC/$name")
  ratio=$(echo "$nr $zr" | awk '{ if ($2 > 0) printf "%.1f", $1 / $2; else print "-" }')
  flag=""; [ "$zbad" != 0 ] || [ "$zerr" != 0 ] && flag=" (错误 $zbad/$zerr)"
  echo "| $name | $zp50 | $zp99 | $zr$flag | $np50 | $ratio | $bytes |"
done <<< "$CASES"
echo "RSS 峰值 $(awk '/VmHWM/{print int($2/1024)}' "/proc/$ZW_PID/status") MB"
