#!/usr/bin/env bash
# Runs inside a sandbox host (sent on stdin by selftest.sh): nginx webroot site, a real certbot
# issuance from pebble, then a TLS vhost. Inputs: DOMAIN, ACME_SERVER, REQUESTS_CA_BUNDLE.
set -euo pipefail
: "${DOMAIN:?}" "${ACME_SERVER:?}" "${REQUESTS_CA_BUNDLE:?}"
export DEBIAN_FRONTEND=noninteractive REQUESTS_CA_BUNDLE

secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

t=$(date +%s.%N)
if ! command -v nginx >/dev/null || ! command -v certbot >/dev/null; then
  apt-get install -y -q nginx certbot >/var/log/selftest-apt.log 2>&1 || {
    tail -n 20 /var/log/selftest-apt.log >&2
    exit 1
  }
fi
echo "apt-get install nginx certbot: $(secs "$t") s"

mkdir -p /var/www/acme "/var/www/$DOMAIN"
echo "tls ok from $(hostname)" >"/var/www/$DOMAIN/index.html"
site=/etc/nginx/sites-available/$DOMAIN
cat >"$site" <<EOF
server { listen 80; server_name $DOMAIN;
  location ^~ /.well-known/acme-challenge/ { root /var/www/acme; default_type text/plain; try_files \$uri =404; }
  location / { return 301 https://\$host\$request_uri; } }
EOF
ln -sf "$site" /etc/nginx/sites-enabled/
rm -f /etc/nginx/sites-enabled/default
nginx -t -q
systemctl reload nginx

t=$(date +%s.%N)
certbot certonly --webroot -w /var/www/acme -d "$DOMAIN" --server "$ACME_SERVER" --agree-tos \
  -m "ops@$DOMAIN" --non-interactive --no-eff-email >/var/log/selftest-certbot.log 2>&1 || {
  cat /var/log/selftest-certbot.log >&2
  exit 1
}
echo "certbot certonly --webroot: $(secs "$t") s"

cat >>"$site" <<EOF
server { listen 443 ssl http2; server_name $DOMAIN;
  ssl_certificate /etc/letsencrypt/live/$DOMAIN/fullchain.pem;
  ssl_certificate_key /etc/letsencrypt/live/$DOMAIN/privkey.pem;
  root /var/www/$DOMAIN; }
EOF
nginx -t -q
systemctl reload nginx
