#!/usr/bin/env bash
# lrod on PostgreSQL against its own database and against the SQLite lrod, in one run, side by
# side (issue 9):
#   - durable creates/s with 1 and 2 lrod replicas on one PostgreSQL (fsync on), against
#     `pgbench -N` (simple update, one commit per transaction) on the same database: the
#     database's own ceiling per transaction; group commit lets lrod pass it;
#   - the same creates on SQLite (fsync on);
#   - status polls/s of a running and of a finished operation on one core, per replica (replica
#     A polled for its own operations, replica B for A's: a peer's running state is read through
#     to PostgreSQL), against the SQLite lrod.
# Targets: one replica >= 10,000 creates/s; finished polls >= 75% of SQLite's; SQLite keeps
# >= 20,000 creates/s.
#
#   bench/lrod/postgres.sh       # LROD=…/lrod DURATION=10s CONNS=512 POLL_CONNS=64 IO_THREADS=2
#
# Without LRO_TEST_POSTGRES (a libpq conninfo with host, port, user, dbname) it runs itself inside
# a private cluster (scripts/postgres-test-cluster.sh: initdb in a temporary directory, fsync on).
# Creates are unpinned (lrod, PostgreSQL and wrk share every core, as in durable_creates.sh);
# polls pin the lrod polled to SERVER_CPU and wrk to CLIENT_CPU.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ -z "${LRO_TEST_POSTGRES:-}" ]]; then
  exec bash "$here/../../scripts/postgres-test-cluster.sh" run -- bash "$0" "$@"
fi
source "$here/common.sh"
need wrk curl python3 pgbench psql taskset
CONNS="${CONNS:-512}"
POLL_CONNS="${POLL_CONNS:-64}"
IO_THREADS="${IO_THREADS:-2}"
all_cpus="0-$(($(nproc) - 1))"

conninfo_field() { tr ' ' '\n' <<<"$LRO_TEST_POSTGRES" | awk -F= -v k="$1" '$1==k {print $2}'; }
pg_host="$(conninfo_field host)"
pg_port="$(conninfo_field port)"
pg_user="$(conninfo_field user)"
pg_db="$(conninfo_field dbname)"
pg_url="postgres://$pg_user@$pg_host:$pg_port/$pg_db"
psql_q() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -t -A "$LRO_TEST_POSTGRES" -c "$1"; }

running_body='{"displayName":"bench","type":"Notebook","demo":{"durationMs":86400000,"progressSteps":0}}'
finished_body='{"displayName":"bench","type":"Notebook","demo":{"durationMs":0,"progressSteps":0}}'

# launch NAME PORT CPUS ARGS...: an lrod with the demo service (start_lrod); waits until it
# answers.
launch() {
  local name="$1" port="$2" cpus="$3"
  shift 3
  LROD_LOG="$work/$name.log" SERVER_CPU="$cpus" start_lrod "$port" --demo --inline-budget 0 "$@"
}

stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

# create_on BASE BODY: creates one operation, prints its id.
create_on() {
  curl -s -D - -o /dev/null -X POST "$1/v1/workspaces/bench/items" \
    -H 'Content-Type: application/json' -d "$2" |
    tr -d '\r' | awk 'tolower($1)=="x-ms-operation-id:" {print $2}'
}

# wait_status BASE ID STATUS: until the operation reads STATUS there.
wait_status() {
  for _ in $(seq 200); do
    curl -s "$1/v1/operations/$2" | grep -q "\"status\":\"$3\"" && return 0
    sleep 0.05
  done
  echo "operation $2 never read $3 at $1" >&2
  exit 1
}

