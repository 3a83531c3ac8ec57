/**
 * Pure validation of the stack configuration. No Pulumi, no I/O: `pulumi up` (via components/config.ts)
 * and the offline `npm run render` (tools/render.ts) both feed raw values through `parseConfig`, so they
 * give the same errors (except that render takes a required secret that is not set as a placeholder:
 * ParseOptions). Every value that later reaches a rendered file or a shell command passes a whitelist
 * here first. One parser per config group (parseDomain … parseNginx); parseConfig composes them.
 */
import { isIP } from "node:net";
import { compareSync as bcryptCompare } from "bcryptjs";
import { pactusRelease, supportedPactusVersions } from "./pactusReleases";

export const PROJECT = "pactus-secure-node";

/** Stands for a secret whose value is not known here (offline render reads only the ciphertext). */
export const OPAQUE_SECRET = Symbol("opaque-secret");
export type RawSecret = string | typeof OPAQUE_SECRET | undefined;

export const ACME_SERVERS = {
  production: "https://acme-v02.api.letsencrypt.org/directory",
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;
export const DEFAULT_RELEASE_BASE_URL =
  "https://github.com/pactus-project/pactus/releases/download";
export const DEFAULT_PACTUS_VERSION = "1.16.0";
/** pactus.healthTimeoutSeconds: a mainnet node with a large store can take minutes to open it. */
export const DEFAULT_HEALTH_TIMEOUT_SECONDS = 180;
/** The public checker (ping.pactus.org): the default CORS origin, and the Origin the verify step sends. */
export const PING_ORIGIN = "https://ping.pactus.org";
export const DEFAULT_CORS_ORIGINS = [PING_ORIGIN];

export type Network = "mainnet" | "testnet" | "localnet";

/**
 * The systems `host.os` offers, each an AMI its publisher keeps current (components/host.ts looks it
 * up) for x86_64 and arm64, with the one user its image lets in over SSH.
 */
export const HOST_OS = {
  "debian-13": { user: "admin" },
  "debian-12": { user: "admin" },
  "ubuntu-24.04": { user: "ubuntu" },
  "ubuntu-22.04": { user: "ubuntu" },
} as const;
export type HostOs = keyof typeof HOST_OS;
export const HOST_OS_NAMES = Object.keys(HOST_OS) as HostOs[];
export const DEFAULT_HOST_OS: HostOs = "debian-13";

/** A CPU architecture as EC2 names it (the AMI `architecture` attribute). */
export type Arch = "x86_64" | "arm64";

/**
 * The CPU architecture of an EC2 instance type, from its family (the part before the "."): Graviton
 * families carry a "g" right after their generation number (t4g, m7g, r8g, m6gd, c7gn, im4gn, is4gen,
 * hpc7g), and a1 is the first Graviton; every other family is x86_64. Undefined when the type has no
 * family generation to read (a typo, or a Mac type such as mac-m4.metal).
 */
export function instanceArch(instanceType: string): Arch | undefined {
  const m = /^(u-|[a-z]+)(\d+)([a-z0-9-]*)\.[a-z0-9]+$/.exec(instanceType);
  if (!m) return undefined;
  if (m[1] === "a" && m[2] === "1") return "arm64";
  return m[3].startsWith("g") ? "arm64" : "x86_64";
}

export interface AwsHostConfig {
  provider: "aws";
  region: string;
  instanceType: string;
  diskGb: number;
  /** Size of the node's own EBS volume (its home and working dir), GiB. */
  dataDiskGb: number;
  /**
   * The zone of the VM and its data volume; unset: the region's first zone (components/host.ts). The
   * volume is made once in it and the VM pinned to it, so a replaced VM gets the same volume back.
   */
  availabilityZone?: string;
  adminCidrs: string[];
  allowSshFromAnywhere: boolean;
  /** The image (host.os); its CPU architecture follows instanceType (instanceArch). */
  os: HostOs;
  /** SSH user of the image (HOST_OS). */
  user: string;
  /** A configured key (secret) instead of a generated one. */
  hasPrivateKey: boolean;
}
export interface ExistingHostConfig {
  provider: "existing";
  address: string;
  port: number;
  user: string;
  hasPrivateKey: true;
}

export interface StackConfig {
  domain: string;
  acme: { email: string; server: string; staging: boolean; caBundle?: string };
  host: AwsHostConfig | ExistingHostConfig;
  dns:
    | { provider: "cloudflare"; zoneId: string; ttl: number; resolver: string; waitSeconds: number }
    | { provider: "none"; resolver: string; waitSeconds: number };
  pactus: {
    version: string;
    network: Network;
    releaseBaseUrl: string;
    validators: number;
    purgeOnDestroy: boolean;
    /**
     * How long the pactus step waits for the node to be healthy after a (re)start; after an upgrade
     * that is not, it rolls back to the previous release and waits as long again.
     */
    healthTimeoutSeconds: number;
  };
  /**
   * basicAuth: whether apis.basicAuth is set, i.e. the node demands `Authorization: Basic` on every
   * API (the line itself is a secret, in StackSecrets).
   */
  apis: { grpcWeb: boolean; jsonrpc: boolean; http: boolean; basicAuth: boolean };
  cors: { origins: string[]; allowAny: boolean };
  /** Requests per second per client address on the API locations (burst twice that); 0 = no limit. */
  /** cache: hot HTTP API reads kept by nginx (off with apis.basicAuth: the node must see every call). */
  nginx: { rateLimit: number; cache: boolean };
  /** Daily snapshots of the AWS data volume: how many days (snapshots) are kept. */
  backup: { keepDays: number };
  /**
   * The host's health refresher (/healthz and the node exporter's textfile): how often it asks the
   * node, and the age of the last block above which the node counts as unhealthy.
   */
  health: { refreshSeconds: number; maxBlockAgeSeconds: number };
  /**
   * Metrics for the operator's Prometheus: the node exporter and the daemon's own metrics, both on
   * loopback, served by nginx under /metrics/ only to monitoring.basicAuth (basicAuth: whether it is
   * set; the line is a secret) and/or the source CIDRs. With both, a scrape needs both (satisfy all).
   */
  monitoring: { enabled: boolean; basicAuth: boolean; allowCidrs: string[] };
}

/** Secrets, kept apart from StackConfig so nothing that renders files can reach them. */
export interface StackSecrets {
  walletPassword?: string;
  mnemonic?: string;
  privateKey?: string;
  /** The node's `[grpc] basic_auth` line, `user:<bcrypt hash>` (apis.basicAuth). */
  basicAuth?: string;
  /** The plaintext password of basicAuth, used only by the verify step (apis.basicAuthPassword). */
  basicAuthPassword?: string;
  /** nginx's htpasswd line for /metrics/, `user:<bcrypt hash>` (monitoring.basicAuth). */
  monitoringBasicAuth?: string;
}

/** Raw values as they come from `pulumi.Config` or from Pulumi.<stack>.yaml. */
export interface RawConfig {
  domain?: unknown;
  acme?: unknown;
  host?: unknown;
  dns?: unknown;
  pactus?: unknown;
  apis?: unknown;
  cors?: unknown;
  nginx?: unknown;
  backup?: unknown;
  health?: unknown;
  monitoring?: unknown;
  /** Values of secret keys by path (e.g. "pactus.walletPassword"), or OPAQUE_SECRET. */
  secrets: Record<string, RawSecret>;
  /** Secret keys found stored in plaintext. */
  plaintextSecrets?: string[];
  /** Whether a Cloudflare API token is configured (provider config or environment). */
  cloudflareToken?: boolean;
}

export const SECRET_KEYS = [
  "host.privateKey",
  "pactus.walletPassword",
  "pactus.mnemonic",
  "apis.basicAuth",
  "apis.basicAuthPassword",
  "monitoring.basicAuth",
  "monitoring.basicAuthPassword",
] as const;

export class ConfigError extends Error {
  constructor(
    public readonly problems: string[],
    /** Required secrets not set, when parseConfig took them as placeholders (not in the message). */
    public readonly missingSecrets: MissingSecret[] = [],
  ) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Every key of each config group (secrets included): the one list validation, loading and tests read. */
export const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  acme: ["email", "server", "caBundle"],
  host: [
    "provider",
    "region",
    "instanceType",
    "diskGb",
    "dataDiskGb",
    "availabilityZone",
    "adminCidrs",
    "allowSshFromAnywhere",
    "os",
    "address",
    "port",
    "user",
    "privateKey",
  ],
  dns: ["provider", "zoneId", "ttl", "resolver", "waitSeconds"],
  pactus: [
    "version",
    "network",
    "releaseBaseUrl",
    "mnemonic",
    "walletPassword",
    "validators",
    "purgeOnDestroy",
    "healthTimeoutSeconds",
    "allowNoBackup",
  ],
  apis: ["grpcWeb", "jsonrpc", "http", "basicAuth", "basicAuthPassword"],
  cors: ["origins", "allowAny"],
  nginx: ["rateLimit", "cache"],
  backup: ["keepDays"],
  health: ["refreshSeconds", "maxBlockAgeSeconds"],
  monitoring: ["enabled", "basicAuth", "basicAuthPassword", "allowCidrs"],
};

/**
 * Keys that were removed: a stack that still sets one gets this problem (the fix), not "unknown key".
 * Each takes the value it was set to, to name its replacement exactly.
 */
const RETIRED_KEYS: Readonly<Record<string, (value: unknown) => string>> = {
  "host.ubuntuRelease": (v) => {
    const os = String(v) === "22.04" ? "ubuntu-22.04" : "ubuntu-24.04";
    return (
      `no longer a key: host.os chooses the image now (${HOST_OS_NAMES.join(", ")}; default ` +
      `${DEFAULT_HOST_OS}); for Ubuntu run \`pulumi config rm --path host.ubuntuRelease\` and ` +
      `\`pulumi config set --path host.os ${os}\``
    );
  },
};

/** The config groups (objects) of the project namespace, besides `domain`. */
export const GROUPS = Object.keys(KNOWN_KEYS);

/**
 * A required secret that is not set. `pulumi up` refuses it as the problem
 * `<key>: missing[ <when>]; <fix>`; the offline render notes it and renders a placeholder instead.
 */
export interface MissingSecret {
  key: string;
  /** When the key is required, e.g. "for host.provider existing"; "" when always. */
  when: string;
  /** What needs it and the command that sets it. */
  fix: string;
}

export interface ParseOptions {
  /**
   * "refuse" (`pulumi up`): a missing required secret is a problem like any other. "placeholder"
   * (offline render): it is reported in `missingSecrets` instead, and validation goes on as if it
   * were set to a value not known here (OPAQUE_SECRET), as a `{secure: …}` value is.
   */
  missingSecrets?: "refuse" | "placeholder";
}

/** Collects problems; each names its key and the fix. */
class Problems {
  readonly list: string[] = [];
  readonly missingSecrets: MissingSecret[] = [];
  constructor(private readonly missing: ParseOptions["missingSecrets"] = "refuse") {}
  add(key: string, msg: string) {
    this.list.push(`${key}: ${msg}`);
  }
  /** A required secret that is not set: what the validation goes on with (see ParseOptions). */
  missingSecret(m: MissingSecret): RawSecret {
    if (this.missing === "placeholder") {
      this.missingSecrets.push(m);
      return OPAQUE_SECRET;
    }
    this.add(m.key, `missing${m.when ? ` ${m.when}` : ""}; ${m.fix}`);
    return undefined;
  }
}

function group(raw: unknown, name: string, p: Problems): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    p.add(
      name,
      `must be an object; set its fields with \`pulumi config set --path ${name}.<field> <value>\``,
    );
    return {};
  }
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const retired = RETIRED_KEYS[`${name}.${k}`];
    if (retired) p.add(`${name}.${k}`, retired(obj[k]));
    else if (!KNOWN_KEYS[name].includes(k)) {
      p.add(`${name}.${k}`, `unknown key; known keys of ${name}: ${KNOWN_KEYS[name].join(", ")}`);
    }
  }
  return obj;
}

