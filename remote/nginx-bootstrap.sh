#!/usr/bin/env bash
# Step 4: port 80 answers ACME HTTP-01 challenges for the domain and redirects the rest to HTTPS.
# Inputs: PSN_HTTP_CONF (rendered site), PSN_SITE_PATH (where it goes), PSN_WEBROOT, PSN_STATE_DIR.
set -euo pipefail
PSN_STEP=nginx-bootstrap
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_HTTP_CONF PSN_SITE_PATH PSN_WEBROOT PSN_STATE_DIR

install -d -m 0755 "$PSN_WEBROOT/.well-known/acme-challenge"
# Our port-80 default_server replaces the distribution's welcome site; remember it for destroy.
if [ -L /etc/nginx/sites-enabled/default ]; then
  mkdir -p "$PSN_STATE_DIR"
  rm -f /etc/nginx/sites-enabled/default
  touch "$PSN_STATE_DIR/default-site-disabled"
  psn_log "disabled the distribution's default site"
fi
psn_nginx_site "$PSN_SITE_PATH" "$PSN_HTTP_CONF"
