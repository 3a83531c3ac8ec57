#!/usr/bin/env bash
# npm run sandbox / sandbox:down — the whole deployment on this machine with the real engine:
#   up [--image debian-13|debian-12]
#         build what is missing, start the services and the host (a fresh cloud-like VM of the image,
#         default debian-13; PSN_IMAGE works too), `pulumi up --yes` the sandbox stack as its admin
#         user, run the three ping.pactus.org checks from outside the host, write .sandbox/outputs.json.
#         On a running sandbox it is an `up` that changes nothing (the running host keeps its image).
#   down  `pulumi destroy`, then stop the host and the services (by PID) and remove their namespaces;
#         the services only when no other host runs and PSN_KEEP_SERVICES is not 1.
#   env   print the environment the pulumi commands run with (for tests: `eval "$(deploy.sh env)"`).
#   check run the three checks again and rewrite outputs.json.
#   prepare  everything `up` does before the host starts and the engine runs (tests start a late host).
# Every command takes --host N (or PSN_SANDBOX_HOST=N; default 1): sandbox host N is its own host
# (node / nodeN at 10.231.N.2), domain (node.pactus.test / nodeN.pactus.test), stack (sandbox /
# sandboxN) and outputs file; the services are shared, and stop with the last host.
# --nodes K (or PSN_NODES=K; default 1): a fleet of K nodes in host N's stack, on hosts N..N+K-1,
# behind the shared name rpc.pactus.test (rpcN.pactus.test), certificates by DNS-01 through the
# sandbox's DNS server (named, RFC 2136); every command of a fleet takes the same --nodes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SANDBOX_DIR=${SANDBOX_DIR:-$ROOT/.sandbox}
export SANDBOX_DIR
SB=$ROOT/tools/sandbox
# Host N's names; set by for_host (from --host or PSN_SANDBOX_HOST).
HOST_INDEX='' HOST_NAME='' HOST_ADDR='' STACK='' RUN_CONFIG='' OUTPUTS='' NODES=1
for_host() {
  if ! [[ $1 =~ ^[1-9][0-9]{0,2}$ ]] || [ "$1" -gt 254 ]; then die "--host $1: a number from 1 to 254"; fi
  HOST_INDEX=$1
  HOST_ADDR=10.231.$1.2
  if [ "$1" = 1 ]; then
    HOST_NAME=node STACK=sandbox OUTPUTS=$SANDBOX_DIR/outputs.json
  else
    HOST_NAME=node$1 STACK=sandbox$1 OUTPUTS=$SANDBOX_DIR/outputs.sandbox$1.json
  fi
  RUN_CONFIG=$SANDBOX_DIR/Pulumi.$STACK.yaml
}

PSN_LOG=sandbox
# shellcheck source=SCRIPTDIR/common.sh
. "$SB/common.sh"
die() {
  log "error: $*"
  exit 1
}

# The committed stack file is host 1's; host N gets the same with its own name and address.
domain() {
  local d
  d=$(sed -n 's/^  pactus-secure-node:domain: //p' "$ROOT/Pulumi.sandbox.yaml")
  if [ "$HOST_INDEX" = 1 ]; then echo "$d"; else echo "${d/#node./node$HOST_INDEX.}"; fi
}
# Node j of the fleet (0 = host N itself): its host index, host name, domain and address.
node_index() { echo $((HOST_INDEX + $1)); }
node_host_name() {
  local i
  i=$(node_index "$1")
  if [ "$i" = 1 ]; then echo node; else echo "node$i"; fi
}
node_domain() {
  local d
  d=$(sed -n 's/^  pactus-secure-node:domain: //p' "$ROOT/Pulumi.sandbox.yaml")
  echo "${d/#node./$(node_host_name "$1").}"
}
node_addr() { echo "10.231.$(node_index "$1").2"; }
# The fleet's shared name: rpc.pactus.test for host 1's stack, rpcN.pactus.test for host N's.
public_name() {
  local d
  d=$(domain)
  if [ "$HOST_INDEX" = 1 ]; then echo "rpc.${d#*.}"; else echo "rpc$HOST_INDEX.${d#*.}"; fi
}
pactus_version() { sed -n "s/^${1:-PACTUS_VERSION}=//p" "$ROOT/tools/versions.env"; }

