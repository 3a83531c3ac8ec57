/**
 * The stack configuration: `parseConfig` validates raw values, pure (no Pulumi, no I/O), so `pulumi up`
 * and the offline `npm run render` (tools/render.ts) give the same errors (except that render takes a
 * required secret that is not set as a placeholder: ParseOptions). Every value that later reaches a
 * rendered file or a shell command passes a whitelist first. The rules of each group are in its own
 * file (host.ts, dns.ts, pactus.ts, ...); field helpers in fields.ts, types in types.ts.
 *
 * `loadConfig` is the only place that reads pulumi.Config; secrets leave it only as secret Outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseAcme } from "./acme";
import { parseApis, parseCors } from "./apis";
import { parseBackup } from "./backup";
import { parseDns } from "./dns";
import { parseDomain } from "./domain";
import { ConfigError, Problems } from "./fields";
import { parseHealth } from "./health";
import { parseHost } from "./host";
import { GROUPS } from "./keys";
import { parseMonitoring } from "./monitoring";
import { parseNginx } from "./nginx";
import { parsePactus } from "./pactus";
import { SECRET_DIGESTS, secretValues, splitSecrets } from "./secrets";
import {
  PROJECT,
  type ParseOptions,
  type ParsedConfig,
  type RawConfig,
  type SecretName,
  type StackConfig,
  type StackSecrets,
} from "./types";

export * from "./types";
export { GROUPS, KNOWN_KEYS, SECRET_KEYS } from "./keys";
export { ConfigError, domainProblem } from "./fields";
export { ACME_SERVERS } from "./acme";
export { DEFAULT_CORS_ORIGINS, PING_ORIGIN } from "./apis";
export { availabilityZoneOf, instanceArch } from "./host";
export { BASIC_AUTH_USER, BCRYPT_COSTS, BCRYPT_HASH } from "./htpasswd";
export {
  DEFAULT_HEALTH_TIMEOUT_SECONDS,
  DEFAULT_PACTUS_VERSION,
  DEFAULT_RELEASE_BASE_URL,
} from "./pactus";
export { WALLET_NEW } from "./wallet";
export { basicAuthDigest, monitoringAuthDigest, splitSecrets } from "./secrets";

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

/** Each secret that is set, as a secret Output. */
export type SecretOutputs = { readonly [K in SecretName]?: pulumi.Output<string> };

/**
 * The stack's secrets as one typed bundle: each StackSecrets field that is set, as a secret Output,
 * and the digests (SECRET_DIGESTS) through which step hashes follow a secret without holding it. The
 * host reads privateKey; each step's plan names the fields it reads on its stdin (StepPlan.secrets).
 */
export interface NodeSecrets extends SecretOutputs {
  readonly digests: { readonly [K in SecretName]?: string };
}

/** The bundle of validated secrets (parseConfig's `secrets`). */
export function nodeSecrets(secrets: StackSecrets): NodeSecrets {
  const values: { [K in SecretName]?: pulumi.Output<string> } = {};
  const digests: { [K in SecretName]?: string } = {};
  for (const [name, value] of Object.entries(secrets) as [SecretName, string | undefined][]) {
    if (value === undefined) continue;
    values[name] = pulumi.secret(value);
    const digest = SECRET_DIGESTS[name];
    if (digest) digests[name] = digest(value);
  }
  return { ...values, digests };
}

export interface LoadedConfig {
  config: StackConfig;
  secrets: NodeSecrets;
}

/** Whether the engine holds `key` encrypted (a group containing a `--secret --path` value is). */
function isSecretKey(key: string): boolean {
  // runtime.isConfigSecret is marked @internal in the SDK's typings; it reads PULUMI_CONFIG_SECRET_KEYS.
  const internal = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean })
    .isConfigSecret;
  if (internal) return internal(key);
  const keys: unknown = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]");
  return Array.isArray(keys) && keys.includes(key);
}

export function loadConfig(): LoadedConfig {
  const cfg = new pulumi.Config(PROJECT);
  const groups: Record<string, unknown> = { domain: cfg.get("domain") };
  for (const g of GROUPS) groups[g] = cfg.getObject(g);
  const raw = splitSecrets(groups, (g) => isSecretKey(`${PROJECT}:${g}`));
  const cloudflareToken =
    new pulumi.Config("cloudflare").get("apiToken") !== undefined ||
    !!process.env.CLOUDFLARE_API_TOKEN;
  let parsed: ParsedConfig;
  try {
    parsed = parseConfig({ ...raw, cloudflareToken });
  } catch (e) {
    // A RunError is what Pulumi prints as the program's own error: `error:` and the problems, without
    // the "unhandled exception" stack trace (and the error's fields) it prints for any other throw.
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
  return { config: parsed.config, secrets: nodeSecrets(parsed.secrets) };
}