function str(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  p: Problems,
): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  p.add(path, `must be a string, got ${Array.isArray(v) ? "a list" : typeof v}`);
  return undefined;
}

function bool(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  def: boolean,
  p: Problems,
): boolean {
  const v = obj[key];
  if (v === undefined || v === null || v === "") return def;
  if (v === true || v === "true") return true;
  if (v === false || v === "false") return false;
  p.add(path, `must be true or false, got ${JSON.stringify(v)}`);
  return def;
}

function int(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  def: number,
  min: number,
  max: number,
  p: Problems,
): number {
  const v = obj[key];
  if (v === undefined || v === null || v === "") return def;
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    p.add(path, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return def;
  }
  return n;
}

function list(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  p: Problems,
): string[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    p.add(
      path,
      `must be a list of strings, e.g. \`pulumi config set --path '${path}[0]' <value>\``,
    );
    return undefined;
  }
  return v as string[];
}

function oneOf<T extends string>(
  v: string | undefined,
  allowed: readonly T[],
  def: T | undefined,
  path: string,
  p: Problems,
): T | undefined {
  if (v === undefined) return def;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  p.add(path, `unknown value ${JSON.stringify(v)}; use one of: ${allowed.join(", ")}`);
  return def;
}

/** A login name as useradd takes it, and inert in a shell word. */
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/** Problems with `name` as a public DNS name for a certificate, or undefined when it is fine. */
export function domainProblem(name: string): string | undefined {
  const eg = "set the bare name, e.g. node.example.org";
  if (/\s/.test(name)) return `${JSON.stringify(name)} contains whitespace; ${eg}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) return `${JSON.stringify(name)} has a scheme; ${eg}`;
  if (name.includes("/")) return `${JSON.stringify(name)} has a path; ${eg}`;
  if (isIP(name) || isIP(name.replace(/^\[|\]$/g, ""))) {
    return `${JSON.stringify(name)} is an IP address; ACME certificates need a DNS name pointing at the host`;
  }
  if (/:\d*$/.test(name))
    return `${JSON.stringify(name)} has a port; ${eg} (ports 80 and 443 are used)`;
  if (name.includes("*"))
    return `${JSON.stringify(name)} is a wildcard; HTTP-01 cannot issue wildcards, ${eg}`;
  if (/[A-Z]/.test(name))
    return `${JSON.stringify(name)} has uppercase letters; use ${JSON.stringify(name.toLowerCase())}`;
  const bad = name.match(/[^a-z0-9.-]/g);
  if (bad)
    return `${JSON.stringify(name)} contains ${[...new Set(bad)].map((c) => JSON.stringify(c)).join(" ")}; only a-z, 0-9, "-" and "." are allowed`;
  if (name.length > 253) return `is ${name.length} characters long; a DNS name has at most 253`;
  const labels = name.split(".");
  if (labels.length < 2) return `${JSON.stringify(name)} is not a fully qualified name; ${eg}`;
  for (const l of labels) {
    if (l.length === 0)
      return `${JSON.stringify(name)} has an empty label (".." or a leading/trailing dot); ${eg}`;
    if (l.length > 63)
      return `label ${JSON.stringify(l.slice(0, 20) + "…")} is ${l.length} characters long; a label has at most 63`;
    if (l.startsWith("-") || l.endsWith("-"))
      return `label ${JSON.stringify(l)} starts or ends with "-"`;
  }
  return undefined;
}

/** Longest URL accepted anywhere (acme.server, pactus.releaseBaseUrl, cors.origins). */
const MAX_URL = 2048;
/** RFC 5321: a forward path holds at most 256 octets, so an address at most 254. */
const MAX_EMAIL = 254;
/** What `pactus-init.py` reads from the password file (read_secret_file). */
const MAX_PASSWORD_BYTES = 64 * 1024;
/** Go's strings.TrimSpace set: what `pactus-daemon start --password-from-file` and the init helper strip. */
const GO_SPACE =
  "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

function trimGoSpace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && GO_SPACE.includes(s[a])) a++;
  while (b > a && GO_SPACE.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

const EMAIL =
  /^[A-Za-z0-9._%+-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

/** An URL made only of characters that are inert in shell single quotes and nginx/TOML strings. */
function safeUrl(
  v: string,
  path: string,
  schemes: string[],
  p: Problems,
  allowPath = true,
): URL | undefined {
  if (v.length > MAX_URL) {
    p.add(path, `is ${v.length} characters long; a URL here has at most ${MAX_URL}`);
    return undefined;
  }
  if (!/^[A-Za-z0-9._~:/?#[\]@!&*+,=%-]+$/.test(v)) {
    p.add(
      path,
      `${JSON.stringify(v)} contains characters not allowed in a URL here (quotes, spaces, $, ;, braces)`,
    );
    return undefined;
  }
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    p.add(path, `${JSON.stringify(v)} is not a URL; use e.g. https://example.org/path`);
    return undefined;
  }
  if (!schemes.includes(u.protocol.slice(0, -1))) {
    p.add(path, `${JSON.stringify(v)} must use ${schemes.join(" or ")}`);
    return undefined;
  }
  if (u.username || u.password) {
    p.add(path, `${JSON.stringify(v)} must not carry credentials`);
    return undefined;
  }
  if (!allowPath && (u.pathname !== "/" || u.search || u.hash || v.endsWith("/"))) {
    p.add(
      path,
      `${JSON.stringify(v)} has a path; an origin is scheme://host[:port], e.g. https://app.example.org`,
    );
    return undefined;
  }
  if (!allowPath && !/^(?:[a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(u.hostname)) {
    p.add(
      path,
      `${JSON.stringify(v)} has a host that is neither a DNS name nor an IP address (no wildcards or symbols), e.g. https://app.example.org`,
    );
    return undefined;
  }
  // Browsers send the serialized origin: lowercase host, no default port, no "?" or "#". Anything else never matches.
  if (!allowPath && u.origin !== v) {
    p.add(
      path,
      `${JSON.stringify(v)} is not an origin as browsers send it; use ${JSON.stringify(u.origin)}`,
    );
    return undefined;
  }
  return u;
}

function cidrProblem(c: string): string | undefined {
  const m = c.match(/^([^/]+)\/(\d{1,3})$/);
  if (!m) return `${JSON.stringify(c)} is not a CIDR; use e.g. 203.0.113.7/32`;
  const fam = isIP(m[1]);
  const bits = Number(m[2]);
  if (fam === 0) return `${JSON.stringify(c)} does not start with an IP address`;
  if ((fam === 4 && bits > 32) || (fam === 6 && bits > 128))
    return `${JSON.stringify(c)} has a prefix length out of range`;
  return undefined;
}

function hostPort(v: string): boolean {
  const m = v.match(/^(\[[0-9a-fA-F:]+\]|[0-9.]+)(?::(\d{1,5}))?$/);
  if (!m) return false;
  const ip = m[1].replace(/^\[|\]$/g, "");
  return isIP(ip) !== 0 && (m[2] === undefined || (Number(m[2]) > 0 && Number(m[2]) < 65536));
}

/** domain: the node's public name, which the certificate is for. */
function parseDomain(raw: unknown, p: Problems): string {
  if (raw === undefined || raw === null || raw === "") {
    p.add(
      "domain",
      "missing; set the node's public name with `pulumi config set domain node.example.org`",
    );
    return "";
  }
  if (typeof raw !== "string") {
    p.add("domain", "must be a string, e.g. node.example.org");
    return "";
  }
  const prob = domainProblem(raw);
  if (prob) {
    p.add("domain", prob);
    return "";
  }
  return raw;
}

/** acme: the account's e-mail, the ACME directory and an optional private CA. */
function parseAcme(raw: unknown, p: Problems): StackConfig["acme"] {
  const a = group(raw, "acme", p);
  const email = str(a, "email", "acme.email", p);
  if (!email)
    p.add(
      "acme.email",
      "missing; Let's Encrypt sends expiry notices there: `pulumi config set --path acme.email ops@example.org`",
    );
  else if (email.length > MAX_EMAIL)
    p.add(
      "acme.email",
      `is ${email.length} characters long; an e-mail address has at most ${MAX_EMAIL}`,
    );
  else if (!EMAIL.test(email))
    p.add("acme.email", `${JSON.stringify(email)} is not an e-mail address, e.g. ops@example.org`);
  else if (email.startsWith("-"))
    p.add(
      "acme.email",
      `${JSON.stringify(email)} starts with "-", which certbot would read as an option; use an address that starts with a letter or digit`,
    );
  const serverRaw = str(a, "server", "acme.server", p) ?? "production";
  let server: string = ACME_SERVERS.production;
  if (serverRaw === "production" || serverRaw === "staging") server = ACME_SERVERS[serverRaw];
  else if (/^[a-z]+:\/\//i.test(serverRaw)) {
    const u = safeUrl(serverRaw, "acme.server", ["https"], p);
    if (u) server = serverRaw;
  } else
    p.add(
      "acme.server",
      `unknown value ${JSON.stringify(serverRaw)}; use production, staging, or the https URL of an ACME directory`,
    );
  const caBundle = str(a, "caBundle", "acme.caBundle", p);
  if (caBundle !== undefined) {
    const lines = caBundle.trim().split(/\r?\n/);
    const ok =
      /^-----BEGIN CERTIFICATE-----$/.test(lines[0]) &&
      /^-----END CERTIFICATE-----$/.test(lines[lines.length - 1]) &&
      lines.every((l) => /^(-----(BEGIN|END) CERTIFICATE-----|[A-Za-z0-9+/=]{1,76})$/.test(l));
    if (!ok)
      p.add(
        "acme.caBundle",
        "must be PEM certificates (-----BEGIN CERTIFICATE----- …); set it with `pulumi config set --path acme.caBundle < ca.pem`",
      );
  }
  return {
    email: email ?? "",
    server,
    staging: server !== ACME_SERVERS.production,
    ...(caBundle ? { caBundle: caBundle.trim() + "\n" } : {}),
  };
}

/**
 * Whether `zone` is an availability zone of `region`: the region and a letter (eu-central-1a), or a
 * Local Zone of it (us-west-2-lax-1a).
 */
export function availabilityZoneOf(zone: string, region: string): boolean {
  if (!zone.startsWith(region)) return false;
  return /^([a-z]|-[a-z]+-\d[a-z])$/.test(zone.slice(region.length));
}

/** host: a new AWS VM or an existing SSH host, and the SSH key (secret) to reach it. */
function parseHost(
  raw: unknown,
  secrets: Record<string, RawSecret>,
  p: Problems,
): StackConfig["host"] | undefined {
  const h = group(raw, "host", p);
  const provider =
    oneOf(
      str(h, "provider", "host.provider", p),
      ["aws", "existing"] as const,
      undefined,
      "host.provider",
      p,
    ) ?? (h.provider === undefined ? "aws" : undefined);
  // An unknown provider is one problem; its fields are not judged against a guess.
  if (provider === undefined) return undefined;
  const hasKey = secrets["host.privateKey"] !== undefined;
  if (secrets["host.privateKey"] !== undefined && typeof secrets["host.privateKey"] === "string") {
    const k = secrets["host.privateKey"];
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(k)) {
      p.add(
        "host.privateKey",
        "is not a PEM/OpenSSH private key; set it with `pulumi config set --path --secret host.privateKey < ~/.ssh/id_ed25519`",
      );
    }
  }
  if (provider === "existing") {
    const address = str(h, "address", "host.address", p);
    if (!address)
      p.add("host.address", "missing for host.provider existing; set the host's IP or DNS name");
    else if (isIP(address) === 0 && domainProblem(address) !== undefined) {
      p.add("host.address", `${JSON.stringify(address)} is neither an IP address nor a DNS name`);
    }
    // host.os only names the system here, for the default user of its cloud image; nothing checks the host.
    const os = oneOf(str(h, "os", "host.os", p), HOST_OS_NAMES, undefined, "host.os", p);
    const user = str(h, "user", "host.user", p) ?? (os ? HOST_OS[os].user : "root");
    if (!USER_NAME.test(user))
      p.add("host.user", `${JSON.stringify(user)} is not a valid user name`);
    if (!hasKey) {
      p.missingSecret({
        key: "host.privateKey",
        when: "for host.provider existing",
        fix: "set it with `pulumi config set --path --secret host.privateKey < ~/.ssh/id_ed25519`",
      });
    }
    return {
      provider,
      address: address ?? "",
      port: int(h, "port", "host.port", 22, 1, 65535, p),
      user,
      hasPrivateKey: true,
    };
  }
  if (provider !== "aws") return undefined;
  const region = str(h, "region", "host.region", p);
  if (!region) p.add("host.region", "missing for host.provider aws; set e.g. eu-central-1");
  else if (!/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(region))
    p.add("host.region", `${JSON.stringify(region)} is not an AWS region name, e.g. eu-central-1`);
  const instanceType = str(h, "instanceType", "host.instanceType", p) ?? "t3.small";
  if (!/^[a-z][a-z0-9-]{0,31}\.[a-z0-9]{1,31}$/.test(instanceType))
    p.add(
      "host.instanceType",
      `${JSON.stringify(instanceType)} is not an instance type, e.g. t3.small`,
    );
  else if (instanceType.startsWith("mac"))
    p.add(
      "host.instanceType",
      `${JSON.stringify(instanceType)} is a Mac instance, which boots only macOS; host.os needs a Linux type, e.g. t3.small (x86_64) or t4g.small (arm64)`,
    );
  else if (instanceArch(instanceType) === undefined)
    p.add(
      "host.instanceType",
      `${JSON.stringify(instanceType)} has no family generation (letters and a number before the ".", e.g. t3, m7g), so its CPU architecture, and with it the AMI, is unknown; use e.g. t3.small (x86_64) or t4g.small (arm64)`,
    );
  const cidrs = list(h, "adminCidrs", "host.adminCidrs", p);
  const allowAny = bool(h, "allowSshFromAnywhere", "host.allowSshFromAnywhere", false, p);
  if (cidrs === undefined || cidrs.length === 0) {
    p.add(
      "host.adminCidrs",
      "empty; SSH (22) is opened only to these, e.g. `pulumi config set --path 'host.adminCidrs[0]' 203.0.113.7/32`",
    );
  } else {
    for (const c of cidrs) {
      const prob = cidrProblem(c);
      if (prob) p.add("host.adminCidrs", prob);
      else if (/\/0$/.test(c) && !allowAny) {
        p.add(
          "host.adminCidrs",
          `${c} opens SSH to the whole internet; list your admin addresses, or set host.allowSshFromAnywhere: true to accept that`,
        );
      }
    }
  }
  const osRaw = str(h, "os", "host.os", p);
  const os = oneOf(osRaw, HOST_OS_NAMES, DEFAULT_HOST_OS, "host.os", p)!;
  // The image has exactly one SSH user: host.user may only repeat it (a wrong host.os is one problem).
  const imageUser = HOST_OS[os].user;
  const user = str(h, "user", "host.user", p);
  if (user !== undefined && user !== imageUser) {
    const fix = `remove host.user (on aws it follows host.os) or set it to ${imageUser}`;
    if (!USER_NAME.test(user))
      p.add("host.user", `${JSON.stringify(user)} is not a valid user name; ${fix}`);
    else if (osRaw === undefined || os === osRaw)
      p.add(
        "host.user",
        user === "root"
          ? `root cannot log in over SSH on the ${os} AMI (cloud images refuse root logins; its user is ${imageUser}, with sudo); ${fix}`
          : `${JSON.stringify(user)} does not exist on the ${os} AMI, whose SSH user is ${imageUser}; ${fix}`,
      );
  }
  const zone = str(h, "availabilityZone", "host.availabilityZone", p);
  if (zone !== undefined && region && !availabilityZoneOf(zone, region))
    p.add(
      "host.availabilityZone",
      `${JSON.stringify(zone)} is not a zone of host.region ${region}; set one of its zones, e.g. ${region}a, or remove the key (default: the region's first zone)`,
    );
  return {
    provider,
    region: region ?? "",
    instanceType,
    diskGb: int(h, "diskGb", "host.diskGb", 30, 20, 16384, p),
    dataDiskGb: int(h, "dataDiskGb", "host.dataDiskGb", 50, 10, 16384, p),
    ...(zone !== undefined ? { availabilityZone: zone } : {}),
    adminCidrs: cidrs ?? [],
    allowSshFromAnywhere: allowAny,
    os,
    user: imageUser,
    hasPrivateKey: hasKey,
  };
}

