/**
 * Security checks: hostile input through the config never reaches a shell or an nginx file
 * unquoted.
 *
 * 1. Every config key (read from KNOWN_KEYS: a new key fails here until it is listed in KEYS) gets
 *    every hostile payload through parseConfig, alone, as a prefix and as a suffix of a valid value:
 *    refused with a problem naming exactly that key, unless ACCEPTED lists that key, payload and
 *    position. ACCEPTED is asserted both ways, so it is precisely what the validator lets through.
 * 2. What is accepted and reaches a shell runs through the real planSteps and the real builders
 *    (buildCommand/buildStdin/buildDeleteCommand, pactusSecrets and pactus.sh's own decoder) in real
 *    bash, the way sshd runs it: every input arrives byte-identical and no canary file appears.
 * 3. What is accepted and reaches nginx or TOML files leaves their structure unchanged: the same
 *    tokens, the value only in its own tokens. (`nginx -t` on the variants is test/render/nginxCheck.)
 * 4. Self-checks, so the above can fail: an unquoted builder fires the canary and mangles an accepted
 *    URL, pactus.sh's former decoder corrupted passwords, and an unvalidated value breaks the nginx
 *    structure check.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import bcrypt from "bcryptjs";
import { parse as parseToml } from "smol-toml";
import {
  renderAll,
  renderCertbotHook,
  renderNginxHttp,
  renderNginxTls,
  renderPactusConfig,
  renderPactusUnit,
} from "../../components/render";
import {
  SUDO_CHECK,
  buildCommand,
  buildDeleteCommand,
  buildStdin,
  loadScript,
  pactusSecrets,
  planSteps,
  shq,
} from "../../components/steps";
import {
  ConfigError,
  GROUPS,
  KNOWN_KEYS,
  RawConfig,
  SECRET_KEYS,
  StackConfig,
  StackSecrets,
  fleetNodeConfigs,
  parseConfig,
} from "../../components/config";
import { METRICS_LINE, METRICS_PASSWORD, awsRaw, baseRaw, monitoringRaw } from "../helpers/config";

// ---------------------------------------------------------------------------------------------
// Payloads and keys
// ---------------------------------------------------------------------------------------------

type At = "alone" | "prefix" | "suffix";
const EVERYWHERE: At[] = ["alone", "prefix", "suffix"];

/** The smallest form of each hostile construct, so one refusal cannot hide behind another. */
const PAYLOADS: Record<string, { value: unknown; at: At[] }> = {
  semicolon: { value: ";", at: EVERYWHERE },
  commandSubstitution: { value: "$(id)", at: EVERYWHERE },
  backticks: { value: "`id`", at: EVERYWHERE },
  singleQuote: { value: "'", at: EVERYWHERE },
  doubleQuote: { value: '"', at: EVERYWHERE },
  newline: { value: "\n", at: EVERYWHERE },
  carriageReturn: { value: "\r", at: EVERYWHERE },
  tab: { value: "\t", at: EVERYWHERE },
  space: { value: " ", at: EVERYWHERE },
  braces: { value: "{}", at: EVERYWHERE }, // nginx block, nunjucks
  closingBrace: { value: "}", at: EVERYWHERE }, // closes an nginx block
  parameterExpansion: { value: "${HOME}", at: EVERYWHERE },
  backslash: { value: "\\", at: EVERYWHERE },
  nul: { value: "\0", at: EVERYWHERE },
  pipe: { value: "|", at: EVERYWHERE },
  ampersand: { value: "&", at: EVERYWHERE },
  redirect: { value: ">", at: EVERYWHERE },
  hash: { value: "#", at: EVERYWHERE }, // shell and nginx comment
  glob: { value: "*", at: EVERYWHERE },
  bang: { value: "!", at: EVERYWHERE }, // history expansion
  tilde: { value: "~", at: EVERYWHERE }, // tilde expansion, also after ":" in assignments
  percent: { value: "%", at: EVERYWHERE }, // systemd specifier
  leadingDash: { value: "-", at: ["alone", "prefix"] }, // argv option injection
  // Longer than one argv string may be (MAX_ARG_STRLEN, 128 KiB), of characters every whitelist allows.
  long: { value: "a".repeat(140_000), at: EVERYWHERE },
  object: { value: { x: "$(id)" }, at: ["alone"] },
  array: { value: ["$(id)"], at: ["alone"] },
};
const STRING_PAYLOADS = Object.keys(PAYLOADS).filter((p) => typeof PAYLOADS[p].value === "string");

type Kind = "string" | "enum" | "int" | "bool" | "list" | "secret";
/** Where a key's value goes: step inputs and rendered files are computed and checked below. */
type Reach =
  "step input" | "rendered file" | "secret stdin" | "ssh connection" | "cloud API" | "a choice";
interface KeySpec {
  kind: Kind;
  /** A valid value the payloads are put around. */
  valid: string;
  /** A valid value found nowhere else, to find where the key's value goes. */
  marker?: string;
  /** A config in which the key is read. */
  raw: () => RawConfig;
  reaches: Reach[];
}

const PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUVGVzdA==\n-----END CERTIFICATE-----";
const SSH_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
const MNEMONIC =
  "abandon ability able about above absent absorb abstract absurd abuse access accident";

// Basic auth is read only as a pair whose password matches the line's hash.
const AUTH_PASSWORD = "hostile-test-password";
const AUTH_LINE = `api:${bcrypt.hashSync(AUTH_PASSWORD, 4)}`;
function authRaw(): RawConfig {
  const raw = baseRaw();
  return {
    ...raw,
    secrets: {
      ...raw.secrets,
      "apis.basicAuth": AUTH_LINE,
      "apis.basicAuthPassword": AUTH_PASSWORD,
    },
  };
}

/** baseRaw with the wallet's backup (pactus.mnemonic) set. */
function mnemonicRaw(): RawConfig {
  const raw = baseRaw();
  return { ...raw, secrets: { ...raw.secrets, "pactus.mnemonic": MNEMONIC } };
}

