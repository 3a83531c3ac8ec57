/**
 * The only place that reads pulumi.Config. Values are validated by the pure `parseConfig` before any
 * resource exists; secrets leave here only as secret Outputs.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import {
  GROUPS,
  OPAQUE_SECRET,
  PROJECT,
  RawConfig,
  RawSecret,
  SECRET_KEYS,
  StackConfig,
  parseConfig,
} from "./validate";

export * from "./validate";

export interface LoadedConfig {
  config: StackConfig;
  walletPassword: pulumi.Output<string>;
  mnemonic?: pulumi.Output<string>;
  privateKey?: pulumi.Output<string>;
  /** apis.basicAuth and apis.basicAuthPassword (both or neither). */
  basicAuth?: { line: pulumi.Output<string>; password: pulumi.Output<string>; digest: string };
  /** monitoring.basicAuth: nginx's htpasswd line for /metrics/ and its digest. */
  monitoringAuth?: { line: pulumi.Output<string>; digest: string };
}

/**
 * What the pactus step's hash may know of the basic_auth line: its sha256. The line's bcrypt salt is
 * random and secret, so the digest tells nothing about the password; it changes whenever the line does.
 */
export function basicAuthDigest(line: string): string {
  return createHash("sha256").update(`pactus-secure-node basic_auth\n${line}`).digest("hex");
}

/** As basicAuthDigest, for the monitoring step's hash: the sha256 of monitoring.basicAuth's line. */
export function monitoringAuthDigest(line: string): string {
  return createHash("sha256").update(`pactus-secure-node metrics htpasswd\n${line}`).digest("hex");
}

/**
 * Splits the secret fields out of the groups so validation sees them apart from plain values.
 * `isSecret(group, value)` tells whether a value was stored encrypted.
 */
export function splitSecrets(
  groups: Record<string, unknown>,
  isSecret: (group: string, value: unknown) => boolean,
): Omit<RawConfig, "cloudflareToken"> {
  const secrets: Record<string, RawSecret> = {};
  const plaintextSecrets: string[] = [];
  const copy: Record<string, unknown> = { ...groups };
  for (const key of SECRET_KEYS) {
    const [g, field] = key.split(".");
    const obj = copy[g];
    if (obj && typeof obj === "object" && !Array.isArray(obj) && field in obj) {
      const { [field]: value, ...rest } = obj as Record<string, unknown>;
      copy[g] = rest;
      if (value === undefined || value === null || value === "") continue;
      secrets[key] =
        value === OPAQUE_SECRET
          ? OPAQUE_SECRET
          : typeof value === "string"
            ? value
            : JSON.stringify(value);
      if (!isSecret(g, value)) plaintextSecrets.push(key);
    }
  }
  return { ...copy, secrets, plaintextSecrets };
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
  const { config, secrets } = parseConfig({ ...raw, cloudflareToken });
  return {
    config,
    walletPassword: pulumi.secret(secrets.walletPassword!),
    mnemonic: secrets.mnemonic === undefined ? undefined : pulumi.secret(secrets.mnemonic),
    privateKey: secrets.privateKey === undefined ? undefined : pulumi.secret(secrets.privateKey),
    basicAuth:
      secrets.basicAuth === undefined || secrets.basicAuthPassword === undefined
        ? undefined
        : {
            line: pulumi.secret(secrets.basicAuth),
            password: pulumi.secret(secrets.basicAuthPassword),
            digest: basicAuthDigest(secrets.basicAuth),
          },
    monitoringAuth:
      secrets.monitoringBasicAuth === undefined
        ? undefined
        : {
            line: pulumi.secret(secrets.monitoringBasicAuth),
            digest: monitoringAuthDigest(secrets.monitoringBasicAuth),
          },
  };
}
