/**
 * DNS-01 with real components: the sandbox's own services (tools/sandbox/services.sh: BIND's named,
 * authoritative for pactus.test with its TSIG keys, and pebble asking it every name) started in private
 * network and mount namespaces, and the REAL remote/certificate.sh run as the certificate step runs it
 * (its command line and stdin from planSteps, secrets from the plan's own format) by certbot with its
 * rfc2136 plugin. Each "node" has its own /etc/letsencrypt (a bind mount in a nested mount namespace).
 * - http-01 first (the webroot, served on the node's address), then dns-01 with the fleet's shared name:
 *   the switch re-issues; the SAN holds both names; the renewal conf keeps dns-rfc2136 and the
 *   credentials file (0600 root), whose secret is in no process's argv or environment, no log, no
 *   output and not in the plan;
 * - a second run is a no-op (no certbot call, the same certificate);
 * - two nodes issue for the same shared name at the same time: both succeed;
 * - the ACME key is scoped: with it, nsupdate adding an A record is REFUSED (its TXT is accepted);
 * - a name the key may not prove fails the step naming the names and the refusal.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { StackConfig } from "../../components/config";
import { dns01SecretDigest } from "../../components/config/secrets";
import { hostPaths } from "../../components/render";
import { buildCommand, buildStdin, planSteps, type StepPlan } from "../../components/steps";
import { cfg } from "../helpers/config";
import { namespaceHolder, stopLiveSuite } from "../helpers/local";
import { nsRun, nsSh } from "../helpers/netns";

const ROOT = path.resolve(__dirname, "..", "..");
const SERVICES = path.join(ROOT, "tools", "sandbox", "services.sh");
const SHARED = "rpc.pactus.test";
/** The nodes: name, address (on lo in the namespace, for HTTP-01), its own /etc/letsencrypt. */
const NODES = {
  node: "10.231.1.2",
  node2: "10.231.2.2",
  node3: "10.231.3.2",
} as const;
type Node = keyof typeof NODES;

let tmp: string;
let holder: ChildProcess;
let info: Record<string, string> = {};
let secret = "";
/** Every command line seen while certbot ran (sampled from /proc), to look for the secret. */
const seenArgv = new Set<string>();
const outputs: string[] = [];
const sh = (script: string, env: Record<string, string> = {}) =>
  nsSh(holder, script, { T: tmp, SANDBOX_DIR: `${tmp}/sb`, ...env }, tmp);

function nodeConfig(node: Node, dns01: boolean, shared = SHARED): StackConfig {
  const c = cfg({
    domain: `${node}.pactus.test`,
    acme: { email: "ops@pactus.test", server: info.PSN_ACME_SERVER },
  });
  if (!dns01) return c;
  return {
    ...c,
    acme: {
      ...c.acme,
      challenge: "dns-01",
      dns01: {
        plugin: "rfc2136",
        server: info.PSN_RFC2136_SERVER,
        port: Number(info.PSN_RFC2136_PORT),
        keyName: info.PSN_RFC2136_KEY_NAME,
        algorithm: "HMAC-SHA256",
        propagationSeconds: 1,
      },
    },
    fleet: { ...c.fleet, publicName: shared },
  };
}

function certificatePlan(c: StackConfig): StepPlan {
  const steps = planSteps(c, {
    sshPort: 22,
    acmeDnsSecretDigest: dns01SecretDigest("acme.rfc2136Secret", secret),
  });
  const step = steps.find((s) => s.name === "certificate");
  if (!step) throw new Error("no certificate step");
  return step;
}

/** Shell lines that give `node` its own certbot dirs, webroot and state dir (nested mount namespace). */
function nodeMounts(node: Node): string {
  const p = hostPaths(`${node}.pactus.test`, "1.0.0");
  return ["etc", "lib", "log", "www", "state"]
    .map((d) => `mkdir -p "$T/${node}/${d}"`)
    .concat([
      `mkdir -p /etc/letsencrypt /var/lib/letsencrypt /var/log/letsencrypt ${p.acmeWebroot} ${p.stateDir}`,
      `mount --bind "$T/${node}/etc" /etc/letsencrypt`,
      `mount --bind "$T/${node}/lib" /var/lib/letsencrypt`,
      `mount --bind "$T/${node}/log" /var/log/letsencrypt`,
      `mount --bind "$T/${node}/www" ${p.acmeWebroot}`,
      `mount --bind "$T/${node}/state" ${p.stateDir}`,
    ])
    .join("\n");
}

