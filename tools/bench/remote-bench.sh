#!/usr/bin/env bash
# Runs inside the sandbox host (tools/bench/proxy.sh sends it over SSH): the same load, on the same
# machine, against the daemon directly, through the seed's nginx config, through ours, and through the
# two proxies an operator would pick instead: Envoy (the reference gRPC-Web translator, with its
# grpc_web filter) and Caddy (Debian's package). Every proxy has the three routes, the deployed
# certificate, two workers and its access log on.
# Prints "RESULT <round> <case> <requests/s> <p99 ms> <requests> <new upstream connections>
# <proxy CPU us/request> <daemon CPU us/request> <segments to the daemon/request> <segments from it/request>"
# lines; CPU is utime+stime of all the processes of that name, from /proc, over the case ("-" where there
# is no proxy).
# Inputs: PSN_SEED_SITE (the seed server blocks), PSN_SECONDS (per case), PSN_CONNS, PSN_ROUNDS,
# PSN_CASES ("proxies": every case, as deployed with nginx.cache off, PSN_ROUNDS interleaved rounds;
# "cached": ours with nginx.cache on, interleaved with the daemon directly; their rounds are named c1,
# c2...), PSN_BENCH_DIR (holds the
# envoy binary proxy.sh sent).
set -euo pipefail
: "${PSN_SEED_SITE:?}" "${PSN_SECONDS:=10}" "${PSN_CONNS:=50}" "${PSN_CASES:=proxies}" "${PSN_ROUNDS:=2}"
: "${PSN_BENCH_DIR:=/var/tmp/psn-bench}"
# Ports of the peers, beside ours (443), the seed's (8443) and the ceiling (8444).
ENVOY_PORT=8445
CADDY_PORT=8446
WORKERS=$(nproc)

export DEBIAN_FRONTEND=noninteractive

# Load tools, and what the seed config includes (certbot's nginx plugin ships both files).
missing=()
for p in wrk nghttp2-client python3-certbot-nginx; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] || ! compgen -G "$PSN_BENCH_DIR/caddy_*.deb" >/dev/null; then
  apt-get -o DPkg::Lock::Timeout=120 update -q >/dev/null
fi
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get -o DPkg::Lock::Timeout=120 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
# Caddy: Debian's package, unpacked into the bench dir rather than installed (installing it would enable
# a caddy.service that wants port 80, which is nginx's).
if ! compgen -G "$PSN_BENCH_DIR/caddy_*.deb" >/dev/null; then
  (cd "$PSN_BENCH_DIR" && apt-get download -q caddy >/dev/null)
fi
caddy_deb=$(compgen -G "$PSN_BENCH_DIR/caddy_*.deb" | head -n 1)
[ -x "$PSN_BENCH_DIR/caddy-root/usr/bin/caddy" ] || dpkg-deb -x "$caddy_deb" "$PSN_BENCH_DIR/caddy-root"
echo "VERSION caddy $(dpkg-deb -f "$caddy_deb" Version)"
echo "VERSION envoy $("$PSN_BENCH_DIR/envoy" --version | grep -o '[0-9]\+\.[0-9]\+\.[0-9]\+' | head -n 1)"
echo "VERSION nginx $(nginx -v 2>&1 | sed 's|.*/||')"
py=$(python3 -c 'import certbot, certbot_nginx, os; print(os.path.dirname(certbot.__file__), os.path.dirname(certbot_nginx.__file__))')
read -r certbot_dir nginx_plugin_dir <<<"$py"
[ -f /etc/letsencrypt/options-ssl-nginx.conf ] || cp "$nginx_plugin_dir/_internal/tls_configs/options-ssl-nginx.conf" /etc/letsencrypt/
[ -f /etc/letsencrypt/ssl-dhparams.pem ] || cp "$certbot_dir/ssl-dhparams.pem" /etc/letsencrypt/

