#!/usr/bin/env bash
# Configures and builds lro. Usage: scripts/build.sh [BUILD_DIR] [extra cmake arguments...]
# Environment: LRO_BUILD_TYPE (default Release); LRO_WARNINGS_AS_ERRORS (default OFF: the
# project's own test command and CI turn it ON).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
jobs="$(nproc 2>/dev/null || echo 2)"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${LRO_BUILD_TYPE:-Release}" \
  -DLRO_WARNINGS_AS_ERRORS="${LRO_WARNINGS_AS_ERRORS:-OFF}" "$@" >/dev/null
cmake --build "$build" -j "$jobs"
