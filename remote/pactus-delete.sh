#!/usr/bin/env bash
# Undoes step 3. The working dir (wallet = validator keys, chain data) stays unless PSN_PURGE=true:
# losing it loses the validator.
set -euo pipefail
PSN_STEP=pactus-delete
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root

systemctl disable --now pactus.service >/dev/null 2>&1 || true
rm -f /etc/systemd/system/pactus.service
systemctl daemon-reload
rm -rf /opt/pactus /etc/pactus /run/pactus-secure-node
if [ "${PSN_PURGE:-false}" = true ]; then
  rm -rf /var/lib/pactus
  userdel pactus 2>/dev/null || true
  rm -f "$PSN_STATE_DIR/validators.json"
  psn_log "removed Pactus, its user and its working dir (pactus.purgeOnDestroy)"
else
  psn_log "removed Pactus; kept /var/lib/pactus (wallet and chain) and the pactus user"
fi
