#!/usr/bin/env bash
# Step 5: waits until the resolver answers the host's address for the domain, so the ACME server
# (which resolves the name itself) finds this host.
# Inputs: PSN_DOMAIN, PSN_RESOLVER (ip or ip:port), PSN_EXPECT_IP (empty: any A record), PSN_TIMEOUT (s).
set -euo pipefail
PSN_STEP=wait-for-dns
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_env PSN_DOMAIN PSN_RESOLVER PSN_TIMEOUT
command -v dig >/dev/null || psn_die "dig is missing (the base step installs bind9-dnsutils)"

server=${PSN_RESOLVER%:*} port=53
if [ "$server" != "$PSN_RESOLVER" ]; then port=${PSN_RESOLVER##*:}; fi
server=${server#[}
server=${server%]}
start=$(date +%s)
answer=""
while :; do
  answer=$(dig +short +time=2 +tries=1 -p "$port" "@$server" "$PSN_DOMAIN" A 2>/dev/null | grep -E '^[0-9.]+$' | sort | tr '\n' ' ' || true)
  if [ -n "$answer" ] && { [ -z "${PSN_EXPECT_IP:-}" ] || [[ " $answer" == *" $PSN_EXPECT_IP "* ]]; }; then
    psn_log "$PSN_DOMAIN resolves to ${answer% } at $PSN_RESOLVER after $(($(date +%s) - start)) s"
    exit 0
  fi
  if [ $(($(date +%s) - start)) -ge "$PSN_TIMEOUT" ]; then
    psn_die "$PSN_DOMAIN does not resolve to ${PSN_EXPECT_IP:-an address} at $PSN_RESOLVER after $PSN_TIMEOUT s (last answer: '${answer% }'); create an A record $PSN_DOMAIN -> ${PSN_EXPECT_IP:-<host IP>} or raise dns.waitSeconds"
  fi
  sleep 2
done
