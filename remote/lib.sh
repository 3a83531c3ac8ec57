# shellcheck shell=bash
# Helpers shared by the host steps. At deploy time this file is inlined in place of the
# `. "$(dirname ...)/lib.sh"` line of each step, so a step is one self-contained `bash -c` script.
# Host paths, ports and names are never written here or in a step: they are the step's inputs, made from
# components/render/paths.ts (e.g. PSN_STATE_DIR, where the steps record what destroy must undo).

psn_log() { printf '[%s] %s\n' "${PSN_STEP:-psn}" "$*"; }
psn_die() {
  printf '[%s] error: %s\n' "${PSN_STEP:-psn}" "$*" >&2
  exit 1
}

psn_require_root() {
  [ "$(id -u)" -eq 0 ] || psn_die "must run as root; give the SSH user passwordless sudo (the stack runs 'sudo -n')"
}

# psn_require_env VAR... : fails naming the first empty input.
psn_require_env() {
  local v
  for v in "$@"; do
    [ -n "${!v:-}" ] || psn_die "input $v is empty (the stack always sets it: a bug, or a hand-run without it)"
  done
}

# psn_write_file PATH MODE OWNER CONTENT: writes atomically when the content, mode or owner differ.
# Returns 0 when it changed something, 1 when the file was already as wanted.
psn_write_file() {
  local dest=$1 mode=$2 owner=$3 content=$4 tmp
  if [ -f "$dest" ] && [ "$(stat -c '%a %U:%G' "$dest")" = "${mode#0} $owner" ] &&
    printf '%s' "$content" | cmp -s - "$dest"; then
    return 1
  fi
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp "$dest.psn-XXXXXX")
  printf '%s' "$content" >"$tmp"
  chmod "$mode" "$tmp"
  chown "$owner" "$tmp"
  mv -f "$tmp" "$dest"
  return 0
}

# psn_secret KEY: the decoded value of the KEY=<base64> line in PSN_SECRETS (the step's secret stdin),
# empty when there is none. Only ever capture it (v=$(psn_secret KEY)); never print it.
psn_secret() {
  local line
  while IFS= read -r line; do
    # Split at the first "=" only: base64 padding ("=", "==") belongs to the value.
    if [ "${line%%=*}" = "$1" ]; then
      printf '%s' "${line#*=}" | base64 -d
      return
    fi
  done <<<"${PSN_SECRETS:-}"
}

psn_wait_apt() {
  local i
  for i in $(seq 1 120); do
    if ! fuser /var/lib/dpkg/lock-frontend /var/lib/apt/lists/lock >/dev/null 2>&1; then
      return 0
    fi
    [ "$i" = 1 ] && psn_log "waiting for another apt/dpkg (cloud-init, unattended-upgrades) to finish"
    sleep 2
  done
  psn_die "apt is locked by another process for 4 minutes; retry 'pulumi up' when it is done"
}

# psn_apt_install PKG...: installs only the missing packages and records them, so the delete
# step removes exactly what this stack added.
psn_apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  psn_require_env PSN_STATE_DIR
  psn_log "installing: ${missing[*]}"
  psn_wait_apt
  export DEBIAN_FRONTEND=noninteractive
  # Once per step: the lists are fresh for the rest of it.
  if [ -z "${psn_apt_updated:-}" ]; then
    apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null || psn_die "apt-get update failed"
    psn_apt_updated=1
  fi
  apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null ||
    psn_die "apt-get install ${missing[*]} failed"
  mkdir -p "$PSN_STATE_DIR"
  printf '%s\n' "${missing[@]}" >>"$PSN_STATE_DIR/installed-packages"
}

psn_reload_nginx() {
  if systemctl is-active --quiet nginx; then
    systemctl reload nginx
  else
    systemctl enable --now nginx >/dev/null 2>&1 || systemctl start nginx
  fi
}

