#!/usr/bin/env bash
# Every lrod benchmark, figures side by side. Needs a Release build (scripts/build.sh) and the
# Debian packages wrk, nginx-light (or nginx), curl, sqlite3.
set -euo pipefail
here="$(dirname "$0")"
echo "== SQLite alone (anchor)"
python3 "$here/sqlite_baseline.py"
echo
echo "== status polls on one core: lrod vs nginx"
bash "$here/status_polls.sh"
echo
echo "== durable creates over HTTP (SQLite, fsync on)"
bash "$here/durable_creates.sh"
