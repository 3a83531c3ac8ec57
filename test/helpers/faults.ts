/**
 * Shared by the fault suites (faults.test.ts: the host's first boot; faultsSteps.test.ts: the steps
 * on a booted host), which run in lanes of their own: the stack's commands, the injected faults'
 * names, the figures, and the hooks.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import {
  ADDR,
  DEPLOY,
  HOST_SH,
  engineEnv,
  HOST_INDEX,
  HOST_NAME,
  RUN_CONFIG,
  STACK,
  onHost,
  run,
  runInBackground,
  sandboxDown,
} from "./sandbox";
import { versionPins } from "./local";

export const MIN = 60_000;
export const env = engineEnv();
// The deployed release is the toolchain's daemon (the sandbox release server publishes it).
export const VERSION = versionPins().PACTUS_VERSION;
export const FAKE_VERSION = "1.16.1";
export const ACME_RULE = [
  "OUTPUT",
  "-d",
  ADDR,
  "-p",
  "tcp",
  "--dport",
  "80",
  "-m",
  "comment",
  "--comment",
  "psn-fault-acme",
  "-j",
  "REJECT",
  "--reject-with",
  "tcp-reset",
];
export const figures: string[] = [];

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** `pulumi <command> --yes --skip-preview` on this suite's stack and run config. */
const engineArgs = (command: "up" | "destroy", ...extra: string[]) => [
  "--non-interactive",
  command,
  "--yes",
  "--skip-preview",
  "-s",
  STACK,
  "--config-file",
  RUN_CONFIG,
  ...extra,
];
export const upArgs = (...extra: string[]) => engineArgs("up", ...extra);
export const up = (...extra: string[]) => run("pulumi", upArgs(...extra), { allowFail: true });
export const destroy = () => run("pulumi", engineArgs("destroy"));
export const setConfig = (key: string, value: string) =>
  run("pulumi", ["config", "set", "-s", STACK, "--config-file", RUN_CONFIG, "--path", key, value]);
/** The three checks from outside the host (deploy.sh check); throws when one fails. */
export const checks = () => run("bash", [DEPLOY, "check"]);

/** `pulumi up` in the background, so the test can break things while it runs. */
export const upInBackground = (opts: { cwd?: string; extra?: string[] } = {}) =>
  runInBackground("pulumi", upArgs(...(opts.extra ?? [])), { cwd: opts.cwd });

export const mainPid = () => onHost("systemctl show -p MainPID --value pactus.service");
export const stepUrn = (step: string) => {
  const state = JSON.parse(run("pulumi", ["stack", "export", "-s", STACK]).out);
  return (state.deployment.resources as { urn: string }[])
    .map((r) => r.urn)
    .find((u) => u.endsWith(`::pactus-steps-${step}`)) as string;
};

/**
 * The suite's hooks: a fresh stack on this suite's host (booted now when `bootHost`, else by the first
 * case), the rate limit off; afterwards the injected faults removed and the host down.
 */
export function faultsHooks(opts: { bootHost: boolean }): void {
  beforeAll(() => {
    run("bash", [DEPLOY, "down"]);
    run("bash", [DEPLOY, "prepare"]);
    // The load in the template case must not meet the rate limit.
    setConfig("nginx.rateLimit", "0");
    if (opts.bootHost) run("bash", [HOST_SH, "up", HOST_NAME, HOST_INDEX]);
  }, 10 * MIN);
  afterAll(() => {
    run("iptables", ["-D", ...ACME_RULE], { allowFail: true });
    fs.rmSync(path.join(env.SANDBOX_DIR, "release", `v${FAKE_VERSION}`), {
      recursive: true,
      force: true,
    });
    sandboxDown();
    if (figures.length) process.stdout.write(`\nfault figures:\n  ${figures.join("\n  ")}\n`);
  }, 5 * MIN);
}
