#!/usr/bin/env bash
# The main job: installs what is needed, builds, starts lrod on its embedded SQLite store with
# the demo service, and replays the two-notebook walkthrough with the lro CLI:
#   1. a notebook that is created at once (201, the result in the answer),
#   2. a notebook whose creation takes a few seconds (202, progress, then its result).
# Usage: scripts/demo.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"

bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" "$build"

lro="$build/apps/lro"
lrod="$build/apps/lrod/lrod"
work="$(mktemp -d)"
trap 'kill "$lrod_pid" 2>/dev/null; wait "$lrod_pid" 2>/dev/null; rm -rf "$work"' EXIT

# Port 0: the kernel picks a free one; lrod logs where it listens.
"$lrod" --listen 127.0.0.1:0 --store "sqlite:$work/lrod.db" --demo \
  --retry-after Item.Create=1 2>"$work/lrod.log" &
lrod_pid=$!
for _ in $(seq 1 100); do
  port=$(grep -o '"msg":"listening","address":"127.0.0.1:[0-9]*"' "$work/lrod.log" 2>/dev/null |
         grep -o '[0-9]*"$' | tr -d '"' | head -n 1 || true)
  [ -n "${port:-}" ] && break
  sleep 0.1
done
if [ -z "${port:-}" ]; then
  echo "demo: lrod did not start:"; cat "$work/lrod.log"; exit 1
fi
base="http://127.0.0.1:$port"
items="$base/v1/workspaces/demo/items"
echo "lrod is serving the demo service at $base (store: $work/lrod.db)"

if [ -t 1 ]; then
  step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
  step() { printf '\n== %s\n' "$*"; }
fi

step "1. Create a notebook that is ready at once: lrod answers 201 with the item"
echo "\$ lro start $items -d '{\"displayName\":\"Notebook 1\",\"type\":\"Notebook\"}'"
"$lro" start "$items" -d '{"displayName":"Notebook 1","type":"Notebook"}'
echo

step "2. Create a notebook that takes 4 seconds: 202, progress, then the item"
echo "What the server answers (the first response only):"
curl -s -i -X POST "$items" -H 'Content-Type: application/json' \
  -d '{"displayName":"Notebook 0","type":"Notebook","demo":{"durationMs":2000}}' |
  tr -d '\r' | sed -n '1,/^$/p' | grep -iE '^(HTTP|location|x-ms-operation-id|retry-after)'
echo
echo "\$ lro start $items -d '{\"displayName\":\"Notebook 2\",\"type\":\"Notebook\",\"demo\":{\"durationMs\":4000,\"progressSteps\":4}}'"
"$lro" start "$items" \
  -d '{"displayName":"Notebook 2","type":"Notebook","demo":{"durationMs":4000,"progressSteps":4}}'
echo

step "3. Start one without waiting, then look at it by its resume token"
token=$("$lro" start --no-wait "$items" \
  -d '{"displayName":"Notebook 3","type":"Notebook","demo":{"durationMs":2000}}')
echo "resume token: $token"
echo "\$ lro status TOKEN"
"$lro" status "$token"
echo "\$ lro wait TOKEN"
"$lro" wait "$token"
echo

step "4. The items lrod now holds"
curl -s "$items"
echo
echo
echo "demo: done. (lrod stops now; run it yourself with: $lrod --demo)"
