/**
 * remote/monitoring.sh and its undo, run as the step runs them (command line + stdin with the secret),
 * with their paths pointed into a temp dir and shims for what only a host has (dpkg-query, apt-get,
 * systemctl, ss, curl): the order (options file before the package), idempotence, the loopback check,
 * the htpasswd file, and the undo for an exporter the stack installed and for one that was there before.
 * The real run on a systemd host is test/sandbox/metrics.test.ts.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { monitoringAuthDigest } from "../../components/config";
import {
  StepPlan,
  buildCommand,
  buildDeleteCommand,
  buildStdin,
  monitoringSecrets,
  planSteps,
} from "../../components/steps";
import { METRICS_LINE, cfg, monitoringRaw } from "../helpers/config";

const SHIMS: Record<string, string> = {
  "dpkg-query": `[ -e "$S/installed" ] && echo 'install ok installed' || exit 1`,
  // Logs each call; install records whether the options file was already in place; purge does what
  // Debian's postrm does (the conffile and the textfile dir go).
  "apt-get": `echo "$*" >>"$S/apt.log"
case " $* " in
  *" install "*) cp "$SHIM_DEFAULTS" "$S/defaults-at-install" 2>/dev/null || echo missing >"$S/defaults-at-install"; touch "$S/installed" ;;
  *" purge "*) rm -f "$S/installed" "$SHIM_DEFAULTS"; rm -rf "$SHIM_TEXTFILE_DIR"; rm -f "$S/active" ;;
esac`,
  systemctl: `echo "$*" >>"$S/systemctl.log"
case "$1" in
  is-active) [ -e "$S/active" ] ;;
  restart) touch "$S/active" ;;
esac`,
  curl: `[ -e "$S/active" ] && echo 'node_exporter_build_info{version="1.9.1"} 1' || exit 7`,
  ss: `[ -e "$S/active" ] && echo 'LISTEN 0 4096 127.0.0.1:9100 0.0.0.0:*'
[ -e "$S/public" ] && echo 'LISTEN 0 4096 *:9100 *:*'
exit 0`,
  journalctl: `echo "journal of $*"`,
};

let tmp: string;
let step: StepPlan;
let S: string;
let env: Record<string, string>;
let deleteEnv: Record<string, string>;

beforeAll(() => {
  if (process.getuid?.() !== 0)
    throw new Error(
      "test/live/monitoringScript.test.ts needs root (the htpasswd file is root:www-data)",
    );
});

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-monitoring-sh-"));
  S = path.join(tmp, "shim-state");
  fs.mkdirSync(S);
  const bin = path.join(tmp, "bin");
  fs.mkdirSync(bin);
  for (const [name, body] of Object.entries(SHIMS))
    fs.writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  step = planSteps(cfg(monitoringRaw()), {
    sshPort: 22,
    monitoringAuthDigest: monitoringAuthDigest(METRICS_LINE),
  }).find((s) => s.name === "monitoring")!;
  const paths = {
    PSN_EXPORTER_DEFAULTS: path.join(tmp, "etc-default", "prometheus-node-exporter"),
    PSN_HTPASSWD: path.join(tmp, "etc-nginx", "pactus-metrics.htpasswd"),
    PSN_STATE_DIR: path.join(tmp, "state"),
  };
  env = { ...step.env, ...paths, PSN_TEXTFILE_DIR: path.join(tmp, "textfile") };
  deleteEnv = { ...step.deleteEnv, ...paths, PSN_TEXTFILE_DIR: env.PSN_TEXTFILE_DIR };
  process.env.PSN_TEST_PATH = `${bin}:${process.env.PATH}`;
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const shimEnv = () => ({
  ...process.env,
  PATH: process.env.PSN_TEST_PATH!,
  S,
  SHIM_DEFAULTS: env.PSN_EXPORTER_DEFAULTS,
  SHIM_TEXTFILE_DIR: env.PSN_TEXTFILE_DIR,
});
function create(over: Record<string, string> = {}, line = METRICS_LINE) {
  const e = { ...env, ...over };
  const r = spawnSync("bash", ["-c", buildCommand("monitoring", step.hash, false)], {
    input: buildStdin(
      "monitoring",
      step.script,
      e,
      e.PSN_AUTH === "true" ? monitoringSecrets(line) : undefined,
    ),
    env: shimEnv(),
    encoding: "utf8",
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}
function destroy() {
  const r = spawnSync(
    "bash",
    ["-c", buildDeleteCommand("monitoring-delete", step.deleteScript!, deleteEnv, false)],
    { env: shimEnv(), encoding: "utf8" },
  );
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}
const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "");
const log = (name: string) => read(path.join(S, name));

describe("remote/monitoring.sh", () => {
  test("fresh host: the options file first, then the package; exporter checked; htpasswd 0640 root:www-data; a second run changes nothing", () => {
    const r = create();
    expect(r.out).toContain("node exporter on 127.0.0.1:9100");
    expect(r.status).toBe(0);
    expect(read(path.join(S, "defaults-at-install"))).toBe(env.PSN_EXPORTER_CONF);
    expect(log("apt.log")).toMatch(
      /install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold prometheus-node-exporter/,
    );
    expect(log("systemctl.log")).toContain("restart prometheus-node-exporter.service");
    expect(fs.existsSync(path.join(env.PSN_STATE_DIR, "monitoring-installed"))).toBe(true);
    const st = fs.statSync(env.PSN_HTPASSWD);
    expect((st.mode & 0o777).toString(8)).toBe("640");
    expect(
      spawnSync("stat", ["-c", "%U:%G", env.PSN_HTPASSWD], { encoding: "utf8" }).stdout.trim(),
    ).toBe("root:www-data");
    expect(read(env.PSN_HTPASSWD)).toBe(`${METRICS_LINE}\n`);
    expect(r.out).not.toContain(METRICS_LINE.split(":")[1]);
    fs.rmSync(path.join(S, "apt.log"));
    fs.rmSync(path.join(S, "systemctl.log"));
    const again = create();
    expect(again.status).toBe(0);
    expect(log("apt.log")).toBe("");
    expect(log("systemctl.log")).not.toContain("restart");
    expect(again.out).not.toContain("htpasswd for /metrics/ written");
  });

  test("an exporter listening beyond loopback fails the step, naming the address", () => {
    fs.writeFileSync(path.join(S, "public"), "");
    const r = create();
    expect(r.status).not.toBe(0);
    expect(r.out).toContain("something listens on port 9100 beyond 127.0.0.1:9100: *:9100");
  });

  test("credentials dropped (CIDRs only): the htpasswd file goes", () => {
    expect(create().status).toBe(0);
    expect(fs.existsSync(env.PSN_HTPASSWD)).toBe(true);
    expect(create({ PSN_AUTH: "false" }).status).toBe(0);
    expect(fs.existsSync(env.PSN_HTPASSWD)).toBe(false);
  });

  test("undo of an exporter the stack installed: purged, htpasswd gone, the textfile dir's files kept", () => {
    expect(create().status).toBe(0);
    fs.writeFileSync(path.join(env.PSN_TEXTFILE_DIR, "pactus.prom"), "pactus_health_up 1\n");
    const r = destroy();
    expect(r.status).toBe(0);
    expect(log("apt.log")).toContain("purge -y -q prometheus-node-exporter");
    expect(fs.existsSync(env.PSN_HTPASSWD)).toBe(false);
    expect(read(path.join(env.PSN_TEXTFILE_DIR, "pactus.prom"))).toBe("pactus_health_up 1\n");
    expect(fs.existsSync(env.PSN_STATE_DIR)).toBe(false);
  });

  test("an exporter that was there before: its options saved, no install; the undo puts them back, no purge", () => {
    fs.writeFileSync(path.join(S, "installed"), "");
    fs.writeFileSync(path.join(S, "active"), "");
    fs.mkdirSync(path.dirname(env.PSN_EXPORTER_DEFAULTS), { recursive: true });
    fs.writeFileSync(env.PSN_EXPORTER_DEFAULTS, 'ARGS="--collector.systemd"\n');
    expect(create().status).toBe(0);
    expect(log("apt.log")).toBe("");
    expect(read(env.PSN_EXPORTER_DEFAULTS)).toBe(env.PSN_EXPORTER_CONF);
    expect(log("systemctl.log")).toContain("restart prometheus-node-exporter.service");
    expect(create().status).toBe(0);
    const r = destroy();
    expect(r.status).toBe(0);
    expect(log("apt.log")).toBe("");
    expect(read(env.PSN_EXPORTER_DEFAULTS)).toBe('ARGS="--collector.systemd"\n');
    expect(log("systemctl.log")).toContain("try-restart prometheus-node-exporter.service");
  });
});