const TSIG_SECRET = "c2VjcmV0LXRzaWcta2V5LWZvci10ZXN0cw==";
const CF_TOKEN = "0123456789abcdefghijABCDEFGHIJ_-012345ab";
/** baseRaw proving names by DNS-01 over RFC 2136 (dns.provider none). */
function rfcRaw(): RawConfig {
  const raw = baseRaw();
  return {
    ...raw,
    acme: {
      ...(raw.acme as object),
      challenge: "dns-01",
      dns01: { plugin: "rfc2136", server: "192.0.2.53", keyName: "acme-key." },
    },
    secrets: { ...raw.secrets, "acme.rfc2136Secret": TSIG_SECRET },
  };
}
/** awsRaw proving names by DNS-01 through the Cloudflare plugin and the hosts' own token. */
function cfDns01Raw(): RawConfig {
  const raw = awsRaw();
  return {
    ...raw,
    acme: { ...(raw.acme as object), challenge: "dns-01" },
    secrets: { ...raw.secrets, "acme.cloudflareToken": CF_TOKEN },
  };
}
/** An aws host whose names are proven through Route53 (its zone named in acme.dns01; dns none). */
function route53Raw(): RawConfig {
  const raw = awsRaw({ dns: { provider: "none" } });
  return {
    ...raw,
    acme: {
      ...(raw.acme as object),
      challenge: "dns-01",
      dns01: { plugin: "route53", zoneId: "Z0123456789ABCDEFGHIJ" },
    },
  };
}
/** rfcRaw with a shared name and a second existing host. */
function fleetRaw(): RawConfig {
  return {
    ...rfcRaw(),
    fleet: { publicName: "rpc.example.org", nodes: [{}, { address: "203.0.113.11" }] },
  };
}
/** Two new VMs behind a Cloudflare load balancer. */
function fleetAwsRaw(): RawConfig {
  const raw = cfDns01Raw();
  return {
    ...raw,
    dns: {
      provider: "cloudflare",
      zoneId: "0123456789abcdef0123456789abcdef",
      loadBalancer: true,
      accountId: "abcdef0123456789abcdef0123456789",
    },
    fleet: { publicName: "rpc.example.org", nodes: [{}, {}] },
  };
}