work=$(mktemp -d)
cleanup() {
  systemctl stop psn-bench-envoy.service psn-bench-caddy.service 2>/dev/null || true
  rm -f /etc/nginx/sites-enabled/psn-bench-seed.conf /etc/nginx/sites-enabled/psn-bench-ceiling.conf
  nginx -t -q 2>/dev/null && systemctl reload nginx
  for r in "${rules[@]}"; do
    # shellcheck disable=SC2086 # the rule's words
    iptables -D INPUT -i lo -p tcp $r 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
printf '%s' "$PSN_SEED_SITE" >/etc/nginx/sites-enabled/psn-bench-seed.conf
# The ceiling: what nginx alone does on these cores with our TLS settings and no upstream at all (a
# fixed answer). No proxy config can beat it, so ours/direct cannot exceed ceiling/direct.
# Our TLS lines (certificate, protocols, ciphers, session cache) and access log, as deployed.
site=/etc/nginx/sites-available/pactus.conf
ours_tls=$(grep -E '^[[:space:]]*(ssl_[a-z_]+|access_log)[[:space:]]' "$site")
cert=$(awk '$1 == "ssl_certificate" { sub(/;$/, "", $2); print $2; exit }' "$site")
key=$(awk '$1 == "ssl_certificate_key" { sub(/;$/, "", $2); print $2; exit }' "$site")
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
# (nginx 1.26 warns that the seed's "listen … http2" is deprecated: shown only if the test fails.)
out=$(nginx -t -q 2>&1) || {
  echo "$out" >&2
  exit 1
}
systemctl reload nginx

# Envoy: /jsonrpc and /grpc-web/ with the prefix taken off (as ours), /http/ as is; upstream HTTP/2 for
# gRPC; its grpc_web filter; an access log to a file.
mkdir -p /var/log/psn-bench
cat >"$work/envoy.yaml" <<YAML
static_resources:
  listeners:
    - name: tls
      address: { socket_address: { address: 127.0.0.1, port_value: $ENVOY_PORT } }
      filter_chains:
        - transport_socket:
            name: envoy.transport_sockets.tls
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
              common_tls_context:
                alpn_protocols: [h2, http/1.1]
                tls_certificates:
                  - certificate_chain: { filename: $cert }
                    private_key: { filename: $key }
          filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: ingress
                codec_type: AUTO
                access_log:
                  - name: envoy.access_loggers.file
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
                      path: /var/log/psn-bench/envoy-access.log
                route_config:
                  virtual_hosts:
                    - name: node
                      domains: ["*"]
                      routes:
                        - match: { prefix: /jsonrpc }
                          route: { cluster: jsonrpc, prefix_rewrite: / }
                        - match: { prefix: /http/ }
                          route: { cluster: http }
                        - match: { prefix: /grpc-web/ }
                          route: { cluster: grpc, prefix_rewrite: / }
                http_filters:
                  - name: envoy.filters.http.grpc_web
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb }
                  - name: envoy.filters.http.cors
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors }
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
    - name: jsonrpc
      type: STATIC
      load_assignment:
        cluster_name: jsonrpc
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 8545 } } } }] }]
    - name: http
      type: STATIC
      load_assignment:
        cluster_name: http
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 8080 } } } }] }]
    - name: grpc
      type: STATIC
      typed_extension_protocol_options:
        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
          "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
          explicit_http_config: { http2_protocol_options: {} }
      load_assignment:
        cluster_name: grpc
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 50051 } } } }] }]
YAML
systemd-run --quiet --unit psn-bench-envoy --collect "$PSN_BENCH_DIR/envoy" -c "$work/envoy.yaml" \
  --concurrency "$WORKERS" --log-level warn

