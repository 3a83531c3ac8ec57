/**
 * The official Pactus clients against the rendered nginx site (both sites: 443 and 80) and the real
 * daemon (PSN_BIN_DIR, localnet, block 1), each answer compared with the daemon's own on loopback:
 * - Python pactus-jsonrpc at https://<domain>/jsonrpc and pactus-grpc over TLS at <domain>:443, the root
 *   (the pinned venv of tools/clients, driven by tools/clients/py_clients.py);
 * - pactus-shell --tls at the root, by name and by address (IPv4, IPv6) with --tls-server-name;
 * - grpc-js the Pactus GUI's way (native gRPC over TLS, /grpc-web prefix) and at the root, IPv4 and IPv6;
 * - curl as the ping page's JSON-RPC client: /jsonrpc: and /jsonrpc:443, preflight then POST, with CORS;
 * - gRPC-Web binary at both gRPC locations; text mode gets a clear gRPC-Web error (status 12) at once;
 * - requests that must never reach the node: /jsonrpcfoo, /jsonrpc/abc, non-gRPC requests to the gRPC
 *   paths, other gRPC services, plaintext h2c to :443 and :80, pactus-wallet (plaintext only) to :443.
 *   "Never" is counted on the node's side: iptables counts the packets with a payload that nginx's
 *   workers send to the daemon's ports, and a positive control shows the counter moves.
 * Everything runs in private network and mount namespaces (nsenter into a holder process): /etc/hosts
 * there names the domain (127.0.0.1 and ::1), so clients resolve it as users do; the certificate is
 * signed by a throw-away CA that the clients are told to trust.
 */
import { ChildProcess, execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  PORTS,
  renderNginxHttp,
  renderNginxTls,
  renderPactusConfig,
} from "../../components/render";
import { PING_ORIGIN } from "../../components/config";
import { cfg } from "../helpers/config";
import {
  NETNS_SETUP,
  initLocalnetWallet,
  namespaceHolder,
  nginxMainConf,
  pactusBin,
  pactusProtoDir,
  stopLiveSuite,
} from "../helpers/local";
import { GrpcCase, NsOptions, nsGrpcGetBlockHash, nsRun, nsSh } from "../helpers/netns";

const ROOT = path.resolve(__dirname, "..", "..");
const DOMAIN = "node.example.org";
/** The daemon's API ports, by what nginx proxies to them. */
const UPSTREAMS = {
  grpc: PORTS.grpc.split(":")[1],
  jsonrpc: PORTS.jsonrpc.split(":")[1],
  http: PORTS.http.split(":")[1],
};
/** GetBlockHashRequest{height: 1} as one gRPC frame (flag 0, length 2, field 1 varint 1). */
const FRAME = Buffer.from([0, 0, 0, 0, 2, 0x08, 0x01]);
/** The ping page's JSON-RPC body (@open-rpc/client-js: ids from "0", params by name). */
const PAGE_RPC =
  '{"jsonrpc":"2.0","id":"0","method":"pactus.blockchain.get_block_hash","params":{"height":1}}';

let tmp: string;
let holder: ChildProcess;
let python: string;
let protoDir: string;
/** Block 1's hash as the daemon itself answers on loopback (JSON-RPC; gRPC agrees, first test). */
let hash: string;

/** A command (or bash script) inside the test's network and mount namespaces, in its scratch dir. */
const ns = (cmd: string[], opts: NsOptions = {}) => nsRun(holder, cmd, { ...opts, cwd: tmp });
const sh = (script: string, env: Record<string, string> = {}) => nsSh(holder, script, env, tmp);

