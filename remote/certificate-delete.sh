#!/usr/bin/env bash
# Undoes step 6: deletes the certificate lineage, the hook, the private-CA trust and the DNS-01
# plugin's credentials file (the plugin package goes with the base step's packages).
# Inputs: PSN_DOMAIN, PSN_CERT_DIR, PSN_HOOK_PATH, optional PSN_CA_BUNDLE_PATH + PSN_DROPIN_PATH,
#   PSN_DNS_CREDENTIALS_PATH.
set -euo pipefail
PSN_STEP=certificate-delete
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_DOMAIN PSN_CERT_DIR PSN_HOOK_PATH

if command -v certbot >/dev/null && [ -d "$PSN_CERT_DIR" ]; then
  certbot delete --cert-name "$PSN_DOMAIN" --non-interactive >/dev/null 2>&1 || psn_log "warning: certbot delete failed"
fi
rm -f "$PSN_HOOK_PATH" "${PSN_CA_BUNDLE_PATH:-/nonexistent}" "${PSN_DROPIN_PATH:-/nonexistent}" \
  "${PSN_DNS_CREDENTIALS_PATH:-/nonexistent}"
systemctl daemon-reload
psn_log "certificate for $PSN_DOMAIN removed"
