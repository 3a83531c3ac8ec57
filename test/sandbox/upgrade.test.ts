/**
 * Upgrades with real releases (the toolchain builds Pactus PACTUS_PREVIOUS_VERSION and PACTUS_VERSION; the
 * sandbox release server publishes both with SHA256SUMS): deploy the previous release, upgrade by
 * bumping pactus.version under load, then two broken releases roll back by themselves, then a
 * downgrade across a block protocol is refused. Figures (failed seconds under load) print at the end.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { describeCounts, failureWindow, type LoadCounts, underLoad } from "../helpers/load";
import { versionPins } from "../helpers/local";
import {
  DEPLOY,
  HOST_SH,
  type RunResult,
  engineEnv,
  expectFailed,
  expectUp,
  HOST_INDEX,
  HOST_NAME,
  RUN_CONFIG,
  SERVICES_SH,
  STACK,
  onHost,
  run,
  sandboxDown,
} from "../helpers/sandbox";

const MIN = 60_000;
const env = engineEnv();
const pins = versionPins();
const PREVIOUS = pins.PACTUS_PREVIOUS_VERSION;
const CURRENT = pins.PACTUS_VERSION;
/** Broken releases of the current line (later patches, so the stack accepts them). */
const CRASHES = "1.16.8";
const SILENT = "1.16.9";
const HEALTH_TIMEOUT = 40;
const figures: string[] = [];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "psn-upgrade-"));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stackArgs = ["-s", STACK, "--config-file", RUN_CONFIG];
const up = (...extra: string[]) =>
  run("pulumi", ["--non-interactive", "up", "--yes", "--skip-preview", ...stackArgs, ...extra], {
    allowFail: true,
  });
const setConfig = (key: string, value: string) =>
  run("pulumi", ["config", "set", ...stackArgs, "--path", key, value]);
const checks = () => run("bash", [DEPLOY, "check"]);
const caFile = () => path.join(env.SANDBOX_DIR, "pebble", "root.pem");

/** What the node reports about itself, asked on the host with the running release's pactus-shell. */
function nodeState(): { version: string; height: number; pid: string; validators: string[] } {
  const version = onHost(
    "sed -n 's|^ExecStart=/opt/pactus/\\([^/]*\\)/pactus-daemon .*|\\1|p' /etc/systemd/system/pactus.service",
  );
  const shell = `/opt/pactus/${version}/pactus-shell`;
  const ask = (svc: string, method: string) =>
    JSON.parse(
      onHost(`${shell} ${svc} ${method} -s 127.0.0.1:50051 -o json -f - <<<'{}'`),
    ) as Record<string, unknown>;
  const agent = String(ask("network", "get-node-info").agent);
  const chain = ask("blockchain", "get-blockchain-info");
  const validators = JSON.parse(
    onHost(`${shell} blockchain get-validator-addresses -s 127.0.0.1:50051 -o json -f - <<<'{}'`),
  ) as { addresses: string[] };
  return {
    version: (agent.match(/node-version=v?([^/]+)/) ?? ["", "?"])[1],
    height: Number(chain.lastBlockHeight ?? 0),
    pid: onHost("systemctl show -p MainPID --value pactus.service"),
    validators: validators.addresses.sort(),
  };
}
const releases = () => onHost("ls /opt/pactus").split(/\s+/).sort();

/** Waits until the chain is above `height` (blocks continue); returns the new height. */
async function blockAbove(height: number, seconds = 60): Promise<number> {
  for (let i = 0; i < seconds; i++) {
    const h = nodeState().height;
    if (h > height) return h;
    await sleep(1000);
  }
  throw new Error(`no block above ${height} within ${seconds} s`);
}

/**
 * A broken release of the current line, published like a real one (tarball + SHA256SUMS): the real
 * wallet and shell, and a daemon that answers `version` but, on `start`, either exits with a panic
 * (crash) or runs without ever serving (silent).
 */
