#!/usr/bin/env bash
# 信息资源共享 benchmark (issue 20; not a test). One command:
#   bash bench/data.sh                 # 300,000 enterprises
#   bash bench/data.sh --rows 900000
# Builds release, makes a demo without generated enterprises or monitoring history, then runs
# bench/data/bench.py: the import framework against a plain INSERT loop, ingest over HTTP, and
# the chart pages. Figures go to stdout; keep them in bench/README-data-results.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
N=300000
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) N=$2; shift 2 ;;
    *) echo "用法：bash bench/data.sh [--rows N]" >&2; exit 2 ;;
  esac
done
cargo build --release -p zhengwu --quiet
BIN=$PWD/target/release/zhengwu
W=$PWD/bench/out/data-$N
rm -rf "$W"; mkdir -p "$W"
DATA=$W/data
ZW=127.0.0.1:18110
export ZHENGWU_LOG=warn
"$BIN" --data-dir "$DATA" demo --articles 20 --letters 0 --applications 0 --enterprises 0 --monitor-days 0 >/dev/null
"$BIN" --data-dir "$DATA" serve --listen "$ZW" >"$W/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://$ZW/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
python3 bench/data/bench.py "http://$ZW" "$BIN" "$DATA" "$N" "$W"
