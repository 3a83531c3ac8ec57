/**
 * The secret keys, pure: split out of the raw groups so validation sees them apart from plain values,
 * their validated values, and the digests that let a step's hash follow a secret without holding it.
 */
import { createHash } from "node:crypto";
import { SECRET_KEYS } from "./keys";
import {
  OPAQUE_SECRET,
  type RawConfig,
  type RawSecret,
  type SecretName,
  type StackSecrets,
} from "./types";

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

/** The secrets' values, once validated (opaque ones are left out: nothing here can know them). */
export function secretValues(raw: Record<string, RawSecret>): StackSecrets {
  const secrets: StackSecrets = {};
  for (const [k, field] of [
    ["pactus.walletPassword", "walletPassword"],
    ["pactus.mnemonic", "mnemonic"],
    ["host.privateKey", "privateKey"],
    ["apis.basicAuth", "basicAuth"],
    ["apis.basicAuthPassword", "basicAuthPassword"],
    ["monitoring.basicAuth", "monitoringBasicAuth"],
    ["acme.cloudflareToken", "acmeCloudflareToken"],
    ["acme.rfc2136Secret", "acmeRfc2136Secret"],
  ] as const) {
    const v = raw[k];
    if (typeof v !== "string") continue;
    // htpasswd prints its line with a newline (and a blank line) after it: only the line counts.
    secrets[field] =
      field === "mnemonic"
        ? v.trim().split(/\s+/).join(" ")
        : field === "basicAuth" ||
            field === "monitoringBasicAuth" ||
            field === "acmeCloudflareToken" ||
            field === "acmeRfc2136Secret"
          ? v.trim()
          : v;
  }
  return secrets;
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
 * The secrets whose change must re-run the steps that read them, and how their digest is made: the
 * htpasswd lines (their password follows the line, which must match it).
 */
export const SECRET_DIGESTS: { readonly [K in SecretName]?: (value: string) => string } = {
  basicAuth: basicAuthDigest,
  monitoringBasicAuth: monitoringAuthDigest,
  acmeCloudflareToken: (v) => dns01SecretDigest("acme.cloudflareToken", v),
  acmeRfc2136Secret: (v) => dns01SecretDigest("acme.rfc2136Secret", v),
};

/**
 * As basicAuthDigest, for the certificate step's hash with DNS-01: the sha256 of the plugin's secret (a
 * random API token or TSIG key, so its digest tells nothing of it).
 */
export function dns01SecretDigest(key: string, value: string): string {
  return createHash("sha256").update(`pactus-secure-node ${key}\n${value}`).digest("hex");
}
