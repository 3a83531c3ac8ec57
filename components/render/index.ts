/**
 * Pure renderers: validated config in, file contents out. No Pulumi and no I/O besides reading the
 * templates, so tests and the offline `npm run render` use exactly what `pulumi up` pushes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as nunjucks from "nunjucks";
import { stringify as tomlStringify } from "smol-toml";
import { type ConfigSection, pactusRelease } from "../pactusReleases";
import type { Dns01Config, StackConfig } from "../config/types";
import {
  BLOCK_INTERVAL_SECONDS,
  GRPC_PORT,
  HEALTH_CERT_MIN_DAYS,
  HEALTH_PROM_FILE,
  HEALTH_UNIT,
  dns01CredentialsPath,
  hostPaths,
  HostPaths,
  METRICS_LOCATIONS,
  NODE_EXPORTER_TEXTFILE_DIR,
  P2P_PORTS,
  PORTS,
  REBOOT_REQUIRED_FLAG,
  SERVICE_UNIT,
  SERVICE_USER,
} from "./paths";

export {
  BLOCK_INTERVAL_SECONDS,
  DATA_DEVICE_NAME,
  GRPC_PORT,
  HEALTH_CERT_MIN_DAYS,
  HEALTH_PROM_FILE,
  HEALTH_UNIT,
  NODE_EXPORTER_TEXTFILE_DIR,
  REBOOT_REQUIRED_FLAG,
  METRICS_LOCATIONS,
  NGINX_GROUP,
  NODE_EXPORTER,
  P2P_PORTS,
  PORTS,
  SERVICE_UNIT,
  SERVICE_USER,
  dns01CredentialsPath,
  hostPaths,
} from "./paths";
export type { HostPaths } from "./paths";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const templates = new nunjucks.Environment(
  new nunjucks.FileSystemLoader(path.join(REPO_ROOT, "nginx")),
  {
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: true,
    lstripBlocks: true,
  },
);

/** A file the stack pushes to the host. */
export interface RenderedFile {
  path: string;
  content: string;
  mode: string;
}

/** nginx's server name hash bucket must hold the longest name: 0 keeps the default (64). */
function serverNamesBucket(domain: string): number {
  if (domain.length < 40) return 0;
  let size = 128;
  while (size < domain.length + 32) size *= 2;
  return size;
}

/**
 * What a grpc-web-text call gets from nginx, which cannot decode base64 (gRPC-Web binary is served):
 * gRPC status 12 (UNIMPLEMENTED) and this message, both as response headers (a trailers-only answer)
 * and as the base64 trailer frame of the body (flag 0x80, length, the trailer lines), so a client that
 * reads either place sees it.
 */
export const GRPC_WEB_TEXT_MESSAGE =
  "grpc-web-text is not served here; use binary gRPC-Web (application/grpc-web+proto)";
function grpcWebTextBody(): string {
  const trailer = Buffer.from(`grpc-status:12\r\ngrpc-message:${GRPC_WEB_TEXT_MESSAGE}\r\n`);
  const head = Buffer.alloc(5);
  head.writeUInt8(0x80, 0);
  head.writeUInt32BE(trailer.length, 1);
  return Buffer.concat([head, trailer]).toString("base64");
}

/**
 * How long nginx keeps a hot HTTP API read (nginx.cache): a block or its hash at a height never changes
 * once the node has it (Pactus blocks are final), the chain tip changes every block (10 s).
 */
export const CACHE_TTL = { final: "1d", tip: "1s" } as const;

