#!/usr/bin/env bash
# Builds the sandbox toolchain (Pulumi CLI, Node.js language host, dynamic-provider plugin, command
# provider, pactus, actionlint) from the Go module proxy at the pins in tools/versions.env, into
#   ${PSN_CACHE_DIR:-/var/cache/pactus-secure-node}/toolchain/<key>/bin
# where <key> is a short sha256 of the build's inputs: versions.env, this script, and the go.mod,
# go.sum and .go files under tools/toolchain.
# A complete toolchain for the same key is reused; otherwise it is built in a temporary directory and
# renamed into place, so a toolchain directory is never half-built.
#
# Usage: build.sh [--print-bin] [--rebuild]
#   --print-bin  print only the bin directory on stdout (building first if needed; logs go to stderr)
#   --rebuild    build again even when a complete toolchain exists for the key
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pins=$(dirname "$here")/versions.env
# shellcheck source=/dev/null  # plain KEY=value lines
source "$pins"

print_bin=false
rebuild=false
for arg in "$@"; do
  case "$arg" in
    --print-bin) print_bin=true ;;
    --rebuild) rebuild=true ;;
    -h | --help)
      sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "build.sh: unknown argument: $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

# Progress goes to stdout, or to stderr when stdout must carry only the bin path.
log() {
  if "$print_bin"; then echo "toolchain: $*" >&2; else echo "toolchain: $*"; fi
}
warn() { echo "toolchain: WARNING: $*" >&2; }
die() {
  echo "toolchain: ERROR: $*" >&2
  exit 1
}

# Binaries a toolchain must have to count as complete.
required=(pulumi pulumi-language-nodejs pulumi-resource-pulumi-nodejs pulumi-resource-command pactus-daemon
  pactus-wallet pactus-shell actionlint "pactus-$PACTUS_PREVIOUS_VERSION/pactus-daemon"
  "pactus-$PACTUS_PREVIOUS_VERSION/pactus-wallet" "pactus-$PACTUS_PREVIOUS_VERSION/pactus-shell")

cache_key() {
  local f
  {
    cat "$pins"
    while IFS= read -r f; do
      printf '\n== %s\n' "${f#"$here"/}"
      cat "$f"
    done < <(find "$here" -type f \( -name build.sh -o -name go.mod -o -name go.sum -o -name '*.go' \) | sort)
  } | sha256sum | cut -c1-16
}

is_complete() {
  local dir=$1 b
  [ -f "$dir/manifest.txt" ] || return 1
  for b in "${required[@]}"; do
    [ -x "$dir/bin/$b" ] || return 1
  done
}

report_missing() {
  local dir=$1 line
  while IFS= read -r line; do
    warn "not built: ${line#missing }"
  done < <(grep '^missing ' "$dir/manifest.txt" || true)
}

finish() {
  local dir=$1
  report_missing "$dir"
  if "$print_bin"; then echo "$dir/bin"; fi
  exit 0
}

# Checks that a tool module requires the version pinned in versions.env.
check_pin() {
  local moddir=$1 module=$2 want=$3 got
  got=$(awk -v m="$module" '$1 == m { print $2 } $1 == "require" && $2 == m { print $3 }' "$here/$moddir/go.mod")
  [ "$got" = "$want" ] ||
    die "$moddir/go.mod requires $module ${got:-(nothing)}, versions.env pins $want: update one of them (see README.md)"
}

check_pins() {
  check_pin pulumi github.com/pulumi/pulumi/pkg/v3 "v$PULUMI_VERSION"
  check_pin pulumi github.com/pulumi/pulumi/sdk/v3 "v$PULUMI_VERSION"
  check_pin langhost github.com/pulumi/pulumi/sdk/v3 "v$PULUMI_LANGUAGE_NODEJS_VERSION"
  check_pin pactus github.com/pactus-project/pactus "v$PACTUS_VERSION"
  check_pin pactus-previous github.com/pactus-project/pactus "v$PACTUS_PREVIOUS_VERSION"
  check_pin actionlint github.com/rhysd/actionlint "v$ACTIONLINT_VERSION"
}

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# step_start; <build commands>; step_end <name> <version>: times a step and records it in the
# manifest. A step that cannot build an optional tool sets not_built to the reason instead of failing.
step_start() {
  step_started=$(now)
  not_built=
}

step_end() {
  local name=$1 version=$2 secs
  secs=$(since "$step_started")
  if [ -n "$not_built" ]; then
    printf 'missing %s %s: %s\n' "$name" "$version" "$not_built" >>"$manifest"
    warn "NOT built $name $version ($secs s): $not_built"
  else
    printf 'built %s %s %ss\n' "$name" "$version" "$secs" >>"$manifest"
    log "built $name $version in $secs s"
  fi
}

pulumi_ldflags() {
  echo "-w -s -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$1"
}