function publishBroken(version: string, how: "crash" | "silent"): void {
  const dir = path.join(scratch, version);
  fs.mkdirSync(dir, { recursive: true });
  for (const b of ["pactus-wallet", "pactus-shell"])
    fs.copyFileSync(path.join(env.PSN_BIN_DIR, b), path.join(dir, b));
  const start =
    how === "crash"
      ? `echo "panic: broken release ${version}: cannot open the store (test fixture)" >&2; exit 2`
      : `echo "broken release ${version}: starting, and never serving (test fixture)"; exec sleep infinity`;
  fs.writeFileSync(
    path.join(dir, "pactus-daemon"),
    `#!/bin/sh\ncase "$1" in\n  version) echo "Pactus version: ${version} (test fixture)" ;;\n  start) ${start} ;;\n  *) exit 1 ;;\nesac\n`,
    { mode: 0o755 },
  );
  run("bash", [SERVICES_SH, "release", dir, version]);
}

/** The daemon's own restart time under the same load: `systemctl restart` until gRPC answers again. */
function restartSeconds(): number {
  return Number(
    onHost(
      "t0=$(date +%s.%N); systemctl restart pactus.service; " +
        "until ss -Hltn 'sport = :50051' | grep -q .; do sleep 0.1; done; " +
        "awk -v a=$t0 -v b=$(date +%s.%N) 'BEGIN { print b - a }'",
    ),
  );
}

function loadFigure(what: string, counts: LoadCounts, restart: number): string {
  const w = failureWindow(counts);
  const own = restart ? `; the daemon's own restart under load: ${restart.toFixed(1)} s` : "";
  return `${what}: requests failed during ${w.seconds.toFixed(1)} s (${w.failed} failed: ${JSON.stringify(w.kinds)}${own}); ${describeCounts(counts)}`;
}

/** Every failure under load is the proxy's JSON 502 with CORS (never a hang or an HTML page). */
function expectOnlyJson502(counts: LoadCounts): void {
  const other = Object.keys(failureWindow(counts).kinds).filter((k) => k !== "502 json cors");
  if (other.length)
    throw new Error(
      `failures other than the proxy's JSON 502: ${other.join(", ")}; first of each: ${JSON.stringify({ jsonrpc: counts.jsonrpc.samples, grpcWeb: counts.grpcWeb.samples })}`,
    );
}

beforeAll(() => {
  run("bash", [DEPLOY, "down"]);
  run("bash", [DEPLOY, "prepare"]);
  setConfig("pactus.version", PREVIOUS);
  setConfig("pactus.healthTimeoutSeconds", String(HEALTH_TIMEOUT));
  // The load must not meet the rate limit.
  setConfig("nginx.rateLimit", "0");
  publishBroken(CRASHES, "crash");
  publishBroken(SILENT, "silent");
  run("bash", [HOST_SH, "up", HOST_NAME, HOST_INDEX]);
}, 15 * MIN);

afterAll(() => {
  for (const v of [CRASHES, SILENT])
    fs.rmSync(path.join(env.SANDBOX_DIR, "release", `v${v}`), { recursive: true, force: true });
  fs.rmSync(scratch, { recursive: true, force: true });
  sandboxDown();
  if (figures.length) process.stdout.write(`\nupgrade figures:\n  ${figures.join("\n  ")}\n`);
}, 5 * MIN);

