#!/usr/bin/env bash
# Subscription alert benchmark (issue 21; not a test). One command:
#   bash bench/subscriptions.sh                       # 100,000 confirmed subscribers
#   bash bench/subscriptions.sh --subscribers 20000
# Builds release; generates the demo with S confirmed subscribers of the portal's columns (kept in
# bench/out/subscriptions-S), makes every one of them an immediate subscriber, starts Zhengwu with
# a counting SMTP sink (bench/subscriptions/smtp_sink.py) as its relay, announces one publication
# in the column they all follow, and measures how long until every alert has left the outbox —
# mail into the sink, text messages into the SMS gateway's log. Reference, same run: Python's
# smtplib sending the same number of mails of the same size straight to a second sink on one
# connection (what the sink and the loopback allow, with no database behind).
set -euo pipefail
cd "$(dirname "$0")/.."
S=100000
while [ $# -gt 0 ]; do
  case "$1" in
    --subscribers) S=$2; shift 2 ;;
    *) echo "用法：bash bench/subscriptions.sh [--subscribers N]" >&2; exit 2 ;;
  esac
done
cargo build --release -p zhengwu --quiet
BIN=$PWD/target/release/zhengwu
W=$PWD/bench/out/subscriptions-$S
DATA=$W/data
ZW=127.0.0.1:18091
export ZHENGWU_DATA_DIR=$DATA ZHENGWU_LOG=warn
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
DB=$DATA/zhengwu.db
q() { sqlite3 "$DB" "$1"; }

if [ ! -f "$W/.ready" ]; then
  rm -rf "$W"; mkdir -p "$W"
  echo "== 生成演示站群（$S 位订阅者）"
  "$BIN" demo --articles 100 --letters 0 --applications 0 --disclosure-requests 0 --disclosure-items 0 \
    --survey-responses 0 --office-documents 0 --enterprises 0 --monitor-days 1 --visits 0 --subscribers "$S" >/dev/null
  sqlite3 "$DB" ".backup '$W/generated.db'"
  touch "$W/.ready"
fi
# Every run starts from the generated state: all subscribers immediate, nothing sent yet.
cp "$W/generated.db" "$DB"; rm -f "$DB-wal" "$DB-shm" "$DATA/sms.log"
q "UPDATE subscriber SET frequency = 'immediate'; DELETE FROM outbox; DELETE FROM alert_sent; DELETE FROM publication;"
TOPIC=$(q "SELECT topic FROM subscription GROUP BY topic ORDER BY COUNT(*) DESC LIMIT 1")
FOLLOWERS=$(q "SELECT COUNT(*) FROM subscription WHERE topic = '$TOPIC'")
MAILS=$(q "SELECT COUNT(*) FROM subscription t JOIN subscriber s ON s.id = t.subscriber_id WHERE t.topic = '$TOPIC' AND s.channel = 'mail'")
TEXTS=$((FOLLOWERS - MAILS))
PORTAL=$(q "SELECT id FROM site ORDER BY sort_order, id LIMIT 1")

SINK_PORT=18925; REF_PORT=18926
python3 bench/subscriptions/smtp_sink.py $SINK_PORT "$W/sink" & PIDS+=($!)
python3 bench/subscriptions/smtp_sink.py $REF_PORT "$W/ref" & PIDS+=($!)
sleep 0.5
"$BIN" serve --listen "$ZW" --smtp-url "smtp://127.0.0.1:$SINK_PORT" >"$W/serve.log" 2>&1 & PIDS+=($!)
until curl -sf -o /dev/null "http://$ZW/healthz"; do sleep 0.05; done

echo "== 发布一条 $FOLLOWERS 人订阅的信息（邮件 $MAILS，短信 $TEXTS）"
T0=$(python3 -c 'import time; print(f"{time.time():.3f}")')
q "INSERT INTO publication (source, site_id, title, path, summary, published_at) VALUES ('bench:1', $PORTAL, '关于做好2026年冬季供暖保障工作的通知', 'a/1.html', '为保障全市居民温暖过冬，现就做好今冬明春供暖工作通知如下。', CAST(strftime('%s','now') AS INTEGER));
   INSERT INTO publication_topic (publication_id, topic) SELECT id, '$TOPIC' FROM publication WHERE source = 'bench:1';"
while :; do
  read -r N _ LAST ONE_CLICK < "$W/sink" || true
  T=$( [ -f "$DATA/sms.log" ] && wc -l < "$DATA/sms.log" || echo 0)
  if [ "${N:-0}" -ge "$MAILS" ] && [ "$T" -ge "$TEXTS" ]; then break; fi
  NOW=$(date +%s); if [ $((NOW - ${T0%.*})) -gt 600 ]; then echo "十分钟内未发完：邮件 $N/$MAILS，短信 $T/$TEXTS" >&2; exit 1; fi
  sleep 0.2
done
END=$(python3 -c 'import time; print(f"{time.time():.3f}")')
ZW_S=$(python3 -c "print(f'{$END - $T0:.1f}')")
PENDING=$(q "SELECT COUNT(*) FROM outbox WHERE state <> 'sent'")
DUP=$(q "SELECT COUNT(*) - COUNT(DISTINCT recipient) FROM outbox")
RSS=$(ps -o rss= -p "${PIDS[2]}" | awk '{printf "%d", $1/1024}')
read -r N _ _ ONE_CLICK < "$W/sink"

echo "== 参照：Python smtplib 直接向第二个接收端发送 $MAILS 封同样大小的邮件（一个连接）"
BODY_BYTES=$(q "SELECT length(body) FROM outbox LIMIT 1")
REF_S=$(python3 - "$REF_PORT" "$MAILS" "$BODY_BYTES" <<'PY'
import smtplib, sys, time
from email.message import EmailMessage
port, n, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
body = "信" * max(1, size // 3)
t0 = time.time()
with smtplib.SMTP("127.0.0.1", port) as s:
    for i in range(n):
        m = EmailMessage()
        m["From"] = "noreply@harbin.gov.cn"; m["To"] = f"reader{i}@example.com"; m["Subject"] = "【哈尔滨市人民政府】关于做好2026年冬季供暖保障工作的通知"
        m["List-Unsubscribe"] = f"<http://127.0.0.1/dingyue/unsubscribe/{i}.x>"; m["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        m.set_content(body)
        s.send_message(m)
print(f"{time.time() - t0:.1f}")
PY
)
RATE=$(python3 -c "print(round($FOLLOWERS / $ZW_S))")
RATIO=$(python3 -c "print(f'{$REF_S / $ZW_S:.2f}')")
OUT=bench/README-subscriptions-results.txt
{
  echo "# Subscription alert benchmark — $(date -u +%Y-%m-%d) — bash bench/subscriptions.sh --subscribers $S"
  echo "# 2-core machine; SQLite; release build; immediate alerts for one publication followed by $FOLLOWERS subscribers."
  echo "subscribers following the topic: $FOLLOWERS (mail $MAILS, SMS $TEXTS)"
  echo "publication → every alert out of the outbox (mail in the SMTP sink, SMS in the gateway log): ${ZW_S} s  (target ≤ 60 s)"
  echo "rate: $RATE messages/s; left undelivered: $PENDING; duplicate recipients in the outbox: $DUP"
  echo "mails carrying List-Unsubscribe-Post (RFC 8058): $ONE_CLICK of $N"
  echo "reference, same run: Python smtplib → sink, $MAILS mails on one connection, no database: ${REF_S} s (reference/zhengwu = $RATIO)"
  echo "zhengwu RSS after the run: ${RSS} MB"
} | tee "$OUT"
