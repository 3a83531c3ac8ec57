import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { SecretOutputs } from "./config";
import { StepName, StepPlan, buildCommand, buildDeleteCommand, buildStdin, hashOf } from "./steps";

/** A step's secret stdin lines: its plan's format of the values of the secrets it reads. */
function secretStdin(step: StepPlan, secrets: SecretOutputs): pulumi.Output<string> {
  if (!step.formatSecrets) throw new Error(`NodeSteps: step ${step.name} has no secret format`);
  const format = step.formatSecrets;
  return pulumi
    .all(step.secrets.map((name) => secrets[name] ?? pulumi.output(undefined)))
    .apply((values) =>
      format(Object.fromEntries(step.secrets.map((name, i) => [name, values[i]]))),
    );
}

/** Arguments for {@link NodeSteps}. */
export interface NodeStepsArgs {
  /** SSH connection (secret: it holds the private key). */
  readonly connection: pulumi.Input<{
    host: string;
    port: number;
    user: string;
    privateKey: string;
  }>;
  /** Steps in order, from `planSteps`. */
  readonly steps: StepPlan[];
  /** Inputs known only after other resources exist (e.g. a new VM's IP), merged into a step's env. */
  readonly lateEnv?: Partial<Record<StepName, pulumi.Input<Record<string, string>>>>;
  /**
   * The host's identity (a VM's id), when it can change under the same address: it enters every step's
   * hash, so a replaced VM gets every step again.
   */
  readonly hostId?: pulumi.Input<string>;
  /** The stack's secrets; each step's plan names those it reads on its stdin (`StepPlan.secrets`). */
  readonly secrets: SecretOutputs;
  /** Run through `sudo -n` (the SSH user is not root). */
  readonly sudo: boolean;
  /**
   * Resources a step waits for besides the step before it, e.g. another node's certificate step
   * (DNS-01 through Route53: the nodes must not issue at once, Fleet chains them).
   */
  readonly after?: Partial<Record<StepName, pulumi.Input<pulumi.Resource>[]>>;
}

/**
 * The host steps as remote.Commands, each depending on the one before. A step's script and inputs
 * (rendered files) are its stdin and their hash heads its command, so a change updates exactly that
 * step. `triggers` is deliberately not used: in pulumi-command it forces a replace, which runs the old
 * step's delete after the new create and would undo what was just installed.
 */
export class NodeSteps extends pulumi.ComponentResource {
  /** stdout of the verify step: one JSON line with the check results. */
  public readonly checks: pulumi.Output<string>;
  /** Each planned step's command, by step name (e.g. `commands.certificate` to wait for). */
  public readonly commands: Readonly<Partial<Record<StepName, command.remote.Command>>>;
  /** stdout of the pactus step: on localnet its last line is the node's chain identity. */
  public readonly pactusOutput: pulumi.Output<string>;

  constructor(name: string, args: NodeStepsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pactus:node:Steps", name, {}, opts);
    const commands: Partial<Record<StepName, command.remote.Command>> = {};
    let previous: command.remote.Command | undefined;
    for (const step of args.steps) {
      const first = previous === undefined;
      const connection = pulumi.output(args.connection).apply((c) => ({
        ...c,
        // A fresh VM refuses SSH (or the key) for a while: the first step keeps dialling.
        dialErrorLimit: first ? -1 : 10,
        perDialTimeout: first ? 10 : 15,
      }));
      if (step.lateInputs?.length && args.lateEnv?.[step.name] === undefined)
        throw new Error(
          `NodeSteps: step ${step.name} needs its late inputs ${step.lateInputs.join(", ")}`,
        );
      const late = pulumi.output(args.lateEnv?.[step.name] ?? {}).apply((extra) => {
        for (const k of step.lateInputs ?? [])
          if (!extra[k]) throw new Error(`NodeSteps: step ${step.name}: late input ${k} is empty`);
        return extra;
      });
      const create = pulumi.all([late, args.hostId ?? ""]).apply(([extra, hostId]) => {
        const parts: unknown[] = [step.hash];
        if (Object.keys(extra).length) parts.push(extra);
        if (hostId) parts.push({ hostId });
        return buildCommand(step.name, parts.length > 1 ? hashOf(...parts) : step.hash, args.sudo);
      });
      // The step's script and inputs travel on stdin; only the secret steps' stdin (pactus, and verify
      // with basic auth) holds secrets, and it is a secret as a whole.
      const stdin = step.secretStdin
        ? pulumi.secret(
            pulumi
              .all([late, secretStdin(step, args.secrets)])
              .apply(([extra, sec]) =>
                buildStdin(step.name, step.script, { ...step.env, ...extra }, sec),
              ),
          )
        : late.apply((extra) => buildStdin(step.name, step.script, { ...step.env, ...extra }));
      const cmd = new command.remote.Command(
        `${name}-${step.name}`,
        {
          connection: pulumi.secret(connection),
          create,
          delete: step.deleteScript
            ? buildDeleteCommand(
                `${step.name}-delete`,
                step.deleteScript,
                step.deleteEnv ?? {},
                args.sudo,
              )
            : undefined,
          stdin,
          addPreviousOutputInEnv: false,
          logging: "stdoutAndStderr",
        },
        {
          parent: this,
          dependsOn: [...(previous ? [previous] : []), ...(args.after?.[step.name] ?? [])],
          customTimeouts: {
            // The first step also waits for a new host to accept SSH.
            create: first ? "20m" : "30m",
            update: "30m",
            delete: "10m",
          },
          additionalSecretOutputs: step.secretStdin ? ["stdin"] : [],
        },
      );
      commands[step.name] = cmd;
      previous = cmd;
    }
    this.commands = commands;
    this.checks = commands.verify?.stdout ?? pulumi.output("{}");
    this.pactusOutput = commands.pactus?.stdout ?? pulumi.output("");
    this.registerOutputs({ checks: this.checks, pactusOutput: this.pactusOutput });
  }
}
