/**
 * The host steps as pure data: which script, which inputs, which undo. `planSteps` decides, the
 * NodeSteps component only turns the plan into remote.Commands, so tests check the plan without Pulumi.
 */
import { createHash } from "node:crypto";
import { BlockList, isIP } from "node:net";
import * as fs from "node:fs";
import * as path from "node:path";
import { protocolTable } from "./pactusReleases";
import { PING_ORIGIN } from "./config/apis";
import type { StackConfig } from "./config/types";
import {
  DATA_DEVICE_NAME,
  GRPC_PORT,
  HEALTH_PROM_FILE,
  HEALTH_UNIT,
  NODE_EXPORTER_TEXTFILE_DIR,
  NGINX_GROUP,
  NODE_EXPORTER,
  PORTS,
  P2P_PORTS,
  SERVICE_UNIT,
  SERVICE_USER,
  hostPaths,
  renderCertbotDropIn,
  healthRefresher,
  renderCertbotHook,
  renderHealthEnv,
  renderHealthUnit,
  renderNginxHttp,
  renderNginxTls,
  renderNodeExporterDefaults,
  renderPactusConfig,
  renderPactusUnit,
} from "./render";

const REMOTE_DIR = path.resolve(__dirname, "..", "remote");
const LIB_LINE = /^\. "\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)\/lib\.sh"$/m;

export type StepName =
  | "wait-for-ssh"
  | "base"
  | "data-disk"
  | "pactus"
  | "monitoring"
  | "nginx-bootstrap"
  | "wait-for-dns"
  | "certificate"
  | "nginx-tls"
  | "health"
  | "verify";

export interface StepPlan {
  name: StepName;
  /** Script (lib inlined) and its inputs; everything here is non-secret. */
  script: string;
  env: Record<string, string>;
  deleteScript?: string;
  deleteEnv?: Record<string, string>;
  /**
   * The step reads secrets from its stdin (see `pactusSecrets`, `verifySecrets`), which is then a secret:
   * always the pactus step, verify when apis.basicAuth is set, monitoring when monitoring.basicAuth is.
   */
  secretStdin: boolean;
  /**
   * Inputs known only once other resources exist (a volume's id), which NodeSteps' `lateEnv` must give;
   * their values enter the step's hash there.
   */
  lateInputs?: string[];
  /** sha256 of the script and its rendered inputs: a change re-runs exactly this step. */
  hash: string;
}

/** Reads remote/<file> and inlines remote/lib.sh where the script sources it. */
export function loadScript(file: string): string {
  const text = fs.readFileSync(path.join(REMOTE_DIR, file), "utf8");
  if (!LIB_LINE.test(text)) return text;
  const lib = fs.readFileSync(path.join(REMOTE_DIR, "lib.sh"), "utf8");
  return text.replace(LIB_LINE, () => lib);
}

/**
 * The status page files as "<name> <base64>" lines: plain text the host decodes with base64, built
 * without a tar binary (GNU tar's reproducibility flags do not exist on macOS, where operators run up).
 */
function statusBundle(): string {
  const dir = path.resolve(__dirname, "..", "nginx", "status");
  return (
    fs
      .readdirSync(dir)
      .sort()
      .map((f) => {
        if (!/^[a-z0-9][a-z0-9._-]*$/.test(f))
          throw new Error(`nginx/status/${f}: file names must be [a-z0-9._-]`);
        return `${f} ${fs.readFileSync(path.join(dir, f)).toString("base64")}`;
      })
      .join("\n") + "\n"
  );
}

/**
 * POSIX single quotes: nothing inside is special to any shell (not $, `, \, ! or newlines); a quote
 * itself is closed, escaped and reopened. (shell-quote's output uses double quotes and backslashes,
 * which bash keeps before "!" inside double quotes, corrupting scripts.)
 */
export function shq(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `K='value'` assignments of a step's inputs; only PSN_* names, every value quoted. */
function assignments(step: string, env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => {
    if (!/^PSN_[A-Z0-9_]+$/.test(k)) throw new Error(`step ${step}: bad input name ${k}`);
    return `${k}=${shq(v)}`;
  });
}

/**
 * Before a step runs through `sudo -n`: if sudo would ask the SSH user for a password, fail at once
 * with the fix (the login's own $USER, expanded on the host), instead of sudo's bare refusal.
 */