interface StepRun {
  status: number | null;
  out: string;
  seconds: number;
}

/**
 * The step as NodeSteps runs it: its command line (`env PSN_STEP_HASH=… bash -s psn-certificate`,
 * as root: no sudo) with its stdin (inputs, the secret lines of its own format, the script), in the
 * node's mounts; certbot trusts pebble's API through REQUESTS_CA_BUNDLE (acme.caBundle's drop-in needs
 * systemd, which this namespace has not).
 */
function runStep(node: Node, c: StackConfig): Promise<StepRun> {
  const step = certificatePlan(c);
  const secrets = step.formatSecrets?.({ acmeRfc2136Secret: secret });
  const stdin = buildStdin(step.name, step.script, step.env, secrets);
  const command = buildCommand(step.name, step.hash, false);
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(
      "nsenter",
      [
        ...["-t", String(holder.pid), "-n", "-m", "--wd=" + tmp],
        ...["unshare", "--mount", "--propagation", "private", "bash", "-c"],
        `set -e\n${nodeMounts(node)}\nexec ${command}`,
      ],
      {
        env: { ...process.env, T: tmp, REQUESTS_CA_BUNDLE: info.PSN_ACME_API_CA },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    // Every 50 ms while it runs: the command lines and environments of all processes.
    const sampler = setInterval(sampleProcs, 50);
    const killer = setTimeout(() => child.kill("SIGKILL"), 180_000);
    child.on("close", (status) => {
      clearInterval(sampler);
      clearTimeout(killer);
      outputs.push(out);
      resolve({ status, out, seconds: (Date.now() - t0) / 1000 });
    });
    child.stdin.end(stdin);
  });
}

function sampleProcs(): void {
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    for (const f of ["cmdline", "environ"]) {
      try {
        seenArgv.add(fs.readFileSync(`/proc/${pid}/${f}`, "utf8").split("\0").join(" "));
      } catch {
        /* gone */
      }
    }
  }
}

const cert = (node: Node) => `${tmp}/${node}/etc/live/${node}.pactus.test/cert.pem`;
function san(node: Node): string[] {
  const text = spawnSync(
    "openssl",
    ["x509", "-in", cert(node), "-noout", "-ext", "subjectAltName"],
    {
      encoding: "utf8",
    },
  ).stdout;
  return [...text.matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]).sort();
}
const serial = (node: Node) =>
  spawnSync("openssl", ["x509", "-in", cert(node), "-noout", "-serial"], { encoding: "utf8" })
    .stdout;
const renewalConf = (node: Node) =>
  fs.readFileSync(`${tmp}/${node}/etc/renewal/${node}.pactus.test.conf`, "utf8");

