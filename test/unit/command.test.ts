import { execFileSync, spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import * as fs from "node:fs";
import {
  buildCommand,
  buildDeleteCommand,
  buildStdin,
  loadScript,
  shq,
} from "../../components/steps";

const HOSTILE = [
  "a;b",
  "$(touch /tmp/psn-pwned)",
  "`id`",
  "it's",
  'say "hi"',
  "line1\nline2",
  "{}",
  "!event",
  "\\",
  "",
  "$HOME",
  "*",
  "EOF\n__PSN_SECRETS__",
];

/** Runs a step the way sshd does: the login shell's `bash -c <command>`, the step's stdin piped in. */
function runAsSshd(command: string, stdin = ""): string {
  return execFileSync("bash", ["-c", command], { input: stdin, encoding: "utf8" });
}
function runStep(script: string, env: Record<string, string>, secrets?: string): string {
  return runAsSshd(buildCommand("t", "0".repeat(64), false), buildStdin("t", script, env, secrets));
}

describe("command builder", () => {
  beforeAll(() => fs.rmSync("/tmp/psn-pwned", { force: true }));

  test.each(HOSTILE.map((v) => [JSON.stringify(v), v]))(
    "an input value %s arrives verbatim",
    (_n, value) => {
      const script = 'set -euo pipefail\nif ! [ -z "${PSN_X+x}" ]; then printf "%s" "$PSN_X"; fi';
      expect(runStep(script, { PSN_X: value })).toBe(value);
      expect(fs.existsSync("/tmp/psn-pwned")).toBe(false);
    },
  );

  test("the script text survives quotes, !, $ and backslashes", () => {
    const script = `x='single'; y="double \\$HOME"; if ! false; then echo "$x|$y|\\\\|!"; fi`;
    expect(runStep(script, {})).toBe("single|double $HOME|\\|!\n");
  });

  test("a command in the script that reads stdin cannot swallow the rest of the step", () => {
    const script = 'first=$(cat)\necho "read:[$first]"\necho after';
    expect(runStep(script, { PSN_A: "1" })).toBe("read:[]\nafter\n");
  });

  test("secrets reach the script in PSN_SECRETS, never in the command line", () => {
    const secrets = "WALLET_PASSWORD=aHVudGVyMg==\n";
    const cmd = buildCommand("pactus", "a".repeat(64), false);
    expect(cmd).toBe(`env PSN_STEP_HASH=${"a".repeat(64)} bash -s psn-pactus`);
    expect(runStep('printf "%s" "$PSN_SECRETS"', {}, secrets)).toBe(secrets.trimEnd());
  });

  test("the step's exit status is the command's", () => {
    expect(() => runStep("set -e\nfalse\necho unreachable", {})).toThrow(/Command failed/);
  });

  test("delete commands run inline and ignore stdin (which holds the create script)", () => {
    const del = buildDeleteCommand(
      "t-delete",
      'echo "del:$PSN_Y:$(cat)"',
      { PSN_Y: "it's" },
      false,
    );
    expect(runAsSshd(del, "echo create-script-must-not-run")).toBe("del:it's:\n");
  });

  test("shq output is inert in the shell", () => {
    for (const v of HOSTILE) expect(runAsSshd(`printf %s ${shq(v)}`)).toBe(v);
  });

  test("input names are restricted", () => {
    expect(() => buildStdin("t", "true", { "PSN_X;id": "1" })).toThrow(/bad input name/);
    expect(() => buildStdin("t", "true", { PATH: "/tmp" })).toThrow(/bad input name/);
    expect(() => buildDeleteCommand("t", "true", { LD_PRELOAD: "/x" }, false)).toThrow(
      /bad input name/,
    );
  });

  test("sudo prefix for non-root users", () => {
    expect(buildCommand("t", "b".repeat(64), true)).toMatch(
      /^sudo -n true 2>\/dev\/null \|\| \{ .*host\.user \$USER: sudo asks for a password.*; exit 1; \}; sudo -n env PSN_STEP_HASH=b{64} bash -s psn-t$/,
    );
  });

  test("sudo that would ask for a password: the command stops at once, naming host.user and the fix", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "psn-sudo-"));
    try {
      // sudo -n's own refusal when the user has no NOPASSWD rule.
      fs.writeFileSync(
        path.join(dir, "sudo"),
        '#!/bin/sh\necho "sudo: a password is required" >&2\nexit 1\n',
        { mode: 0o755 },
      );
      const r = spawnSync("bash", ["-c", buildCommand("t", "c".repeat(64), true)], {
        env: { PATH: `${dir}:/usr/bin:/bin`, USER: "admin", HOME: dir },
        input: "echo should-not-run\n",
        encoding: "utf8",
      });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim()).toBe(
        "host.user admin: sudo asks for a password, and every step runs with 'sudo -n'. Give admin " +
          "passwordless sudo on the host: echo 'admin ALL=(ALL) NOPASSWD:ALL' | sudo tee /etc/sudoers.d/90-pactus-secure-node",
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("lib.sh is inlined where a step sources it", () => {
    const s = loadScript("base.sh");
    expect(s).toContain("psn_apt_install()");
    expect(s).not.toMatch(/^\. "\$\(dirname/m);
  });
});
