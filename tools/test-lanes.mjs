// npm test's suites, run in lanes side by side (tools/test.sh calls this after setting the machine up).
//
// Most of a sandbox suite's time is waiting (SSH, apt, the daemon, ACME), so the suites run in lanes
// at once: each sandbox lane is one `jest --runInBand` on its own sandbox host number (its own host,
// address, stack and outputs; the services are shared), the local suites (unit, render, nginx, live,
// ci, monitoring) are one more lane, and lint is one more (or, with test/ci/prJob.test.ts selected, the
// pull-request job's replay runs lint and the unit, render and nginx suites, once, and reports them).
// Suites that only read a deployed node share their lane's host (PSN_SHARED_HOST=1: they leave it up
// for the next; the runner takes it down after the lane). Suites that change the host start from a fresh one, as they always did.
//
//   node tools/test-lanes.mjs [--lanes N] [--no-lint] [jest patterns...] [-- jest options...]
//
// Patterns select suites as jest does (`npm test -- test/unit proxy`); options after `--` go to every
// lane's jest (e.g. `-- -t "destroy"`). At the end: a table of every suite's wall time, slowest first,
// the total, and the line CI reads, "N passed, N failed" (lint counts as one test).
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";

const ROOT = path.resolve(import.meta.dirname, "..");
const JEST = path.join(ROOT, "node_modules", ".bin", "jest");
const DEPLOY = path.join(ROOT, "tools", "sandbox", "deploy.sh");
const HOST_SH = path.join(ROOT, "tools", "sandbox", "host.sh");
const SERVICES_SH = path.join(ROOT, "tools", "sandbox", "services.sh");

/**
 * The sandbox lanes: each its own host number, its suites one after another. Balanced by the wall
 * times of the last runs (the table this prints); a sandbox suite in no lane is an error, so a new
 * suite is placed on purpose. `shared`: the suites only read a deployed node and share one.
 */
export const LANES = [
  { name: "e2e", host: 11, suites: ["test/sandbox/e2e.test.ts"] },
  { name: "e2e-debian12", host: 12, suites: ["test/sandbox/e2eDebian12.test.ts"] },
  { name: "faults", host: 13, suites: ["test/sandbox/faults.test.ts"] },
  { name: "faults-steps", host: 17, suites: ["test/sandbox/faultsSteps.test.ts"] },
  { name: "upgrade", host: 14, suites: ["test/sandbox/upgrade.test.ts"] },
  {
    name: "wallet-metrics",
    host: 15,
    suites: ["test/sandbox/walletRestore.test.ts", "test/sandbox/metrics.test.ts"],
  },
  {
    name: "deployed",
    host: 20,
    shared: true,
    suites: [
      "test/sandbox/proxy.test.ts",
      "test/sandbox/clients.test.ts",
      "test/sandbox/browser.test.ts",
      "test/sandbox/health.test.ts",
      "test/sandbox/hosts.test.ts",
    ],
  },
  // fleet.test.ts deploys a node on host 23, grows its stack into a fleet of 3 (hosts 23-25, behind
  // rpc23.pactus.test) and shrinks it back: a lane of its own, since beside the suites above it made
  // that lane the run's longest. `nodes`: the hosts the lane's host may grow to, all taken down after.
  {
    name: "fleet",
    host: 23,
    nodes: 3,
    shared: true,
    suites: ["test/sandbox/fleet.test.ts"],
  },
];
const LOCAL = "local";
/** The live suites (real daemon, nginx, Prometheus in private namespaces) beside the other local ones. */
const LIVE = { name: "live", dir: "test/live/" };

