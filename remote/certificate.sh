#!/usr/bin/env bash
# Step 6: a certificate for the domain from the ACME server (HTTP-01 through the webroot), renewed by
# certbot's timer, with a deploy hook that reloads nginx. No re-issue while a valid one exists.
# Inputs: PSN_DOMAIN, PSN_CERT_DIR (certbot's live dir of the domain, which nginx reads), PSN_EMAIL,
#   PSN_ACME_SERVER, PSN_WEBROOT, PSN_HOOK (hook script),
#   PSN_HOOK_PATH, optional PSN_CA_BUNDLE + PSN_CA_BUNDLE_PATH + PSN_DROPIN + PSN_DROPIN_PATH.
set -euo pipefail
PSN_STEP=certificate
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_DOMAIN PSN_CERT_DIR PSN_EMAIL PSN_ACME_SERVER PSN_WEBROOT PSN_HOOK PSN_HOOK_PATH

psn_write_file "$PSN_HOOK_PATH" 0755 root:root "$PSN_HOOK" || true
if [ -n "${PSN_CA_BUNDLE:-}" ]; then
  psn_require_env PSN_CA_BUNDLE_PATH PSN_DROPIN PSN_DROPIN_PATH
  psn_write_file "$PSN_CA_BUNDLE_PATH" 0644 root:root "$PSN_CA_BUNDLE" || true
  if psn_write_file "$PSN_DROPIN_PATH" 0644 root:root "$PSN_DROPIN"; then systemctl daemon-reload; fi
  export REQUESTS_CA_BUNDLE=$PSN_CA_BUNDLE_PATH
fi

live=$PSN_CERT_DIR
renewal=/etc/letsencrypt/renewal/$PSN_DOMAIN.conf
extra=()
if [ -s "$live/fullchain.pem" ] && [ -f "$renewal" ]; then
  current_server=$(sed -n 's/^server = //p' "$renewal")
  if [ "$current_server" != "$PSN_ACME_SERVER" ]; then
    psn_log "ACME server changed ($current_server -> $PSN_ACME_SERVER): issuing a new certificate"
    extra+=(--force-renewal)
  elif openssl x509 -in "$live/fullchain.pem" -noout -checkend 2592000 >/dev/null &&
    openssl x509 -in "$live/fullchain.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "DNS:$PSN_DOMAIN\(,\|$\)"; then
    psn_log "certificate for $PSN_DOMAIN present, $(openssl x509 -in "$live/fullchain.pem" -noout -enddate)"
    exit 0
  fi
fi

psn_log "requesting a certificate for $PSN_DOMAIN from $PSN_ACME_SERVER"
if ! out=$(certbot certonly --webroot -w "$PSN_WEBROOT" -d "$PSN_DOMAIN" --cert-name "$PSN_DOMAIN" \
  --server "$PSN_ACME_SERVER" --agree-tos -m "$PSN_EMAIL" --no-eff-email --non-interactive \
  --keep-until-expiring "${extra[@]}" 2>&1); then
  detail=$(printf '%s\n' "$out" | grep -E 'Detail:|Type:|Error|error' | head -n 5 | tr '\n' ' ')
  psn_die "the ACME server refused a certificate for $PSN_DOMAIN: ${detail:-$out}"
fi
systemctl enable --now certbot.timer >/dev/null 2>&1 || psn_log "warning: certbot.timer not available; renewals need cron"
psn_log "certificate for $PSN_DOMAIN issued, $(openssl x509 -in "$live/fullchain.pem" -noout -enddate)"
