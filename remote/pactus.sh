#!/usr/bin/env bash
# Step 3: the pinned Pactus release, checksum-verified, under systemd as its own user, APIs on loopback.
# Inputs: PSN_VERSION, PSN_NETWORK, PSN_RELEASE_BASE_URL, PSN_VALIDATORS, PSN_CONFIG (config.toml),
#   PSN_UNIT (systemd unit), PSN_INIT_PY (the pty init helper); where things go: PSN_USER (service user),
#   PSN_HOME (its home), PSN_WORKING_DIR, PSN_CONFIG_PATH, PSN_ETC_DIR, PSN_PASSWORD_FILE, PSN_INSTALL_DIR
#   (versioned, in the install root), PSN_INSTALL_ROOT, PSN_UNIT_PATH, PSN_SERVICE (unit name), PSN_RUN_DIR,
#   PSN_STATE_DIR, PSN_GRPC_PORT (the node's gRPC port on loopback), PSN_PROTOCOLS (block protocol per
#   release line, "1.15=3 1.16=4"), PSN_HEALTH_TIMEOUT (s), PSN_DRAIN_FLAG (present while the node
#   restarts: nginx answers the APIs with its JSON 502 instead of calling a starting daemon).
# Optional, for a node joining another node's localnet (late inputs: node 1's pactus step output):
#   PSN_GENESIS_JSON (node 1's genesis.json, byte for byte) and PSN_BOOTSTRAP_ADDRS (node 1's P2P
#   multiaddr(s), space-separated, into [network] bootstrap_addrs). A node on another genesis moves to
#   this one: stopped, genesis replaced, its old chain's data removed, the wallet kept (pactus-init.py).
# On localnet its last output line is {"localnet":{"genesis","genesisSha256","peerId"}}: what the other
#   nodes of the fleet are given (psn_pactus_chain).
# PSN_SECRETS (set from the step's secret stdin, never from argv): WALLET_PASSWORD=<base64> and
#   optionally MNEMONIC=<base64> and BASIC_AUTH=<base64> (apis.basicAuth, `user:<bcrypt hash>`) lines,
#   and with basic auth API_USER/API_PASSWORD for the health checks. Never in output; see
#   psn_pactus_state for the one short call that takes the API credentials as flags.
#
# Upgrades (pactus.version changed): the new release is installed beside the running one, the unit
# switches to it and the node restarts once; then the node must be healthy on the new version within
# PSN_HEALTH_TIMEOUT (serving gRPC from the unit's process, reporting the pinned version, its height not
# below the height before, and a new block if it was making blocks). If not, the previous unit and
# config.toml go back, the node restarts on the previous release (still on disk: nothing downloads),
# and the step fails saying what was seen. The install root keeps the running and the previous release
# only. Going back to a release line with an older block protocol is refused before anything changes.
set -euo pipefail
PSN_STEP=pactus
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_VERSION PSN_NETWORK PSN_RELEASE_BASE_URL PSN_VALIDATORS PSN_CONFIG PSN_UNIT PSN_INIT_PY \
  PSN_USER PSN_HOME PSN_WORKING_DIR PSN_CONFIG_PATH PSN_ETC_DIR PSN_PASSWORD_FILE PSN_INSTALL_DIR \
  PSN_INSTALL_ROOT PSN_UNIT_PATH PSN_SERVICE PSN_RUN_DIR PSN_STATE_DIR PSN_GRPC_PORT PSN_PROTOCOLS \
  PSN_HEALTH_TIMEOUT PSN_DRAIN_FLAG
umask 077

user=$PSN_USER home=$PSN_HOME wd=$PSN_WORKING_DIR etc=$PSN_ETC_DIR
install_dir=$PSN_INSTALL_DIR
unit=$PSN_UNIT_PATH service=$PSN_SERVICE
run_dir=$PSN_RUN_DIR

