/** monitoring.enabled: the node exporter and the htpasswd file of nginx's /metrics/ locations. */
import { NGINX_GROUP, NODE_EXPORTER, PORTS, renderNodeExporterDefaults } from "../render";
import { SecretValues, StepContext, StepDraft, loadScript } from "./plan";
import { monitoringSecrets } from "./secrets";

/** Before nginx-tls, whose /metrics/ locations need the exporter and the htpasswd file. */
export function monitoringStep({ cfg, opts, p, state }: StepContext): StepDraft | undefined {
  if (!cfg.monitoring.enabled) return undefined;
  // What the step installs and its undo removes.
  const exporter = {
    PSN_EXPORTER_PACKAGE: NODE_EXPORTER.package,
    PSN_EXPORTER_SERVICE: NODE_EXPORTER.service,
    PSN_EXPORTER_DEFAULTS: p.nodeExporterDefaults,
    PSN_HTPASSWD: p.metricsHtpasswd,
    ...state,
  };
  return {
    name: "monitoring",
    script: loadScript("monitoring.sh"),
    env: {
      ...exporter,
      PSN_EXPORTER_CONF: renderNodeExporterDefaults(p),
      PSN_EXPORTER_LISTEN: PORTS.nodeExporter,
      PSN_TEXTFILE_DIR: p.nodeExporterTextfileDir,
      PSN_NGINX_GROUP: NGINX_GROUP,
      PSN_AUTH: String(cfg.monitoring.basicAuth),
    },
    deleteScript: loadScript("monitoring-delete.sh"),
    deleteEnv: { ...exporter, PSN_TEXTFILE_DIR: p.nodeExporterTextfileDir },
    ...(cfg.monitoring.basicAuth
      ? {
          secrets: ["monitoringBasicAuth"] as const,
          formatSecrets: (v: SecretValues) => monitoringSecrets(v.monitoringBasicAuth ?? ""),
        }
      : {}),
    // A new htpasswd line re-runs the step (it writes nginx's htpasswd file).
    hashSecrets: cfg.monitoring.basicAuth ? [opts.monitoringAuthDigest] : [],
  };
}