function fail(message) {
  console.error(`test: ${message}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}

// Everything after the first `--` is for jest, untouched.
const argv = process.argv.slice(2);
const dashes = argv.indexOf("--");
const jestOptions = dashes < 0 ? [] : argv.slice(dashes + 1);
const { values: opts, positionals } = parseArgs({
  options: {
    lanes: { type: "string" },
    "no-lint": { type: "boolean", default: false },
  },
  allowPositionals: true,
  strict: true,
  args: dashes < 0 ? argv : argv.slice(0, dashes),
});
const maxLanes = Number(opts.lanes ?? process.env.PSN_TEST_LANES ?? LANES.length + 2);
if (!Number.isInteger(maxLanes) || maxLanes < 1)
  fail(`--lanes ${opts.lanes}: a whole number of lanes to run at once, 1 or more`);

// The suites jest would run for these patterns (all of them when none is given).
const listed = spawnSync(JEST, ["--listTests", "--json", ...positionals], {
  cwd: ROOT,
  encoding: "utf8",
});
if (listed.status !== 0) fail(`jest --listTests failed:\n${listed.stderr}`);
const selected = JSON.parse(listed.stdout)
  .map((f) => path.relative(ROOT, f))
  .sort();
if (selected.length === 0) fail(`no suite matches ${positionals.join(" ")}`);

/**
 * test/ci/prJob.test.ts replays the pull-request job, whose steps run `npm run lint` and jest on some
 * folders (read here from the workflow and package.json, where they are written). Run as that job's
 * steps, those are the same checks as this run's lint lane and those local suites: with the replay
 * selected they run there only, and the replay reports each of their suites (and lint) to this table.
 */
const PR_JOB = "test/ci/prJob.test.ts";
function prJobRuns() {
  const job = parseYaml(fs.readFileSync(path.join(ROOT, ".github/workflows/preview.yml"), "utf8"))
    .jobs.test;
  const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
  const runs = job.steps
    .map((st) => st.run ?? "")
    .map((r) => r.replace(/npm run (\S+)/g, (m, name) => `${m} ${scripts[name] ?? ""}`));
  const folders = runs.flatMap((r) =>
    /\bjest\b/.test(r) ? [...r.matchAll(/(?:^|\s)(test\/[\w/.-]+)/g)].map((m) => m[1]) : [],
  );
  return { lint: runs.some((r) => /npm run lint\b/.test(r)), folders };
}
const prJob = selected.includes(PR_JOB)
  ? prJobRuns()
  : { lint: false, folders: /** @type {string[]} */ ([]) };
const inPrJob = (f) =>
  prJob.folders.some((d) => f === d || f.startsWith(`${d.replace(/\/$/, "")}/`));

const placed = new Set(LANES.flatMap((l) => l.suites));
const stray = selected.filter((f) => f.startsWith("test/sandbox/") && !placed.has(f));
if (stray.length)
  fail(`${stray.join(", ")}: in no lane; add each to LANES in tools/test-lanes.mjs`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-test-"));
// Every suite gets this run's own TMPDIR: a test writes only under a directory it made there and
// removes it, so whatever is left at the end is a test that changed the machine (one failure, named).
// (Searchable by all: the pull-request job's replay runs as an unprivileged user.)
fs.chmodSync(tmp, 0o755);
const suitesTmp = path.join(tmp, "tmp");
fs.mkdirSync(suitesTmp, { mode: 0o1777 });
fs.chmodSync(suitesTmp, 0o1777);
// jest's transform cache stays where it always is, across runs.
const jestCache = path.join(os.tmpdir(), "jest_psn");
const lanes = [
  ...LANES.map((l) => ({ ...l, suites: l.suites.filter((s) => selected.includes(s)) })),
  { name: LIVE.name, suites: selected.filter((f) => f.startsWith(LIVE.dir)) },
  {
    name: LOCAL,
    suites: selected.filter((f) => !placed.has(f) && !f.startsWith(LIVE.dir) && !inPrJob(f)),
  },
].filter((l) => l.suites.length > 0);
const sandboxLanes = lanes.filter((l) => l.host !== undefined);

const width = Math.max(...lanes.map((l) => l.name.length), 4);
/** Streams a child's output line by line, each line prefixed with its lane. */
function prefixed(stream, name) {
  let rest = "";
  const tag = `[${name.padEnd(width)}] `;
  stream.on("data", (chunk) => {
    const lines = (rest + chunk.toString()).split("\n");
    rest = lines.pop();
    if (lines.length) process.stdout.write(lines.map((l) => tag + l).join("\n") + "\n");
  });
  stream.on("end", () => rest && process.stdout.write(tag + rest + "\n"));
}

const running = new Set();
function spawnLane(name, cmd, args, env) {
  const t = Date.now();
  // Its own process group, so an interrupted run can end the lane and everything it started.
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  running.add(child);
  prefixed(child.stdout, name);
  prefixed(child.stderr, name);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      running.delete(child);
      resolve({ code: code ?? 1, seconds: (Date.now() - t) / 1000 });
    }),
  );
}

const sh = (args, env = {}) =>
  spawnSync("bash", args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8" });

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, () => {
    // Each lane ends (its jest and what jest started); the lanes' hosts go down below, as usual.
    interrupted = true;
    console.log(`test: ${signal}: ending ${running.size} lanes`);
    for (const child of running) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
  });

const t0 = Date.now();
let servicesWereUp = false;
if (sandboxLanes.length) {
  servicesWereUp = /pebble running/.test(sh([SERVICES_SH, "status"]).stdout);
  // What every lane needs once, before they start together: the services, the plugins, the releases.
  const prep = sh([DEPLOY, "prepare", "--host", String(sandboxLanes[0].host)]);
  if (prep.status !== 0) fail(`the sandbox could not be prepared:\n${prep.stderr.slice(-3000)}`);
}

/** One lane: its jest run, then (sandbox lanes) its host taken down, whatever happened. */
async function runLane(lane) {
  const out = path.join(tmp, `${lane.name}.suites`);
  const env = {
    // test/summaryReporter.js: one JSON line per finished suite (the summary line goes there too).
    PSN_SUITES_FILE: out,
    PSN_SUMMARY_FILE: path.join(tmp, `${lane.name}.summary`),
    TMPDIR: suitesTmp,
    ...(lane.host !== undefined
      ? {
          PSN_SANDBOX_HOST: String(lane.host),
          PSN_KEEP_SERVICES: "1",
          ...(lane.shared ? { PSN_SHARED_HOST: "1" } : {}),
        }
      : {}),
  };
  const args = [
    "--ci",
    "--runInBand",
    `--cacheDirectory=${jestCache}`,
    ...jestOptions,
    "--runTestsByPath",
    ...lane.suites,
  ];
  const r = await spawnLane(lane.name, JEST, args, env);
  if (lane.host !== undefined) {
    const down = sh(
      [DEPLOY, "down", "--host", String(lane.host), "--nodes", String(lane.nodes ?? 1)],
      {
        PSN_KEEP_SERVICES: "1",
      },
    );
    if (down.status !== 0) process.stdout.write(`[${lane.name}] host down failed:\n${down.stderr}`);
  }
  const suites = fs.existsSync(out)
    ? fs
        .readFileSync(out, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
  return { lane, ...r, suites };
}

async function runLint() {
  if (opts["no-lint"] || prJob.lint) return undefined;
  return spawnLane("lint", "bash", [path.join(ROOT, "tools", "lint.sh")], {});
}

// Longest lanes first (the sandbox ones, in LANES order), then the local lane; lint beside them.
const queue = [...sandboxLanes, ...lanes.filter((l) => l.host === undefined)];
const done = [];
async function worker() {
  for (let lane = queue.shift(); lane && !interrupted; lane = queue.shift())
    done.push(await runLane(lane));
}
const [lint] = await Promise.all([
  runLint(),
  ...Array.from({ length: Math.min(maxLanes, queue.length) }, worker),
]);

if (sandboxLanes.length && !servicesWereUp) {
  // The services stop with the last host: only when no host (a user's own, say) still runs.
  const hosts = sh([HOST_SH, "status"]).stdout;
  if (!/nspawn pid/.test(hosts)) sh([SERVICES_SH, "down"]);
}

// --- the table and the line CI reads ------------------------------------------------------------
let passed = 0;
let failed = 0;
const rows = [];
for (const d of done) {
  for (const s of d.suites) {
    // A suite that failed to load or in a hook, with no failed test of its own: one failure.
    const bad = s.failed || s.broken;
    passed += s.passed;
    failed += bad;
    rows.push({
      suite: path.relative(ROOT, s.suite),
      lane: d.lane.name,
      seconds: s.seconds,
      tests: `${s.passed} passed${bad ? `, ${bad} failed` : ""}`,
    });
  }
  const ran = new Set(d.suites.map((s) => path.relative(ROOT, s.suite)));
  for (const s of d.lane.suites.filter((x) => !ran.has(x))) {
    // jest ended without a result for it (crashed, killed): a failure, named.
    failed += 1;
    rows.push({
      suite: s,
      lane: d.lane.name,
      seconds: 0,
      tests: `no result (jest exited ${d.code})`,
    });
  }
}
if (lint) {
  rows.push({
    suite: "npm run lint",
    lane: "lint",
    seconds: lint.seconds,
    tests: lint.code === 0 ? "1 passed" : "1 failed",
  });
  if (lint.code === 0) passed += 1;
  else failed += 1;
}
// Not a test's doing: Node's and jest's own caches, and the FIFO directory Pulumi's Node.js language
// host (3.68, the newest the Go proxy serves) makes for each program run and does not always remove
// (proxy_unix.go: os.MkdirTemp("", "pulumi-node-pipes")).
const TOOL_CACHES = /^(node-compile-cache|v8-compile-cache-\d+|jest_\w+|pulumi-node-pipes\d+)$/;
// (An interrupted run leaves what its killed processes had open: not counted.)
const left = interrupted ? [] : fs.readdirSync(suitesTmp).filter((f) => !TOOL_CACHES.test(f));
if (left.length) {
  failed += 1;
  console.log(`\ntests left files in their TMPDIR (${suitesTmp}): ${left.join(", ")}`);
  rows.push({ suite: "nothing left in TMPDIR", lane: "-", seconds: 0, tests: "1 failed" });
} else passed += 1;
rows.sort((a, b) => b.seconds - a.seconds);
const total = (Date.now() - t0) / 1000;
const cols = {
  suite: Math.max(5, ...rows.map((r) => r.suite.length)),
  lane: Math.max(4, ...rows.map((r) => r.lane.length)),
};
const line = (a, b, c, d) =>
  `${a.padEnd(cols.suite)}  ${b.padEnd(cols.lane)}  ${c.padStart(8)}  ${d}`;
console.log("\nwall time per suite, slowest first (lanes run side by side):");
console.log(line("suite", "lane", "seconds", "tests"));
for (const r of rows) console.log(line(r.suite, r.lane, r.seconds.toFixed(1), r.tests));
const laneTimes = done
  .map((d) => `${d.lane.name} ${d.seconds.toFixed(0)} s`)
  .concat(lint ? [`lint ${lint.seconds.toFixed(0)} s`] : [])
  .join(", ");
console.log(`lanes: ${laneTimes}`);
console.log(
  `total: ${total.toFixed(1)} s (${(total / 60).toFixed(1)} min) wall for ${rows.length} suites in ${done.length + (lint ? 1 : 0)} lanes, at most ${maxLanes} at once`,
);
if (!left.length || interrupted) fs.rmSync(tmp, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 && !interrupted ? 0 : 1);
