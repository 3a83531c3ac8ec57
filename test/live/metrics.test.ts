/**
 * monitoring.* on this machine, with real programs: the real Pactus daemon (PSN_BIN_DIR) with the
 * rendered config.toml (its HTML server on 127.0.0.1:8081, [grpc] basic_auth set as well), Debian's
 * node exporter started with the rendered /etc/default/prometheus-node-exporter, the rendered nginx TLS
 * site with the htpasswd file written by the monitoring step's own code from its secret stdin, and
 * Debian's Prometheus (a plain process, temporary config and data dir) scraping both /metrics/ locations
 * over TLS with the credentials, loading a copy of monitoring/alerts.yml with short `for:`.
 * - targets up; node exporter, daemon (go_*, process_*) and pactus_health_* series present;
 * - stopping the daemon makes PactusNodeDown fire (Prometheus's /api/v1/alerts);
 * - without or with wrong credentials 401, from a source outside monitoring.allowCidrs 403 (curl and
 *   Prometheus itself); credentials-only and CIDRs-only sites as documented.
 * The pactus_health_* textfile is a FIXTURE written here (the health refresher writes the real one).
 * Everything runs in private network and mount namespaces (nsenter into a holder process).
 */
import { ChildProcess, execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { basicAuthDigest, monitoringAuthDigest } from "../../components/config";
import {
  BASIC_AUTH_ANCHOR,
  PORTS,
  hostPaths,
  renderNginxTls,
  renderHealthEnv,
  renderNodeExporterDefaults,
  renderPactusConfig,
} from "../../components/render";
import {
  StepPlan,
  buildCommand,
  buildStdin,
  loadScript,
  monitoringSecrets,
  planSteps,
  verifySecrets,
} from "../../components/steps";
import { StackConfig, parseConfig } from "../../components/config";
import { baseRaw } from "../helpers/config";
import {
  NETNS_SETUP,
  initLocalnetWallet,
  namespaceHolder,
  nginxMainConf,
  pactusBin,
  throwAwayCert,
  stopLiveSuite,
} from "../helpers/local";
import { nsRun, nsSh } from "../helpers/netns";
import { prometheusApi, waitFor } from "../helpers/prometheus";

const ROOT = path.resolve(__dirname, "..", "..");
const DOMAIN = "node.example.org";
const USER = "prometheus";
const PASSWORD = "scrape over TLS: ö";
/** Inside the namespace: the scraper's own address (allowed) and another one (outside the CIDRs). */
const INSIDE = "127.0.0.1";
const OUTSIDE = "10.239.0.1";
const CIDRS = ["127.0.0.0/8", "2001:db8::/32"];
const PROM = "127.0.0.1:9090";
/**
 * TEST FIXTURE standing in for the health refresher (another step writes the real pactus.prom): the
 * gauges of the interface, a certificate 10 days from expiry so a textfile-fed alert fires too.
 */
const HEALTH_FIXTURE = `# TEST FIXTURE written by test/live/metrics.test.ts, not by the health refresher
pactus_health_up 1
pactus_health_height 42
pactus_health_last_block_age_seconds 3
pactus_health_blocks_left 0
pactus_health_peers 2
pactus_health_clock_offset_seconds 0.01
pactus_health_cert_expiry_seconds ${10 * 86400}
pactus_health_reboot_required 0
pactus_health_healthy 1
pactus_health_info{version="1.16.0",network="localnet"} 1
`;

let tmp: string;
let holder: ChildProcess;
let config: StackConfig;
let htpasswdLine: string;
let apiLine: string;
let verifyStep: StepPlan;
const API_PASSWORD = "api password";
const ns = (cmd: string[]) => nsRun(holder, cmd);
const sh = (script: string, env: Record<string, string> = {}) => nsSh(holder, script, env);
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;

/** An HTTPS GET of /metrics/... from inside the namespace: [status, body]. */
function get(p: string, opts: { to?: string; auth?: string } = {}): [number, string] {
  const out = path.join(tmp, "curl-body");
  const r = ns([
    "curl",
    "-s",
    "--max-time",
    "10",
    "--cacert",
    path.join(tmp, "fullchain.pem"),
    "--resolve",
    `${DOMAIN}:443:${opts.to ?? INSIDE}`,
    ...(opts.auth ? ["-H", `Authorization: ${opts.auth}`] : []),
    "-o",
    out,
    "-w",
    "%{http_code}",
    `https://${DOMAIN}${p}`,
  ]);
  if (r.status !== 0) throw new Error(`curl ${p}: ${r.stderr}`);
  return [Number(r.stdout), fs.readFileSync(out, "utf8")];
}

/** The Prometheus inside the namespace. */
const { query, targets, alerts, rules } = prometheusApi((apiPath) => {
  const r = ns(["curl", "-sf", "--max-time", "5", `http://${PROM}${apiPath}`]);
  if (r.status !== 0) throw new Error(`prometheus ${apiPath}: ${r.stderr}`);
  return r.stdout;
});

beforeAll(async () => {
  for (const tool of [
    "htpasswd",
    "nginx",
    "openssl",
    "unshare",
    "nsenter",
    "curl",
    "prometheus",
    "promtool",
    "prometheus-node-exporter",
  ]) {
    if (spawnSync("sh", ["-c", `command -v ${tool} || test -x /usr/sbin/${tool}`]).status !== 0)
      throw new Error(`${tool} is not installed (npm test installs it: tools/setup.sh test)`);
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-metrics-"));
  fs.chmodSync(tmp, 0o755); // nginx's workers (www-data) traverse it

  // The operator's side: htpasswd -B (bcrypt $2y$), then the stack's validation. apis.basicAuth is on
  // too: the daemon's HTML server then wants a Basic header, which nginx supplies.
  htpasswdLine = execFileSync("htpasswd", ["-inB", USER], {
    input: PASSWORD,
    encoding: "utf8",
  }).trim();
  expect(htpasswdLine).toMatch(/^prometheus:\$2y\$05\$/);
  apiLine = execFileSync("htpasswd", ["-inB", "api"], {
    input: API_PASSWORD,
    encoding: "utf8",
  }).trim();
  const raw = baseRaw({ domain: DOMAIN });
  config = parseConfig({
    ...raw,
    monitoring: { enabled: true, allowCidrs: CIDRS },
    secrets: {
      ...raw.secrets,
      "monitoring.basicAuth": htpasswdLine,
      "monitoring.basicAuthPassword": PASSWORD,
      "apis.basicAuth": apiLine,
      "apis.basicAuthPassword": API_PASSWORD,
    },
  }).config;
  expect(config.monitoring).toEqual({ enabled: true, basicAuth: true, allowCidrs: CIDRS });
  const p = hostPaths(DOMAIN, config.pactus.version);
  const plan = planSteps(config, {
    sshPort: 22,
    basicAuthDigest: basicAuthDigest(apiLine),
    monitoringAuthDigest: monitoringAuthDigest(htpasswdLine),
  });
  const step = plan.find((s) => s.name === "monitoring")!;
  verifyStep = plan.find((s) => s.name === "verify")!;
  expect(step.secretStdin).toBe(true);

  // The node: the rendered config.toml with the basic_auth line in place (as the pactus step writes it).
  initLocalnetWallet(tmp);
  fs.writeFileSync(
    path.join(tmp, "wd", "config.toml"),
    renderPactusConfig(config).replace(BASIC_AUTH_ANCHOR, `\nbasic_auth = "${apiLine}"\n`),
  );
  fs.writeFileSync(path.join(tmp, "exporter-defaults"), renderNodeExporterDefaults(p));

  // nginx: the rendered site, a throw-away certificate for the name (its own CA), Debian's worker user.
  const ng = path.join(tmp, "nginx");
  fs.mkdirSync(path.join(ng, "sites"), { recursive: true });
  throwAwayCert(tmp, DOMAIN);
  fs.writeFileSync(path.join(ng, "sites", "pactus.conf"), renderNginxTls(config));
  fs.writeFileSync(
    path.join(ng, "nginx.conf"),
    nginxMainConf(ng, { extra: "daemon off;\nuser www-data;" }),
  );

  // Prometheus: the example scrape config, pointed at this node with the CA and a password file, plus
  // two jobs that must be refused (no credentials: 401; a source outside the CIDRs: 403); the rules
  // with `for:` cut to 2 s.
  const pr = path.join(tmp, "prom");
  fs.mkdirSync(path.join(pr, "data"), { recursive: true });
  fs.writeFileSync(path.join(pr, "password"), PASSWORD, { mode: 0o600 });
  const rules = parseYaml(fs.readFileSync(path.join(ROOT, "monitoring", "alerts.yml"), "utf8")) as {
    groups: { rules: { for?: string }[] }[];
  };
  for (const g of rules.groups) for (const r of g.rules) r.for = "2s";
  fs.writeFileSync(path.join(pr, "alerts.yml"), stringifyYaml(rules));
  const example = parseYaml(
    fs.readFileSync(path.join(ROOT, "monitoring", "prometheus.example.yml"), "utf8"),
  ) as { scrape_configs: Record<string, unknown>[]; rule_files: string[] };
  const tls = { ca_file: path.join(tmp, "fullchain.pem"), server_name: DOMAIN };
  const jobs = example.scrape_configs.map((j) => ({
    ...j,
    static_configs: [{ targets: [`${DOMAIN}:443`] }],
    basic_auth: { username: USER, password_file: path.join(pr, "password") },
    tls_config: tls,
  }));
  const promCfg = {
    global: { scrape_interval: "1s", evaluation_interval: "1s", scrape_timeout: "1s" },
    rule_files: [path.join(pr, "alerts.yml")],
    scrape_configs: [
      ...jobs,
      { ...jobs[1], job_name: "refused-no-credentials", basic_auth: undefined },
      {
        ...jobs[1],
        job_name: "refused-outside",
        static_configs: [{ targets: [`${OUTSIDE}:443`] }],
      },
    ].map((j) => JSON.parse(JSON.stringify(j)) as unknown),
  };
  expect(example.rule_files).toEqual(["alerts.yml"]);
  fs.writeFileSync(path.join(pr, "prometheus.yml"), stringifyYaml(promCfg));
  const check = spawnSync("promtool", ["check", "config", path.join(pr, "prometheus.yml")], {
    encoding: "utf8",
  });
  expect(`${check.stdout}${check.stderr}`).toContain("SUCCESS: 9 rules found");
  expect(check.status).toBe(0);

  holder = await namespaceHolder();
  const lib = fs.readFileSync(path.join(ROOT, "remote", "lib.sh"), "utf8");
  sh(
    `
set -euo pipefail
${NETNS_SETUP}
# Private copies of what a host has: certbot's live dir, nginx's /etc dir, the exporter's textfile dir,
# and a hosts file naming the node.
mkdir -p /etc/letsencrypt /var/log/nginx /var/lib/prometheus
mount -t tmpfs psn-test /etc/letsencrypt
mount -t tmpfs psn-test /var/log/nginx
mount -t tmpfs psn-test /var/lib/prometheus
# /run: the health refresher's output dir, which nginx serves at /healthz (verify reads it).
mount -t tmpfs psn-test /run
cp -a /etc/nginx "$T/etc-nginx"
mount --bind "$T/etc-nginx" /etc/nginx
printf '127.0.0.1 localhost\\n${INSIDE} ${DOMAIN}\\n' >"$T/hosts"
mount --bind "$T/hosts" /etc/hosts
mkdir -p "/etc/letsencrypt/live/${DOMAIN}"
cp "$T/fullchain.pem" "$T/privkey.pem" "/etc/letsencrypt/live/${DOMAIN}/"
cp "$T/fullchain.pem" "/etc/letsencrypt/live/${DOMAIN}/cert.pem"
mkdir -p "$TEXTFILE_DIR"
printf '%s' "$FIXTURE" >"$TEXTFILE_DIR/pactus.prom"
`,
    { T: tmp, TEXTFILE_DIR: p.nodeExporterTextfileDir, FIXTURE: HEALTH_FIXTURE },
  );
  // The htpasswd file, written by the monitoring step's own code from its secret stdin.
  const fn = `set -euo pipefail\n${lib}\nline=$(psn_secret METRICS_HTPASSWD)\npsn_write_file "$PSN_HTPASSWD" 0640 "root:$PSN_NGINX_GROUP" "$line"$'\\n'`;
  const w = nsRun(holder, ["bash", "-c", buildCommand("monitoring", step.hash, false)], {
    input: buildStdin(
      "monitoring",
      fn,
      { PSN_HTPASSWD: step.env.PSN_HTPASSWD, PSN_NGINX_GROUP: step.env.PSN_NGINX_GROUP },
      monitoringSecrets(htpasswdLine),
    ),
  });
  if (w.status !== 0) throw new Error(`htpasswd: ${w.stderr}`);
  expect(loadScript("monitoring.sh")).toContain(
    'psn_write_file "$PSN_HTPASSWD" 0640 "root:$PSN_NGINX_GROUP" "$line"$\'\\n\'',
  );
  sh(
    `
set -euo pipefail
"$BIN/pactus-daemon" start -w "$T/wd" --password-from-file "$T/pw" </dev/null >"$T/daemon.log" 2>&1 &
echo $! >"$T/daemon.pid"
# As systemd runs it: ARGS from the rendered defaults file, split into words.
bash -c '. "$1"; exec prometheus-node-exporter $ARGS' _ "$T/exporter-defaults" </dev/null >"$T/exporter.log" 2>&1 &
echo $! >"$T/exporter.pid"
nginx -c "$T/nginx/nginx.conf" </dev/null >"$T/nginx/out.log" 2>&1 &
echo $! >"$T/nginx.pid"
prometheus --config.file="$T/prom/prometheus.yml" --storage.tsdb.path="$T/prom/data" \\
  --web.listen-address=${PROM} </dev/null >"$T/prom/out.log" 2>&1 &
echo $! >"$T/prom.pid"
`,
    { T: tmp, BIN: pactusBin() },
  );
  await waitFor("daemon HTML server, exporter, nginx and Prometheus", 60, () =>
    ns(["curl", "-sf", "-o", "/dev/null", `http://${PROM}/-/ready`]).status === 0 &&
    ns(["curl", "-s", "-o", "/dev/null", `http://${PORTS.html}/metrics/prometheus`]).status === 0 &&
    get("/metrics/node", { auth: basic(USER, PASSWORD) })[0] === 200
      ? true
      : undefined,
  );
}, 120_000);

afterAll(() => stopLiveSuite(tmp, holder, ["prom.pid", "nginx.pid", "exporter.pid", "daemon.pid"]));

describe("monitoring with real Prometheus, node exporter, nginx and Pactus daemon", () => {
  test("loopback only: the exporter and the daemon's HTML server listen on 127.0.0.1, nginx adds no listener", () => {
    const listeners = sh("ss -Hltn | awk '{print $4}' | sort -u").trim().split("\n");
    expect(listeners).toContain(PORTS.nodeExporter);
    expect(listeners).toContain(PORTS.html);
    for (const port of ["9100", "8081"])
      expect(listeners.filter((l) => l.endsWith(`:${port}`))).toEqual([`127.0.0.1:${port}`]);
    // nginx: only the site's 443 listeners.
    const nginxPorts = sh(`ss -Hltnp | grep '"nginx"' | awk '{print $4}' | sort -u`).trim();
    expect(nginxPorts.split("\n").map((a) => a.replace(/^.*:/, ""))).toEqual(["443", "443"]);
  });

  test("the htpasswd file is 0640 root:www-data and holds the bcrypt line nginx checks", () => {
    expect(sh("stat -c '%a %U:%G' /etc/nginx/pactus-metrics.htpasswd").trim()).toBe(
      "640 root:www-data",
    );
    expect(sh("cat /etc/nginx/pactus-metrics.htpasswd")).toBe(`${htpasswdLine}\n`);
  });

  test("Prometheus scrapes both locations over TLS with the credentials: targets up", async () => {
    const up = await waitFor("pactus and pactus-node targets up", 30, () => {
      const t = targets().filter((x) => ["pactus", "pactus-node"].includes(x.labels.job));
      return t.length === 2 && t.every((x) => x.health === "up") ? t : undefined;
    });
    expect(up.map((t) => t.labels.instance)).toEqual([`${DOMAIN}:443`, `${DOMAIN}:443`]);
  });

  test("series present: node exporter's, the daemon's go_*/process_*, and every pactus_health_* gauge", async () => {
    const has = (q: string) => query(q).length > 0;
    await waitFor("series", 30, () => (has('go_goroutines{job="pactus"}') ? true : undefined));
    for (const q of [
      'node_exporter_build_info{job="pactus-node"}',
      'node_filesystem_size_bytes{job="pactus-node"}',
      'node_cpu_seconds_total{job="pactus-node"}',
      'go_goroutines{job="pactus"}',
      'go_memstats_alloc_bytes{job="pactus"}',
      'process_resident_memory_bytes{job="pactus"}',
      'process_open_fds{job="pactus"}',
    ])
      expect({ q, present: has(q) }).toEqual({ q, present: true });
    for (const line of HEALTH_FIXTURE.split("\n").filter((l) => l.startsWith("pactus_"))) {
      const name = line.split(/[{ ]/)[0];
      const r = query(`${name}{job="pactus-node"}`);
      expect({ name, n: r.length }).toEqual({ name, n: 1 });
    }
    expect(query('pactus_health_info{job="pactus-node"}')[0].metric).toMatchObject({
      version: "1.16.0",
      network: "localnet",
    });
  });

  test("no credentials or wrong ones: 401; a source outside monitoring.allowCidrs: 403, even with them (satisfy all)", async () => {
    for (const p of ["/metrics/node", "/metrics/pactus"]) {
      expect(get(p)[0]).toBe(401);
      expect(get(p, { auth: basic(USER, "wrong") })[0]).toBe(401);
      expect(get(p, { auth: basic("someone", PASSWORD) })[0]).toBe(401);
      expect(get(p, { to: OUTSIDE, auth: basic(USER, PASSWORD) })[0]).toBe(403);
      // Refused before any password is looked at: no bcrypt work for sources outside the CIDRs.
      expect(get(p, { to: OUTSIDE })[0]).toBe(403);
      const [status, body] = get(p, { auth: basic(USER, PASSWORD) });
      expect(status).toBe(200);
      expect(body).toMatch(
        p === "/metrics/node" ? /^node_exporter_build_info/m : /^go_goroutines /m,
      );
    }
    // The daemon's HTML server itself wants a Basic header here ([grpc] basic_auth is set): nginx's
    // fixed one gets through, the scraper's credentials never reach it.
    const direct = ns([
      "curl",
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `http://${PORTS.html}/metrics/prometheus`,
    ]);
    expect(direct.stdout).toBe("401");
    // Prometheus sees the same.
    const refused = await waitFor("refused jobs scraped", 30, () => {
      const t = targets().filter((x) => x.labels.job.startsWith("refused-"));
      return t.length === 2 && t.every((x) => x.health === "down") ? t : undefined;
    });
    const err = (job: string) => refused.find((t) => t.labels.job === job)!.lastError;
    expect(err("refused-no-credentials")).toMatch(/401 Unauthorized/);
    expect(err("refused-outside")).toMatch(/403 Forbidden/);
  });

  test("other paths stay 404; the alert rules load clean; a textfile-fed alert fires (certificate under 14 days)", async () => {
    for (const p of ["/metrics", "/metrics/", "/metrics/nodex", "/metrics/pactus/x"])
      expect({ p, status: get(p, { auth: basic(USER, PASSWORD) })[0] }).toEqual({ p, status: 404 });
    const groups = rules();
    const loaded = groups.flatMap((g) => g.rules);
    expect(loaded).toHaveLength(9);
    expect(loaded.filter((r) => r.health === "err")).toEqual([]);
    await waitFor("PactusCertificateExpiresSoon firing", 30, () =>
      alerts().some(
        (a) => a.labels.alertname === "PactusCertificateExpiresSoon" && a.state === "firing",
      )
        ? true
        : undefined,
    );
    expect(alerts().filter((a) => a.labels.alertname === "PactusNodeDown")).toEqual([]);
  });

  test("the verify step (remote/verify.sh as the step runs it) checks /metrics/ is protected, and fails when it is not what it expects", () => {
    expect(verifyStep.env.PSN_METRICS).toBe("protected");
    const shim = path.join(tmp, "shim");
    fs.mkdirSync(shim, { recursive: true });
    fs.writeFileSync(
      path.join(shim, "systemctl"),
      `#!/bin/sh
[ "$*" = "show -p MainPID --value ${verifyStep.env.PSN_SERVICE}" ] && exec cat ${tmp}/daemon.pid
echo "systemctl shim: unexpected $*" >&2; exit 1
`,
      { mode: 0o755 },
    );
    const run = (metrics: string) =>
      nsRun(
        holder,
        [
          "env",
          `PATH=${shim}:${process.env.PATH}`,
          "bash",
          "-c",
          buildCommand("verify", verifyStep.hash, false),
        ],
        {
          input: buildStdin(
            "verify",
            verifyStep.script,
            {
              ...verifyStep.env,
              PSN_TIMEOUT: "30",
              PSN_METRICS: metrics,
              PSN_WORKING_DIR: path.join(tmp, "wd"),
            },
            verifySecrets({ basicAuth: apiLine, password: API_PASSWORD }),
          ),
          timeout: 60_000,
        },
      );
    // /healthz as the health step leaves it: one run of the real refresher with its settings (the API
    // credentials in its 0600 file), writing its textfile beside the exporter's fixture.
    const env = renderHealthEnv(config)
      .replace(/^PSN_SHELL=.*$/m, `PSN_SHELL=${pactusBin()}/pactus-shell`)
      .replace(/^PSN_PROM_FILE=.*$/m, `PSN_PROM_FILE=${tmp}/refresher.prom`)
      .replace(/^PSN_AUTH_FILE=.*$/m, `PSN_AUTH_FILE=${tmp}/health-auth`);
    fs.writeFileSync(path.join(tmp, "health.env"), env);
    fs.writeFileSync(path.join(tmp, "health-auth"), `api\n${API_PASSWORD}\n`, { mode: 0o600 });
    sh(
      `set -a; . "${tmp}/health.env"; set +a; python3 "${ROOT}/remote/pactus-health.py" --once 2>/dev/null`,
    );
    const ok = run("protected");
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    const wrong = run("off");
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain(
      `https://${DOMAIN}/metrics/node answered HTTP 401 to a request without credentials; expected for monitoring off: 404`,
    );
  });

  test("stopping the daemon: /metrics/pactus fails, and PactusNodeDown fires", async () => {
    const pid = Number(fs.readFileSync(path.join(tmp, "daemon.pid"), "utf8"));
    process.kill(pid, "SIGTERM");
    await waitFor("daemon stopped", 30, () => (fs.existsSync(`/proc/${pid}`) ? undefined : true));
    expect(get("/metrics/pactus", { auth: basic(USER, PASSWORD) })[0]).toBe(502);
    const t0 = Date.now();
    const fired = await waitFor("PactusNodeDown firing", 45, () =>
      alerts().find((a) => a.labels.alertname === "PactusNodeDown" && a.state === "firing"),
    );
    expect(fired.labels).toMatchObject({
      job: "pactus",
      instance: `${DOMAIN}:443`,
      severity: "critical",
    });
    console.log(
      `PactusNodeDown firing ${(Date.now() - t0) / 1000} s after the daemon stopped (for: 2s)`,
    );
  }, 90_000);

  test("credentials only: any source with them; CIDRs only: listed sources without credentials, others 403", () => {
    const site = path.join(tmp, "nginx", "sites", "pactus.conf");
    const reload = (c: StackConfig) => {
      fs.writeFileSync(site, renderNginxTls(c));
      sh(
        `nginx -t -q -c "$T/nginx/nginx.conf" && nginx -s reload -c "$T/nginx/nginx.conf" && sleep 1`,
        { T: tmp },
      );
    };
    reload({ ...config, monitoring: { enabled: true, basicAuth: true, allowCidrs: [] } });
    expect(get("/metrics/node", { to: OUTSIDE, auth: basic(USER, PASSWORD) })[0]).toBe(200);
    expect(get("/metrics/node", { to: OUTSIDE })[0]).toBe(401);
    reload({ ...config, monitoring: { enabled: true, basicAuth: false, allowCidrs: CIDRS } });
    expect(get("/metrics/node")[0]).toBe(200);
    expect(get("/metrics/node", { to: OUTSIDE })[0]).toBe(403);
    reload({ ...config, monitoring: { enabled: false, basicAuth: false, allowCidrs: [] } });
    expect(get("/metrics/node", { auth: basic(USER, PASSWORD) })[0]).toBe(404);
    expect(get("/metrics/pactus", { auth: basic(USER, PASSWORD) })[0]).toBe(404);
  });
});