/** Every known config key. The test below fails when KNOWN_KEYS has a key this table lacks. */
const KEYS: Record<string, KeySpec> = {
  domain: {
    kind: "string",
    valid: "node.example.org",
    marker: "reach-probe.example.net",
    raw: baseRaw,
    reaches: ["step input", "rendered file"],
  },
  "acme.email": {
    kind: "string",
    valid: "ops@example.org",
    marker: "reach-probe@example.net",
    raw: baseRaw,
    reaches: ["step input"],
  },
  "acme.server": {
    kind: "string",
    valid: "https://acme.example.org/dir",
    marker: "https://reach-probe.example.net/dir",
    raw: baseRaw,
    reaches: ["step input"],
  },
  "acme.caBundle": {
    kind: "string",
    valid: PEM,
    marker: PEM.replace("VGVzdA==", "UmVhY2hQcm9iZQ=="),
    raw: baseRaw,
    reaches: ["step input", "rendered file"],
  },
  "acme.challenge": { kind: "enum", valid: "http-01", raw: baseRaw, reaches: ["a choice"] },
  // The DNS-01 keys and secrets are read by the certificate step; the secrets only on its stdin.
  "acme.cloudflareToken": {
    kind: "secret",
    valid: CF_TOKEN,
    raw: cfDns01Raw,
    reaches: ["secret stdin"],
  },
  "acme.rfc2136Secret": {
    kind: "secret",
    valid: TSIG_SECRET,
    raw: rfcRaw,
    reaches: ["secret stdin"],
  },
  "acme.dns01.plugin": { kind: "enum", valid: "rfc2136", raw: rfcRaw, reaches: ["a choice"] },
  "acme.dns01.propagationSeconds": {
    kind: "int",
    valid: "60",
    raw: rfcRaw,
    reaches: ["a choice"],
  },
  // The instance role's policy: TXT records of this zone only.
  "acme.dns01.zoneId": {
    kind: "string",
    valid: "Z0123456789ABCDEFGHIJ",
    marker: "Z9REACHPROBE",
    raw: route53Raw,
    reaches: ["cloud API"],
  },
  "acme.dns01.server": {
    kind: "string",
    valid: "192.0.2.53",
    marker: "198.51.100.53",
    raw: rfcRaw,
    // The credentials file certbot's rfc2136 plugin reads, written by the certificate step.
    reaches: ["step input", "rendered file"],
  },
  "acme.dns01.keyName": {
    kind: "string",
    valid: "acme-key.",
    marker: "reach-probe-key.",
    raw: rfcRaw,
    reaches: ["step input", "rendered file"],
  },
  "acme.dns01.algorithm": {
    kind: "enum",
    valid: "HMAC-SHA256",
    raw: rfcRaw,
    reaches: ["a choice"],
  },
  "dns.loadBalancer": { kind: "bool", valid: "false", raw: awsRaw, reaches: ["a choice"] },
  "dns.accountId": {
    kind: "string",
    valid: "abcdef0123456789abcdef0123456789",
    marker: "feedfacefeedfacefeedfacefeedf00d",
    raw: fleetAwsRaw,
    reaches: ["cloud API"],
  },
  "fleet.publicName": {
    kind: "string",
    valid: "rpc.example.org",
    marker: "reach-probe-rpc.example.net",
    raw: fleetRaw,
    reaches: ["step input", "rendered file"],
  },
  "fleet.nodes": { kind: "int", valid: "1", raw: baseRaw, reaches: ["a choice"] },
  // Node 1's own fields (fleet.nodes[1].<field>), as their host.* and domain counterparts.
  "fleet.nodes.domain": {
    kind: "string",
    valid: "node-b.example.org",
    marker: "reach-probe-2.example.net",
    raw: fleetRaw,
    reaches: ["step input", "rendered file"],
  },
  "fleet.nodes.address": {
    kind: "string",
    valid: "203.0.113.11",
    marker: "reach-probe-host2.example.net",
    raw: fleetRaw,
    reaches: ["ssh connection"],
  },
  "fleet.nodes.port": {
    kind: "int",
    valid: "22",
    raw: fleetRaw,
    reaches: ["ssh connection", "step input"],
  },
  "fleet.nodes.user": {
    kind: "string",
    valid: "root",
    marker: "reachprobe2",
    raw: fleetRaw,
    reaches: ["ssh connection"],
  },
  "fleet.nodes.availabilityZone": {
    kind: "string",
    valid: "eu-central-1b",
    marker: "eu-central-1-reachprobe-2a",
    raw: fleetAwsRaw,
    reaches: ["cloud API"],
  },
  "fleet.nodes.instanceType": {
    kind: "string",
    valid: "t3.small",
    marker: "x98reachprobe.large",
    raw: fleetAwsRaw,
    reaches: ["cloud API"],
  },
  "host.provider": { kind: "enum", valid: "existing", raw: baseRaw, reaches: ["a choice"] },
  "host.region": {
    kind: "string",
    valid: "eu-central-1",
    marker: "eu-reachprobe-9",
    raw: awsRaw,
    reaches: ["cloud API"],
  },
  "host.instanceType": {
    kind: "string",
    valid: "t3.small",
    // A type with a family generation (the CPU architecture is read from it).
    marker: "x99reachprobe.large",
    raw: awsRaw,
    reaches: ["cloud API"],
  },
  "host.diskGb": { kind: "int", valid: "30", raw: awsRaw, reaches: ["cloud API"] },
  // The EBS volume's size, and the data-disk step's input (it waits for a grown volume, then grows ext4).
  "host.dataDiskGb": {
    kind: "int",
    valid: "50",
    raw: awsRaw,
    reaches: ["cloud API", "step input"],
  },
  "host.availabilityZone": {
    kind: "string",
    valid: "eu-central-1b",
    marker: "eu-central-1-reachprobe-1a",
    raw: awsRaw,
    reaches: ["cloud API"],
  },
  "host.adminCidrs": {
    kind: "list",
    valid: "203.0.113.7/32",
    marker: "198.51.100.77/32",
    raw: awsRaw,
    reaches: ["cloud API"],
  },
  "host.allowSshFromAnywhere": { kind: "bool", valid: "false", raw: awsRaw, reaches: ["a choice"] },
  // The AMI lookup, and the SSH user (also on an existing host, where it only picks the default user).
  "host.os": {
    kind: "enum",
    valid: "debian-13",
    raw: awsRaw,
    reaches: ["cloud API", "ssh connection"],
  },
  // An IPv4 address also becomes the DNS wait's PSN_EXPECT_IP (lateEnv), quoted like every input.
  "host.address": {
    kind: "string",
    valid: "203.0.113.10",
    marker: "reach-probe-host.example.net",
    raw: baseRaw,
    reaches: ["ssh connection"],
  },
  "host.port": {
    kind: "int",
    valid: "22",
    raw: baseRaw,
    reaches: ["ssh connection", "step input"],
  },
  "host.user": {
    kind: "string",
    valid: "root",
    marker: "reachprobe",
    raw: baseRaw,
    reaches: ["ssh connection"],
  },
  "host.privateKey": {
    kind: "secret",
    valid: SSH_KEY,
    marker: SSH_KEY.replace("b3Bl", "UmVhY2hQcm9iZQ"),
    raw: baseRaw,
    reaches: ["ssh connection"],
  },
  "dns.provider": { kind: "enum", valid: "none", raw: baseRaw, reaches: ["a choice"] },
  "dns.zoneId": {
    kind: "string",
    valid: "0123456789abcdef0123456789abcdef",
    marker: "feedfacefeedfacefeedfacefeedface",
    raw: awsRaw,
    reaches: ["cloud API"],
  },
  "dns.ttl": { kind: "int", valid: "60", raw: awsRaw, reaches: ["cloud API"] },
  "dns.resolver": {
    kind: "string",
    valid: "1.1.1.1",
    marker: "198.51.100.79:5353",
    raw: baseRaw,
    reaches: ["step input"],
  },
  "dns.waitSeconds": { kind: "int", valid: "900", raw: baseRaw, reaches: ["step input"] },
  "pactus.version": {
    kind: "string",
    valid: "1.16.0",
    marker: "1.16.987",
    raw: baseRaw,
    reaches: ["step input", "rendered file"],
  },
  "pactus.network": {
    kind: "enum",
    valid: "mainnet",
    raw: baseRaw,
    reaches: ["step input", "rendered file"],
  },
  "pactus.releaseBaseUrl": {
    kind: "string",
    valid: "https://mirror.example.org/pactus",
    marker: "https://reach-probe.example.net/rel",
    raw: baseRaw,
    reaches: ["step input"],
  },
  "pactus.mnemonic": {
    kind: "secret",
    valid: MNEMONIC,
    marker: MNEMONIC.replace("abandon", "zebra"),
    raw: baseRaw,
    reaches: ["secret stdin"],
  },
  "pactus.walletPassword": {
    kind: "secret",
    valid: "correct horse battery",
    marker: "reach-probe-password",
    raw: baseRaw,
    reaches: ["secret stdin"],
  },
  "pactus.validators": { kind: "int", valid: "1", raw: baseRaw, reaches: ["step input"] },
  "pactus.purgeOnDestroy": { kind: "bool", valid: "false", raw: baseRaw, reaches: ["step input"] },
  "pactus.healthTimeoutSeconds": {
    kind: "int",
    valid: "180",
    raw: baseRaw,
    reaches: ["step input"],
  },
  // Read with the mnemonic set, so a refused value (read as its default, false) is the only problem.
  "pactus.allowNoBackup": { kind: "bool", valid: "true", raw: mnemonicRaw, reaches: ["a choice"] },
  "apis.grpcWeb": { kind: "bool", valid: "true", raw: baseRaw, reaches: ["a choice"] },
  "apis.jsonrpc": { kind: "bool", valid: "true", raw: baseRaw, reaches: ["a choice"] },
  "apis.http": { kind: "bool", valid: "true", raw: baseRaw, reaches: ["a choice"] },
  // Any change to either breaks the pair (format, or the password no longer matches the hash).
  "apis.basicAuth": { kind: "secret", valid: AUTH_LINE, raw: authRaw, reaches: ["secret stdin"] },
  "apis.basicAuthPassword": {
    kind: "secret",
    valid: AUTH_PASSWORD,
    raw: authRaw,
    reaches: ["secret stdin"],
  },
  "cors.origins": {
    kind: "list",
    valid: "https://ping.pactus.org",
    marker: "https://reach-probe.example.net",
    raw: baseRaw,
    reaches: ["step input", "rendered file"],
  },
  "cors.allowAny": { kind: "bool", valid: "false", raw: baseRaw, reaches: ["a choice"] },
  "nginx.rateLimit": {
    kind: "int",
    valid: "20",
    raw: baseRaw,
    reaches: ["step input", "rendered file"],
  },
  "backup.keepDays": { kind: "int", valid: "7", raw: awsRaw, reaches: ["cloud API"] },
  "nginx.cache": { kind: "bool", valid: "true", raw: baseRaw, reaches: ["a choice"] },
  "health.refreshSeconds": {
    kind: "int",
    valid: "10",
    raw: baseRaw,
    reaches: ["step input", "rendered file"],
  },
  "health.maxBlockAgeSeconds": {
    kind: "int",
    valid: "120",
    raw: baseRaw,
    reaches: ["step input", "rendered file"],
  },
  // Read with source CIDRs only, so the plan needs no credentials' digest.
  "monitoring.enabled": {
    kind: "bool",
    valid: "true",
    raw: () => monitoringRaw({ auth: false }),
    reaches: ["a choice"],
  },
  // nginx's allow lines (the nginx-tls step's input and the rendered site).
  "monitoring.allowCidrs": {
    kind: "list",
    valid: "203.0.113.0/24",
    marker: "198.51.100.77/32",
    raw: () => monitoringRaw({ auth: false }),
    reaches: ["step input", "rendered file"],
  },
  // As apis.basicAuth: the line goes to the monitoring step's secret stdin (nginx's htpasswd file);
  // its password is only compared with it.
  "monitoring.basicAuth": {
    kind: "secret",
    valid: METRICS_LINE,
    raw: () => monitoringRaw(),
    reaches: ["secret stdin"],
  },
  "monitoring.basicAuthPassword": {
    kind: "secret",
    valid: METRICS_PASSWORD,
    raw: () => monitoringRaw(),
    reaches: ["a choice"],
  },
};

