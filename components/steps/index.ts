/**
 * The host steps as pure data: which script, which inputs, which undo, which secrets. One planner per
 * step (host.ts, pactus.ts, monitoring.ts, nginx.ts, certificate.ts, health.ts, verify.ts) decides its
 * step; `planSteps` is their order. The NodeSteps component only turns the plan into remote.Commands,
 * so tests check the plan without Pulumi.
 */
import type { StackConfig } from "../config/types";
import { certificateStep, waitForDnsStep } from "./certificate";
import { healthStep } from "./health";
import { baseStep, dataDiskStep, waitForSshStep } from "./host";
import { monitoringStep } from "./monitoring";
import { nginxBootstrapStep, nginxTlsStep } from "./nginx";
import { pactusStep } from "./pactus";
import { PlanOptions, StepContext, StepDraft, StepPlan, hashOf, stepContext } from "./plan";
import { verifyStep } from "./verify";

export { SUDO_CHECK, buildCommand, buildDeleteCommand, buildStdin, shq } from "./command";
export { hashOf, loadScript, type PlanOptions, type StepName, type StepPlan } from "./plan";
export { certificateNames } from "./certificate";
export { dns01Secrets, monitoringSecrets, pactusSecrets, verifySecrets } from "./secrets";
export {
  LOCALNET_JOIN_INPUTS,
  localnetBootstrapAddr,
  localnetJoinEnv,
  parseLocalnetChain,
  type LocalnetChain,
} from "./pactus";
export { metricsExpectation } from "./verify";

/** The steps before verify, in order; a planner returns undefined for a step this stack does not have. */
const PLANNERS: ((ctx: StepContext) => StepDraft | undefined)[] = [
  waitForSshStep,
  baseStep,
  dataDiskStep,
  pactusStep,
  monitoringStep,
  nginxBootstrapStep,
  waitForDnsStep,
  certificateStep,
  nginxTlsStep,
  healthStep,
];

/** Every host step in order, with the inputs that decide when it re-runs. */
export function planSteps(cfg: StackConfig, opts: PlanOptions): StepPlan[] {
  const ctx = stepContext(cfg, opts);
  const drafts = PLANNERS.map((plan) => plan(ctx)).filter((s) => s !== undefined);
  // A node joining node 1's localnet waits for node 1's chain identity (its pactus step's late inputs):
  // its pactus step goes last before health, so nginx and the certificate are made meanwhile.
  if (opts.joinLocalnet) {
    const i = drafts.findIndex((d) => d.name === "pactus");
    const [pactus] = drafts.splice(i, 1);
    drafts.splice(
      drafts.findIndex((d) => d.name === "health"),
      0,
      pactus,
    );
  }
  if (cfg.apis.basicAuth && !opts.basicAuthDigest)
    throw new Error("planSteps: apis.basicAuth is set but no basicAuthDigest was given");
  if (cfg.monitoring.enabled && cfg.monitoring.basicAuth && !opts.monitoringAuthDigest)
    throw new Error("planSteps: monitoring.basicAuth is set but no monitoringAuthDigest was given");
  const steps = drafts.map(({ hashSecrets, secrets = [], ...s }): StepPlan => ({
    ...s,
    secrets,
    secretStdin: secrets.length > 0,
    hash: hashOf(s.script, s.env, s.deleteScript ?? "", s.deleteEnv ?? {}, ...(hashSecrets ?? [])),
  }));
  return [...steps, verifyStep(ctx, steps)];
}
