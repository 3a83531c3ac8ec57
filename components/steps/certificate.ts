/**
 * The certificate: wait until the name points at the host, then get it over HTTP-01 (the webroot), or
 * over DNS-01 (acme.challenge dns-01: certbot's plugin for the zone's DNS) for the node's name and the
 * fleet's shared name, which HTTP-01 cannot prove.
 */
import type { StackConfig } from "../config/types";
import {
  DNS01_PLUGINS,
  type HostPaths,
  dns01CredentialsPath,
  renderCertbotDropIn,
  renderCertbotHook,
  renderDns01CredentialsHead,
} from "../render";
import { StepContext, StepDraft, loadScript } from "./plan";
import { dns01Secrets } from "./secrets";

export function waitForDnsStep({ cfg }: StepContext): StepDraft {
  return {
    name: "wait-for-dns",
    script: loadScript("wait-dns.sh"),
    env: {
      PSN_DOMAIN: cfg.domain,
      PSN_RESOLVER: cfg.dns.resolver,
      PSN_TIMEOUT: String(cfg.dns.waitSeconds),
    },
  };
}

export function certificateStep({ cfg, opts, p, state }: StepContext): StepDraft {
  // acme.caBundle: certbot trusts the private CA through its drop-in.
  const ca: Record<string, string> = cfg.acme.caBundle
    ? {
        PSN_CA_BUNDLE: cfg.acme.caBundle,
        PSN_CA_BUNDLE_PATH: p.acmeCaBundle,
        PSN_DROPIN: renderCertbotDropIn(p),
        PSN_DROPIN_PATH: p.certbotDropIn,
      }
    : {};
  const dns = dns01Plan(cfg, p, opts.acmeDnsSecretDigest);
  return {
    name: "certificate",
    script: loadScript("certificate.sh"),
    env: {
      PSN_DOMAIN: cfg.domain,
      PSN_CERT_DIR: p.certDir,
      PSN_EMAIL: cfg.acme.email,
      PSN_ACME_SERVER: cfg.acme.server,
      PSN_WEBROOT: p.acmeWebroot,
      PSN_HOOK: renderCertbotHook(cfg),
      PSN_HOOK_PATH: p.certbotHook,
      ...ca,
      // DNS-01: psn_apt_install records the plugin package in the state dir for the base step's undo.
      ...state,
      ...(dns?.env ?? {}),
    },
    deleteScript: loadScript("certificate-delete.sh"),
    deleteEnv: {
      PSN_DOMAIN: cfg.domain,
      PSN_CERT_DIR: p.certDir,
      PSN_HOOK_PATH: p.certbotHook,
      ...(cfg.acme.caBundle
        ? { PSN_CA_BUNDLE_PATH: p.acmeCaBundle, PSN_DROPIN_PATH: p.certbotDropIn }
        : {}),
      ...(dns?.credentialsPath ? { PSN_DNS_CREDENTIALS_PATH: dns.credentialsPath } : {}),
    },
    ...(dns?.secret
      ? {
          secrets: [dns.secret],
          formatSecrets: dns01Secrets(dns.secret),
          hashSecrets: [dns.digest],
        }
      : {}),
  };
}

/** The names the certificate covers: the node's own and, with DNS-01, the fleet's shared name. */
export function certificateNames(cfg: StackConfig): string[] {
  const shared = cfg.fleet.publicName;
  return cfg.acme.challenge === "dns-01" && shared && shared !== cfg.domain
    ? [cfg.domain, shared]
    : [cfg.domain];
}

/**
 * With acme.challenge dns-01: the plugin's inputs (names, package, credentials file without its
 * secret line, propagation wait) and the secret the host reads on stdin; undefined with http-01.
 */
function dns01Plan(cfg: StackConfig, p: HostPaths, digest: string | undefined) {
  if (cfg.acme.challenge !== "dns-01") return undefined;
  const d = cfg.acme.dns01;
  if (!d) throw new Error("certificateStep: acme.challenge is dns-01 but acme.dns01 is not set");
  const plugin = DNS01_PLUGINS[d.plugin];
  const credentialsPath = d.plugin === "route53" ? "" : dns01CredentialsPath(p, d.plugin);
  const secret = "secret" in plugin ? plugin.secret : undefined;
  if (secret && !digest)
    throw new Error(`certificateStep: acme.dns01 ${d.plugin} needs acmeDnsSecretDigest`);
  return {
    credentialsPath,
    secret,
    digest,
    env: {
      PSN_CHALLENGE: "dns-01",
      PSN_NAMES: certificateNames(cfg).join(" "),
      PSN_DNS_PLUGIN: d.plugin,
      PSN_DNS_PACKAGE: plugin.package,
      PSN_DNS_CREDENTIALS_PATH: credentialsPath,
      PSN_DNS_CREDENTIALS: renderDns01CredentialsHead(d) ?? "",
      PSN_DNS_SECRET_KEY: "secretKey" in plugin ? plugin.secretKey : "",
      PSN_DNS_PROPAGATION: d.plugin === "route53" ? "" : String(d.propagationSeconds),
      // Another plugin's credentials, left by an earlier config: removed, no secret lingers.
      PSN_DNS_STALE_CREDENTIALS: [p.dns01CredentialsCloudflare, p.dns01CredentialsRfc2136]
        .filter((f) => f !== credentialsPath)
        .join(" "),
    },
  };
}
