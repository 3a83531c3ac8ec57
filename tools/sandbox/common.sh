# shellcheck shell=bash
# Sourced by the sandbox scripts (host.sh, services.sh, deploy.sh): log lines to stderr prefixed with
# $PSN_LOG, and timings.
log() { printf '%s: %s\n' "$PSN_LOG" "$*" >&2; }
die() {
  log "$*"
  exit 1
}
now() { date +%s.%N; }
# since T0 [DECIMALS]: seconds from T0 (a `now`) until now, with DECIMALS decimals (default 1).
since() { awk -v a="$1" -v b="$(now)" -v d="${2:-1}" 'BEGIN { printf("%." d "f", b - a) }'; }
