#!/usr/bin/env bash
# The project's test command (`npm test`): builds or reuses the toolchain, then runs every jest suite
# (unit, render, live, sandbox) one at a time. The last line it prints is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

if ! bin=$(bash tools/toolchain/build.sh --print-bin); then
  echo "test: the toolchain build failed (see above)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
export PSN_BIN_DIR=$bin
# Node 24 from node_modules (node@24), also when this script is run without npm.
export PATH="$PWD/node_modules/.bin:$PATH"
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
PSN_SUMMARY_FILE=$summary node_modules/.bin/jest --ci --runInBand "$@" 2>&1
status=$?
if [ -s "$summary" ]; then
  echo
  cat "$summary"
else
  echo "0 passed, 1 failed"
  [ "$status" != 0 ] || status=1
fi
exit "$status"