password=$(psn_secret WALLET_PASSWORD)
mnemonic=$(psn_secret MNEMONIC)
basic_auth=$(psn_secret BASIC_AUTH)
psn_api_user=$(psn_secret API_USER)
psn_api_password=$(psn_secret API_PASSWORD)
unset PSN_SECRETS
[ -n "$password" ] || psn_die "no wallet password given (pactus.walletPassword)"
genesis_json=${PSN_GENESIS_JSON:-} bootstrap_addrs=${PSN_BOOTSTRAP_ADDRS:-}
if { [ -n "$genesis_json" ] || [ -n "$bootstrap_addrs" ]; } && [ "$PSN_NETWORK" != localnet ]; then
  psn_die "a genesis or bootstrap addresses to join are for localnet only, not $PSN_NETWORK (a bug)"
fi

changed=0
tmp=''
# On any exit, even a dropped SSH session: the download dir goes, and nginx calls the node again.
trap 'rm -rf "$tmp"; rm -f "$PSN_DRAIN_FLAG"' EXIT
trap 'exit 129' HUP
trap 'exit 143' TERM
# drain: from now until the node is healthy, nginx answers API calls with its JSON 502 (a daemon that
# is starting can answer wrongly: NOT_FOUND for blocks it has, seen on 1.16.0's first start).
drain() {
  install -d -m 0711 "$(dirname "$PSN_DRAIN_FLAG")"
  install -m 0644 /dev/null "$PSN_DRAIN_FLAG"
}

# 0. What runs now: the release the installed unit starts (its ExecStart is <install root>/<version>/…).
current=
if [ -f "$unit" ]; then
  current=$(sed -n "s|^ExecStart=$PSN_INSTALL_ROOT/\([^/ ]*\)/pactus-daemon .*|\1|p" "$unit")
fi
# protocol_of VERSION: the block protocol of VERSION's release line (empty when unknown).
protocol_of() {
  local entry
  for entry in $PSN_PROTOCOLS; do
    if [ "${entry%%=*}" = "${1%.*}" ]; then
      printf '%s' "${entry#*=}"
      return
    fi
  done
}
upgrade=0
if [ -n "$current" ] && [ "$current" != "$PSN_VERSION" ] && [ -f "$wd/genesis.json" ]; then
  upgrade=1
  newer=$(printf '%s\n%s\n' "$current" "$PSN_VERSION" | sort -V | tail -n1)
  if [ "$newer" = "$current" ]; then
    from=$(protocol_of "$current") to=$(protocol_of "$PSN_VERSION")
    if [ -z "$from" ] || [ -z "$to" ] || [ "$to" -lt "$from" ]; then
      psn_die "pactus.version $PSN_VERSION is a downgrade from the running $current, whose block protocol (${from:-unknown}) is newer than ${PSN_VERSION}'s (${to:-unknown}): once the network activates it, $PSN_VERSION cannot follow the chain or read what $current wrote. Refused; nothing was changed, the node still runs $current. Set pactus.version back to $current (see the README, Upgrades)."
    fi
    psn_log "downgrade $current -> $PSN_VERSION within block protocol $to"
  fi
fi

# 1. Release: download, verify against SHA256SUMS before anything is touched, install versioned.
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) psn_die "no Pactus release for CPU $(uname -m)" ;;
esac
file="pactus-cli_${PSN_VERSION}_linux_${arch}.tar.gz"
if [ -x "$install_dir/pactus-daemon" ] && [ -f "$install_dir/.sha256" ]; then
  psn_log "release $PSN_VERSION already installed ($(cat "$install_dir/.sha256"))"
