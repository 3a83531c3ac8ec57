#!/usr/bin/env bash
# Step 7: the HTTPS reverse proxy. Tested with `nginx -t` before reload; a rejected config is rolled
# back and nginx keeps serving the previous one.
# Inputs: PSN_DOMAIN, PSN_TLS_CONF (rendered site), PSN_STATUS_ROOT, PSN_STATUS_FILES (base64 tar.gz).
set -euo pipefail
PSN_STEP=nginx-tls
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_DOMAIN PSN_TLS_CONF PSN_STATUS_ROOT PSN_STATUS_FILES

[ -s "/etc/letsencrypt/live/$PSN_DOMAIN/fullchain.pem" ] ||
  psn_die "no certificate for $PSN_DOMAIN yet (the certificate step must succeed first)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%s' "$PSN_STATUS_FILES" | base64 -d | tar -xzf - -C "$tmp"
install -d -m 0755 "$PSN_STATUS_ROOT"
for f in "$tmp"/*; do
  psn_write_file "$PSN_STATUS_ROOT/$(basename "$f")" 0644 root:root "$(cat "$f")" || true
done
psn_nginx_site pactus.conf "$PSN_TLS_CONF"
