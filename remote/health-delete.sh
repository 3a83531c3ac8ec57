#!/usr/bin/env bash
# Undoes step 8: the refresher's unit, script, settings, credentials and textfile. The textfile dir
# stays (the node exporter's package may own it).
# Inputs: PSN_HEALTH_SERVICE, PSN_HEALTH_UNIT_PATH, PSN_REFRESHER_PATH, PSN_HEALTH_ENV_PATH,
#   PSN_HEALTH_AUTH_PATH, PSN_PROM_FILE.
set -euo pipefail
PSN_STEP=health-delete
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_HEALTH_SERVICE PSN_HEALTH_UNIT_PATH PSN_REFRESHER_PATH PSN_HEALTH_ENV_PATH \
  PSN_HEALTH_AUTH_PATH PSN_PROM_FILE

systemctl disable --now "$PSN_HEALTH_SERVICE" >/dev/null 2>&1 || true
rm -f "$PSN_HEALTH_UNIT_PATH" "$PSN_REFRESHER_PATH" "$PSN_HEALTH_ENV_PATH" "$PSN_HEALTH_AUTH_PATH" "$PSN_PROM_FILE"
systemctl daemon-reload
psn_log "health refresher removed"