/**
 * dns: who points the name at the host (cloudflare, or none: the operator), and how the host waits for
 * the record. `cloudflareToken` is false when pulumi up has no Cloudflare API token.
 */
function parseDns(
  raw: unknown,
  cloudflareToken: boolean | undefined,
  p: Problems,
): StackConfig["dns"] {
  const d = group(raw, "dns", p);
  const provider = oneOf(
    str(d, "provider", "dns.provider", p),
    ["cloudflare", "none"] as const,
    "none",
    "dns.provider",
    p,
  );
  const resolver = str(d, "resolver", "dns.resolver", p) ?? "1.1.1.1";
  if (!hostPort(resolver))
    p.add(
      "dns.resolver",
      `${JSON.stringify(resolver)} must be a resolver IP with an optional port, e.g. 1.1.1.1 or 10.0.0.2:53`,
    );
  const waitSeconds = int(d, "waitSeconds", "dns.waitSeconds", 900, 0, 86400, p);
  if (provider !== "cloudflare") return { provider: "none", resolver, waitSeconds };
  const zoneId = str(d, "zoneId", "dns.zoneId", p);
  if (!zoneId)
    p.add(
      "dns.zoneId",
      "missing for dns.provider cloudflare; copy the Zone ID from the Cloudflare dashboard's Overview page",
    );
  else if (!/^[0-9a-f]{32}$/.test(zoneId))
    p.add(
      "dns.zoneId",
      `${JSON.stringify(zoneId)} is not a Cloudflare zone id (32 hex characters)`,
    );
  if (cloudflareToken === false) {
    p.missingSecret({
      key: "cloudflare:apiToken",
      when: "for dns.provider cloudflare",
      fix: "`pulumi config set --secret cloudflare:apiToken <token>` (Zone.DNS edit)",
    });
  }
  return {
    provider: "cloudflare",
    zoneId: zoneId ?? "",
    ttl: int(d, "ttl", "dns.ttl", 60, 60, 86400, p),
    resolver,
    waitSeconds,
  };
}

