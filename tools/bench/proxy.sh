#!/usr/bin/env bash
# npm run bench:proxy — JSON-RPC, the HTTP API and gRPC through the seed's nginx config and through
# ours, against the real daemon in the sandbox, each compared with the daemon directly; one run,
# printed as ratios.
# Everything (load tool, nginx, daemon) runs on the sandbox host, so the three paths share the CPUs.
# Our rate limit is switched off for the run (it would answer 429s) and restored afterwards. The proxy
# cases run with nginx.cache off (the same work for every proxy: each request reaches the daemon); then
# one more case with it on: the same HTTP API read answered from nginx's cache.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEPLOY=$ROOT/tools/sandbox/deploy.sh
SECONDS_PER_CASE=${PSN_BENCH_SECONDS:-10}

bash "$DEPLOY" up >/dev/null
eval "$(bash "$DEPLOY" env)"
# stack_with CACHE: the run config with no rate limit and nginx.cache CACHE, deployed.
stack_with() {
  (cd "$ROOT" && pulumi --non-interactive config set --config-file "$PSN_RUN_CONFIG" --path nginx.rateLimit 0 &&
    pulumi --non-interactive config set --config-file "$PSN_RUN_CONFIG" --path nginx.cache "$1" &&
    pulumi --non-interactive up --yes --skip-preview --suppress-outputs --config-file "$PSN_RUN_CONFIG" >/dev/null)
}
trap 'bash "$DEPLOY" up >/dev/null' EXIT

# bench CASES: runs remote-bench.sh on the host with PSN_CASES=CASES; prints its RESULT lines.
bench() {
  local stdin
  stdin=$(
    printf "PSN_SECONDS=%s\nPSN_CASES=%s\nPSN_SEED_SITE=\$(cat <<'__SEED__'\n%s\n__SEED__\n)\n" "$SECONDS_PER_CASE" "$1" "$(cat "$ROOT/tools/bench/seed-site.conf")"
    printf 'psn_bench() {\n%s\n}\npsn_bench </dev/null\n' "$(cat "$ROOT/tools/bench/remote-bench.sh")"
  )
  bash "$ROOT/tools/sandbox/host.sh" ssh node 1 bash -s <<<"$stdin"
}
stack_with false
out=$(bench proxies)
stack_with true
out+=$'\n'$(bench cached)
grep '^WARN' <<<"$out" >&2 || true

python3 - <<PY
rows = {}
for line in """$out""".splitlines():
    if line.startswith("RESULT "):
        _, name, rps, p99, reqs, conns = line.split()
        rows[name] = dict(rps=float(rps), p99=float(p99), reqs=int(reqs), conns=int(conns))
print(f"{'case':<16}{'req/s':>10}{'p99 ms':>9}{'requests':>10}{'new upstream conns':>20}")
for n, r in rows.items():
    print(f"{n:<16}{r['rps']:>10.0f}{r['p99']:>9.2f}{r['reqs']:>10}{r['conns']:>20}")
def ratio(a, b): return rows[a]["rps"] / rows[b]["rps"]
def per10k(n): return round(rows[n]["conns"] * 10000 / rows[n]["reqs"])
print(f"JSON-RPC ours/seed {ratio('jsonrpc-ours', 'jsonrpc-seed'):.2f}")
print(f"JSON-RPC ours/direct {ratio('jsonrpc-ours', 'jsonrpc-direct'):.2f}")
print(f"JSON-RPC seed/direct {ratio('jsonrpc-seed', 'jsonrpc-direct'):.2f}")
print(f"HTTP ours/seed {ratio('http-ours', 'http-seed'):.2f}")
print(f"HTTP ours/direct {ratio('http-ours', 'http-direct'):.2f}")
print(f"HTTP cached/direct {ratio('http-cached', 'http-direct'):.2f}")
print(f"gRPC ours/direct {ratio('grpc-ours', 'grpc-direct'):.2f}")
print(f"gRPC ours/seed {ratio('grpc-ours', 'grpc-seed'):.2f}")
print(f"nginx ceiling/direct (TLS, fixed answer, no upstream): JSON-RPC {ratio('jsonrpc-ceiling', 'jsonrpc-direct'):.2f}, gRPC {ratio('grpc-ceiling', 'grpc-direct'):.2f}")
print(f"ours/ceiling: JSON-RPC {ratio('jsonrpc-ours', 'jsonrpc-ceiling'):.2f}, gRPC {ratio('grpc-ours', 'grpc-ceiling'):.2f}")
print(f"JSON-RPC direct/seed {ratio('jsonrpc-direct', 'jsonrpc-seed'):.2f} (the most any proxy in front of the daemon could reach as ours/seed)")
print(f"upstream conns per 10k: ours {per10k('jsonrpc-ours')} (HTTP {per10k('http-ours')}, gRPC {per10k('grpc-ours')}), seed {per10k('jsonrpc-seed')} (HTTP {per10k('http-seed')}, gRPC {per10k('grpc-seed')})")
PY
