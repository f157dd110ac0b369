#!/usr/bin/env bash
# The client-engine benchmark (docs/performance.md, "Client engine (issue 3)").
#
#   bash bench/run.sh [--sizes 1000,10000,100000] [--running 3] [--timeout 120] [--rounds 3]
#                     [--tools lro,floor,core-lro] [--build-dir DIR] [--out FILE]
#
# For each N it starts lro_bench_server pinned to core 1 and runs each client pinned to core 0,
# against a fresh server each time:
#   lro       bench/lro_load: N operations at once on lro's engine, one thread
#   floor     bench/curl_floor: the same number of plain GETs with libcurl multi alone
#   core-lro  bench/peers/core-lro: N operations at once with @azure/core-lro on Node
# Every operation costs 1 + K + 1 requests (POST, K polls answering Running, one Succeeded with the
# result). Measured per run: wall (the tool's own clock), CPU user+sys (bash `times`), peak RSS
# (/usr/bin/time), requests. Each tool also runs once at N=1 first: that run's CPU and RSS are
# the tool's start-up cost, subtracted for "CPU µs/req" and "KB/op". lro and the floor run
# --rounds times, alternating, and each figure shown is from the round with the median CPU (a
# shared machine varies by ±30% from run to run); core-lro runs in the first round only. The
# table is printed and written as markdown to bench/results/latest.md.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
sizes="1000,10000,100000"
running=3
timeout_s=120
rounds=3
tools="lro,floor,core-lro"
build_dir="$root/build-bench"
out="$root/bench/results/latest.md"
connections=64
body='{"name":"bench"}'

while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
    --running) running="$2"; shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --tools) tools="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$build_dir" in /*) ;; *) build_dir="$PWD/$build_dir" ;; esac
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

log() { echo "run.sh: $*" >&2; }
declare -A skipped  # tool -> why it is not run
wants() { case ",$tools," in *",$1,"*) [ -z "${skipped[$1]:-}" ] ;; *) return 1 ;; esac; }

# --- what the script needs beyond the build ---------------------------------------------------
missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v taskset >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null ||
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null; }
fi

peer_dir="$root/bench/peers/core-lro"
if wants core-lro; then
  node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$node_major" -lt 20 ]; then
    skipped[core-lro]="skipped: needs Node >= 20"
  elif [ ! -d "$peer_dir/node_modules/@azure/core-lro" ] ||
       [ "$peer_dir/package-lock.json" -nt "$peer_dir/node_modules/.package-lock.json" ]; then
    log "npm ci (bench/peers/core-lro)"
    (cd "$peer_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
      skipped[core-lro]="skipped: npm ci failed"
  fi
fi

# --- build: optimised with debug info (as the figures in docs/performance.md), -j2: the
# machine is shared. Warnings are not errors here: CI gates those; a benchmark only needs the binaries. ---
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  log "configuring $build_dir (RelWithDebInfo, no tests)"
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLRO_BUILD_TESTS=OFF -DLRO_WARNINGS_AS_ERRORS=OFF >/dev/null
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build_dir/CMakeCache.txt")
case "$build_type" in
  Release|RelWithDebInfo) ;;
  *) log "warning: $build_dir is a '${build_type:-default}' build, not optimised" ;;
esac
cmake --build "$build_dir" -j 2 --target lro_bench_server curl_floor >/dev/null
bin="$build_dir/bench"
if wants lro; then
  if ! cmake --build "$build_dir" -j 2 --target lro_load >"$build_dir/lro_load.build.log" 2>&1; then
    log "lro_load does not build here (see $build_dir/lro_load.build.log)"
    skipped[lro]="TBD: lro_load not built"
  fi
fi

# --- pinning ---------------------------------------------------------------------------------
if [ "$(nproc)" -ge 2 ]; then
  server_pin=(taskset -c 1); client_pin=(taskset -c 0); pinning="server on core 1, client on core 0"
else
  server_pin=(); client_pin=(); pinning="none (one core)"
  log "warning: one core only, nothing pinned: client and server share it"
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

start_server() {
  rm -f "$work/port"
  "${server_pin[@]}" "$bin/lro_bench_server" --listen 127.0.0.1:0 --running "$running" \
    --port-file "$work/port" >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
  [ -s "$work/port" ] || { cat "$work/server.err" >&2; log "the bench server did not start"; exit 1; }
  port=$(cat "$work/port")
}

# Stops the server; sets server_cpu (seconds) from its own getrusage report.
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  local line; line=$(tail -n 1 "$work/server.out")
  server_cpu=$(awk -v u="$(json_num cpu_user_ms "$line")" -v s="$(json_num cpu_sys_ms "$line")" \
    'BEGIN { printf "%.3f", (u + s) / 1000 }')
}

# json_num KEY LINE: the number after "KEY": in a one-line JSON object, empty if none.
json_num() { sed -n "s/.*\"$1\":\([-0-9.eE+]*\).*/\1/p" <<<"$2"; }

