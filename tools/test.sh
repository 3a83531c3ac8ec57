#!/usr/bin/env bash
# The project's test command (`npm test`): sets the machine up (tools/setup.sh test: Debian packages,
# npm ci, the toolchain), runs `npm run lint`, then every jest suite (unit, render, nginx, live, ci,
# sandbox) one at a time. Extra arguments go to jest. The last line it prints is "N passed, N failed";
# lint counts as one test.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

if ! bin=$(bash tools/setup.sh test --print-bin); then
  echo "0 passed, 1 failed"
  exit 1
fi
export PSN_BIN_DIR=$bin
# Node 24 from node_modules (node@24), also when this script is run without npm.
export PATH="$PWD/node_modules/.bin:$PATH"

lint_ok=1
bash tools/lint.sh || lint_ok=0

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
PSN_SUMMARY_FILE=$summary node_modules/.bin/jest --ci --runInBand "$@" 2>&1
status=$?
[ "$lint_ok" = 1 ] || status=1
if [ -s "$summary" ]; then
  read -r passed _ failed _ <"$summary"
  echo
  [ "$lint_ok" = 1 ] || echo "lint: failed (see above)"
  echo "$((passed + lint_ok)) passed, $((failed + 1 - lint_ok)) failed"
else
  echo "0 passed, 1 failed"
  [ "$status" != 0 ] || status=1
fi
exit "$status"