/** nsupdate with the ACME key (from a key file, so the secret is not in argv); its exit and output. */
function acmeUpdate(line: string) {
  const r = nsRun(holder, ["nsupdate", "-t", "5", "-k", `${tmp}/acme.key`], {
    input: `server ${info.PSN_RFC2136_SERVER} ${info.PSN_RFC2136_PORT}\nzone pactus.test\n${line}\nsend\n`,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

beforeAll(async () => {
  for (const tool of ["named", "pebble", "certbot", "nsupdate", "dig", "unshare", "nsenter"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool} || test -x /usr/sbin/${tool}`]).status !== 0)
      throw new Error(`${tool} is not installed (npm test installs it: tools/setup.sh test)`);
  }
  if (!fs.existsSync("/usr/lib/python3/dist-packages/certbot_dns_rfc2136"))
    throw new Error(
      "certbot's rfc2136 plugin is missing (apt-get install python3-certbot-dns-rfc2136)",
    );
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-dns01-"));
  holder = await namespaceHolder();
  // The sandbox's services, as `services.sh up` starts them, inside the namespace (its psn-svc bridge
  // and 10.231.0.1 are the namespace's own), plus each node's address on lo for HTTP-01.
  sh(`set -euo pipefail
ip link set lo up
${Object.values(NODES)
  .map((a) => `ip addr add ${a}/32 dev lo`)
  .join("\n")}
bash "${SERVICES}" up 2>"$T/services-up.log"`);
  info = Object.fromEntries(
    sh(`bash "${SERVICES}" info`)
      .trim()
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  secret = fs.readFileSync(info.PSN_RFC2136_SECRET_FILE, "utf8").trim();
  expect(secret).toMatch(/^[A-Za-z0-9+/]{40,}={0,2}$/);
  fs.writeFileSync(
    path.join(tmp, "acme.key"),
    `key "${info.PSN_RFC2136_KEY_NAME}" { algorithm hmac-sha256; secret "${secret}"; };\n`,
    { mode: 0o600 },
  );
  for (const [node, addr] of Object.entries(NODES)) {
    sh(`bash "${SERVICES}" add-a ${node}.pactus.test ${addr}
mkdir -p "$T/${node}/www"
python3 -m http.server --bind ${addr} --directory "$T/${node}/www" 80 </dev/null >"$T/${node}-http.log" 2>&1 &
echo $! >"$T/${node}-http.pid"`);
  }
}, 120_000);

afterAll(() => {
  if (holder && tmp)
    nsRun(holder, ["bash", SERVICES, "down"], {
      env: { ...process.env, SANDBOX_DIR: `${tmp}/sb` },
    });
  stopLiveSuite(
    tmp,
    holder,
    Object.keys(NODES).map((n) => `${n}-http.pid`),
  );
});

describe("DNS-01 by certbot's rfc2136 plugin against the sandbox's named, through remote/certificate.sh", () => {
  test("named answers the nodes' A records and refuses what it is not authoritative for", () => {
    const a = sh(
      `dig +short -p ${info.PSN_RFC2136_PORT} @${info.PSN_RFC2136_SERVER} node2.pactus.test A`,
    );
    expect(a.trim()).toBe(NODES.node2);
    const other = sh(
      `dig -p ${info.PSN_RFC2136_PORT} @${info.PSN_RFC2136_SERVER} example.org A || true`,
    );
    expect(other).toMatch(/status: REFUSED/);
  });

  test("http-01 first: a certificate for the node's name by the webroot", async () => {
    const r = await runStep("node", nodeConfig("node", false));
    expect({ status: r.status, out: r.out }).toEqual({ status: 0, out: expect.any(String) });
    expect(san("node")).toEqual(["node.pactus.test"]);
    expect(renewalConf("node")).toMatch(/^authenticator = webroot$/m);
  });

  let firstSerial = "";
  test("switch to dns-01 with the shared name: re-issued for both names by dns-rfc2136", async () => {
    const before = serial("node");
    const r = await runStep("node", nodeConfig("node", true));
    expect({ status: r.status, out: r.out }).toEqual({ status: 0, out: expect.any(String) });
    expect(r.out).toMatch(/challenge changed \(webroot -> dns-rfc2136\)/);
    console.log(`DNS-01 issuance (switch, propagation 1 s): ${r.seconds.toFixed(1)} s`);
    firstSerial = serial("node");
    expect(firstSerial).not.toBe(before);
    expect(san("node")).toEqual(["node.pactus.test", SHARED]);
    const conf = renewalConf("node");
    expect(conf).toMatch(/^authenticator = dns-rfc2136$/m);
    const creds = /^dns_rfc2136_credentials = (.+)$/m.exec(conf)?.[1] ?? "";
    expect(creds).toBe(hostPaths("node.pactus.test", "1.0.0").dns01CredentialsRfc2136);
    const onDisk = `${tmp}/node/etc/${path.basename(creds)}`;
    const st = fs.statSync(onDisk);
    expect({ mode: (st.mode & 0o777).toString(8), uid: st.uid, gid: st.gid }).toEqual({
      mode: "600",
      uid: 0,
      gid: 0,
    });
    const ini = fs.readFileSync(onDisk, "utf8");
    expect(ini).toContain(`dns_rfc2136_secret = ${secret}\n`);
    expect(ini).toContain(`dns_rfc2136_server = ${info.PSN_RFC2136_SERVER}\n`);
    expect(ini).toContain("dns_rfc2136_algorithm = HMAC-SHA256\n");
  }, 200_000);

  test("a second run is a no-op: no certbot call, the same certificate", async () => {
    const r = await runStep("node", nodeConfig("node", true));
    expect({ status: r.status, out: r.out }).toEqual({ status: 0, out: expect.any(String) });
    expect(r.out).toMatch(/present \(dns-rfc2136\)/);
    expect(r.out).not.toMatch(/requesting/);
    expect(serial("node")).toBe(firstSerial);
  });

  test("two nodes issue for the same shared name at the same time: both succeed", async () => {
    const [a, b] = await Promise.all([
      runStep("node2", nodeConfig("node2", true)),
      runStep("node3", nodeConfig("node3", true)),
    ]);
    console.log(
      `DNS-01 issuance, two nodes at once: ${a.seconds.toFixed(1)} s, ${b.seconds.toFixed(1)} s`,
    );
    expect({ status: a.status, out: a.out }).toEqual({ status: 0, out: expect.any(String) });
    expect({ status: b.status, out: b.out }).toEqual({ status: 0, out: expect.any(String) });
    expect(san("node2")).toEqual(["node2.pactus.test", SHARED]);
    expect(san("node3")).toEqual(["node3.pactus.test", SHARED]);
    // The plugin removed its TXT values again.
    expect(
      sh(
        `dig +short -p ${info.PSN_RFC2136_PORT} @${info.PSN_RFC2136_SERVER} _acme-challenge.${SHARED} TXT`,
      ).trim(),
    ).toBe("");
  }, 200_000);

  test("a name the ACME key may not prove: the step fails naming the names and the refusal", async () => {
    const r = await runStep("node2", nodeConfig("node2", true, "shared.pactus.test"));
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(
      /error: the ACME server refused a certificate for node2\.pactus\.test shared\.pactus\.test: .*REFUSED/,
    );
  }, 200_000);

  test("the ACME key is scoped: an A record is REFUSED, its _acme-challenge TXT accepted", () => {
    const a = acmeUpdate("update add evil.pactus.test. 60 IN A 10.231.9.9");
    expect(a.status).not.toBe(0);
    expect(a.out).toMatch(/REFUSED/);
    const other = acmeUpdate("update add _acme-challenge.evil.pactus.test. 60 IN TXT x");
    expect(other.out).toMatch(/REFUSED/);
    const txt = acmeUpdate(`update add _acme-challenge.${SHARED}. 60 IN TXT positive-control`);
    expect(txt).toEqual({ status: 0, out: "" });
    acmeUpdate(`update delete _acme-challenge.${SHARED}. IN TXT`);
    expect(
      sh(
        `dig +short -p ${info.PSN_RFC2136_PORT} @${info.PSN_RFC2136_SERVER} evil.pactus.test A`,
      ).trim(),
    ).toBe("");
  });

  test("the TSIG secret is in no argv or environment, no output or log, and not in the plan", () => {
    // Positive control: the sampler saw the runs (certbot's own command lines).
    expect([...seenArgv].some((l) => l.includes("--dns-rfc2136-credentials"))).toBe(true);
    expect([...seenArgv].filter((l) => l.includes(secret))).toEqual([]);
    expect(outputs.filter((o) => o.includes(secret))).toEqual([]);
    const logs = spawnSync(
      "bash",
      ["-c", `cat "$T"/node*/log/* "$T"/sb/services/*.log 2>/dev/null`],
      {
        env: { ...process.env, T: tmp },
        encoding: "utf8",
      },
    ).stdout;
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.includes(secret)).toBe(false);
    const step = certificatePlan(nodeConfig("node", true));
    expect(
      JSON.stringify([
        step.env,
        step.hash,
        step.deleteEnv,
        buildCommand(step.name, step.hash, false),
      ]),
    ).not.toContain(secret);
    expect(step.secrets).toEqual(["acmeRfc2136Secret"]);
  });
});
