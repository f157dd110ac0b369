#!/usr/bin/env bash
# lrod's /ui page in headless Chromium: installs the test's npm packages (puppeteer-core, pinned
# by tests/ui/package-lock.json) and runs tests/ui against the built lrod.
# Usage: scripts/ui-test.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(realpath -m "${1:-$root/build}")"
[ -x "$build/apps/lrod/lrod" ] || { echo "ui-test: build lrod first ($build/apps/lrod/lrod)"; exit 1; }
command -v chromium >/dev/null || { echo "ui-test: chromium is missing (scripts/install-deps.sh)"; exit 1; }
cd "$root/tests/ui"
npm ci --no-audit --no-fund --loglevel=error
LROD="$build/apps/lrod/lrod" node --test ui_test.mjs