declare -A R  # results, keyed "field:tool:N"

# run TOOL N: one measured run against a fresh server.
run() {
  local tool=$1 n=$2 cmd rc=0
  start_server
  case "$tool" in
    lro) cmd=("$bin/lro_load" --url "http://127.0.0.1:$port/items" --count "$n" --method POST
              --body "$body" --threads 1 --connections "$connections" --lateness) ;;
    floor)
      local requests=${R[requests:lro:$n]:-$((n * (running + 2)))}
      cmd=("$bin/curl_floor" --url "http://127.0.0.1:$port/plain" --requests "$requests"
           --concurrency "$connections" --max-connections "$connections") ;;
    core-lro) cmd=(node "$peer_dir/drive.mjs" --url "http://127.0.0.1:$port/items" --count "$n"
                   --method POST --body "$body" --max-sockets "$connections"
                   --timeout-ms $((timeout_s * 1000))) ;;
  esac
  # /usr/bin/time gives peak RSS; bash's `times` (children of this subshell) gives CPU to the ms.
  (
    status=0
    timeout -k 10 $((timeout_s + 30)) /usr/bin/time -f '%M' -o "$work/rss" \
      "${client_pin[@]}" "${cmd[@]}" >"$work/out" 2>"$work/err" || status=$?
    times >"$work/times"
    exit $status
  ) || rc=$?
  stop_server

  local last; last=$(tail -n 1 "$work/out" 2>/dev/null || true)
  # `times` line 2: children's user and system time, as "1m2.345s 0m0.678s".
  local cpu; cpu=$(sed -n '2s/\([0-9]*\)m\([0-9.]*\)s \([0-9]*\)m\([0-9.]*\)s/\1 \2 \3 \4/p' "$work/times" |
    awk '{ printf "%.3f", $1 * 60 + $2 + $3 * 60 + $4 }')
  local elapsed; elapsed=$(json_num elapsed_ms "$last")
  if [ -z "$elapsed" ]; then
    log "$tool N=$n: no result line (exit $rc); stderr:"; tail -n 5 "$work/err" >&2
    R[status:$tool:$n]="did not finish (killed at $((timeout_s + 30)) s)"
    return
  fi
  local done_ops
  if [ "$tool" = floor ]; then done_ops="—"; else done_ops=$(json_num succeeded "$last"); fi
  R[wall:$tool:$n]=$(awk -v e="$elapsed" 'BEGIN { printf "%.3f", e / 1000 }')
  R[cpu:$tool:$n]=$cpu
  R[rss:$tool:$n]=$(tail -n 1 "$work/rss")
  R[requests:$tool:$n]=$(json_num requests "$last")
  R[done:$tool:$n]=$done_ops
  R[server:$tool:$n]=$server_cpu
  if grep -q '"finished":false' <<<"$last"; then
    R[status:$tool:$n]="did not finish in ${timeout_s} s"
  elif [ "$rc" -ne 0 ]; then
    R[status:$tool:$n]="exit $rc, $(json_num failed "$last") failed"
  else
    R[status:$tool:$n]="ok"
  fi
  local lateness; lateness=$(grep '"lateness_ms"' "$work/out" | tail -n 1 || true)
  if [ -n "$lateness" ]; then
    R[late:$tool:$n]="$(json_num p50 "$lateness") | $(json_num p99 "$lateness") | $(json_num max "$lateness")"
  fi
  log "$tool N=$n: ${R[status:$tool:$n]}, wall ${R[wall:$tool:$n]} s, CPU ${R[cpu:$tool:$n]} s, requests ${R[requests:$tool:$n]}"
}

