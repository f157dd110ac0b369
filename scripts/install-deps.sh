#!/usr/bin/env bash
# Installs every Debian 12 package lro needs to build, test and run its demo. Run as root.
# Why each library is here: see docs/dependencies.md.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ca-certificates
  clang-14 libclang-rt-14-dev clang-format clang-tidy
  # libraries
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libcurl4-openssl-dev libsqlite3-dev libcli11-dev libpq-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # the CLI's terminal tests read a pseudo-terminal; the demo checks the server with curl
  util-linux curl procps
  # the PostgreSQL store's tests run on a private cluster (scripts/postgres-test-cluster.sh)
  postgresql-15
)

# Debian packages (cpack -G DEB, scripts/package-check.sh): man pages generated from --help,
# dpkg-shlibdeps for the packages' dependencies, make for the pkg-config build of examples/.
packages+=(help2man dpkg-dev make)

# The /ui page's browser test (scripts/ui-test.sh): Debian's Chromium, driven from Node.js by
# puppeteer-core (an npm package pinned in tests/ui/package-lock.json).
packages+=(chromium nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${missing[*]}"
