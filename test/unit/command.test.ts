import { execFileSync } from "node:child_process";
import { buildCommand, loadScript, shq } from "../../components/steps";

const HOSTILE = ["a;b", "$(touch /tmp/psn-pwned)", "`id`", "it's", 'say "hi"', "line1\nline2", "{}", "!event", "\\", "", "$HOME", "*"];

/** Runs a command line the way sshd does: the login shell's `bash -c`. */
function runAsSshd(command: string, stdin = ""): string {
  return execFileSync("bash", ["-c", command], { input: stdin, encoding: "utf8" });
}

describe("command builder", () => {
  test.each(HOSTILE.map((v) => [JSON.stringify(v), v]))("an input value %s arrives verbatim", (_n, value) => {
    const script = 'set -euo pipefail\nif ! [ -z "${PSN_X+x}" ]; then printf "%s" "$PSN_X"; fi';
    expect(runAsSshd(buildCommand("t", script, { PSN_X: value }, false))).toBe(value);
  });

  test("the script text survives quotes, !, $ and backslashes", () => {
    const script = `x='single'; y="double \\$HOME"; if ! false; then echo "$x|$y|\\\\|!"; fi`;
    expect(runAsSshd(buildCommand("t", script, {}, false))).toBe("single|double $HOME|\\|!\n");
  });

  test("shq output is inert in the shell", () => {
    for (const v of HOSTILE) expect(runAsSshd(`printf %s ${shq(v)}`)).toBe(v);
  });

  test("input names are restricted", () => {
    expect(() => buildCommand("t", "true", { "PSN_X;id": "1" }, false)).toThrow(/bad input name/);
    expect(() => buildCommand("t", "true", { PATH: "/tmp" }, false)).toThrow(/bad input name/);
  });

  test("sudo prefix for non-root users", () => {
    expect(buildCommand("t", "true", {}, true)).toMatch(/^sudo -n env bash -c true psn-t$/);
  });

  test("lib.sh is inlined where a step sources it", () => {
    const s = loadScript("base.sh");
    expect(s).toContain("psn_apt_install()");
    expect(s).not.toMatch(/^\. "\$\(dirname/m);
  });
});