# Pulumi CLI: flags of the release build (.goreleaser.yml: -trimpath, tags osusergo,grpcnotrace).
build_pulumi() {
  (cd "$here/pulumi" && go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "$(pulumi_ldflags "$PULUMI_VERSION")" \
    -o "$tmp/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

build_langhost() {
  (cd "$here/langhost" && go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "$(pulumi_ldflags "$PULUMI_LANGUAGE_NODEJS_VERSION")" \
    -o "$tmp/bin/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
}

# What Pulumi releases ship as sdk/nodejs/dist/pulumi-resource-pulumi-nodejs: the plugin that serves
# dynamic providers, i.e. node running @pulumi/pulumi/cmd/dynamic-provider from the program's
# node_modules (resolved from the working directory the engine starts it in).
write_dynamic_provider() {
  cat >"$tmp/bin/pulumi-resource-pulumi-nodejs" <<'EOF'
#!/bin/sh
# Pulumi dynamic-provider plugin for Node.js programs (written by tools/toolchain/build.sh).
set -e
script=$(node -e 'process.stdout.write(require.resolve("@pulumi/pulumi/cmd/dynamic-provider"))')
exec node "$script" "$@"
EOF
  chmod 755 "$tmp/bin/pulumi-resource-pulumi-nodejs"
}

# The command provider: upstream's module is refused by the proxy (see README.md), so this is our own
# implementation of command:remote:Command with pulumi-command v1.2.1's schema, module command/. It
# reports COMMAND_PROVIDER_VERSION, the version @pulumi/command asks the engine for.
build_command_provider() {
  (cd "$here/command" && go build -trimpath -ldflags "-s -w -X main.version=$COMMAND_PROVIDER_VERSION" \
    -o "$tmp/bin/pulumi-resource-command" .)
}

# pactus: the release's flags (.github/releasers/releaser_cli.sh), binaries named like the release.
# build_pactus MODULE_DIR OUT_DIR
build_pactus() {
  local cmd
  mkdir -p "$2"
  for cmd in daemon wallet shell; do
    (cd "$here/$1" && go build -trimpath -ldflags "-s -w" \
      -o "$2/pactus-$cmd" "github.com/pactus-project/pactus/cmd/$cmd")
  done
}

build_actionlint() {
  (cd "$here/actionlint" && go build -trimpath \
    -ldflags "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
    -o "$tmp/bin/actionlint" github.com/rhysd/actionlint/cmd/actionlint)
}

# Go settings shared by every build: the tool modules' go.mod/go.sum are the lock files; the module
# and build caches are the user's defaults (GOMODCACHE, GOCACHE), so they are reused across runs.
# No VCS stamping: the tool modules live in this repo, whose commits say nothing about the tools.
export GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0

key=$(cache_key)
root=${PSN_CACHE_DIR:-/var/cache/pactus-secure-node}/toolchain
dir=$root/$key

if ! "$rebuild" && is_complete "$dir"; then
  log "cached at $dir/bin"
  finish "$dir"
fi

check_pins
command -v go >/dev/null || die "go is not on PATH (Go >= 1.26.4 is needed)"
if ! mkdir -p "$root" 2>/dev/null || [ ! -w "$root" ]; then
  die "cannot write $root: set PSN_CACHE_DIR to a directory you can write (it holds toolchain/<key>/bin)"
fi
exec {lock}>"$root/.lock"
flock "$lock"
# Another build may have finished while we waited for the lock.
if ! "$rebuild" && is_complete "$dir"; then
  log "cached at $dir/bin"
  finish "$dir"
fi
# Holding the lock, any temporary build directory left behind belongs to a build that died.
rm -rf "$root"/.build-* "$root"/.old-*

tmp=$(mktemp -d "$root/.build-$key.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir -p "$tmp/bin"
manifest=$tmp/manifest.txt
printf 'key %s\ngo %s\n' "$key" "$(go env GOVERSION)" >"$manifest"
total_start=$(now)
log "building into $dir (go $(go env GOVERSION), key $key)"

step_start
build_pulumi
step_end pulumi "$PULUMI_VERSION"
step_start
build_langhost
step_end pulumi-language-nodejs "$PULUMI_LANGUAGE_NODEJS_VERSION"
step_start
write_dynamic_provider
step_end pulumi-resource-pulumi-nodejs "$PULUMI_VERSION"
step_start
build_command_provider
step_end pulumi-resource-command "$COMMAND_PROVIDER_VERSION"
step_start
build_pactus pactus "$tmp/bin"
step_end pactus "$PACTUS_VERSION"
step_start
# The checksum database has no entry for pactus v1.15.6 nor for github.com/ezex-io/gopkg/testsuite (404):
# skip it for exactly those two prefixes, for this module only; go.sum then pins the hashes.
GONOSUMDB=github.com/pactus-project,github.com/ezex-io build_pactus pactus-previous "$tmp/bin/pactus-$PACTUS_PREVIOUS_VERSION"
step_end pactus "$PACTUS_PREVIOUS_VERSION"
step_start
build_actionlint
step_end actionlint "$ACTIONLINT_VERSION"
rm -f "$tmp"/*.log

is_complete "$tmp" || die "internal: $tmp is missing a required binary"
if [ -e "$dir" ]; then
  mv -T "$dir" "$root/.old-$key.$$"
fi
mv -T "$tmp" "$dir"
trap - EXIT
rm -rf "$root/.old-$key.$$"
# Keep this toolchain and the one before it (a run may still use it); older ones only take disk.
find "$root" -mindepth 1 -maxdepth 1 -type d -regex '.*/[0-9a-f]+' -printf '%T@ %p\n' | sort -rn | tail -n +3 |
  cut -d' ' -f2- | while read -r old; do rm -rf "$old" && log "removed old toolchain $old"; done
log "done in $(since "$total_start") s: $dir/bin"
finish "$dir"
