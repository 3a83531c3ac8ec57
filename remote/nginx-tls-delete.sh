#!/usr/bin/env bash
# Undoes step 7.
set -euo pipefail
PSN_STEP=nginx-tls-delete
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_STATUS_ROOT

psn_remove_nginx_site pactus.conf
rm -rf "$PSN_STATUS_ROOT"
psn_log "HTTPS site removed"
