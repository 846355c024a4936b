#!/usr/bin/env bash
# 地图服务 benchmark (issue 20; not a test). One command:
#   bash bench/map.sh                 # 100,000 points
#   bash bench/map.sh --points 20000
# Builds release, makes a small demo whose map register holds N generated points (imported
# through the framework like any register), then runs bench/map/bench.py: cluster answers
# (clusters.json) and map pages over HTTP at random views and zooms, against GET /healthz in the
# same run as the floor. Figures go to stdout; keep them in bench/README-map-results.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
N=100000
while [ $# -gt 0 ]; do
  case "$1" in
    --points) N=$2; shift 2 ;;
    *) echo "用法：bash bench/map.sh [--points N]" >&2; exit 2 ;;
  esac
done
cargo build --release -p zhengwu --quiet
BIN=$PWD/target/release/zhengwu
W=$PWD/bench/out/map-$N
rm -rf "$W"; mkdir -p "$W"
DATA=$W/data
ZW=127.0.0.1:18130
export ZHENGWU_LOG=warn
START=$(date +%s.%N)
"$BIN" --data-dir "$DATA" demo --articles 20 --letters 0 --applications 0 --enterprises 0 --people 0 --monitor-days 0 --pois "$N" | grep 地图
echo "demo with $N points (import included): $(echo "$(date +%s.%N) - $START" | bc) s"
"$BIN" --data-dir "$DATA" serve --listen "$ZW" >"$W/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://$ZW/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
python3 bench/map/bench.py "$ZW" "$N"
echo "peak RSS of serve: $(grep VmHWM /proc/$PID/status | awk '{print $2/1024 " MB"}')"
