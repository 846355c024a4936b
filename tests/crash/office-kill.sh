#!/usr/bin/env bash
# 公文交换 survives kill -9 (issue 19): sends a document from the science bureau to every other unit
# of the demo's 69, twenty times, killing the server with SIGKILL at a random moment during each
# 签发; restarts it, and, as a clerk would, presses 签发 again when the document is still waiting.
# Then every document must be sent exactly once: one delivery per recipient unit (none lost, none
# twice) and as many queued notices as the one sent without a crash — never a half-sent document.
#
#   bash tests/crash/office-kill.sh            # about a minute; run by scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-20}
cargo build -q -p zhengwu
BIN=$PWD/target/debug/zhengwu
W=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
ADDR=127.0.0.1:$PORT
export ZHENGWU_DATA_DIR=$W/data ZHENGWU_LOG=warn
# A relay nobody listens on: notices are queued in the outbox (and retried), so they can be counted.
export ZHENGWU_SMTP_URL=smtp://127.0.0.1:1
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill -9 "$SERVER" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

"$BIN" demo --articles 10 --letters 0 --applications 0 --enterprises 50 --monitor-days 1 --visits 0 \
  --subscribers 0 --rated-staff 0 >/dev/null
start() {
  "$BIN" serve --listen "$ADDR" >>"$W/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -fs "http://$ADDR/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "the server did not start" >&2; cat "$W/serve.log" >&2; exit 1
}
db() { python3 -c 'import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]):
    print("|".join(str(v) for v in row))' "$ZHENGWU_DATA_DIR/zhengwu.db" "$1"; }
CLERK=$("$BIN" token create --username handler --name 断电测试 | grep -o 'zw_[A-Za-z0-9_-]*' | head -1)
LEADER=$("$BIN" token create --username leader --name 断电测试 | grep -o 'zw_[A-Za-z0-9_-]*' | head -1)
KJJ=$(db "SELECT code FROM org_unit WHERE name = '哈尔滨市科学技术局'")
RECIPIENTS=$(db "SELECT code FROM org_unit WHERE kind <> 'division' AND code <> '$KJJ'" | python3 -c 'import sys, json; print(json.dumps([l.strip() for l in sys.stdin if l.strip()]))')
COUNT=$(echo "$RECIPIENTS" | python3 -c 'import sys, json; print(len(json.load(sys.stdin)))')
[ "$COUNT" -ge 60 ] || { echo "expected the demo's 69 units, found $COUNT recipients" >&2; exit 1; }
printf '%%PDF-1.7\n%s\n%%%%EOF\n' "$(head -c 3000 /dev/urandom | base64 -w0)" > "$W/body.pdf"

start
api() { curl -fs -X POST -H "Authorization: Bearer $1" "${@:3}" "http://$ADDR$2"; }
draft() {
  local body id
  body=$(python3 -c 'import json, sys; print(json.dumps({"org": sys.argv[1], "secrecy": "非涉密", "issuer_mark": "哈尔滨市科学技术局文件", "title": "关于报送年度科技统计数据的通知（断电测试 " + sys.argv[2] + "）", "recipients": json.loads(sys.argv[3])}))' "$KJJ" "$1" "$RECIPIENTS")
  id=$(api "$CLERK" /api/v1/office/documents -H 'Content-Type: application/json' -d "$body" | python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])')
  api "$CLERK" "/api/v1/office/documents/$id/parts?kind=body&name=body.pdf" --data-binary @"$W/body.pdf" >/dev/null
  api "$CLERK" "/api/v1/office/documents/$id/actions/submit" >/dev/null
  echo "$id"
}
notices() { db "SELECT COUNT(*) FROM outbox WHERE subject LIKE '%（断电测试 $1）'"; }

# The reference: one document sent without a crash.
REF=$(draft 0)
api "$LEADER" "/api/v1/office/documents/$REF/sign-off/sign_off" >/dev/null
REF_NOTICES=$(notices 0)
killed=0
committed=0
for i in $(seq 1 "$ROUNDS"); do
  id=$(draft "$i")
  curl -s -o /dev/null -X POST -H "Authorization: Bearer $LEADER" "http://$ADDR/api/v1/office/documents/$id/sign-off/sign_off" &
  # From at once to 72 ms later: before the request arrives, during the transaction, after it.
  sleep "$(printf '0.%03d' $(( (i % 10) * 8 + RANDOM % 4 )))"
  kill -9 "$SERVER" 2>/dev/null && killed=$((killed + 1))
  wait "$SERVER" 2>/dev/null || true
  wait 2>/dev/null || true
  start
  state=$(db "SELECT state FROM office_document WHERE id = $id")
  [ "$state" = sent ] && committed=$((committed + 1))
  if [ "$state" = pending ]; then
    # The 签发 did not commit: nothing may have been sent. The leader presses it again.
    [ "$(db "SELECT COUNT(*) FROM office_delivery WHERE document_id = $id")" = 0 ] || { echo "round $i: a waiting document has deliveries" >&2; exit 1; }
    api "$LEADER" "/api/v1/office/documents/$id/sign-off/sign_off" >/dev/null
  fi
  # A second press after it was sent changes nothing.
  curl -s -o /dev/null -X POST -H "Authorization: Bearer $LEADER" "http://$ADDR/api/v1/office/documents/$id/sign-off/sign_off"
  got=$(db "SELECT COUNT(*) || ' ' || COUNT(DISTINCT unit_id) FROM office_delivery WHERE document_id = $id")
  [ "$got" = "$COUNT $COUNT" ] || { echo "round $i ($state): deliveries $got, expected $COUNT to $COUNT units" >&2; exit 1; }
  n=$(notices "$i")
  [ "$n" = "$REF_NOTICES" ] || { echo "round $i ($state): $n notices queued, expected $REF_NOTICES" >&2; exit 1; }
  echo "round $i: $state at restart → sent to $COUNT units, $n notices"
done
echo "office-kill: $ROUNDS rounds, $killed kill -9 around 签发 ($committed had committed, $((ROUNDS - committed)) had not); no delivery lost or doubled ($COUNT units, $REF_NOTICES notices each)"
