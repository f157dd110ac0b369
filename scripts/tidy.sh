#!/usr/bin/env bash
# clang-tidy (14, the checked-in .clang-tidy) over every translation unit of the tree that a
# build directory compiles: src/, apps/, tests/, bench/. Exits non-zero on any finding.
# Usage: scripts/tidy.sh BUILD_DIR   (a build configured with clang or g++; its
# compile_commands.json names the files and flags)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:?usage: scripts/tidy.sh BUILD_DIR}"
jobs="$(nproc 2>/dev/null || echo 2)"
if [[ ! -f "$build/compile_commands.json" ]]; then
  echo "no $build/compile_commands.json: configure the build first" >&2
  exit 2
fi
# Our sources only: generated files (the embedded /ui page) and third-party code are not ours.
files=$(python3 - "$build/compile_commands.json" "$root" <<'PY'
import json, os, sys
root = sys.argv[2]
for entry in json.load(open(sys.argv[1])):
    path = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
    rel = os.path.relpath(path, root)
    if rel.split(os.sep)[0] in ("src", "apps", "tests", "bench"):
        print(path)
PY
)
files=$(echo "$files" | sort -u)
echo "clang-tidy: $(echo "$files" | wc -l) files, $jobs at a time"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# run-clang-tidy takes file-name regexes; each path is anchored so that only it matches.
if ! run-clang-tidy-14 -quiet -p "$build" -j "$jobs" \
    $(echo "$files" | sed 's/[.+]/\\&/g; s/^/^/; s/$/$/') >"$log" 2>&1; then
  grep -E "(error|warning):" "$log" | sort -u | head -n 200
  echo "clang-tidy: $(grep -cE '(error|warning):' "$log") findings (.clang-tidy); fix them"
  exit 1
fi
echo "clang-tidy: clean"