/** pactus: the release, the chain, the wallet and its secrets. */
function parsePactus(
  raw: unknown,
  secrets: Record<string, RawSecret>,
  p: Problems,
): StackConfig["pactus"] {
  const px = group(raw, "pactus", p);
  const version = str(px, "version", "pactus.version", p) ?? DEFAULT_PACTUS_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(version))
    p.add(
      "pactus.version",
      `${JSON.stringify(version)} must be X.Y.Z without a leading v, e.g. ${DEFAULT_PACTUS_VERSION}`,
    );
  else if (!pactusRelease(version))
    p.add(
      "pactus.version",
      `${version} is not a release this stack knows (its config keys and protocol are unknown): ` +
        `supported are ${supportedPactusVersions()}`,
    );
  const network = oneOf(
    str(px, "network", "pactus.network", p),
    ["mainnet", "testnet", "localnet"] as const,
    "mainnet",
    "pactus.network",
    p,
  )!;
  let releaseBaseUrl = (
    str(px, "releaseBaseUrl", "pactus.releaseBaseUrl", p) ?? DEFAULT_RELEASE_BASE_URL
  ).replace(/\/+$/, "");
  // Plain http is tolerated only for local sandboxes: a public node's binaries must come over TLS.
  if (
    !safeUrl(
      releaseBaseUrl,
      "pactus.releaseBaseUrl",
      network === "localnet" ? ["https", "http"] : ["https"],
      p,
    )
  ) {
    releaseBaseUrl = DEFAULT_RELEASE_BASE_URL;
  }
  const validators = int(
    px,
    "validators",
    "pactus.validators",
    network === "localnet" ? 4 : 1,
    1,
    32,
    p,
  );
  const purgeOnDestroy = bool(px, "purgeOnDestroy", "pactus.purgeOnDestroy", false, p);
  const healthTimeoutSeconds = int(
    px,
    "healthTimeoutSeconds",
    "pactus.healthTimeoutSeconds",
    DEFAULT_HEALTH_TIMEOUT_SECONDS,
    30,
    3600,
    p,
  );
  if (network === "localnet" && validators < 4)
    p.add(
      "pactus.validators",
      `localnet needs at least 4 validators to produce blocks alone, got ${validators}`,
    );
  parseWalletPassword(secrets, p);
  parseMnemonic(secrets, network, bool(px, "allowNoBackup", "pactus.allowNoBackup", false, p), p);
  return {
    version,
    network,
    releaseBaseUrl,
    validators,
    purgeOnDestroy,
    healthTimeoutSeconds,
  };
}