export const SUDO_CHECK =
  "sudo -n true 2>/dev/null || { echo \"host.user $USER: sudo asks for a password, and every step runs with 'sudo -n'. " +
  "Give $USER passwordless sudo on the host: echo '$USER ALL=(ALL) NOPASSWD:ALL' | sudo tee /etc/sudoers.d/90-pactus-secure-node\" >&2; exit 1; };";

/** What heads a command that must run as root: nothing for root, else the sudo check and `sudo -n`. */
const asRoot = (sudo: boolean): string[] => (sudo ? [SUDO_CHECK, "sudo", "-n"] : []);

/**
 * The command line of a step: `bash -s` reading the step from stdin (see `buildStdin`), headed by the
 * step's hash so a change shows in the plan. Short on purpose: a failing command's error repeats it.
 */
export function buildCommand(name: string, hash: string, sudo: boolean): string {
  return [...asRoot(sudo), "env", `PSN_STEP_HASH=${shq(hash)}`, "bash", "-s", `psn-${name}`].join(
    " ",
  );
}

/**
 * A step's stdin: its inputs as quoted assignments, the wallet secrets (pactus step) in a quoted
 * heredoc, and the script wrapped in a function. bash reads the whole function before running it, and
 * runs it with stdin from /dev/null, so no command in the script can swallow the rest of the input.
 */
export function buildStdin(
  name: string,
  script: string,
  env: Record<string, string>,
  secrets?: string,
): string {
  const vars = assignments(name, env).map((a) => `${a}\n`);
  const secretBlock =
    secrets === undefined
      ? ""
      : `PSN_SECRETS=$(cat <<'__PSN_SECRETS__'\n${secrets}__PSN_SECRETS__\n)\n`;
  return `${vars.join("")}${secretBlock}psn_step() {\n${script}\n}\npsn_step </dev/null\n`;
}

/** An undo command: small scripts, given inline because stdin carries the create script. */
export function buildDeleteCommand(
  name: string,
  script: string,
  env: Record<string, string>,
  sudo: boolean,
): string {
  return [
    ...asRoot(sudo),
    "env",
    ...assignments(name, env),
    "bash",
    "-c",
    shq(script),
    `psn-${name}`,
    "</dev/null",
  ].join(" ");
}

/** KEY=<base64> lines, as `psn_secret` in remote/lib.sh reads them. */
function secretLines(values: Record<string, string | undefined>): string {
  return Object.entries(values)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== "")
    .map(([k, v]) => `${k}=${Buffer.from(v, "utf8").toString("base64")}\n`)
    .join("");
}

/**
 * The pactus step's secrets: the wallet password, the mnemonic (restore), the basic_auth line and, with
 * it, the API credentials its health checks call the node with (apis.basicAuthPassword).
 */
export function pactusSecrets(s: {
  walletPassword: string;
  mnemonic?: string;
  basicAuth?: string;
  basicAuthPassword?: string;
}): string {
  return secretLines({
    WALLET_PASSWORD: s.walletPassword,
    MNEMONIC: s.mnemonic,
    BASIC_AUTH: s.basicAuth,
    ...(s.basicAuth && s.basicAuthPassword ? apiCredentials(s.basicAuth, s.basicAuthPassword) : {}),
  });
}

/** API_USER (the basic_auth line's user) and API_PASSWORD lines, for steps that call the node. */
function apiCredentials(line: string, password: string): Record<string, string> {
  return { API_USER: line.slice(0, line.indexOf(":")), API_PASSWORD: password };
}

/** The verify step's secrets with basic auth on: the user of the basic_auth line and its password. */
export function verifySecrets(s: { basicAuth: string; password: string }): string {
  return secretLines(apiCredentials(s.basicAuth, s.password));
}

/** The monitoring step's secret: nginx's htpasswd line for /metrics/ (monitoring.basicAuth). */
export function monitoringSecrets(line: string): string {
  return secretLines({ METRICS_HTPASSWD: line });
}

/**
 * What the verify step expects /metrics/ to answer a request without credentials made on the host
 * (from 127.0.0.1): "off" (404), "protected" (401 or 403), or "open" (200) when only CIDRs guard it
 * and one of them holds 127.0.0.1.
 */
