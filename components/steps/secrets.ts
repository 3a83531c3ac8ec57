/** The secret stdin formats of the steps, and what the steps that call the node read. */
import type { SecretValues } from "./plan";

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

/** What a step that calls the node with basic auth reads (health, verify): API_USER and API_PASSWORD. */
export const API_CREDENTIALS = {
  secrets: ["basicAuth", "basicAuthPassword"] as const,
  formatSecrets: (v: SecretValues): string =>
    verifySecrets({ basicAuth: v.basicAuth ?? "", password: v.basicAuthPassword ?? "" }),
};

/**
 * The certificate step's secret with DNS-01 (cloudflare, rfc2136): DNS_SECRET, the API token or the
 * TSIG key's base64 secret, which the host writes into the plugin's credentials file (0600).
 */
export function dns01Secrets(name: "acmeCloudflareToken" | "acmeRfc2136Secret") {
  return (v: SecretValues): string => secretLines({ DNS_SECRET: v[name] });
}
