#!/usr/bin/env bash
# Sandbox services on the machine side: pebble (ACME), BIND's named (DNS: authoritative for pactus.test,
# updated over RFC 2136 with TSIG keys) and a static HTTP server for the Pactus release tarball. They listen on 10.231.0.1, an address on a dedicated,
# port-less bridge "psn-svc" in the root netns: reachable from the root netns and, routed through
# each host's veth, from inside every sandbox host. Independent of which hosts are up.
set -euo pipefail

SANDBOX_DIR=${SANDBOX_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.sandbox}
SVC_IF=psn-svc
SVC_ADDR=10.231.0.1
SVC=$SANDBOX_DIR/services
PEB=$SANDBOX_DIR/pebble
# named's keys (kept across restarts, so a stack's acme.rfc2136Secret stays valid), config and zone.
DNS_DIR=$SANDBOX_DIR/dns
ZONE=pactus.test
DNS_PORT=8053
ADMIN_KEY=psn-admin.
ACME_KEY=psn-acme.
REL=$SANDBOX_DIR/release
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
PY_COMM=$(basename "$PY")

PSN_LOG=services.sh
# shellcheck source=SCRIPTDIR/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  cat >&2 <<EOF
usage: services.sh up                          start named, pebble, release server on $SVC_ADDR
       services.sh down                        stop them (by PID) and remove $SVC_IF
       services.sh status                      which of them run
       services.sh info                        addresses, paths and the rfc2136 DNS-01 key, KEY=value lines
       services.sh add-a <name> <ip>           DNS A record in $ZONE (nsupdate, admin key)
       services.sh clear-a <name>              remove the name's A records
       services.sh root-ca                     refresh and print the path of pebble's current root
       services.sh release <bin-dir> <version> pack pactus-{daemon,wallet,shell} like the GitHub release
EOF
  exit 2
}

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

