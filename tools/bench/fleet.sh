#!/usr/bin/env bash
# npm run bench:fleet — how much longer `pulumi up` of a fleet takes than `pulumi up` of one node, both
# from fresh sandbox hosts in one run: one node on host A, then N nodes (default 3) on hosts B..B+N-1.
# The nodes' steps run side by side, so the goal is N=3 ÷ 1 <= 1.5 (one after the other would be 3.0).
# Prints both times and the ratio; takes every host it started down again.
#   bash tools/bench/fleet.sh [--nodes N] [--single-host A] [--fleet-host B]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEPLOY=$ROOT/tools/sandbox/deploy.sh
nodes=3 single=41 fleet=42
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=${2:?} && shift ;;
    --single-host) single=${2:?} && shift ;;
    --fleet-host) fleet=${2:?} && shift ;;
    *) echo "usage: fleet.sh [--nodes N] [--single-host A] [--fleet-host B]" >&2 && exit 2 ;;
  esac
  shift
done
[[ $nodes =~ ^[2-9]$ ]] || { echo "fleet.sh: --nodes is 2 to 9" >&2 && exit 2; }

cleanup() {
  PSN_KEEP_SERVICES=1 bash "$DEPLOY" down --host "$single" >/dev/null 2>&1 || true
  bash "$DEPLOY" down --host "$fleet" --nodes "$nodes" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The seconds of `pulumi up` itself (deploy.sh logs "pulumi up took S s"), not the hosts' boot.
up_seconds() { # <log>
  sed -n 's/^sandbox: pulumi up took \([0-9.]*\) s$/\1/p' "$1" | tail -n 1
}
log=$(mktemp -d)
trap 'cleanup; rm -rf "$log"' EXIT
echo "bench: 1 node on host $single" >&2
bash "$DEPLOY" up --host "$single" >"$log/one" 2>&1 || { tail -n 30 "$log/one" >&2 && exit 1; }
one=$(up_seconds "$log/one")
PSN_KEEP_SERVICES=1 bash "$DEPLOY" down --host "$single" >/dev/null 2>&1
echo "bench: $nodes nodes on hosts $fleet..$((fleet + nodes - 1))" >&2
bash "$DEPLOY" up --host "$fleet" --nodes "$nodes" >"$log/many" 2>&1 || { tail -n 30 "$log/many" >&2 && exit 1; }
many=$(up_seconds "$log/many")
# The slowest node's time of one step (the engine prints "<node>-steps-<step> created (Ns)").
step_seconds() { # <log> <step>
  sed -n "s/.*Command [a-z0-9-]*-steps-$2 created (\([0-9.]*\)s).*/\1/p" "$1" | sort -g | tail -n 1
}
awk -v one="$one" -v many="$many" -v n="$nodes" 'BEGIN {
  printf("pulumi up, 1 node: %.1f s\npulumi up, %d nodes: %.1f s\nratio %d nodes / 1 node: %.2f (goal <= 1.5; one after the other: %d.0)\n",
    one, n, many, n, many / one, n)
}'
for step in base pactus certificate; do
  echo "  $step step, slowest node: $(step_seconds "$log/one" "$step") s alone, $(step_seconds "$log/many" "$step") s with $nodes at once"
done