# creates_per_s LOAD_SECONDS BASE...: wrk POSTs of running operations against every BASE at once
# (CONNS split between them); prints the 202 answers per second, summed.
creates_per_s() {
  local per=$((CONNS / $#)) i=0 base loads=()
  for base in "$@"; do
    LROD_BODY="$running_body" wrk -t1 -c"$per" -d2s -s "$here/create.lua" \
      "$base/v1/workspaces/bench/items" >/dev/null &
    loads+=($!)
  done
  wait "${loads[@]}"  # only these: lrod may be a child of this shell too
  loads=()
  for base in "$@"; do
    LROD_BODY="$running_body" wrk -t1 -c"$per" -d"$DURATION" -s "$here/create.lua" \
      "$base/v1/workspaces/bench/items" >"$work/creates.$i" &
    loads+=($!)
    i=$((i + 1))
  done
  wait "${loads[@]}"
  cat "$work"/creates.* >>"$work/wrk.log"
  sed -n 's/^202 answers: [0-9]* (\([0-9]*\)\/s).*/\1/p' "$work"/creates.* |
    awk '{sum += $1} END {printf "%.0f", sum}'
  rm -f "$work"/creates.*
}

# polls_per_s URL: wrk GETs on CLIENT_CPU; prints requests/s.
polls_per_s() {
  wrk_rps -t1 -c"$POLL_CONNS" -d2s "$1" >/dev/null  # warm-up
  wrk_rps -t1 -c"$POLL_CONNS" -d"$DURATION" "$1"
}

declare -A fig

echo "== pgbench -N on the same database ($pg_url), fsync on"
pgbench -q -i -s 10 "$LRO_TEST_POSTGRES" >"$work/pgbench-init.log" 2>&1
fig[pgbench]="$(pgbench -N -c 16 -j 2 -T "${DURATION%s}" -n "$LRO_TEST_POSTGRES" 2>&1 |
  tee "$work/pgbench.log" | awk '/^tps/ {printf "%.0f", $3}')"
echo "   pgbench -N -c 16 -j 2: ${fig[pgbench]} tps"

echo "== durable creates, SQLite (fsync on)"
port="$(free_port)"
launch sqlite "$port" "$all_cpus" --store "sqlite:$work/ops.db" --io-threads "$IO_THREADS" \
  --workers 2
fig[sqlite_creates]="$(creates_per_s "http://127.0.0.1:$port")"
echo "   ${fig[sqlite_creates]}/s"
stop_all

# pg_creates REPLICAS: durable creates/s of that many replicas on an empty schema, summed.
pg_creates() {
  psql_q "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
  local bases=() i port
  for i in $(seq "$1"); do
    port="$(free_port)"
    launch "pg$1-$i" "$port" "$all_cpus" --store "$pg_url" --replica-id "bench-$i" \
      --io-threads "$IO_THREADS" --workers 2
    bases+=("http://127.0.0.1:$port")
  done
  creates_per_s "${bases[@]}"
  stop_all
}

echo "== durable creates, 1 replica on PostgreSQL"
fig[pg1_creates]="$(pg_creates 1)"
echo "   ${fig[pg1_creates]}/s ($(psql_q 'SELECT count(*) FROM lrod_operations') operations stored)"

echo "== durable creates, 2 replicas on PostgreSQL"
fig[pg2_creates]="$(pg_creates 2)"
echo "   ${fig[pg2_creates]}/s"

echo "== status polls on one core (lrod on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU)"
psql_q "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
sqlite_port="$(free_port)"
a_port="$(free_port)"
b_port="$(free_port)"
launch poll-sqlite "$sqlite_port" "$SERVER_CPU" --store "sqlite:$work/polls.db" --io-threads 1 \
  --workers 1
launch poll-a "$a_port" "$SERVER_CPU" --store "$pg_url" --replica-id bench-a --io-threads 1 \
  --workers 1
launch poll-b "$b_port" "$SERVER_CPU" --store "$pg_url" --replica-id bench-b --io-threads 1 \
  --workers 1
for who in sqlite a; do
  port_var="${who}_port"
  base="http://127.0.0.1:${!port_var}"
  running="$(create_on "$base" "$running_body")"
  finished="$(create_on "$base" "$finished_body")"
  wait_status "$base" "$running" Running
  wait_status "$base" "$finished" Succeeded
  eval "${who}_running=$running ${who}_finished=$finished"
done
sqlite_base="http://127.0.0.1:$sqlite_port"
a_base="http://127.0.0.1:$a_port"
b_base="http://127.0.0.1:$b_port"
fig[sqlite_running]="$(polls_per_s "$sqlite_base/v1/operations/$sqlite_running")"
fig[sqlite_finished]="$(polls_per_s "$sqlite_base/v1/operations/$sqlite_finished")"
fig[a_running]="$(polls_per_s "$a_base/v1/operations/$a_running")"
fig[a_finished]="$(polls_per_s "$a_base/v1/operations/$a_finished")"
fig[b_running]="$(polls_per_s "$b_base/v1/operations/$a_running")"
fig[b_finished]="$(polls_per_s "$b_base/v1/operations/$a_finished")"
stop_all

pct() { python3 -c "print(f'{100*$1/max($2,1):.0f}%')"; }
echo
echo "== side by side (DURATION=$DURATION, CONNS=$CONNS creates, POLL_CONNS=$POLL_CONNS polls; $(nproc) cores)"
printf '%-34s %12s %16s %16s\n' "" "creates/s" "polls running/s" "polls finished/s"
printf '%-34s %12s %16s %16s\n' "pgbench -N (tps, -c 16)" "${fig[pgbench]}" "" ""
printf '%-34s %12s %16s %16s\n' "lrod SQLite" "${fig[sqlite_creates]}" \
  "${fig[sqlite_running]%.*}" "${fig[sqlite_finished]%.*}"
printf '%-34s %12s %16s %16s\n' "lrod PostgreSQL, 1 replica" "${fig[pg1_creates]}" \
  "${fig[a_running]%.*}" "${fig[a_finished]%.*}"
printf '%-34s %12s %16s %16s\n' "lrod PostgreSQL, 2 replicas (sum)" "${fig[pg2_creates]}" "" ""
printf '%-34s %12s %16s %16s\n' "  replica B polling A's operations" "" "${fig[b_running]%.*}" \
  "${fig[b_finished]%.*}"
echo
echo "targets: 1 replica >= 10,000 creates/s: ${fig[pg1_creates]} ($(pct "${fig[pg1_creates]}" 10000));" \
  "finished polls >= 75% of SQLite: A $(pct "${fig[a_finished]}" "${fig[sqlite_finished]}")," \
  "B $(pct "${fig[b_finished]}" "${fig[sqlite_finished]}");" \
  "SQLite >= 20,000 creates/s: ${fig[sqlite_creates]}"
echo "vs pgbench -N: 1 replica $(pct "${fig[pg1_creates]}" "${fig[pgbench]}")," \
  "2 replicas $(pct "${fig[pg2_creates]}" "${fig[pgbench]}")"