# Caddy: the same routes (handle_path takes the prefix off), the same certificate, an access log.
cat >"$work/Caddyfile" <<CADDY
{
    admin off
    auto_https off
    default_sni node.pactus.test
}
https://:$CADDY_PORT {
    bind 127.0.0.1
    tls $cert $key
    log {
        output file /var/log/psn-bench/caddy-access.log
    }
    handle_path /jsonrpc* {
        reverse_proxy 127.0.0.1:8545
    }
    handle /http/* {
        reverse_proxy 127.0.0.1:8080
    }
    handle_path /grpc-web/* {
        reverse_proxy h2c://127.0.0.1:50051
    }
}
CADDY
systemd-run --quiet --unit psn-bench-caddy --collect -E GOMAXPROCS="$WORKERS" -E HOME="$work" \
  -E XDG_DATA_HOME="$work" -E XDG_CONFIG_HOME="$work" \
  "$PSN_BENCH_DIR/caddy-root/usr/bin/caddy" run --config "$work/Caddyfile" --adapter caddyfile

api='/http/api/pactus/blockchain/get_block_hash?height=1'
for port in 443 8443 8444 "$ENVOY_PORT" "$CADDY_PORT"; do
  for i in $(seq 1 40); do
    [ "$(curl -sk -o /dev/null -w '%{http_code}' -H 'Host: node.pactus.test' "https://127.0.0.1:$port$api")" = 200 ] && break
    [ "$i" = 40 ] && {
      echo "port $port never answered 200: $(journalctl -q -n 5 -u psn-bench-envoy -u psn-bench-caddy)" >&2
      exit 1
    }
    sleep 0.5
  done
done

# New upstream connections = SYNs to the daemon's ports on lo; and every TCP segment to and from them
# (each one the daemon reads is a wakeup for it), counted by these rules (no target: they only count).
ports=8545,8080,50051
rules=(
  "--syn -m multiport --dports $ports -m comment --comment psn-bench-syn"
  "-m multiport --dports $ports -m comment --comment psn-bench-in"
  "-m multiport --sports $ports -m comment --comment psn-bench-out"
)
for r in "${rules[@]}"; do
  # shellcheck disable=SC2086 # the rule's words
  iptables -I INPUT -i lo -p tcp $r
done
# count RULE: the packets the rule with comment psn-bench-RULE has counted.
count() { iptables -L INPUT -v -x -n | awk -v c="/\\* psn-bench-$1 \\*/" '$0 ~ c { print $1; exit }'; }
syns() { count syn; }
# segments BEFORE_IN BEFORE_OUT REQUESTS: segments to / from the daemon per request since then.
segments() {
  awk -v a="$1" -v b="$2" -v i="$(count in)" -v o="$(count out)" -v n="$3" 'BEGIN { printf "%.2f %.2f", (i - a) / n, (o - b) / n }'
}
# ticks NAME: CPU clock ticks (user + system) spent so far by every process called NAME.
ticks() {
  local pid t=0
  for pid in $(pgrep -x "$1"); do
    # Fields after "pid (comm) ": utime and stime are the 12th and 13th.
    t=$((t + $(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0)))
  done
  echo "$t"
}
US_PER_TICK=$((1000000 / $(getconf CLK_TCK)))
# cpu_per NAME BEFORE REQUESTS: microseconds of CPU per request since BEFORE ("-" without a NAME).
cpu_per() {
  [ "$1" = - ] && echo - && return
  awk -v a="$2" -v b="$(ticks "$1")" -v n="$3" -v u="$US_PER_TICK" 'BEGIN { printf "%.1f", (b - a) * u / n }'
}
# The process name of each case's proxy.
proxy_of() {
  case $1 in
    *-direct | *-paced) echo - ;; *-envoy) echo envoy ;; *-caddy) echo caddy ;; *) echo nginx ;;
  esac
}

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
  local round=$1 name=$2 url=$3 script=$4 before in0 out0 proxy p0 d0 out reqs rps p99
  proxy=$(proxy_of "$name")
  before=$(syns) in0=$(count in) out0=$(count out) p0=$([ "$proxy" = - ] || ticks "$proxy") d0=$(ticks pactus-daemon)
  out=$(wrk -t1 -c"$PSN_CONNS" -d"${PSN_SECONDS}s" --latency -s "$work/$script" "$url")
  reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
  rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } print v }' <<<"$out")
  if grep -q 'Non-2xx' <<<"$out"; then echo "WARN $name: $(grep 'Non-2xx' <<<"$out")"; fi
  echo "RESULT $round $name $rps $p99 $reqs $(($(syns) - before)) $(cpu_per "$proxy" "$p0" "$reqs") $(cpu_per pactus-daemon "$d0" "$reqs") $(segments "$in0" "$out0" "$reqs")"
}

