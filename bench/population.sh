#!/usr/bin/env bash
# 人口资源库 benchmark (issue 20; not a test). One command:
#   bash bench/population.sh                 # 900,000 people x 300 columns
#   bash bench/population.sh --rows 100000
# Builds release, makes a small demo (its four population sources), then runs
# bench/population/bench.py: `zhengwu import` of a generated 公安 file against a plain Python
# sqlite3 INSERT loop of the same CSV, then masked and audited queries and statistics over HTTP
# against /healthz as the floor. Figures go to stdout; keep them in
# bench/README-population-results.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
N=900000
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) N=$2; shift 2 ;;
    *) echo "用法：bash bench/population.sh [--rows N]" >&2; exit 2 ;;
  esac
done
cargo build --release -p zhengwu --quiet
BIN=$PWD/target/release/zhengwu
W=$PWD/bench/out/population-$N
rm -rf "$W"; mkdir -p "$W"
DATA=$W/data
ZW=127.0.0.1:18120
export ZHENGWU_LOG=warn
"$BIN" --data-dir "$DATA" demo --articles 20 --letters 0 --applications 0 --enterprises 0 --people 100 --monitor-days 0 >/dev/null
"$BIN" --data-dir "$DATA" serve --listen "$ZW" >"$W/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://$ZW/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
python3 bench/population/bench.py "http://$ZW" "$BIN" "$DATA" "$N" "$W"
