#!/usr/bin/env bash
# lrod reads the configuration file the lrod package installs (/etc/lrod/lrod.toml): started
# with --config on a copy pointed at a scratch directory, it listens and stores where the file
# says; a command-line option wins over the file; a bad value or an unknown key in the file is
# refused with a clear message. Usage: lrod_config_test.sh LROD SHIPPED_LROD_TOML
set -euo pipefail
lrod=$1
shipped=$2
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*"
  [ -f "$work/log" ] && cat "$work/log"
  exit 1
}

# The shipped file, with listen and store pointed at a scratch place and the demo mounted.
mkdir "$work/state"
sed -e 's|^listen = .*|listen = "127.0.0.1:0"|' \
    -e "s|^store = .*|store = \"sqlite:$work/state/lrod.db\"|" \
    -e 's|^# demo = true.*|demo = true|' "$shipped" >"$work/lrod.toml"
grep -q '^listen = "127.0.0.1:0"$' "$work/lrod.toml" || fail "the shipped file has no listen key"
grep -q "^store = \"sqlite:$work/state/lrod.db\"\$" "$work/lrod.toml" || fail "no store key"
grep -q '^demo = true$' "$work/lrod.toml" || fail "no commented demo key"

"$lrod" --config "$work/lrod.toml" 2>"$work/log" &
pid=$!
port=""
for _ in $(seq 1 300); do  # 30 s at most; lrod logs its address once it listens
  port=$(grep -o '"msg":"listening","address":"127.0.0.1:[0-9]*"' "$work/log" |
         grep -o '[0-9]*"$' | tr -d '"' | head -n 1 || true)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "lrod exited"
  sleep 0.1
done
[ -n "$port" ] || fail "lrod did not listen within 30 s"
code=$(curl -s -o "$work/item" -w '%{http_code}' -X POST \
  "http://127.0.0.1:$port/v1/workspaces/ws/items" -H 'Content-Type: application/json' \
  -d '{"displayName":"from the config","type":"Notebook","demo":{"durationMs":0}}')
[ "$code" = 201 ] || fail "demo item creation answered $code: $(cat "$work/item")"
[ -s "$work/state/lrod.db" ] || fail "no store at the configured path"
kill -TERM "$pid"
wait "$pid" || fail "lrod did not stop cleanly on SIGTERM"
pid=""
echo "ok   the shipped lrod.toml is read: listen, store and demo as configured"

# expect_refused WANT_MESSAGE ARGS...: lrod exits non-zero at once and says WANT_MESSAGE.
expect_refused() {
  local want=$1
  shift
  # Bounded: an accepted configuration would start a server that never exits by itself.
  local rc=0
  timeout 30 "$lrod" "$@" >"$work/out" 2>&1 || rc=$?
  [ "$rc" -ne 0 ] || fail "lrod $* was accepted"
  [ "$rc" -ne 124 ] || fail "lrod $* was accepted (it started and ran)"
  grep -qF -- "$want" "$work/out" || fail "lrod $*: no '$want' in: $(cat "$work/out")"
}

# A command-line option wins over the file.
expect_refused "--listen must be HOST:PORT" --config "$work/lrod.toml" --listen nonsense
echo "ok   a command-line option wins over the file"

sed -e 's|^listen = .*|listen = "nonsense"|' "$work/lrod.toml" >"$work/bad.toml"
expect_refused "--listen must be HOST:PORT" --config "$work/bad.toml"
sed -e 's|^mode = .*||' "$work/lrod.toml" >"$work/bad.toml"
echo 'mode = "aws"' >>"$work/bad.toml"
expect_refused "mode" --config "$work/bad.toml"
echo "ok   a bad value in the file is refused"

{ cat "$work/lrod.toml"; echo 'lisen = "127.0.0.1:9"'; } >"$work/bad.toml"
expect_refused "lisen" --config "$work/bad.toml"
echo "ok   an unknown key in the file is refused"

expect_refused "" --config "$work/missing.toml"
echo "lrod config file: all passed"
