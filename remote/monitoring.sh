#!/usr/bin/env bash
# Step (monitoring.enabled): Prometheus's node exporter on loopback, reading the textfile dir where the
# health refresher writes pactus_health_*, and nginx's htpasswd file for /metrics/ (monitoring.basicAuth).
# nginx (the nginx-tls step) serves the exporter and the daemon's own metrics over TLS; nothing here
# opens a port. The daemon's HTML server (its /metrics/prometheus) is switched on by the pactus step.
# Inputs: PSN_EXPORTER_PACKAGE, PSN_EXPORTER_SERVICE, PSN_EXPORTER_DEFAULTS (its options file),
#   PSN_EXPORTER_CONF (that file's content), PSN_EXPORTER_LISTEN (host:port, loopback), PSN_TEXTFILE_DIR,
#   PSN_HTPASSWD (path), PSN_NGINX_GROUP, PSN_AUTH (true: the htpasswd line is METRICS_HTPASSWD on the
#   secret stdin), PSN_STATE_DIR.
set -euo pipefail
PSN_STEP=monitoring
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_EXPORTER_PACKAGE PSN_EXPORTER_SERVICE PSN_EXPORTER_DEFAULTS PSN_EXPORTER_CONF \
  PSN_EXPORTER_LISTEN PSN_TEXTFILE_DIR PSN_HTPASSWD PSN_NGINX_GROUP PSN_AUTH PSN_STATE_DIR

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }
mkdir -p "$PSN_STATE_DIR"
changed=0
# An exporter the operator had before keeps its own options file: saved once, put back by the undo.
if installed "$PSN_EXPORTER_PACKAGE" && [ ! -e "$PSN_STATE_DIR/monitoring-installed" ] &&
  [ ! -e "$PSN_STATE_DIR/monitoring-defaults.orig" ] && [ -f "$PSN_EXPORTER_DEFAULTS" ]; then
  cp -p "$PSN_EXPORTER_DEFAULTS" "$PSN_STATE_DIR/monitoring-defaults.orig"
fi
# Written before the package: its postinst starts the exporter, which then listens on loopback from the
# first second (Debian's default is every address); --force-confold keeps this file.
psn_write_file "$PSN_EXPORTER_DEFAULTS" 0644 root:root "$PSN_EXPORTER_CONF" && changed=1
if ! installed "$PSN_EXPORTER_PACKAGE"; then
  psn_log "installing $PSN_EXPORTER_PACKAGE"
  psn_wait_apt
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null || psn_die "apt-get update failed"
  apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confold "$PSN_EXPORTER_PACKAGE" >/dev/null ||
    psn_die "apt-get install $PSN_EXPORTER_PACKAGE failed"
  touch "$PSN_STATE_DIR/monitoring-installed"
  changed=1
fi
install -d -m 0755 "$PSN_TEXTFILE_DIR"
systemctl enable "$PSN_EXPORTER_SERVICE" >/dev/null 2>&1 || true
if [ "$changed" = 1 ] || ! systemctl is-active --quiet "$PSN_EXPORTER_SERVICE"; then
  systemctl restart "$PSN_EXPORTER_SERVICE"
fi
# Bounded: the exporter answers within a second or two of its start.
port=${PSN_EXPORTER_LISTEN##*:}
ok=0
for _ in $(seq 1 60); do
  if curl -fsS --max-time 5 "http://$PSN_EXPORTER_LISTEN/metrics" 2>/dev/null | grep -q '^node_exporter_build_info'; then
    ok=1
    break
  fi
  sleep 0.5
done
[ "$ok" = 1 ] || psn_die "$PSN_EXPORTER_SERVICE does not answer on $PSN_EXPORTER_LISTEN: $(journalctl -u "$PSN_EXPORTER_SERVICE" -n 5 --no-pager -o cat 2>&1 | tr '\n' ' ')"
# Only nginx may face the internet: nothing but the loopback address on the exporter's port.
others=$(ss -Hltn "sport = :$port" | awk -v want="$PSN_EXPORTER_LISTEN" '$4 != want { print $4 }')
[ -z "$others" ] || psn_die "something listens on port $port beyond $PSN_EXPORTER_LISTEN: $others"

if [ "$PSN_AUTH" = true ]; then
  line=$(psn_secret METRICS_HTPASSWD)
  [ -n "$line" ] || psn_die "monitoring.basicAuth is set but no htpasswd line came on the secret stdin"
  if psn_write_file "$PSN_HTPASSWD" 0640 "root:$PSN_NGINX_GROUP" "$line"$'\n'; then
    psn_log "htpasswd for /metrics/ written"
  fi
else
  rm -f "$PSN_HTPASSWD"
fi
psn_log "node exporter on $PSN_EXPORTER_LISTEN"
