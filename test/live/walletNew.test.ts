/**
 * `npm run wallet:new` against the real Pulumi CLI (the toolchain's, PSN_BIN_DIR) on a real local stack
 * (file backend and passphrase in a scratch dir, the project's own Pulumi.yaml), then the 24 words it
 * stored restored by the pactus step's helper (remote/pactus-init.py) with the real Pactus binaries:
 * the wallet's validators are the ones `pactus-daemon init --restore` derives from the same words.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isBip39English, wordPairs } from "../helpers/bip39";
import { pactusBin } from "../helpers/local";

const ROOT = path.resolve(__dirname, "..", "..");
const KEY = "pactus.mnemonic";

let tmp: string;
let env: NodeJS.ProcessEnv;
const project = () => path.join(tmp, "project");

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-wallet-live-"));
  fs.mkdirSync(path.join(tmp, "project"));
  fs.mkdirSync(path.join(tmp, "state"));
  fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(project(), "Pulumi.yaml"));
  env = {
    ...process.env,
    PATH: `${pactusBin()}:${process.env.PATH}`,
    PULUMI_HOME: path.join(tmp, "home"),
    PULUMI_BACKEND_URL: `file://${path.join(tmp, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "wallet-new-test",
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
  pulumi("stack", "init", "t");
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function pulumi(...args: string[]): string {
  return execFileSync("pulumi", ["--non-interactive", ...args], {
    cwd: project(),
    env,
    encoding: "utf8",
  });
}
function walletNew(...args: string[]) {
  const t = Date.now();
  const r = spawnSync(
    "npm",
    ["run", "--silent", "wallet:new", "--", "--stack", "t", "--project-dir", project(), ...args],
    { cwd: ROOT, env, encoding: "utf8" },
  );
  return { status: r.status, out: r.stdout + r.stderr, stdout: r.stdout, ms: Date.now() - t };
}
const stored = () => pulumi("config", "get", "--path", KEY, "--stack", "t").trim();
const stackFile = () => fs.readFileSync(path.join(project(), "Pulumi.t.yaml"), "utf8");

describe("npm run wallet:new with the real Pulumi CLI", () => {
  let mnemonic = "";

  test("stores 24 valid BIP-39 words as an encrypted pactus.mnemonic, printing none of them", () => {
    const r = walletNew();
    expect(r.out).toMatch(/^wallet:new: stored a new 24-word mnemonic as pactus\.mnemonic/);
    expect(r.status).toBe(0);
    mnemonic = stored();
    expect(mnemonic.split(" ")).toHaveLength(24);
    expect(isBip39English(mnemonic)).toBe(true);
    // In the stack file: ciphertext under the group's key, no word pair of it in clear.
    const file = stackFile();
    expect(file).toMatch(
      /\n {2}pactus-secure-node:pactus:\n {4}mnemonic:\n {6}secure: v1:\S{100,}\n/,
    );
    for (const pair of wordPairs(mnemonic)) {
      expect(file).not.toContain(pair);
      expect(r.out).not.toContain(pair);
    }
    // The engine sees it as a secret: config lists the group as secret, without its value.
    expect(JSON.parse(pulumi("config", "--json", "--stack", "t"))).toMatchObject({
      "pactus-secure-node:pactus": { secret: true },
    });
    const listed = pulumi("config", "--json", "--stack", "t");
    for (const pair of wordPairs(mnemonic)) expect(listed).not.toContain(pair);
    console.log(`wallet:new with the real CLI: ${r.ms} ms`);
  });

  test("a second run keeps it; --force replaces it; --show prints exactly the stored one", () => {
    const again = walletNew("--show");
    expect(again.status).toBe(1);
    expect(again.out).toMatch(/already has pactus\.mnemonic/);
    expect(again.stdout).toBe("");
    expect(stored()).toBe(mnemonic);

    const forced = walletNew("--force", "--show");
    expect(forced.status).toBe(0);
    const now = stored();
    expect(now).not.toBe(mnemonic);
    expect(forced.stdout).toBe(`${now}\n`);
    expect(isBip39English(now)).toBe(true);
    mnemonic = now;
  });

  test("Pactus restores a wallet from the 24 words: the pactus step's helper and `init --restore` agree", () => {
    const bin = pactusBin();
    const pw = path.join(tmp, "password");
    fs.writeFileSync(pw, "a long test password\n", { mode: 0o600 });
    const mn = path.join(tmp, "mnemonic");
    fs.writeFileSync(mn, stored(), { mode: 0o600 });
    const out = execFileSync(
      "python3",
      [
        path.join(ROOT, "remote", "pactus-init.py"),
        ...["--bin-dir", bin, "--working-dir", path.join(tmp, "wd")],
        ...["--network", "mainnet", "--val-num", "2", "--password-file", pw],
        ...["--mnemonic-file", mn],
      ],
      { encoding: "utf8" },
    );
    const line = out.split("\n").find((l) => l.startsWith('{"validators":'))!;
    const restored: string[] = JSON.parse(line).validators;
    expect(restored).toHaveLength(2);
    for (const v of restored) expect(v).toMatch(/^pc1p[02-9ac-hj-np-z]{38}$/);
    for (const pair of wordPairs(mnemonic)) expect(out).not.toContain(pair);
    // The daemon's own restore (words in argv: only here, a throw-away scratch wallet).
    const scratch = path.join(tmp, "scratch");
    execFileSync(
      path.join(bin, "pactus-daemon"),
      ["init", "-w", scratch, "--restore", mnemonic, "--val-num", "2", "-p", "x-password"],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    const listed = execFileSync(
      path.join(bin, "pactus-wallet"),
      ["--path", path.join(scratch, "wallets", "default_wallet"), "address", "all"],
      { encoding: "utf8" },
    );
    for (const v of restored) expect(listed).toContain(v);
  }, 120_000);
});
