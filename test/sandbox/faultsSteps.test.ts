/**
 * Faults in the steps of a deployment on a booted sandbox host (late DNS, a refused ACME order, a
 * broken template, a bad checksum, a killed daemon, a dropped SSH connection): each ends well, and a
 * plain re-run of `pulumi up` succeeds. faults.test.ts has the host's first-boot faults.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { describeCounts, underLoad } from "../helpers/load";
import {
  ACME_RULE,
  MIN,
  env,
  VERSION,
  FAKE_VERSION,
  figures,
  sleep,
  upArgs,
  up,
  destroy,
  setConfig,
  checks,
  upInBackground,
  mainPid,
  stepUrn,
  faultsHooks,
} from "../helpers/faults";
import {
  ADDR,
  DEPLOY,
  DOMAIN,
  ROOT,
  type RunResult,
  expectFailed,
  expectUp,
  SERVICES_SH,
  onHost,
  onHostInBackground,
  run,
} from "../helpers/sandbox";

faultsHooks({ bootHost: true });

describe("faults in the steps: each ends well, and a plain re-run of pulumi up succeeds", () => {
  test(
    "the DNS answer appears 20 s after up starts: the certificate step starts only after it",
    async () => {
      destroy();
      run("bash", [SERVICES_SH, "clear-a", DOMAIN]);
      // certbot on this host (the certificate step) logs each request it sends to the ACME server; its
      // first one after the up started marks the step's start. (pebble's own log is shared by every
      // sandbox host that runs at the same time, so it cannot tell whose request came first.)
      const started = Math.floor(Date.now() / 1000);
      const pending = upInBackground();
      await sleep(20_000);
      const added = Date.now() / 1000;
      run("bash", [SERVICES_SH, "add-a", DOMAIN, ADDR]);
      const r = await pending;
      expectUp(r);
      // certbot's log lines start with its local time, "2026-12-07 09:49:23,123:DEBUG:...".
      const requests = onHost(
        "grep -h 'Sending [A-Z]* request to https://' /var/log/letsencrypt/letsencrypt.log* | cut -c1-19 | while read -r d; do date -d \"$d\" +%s; done | sort -n",
      )
        .split("\n")
        .map(Number)
        .filter((t) => t >= started);
      if (!requests.length)
        throw new Error("no ACME request in certbot's log after the up started");
      const firstRequest = requests[0];
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