# h2load (HTTP/2, one stream per connection) for unary gRPC GetBlockHash. nginx closes an h2
# connection after keepalive_requests (1000) and h2load does not reconnect: -n stays below that.
# grpc_case ROUND NAME URL [RPS]: RPS paces each connection (h2load --rps) instead of full speed.
grpc_case() {
  local round=$1 name=$2 url=$3 pace=() before in0 out0 proxy p0 d0 out n secs rps p99
  [ -z "${4:-}" ] || pace=(--rps "$4")
  n=$((PSN_CONNS * 900))
  proxy=$(proxy_of "$name")
  before=$(syns) in0=$(count in) out0=$(count out) p0=$([ "$proxy" = - ] || ticks "$proxy") d0=$(ticks pactus-daemon)
  out=$(h2load -t1 -c"$PSN_CONNS" -m1 "${pace[@]}" -n"$n" -d "$work/grpc.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    --log-file="$work/$name.log" "$url")
  grep -q "$n succeeded" <<<"$out" || echo "WARN $name: $(grep -E '^requests:' <<<"$out")"
  secs=$(awk '/^finished in/ { v = $3; sub(/,$/, "", v); if (v ~ /ms$/) { sub(/ms/, "", v); v /= 1000 } else { sub(/s$/, "", v) } print v }' <<<"$out")
  rps=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.2f", n / s }')
  p99=$(awk '{ print $3 / 1000 }' "$work/$name.log" | sort -n | awk '{ a[NR] = $1 } END { print a[int(NR * 0.99)] }')
  echo "RESULT $round $name $rps $p99 $n $(($(syns) - before)) $(cpu_per "$proxy" "$p0" "$n") $(cpu_per pactus-daemon "$d0" "$n") $(segments "$in0" "$out0" "$n")"
  last_rps=$rps
}

declare -A port=([seed]=8443 [ours]=443 [ceiling]=8444 [envoy]=$ENVOY_PORT [caddy]=$CADDY_PORT)
for round in $(seq 1 "$PSN_ROUNDS"); do
  if [ "$PSN_CASES" = cached ]; then
    # The same HTTP API read, answered from nginx's cache (nginx.cache): every request but the first.
    wrk_case "c$round" http-cached "https://127.0.0.1:443$api" get.lua
    wrk_case "c$round" http-direct "http://127.0.0.1:8080$api" get.lua
    continue
  fi
  wrk_case "$round" jsonrpc-direct http://127.0.0.1:8545/ post.lua
  for p in seed ours envoy caddy ceiling; do
    wrk_case "$round" "jsonrpc-$p" "https://127.0.0.1:${port[$p]}/jsonrpc" post.lua
  done
  wrk_case "$round" http-direct "http://127.0.0.1:8080$api" get.lua
  for p in seed ours envoy caddy ceiling; do
    wrk_case "$round" "http-$p" "https://127.0.0.1:${port[$p]}$api" get.lua
  done
  grpc_case "$round" grpc-direct http://127.0.0.1:50051/pactus.Blockchain/GetBlockHash
  for p in seed ours envoy caddy ceiling; do
    grpc_case "$round" "grpc-$p" "https://127.0.0.1:${port[$p]}/grpc-web/pactus.Blockchain/GetBlockHash"
    # The daemon directly, paced at ours' rate: what a gRPC call costs the daemon at that rate without a
    # proxy (a Go server spends more per call at a lower rate: fewer calls per wakeup).
    [ "$p" != ours ] || grpc_case "$round" grpc-paced http://127.0.0.1:50051/pactus.Blockchain/GetBlockHash \
      "$(awk -v r="$last_rps" -v c="$PSN_CONNS" 'BEGIN { printf "%d", r / c + 0.5 }')"
  done
done
