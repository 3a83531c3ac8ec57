/**
 * Faults: what real networks and operators do to a deployment, injected into the sandbox
 * (real engine, real systemd host, pebble, the real daemon). Each case shows what happens and that a
 * plain re-run of `pulumi up` then succeeds. Figures (outcome, time to recover) print at the end.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { describeCounts, underLoad } from "../helpers/load";
import {
  ADDR,
  DEPLOY,
  DOMAIN,
  HOST_SH,
  ROOT,
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
  onHostInBackground,
  run,
  runInBackground,
  sandboxDown,
} from "../helpers/sandbox";
import { versionPins } from "../helpers/local";

const MIN = 60_000;
const env = engineEnv();
// The deployed release is the toolchain's daemon (the sandbox release server publishes it).
const VERSION = versionPins().PACTUS_VERSION;
const FAKE_VERSION = "1.16.1";
const ACME_RULE = [
  "OUTPUT",
  "-d",
  ADDR,
  "-p",
  "tcp",
  "--dport",
  "80",
  "-m",
  "comment",
  "--comment",
  "psn-fault-acme",
  "-j",
  "REJECT",
  "--reject-with",
  "tcp-reset",
];
const figures: string[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const upArgs = (...extra: string[]) => [
  "--non-interactive",
  "up",
  "--yes",
  "--skip-preview",
  "-s",
  STACK,
  "--config-file",
  RUN_CONFIG,
  ...extra,
];
const up = (...extra: string[]) => run("pulumi", upArgs(...extra), { allowFail: true });
const destroy = () =>
  run("pulumi", [
    "--non-interactive",
    "destroy",
    "--yes",
    "--skip-preview",
    "-s",
    STACK,
    "--config-file",
    RUN_CONFIG,
  ]);
const setConfig = (key: string, value: string) =>
  run("pulumi", ["config", "set", "-s", STACK, "--config-file", RUN_CONFIG, "--path", key, value]);
/** The three checks from outside the host (deploy.sh check); throws when one fails. */
const checks = () => run("bash", [DEPLOY, "check"]);

/** `pulumi up` in the background, so the test can break things while it runs. */
const upInBackground = (opts: { cwd?: string; extra?: string[] } = {}) =>
  runInBackground("pulumi", upArgs(...(opts.extra ?? [])), { cwd: opts.cwd });

const mainPid = () => onHost("systemctl show -p MainPID --value pactus.service");
const stepUrn = (step: string) => {
  const state = JSON.parse(run("pulumi", ["stack", "export", "-s", STACK]).out);
  return (state.deployment.resources as { urn: string }[])
    .map((r) => r.urn)
    .find((u) => u.endsWith(`::pactus-steps-${step}`)) as string;
};

beforeAll(() => {
  run("bash", [DEPLOY, "down"]);
  run("bash", [DEPLOY, "prepare"]);
  // The load in the template case must not meet the rate limit.
  setConfig("nginx.rateLimit", "0");
}, 10 * MIN);
afterAll(() => {
  run("iptables", ["-D", ...ACME_RULE], { allowFail: true });
  fs.rmSync(path.join(env.SANDBOX_DIR, "release", `v${FAKE_VERSION}`), {
    recursive: true,
    force: true,
  });
  sandboxDown();
  if (figures.length) process.stdout.write(`\nfault figures:\n  ${figures.join("\n  ")}\n`);
}, 5 * MIN);

