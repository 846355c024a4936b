#!/usr/bin/env bash
# Runs every test: unit tests, the integration suite on SQLite and on PostgreSQL, and the browser
# tests. Starts the machine's local PostgreSQL when it is down and installs what the browser tests
# need (Debian's Chromium, a CJK font, the Nu Html Checker and axe-core) when missing.
#
#   ZHENGWU_TEST_POSTGRES_URL     PostgreSQL to create test databases in
#                                 (default: the local server, postgres@127.0.0.1)
#   ZHENGWU_TEST_REQUIRE_POSTGRES=1  fail instead of skipping when PostgreSQL is unavailable (CI)
set -euo pipefail
cd "$(dirname "$0")/.."

# --- PostgreSQL ------------------------------------------------------------------------------------
if [ -z "${ZHENGWU_TEST_POSTGRES_URL:-}" ]; then
  if command -v pg_lsclusters >/dev/null 2>&1; then
    cluster=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1" "$2" "$4}')
    if [ -n "$cluster" ]; then
      set -- $cluster
      if [ "$3" != "online" ]; then
        echo "starting PostgreSQL $1/$2"
        pg_ctlcluster --skip-systemctl-redirect "$1" "$2" start || true
      fi
    fi
  fi
  for _ in $(seq 1 20); do
    if psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
      export ZHENGWU_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1/postgres"
      break
    fi
    sleep 0.5
  done
fi
if [ -n "${ZHENGWU_TEST_POSTGRES_URL:-}" ]; then
  echo "PostgreSQL tests: on (${ZHENGWU_TEST_POSTGRES_URL%%\?*})"
elif [ "${ZHENGWU_TEST_REQUIRE_POSTGRES:-}" = 1 ]; then
  echo "PostgreSQL is required (ZHENGWU_TEST_REQUIRE_POSTGRES=1) but not reachable" >&2
  exit 1
else
  echo "PostgreSQL tests: skipped (no local server; set ZHENGWU_TEST_POSTGRES_URL)"
fi

# --- browser test tools ----------------------------------------------------------------------------
if [ -f tests/browser/package.json ]; then
  bash scripts/install-browser-deps.sh
fi

# --- the tests -----------------------------------------------------------------------------------
log=$(mktemp)
cargo test --workspace --color never 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  exit "$status"
fi
pg_passed=$(grep -cE '::postgres \.\.\. ok$' "$log" || true)
echo "PostgreSQL integration tests passed: $pg_passed"
if [ "${ZHENGWU_TEST_REQUIRE_POSTGRES:-}" = 1 ] && [ "$pg_passed" -lt 10 ]; then
  echo "the PostgreSQL suite did not run" >&2
  exit 1
fi
rm -f "$log"

# --- 公文交换 under kill -9 (about half a minute) --------------------------------------------------
bash tests/crash/office-kill.sh

# --- the public portal in a real browser ---------------------------------------------------------
if [ -f tests/browser/package.json ]; then
  node tests/browser/run.mjs
fi
