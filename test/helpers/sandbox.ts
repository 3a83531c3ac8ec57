/** Shared by the sandbox suites: bring the sandbox up or down, run a shell script on its host. */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const DEPLOY = path.join(ROOT, "tools", "sandbox", "deploy.sh");
/** Where the sandbox keeps its state, as deploy.sh decides it (SANDBOX_DIR, default .sandbox). */
export const SANDBOX_DIR = process.env.SANDBOX_DIR ?? path.join(ROOT, ".sandbox");
/** The sandbox host the suites run on: PSN_SANDBOX_HOST (default 1), which deploy.sh reads too. */
export const HOST_INDEX = process.env.PSN_SANDBOX_HOST ?? "1";
/** Host N's name, domain, address, stack, run config and outputs file, as deploy.sh's for_host names them. */
export function sandboxHost(index: string) {
  const name = index === "1" ? "node" : `node${index}`;
  const stack = index === "1" ? "sandbox" : `sandbox${index}`;
  return {
    name,
    domain: `${name}.pactus.test`,
    addr: `10.231.${index}.2`,
    /** host.sh gives host N fd00:231:N::2 beside its IPv4 address. */
    addr6: `fd00:231:${index}::2`,
    stack,
    runConfig: path.join(SANDBOX_DIR, `Pulumi.${stack}.yaml`),
    outputs: path.join(SANDBOX_DIR, index === "1" ? "outputs.json" : `outputs.${stack}.json`),
  };
}
const THIS_HOST = sandboxHost(HOST_INDEX);
export const HOST_NAME = THIS_HOST.name;
export const DOMAIN = THIS_HOST.domain;
export const ADDR = THIS_HOST.addr;
export const ADDR6 = THIS_HOST.addr6;
export const STACK = THIS_HOST.stack;
export const RUN_CONFIG = THIS_HOST.runConfig;
export const OUTPUTS = THIS_HOST.outputs;
export const SERVICES_SH = path.join(ROOT, "tools", "sandbox", "services.sh");
/** What deploy.sh wrote to this host's outputs file after its checks. */
export function readOutputs(): Record<string, unknown> & { caCert: string } {
  return JSON.parse(fs.readFileSync(OUTPUTS, "utf8"));
}

/** `npm run sandbox` (idempotent); throws with the tail of its output when it fails. */
export function sandboxUp(): void {
  // process.env explicitly: jest gives a suite its own copy, which child_process would not see.
  const r = spawnSync("bash", [DEPLOY, "up"], { encoding: "utf8", env: process.env });
  if (r.status !== 0) throw new Error(`sandbox up failed:\n${(r.stdout + r.stderr).slice(-3000)}`);
}

export function sandboxDown(): void {
  spawnSync("bash", [DEPLOY, "down"], { env: process.env });
}

/**
 * The end of a suite that only read the deployed host: with PSN_SHARED_HOST=1 (set by npm test's
 * runner for a lane of such suites) the host stays up for the next suite of the lane, and the runner
 * takes it down after the last; otherwise it goes down now, as `sandboxDown`.
 */
export function sandboxDone(): void {
  if (process.env.PSN_SHARED_HOST !== "1") sandboxDown();
}

export const HOST_SH = path.join(ROOT, "tools", "sandbox", "host.sh");
/** `bash` arguments that run a bash script as root on the sandbox host (default: this one) over SSH. */
function onHostArgs(script: string, host = THIS_HOST, index = HOST_INDEX): string[] {
  return [HOST_SH, "ssh", host.name, index, "bash", "-c", `'${script.replace(/'/g, "'\\''")}'`];
}

/** Runs a bash script as root on the sandbox host over SSH and returns its stdout, trimmed. */
export function onHost(script: string): string {
  return execFileSync("bash", onHostArgs(script), { encoding: "utf8" }).trim();
}

/** As onHost, on sandbox host `index` (another node of this host's fleet, say). */
export function onHostOf(index: string, script: string): string {
  return execFileSync("bash", onHostArgs(script, sandboxHost(index), index), {
    encoding: "utf8",
  }).trim();
}

let cachedEnv: Record<string, string> | undefined;
/** The engine's environment, as `npm run sandbox` sets it (`deploy.sh env`). */
export function engineEnv(): Record<string, string> {
  if (cachedEnv) return cachedEnv;
  const env: Record<string, string> = { ...process.env } as Record<string, string>;
  for (const line of execFileSync("bash", [DEPLOY, "env"], { encoding: "utf8" }).split("\n")) {
    const m = line.match(/^export (\w+)=(.*)$/);
    if (m) env[m[1]] = execFileSync("bash", ["-c", `printf %s ${m[2]}`], { encoding: "utf8" });
  }
  cachedEnv = env;
  return env;
}

