#!/usr/bin/env bash
# Undoes step 4: removes the port-80 site and the ACME webroot, restores the default site.
# Inputs: PSN_SITE_PATH, PSN_WEBROOT, PSN_STATE_DIR.
set -euo pipefail
PSN_STEP=nginx-bootstrap-delete
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_SITE_PATH PSN_WEBROOT PSN_STATE_DIR

if [ -f "$PSN_STATE_DIR/default-site-disabled" ] && [ -f /etc/nginx/sites-available/default ]; then
  ln -sfn /etc/nginx/sites-available/default /etc/nginx/sites-enabled/default
  rm -f "$PSN_STATE_DIR/default-site-disabled"
fi
psn_remove_nginx_site "$PSN_SITE_PATH"
rm -rf "$PSN_WEBROOT"
psn_log "port-80 site removed"
