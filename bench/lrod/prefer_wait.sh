#!/usr/bin/env bash
# Waiting without polling: COUNT lrod demo operations, each running DURATION_MS plus up to
# SPREAD_MS (so that ends are spread out), waited on by one client (lro's engine, one thread):
# first polling as usual (lrod's Retry-After: 1), then asking lrod to hold each poll until the
# state changes (Prefer: wait). A fresh lrod (SQLite, fsync on) for each. Prints, side by side:
# requests the client sent, state reads lrod answered, lrod's CPU time, and how soon after each
# operation's end the client had its result (p50/p99).
#
#   bench/lrod/prefer_wait.sh        # COUNT=10000 DURATION_MS=20000 SPREAD_MS=10000
source "$(dirname "$0")/common.sh"
need curl taskset python3
LROD_WAIT="${LROD_WAIT:-$root/build/bench/lrod_wait}"
COUNT="${COUNT:-10000}"
DURATION_MS="${DURATION_MS:-20000}"
SPREAD_MS="${SPREAD_MS:-10000}"
if [[ ! -x "$LROD_WAIT" ]]; then
  echo "no lrod_wait at $LROD_WAIT: build first (scripts/build.sh) or set LROD_WAIT=" >&2
  exit 2
fi
# Every operation may hold a poll, and so a connection, at once: one socket each side.
ulimit -n "$(ulimit -Hn)"

state_reads() {
  curl -s "http://127.0.0.1:$1/metrics" |
    awk '/^lrod_http_request_duration_seconds_count\{endpoint="state"\}/ {print $2}'
}

for mode in polling prefer-wait; do
  port="$(free_port)"
  start_lrod "$port" --demo --store "sqlite:$work/$mode.db" --inline-budget 0 \
    --max-connections $((COUNT + 1000)) --max-wait 60s
  lrod_pid="${pids[-1]}"
  wait_s=30
  [[ "$mode" == polling ]] && wait_s=0
  reads_before="$(state_reads "$port")"
  taskset -c "$CLIENT_CPU" "$LROD_WAIT" --url "http://127.0.0.1:$port" --count "$COUNT" \
    --prefer-wait "$wait_s" --duration-ms "$DURATION_MS" --spread-ms "$SPREAD_MS" \
    --server-pid "$lrod_pid" >"$work/$mode.json"
  reads_after="$(state_reads "$port")"
  echo "{\"state_reads\":$((reads_after - ${reads_before:-0}))}" >>"$work/$mode.json"
  kill "$lrod_pid"
  wait "$lrod_pid" 2>/dev/null || true
done

python3 - "$work/polling.json" "$work/prefer-wait.json" "$COUNT" <<'PY'
import json, sys
def load(path):
    merged = {}
    for line in open(path):
        merged.update(json.loads(line))
    return merged
polling, held, count = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
rows = [
    ("operations succeeded", "succeeded", "{:d}"),
    ("requests sent by the client", "requests", "{:d}"),
    ("state reads answered by lrod", "state_reads", "{:d}"),
    ("lrod CPU (s)", "server_cpu_s", "{:.2f}"),
    ("wall time (ms)", "elapsed_ms", "{:d}"),
]
print(f"{count} operations, one client (lro engine, one thread), lrod on SQLite with fsync\n")
print(f"| {'':34} | {'polling (Retry-After: 1)':>26} | {'Prefer: wait':>14} | {'ratio':>6} |")
print(f"|{'-'*36}|{'-'*28}:|{'-'*16}:|{'-'*8}:|")
for label, key, form in rows:
    a, b = polling[key], held[key]
    ratio = f"{a / b:.1f}x" if b else "-"
    print(f"| {label:34} | {form.format(a):>26} | {form.format(b):>14} | {ratio:>6} |")
for p in ("p50", "p99", "max"):
    a, b = polling["notice_ms"][p], held["notice_ms"][p]
    print(f"| {'end to result in hand, ' + p + ' (ms)':34} | {a:>26.1f} | {b:>14.1f} | {'':>6} |")
PY
