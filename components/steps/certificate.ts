/** The certificate: wait until the name points at the host, then get it over HTTP-01. */
import { renderCertbotDropIn, renderCertbotHook } from "../render";
import { StepContext, StepDraft, loadScript } from "./plan";

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

export function certificateStep({ cfg, p }: StepContext): StepDraft {
  // acme.caBundle: certbot trusts the private CA through its drop-in.
  const ca: Record<string, string> = cfg.acme.caBundle
    ? {
        PSN_CA_BUNDLE: cfg.acme.caBundle,
        PSN_CA_BUNDLE_PATH: p.acmeCaBundle,
        PSN_DROPIN: renderCertbotDropIn(p),
        PSN_DROPIN_PATH: p.certbotDropIn,
      }
    : {};
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
    },
    deleteScript: loadScript("certificate-delete.sh"),
    deleteEnv: {
      PSN_DOMAIN: cfg.domain,
      PSN_CERT_DIR: p.certDir,
      PSN_HOOK_PATH: p.certbotHook,
      ...(cfg.acme.caBundle
        ? { PSN_CA_BUNDLE_PATH: p.acmeCaBundle, PSN_DROPIN_PATH: p.certbotDropIn }
        : {}),
    },
  };
}
