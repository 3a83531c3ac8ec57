#!/usr/bin/env bash
# End-to-end proof of the sandbox: services, two hosts at once, apt through the NAT, a real certbot
# issuance on each host checked from the root netns, then a teardown that must leave nothing behind.
# Stops the services at the end (they are started here if not running). Run as root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export SANDBOX_DIR=${SANDBOX_DIR:-$(cd "$here/../.." && pwd)/.sandbox}
H=$here/host.sh
S=$here/services.sh
HOSTS=(st1:1 st2:2)

secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
step() { printf '\n== %s\n' "$*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

teardown() {
  local h
  for h in "${HOSTS[@]}"; do "$H" down "${h%%:*}" || true; done
  "$S" down || true
}
trap teardown EXIT

step "rootfs"
t=$(date +%s.%N)
"$H" rootfs
echo "rootfs ready: $(secs "$t") s"

step "services"
"$S" up
# shellcheck disable=SC1090 # KEY=value lines from services.sh info
source <("$S" info)

for h in "${HOSTS[@]}"; do
  name=${h%%:*} i=${h#*:}
  step "host $name (10.231.$i.2)"
  "$H" up "$name" "$i"
  state=$("$H" ssh "$name" "$i" systemctl is-system-running || true)
  echo "systemctl is-system-running: $state"
  [[ $state =~ ^(running|degraded)$ ]] || fail "$name: system state '$state'"
  "$H" ssh "$name" "$i" 'cat >/root/pebble-ca.pem' <"$PSN_ACME_API_CA"
  t=$(date +%s.%N)
  "$H" ssh "$name" "$i" 'apt-get update -q >/var/log/selftest-update.log 2>&1' || fail "$name: apt-get update"
  echo "apt-get update through the NAT: $(secs "$t") s"
  code=$("$H" ssh "$name" "$i" curl -sS -o /dev/null -w '%{http_code}' "$PSN_RELEASE_BASE_URL/")
  echo "release server from inside: HTTP $code"
  [ "$code" = 200 ] || fail "$name: release server"
  "$H" ssh "$name" "$i" curl -sSf -o /dev/null --cacert /root/pebble-ca.pem "$PSN_ACME_SERVER" ||
    fail "$name: pebble directory"
  echo "pebble directory from inside: ok"
done

for h in "${HOSTS[@]}"; do
  name=${h%%:*} i=${h#*:}
  domain=$name.pactus.test
  step "certbot on $name for $domain"
  "$S" add-a "$domain" "10.231.$i.2"
  "$H" ssh "$name" "$i" \
    "DOMAIN=$domain ACME_SERVER=$PSN_ACME_SERVER REQUESTS_CA_BUNDLE=/root/pebble-ca.pem bash -s" \
    <"$here/selftest-node.sh"
  # 'systemctl reload nginx' returns before nginx has bound the new :443 listener: poll briefly.
  for ((n = 0; n < 25; n++)); do
    body=$(curl -sS --http2 --cacert "$PSN_ACME_ROOT" --resolve "$domain:443:10.231.$i.2" "https://$domain/" 2>&1) &&
      break
    sleep 0.2
  done
  [ "$n" = 0 ] || echo "(the TLS listener answered after $n refused tries)"
  echo "curl https://$domain/ from the root netns: $body"
  [ "$body" = "tls ok from $name" ] || fail "$name: TLS check"
done

step "teardown"
trap - EXIT
t=$(date +%s.%N)
teardown
echo "teardown: $(secs "$t") s"

step "leftovers (all must be empty)"
left=$(
  ip netns list | grep '^psn-' || true
  ip -o link show | grep -E ': psn' || true
  iptables -w -t nat -S | grep -- '--comment psn-host-' || true
  iptables -w -S | grep -- '--comment psn-host-' || true
  findmnt -rn -o TARGET | grep -E "^$SANDBOX_DIR/|^/run/netns" || true
  for f in "$SANDBOX_DIR"/hosts/*/nspawn.pid "$SANDBOX_DIR"/services/*.pid; do [ -e "$f" ] && echo "$f"; done
  find /sys/fs/cgroup -maxdepth 2 -name 'psn-*' || true
)
echo "${left:-nothing left}"
[ -z "$left" ] || fail "leftovers"
echo "PASS"
