#!/usr/bin/env bash
# Every lrod benchmark, figures side by side. Needs a Release build (scripts/build.sh) and the
# Debian packages wrk, nginx-light (or nginx), curl, sqlite3; with --postgres also
# postgresql-15 (and its client, pgbench).
#
#   bench/lrod/run_all.sh              # SQLite: anchor, polls vs nginx, durable creates
#   bench/lrod/run_all.sh --postgres   # then lrod on PostgreSQL vs pgbench and SQLite (postgres.sh)
set -euo pipefail
here="$(dirname "$0")"
postgres=0
for arg in "$@"; do
  case "$arg" in
    --postgres) postgres=1 ;;
    *) echo "usage: $0 [--postgres]" >&2; exit 2 ;;
  esac
done
echo "== SQLite alone (anchor)"
python3 "$here/sqlite_baseline.py"
echo
echo "== status polls on one core: lrod vs nginx"
bash "$here/status_polls.sh"
echo
echo "== durable creates over HTTP (SQLite, fsync on)"
bash "$here/durable_creates.sh"
if [[ "$postgres" == 1 ]]; then
  echo
  echo "== lrod on PostgreSQL: creates vs pgbench -N, polls vs SQLite"
  bash "$here/postgres.sh"
fi
