/**
 * The alert rules an operator loads into their Prometheus (monitoring/alerts.yml), checked with the real
 * promtool (Debian's `prometheus` package): `check rules` is clean, `test rules` proves each alert fires
 * on a synthetic series and stays silent on a healthy one, and breaking any one rule fails that test.
 * The example scrape config passes `check config` and names the jobs the rules use.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { HEALTH_SERIES } from "../helpers/health";

const DIR = path.resolve(__dirname, "..", "..", "monitoring");

interface Rule {
  alert: string;
  expr: string;
  for?: string;
}
interface RuleTest {
  alert_rule_test: { alertname: string; exp_alerts: unknown[] | null }[];
}
const rules = (
  parse(fs.readFileSync(path.join(DIR, "alerts.yml"), "utf8")) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);
const ruleTests = (
  parse(fs.readFileSync(path.join(DIR, "alerts.test.yml"), "utf8")) as { tests: RuleTest[] }
).tests.flatMap((t) => t.alert_rule_test);

function promtool(...args: string[]) {
  const r = spawnSync("promtool", args, { encoding: "utf8", cwd: DIR, timeout: 60_000 });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

let tmp: string;
beforeAll(() => {
  if (spawnSync("sh", ["-c", "command -v promtool"]).status !== 0)
    throw new Error(
      "promtool is not installed (Debian's prometheus package; npm test installs it: tools/setup.sh test)",
    );
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-alerts-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("monitoring/alerts.yml", () => {
  test("promtool check rules: clean", () => {
    const r = promtool("check", "rules", "alerts.yml");
    expect(r.out).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.ok).toBe(true);
  });

  test("the alerts the issue asks for, on the health refresher's gauge names", () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        "PactusNodeDown",
        "PactusNoNewBlock",
        "PactusNoPeers",
        "PactusCertificateExpiresSoon",
        "PactusDiskFull",
        "PactusClockOffset",
      ]),
    );
    const used = new Set(rules.flatMap((r) => r.expr.match(/\bpactus_health_[a-z_]+/g) ?? []));
    for (const name of used) expect(HEALTH_SERIES).toContain(name);
    expect([...used].sort()).toEqual(
      [
        "pactus_health_up",
        "pactus_health_last_block_age_seconds",
        "pactus_health_peers",
        "pactus_health_cert_expiry_seconds",
        "pactus_health_clock_offset_seconds",
        "pactus_health_reboot_required",
      ].sort(),
    );
  });

  test("promtool test rules: every alert fires in a case and is silent in another, and all pass", () => {
    for (const { alert } of rules) {
      const cases = ruleTests.filter((t) => t.alertname === alert);
      expect({ alert, fires: cases.some((c) => (c.exp_alerts ?? []).length > 0) }).toEqual({
        alert,
        fires: true,
      });
      expect({ alert, silent: cases.some((c) => (c.exp_alerts ?? []).length === 0) }).toEqual({
        alert,
        silent: true,
      });
    }
    const r = promtool("test", "rules", "alerts.test.yml");
    expect(r.out).toContain("SUCCESS");
    expect(r.ok).toBe(true);
  });

  // So a pass means something: each rule, made never to fire, fails its test.
  test.each(rules.map((r) => r.alert))("the rules test fails when %s never fires", (alert) => {
    const text = fs.readFileSync(path.join(DIR, "alerts.yml"), "utf8");
    const doc = parse(text) as { groups: { rules: Rule[] }[] };
    for (const g of doc.groups)
      for (const r of g.rules) if (r.alert === alert) r.expr = "vector(1) == 0";
    const dir = fs.mkdtempSync(path.join(tmp, "case-"));
    fs.writeFileSync(path.join(dir, "alerts.yml"), JSON.stringify(doc));
    fs.copyFileSync(path.join(DIR, "alerts.test.yml"), path.join(dir, "alerts.test.yml"));
    const r = spawnSync("promtool", ["test", "rules", "alerts.test.yml"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain(`alertname: ${alert}`);
  });
});

describe("monitoring/prometheus.example.yml", () => {
  test("promtool check config: valid, loads alerts.yml, and has the two jobs the rules name", () => {
    const r = promtool("check", "config", "prometheus.example.yml");
    expect(r.out).toMatch(/SUCCESS: prometheus\.example\.yml is valid/);
    expect(r.ok).toBe(true);
    const cfg = parse(fs.readFileSync(path.join(DIR, "prometheus.example.yml"), "utf8")) as {
      scrape_configs: { job_name: string; metrics_path: string; scheme: string }[];
    };
    expect(cfg.scrape_configs.map((s) => [s.job_name, s.metrics_path, s.scheme])).toEqual([
      ["pactus", "/metrics/pactus", "https"],
      ["pactus-node", "/metrics/node", "https"],
    ]);
    const jobs = new Set(
      rules.flatMap((r) => [...r.expr.matchAll(/job="([^"]+)"/g)].map((m) => m[1])),
    );
    for (const j of jobs) expect(["pactus", "pactus-node"]).toContain(j);
  });
});
