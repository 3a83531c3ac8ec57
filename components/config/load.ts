/**
 * The only place that reads pulumi.Config: the stack's values through `parseConfig`, its secrets as
 * one bundle of secret Outputs (NodeSecrets). A config problem is thrown as Pulumi's own RunError.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./fields";
import { parseConfig } from "./index";
import { GROUPS } from "./keys";
import { SECRET_DIGESTS, splitSecrets } from "./secrets";
import {
  PROJECT,
  type ParsedConfig,
  type SecretName,
  type StackConfig,
  type StackSecrets,
} from "./types";

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