/** pactus.walletPassword (secret, required): typed at the wallet's prompt by the init helper. */
function parseWalletPassword(secrets: Record<string, RawSecret>, p: Problems): void {
  const pw = secrets["pactus.walletPassword"];
  if (pw === undefined)
    p.missingSecret({
      key: "pactus.walletPassword",
      when: "",
      fix: "the wallet is encrypted with it: `pulumi config set --path --secret pactus.walletPassword <at least 8 characters>`",
    });
  else if (typeof pw === "string") {
    // The init helper types the password at the wallet's prompt and refuses what cannot be typed there.
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    if (/[\x00-\x1f\x7f]/.test(pw))
      p.add(
        "pactus.walletPassword",
        "contains a line break, tab, NUL or another control character, which cannot be typed at the wallet prompt; choose one without",
      );
    else if (Buffer.byteLength(pw, "utf8") > MAX_PASSWORD_BYTES)
      p.add(
        "pactus.walletPassword",
        `is larger than ${MAX_PASSWORD_BYTES / 1024} KiB; choose a shorter one`,
      );
    else if ([...trimGoSpace(pw)].length < 8)
      p.add(
        "pactus.walletPassword",
        "is shorter than 8 characters (leading and trailing spaces do not count); choose a longer one",
      );
  }
}

