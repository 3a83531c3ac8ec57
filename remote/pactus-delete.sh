#!/usr/bin/env bash
# Undoes step 3. The working dir (wallet = validator keys, chain data) stays unless PSN_PURGE=true:
# losing it loses the validator.
# Inputs: PSN_PURGE (true|false), PSN_USER, PSN_HOME (holds the working dir), PSN_INSTALL_ROOT,
#   PSN_ETC_DIR, PSN_UNIT_PATH, PSN_SERVICE, PSN_RUN_DIR, PSN_STATE_DIR.
set -euo pipefail
PSN_STEP=pactus-delete
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_USER PSN_HOME PSN_INSTALL_ROOT PSN_ETC_DIR PSN_UNIT_PATH PSN_SERVICE PSN_RUN_DIR PSN_STATE_DIR

systemctl disable --now "$PSN_SERVICE" >/dev/null 2>&1 || true
rm -f "$PSN_UNIT_PATH"
systemctl daemon-reload
rm -rf "$PSN_INSTALL_ROOT" "$PSN_ETC_DIR" "$PSN_RUN_DIR"
if [ "${PSN_PURGE:-false}" = true ]; then
  if mountpoint -q "$PSN_HOME"; then
    # The node's own volume (aws) is mounted here: empty it (rm -rf would fail on the mount point
    # itself); the volume goes with the stack, as purgeOnDestroy also releases it.
    find "$PSN_HOME" -mindepth 1 -delete
  else
    rm -rf "$PSN_HOME"
  fi
  userdel "$PSN_USER" 2>/dev/null || true
  rm -f "$PSN_STATE_DIR/validators.json"
  psn_log "removed Pactus, its user and its working dir (pactus.purgeOnDestroy)"
else
  psn_log "removed Pactus; kept $PSN_HOME (wallet and chain) and the $PSN_USER user"
fi
