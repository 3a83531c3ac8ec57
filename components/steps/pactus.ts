/** The node itself: install or upgrade (with rollback), config, unit and wallet. */
import * as fs from "node:fs";
import * as path from "node:path";
import { protocolTable } from "../pactusReleases";
import {
  GRPC_PORT,
  SERVICE_UNIT,
  SERVICE_USER,
  renderPactusConfig,
  renderPactusUnit,
} from "../render";
import { REMOTE_DIR, StepContext, StepDraft, loadScript } from "./plan";
import { pactusSecrets } from "./secrets";

export function pactusStep({ cfg, opts, p, state }: StepContext): StepDraft {
  const initPy = opts.initPy ?? fs.readFileSync(path.join(REMOTE_DIR, "pactus-init.py"), "utf8");
  // Where the node lives: the step installs it there, its undo removes it.
  const node = {
    PSN_USER: SERVICE_USER,
    PSN_HOME: p.pactusHome,
    PSN_ETC_DIR: p.pactusEtc,
    PSN_UNIT_PATH: p.unit,
    PSN_SERVICE: SERVICE_UNIT,
    PSN_RUN_DIR: p.runDir,
    ...state,
  };
  return {
    name: "pactus",
    script: loadScript("pactus.sh"),
    env: {
      PSN_VERSION: cfg.pactus.version,
      PSN_NETWORK: cfg.pactus.network,
      PSN_RELEASE_BASE_URL: cfg.pactus.releaseBaseUrl,
      PSN_VALIDATORS: String(cfg.pactus.validators),
      PSN_CONFIG: renderPactusConfig(cfg),
      PSN_UNIT: renderPactusUnit(cfg, p),
      PSN_INIT_PY: initPy,
      ...node,
      PSN_WORKING_DIR: p.pactusWorkingDir,
      PSN_CONFIG_PATH: p.pactusConfig,
      PSN_PASSWORD_FILE: p.passwordFile,
      PSN_INSTALL_DIR: p.pactusInstallDir,
      PSN_INSTALL_ROOT: p.pactusInstallRoot,
      PSN_GRPC_PORT: String(GRPC_PORT),
      PSN_PROTOCOLS: protocolTable(),
      PSN_HEALTH_TIMEOUT: String(cfg.pactus.healthTimeoutSeconds),
      PSN_DRAIN_FLAG: p.drainFlag,
    },
    deleteScript: loadScript("pactus-delete.sh"),
    deleteEnv: {
      PSN_PURGE: String(cfg.pactus.purgeOnDestroy),
      ...node,
      PSN_INSTALL_ROOT: p.pactusInstallRoot,
    },
    // The wallet's secrets; with basic auth, the basic_auth line and the credentials its health checks
    // call the node with.
    secrets: [
      "walletPassword",
      "mnemonic",
      ...(cfg.apis.basicAuth ? (["basicAuth", "basicAuthPassword"] as const) : []),
    ],
    formatSecrets: (v) =>
      pactusSecrets({
        walletPassword: v.walletPassword ?? "",
        mnemonic: v.mnemonic,
        basicAuth: v.basicAuth,
        basicAuthPassword: v.basicAuthPassword,
      }),
    // A new basic_auth line re-runs the step (the line is in config.toml).
    hashSecrets: cfg.apis.basicAuth ? [opts.basicAuthDigest] : [],
  };
}
