/**
 * nginx.cache with the real Pactus daemon (PSN_BIN_DIR) behind the rendered nginx site, in private
 * network and mount namespaces (nginx's /var/lib/nginx, its logs and certbot's live dir are tmpfs there):
 * - a cached block hash or block is byte-identical to the node's own answer, and served from the cache;
 * - the chain tip is kept about a second: a new block shows within the bound, and a burst of identical
 *   requests after it expired makes one call to the node (the rest wait for it or get the fresh copy);
 * - an error answer (a height the node does not have) is never kept, nor anything else: other routes and
 *   POSTs always reach the node;
 * - JSON-RPC is never kept: the node answers its errors with HTTP 200, which nginx cannot tell from a
 *   result.
 */
import { hashSync } from "bcryptjs";
import { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PORTS, renderNginxTls, renderPactusConfig } from "../../components/render";
import { hostPaths } from "../../components/render/paths";
import { PING_ORIGIN, StackConfig, parseConfig } from "../../components/config";
import { baseRaw } from "../helpers/config";
import {
  NETNS_SETUP,
  initLocalnetWallet,
  namespaceHolder,
  nginxMainConf,
  pactusBin,
  throwAwayCert,
  stopLiveSuite,
} from "../helpers/local";
import { nsRun, nsSh } from "../helpers/netns";

const DOMAIN = "node.example.org";
const API = "/http/api/pactus/blockchain";
let tmp: string;
let holder: ChildProcess;
let config: StackConfig;

const sh = (script: string, env: Record<string, string> = {}) => nsSh(holder, script, env);

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-cache-"));
  fs.chmodSync(tmp, 0o755);
  config = parseConfig(baseRaw({ domain: DOMAIN, cors: { origins: [PING_ORIGIN] } })).config;
  expect(config.nginx.cache).toBe(true);
  initLocalnetWallet(tmp);
  fs.writeFileSync(path.join(tmp, "wd", "config.toml"), renderPactusConfig(config));
  const ng = path.join(tmp, "nginx");
  fs.mkdirSync(path.join(ng, "sites"), { recursive: true });
  throwAwayCert(tmp, DOMAIN);
  fs.writeFileSync(path.join(ng, "sites", "pactus.conf"), renderNginxTls(config));
  fs.writeFileSync(path.join(ng, "nginx.conf"), nginxMainConf(ng, { extra: "daemon off;" }));
  holder = await namespaceHolder();
  const p = hostPaths(DOMAIN, config.pactus.version);
  sh(
    `
set -euo pipefail
${NETNS_SETUP}
# The cache's parent is not created here: it must exist as on a host with Debian's nginx.
[ -d "$(dirname "$CACHE_DIR")" ] || { echo "no $(dirname "$CACHE_DIR") (Debian's nginx-common makes it)"; exit 1; }
mkdir -p /etc/letsencrypt /var/log/nginx
for d in /etc/letsencrypt /var/log/nginx "$(dirname "$CACHE_DIR")"; do mount -t tmpfs psn-test "$d"; done
mkdir -p "$CERT_DIR"
cp "$T/fullchain.pem" "$T/privkey.pem" "$CERT_DIR/"
"$BIN/pactus-daemon" start -w "$T/wd" --password-from-file "$T/pw" </dev/null >"$T/daemon.log" 2>&1 &
echo $! >"$T/daemon.pid"
nginx -c "$T/nginx/nginx.conf" </dev/null >"$T/nginx/out.log" 2>&1 &
echo $! >"$T/nginx.pid"
for _ in $(seq 1 120); do
  curl -sf http://${PORTS.http}${API}/get_block_hash?height=2 >/dev/null &&
    curl -sk -o /dev/null --resolve ${DOMAIN}:443:127.0.0.1 https://${DOMAIN}/ && exit 0
  sleep 0.5
done
echo "no block 2 or no nginx: $(tail -n 5 "$T/daemon.log" "$T/nginx/error.log" "$T/nginx/out.log")"; exit 1
`,
    { T: tmp, BIN: pactusBin(), CERT_DIR: p.certDir, CACHE_DIR: p.nginxCacheDir },
  );
}, 120_000);

afterAll(() => stopLiveSuite(tmp, holder, ["daemon.pid", "nginx.pid"]));