describe("upgrades by bumping pactus.version, with automatic rollback", () => {
  let before: ReturnType<typeof nodeState>;

  test(
    `deploy Pactus ${PREVIOUS}`,
    async () => {
      const r = up();
      expectUp(r);
      checks();
      before = nodeState();
      expect(before.version).toBe(PREVIOUS);
      expect(before.validators).toHaveLength(4);
      before.height = await blockAbove(before.height);
      figures.push(`deploy ${PREVIOUS}: up in ${r.seconds.toFixed(1)} s, height ${before.height}`);
    },
    15 * MIN,
  );

  test(
    `upgrade ${PREVIOUS} -> ${CURRENT} under load: one restart, same validators, height kept, blocks continue, only the pactus step (and health, whose pactus-shell moves, and verify) run`,
    async () => {
      setConfig("pactus.version", CURRENT);
      const preview = run("pulumi", ["--non-interactive", "preview", "--diff", ...stackArgs]);
      // The pactus step, health (the refresher runs the new release's pactus-shell) and verify (which
      // re-runs after any step changed); nothing else.
      expect(preview.out).toMatch(/3 to update/);
      const updated = [...preview.out.matchAll(/::(pactus-steps-[a-z-]+)\]/g)].map((m) => m[1]);
      expect(updated.sort()).toEqual([
        "pactus-steps-health",
        "pactus-steps-pactus",
        "pactus-steps-verify",
      ]);
      expect(preview.out).not.toMatch(/to (create|delete|replace)/);
      const restarts = () => onHost("systemctl show -p NRestarts --value pactus.service");
      const restartsBefore = restarts();
      const heightBefore = nodeState().height;
      const { result: r, counts } = await underLoad(caFile(), () => up());
      expectUp(r);
      expect(r.out).toMatch(`upgrading Pactus ${PREVIOUS} -> ${CURRENT} at height`);
      expect(r.out).toMatch(`upgraded Pactus ${PREVIOUS} -> ${CURRENT}: healthy at height`);
      const after = nodeState();
      expect(after.version).toBe(CURRENT);
      expect(after.validators).toEqual(before.validators);
      expect(after.height).toBeGreaterThan(heightBefore);
      // systemd did not have to restart it: the step restarted it once, itself.
      expect(restarts()).toBe(restartsBefore);
      await blockAbove(after.height);
      expect(releases()).toEqual([PREVIOUS, CURRENT].sort());
      checks();
      expectUp(up("--expect-no-changes"));
      expectOnlyJson502(counts);
      const restart = (await underLoad(caFile(), () => restartSeconds())).result;
      figures.push(
        `upgrade ${PREVIOUS} -> ${CURRENT}: up in ${r.seconds.toFixed(1)} s, height ${heightBefore} -> ${after.height}`,
        loadFigure("  under load", counts, restart),
      );
    },
    15 * MIN,
  );

  for (const [version, how] of [
    [CRASHES, "its daemon exits at start"],
    [SILENT, "its daemon starts but never serves"],
  ] as const) {
    test(
      `a broken release (${version}: ${how}) rolls back to ${CURRENT} by itself, under load`,
      async () => {
        const was = nodeState();
        setConfig("pactus.version", version);
        let r: RunResult;
        let counts: LoadCounts;
        try {
          ({ result: r, counts } = await underLoad(caFile(), () => up()));
        } finally {
          setConfig("pactus.version", CURRENT);
        }
        expectFailed(
          r,
          `upgrade to Pactus ${version} failed: not healthy within ${HEALTH_TIMEOUT} s`,
          how.includes("exits")
            ? /panic: broken release 1\.16\.8: cannot open the store/
            : /broken release 1\.16\.9: starting, and never serving/,
          `Rolled back: the node runs Pactus ${CURRENT} again (healthy, height`,
        );
        const now = nodeState();
        expect(now.version).toBe(CURRENT);
        expect(now.validators).toEqual(before.validators);
        expect(now.height).toBeGreaterThanOrEqual(was.height);
        await blockAbove(now.height);
        // Rollback never downloads: the previous release was on disk; the failed one is gone again.
        expect(releases()).toEqual([PREVIOUS, CURRENT].sort());
        checks();
        // The failed update left the state at CURRENT: back at the pin, nothing to do.
        expectUp(up("--expect-no-changes"));
        expectOnlyJson502(counts);
        figures.push(
          `broken ${version} (${how}): up failed after ${r.seconds.toFixed(1)} s, rolled back to ${CURRENT}`,
          loadFigure("  under load", counts, 0),
        );
      },
      15 * MIN,
    );
  }

  test(
    `a downgrade to ${PREVIOUS} (older block protocol) is refused before anything changes`,
    () => {
      const was = nodeState();
      setConfig("pactus.version", PREVIOUS);
      let r: RunResult;
      try {
        r = up();
      } finally {
        setConfig("pactus.version", CURRENT);
      }
      expectFailed(
        r,
        `pactus.version ${PREVIOUS} is a downgrade from the running ${CURRENT}`,
        "Refused; nothing was changed",
      );
      const now = nodeState();
      expect(now.version).toBe(CURRENT);
      expect(now.pid).toBe(was.pid);
      expect(releases()).toEqual([PREVIOUS, CURRENT].sort());
      expectUp(up("--expect-no-changes"));
      figures.push(`downgrade to ${PREVIOUS}: refused in ${r.seconds.toFixed(1)} s, pid unchanged`);
    },
    10 * MIN,
  );
});
