#!/usr/bin/env bash
# Makes this machine ready for one of the project's commands, installing only what is missing:
#   setup.sh unit      npm run test:unit   node_modules (npm ci when missing or stale)
#   setup.sh lint      npm run lint        + shellcheck
#   setup.sh sandbox   npm run sandbox     + the sandbox's Debian packages, the toolchain (Go)
#   setup.sh test      npm test            + the test suites' Debian packages
# Debian packages are installed only as root on Debian or Ubuntu (apt-get update once, non-interactive);
# anywhere else, a missing requirement stops it at once with one line naming it and the command that
# fixes it. Progress and the time of each stage go to stderr; with --print-bin (sandbox, test) stdout
# carries only the toolchain's bin directory.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PSN_LOG=setup
# shellcheck source=SCRIPTDIR/sandbox/common.sh
. "$ROOT/tools/sandbox/common.sh"

# Debian packages (the same names on Ubuntu 22.04/24.04), by the command that needs them.
PKG_LINT=(shellcheck)
PKG_SANDBOX=(pebble debootstrap systemd-container openssh-client iptables iproute2 openssl curl
  ca-certificates python3 util-linux psmisc git bind9 bind9-utils bind9-dnsutils)
# npm test also runs nginx -t, certbot, dig, htpasswd, testssl.sh, headless Chromium with its own NSS
# trust store (certutil), the pull-request job's steps as an unprivileged user with sudo, and the
# Python Pactus clients from a venv (tools/clients/venv.sh), Prometheus (promtool, and a real server
# and node exporter run as plain processes) for the metrics and alert rules, and certbot's RFC 2136
# plugin against the sandbox's named (test/live/dns01.test.ts).
PKG_TEST=("${PKG_LINT[@]}" "${PKG_SANDBOX[@]}" nginx certbot python3-certbot-dns-rfc2136 apache2-utils testssl.sh
  chromium libnss3-tools sudo python3-venv prometheus prometheus-node-exporter)
NODE_MIN=20

# One line, then stop: what is missing and the command that fixes it.
need() {
  log "$1"
  exit 1
}

usage() {
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

what=${1:-}
print_bin=false
[ "${2:-}" = --print-bin ] && print_bin=true
case "$what" in
  unit) pkgs=() ;;
  lint) pkgs=("${PKG_LINT[@]}") ;;
  sandbox) pkgs=("${PKG_SANDBOX[@]}") ;;
  test) pkgs=("${PKG_TEST[@]}") ;;
  --list) # setup.sh --list <what>: the Debian packages that command needs, one per line
    case "${2:-}" in
      lint) printf '%s\n' "${PKG_LINT[@]}" ;;
      sandbox) printf '%s\n' "${PKG_SANDBOX[@]}" ;;
      test) printf '%s\n' "${PKG_TEST[@]}" ;;
      *) usage ;;
    esac
    exit 0
    ;;
  *) usage ;;
esac
cmd="npm $([ "$what" = test ] && echo test || echo "run ${what/unit/test:unit}")"

# --- checks that need no network: they answer within the first second ----------------------------
command -v node >/dev/null || need "Node.js is not installed: install Node.js >= 22 (https://nodejs.org/en/download), then run '$cmd' again"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge "$NODE_MIN" ] ||
  need "Node.js $(node -v) is too old: install Node.js >= 22 (https://nodejs.org/en/download), then run '$cmd' again"
command -v npm >/dev/null || need "npm is not installed: install Node.js with npm (https://nodejs.org/en/download)"

if [ "$what" = sandbox ] || [ "$what" = test ]; then
  [ "$(id -u)" = 0 ] ||
    need "'$cmd' needs root (network namespaces, systemd-nspawn, iptables): run 'sudo $cmd'"
  command -v go >/dev/null ||
    need "Go is not installed (the toolchain is built from the Go module proxy): install Go >= 1.26 (https://go.dev/doc/install), then run '$cmd' again"
fi

missing=()
if [ "${#pkgs[@]}" -gt 0 ]; then
  if command -v dpkg-query >/dev/null; then
    for p in "${pkgs[@]}"; do
      [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" = "ii " ] || missing+=("$p")
    done
  else
    # Not a dpkg system: the binaries are what count.
    for p in "${pkgs[@]}"; do
      case "$p" in
        systemd-container) b="systemd-nspawn" ;; openssh-client) b="ssh" ;; iproute2) b="ip" ;;
        ca-certificates) continue ;; util-linux) b="unshare" ;; psmisc) b="fuser" ;;
        bind9-dnsutils) b="nsupdate" ;; bind9) b="named" ;; bind9-utils) b="named-checkconf" ;;
        python3-certbot-dns-rfc2136) continue ;; apache2-utils) b="htpasswd" ;; python3-venv) b="python3" ;;
        *) b=$p ;;
      esac
      command -v "$b" >/dev/null || missing+=("$p")
    done
  fi
fi
if [ "${#missing[@]}" -gt 0 ]; then
  os_release=${PSN_OS_RELEASE:-/etc/os-release}
  # shellcheck source=/dev/null # the machine's os-release
  os=$(. "$os_release" 2>/dev/null && echo "${ID:-} ${ID_LIKE:-}")
  os=${os%"${os##*[![:space:]]}"}
  case " $os " in
    *" debian "* | *" ubuntu "*) ;;
    *) need "missing: ${missing[*]}; this machine is not Debian or Ubuntu ($os_release: '$os'), so install them with its own package manager, or use Debian 12/13" ;;
  esac
  [ "$(id -u)" = 0 ] || need "missing Debian packages: ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}' (or '$cmd' as root)"
fi

# --- installs ----------------------------------------------------------------------------------------
if [ "${#missing[@]}" -gt 0 ]; then
  t=$(now)
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || need "apt-get update failed: check the machine's network and /etc/apt/sources.list"
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
    need "apt-get install ${missing[*]} failed (run it by hand to see why)"
  log "apt: ${#missing[@]} packages in $(since "$t") s"
fi

# npm ci writes node_modules/.package-lock.json: older than package-lock.json means stale.
if [ ! -x "$ROOT/node_modules/.bin/jest" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
  t=$(now)
  log "npm ci (node_modules missing or older than package-lock.json)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2) || need "npm ci failed (see above)"
  log "npm ci in $(since "$t") s"
fi

if [ "$what" = sandbox ] || [ "$what" = test ]; then
  t=$(now)
  bin=$(bash "$ROOT/tools/toolchain/build.sh" --print-bin) || need "the toolchain build failed (see above)"
  [ "$(since "$t" 0)" = 0 ] || log "toolchain in $(since "$t") s"
  ! "$print_bin" || echo "$bin"
fi
