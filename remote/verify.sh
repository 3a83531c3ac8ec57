#!/usr/bin/env bash
# Step 9: the ping.pactus.org checks over HTTPS from another origin, plus: the served certificate is
# the one on disk, and the process answering gRPC is the node's systemd unit (not a stray instance).
# Prints one JSON line with the results. Inputs: PSN_DOMAIN, PSN_APIS ("grpcWeb jsonrpc http"),
# PSN_ORIGIN, PSN_TRUSTED (true: verify the chain with the system store), PSN_TIMEOUT (s),
# PSN_CERT_DIR (certbot's live dir of the domain), PSN_SERVICE (the node's unit), PSN_WORKING_DIR (the
# node's, whose lock must belong to that unit), PSN_GRPC_PORT (the node's gRPC port on loopback),
# PSN_METRICS (what /metrics/node and /metrics/pactus must answer a request without credentials from
# this host: off 404, protected 401 or 403, open 200 when monitoring.allowCidrs lists the host itself).
# Also reads /healthz and reports its status, verdict and problems (not judged: see below).
# With apis.basicAuth, PSN_SECRETS (from the step's secret stdin) holds API_USER=<base64> and
# API_PASSWORD=<base64>: every check then sends `Authorization: Basic …`, from a 0600 header file so the
# credentials are never in curl's argv.
set -euo pipefail
PSN_STEP=verify
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_env PSN_DOMAIN PSN_APIS PSN_TRUSTED PSN_TIMEOUT PSN_CERT_DIR PSN_SERVICE PSN_WORKING_DIR PSN_GRPC_PORT \
  PSN_METRICS

api_user=$(psn_secret API_USER)
api_password=$(psn_secret API_PASSWORD)
unset PSN_SECRETS
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

base="https://$PSN_DOMAIN"
curl_opts=(-sS --max-time 10 --resolve "$PSN_DOMAIN:443:127.0.0.1")
if [ -n "$api_user" ]; then
  printf 'Authorization: Basic %s\n' "$(printf '%s:%s' "$api_user" "$api_password" | base64 -w0)" >"$tmp/auth.h"
  curl_opts+=(-H "@$tmp/auth.h")
fi
unset api_password
# With no browser origin configured (cors.origins empty) there is no CORS header to expect.
if [ -n "${PSN_ORIGIN:-}" ]; then curl_opts+=(-H "Origin: $PSN_ORIGIN"); fi
cors_ok() {
  [ -z "${PSN_ORIGIN:-}" ] || grep -qiF -e "access-control-allow-origin: $PSN_ORIGIN" -e "access-control-allow-origin: *" "$1"
}
# Staging and private CAs are not in the system store: check the served certificate is ours instead.
[ "$PSN_TRUSTED" = true ] || curl_opts+=(--insecure)

served=$(openssl s_client -connect 127.0.0.1:443 -servername "$PSN_DOMAIN" </dev/null 2>/dev/null |
  openssl x509 -noout -fingerprint -sha256 2>/dev/null || true)
ondisk=$(openssl x509 -in "$PSN_CERT_DIR/cert.pem" -noout -fingerprint -sha256)
[ "$served" = "$ondisk" ] || psn_die "nginx serves a different certificate than $PSN_CERT_DIR (${served:-none})"

problem=$(psn_pactus_problem "$PSN_SERVICE" "$PSN_WORKING_DIR" "$PSN_GRPC_PORT")
[ -z "$problem" ] || psn_die "$problem"

# Marks that the node refused a call as Unauthenticated (basic_auth): no point in retrying, verify stops.
unauthenticated() { : >"$tmp/unauthenticated"; }
check_grpc_web() {
  local code
  code=$(printf '\000\000\000\000\002\010\001' | curl "${curl_opts[@]}" --http2 -X POST \
    -H 'Content-Type: application/grpc-web+proto' -H 'X-Grpc-Web: 1' -H 'X-User-Agent: grpc-web-javascript/0.1' \
    --data-binary @- -D "$tmp/g.h" -o "$tmp/g.b" -w '%{http_code}' "$base/grpc-web/pactus.Blockchain/GetBlockHash") || return 1
  [ "$code" = 200 ] || return 1
  # An error without a message is "trailers-only": grpc-status 16 (UNAUTHENTICATED) in the headers.
  if grep -qiE '^grpc-status: *16\b' "$tmp/g.h"; then
    unauthenticated
    return 1
  fi
  cors_ok "$tmp/g.h" || return 1
  # One gRPC frame: flag 0, length 66, field 1 (string, 64): the hash in hex.
  [ "$(od -An -tx1 -N7 "$tmp/g.b" | tr -d ' \n')" = 00000000420a40 ] || return 1
  tail -c +8 "$tmp/g.b" | head -c 64
}
# At /jsonrpc: as the ping page's JSON-RPC client asks by default (it builds type://host:port, and its
# address field holds "<domain>/jsonrpc" with the port empty), so a deploy that breaks the page fails.
check_jsonrpc() {
  local code
  code=$(curl "${curl_opts[@]}" -X POST -H 'Content-Type: application/json' -D "$tmp/j.h" \
    -d '{"jsonrpc":"2.0","id":1,"method":"pactus.blockchain.get_block_hash","params":{"height":1}}' \
    "$base/jsonrpc:" -o "$tmp/j.b" -w '%{http_code}') || return 1
  # The JSON-RPC gateway answers 200 with the gRPC error in the message.
  if [ "$code" = 401 ] || grep -q '"error":{[^}]*code = Unauthenticated' "$tmp/j.b"; then
    unauthenticated
    return 1
  fi
  [ "$code" = 200 ] || return 1
  cors_ok "$tmp/j.h" || return 1
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"]["hash"])' "$tmp/j.b" 2>/dev/null
}
check_http() {
  local code
  code=$(curl "${curl_opts[@]}" -D "$tmp/h.h" "$base/http/api/pactus/blockchain/get_block_hash?height=1" -o "$tmp/h.b" \
    -w '%{http_code}') || return 1
  if [ "$code" = 401 ]; then
    unauthenticated
    return 1
  fi
  [ "$code" = 200 ] || return 1
  cors_ok "$tmp/h.h" || return 1
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hash"])' "$tmp/h.b" 2>/dev/null
}