export interface RunResult {
  status: number;
  out: string;
  seconds: number;
}
/** Runs a command in the repo with the engine's environment; throws unless it exits 0 (or allowFail). */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string; allowFail?: boolean; cwd?: string } = {},
): RunResult {
  const t = Date.now();
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: engineEnv(),
    input: opts.input,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  const res = {
    status: r.status ?? -1,
    out: `${r.stdout}${r.stderr}`,
    seconds: (Date.now() - t) / 1000,
  };
  if (!opts.allowFail && res.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed (${res.status}):\n${res.out.slice(-4000)}`);
  return res;
}
export const pulumi = (...args: string[]) => run("pulumi", ["--non-interactive", ...args]);

/** `run` without waiting: the test can act while the command runs. Resolves when it exits (never rejects). */
export function runInBackground(
  cmd: string,
  args: string[],
  opts: { cwd?: string } = {},
): Promise<RunResult> {
  const t = Date.now();
  const child = spawn(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: engineEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    out += c.toString();
  });
  return new Promise((resolve) =>
    child.on("exit", (code) =>
      resolve({ status: code ?? -1, out, seconds: (Date.now() - t) / 1000 }),
    ),
  );
}

/** `onHost` without waiting. */
export function onHostInBackground(script: string): Promise<RunResult> {
  return runInBackground("bash", onHostArgs(script));
}

/**
 * Samples the argv of every process (each /proc/<pid>/cmdline, as `ps -eo args` shows it) every 0.1 s,
 * on the machine or on the sandbox host, until stopped; `stop()` returns the distinct command lines
 * seen. One perl process (perl-base is in every Debian image, a fresh host's too): `ps` and `sleep` ten
 * times a second cost a minute of CPU in a test run, a bash loop over /proc more.
 */
export function psSampler(where: "machine" | "host"): { stop: () => Promise<string[]> } {
  const id = `psn-ps-${process.pid}-${Date.now()}`;
  const file = where === "machine" ? path.join(os.tmpdir(), `${id}.txt`) : `/run/${id}.txt`;
  const perl = [
    "my %seen;",
    `until (-e "${file}.stop") {`,
    '  opendir(my $d, "/proc") or die $!;',
    "  for my $p (grep { /^\\d+$/ } readdir $d) {",
    '    open(my $f, "<", "/proc/$p/cmdline") or next;',
    "    local $/; my $a = <$f>; close $f;",
    "    next unless defined $a && length $a;",
    "    $a =~ s/\\0+$//; $a =~ tr/\\0/ /; $seen{$a} = 1;",
    "  }",
    "  closedir $d; select(undef, undef, undef, 0.1);",
    "}",
    `open(my $o, ">", "${file}") or die $!; print $o "$_\\n" for sort keys %seen;`,
  ].join(" ");
  const loop = `exec perl -e '${perl}'`;
  const exited =
    where === "machine" ? runInBackground("bash", ["-c", loop]) : onHostInBackground(loop);
  return {
    stop: async () => {
      if (where === "machine") fs.writeFileSync(`${file}.stop`, "");
      else onHost(`touch ${file}.stop`);
      await exited;
      const text = where === "machine" ? fs.readFileSync(file, "utf8") : onHost(`cat ${file}`);
      if (where === "machine")
        for (const f of [file, `${file}.stop`]) fs.rmSync(f, { force: true });
      else onHost(`rm -f ${file} ${file}.stop`);
      return text.split("\n").filter(Boolean);
    },
  };
}

/** Fails the test with the tail of the engine's output unless `pulumi up` succeeded. */
export function expectUp(r: RunResult): void {
  if (r.status !== 0) throw new Error(`pulumi up failed (${r.status}):\n${r.out.slice(-4000)}`);
}

/** Fails the test unless `pulumi up` failed, with every message in its output. */
export function expectFailed(r: RunResult, ...messages: (string | RegExp)[]): void {
  if (r.status === 0)
    throw new Error(`pulumi up succeeded but should have failed:\n${r.out.slice(-3000)}`);
  for (const m of messages) expect(r.out).toMatch(m);
}

/**
 * The PyPI clients (tools/clients/py_clients.py from the pinned venv: pactus-jsonrpc at
 * https://<name>/jsonrpc, pactus-grpc over grpc.secure_channel("<name>:443")) asking block `height`,
 * with `name` resolved to `addr` through this process's own /etc/hosts (a private mount namespace), as
 * a user's machine resolves it, trusting only `ca`. `dir` holds the hosts file. Their JSON answer.
 */
export function pyClients(
  dir: string,
  name: string,
  addr: string,
  ca: string,
  height = 1,
): { jsonrpc: unknown; grpc: unknown } {
  const python = execFileSync("bash", [path.join(ROOT, "tools/clients/venv.sh")], {
    encoding: "utf8",
    timeout: 10 * 60_000,
  }).trim();
  const hosts = path.join(dir, "hosts");
  fs.writeFileSync(hosts, `127.0.0.1 localhost\n${addr} ${name}\n`);
  const out = execFileSync(
    "unshare",
    [
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      'mount --bind "$1" /etc/hosts && shift && exec "$@"',
      "sh",
      hosts,
      python,
      path.join(ROOT, "tools/clients/py_clients.py"),
      "--domain",
      name,
      "--ca",
      ca,
      "--height",
      String(height),
    ],
    { encoding: "utf8", timeout: 2 * 60_000 },
  );
  return JSON.parse(out.trim().split("\n").pop()!) as { jsonrpc: unknown; grpc: unknown };
}
