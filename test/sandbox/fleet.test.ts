/**
 * A fleet from one stack (`deploy.sh up --nodes N`, PSN_NODES; npm test's `deployed` lane runs its
 * suites on one): N sandbox hosts behind the shared name rpc<N>.pactus.test, certificates by DNS-01
 * through the sandbox's authoritative named (certbot's rfc2136 plugin), one localnet across the nodes.
 * Proved with the clients users run, trusting only the sandbox ACME root:
 * - pactus-shell --tls at every node, under its own name and under the shared name: the same block
 *   hash at height 1 and at the tip (one chain);
 * - the PyPI clients (pactus-jsonrpc, pactus-grpc) and the ping.pactus.org page in headless Chromium
 *   at the shared name, resolved to a node other than node 0;
 * - the DNS server answers the shared name with every node's address;
 * - each node's certificate holds its own name and the shared name, renewable by DNS-01;
 * - a second `pulumi up` of the fleet changes nothing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  HOST_INDEX,
  RUN_CONFIG,
  SERVICES_SH,
  onHostOf,
  pyClients,
  readOutputs,
  run,
  sandboxDone,
  sandboxHost,
  sandboxUp,
  HOST_SH,
} from "../helpers/sandbox";
import { pingPageInChromium } from "../helpers/browser";

const MIN = 60_000;
// The fleet this suite grows the host's stack into (PSN_NODES, default 3), and shrinks back from.
const NODES = Number(process.env.PSN_NODES ?? "3");
/** `npm run sandbox` with `count` nodes in this host's stack (deploy.sh up --nodes). */
function upWith(count: number): void {
  process.env.PSN_NODES = String(count);
  sandboxUp();
}
/** Block 1's hash as the daemon on sandbox host `index` gives it on its loopback (HTTP API). */
const daemonBlockHash = (index: string) =>
  (
    JSON.parse(
      onHostOf(
        index,
        "curl -s 'http://127.0.0.1:8080/http/api/pactus/blockchain/get_block_hash?height=1'",
      ),
    ) as { hash: string }
  ).hash;
/** The pactus daemon's MainPID on sandbox host `index`. */
const pactusPid = (index: string) =>
  onHostOf(index, "systemctl show -p MainPID --value pactus.service");
const nodes = Array.from({ length: NODES }, (_, j) => {
  const index = String(Number(HOST_INDEX) + j);
  return { index, ...sandboxHost(index) };
});
const zone = nodes[0].domain.slice(nodes[0].domain.indexOf(".") + 1);
const SHARED = HOST_INDEX === "1" ? `rpc.${zone}` : `rpc${HOST_INDEX}.${zone}`;
const figures: string[] = [];
let root: string;
let tmp: string;

