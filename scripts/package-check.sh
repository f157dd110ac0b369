#!/usr/bin/env bash
# Checks the Debian packages end to end, as an operator would use them, on this machine (root):
#   1. builds lro and its packages (cpack -G DEB: liblro-dev, lro, lrod);
#   2. installs them with apt;
#   3. starts lrod from its systemd unit, or, where systemd is not running, runs the unit's own
#      ExecStart line as the unit's User (setpriv), in its WorkingDirectory, with its UMask;
#   4. drives one demo operation with the installed lro;
#   5. builds examples/ against the installed liblro-dev with pkg-config and with find_package;
#   6. stops lrod and purges the packages (the lrod system user stays, as Debian policy wants).
# Usage: scripts/package-check.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(realpath -m "${1:-$root/build}")"  # absolute: apt takes ./x.deb paths, not names
packages=(liblro-dev lro lrod)
unit=/lib/systemd/system/lrod.service
config=/etc/lrod/lrod.toml

bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" "$build"

work="$(mktemp -d)"
lrod_pid=""
systemd=false
[ -d /run/systemd/system ] && systemd=true
cleanup() {
  if $systemd; then
    systemctl stop lrod.service 2>/dev/null || true
  elif [ -n "$lrod_pid" ]; then
    kill "$lrod_pid" 2>/dev/null || true
    wait "$lrod_pid" 2>/dev/null || true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${packages[@]}" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "package-check: FAILED: $*"
  [ -f "$work/lrod.log" ] && { echo "--- lrod's log:"; tail -n 40 "$work/lrod.log"; }
  exit 1
}