function ctx(cfg: StackConfig) {
  const fleet = fleetStatus(cfg);
  return {
    grpcWebText: { message: GRPC_WEB_TEXT_MESSAGE, body: grpcWebTextBody() },
    domain: cfg.domain,
    // A fleet's shared name: every node answers for it too (its certificate holds both names).
    publicName: cfg.fleet.publicName,
    // A fleet's names as origins: every member's status page reads every member's /healthz (only).
    fleetOrigins: fleet ? fleetOrigins(fleet) : [],
    apis: cfg.apis,
    cors: cfg.cors,
    paths: hostPaths(cfg.domain, cfg.pactus.version),
    ports: PORTS,
    rateLimit: cfg.nginx.rateLimit,
    // Never with basic auth: a cached answer would reach a caller the node would refuse.
    cache: cfg.nginx.cache && cfg.apis.http && !cfg.apis.basicAuth,
    cacheTtl: CACHE_TTL,
    healthUnit: HEALTH_UNIT,
    monitoring: cfg.monitoring,
    metrics: METRICS_LOCATIONS,
    serverNamesBucket: serverNamesBucket(
      [cfg.domain, cfg.fleet.publicName ?? ""].reduce((a, b) => (b.length > a.length ? b : a)),
    ),
  };
}

/** Port 80: ACME webroot for the domain, everything else redirected to HTTPS. */
export function renderNginxHttp(cfg: StackConfig): string {
  return templates.render("http.conf.njk", ctx(cfg));
}

/** Port 443: TLS, HTTP/2 and the enabled API locations. */
export function renderNginxTls(cfg: StackConfig): string {
  return templates.render("tls.conf.njk", ctx(cfg)).trimStart();
}

/**
 * The node's config.toml. Only keys of the pinned version (strict loading moves a file with unknown keys
 * aside and rewrites it), everything listening on loopback, and the node's own CORS mirroring cors.*
 * for clients on the host itself (nginx hides those headers and sets its own).
 * `basic_auth` is always "" here: renderers never see secrets. With apis.basicAuth the pactus step sets
 * it on the host from its secret stdin (`psn_pactus_config` in remote/pactus.sh, the only writer).
 */
export function renderPactusConfig(cfg: StackConfig): string {
  const release = pactusRelease(cfg.pactus.version);
  if (!release)
    throw new Error(`renderPactusConfig: pactus.version ${cfg.pactus.version} is not supported`);
  const origins = cfg.cors.allowAny ? ["*"] : cfg.cors.origins;
  const doc: Partial<Record<ConfigSection, Record<string, unknown>>> = {
    grpc: { enable: true, enable_wallet: false, listen: PORTS.grpc, basic_auth: "" },
    jsonrpc: { enable: cfg.apis.jsonrpc, listen: PORTS.jsonrpc, origins },
    http: {
      enable: cfg.apis.http,
      listen: PORTS.http,
      base_path: "/http",
      enable_cors: origins.length > 0,
    },
    // The HTML server serves /metrics/prometheus, for monitoring only (nginx proxies to it).
    html: { enable: cfg.monitoring.enabled, listen: PORTS.html, enable_pprof: false },
    zeromq: {
      zmqpubblockinfo: "",
      zmqpubtxinfo: "",
      zmqpubrawblock: "",
      zmqpubrawtx: "",
      zmqpubhwm: 1000,
    },
    // The console goes to the journal: no colour codes in it (or in the pactus step's error messages).
    logger: { colorful: false },
    // localnet: a fixed P2P port (its default is a random one) and the bootstrap peers, empty here: a
    // node joining a localnet fleet gets node 1's multiaddr as a late input, which the pactus step
    // sets at BOOTSTRAP_ADDRS_ANCHOR on the host (psn_pactus_config in remote/lib.sh).
    ...(cfg.pactus.network === "localnet"
      ? { network: { listen_addrs: localnetListenAddrs(), bootstrap_addrs: [] } }
      : {}),
  };
  for (const [section, keys] of Object.entries(doc) as [ConfigSection, Record<string, unknown>][])
    for (const key of Object.keys(keys))
      if (!release.keys[section].includes(key))
        throw new Error(
          `renderPactusConfig: Pactus ${cfg.pactus.version} has no [${section}] ${key}`,
        );
  return (
    "# Managed by pactus-secure-node; `pulumi up` overwrites local edits.\n" +
    "# gRPC stays enabled: the JSON-RPC and HTTP gateways call the node through it.\n\n" +
    tomlStringify(doc) +
    "\n"
  );
}

