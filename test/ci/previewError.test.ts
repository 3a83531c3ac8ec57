/**
 * A bad stack configuration as the real `pulumi preview` shows it: Pulumi's own `error:` with every
 * problem, once, and nothing else of ours (no "unhandled exception", no Node stack trace, no colour
 * escapes, no dump of the error's fields). The toolchain's pulumi CLI and nodejs language host run the
 * real program against a throwaway file:// backend; everything is written under one temp dir, removed
 * afterwards: the project (Pulumi.yaml and links to the program), PULUMI_HOME, the state and HOME.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, parseConfig, type RawConfig } from "../../components/config";

const ROOT = path.resolve(__dirname, "..", "..");
const STACK = "bad";
const PASSWORD = "correct horse battery";

/** The toolchain's bin dir with pulumi and its nodejs language host (npm test sets PSN_BIN_DIR). */
function toolchainBin(): string {
  const env = process.env.PSN_BIN_DIR;
  if (env && fs.existsSync(path.join(env, "pulumi"))) return env;
  return execFileSync("bash", [path.join(ROOT, "tools", "toolchain", "build.sh"), "--print-bin"], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

/** A mainnet stack without pactus.mnemonic, and an acme.email that is no address: two problems. */
const STACK_CONFIG = `config:
  pactus-secure-node:domain: node.example.org
  pactus-secure-node:acme:
    email: not-an-email
  pactus-secure-node:host:
    provider: aws
    region: eu-central-1
    adminCidrs:
      - 203.0.113.7/32
  pactus-secure-node:dns:
    provider: none
  pactus-secure-node:pactus:
    network: mainnet
`;

/** The same values as parseConfig takes them: the error the preview must show, word for word. */
const RAW: RawConfig = {
  domain: "node.example.org",
  acme: { email: "not-an-email" },
  host: { provider: "aws", region: "eu-central-1", adminCidrs: ["203.0.113.7/32"] },
  dns: { provider: "none" },
  pactus: { network: "mainnet" },
  secrets: { "pactus.walletPassword": PASSWORD },
  plaintextSecrets: [],
  cloudflareToken: false,
};

let dir: string;
let output: string;
let status: number | null;

beforeAll(() => {
  const bin = toolchainBin();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "psn-preview-"));
  const project = path.join(dir, "project");
  fs.mkdirSync(project);
  fs.mkdirSync(path.join(dir, "home"));
  fs.mkdirSync(path.join(dir, "state"));
  // The project is the real one: its Pulumi.yaml, and links to the program and its modules (the stack
  // file that `stack init` writes lands here, not in the repository).
  fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
  for (const f of ["package.json", "tsconfig.json", "index.ts", "node_modules"])
    fs.symlinkSync(path.join(ROOT, f), path.join(project, f));
  const env = {
    PATH: [bin, path.join(ROOT, "node_modules", ".bin"), process.env.PATH ?? ""].join(":"),
    HOME: dir,
    PULUMI_HOME: path.join(dir, "home"),
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "throwaway-test-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // The language host and plugins come from the toolchain on PATH, as the sandbox runs them.
    PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
    // And the program transpile-only, as the sandbox runs it (lint's tsc type-checks it).
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
  };
  const pulumi = (args: string[], input?: string) => {
    const r = spawnSync("pulumi", ["--non-interactive", ...args], {
      cwd: project,
      env,
      input,
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`pulumi ${args.join(" ")}: ${r.stderr}${r.stdout}`);
  };
  pulumi(["stack", "init", STACK]);
  // stack init wrote the passphrase's salt into the stack file; the config goes after it.
  const stackFile = path.join(project, `Pulumi.${STACK}.yaml`);
  fs.appendFileSync(stackFile, STACK_CONFIG);
  pulumi(
    ["config", "set", "--path", "--secret", "pactus.walletPassword", "--stack", STACK],
    PASSWORD,
  );
  // Standard output and error into one file, interleaved as a terminal shows them.
  const out = path.join(dir, "preview.txt");
  const fd = fs.openSync(out, "w");
  try {
    status = spawnSync("pulumi", ["--non-interactive", "preview", "--stack", STACK], {
      cwd: project,
      env,
      stdio: ["ignore", fd, fd],
    }).status;
  } finally {
    fs.closeSync(fd);
  }
  output = fs.readFileSync(out, "utf8");
}, 900_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** What parseConfig throws for these values. */
function expectedMessage(): string {
  try {
    parseConfig(RAW);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error("the test stack's config is valid: it must not be");
}

test("the preview fails", () => {
  expect(status).not.toBe(0);
});

test("Diagnostics hold exactly one error: the problems as parseConfig words them, nothing else", () => {
  const message = expectedMessage();
  expect(message).toMatch(/^Invalid stack configuration \(2 problems\):\n/);
  expect(message).toContain("  - acme.email: ");
  expect(message).toContain("  - pactus.mnemonic: missing for pactus.network mainnet; ");
  const diagnostics = output.slice(
    output.indexOf("\nDiagnostics:\n"),
    output.indexOf("\nResources:"),
  );
  const block = message
    .split("\n")
    .map((l, i) => (i === 0 ? `    error: ${l}` : `    ${l}`))
    .join("\n");
  expect(diagnostics).toBe(
    `\nDiagnostics:\n  pulumi:pulumi:Stack (pactus-secure-node-${STACK}):\n${block}\n`,
  );
});

test("each problem is printed once, with no stack trace, escape codes or error fields", () => {
  for (const line of expectedMessage().split("\n").slice(1))
    expect(output.split(line).length - 1).toBe(1);
  expect(output.match(/^\s*error:/gm)).toHaveLength(1);
  expect(output).not.toMatch(/^\s+at /m);
  // eslint-disable-next-line no-control-regex -- escape sequences are what must not appear
  expect(output).not.toMatch(/\x1b/);
  expect(output).not.toMatch(
    /unhandled exception|ConfigError|RunError|problems: \[|missingSecrets/,
  );
  expect(output).not.toContain(PASSWORD);
});
