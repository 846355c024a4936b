#!/usr/bin/env bash
# 协同办公 benchmark (issue 19; not a test). One command:
#   bash bench/office.sh                      # 100,000 exchanged documents (about 1,000,000 deliveries)
#                                             # and 20,000 suggestions and proposals, SQLite
#   bash bench/office.sh --documents 20000 --proposals 5000
# Builds release; generates the demo (69 units) with N documents over the past year (kept in
# bench/out/office-N); then sends a document from the science bureau to the other 68 units 20
# times (create, upload the body, 送签发, and the timed 签发 that writes the 68 deliveries and
# their notices in one transaction), and, one connection at a time, drives with wrk the unit's
# inbox (page and API, first page and a deep keyset page), the sent list and the statistics, and,
# as the 督查室, the proposals list (first page, overdue, a deep keyset page) and the statistics per
# 主办 unit; as the science bureau's clerk its own proposals. The reference for the pages is nginx
# serving the same responses.
set -euo pipefail
cd "$(dirname "$0")/.."
N=100000
P=20000
DUR=${DUR:-5}
while [ $# -gt 0 ]; do
  case "$1" in
    --documents) N=$2; shift 2 ;;
    --proposals) P=$2; shift 2 ;;
    --duration) DUR=$2; shift 2 ;;
    *) echo "用法：bash bench/office.sh [--documents N] [--proposals N] [--duration 每轮秒数]" >&2; exit 2 ;;
  esac
done
source bench/lib.sh
ensure_tools
cargo build --release -p zhengwu --quiet
BIN=$PWD/target/release/zhengwu
W=$PWD/bench/out/office-$N-$P
DATA=$W/data
STATIC=$W/static
NG=127.0.0.1:18098
ZW=127.0.0.1:18099
export ZHENGWU_DATA_DIR=$DATA ZHENGWU_LOG=warn
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

if [ ! -f "$W/.ready" ]; then
  rm -rf "$W"; mkdir -p "$W"
  echo "== 生成 69 个单位、$N 件公文和 $P 件建议提案"
  t0=$(date +%s%N)
  "$BIN" demo --articles 50 --letters 0 --applications 0 --office-documents "$N" --proposals "$((P - 400))" >/dev/null
  echo "GEN_MS $(( ($(date +%s%N) - t0) / 1000000 ))" > "$W/gen.txt"
  touch "$W/.ready"
fi
GEN_MS=$(awk '/GEN_MS/{print $2}' "$W/gen.txt")

"$BIN" serve --listen "$ZW" >"$W/serve.log" 2>&1 &
ZW_PID=$!
PIDS+=($ZW_PID)
for _ in $(seq 1 100); do curl -fs "http://$ZW/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 3

CLERK=$(login handler)
DUCHA=$(login ducha)
CLERK_TOKEN=$("$BIN" token create --username handler --name 压测 | grep -o 'zw_[A-Za-z0-9_-]*' | head -1)
LEADER_TOKEN=$("$BIN" token create --username leader --name 压测 | grep -o 'zw_[A-Za-z0-9_-]*' | head -1)
KJJ=$(curl -s -H "Cookie: $CLERK" "http://$ZW/admin/office/documents/new" | grep -o '<option value="[^"]*" selected>' | head -1 | sed 's/.*value="//; s/".*//')
RECIPIENTS=$(curl -s -H "Cookie: $CLERK" "http://$ZW/admin/office/documents/new" | grep -o 'name="recipients" value="[^"]*"' | sed 's/.*value="//; s/"$//' | grep -v "^$KJJ$" | python3 -c 'import sys, json; print(json.dumps([l.strip() for l in sys.stdin if l.strip()]))')
COUNT=$(echo "$RECIPIENTS" | python3 -c 'import sys, json; print(len(json.load(sys.stdin)))')
[ -n "$KJJ" ] && [ "$COUNT" -ge 60 ] || { echo "demo units not found ($KJJ, $COUNT)" >&2; exit 1; }

