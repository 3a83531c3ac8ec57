/** nginx: the port-80 site (ACME webroot and redirect) first, the TLS site once there is a certificate. */
import type { StackConfig } from "../config/types";
import { renderNginxHttp, renderNginxTls, renderStatusFiles } from "../render";
import { StepContext, StepDraft, loadScript } from "./plan";

/**
 * The status page files as "<name> <base64>" lines: plain text the host decodes with base64, built
 * without a tar binary (GNU tar's reproducibility flags do not exist on macOS, where operators run up).
 */
function statusBundle(cfg: StackConfig): string {
  return (
    renderStatusFiles(cfg)
      .map((f) => {
        if (!/^[a-z0-9][a-z0-9._-]*$/.test(f.name))
          throw new Error(`status page file ${f.name}: file names must be [a-z0-9._-]`);
        return `${f.name} ${Buffer.from(f.content, "utf8").toString("base64")}`;
      })
      .join("\n") + "\n"
  );
}

export function nginxBootstrapStep({ cfg, p, state }: StepContext): StepDraft {
  return {
    name: "nginx-bootstrap",
    script: loadScript("nginx-bootstrap.sh"),
    env: {
      PSN_HTTP_CONF: renderNginxHttp(cfg),
      PSN_SITE_PATH: p.nginxHttpSite,
      PSN_WEBROOT: p.acmeWebroot,
      ...state,
    },
    deleteScript: loadScript("nginx-bootstrap-delete.sh"),
    deleteEnv: { PSN_SITE_PATH: p.nginxHttpSite, PSN_WEBROOT: p.acmeWebroot, ...state },
  };
}

export function nginxTlsStep({ cfg, p }: StepContext): StepDraft {
  return {
    name: "nginx-tls",
    script: loadScript("nginx-tls.sh"),
    env: {
      PSN_DOMAIN: cfg.domain,
      PSN_CERT_DIR: p.certDir,
      PSN_TLS_CONF: renderNginxTls(cfg),
      PSN_SITE_PATH: p.nginxTlsSite,
      PSN_STATUS_ROOT: p.statusRoot,
      PSN_STATUS_FILES: statusBundle(cfg),
    },
    deleteScript: loadScript("nginx-tls-delete.sh"),
    deleteEnv: {
      PSN_SITE_PATH: p.nginxTlsSite,
      PSN_STATUS_ROOT: p.statusRoot,
      PSN_CACHE_DIR: p.nginxCacheDir,
    },
  };
}