IFS=, read -r -a size_list <<<"$sizes"
tool_list=()  # what the report shows: every tool asked for, skipped ones too
for t in lro floor core-lro; do
  case ",$tools," in *",$t,"*) tool_list+=("$t") ;; esac
done
for t in "${!skipped[@]}"; do log "$t: ${skipped[$t]}"; done
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for tool in "${tool_list[@]}"; do wants "$tool" && run "$tool" 1; done  # start-up baselines
fields=(wall cpu rss requests done server status late)
for round in $(seq 1 "$rounds"); do
  for n in "${size_list[@]}"; do
    for tool in "${tool_list[@]}"; do
      wants "$tool" || continue
      [ "$tool" != core-lro ] || [ "$round" -eq 1 ] || continue
      run "$tool" "$n"
      for f in "${fields[@]}"; do R[$f:$tool:$n:$round]=${R[$f:$tool:$n]:-}; done
    done
  done
done
# Each (tool, N) shows its round with the median CPU.
for n in "${size_list[@]}"; do
  for tool in lro floor; do
    wants "$tool" || continue
    median_round=$(for round in $(seq 1 "$rounds"); do
                     echo "${R[cpu:$tool:$n:$round]:-999999} $round"
                   done | sort -n | awk -v m=$(((rounds + 1) / 2)) 'NR == m { print $2 }')
    for f in "${fields[@]}"; do R[$f:$tool:$n]=${R[$f:$tool:$n:$median_round]:-}; done
  done
done