interface Reply {
  status: number;
  cache: string | undefined;
  cors: string | undefined;
  body: string;
}
/** One request through nginx (TLS, HTTP/2), or straight to the node's HTTP API with `direct`. */
function get(p: string, opts: { direct?: boolean; method?: string } = {}): Reply {
  const url = opts.direct ? `http://${PORTS.http}${p}` : `https://${DOMAIN}${p}`;
  const r = nsRun(holder, [
    ...["curl", "-s", "--max-time", "10", "-k", "--http2", "--resolve", `${DOMAIN}:443:127.0.0.1`],
    ...["-X", opts.method ?? "GET", "-H", `Origin: ${PING_ORIGIN}`, "-D", "-", url],
  ]);
  if (r.status !== 0) throw new Error(`curl ${url}: ${r.stderr}`);
  const [head, ...rest] = r.stdout.split(/\r?\n\r?\n/);
  const header = (name: string) =>
    head
      .split(/\r?\n/)
      .find((l) => l.toLowerCase().startsWith(`${name}:`))
      ?.slice(name.length + 1)
      .trim();
  return {
    status: Number(head.split(" ")[1]),
    cache: header("x-cache-status"),
    cors: header("access-control-allow-origin"),
    body: rest.join("\n\n"),
  };
}
const height = (r: Reply) =>
  Number((JSON.parse(r.body) as { lastBlockHeight: string }).lastBlockHeight);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("nginx.cache: hot HTTP API reads without the node", () => {
  test.each([`${API}/get_block_hash?height=1`, `${API}/get_block?height=1&verbosity=1`])(
    "%s: the cached answer is byte-identical to the node's, with CORS",
    (p) => {
      const first = get(p);
      const again = get(p);
      expect(first.status).toBe(200);
      expect(first.cache).toMatch(/^(MISS|HIT)$/);
      expect(again.cache).toBe("HIT");
      expect(again.cors).toBe(PING_ORIGIN);
      expect(again.body).toBe(first.body);
      expect(again.body).toBe(get(p, { direct: true }).body);
    },
  );

  test("an error (a height the node does not have) is never kept", () => {
    const p = `${API}/get_block_hash?height=987654`;
    const a = get(p);
    const b = get(p);
    expect(a.status).not.toBe(200);
    expect([a.cache, b.cache]).toEqual(["MISS", "MISS"]);
    expect(b.body).toBe(get(p, { direct: true }).body);
  });

  test("the chain tip is kept about a second: a new block shows within 2 s of the node having it (nginx counts whole seconds)", async () => {
    const cached = height(get(`${API}/get_blockchain_info`));
    let nodeAt = 0;
    let t = 0;
    for (let i = 0; i < 300 && !t; i++) {
      if (height(get(`${API}/get_blockchain_info`, { direct: true })) > cached) t = Date.now();
      else await sleep(100);
    }
    expect(t).toBeGreaterThan(0);
    for (let i = 0; i < 30; i++) {
      if (height(get(`${API}/get_blockchain_info`)) > cached) {
        nodeAt = Date.now() - t;
        break;
      }
      await sleep(100);
    }
    expect(nodeAt).toBeGreaterThan(0);
    expect(nodeAt).toBeLessThanOrEqual(2100);
  }, 60_000);

  test("a burst of 40 identical tip requests after it expired makes one call to the node", async () => {
    await sleep(2100); // 1 s of validity, counted in whole seconds: expired after at most 2 s
    // One curl starts all 40 at once (not 40 processes forked one by one, which on a busy machine
    // can outlast the tip's validity and make a second burst).
    const url = `https://${DOMAIN}${API}/get_blockchain_info`;
    const r = nsRun(holder, [
      "curl",
      ...["-s", "-k", "--max-time", "10", "--resolve", `${DOMAIN}:443:127.0.0.1`],
      ...["--parallel", "--parallel-immediate", "--parallel-max", "40"],
      ...["-w", "%header{x-cache-status}\\n"],
      ...Array.from({ length: 40 }, () => [url, "-o", "/dev/null"]).flat(),
    ]);
    const statuses = r.stdout.trim().split("\n");
    expect(statuses).toHaveLength(40);
    // One request goes to the node (EXPIRED, or MISS if the entry was evicted); the rest get the copy
    // it is refreshing (UPDATING) or the fresh one (HIT).
    const calls = statuses.filter((s) => s === "MISS" || s === "EXPIRED");
    expect({ calls: calls.length, statuses }).toEqual({ calls: 1, statuses });
  });

  test("JSON-RPC is never kept: the node answers an error with HTTP 200 (the error in the body), so nginx could not tell it from a result", () => {
    const call = (height: number, direct: boolean) => {
      const body = JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "pactus.blockchain.get_block_hash",
        params: { height },
      });
      const url = direct ? `http://${PORTS.jsonrpc}/` : `https://${DOMAIN}/jsonrpc`;
      const r = nsRun(holder, [
        ...["curl", "-s", "--max-time", "10", "-k", "--resolve", `${DOMAIN}:443:127.0.0.1`],
        ...["-H", "Content-Type: application/json", "-d", body, "-D", "-", url],
      ]);
      const [head, ...rest] = r.stdout.split(/\r?\n\r?\n/);
      return { status: Number(head.split(" ")[1]), head, body: rest.join("\n\n") };
    };
    // Why: a block that does not exist yet is a 200 whose body is an error. Were it cached, the error
    // would outlive the block's arrival: nginx decides from the status and headers, not the body.
    const missing = call(987654, true);
    expect(missing.status).toBe(200);
    expect(JSON.parse(missing.body)).toHaveProperty("error");
    for (const h of [1, 987654]) {
      const a = call(h, false);
      const b = call(h, false);
      expect(a.head).not.toMatch(/x-cache-status/i);
      expect(b.head).not.toMatch(/x-cache-status/i);
      expect(b.body).toBe(call(h, true).body);
    }
  });

  test("POSTs and other routes (a transaction, an account) are never kept: no cache at all there", () => {
    for (const [p, method] of [
      [`${API}/get_block_hash?height=1`, "POST"],
      ["/http/api/pactus/transaction/broadcast_transaction?signed_raw_transaction=00", "GET"],
      ["/http/api/pactus/blockchain/get_account?address=x", "GET"],
    ] as const) {
      const r = get(p, { method });
      expect(r.cache === undefined || r.cache === "BYPASS").toBe(true);
    }
  });
});

describe("where nginx.cache keeps nothing", () => {
  test.each([
    ["nginx.cache false", baseRaw({ nginx: { cache: false } })],
    ["the HTTP API off", baseRaw({ apis: { grpcWeb: true, jsonrpc: true, http: false } })],
    [
      "apis.basicAuth (a cached answer would reach a caller the node refuses)",
      baseRaw({
        secrets: {
          ...baseRaw().secrets,
          "apis.basicAuth": `alice:${hashSync("a long password", 5)}`,
          "apis.basicAuthPassword": "a long password",
        },
      }),
    ],
  ])("%s: no cache in the rendered site", (_what, raw) => {
    const site = renderNginxTls(parseConfig(raw).config);
    expect(site).not.toMatch(/proxy_cache/);
  });
});
