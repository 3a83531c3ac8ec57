/**
 * monitoring.* for real: `pulumi up` with monitoring on into a fresh sandbox host (the monitoring step
 * installs Debian's node exporter over SSH, the pactus step turns the daemon's HTML server on, nginx
 * gets the /metrics/ locations), then Debian's Prometheus on this machine (a plain process in a private
 * mount namespace whose /etc/hosts names the node) scrapes https://<domain>/metrics/{node,pactus} over
 * TLS, trusting only pebble's root, with the credentials, from the one source address allowed. Stopping
 * the daemon on the host makes PactusNodeDown fire. Turning monitoring off removes what it added.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import {
  ADDR,
  DEPLOY,
  DOMAIN,
  HOST_INDEX,
  HOST_NAME,
  HOST_SH,
  ROOT,
  RUN_CONFIG,
  SERVICES_SH,
  STACK,
  engineEnv,
  onHost,
  pulumi,
  run,
} from "../helpers/sandbox";
import { prometheusApi, waitFor as waitForEvery } from "../helpers/prometheus";

const MIN = 60_000;
const env = engineEnv();
const config = (args: string[], input?: string) =>
  run("pulumi", ["config", ...args, "--stack", STACK, "--config-file", RUN_CONFIG], { input });
const up = () =>
  run("bash", [SERVICES_SH, "add-a", DOMAIN, ADDR]) &&
  pulumi("up", "--yes", "--skip-preview", "--stack", STACK, "--config-file", RUN_CONFIG);
const figures: string[] = [];

const USER = "prometheus";
const PASSWORD = `scrape ${crypto.randomBytes(6).toString("hex")}`;
/** The machine's end of the host's veth: the only source monitoring.allowCidrs lets in. */
const SCRAPER = `10.231.${HOST_INDEX}.1`;
const caFile = () => path.join(env.SANDBOX_DIR, "pebble", "root.pem");
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;

let tmp: string;
let prometheus: ChildProcess | undefined;
let promAddr = "";

/** GET https://<domain><p> from this machine (pebble's root only): the HTTP status. */
function status(p: string, auth?: string): number {
  const r = run("curl", [
    ...["-sS", "--max-time", "10", "--cacert", caFile(), "--resolve", `${DOMAIN}:443:${ADDR}`],
    ...(auth ? ["-H", `Authorization: ${auth}`] : []),
    ...["-o", "/dev/null", "-w", "%{http_code}", `https://${DOMAIN}${p}`],
  ]);
  return Number(r.out);
}
/** The Prometheus on the machine (promAddr is set before any query). */
const { query, targets, alerts } = prometheusApi(
  (apiPath) => run("curl", ["-sf", "--max-time", "5", `http://${promAddr}${apiPath}`]).out,
);
/** Polls every 500 ms (each check may ask the host over SSH). */
const waitFor = <T>(what: string, seconds: number, check: () => T | undefined) =>
  waitForEvery(what, seconds, check, 500);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(() => {
  expect(env.PSN_HOST_ADDR).toBe(ADDR);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-sb-metrics-"));
  run("bash", [DEPLOY, "down"]);
  run("bash", [DEPLOY, "prepare"]);
  run("bash", [HOST_SH, "up", HOST_NAME, HOST_INDEX, "--image", "debian-13"]);
}, 10 * MIN);
afterAll(() => {
  if (prometheus?.pid) process.kill(prometheus.pid, "SIGTERM");
  if (!process.env.PSN_KEEP_SANDBOX) run("bash", [DEPLOY, "down"]);
  fs.rmSync(tmp, { recursive: true, force: true });
  if (figures.length) process.stdout.write(`\nmetrics figures:\n  ${figures.join("\n  ")}\n`);
}, 5 * MIN);

