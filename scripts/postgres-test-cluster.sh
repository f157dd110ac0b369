#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for tests: initdb in a fresh temporary directory as an
# unprivileged user (`postgres` when run as root), on a free port of 127.0.0.1, fsync on.
#
#   scripts/postgres-test-cluster.sh start        # prints two export lines: eval "$(… start)"
#   scripts/postgres-test-cluster.sh stop [DIR]   # DIR defaults to $LRO_TEST_POSTGRES_DIR
#   scripts/postgres-test-cluster.sh run -- CMD…  # start, run CMD with LRO_TEST_POSTGRES set, stop
#
# LRO_TEST_POSTGRES is a libpq conninfo ("host=127.0.0.1 port=… user=postgres dbname=postgres");
# the store conformance suite and the multi-replica tests use it.
set -euo pipefail

bin="${LRO_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}"

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A port to listen on, below the kernel's ephemeral range: a port in that range can be the
# local end of a test's outgoing connection (TIME_WAIT included), which nothing listens on but
# which a bind still refuses.
pick_port() {
  local low=32768 port
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  local first=10000 span=$((low - 10000))
  if [ "$span" -lt 1000 ]; then first=1024 span=$((low - 1024)); fi
  for _ in $(seq 1 100); do
    port=$((first + RANDOM % span))
    if port_free "$port"; then break; fi
  done
  echo "$port"
}

start() {
  if [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
    echo "postgres-test-cluster: $bin/initdb not found (apt-get install postgresql-15)" >&2
    return 1
  fi
  local dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/lro-pg.XXXXXX")"
  chmod 755 "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; return 1; }
  # A port another process takes between the check and the bind makes the start fail: then
  # another port, a few times, before giving up.
  local port started=0
  for _ in 1 2 3 4 5; do
    port="$(pick_port)"
    # fsync stays on (the default): figures and durability are those of a real deployment.
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" \
      start >/dev/null; then
      started=1
      break
    fi
    echo "postgres-test-cluster: could not start on port $port; trying another" >&2
  done
  if [ "$started" -ne 1 ]; then
    cat "$dir/server.log" >&2
    rm -rf "$dir"
    return 1
  fi
  echo "export LRO_TEST_POSTGRES='host=127.0.0.1 port=$port user=postgres dbname=postgres'"
  echo "export LRO_TEST_POSTGRES_DIR='$dir'"
}

stop() {
  local dir="${1:-${LRO_TEST_POSTGRES_DIR:-}}"
  if [ -z "$dir" ] || [ ! -d "$dir/data" ]; then
    echo "postgres-test-cluster: no cluster directory to stop" >&2
    return 1
  fi
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) shift; stop "${1:-}" ;;
  run)
    shift
    [ "${1:-}" = "--" ] && shift
    [ $# -gt 0 ] || { echo "usage: $0 run -- CMD [ARGS…]" >&2; exit 2; }
    exports="$(start)"
    eval "$exports"
    trap 'stop "$LRO_TEST_POSTGRES_DIR"' EXIT
    echo "postgres-test-cluster: $LRO_TEST_POSTGRES" >&2
    status=0
    "$@" || status=$?
    exit "$status"
    ;;
  *)
    echo "usage: $0 start | stop [DIR] | run -- CMD [ARGS…]" >&2
    exit 2
    ;;
esac
