/**
 * The stack configuration: `parseConfig` validates raw values, pure (no Pulumi, no I/O), so `pulumi up`
 * and the offline `npm run render` (tools/render.ts) give the same errors (except that render takes a
 * required secret that is not set as a placeholder: ParseOptions). Every value that later reaches a
 * rendered file or a shell command passes a whitelist first. The rules of each group are in its own
 * file (host.ts, dns.ts, pactus.ts, ...); field helpers in fields.ts, types in types.ts.
 *
 * `loadConfig` (load.ts) is the only place that reads pulumi.Config; secrets leave it only as secret
 * Outputs. This file does not load the Pulumi SDK, so the offline render starts without it.
 */
import { parseAcme, parseChallenge } from "./acme";
import { parseApis, parseCors } from "./apis";
import { parseBackup } from "./backup";
import { parseDns } from "./dns";
import { parseDomain } from "./domain";
import { ConfigError, Problems } from "./fields";
import { parseFleet } from "./fleet";
import { parseHealth } from "./health";
import { parseHost } from "./host";
import { parseMonitoring } from "./monitoring";
import { parseNginx } from "./nginx";
import { parsePactus } from "./pactus";
import { secretValues } from "./secrets";
import { type ParseOptions, type ParsedConfig, type RawConfig } from "./types";

export * from "./types";
export { GROUPS, KNOWN_KEYS, SECRET_KEYS } from "./keys";
export { ConfigError, domainProblem } from "./fields";
export { ACME_SERVERS } from "./acme";
export { MAX_NODES, ROUTE53_MAX_ANSWERS, fleetNodeConfigs, nodeDomain } from "./fleet";
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
export type { LoadedConfig, NodeSecrets, SecretOutputs } from "./load";

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
  const fleet = parseFleet(
    raw.fleet,
    { domain, host, rawHost: raw.host, dns, secrets: raw.secrets },
    p,
  );
  const challenge = parseChallenge(
    raw.acme,
    {
      publicName: fleet.publicName,
      dns,
      hostProvider: host?.provider,
      secrets: raw.secrets,
    },
    p,
  );
  if (p.list.length > 0 || !host) throw new ConfigError(p.list, p.missingSecrets);
  return {
    config: {
      domain,
      acme: { ...acme, ...challenge },
      host,
      dns,
      fleet,
      pactus,
      apis,
      cors,
      nginx,
      backup,
      health,
      monitoring,
    },
    secrets: secretValues(raw.secrets),
    missingSecrets: p.missingSecrets,
  };
}
