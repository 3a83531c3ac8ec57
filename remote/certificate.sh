#!/usr/bin/env bash
# Step 6: a certificate for the domain from the ACME server, renewed by certbot's timer, with a deploy
# hook that reloads nginx. No re-issue while a valid one exists for the same names, server and way of
# proving them (certbot's authenticator).
#   HTTP-01 (default): the webroot, for PSN_DOMAIN.
#   DNS-01 (PSN_CHALLENGE=dns-01): certbot's plugin PSN_DNS_PLUGIN (cloudflare, route53, rfc2136) for
#   every name of PSN_NAMES (the node's and the fleet's shared name); its credentials file is written
#   0600 root from the secret DNS_SECRET on stdin, and the renewal conf keeps the plugin for renewals.
# Inputs: PSN_DOMAIN, PSN_CERT_DIR (certbot's live dir of the domain, which nginx reads), PSN_EMAIL,
#   PSN_ACME_SERVER, PSN_WEBROOT, PSN_HOOK (hook script),
#   PSN_HOOK_PATH, PSN_STATE_DIR, optional PSN_CA_BUNDLE + PSN_CA_BUNDLE_PATH + PSN_DROPIN + PSN_DROPIN_PATH;
#   with dns-01: PSN_NAMES, PSN_DNS_PLUGIN, PSN_DNS_PACKAGE, PSN_DNS_CREDENTIALS_PATH (empty: none),
#   PSN_DNS_CREDENTIALS (the file without its secret line), PSN_DNS_SECRET_KEY, PSN_DNS_PROPAGATION,
#   PSN_DNS_STALE_CREDENTIALS (other plugins' files, removed); secret DNS_SECRET.
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

# How the names are proven: certbot's arguments and the authenticator its renewal conf records.
names=$PSN_DOMAIN
if [ "${PSN_CHALLENGE:-http-01}" = dns-01 ]; then
  psn_require_env PSN_NAMES PSN_DNS_PLUGIN PSN_DNS_PACKAGE PSN_STATE_DIR
  names=$PSN_NAMES
  plugin=$PSN_DNS_PLUGIN
  authenticator=dns-$plugin
  psn_apt_install "$PSN_DNS_PACKAGE"
  for f in ${PSN_DNS_STALE_CREDENTIALS:-}; do rm -f "$f"; done
  how=(--"$authenticator")
  if [ -n "${PSN_DNS_CREDENTIALS_PATH:-}" ]; then
    psn_require_env PSN_DNS_CREDENTIALS PSN_DNS_SECRET_KEY PSN_DNS_PROPAGATION
    secret=$(psn_secret DNS_SECRET)
    [ -n "$secret" ] || psn_die "the $plugin DNS-01 secret is empty (the stack gives acme.cloudflareToken or acme.rfc2136Secret on stdin)"
    case $secret in *$'\n'* | *$'\r'*) psn_die "the $plugin DNS-01 secret holds a line break" ;; esac
    # The secret goes into the file through printf, a builtin: never an argument of a program.
    if psn_write_file "$PSN_DNS_CREDENTIALS_PATH" 0600 root:root "$PSN_DNS_CREDENTIALS$PSN_DNS_SECRET_KEY = $secret"$'\n'; then
      psn_log "wrote the $plugin credentials $PSN_DNS_CREDENTIALS_PATH (0600)"
    fi
    unset secret
    how+=(--"$authenticator-credentials" "$PSN_DNS_CREDENTIALS_PATH"
      --"$authenticator-propagation-seconds" "$PSN_DNS_PROPAGATION")
  fi
else
  authenticator=webroot
  how=(--webroot -w "$PSN_WEBROOT")
fi
read -r -a name_list <<<"$names"
domains=()
for n in "${name_list[@]}"; do domains+=(-d "$n"); done
names=${name_list[*]}
# The wanted names, one a line, sorted: what the certificate's SAN must hold, no more, no less.
wanted=$(printf '%s\n' "${name_list[@]}" | tr '[:upper:]' '[:lower:]' | sort -u)

live=$PSN_CERT_DIR
renewal=/etc/letsencrypt/renewal/$PSN_DOMAIN.conf
extra=()
if [ -s "$live/fullchain.pem" ] && [ -f "$renewal" ]; then
  current_server=$(sed -n 's/^server = //p' "$renewal")
  current_auth=$(sed -n 's/^authenticator = //p' "$renewal")
  have=$(openssl x509 -in "$live/fullchain.pem" -noout -ext subjectAltName 2>/dev/null |
    grep -o 'DNS:[^,[:space:]]*' | sed 's/^DNS://' | tr '[:upper:]' '[:lower:]' | sort -u || true)
  if [ "$current_server" != "$PSN_ACME_SERVER" ]; then
    psn_log "ACME server changed ($current_server -> $PSN_ACME_SERVER): issuing a new certificate"
    extra+=(--force-renewal)
  elif [ "$current_auth" != "$authenticator" ]; then
    psn_log "challenge changed ($current_auth -> $authenticator): issuing a new certificate"
    extra+=(--force-renewal)
  elif [ "$have" != "$wanted" ]; then
    psn_log "names changed ($(printf '%s' "$have" | tr '\n' ' ')-> $names): issuing a new certificate"
    extra+=(--force-renewal)
  elif openssl x509 -in "$live/fullchain.pem" -noout -checkend 2592000 >/dev/null; then
    psn_log "certificate for $names present ($authenticator), $(openssl x509 -in "$live/fullchain.pem" -noout -enddate)"
    exit 0
  fi
fi

psn_log "requesting a certificate for $names from $PSN_ACME_SERVER ($authenticator)"
if ! out=$(certbot certonly "${how[@]}" "${domains[@]}" --cert-name "$PSN_DOMAIN" \
  --server "$PSN_ACME_SERVER" --agree-tos -m "$PSN_EMAIL" --no-eff-email --non-interactive \
  --keep-until-expiring "${extra[@]}" 2>&1); then
  detail=$(printf '%s\n' "$out" | grep -E 'Detail:|Type:|Error|error' | head -n 5 | tr '\n' ' ')
  psn_die "the ACME server refused a certificate for $names: ${detail:-$out}"
fi
systemctl enable --now certbot.timer >/dev/null 2>&1 || psn_log "warning: certbot.timer not available; renewals need cron"
psn_log "certificate for $names issued, $(openssl x509 -in "$live/fullchain.pem" -noout -enddate)"
