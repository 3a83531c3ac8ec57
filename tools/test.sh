#!/usr/bin/env bash
# The project's test command (`npm test`): sets the machine up (tools/setup.sh test: Debian packages,
# npm ci, the toolchain), then runs lint and every jest suite (unit, render, nginx, live, ci,
# monitoring, sandbox) in lanes side by side (tools/test-lanes.mjs: each sandbox lane on its own
# sandbox host). Arguments go to tools/test-lanes.mjs: jest patterns select suites, options after
# `--` go to jest. It ends with a table of every suite's wall time and the line "N passed, N failed"
# (lint counts as one test).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

if ! bin=$(bash tools/setup.sh test --print-bin); then
  echo "0 passed, 1 failed"
  exit 1
fi
export PSN_BIN_DIR=$bin
# Node 24 from node_modules (node@24), also when this script is run without npm.
export PATH="$PWD/node_modules/.bin:$PATH"

node tools/test-lanes.mjs "$@"
