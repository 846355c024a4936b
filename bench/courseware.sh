#!/usr/bin/env bash
# 课件库 video serving benchmark (issue 23; not a test). One command:
#   bash bench/courseware.sh                    # a 64 MB lesson, 100 connections, 10 s per round
#   bash bench/courseware.sh --mb 200 --connections 50 --duration 20
# Builds release; loads the demo (its 1,000 lessons) on SQLite; uploads one more lesson of the
# given size through the back-office form as an editor would (a placeholder MP4 container with
# its running time and padding for media data); then wrk asks for random 256 KB ranges of it —
# what a player seeking through a lesson sends — on C connections, from Zhengwu and from nginx
# serving the very same file from the same disk (the reference); three rounds each, alternating.
# The upload's cost in memory is shown as the server's peak RSS before and after it (the form
# writes the video to disk as it arrives).
set -euo pipefail
cd "$(dirname "$0")/.."
MB=64
C=100
DUR=${DUR:-10}
while [ $# -gt 0 ]; do
  case "$1" in
    --mb) MB=$2; shift 2 ;;
    --connections) C=$2; shift 2 ;;
    --duration) DUR=$2; shift 2 ;;
    *) echo "用法：bash bench/courseware.sh [--mb 视频大小] [--connections 并发] [--duration 每轮秒数]" >&2; exit 2 ;;
  esac
done
source bench/lib.sh
ensure_tools
cargo build --release -p zhengwu --quiet
BIN=$PWD/target/release/zhengwu
W=$PWD/bench/out/courseware
DATA=$W/data
STATIC=$W/static
NG=127.0.0.1:18098
ZW=127.0.0.1:18099
export ZHENGWU_DATA_DIR=$DATA ZHENGWU_LOG=warn
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
ulimit -n 16384 2>/dev/null || ulimit -n 4096

rm -rf "$W"; mkdir -p "$W" "$STATIC"
echo "== 生成演示数据（含 1000 个课件）"
"$BIN" demo --articles 50 --letters 0 --applications 0 >/dev/null
"$BIN" serve --listen "$ZW" >"$W/serve.log" 2>&1 &
ZW_PID=$!
PIDS+=($ZW_PID)
for _ in $(seq 1 100); do curl -fs "http://$ZW/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

echo "== 生成 ${MB} MB 的课件视频并由编辑上传"
python3 - "$W/lesson.mp4" "$MB" <<'PY'
import os, struct, sys
path, mb = sys.argv[1], int(sys.argv[2])
def box(kind, body): return struct.pack(">I", len(body) + 8) + kind + body
mvhd = bytearray(100)
mvhd[12:16] = struct.pack(">I", 1000)
mvhd[16:20] = struct.pack(">I", 45 * 60 * 1000)
mvhd[20:24] = struct.pack(">I", 0x00010000)
mvhd[24:26] = struct.pack(">H", 0x0100)
head = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41") + box(b"moov", box(b"mvhd", bytes(mvhd)))
pad = mb * 1048576 - len(head) - 8
with open(path, "wb") as f:
    f.write(head)
    f.write(struct.pack(">I", pad + 8) + b"mdat")
    f.write(os.urandom(pad))
PY
COOKIE=$(login editor)
CSRF=$(curl -s -H "Cookie: $COOKIE" "http://$ZW/admin/courseware/new" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
hwm() { awk '/VmHWM/{print int($2/1024)}' "/proc/$ZW_PID/status"; }
RSS_BEFORE=$(hwm)
t0=$(date +%s%N)
LOC=$(curl -s -o /dev/null -w '%{redirect_url}' -H "Cookie: $COOKIE" -F "_csrf=$CSRF" -F category=1 -F "title=冬季日光温室番茄栽培（高清）" \
  -F "teacher=王树林（市农业技术推广中心）" -F published=on -F "video=@$W/lesson.mp4;type=video/mp4" "http://$ZW/admin/courseware/new")
UP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
ID=${LOC##*/courseware/}; ID=${ID%%\?*}
[ -n "$ID" ] || { echo "上传失败"; exit 1; }
SIZE=$(stat -c %s "$W/lesson.mp4")
mkdir -p "$STATIC/kejian/$ID"
cp "$W/lesson.mp4" "$STATIC/kejian/$ID/video.mp4"
start_nginx "$W" "$STATIC" "$NG"
# Both read the file from the page cache: warm it once through each.
curl -s -o /dev/null "http://$ZW/kejian/$ID/video.mp4"; curl -s -o /dev/null "http://$NG/kejian/$ID/video.mp4"
check=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -H 'Range: bytes=1000-1999' "http://$ZW/kejian/$ID/video.mp4")
echo "上传 ${MB} MB 用时 ${UP_MS} ms（课件 $ID）；RSS 峰值 上传前 ${RSS_BEFORE} MB → 上传后 $(hwm) MB；Range 校验：$check"

run() { wrk -t2 -c"$C" -d"${DUR}s" -s bench/courseware/ranges.lua "http://$1" -- "/kejian/$ID/video.mp4" "$SIZE" 2>/dev/null | awk '/^RESULT/{print $2, $3, $4, $5, $6, $7}'; }
echo
echo "| 轮次 | Zhengwu 请求/秒 | MB/秒 | p50 ms | p99 ms | nginx 请求/秒 | MB/秒 | p50 ms | p99 ms | 比值 |"
echo "|---|---|---|---|---|---|---|---|---|---|"
best=0
for round in 1 2 3; do
  read -r zr zb zp50 zp99 zs ze <<<"$(run "$ZW")"
  read -r nr nb np50 np99 ns ne <<<"$(run "$NG")"
  ratio=$(echo "$zr $nr" | awk '{ if ($2 > 0) printf "%.2f", $1 / $2; else print "-" }')
  flag=""; [ "$zs$ze" = "00" ] || flag=" (非206 $zs, 错误 $ze)"
  echo "| $round | $zr$flag | $zb | $zp50 | $zp99 | $nr | $nb | $np50 | $np99 | $ratio |"
done
echo
echo "RSS 峰值 $(awk '/VmHWM/{print int($2/1024)}' "/proc/$ZW_PID/status") MB（$C 个连接，每次 256 KB 区间）"
