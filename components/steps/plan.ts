/**
 * What every step planner shares: the plan's types, the context a planner reads, the scripts in
 * remote/ and the hash that decides when a step re-runs.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { SecretName, StackConfig } from "../config/types";
import { hostPaths, type HostPaths } from "../render";

export const REMOTE_DIR = path.resolve(__dirname, "..", "..", "remote");
const LIB_LINE = /^\. "\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)\/lib\.sh"$/m;

export type StepName =
  | "wait-for-ssh"
  | "base"
  | "data-disk"
  | "pactus"
  | "monitoring"
  | "nginx-bootstrap"
  | "wait-for-dns"
  | "certificate"
  | "nginx-tls"
  | "health"
  | "verify";

export interface StepPlan {
  name: StepName;
  /** Script (lib inlined) and its inputs; everything here is non-secret. */
  script: string;
  env: Record<string, string>;
  deleteScript?: string;
  deleteEnv?: Record<string, string>;
  /**
   * The NodeSecrets fields the step reads on its stdin (NodeSteps gives it their values): the pactus
   * step always, health and verify with apis.basicAuth, monitoring with monitoring.basicAuth.
   */
  secrets: readonly SecretName[];
  /** Whether the step's stdin holds secrets (`secrets` is not empty), and so is a secret as a whole. */
  secretStdin: boolean;
  /** Its stdin's secret lines from the values of `secrets` (see `pactusSecrets`); with `secrets` only. */
  formatSecrets?: (values: SecretValues) => string;
  /**
   * Inputs known only once other resources exist (a volume's id), which NodeSteps' `lateEnv` must give;
   * their values enter the step's hash there.
   */
  lateInputs?: string[];
  /** sha256 of the script and its rendered inputs: a change re-runs exactly this step. */
  hash: string;
}

/**
 * A step as its planner returns it: the plan without its hash, and `hashSecrets`, digests of the
 * secrets it holds (never the secrets), which enter the hash so a new secret re-runs the step.
 */
export type StepDraft = Omit<StepPlan, "hash" | "secrets" | "secretStdin"> & {
  secrets?: readonly SecretName[];
  hashSecrets?: unknown[];
};

/** The values of the secrets a step reads, those that are set. */
export type SecretValues = { readonly [K in SecretName]?: string };

export interface PlanOptions {
  sshPort: number;
  /** Pactus init helper script (remote/pactus-init.py). */
  initPy?: string;
  /**
   * `basicAuthDigest` of apis.basicAuth (components/config/secrets.ts), required when it is set: mixed
   * into the pactus step's hash so a new line re-runs the step, while the line itself stays in the
   * secret stdin.
   */
  basicAuthDigest?: string;
  /** `monitoringAuthDigest` of monitoring.basicAuth, required when it is set (as basicAuthDigest). */
  monitoringAuthDigest?: string;
  /**
   * The digest (NodeSecrets.digests) of the DNS-01 plugin's secret, acme.cloudflareToken or
   * acme.rfc2136Secret, required with those plugins: a new token or TSIG key re-runs the certificate
   * step, which rewrites the credentials file.
   */
  acmeDnsSecretDigest?: string;
  /**
   * localnet, nodes 2..N of a fleet: the node joins node 1's chain instead of making its own. Its
   * pactus step then takes LOCALNET_JOIN_INPUTS as late inputs (NodeSteps' `lateEnv.pactus`, from
   * `localnetJoinEnv` of node 1's chain); their values enter the step's hash, so a new genesis (or
   * peer id, or address) of node 1 re-runs it.
   */
  joinLocalnet?: boolean;
}

/** What a step planner reads: the config, the plan options and the host paths. */
export interface StepContext {
  cfg: StackConfig;
  opts: PlanOptions;
  p: HostPaths;
  /** The stack's state directory, which several steps record into. */
  state: { PSN_STATE_DIR: string };
}

export function stepContext(cfg: StackConfig, opts: PlanOptions): StepContext {
  const p = hostPaths(cfg.domain, cfg.pactus.version);
  return { cfg, opts, p, state: { PSN_STATE_DIR: p.stateDir } };
}

/** Reads remote/<file> and inlines remote/lib.sh where the script sources it. */
export function loadScript(file: string): string {
  const text = fs.readFileSync(path.join(REMOTE_DIR, file), "utf8");
  if (!LIB_LINE.test(text)) return text;
  const lib = fs.readFileSync(path.join(REMOTE_DIR, "lib.sh"), "utf8");
  return text.replace(LIB_LINE, () => lib);
}

export function hashOf(...parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}
