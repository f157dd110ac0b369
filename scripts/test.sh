#!/usr/bin/env bash
# The test command: installs what is needed, builds, runs the whole test suite.
# Usage: scripts/test.sh [BUILD_DIR] [extra cmake arguments...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" "$build" "$@"
cd "$build"
# PostgreSQL (issue 9): the tests run inside a private PostgreSQL cluster, with
# LRO_TEST_POSTGRES set, so the store conformance suite and the multi-replica tests run on it.
pg_run=(bash "$root/scripts/postgres-test-cluster.sh" run --)
ctest_cmd=(ctest --output-on-failure --timeout 300 -j "$(nproc 2>/dev/null || echo 2)")
"${pg_run[@]}" "${ctest_cmd[@]}"