echo "== 向 $COUNT 个单位发文 20 次（签发一次写入全部送达记录和通知）"
printf '%%PDF-1.7\n%s\n%%%%EOF\n' "$(head -c 200000 /dev/urandom | base64 -w0)" > "$W/body.pdf"
: > "$W/send-ms.txt"
for i in $(seq 1 20); do
  body=$(python3 -c 'import json, sys; print(json.dumps({"org": sys.argv[1], "secrecy": "非涉密", "issuer_mark": "哈尔滨市科学技术局文件", "doc_no": "哈科发〔2026〕" + sys.argv[2] + "号", "title": "关于开展科技创新券兑付工作的通知（压测 " + sys.argv[2] + "）", "recipients": json.loads(sys.argv[3])}))' "$KJJ" "$((900 + i))" "$RECIPIENTS")
  id=$(curl -fs -X POST -H "Authorization: Bearer $CLERK_TOKEN" -H 'Content-Type: application/json' -d "$body" "http://$ZW/api/v1/office/documents" | python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])')
  curl -fs -X POST -H "Authorization: Bearer $CLERK_TOKEN" --data-binary @"$W/body.pdf" "http://$ZW/api/v1/office/documents/$id/parts?kind=body&name=body.pdf" >/dev/null
  curl -fs -X POST -H "Authorization: Bearer $CLERK_TOKEN" "http://$ZW/api/v1/office/documents/$id/actions/submit" >/dev/null
  curl -fs -o /dev/null -w '%{time_total}\n' -X POST -H "Authorization: Bearer $LEADER_TOKEN" "http://$ZW/api/v1/office/documents/$id/sign-off/sign_off" >> "$W/send-ms.txt"
done
SEND=$(python3 -c 'import sys; v = sorted(float(l) * 1000 for l in open(sys.argv[1])); print(f"p50 {v[len(v)//2]:.1f} ms, p95 {v[int(len(v)*0.95)-1]:.1f} ms, max {v[-1]:.1f} ms")' "$W/send-ms.txt")
echo "签发并送达 $COUNT 个单位：$SEND"

DEEP=$(curl -s -H "Authorization: Bearer $CLERK_TOKEN" "http://$ZW/api/v1/office/inbox" | python3 -c 'import sys, json; items = json.load(sys.stdin)["items"]; print(items[-1]["delivery_id"] // 2)')
PDEEP=$(sqlite3 "$DATA/zhengwu.db" "SELECT MAX(id) / 2 FROM office_proposal")
CASES="inbox-page|CLERK|/admin/office/inbox
inbox-pending|CLERK|/admin/office/inbox?state=pending
inbox-deep|CLERK|/admin/office/inbox?before=$DEEP
sent-page|CLERK|/admin/office/sent
stats-year|CLERK|/admin/office/stats
proposals-page|DUCHA|/admin/office/proposals
proposals-overdue|DUCHA|/admin/office/proposals?overdue=true
proposals-deep|DUCHA|/admin/office/proposals?before=$PDEEP
proposals-stats|DUCHA|/admin/office/proposals/stats
proposals-unit|CLERK|/admin/office/proposals"
rm -rf "$STATIC"; mkdir -p "$STATIC" "$W/urls"
while IFS='|' read -r name who path; do
  code=$(curl -s -o "$STATIC/$name" -w '%{http_code}' -H "Cookie: ${!who}" "http://$ZW$path")
  [ "$code" = 200 ] || { echo "$name $path answered $code" >&2; exit 1; }
  echo "$path" > "$W/urls/$name.zw"
  echo "/$name" > "$W/urls/$name.ng"
done <<< "$CASES"
start_nginx "$W" "$STATIC" "$NG"
DOCS=$(sqlite3 "$DATA/zhengwu.db" "SELECT COUNT(*) FROM office_document" 2>/dev/null || echo "?")
DELS=$(sqlite3 "$DATA/zhengwu.db" "SELECT COUNT(*) FROM office_delivery" 2>/dev/null || echo "?")
PROPS=$(sqlite3 "$DATA/zhengwu.db" "SELECT COUNT(*) FROM office_proposal" 2>/dev/null || echo "?")
echo
echo "公文 $DOCS 件、送达记录 $DELS 条、建议提案 $PROPS 件（SQLite，生成用时 $((GEN_MS / 1000)) 秒）；市科技局承办人（CLERK）和督查室（DUCHA）；单连接，每项 ${DUR} 秒"
echo "| 页面 | Zhengwu p50 ms | p99 ms | 请求/秒 | nginx 静态 p50 ms | 比值（nginx 吞吐/Zhengwu 吞吐） | 字节 |"
echo "|---|---|---|---|---|---|---|"
while IFS='|' read -r name who path; do
  read -r zr zp50 zp99 zbad zerr <<< "$(run_get "$ZW" "$W/urls/$name.zw" "${!who}")"
  read -r nr np50 _ _ _ <<< "$(run_get "$NG" "$W/urls/$name.ng" "")"
  bytes=$(stat -c %s "$STATIC/$name")
  ratio=$(echo "$nr $zr" | awk '{ if ($2 > 0) printf "%.1f", $1 / $2; else print "-" }')
  flag=""; [ "$zbad" != 0 ] || [ "$zerr" != 0 ] && flag=" (错误 $zbad/$zerr)"
  echo "| $name | $zp50 | $zp99 | $zr$flag | $np50 | $ratio | $bytes |"
done <<< "$CASES"
echo "RSS 峰值 $(awk '/VmHWM/{print int($2/1024)}' "/proc/$ZW_PID/status") MB"
