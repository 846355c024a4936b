#!/usr/bin/env bash
# Schemathesis over the running server's OpenAPI document: anonymously, then with a site
# administrator's and a system administrator's token, and — for 协同办公, whose operations those
# two may not use — a unit clerk's, the 办公厅's, a leader's and a deputy's token over the office
# paths; every check, the fixed seed and example counts of schemathesis.toml. Fails on any
# conformance failure.
#
#   tests/api/run.sh BASE_URL DATA_DIR ZHENGWU_BIN
set -euo pipefail
base=$1 data=$2 bin=$3
here=$(cd "$(dirname "$0")" && pwd)
st="$here/.venv/bin/schemathesis"
run() {
  # Revoking a token by a guessed id could revoke the run's own; that operation is tested in the
  # integration suite instead.
  "$st" --no-color --config-file "$here/schemathesis.toml" run "$base/api/v1/openapi.json" --url "$base" \
    --checks all --exclude-path-regex 'tokens/\{id\}/actions/revoke' "$@"
}
status=0
echo "schemathesis: anonymous"
run || status=1
for user in siteadmin sysadmin; do
  token=$("$bin" --data-dir "$data" token create --username "$user" | tail -n 1)
  echo "schemathesis: $user"
  run -H "Authorization: Bearer $token" || status=1
done
for user in handler ducha leader daibiao; do
  token=$("$bin" --data-dir "$data" token create --username "$user" | tail -n 1)
  echo "schemathesis: $user (协同办公)"
  run -H "Authorization: Bearer $token" --include-path-regex '/api/v1/office/' || status=1
done
exit $status
