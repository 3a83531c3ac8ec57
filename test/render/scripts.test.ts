import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

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
    execFileSync("python3", ["-m", "py_compile", path.join(ROOT, "remote", "pactus-init.py")], {
      env: { ...process.env, PYTHONPYCACHEPREFIX: os.tmpdir() },
    });
  });

  test.each([
    ["pactus.sh", ["password", "mnemonic", "basic_auth", "value", "config_toml"]],
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
