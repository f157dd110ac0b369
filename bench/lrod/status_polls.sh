#!/usr/bin/env bash
# Status polls per second on one core: lrod answering GET /v1/operations/{id} for a running
# operation, against nginx (one worker, same core) serving the same state bytes as a static
# file; wrk on the other core, same run, alternating. Prints both figures and the ratio.
#
#   bench/lrod/status_polls.sh            # LROD=…/lrod DURATION=10s CONNS=64 ROUNDS=3
source "$(dirname "$0")/common.sh"
need wrk nginx curl taskset python3
CONNS="${CONNS:-64}"
ROUNDS="${ROUNDS:-3}"

lrod_port="$(free_port)"
start_lrod "$lrod_port" --demo --store "sqlite:$work/ops.db" --inline-budget 0 \
  --io-threads 1 --workers 1
base="http://127.0.0.1:$lrod_port"
id="$(curl -s -D - -o /dev/null -X POST "$base/v1/workspaces/bench/items" \
  -H 'Content-Type: application/json' \
  -d '{"displayName":"poll-me","type":"Notebook","demo":{"durationMs":86400000,"progressSteps":0}}' |
  tr -d '\r' | awk 'tolower($1)=="x-ms-operation-id:" {print $2}')"
state_url="$base/v1/operations/$id"
sleep 0.5  # let the Running state commit
mkdir -p "$work/www/v1/operations"
curl -s "$state_url" >"$work/www/v1/operations/$id"
bytes="$(wc -c <"$work/www/v1/operations/$id")"
chmod -R a+rX "$work"  # nginx workers run unprivileged

nginx_port="$(free_port)"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  # nginx at its best for a hot static file: no open/stat per request, sendfile.
  open_file_cache max=1000 inactive=60s;
  open_file_cache_valid 3600s;
  sendfile on;
  tcp_nodelay on;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
    default_type application/json;
  }
}
CONF
taskset -c "$SERVER_CPU" nginx -c "$work/nginx.conf" -p "$work" &
pids+=($!)
sleep 0.5
nginx_url="http://127.0.0.1:$nginx_port/v1/operations/$id"
curl -sf "$nginx_url" >/dev/null || { echo "nginx did not start" >&2; cat "$work/nginx-error.log" >&2; exit 1; }

echo "state body: $bytes bytes; wrk -t1 -c$CONNS -d$DURATION; servers on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU"
wrk_rps -t1 -c"$CONNS" -d2s "$state_url" >/dev/null   # warm-up
wrk_rps -t1 -c"$CONNS" -d2s "$nginx_url" >/dev/null
lrod_best=0
nginx_best=0
for round in $(seq "$ROUNDS"); do
  n="$(wrk_rps -t1 -c"$CONNS" -d"$DURATION" "$nginx_url")"
  l="$(wrk_rps -t1 -c"$CONNS" -d"$DURATION" "$state_url")"
  printf 'round %d: nginx %10.0f req/s   lrod %10.0f req/s   lrod/nginx %5.1f%%\n' \
    "$round" "$n" "$l" "$(python3 -c "print(100*$l/$n)")"
  nginx_best="$(python3 -c "print(max($nginx_best,$n))")"
  lrod_best="$(python3 -c "print(max($lrod_best,$l))")"
done
printf 'best:    nginx %10.0f req/s   lrod %10.0f req/s   lrod/nginx %5.1f%% (target >= 75%%)\n' \
  "$nginx_best" "$lrod_best" "$(python3 -c "print(100*$lrod_best/$nginx_best)")"
