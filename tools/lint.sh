#!/usr/bin/env bash
# npm run lint: eslint (typescript-eslint + @pulumi/eslint-plugin), prettier --check, tsc --noEmit
# (strict), shellcheck over every *.sh in the repository, actionlint over .github/workflows.
# Runs every linter, then exits non-zero if any of them found something. Needs no root: setup.sh
# names a missing Debian package with the command that installs it; actionlint is built from the Go
# module proxy at the pin in tools/versions.env when the toolchain's copy is not at hand.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
bash tools/setup.sh lint || exit 1
export PATH="$ROOT/node_modules/.bin:$PATH"
PSN_LOG=lint
# shellcheck source=SCRIPTDIR/sandbox/common.sh
. tools/sandbox/common.sh

failed=()
run() {
  local name=$1 t
  shift
  t=$(now)
  if "$@"; then
    log "$name clean ($(since "$t") s)"
  else
    log "$name found problems (above)"
    failed+=("$name")
  fi
}

actionlint_bin() {
  local v dir
  v=$(sed -n 's/^ACTIONLINT_VERSION=//p' tools/versions.env)
  if [ -n "${PSN_BIN_DIR:-}" ] && [ -x "$PSN_BIN_DIR/actionlint" ]; then
    echo "$PSN_BIN_DIR/actionlint"
    return
  fi
  dir=$ROOT/.cache/tools/actionlint-$v
  if [ ! -x "$dir/actionlint" ]; then
    command -v go >/dev/null || {
      log "actionlint $v is not at hand and Go is missing: install Go (https://go.dev/doc/install) or put actionlint on PSN_BIN_DIR"
      return 1
    }
    log "building actionlint $v from the Go module proxy into $dir"
    GOBIN=$dir go install "github.com/rhysd/actionlint/cmd/actionlint@v$v" >&2 || return 1
  fi
  echo "$dir/actionlint"
}

actionlint_() {
  local bin
  bin=$(actionlint_bin) || return 1
  "$bin" -shellcheck "$(command -v shellcheck)"
}

mapfile -t shells < <(git ls-files -co --exclude-standard -- '*.sh' 2>/dev/null ||
  find . -name '*.sh' -not -path './node_modules/*' -not -path './.sandbox/*')

run eslint eslint --max-warnings 0 .
run prettier prettier --check --log-level warn .
run tsc tsc --noEmit -p .
run shellcheck shellcheck -x -S style "${shells[@]}"
run actionlint actionlint_
# The alert rules operators load (monitoring/alerts.yml): sub-second, but promtool comes with Debian's
# prometheus package, which only npm test installs (tools/setup.sh test); test/monitoring runs the same.
checked="eslint, prettier, tsc, shellcheck on ${#shells[@]} scripts, actionlint"
if command -v promtool >/dev/null; then
  run promtool sh -c 'cd monitoring && promtool check rules alerts.yml >/dev/null && promtool test rules alerts.test.yml >/dev/null'
  checked+=", promtool"
else
  log "promtool not installed: monitoring/alerts.yml is checked by npm test (test/monitoring) only"
fi

if [ "${#failed[@]}" -gt 0 ]; then
  log "failed: ${failed[*]}"
  exit 1
fi
log "all clean ($checked)"
