#!/usr/bin/env bash
# Undoes step 7. Inputs: PSN_SITE_PATH, PSN_STATUS_ROOT.
set -euo pipefail
PSN_STEP=nginx-tls-delete
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_SITE_PATH PSN_STATUS_ROOT

psn_remove_nginx_site "$PSN_SITE_PATH"
rm -rf "$PSN_STATUS_ROOT"
psn_log "HTTPS site removed"