else
  tmp=$(mktemp -d)
  url="$PSN_RELEASE_BASE_URL/v$PSN_VERSION"
  psn_log "downloading $url/$file"
  curl -fsSL --retry 3 --retry-connrefused -o "$tmp/SHA256SUMS" "$url/SHA256SUMS" || psn_die "cannot download $url/SHA256SUMS"
  curl -fsSL --retry 3 --retry-connrefused -o "$tmp/$file" "$url/$file" || psn_die "cannot download $url/$file"
  expected=$(awk -v f="$file" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/SHA256SUMS")
  [ -n "$expected" ] || psn_die "SHA256SUMS from $url has no line for $file"
  actual=$(sha256sum "$tmp/$file" | cut -d' ' -f1)
  [ "$expected" = "$actual" ] || psn_die "checksum mismatch for $file: SHA256SUMS says $expected, the download is $actual; nothing was installed"
  mkdir "$tmp/x"
  tar -xzf "$tmp/$file" -C "$tmp/x"
  src="$tmp/x/pactus-cli_$PSN_VERSION"
  for b in pactus-daemon pactus-wallet; do
    [ -x "$src/$b" ] || psn_die "$file has no pactus-cli_$PSN_VERSION/$b"
  done
  printf '%s\n' "$actual" >"$src/.sha256"
  chmod 0755 "$src" "$src"/pactus-*
  mkdir -p "$(dirname "$install_dir")"
  chmod 0755 "$(dirname "$install_dir")"
  rm -rf "$install_dir.psn-new"
  mv "$src" "$install_dir.psn-new"
  mv -T "$install_dir.psn-new" "$install_dir"
  "$install_dir/pactus-daemon" version >/dev/null || psn_die "the installed pactus-daemon does not run on this host"
  psn_log "installed Pactus $PSN_VERSION ($actual) in $install_dir"
  changed=1
fi

# 2. Service user and secrets (0600, owned by the service user).
if ! id -u "$user" >/dev/null 2>&1; then
  useradd --system --home-dir "$home" --create-home --shell /usr/sbin/nologin --user-group "$user"
  psn_log "created system user $user"
fi
install -d -m 0750 -o root -g "$user" "$etc"
install -d -m 0700 -o "$user" -g "$user" "$home"
if psn_write_file "$PSN_PASSWORD_FILE" 0600 "$user:$user" "$password"; then changed=1; fi

# 3. Working dir: initialised once (new wallet, or restored from the mnemonic), through a pty helper;
# a joining localnet node: on node 1's genesis (again when node 1's genesis changed).
other_genesis=0
if [ -n "$genesis_json" ] && [ -f "$wd/genesis.json" ] && ! printf '%s' "$genesis_json" | cmp -s - "$wd/genesis.json"; then
  other_genesis=1
fi
if [ ! -f "$wd/genesis.json" ] || [ "$other_genesis" = 1 ]; then
  install -d -m 0700 -o root -g root "$run_dir"
  printf '%s' "$PSN_INIT_PY" >"$run_dir/pactus-init.py"
  args=(--bin-dir "$install_dir" --working-dir "$wd" --network "$PSN_NETWORK" --val-num "$PSN_VALIDATORS"
    --password-file "$PSN_PASSWORD_FILE")
  if [ -n "$genesis_json" ]; then
    printf '%s' "$genesis_json" >"$run_dir/genesis.json"
    chown "$user:$user" "$run_dir/genesis.json"
    args+=(--genesis-file "$run_dir/genesis.json")
  fi
  if [ "$other_genesis" = 1 ] && systemctl is-active --quiet "$service"; then
    drain
    psn_log "stopping $service: the node moves to node 1's localnet (another genesis)"
    systemctl stop "$service"
  fi
  if [ -n "$mnemonic" ]; then
    printf '%s' "$mnemonic" >"$run_dir/mnemonic"
    chown "$user:$user" "$run_dir/mnemonic"
    args+=(--mnemonic-file "$run_dir/mnemonic")
  fi
  chmod 0711 "$run_dir"
  chmod 0644 "$run_dir/pactus-init.py"
  if ! out=$(runuser -u "$user" -- python3 "$run_dir/pactus-init.py" "${args[@]}" 2>&1); then
    rm -f "$run_dir/mnemonic" "$run_dir/genesis.json"
    psn_die "initialising the node failed: $out"
  fi
  rm -f "$run_dir/mnemonic" "$run_dir/genesis.json"
  printf '%s\n' "$out" | grep -v '^{' || true
  mkdir -p "$PSN_STATE_DIR"
  # Only a new wallet prints its validators (moving to another genesis keeps the wallet and its record).
  if printf '%s\n' "$out" | grep -q '^{"validators"'; then
    printf '%s\n' "$out" | grep '^{"validators"' >"$PSN_STATE_DIR/validators.json"
  fi
  changed=1
fi

# 4. Health: gRPC served by the unit's own process (which holds the working dir's lock), the version it
# reports equal to WANT, its height at least MIN, and a block above MIN when NEED_BLOCK=1. Waits up to
# PSN_HEALTH_TIMEOUT s; `seen` says what was wrong last, `healthy_height` the height once healthy.
seen='' healthy_height=''
wait_healthy() {
  local want=$1 min=$2 need_block=$3 deadline v h t
  deadline=$((SECONDS + PSN_HEALTH_TIMEOUT))
  while :; do
    seen=$(psn_pactus_problem "$service" "$wd" "$PSN_GRPC_PORT")
    if [ -z "$seen" ]; then
      read -r v h t <<<"$(psn_pactus_state "$PSN_INSTALL_ROOT/$want/pactus-shell" "$PSN_GRPC_PORT")"
      if [ -z "${v:-}" ]; then
        seen="gRPC on port $PSN_GRPC_PORT does not answer GetNodeInfo and GetBlockchainInfo"
      elif [ "$v" != "$want" ]; then
        seen="the node reports version $v, not $want"
      elif [ "$h" -lt "$min" ]; then
        seen="its height $h is below $min, the height before the switch"
      elif [ "$need_block" = 1 ] && [ "$h" -le "$min" ]; then
        seen="no new block since height $min (the last at $(date -u -d "@$t" +%H:%M:%S) UTC)"
      else
        healthy_height=$h
        return 0
      fi
    fi
    [ "$SECONDS" -lt "$deadline" ] || return 1
    # Short: while the node restarts, nginx answers 502 until this loop sees it healthy.
    sleep 0.2
  done
}

# Before an upgrade: the height, and whether the node was making blocks (one in the last minute).
before_height=0 need_block=0
if [ "$upgrade" = 1 ]; then
  read -r v h t <<<"$(psn_pactus_state "$PSN_INSTALL_ROOT/$current/pactus-shell" "$PSN_GRPC_PORT")"
  if [ -n "${v:-}" ]; then
    before_height=$h
    if [ $(($(date +%s) - t)) -le 60 ]; then need_block=1; fi
    psn_log "upgrading Pactus $current -> $PSN_VERSION at height $h$([ "$need_block" = 1 ] && echo ", making blocks")"
  else
    psn_log "upgrading Pactus $current -> $PSN_VERSION (the running node did not answer)"
  fi
  # The unit and config.toml of the running release, for the rollback.
  rollback=$(mktemp -d)
  cp -p "$unit" "$rollback/unit"
  if [ -f "$PSN_CONFIG_PATH" ]; then cp -p "$PSN_CONFIG_PATH" "$rollback/config.toml"; fi
fi

# 5. Config (with the basic_auth line when apis.basicAuth is set: 0640, owner and group pactus) and unit.
psn_pactus_config "$PSN_CONFIG" "$basic_auth" "$bootstrap_addrs"
if [ -n "$bootstrap_addrs" ]; then psn_log "config.toml: bootstrap peer(s) $bootstrap_addrs"; fi
if [ -n "$basic_auth" ]; then psn_log "config.toml: the APIs require basic auth (apis.basicAuth)"; fi
unset basic_auth
if psn_write_file "$PSN_CONFIG_PATH" 0640 "$user:$user" "$config_toml"; then changed=1; fi
if psn_write_file "$unit" 0644 root:root "$PSN_UNIT"; then
  systemctl daemon-reload
  changed=1
fi
systemctl enable "$service" >/dev/null 2>&1

# 6. (Re)start only when something changed or it is not running: once. Healthy in two phases: serving
# the chain (then nginx passes calls again), then, if it was making blocks, a new block.
if [ "$changed" = 1 ] || ! systemctl is-active --quiet "$service"; then
  if systemctl is-active --quiet "$service"; then drain; fi
  psn_log "restarting $service"
  systemctl restart "$service"
fi
healthy() {
  wait_healthy "$1" "$2" 0 || return 1
  rm -f "$PSN_DRAIN_FLAG"
  [ "$3" = 0 ] || wait_healthy "$1" "$2" 1
}
# A node joining node 1's localnet: serving is not enough, it must be on the chain (height 1 or more).
# Pactus 1.16 sometimes keeps a first connection to its bootstrap peer without the handshake that starts
# the sync (it then receives gossip but asks for no block, seen in the sandbox, more often on a busy
# machine): a restart redials, every 45 s until the timeout.
joined() {
  local deadline restart_at v h t
  deadline=$((SECONDS + PSN_HEALTH_TIMEOUT))
  restart_at=$((SECONDS + 45))
  while :; do
    read -r v h t <<<"$(psn_pactus_state "$PSN_INSTALL_ROOT/$PSN_VERSION/pactus-shell" "$PSN_GRPC_PORT")"
    if [ -n "${h:-}" ] && [ "$h" -ge 1 ]; then
      psn_log "joined the chain of $bootstrap_addrs: height $h"
      return 0
    fi
    [ "$SECONDS" -lt "$deadline" ] || return 1
    if [ "$SECONDS" -ge "$restart_at" ]; then
      psn_log "no block from the bootstrap peer for 45 s: restarting $service to redial it"
      systemctl restart "$service"
      restart_at=$((SECONDS + 45))
    fi
    sleep 1
  done
}
if ! healthy "$PSN_VERSION" "$before_height" "$need_block"; then
  [ "$upgrade" = 1 ] || psn_die "$service is not healthy after $PSN_HEALTH_TIMEOUT s: $seen"
  failed=$seen
  logs=$(journalctl -u "$service" -n 12 --no-pager -o cat 2>&1 | sed 's/\x1b\[[0-9;]*m//g; s/^/    /')
  psn_log "Pactus $PSN_VERSION is not healthy after $PSN_HEALTH_TIMEOUT s ($failed): rolling back to $current"
  cp -p "$rollback/unit" "$unit"
  if [ -f "$rollback/config.toml" ]; then cp -p "$rollback/config.toml" "$PSN_CONFIG_PATH"; fi
  systemctl daemon-reload
  drain
  systemctl restart "$service"
  if ! healthy "$current" "$before_height" 0; then
    psn_die "upgrade to Pactus $PSN_VERSION failed ($failed), and the rollback to $current is not healthy either after $PSN_HEALTH_TIMEOUT s: $seen. $PSN_VERSION's last log lines:
$logs"
  fi
  # The failed release goes: the next attempt downloads and verifies it again.
  rm -rf "$install_dir"
  rm -rf "$rollback"
  psn_die "upgrade to Pactus $PSN_VERSION failed: not healthy within $PSN_HEALTH_TIMEOUT s: $failed. Its last log lines:
$logs
Rolled back: the node runs Pactus $current again (healthy, height $healthy_height), with the same wallet, config and chain. Set pactus.version to $current, or fix the cause and run pulumi up again."
fi
if [ "$upgrade" = 1 ]; then
  rm -rf "$rollback"
  # Keep the running release and the previous one (the rollback target), nothing older.
  for d in "$PSN_INSTALL_ROOT"/*; do
    v=${d##*/}
    if [ -d "$d" ] && [ "$v" != "$PSN_VERSION" ] && [ "$v" != "$current" ]; then
      rm -rf "$d"
      psn_log "removed release $v (only the running and the previous release are kept)"
    fi
  done
  psn_log "upgraded Pactus $current -> $PSN_VERSION: healthy at height $healthy_height"