/** The command that makes a stack's wallet mnemonic (tools/wallet-new.ts). */
export const WALLET_NEW = "npm run wallet:new -- --stack <stack>";

/**
 * pactus.mnemonic (secret): the wallet's seed phrase, restored on a new host. Required on mainnet, where
 * the wallet holds real stake, unless pactus.allowNoBackup says the operator backs up the wallet file
 * themselves: without either, a lost host would lose the validator with no way back.
 */
function parseMnemonic(
  secrets: Record<string, RawSecret>,
  network: Network,
  allowNoBackup: boolean,
  p: Problems,
): void {
  let mn = secrets["pactus.mnemonic"];
  if (mn === undefined && network === "mainnet" && !allowNoBackup)
    mn = p.missingSecret({
      key: "pactus.mnemonic",
      when: "for pactus.network mainnet",
      fix:
        "the wallet (validator keys) would have no backup: make and store one with " +
        `\`${WALLET_NEW}\`, or set \`pulumi config set --path pactus.allowNoBackup true\` if you back up ` +
        "the node's wallet file yourself",
    });
  if (typeof mn !== "string") return;
  const words = mn.trim().split(/\s+/);
  if (words.length !== 12 && words.length !== 24)
    p.add("pactus.mnemonic", `has ${words.length} words; a Pactus seed phrase has 12 or 24`);
  else if (!words.every((w) => /^[a-z]{3,8}$/.test(w)))
    p.add(
      "pactus.mnemonic",
      "must be lowercase words of 3 to 8 letters (the BIP-39 English list) separated by spaces",
    );
}

/** The user part of a basic_auth line: inert in TOML strings, shell words and the Authorization header. */
export const BASIC_AUTH_USER = /^[A-Za-z0-9._@+-]{1,64}$/;
/** A bcrypt hash as `htpasswd -B` writes it and Go's bcrypt reads it: $2a$/$2b$/$2y$, cost, 22+31 characters. */
export const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
/** The node runs one bcrypt comparison per API call: cost 12 is ≈0.2 s of CPU each, and it doubles per step. */
export const BCRYPT_COSTS = { min: 4, max: 12 } as const;
/** How to make and set the htpasswd line of `key` (apis.basicAuth or monitoring.basicAuth). */
const htpasswdFix = (key: string) =>
  "generate it with `htpasswd -bnB <user> <password>` (apache2-utils) and set the one line it prints with " +
  `\`pulumi config set --path --secret ${key} '<user>:$2y$05$…'\``;

/** Who checks an htpasswd pair, for its error texts. */
interface HtpasswdPair {
  /** The config group: `<group>.basicAuth` and `<group>.basicAuthPassword`. */
  group: "apis" | "monitoring";
  /** What checks the bcrypt hash, e.g. "Pactus". */
  checker: string;
  /** Where the user name goes, e.g. "config.toml and the Authorization header". */
  userGoesTo: string;
  /** What the password is for: "the verify step authenticates with it". */
  passwordFor: string;
  /** What a wrong password breaks. */
  wrongPassword: string;
}

