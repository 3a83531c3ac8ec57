import { isIP } from "node:net";
import { Problems, group, int, oneOf, str } from "./fields";
import type { StackConfig } from "./types";

function hostPort(v: string): boolean {
  const m = v.match(/^(\[[0-9a-fA-F:]+\]|[0-9.]+)(?::(\d{1,5}))?$/);
  if (!m) return false;
  const ip = m[1].replace(/^\[|\]$/g, "");
  return isIP(ip) !== 0 && (m[2] === undefined || (Number(m[2]) > 0 && Number(m[2]) < 65536));
}

/**
 * dns: who points the name at the host (cloudflare, or none: the operator), and how the host waits for
 * the record. `cloudflareToken` is false when pulumi up has no Cloudflare API token.
 */
export function parseDns(
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
    loadBalancer: false,
  };
}
