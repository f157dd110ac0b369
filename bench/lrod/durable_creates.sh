#!/usr/bin/env bash
# Durable creates per second over HTTP on SQLite with fsync on (synchronous=FULL, WAL).
# Every POST creates an operation and is answered 202 only after its own record committed
# (--inline-budget 0); concurrent creates share commits (group commit). Two runs:
#   create-only:    the work waits 10 minutes (ContinueAfter, no thread held): one write per op;
#   full lifecycle: the work finishes at once: its end is a second write (often coalesced).
# Prints creates/s, writes per commit, and checks the store holds every accepted operation.
#
#   bench/lrod/durable_creates.sh   # LROD=…/lrod DURATION=10s CONNS=512 IO_THREADS=2
# Not pinned: lrod's HTTP, writer and worker threads and wrk share every core.
SERVER_CPU="${SERVER_CPU:-0-$(($(nproc) - 1))}"
CLIENT_CPU="${CLIENT_CPU:-0-$(($(nproc) - 1))}"
source "$(dirname "$0")/common.sh"
need wrk curl python3 sqlite3
CONNS="${CONNS:-512}"
IO_THREADS="${IO_THREADS:-2}"

run() {
  local label="$1" body="$2"
  local port
  port="$(free_port)"
  rm -f "$work"/ops.db*
  start_lrod "$port" --demo --store "sqlite:$work/ops.db" --inline-budget 0 \
    --io-threads "$IO_THREADS" --workers 2
  local base="http://127.0.0.1:$port"
  metric() { curl -s "$base/metrics" | awk -v m="$1" '$1==m {print $2}'; }
  LROD_BODY="$body" taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d2s \
    -s "$(dirname "$0")/create.lua" "$base/v1/workspaces/bench/items" >/dev/null
  local c0 w0 c1 w1
  c0="$(metric lrod_store_commits_total)"
  w0="$(metric lrod_store_committed_writes_total)"
  echo "-- $label: wrk -t1 -c$CONNS -d$DURATION POST /v1/workspaces/bench/items (fsync on)"
  LROD_BODY="$body" taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" --latency \
    -s "$(dirname "$0")/create.lua" "$base/v1/workspaces/bench/items" |
    grep -E "202 answers|^    Latency|     99%"
  c1="$(metric lrod_store_commits_total)"
  w1="$(metric lrod_store_committed_writes_total)"
  python3 -c "c=$c1-$c0; w=$w1-$w0; print(f'   store: {c} commits, {w} writes, {w/max(c,1):.1f} writes per commit, one fsync each')"
  kill "${pids[-1]}"
  wait "${pids[-1]}" 2>/dev/null || true
  echo "   operations in the store after the run: $(sqlite3 "$work/ops.db" 'SELECT count(*) FROM operations;')"
}

run "create-only" \
  '{"displayName":"bench","type":"Notebook","demo":{"durationMs":600000,"progressSteps":0}}'
run "full lifecycle" \
  '{"displayName":"bench","type":"Notebook","demo":{"durationMs":0,"progressSteps":0}}'
