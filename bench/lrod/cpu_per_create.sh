#!/usr/bin/env bash
# lrod's CPU per durable create: its user + system time (all threads, from /proc) over a
# create-only wrk run, divided by the operations it created, and split by thread name. Less
# sensitive to the machine's load than creates/s (which follows the CPU the machine has left),
# so it is the figure to compare two builds with: run both, alternating, a few times.
#
#   bench/lrod/cpu_per_create.sh            # LROD=…/lrod DURATION=10s CONNS=512 IO_THREADS=2
#   LROD=a/lrod bench/lrod/cpu_per_create.sh; LROD=b/lrod bench/lrod/cpu_per_create.sh; …
# Not pinned, like durable_creates.sh.
SERVER_CPU="${SERVER_CPU:-0-$(($(nproc) - 1))}"
CLIENT_CPU="${CLIENT_CPU:-0-$(($(nproc) - 1))}"
source "$(dirname "$0")/common.sh"
need wrk curl python3
CONNS="${CONNS:-512}"
IO_THREADS="${IO_THREADS:-2}"
BODY='{"displayName":"bench","type":"Notebook","demo":{"durationMs":600000,"progressSteps":0}}'

port="$(free_port)"
start_lrod "$port" --demo --store "sqlite:$work/ops.db" --inline-budget 0 \
  --io-threads "$IO_THREADS" --workers 2 ${LROD_ARGS:-}
pid="${pids[-1]}"
base="http://127.0.0.1:$port"
created() { curl -s "$base/metrics" | awk '$1=="lrod_operations_created_total" {print $2}'; }
# Per thread name: utime and stime in clock ticks, summed over threads of the same name.
snapshot() {
  python3 - "$pid" <<'EOF'
import os, sys, json
pid = sys.argv[1]
totals = {}
for tid in os.listdir(f"/proc/{pid}/task"):
    try:
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            stat = f.read()
    except OSError:
        continue
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    user, system = int(fields[11]), int(fields[12])
    t = totals.setdefault(name, [0, 0])
    t[0] += user
    t[1] += system
print(json.dumps(totals))
EOF
}

LROD_BODY="$BODY" taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d2s \
  -s "$(dirname "$0")/create.lua" "$base/v1/workspaces/bench/items" >/dev/null
n0="$(created)"
s0="$(snapshot)"
LROD_BODY="$BODY" taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" \
  -s "$(dirname "$0")/create.lua" "$base/v1/workspaces/bench/items" | grep -E "202 answers"
s1="$(snapshot)"
n1="$(created)"
python3 - "$s0" "$s1" "$n0" "$n1" "$(getconf CLK_TCK)" <<'EOF'
import json, sys
s0, s1 = json.loads(sys.argv[1]), json.loads(sys.argv[2])
n = float(sys.argv[4]) - float(sys.argv[3])
tick_us = 1e6 / int(sys.argv[5])
print(f"   creates: {n:.0f}, load average {open('/proc/loadavg').read().split()[0]}")
total_u = total_s = 0
for name in sorted(s1):
    u = (s1[name][0] - s0.get(name, [0, 0])[0]) * tick_us / n
    s = (s1[name][1] - s0.get(name, [0, 0])[1]) * tick_us / n
    total_u += u
    total_s += s
    if u + s >= 0.05:
        print(f"   {name:16s} {u + s:6.1f} µs/create (user {u:.1f}, sys {s:.1f})")
print(f"   all of lrod      {total_u + total_s:6.1f} µs/create (user {total_u:.1f}, sys {total_s:.1f})")
EOF