/**
 * Precisely what the validator accepts, by key, payload and position. Everything else is refused.
 * - URLs that only reach a shell (always single-quoted) keep URL characters after the host.
 * - An e-mail address may start with "%" (RFC 5322 atext); it only reaches certbot's argv, quoted.
 * - The CA bundle, the mnemonic and the basic_auth line are trimmed/normalised: surrounding whitespace never arrives.
 * - The wallet password may hold any printable character (it travels base64-encoded on stdin);
 *   the SSH key only feeds the SSH client. Both are proven in part 2.
 */
const URL_CHARS = ["ampersand", "hash", "glob", "bang", "tilde", "percent"];
const WHITESPACE = ["newline", "carriageReturn", "tab", "space"];
const around = (names: string[], at: At[]) =>
  Object.fromEntries(names.map((n) => [n, at.filter((a) => PAYLOADS[n].at.includes(a))]));
const ACCEPTED: Record<string, Record<string, At[]>> = {
  "acme.email": { percent: ["prefix"] },
  "acme.server": around(URL_CHARS, ["suffix"]),
  "pactus.releaseBaseUrl": around(URL_CHARS, ["suffix"]),
  "acme.caBundle": around(WHITESPACE, ["prefix", "suffix"]),
  "pactus.mnemonic": around(WHITESPACE, ["prefix", "suffix"]),
  // htpasswd prints the line with a newline: surrounding whitespace is trimmed. A user may start with
  // "-": it only ever reaches config.toml (a quoted TOML string) and a base64 Authorization header.
  "apis.basicAuth": { ...around(WHITESPACE, ["prefix", "suffix"]), leadingDash: ["prefix"] },
  // The same for nginx's htpasswd line: "-user" is only ever a line of that file.
  "monitoring.basicAuth": { ...around(WHITESPACE, ["prefix", "suffix"]), leadingDash: ["prefix"] },
  "pactus.walletPassword": around(
    STRING_PAYLOADS.filter((p) => !["newline", "carriageReturn", "tab", "nul", "long"].includes(p)),
    ["prefix", "suffix"],
  ),
  "host.privateKey": around(STRING_PAYLOADS, ["prefix", "suffix"]),
  // The hosts' DNS-01 secrets are trimmed; they only ever reach a 0600 ini file (never argv).
  "acme.cloudflareToken": { ...around(WHITESPACE, ["prefix", "suffix"]), leadingDash: ["prefix"] },
  "acme.rfc2136Secret": around(WHITESPACE, ["prefix", "suffix"]),
};

function place(valid: string, payload: unknown, at: At): unknown {
  if (at === "alone") return payload;
  return at === "prefix" ? `${payload as string}${valid}` : `${valid}${payload as string}`;
}

/** The key a problem about `key` names: a fleet.nodes field is set on node 1's entry. */
function problemKey(key: string): string {
  return key.startsWith("fleet.nodes.") ? key.replace("fleet.nodes.", "fleet.nodes[1].") : key;
}

/** A raw config with `key` set to `value`, in a config where that key is read. */
function withKey(key: string, value: unknown): RawConfig {
  // An unknown field of a sub-group is set in a config that reads that sub-group.
  const spec: Pick<KeySpec, "kind" | "raw"> = KEYS[key] ?? {
    kind: "string",
    raw: key.startsWith("fleet.") ? fleetRaw : rfcRaw,
  };
  const raw = spec.raw();
  if (spec.kind === "secret")
    return { ...raw, secrets: { ...raw.secrets, [key]: value as string } };
  if (key === "domain") return { ...raw, domain: value };
  const groups = raw as unknown as Record<string, Record<string, unknown> | undefined>;
  if (key.startsWith("acme.dns01.")) {
    const acme = groups.acme ?? {};
    const dns01 = (acme.dns01 ?? {}) as Record<string, unknown>;
    return { ...raw, acme: { ...acme, dns01: { ...dns01, [key.split(".")[2]]: value } } };
  }
  if (key.startsWith("fleet.nodes.")) {
    const fleet = groups.fleet ?? {};
    const nodes = [...(fleet.nodes as Record<string, unknown>[])];
    nodes[1] = { ...nodes[1], [key.split(".")[2]]: value };
    return { ...raw, fleet: { ...fleet, nodes } };
  }
  const [group, field] = key.split(".");
  const current =
    (raw as unknown as Record<string, Record<string, unknown> | undefined>)[group] ?? {};
  return { ...raw, [group]: { ...current, [field]: spec.kind === "list" ? [value] : value } };
}

type Outcome =
  { ok: true; config: StackConfig; secrets: StackSecrets } | { ok: false; problems: string[] };
function outcome(raw: RawConfig): Outcome {
  try {
    return { ok: true, ...parseConfig(raw) };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { ok: false, problems: e.problems };
  }
}

const show = (v: unknown) => {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return JSON.stringify(
    s.length > 60 ? `${s.slice(0, 30)}…(${s.length} chars)…${s.slice(-20)}` : s,
  );
};

