import { isIP } from "node:net";
import { ROUTE53_ZONE_ID } from "./dns";
import { Problems, group, int, oneOf, safeUrl, str } from "./fields";
import type { DnsConfig, RawSecret, StackConfig } from "./types";

export const ACME_SERVERS = {
  production: "https://acme-v02.api.letsencrypt.org/directory",
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;
/** RFC 5321: a forward path holds at most 256 octets, so an address at most 254. */
const MAX_EMAIL = 254;
const EMAIL =
  /^[A-Za-z0-9._%+-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

/**
 * acme: the account's e-mail, the ACME directory and an optional private CA; the challenge is
 * parseChallenge's (it needs the fleet and DNS), http-01 until then.
 */
export function parseAcme(raw: unknown, p: Problems): StackConfig["acme"] {
  const a = group(raw, "acme", p);
  const email = str(a, "email", "acme.email", p);
  if (!email)
    p.add(
      "acme.email",
      "missing; Let's Encrypt sends expiry notices there: `pulumi config set --path acme.email ops@example.org`",
    );
  else if (email.length > MAX_EMAIL)
    p.add(
      "acme.email",
      `is ${email.length} characters long; an e-mail address has at most ${MAX_EMAIL}`,
    );
  else if (!EMAIL.test(email))
    p.add("acme.email", `${JSON.stringify(email)} is not an e-mail address, e.g. ops@example.org`);
  else if (email.startsWith("-"))
    p.add(
      "acme.email",
      `${JSON.stringify(email)} starts with "-", which certbot would read as an option; use an address that starts with a letter or digit`,
    );
  const serverRaw = str(a, "server", "acme.server", p) ?? "production";
  let server: string = ACME_SERVERS.production;
  if (serverRaw === "production" || serverRaw === "staging") server = ACME_SERVERS[serverRaw];
  else if (/^[a-z]+:\/\//i.test(serverRaw)) {
    const u = safeUrl(serverRaw, "acme.server", ["https"], p);
    if (u) server = serverRaw;
  } else
    p.add(
      "acme.server",
      `unknown value ${JSON.stringify(serverRaw)}; use production, staging, or the https URL of an ACME directory`,
    );
  const caBundle = str(a, "caBundle", "acme.caBundle", p);
  if (caBundle !== undefined) {
    const lines = caBundle.trim().split(/\r?\n/);
    const ok =
      /^-----BEGIN CERTIFICATE-----$/.test(lines[0]) &&
      /^-----END CERTIFICATE-----$/.test(lines[lines.length - 1]) &&
      lines.every((l) => /^(-----(BEGIN|END) CERTIFICATE-----|[A-Za-z0-9+/=]{1,76})$/.test(l));
    if (!ok)
      p.add(
        "acme.caBundle",
        "must be PEM certificates (-----BEGIN CERTIFICATE----- …); set it with `pulumi config set --path acme.caBundle < ca.pem`",
      );
  }
  return {
    email: email ?? "",
    server,
    staging: server !== ACME_SERVERS.production,
    challenge: "http-01",
    ...(caBundle ? { caBundle: caBundle.trim() + "\n" } : {}),
  };
}

const ALGORITHMS = ["HMAC-SHA256", "HMAC-SHA384", "HMAC-SHA512"] as const;
/** A TSIG key name: DNS name characters (as tsig-keygen writes them), trailing dot optional. */
const KEY_NAME =
  /^(?=.{1,254}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;
/** An API token as Cloudflare issues them (40 URL-safe characters; a little room either way). */
const CLOUDFLARE_TOKEN = /^[A-Za-z0-9_-]{20,200}$/;
/** A TSIG secret: base64, as tsig-keygen prints it. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The IP address and port of acme.dns01.server: `IP`, `IP:port` or `[IPv6]:port`. */
function serverAddress(v: string): { server: string; port: number } | undefined {
  if (isIP(v) !== 0) return { server: v, port: 53 };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(v);
  if (!m) return undefined;
  const ip = m[1] ?? m[2];
  const port = Number(m[3]);
  if (isIP(ip) === 0 || port < 1 || port > 65535) return undefined;
  return { server: ip, port };
}

/**
 * acme.challenge and acme.dns01: how each host proves its names. HTTP-01 cannot prove a shared name
 * (the CA reaches one node of several), so fleet.publicName takes DNS-01, through certbot's plugin for
 * the zone's DNS; the plugin follows dns.provider unless acme.dns01.plugin names one.
 */
export function parseChallenge(
  raw: unknown,
  ctx: {
    publicName?: string;
    dns: DnsConfig;
    hostProvider?: "aws" | "existing";
    secrets: Record<string, RawSecret>;
  },
  p: Problems,
): Pick<StackConfig["acme"], "challenge" | "dns01"> {
  const a =
    raw && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const given = oneOf(
    str(a, "challenge", "acme.challenge", p),
    ["http-01", "dns-01"] as const,
    undefined,
    "acme.challenge",
    p,
  );
  if (given === "http-01" && ctx.publicName !== undefined)
    p.add(
      "acme.challenge",
      `http-01 cannot prove fleet.publicName ${JSON.stringify(ctx.publicName)} (the CA would reach one node of several); set dns-01 or remove the key (dns-01 is the default with fleet.publicName)`,
    );
  const challenge = given ?? (ctx.publicName !== undefined ? "dns-01" : "http-01");
  const d = group(a.dns01, "acme.dns01", p);
  if (challenge !== "dns-01") {
    if (Object.keys(d).length > 0)
      p.add(
        "acme.dns01",
        "is set, but acme.challenge is http-01; set `acme.challenge dns-01` or remove acme.dns01",
      );
    return { challenge };
  }
  const dnsPlugin =
    ctx.dns.provider === "cloudflare" || ctx.dns.provider === "route53"
      ? ctx.dns.provider
      : undefined;
  const plugin = oneOf(
    str(d, "plugin", "acme.dns01.plugin", p),
    ["cloudflare", "route53", "rfc2136"] as const,
    dnsPlugin,
    "acme.dns01.plugin",
    p,
  );
  if (plugin === undefined) {
    if (d.plugin === undefined)
      p.add(
        "acme.dns01.plugin",
        "missing with dns.provider none; name the DNS that serves the zone: cloudflare, route53 or rfc2136 (`pulumi config set --path acme.dns01.plugin rfc2136`)",
      );
    return { challenge };
  }
  if (plugin === "route53") {
    if (ctx.hostProvider !== "aws")
      p.add(
        "acme.dns01.plugin",
        "route53 proves names with the AWS instance role, and host.provider existing has none; use cloudflare or rfc2136, or host.provider aws",
      );
    const own = str(d, "zoneId", "acme.dns01.zoneId", p);
    const zoneId = own ?? (ctx.dns.provider === "route53" ? ctx.dns.zoneId : undefined);
    if (zoneId === undefined)
      p.add(
        "acme.dns01.zoneId",
        "missing; the Route53 hosted zone id (Z…) of the names, needed unless dns.provider is route53 (then dns.zoneId)",
      );
    else if (own !== undefined && !ROUTE53_ZONE_ID.test(own))
      p.add(
        "acme.dns01.zoneId",
        `${JSON.stringify(own)} is not a Route53 hosted zone id (Z and upper-case letters or digits)`,
      );
    return { challenge, dns01: { plugin, zoneId: zoneId ?? "" } };
  }
  const propagationSeconds = int(
    d,
    "propagationSeconds",
    "acme.dns01.propagationSeconds",
    plugin === "cloudflare" ? 10 : 60,
    0,
    3600,
    p,
  );
  if (plugin === "cloudflare") {
    const token = ctx.secrets["acme.cloudflareToken"];
    if (token === undefined)
      p.missingSecret({
        key: "acme.cloudflareToken",
        when: "for acme.dns01.plugin cloudflare",
        fix: "the hosts' own API token, Zone.DNS edit of the one zone (not cloudflare:apiToken): `pulumi config set --path --secret acme.cloudflareToken <token>`",
      });
    else if (typeof token === "string" && !CLOUDFLARE_TOKEN.test(token.trim()))
      p.add(
        "acme.cloudflareToken",
        "is not a Cloudflare API token (letters, digits, - and _); create one with Zone.DNS edit of the one zone and set it with `pulumi config set --path --secret acme.cloudflareToken <token>`",
      );
    return { challenge, dns01: { plugin, propagationSeconds } };
  }
  const serverRaw = str(d, "server", "acme.dns01.server", p);
  const addr = serverRaw !== undefined ? serverAddress(serverRaw) : undefined;
  if (serverRaw === undefined)
    p.add(
      "acme.dns01.server",
      "missing for acme.dns01.plugin rfc2136; the IP address of the zone's primary server, optionally with :port (e.g. 192.0.2.53 or 192.0.2.53:5353)",
    );
  else if (!addr)
    p.add(
      "acme.dns01.server",
      `${JSON.stringify(serverRaw)} is not an IP address with an optional port; certbot's rfc2136 plugin takes no hostname: set e.g. 192.0.2.53 or [2001:db8::53]:53`,
    );
  const keyRaw = str(d, "keyName", "acme.dns01.keyName", p);
  if (keyRaw === undefined)
    p.add(
      "acme.dns01.keyName",
      "missing for acme.dns01.plugin rfc2136; the TSIG key's name as the server knows it, e.g. acme-key.",
    );
  else if (!KEY_NAME.test(keyRaw))
    p.add("acme.dns01.keyName", `${JSON.stringify(keyRaw)} is not a TSIG key name, e.g. acme-key.`);
  const algRaw = str(d, "algorithm", "acme.dns01.algorithm", p) ?? "HMAC-SHA256";
  const algorithm = (ALGORITHMS as readonly string[]).includes(algRaw.toUpperCase())
    ? (algRaw.toUpperCase() as (typeof ALGORITHMS)[number])
    : undefined;
  if (!algorithm)
    p.add(
      "acme.dns01.algorithm",
      `unknown value ${JSON.stringify(algRaw)}; use one of: ${ALGORITHMS.join(", ")} (default HMAC-SHA256)`,
    );
  const secret = ctx.secrets["acme.rfc2136Secret"];
  if (secret === undefined)
    p.missingSecret({
      key: "acme.rfc2136Secret",
      when: "for acme.dns01.plugin rfc2136",
      fix: "the TSIG key's secret (base64, as tsig-keygen prints it): `pulumi config set --path --secret acme.rfc2136Secret <base64>`",
    });
  else if (
    typeof secret === "string" &&
    (!BASE64.test(secret.trim()) || secret.trim() === "" || secret.length > 1024)
  )
    p.add(
      "acme.rfc2136Secret",
      "is not base64; set the TSIG key's secret as tsig-keygen prints it: `pulumi config set --path --secret acme.rfc2136Secret <base64>`",
    );
  return {
    challenge,
    dns01: {
      plugin,
      propagationSeconds,
      server: addr?.server ?? "",
      port: addr?.port ?? 53,
      keyName: keyRaw === undefined ? "" : keyRaw.endsWith(".") ? keyRaw : `${keyRaw}.`,
      algorithm: algorithm ?? "HMAC-SHA256",
    },
  };
}