export function renderPactusUnit(
  cfg: StackConfig,
  p: HostPaths = hostPaths(cfg.domain, cfg.pactus.version),
): string {
  return `# Managed by pactus-secure-node; \`pulumi up\` overwrites local edits.
[Unit]
Description=Pactus blockchain node (${cfg.pactus.network})
Documentation=https://docs.pactus.org
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${SERVICE_USER}
Group=${SERVICE_USER}
# The password comes from a 0600 file, never from argv.
ExecStart=${p.pactusInstallDir}/pactus-daemon start -w ${p.pactusWorkingDir} --password-from-file ${p.passwordFile}
# "always": start exits 0 when another instance holds the lock, which on-failure would not retry.
Restart=always
RestartSec=5
TimeoutStopSec=60
# pactus-daemon exits 143 on SIGTERM: a clean stop, not a failure.
SuccessExitStatus=143
LimitNOFILE=65536
UMask=0077
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=yes
ReadWritePaths=${p.pactusHome}

[Install]
WantedBy=multi-user.target
`;
}

export function renderCertbotHook(cfg: StackConfig): string {
  return `#!/bin/sh
# Managed by pactus-secure-node. certbot runs this after renewing a certificate: it reloads nginx
# in place (no stop and start), so open connections finish and new ones get the new certificate.
set -e
case " \${RENEWED_DOMAINS:-} " in
  *" ${cfg.domain} "*) ;;
  *) exit 0 ;;
esac
nginx -t -q 2>/dev/null
systemctl reload nginx 2>/dev/null || nginx -s reload 2>/dev/null
`;
}

/** Lets timer-driven renewals trust a private ACME CA (acme.caBundle). */
export function renderCertbotDropIn(p: HostPaths): string {
  return `# Managed by pactus-secure-node: certbot renewals trust the private ACME CA from acme.caBundle.
[Service]
Environment=REQUESTS_CA_BUNDLE=${p.acmeCaBundle}
`;
}

/**
 * certbot's DNS-01 plugin for each acme.dns01.plugin: its Debian/Ubuntu package, and (for the plugins
 * that read a credentials file) the ini key of the secret and the stack secret that holds it.
 */
export const DNS01_PLUGINS = {
  cloudflare: {
    package: "python3-certbot-dns-cloudflare",
    secretKey: "dns_cloudflare_api_token",
    secret: "acmeCloudflareToken",
    configKey: "acme.cloudflareToken",
  },
  route53: { package: "python3-certbot-dns-route53" },
  rfc2136: {
    package: "python3-certbot-dns-rfc2136",
    secretKey: "dns_rfc2136_secret",
    secret: "acmeRfc2136Secret",
    configKey: "acme.rfc2136Secret",
  },
} as const;

/**
 * The DNS-01 plugin's credentials file without its secret line (the host appends
 * `<secretKey> = <secret>` from the step's stdin); undefined for route53, which has none.
 */
export function renderDns01CredentialsHead(d: Dns01Config): string | undefined {
  switch (d.plugin) {
    case "cloudflare":
      return "# Managed by pactus-secure-node: certbot's Cloudflare DNS-01 credentials.\n";
    case "rfc2136":
      return `# Managed by pactus-secure-node: certbot's RFC 2136 DNS-01 credentials.
dns_rfc2136_server = ${d.server}
dns_rfc2136_port = ${d.port}
dns_rfc2136_name = ${d.keyName}
dns_rfc2136_algorithm = ${d.algorithm}
`;
    case "route53":
      return undefined;
  }
}

/** The whole credentials file, as the certificate step writes it (0600 root) with `secret`. */
export function renderDns01Credentials(d: Dns01Config, secret: string): string | undefined {
  const head = renderDns01CredentialsHead(d);
  if (head === undefined || d.plugin === "route53") return undefined;
  return `${head}${DNS01_PLUGINS[d.plugin].secretKey} = ${secret}\n`;
}

/** The health refresher (remote/pactus-health.py), installed as it is. */
export function healthRefresher(): string {
  return fs.readFileSync(path.join(REPO_ROOT, "remote", "pactus-health.py"), "utf8");
}