/** pactus-shell (the toolchain's, built from the pinned Pactus module) with --tls at addr:443. */
function shell(addr: string, name: string, ...args: string[]): Record<string, unknown> {
  const r = spawnSync(
    path.join(process.env.PSN_BIN_DIR!, "pactus-shell"),
    [
      ...args,
      "-s",
      `${addr}:443`,
      "--tls",
      "--tls-ca-cert-file",
      root,
      "--tls-server-name",
      name,
      "-o",
      "json",
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  if (r.status !== 0)
    throw new Error(`pactus-shell ${args.join(" ")} at ${name} (${addr}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

beforeAll(() => {
  if (!Number.isInteger(NODES) || NODES < 2)
    throw new Error(`PSN_NODES=${process.env.PSN_NODES}: the fleet suite needs 2 nodes or more`);
  // The stack of one the lane's other suites read (made now if this suite runs first or alone), then
  // the same stack grown into the fleet: node 0 gets the shared name (a new certificate, nginx) and
  // keeps its daemon; the new nodes join its chain.
  upWith(1);
  const pid0 = pactusPid(nodes[0].index);
  const t = Date.now();
  upWith(NODES);
  figures.push(
    `growing 1 node into ${NODES} (boot, up, checks): ${((Date.now() - t) / 1000).toFixed(1)} s`,
  );
  expect(pactusPid(nodes[0].index)).toBe(pid0);
  const out = readOutputs() as ReturnType<typeof readOutputs> & {
    fleet?: { publicName: string; nodes: { domain: string; address: string }[] };
  };
  root = out.caCert;
  expect(out.fleet).toEqual({
    publicName: SHARED,
    nodes: nodes.map((n) => ({ domain: n.domain, address: n.addr })),
  });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-fleet-"));
}, 30 * MIN);
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  if (figures.length) console.log(`fleet figures:\n  ${figures.join("\n  ")}`);
  // Back to the stack of one for the lane's other suites, whatever happened above (the last test
  // checks it when it ran); the grown hosts go down (npm test's runner downs them in any case).
  try {
    if (process.env.PSN_NODES !== "1") upWith(1);
  } finally {
    for (const n of nodes.slice(1)) run("bash", [HOST_SH, "down", n.name], { allowFail: true });
    sandboxDone();
  }
}, 15 * MIN);

describe(`a fleet of ${NODES} behind ${SHARED}`, () => {
  test("pactus-shell --tls: every node, under its own name and the shared one, is on one chain", () => {
    const hashAt = (addr: string, name: string, height: number) =>
      shell(addr, name, "blockchain", "get-block-hash", "--height", String(height)).hash;
    const info = shell(nodes[0].addr, nodes[0].domain, "blockchain", "get-blockchain-info");
    // A block every node has (the newest may still be on its way to some).
    const tip = Number(info.lastBlockHeight) - 2;
    expect(tip).toBeGreaterThanOrEqual(1);
    const want = [1, tip].map((h) => hashAt(nodes[0].addr, nodes[0].domain, h));
    expect(want[0]).toMatch(/^[0-9a-f]{64}$/);
    for (const n of nodes)
      for (const name of [n.domain, SHARED])
        expect({
          name,
          addr: n.addr,
          hashes: [1, tip].map((h) => hashAt(n.addr, name, h)),
        }).toEqual({ name, addr: n.addr, hashes: want });
  });

  test(
    "the PyPI clients at the shared name, which resolves to a node other than node 0",
    () => {
      const other = nodes[NODES - 1];
      const direct = daemonBlockHash(other.index);
      const r = pyClients(tmp, SHARED, other.addr, root);
      expect(r.jsonrpc).toEqual({ url: `https://${SHARED}/jsonrpc`, hash: direct });
      expect(r.grpc).toEqual({ target: `${SHARED}:443`, hash: direct });
    },
    12 * MIN,
  );

  test(
    "the ping.pactus.org page in headless Chromium at the shared name, resolved to another node",
    () => {
      const other = nodes[1];
      const hash = daemonBlockHash(other.index);
      const r = pingPageInChromium(SHARED, other.addr)["https://ping.pactus.org"];
      expect(r.grpcWebHash).toEqual({ ok: true, value: { hash } });
      expect(r.jsonrpcPageNoPort).toEqual({
        ok: true,
        value: { hash },
        url: `https://${SHARED}/jsonrpc:`,
      });
      expect(r.http).toEqual({ ok: true, value: { hash } });
    },
    5 * MIN,
  );

  test("the sandbox's DNS answers the shared name with every node's address", () => {
    const info = execFileSync("bash", [SERVICES_SH, "info"], { encoding: "utf8" });
    const [server, port] = /^PSN_DNS=(.+)$/m.exec(info)![1].split(":");
    const r = spawnSync("dig", ["+short", "-p", port, `@${server}`, SHARED, "A"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split("\n").sort()).toEqual(nodes.map((n) => n.addr).sort());
  });

  test("each node's certificate holds its own name and the shared name, renewed by DNS-01", () => {
    for (const n of nodes) {
      const san = onHostOf(
        n.index,
        `openssl x509 -in /etc/letsencrypt/live/${n.domain}/cert.pem -noout -ext subjectAltName | tail -n 1`,
      );
      expect(
        san
          .split(",")
          .map((s) => s.trim().replace(/^DNS:/, ""))
          .sort(),
      ).toEqual([n.domain, SHARED].sort());
      expect(
        onHostOf(
          n.index,
          `sed -n 's/^authenticator = //p' /etc/letsencrypt/renewal/${n.domain}.conf`,
        ),
      ).toBe("dns-rfc2136");
    }
    // A forced renewal with what certbot's timer uses (its unit's environment: the sandbox CA), through
    // the stored DNS-01 settings (pebble asks named for the TXT records the plugin wrote).
    const last = nodes[NODES - 1];
    const serial = () =>
      onHostOf(
        last.index,
        `openssl x509 -in /etc/letsencrypt/live/${last.domain}/cert.pem -noout -serial`,
      );
    const before = serial();
    const t = Date.now();
    onHostOf(
      last.index,
      `set -e; env=$(systemctl show certbot.service -p Environment --value)
export $env
certbot renew --force-renewal --cert-name ${last.domain} --no-random-sleep-on-renew -q`,
    );
    figures.push(
      `DNS-01 renewal of ${last.domain} + ${SHARED}: ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
    expect(serial()).not.toBe(before);
  });

  test(
    "a second up of the fleet changes nothing",
    () => {
      const r = run("pulumi", [
        "up",
        "--yes",
        "--skip-preview",
        "--expect-no-changes",
        "--non-interactive",
        "--config-file",
        RUN_CONFIG,
      ]);
      figures.push(`no-op up of ${NODES} nodes: ${r.seconds.toFixed(1)} s`);
    },
    10 * MIN,
  );
  test(
    "shrunk back to one node: only the other nodes go; node 0 keeps its daemon and serves its own name",
    () => {
      const pid0 = pactusPid(nodes[0].index);
      const t = Date.now();
      upWith(1); // deploy.sh's checks of node 0 pass, or this throws
      figures.push(`shrinking ${NODES} nodes to 1: ${((Date.now() - t) / 1000).toFixed(1)} s`);
      expect(pactusPid(nodes[0].index)).toBe(pid0);
      const out = readOutputs() as ReturnType<typeof readOutputs> & { fleet?: unknown };
      expect(out).not.toHaveProperty("fleet");
      // The removed nodes' delete steps ran on their hosts: no unit, no site.
      for (const n of nodes.slice(1))
        expect(
          onHostOf(
            n.index,
            "systemctl cat pactus.service >/dev/null 2>&1 && echo unit; test -e /etc/nginx/sites-enabled/pactus.conf && echo site; true",
          ),
        ).toBe("");
    },
    15 * MIN,
  );
});
