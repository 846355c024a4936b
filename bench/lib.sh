# Shared by the page benchmarks that compare Zhengwu's answers with nginx serving the same bytes
# (bench/serve.sh, bench/letters.sh, bench/services.sh). Source it; it defines:
#   ensure_tools                 install nginx and wrk from Debian's packages when missing
#   login USER                   print the Cookie header value of a signed-in session on $ZW
#   start_nginx DIR ROOT ADDR    serve ROOT's files on ADDR (config and pid in DIR)
#   run_get HOST URLFILE COOKIE  one connection for $DUR seconds → "req/s p50 p99 non2xx errors"
#   use_postgres NAME            run on the local PostgreSQL database NAME (sets ZHENGWU_DATABASE_URL)
#   fresh_postgres               drop and create that database (before generating)
#   db_query SQL                 one value from the database in use ($DATA's SQLite file or PostgreSQL)

ensure_tools() {
  if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
    local SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get install -y --no-install-recommends nginx-light wrk >/dev/null || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends nginx-light wrk >/dev/null; }
  fi
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
}

login() {
  local jar csrf
  jar=$(mktemp)
  csrf=$(curl -s -c "$jar" "http://$ZW/admin/login" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "username=$1" --data-urlencode "password=Zhengwu@2026" --data-urlencode "_csrf=$csrf" "http://$ZW/admin/login"
  awk '$6 ~ /^zw_/ {printf "%s=%s; ", $6, $7}' "$jar"
  rm -f "$jar"
}

start_nginx() {
  local dir=$1 root=$2 addr=$3
  mkdir -p "$dir/tmp"
  cat > "$dir/nginx.conf" <<CONF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off; sendfile on; tcp_nodelay on; keepalive_requests 1000000;
  default_type text/html;
  client_body_temp_path $dir/tmp; proxy_temp_path $dir/tmp; fastcgi_temp_path $dir/tmp; uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
  server { listen $addr; root $root; }
}
CONF
  "$NGINX" -c "$dir/nginx.conf" -g 'daemon off;' &
  PIDS+=($!)
  sleep 0.5
}

run_get() {
  ZW_COOKIE="$3" wrk -t1 -c1 -d"${DUR}s" -s bench/letters/urls.lua "http://$1" -- "$2" 2>/dev/null | awk '/^RESULT/{print $2, $3, $4, $5, $6}'
}

use_postgres() {
  PG_DB=$1
  export ZHENGWU_DATABASE_URL="postgres://postgres@127.0.0.1/$PG_DB"
}

fresh_postgres() {
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" >/dev/null
}

db_query() {
  if [ -n "${PG_DB:-}" ]; then
    psql -h 127.0.0.1 -U postgres -d "$PG_DB" -tAc "$1" 2>/dev/null || echo "?"
  else
    sqlite3 "$DATA/zhengwu.db" "$1" 2>/dev/null || echo "?"
  fi
}
