import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { basicAuthDigest, monitoringAuthDigest } from "../../components/config";
import { GRPC_PORT, P2P_PORTS, PORTS, SERVICE_UNIT, hostPaths } from "../../components/render";
import { LOCALNET_JOIN_INPUTS, loadScript, planSteps } from "../../components/steps";
import { METRICS_LINE, awsRaw, cfg, monitoringRaw } from "../helpers/config";

/** cfg() with certificates by DNS-01 (certbot's rfc2136 plugin) for the node and a shared name. */
function dns01Cfg() {
  const c = cfg();
  return {
    ...c,
    acme: {
      ...c.acme,
      challenge: "dns-01" as const,
      dns01: {
        plugin: "rfc2136" as const,
        server: "192.0.2.53",
        port: 53,
        keyName: "acme-key.",
        algorithm: "HMAC-SHA256" as const,
        propagationSeconds: 30,
      },
    },
    fleet: { ...c.fleet, publicName: "rpc.example.org" },
  };
}

const ROOT = path.resolve(__dirname, "..", "..");
const scripts = fs
  .readdirSync(path.join(ROOT, "remote"))
  .filter((f) => f.endsWith(".sh"))
  .sort();

describe("host scripts", () => {
  test.each(scripts)("%s: bash strict mode, and it sources the shared lib", (file) => {
    const text = fs.readFileSync(path.join(ROOT, "remote", file), "utf8");
    if (file === "lib.sh") return;
    expect(text).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(text).toMatch(/^set -euo pipefail$/m);
    expect(text).toMatch(/^\. "\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)\/lib\.sh"$/m);
  });

  test("pactus-init.py compiles with the target hosts' python3", () => {
    // The bytecode goes under a directory of this test's own, removed after: never the shared tmpdir.
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "psn-pycache-"));
    try {
      execFileSync("python3", ["-m", "py_compile", path.join(ROOT, "remote", "pactus-init.py")], {
        env: { ...process.env, PYTHONPYCACHEPREFIX: cache },
      });
      expect(fs.readdirSync(cache)).not.toHaveLength(0);
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  test.each([
    ["pactus.sh", ["password", "mnemonic", "basic_auth", "config_toml"]],
    // psn_pactus_config: the basic_auth line.
    ["lib.sh", ["value"]],
    ["verify.sh", ["api_user", "api_password"]],
  ])("%s does not echo its secret inputs", (file, names) => {
    const text = fs.readFileSync(path.join(ROOT, "remote", file), "utf8");
    const secret = `\\$\\{?(${names.join("|")})\\b`;
    // The secrets are only ever written to files or fed to the init helper, never printed.
    const uses = text.split("\n").filter((l) => new RegExp(secret).test(l));
    for (const n of names)
      expect(uses.some((l) => new RegExp(`\\$\\{?${n}\\b`).test(l))).toBe(true);
    for (const line of uses) {
      expect(line).not.toMatch(new RegExp(`\\b(echo|psn_log|psn_die)\\b[^#]*${secret}`));
      // printf only into a file or a pipe to base64/another file, never to the step's output.
      if (/\bprintf\b/.test(line)) expect(line).toMatch(/>\s*"\$|\| base64 -d\)/);
    }
  });
});

/** A script's text without its comment lines: what bash runs. */
const code = (text: string) =>
  text
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n");

/**
 * The host facts of components/render/paths.ts that no script may write itself: every path (one that
 * depends on the domain or the version, up to that part), every dir on the way whose name has "pactus"
 * (the install root, the node's home), and every file name of the stack's own (a site, the unit).
 */
function hostFacts(): string[] {
  const DOMAIN = "domain.invalid";
  const VERSION = "9.8.7";
  const facts = new Set<string>();
  for (const value of Object.values(hostPaths(DOMAIN, VERSION))) {
    const fixed = value.split(DOMAIN)[0].split(VERSION)[0];
    facts.add(fixed);
    const parts = fixed.replace(/\/$/, "").split("/");
    for (let i = 2; i <= parts.length; i++) {
      if (parts[i - 1].includes("pactus")) facts.add(parts.slice(0, i).join("/"));
    }
    const base = parts[parts.length - 1];
    if (base.includes("pactus") && base.includes(".")) facts.add(base);
  }
  facts.add(SERVICE_UNIT);
  return [...facts];
}

function portFacts(): number[] {
  const ports = new Set<number>([GRPC_PORT]);
  for (const listen of Object.values(PORTS)) ports.add(Number(listen.split(":").pop()));
  for (const p of Object.values(P2P_PORTS)) if (p !== undefined) ports.add(p);
  return [...ports];
}

describe("host paths and ports come from components/render/paths.ts, as the steps' inputs", () => {
  test("the facts checked include the node's dirs and its gRPC port", () => {
    const facts = hostFacts();
    const p = hostPaths("x", "1.0.0");
    for (const f of [p.pactusHome, p.pactusEtc, p.pactusInstallRoot, p.stateDir, p.runDir])
      expect(facts).toContain(f);
    expect(portFacts()).toContain(GRPC_PORT);
    expect(PORTS.grpc.endsWith(`:${GRPC_PORT}`)).toBe(true);
  });

  test.each(scripts)("%s names no host path or port of paths.ts, not even in a comment", (file) => {
    const text = fs.readFileSync(path.join(ROOT, "remote", file), "utf8");
    const found = hostFacts().filter((f) => text.includes(f));
    for (const port of portFacts())
      if (new RegExp(`(?<![0-9])${port}(?![0-9])`).test(text)) found.push(String(port));
    expect(found).toEqual([]);
  });

  // The plans that between them pass every input: optional ones (a private ACME CA) included.
  const PEM =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUVGVzdA==\n-----END CERTIFICATE-----";
  const plans = [
    planSteps(cfg(), { sshPort: 22 }),
    // aws: the data-disk step.
    planSteps(cfg(awsRaw()), { sshPort: 22 }),
    planSteps(cfg({ acme: { email: "ops@example.org", server: "staging", caBundle: PEM } }), {
      sshPort: 22,
      basicAuthDigest: basicAuthDigest("alice:x"),
    }),
    // A node joining node 1's localnet: the pactus step's late inputs.
    planSteps(cfg({ pactus: { network: "localnet", validators: 4, allowNoBackup: true } }), {
      sshPort: 22,
      joinLocalnet: true,
    }),
    // monitoring.enabled: the monitoring step.
    planSteps(cfg(monitoringRaw()), {
      sshPort: 22,
      monitoringAuthDigest: monitoringAuthDigest(METRICS_LINE),
    }),
    // acme.challenge dns-01 (rfc2136) with a shared name: the certificate step's DNS-01 inputs.
    planSteps(dns01Cfg(), { sshPort: 22, acmeDnsSecretDigest: "d".repeat(64) }),
  ];
  /** Inputs set outside planSteps: the lateEnv of components/secureNode.ts. */
  const LATE = ["PSN_EXPECT_IP", "PSN_VOLUME_ID", ...LOCALNET_JOIN_INPUTS];
  /** Set by the command line or the script itself, not inputs. */
  const OWN = ["PSN_STEP", "PSN_STEP_HASH", "PSN_SECRETS"];
  const files = scripts.filter((f) => f !== "lib.sh");
  const uses = (file: string) =>
    new Set(
      code(fs.readFileSync(path.join(ROOT, "remote", file), "utf8")).match(/\bPSN_[A-Z0-9_]+\b/g),
    );
  /** Every (script, inputs) pair of the plans: create and delete. */
  const runs = plans.flatMap((plan) =>
    plan.flatMap((s) => {
      const out: { file: string; env: Record<string, string> }[] = [];
      for (const [script, env] of [
        [s.script, s.env],
        [s.deleteScript, s.deleteEnv ?? {}],
      ] as const) {
        if (script === undefined) continue;
        const file = files.find((f) => loadScript(f) === script);
        if (!file) throw new Error(`step ${s.name}: its script is no file of remote/`);
        out.push({ file, env });
      }
      return out;
    }),
  );

  test("every script of remote/ is a step or an undo", () => {
    expect(new Set(runs.map((r) => r.file))).toEqual(new Set(files));
  });

  test.each(files)(
    "%s: every input it reads is one its step passes, and it reads every one",
    (file) => {
      const mine = runs.filter((r) => r.file === file);
      const passed = new Set(mine.flatMap((r) => Object.keys(r.env)));
      const used = uses(file);
      const missing = [...used].filter(
        (v) => !passed.has(v) && !LATE.includes(v) && !OWN.includes(v),
      );
      expect(missing).toEqual([]);
      for (const r of mine) expect(Object.keys(r.env).filter((k) => !used.has(k))).toEqual([]);
    },
  );

  test("lib.sh reads no input but the state dir (every step using psn_apt_install passes it)", () => {
    const used = [...uses("lib.sh")].filter((v) => !OWN.includes(v));
    expect(used).toEqual(["PSN_STATE_DIR"]);
    for (const r of runs)
      if (/^\s*psn_apt_install\b/m.test(fs.readFileSync(path.join(ROOT, "remote", r.file), "utf8")))
        expect(r.env.PSN_STATE_DIR).toBe(hostPaths("x", "1.0.0").stateDir);
  });
});