/**
 * The refresher's settings (its unit's EnvironmentFile): where to ask the node, what to read and where
 * to write, and the bounds of "healthy". No secret: the API credentials are in p.healthAuth.
 */
export function renderHealthEnv(
  cfg: StackConfig,
  p: HostPaths = hostPaths(cfg.domain, cfg.pactus.version),
): string {
  const vars: Record<string, string | number> = {
    PSN_SHELL: `${p.pactusInstallDir}/pactus-shell`,
    PSN_GRPC_PORT: GRPC_PORT,
    PSN_NETWORK: cfg.pactus.network,
    PSN_OUT_DIR: p.healthDir,
    PSN_PROM_FILE: HEALTH_PROM_FILE,
    PSN_CERT_FILE: `${p.certDir}/cert.pem`,
    PSN_REBOOT_FLAG: REBOOT_REQUIRED_FLAG,
    PSN_REFRESH_SECONDS: cfg.health.refreshSeconds,
    PSN_MAX_BLOCK_AGE: cfg.health.maxBlockAgeSeconds,
    PSN_CERT_MIN_DAYS: HEALTH_CERT_MIN_DAYS,
    PSN_BLOCK_INTERVAL: BLOCK_INTERVAL_SECONDS,
    ...(cfg.apis.basicAuth ? { PSN_AUTH_FILE: p.healthAuth } : {}),
  };
  return (
    "# Managed by pactus-secure-node (health step); `pulumi up` overwrites local edits.\n" +
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}\n`)
      .join("")
  );
}

/** The refresher's watchdog never fires sooner than this (s), whatever health.refreshSeconds says. */
export const HEALTH_WATCHDOG_MIN_SECONDS = 30;

/**
 * The refresher's unit: a loop (not a timer, which would log two journal lines per run). Its output
 * dir is its RuntimeDirectory, which systemd removes whenever it stops: nginx then answers 503 "no
 * health data" rather than serving a file nobody refreshes.
 */
export function renderHealthUnit(
  cfg: StackConfig,
  p: HostPaths = hostPaths(cfg.domain, cfg.pactus.version),
): string {
  if (!p.healthDir.startsWith("/run/"))
    throw new Error(`renderHealthUnit: ${p.healthDir} is not under /run`);
  // Three refreshes, but at least 30 s: a refresh of a node that accepts connections and never
  // answers takes up to ≈ 10 s (probe, one pactus-shell timeout, openssl).
  const watchdog = Math.max(3 * cfg.health.refreshSeconds, HEALTH_WATCHDOG_MIN_SECONDS);
  return `# Managed by pactus-secure-node (health step); \`pulumi up\` overwrites local edits.
[Unit]
Description=Pactus node health refresher (/healthz and the node exporter's textfile)
After=${SERVICE_UNIT} network-online.target
StartLimitIntervalSec=0

[Service]
# READY after the first refresh, WATCHDOG after each: a refresher that stops refreshing for
# ${watchdog} s is killed and restarted, and its output dir goes with it (503 "no health data").
Type=notify
NotifyAccess=main
WatchdogSec=${watchdog}
WatchdogSignal=SIGKILL
EnvironmentFile=${p.healthEnv}
ExecStart=/usr/bin/python3 ${p.healthRefresher}
Restart=always
RestartSec=2
RuntimeDirectory=${p.healthDir.slice("/run/".length)}
RuntimeDirectoryMode=0755
UMask=0022
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=yes
ReadWritePaths=${NODE_EXPORTER_TEXTFILE_DIR}

[Install]
WantedBy=multi-user.target
`;
}

/**
 * /etc/default/prometheus-node-exporter (monitoring.enabled): the exporter on loopback only (nginx
 * serves it), reading the textfiles in which the health refresher writes pactus_health_*.
 */
export function renderNodeExporterDefaults(p: HostPaths): string {
  return `# Managed by pactus-secure-node (monitoring step); \`pulumi up\` overwrites local edits.
# Loopback only: nginx serves the metrics over TLS at /metrics/node to monitoring.* credentials/CIDRs.
ARGS="--web.listen-address=${PORTS.nodeExporter} --collector.textfile.directory=${p.nodeExporterTextfileDir}"
`;
}

/** The `basic_auth` line of a rendered config.toml, which the pactus step fills in on the host. */
export const BASIC_AUTH_ANCHOR = '\nbasic_auth = ""\n';
/**
 * The `bootstrap_addrs` line of a localnet config.toml, which the pactus step of a node joining a
 * localnet fleet fills in on the host with node 1's multiaddr (PSN_BOOTSTRAP_ADDRS).
 */
export const BOOTSTRAP_ADDRS_ANCHOR = "\nbootstrap_addrs = []\n";

/** A localnet node's P2P listeners: Pactus's default set (TCP and QUIC, IPv4 and IPv6) on P2P_PORTS. */
export function localnetListenAddrs(): string[] {
  const port = P2P_PORTS.localnet;
  return [
    `/ip4/0.0.0.0/tcp/${port}`,
    `/ip4/0.0.0.0/udp/${port}/quic-v1`,
    `/ip6/::/tcp/${port}`,
    `/ip6/::/udp/${port}/quic-v1`,
  ];
}

/** What renderAll writes where a secret goes (its value never reaches a renderer). */
export function secretPlaceholder(key: string): string {
  return `<secret: ${key}>`;
}

/** Every file the stack pushes, at its host path (secrets excluded: they travel on stdin). */
export function renderAll(cfg: StackConfig): RenderedFile[] {
  const p = hostPaths(cfg.domain, cfg.pactus.version);
  const config = renderPactusConfig(cfg);
  const files: RenderedFile[] = [
    { path: p.nginxHttpSite, content: renderNginxHttp(cfg), mode: "0644" },
    { path: p.nginxTlsSite, content: renderNginxTls(cfg), mode: "0644" },
    {
      path: p.pactusConfig,
      mode: "0640",
      content: cfg.apis.basicAuth
        ? config.replace(
            BASIC_AUTH_ANCHOR,
            `\nbasic_auth = "${secretPlaceholder("apis.basicAuth")}"\n`,
          )
        : config,
    },
    { path: p.unit, content: renderPactusUnit(cfg, p), mode: "0644" },
    { path: p.certbotHook, content: renderCertbotHook(cfg), mode: "0755" },
    { path: p.healthRefresher, content: healthRefresher(), mode: "0755" },
    { path: p.healthEnv, content: renderHealthEnv(cfg, p), mode: "0644" },
    { path: p.healthUnit, content: renderHealthUnit(cfg, p), mode: "0644" },
    {
      path: p.passwordFile,
      content: `${secretPlaceholder("pactus.walletPassword")}\n`,
      mode: "0600",
    },
    ...(cfg.apis.basicAuth
      ? [
          {
            path: p.healthAuth,
            content: `${secretPlaceholder("apis.basicAuth")}\n${secretPlaceholder("apis.basicAuthPassword")}\n`,
            mode: "0600",
          },
        ]
      : []),
  ];
  if (cfg.monitoring.enabled) {
    files.push({
      path: p.nodeExporterDefaults,
      content: renderNodeExporterDefaults(p),
      mode: "0644",
    });
    if (cfg.monitoring.basicAuth)
      files.push({
        path: p.metricsHtpasswd,
        content: `${secretPlaceholder("monitoring.basicAuth")}\n`,
        mode: "0640",
      });
  }
  if (cfg.acme.challenge === "dns-01" && cfg.acme.dns01 && cfg.acme.dns01.plugin !== "route53") {
    const plugin = cfg.acme.dns01.plugin;
    const content = renderDns01Credentials(
      cfg.acme.dns01,
      secretPlaceholder(DNS01_PLUGINS[plugin].configKey),
    );
    if (content) files.push({ path: dns01CredentialsPath(p, plugin), content, mode: "0600" });
  }
  if (cfg.acme.caBundle) {
    files.push({ path: p.acmeCaBundle, content: cfg.acme.caBundle, mode: "0644" });
    files.push({ path: p.certbotDropIn, content: renderCertbotDropIn(p), mode: "0644" });
  }
  for (const f of renderStatusFiles(cfg))
    files.push({ path: `${p.statusRoot}/${f.name}`, content: f.content, mode: "0644" });
  return files;
}

/**
 * What a fleet's status page lists (fleet.json, rendered per node): every member by its name, the one
 * whose page it is (`self`), and the shared name. Undefined for a stack of one node without a shared
 * name, whose page stays the single node's. The one source is cfg.fleet (see fleetNodeConfigs).
 */
export interface FleetStatus {
  self: string;
  members: string[];
  publicName?: string;
}
export function fleetStatus(cfg: StackConfig): FleetStatus | undefined {
  const { nodes, publicName } = cfg.fleet;
  if (nodes.length <= 1 && publicName === undefined) return undefined;
  return {
    self: cfg.domain,
    members: nodes.map((n) => n.domain),
    ...(publicName !== undefined ? { publicName } : {}),
  };
}

/** The origins of a fleet's status pages: each member's name and the shared name, over HTTPS. */
export function fleetOrigins(f: FleetStatus): string[] {
  return [...f.members, ...(f.publicName !== undefined ? [f.publicName] : [])].map(
    (n) => `https://${n}`,
  );
}