fi
if [ -n "$bootstrap_addrs" ] && ! joined; then
  logs=$(journalctl -u "$service" -n 20 --no-pager -o cat 2>&1 | sed 's/\x1b\[[0-9;]*m//g; s/^/    /')
  psn_die "$service serves, but got no block from its bootstrap peer $bootstrap_addrs within $PSN_HEALTH_TIMEOUT s (is node 1 up, and its P2P port open to this host?). Its last log lines:
$logs"
fi
pid=$(systemctl show -p MainPID --value "$service")
psn_log "pactus $PSN_VERSION running as $user (pid $pid), gRPC on loopback port $PSN_GRPC_PORT, height $healthy_height"
if [ -f "$PSN_STATE_DIR/validators.json" ]; then cat "$PSN_STATE_DIR/validators.json"; fi
# Last: this node's chain identity, which the stack gives the other nodes of a localnet fleet.
if [ "$PSN_NETWORK" = localnet ]; then
  chain=$(psn_pactus_chain "$install_dir/pactus-shell" "$PSN_GRPC_PORT" "$wd")
  [ -n "$chain" ] || psn_die "the node's peer id (GetNodeInfo on port $PSN_GRPC_PORT) or $wd/genesis.json cannot be read"
  printf '%s\n' "$chain"
fi
