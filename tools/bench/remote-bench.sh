#!/usr/bin/env bash
# Runs inside the sandbox host (tools/bench/proxy.sh sends it over SSH): the same load, on the same
# machine, against the daemon directly, through the seed's nginx config and through ours. Prints
# "RESULT <case> <requests/s> <p99 ms> <requests> <new upstream connections>" lines (JSON-RPC, the HTTP API
# and gRPC).
# Inputs: PSN_SEED_SITE (the seed server blocks), PSN_SECONDS (per case), PSN_CONNS, PSN_CASES ("proxies":
# every case against the node and the proxies, as deployed with nginx.cache off; "cached": ours with
# nginx.cache on, for the hot read).
set -euo pipefail
: "${PSN_SEED_SITE:?}" "${PSN_SECONDS:=10}" "${PSN_CONNS:=50}" "${PSN_CASES:=proxies}"

export DEBIAN_FRONTEND=noninteractive

# Load tools, and what the seed config includes (certbot's nginx plugin ships both files).
missing=()
for p in wrk nghttp2-client python3-certbot-nginx; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get -o DPkg::Lock::Timeout=120 update -q >/dev/null
  apt-get -o DPkg::Lock::Timeout=120 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
py=$(python3 -c 'import certbot, certbot_nginx, os; print(os.path.dirname(certbot.__file__), os.path.dirname(certbot_nginx.__file__))')
read -r certbot_dir nginx_plugin_dir <<<"$py"
[ -f /etc/letsencrypt/options-ssl-nginx.conf ] || cp "$nginx_plugin_dir/_internal/tls_configs/options-ssl-nginx.conf" /etc/letsencrypt/
[ -f /etc/letsencrypt/ssl-dhparams.pem ] || cp "$certbot_dir/ssl-dhparams.pem" /etc/letsencrypt/

work=$(mktemp -d)
cleanup() {
  rm -f /etc/nginx/sites-enabled/psn-bench-seed.conf /etc/nginx/sites-enabled/psn-bench-ceiling.conf
  nginx -t -q 2>/dev/null && systemctl reload nginx
  iptables -D INPUT -i lo -p tcp --syn -m multiport --dports 8545,8080,50051 -m comment --comment psn-bench -j ACCEPT 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
printf '%s' "$PSN_SEED_SITE" >/etc/nginx/sites-enabled/psn-bench-seed.conf
# The ceiling: what nginx alone does on these cores with our TLS settings and no upstream at all (a
# fixed answer). No proxy config can beat it, so ours/direct cannot exceed ceiling/direct.
# Our TLS lines (certificate, protocols, ciphers, session cache) and access log, as deployed.
ours_tls=$(grep -E '^[[:space:]]*(ssl_[a-z_]+|access_log)[[:space:]]' /etc/nginx/sites-available/pactus.conf)
cat >/etc/nginx/sites-enabled/psn-bench-ceiling.conf <<NGINX
server {
    listen 8444 ssl http2;
    server_name node.pactus.test;
$ours_tls
    location / {
        default_type application/json;
        return 200 '{"jsonrpc":"2.0","id":1,"result":{"hash":"0000000000000000000000000000000000000000000000000000000000000000"}}';
    }
}
NGINX
nginx -t -q
systemctl reload nginx
sleep 1

# New upstream connections = SYNs to the daemon's ports on lo, counted by this rule.
iptables -I INPUT -i lo -p tcp --syn -m multiport --dports 8545,8080,50051 -m comment --comment psn-bench -j ACCEPT
syns() { iptables -L INPUT -v -x -n | awk '/psn-bench/ { print $1; exit }'; }

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"pactus.blockchain.get_block_hash","params":{"height":1}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Host"] = "node.pactus.test"
LUA
cat >"$work/get.lua" <<'LUA'
wrk.headers["Host"] = "node.pactus.test"
LUA
printf '\000\000\000\000\002\010\001' >"$work/grpc.bin"

# wrk (HTTP/1.1, keep-alive) for JSON-RPC (POST) and the HTTP API (GET).
wrk_case() {
  local name=$1 url=$2 script=$3 before out reqs rps p99
  before=$(syns)
  out=$(wrk -t1 -c"$PSN_CONNS" -d"${PSN_SECONDS}s" --latency -s "$work/$script" "$url")
  reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
  rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } print v }' <<<"$out")
  grep -q 'Non-2xx' <<<"$out" && echo "WARN $name: $(grep 'Non-2xx' <<<"$out")"
  echo "RESULT $name $rps $p99 $reqs $(($(syns) - before))"
}

# h2load (HTTP/2, one stream per connection) for unary gRPC GetBlockHash. nginx closes an h2
# connection after keepalive_requests (1000) and h2load does not reconnect: -n stays below that.
grpc_case() {
  local name=$1 url=$2 before out n secs rps p99
  n=$((PSN_CONNS * 900))
  before=$(syns)
  out=$(h2load -t1 -c"$PSN_CONNS" -m1 -n"$n" -d "$work/grpc.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    --log-file="$work/$name.log" "$url")
  grep -q "$n succeeded" <<<"$out" || echo "WARN $name: $(grep -E '^requests:' <<<"$out")"
  secs=$(awk '/^finished in/ { v = $3; sub(/,$/, "", v); if (v ~ /ms$/) { sub(/ms/, "", v); v /= 1000 } else { sub(/s$/, "", v) } print v }' <<<"$out")
  rps=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.2f", n / s }')
  p99=$(awk '{ print $3 / 1000 }' "$work/$name.log" | sort -n | awk '{ a[NR] = $1 } END { print a[int(NR * 0.99)] }')
  echo "RESULT $name $rps $p99 $n $(($(syns) - before))"
}

api='/http/api/pactus/blockchain/get_block_hash?height=1'
if [ "$PSN_CASES" = cached ]; then
  # The same HTTP API read, answered from nginx's cache (nginx.cache): every request but the first.
  wrk_case http-cached "https://127.0.0.1:443$api" get.lua
  exit 0
fi
wrk_case jsonrpc-direct http://127.0.0.1:8545/ post.lua
wrk_case jsonrpc-seed https://127.0.0.1:8443/jsonrpc post.lua
wrk_case jsonrpc-ours https://127.0.0.1:443/jsonrpc post.lua
wrk_case jsonrpc-ceiling https://127.0.0.1:8444/jsonrpc post.lua
wrk_case http-direct "http://127.0.0.1:8080$api" get.lua
wrk_case http-seed "https://127.0.0.1:8443$api" get.lua
wrk_case http-ours "https://127.0.0.1:443$api" get.lua
grpc_case grpc-direct http://127.0.0.1:50051/pactus.Blockchain/GetBlockHash
grpc_case grpc-seed "https://127.0.0.1:8443/grpc-web/pactus.Blockchain/GetBlockHash"
grpc_case grpc-ours "https://127.0.0.1:443/grpc-web/pactus.Blockchain/GetBlockHash"
grpc_case grpc-ceiling "https://127.0.0.1:8444/grpc-web/pactus.Blockchain/GetBlockHash"
