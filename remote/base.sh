#!/usr/bin/env bash
# Step 2: packages (only the missing ones), time sync, host firewall.
# Inputs: PSN_SSH_PORT, PSN_P2P_PORT (empty: no P2P port), PSN_STATE_DIR.
set -euo pipefail
PSN_STEP=base
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_SSH_PORT PSN_STATE_DIR

psn_apt_install nginx certbot curl ca-certificates python3 bind9-dnsutils tar openssl iproute2 psmisc
if ! dpkg-query -W -f='${Status}' chrony 2>/dev/null | grep -q 'ok installed'; then
  psn_apt_install systemd-timesyncd
fi
# Validators lose score when their clock drifts. Containers keep the host's clock and refuse NTP.
if [ "$(systemd-detect-virt -c 2>/dev/null || echo none)" = none ]; then
  timedatectl set-ntp true || psn_log "warning: could not enable NTP"
else
  psn_log "container: the clock is the machine's, NTP left to it"
fi

psn_apt_install ufw
rules=("$PSN_SSH_PORT/tcp" 80/tcp 443/tcp)
if [ -n "${PSN_P2P_PORT:-}" ]; then rules+=("$PSN_P2P_PORT/tcp" "$PSN_P2P_PORT/udp"); fi
for r in "${rules[@]}"; do ufw allow "$r" >/dev/null; done
if ! ufw status | grep -q '^Status: active'; then
  if ufw --force enable >/dev/null 2>&1; then
    touch "$PSN_STATE_DIR/ufw-enabled"
    psn_log "firewall on: ${rules[*]}"
  else
    psn_log "warning: ufw could not be enabled here (no netfilter access); the cloud firewall still applies"
  fi
fi
psn_log "base ready"