echo "== 1. cpack -G DEB"
rm -rf "$build/packages"
(cd "$build" && cpack -G DEB >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
debs=("$build"/packages/*.deb)
[ ${#debs[@]} -eq 3 ] || fail "expected 3 packages, got: ${debs[*]}"
for deb in "${debs[@]}"; do
  echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version): $(basename "$deb")"
  echo "  Depends: $(dpkg-deb -f "$deb" Depends)"
done
# What each package must ship.
contents() { dpkg-deb -c "$build"/packages/"$1"_*.deb | awk '{print $6}' | sed 's|^\.||'; }
expect_file() {  # PACKAGE PATH_REGEX
  contents "$1" | grep -qE "^$2\$" || fail "package $1 does not ship $2"
}
expect_file liblro-dev '/usr/include/lro/client.h'
expect_file liblro-dev '/usr/lib/(.*/)?liblro\.a'
expect_file liblro-dev '/usr/lib/(.*/)?cmake/lro/lroConfig\.cmake'
expect_file liblro-dev '/usr/lib/(.*/)?pkgconfig/lro\.pc'
expect_file lro '/usr/bin/lro'
expect_file lro '/usr/share/bash-completion/completions/lro'
expect_file lro '/usr/share/man/man1/lro\.1(\.gz)?'
expect_file lrod '/usr/bin/lrod'
expect_file lrod '/lib/systemd/system/lrod\.service'
expect_file lrod '/etc/lrod/lrod\.toml'
expect_file lrod '/usr/share/man/man1/lrod\.1(\.gz)?'

echo "== 2. apt install"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${packages[@]}" >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${debs[@]}" \
  >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get install"; }
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" | grep -q "install ok installed" || fail "$p not installed"
done
getent passwd lrod >/dev/null || fail "postinst did not create the lrod user"
[ "$(stat -c %U /var/lib/lrod)" = lrod ] || fail "/var/lib/lrod is not owned by lrod"
[ "$(stat -c %a /etc/lrod/lrod.toml)" = 640 ] || fail "$config is not 0640"
/usr/bin/lro --version
/usr/bin/lrod --version
grep -qx 'Restart=on-failure' "$unit" || fail "the unit does not restart on failure"
grep -qx 'ProtectSystem=strict' "$unit" || fail "the unit is not hardened"
grep -qx 'NoNewPrivileges=yes' "$unit" || fail "the unit is not hardened"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify "$unit" || fail "systemd-analyze verify $unit"
fi
echo "installed; lrod user $(id lrod)"

echo "== 3. start lrod from its unit"
# As an operator would: mount the demo service, and let the kernel pick a free port (lrod logs
# the address it listens on).
cp "$config" "$work/lrod.toml.orig"
sed -i -e 's|^listen = .*|listen = "127.0.0.1:0"|' -e 's|^# demo = true.*|demo = true|' "$config"
if $systemd; then
  systemctl daemon-reload
  systemctl restart lrod.service
  logs() { journalctl -u lrod.service -o cat --no-pager >"$work/lrod.log" 2>&1 || true; }
else
  exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
  user=$(sed -n 's/^User=//p' "$unit")
  group=$(sed -n 's/^Group=//p' "$unit")
  workdir=$(sed -n 's/^WorkingDirectory=//p' "$unit")
  umask_value=$(sed -n 's/^UMask=//p' "$unit")
  [ -n "$exec_start" ] && [ -n "$user" ] || fail "no ExecStart or User in $unit"
  echo "systemd is not running here: $exec_start (as $user, in $workdir)"
  # shellcheck disable=SC2086 # ExecStart is a command line: split it as systemd does.
  (cd "$workdir" && umask "${umask_value:-0022}" &&
   exec setpriv --reuid="$user" --regid="${group:-$user}" --init-groups --no-new-privs \
     $exec_start) 2>"$work/lrod.log" &
  lrod_pid=$!
  logs() { :; }
fi
port=""
for _ in $(seq 1 300); do  # 30 s at most
  logs
  port=$(grep -o '"msg":"listening","address":"127.0.0.1:[0-9]*"' "$work/lrod.log" 2>/dev/null |
         grep -o '[0-9]*"$' | tr -d '"' | tail -n 1 || true)
  [ -n "$port" ] && break
  if [ -n "$lrod_pid" ] && ! kill -0 "$lrod_pid" 2>/dev/null; then fail "lrod exited"; fi
  sleep 0.1
done
[ -n "$port" ] || fail "lrod did not listen within 30 s"
base="http://127.0.0.1:$port"
if [ -n "$lrod_pid" ]; then
  [ "$(ps -o user= -p "$lrod_pid" | tr -d ' ')" = lrod ] || fail "lrod does not run as lrod"
fi
echo "lrod listens at $base"

echo "== 4. one operation with the installed lro"
out=$(/usr/bin/lro start "$base/v1/workspaces/pkg/items" \
  -d '{"displayName":"Packaged notebook","type":"Notebook","demo":{"durationMs":1500,"progressSteps":3}}') ||
  fail "lro start failed"
echo "$out"
grep -q '"displayName":"Packaged notebook"' <<<"$out" || fail "lro did not print the item"
# The installed lrod holds a state read with Prefer: wait until the operation changes.
location=$(curl -s -D - -o /dev/null -X POST "$base/v1/workspaces/pkg/items" \
  -H 'Content-Type: application/json' \
  -d '{"displayName":"Held","type":"Notebook","demo":{"durationMs":1000,"progressSteps":0}}' |
  tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
[ -n "$location" ] || fail "no Location on the 202"
applied=$(curl -s -D - -o /dev/null -H 'Prefer: wait=30' "$location" |
  tr -d '\r' | sed -n 's/^[Pp]reference-[Aa]pplied: //p')
[ "$applied" = "wait=30" ] || fail "Prefer: wait was not applied (Preference-Applied: '$applied')"
echo "Prefer: wait=30 on $location: Preference-Applied: $applied"
[ -s /var/lib/lrod/lrod.db ] || fail "no store in /var/lib/lrod"
[ "$(stat -c %U /var/lib/lrod/lrod.db)" = lrod ] || fail "the store is not owned by lrod"

echo "== 5. examples/ against the installed liblro-dev"
pkg-config --exists lro || fail "pkg-config does not know lro"
echo "pkg-config --cflags --libs lro: $(pkg-config --cflags --libs lro)"
mkdir "$work/pkgconfig"
make -s -C "$work/pkgconfig" -f "$root/examples/Makefile" VPATH="$root/examples" ||
  fail "examples with pkg-config"
"$work/pkgconfig/start_and_wait" "$base/v1/workspaces/pkg/items" \
  '{"displayName":"From pkg-config","type":"Notebook","demo":{"durationMs":500}}' |
  grep -q 'From pkg-config' || fail "the pkg-config build of start_and_wait did not work"
cmake -S "$root/examples" -B "$work/cmake" -G Ninja >/dev/null || fail "find_package(lro)"
cmake --build "$work/cmake" -j 2 >/dev/null || fail "examples with find_package"
"$work/cmake/start_and_wait" "$base/v1/workspaces/pkg/items" \
  '{"displayName":"From find_package","type":"Notebook","demo":{"durationMs":500}}' |
  grep -q 'From find_package' || fail "the find_package build of start_and_wait did not work"
echo "examples built with pkg-config and with find_package(lro); both ran against lrod"

echo "== 6. stop lrod and remove the packages"
if $systemd; then
  systemctl stop lrod.service
else
  kill -TERM "$lrod_pid"
  wait "$lrod_pid" || fail "lrod did not stop cleanly on SIGTERM"
  lrod_pid=""
fi
cp "$work/lrod.toml.orig" "$config"
echo "package-check: passed"