# The metrics are never served to a request without credentials from an unlisted source (and not at
# all with monitoring off). Asked without the API credentials, which nginx would not count anyway.
metrics_opts=(-sS --max-time 10 --resolve "$PSN_DOMAIN:443:127.0.0.1" -o /dev/null -w '%{http_code}')
[ "$PSN_TRUSTED" = true ] || metrics_opts+=(--insecure)
for path in /metrics/node /metrics/pactus; do
  code=$(curl "${metrics_opts[@]}" "$base$path") || psn_die "$base$path: no answer"
  case "$PSN_METRICS:$code" in
    off:404 | protected:401 | protected:403 | open:200) ;;
    *) psn_die "$base$path answered HTTP $code to a request without credentials; expected for monitoring $PSN_METRICS: $(
      case "$PSN_METRICS" in off) echo 404 ;; protected) echo '401 or 403' ;; *) echo 200 ;; esac
    )" ;;
  esac
done

declare -A names=([grpcWeb]=check_grpc_web [jsonrpc]=check_jsonrpc [http]=check_http)
declare -A result
start=$(date +%s)
for api in $PSN_APIS; do
  # Block 1 appears a few seconds after a fresh node starts: retry until the timeout.
  until hash=$(${names[$api]}) && [[ "$hash" =~ ^[0-9a-f]{64}$ ]]; do
    if [ -e "$tmp/unauthenticated" ]; then
      if [ -n "$api_user" ]; then
        psn_die "$api check: the node refused the credentials (Unauthenticated): apis.basicAuthPassword is not the password of the apis.basicAuth line the node has; set the right one with \`pulumi config set --path --secret apis.basicAuthPassword <password>\`"
      fi
      psn_die "$api check: the node requires credentials (Unauthenticated) but none were given: set apis.basicAuth and apis.basicAuthPassword together (the node's basic_auth comes only from the stack)"
    fi
    if [ $(($(date +%s) - start)) -ge "$PSN_TIMEOUT" ]; then
      psn_die "$api check failed for $base (block 1 hash, Origin $PSN_ORIGIN) after $PSN_TIMEOUT s: $(head -c 300 "$tmp"/*.b 2>/dev/null | tr -c '[:print:]' ' ')"
    fi
    sleep 2
  done
  result[$api]=$hash
done
# /healthz: the health refresher's file (the health step), as an uptime monitor reads it. Reported, not
# judged: a mainnet node still syncing is rightly unhealthy (503), and that is no failed deploy. It must
# be the refresher's JSON with its status (200 healthy, 503 not), never cached.
health_code=$(curl "${curl_opts[@]}" -D "$tmp/z.h" -o "$tmp/z.b" -w '%{http_code}' "$base/healthz") ||
  psn_die "GET $base/healthz failed"
health=$(python3 -c '
import json, sys
code, body = int(sys.argv[1]), json.load(open(sys.argv[2]))
assert "time" in body and (code == 200) == body["healthy"] and code in (200, 503)
print(json.dumps({"status": code, "healthy": body["healthy"], "problems": body["problems"]}, separators=(",", ":")))
' "$health_code" "$tmp/z.b" 2>/dev/null) ||
  psn_die "$base/healthz is not the health refresher's answer (HTTP $health_code): $(head -c 300 "$tmp/z.b" | tr -c '[:print:]' ' ')"
grep -qi '^cache-control: no-store' "$tmp/z.h" || psn_die "$base/healthz has no 'Cache-Control: no-store'"

first=""
json="{"
for api in $PSN_APIS; do
  [ -z "$first" ] && first=${result[$api]}
  [ "${result[$api]}" = "$first" ] || psn_die "the APIs disagree on block 1: $(declare -p result)"
  json+="\"$api\":{\"ok\":true,\"blockHash\":\"${result[$api]}\"},"
done
printf '%s"health":%s,"domain":"%s"}\n' "$json" "$health" "$PSN_DOMAIN"
