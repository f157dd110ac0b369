#!/usr/bin/env bash
# Open-ended fuzzing, outside the landing CI: runs each libFuzzer target (ASan + UBSan, clang 14)
# for as long as asked, from its corpus in tests/fuzz/corpus/<target>/.
#
#   scripts/fuzz.sh [--time SECONDS] [--jobs N] [TARGET...]     (default: 600 s, every target)
#
# What it finds is kept, to be committed:
# - inputs that reach new code are merged into tests/fuzz/corpus/<target>/ (minimised by
#   libFuzzer's -merge), so the next CI replays them;
# - a crash stops that target; its input lands in tests/fuzz/corpus/<target>/regression-<hash>
#   and the log in build-fuzz/findings/. Fix the bug: from then on `ctest` (fuzz_replay.<target>)
#   replays the input on every build, and CI's fixed-seed fuzzing starts from it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds=600
jobs=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) seconds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  for dir in "$root"/tests/fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

build="$root/build-fuzz"
LRO_BUILD_TYPE=Debug bash "$root/scripts/build.sh" "$build" -DLRO_SANITIZE=ON -DLRO_FUZZ=ON \
  -DCMAKE_CXX_COMPILER=clang++-14
findings="$build/findings"
mkdir -p "$findings"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

status=0
for target in "${targets[@]}"; do
  corpus="$root/tests/fuzz/corpus/$target"
  fuzzer="$build/tests/fuzz/$target"
  [ -x "$fuzzer" ] || { echo "fuzz.sh: no fuzz target $target"; exit 2; }
  scratch="$(mktemp -d)"
  artifacts="$findings/$target/"
  mkdir -p "$artifacts"
  echo "== $target: ${seconds}s from $(ls "$corpus" | wc -l) corpus inputs"
  parallel=()
  [ "$jobs" -gt 1 ] && parallel=(-fork="$jobs")
  if ! (cd "$findings" && "$fuzzer" -max_total_time="$seconds" -max_len=4096 "${parallel[@]}" \
         -artifact_prefix="$artifacts" "$scratch" "$corpus" >"$findings/$target.log" 2>&1); then
    status=1
    for crash in "$artifacts"crash-* "$artifacts"leak-* "$artifacts"timeout-* "$artifacts"oom-*; do
      [ -f "$crash" ] || continue
      kept="$corpus/regression-$(sha1sum "$crash" | cut -c1-12)"
      cp "$crash" "$kept"
      echo "$target: FOUND a failure; input kept as ${kept#"$root"/}, log in $findings/$target.log"
    done
    tail -n 30 "$findings/$target.log"
  fi
  # New coverage joins the committed corpus, minimised.
  "$fuzzer" -merge=1 -max_len=4096 "$corpus" "$scratch" >>"$findings/$target.log" 2>&1 || true
  rm -rf "$scratch"
  echo "$target: $(grep -E '^(#[0-9]+|Done)' "$findings/$target.log" | tail -n 1)"
done
exit $status
