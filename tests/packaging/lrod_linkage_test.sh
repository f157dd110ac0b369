#!/usr/bin/env bash
# lrod links the wire vocabulary, not the client: no libcurl among the libraries it loads, and
# none of the client's protocol or transport code inside it (issue 12 §4).
# Usage: lrod_linkage_test.sh LROD
set -euo pipefail
lrod="$1"
needed="$(readelf -d "$lrod" | awk '/NEEDED/ {print $NF}')"
if grep -qi curl <<<"$needed"; then
  echo "FAIL: lrod loads libcurl:"
  echo "$needed"
  exit 1
fi
client_symbols="$(nm -C "$lrod" | grep -E 'lro::internal::(LroMachine|EngineOperation|CurlRequest)' | head -5 || true)"
if [ -n "$client_symbols" ]; then
  echo "FAIL: lrod holds client code:"
  echo "$client_symbols"
  exit 1
fi
echo "lrod loads: $(tr '\n' ' ' <<<"$needed")"
