/**
 * apis.basicAuth with the real Pactus daemon (PSN_BIN_DIR) behind the rendered nginx site:
 * - the line comes from `htpasswd -B`, passes the stack's validation, and reaches config.toml through the
 *   pactus step's own code (psn_secret + psn_pactus_config from the step's secret stdin); the daemon
 *   loads that file strictly;
 * - gRPC (grpc-js, direct and through /grpc-web over TLS), JSON-RPC and the HTTP API refuse calls without
 *   credentials or with a wrong password (gRPC 16 UNAUTHENTICATED, JSON-RPC error, HTTP 401) and answer
 *   with the right `Authorization: Basic`, through all three nginx locations; the hot reads nginx.cache
 *   would keep are refused without credentials right after an authorised caller read them;
 * - remote/verify.sh, run exactly as the verify step runs it (command line + secret stdin), passes with
 *   the credentials, fails at once naming the key without or with wrong ones, and never puts them in a
 *   process's argv or its output;
 * - the status page, fed nginx's real answers, reads "needs credentials".
 * Everything runs in private network and mount namespaces (nsenter into a holder process): the fixed
 * ports never clash with the machine, and /etc/letsencrypt and /var/log/nginx are tmpfs there.
 */
import { ChildProcess, execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { basicAuthDigest } from "../../components/config";
import {
  PORTS,
  hostPaths,
  renderHealthEnv,
  renderNginxTls,
  renderPactusConfig,
} from "../../components/render";
import {
  StepPlan,
  buildCommand,
  buildStdin,
  loadScript,
  pactusSecrets,
  planSteps,
  verifySecrets,
} from "../../components/steps";
import { PING_ORIGIN, StackConfig, parseConfig } from "../../components/config";
import { baseRaw } from "../helpers/config";
import { Answer, runStatusPage } from "../helpers/statusPage";
import {
  NETNS_SETUP,
  initLocalnetWallet,
  namespaceHolder,
  nginxMainConf,
  pactusBin,
  pactusProtoDir,
  throwAwayCert,
  stopLiveSuite,
} from "../helpers/local";
import { NsOptions, nsGrpcGetBlockHash, nsRun, nsSh } from "../helpers/netns";

const ROOT = path.resolve(__dirname, "..", "..");
const DOMAIN = "node.example.org";
const USER = "alice";
// A colon, spaces and non-ASCII: all must survive the base64 trips (stdin, Authorization header).
const PASSWORD = `open sesame: ö ${crypto.randomBytes(4).toString("hex")}`;
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const basic = (user: string, pw: string) => `Basic ${b64(`${user}:${pw}`)}`;

let tmp: string;
let line: string;
let config: StackConfig;
let verifyStep: StepPlan;
let holder: ChildProcess;
let configToml: string;

/** A command (or bash script) inside the test's network and mount namespaces. */
const ns = (cmd: string[], opts: NsOptions = {}) => nsRun(holder, cmd, opts);
const sh = (script: string, env: Record<string, string> = {}) => nsSh(holder, script, env);

beforeAll(async () => {
  for (const tool of ["htpasswd", "nginx", "openssl", "unshare", "nsenter", "curl", "ss"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool} || test -x /usr/sbin/${tool}`]).status !== 0) {
      throw new Error(
        `${tool} is not installed (npm test installs it: tools/setup.sh test; htpasswd is in apache2-utils)`,
      );
    }
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-auth-"));
  fs.chmodSync(tmp, 0o755); // nginx's workers (nobody) traverse it to their temp dirs

  // The operator's side: `htpasswd -B` (the password on stdin, -i), then the stack's validation.
  const out = execFileSync("htpasswd", ["-inB", USER], { input: PASSWORD, encoding: "utf8" });
  expect(out).toMatch(/^alice:\$2y\$05\$[./A-Za-z0-9]{53}\n\n?$/);
  const parsed = parseConfig(
    baseRaw({
      domain: DOMAIN,
      cors: { origins: [PING_ORIGIN] },
      secrets: { ...baseRaw().secrets, "apis.basicAuth": out, "apis.basicAuthPassword": PASSWORD },
    }),
  );
  config = parsed.config;
  line = parsed.secrets.basicAuth!;
  expect(config.apis.basicAuth).toBe(true);
  const plan = planSteps(config, { sshPort: 22, basicAuthDigest: basicAuthDigest(line) });
  verifyStep = plan.find((s) => s.name === "verify")!;
  const pactusStep = plan.find((s) => s.name === "pactus")!;

  // The node: a localnet wallet, then config.toml as the pactus step writes it. Its own code makes the
  // file: psn_secret reads the line from the secret stdin, psn_pactus_config puts it into PSN_CONFIG.
  initLocalnetWallet(tmp);
  const fn = loadScript("pactus.sh").match(/^psn_pactus_config\(\) \{\n[\s\S]*?\n\}\n/m)![0];
  const lib = fs.readFileSync(path.join(ROOT, "remote", "lib.sh"), "utf8");
  configToml = execFileSync("bash", ["-c", buildCommand("pactus", pactusStep.hash, false)], {
    input: buildStdin(
      "pactus",
      `set -euo pipefail\n${lib}\n${fn}\nbasic_auth=$(psn_secret BASIC_AUTH)\npsn_pactus_config "$PSN_CONFIG" "$basic_auth"\nprintf '%s' "$config_toml"`,
      { PSN_CONFIG: pactusStep.env.PSN_CONFIG },
      pactusSecrets({ walletPassword: "a long test password", basicAuth: line }),
    ),
    encoding: "utf8",
  });
  fs.writeFileSync(path.join(tmp, "wd", "config.toml"), configToml, { mode: 0o640 });

  // nginx: the rendered TLS site, a throw-away certificate at certbot's paths.
  const ng = path.join(tmp, "nginx");
  fs.mkdirSync(path.join(ng, "sites"), { recursive: true });
  throwAwayCert(tmp, DOMAIN);
  fs.writeFileSync(path.join(ng, "sites", "pactus.conf"), renderNginxTls(config));
  fs.writeFileSync(path.join(ng, "nginx.conf"), nginxMainConf(ng, { extra: "daemon off;" }));

  // Stand-ins for what only a real host has: systemd's MainPID of the node's unit; and a curl that logs
  // its argv (the credentials must never be there).
  const shim = path.join(tmp, "shim");
  fs.mkdirSync(shim);
  fs.writeFileSync(
    path.join(shim, "systemctl"),
    `#!/bin/sh
[ "$*" = "show -p MainPID --value ${verifyStep.env.PSN_SERVICE}" ] && exec cat ${tmp}/daemon.pid
echo "systemctl shim: unexpected $*" >&2; exit 1
`,
    { mode: 0o755 },
  );
  fs.writeFileSync(
    path.join(shim, "curl"),
    `#!/bin/sh
printf '%s\\n' "$*" >>${tmp}/curl-argv.log
exec /usr/bin/curl "$@"
`,
    { mode: 0o755 },
  );

  holder = await namespaceHolder();
  // certbot's live dir, which nginx and verify.sh read, is under the tmpfs mounted here.
  expect(verifyStep.env.PSN_CERT_DIR).toBe(`/etc/letsencrypt/live/${DOMAIN}`);
  sh(
    `
set -euo pipefail
${NETNS_SETUP}
mkdir -p /etc/letsencrypt /var/log/nginx
mount -t tmpfs psn-test /etc/letsencrypt
mount -t tmpfs psn-test /var/log/nginx
# /run: the health refresher's output dir, which nginx serves at /healthz.
mount -t tmpfs psn-test /run
live=$CERT_DIR
mkdir -p "$live"
cp "$T/fullchain.pem" "$T/privkey.pem" "$live/"
cp "$T/fullchain.pem" "$live/cert.pem"
"$BIN/pactus-daemon" start -w "$T/wd" --password-from-file "$T/pw" </dev/null >"$T/daemon.log" 2>&1 &
echo $! >"$T/daemon.pid"
nginx -c "$T/nginx/nginx.conf" </dev/null >"$T/nginx/out.log" 2>&1 &
echo $! >"$T/nginx.pid"
`,
    { T: tmp, BIN: pactusBin(), CERT_DIR: verifyStep.env.PSN_CERT_DIR },
  );
  // Block 1, asked with the credentials.
  sh(
    `for _ in $(seq 1 120); do
  curl -s -H "Authorization: $AUTH" -H 'Content-Type: application/json' \\
    -d '{"jsonrpc":"2.0","id":1,"method":"pactus.blockchain.get_blockchain_info","params":{}}' http://${PORTS.jsonrpc}/ |
    grep -q '"last_block_height":[1-9]' && curl -sk -o /dev/null --resolve ${DOMAIN}:443:127.0.0.1 https://${DOMAIN}/ && exit 0
  sleep 0.5
done
echo "no block 1 with credentials, or no nginx: $(tail -n 5 "$T/daemon.log" "$T/nginx/error.log" "$T/nginx/out.log")"; exit 1`,
    { AUTH: basic(USER, PASSWORD), T: tmp },
  );
}, 120_000);

afterAll(() => stopLiveSuite(tmp, holder, ["daemon.pid", "nginx.pid"]));

const https = (p: string) => `https://${DOMAIN}${p}`;
const CURL = ["curl", "-s", "--max-time", "10", "-k", "--resolve", `${DOMAIN}:443:127.0.0.1`];

/** One HTTP exchange from inside the namespace: status, headers (lowercase), body. */
function exchange(
  url: string,
  opts: { method?: string; headers?: string[]; body?: string | Buffer; http2?: boolean } = {},
): Answer & { headers: Record<string, string>; text: string } {
  const bodyFile = path.join(tmp, `body-${crypto.randomBytes(4).toString("hex")}`);
  const args = [
    ...CURL,
    ...(opts.http2 ? ["--http2"] : []),
    "-X",
    opts.method ?? (opts.body === undefined ? "GET" : "POST"),
    "-D",
    "-",
    "-o",
    bodyFile,
  ];
  for (const h of opts.headers ?? []) args.push("-H", h);
  if (opts.body !== undefined) args.push("--data-binary", "@-");
  const r = ns([...args, url], { input: opts.body });
  if (r.status !== 0) throw new Error(`curl ${url}: ${r.stderr}`);
  const blocks = r.stdout.trim().split(/\r?\n\r?\n/);
  const head = blocks[blocks.length - 1].split(/\r?\n/);
  const headers: Record<string, string> = {};
  for (const h of head.slice(1)) {
    const i = h.indexOf(":");
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  const body = fs.existsSync(bodyFile) ? fs.readFileSync(bodyFile) : Buffer.alloc(0);
  return {
    status: Number(head[0].split(" ")[1]),
    headers,
    body: new Uint8Array(body),
    text: body.toString("utf8"),
  };
}

describe("basic auth in the real daemon, behind the rendered nginx", () => {
  test("the installed config.toml holds the exact htpasswd line in [grpc] and loads strictly (not moved aside)", () => {
    const wd = path.join(tmp, "wd");
    expect(configToml).toBe(
      renderPactusConfig(config).replace('basic_auth = ""', `basic_auth = "${line}"`),
    );
    expect(fs.readFileSync(path.join(wd, "config.toml"), "utf8")).toBe(configToml);
    expect(fs.readdirSync(wd).filter((f) => f.startsWith("config.toml_bak"))).toEqual([]);
    // The daemon does not log the hash.
    const logs =
      fs.readFileSync(path.join(tmp, "daemon.log"), "utf8") +
      fs.readFileSync(path.join(wd, "pactus.log"), "utf8");
    expect(logs).not.toContain(line.split(":")[1].slice(7));
  });

  test("gRPC (grpc-js): direct and through /grpc-web over TLS, refused as UNAUTHENTICATED (16) without or with wrong credentials", () => {
    const auths: Record<string, string | undefined> = {
      none: undefined,
      right: basic(USER, PASSWORD),
      wrongPassword: basic(USER, `${PASSWORD}x`),
      wrongUser: basic("bob", PASSWORD),
    };
    const cases = Object.entries(auths).flatMap(([k, authorization]) => [
      { name: `direct-${k}`, target: PORTS.grpc, prefix: "", authorization },
      {
        name: `nginx-${k}`,
        target: "127.0.0.1:443",
        prefix: "/grpc-web",
        ca: path.join(tmp, "fullchain.pem"),
        authority: DOMAIN,
        authorization,
      },
    ]);
    const res = nsGrpcGetBlockHash(holder, tmp, pactusProtoDir(), cases);
    for (const via of ["direct", "nginx"]) {
      expect(res[`${via}-right`]).toEqual({
        code: 0,
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(res[`${via}-none`]).toEqual({
        code: 16,
        details: "failed to extract basic auth from header",
      });
      expect(res[`${via}-wrongPassword`]).toEqual({
        code: 16,
        details: "username or password is invalid",
      });
      expect(res[`${via}-wrongUser`]).toEqual({
        code: 16,
        details: "username or password is invalid",
      });
    }
    expect(res["nginx-right"].hash).toBe(res["direct-right"].hash);
  });

  const jsonrpc = (url: string, auth?: string) =>
    exchange(url, {
      headers: ["Content-Type: application/json", ...(auth ? [`Authorization: ${auth}`] : [])],
      body: '{"jsonrpc":"2.0","id":1,"method":"pactus.blockchain.get_block_hash","params":{"height":1}}',
    });
  const httpApi = (url: string, auth?: string) =>
    exchange(url, { headers: auth ? [`Authorization: ${auth}`] : [] });

  test.each([
    ["direct", `http://${PORTS.jsonrpc}/`, `http://${PORTS.http}`],
    ["through nginx (/jsonrpc, /http/)", https("/jsonrpc"), https("")],
  ])(
    "JSON-RPC and HTTP %s: refused without or with wrong credentials, answered with the right ones",
    (_via, rpcUrl, httpBase) => {
      const get = `${httpBase}/http/api/pactus/blockchain/get_block_hash?height=1`;
      for (const auth of [undefined, basic(USER, "wrong"), basic("bob", PASSWORD)]) {
        const j = jsonrpc(rpcUrl, auth);
        expect(j.status).toBe(200);
        expect(JSON.parse(j.text)).toMatchObject({
          error: {
            code: -32098,
            message: expect.stringMatching(/^rpc error: code = Unauthenticated desc = /),
          },
        });
        const h = httpApi(get, auth);
        expect(h.status).toBe(401);
        expect(JSON.parse(h.text)).toMatchObject({ code: 16 });
      }
      const hash = JSON.parse(jsonrpc(rpcUrl, basic(USER, PASSWORD)).text).result.hash;
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      const ok = httpApi(get, basic(USER, PASSWORD));
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.text).hash).toBe(hash);
    },
  );

  test("nginx.cache cannot let a caller past basic auth: reads the right credentials just made are refused without them, and nothing is kept", () => {
    expect(config.nginx.cache).toBe(true); // the operator left it on (the default)
    for (const p of [
      "/http/api/pactus/blockchain/get_block_hash?height=1",
      "/http/api/pactus/blockchain/get_block?height=1&verbosity=1",
      "/http/api/pactus/blockchain/get_blockchain_info",
    ]) {
      const ok = [1, 2].map(() => httpApi(https(p), basic(USER, PASSWORD)));
      expect(ok.map((r) => r.status)).toEqual([200, 200]);
      const refused = httpApi(https(p));
      expect(refused.status).toBe(401);
      for (const r of [...ok, refused]) expect(r.headers["x-cache-status"]).toBeUndefined();
    }
  });

  test.each([
    "/grpc-web/pactus.Blockchain/GetBlockHash",
    "/jsonrpc",
    "/http/api/pactus/blockchain/get_block_hash",
  ])("a browser preflight for %s may send Authorization", (p) => {
    const r = exchange(https(p), {
      method: "OPTIONS",
      headers: [
        `Origin: ${PING_ORIGIN}`,
        "Access-Control-Request-Method: POST",
        "Access-Control-Request-Headers: authorization,content-type",
      ],
    });
    expect(r.status).toBe(204);
    expect(r.headers["access-control-allow-origin"]).toBe(PING_ORIGIN);
    expect(r.headers["access-control-allow-headers"].split(/,\s*/)).toContain("Authorization");
  });

  /** remote/verify.sh as the verify step runs it: its command line, its stdin (secrets when given). */
  function runVerify(secrets?: string) {
    const env = { ...verifyStep.env, PSN_TIMEOUT: "30" };
    fs.rmSync(path.join(tmp, "curl-argv.log"), { force: true });
    const t0 = Date.now();
    const r = ns(
      [
        "env",
        `PATH=${path.join(tmp, "shim")}:${process.env.PATH}`,
        "bash",
        "-c",
        buildCommand("verify", verifyStep.hash, false),
      ],
      {
        input: buildStdin("verify", verifyStep.script, env, secrets),
        timeout: 90_000,
      },
    );
    const argv = fs.existsSync(path.join(tmp, "curl-argv.log"))
      ? fs.readFileSync(path.join(tmp, "curl-argv.log"), "utf8")
      : "";
    return { ...r, seconds: (Date.now() - t0) / 1000, argv };
  }
  const secretTexts = () => [
    PASSWORD,
    b64(PASSWORD),
    b64(`${USER}:${PASSWORD}`),
    line.split(":")[1],
  ];

  /** One run of the health refresher (remote/pactus-health.py --once) with the health step's settings. */
  function refresh(withCredentials: boolean): Record<string, unknown> {
    const env = renderHealthEnv(config)
      .replace(/^PSN_SHELL=.*$/m, `PSN_SHELL=${pactusBin()}/pactus-shell`)
      .replace(/^PSN_PROM_FILE=.*$/m, `PSN_PROM_FILE=${tmp}/textfile/pactus.prom`)
      .replace(/^PSN_AUTH_FILE=.*$/m, `PSN_AUTH_FILE=${tmp}/health-auth`);
    expect(env).toContain(`PSN_AUTH_FILE=${tmp}/health-auth\n`);
    fs.writeFileSync(path.join(tmp, "health.env"), env);
    fs.rmSync(path.join(tmp, "health-auth"), { force: true });
    // As the health step writes it: user and password on two lines, 0600.
    if (withCredentials)
      fs.writeFileSync(path.join(tmp, "health-auth"), `${USER}\n${PASSWORD}\n`, { mode: 0o600 });
    fs.rmSync(path.join(tmp, "curl-argv.log"), { force: true });
    // The curl shim logs every argv (the credentials must never be in one).
    sh(
      `set -a; . "${tmp}/health.env"; set +a; PATH="${tmp}/shim:$PATH" python3 "${ROOT}/remote/pactus-health.py" --once 2>/dev/null`,
    );
    return JSON.parse(
      sh(`cat "${hostPaths(DOMAIN, config.pactus.version).healthDir}/healthz.json"`),
    ) as Record<string, unknown>;
  }

  test("the health refresher calls the node with the credentials of its 0600 file; without them it reports the refusal", () => {
    const refused = refresh(false);
    expect(refused).toMatchObject({ up: false, healthy: false });
    expect(refused.problems).toContainEqual(
      expect.stringMatching(/^the node's gRPC on loopback fails: .*Unauthenticated/),
    );
    const ok = refresh(true);
    expect(ok).toMatchObject({ up: true, version: "1.16.0", network: "pactus-localnet", peers: 0 });
    // Native gRPC over h2c with curl, the credentials from a 0600 header file, in no argv.
    const argv = fs.readFileSync(path.join(tmp, "curl-argv.log"), "utf8");
    expect(argv.split("\n").filter(Boolean)).toHaveLength(3);
    // In the refresher's temporary directory ($TMPDIR, /tmp on the host).
    expect(argv).toMatch(/--http2-prior-knowledge .*-H @\/\S*\/psn-health-[^ ]+\/auth\.h /);
    for (const t of secretTexts()) expect(argv).not.toContain(t);
    expect(typeof ok.clockOffsetSeconds).toBe("number");
    expect(ok.lastBlockAgeSeconds).toBeLessThan(60);
    expect(ok.height).toBeGreaterThanOrEqual(1);
    // The test certificate is valid for 2 days: below the 14 days, the one problem.
    expect(ok.problems).toEqual(["the TLS certificate expires in 1 day (less than 14)"]);
    for (const t of secretTexts()) expect(JSON.stringify(ok)).not.toContain(t);
  });

  test("verify.sh passes with the credentials from its secret stdin, which never reach curl's argv or the output", () => {
    expect(verifyStep.secretStdin).toBe(true);
    const r = runVerify(verifySecrets({ basicAuth: line, password: PASSWORD }));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    const hash = out.grpcWeb.blockHash;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(out).toEqual({
      grpcWeb: { ok: true, blockHash: hash },
      jsonrpc: { ok: true, blockHash: hash },
      http: { ok: true, blockHash: hash },
      // /healthz as the refresher left it (previous test): answered, reported, not judged.
      health: {
        status: 503,
        healthy: false,
        problems: ["the TLS certificate expires in 1 day (less than 14)"],
      },
      domain: DOMAIN,
    });
    // curl ran (the shim saw it) and took the header from a file.
    expect(r.argv).toMatch(/-H @\/tmp\/[^ ]+\/auth\.h/);
    // JSON-RPC at /jsonrpc:, the ping page's own form (type://host:port with the port empty).
    expect(r.argv).toContain(` https://${DOMAIN}/jsonrpc: `);
    for (const t of secretTexts()) expect(r.argv + r.stdout + r.stderr).not.toContain(t);
  });

  test("verify.sh with a wrong password fails at once, naming apis.basicAuthPassword (not after its timeout)", () => {
    const r = runVerify(verifySecrets({ basicAuth: line, password: `${PASSWORD}-old` }));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "[verify] error: grpcWeb check: the node refused the credentials (Unauthenticated): apis.basicAuthPassword is not the password of the apis.basicAuth line the node has; set the right one with `pulumi config set --path --secret apis.basicAuthPassword <password>`\n",
    );
    expect(r.seconds).toBeLessThan(10);
    for (const t of [...secretTexts(), `${PASSWORD}-old`])
      expect(r.argv + r.stdout + r.stderr).not.toContain(t);
  });

  test.each([
    ["grpcWeb jsonrpc http", "grpcWeb"],
    ["jsonrpc", "jsonrpc"],
    ["http", "http"],
  ])("verify.sh without credentials (%s) fails at once, naming the keys to set", (apis, first) => {
    const step = { ...verifyStep, env: { ...verifyStep.env, PSN_APIS: apis } };
    fs.rmSync(path.join(tmp, "curl-argv.log"), { force: true });
    const t0 = Date.now();
    const r = ns(
      [
        "env",
        `PATH=${path.join(tmp, "shim")}:${process.env.PATH}`,
        "bash",
        "-c",
        buildCommand("verify", step.hash, false),
      ],
      {
        input: buildStdin("verify", step.script, { ...step.env, PSN_TIMEOUT: "30" }),
        timeout: 90_000,
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `[verify] error: ${first} check: the node requires credentials (Unauthenticated) but none were given: set apis.basicAuth and apis.basicAuthPassword together (the node's basic_auth comes only from the stack)\n`,
    );
    expect((Date.now() - t0) / 1000).toBeLessThan(10);
  });

  test("the status page, on nginx's own answers without credentials, reads 'needs credentials' for all three and the height", async () => {
    const frame = Buffer.from([0, 0, 0, 0, 2, 0x08, 0x01]);
    const grpcWeb = exchange(https("/grpc-web/pactus.Blockchain/GetBlockHash"), {
      http2: true,
      body: frame,
      headers: ["Content-Type: application/grpc-web+proto", "X-Grpc-Web: 1"],
    });
    // nginx relays the node's trailers-only answer: HTTP 200, the gRPC status in the headers.
    expect(grpcWeb.status).toBe(200);
    expect(grpcWeb.headers["grpc-status"]).toBe("16");
    const rpc = (method: string) =>
      exchange(https("/jsonrpc"), {
        http2: true,
        headers: ["Content-Type: application/json"],
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: {} }),
      });
    const answers: Record<string, Answer> = {
      "/grpc-web/pactus.Blockchain/GetBlockHash": grpcWeb,
      "pactus.blockchain.get_block_hash": rpc("pactus.blockchain.get_block_hash"),
      "pactus.blockchain.get_blockchain_info": rpc("pactus.blockchain.get_blockchain_info"),
      "/http/api/pactus/blockchain/get_block_hash?height=1": exchange(
        https("/http/api/pactus/blockchain/get_block_hash?height=1"),
        { http2: true },
      ),
      "/http/api/pactus/blockchain/get_blockchain_info": exchange(
        https("/http/api/pactus/blockchain/get_blockchain_info"),
        { http2: true },
      ),
      "/healthz": exchange(https("/healthz"), { http2: true }),
    };
    const view = await runStatusPage((url, body) => {
      const a = answers[url === "/jsonrpc" ? JSON.parse(body!).method : url];
      if (!a) throw new Error(`the status page asked for ${url}, which this test did not capture`);
      return a;
    });
    for (const r of Object.values(view.rows))
      expect(r).toMatchObject({
        state: "auth",
        result: "needs credentials (the node requires basic auth)",
      });
    expect(view.height).toEqual({
      state: "auth",
      text: "needs credentials (the node requires basic auth)",
    });
  });
});