describe(`monitoring on a sandbox host (${DOMAIN}), scraped by a real Prometheus`, () => {
  test(
    "up with monitoring on: exporter and HTML server on loopback only, htpasswd 0640 root:www-data, no new port",
    () => {
      const line = execFileSync("htpasswd", ["-inB", USER], { input: PASSWORD, encoding: "utf8" });
      config(["set", "--path", "--secret", "monitoring.basicAuth"], line);
      config(["set", "--path", "--secret", "monitoring.basicAuthPassword"], PASSWORD);
      config(["set", "--path", "monitoring.allowCidrs[0]", `${SCRAPER}/32`]);
      config(["set", "--path", "monitoring.enabled", "true"]);
      const r = up();
      figures.push(`up from a fresh host with monitoring on: ${r.seconds.toFixed(1)} s`);
      expect(r.out).not.toContain(PASSWORD);
      expect(r.out).not.toContain(line.trim().split(":")[1]);
      expect(onHost("systemctl is-active prometheus-node-exporter")).toBe("active");
      expect(onHost("dpkg-query -W -f='${Status}' prometheus-node-exporter")).toBe(
        "install ok installed",
      );
      const listeners = onHost("ss -Hltn | awk '{print $4}' | sort -u").split("\n");
      for (const port of ["9100", "8081"])
        expect(listeners.filter((l) => l.endsWith(`:${port}`))).toEqual([`127.0.0.1:${port}`]);
      expect(onHost("stat -c '%a %U:%G' /etc/nginx/pactus-metrics.htpasswd")).toBe(
        "640 root:www-data",
      );
      expect(onHost("cat /etc/nginx/pactus-metrics.htpasswd")).toBe(line.trim());
      expect(onHost("grep -c '^ARGS=' /etc/default/prometheus-node-exporter")).toBe("1");
      expect(onHost("ufw status | grep -c 9100 || true")).toBe("0");
      // The secrets are nowhere in the state in plaintext.
      const state = run("pulumi", ["stack", "export", "--stack", STACK]).out;
      expect(state).not.toContain(PASSWORD);
      expect(state).not.toContain(line.trim().split(":")[1]);
    },
    20 * MIN,
  );

  test(
    "a second up changes nothing",
    () => {
      const r = pulumi(
        "preview",
        "--expect-no-changes",
        "--stack",
        STACK,
        "--config-file",
        RUN_CONFIG,
      );
      figures.push(`preview with nothing to change: ${r.seconds.toFixed(1)} s`);
    },
    10 * MIN,
  );

  test("without credentials or with a wrong password 401; from the host itself (not in allowCidrs) 403", () => {
    for (const p of ["/metrics/node", "/metrics/pactus"]) {
      expect(status(p)).toBe(401);
      expect(status(p, basic(USER, "wrong"))).toBe(401);
      expect(status(p, basic(USER, PASSWORD))).toBe(200);
      const fromHost = onHost(
        `printf 'user = "%s"\\n' '${USER}:${PASSWORD}' > /run/psn-metrics-curl && chmod 600 /run/psn-metrics-curl && ` +
          `curl -s --max-time 10 --insecure --resolve ${DOMAIN}:443:${ADDR} -K /run/psn-metrics-curl ` +
          `-o /dev/null -w '%{http_code}' https://${DOMAIN}${p}; rm -f /run/psn-metrics-curl`,
      );
      expect(fromHost).toBe("403");
    }
    expect(status("/metrics")).toBe(404);
  });

  test(
    "Prometheus scrapes both over TLS with pebble's root and the credentials: targets up, series present",
    async () => {
      const dir = path.join(tmp, "prom");
      fs.mkdirSync(path.join(dir, "data"), { recursive: true });
      fs.writeFileSync(path.join(dir, "password"), PASSWORD, { mode: 0o600 });
      fs.writeFileSync(path.join(dir, "hosts"), `127.0.0.1 localhost\n${ADDR} ${DOMAIN}\n`);
      const rules = parseYaml(
        fs.readFileSync(path.join(ROOT, "monitoring", "alerts.yml"), "utf8"),
      ) as {
        groups: { rules: { for?: string }[] }[];
      };
      for (const g of rules.groups) for (const r of g.rules) r.for = "2s";
      fs.writeFileSync(path.join(dir, "alerts.yml"), stringifyYaml(rules));
      const example = parseYaml(
        fs.readFileSync(path.join(ROOT, "monitoring", "prometheus.example.yml"), "utf8"),
      ) as { scrape_configs: Record<string, unknown>[] };
      const jobs = example.scrape_configs.map((j) => ({
        ...j,
        static_configs: [{ targets: [`${DOMAIN}:443`] }],
        basic_auth: { username: USER, password_file: path.join(dir, "password") },
        tls_config: { ca_file: caFile() },
      }));
      fs.writeFileSync(
        path.join(dir, "prometheus.yml"),
        stringifyYaml({
          global: { scrape_interval: "2s", evaluation_interval: "1s", scrape_timeout: "2s" },
          rule_files: [path.join(dir, "alerts.yml")],
          scrape_configs: [
            ...jobs,
            JSON.parse(
              JSON.stringify({
                ...jobs[1],
                job_name: "refused-no-credentials",
                basic_auth: undefined,
              }),
            ) as unknown,
          ],
        }),
      );
      const check = run("promtool", ["check", "config", path.join(dir, "prometheus.yml")]);
      expect(check.out).toContain("SUCCESS: 9 rules found");
      promAddr = `127.0.0.1:${await freePort()}`;
      // unshare execs the shell, which execs prometheus: the child's pid is Prometheus's.
      prometheus = spawn(
        "unshare",
        [
          "--mount",
          "--propagation",
          "private",
          "bash",
          "-c",
          'mount --bind "$1/hosts" /etc/hosts && exec prometheus --config.file="$1/prometheus.yml" --storage.tsdb.path="$1/data" --web.listen-address="$2"',
          "_",
          dir,
          promAddr,
        ],
        {
          stdio: [
            "ignore",
            fs.openSync(path.join(dir, "out.log"), "w"),
            fs.openSync(path.join(dir, "out.log"), "a"),
          ],
        },
      );
      const t0 = Date.now();
      const up = await waitFor("targets up", 90, () => {
        const t = targets().filter((x) => ["pactus", "pactus-node"].includes(x.labels.job));
        return t.length === 2 && t.every((x) => x.health === "up") ? t : undefined;
      });
      figures.push(
        `Prometheus start to both targets up: ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      expect(up.map((t) => t.labels.instance)).toEqual([`${DOMAIN}:443`, `${DOMAIN}:443`]);
      await waitFor("series", 30, () =>
        query('go_goroutines{job="pactus"}').length ? true : undefined,
      );
      for (const q of [
        'node_exporter_build_info{job="pactus-node"}',
        'node_filesystem_size_bytes{job="pactus-node"}',
        'node_textfile_scrape_error{job="pactus-node"} == 0',
        'go_goroutines{job="pactus"}',
        'process_resident_memory_bytes{job="pactus"}',
      ])
        expect({ q, n: query(q).length > 0 }).toEqual({ q, n: true });
      // pactus_health_* come from the health refresher's textfile: present exactly when it is there.
      const hasFile = onHost(
        "test -e /var/lib/prometheus/node-exporter/pactus.prom && echo yes || echo no",
      );
      const health = query('{__name__=~"pactus_health_.+", job="pactus-node"}');
      figures.push(`pactus_health_* series: ${health.length} (textfile on the host: ${hasFile})`);
      expect(health.length > 0).toBe(hasFile === "yes");
      const refused = await waitFor("refused job scraped", 30, () =>
        targets().find((x) => x.labels.job === "refused-no-credentials" && x.health === "down"),
      );
      expect(refused.lastError).toMatch(/401 Unauthorized/);
    },
    5 * MIN,
  );

  test(
    "the daemon stopped on the host: PactusNodeDown fires; started again: the target is up",
    async () => {
      expect(alerts().filter((a) => a.labels.alertname === "PactusNodeDown")).toEqual([]);
      onHost("systemctl stop pactus");
      const t0 = Date.now();
      try {
        // The scrape of /metrics/pactus failing; with the health refresher on the host the textfile's
        // pactus_health_up 0 fires it too (job pactus-node), often first: wait for this one.
        const fired = await waitFor("PactusNodeDown firing for the pactus job", 60, () =>
          alerts().find(
            (a) =>
              a.labels.alertname === "PactusNodeDown" &&
              a.labels.job === "pactus" &&
              a.state === "firing",
          ),
        );
        figures.push(
          `daemon stopped to PactusNodeDown firing (for: 2s): ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
        expect(fired.labels).toMatchObject({ job: "pactus", instance: `${DOMAIN}:443` });
      } finally {
        onHost("systemctl start pactus");
      }
      await waitFor("pactus target up again", 120, () =>
        targets().some((x) => x.labels.job === "pactus" && x.health === "up") ? true : undefined,
      );
    },
    5 * MIN,
  );

  test(
    "monitoring off again: exporter purged, htpasswd gone, HTML server off, /metrics/ 404",
    () => {
      if (prometheus?.pid) process.kill(prometheus.pid, "SIGTERM");
      prometheus = undefined;
      // A file of another writer in the textfile dir (the health refresher's pactus.prom) outlives the
      // exporter's purge, whose postrm deletes that dir.
      onHost(
        "echo 'psn_sandbox_probe 1' > /var/lib/prometheus/node-exporter/psn-sandbox-probe.prom",
      );
      config(["rm", "--path", "monitoring"]);
      const r = up();
      figures.push(`up turning monitoring off: ${r.seconds.toFixed(1)} s`);
      expect(
        onHost("dpkg-query -W -f='${Status}' prometheus-node-exporter 2>/dev/null || true"),
      ).not.toMatch(/install ok installed/);
      expect(
        onHost("test -e /etc/default/prometheus-node-exporter && echo present || echo gone"),
      ).toBe("gone");
      expect(
        onHost("test -e /etc/nginx/pactus-metrics.htpasswd && echo present || echo gone"),
      ).toBe("gone");
      expect(onHost("ss -Hltn | awk '{print $4}' | grep -cE ':(9100|8081)$' || true")).toBe("0");
      expect(onHost("ls /var/lib/pactus-secure-node | grep -c '^monitoring' || true")).toBe("0");
      expect(onHost("cat /var/lib/prometheus/node-exporter/psn-sandbox-probe.prom")).toBe(
        "psn_sandbox_probe 1",
      );
      for (const p of ["/metrics/node", "/metrics/pactus"])
        expect(status(p, basic(USER, PASSWORD))).toBe(404);
      pulumi("preview", "--expect-no-changes", "--stack", STACK, "--config-file", RUN_CONFIG);
    },
    20 * MIN,
  );
});
