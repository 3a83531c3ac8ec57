import { Problems, group, safeUrl, str } from "./fields";
import type { StackConfig } from "./types";

export const ACME_SERVERS = {
  production: "https://acme-v02.api.letsencrypt.org/directory",
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;
/** RFC 5321: a forward path holds at most 256 octets, so an address at most 254. */
const MAX_EMAIL = 254;
const EMAIL =
  /^[A-Za-z0-9._%+-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

/** acme: the account's e-mail, the ACME directory and an optional private CA. */
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
