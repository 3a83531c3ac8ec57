/** The health refresher behind /healthz and the node exporter's textfile. */
import {
  HEALTH_PROM_FILE,
  HEALTH_UNIT,
  NODE_EXPORTER_TEXTFILE_DIR,
  healthRefresher,
  renderHealthEnv,
  renderHealthUnit,
} from "../render";
import { StepContext, StepDraft, loadScript } from "./plan";
import { API_CREDENTIALS } from "./secrets";

/** After the certificate (it reads its expiry) and nginx-tls (which serves its file at /healthz). */
export function healthStep({ cfg, opts, p }: StepContext): StepDraft {
  return {
    name: "health",
    script: loadScript("health.sh"),
    env: {
      PSN_REFRESHER: healthRefresher(),
      PSN_REFRESHER_PATH: p.healthRefresher,
      PSN_HEALTH_ENV: renderHealthEnv(cfg, p),
      PSN_HEALTH_ENV_PATH: p.healthEnv,
      PSN_HEALTH_UNIT: renderHealthUnit(cfg, p),
      PSN_HEALTH_UNIT_PATH: p.healthUnit,
      PSN_HEALTH_SERVICE: HEALTH_UNIT,
      PSN_HEALTH_DIR: p.healthDir,
      PSN_HEALTH_AUTH_PATH: p.healthAuth,
      PSN_PROM_DIR: NODE_EXPORTER_TEXTFILE_DIR,
    },
    deleteScript: loadScript("health-delete.sh"),
    deleteEnv: {
      PSN_HEALTH_SERVICE: HEALTH_UNIT,
      PSN_HEALTH_UNIT_PATH: p.healthUnit,
      PSN_REFRESHER_PATH: p.healthRefresher,
      PSN_HEALTH_ENV_PATH: p.healthEnv,
      PSN_HEALTH_AUTH_PATH: p.healthAuth,
      PSN_PROM_FILE: HEALTH_PROM_FILE,
    },
    // With basic auth: the API credentials the refresher calls the node with; a new line re-runs the
    // step (it writes the refresher's password file).
    ...(cfg.apis.basicAuth ? API_CREDENTIALS : {}),
    hashSecrets: cfg.apis.basicAuth ? [opts.basicAuthDigest] : [],
  };
}