describe("faults: each ends well, and a plain re-run of pulumi up succeeds", () => {
  test(
    "the host boots 30 s after up starts: up waits for SSH, then succeeds",
    async () => {
      const pending = upInBackground();
      await sleep(30_000);
      run("bash", [HOST_SH, "up", HOST_NAME, HOST_INDEX]);
      const r = await pending;
      expectUp(r);
      expect(r.seconds).toBeGreaterThan(30);
      checks();
      figures.push(
        `host boots 30 s late: up waited and succeeded in ${r.seconds.toFixed(1)} s (checks pass)`,
      );
    },
    10 * MIN,
  );

  test(
    "the admin's key appears 30 s after sshd answers (first boot still running): up waits, then succeeds",
    async () => {
      destroy();
      run("bash", [HOST_SH, "down", HOST_NAME]);
      // A fresh cloud-like host: sshd answers at once, the first-boot service installs the key 30 s later.
      run("bash", [HOST_SH, "up", HOST_NAME, HOST_INDEX, "--key-delay", "30", "--no-wait"]);
      const r = await upInBackground();
      expectUp(r);
      expect(r.seconds).toBeGreaterThan(20);
      const refused = Number(
        onHost("journalctl -u ssh --no-pager -o cat | grep -c 'authenticating user admin' || true"),
      );
      expect(refused).toBeGreaterThan(1);
      checks();
      figures.push(
        `admin key 30 s after sshd answers: ${refused} refused logins, then up succeeded in ${r.seconds.toFixed(1)} s`,
      );
    },
    10 * MIN,
  );

  test(
    "sudo asks the admin for a password: the first step fails at once naming host.user and the sudoers line",
    () => {
      destroy();
      run("bash", [HOST_SH, "down", HOST_NAME]);
      run("bash", [HOST_SH, "up", HOST_NAME, HOST_INDEX, "--sudo-password"]);
      const r = up();
      expectFailed(
        r,
        /host\.user admin: sudo asks for a password, and every step runs with 'sudo -n'/,
        /echo 'admin ALL=\(ALL\) NOPASSWD:ALL' \| sudo tee \/etc\/sudoers\.d\/90-pactus-secure-node/,
      );
      expect(r.out).toMatch(/pactus-steps-wait-for-ssh\s+\*\*creating failed\*\*/);
      expect(r.seconds).toBeLessThan(30);
      // The operator adds the line the message gives (as root on the host's console: here, its disk).
      const sudoers = path.join(
        env.SANDBOX_DIR,
        "hosts/node/merged/etc/sudoers.d/90-pactus-secure-node",
      );
      fs.writeFileSync(sudoers, "admin ALL=(ALL) NOPASSWD:ALL\n", { mode: 0o440 });
      const again = up();
      expectUp(again);
      checks();
      figures.push(
        `sudo with a password: failed in ${r.seconds.toFixed(1)} s naming host.user; after the sudoers line, up in ${again.seconds.toFixed(1)} s`,
      );
    },
    10 * MIN,
  );

  test(
    "apt's lock is held on first boot (unattended-upgrades) and the lists are stale: base waits, then succeeds",
    () => {
      destroy();
      run("bash", [HOST_SH, "down", HOST_NAME]);
      // The image has no apt lists at all; the first-boot service holds dpkg's lock for 45 s.
      run("bash", [HOST_SH, "up", HOST_NAME, HOST_INDEX, "--apt-busy", "45"]);
      expect(onHost("systemctl is-active psn-apt-busy.service || true")).toBe("active");
      const r = up();
      expectUp(r);
      // The base step waited for the lock (apt-get with DPkg::Lock::Timeout) instead of failing: its
      // first install alone took most of the 45 s (without the lock: a few seconds).
      const base = Number(r.out.match(/pactus-steps-base created \((\d+)s\)/)?.[1]);
      expect(base).toBeGreaterThanOrEqual(30);
      checks();
      figures.push(
        `apt busy 45 s on first boot: the base step waited (${base} s), up succeeded in ${r.seconds.toFixed(1)} s`,
      );
    },
    10 * MIN,
  );

  test(
    "the DNS answer appears 20 s after up starts: the certificate step starts only after it",
    async () => {
      destroy();
      run("bash", [SERVICES_SH, "clear-a", DOMAIN]);
      // certbot (the certificate step) is pebble's only client: its first request marks the step's start.
      const pebbleLog = path.join(env.SANDBOX_DIR, "services", "pebble.log");
      const seen = fs.readFileSync(pebbleLog, "utf8").split("\n").length;
      const pending = upInBackground();
      await sleep(20_000);
      const added = Date.now() / 1000;
      run("bash", [SERVICES_SH, "add-a", DOMAIN, ADDR]);
      const r = await pending;
      expectUp(r);
      const first = fs
        .readFileSync(pebbleLog, "utf8")
        .split("\n")
        .slice(seen)
        .find((l) => / (POST|GET|HEAD) \//.test(l));
      const m = first?.match(/^Pebble (\d{4})\/(\d\d)\/(\d\d) (\d\d:\d\d:\d\d)/);
      if (!m) throw new Error(`no ACME request in pebble's log after the up started: ${first}`);
      const firstRequest = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}Z`) / 1000;
      expect(firstRequest).toBeGreaterThanOrEqual(Math.floor(added));
      expect(r.out).toMatch(/pactus-steps-wait-for-dns\s+created/);
      checks();
      figures.push(
        `DNS 20 s late: the first ACME request came ${(firstRequest - added).toFixed(0)} s after the record appeared; up ${r.seconds.toFixed(1)} s`,
      );
    },
    10 * MIN,
  );

  test(
    "the ACME server refuses the first order: a clear error, nothing on 443, the re-run succeeds",
    () => {
      destroy();
      // pebble's HTTP-01 validation (from this machine to the host's port 80) is reset.
      run("iptables", ["-I", ...ACME_RULE]);
      let r: RunResult;
      try {
        r = up();
      } finally {
        run("iptables", ["-D", ...ACME_RULE]);
      }
      expectFailed(
        r,
        `the ACME server refused a certificate for ${DOMAIN}`,
        /Connection refused|connection reset|Connection reset/i,
      );
      expect(onHost("ss -Hltn 'sport = :443'")).toBe("");
      const again = up();
      expectUp(again);
      checks();
      figures.push(
        `ACME refuses: up failed in ${r.seconds.toFixed(1)} s with "${(r.out.match(/the ACME server refused[^\n]{0,160}/) ?? [""])[0]}"; nothing on 443; re-run succeeded in ${again.seconds.toFixed(1)} s`,
      );
    },
    10 * MIN,
  );

  test(
    "a broken nginx template: the step fails, the previous config keeps serving under load, the fixed re-run succeeds",
    async () => {
      // The same project with one bad directive in the template, against the same stack.
      const copy = fs.mkdtempSync(path.join(os.tmpdir(), "psn-broken-"));
      for (const f of [
        "index.ts",
        "Pulumi.yaml",
        "package.json",
        "tsconfig.json",
        "components",
        "nginx",
        "remote",
      ]) {
        fs.cpSync(path.join(ROOT, f), path.join(copy, f), { recursive: true });
      }
      fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"));
      const tpl = path.join(copy, "nginx", "tls.conf.njk");
      fs.writeFileSync(
        tpl,
        fs
          .readFileSync(tpl, "utf8")
          .replace(
            "    server_tokens off;\n",
            "    server_tokens off;\n    psn_broken_directive on;\n",
          ),
      );
      const site = () => onHost("sha256sum < /etc/nginx/sites-available/pactus.conf");
      const before = site();
      try {
        const { result: r, counts } = await underLoad(
          path.join(env.SANDBOX_DIR, "pebble", "root.pem"),
          () => run("pulumi", upArgs(), { cwd: copy, allowFail: true }),
        );
        expectFailed(
          r,
          "nginx rejected the new",
          "psn_broken_directive",
          "the previous one stays in service",
        );
        expect(counts.jsonrpc.failed + counts.grpcWeb.failed).toBe(0);
        expect(counts.jsonrpc.ok).toBeGreaterThan(100);
        expect(site()).toBe(before);
        figures.push(
          `broken template: up failed in ${r.seconds.toFixed(1)} s; meanwhile ${describeCounts(counts)}`,
        );
      } finally {
        fs.rmSync(copy, { recursive: true, force: true });
      }
      const again = up();
      expectUp(again);
      checks();
      figures.push(
        `broken template: the re-run from the fixed project succeeded in ${again.seconds.toFixed(1)} s`,
      );
    },
    10 * MIN,
  );

  test(
    "a release whose checksum does not match SHA256SUMS: fails before touching the node, naming the file and both hashes",
    () => {
      const tarball = run("bash", [SERVICES_SH, "release", env.PSN_BIN_DIR, FAKE_VERSION])
        .out.trim()
        .split("\n")
        .pop() as string;
      const file = path.basename(tarball);
      const actual = crypto.createHash("sha256").update(fs.readFileSync(tarball)).digest("hex");
      const listed = crypto.createHash("sha256").update("not the release").digest("hex");
      fs.writeFileSync(path.join(path.dirname(tarball), "SHA256SUMS"), `${listed}  ${file}\n`);
      const pid = mainPid();
      setConfig("pactus.version", FAKE_VERSION);
      let r: RunResult;
      try {
        r = up();
      } finally {
        setConfig("pactus.version", VERSION);
      }
      expectFailed(r, `checksum mismatch for ${file}`, listed, actual);
      expect(mainPid()).toBe(pid);
      expect(onHost(`ls /opt/pactus`)).toBe(VERSION);
      checks();
      const again = up();
      expectUp(again);
      figures.push(
        `checksum mismatch: up failed in ${r.seconds.toFixed(1)} s naming ${file} and both hashes; pactus kept pid ${pid}; re-run succeeded in ${again.seconds.toFixed(1)} s`,
      );
    },
    10 * MIN,
  );

  test(
    "kill -9 of the daemon: systemd restarts it; a lock held by another process is not taken for a healthy node",
    async () => {
      const pid = mainPid();
      const t = Date.now();
      onHost(`kill -9 ${pid}`);
      let recovered = 0;
      for (let i = 0; i < 60 && !recovered; i++) {
        await sleep(500);
        const now = mainPid();
        if (
          now !== pid &&
          now !== "0" &&
          run("bash", [DEPLOY, "check"], { allowFail: true }).status === 0
        )
          recovered = (Date.now() - t) / 1000;
      }
      expect(recovered).toBeGreaterThan(0);
      expectUp(up("--expect-no-changes"));
      figures.push(
        `kill -9: systemd restarted pactus, checks pass again after ${recovered.toFixed(1)} s`,
      );

      // Another process holds the working dir's lock: the unit's daemon exits 0 and loops.
      onHost(
        "systemctl stop pactus.service && systemd-run --quiet --collect --unit psn-fault-lock --uid pactus flock /var/lib/pactus/node/.pactus.lock sleep 600 && sleep 1 && systemctl start pactus.service && sleep 3",
      );
      expect(
        onHost(
          "journalctl -u pactus.service -n 50 --no-pager -o cat | grep -c 'another instance is running' || true",
        ),
      ).not.toBe("0");
      const verify = stepUrn("verify");
      const r = up("--replace", verify);
      expectFailed(
        r,
        "/var/lib/pactus/node/.pactus.lock is held by pid",
        "not by pactus.service",
        "Stop pid",
      );
      onHost("systemctl stop psn-fault-lock.service");
      const again = up("--replace", verify);
      expectUp(again);
      figures.push(
        `lock held by another process: verify failed with "${(r.out.match(/the node's lock[^:]*/) ?? [""])[0]}"; after stopping it the re-run passed in ${again.seconds.toFixed(1)} s`,
      );
    },
    10 * MIN,
  );

  test(
    "the SSH connection drops in the middle of a step: the re-run converges",
    async () => {
      destroy();
      // On the host: when the pactus step's bash appears, kill -9 the sshd session that runs it.
      const killer = onHostInBackground(`for _ in $(seq 1 2400); do
      p=$(pgrep -f '^bash -s psn-pactu[s]' | head -n1)
      if [ -n "$p" ]; then sleep 1; pp=$(ps -o ppid= -p "$p" | tr -d ' '); kill -9 "$pp"; echo "killed sshd $pp running step bash $p"; exit 0; fi
      sleep 0.05
    done; exit 1`);
      const r = await upInBackground();
      const killed = (await killer).out;
      expect(killed).toMatch(/^killed sshd \d+/);
      expectFailed(r, /pactus-steps-pactus/);
      const again = up();
      expectUp(again);
      checks();
      figures.push(
        `SSH dropped mid-step (${killed.trim()}): up failed in ${r.seconds.toFixed(1)} s; the re-run converged in ${again.seconds.toFixed(1)} s`,
      );
    },
    10 * MIN,
  );
});
