#!/usr/bin/env bash
# The bash completion the lro package installs completes lro's commands and each command's
# options from the built program. Usage: bash_completion_test.sh LRO COMPLETION_SCRIPT
set -uo pipefail
lro=$1
source "$2"
failures=0

# complete WORD... : the candidates bash would offer for the last word, sorted, one a line.
complete_words() {
  COMP_WORDS=("$lro" "$@")
  COMP_CWORD=$#
  COMPREPLY=()
  _lro
  printf '%s\n' "${COMPREPLY[@]}" | sort
}

expect() {
  local name=$1 want=$2
  shift 2
  local got
  got=$(complete_words "$@" | tr '\n' ' ' | sed 's/ $//')
  if [[ $got != "$want" ]]; then
    echo "FAIL $name: lro $* -> '$got', want '$want'"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

expect "commands by prefix" "start status" st
expect "a command's own flags" "--no-idempotency-key --no-wait" start --no
expect "a flag of another command is not offered" "" wait --no-w
expect "cancel's --wait" "--wait" cancel --wai
expect "methods after -X" "PATCH POST PUT" start -X P
expect "top-level options" "--help --version" --
expect "an option of a group" "--timeout" wait --time

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
touch "$work/item.json"
expect "a body from a file after @" "@$work/item.json" start -d "@$work/it"

all=$(complete_words "")
for command in start wait status result cancel; do
  grep -qx "$command" <<<"$all" || { echo "FAIL: '$command' not offered for an empty word"; failures=$((failures + 1)); }
done

if [[ $failures -ne 0 ]]; then
  echo "$failures failed"
  exit 1
fi
echo "bash completion: all passed"
