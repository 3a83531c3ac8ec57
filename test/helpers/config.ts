import { hashSync } from "bcryptjs";
import { PING_ORIGIN, RawConfig, StackConfig, parseConfig } from "../../components/config";

/**
 * The pactus group of baseRaw: a mainnet node whose operator backs up the wallet file (no
 * pactus.mnemonic), so tests that are not about the backup can leave it out. Spread it into a
 * `pactus` override that should stay valid.
 */
export const BASE_PACTUS = { network: "mainnet", validators: 1, allowNoBackup: true } as const;

/** A valid existing-host configuration; tests override one value at a time. */
export function baseRaw(over: Partial<RawConfig> = {}): RawConfig {
  return {
    domain: "node.example.org",
    acme: { email: "ops@example.org", server: "staging" },
    host: { provider: "existing", address: "203.0.113.10", port: 22, user: "root" },
    dns: { provider: "none" },
    pactus: BASE_PACTUS,
    apis: { grpcWeb: true, jsonrpc: true, http: true },
    cors: { origins: [PING_ORIGIN] },
    secrets: {
      "pactus.walletPassword": "correct horse battery",
      "host.privateKey":
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    },
    ...over,
  };
}

/** A valid AWS configuration. */
export function awsRaw(over: Partial<RawConfig> = {}): RawConfig {
  return baseRaw({
    host: {
      provider: "aws",
      region: "eu-central-1",
      adminCidrs: ["203.0.113.7/32", "2001:db8::/48"],
    },
    dns: { provider: "cloudflare", zoneId: "0123456789abcdef0123456789abcdef" },
    secrets: { "pactus.walletPassword": "correct horse battery" },
    cloudflareToken: true,
    ...over,
  });
}

export function cfg(over: Partial<RawConfig> = {}): StackConfig {
  return parseConfig(baseRaw(over)).config;
}

/** The problems parseConfig reports, or [] when it accepts the input. */
export function problems(raw: RawConfig): string[] {
  try {
    parseConfig(raw);
    return [];
  } catch (e) {
    return (e as { problems?: string[] }).problems ?? [String(e)];
  }
}

/** monitoring.basicAuth's password and htpasswd line (bcrypt cost 4: fast) in monitoringRaw. */
export const METRICS_PASSWORD = "scrape-me-please";
export const METRICS_LINE = `prometheus:${hashSync(METRICS_PASSWORD, 4)}`;

/** baseRaw with monitoring on: credentials and/or source CIDRs (both by default). */
export function monitoringRaw(
  opts: { auth?: boolean; cidrs?: string[] } = {},
  over: Partial<RawConfig> = {},
): RawConfig {
  const raw = baseRaw(over);
  const auth = opts.auth ?? true;
  return {
    ...raw,
    monitoring: { enabled: true, allowCidrs: opts.cidrs ?? ["203.0.113.0/24", "2001:db8::/32"] },
    secrets: {
      ...raw.secrets,
      ...(auth
        ? { "monitoring.basicAuth": METRICS_LINE, "monitoring.basicAuthPassword": METRICS_PASSWORD }
        : {}),
    },
  };
}

/**
 * A fleet of `nodes` existing hosts (203.0.113.10, .11, …) named node.example.org, node-2.example.org, …
 * behind the shared name rpc.example.org (DNS-01 through rfc2136: a shared name needs it).
 */
export function fleetRaw(nodes = 3, over: Partial<RawConfig> = {}): RawConfig {
  const raw = baseRaw();
  return {
    ...raw,
    acme: {
      ...(raw.acme as object),
      dns01: { plugin: "rfc2136", server: "192.0.2.53", keyName: "acme-key." },
    },
    fleet: {
      publicName: "rpc.example.org",
      nodes: Array.from({ length: nodes }, (_, i) =>
        i === 0 ? {} : { address: `203.0.113.${10 + i}` },
      ),
    },
    secrets: { ...raw.secrets, "acme.rfc2136Secret": "c2VjcmV0LXRzaWcta2V5LWZvci10ZXN0cw==" },
    ...over,
  };
}
