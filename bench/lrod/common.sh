# Shared by the lrod benchmarks: tools, a free port, lrod start/stop. Source it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LROD="${LROD:-$root/build/apps/lrod/lrod}"
# Pin the server(s) to one core and the load generator to another.
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
DURATION="${DURATION:-10s}"

need() {
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "missing $tool: sudo apt-get install -y wrk nginx-light curl (Debian packages)" >&2
      exit 2
    fi
  done
  if [[ ! -x "$LROD" ]]; then
    echo "no lrod at $LROD: build first (scripts/build.sh) or set LROD=" >&2
    exit 2
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

work="$(mktemp -d /tmp/lrod-bench.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# start_lrod PORT ARGS...: lrod pinned to SERVER_CPU, logging to LROD_LOG (default
# $work/lrod.log), waits until it answers.
start_lrod() {
  local port="$1" log="${LROD_LOG:-$work/lrod.log}"
  shift
  taskset -c "$SERVER_CPU" "$LROD" --listen "127.0.0.1:$port" --log-level warning "$@" \
    2>"$log" &
  pids+=($!)
  for _ in $(seq 200); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0
    sleep 0.05
  done
  echo "lrod did not start:" >&2
  cat "$log" >&2
  exit 1
}

# wrk_rps ARGS...: runs wrk on CLIENT_CPU, prints requests/s.
wrk_rps() {
  taskset -c "$CLIENT_CPU" wrk "$@" | tee -a "$work/wrk.log" | awk '/^Requests\/sec/ {print $2}'
}
