#!/usr/bin/env bash
# Step 8: the health refresher (the PSN_REFRESHER script) as a systemd service: it rewrites the file nginx
# serves at /healthz and the node exporter's textfile every health.refreshSeconds, asking the node on
# loopback, so no /healthz request ever reaches the node.
# Inputs: PSN_REFRESHER (the script), PSN_REFRESHER_PATH, PSN_HEALTH_ENV (its settings, the unit's
#   EnvironmentFile), PSN_HEALTH_ENV_PATH, PSN_HEALTH_UNIT (the unit), PSN_HEALTH_UNIT_PATH,
#   PSN_HEALTH_SERVICE (its name), PSN_HEALTH_DIR (its output dir, nginx's), PSN_HEALTH_AUTH_PATH,
#   PSN_PROM_DIR (the node exporter's textfile dir).
# With apis.basicAuth, PSN_SECRETS (the step's secret stdin) holds API_USER=<base64> and
#   API_PASSWORD=<base64>: written to PSN_HEALTH_AUTH_PATH (0600, root), which the refresher reads.
set -euo pipefail
PSN_STEP=health
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_REFRESHER PSN_REFRESHER_PATH PSN_HEALTH_ENV PSN_HEALTH_ENV_PATH PSN_HEALTH_UNIT \
  PSN_HEALTH_UNIT_PATH PSN_HEALTH_SERVICE PSN_HEALTH_DIR PSN_HEALTH_AUTH_PATH PSN_PROM_DIR
umask 077

api_user=$(psn_secret API_USER)
api_password=$(psn_secret API_PASSWORD)
unset PSN_SECRETS

changed=0
psn_write_file "$PSN_REFRESHER_PATH" 0755 root:root "$PSN_REFRESHER" && changed=1
psn_write_file "$PSN_HEALTH_ENV_PATH" 0644 root:root "$PSN_HEALTH_ENV" && changed=1
if [ -n "$api_user" ]; then
  psn_write_file "$PSN_HEALTH_AUTH_PATH" 0600 root:root "$api_user"$'\n'"$api_password"$'\n' && changed=1
elif [ -e "$PSN_HEALTH_AUTH_PATH" ]; then
  rm -f "$PSN_HEALTH_AUTH_PATH"
  changed=1
fi
unset api_password
# The node exporter's textfile dir: Debian's package makes it too (owned by prometheus), so only when
# missing; the unit may write into it (ProtectSystem=strict).
[ -d "$PSN_PROM_DIR" ] || install -d -m 0755 "$PSN_PROM_DIR"
if psn_write_file "$PSN_HEALTH_UNIT_PATH" 0644 root:root "$PSN_HEALTH_UNIT"; then
  systemctl daemon-reload
  changed=1
fi
systemctl enable "$PSN_HEALTH_SERVICE" >/dev/null 2>&1
if [ "$changed" = 1 ] || ! systemctl is-active --quiet "$PSN_HEALTH_SERVICE"; then
  systemctl restart "$PSN_HEALTH_SERVICE"
  psn_log "health refresher (re)started"
fi
# Its first refresh runs at once: wait for the file nginx serves (bounded: every call in it has a timeout).
for _ in $(seq 1 60); do
  [ -s "$PSN_HEALTH_DIR/healthz.json" ] && break
  sleep 0.5
done
[ -s "$PSN_HEALTH_DIR/healthz.json" ] ||
  psn_die "the health refresher wrote no $PSN_HEALTH_DIR/healthz.json in 30 s: $(journalctl -u "$PSN_HEALTH_SERVICE" -n 5 --no-pager -o cat 2>&1 | tr '\n' ' ')"
psn_log "health: $(cat "$PSN_HEALTH_DIR/healthz.json")"