# The engine's environment: local backend, sandbox-only passphrase, no network plugin downloads.
engine_env() {
  local bin
  bin=$(bash "$ROOT/tools/toolchain/build.sh" --print-bin)
  export PATH="$bin:$ROOT/node_modules/.bin:$PATH"
  export PULUMI_HOME=$SANDBOX_DIR/pulumi-home
  export PULUMI_BACKEND_URL=file://$SANDBOX_DIR/state
  export PULUMI_CONFIG_PASSPHRASE=pactus-sandbox
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
  # Use the installed command plugin, not the copy on PATH (which would warn on every run).
  export PULUMI_IGNORE_AMBIENT_PLUGINS=true
  # The program runs transpile-only: lint's tsc type-checks it once, where ts-node would again on every
  # preview, up and destroy (measured: 20 s of CPU and 860 MB each, against 3 s and 170 MB).
  export PULUMI_NODEJS_TRANSPILE_ONLY=true
  export PSN_BIN_DIR=$bin
  mkdir -p "$SANDBOX_DIR/state" "$PULUMI_HOME"
}

cmd_env() {
  engine_env >/dev/null
  local v
  for v in PATH PULUMI_HOME PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE PULUMI_SKIP_UPDATE_CHECK PULUMI_IGNORE_AMBIENT_PLUGINS \
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION PULUMI_NODEJS_TRANSPILE_ONLY PSN_BIN_DIR SANDBOX_DIR; do
    printf 'export %s=%q\n' "$v" "${!v}"
  done
  # PULUMI_STACK: a pulumi command run with this environment acts on this host's stack, whichever
  # stack the shared workspace has selected (several hosts may run at once).
  printf 'export PULUMI_STACK=%q\n' "$STACK"
  printf 'export PSN_RUN_CONFIG=%q\nexport PSN_STACK=%q\nexport PSN_HOST_ADDR=%q\nexport PSN_HOST_NAME=%q\nexport PSN_DOMAIN=%q\n' \
    "$RUN_CONFIG" "$STACK" "$HOST_ADDR" "$HOST_NAME" "$(domain)"
}

