#!/usr/bin/env bash
# Undoes step 2: turns off the firewall if we turned it on, removes the apt policy and the packages this
# stack installed.
# Inputs: PSN_APT_CONF, PSN_STATE_DIR.
set -euo pipefail
PSN_STEP=base-delete
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_APT_CONF PSN_STATE_DIR

if [ -f "$PSN_STATE_DIR/ufw-enabled" ]; then
  ufw --force disable >/dev/null 2>&1 || true
  rm -f "$PSN_STATE_DIR/ufw-enabled"
fi
rm -f "$PSN_APT_CONF"
if [ -f "$PSN_STATE_DIR/installed-packages" ]; then
  mapfile -t pkgs < <(sort -u "$PSN_STATE_DIR/installed-packages")
  if [ "${#pkgs[@]}" -gt 0 ]; then
    psn_wait_apt
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -q "${pkgs[@]}" >/dev/null || psn_log "warning: could not remove ${pkgs[*]}"
  fi
  rm -f "$PSN_STATE_DIR/installed-packages"
fi
rmdir "$PSN_STATE_DIR" 2>/dev/null || true
psn_log "base removed"