# psn_nginx_site PATH CONTENT: installs the site at PATH (in sites-available), enables it, tests the
# whole nginx config and reloads. On a failed test it puts the previous file back, so the
# running nginx keeps serving its last good config, and fails the step with nginx's message.
psn_nginx_site() {
  local avail=$1 content=$2 name=${1##*/}
  local enabled=/etc/nginx/sites-enabled/$name
  local backup="" had_link=0 out
  [ -L "$enabled" ] && had_link=1
  if [ -f "$avail" ]; then
    backup=$(mktemp)
    cp -p "$avail" "$backup"
  fi
  if ! psn_write_file "$avail" 0644 root:root "$content" && [ "$had_link" = 1 ]; then
    [ -n "$backup" ] && rm -f "$backup"
    psn_log "nginx site $name unchanged"
    systemctl is-active --quiet nginx || psn_reload_nginx
    return 0
  fi
  ln -sfn "$avail" "$enabled"
  if ! out=$(nginx -t 2>&1); then
    if [ -n "$backup" ]; then mv -f "$backup" "$avail"; else rm -f "$avail"; fi
    [ "$had_link" = 1 ] || rm -f "$enabled"
    psn_die "nginx rejected the new $name config, the previous one stays in service: $out"
  fi
  [ -n "$backup" ] && rm -f "$backup"
  psn_reload_nginx
  psn_log "nginx site $name installed and reloaded"
}

# psn_remove_nginx_site PATH: disables and removes the site at PATH, then reloads if nginx still runs.
psn_remove_nginx_site() {
  rm -f "/etc/nginx/sites-enabled/${1##*/}" "$1"
  if command -v nginx >/dev/null && systemctl is-active --quiet nginx && nginx -t -q 2>/dev/null; then
    systemctl reload nginx
  fi
}

# psn_lock_holders FILE: the PIDs holding a lock on FILE (from /proc/locks), one per line.
psn_lock_holders() {
  local d ino dev
  d=$(stat -c %d "$1" 2>/dev/null) || return 0
  ino=$(stat -c %i "$1")
  dev=$(printf '%02x:%02x:%s' $(((d >> 8) & 0xfff)) $(((d & 0xff) | ((d >> 12) & 0xfff00))) "$ino")
  awk -v dev="$dev" '$2 != "->" && $6 == dev && $5 > 0 { print $5 }' /proc/locks | sort -u
}

# psn_pactus_problem SERVICE WORKING_DIR GRPC_PORT: prints why SERVICE (the node's systemd unit) is not
# the healthy node of WORKING_DIR (nothing when it is). `pactus-daemon start` exits 0 when another
# process holds the working dir's lock, so "active" or "restarted" alone proves nothing: the lock, the
# MainPID and the gRPC listener must all belong to the unit.
psn_pactus_problem() {
  local service=$1 wd=$2 port=$3 main_pid h owner
  main_pid=$(systemctl show -p MainPID --value "$service")
  for h in $(psn_lock_holders "$wd/.pactus.lock"); do
    if [ "$h" != "$main_pid" ]; then
      printf "the node's lock %s is held by pid %s (%s), not by %s (MainPID %s): the unit's pactus-daemon exits 0 with 'another instance is running?' and restarts in a loop. Stop pid %s (a daemon started by hand?), then run 'pulumi up' again" \
        "$wd/.pactus.lock" "$h" "$(tr '\0' ' ' <"/proc/$h/cmdline" 2>/dev/null | cut -c1-120)" "$service" "$main_pid" "$h"
      return 0
    fi
  done
  if [ "$main_pid" = 0 ]; then
    printf '%s is not running (%s, %s restarts): %s' "$service" "$(systemctl show -p SubState --value "$service")" \
      "$(systemctl show -p NRestarts --value "$service")" "$(journalctl -u "$service" -n 5 --no-pager -o cat 2>&1 | tr '\n' ' ')"
    return 0
  fi
  owner=$(ss -Hltnp "sport = :$port" | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2 || true)
  if [ -z "$owner" ]; then
    printf '%s (MainPID %s) does not listen on gRPC port %s: %s' "$service" "$main_pid" "$port" \
      "$(journalctl -u "$service" -n 5 --no-pager -o cat 2>&1 | tr '\n' ' ')"
  elif [ "$owner" != "$main_pid" ]; then
    printf 'gRPC port %s is held by pid %s, not by %s (MainPID %s)' "$port" "$owner" "$service" "$main_pid"
  fi
}

# psn_pactus_state SHELL PORT: "<version> <height> <last block unix time>" as the node on loopback PORT
# reports them (GetNodeInfo's agent, GetBlockchainInfo), asked with SHELL (a release's pactus-shell);
# nothing when it does not answer. With basic auth, psn_api_user/psn_api_password (set by the caller
# from its secret stdin) are passed to pactus-shell, which takes them only as flags: they are in the
# argv of that one short call (< 1 s), never of a long-running process.
psn_pactus_state() {
  local shell=$1 port=$2 auth=() info chain
  if [ -n "${psn_api_user:-}" ]; then
    auth=(--auth-username "$psn_api_user" --auth-password "${psn_api_password:-}")
  fi
  info=$("$shell" network get-node-info -s "127.0.0.1:$port" --timeout 5s -o json -f - "${auth[@]}" <<<'{}' 2>/dev/null) || return 0
  chain=$("$shell" blockchain get-blockchain-info -s "127.0.0.1:$port" --timeout 5s -o json -f - "${auth[@]}" <<<'{}' 2>/dev/null) || return 0
  python3 -c '
import json, re, sys
info, chain = json.loads(sys.argv[1]), json.loads(sys.argv[2])
m = re.search(r"node-version=v?([0-9][^/]*)", info.get("agent", ""))
# protojson leaves out zero values and writes int64 as strings.
print(m.group(1) if m else "unknown", int(chain.get("lastBlockHeight", 0)), int(chain.get("lastBlockTime", 0)))
' "$info" "$chain" 2>/dev/null || true
}

# psn_config_set ANCHOR LINE WHAT: in config_toml, replaces its single ANCHOR (a whole line with the
# newlines around it) by LINE; fails naming WHAT when config_toml has no single ANCHOR.
psn_config_set() {
  local anchor=$1 line=$2 what=$3 head tail
  head=${config_toml%%"$anchor"*}
  tail=${config_toml#*"$anchor"}
  if [ "$head" = "$config_toml" ] || [[ $tail == *"$anchor"* ]]; then
    psn_die "the rendered config.toml has no single '$what' line to set (a bug)"
  fi
  config_toml=$head$'\n'$line$'\n'$tail
}

# psn_pactus_config CONFIG BASIC_AUTH [BOOTSTRAP_ADDRS]: sets config_toml to CONFIG (the rendered
# config.toml, whose [grpc] has `basic_auth = ""` and, on localnet, whose [network] has
# `bootstrap_addrs = []`) with basic_auth set to BASIC_AUTH and bootstrap_addrs to the space-separated
# multiaddrs BOOTSTRAP_ADDRS (a node joining a localnet fleet: node 1's), those that are given. The
# stack made both; they are checked again here so neither can break the TOML: the daemon loads
# config.toml strictly and would move a malformed file aside.
psn_pactus_config() {
  local config=$1 value=$2 addrs=${3:-} a list=''
  config_toml=$config
  if [ -n "$value" ]; then
    [[ $value =~ ^[A-Za-z0-9._@+-]{1,64}:\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$ ]] ||
      psn_die "apis.basicAuth is not a <user>:<bcrypt hash> line (the stack validates it: a bug, or a hand-run)"
    psn_config_set $'\nbasic_auth = ""\n' "basic_auth = \"$value\"" 'basic_auth = ""'
  fi
  if [ -n "$addrs" ]; then
    for a in $addrs; do
      [[ $a =~ ^/(ip4|ip6|dns|dns4|dns6)/[A-Za-z0-9.:-]{1,253}/tcp/[0-9]{1,5}/p2p/[1-9A-HJ-NP-Za-km-z]{40,64}$ ]] ||
        psn_die "bootstrap address '$a' is not /ip4|ip6|dns/<host>/tcp/<port>/p2p/<peer id> (the stack makes it from node 1's address and peer id: a bug, or a hand-run)"
      list+="${list:+, }\"$a\""
    done
    psn_config_set $'\nbootstrap_addrs = []\n' "bootstrap_addrs = [ $list ]" 'bootstrap_addrs = []'
  fi
}

# psn_pactus_chain SHELL PORT WORKING_DIR: one JSON line {"localnet":{"genesis":…,"genesisSha256":…,
# "peerId":…}}: what another node needs to join this node's localnet (its genesis.json, and its P2P
# identity from GetNodeInfo on loopback PORT, asked with SHELL as psn_pactus_state does). Nothing
# when the node does not answer.
psn_pactus_chain() {
  local shell=$1 port=$2 wd=$3 auth=() info
  if [ -n "${psn_api_user:-}" ]; then
    auth=(--auth-username "$psn_api_user" --auth-password "${psn_api_password:-}")
  fi
  info=$("$shell" network get-node-info -s "127.0.0.1:$port" --timeout 5s -o json -f - "${auth[@]}" <<<'{}' 2>/dev/null) || return 0
  python3 -c '
import hashlib, json, sys
info = json.loads(sys.argv[1])
with open(sys.argv[2], "rb") as f:
    genesis = f.read()
if info.get("peerId"):
    print(json.dumps({"localnet": {"genesis": genesis.decode(), "genesisSha256": hashlib.sha256(genesis).hexdigest(),
                                   "peerId": info["peerId"]}}, separators=(",", ":")))
' "$info" "$wd/genesis.json" 2>/dev/null || true
}
