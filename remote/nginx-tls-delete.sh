#!/usr/bin/env bash
# Undoes step 7. Inputs: PSN_SITE_PATH, PSN_STATUS_ROOT, PSN_CACHE_DIR (nginx.cache's files: nginx reloads
# them at its next start, so a later stack on this host, maybe on a new chain, must not find them).
set -euo pipefail
PSN_STEP=nginx-tls-delete
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_SITE_PATH PSN_STATUS_ROOT PSN_CACHE_DIR

# The site goes first: the reload drops the cache's zone, then its files go.
psn_remove_nginx_site "$PSN_SITE_PATH"
rm -rf "$PSN_STATUS_ROOT" "$PSN_CACHE_DIR"
psn_log "HTTPS site removed"