/** The status page's files (nginx/status), and a fleet's additions (nginx/status-fleet, fleet.json). */
export interface StatusFile {
  name: string;
  content: string;
}
const STATUS_DIR = path.join(REPO_ROOT, "nginx", "status");
const STATUS_FLEET_DIR = path.join(REPO_ROOT, "nginx", "status-fleet");
/** Where a fleet's index.html gets its stylesheet and script (after status.js: it uses describeHealth). */
export const STATUS_HEAD_ANCHOR = '<script src="status.js" defer></script>\n';
/** Where a fleet's index.html gets its members section: after the /healthz section. */
export const STATUS_BODY_ANCHOR = "</ul>\n</section>\n";
const FLEET_HEAD =
  '<link rel="stylesheet" href="fleet.css">\n<script src="fleet.js" defer></script>\n';
const FLEET_SECTION = `<section id="fleet" data-state="pending">
<p><strong>Fleet</strong> (each node's <code>/healthz</code>): <span id="fleet-summary">…</span></p>
<ul id="fleet-members"></ul>
</section>
`;

function insertAfter(text: string, anchor: string, what: string): string {
  const i = text.indexOf(anchor);
  if (i < 0 || text.indexOf(anchor, i + 1) >= 0)
    throw new Error(`nginx/status/index.html: expected ${JSON.stringify(anchor)} exactly once`);
  return text.slice(0, i + anchor.length) + what + text.slice(i + anchor.length);
}

/**
 * The files of the status page as this node serves them. A stack of one node without a shared name
 * gets nginx/status as it is; a fleet's page also lists the members and their health: fleet.js and
 * fleet.css, fleet.json (fleetStatus) and an index.html that loads them.
 */
export function renderStatusFiles(cfg: StackConfig): StatusFile[] {
  const read = (dir: string) =>
    fs
      .readdirSync(dir)
      .sort()
      .map((name) => ({ name, content: fs.readFileSync(path.join(dir, name), "utf8") }));
  const files = read(STATUS_DIR);
  const fleet = fleetStatus(cfg);
  if (!fleet) return files;
  const index = files.find((f) => f.name === "index.html");
  if (!index) throw new Error("nginx/status/index.html is missing");
  index.content = insertAfter(
    insertAfter(index.content, STATUS_HEAD_ANCHOR, FLEET_HEAD),
    STATUS_BODY_ANCHOR,
    FLEET_SECTION,
  );
  return [
    ...files,
    ...read(STATUS_FLEET_DIR),
    { name: "fleet.json", content: JSON.stringify(fleet, null, 2) + "\n" },
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