# A lock left by a pulumi process that no longer runs (killed mid-up) refuses every later command on
# the stack. The sandbox's state is on this machine only, so a lock whose PID is gone is stale.
clear_stale_locks() {
  local project dir f pid
  project=$(sed -n 's/^name: *//p' "$ROOT/Pulumi.yaml")
  dir=$SANDBOX_DIR/state/.pulumi/locks/organization/$project/$STACK
  [ -d "$dir" ] || return 0
  for f in "$dir"/*.json; do
    [ -e "$f" ] || continue
    pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$f")
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$f" "$f.attrs"
      log "removed a stale lock of stack $STACK (its pulumi, pid $pid, is gone)"
    fi
  done
}

pulumi_() { (cd "$ROOT" && pulumi --non-interactive "$@"); }
# A command on this host's stack (never the selected one: several hosts may run at once).
pulumis() { pulumi_ "$@" --stack "$STACK"; }

# .sandbox/Pulumi.sandbox.yaml = the committed stack file + this machine's SSH key and pebble's API CA.
# Re-encrypting the same key gives a new ciphertext but the same value: the stack sees no change.
write_run_config() {
  local tmp
  tmp=$(mktemp --suffix=.yaml "$SANDBOX_DIR/.config.XXXXXX")
  cp "$ROOT/Pulumi.sandbox.yaml" "$tmp"
  pulumis config set --config-file "$tmp" --path --secret host.privateKey <"$SANDBOX_DIR/ssh/id_ed25519" >/dev/null
  pulumis config set --config-file "$tmp" --path acme.caBundle <"$SANDBOX_DIR/pebble/ca.pem" >/dev/null
  if [ "$HOST_INDEX" != 1 ]; then
    pulumis config set --config-file "$tmp" --path domain "$(domain)" >/dev/null
    pulumis config set --config-file "$tmp" --path host.address "$HOST_ADDR" >/dev/null
  fi
  if [ "$NODES" -gt 1 ]; then
    # A fleet: each node's own name and host, the shared name, and DNS-01 through the sandbox's named
    # with its ACME key (which may write only _acme-challenge TXT records).
    local j info
    info=$(bash "$SB/services.sh" info)
    rfc() { sed -n "s/^PSN_RFC2136_$1=//p" <<<"$info"; }
    pulumis config set --config-file "$tmp" --path fleet.publicName "$(public_name)" >/dev/null
    for ((j = 0; j < NODES; j++)); do
      pulumis config set --config-file "$tmp" --path "fleet.nodes[$j].domain" "$(node_domain "$j")" >/dev/null
      pulumis config set --config-file "$tmp" --path "fleet.nodes[$j].address" "$(node_addr "$j")" >/dev/null
    done
    pulumis config set --config-file "$tmp" --path acme.challenge dns-01 >/dev/null
    pulumis config set --config-file "$tmp" --path acme.dns01.plugin rfc2136 >/dev/null
    pulumis config set --config-file "$tmp" --path acme.dns01.server "$(rfc SERVER):$(rfc PORT)" >/dev/null
    pulumis config set --config-file "$tmp" --path acme.dns01.keyName "$(rfc KEY_NAME)" >/dev/null
    pulumis config set --config-file "$tmp" --path acme.dns01.algorithm "$(rfc ALGORITHM)" >/dev/null
    # named answers at once: no need for the plugin's 60 s default.
    pulumis config set --config-file "$tmp" --path --type int acme.dns01.propagationSeconds 1 >/dev/null
    pulumis config set --config-file "$tmp" --path --secret acme.rfc2136Secret <"$(rfc SECRET_FILE)" >/dev/null
  fi
  mv -f "$tmp" "$RUN_CONFIG"
}

# The three ping.pactus.org checks of name $1 served by the host at $2, from the machine (outside the
# host), trusting only pebble's root ($4), with the Origin ping.pactus.org sends, and /healthz as an
# uptime monitor reads it. Prints block 1's hash; the /healthz body goes to $3.
check_node() {
  local d=$1 addr=$2 z=$3 root=$4 tmp hash_g hash_j hash_h
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064 # expand $tmp now
  trap "rm -rf '$tmp'" RETURN EXIT # EXIT too: a failed check ends the script with die
  local c0=(curl -sS --max-time 10 --cacert "$root" --resolve "$d:443:$addr" -H "Origin: https://ping.pactus.org")
  local c=("${c0[@]}" --fail)
  printf '\000\000\000\000\002\010\001' | "${c[@]}" --http2 -X POST -H 'Content-Type: application/grpc-web+proto' \
    -H 'X-Grpc-Web: 1' --data-binary @- -o "$tmp/g" "https://$d/grpc-web/pactus.Blockchain/GetBlockHash" ||
    die "$d at $addr: gRPC-Web GetBlockHash(1) failed"
  # One gRPC frame: flag 0, length 66, field 1 (string, 64): the hash in hex.
  [ "$(od -An -tx1 -N7 "$tmp/g" | tr -d ' \n')" = 00000000420a40 ] || die "$d at $addr: gRPC-Web answer is not a GetBlockHash response: $(od -An -tx1 -N16 "$tmp/g")"
  hash_g=$(tail -c +8 "$tmp/g" | head -c 64)
  # /jsonrpc: is what the ping page's JSON-RPC client asks for by default (type://host:port, port empty).
  "${c[@]}" -X POST -H 'Content-Type: application/json' -o "$tmp/j" "https://$d/jsonrpc:" \
    -d '{"jsonrpc":"2.0","id":1,"method":"pactus.blockchain.get_block_hash","params":{"height":1}}' || die "$d at $addr: JSON-RPC get_block_hash failed"
  hash_j=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"]["hash"])' "$tmp/j")
  "${c[@]}" -o "$tmp/h" "https://$d/http/api/pactus/blockchain/get_block_hash?height=1" || die "$d at $addr: HTTP get_block_hash failed"
  hash_h=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hash"])' "$tmp/h")
  if [ "$hash_g" != "$hash_j" ] || [ "$hash_j" != "$hash_h" ]; then
    die "$d at $addr: the APIs disagree on block 1: $hash_g $hash_j $hash_h"
  fi
  # The sandbox's localnet node makes blocks and pebble's certificate is fresh, so anything but a 200
  # with a healthy verdict is a failure.
  local health_code
  health_code=$("${c0[@]}" -o "$z" -w '%{http_code}' "https://$d/healthz") || die "$d at $addr: GET /healthz failed"
  [ "$health_code" = 200 ] || die "$d at $addr: /healthz answered $health_code: $(head -c 400 "$z")"
  log "$d at $addr: block 1 = $hash_g (gRPC-Web, JSON-RPC, HTTP); /healthz 200"
  echo "$hash_g"
}

# The checks of every node (a fleet: of each node under its own name and under the shared name, all on
# one chain). Writes outputs.json.
cmd_check() {
  engine_env
  local d root tmp hash j h members=()
  d=$(domain)
  root=$(bash "$SB/services.sh" root-ca)
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064 # expand $tmp now
  trap "rm -rf '$tmp'" RETURN EXIT
  hash=$(check_node "$d" "$HOST_ADDR" "$tmp/z" "$root")
  for ((j = 1; j < NODES; j++)); do
    h=$(check_node "$(node_domain "$j")" "$(node_addr "$j")" "$tmp/z$j" "$root")
    [ "$h" = "$hash" ] || die "$(node_domain "$j") is on another chain: block 1 = $h, node 0's $hash"
  done
  if [ "$NODES" -gt 1 ]; then
    for ((j = 0; j < NODES; j++)); do
      h=$(check_node "$(public_name)" "$(node_addr "$j")" "$tmp/p$j" "$root")
      [ "$h" = "$hash" ] || die "$(public_name) at $(node_addr "$j") is on another chain: block 1 = $h"
      members+=("$(node_domain "$j")=$(node_addr "$j")")
    done
  fi
  pulumis stack output --json --show-secrets=false >"$tmp/stack.json"
  python3 - "$tmp/stack.json" "$OUTPUTS" "$d" "$HOST_ADDR" "$root" "$hash" "$tmp/z" "$(public_name)" "${members[@]}" <<'PY'
import json, sys
stack, out, domain, address, root, block_hash, healthz, public_name, *members = sys.argv[1:]
health = json.load(open(healthz))
assert health["healthy"] is True, health
outputs = json.load(open(stack))
result = dict(outputs)
result.update({
    "domain": domain, "address": address, "caCert": root,
    "urls": outputs.get("urls") or {},
    "pingChecks": {api: {"ok": True, "blockHash": block_hash} for api in ("grpcWeb", "jsonrpc", "http")},
    "health": health,
})
if members:
    result["fleet"] = {
        "publicName": public_name,
        "nodes": [{"domain": m.split("=")[0], "address": m.split("=")[1]} for m in members],
    }
json.dump(result, open(out, "w"), indent=2)
PY
  log "ping checks passed from outside the host${members:+ on every node and the shared name}: block 1 = $hash"
  log "wrote $OUTPUTS"
}

# Everything `up` needs except the host and the engine run: the toolchain and plugins, the services,
# the release, the DNS record, the stack and its run config. Tests use it to start a host late.
cmd_prepare() {
  # Debian packages, npm ci and the toolchain, each only when missing; one line and exit 1 if it cannot.
  bash "$ROOT/tools/setup.sh" sandbox
  engine_env
  bash "$ROOT/tools/toolchain/install-plugins.sh" "$PULUMI_HOME" >&2
  bash "$SB/services.sh" up
  bash "$SB/services.sh" release "$PSN_BIN_DIR" "$(pactus_version)" >/dev/null
  # The release before it, for the upgrade tests (the toolchain builds it beside the pin).
  local previous
  previous=$(pactus_version PACTUS_PREVIOUS_VERSION)
  bash "$SB/services.sh" release "$PSN_BIN_DIR/pactus-$previous" "$previous" >/dev/null
  bash "$SB/services.sh" add-a "$(domain)" "$HOST_ADDR"
  local j
  if [ "$NODES" -gt 1 ]; then
    # The shared name answers with every node's address (the DNS engine's job on a real zone).
    bash "$SB/services.sh" clear-a "$(public_name)" >/dev/null 2>&1 || true
    for ((j = 0; j < NODES; j++)); do
      [ "$j" = 0 ] || bash "$SB/services.sh" add-a "$(node_domain "$j")" "$(node_addr "$j")"
      bash "$SB/services.sh" add-a "$(public_name)" "$(node_addr "$j")"
    done
  fi
  clear_stale_locks
  # Selected too, for pulumi commands by hand (deploy.sh env); this script itself always names it.
  pulumi_ stack select --create "$STACK" >/dev/null
  bash "$SB/host.sh" key >/dev/null
  write_run_config
}

cmd_up() {
  local t0 t image=${PSN_IMAGE:-debian-13} running
  while [ $# -gt 0 ]; do
    case "$1" in
      --image) image=${2:?--image needs debian-13 or debian-12} && shift ;;
      *) die "up: unknown option '$1' (up [--image debian-13|debian-12])" ;;
    esac
    shift
  done
  # (grep without -q reads all its input: -q would exit at the first match and, under pipefail, fail
  # the pipeline with the writer's SIGPIPE.)
  bash "$SB/host.sh" images | grep -xF -- "$image" >/dev/null ||
    die "--image $image: one of $(bash "$SB/host.sh" images | tr '\n' ' ')"
  t0=$(now)
  cmd_prepare
  # Every node's host boots at once (a fleet's hosts are independent VMs).
  local j name pids=() status
  status=$(bash "$SB/host.sh" status 2>/dev/null || true)
  for ((j = 0; j < NODES; j++)); do
    name=$(node_host_name "$j")
    running=$(awk -v n="$name" '$1 == n { print $3 }' <<<"$status")
    if [ -z "$running" ]; then
      bash "$SB/host.sh" up "$name" "$(node_index "$j")" --image "$image" &
      pids+=($!)
    elif [ "$running" != "$image" ]; then
      log "$name runs $running, not $image: 'npm run sandbox:down' first to change the image"
    fi
  done
  for j in "${pids[@]}"; do wait "$j" || die "a host did not boot"; done
  log "image: $image"
  t=$(now)
  pulumis up --yes --skip-preview --config-file "$RUN_CONFIG" --suppress-progress
  log "pulumi up took $(since "$t") s"
  cmd_check
  log "sandbox up in $(since "$t0") s"
}

cmd_down() {
  local t0
  t0=$(now)
  engine_env
  clear_stale_locks
  if [ -d "$SANDBOX_DIR/state/.pulumi" ] &&
    pulumi_ stack ls --json 2>/dev/null | grep "\"name\": \"$STACK\"" >/dev/null; then
    if bash "$SB/host.sh" status 2>/dev/null | grep -w "$HOST_NAME" >/dev/null && bash "$SB/services.sh" status >/dev/null 2>&1; then
      pulumis destroy --yes --skip-preview --config-file "$RUN_CONFIG" --suppress-progress || log "warning: destroy failed; removing the host anyway"
    fi
    # Host 1's stack file is the committed Pulumi.sandbox.yaml; host N's (its passphrase salt, written
    # by 'stack select --create') goes with its stack.
    local keep=()
    [ "$HOST_INDEX" != 1 ] || keep=(--preserve-config)
    pulumis stack rm --yes --force "${keep[@]}" >/dev/null || true
  fi
  local j
  for ((j = 0; j < NODES; j++)); do
    bash "$SB/host.sh" down "$(node_host_name "$j")"
    bash "$SB/services.sh" clear-a "$(node_domain "$j")" >/dev/null 2>&1 || true
  done
  [ "$NODES" = 1 ] || bash "$SB/services.sh" clear-a "$(public_name)" >/dev/null 2>&1 || true
  # The services are shared: they stop with the last host.
  if bash "$SB/host.sh" status 2>/dev/null | grep 'nspawn pid' >/dev/null; then
    log "other sandbox hosts still run: services kept"
  elif [ "${PSN_KEEP_SERVICES:-}" = 1 ]; then
    # npm test's lanes: a host of another lane may be about to start; the runner stops them at the end.
    log "PSN_KEEP_SERVICES=1: services kept"
  else
    bash "$SB/services.sh" down
  fi
  rm -f "$RUN_CONFIG" "$OUTPUTS"
  log "sandbox down in $(since "$t0") s"
}

main() {
  local sub=${1:-} host=${PSN_SANDBOX_HOST:-1} rest=()
  NODES=${PSN_NODES:-1}
  [ $# = 0 ] || shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --host) host=${2:?--host needs a number} && shift ;;
      --nodes) NODES=${2:?--nodes needs a number} && shift ;;
      *) rest+=("$1") ;;
    esac
    shift
  done
  for_host "$host"
  if ! [[ $NODES =~ ^[1-9][0-9]?$ ]] || [ $((host + NODES - 1)) -gt 254 ]; then
    die "--nodes $NODES: a number of nodes, on hosts $host..$((host + ${NODES//[^0-9]/0} - 1)) (at most 254)"
  fi
  case "$sub" in
    up) cmd_up "${rest[@]}" ;;
    prepare) cmd_prepare ;;
    down) cmd_down ;;
    env) cmd_env ;;
    check) cmd_check ;;
    *)
      echo "usage: deploy.sh up|prepare|down|env|check [--host N] [--nodes K] [--image debian-13|debian-12]" >&2
      exit 2
      ;;
  esac
}
main "$@"
