/**
 * tools/setup.sh on machines where it cannot set things up: it stops within the first second with one
 * line that names what is missing and the command that fixes it, and changes nothing. The machine is
 * varied through PATH (a node that is too old, no go, a dpkg that knows no package) and an os-release
 * file, and through the user (nobody).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const SETUP = path.join(ROOT, "tools", "setup.sh");

let dir: string;
const bins = (name: string, tools: Record<string, string>) => {
  const d = path.join(dir, name);
  fs.mkdirSync(d);
  for (const [tool, target] of Object.entries(tools)) {
    if (target.startsWith("#!")) fs.writeFileSync(path.join(d, tool), target, { mode: 0o755 });
    else fs.symlinkSync(target, path.join(d, tool));
  }
  return d;
};
const which = (tool: string) =>
  spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "psn-setup-"));
  fs.chmodSync(dir, 0o755);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function setup(
  args: string[],
  opts: { path: string; user?: string; env?: Record<string, string> },
) {
  const env = [
    "env",
    "-i",
    `PATH=${opts.path}`,
    `HOME=${dir}`,
    ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
  ];
  const argv = opts.user ? ["runuser", "-u", opts.user, "--", ...env] : env;
  const t0 = performance.now();
  const r = spawnSync(argv[0], [...argv.slice(1), "bash", SETUP, ...args], { encoding: "utf8" });
  return { ...r, seconds: (performance.now() - t0) / 1000, lines: r.stderr.trim().split("\n") };
}

const SYS = "/usr/sbin:/usr/bin:/sbin:/bin";

test.each([
  {
    what: "not root: npm run sandbox",
    args: ["sandbox"],
    user: "nobody",
    line: /^setup: 'npm run sandbox' needs root .*: run 'sudo npm run sandbox'$/,
  },
  {
    what: "not root: npm test",
    args: ["test"],
    user: "nobody",
    line: /^setup: 'npm test' needs root .*: run 'sudo npm test'$/,
  },
  {
    what: "no Go",
    args: ["test"],
    tools: () => ({ node: which("node"), npm: which("npm") }),
    line: /^setup: Go is not installed .*install Go >= 1\.26 \(https:\/\/go\.dev\/doc\/install\), then run 'npm test' again$/,
  },
  {
    what: "Node.js too old",
    args: ["unit"],
    tools: () => ({ node: "#!/bin/sh\necho 18\n", npm: which("npm") }),
    line: /^setup: Node\.js .* is too old: install Node\.js >= 22 .*then run 'npm run test:unit' again$/,
  },
  {
    what: "not Debian or Ubuntu, packages missing",
    args: ["sandbox"],
    tools: () => ({
      node: which("node"),
      npm: which("npm"),
      go: which("go"),
      "dpkg-query": "#!/bin/sh\nexit 1\n",
    }),
    env: { PSN_OS_RELEASE: "FEDORA" },
    line: /^setup: missing: pebble debootstrap .*; this machine is not Debian or Ubuntu .*'fedora'\), so install them with its own package manager, or use Debian 12\/13$/,
  },
  {
    what: "not root, shellcheck missing: npm run lint",
    args: ["lint"],
    user: "nobody",
    tools: () => ({ node: which("node"), npm: which("npm"), "dpkg-query": "#!/bin/sh\nexit 1\n" }),
    line: /^setup: missing Debian packages: shellcheck: run 'sudo apt-get install -y shellcheck' \(or 'npm run lint' as root\)$/,
  },
])(
  "$what: one line with the fix, exit 1, within a second",
  ({ what, args, user, tools, env, line }) => {
    const name = what.replace(/[^a-z]+/gi, "-");
    let p = SYS;
    if (tools) p = `${bins(name, tools())}:${SYS}`;
    if (env?.PSN_OS_RELEASE) {
      const f = path.join(dir, `${name}.os-release`);
      fs.writeFileSync(f, 'ID=fedora\nNAME="Fedora Linux"\n');
      env.PSN_OS_RELEASE = f;
    }
    const r = setup(args, { path: p, user, env });
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(line);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.seconds).toBeLessThan(1);
  },
);

test("on this machine, set up: every command's packages are installed and a second run does nothing", () => {
  const r = setup(["test", "--print-bin"], { path: process.env.PATH ?? SYS });
  expect(r.status).toBe(0);
  // Nothing left to install: no apt, no npm ci lines; stdout is the toolchain's bin directory only.
  expect(r.stderr).not.toMatch(/apt:|npm ci/);
  expect(fs.existsSync(path.join(r.stdout.trim(), "pulumi"))).toBe(true);
});
