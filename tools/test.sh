#!/usr/bin/env bash
# The project's test command (`npm test`): builds or reuses the toolchain, then runs every jest suite
# (unit, render, live, sandbox) one at a time. The last line is "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

if ! bin=$(bash tools/toolchain/build.sh --print-bin); then
  echo "test: the toolchain build failed (see above)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
export PSN_BIN_DIR=$bin
exec node_modules/.bin/jest --ci --runInBand "$@"