/** Every step input and every rendered file of a parsed config, as one string to search. */
function everythingSent(config: StackConfig): string {
  const steps = planSteps(config, { sshPort: 22, initPy: "" });
  const inputs = steps.flatMap((s) => [
    ...Object.values(s.env),
    ...Object.values(s.deleteEnv ?? {}),
  ]);
  return [...inputs, ...renderAll(config).map((f) => f.content)].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Shell harness (part 2 and 4)
// ---------------------------------------------------------------------------------------------

let tmp: string;
/** Any file appearing here means a shell evaluated something it should not have. */
let canary: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-hostile-"));
  canary = path.join(tmp, "canary");
  fs.mkdirSync(canary);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs a command the way sshd does (`bash -c <command>`, the step's stdin piped in), inside the canary dir. */
function runAsSshd(command: string, stdin: string): void {
  execFileSync("bash", ["-c", command], {
    input: stdin,
    cwd: canary,
    stdio: ["pipe", "ignore", "pipe"],
    maxBuffer: 64 << 20,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: canary, LANG: "C.UTF-8" },
  });
}

/** Canary files created so far (relative names), removing them so each test starts clean. */
function canaryFired(): string[] {
  const found = fs.readdirSync(canary);
  for (const f of found) fs.rmSync(path.join(canary, f), { recursive: true, force: true });
  return found;
}

/** A script that writes each named variable to <dir>/<name>, byte for byte. */
function probe(dir: string, names: string[], before = ""): string {
  fs.mkdirSync(dir, { recursive: true });
  return [
    "set -euo pipefail",
    before,
    ...names.map((n) => `printf '%s' "$${n}" >${shq(path.join(dir, n))}`),
  ].join("\n");
}

/** Compares a probe file to the expected value, reporting the first differing byte (values can be huge). */
function sameBytes(file: string, expected: string): string | undefined {
  if (!fs.existsSync(file)) return `${path.basename(file)}: never written`;
  const got = fs.readFileSync(file);
  const want = Buffer.from(expected, "utf8");
  if (got.equals(want)) return undefined;
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  return (
    `${path.basename(file)}: ${got.length} bytes, expected ${want.length}; first difference at byte ${i}: ` +
    `got ${JSON.stringify(got.subarray(i, i + 20).toString())}, expected ${JSON.stringify(want.subarray(i, i + 20).toString())}`
  );
}

/** pactus.sh's own PSN_SECRETS decoder, cut from the script the pactus step really runs. */
function secretDecoder(): string {
  const m = loadScript("pactus.sh").match(
    /^password=\$\(psn_secret WALLET_PASSWORD\)\n[\s\S]*?^unset PSN_SECRETS$/m,
  );
  if (!m) throw new Error("pactus.sh: the PSN_SECRETS decoder block moved; update hostile.test.ts");
  return m[0];
}
const LIB = fs.readFileSync(path.resolve(__dirname, "..", "..", "remote", "lib.sh"), "utf8");

/** Decodes wallet secrets with `decoder` and writes them with lib.sh's psn_write_file, as pactus.sh does. */
function secretProbe(dir: string, decoder: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const me = '"$(id -un):$(id -gn)"';
  return [
    "set -euo pipefail",
    LIB,
    decoder,
    `psn_write_file ${shq(path.join(dir, "wallet-password"))} 0600 ${me} "$password" || true`,
    `psn_write_file ${shq(path.join(dir, "mnemonic"))} 0600 ${me} "$mnemonic" || true`,
  ].join("\n");
}

/** Runs the pactus step's real stdin (pactusSecrets → buildStdin → bash) with a decoding probe. */
function decodeSecrets(
  password: string,
  mnemonic: string | undefined,
  decoder = secretDecoder(),
): { password?: string; mnemonic?: string } {
  const dir = fs.mkdtempSync(path.join(tmp, "secrets-"));
  try {
    runAsSshd(
      buildCommand("pactus", "0".repeat(64), false),
      buildStdin(
        "pactus",
        secretProbe(dir, decoder),
        {},
        pactusSecrets({ walletPassword: password, mnemonic }),
      ),
    );
  } catch {
    return {};
  }
  const read = (f: string) =>
    fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8") : undefined;
  return { password: read("wallet-password"), mnemonic: read("mnemonic") };
}

/** Shell payloads that each create a file in the canary dir if any shell ever evaluates them. */
function shellPayloads(): string[] {
  return [
    "$(touch subst)",
    "`touch backtick`",
    ";touch semicolon;",
    "'; touch squote; '",
    '"; touch dquote; "',
    "${IFS}$(touch${IFS}ifs)",
    "|touch pipe",
    "&& touch and",
    "& touch amp &",
    ">redirect",
    "{}};{ touch brace; }",
    "\\'$(touch bs)\\'",
    "#!~*%",
    "__PSN_SECRETS__",
    "EOF",
    ")",
    "$((1/0))",
  ];
}

// ---------------------------------------------------------------------------------------------
// 1. parseConfig: every key refuses every payload, naming the key
// ---------------------------------------------------------------------------------------------

describe("1. every config key refuses every hostile payload, naming that key", () => {
  test("KEYS lists exactly the known keys (a new key fails here until it is classified)", () => {
    // A field that is itself a sub-group (acme.dns01) is listed by its own fields; fleet.nodes
    // also takes a value of its own (a count).
    const known = [
      "domain",
      ...Object.entries(KNOWN_KEYS).flatMap(([g, fields]) =>
        fields.map((f) => `${g}.${f}`).filter((k) => !(k in KNOWN_KEYS) || k === "fleet.nodes"),
      ),
    ];
    expect(Object.keys(KEYS).sort()).toEqual(known.sort());
    for (const k of SECRET_KEYS) expect(KEYS[k].kind).toBe("secret");
  });

  test("every string in a parsed config comes from a listed key", () => {
    const leaves = (v: unknown, at: string): string[] =>
      typeof v === "string"
        ? [at]
        : Array.isArray(v)
          ? v.flatMap((x) => leaves(x, at))
          : v && typeof v === "object"
            ? Object.entries(v).flatMap(([k, x]) => leaves(x, at ? `${at}.${k}` : k))
            : [];
    const raws = [
      baseRaw({ acme: { email: "a@b.org", caBundle: PEM } }),
      awsRaw(),
      rfcRaw(),
      cfDns01Raw(),
      route53Raw(),
      fleetRaw(),
      fleetAwsRaw(),
    ];
    for (const raw of raws) {
      const { config } = parseConfig(raw);
      for (const leaf of leaves(config, "")) {
        // A node's host is parsed from host.* with the node's own fields over it.
        const key = leaf.replace(/^fleet\.nodes\.host\./, "host.");
        expect(Object.keys(KEYS)).toContain(key);
      }
    }
  });

  test("ACCEPTED names only real keys, payloads and positions", () => {
    for (const [key, byPayload] of Object.entries(ACCEPTED)) {
      expect(KEYS).toHaveProperty([key]);
      for (const [p, at] of Object.entries(byPayload)) {
        expect(PAYLOADS).toHaveProperty([p]);
        for (const a of at) expect(PAYLOADS[p].at).toContain(a);
      }
    }
  });

  const cases = Object.keys(KEYS).flatMap((key) =>
    Object.keys(PAYLOADS)
      // splitSecrets turns any secret into a string before validation: objects cannot arrive there.
      .filter((p) => !(KEYS[key].kind === "secret" && typeof PAYLOADS[p].value !== "string"))
      .map((p) => [key, p] as [string, string]),
  );

  test.each(cases)("%s ← %s", (key, name) => {
    const spec = KEYS[key];
    for (const at of PAYLOADS[name].at) {
      const value = place(spec.valid, PAYLOADS[name].value, at);
      const r = outcome(withKey(key, value));
      const what = `${key} = ${show(value)} (${name}, ${at})`;
      if (ACCEPTED[key]?.[name]?.includes(at)) {
        if (!r.ok)
          throw new Error(`${what}: listed as accepted but refused: ${r.problems.join("; ")}`);
        continue;
      }
      if (r.ok) throw new Error(`${what}: accepted, and ACCEPTED does not list it`);
      expect(r.problems.length).toBeGreaterThan(0);
      for (const p of r.problems) {
        if (!p.startsWith(`${problemKey(key)}: `))
          throw new Error(`${what}: a problem names another key: ${p.slice(0, 200)}`);
        // Echoed values are JSON-quoted: no raw control character reaches the error output.
        // eslint-disable-next-line no-control-regex -- control characters are what must not appear
        expect(p).not.toMatch(/[\x00-\x1f\x7f]/);
        if (spec.kind === "secret") expect(p).not.toContain(spec.valid.slice(0, 12));
      }
    }
  });

  test("hostile field names and non-object groups are refused with their key", () => {
    const dns01 = outcome(withKey("acme.dns01.$(id);{}", "x"));
    expect(!dns01.ok && dns01.problems).toContainEqual(
      expect.stringMatching(/^acme\.dns01\.\$\(id\);\{\}: unknown key/),
    );
    const node = outcome(withKey("fleet.nodes.$(id);{}", "x"));
    expect(!node.ok && node.problems).toContainEqual(
      expect.stringMatching(/^fleet\.nodes\[1\]\.\$\(id\);\{\}: unknown key/),
    );
    for (const group of GROUPS) {
      const bad = outcome({ ...baseRaw(), [group]: { "$(id);{}": "x" } });
      expect(bad.ok).toBe(false);
      expect(!bad.ok && bad.problems).toContainEqual(
        expect.stringMatching(new RegExp(`^${group}\\.\\$\\(id\\);\\{\\}: unknown key`)),
      );
      const notObject = outcome({ ...baseRaw(), [group]: "$(id)" });
      expect(!notObject.ok && notObject.problems).toContainEqual(
        expect.stringMatching(new RegExp(`^${group}: must be an object`)),
      );
    }
  });

  test("where each key's value goes: step inputs and rendered files as declared, nothing else", () => {
    for (const [key, spec] of Object.entries(KEYS)) {
      if (!spec.marker) continue;
      const r = outcome(withKey(key, spec.marker));
      if (!r.ok)
        throw new Error(`${key}: marker ${show(spec.marker)} refused: ${r.problems.join("; ")}`);
      // Every node's steps and files (a fleet.nodes field reaches its node's).
      const nodes = fleetNodeConfigs(r.config);
      const inputs = nodes
        .flatMap((c) => planSteps(c, { sshPort: 22, initPy: "", acmeDnsSecretDigest: "digest" }))
        .flatMap((s) => [...Object.values(s.env), ...Object.values(s.deleteEnv ?? {})]);
      const got = {
        "step input": inputs.some((v) => v.includes(spec.marker!)),
        "rendered file": nodes.some((c) =>
          renderAll(c).some((f) => f.content.includes(spec.marker!)),
        ),
      };
      expect({ key, ...got }).toEqual({
        key,
        "step input": spec.reaches.includes("step input"),
        "rendered file": spec.reaches.includes("rendered file"),
      });
    }
  });

  // A value under a key the chosen provider does not read is dropped: it reaches nothing.
  const IGNORED: [string, () => RawConfig][] = [
    ...[
      "host.region",
      "host.instanceType",
      "host.diskGb",
      "host.dataDiskGb",
      "host.availabilityZone",
      "host.adminCidrs",
      "host.allowSshFromAnywhere",
    ].map((k) => [k, baseRaw] as [string, () => RawConfig]),
    // host.user on aws is checked against the image's user (validate.test.ts), so not dropped.
    ...["host.address", "host.port"].map((k) => [k, awsRaw] as [string, () => RawConfig]),
    ...["dns.zoneId", "dns.ttl"].map((k) => [k, baseRaw] as [string, () => RawConfig]),
  ];
  test.each(IGNORED)("%s, unused by the chosen provider, is dropped", (key, raw) => {
    const hostile = "PSNMARK;$(id)`id`'\"\n{}}${HOME}\\";
    const [group, field] = key.split(".");
    const base = raw();
    const current = (base as unknown as Record<string, Record<string, unknown>>)[group] ?? {};
    const r = outcome({
      ...base,
      [group]: { ...current, [field]: KEYS[key].kind === "list" ? [hostile] : hostile },
    });
    if (!r.ok) throw new Error(r.problems.join("; "));
    expect(JSON.stringify(r.config)).not.toContain("PSNMARK");
    expect(everythingSent(r.config)).not.toContain("PSNMARK");
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Accepted values that reach a shell: real builders, real bash, byte-identical, no canary
// ---------------------------------------------------------------------------------------------

/** One base64 line per 48 bytes, CRLF line ends, surrounding whitespace: what the validator trims and keeps. */
function bigPem(bytes: number): string {
  const body = Buffer.alloc(bytes, 0xfb)
    .toString("base64")
    .match(/.{1,64}/g)!
    .join("\r\n");
  return ` \r\n-----BEGIN CERTIFICATE-----\r\n${body}\r\n-----END CERTIFICATE-----\r\n-----BEGIN CERTIFICATE-----\r\nMIIB\r\n-----END CERTIFICATE-----\r\n\t`;
}

/** Every accepted hostile-looking value at once (part 1 shows nothing worse gets through). */
function acceptedRaw(password: string): RawConfig {
  return baseRaw({
    domain: "xn--p1ai-9z.node-01.example.org",
    acme: {
      email: "ops+pactus%relay@example.org",
      server: "https://acme.example.org:14000/dir/~x/!*,=+%41@y?a=1&b=[2]#frag&",
      // 200 KB: more than one argv string may hold, so it can only have travelled on stdin.
      caBundle: bigPem(150_000),
    },
    host: { provider: "existing", address: "2001:db8::10", port: 2222, user: "deploy-user_1" },
    dns: { provider: "none", resolver: "[2001:db8::53]:5353", waitSeconds: 5 },
    pactus: {
      network: "mainnet",
      version: "1.16.0",
      releaseBaseUrl: "https://mirror.example.org/pactus/~ops/a&b*!%41,=+@x#",
    },
    cors: {
      origins: ["https://ping.pactus.org", "http://localhost:3000", "https://[2001:db8::1]:8443"],
    },
    nginx: { rateLimit: 7 },
    secrets: {
      "pactus.walletPassword": password,
      "pactus.mnemonic": `\t ${MNEMONIC.split(" ").join("  \t")} \n`,
      "host.privateKey": `${SSH_KEY}${shellPayloads().join(" ")}`,
    },
  });
}

const HOSTILE_PASSWORD = `pässwörd☃ ${shellPayloads().join(" ")}`;

describe("2. accepted values reach the shell byte-identical through the real builders", () => {
  test("every step's create and delete input arrives byte-identical; nothing is evaluated", () => {
    const { config, secrets } = parseConfig(acceptedRaw(HOSTILE_PASSWORD));
    expect(config.acme.caBundle!.length).toBeGreaterThan(131072);
    const steps = planSteps(config, { sshPort: 2222 });
    expect(steps.map((s) => s.name)).toEqual([
      "wait-for-ssh",
      "base",
      "pactus",
      "nginx-bootstrap",
      "wait-for-dns",
      "certificate",
      "nginx-tls",
      "health",
      "verify",
    ]);
    // Secrets are in no step input: only the pactus step's secret stdin carries them.
    const plain = JSON.stringify(steps);
    for (const s of [secrets.walletPassword!, secrets.mnemonic!, secrets.privateKey!, "pässwörd"])
      expect(plain).not.toContain(s);

    const failures: string[] = [];
    let checked = 0;
    for (const step of steps) {
      const cmd = buildCommand(step.name, step.hash, false);
      // sudo only prefixes the same command (after its fixed password check, SUDO_CHECK), so running it
      // without sudo is the same test.
      expect(buildCommand(step.name, step.hash, true)).toBe(`${SUDO_CHECK} sudo -n ${cmd}`);
      expect(cmd).not.toMatch(/[\n'"$`;&|<>]/);
      const dir = path.join(tmp, "steps", step.name);
      let script = probe(dir, Object.keys(step.env));
      if (step.secretStdin)
        script += `\n${secretProbe(path.join(dir, "secrets"), secretDecoder())}`;
      const secretsIn = step.secretStdin
        ? pactusSecrets({ walletPassword: secrets.walletPassword!, mnemonic: secrets.mnemonic })
        : undefined;
      runAsSshd(cmd, buildStdin(step.name, script, step.env, secretsIn));
      for (const [k, v] of Object.entries(step.env)) {
        const f = sameBytes(path.join(dir, k), v);
        if (f) failures.push(`${step.name} ${f}`);
        checked++;
      }
      if (step.secretStdin) {
        for (const [f, want] of [
          ["wallet-password", secrets.walletPassword!],
          ["mnemonic", secrets.mnemonic!],
        ]) {
          const bad = sameBytes(path.join(dir, "secrets", f), want);
          if (bad) failures.push(`${step.name} ${bad}`);
          expect(fs.statSync(path.join(dir, "secrets", f)).mode & 0o777).toBe(0o600);
          checked++;
        }
      }
      if (step.deleteScript) {
        const del = buildDeleteCommand(
          `${step.name}-delete`,
          probe(`${dir}-delete`, Object.keys(step.deleteEnv ?? {})),
          step.deleteEnv ?? {},
          false,
        );
        expect(
          buildDeleteCommand(`${step.name}-delete`, "x", step.deleteEnv ?? {}, true).startsWith(
            `${SUDO_CHECK} sudo -n env `,
          ),
        ).toBe(true);
        // A delete runs inline: its stdin (the create script) must not run.
        runAsSshd(del, "touch delete-stdin-ran\n");
        for (const [k, v] of Object.entries(step.deleteEnv ?? {})) {
          const f = sameBytes(path.join(`${dir}-delete`, k), v);
          if (f) failures.push(`${step.name}-delete ${f}`);
          checked++;
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(40);
    expect(canaryFired()).toEqual([]);
  });

  /** The hostile password grown to a UTF-8 length of `residue` mod 3: base64 padding "", "==" or "=". */
  const padded = (residue: number) => {
    let pw = HOSTILE_PASSWORD;
    while (Buffer.byteLength(pw) % 3 !== residue) pw += "x";
    return pw;
  };
  const passwords: [string, string][] = [
    ["hostile, no base64 padding", padded(0)],
    ['hostile, base64 padding "=="', padded(1)],
    ['hostile, base64 padding "="', padded(2)],
    ['8 characters, base64 padding "="', "12345678"],
    ["leading dash and spaces", "-p --password-from-file=/etc/shadow  "],
    ["64 KiB", `${"ab$(x)".repeat(10922)}abcd`],
  ];
  test.each(passwords)(
    "wallet password (%s) and mnemonic arrive byte-identical via pactus.sh's decoder",
    (_what, password) => {
      const { secrets } = parseConfig(acceptedRaw(password));
      expect(secrets.walletPassword).toBe(password);
      expect(pactusSecrets({ walletPassword: password })).toMatch(
        { 0: /[^=]\n$/, 1: /[^=]==\n$/, 2: /[^=]=\n$/ }[Buffer.byteLength(password) % 3]!,
      );
      const got = decodeSecrets(secrets.walletPassword!, secrets.mnemonic);
      expect(got.password === password).toBe(true);
      expect(got.mnemonic).toBe(MNEMONIC);
      expect(canaryFired()).toEqual([]);
    },
  );

  test("the SSH key, accepted with anything after its PEM block, reaches no step input and no file", () => {
    const { config, secrets } = parseConfig(acceptedRaw(HOSTILE_PASSWORD));
    expect(secrets.privateKey).toContain("$(touch subst)");
    expect(everythingSent(config)).not.toContain("b3BlbnNzaC1rZXktdjEAAAAA");
    expect(everythingSent(config)).not.toContain("__PSN_SECRETS__");
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Accepted values in nginx and TOML files: the structure does not move
// ---------------------------------------------------------------------------------------------

type Tok = { kind: "word" | "string" | "{" | "}" | ";"; v: string };

/** nginx's lexer (ngx_conf_read_token), enough for our sites: words, quoted strings, ; { }, # comments. */
function nginxTokens(conf: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < conf.length) {
    const c = conf[i];
    if (/\s/.test(c)) i++;
    else if (c === "#") while (i < conf.length && conf[i] !== "\n") i++;
    else if (c === ";" || c === "{" || c === "}") {
      out.push({ kind: c, v: c });
      i++;
    } else if (c === '"' || c === "'") {
      let v = "";
      i++;
      while (i < conf.length && conf[i] !== c) {
        if (conf[i] === "\\" && i + 1 < conf.length) i++;
        v += conf[i++];
      }
      if (i >= conf.length) throw new Error("unterminated quoted string");
      i++;
      out.push({ kind: "string", v });
    } else {
      let v = "";
      // As in nginx, a word ends at whitespace, ";" or "{" (not "${"); a "}" inside a word is part of it.
      while (i < conf.length && (!/[\s;{]/.test(conf[i]) || (conf[i] === "{" && v.endsWith("$")))) {
        if (conf[i] === "\\" && i + 1 < conf.length) v += conf[i++];
        v += conf[i++];
      }
      out.push({ kind: "word", v });
    }
  }
  return out;
}

/**
 * Differences between two renders beyond the substituted values: every token must have the same
 * kind, and its text must be the baseline's with the values swapped. Returns the differences.
 */
function structuralDiff(base: string, other: string, swap: [string, string][]): string[] {
  const a = nginxTokens(base);
  const b = nginxTokens(other);
  const diffs: string[] = [];
  if (a.length !== b.length) diffs.push(`${b.length} tokens, baseline ${a.length}`);
  for (let i = 0; i < Math.min(a.length, b.length) && diffs.length < 5; i++) {
    const want = swap.reduce((s, [from, to]) => s.split(from).join(to), a[i].v);
    if (a[i].kind !== b[i].kind || b[i].v !== want)
      diffs.push(
        `token ${i}: ${b[i].kind} ${JSON.stringify(b[i].v)}, expected ${a[i].kind} ${JSON.stringify(want)}`,
      );
  }
  return diffs;
}

describe("3. accepted values leave the nginx, TOML, unit and hook structure unchanged", () => {
  const ORIGINS = [
    "https://ping.pactus.org",
    "http://localhost:3000",
    "https://[2001:db8::1]:8443",
  ];
  const BASE_ORIGINS = [
    "https://a1.example.com",
    "https://a2.example.com",
    "https://a3.example.com",
  ];
  const longDomain = (label: string) =>
    `${label}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(57)}.example.org`;
  const pairs: [string, string, string][] = [
    ["a short name with digits and hyphens", "zz.example.com", "xn--p1ai-9z.node-01.example.org"],
    [
      "a 253-character name (server_names_hash_bucket_size)",
      longDomain("a".repeat(55)),
      longDomain(`${"x-1".repeat(18)}z`),
    ],
  ];

  test.each(pairs)(
    "%s and the accepted origins change only their own tokens",
    (_what, baseDomain, domain) => {
      // Same server_names_hash_bucket_size in both renders: both under 40 characters, or equally long.
      expect(
        domain.length === baseDomain.length || (domain.length < 40 && baseDomain.length < 40),
      ).toBe(true);
      const base = parseConfig(
        baseRaw({ domain: baseDomain, cors: { origins: BASE_ORIGINS } }),
      ).config;
      const cfg = parseConfig(baseRaw({ domain, cors: { origins: ORIGINS } })).config;
      const swap: [string, string][] = [
        [baseDomain, domain],
        ...BASE_ORIGINS.map((o, i) => [o, ORIGINS[i]] as [string, string]),
      ];
      for (const render of [renderNginxHttp, renderNginxTls]) {
        expect(structuralDiff(render(base), render(cfg), swap)).toEqual([]);
      }
      // Each origin is one quoted string, a map key nginx does not read as a regex ("~") or a variable ("$").
      const toks = nginxTokens(renderNginxTls(cfg));
      for (const o of ORIGINS) {
        const at = toks.filter((t) => t.v.includes(o));
        expect(at).toEqual([{ kind: "string", v: o }]);
        expect(o).toMatch(/^https?:\/\/[^~$\\"'\s;{}]+$/);
      }
      // The domain is never a quoted string, never more than one token.
      for (const tok of toks.filter((t) => t.v.includes(domain))) expect(tok.kind).toBe("word");
    },
  );

  test("config.toml holds the origins verbatim and nothing else moves", () => {
    const base = parseToml(
      renderPactusConfig(parseConfig(baseRaw({ cors: { origins: BASE_ORIGINS } })).config),
    ) as Record<string, Record<string, unknown>>;
    const doc = parseToml(
      renderPactusConfig(parseConfig(baseRaw({ cors: { origins: ORIGINS } })).config),
    ) as Record<string, Record<string, unknown>>;
    expect(doc.jsonrpc.origins).toEqual(ORIGINS);
    expect({ ...doc, jsonrpc: { ...doc.jsonrpc, origins: BASE_ORIGINS } }).toEqual(base);
  });

  test("the unit and the certbot hook differ from a baseline only by the domain, which stays inside its case pattern", () => {
    const domain = "xn--p1ai-9z.node-01.example.org";
    const base = parseConfig(baseRaw({ domain: "zz.example.com" })).config;
    const cfg = parseConfig(baseRaw({ domain, cors: { origins: ORIGINS } })).config;
    expect(renderPactusUnit(cfg)).toBe(renderPactusUnit(base));
    const hook = renderCertbotHook(cfg);
    expect(hook).toBe(renderCertbotHook(base).split("zz.example.com").join(domain));
    expect(hook.split("\n").filter((l) => l.includes(domain))).toEqual([`  *" ${domain} "*) ;;`]);
    execFileSync("sh", ["-n"], { input: hook });
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Self-checks: the checks above can fail
// ---------------------------------------------------------------------------------------------

/** A builder that forgets to quote: what the real one must never be. */
function unquotedStdin(script: string, env: Record<string, string>): string {
  return `${Object.entries(env)
    .map(([k, v]) => `${k}=${v}\n`)
    .join("")}psn_step() {\n${script}\n}\npsn_step </dev/null\n`;
}

/** pactus.sh's decoder before this test found it dropping a lone "=" of base64 padding. */
const FORMER_DECODER = `password="" mnemonic=""
while IFS='=' read -r key value; do
  case "$key" in
    WALLET_PASSWORD) password=$(printf '%s' "$value" | base64 -d) ;;
    MNEMONIC) mnemonic=$(printf '%s' "$value" | base64 -d) ;;
  esac
done <<<"\${PSN_SECRETS:-}"
unset PSN_SECRETS`;

describe("4. self-checks", () => {
  test("an unquoted builder fires the canary; the real builder, with the same value, does not", () => {
    const env = { PSN_X: "$(touch fired-subst)`touch fired-backtick`" };
    const dir = path.join(tmp, "self-unquoted");
    const script = probe(dir, ["PSN_X"]);
    runAsSshd(buildCommand("t", "0".repeat(64), false), unquotedStdin(script, env));
    expect(canaryFired().sort()).toEqual(["fired-backtick", "fired-subst"]);
    runAsSshd(buildCommand("t", "0".repeat(64), false), buildStdin("t", script, env));
    expect(canaryFired()).toEqual([]);
    expect(sameBytes(path.join(dir, "PSN_X"), env.PSN_X)).toBeUndefined();
  });

  test("the byte comparison catches an accepted URL mangled by an unquoted builder", () => {
    const { config } = parseConfig(acceptedRaw(HOSTILE_PASSWORD));
    const env = { PSN_ACME_SERVER: config.acme.server };
    const dir = path.join(tmp, "self-mangled");
    const script = probe(dir, ["PSN_ACME_SERVER"]).replace("set -euo pipefail", "set -eo pipefail");
    runAsSshd(buildCommand("t", "0".repeat(64), false), unquotedStdin(script, env));
    expect(sameBytes(path.join(dir, "PSN_ACME_SERVER"), env.PSN_ACME_SERVER)).toMatch(
      /first difference/,
    );
    runAsSshd(buildCommand("t", "0".repeat(64), false), buildStdin("t", script, env));
    expect(sameBytes(path.join(dir, "PSN_ACME_SERVER"), env.PSN_ACME_SERVER)).toBeUndefined();
    canaryFired();
  });

  test("the former secret decoder lost 8-character passwords; the current one does not", () => {
    expect(decodeSecrets("12345678", undefined, FORMER_DECODER).password).toBeUndefined();
    expect(decodeSecrets("12345678", undefined).password).toBe("12345678");
    expect(secretDecoder()).not.toMatch(/^\s*while IFS='='/m);
  });

  test("the nginx structure check catches a value that skipped validation", () => {
    const good = parseConfig(baseRaw()).config;
    // The templates do not escape (autoescape is off): validation is what keeps these out.
    const origin =
      'https://x.org" $http_origin; } server { listen 8080; return 200 "pwned"; } map $a $b { "x';
    const domain =
      "node.example.org; } server { listen 8081; return 200 pwned; } server { server_name x";
    const badOrigin: StackConfig = { ...good, cors: { ...good.cors, origins: [origin] } };
    const badDomain: StackConfig = { ...good, domain };
    expect(
      structuralDiff(renderNginxTls(good), renderNginxTls(badOrigin), [
        ["https://ping.pactus.org", origin],
      ]),
    ).not.toEqual([]);
    expect(
      structuralDiff(renderNginxHttp(good), renderNginxHttp(badDomain), [
        ["node.example.org", domain],
      ]),
    ).not.toEqual([]);
    // … and validation refuses both.
    expect(outcome(baseRaw({ cors: { origins: [origin] } }))).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/^cors\.origins: /)],
    });
    expect(outcome(baseRaw({ domain }))).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/^domain: /)],
    });
  });
});