const API_PAIR: HtpasswdPair = {
  group: "apis",
  checker: "Pactus",
  userGoesTo: "config.toml and the Authorization header",
  passwordFor: "the verify step and the health refresher authenticate with it",
  wrongPassword: "the node would refuse the verify step and every client using it",
};
const MONITORING_PAIR: HtpasswdPair = {
  group: "monitoring",
  checker: "this stack",
  userGoesTo: "nginx's htpasswd file and your Prometheus's basic_auth",
  passwordFor: "the stack checks the line against it before anything is created",
  wrongPassword: "your Prometheus, scraping with it, would get 401",
};

/**
 * `<group>.basicAuth` (an htpasswd line `user:<bcrypt hash>`) and `<group>.basicAuthPassword` (its
 * password): both or neither, a bcrypt line, and a password that matches it. Messages never quote the
 * values. Returns whether the pair is set.
 */
function parseHtpasswdPair(
  pair: HtpasswdPair,
  secrets: Record<string, RawSecret>,
  p: Problems,
): boolean {
  const lineKey = `${pair.group}.basicAuth`;
  const pwKey = `${pair.group}.basicAuthPassword`;
  const fix = htpasswdFix(lineKey);
  let line = secrets[lineKey];
  const pw = secrets[pwKey];
  if (line === undefined && pw === undefined) return false;
  if (line === undefined) {
    line = p.missingSecret({
      key: lineKey,
      when: `while ${pwKey} is set`,
      fix: `${fix}, or unset ${pwKey}`,
    });
    if (line === undefined) return false;
  }
  if (pw === undefined) {
    p.missingSecret({
      key: pwKey,
      when: `while ${lineKey} is set`,
      fix:
        `${pair.passwordFor}: ` +
        `\`pulumi config set --path --secret ${pwKey} <the password the hash was made from>\``,
    });
  }
  let hash: string | undefined;
  if (typeof line === "string") {
    const v = line.trim();
    const colon = v.indexOf(":");
    const user = v.slice(0, Math.max(colon, 0));
    const h = v.slice(colon + 1);
    const m = h.match(BCRYPT_HASH);
    const kind = h.startsWith("$apr1$")
      ? "an MD5 ($apr1$)"
      : h.startsWith("{SHA}")
        ? "a SHA-1 ({SHA})"
        : /^\$[156]\$/.test(h)
          ? "a crypt"
          : undefined;
    if (/\s/.test(v))
      p.add(
        lineKey,
        `must be one line \`<user>:<bcrypt hash>\` without spaces or line breaks; ${fix}`,
      );
    else if (colon < 0)
      p.add(lineKey, `is not an htpasswd line \`<user>:<bcrypt hash>\` (it has no ":"); ${fix}`);
    else if (!BASIC_AUTH_USER.test(user)) {
      p.add(
        lineKey,
        `its user name must be 1 to 64 characters from A-Z a-z 0-9 . _ @ + - (it goes into ${pair.userGoesTo}); ` +
          fix,
      );
    } else if (!m) {
      p.add(
        lineKey,
        `${kind ? `holds ${kind} hash` : "has no bcrypt hash after the user"}; ${pair.checker} checks bcrypt only ` +
          `($2a$, $2b$ or $2y$, a two-digit cost, 53 characters): ${fix}`,
      );
    } else if (Number(m[1]) < BCRYPT_COSTS.min || Number(m[1]) > BCRYPT_COSTS.max) {
      p.add(
        lineKey,
        `has bcrypt cost ${Number(m[1])}; use ${BCRYPT_COSTS.min} to ${BCRYPT_COSTS.max}: ${pair.group === "apis" ? "the node" : "nginx"} runs one bcrypt ` +
          `comparison per ${pair.group === "apis" ? "API call" : "scrape"} (cost ${BCRYPT_COSTS.max} is ≈0.2 s of CPU, doubling per step). \`htpasswd -B\` uses 5; \`-C <cost>\` sets it`,
      );
    } else hash = h;
  }
  if (typeof pw === "string") {
    if (/[\r\n\0]/.test(pw))
      p.add(
        pwKey,
        `contains a line break or NUL; choose one without (and generate ${lineKey} from it)`,
      );
    else if (Buffer.byteLength(pw, "utf8") > 72) {
      p.add(
        pwKey,
        `is longer than 72 bytes, of which bcrypt uses only the first 72; choose a shorter one (and generate ${lineKey} from it)`,
      );
    } else if (hash !== undefined && !bcryptCompare(pw, hash)) {
      p.add(
        pwKey,
        `is not the password of ${lineKey} (the bcrypt comparison fails), so ${pair.wrongPassword}; ` +
          "set the password the hash was generated from, or " +
          fix.replace("generate it", "generate a new line"),
      );
    }
  }
  return true;
}

/** apis: which APIs get a public location, and the basic auth every one of them then requires. */
function parseApis(
  raw: unknown,
  secrets: Record<string, RawSecret>,
  p: Problems,
): StackConfig["apis"] {
  const ap = group(raw, "apis", p);
  const apis = {
    grpcWeb: bool(ap, "grpcWeb", "apis.grpcWeb", true, p),
    jsonrpc: bool(ap, "jsonrpc", "apis.jsonrpc", true, p),
    http: bool(ap, "http", "apis.http", true, p),
    basicAuth: parseHtpasswdPair(API_PAIR, secrets, p),
  };
  if (!apis.grpcWeb && !apis.jsonrpc && !apis.http)
    p.add(
      "apis",
      "all of grpcWeb, jsonrpc and http are off; enable at least one (e.g. apis.jsonrpc: true)",
    );
  return apis;
}

/** cors: the browser origins allowed to call the APIs. */
function parseCors(raw: unknown, p: Problems): StackConfig["cors"] {
  const c = group(raw, "cors", p);
  const allowAny = bool(c, "allowAny", "cors.allowAny", false, p);
  const origins = list(c, "origins", "cors.origins", p) ?? DEFAULT_CORS_ORIGINS;
  for (const o of origins) {
    if (o === "*") {
      if (!allowAny)
        p.add(
          "cors.origins",
          `"*" lets every web page call the node; list the origins, or set cors.allowAny: true to accept that`,
        );
    } else safeUrl(o, "cors.origins", ["https", "http"], p, false);
  }
  return { origins, allowAny };
}

