/**
 * Faults: what real networks and operators do to a deployment, injected into the sandbox
 * (real engine, real systemd host, pebble, the real daemon). Each case shows what happens and that a
 * plain re-run of `pulumi up` then succeeds. Figures (outcome, time to recover) print at the end.
 * This suite: the host's first boot (late boot, late key, sudo with a password, apt busy), each from a
 * fresh host; faultsSteps.test.ts: the steps' own faults on a booted host.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import {
  MIN,
  env,
  figures,
  sleep,
  up,
  destroy,
  checks,
  upInBackground,
  faultsHooks,
} from "../helpers/faults";
import {
  HOST_SH,
  expectFailed,
  expectUp,
  HOST_INDEX,
  HOST_NAME,
  onHost,
  run,
} from "../helpers/sandbox";

faultsHooks({ bootHost: false });

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
    "the admin's key appears 30 s after sshd answers and two refused logins (first boot still running): up waits, then succeeds",
    async () => {
      destroy();
      run("bash", [HOST_SH, "down", HOST_NAME]);
      // A fresh cloud-like host: sshd answers at once, the first-boot service installs the key 30 s
      // later, and not before two of up's logins were refused (host.sh --key-delay).
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
      // At once, not after the dial's retries (minutes): with every lane running, the engine's own
      // start took 20-30 s of this.
      expect(r.seconds).toBeLessThan(90);
      // The operator adds the line the message gives (as root on the host's console: here, its disk).
      const sudoers = path.join(
        env.SANDBOX_DIR,
        `hosts/${HOST_NAME}/merged/etc/sudoers.d/90-pactus-secure-node`,
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
});