# Alive and not a zombie (our children are reaped by whatever PID 1 is, maybe late).
alive() { [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# A PID file is trusted only if the process still runs the expected program (comm, 15 chars).
running() {
  local pid
  pid=$(cat "$SVC/$1.pid" 2>/dev/null) || return 1
  alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}

wait_for() { # <what> <log> <pid-name> <comm> <cmd...>
  local what=$1 logf=$2 name=$3 comm=$4 i
  shift 4
  for ((i = 0; i < 150; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    running "$name" "$comm" || break
    sleep 0.1
  done
  tail -n 20 "$logf" >&2
  die "$what did not come up (log: $logf)"
}

# While anything of the sandbox is up, 10.231.0.0/16 minus the live /24s and 10.231.0.1 is
# unreachable: traffic to a host or service that is down fails at once instead of leaving through
# the default route. Removed with the last sandbox interface.
guard_route_add() { ip route replace unreachable 10.231.0.0/16; }
guard_route_del() {
  ip -o link show | grep ': psn' >/dev/null || ip route del unreachable 10.231.0.0/16 2>/dev/null || true
}

ensure_if() {
  if ! ip link show "$SVC_IF" >/dev/null 2>&1; then
    # A bridge without ports: dummy interfaces need a kernel module that is not available everywhere.
    ip link add "$SVC_IF" type bridge
  fi
  ip addr replace "$SVC_ADDR/32" dev "$SVC_IF"
  ip link set "$SVC_IF" up
  guard_route_add
}

ensure_tls() {
  mkdir -p "$PEB"
  if [ -s "$PEB/ca.pem" ] && [ -s "$PEB/cert.pem" ] &&
    openssl x509 -in "$PEB/cert.pem" -noout -ext subjectAltName 2>/dev/null | grep "IP Address:$SVC_ADDR" >/dev/null; then
    return 0
  fi
  (
    cd "$PEB"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -subj /CN=psn-sandbox-pebble-api-ca -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=pebble \
      -keyout key.pem -out leaf.csr 2>/dev/null
    openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -out cert.pem \
      -extfile <(printf 'subjectAltName=IP:%s,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' "$SVC_ADDR") \
      2>/dev/null
    rm -f leaf.csr ca.srl
    chmod 600 ca.key key.pem
  )
}

save_root() {
  curl -sSf --cacert "$PEB/ca.pem" "https://$SVC_ADDR:15000/roots/0" -o "$PEB/root.pem.tmp"
  mv "$PEB/root.pem.tmp" "$PEB/root.pem"
}

# The names a sandbox stack may prove by DNS-01: hosts node, node2..node255 (test/helpers/sandbox.ts)
# and the shared names rpc, rpc2..rpc255; the ACME key may change only their _acme-challenge TXT.
acme_grants() {
  local i n
  for n in node rpc; do
    echo "    grant $ACME_KEY name _acme-challenge.$n.$ZONE. TXT;"
    for ((i = 2; i <= 255; i++)); do echo "    grant $ACME_KEY name _acme-challenge.$n$i.$ZONE. TXT;"; done
  done
}

# Keys once; config and an empty zone (SOA, NS) on every start: records do not outlive named, as
# challtestsrv's did not.
ensure_dns_conf() {
  mkdir -p "$DNS_DIR"
  chmod 700 "$DNS_DIR"
  [ -s "$DNS_DIR/admin.key" ] || tsig-keygen -a hmac-sha256 "$ADMIN_KEY" >"$DNS_DIR/admin.key"
  if [ ! -s "$DNS_DIR/acme.key" ]; then
    tsig-keygen -a hmac-sha256 "$ACME_KEY" >"$DNS_DIR/acme.key"
    rm -f "$DNS_DIR/acme.secret"
  fi
  if [ ! -s "$DNS_DIR/acme.secret" ]; then
    (umask 077 && sed -n 's/^[[:space:]]*secret "\(.*\)";/\1/p' "$DNS_DIR/acme.key" >"$DNS_DIR/acme.secret")
  fi
  chmod 600 "$DNS_DIR/admin.key" "$DNS_DIR/acme.key" "$DNS_DIR/acme.secret"
  cat >"$DNS_DIR/named.conf" <<EOF
include "$DNS_DIR/admin.key";
include "$DNS_DIR/acme.key";
options {
  directory "$DNS_DIR";
  pid-file none;
  session-keyfile "$DNS_DIR/session.key";
  listen-on port $DNS_PORT { $SVC_ADDR; };
  listen-on-v6 { none; };
  recursion no;
  allow-query { any; };
  allow-transfer { none; };
  notify no;
  dnssec-validation no;
};
controls { };
zone "$ZONE" {
  type primary;
  file "$DNS_DIR/$ZONE.zone";
  update-policy {
    grant $ADMIN_KEY zonesub ANY;
$(acme_grants)
  };
};
EOF
  rm -f "$DNS_DIR/$ZONE.zone.jnl"
  cat >"$DNS_DIR/$ZONE.zone" <<EOF
\$TTL 60
@ IN SOA ns.$ZONE. hostmaster.$ZONE. ( 1 60 60 600 5 )
@ IN NS ns.$ZONE.
ns IN A $SVC_ADDR
EOF
  named-checkconf "$DNS_DIR/named.conf" >&2 || die "named.conf is not valid ($DNS_DIR/named.conf)"
}

# shellcheck disable=SC2317 # called through wait_for
dns_answers() { dig +short +time=1 +tries=1 -p "$DNS_PORT" "@$SVC_ADDR" "ns.$ZONE" A | grep -qx "$SVC_ADDR"; }

cmd_up() {
  need_root
  command -v pebble >/dev/null || die "pebble is not installed (apt-get install pebble)"
  command -v named >/dev/null || die "named is not installed (apt-get install bind9 bind9-utils bind9-dnsutils)"
  local t0
  t0=$(now)
  mkdir -p "$SVC" "$REL"
  # Several hosts may start at once: one of them starts the services, the others find them running.
  exec 6>"$SVC/.lock"
  flock 6
  ensure_if

  if ! running named named; then
    ensure_dns_conf
    # -g: foreground, log to stderr; as root in the sandbox dir (no chroot, no rndc).
    named -g -c "$DNS_DIR/named.conf" </dev/null >"$SVC/named.log" 2>&1 6>&- &
    echo $! >"$SVC/named.pid"
  fi
  wait_for named "$SVC/named.log" named named dns_answers

  ensure_tls
  if ! running pebble pebble; then
    # Certificates like Let's Encrypt's: 90 days, with a revocation pointer (an OCSP URI here; nothing
    # answers it, and nothing here queries it), so testssl.sh judges our config, not pebble's defaults.
    cat >"$PEB/pebble-config.json" <<EOF
{ "pebble": {
    "listenAddress": "$SVC_ADDR:14000",
    "managementListenAddress": "$SVC_ADDR:15000",
    "certificate": "$PEB/cert.pem",
    "privateKey": "$PEB/key.pem",
    "httpPort": 80, "tlsPort": 443,
    "ocspResponderURL": "http://$SVC_ADDR:4002/", "certificateValidityPeriod": 7776000,
    "externalAccountBindingRequired": false } }
EOF
    rm -f "$PEB/root.pem"
    PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
      pebble -config "$PEB/pebble-config.json" -dnsserver "$SVC_ADDR:$DNS_PORT" \
      </dev/null >"$SVC/pebble.log" 2>&1 6>&- &
    echo $! >"$SVC/pebble.pid"
  fi
  wait_for pebble "$SVC/pebble.log" pebble pebble \
    curl -sf -o /dev/null --cacert "$PEB/ca.pem" "https://$SVC_ADDR:14000/dir"
  save_root

  if ! running release "$PY_COMM"; then
    "$PY" -m http.server --bind "$SVC_ADDR" --directory "$REL" 8099 </dev/null >"$SVC/release.log" 2>&1 6>&- &
    echo $! >"$SVC/release.pid"
  fi
  wait_for "release server" "$SVC/release.log" release "$PY_COMM" \
    curl -sf -o /dev/null "http://$SVC_ADDR:8099/"
  log "up in $(since "$t0" 2) s: acme https://$SVC_ADDR:14000/dir, dns $SVC_ADDR:$DNS_PORT ($ZONE), release http://$SVC_ADDR:8099/"
}

stop_pid() { # <name> <comm>
  local pid i
  if running "$1" "$2"; then
    pid=$(cat "$SVC/$1.pid")
    kill -TERM "$pid"
    for ((i = 0; i < 100; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$SVC/$1.pid"
}

cmd_down() {
  need_root
  stop_pid release "$PY_COMM"
  stop_pid pebble pebble
  stop_pid named named
  rm -f "$PEB/root.pem"
  if ip link show "$SVC_IF" >/dev/null 2>&1; then ip link del "$SVC_IF"; fi
  guard_route_del
  log "down"
}

cmd_status() {
  local n c
  for n in named:named pebble:pebble "release:$PY_COMM"; do
    c=${n#*:}
    n=${n%%:*}
    if running "$n" "$c"; then echo "$n running (pid $(cat "$SVC/$n.pid"))"; else echo "$n stopped"; fi
  done
}

cmd_info() {
  cat <<EOF
PSN_SVC_ADDR=$SVC_ADDR
PSN_ACME_SERVER=https://$SVC_ADDR:14000/dir
PSN_ACME_API_CA=$PEB/ca.pem
PSN_ACME_ROOT=$PEB/root.pem
PSN_DNS=$SVC_ADDR:$DNS_PORT
PSN_DNS_ZONE=$ZONE
PSN_RELEASE_BASE_URL=http://$SVC_ADDR:8099
PSN_RELEASE_DIR=$REL
PSN_RFC2136_SERVER=$SVC_ADDR
PSN_RFC2136_PORT=$DNS_PORT
PSN_RFC2136_KEY_NAME=$ACME_KEY
PSN_RFC2136_ALGORITHM=HMAC-SHA256
PSN_RFC2136_SECRET_FILE=$DNS_DIR/acme.secret
EOF
}

# nsupdate with the admin key: one update of the zone, given as its lines.
dns_update() {
  ip link show "$SVC_IF" >/dev/null 2>&1 || die "services are down: run 'services.sh up'"
  running named named || die "named is not running: run 'services.sh up'"
  local out
  out=$(printf 'server %s %s\nzone %s\n%s\nsend\n' "$SVC_ADDR" "$DNS_PORT" "$ZONE" "$1" |
    nsupdate -t 5 -k "$DNS_DIR/admin.key" 2>&1) || die "named at $SVC_ADDR:$DNS_PORT refused the update: $out"
}

dns_name() { # <name>: lower case, without a trailing dot, inside the zone
  [[ $1 =~ ^[A-Za-z0-9.-]+$ ]] || die "bad name '$1'"
  local n=${1,,}
  n=${n%.}
  [[ $n == *".$ZONE" ]] || die "'$1' is not in the sandbox's zone $ZONE"
  printf '%s' "$n"
}

cmd_add_a() {
  [ $# = 2 ] || usage
  local n
  n=$(dns_name "$1")
  [[ $2 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "bad IPv4 address '$2'"
  dns_update "update add $n. 60 IN A $2"
}

cmd_clear_a() {
  [ $# = 1 ] || usage
  local n
  n=$(dns_name "$1")
  dns_update "update delete $n. IN A"
}

cmd_root_ca() {
  running pebble pebble || die "pebble is not running: run 'services.sh up'"
  save_root
  echo "$PEB/root.pem"
}

cmd_release() {
  [ $# = 2 ] || usage
  local bin=$1 v=${2#v} top stage out b
  [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] || die "bad version '$2' (e.g. 1.16.0)"
  for b in pactus-daemon pactus-wallet pactus-shell; do
    [ -x "$bin/$b" ] || die "missing executable $bin/$b"
  done
  top=pactus-cli_$v
  out=$REL/v$v
  mkdir -p "$out"
  # Hosts of several lanes may download it while another prepares: one packer at a time, and the same
  # binaries are not packed again (a new tarball would have a new checksum under a running download).
  exec 7>"$REL/.lock"
  flock 7
  local sums
  sums=$(cd "$bin" && sha256sum pactus-daemon pactus-wallet pactus-shell)
  if [ -s "$out/${top}_linux_amd64.tar.gz" ] && [ -s "$out/SHA256SUMS" ] &&
    [ "$(cat "$out/.binaries" 2>/dev/null)" = "$sums" ]; then
    echo "$out/${top}_linux_amd64.tar.gz"
    return 0
  fi
  stage=$(mktemp -d "$REL/.stage.XXXXXX")
  # shellcheck disable=SC2064 # expand $stage now
  trap "rm -rf '$stage'" EXIT
  mkdir "$stage/$top"
  for b in pactus-daemon pactus-wallet pactus-shell; do install -m 755 "$bin/$b" "$stage/$top/$b"; done
  # gzip -1: a tarball per release variant the tests publish; level 6 cost seconds of CPU each.
  tar -C "$stage" --owner=0 --group=0 --numeric-owner --use-compress-program="gzip -1" -cf "$stage/${top}_linux_amd64.tar.gz" "$top"
  (cd "$stage" && sha256sum "${top}_linux_amd64.tar.gz" >SHA256SUMS)
  mv "$stage/${top}_linux_amd64.tar.gz" "$out/"
  mv "$stage/SHA256SUMS" "$out/SHA256SUMS"
  printf '%s\n' "$sums" >"$out/.binaries"
  echo "$out/${top}_linux_amd64.tar.gz"
}

# Everything runs from main, read whole before it starts: editing this file mid-run is safe.
main() {
  [ $# -ge 1 ] || usage
  local sub=$1
  shift
  case $sub in
    up) [ $# = 0 ] || usage; cmd_up ;;
    down) [ $# = 0 ] || usage; cmd_down ;;
    status) cmd_status ;;
    info) cmd_info ;;
    add-a) cmd_add_a "$@" ;;
    clear-a) cmd_clear_a "$@" ;;
    root-ca) cmd_root_ca ;;
    release) cmd_release "$@" ;;
    *) usage ;;
  esac
}

main "$@"
exit $?