/** nginx: the per-client rate limit on the API locations, and the hot-read cache. */
function parseNginx(raw: unknown, p: Problems): StackConfig["nginx"] {
  const n = group(raw, "nginx", p);
  return {
    rateLimit: int(n, "rateLimit", "nginx.rateLimit", 20, 0, 100000, p),
    cache: bool(n, "cache", "nginx.cache", true, p),
  };
}

/** backup: the daily snapshots of the AWS data volume. */
function parseBackup(raw: unknown, p: Problems): StackConfig["backup"] {
  const b = group(raw, "backup", p);
  return { keepDays: int(b, "keepDays", "backup.keepDays", 7, 1, 365, p) };
}

/** health: the refresher's period and the block age that makes the node unhealthy. */
function parseHealth(raw: unknown, p: Problems): StackConfig["health"] {
  const h = group(raw, "health", p);
  const refreshSeconds = int(h, "refreshSeconds", "health.refreshSeconds", 10, 2, 300, p);
  const maxBlockAgeSeconds = int(
    h,
    "maxBlockAgeSeconds",
    "health.maxBlockAgeSeconds",
    120,
    30,
    86400,
    p,
  );
  // The age is only seen once per refresh: a bound within two periods would flap between refreshes.
  if (maxBlockAgeSeconds < 2 * refreshSeconds)
    p.add(
      "health.maxBlockAgeSeconds",
      `${maxBlockAgeSeconds} is less than two refresh periods (health.refreshSeconds ${refreshSeconds}); set at least ${2 * refreshSeconds}, or refresh more often`,
    );
  return { refreshSeconds, maxBlockAgeSeconds };
}

/**
 * monitoring: off by default. On, it needs a way to tell the operator's Prometheus from the internet:
 * credentials (monitoring.basicAuth with its password) and/or source CIDRs; with both, nginx demands
 * both (`satisfy all`). The keys are checked even while it is off, so turning it on holds no surprise.
 */
function parseMonitoring(
  raw: unknown,
  secrets: Record<string, RawSecret>,
  p: Problems,
): StackConfig["monitoring"] {
  const m = group(raw, "monitoring", p);
  const enabled = bool(m, "enabled", "monitoring.enabled", false, p);
  const basicAuth = parseHtpasswdPair(MONITORING_PAIR, secrets, p);
  const cidrs = list(m, "allowCidrs", "monitoring.allowCidrs", p);
  // A malformed list is its own problem: then the one below would only repeat it.
  const cidrsBroken = cidrs === undefined && m.allowCidrs !== undefined && m.allowCidrs !== null;
  const allowCidrs = cidrs ?? [];
  for (const c of allowCidrs) {
    const prob = cidrProblem(c);
    if (prob) p.add("monitoring.allowCidrs", prob);
    else if (/\/0$/.test(c) && !basicAuth)
      p.add(
        "monitoring.allowCidrs",
        `${c} lets the whole internet read the metrics; list your Prometheus's addresses, e.g. 203.0.113.7/32, or set monitoring.basicAuth too`,
      );
  }
  // Half a credential pair is its own problem too.
  const authTried =
    secrets["monitoring.basicAuth"] !== undefined ||
    secrets["monitoring.basicAuthPassword"] !== undefined;
  if (enabled && !basicAuth && allowCidrs.length === 0 && !cidrsBroken && !authTried)
    p.add(
      "monitoring.enabled",
      "true, but nothing says who may read /metrics/: set monitoring.basicAuth and monitoring.basicAuthPassword " +
        "(`htpasswd -bnB prometheus <password> | pulumi config set --path --secret monitoring.basicAuth`), " +
        "and/or monitoring.allowCidrs (`pulumi config set --path 'monitoring.allowCidrs[0]' 203.0.113.7/32`)",
    );
  return { enabled, basicAuth, allowCidrs };
}

/** The secrets' values, once validated (opaque ones are left out: nothing here can know them). */
function secretValues(raw: Record<string, RawSecret>): StackSecrets {
  const secrets: StackSecrets = {};
  for (const [k, field] of [
    ["pactus.walletPassword", "walletPassword"],
    ["pactus.mnemonic", "mnemonic"],
    ["host.privateKey", "privateKey"],
    ["apis.basicAuth", "basicAuth"],
    ["apis.basicAuthPassword", "basicAuthPassword"],
    ["monitoring.basicAuth", "monitoringBasicAuth"],
  ] as const) {
    const v = raw[k];
    if (typeof v !== "string") continue;
    // htpasswd prints its line with a newline (and a blank line) after it: only the line counts.
    secrets[field] =
      field === "mnemonic"
        ? v.trim().split(/\s+/).join(" ")
        : field === "basicAuth" || field === "monitoringBasicAuth"
          ? v.trim()
          : v;
  }
  return secrets;
}

export interface ParsedConfig {
  config: StackConfig;
  secrets: StackSecrets;
  /** Required secrets that are not set; only ever non-empty with `missingSecrets: "placeholder"`. */
  missingSecrets: MissingSecret[];
}

/**
 * Validates everything at once, one parser per config group (in the order problems are listed);
 * throws one ConfigError listing every problem.
 */
export function parseConfig(raw: RawConfig, opts: ParseOptions = {}): ParsedConfig {
  const p = new Problems(opts.missingSecrets);
  for (const k of raw.plaintextSecrets ?? []) {
    p.add(
      k,
      `is stored in plaintext; set it with \`pulumi config set --path --secret ${k} <value>\``,
    );
  }
  const domain = parseDomain(raw.domain, p);
  const acme = parseAcme(raw.acme, p);
  const host = parseHost(raw.host, raw.secrets, p);
  const dns = parseDns(raw.dns, raw.cloudflareToken, p);
  const pactus = parsePactus(raw.pactus, raw.secrets, p);
  const apis = parseApis(raw.apis, raw.secrets, p);
  const cors = parseCors(raw.cors, p);
  const nginx = parseNginx(raw.nginx, p);
  const backup = parseBackup(raw.backup, p);
  const health = parseHealth(raw.health, p);
  const monitoring = parseMonitoring(raw.monitoring, raw.secrets, p);
  if (p.list.length > 0 || !host) throw new ConfigError(p.list, p.missingSecrets);
  return {
    config: { domain, acme, host, dns, pactus, apis, cors, nginx, backup, health, monitoring },
    secrets: secretValues(raw.secrets),
    missingSecrets: p.missingSecrets,
  };
}
