#!/usr/bin/env bash
# Step 7: the HTTPS reverse proxy. Tested with `nginx -t` before reload; a rejected config is rolled
# back and nginx keeps serving the previous one.
# Inputs: PSN_DOMAIN, PSN_CERT_DIR (its certificate's), PSN_TLS_CONF (rendered site), PSN_SITE_PATH (where
#   it goes), PSN_STATUS_ROOT, PSN_STATUS_FILES ("<name> <base64>" lines: the status page).
set -euo pipefail
PSN_STEP=nginx-tls
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_DOMAIN PSN_CERT_DIR PSN_TLS_CONF PSN_SITE_PATH PSN_STATUS_ROOT PSN_STATUS_FILES

[ -s "$PSN_CERT_DIR/fullchain.pem" ] ||
  psn_die "no certificate for $PSN_DOMAIN yet (the certificate step must succeed first)"
install -d -m 0755 "$PSN_STATUS_ROOT"
while read -r name data; do
  [ -n "$name" ] || continue
  [[ "$name" =~ ^[a-z0-9][a-z0-9._-]*$ ]] || psn_die "bad status page file name '$name'"
  psn_write_file "$PSN_STATUS_ROOT/$name" 0644 root:root "$(printf '%s' "$data" | base64 -d)" || true
done <<<"$PSN_STATUS_FILES"
# nginx 1.25.1 deprecated "listen ... http2" for its own "http2 on;" (Debian 13 ships 1.26; Debian 12 and
# Ubuntu 22.04/24.04 ship 1.22-1.24, which know only the listen form): the form this host's nginx wants.
conf=$PSN_TLS_CONF
version=$(nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9][0-9.]*\).*|\1|p')
if [ -n "$version" ] && printf '%s\n' 1.25.1 "$version" | sort -V -C; then
  conf=$(printf '%s\n' "$conf" | sed -E \
    -e 's/^( *)listen 443 ssl http2;$/\1listen 443 ssl;/' \
    -e 's/^( *)listen \[::\]:443 ssl http2;$/\1listen [::]:443 ssl;\n\1http2 on;/')
fi
psn_nginx_site "$PSN_SITE_PATH" "$conf"