export function metricsExpectation(m: StackConfig["monitoring"]): "off" | "protected" | "open" {
  if (!m.enabled) return "off";
  if (m.basicAuth) return "protected";
  const loopback = new BlockList();
  for (const c of m.allowCidrs) {
    const [addr, bits] = c.split("/");
    loopback.addSubnet(addr, Number(bits), isIP(addr) === 6 ? "ipv6" : "ipv4");
  }
  return loopback.check("127.0.0.1", "ipv4") ? "open" : "protected";
}

export function hashOf(...parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

export interface PlanOptions {
  sshPort: number;
  /** Pactus init helper script (remote/pactus-init.py). */
  initPy?: string;
  /**
   * `basicAuthDigest` of apis.basicAuth (components/config/secrets.ts), required when it is set: mixed into the
   * pactus step's hash so a new line re-runs the step, while the line itself stays in the secret stdin.
   */
  basicAuthDigest?: string;
  /** `monitoringAuthDigest` of monitoring.basicAuth, required when it is set (as basicAuthDigest). */
  monitoringAuthDigest?: string;
}

/** Every host step in order, with the inputs that decide when it re-runs. */
export function planSteps(cfg: StackConfig, opts: PlanOptions): StepPlan[] {
  const p = hostPaths(cfg.domain, cfg.pactus.version);
  const apis = (["grpcWeb", "jsonrpc", "http"] as const).filter((a) => cfg.apis[a]);
  const initPy = opts.initPy ?? fs.readFileSync(path.join(REMOTE_DIR, "pactus-init.py"), "utf8");
  const ca: Record<string, string> = cfg.acme.caBundle
    ? {
        PSN_CA_BUNDLE: cfg.acme.caBundle,
        PSN_CA_BUNDLE_PATH: p.acmeCaBundle,
        PSN_DROPIN: renderCertbotDropIn(p),
        PSN_DROPIN_PATH: p.certbotDropIn,
      }
    : {};
  const state = { PSN_STATE_DIR: p.stateDir };
  // Where the node lives: the pactus step installs it there, its undo removes it.
  const node = {
    PSN_USER: SERVICE_USER,
    PSN_HOME: p.pactusHome,
    PSN_ETC_DIR: p.pactusEtc,
    PSN_UNIT_PATH: p.unit,
    PSN_SERVICE: SERVICE_UNIT,
    PSN_RUN_DIR: p.runDir,
    ...state,
  };
  // What the monitoring step installs and its undo removes.
  const exporter = {
    PSN_EXPORTER_PACKAGE: NODE_EXPORTER.package,
    PSN_EXPORTER_SERVICE: NODE_EXPORTER.service,
    PSN_EXPORTER_DEFAULTS: p.nodeExporterDefaults,
    PSN_HTPASSWD: p.metricsHtpasswd,
    ...state,
  };
  const raw: Omit<StepPlan, "hash">[] = [
    { name: "wait-for-ssh", script: loadScript("wait-ssh.sh"), env: {}, secretStdin: false },
    {
      name: "base",
      script: loadScript("base.sh"),
      env: {
        PSN_SSH_PORT: String(opts.sshPort),
        PSN_P2P_PORT: String(P2P_PORTS[cfg.pactus.network] ?? ""),
        PSN_APT_CONF: p.aptUpgradesConf,
        ...state,
      },
      deleteScript: loadScript("base-delete.sh"),
      deleteEnv: { PSN_APT_CONF: p.aptUpgradesConf, ...state },
      secretStdin: false,
    },
    ...(cfg.host.provider === "aws"
      ? [
          {
            // Before pactus: the node's home must be on its own volume before the user and home exist.
            name: "data-disk" as const,
            script: loadScript("data-disk.sh"),
            env: {
              PSN_DEVICE_NAME: DATA_DEVICE_NAME,
              PSN_BY_ID_DIR: p.diskById,
              PSN_MOUNT: p.pactusHome,
              PSN_FSTAB: p.fstab,
              PSN_DATA_GB: String(cfg.host.dataDiskGb),
              PSN_WAIT_SECONDS: "300",
            },
            lateInputs: ["PSN_VOLUME_ID"],
            secretStdin: false,
          },
        ]
      : []),
    {
      name: "pactus",
      script: loadScript("pactus.sh"),
      env: {
        PSN_VERSION: cfg.pactus.version,
        PSN_NETWORK: cfg.pactus.network,
        PSN_RELEASE_BASE_URL: cfg.pactus.releaseBaseUrl,
        PSN_VALIDATORS: String(cfg.pactus.validators),
        PSN_CONFIG: renderPactusConfig(cfg),
        PSN_UNIT: renderPactusUnit(cfg, p),
        PSN_INIT_PY: initPy,
        ...node,
        PSN_WORKING_DIR: p.pactusWorkingDir,
        PSN_CONFIG_PATH: p.pactusConfig,
        PSN_PASSWORD_FILE: p.passwordFile,
        PSN_INSTALL_DIR: p.pactusInstallDir,
        PSN_INSTALL_ROOT: p.pactusInstallRoot,
        PSN_GRPC_PORT: String(GRPC_PORT),
        PSN_PROTOCOLS: protocolTable(),
        PSN_HEALTH_TIMEOUT: String(cfg.pactus.healthTimeoutSeconds),
        PSN_DRAIN_FLAG: p.drainFlag,
      },
      deleteScript: loadScript("pactus-delete.sh"),
      deleteEnv: {
        PSN_PURGE: String(cfg.pactus.purgeOnDestroy),
        ...node,
        PSN_INSTALL_ROOT: p.pactusInstallRoot,
      },
      secretStdin: true,
    },
    ...(cfg.monitoring.enabled
      ? [
          {
            // Before nginx-tls, whose /metrics/ locations need the exporter and the htpasswd file.
            name: "monitoring" as const,
            script: loadScript("monitoring.sh"),
            env: {
              ...exporter,
              PSN_EXPORTER_CONF: renderNodeExporterDefaults(p),
              PSN_EXPORTER_LISTEN: PORTS.nodeExporter,
              PSN_TEXTFILE_DIR: p.nodeExporterTextfileDir,
              PSN_NGINX_GROUP: NGINX_GROUP,
              PSN_AUTH: String(cfg.monitoring.basicAuth),
            },
            deleteScript: loadScript("monitoring-delete.sh"),
            deleteEnv: { ...exporter, PSN_TEXTFILE_DIR: p.nodeExporterTextfileDir },
            secretStdin: cfg.monitoring.basicAuth,
          },
        ]
      : []),
    {
      name: "nginx-bootstrap",
      script: loadScript("nginx-bootstrap.sh"),
      env: {
        PSN_HTTP_CONF: renderNginxHttp(cfg),
        PSN_SITE_PATH: p.nginxHttpSite,
        PSN_WEBROOT: p.acmeWebroot,
        ...state,
      },
      deleteScript: loadScript("nginx-bootstrap-delete.sh"),
      deleteEnv: { PSN_SITE_PATH: p.nginxHttpSite, PSN_WEBROOT: p.acmeWebroot, ...state },
      secretStdin: false,
    },
    {
      name: "wait-for-dns",
      script: loadScript("wait-dns.sh"),
      env: {
        PSN_DOMAIN: cfg.domain,
        PSN_RESOLVER: cfg.dns.resolver,
        PSN_TIMEOUT: String(cfg.dns.waitSeconds),
      },
      secretStdin: false,
    },
    {
      name: "certificate",
      script: loadScript("certificate.sh"),
      env: {
        PSN_DOMAIN: cfg.domain,
        PSN_CERT_DIR: p.certDir,
        PSN_EMAIL: cfg.acme.email,
        PSN_ACME_SERVER: cfg.acme.server,
        PSN_WEBROOT: p.acmeWebroot,
        PSN_HOOK: renderCertbotHook(cfg),
        PSN_HOOK_PATH: p.certbotHook,
        ...ca,
      },
      deleteScript: loadScript("certificate-delete.sh"),
      deleteEnv: {
        PSN_DOMAIN: cfg.domain,
        PSN_CERT_DIR: p.certDir,
        PSN_HOOK_PATH: p.certbotHook,
        ...(cfg.acme.caBundle
          ? { PSN_CA_BUNDLE_PATH: p.acmeCaBundle, PSN_DROPIN_PATH: p.certbotDropIn }
          : {}),
      },
      secretStdin: false,
    },
    {
      name: "nginx-tls",
      script: loadScript("nginx-tls.sh"),
      env: {
        PSN_DOMAIN: cfg.domain,
        PSN_CERT_DIR: p.certDir,
        PSN_TLS_CONF: renderNginxTls(cfg),
        PSN_SITE_PATH: p.nginxTlsSite,
        PSN_STATUS_ROOT: p.statusRoot,
        PSN_STATUS_FILES: statusBundle(),
      },
      deleteScript: loadScript("nginx-tls-delete.sh"),
      deleteEnv: {
        PSN_SITE_PATH: p.nginxTlsSite,
        PSN_STATUS_ROOT: p.statusRoot,
        PSN_CACHE_DIR: p.nginxCacheDir,
      },
      secretStdin: false,
    },
    {
      // After the certificate (it reads its expiry) and nginx-tls (which serves its file at /healthz).
      name: "health",
      script: loadScript("health.sh"),
      env: {
        PSN_REFRESHER: healthRefresher(),
        PSN_REFRESHER_PATH: p.healthRefresher,
        PSN_HEALTH_ENV: renderHealthEnv(cfg, p),
        PSN_HEALTH_ENV_PATH: p.healthEnv,
        PSN_HEALTH_UNIT: renderHealthUnit(cfg, p),
        PSN_HEALTH_UNIT_PATH: p.healthUnit,
        PSN_HEALTH_SERVICE: HEALTH_UNIT,
        PSN_HEALTH_DIR: p.healthDir,
        PSN_HEALTH_AUTH_PATH: p.healthAuth,
        PSN_PROM_DIR: NODE_EXPORTER_TEXTFILE_DIR,
      },
      deleteScript: loadScript("health-delete.sh"),
      deleteEnv: {
        PSN_HEALTH_SERVICE: HEALTH_UNIT,
        PSN_HEALTH_UNIT_PATH: p.healthUnit,
        PSN_REFRESHER_PATH: p.healthRefresher,
        PSN_HEALTH_ENV_PATH: p.healthEnv,
        PSN_HEALTH_AUTH_PATH: p.healthAuth,
        PSN_PROM_FILE: HEALTH_PROM_FILE,
      },
      // With basic auth: the API credentials the refresher calls the node with.
      secretStdin: cfg.apis.basicAuth,
    },
  ];
  if (cfg.apis.basicAuth && !opts.basicAuthDigest)
    throw new Error("planSteps: apis.basicAuth is set but no basicAuthDigest was given");
  if (cfg.monitoring.enabled && cfg.monitoring.basicAuth && !opts.monitoringAuthDigest)
    throw new Error("planSteps: monitoring.basicAuth is set but no monitoringAuthDigest was given");
  // A new line re-runs the steps that hold its credentials: apis.basicAuth the pactus step and the
  // health refresher's password file, monitoring.basicAuth the monitoring step (nginx's htpasswd file).
  const secretParts = (s: { name: StepName }) =>
    (s.name === "pactus" || s.name === "health") && cfg.apis.basicAuth
      ? [opts.basicAuthDigest]
      : s.name === "monitoring" && cfg.monitoring.basicAuth
        ? [opts.monitoringAuthDigest]
        : [];
  const steps: StepPlan[] = raw.map((s) => ({
    ...s,
    hash: hashOf(s.script, s.env, s.deleteScript ?? "", s.deleteEnv ?? {}, ...secretParts(s)),
  }));
  // verify re-runs whenever any step before it changed.
  const verifyEnv = {
    PSN_DOMAIN: cfg.domain,
    PSN_APIS: apis.join(" "),
    PSN_ORIGIN: cfg.cors.allowAny ? PING_ORIGIN : (cfg.cors.origins[0] ?? ""),
    PSN_TRUSTED: String(!cfg.acme.staging),
    PSN_TIMEOUT: "120",
    PSN_CERT_DIR: p.certDir,
    PSN_SERVICE: SERVICE_UNIT,
    PSN_WORKING_DIR: p.pactusWorkingDir,
    PSN_GRPC_PORT: String(GRPC_PORT),
    PSN_METRICS: metricsExpectation(cfg.monitoring),
  };
  const verifyScript = loadScript("verify.sh");
  steps.push({
    name: "verify",
    script: verifyScript,
    env: verifyEnv,
    secretStdin: cfg.apis.basicAuth,
    hash: hashOf(
      verifyScript,
      verifyEnv,
      steps.map((s) => s.hash),
    ),
  });
  return steps;
}