/** Packets with a payload that nginx's workers sent to each daemon port (iptables counters). */
function upstreamPackets(): Record<keyof typeof UPSTREAMS, number> {
  const table = sh("iptables -L OUTPUT -v -n -x");
  const count = (port: string) => {
    const line = table.split("\n").find((l) => l.includes(`dpt:${port} owner UID match`));
    if (!line) throw new Error(`no counter for port ${port}:\n${table}`);
    return Number(line.trim().split(/\s+/)[0]);
  };
  return {
    grpc: count(UPSTREAMS.grpc),
    jsonrpc: count(UPSTREAMS.jsonrpc),
    http: count(UPSTREAMS.http),
  };
}
/** Runs `act` and checks that nothing of it reached the daemon through nginx. */
function neverReachesNode<T>(what: string, act: () => T): T {
  const before = upstreamPackets();
  const r = act();
  expect({ [what]: upstreamPackets() }).toEqual({ [what]: before });
  return r;
}

interface Exchange {
  status: number;
  headers: Record<string, string>;
  /** HTTP/2 trailers (a gRPC answer's status), when any. */
  trailers: Record<string, string>;
  text: string;
  seconds: number;
}
/** "name: value" lines into a record with lowercase names. */
function headerLines(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of lines) {
    const i = h.indexOf(":");
    if (i > 0) out[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  return out;
}
/** One HTTPS exchange with curl from inside the namespace, the certificate checked against the CA. */
function exchange(
  url: string,
  opts: { method?: string; headers?: string[]; body?: string | Buffer; http2?: boolean } = {},
): Exchange {
  const bodyFile = path.join(tmp, `body-${crypto.randomBytes(4).toString("hex")}`);
  const args = ["curl", "-sS", "--max-time", "10", "--cacert", path.join(tmp, "ca.pem")];
  args.push(...(opts.http2 === false ? ["--http1.1"] : ["--http2"]));
  args.push("-X", opts.method ?? (opts.body === undefined ? "GET" : "POST"));
  args.push("-D", "-", "-o", bodyFile, "-w", "\n%{time_total}");
  for (const h of opts.headers ?? []) args.push("-H", h);
  if (opts.body !== undefined) args.push("--data-binary", "@-");
  const r = ns([...args, url], { input: opts.body });
  if (r.status !== 0) throw new Error(`curl ${url}: ${r.stderr}`);
  const out = r.stdout.trimEnd();
  const seconds = Number(out.slice(out.lastIndexOf("\n") + 1));
  // -D: the response's header block (after any interim one), then the trailers if any.
  const blocks = out
    .slice(0, out.lastIndexOf("\n"))
    .trim()
    .split(/\r?\n\r?\n/)
    .map((b) => b.split(/\r?\n/));
  const last = blocks.map((b) => b[0].startsWith("HTTP/")).lastIndexOf(true);
  const head = blocks[last];
  const text = fs.existsSync(bodyFile) ? fs.readFileSync(bodyFile, "latin1") : "";
  fs.rmSync(bodyFile, { force: true });
  return {
    status: Number(head[0].split(" ")[1]),
    headers: headerLines(head.slice(1)),
    trailers: headerLines(blocks.slice(last + 1).flat()),
    text,
    seconds,
  };
}
const https = (p: string) => `https://${DOMAIN}${p}`;

/** grpc-js unary GetBlockHash calls from inside the namespaces. */
const grpcJs = (cases: GrpcCase[]) => nsGrpcGetBlockHash(holder, tmp, protoDir, cases);

/** pactus-shell with its output and exit status (it exits 0 even when the call failed). */
function pactusShell(args: string[]) {
  const t = Date.now();
  const r = ns([path.join(pactusBin(), "pactus-shell"), ...args], { timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, ms: Date.now() - t };
}

beforeAll(async () => {
  for (const tool of [
    "nginx",
    "openssl",
    "unshare",
    "nsenter",
    "curl",
    "ss",
    "iptables",
    "ip",
    "go",
  ]) {
    if (spawnSync("sh", ["-c", `command -v ${tool} || test -x /usr/sbin/${tool}`]).status !== 0) {
      throw new Error(`${tool} is not installed (npm test installs it: tools/setup.sh test)`);
    }
  }
  // The Python clients' venv (PyPI the first time, then cached), made outside the namespace.
  python = execFileSync("bash", [path.join(ROOT, "tools", "clients", "venv.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 300_000,
  }).trim();
  protoDir = pactusProtoDir();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-clients-"));
  fs.chmodSync(tmp, 0o755); // nginx's workers (nobody) traverse it to their temp dirs
  const config = cfg({ domain: DOMAIN, cors: { origins: [PING_ORIGIN] } });

  // The node: a localnet wallet, the rendered config.toml. A copy of the wallet for pactus-wallet (the
  // daemon keeps its own locked).
  initLocalnetWallet(tmp);
  fs.writeFileSync(path.join(tmp, "wd", "config.toml"), renderPactusConfig(config));
  fs.cpSync(path.join(tmp, "wd", "wallets"), path.join(tmp, "client-wallets"), { recursive: true });

  // A throw-away CA and the node's certificate from it (what a client must trust, as with a real CA).
  const ossl = (...args: string[]) =>
    execFileSync("openssl", args, { cwd: tmp, stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  ossl(
    "req",
    "-x509",
    ...ec,
    "-days",
    "2",
    "-subj",
    "/CN=psn test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
  );
  ossl("req", ...ec, "-subj", `/CN=${DOMAIN}`, "-keyout", "privkey.pem", "-out", "leaf.csr");
  fs.writeFileSync(
    path.join(tmp, "leaf.ext"),
    `subjectAltName=DNS:${DOMAIN}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`,
  );
  ossl(
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    "leaf.ext",
    "-out",
    "fullchain.pem",
  );

  // nginx: both rendered sites (443 and 80), as the host has them.
  const ng = path.join(tmp, "nginx");
  fs.mkdirSync(path.join(ng, "sites"), { recursive: true });
  fs.writeFileSync(path.join(ng, "sites", "pactus.conf"), renderNginxTls(config));
  fs.writeFileSync(path.join(ng, "sites", "pactus-http.conf"), renderNginxHttp(config));
  fs.writeFileSync(path.join(ng, "nginx.conf"), nginxMainConf(ng, { extra: "daemon off;" }));
  fs.writeFileSync(
    path.join(tmp, "hosts"),
    `127.0.0.1 localhost\n::1 localhost\n127.0.0.1 ${DOMAIN}\n::1 ${DOMAIN}\n`,
  );

  holder = await namespaceHolder();
  sh(
    `
set -euo pipefail
${NETNS_SETUP}
ip -6 addr add ::1/128 dev lo 2>/dev/null || true
ip -6 addr show dev lo | grep -q 'inet6 ::1/128'
mkdir -p /etc/letsencrypt /var/log/nginx
mount -t tmpfs psn-test /etc/letsencrypt
mount -t tmpfs psn-test /var/log/nginx
mkdir -p "/etc/letsencrypt/live/${DOMAIN}"
cp "$T/fullchain.pem" "$T/privkey.pem" "/etc/letsencrypt/live/${DOMAIN}/"
mount --bind "$T/hosts" /etc/hosts
"$BIN/pactus-daemon" start -w "$T/wd" --password-from-file "$T/pw" </dev/null >"$T/daemon.log" 2>&1 &
echo $! >"$T/daemon.pid"
nginx -c "$T/nginx/nginx.conf" </dev/null >"$T/nginx/out.log" 2>&1 &
echo $! >"$T/nginx.pid"
`,
    { T: tmp, BIN: pactusBin() },
  );
  // Block 1 from the daemon itself, on loopback; and nginx up.
  hash = sh(
    `for _ in $(seq 1 120); do
  if curl -s -H 'Content-Type: application/json' -d '${PAGE_RPC}' http://${PORTS.jsonrpc}/ -o "$T/ref.json" &&
    grep -q '"hash":"[0-9a-f]\\{64\\}"' "$T/ref.json" && curl -s -o /dev/null --cacert "$T/ca.pem" https://${DOMAIN}/; then
    sed 's/.*"hash":"\\([0-9a-f]*\\)".*/\\1/' "$T/ref.json"; exit 0
  fi
  sleep 0.5
done
echo "no block 1, or no nginx: $(tail -n 5 "$T/daemon.log" "$T/nginx/error.log" "$T/nginx/out.log")"; exit 1`,
    { T: tmp },
  ).trim();
  // Counters: packets with a payload (longer than any bare TCP ACK or FIN, 52 bytes) from nginx's
  // workers to each daemon port. The daemon's own gateways (root) calling its gRPC port do not count.
  const nginxUid = sh(`ps -o uid= --ppid "$(cat "${tmp}/nginx.pid")" | head -n 1`).trim();
  expect(nginxUid).toMatch(/^\d+$/);
  for (const port of Object.values(UPSTREAMS)) {
    sh(
      `iptables -A OUTPUT -o lo -p tcp --dport ${port} -m owner --uid-owner ${nginxUid} -m length --length 53:65535`,
    );
  }
}, 420_000);

afterAll(() => stopLiveSuite(tmp, holder, ["daemon.pid", "nginx.pid"]));

describe("official Pactus clients through the rendered nginx, against the real daemon", () => {
  test("the reference: the daemon's own JSON-RPC and gRPC on loopback agree on block 1", () => {
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const r = grpcJs([{ name: "direct", target: PORTS.grpc, prefix: "" }]);
    expect(r.direct).toMatchObject({ code: 0, hash });
  });

  test("Python pactus-jsonrpc (https://<domain>/jsonrpc) and pactus-grpc (secure_channel <domain>:443, root): the daemon's answer, through nginx", () => {
    const before = upstreamPackets();
    const r = ns([
      python,
      path.join(ROOT, "tools", "clients", "py_clients.py"),
      "--domain",
      DOMAIN,
      "--ca",
      path.join(tmp, "ca.pem"),
    ]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      jsonrpc: { url: `https://${DOMAIN}/jsonrpc`, hash },
      grpc: { target: `${DOMAIN}:443`, hash },
    });
    expect(r.status).toBe(0);
    // Control for every "never reaches the node" below: these calls did reach it, through nginx.
    const after = upstreamPackets();
    expect(after.grpc).toBeGreaterThan(before.grpc);
    expect(after.jsonrpc).toBeGreaterThan(before.jsonrpc);
  });

  test("pactus-shell --tls at the root: by name, and by address (IPv4, IPv6) with --tls-server-name", () => {
    const tls = ["--tls", "--tls-ca-cert-file", path.join(tmp, "ca.pem")];
    const call = ["blockchain", "get-block-hash", "--height", "1", "-o", "json"];
    for (const server of [
      ["-s", `${DOMAIN}:443`],
      ["-s", "127.0.0.1:443", "--tls-server-name", DOMAIN],
      ["-s", "[::1]:443", "--tls-server-name", DOMAIN],
    ]) {
      const r = pactusShell([...call, ...tls, ...server]);
      expect({ server, out: r.out.trim(), status: r.status }).toEqual({
        server,
        out: JSON.stringify({ hash }),
        status: 0,
      });
    }
  });

  test("grpc-js the Pactus GUI's way (native gRPC over TLS, /grpc-web prefix) and at the root, over IPv4 and IPv6; gRPC errors come through", () => {
    const ca = path.join(tmp, "ca.pem");
    const cases: GrpcCase[] = [];
    for (const [family, target] of [
      ["ipv4", "127.0.0.1:443"],
      ["ipv6", "[::1]:443"],
    ]) {
      cases.push({ name: `gui-${family}`, target, prefix: "/grpc-web", ca, authority: DOMAIN });
      cases.push({ name: `root-${family}`, target, prefix: "", ca, authority: DOMAIN });
    }
    cases.push({ name: "root-by-name", target: `${DOMAIN}:443`, prefix: "", ca });
    cases.push({
      name: "gui-missing",
      target: `${DOMAIN}:443`,
      prefix: "/grpc-web",
      ca,
      height: 99999999,
    });
    cases.push({ name: "root-missing", target: `${DOMAIN}:443`, prefix: "", ca, height: 99999999 });
    const r = grpcJs(cases);
    for (const name of ["gui-ipv4", "gui-ipv6", "root-ipv4", "root-ipv6", "root-by-name"])
      expect({ name, ...r[name] }).toMatchObject({ name, code: 0, hash });
    // The node's NOT_FOUND (5), relayed in HTTP/2 trailers, as direct.
    const direct = grpcJs([{ name: "missing", target: PORTS.grpc, prefix: "", height: 99999999 }]);
    expect(direct.missing.code).toBe(5);
    for (const name of ["gui-missing", "root-missing"])
      expect(r[name]).toMatchObject({ code: 5, details: direct.missing.details });
  });

  // What the page's pactus-jsonrpc client builds: type + "://" + host + ":" + port + path, with the
  // address field "<domain>/jsonrpc", the port field empty (its default) or 443, and no path.
  const pageUrl = (port: string) => `${"https"}://${`${DOMAIN}/jsonrpc`}:${port}${""}`;
  test.each([
    ["", "/jsonrpc:"],
    ["443", "/jsonrpc:443"],
  ])(
    "the ping page's JSON-RPC with port field '%s' (%s): preflight, then POST, CORS and the daemon's answer",
    (port, pathname) => {
      const url = pageUrl(port);
      expect(new URL(url).pathname).toBe(pathname);
      const pre = exchange(url, {
        method: "OPTIONS",
        headers: [
          `Origin: ${PING_ORIGIN}`,
          "Access-Control-Request-Method: POST",
          "Access-Control-Request-Headers: content-type",
        ],
      });
      expect(pre.status).toBe(204);
      expect(pre.headers["access-control-allow-origin"]).toBe(PING_ORIGIN);
      expect(pre.headers["access-control-allow-methods"].split(/,\s*/)).toContain("POST");
      expect(pre.headers["access-control-allow-headers"].split(/,\s*/)).toContain("Content-Type");
      const r = exchange(url, {
        headers: [`Origin: ${PING_ORIGIN}`, "Content-Type: application/json"],
        body: PAGE_RPC,
      });
      expect(r.status).toBe(200);
      expect(r.headers["access-control-allow-origin"]).toBe(PING_ORIGIN);
      expect(JSON.parse(r.text)).toEqual({ jsonrpc: "2.0", id: "0", result: { hash } });
    },
  );

  test.each(["/grpc-web/pactus.Blockchain/GetBlockHash", "/pactus.Blockchain/GetBlockHash"])(
    "gRPC-Web binary (what ping.pactus.org sends) at %s: the daemon's answer, CORS exposing the status",
    (p) => {
      const r = exchange(https(p), {
        headers: [
          `Origin: ${PING_ORIGIN}`,
          "Content-Type: application/grpc-web+proto",
          "X-Grpc-Web: 1",
          "X-User-Agent: grpc-web-javascript/0.1",
        ],
        body: FRAME,
      });
      expect(r.status).toBe(200);
      expect(r.headers["content-type"]).toBe("application/grpc");
      expect(r.trailers["grpc-status"]).toBe("0");
      expect(r.headers["access-control-allow-origin"]).toBe(PING_ORIGIN);
      expect(r.headers["access-control-expose-headers"]).toMatch(/Grpc-Status, Grpc-Message/);
      // One frame: flag 0, length 66, field 1 (string, 64 bytes): the hash.
      expect(Buffer.from(r.text, "latin1").subarray(0, 7).toString("hex")).toBe("00000000420a40");
      expect(r.text.slice(7, 71)).toBe(hash);
    },
  );

  test.each([
    ["/grpc-web/pactus.Blockchain/GetBlockHash", "application/grpc-web-text"],
    ["/pactus.Blockchain/GetBlockHash", "application/grpc-web-text"],
    ["/pactus.Blockchain/GetBlockHash", "application/grpc-web-text+proto"],
  ])(
    "gRPC-Web text mode at %s (%s): a clear gRPC-Web error at once, readable cross-origin, never at the node",
    (p, type) => {
      // Ten calls, as a page's retries would: every one answered, none slower than a second.
      const answers = neverReachesNode(`${type} ${p}`, () =>
        Array.from({ length: 10 }, () =>
          exchange(https(p), {
            headers: [
              `Origin: ${PING_ORIGIN}`,
              `Content-Type: ${type}`,
              "Accept: application/grpc-web-text",
              "X-Grpc-Web: 1",
              "X-User-Agent: grpc-web-javascript/0.1",
            ],
            body: FRAME.toString("base64"),
          }),
        ),
      );
      for (const r of answers) {
        expect(r.seconds).toBeLessThan(1);
        expect(r.status).toBe(200);
        expect(r.headers).toMatchObject({
          "content-type": "application/grpc-web-text",
          "grpc-status": "12",
          "grpc-message":
            "grpc-web-text is not served here; use binary gRPC-Web (application/grpc-web+proto)",
          "access-control-allow-origin": PING_ORIGIN,
        });
        expect(r.headers["access-control-expose-headers"].split(/,\s*/)).toEqual(
          expect.arrayContaining(["Grpc-Status", "Grpc-Message"]),
        );
        // The body: one base64 trailer frame (flag 0x80) with the same status and message.
        const frame = Buffer.from(r.text, "base64");
        expect(frame[0]).toBe(0x80);
        expect(frame.readUInt32BE(1)).toBe(frame.length - 5);
        expect(frame.subarray(5).toString()).toBe(
          `grpc-status:12\r\ngrpc-message:${r.headers["grpc-message"]}\r\n`,
        );
      }
    },
  );

  const json = "Content-Type: application/json";
  const grpcCt = "Content-Type: application/grpc";
  test.each([
    ["POST /jsonrpcfoo", "/jsonrpcfoo", "POST", json, 404],
    ["POST /jsonrpc/abc", "/jsonrpc/abc", "POST", json, 404],
    ["POST /jsonrpc:abc", "/jsonrpc:abc", "POST", json, 404],
    ["GET /pactus.Blockchain/GetBlockHash", "/pactus.Blockchain/GetBlockHash", "GET", "", 404],
    [
      "POST JSON to /pactus.Blockchain/GetBlockHash",
      "/pactus.Blockchain/GetBlockHash",
      "POST",
      json,
      404,
    ],
    [
      "POST a form to /pactus.Blockchain/GetBlockHash",
      "/pactus.Blockchain/GetBlockHash",
      "POST",
      "Content-Type: application/x-www-form-urlencoded",
      404,
    ],
    [
      "GET /grpc-web/pactus.Blockchain/GetBlockHash",
      "/grpc-web/pactus.Blockchain/GetBlockHash",
      "GET",
      "",
      404,
    ],
    [
      "gRPC to another service (reflection)",
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      "POST",
      grpcCt,
      404,
    ],
    ["gRPC below a method", "/pactus.Blockchain/GetBlockHash/x", "POST", grpcCt, 404],
    [
      "the root preflight (nginx answers it)",
      "/pactus.Blockchain/GetBlockHash",
      "OPTIONS",
      `Access-Control-Request-Method: POST`,
      204,
    ],
  ])("%s never reaches the node (%#)", (_name, p, method, header, status) => {
    const r = neverReachesNode(`${method} ${p}`, () =>
      exchange(https(p), {
        method,
        headers: [`Origin: ${PING_ORIGIN}`, ...(header ? [header] : [])],
        body: method === "POST" ? (header === grpcCt ? FRAME : PAGE_RPC) : undefined,
      }),
    );
    expect(r.status).toBe(status);
    if (status === 404) expect(r.text).toMatch(/<center>nginx<\/center>/);
    else expect(r.headers["access-control-allow-origin"]).toBe(PING_ORIGIN);
  });

  test("plaintext gRPC is offered nowhere: h2c to :443 and :80 (curl, grpc-js, pactus-shell without --tls) never reaches the node", () => {
    for (const port of [443, 80]) {
      const r = neverReachesNode(`h2c :${port}`, () =>
        ns(
          [
            "curl",
            "-sS",
            "--max-time",
            "5",
            "--http2-prior-knowledge",
            "-D",
            "-",
            "-o",
            "/dev/null",
            "-H",
            "Content-Type: application/grpc",
            "-H",
            "TE: trailers",
            "--data-binary",
            "@-",
            `http://${DOMAIN}:${port}/pactus.Blockchain/GetBlockHash`,
          ],
          { input: FRAME },
        ),
      );
      // No HTTP/2 answer at all: nginx does not speak cleartext HTTP/2 on either port.
      expect({ port, stdout: r.stdout }).not.toEqual({
        port,
        stdout: expect.stringMatching(/^HTTP\/2/),
      });
      expect(r.stdout).not.toMatch(/grpc-status/i);
    }
    const g = neverReachesNode("grpc-js insecure", () =>
      grpcJs([
        { name: "h2c-443", target: `${DOMAIN}:443`, prefix: "" },
        { name: "h2c-443-grpc-web", target: `${DOMAIN}:443`, prefix: "/grpc-web" },
        { name: "h2c-80", target: `${DOMAIN}:80`, prefix: "" },
      ]),
    );
    for (const c of Object.values(g)) expect(c).toMatchObject({ code: 14 });
    const s = neverReachesNode("pactus-shell without --tls", () =>
      pactusShell([
        "blockchain",
        "get-block-hash",
        "--height",
        "1",
        "--timeout",
        "3s",
        "-s",
        `${DOMAIN}:443`,
      ]),
    );
    expect(s.out).toMatch(/timeout dialing server|Error/);
    expect(s.out).not.toContain(hash);
  });

  test("the daemon's gRPC port listens on loopback only: refused on the host's other address", () => {
    const listen = sh("ss -Hltn")
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(/\s+/)[3]);
    expect(listen.filter((a) => a.endsWith(`:${UPSTREAMS.grpc}`))).toEqual([PORTS.grpc]);
    const r = ns([
      "curl",
      "-sS",
      "--max-time",
      "5",
      "--http2-prior-knowledge",
      `http://10.239.0.1:${UPSTREAMS.grpc}/`,
    ]);
    expect(r.status).toBe(7); // could not connect
    const g = grpcJs([{ name: "veth", target: `10.239.0.1:${UPSTREAMS.grpc}`, prefix: "" }]);
    expect(g.veth.code).toBe(14);
  });

  test("pactus-wallet: no TLS option; the public endpoint is closed to it, the loopback port (an SSH tunnel's end) answers", () => {
    const wallet = path.join(pactusBin(), "pactus-wallet");
    const help = execFileSync(wallet, ["--help"], { encoding: "utf8" });
    expect(help).toMatch(/--servers strings/);
    expect(help).not.toMatch(/tls|ssl|cert|secure/i);
    const addTx = (server: string) =>
      ns([
        wallet,
        "--path",
        path.join(tmp, "client-wallets", "default_wallet"),
        "--servers",
        server,
        "--timeout",
        "5",
        "transaction",
        "add",
        "0".repeat(63) + "1",
      ]);
    const pub = neverReachesNode("pactus-wallet :443", () => addTx(`${DOMAIN}:443`));
    expect({ status: pub.status, out: pub.stdout + pub.stderr }).toEqual({
      status: 1,
      out: expect.stringContaining("unable to connect to the servers"),
    });
    // Through `ssh -L 50051:127.0.0.1:50051 <host>` the wallet sees the node's own port: the node
    // answers (the transaction does not exist: a gRPC error from the node, not a connection failure).
    const tunnel = addTx(PORTS.grpc);
    expect({ status: tunnel.status, out: tunnel.stdout + tunnel.stderr }).toEqual({
      status: 1,
      out: expect.stringContaining(
        "rpc error: code = InvalidArgument desc = transaction not found",
      ),
    });
  });
});