load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ----------------------------------------------------------------------------------
# derived TOOL N: sets us_per_req and kb_per_op (empty when the run has no figures).
derived() {
  local tool=$1 n=$2
  us_per_req=""; kb_per_op=""
  [ -n "${R[cpu:$tool:$n]:-}" ] || return 0
  us_per_req=$(awk -v c="${R[cpu:$tool:$n]}" -v b="${R[cpu:$tool:1]:-0}" -v r="${R[requests:$tool:$n]}" \
    'BEGIN { if (r > 0) printf "%.1f", (c - b) * 1e6 / r }')
  kb_per_op=$(awk -v m="${R[rss:$tool:$n]}" -v b="${R[rss:$tool:1]:-0}" -v n="$n" \
    'BEGIN { printf "%.2f", (m - b) / n }')
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b > 0) printf "%.2f×", a / b; else printf "TBD" }'; }

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "?")
[ -z "$(git -C "$root" status --porcelain 2>/dev/null)" ] || commit="$commit (+ uncommitted changes)"
{
  echo "# Client engine benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- machine: $(nproc) cores (${cpu_model:-unknown}), $(uname -r); pinning: $pinning"
  echo "- workload: N operations at once, POST, K=$running polls answering Running, then Succeeded"
  echo "  with the result: $((running + 2)) requests per operation; loopback; ≤ $connections connections per client"
  echo "- build: $build_type ($build_dir), commit $commit"
  echo "- load average (other users of the machine) before: $load_before, after: $load_after"
  echo "- CPU µs/req and KB/op subtract each tool's N=1 run (start-up). client CPU % = its CPU / its"
  echo "  wall: well under 100 with the server also idle means the core was shared, and wall is inflated"
  echo "- server CPU % = bench server CPU / client wall (near 100 would make the server the bottleneck)"
  echo
  echo "| N | tool | status | ops done | requests | wall s | CPU s | CPU µs/req | peak RSS MB | KB/op | client CPU % | server CPU % |"
  echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for n in "${size_list[@]}"; do
    for tool in "${tool_list[@]}"; do
      derived "$tool" "$n"
      if [ -z "${R[cpu:$tool:$n]:-}" ]; then
        echo "| $n | $tool | ${R[status:$tool:$n]:-${skipped[$tool]:-not run}} | | | | | | | | | |"
        continue
      fi
      rss_mb=$(awk -v m="${R[rss:$tool:$n]}" 'BEGIN { printf "%.1f", m / 1024 }')
      percent() { awk -v c="$1" -v w="${R[wall:$tool:$n]}" 'BEGIN { if (w > 0) printf "%.0f", 100 * c / w }'; }
      echo "| $n | $tool | ${R[status:$tool:$n]} | ${R[done:$tool:$n]} | ${R[requests:$tool:$n]} |" \
           "${R[wall:$tool:$n]} | ${R[cpu:$tool:$n]} | $us_per_req | $rss_mb | $kb_per_op |" \
           "$(percent "${R[cpu:$tool:$n]}") | $(percent "${R[server:$tool:$n]}") |"
    done
  done
  echo
  echo "Ratios (CPU per request net of start-up; wall as measured):"
  echo
  echo "| N | lro/floor wall | lro/floor CPU/req | core-lro/lro wall | core-lro/lro CPU/req | core-lro/lro KB/op |"
  echo "|---:|---:|---:|---:|---:|---:|"
  for n in "${size_list[@]}"; do
    derived lro "$n"; lro_us=$us_per_req; lro_kb=$kb_per_op
    derived floor "$n"; floor_us=$us_per_req
    derived core-lro "$n"; peer_us=$us_per_req; peer_kb=$kb_per_op
    echo "| $n | $(ratio "${R[wall:lro:$n]:-}" "${R[wall:floor:$n]:-}") | $(ratio "$lro_us" "$floor_us") |" \
         "$(ratio "${R[wall:core-lro:$n]:-}" "${R[wall:lro:$n]:-}") | $(ratio "$peer_us" "$lro_us") | $(ratio "$peer_kb" "$lro_kb") |"
  done
  echo
  echo "lro/floor CPU/req in each round (the two run back to back, so the fairest comparison):"
  echo
  echo "| N | $(for round in $(seq 1 "$rounds"); do printf 'round %s | ' "$round"; done)"
  echo "|---:|$(for round in $(seq 1 "$rounds"); do printf -- '---:|'; done)"
  for n in "${size_list[@]}"; do
    row="| $n |"
    for round in $(seq 1 "$rounds"); do
      lro_us=$(awk -v c="${R[cpu:lro:$n:$round]:-}" -v b="${R[cpu:lro:1]:-0}" -v r="${R[requests:lro:$n:$round]:-0}" \
        'BEGIN { if (c != "" && r > 0) printf "%.1f", (c - b) * 1e6 / r }')
      floor_us=$(awk -v c="${R[cpu:floor:$n:$round]:-}" -v b="${R[cpu:floor:1]:-0}" -v r="${R[requests:floor:$n:$round]:-0}" \
        'BEGIN { if (c != "" && r > 0) printf "%.1f", (c - b) * 1e6 / r }')
      row="$row $(ratio "$lro_us" "$floor_us") ($lro_us / $floor_us µs) |"
    done
    echo "$row"
  done
  echo
  echo "Timer lateness of lro_load (ms a poll was sent after its Retry-After deadline):"
  echo
  echo "| N | p50 | p99 | max |"
  echo "|---:|---:|---:|---:|"
  for n in "${size_list[@]}"; do
    echo "| $n | ${R[late:lro:$n]:-TBD | TBD | TBD} |"
  done
} >"$work/report.md"

mkdir -p "$(dirname "$out")"
cp "$work/report.md" "$out"
echo
cat "$work/report.md"
log "written to $out"
