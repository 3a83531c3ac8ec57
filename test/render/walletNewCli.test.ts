/**
 * `npm run wallet:new` with a fake `pulumi` first on PATH that records every call's argv and stdin and
 * keeps one config value: the mnemonic travels only on stdin, is never printed without --show, and an
 * existing one is kept without --force. test/live/walletNew.test.ts runs it against the real CLI.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isBip39English, wordPairs } from "../helpers/bip39";

const ROOT = path.resolve(__dirname, "..", "..");

// Acts like `pulumi config get/set --path pactus.mnemonic` on one stack (the value in $d/value);
// FAKE_SET_FAIL=1 makes `config set` fail, echoing its input as a careless CLI might.
const FAKE = `#!/usr/bin/env bash
d=$FAKE_PULUMI_DIR
n=$(find "$d/calls" -name '*.argv' | wc -l)
printf '%s\\0' "$@" >"$d/calls/$n.argv"
cat >"$d/calls/$n.stdin"
case " $* " in
  *" config get "*)
    if [ -f "$d/value" ]; then cat "$d/value"; echo; exit 0; fi
    echo "error: configuration key 'pactus.mnemonic' not found for stack 't'" >&2
    exit 255 ;;
  *" config set "*)
    if [ "\${FAKE_SET_FAIL:-}" = 1 ]; then echo "error: cannot store $(cat "$d/calls/$n.stdin")" >&2; exit 1; fi
    cp "$d/calls/$n.stdin" "$d/value"
    exit 0 ;;
esac
exit 3
`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function fakePulumi(value?: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "psn-wallet-fake-"));
  dirs.push(d);
  fs.mkdirSync(path.join(d, "bin"));
  fs.mkdirSync(path.join(d, "calls"));
  fs.writeFileSync(path.join(d, "bin", "pulumi"), FAKE, { mode: 0o755 });
  if (value !== undefined) fs.writeFileSync(path.join(d, "value"), value);
  return d;
}

function walletNew(d: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync("npm", ["run", "--silent", "wallet:new", "--", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: {
      ...process.env,
      PATH: `${path.join(d, "bin")}:${process.env.PATH}`,
      FAKE_PULUMI_DIR: d,
      ...env,
    },
  });
  const calls = fs
    .readdirSync(path.join(d, "calls"))
    .filter((f) => f.endsWith(".argv"))
    .sort((a, b) => parseInt(a) - parseInt(b))
    .map((f) => ({
      argv: fs
        .readFileSync(path.join(d, "calls", f), "utf8")
        .split("\0")
        .slice(0, -1),
      stdin: fs.readFileSync(path.join(d, "calls", f.replace(".argv", ".stdin")), "utf8"),
    }));
  const value = fs.existsSync(path.join(d, "value"))
    ? fs.readFileSync(path.join(d, "value"), "utf8")
    : undefined;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls, value };
}

const OLD = "flower jump apple wealth magic client spike shadow dish treat renew dawn";

describe("npm run wallet:new (a fake pulumi records argv and stdin)", () => {
  test("a new 24-word mnemonic goes to `pulumi config set --secret --path pactus.mnemonic` on stdin only", () => {
    const r = walletNew(fakePulumi(), ["--stack", "t"]);
    expect(r.stderr).toMatch(
      /^wallet:new: stored a new 24-word mnemonic as pactus\.mnemonic of stack t/,
    );
    expect(r.status).toBe(0);
    const m = r.value!;
    expect(m.split(" ")).toHaveLength(24);
    expect(isBip39English(m)).toBe(true);
    // Asked whether one exists, set it (the value on stdin), read it back.
    expect(r.calls.map((c) => c.argv)).toEqual([
      ["--non-interactive", "config", "get", "--path", "pactus.mnemonic", "--stack", "t"],
      [
        "--non-interactive",
        "config",
        "set",
        "--secret",
        "--path",
        "pactus.mnemonic",
        "--stack",
        "t",
      ],
      ["--non-interactive", "config", "get", "--path", "pactus.mnemonic", "--stack", "t"],
    ]);
    expect(r.calls.map((c) => c.stdin)).toEqual(["", m, ""]);
    const argv = r.calls.flatMap((c) => c.argv).join(" ");
    for (const pair of wordPairs(m)) {
      expect(argv).not.toContain(pair);
      expect(r.stdout + r.stderr).not.toContain(pair);
    }
    expect(r.stdout).toBe("");
  });

  test("each run makes a different one", () => {
    const a = walletNew(fakePulumi(), ["--stack", "t"]).value;
    const b = walletNew(fakePulumi(), ["--stack", "t"]).value;
    expect(a).not.toBe(b);
  });

  test("--show prints it, alone, on stdout", () => {
    const r = walletNew(fakePulumi(), ["--stack", "t", "--show"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${r.value}\n`);
  });

  test("an existing pactus.mnemonic is kept without --force: nothing is set, nothing printed of it", () => {
    const d = fakePulumi(OLD);
    const r = walletNew(d, ["--stack", "t", "--show"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^wallet:new: stack t already has pactus\.mnemonic: it is the backup of the wallet .* run again with --force/,
    );
    expect(r.calls).toHaveLength(1);
    expect(r.value).toBe(OLD);
    for (const pair of wordPairs(OLD)) expect(r.stdout + r.stderr).not.toContain(pair);

    const forced = walletNew(d, ["--stack", "t", "--force"]);
    expect(forced.status).toBe(0);
    expect(forced.value).not.toBe(OLD);
    expect(forced.value!.split(" ")).toHaveLength(24);
  });

  test("a failing `pulumi config set` is reported without the value, even when pulumi echoes it", () => {
    const r = walletNew(fakePulumi(), ["--stack", "t"], { FAKE_SET_FAIL: "1" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("wallet:new: pulumi config set failed: error: cannot store <mnemonic>\n");
    expect(r.value).toBeUndefined();
  });

  test("--config-file and --project-dir reach pulumi; no --stack is a usage error", () => {
    const d = fakePulumi();
    const r = walletNew(d, ["--stack", "t", "--config-file", "/tmp/x.yaml", "--project-dir", d]);
    expect(r.status).toBe(0);
    expect(r.calls[1].argv.slice(-4)).toEqual(["--stack", "t", "--config-file", "/tmp/x.yaml"]);
    const usage = walletNew(fakePulumi(), []);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^usage: npm run wallet:new -- --stack <name>/);
    expect(usage.calls).toEqual([]);
  });
});
