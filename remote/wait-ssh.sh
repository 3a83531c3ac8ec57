#!/usr/bin/env bash
# Step 1: the host answers over SSH, has finished booting (cloud-init) and runs systemd.
set -euo pipefail
PSN_STEP=wait-for-ssh
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if command -v cloud-init >/dev/null 2>&1; then
  cloud-init status --wait >/dev/null 2>&1 || true
fi
state=$(systemctl is-system-running --wait 2>/dev/null || true)
case "$state" in
  running | degraded) ;;
  *) psn_die "systemd reports '$state'; the host must boot with systemd as PID 1" ;;
esac
# shellcheck source=/dev/null
. /etc/os-release
case "${ID}-${VERSION_ID}" in
  debian-12 | debian-13 | ubuntu-22.04 | ubuntu-24.04) ;;
  *) psn_log "warning: ${PRETTY_NAME} is not one of the supported systems (Debian 12/13, Ubuntu 22.04/24.04)" ;;
esac
psn_log "ready: ${PRETTY_NAME}, systemd $state"
