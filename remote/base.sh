#!/usr/bin/env bash
# Step 2: packages (only the missing ones), time sync, host firewall, unattended security updates.
# Inputs: PSN_SSH_PORT, PSN_P2P_PORT (empty: no P2P port), PSN_APT_CONF (the apt policy file), PSN_STATE_DIR,
#   optional PSN_EXTRA_PACKAGES (space-separated: certbot's DNS-01 plugin).
set -euo pipefail
PSN_STEP=base
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_SSH_PORT PSN_APT_CONF PSN_STATE_DIR

# One apt transaction (one `apt-get update`) for everything the host needs.
packages=(nginx certbot curl ca-certificates python3 bind9-dnsutils tar openssl iproute2 psmisc
  unattended-upgrades ufw)
if ! dpkg-query -W -f='${Status}' chrony 2>/dev/null | grep -q 'ok installed'; then
  packages+=(systemd-timesyncd)
fi
# DNS-01: certbot's plugin for the zone's DNS (PSN_EXTRA_PACKAGES), which the certificate step uses.
if [ -n "${PSN_EXTRA_PACKAGES:-}" ]; then
  read -ra extra <<<"$PSN_EXTRA_PACKAGES"
  packages+=("${extra[@]}")
fi
psn_apt_install "${packages[@]}"
# Validators lose score when their clock drifts. Containers keep the host's clock and refuse NTP.
if [ "$(systemd-detect-virt -c 2>/dev/null || echo none)" = none ]; then
  timedatectl set-ntp true || psn_log "warning: could not enable NTP"
else
  psn_log "container: the clock is the machine's, NTP left to it"
fi

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
# Security updates install themselves (apt-daily.timer refreshes the lists, apt-daily-upgrade.timer runs
# unattended-upgrade), from the security archive only, and never reboot: a validator restarts when its
# operator says so. A package that needs a reboot leaves the distribution's flag, /var/run/reboot-required
# (with the package names in reboot-required.pkgs): on Debian the kernel's postinst runs
# /etc/kernel/postinst.d/unattended-upgrades (this package's), on Ubuntu update-notifier-common's hooks.
# "#clear" empties the lists 50unattended-upgrades filled (Debian's also allows point releases).
# shellcheck source=/dev/null  # KEY=value lines
os_id=$(. /etc/os-release && echo "${ID:-}")
# ${distro_id} and ${distro_codename} are unattended-upgrade's own variables, written as they are.
# shellcheck disable=SC2016
case "$os_id" in
  ubuntu) origins='Unattended-Upgrade::Allowed-Origins { "${distro_id}:${distro_codename}-security"; };' ;;
  *) origins='Unattended-Upgrade::Origins-Pattern { "origin=Debian,codename=${distro_codename}-security,label=Debian-Security"; };' ;;
esac
apt_conf="// pactus-secure-node (base step): security updates only, unattended, never a reboot.
#clear Unattended-Upgrade::Origins-Pattern;
#clear Unattended-Upgrade::Allowed-Origins;
$origins
Unattended-Upgrade::Automatic-Reboot \"false\";
APT::Periodic::Update-Package-Lists \"1\";
APT::Periodic::Unattended-Upgrade \"1\";
"
if psn_write_file "$PSN_APT_CONF" 0644 root:root "$apt_conf"; then
  psn_log "unattended security updates on, from the security archive only ($os_id)"
fi
for t in apt-daily.timer apt-daily-upgrade.timer; do
  if ! systemctl is-enabled --quiet "$t" 2>/dev/null; then
    systemctl enable --now "$t" >/dev/null 2>&1 || psn_log "warning: could not enable $t"
  fi
done
psn_log "base ready"
