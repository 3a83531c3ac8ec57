import { isIP } from "node:net";
import { Problems, bool, group, int, oneOf, str } from "./fields";
import type { StackConfig } from "./types";

/** A Route53 hosted zone id as the console shows it (Z and upper-case letters and digits). */
export const ROUTE53_ZONE_ID = /^Z[A-Z0-9]{1,32}$/;

export function hostPort(v: string): boolean {
  const m = v.match(/^(\[[0-9a-fA-F:]+\]|[0-9.]+)(?::(\d{1,5}))?$/);
  if (!m) return false;
  const ip = m[1].replace(/^\[|\]$/g, "");
  return isIP(ip) !== 0 && (m[2] === undefined || (Number(m[2]) > 0 && Number(m[2]) < 65536));
}

/**
 * dns: who points the names at the hosts (cloudflare, route53, or none: the operator), and how the host
 * waits for its record. `cloudflareToken` is false when pulumi up has no Cloudflare API token.
 */
export function parseDns(
  raw: unknown,
  cloudflareToken: boolean | undefined,
  p: Problems,
): StackConfig["dns"] {
  const d = group(raw, "dns", p);
  const provider = oneOf(
    str(d, "provider", "dns.provider", p),
    ["cloudflare", "route53", "none"] as const,
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
  if (provider === "route53") {
    // AWS credentials come from the aws provider's own chain (environment, profile, role).
    const zoneId = str(d, "zoneId", "dns.zoneId", p);
    if (!zoneId)
      p.add(
        "dns.zoneId",
        "missing for dns.provider route53; copy the Hosted zone ID (Z…) from the Route53 console",
      );
    else if (!ROUTE53_ZONE_ID.test(zoneId))
      p.add(
        "dns.zoneId",
        `${JSON.stringify(zoneId)} is not a Route53 hosted zone id (Z and upper-case letters or digits, e.g. Z0123456789ABCDEFGHIJ)`,
      );
    return {
      provider,
      zoneId: zoneId ?? "",
      ttl: int(d, "ttl", "dns.ttl", 60, 1, 86400, p),
      resolver,
      waitSeconds,
    };
  }
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
  const loadBalancer = bool(d, "loadBalancer", "dns.loadBalancer", false, p);
  const accountId = loadBalancer ? str(d, "accountId", "dns.accountId", p) : undefined;
  if (loadBalancer && !accountId)
    p.add(
      "dns.accountId",
      "missing for dns.loadBalancer; load balancer monitors and pools belong to the account: copy the Account ID from the Cloudflare dashboard's Overview page",
    );
  else if (accountId !== undefined && !/^[0-9a-f]{32}$/.test(accountId))
    p.add(
      "dns.accountId",
      `${JSON.stringify(accountId)} is not a Cloudflare account id (32 hex characters)`,
    );
  return {
    provider: "cloudflare",
    zoneId: zoneId ?? "",
    ttl: int(d, "ttl", "dns.ttl", 60, 60, 86400, p),
    resolver,
    waitSeconds,
    loadBalancer,
    ...(accountId !== undefined ? { accountId } : {}),
  };
}
