/** The node itself: install or upgrade (with rollback), config, unit and wallet. */
import * as fs from "node:fs";
import { isIP } from "node:net";
import * as path from "node:path";
import { protocolTable } from "../pactusReleases";
import {
  GRPC_PORT,
  P2P_PORTS,
  SERVICE_UNIT,
  SERVICE_USER,
  renderPactusConfig,
  renderPactusUnit,
} from "../render";
import { REMOTE_DIR, StepContext, StepDraft, loadScript } from "./plan";
import { pactusSecrets } from "./secrets";

/** The late inputs of a node joining node 1's localnet (remote/pactus.sh reads them). */
export const LOCALNET_JOIN_INPUTS = ["PSN_GENESIS_JSON", "PSN_BOOTSTRAP_ADDRS"] as const;

/** A localnet node's chain identity: the last line of its pactus step's output (psn_pactus_chain). */
export interface LocalnetChain {
  /** Its genesis.json, byte for byte. */
  genesis: string;
  genesisSha256: string;
  /** Its libp2p peer id (GetNodeInfo). */
  peerId: string;
}

/** The chain identity in a localnet pactus step's stdout (its last `{"localnet":…}` line), if any. */
export function parseLocalnetChain(stdout: string): LocalnetChain | undefined {
  const line = stdout
    .split("\n")
    .reverse()
    .find((l) => l.startsWith('{"localnet":'));
  if (!line) return undefined;
  const c = (JSON.parse(line) as { localnet: Partial<LocalnetChain> }).localnet;
  if (typeof c.genesis !== "string" || typeof c.peerId !== "string" || !c.genesisSha256)
    throw new Error(`the pactus step's chain identity is incomplete: ${line.slice(0, 200)}`);
  return { genesis: c.genesis, genesisSha256: c.genesisSha256, peerId: c.peerId };
}

/**
 * A localnet node's P2P multiaddr at `address` (an IPv4 or IPv6 address, or a DNS name, as the other
 * nodes reach it), on its fixed P2P port.
 */
export function localnetBootstrapAddr(address: string, peerId: string): string {
  const kind = isIP(address) === 4 ? "ip4" : isIP(address) === 6 ? "ip6" : "dns";
  return `/${kind}/${address}/tcp/${P2P_PORTS.localnet}/p2p/${peerId}`;
}

/** The late inputs (LOCALNET_JOIN_INPUTS) of a node joining the localnet of node 1 (`chain`, at `address`). */
export function localnetJoinEnv(
  chain: LocalnetChain,
  address: string,
): Record<(typeof LOCALNET_JOIN_INPUTS)[number], string> {
  return {
    PSN_GENESIS_JSON: chain.genesis,
    PSN_BOOTSTRAP_ADDRS: localnetBootstrapAddr(address, chain.peerId),
  };
}

export function pactusStep({ cfg, opts, p, state }: StepContext): StepDraft {
  if (opts.joinLocalnet && cfg.pactus.network !== "localnet")
    throw new Error(
      `planSteps: joinLocalnet is for localnet only, not ${cfg.pactus.network} (whose nodes share Pactus's own genesis)`,
    );
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
    // A node joining node 1's localnet: node 1's genesis and multiaddr, known once node 1 runs.
    ...(opts.joinLocalnet ? { lateInputs: [...LOCALNET_JOIN_INPUTS] } : {}),
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
