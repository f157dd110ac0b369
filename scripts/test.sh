#!/usr/bin/env bash
# The test command: installs what is needed, builds, runs the whole test suite.
# Usage: scripts/test.sh [BUILD_DIR] [extra cmake arguments...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
# Our own builds treat warnings as errors (a consumer's plain cmake build does not).
export LRO_WARNINGS_AS_ERRORS="${LRO_WARNINGS_AS_ERRORS:-ON}"
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" "$build" "$@"
cd "$build"
# Inside a private PostgreSQL cluster (LRO_TEST_POSTGRES set): the store conformance suite and
# the multi-replica tests run on PostgreSQL as well as on SQLite.
bash "$root/scripts/postgres-test-cluster.sh" run -- \
  ctest --output-on-failure --timeout 300 -j "$(nproc 2>/dev/null || echo 2)"
