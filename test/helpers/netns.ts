/**
 * Commands inside a live test's private network and mount namespaces (held by a process from
 * `namespaceHolder`), and grpc-js calls made from in there.
 */
import { ChildProcess, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface NsOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeout?: number;
}

/** Runs `cmd` in the holder's namespaces (in `cwd`, when given); never throws. */
export function nsRun(
  holder: ChildProcess,
  cmd: string[],
  opts: NsOptions & { cwd?: string } = {},
) {
  const wd = opts.cwd ? [`--wd=${opts.cwd}`] : [];
  return spawnSync("nsenter", ["-t", String(holder.pid), "-n", "-m", ...wd, ...cmd], {
    input: opts.input,
    env: opts.env ?? process.env,
    encoding: "utf8",
    timeout: opts.timeout ?? 60_000,
  });
}

/** A bash script in the holder's namespaces; its stdout, or an error with both outputs. */
export function nsSh(
  holder: ChildProcess,
  script: string,
  env: Record<string, string> = {},
  cwd?: string,
): string {
  const r = nsRun(holder, ["bash", "-c", script], { env: { ...process.env, ...env }, cwd });
  if (r.status !== 0) throw new Error(`in the test namespace: ${script}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** One grpc-js unary GetBlockHash call: TLS when `ca` is given (checked for `authority`). */
export interface GrpcCase {
  name: string;
  target: string;
  /** Prepended to the method path: "" (the root) or "/grpc-web" (the GUI's way). */
  prefix: string;
  ca?: string;
  authority?: string;
  authorization?: string;
  height?: number;
}
export type GrpcResult = { code: number; hash?: string; details?: string };

const GRPC_PROBE = `
const grpc = require(process.env.GRPC_JS);
const protoLoader = require(process.env.PROTO_LOADER);
const fs = require("node:fs");
const def = protoLoader.loadSync(process.env.PROTO_DIR + "/blockchain.proto", { includeDirs: [process.env.PROTO_DIR], keepCase: true });
const m = grpc.loadPackageDefinition(def).pactus.Blockchain.service.GetBlockHash;
(async () => {
  const out = {};
  for (const c of JSON.parse(process.env.CASES)) {
    const creds = c.ca ? grpc.credentials.createSsl(fs.readFileSync(c.ca)) : grpc.credentials.createInsecure();
    const opts = c.authority ? { "grpc.ssl_target_name_override": c.authority, "grpc.default_authority": c.authority } : {};
    const client = new grpc.Client(c.target, creds, opts);
    const md = new grpc.Metadata();
    if (c.authorization) md.set("authorization", c.authorization);
    out[c.name] = await new Promise((resolve) => client.makeUnaryRequest(c.prefix + m.path, m.requestSerialize, m.responseDeserialize,
      { height: c.height ?? 1 }, md, { deadline: Date.now() + 5000 },
      (err, res) => resolve(err ? { code: err.code, details: err.details } : { code: 0, hash: res.hash })));
    client.close();
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

/**
 * Runs the cases with grpc-js from inside the holder's namespaces (the probe script is written into
 * `dir`); one result per case name. Throws when the probe itself writes to stderr.
 */
export function nsGrpcGetBlockHash(
  holder: ChildProcess,
  dir: string,
  protoDir: string,
  cases: GrpcCase[],
): Record<string, GrpcResult> {
  const probe = path.join(dir, "grpc-probe.js");
  fs.writeFileSync(probe, GRPC_PROBE);
  const r = nsRun(holder, [process.execPath, probe], {
    env: {
      ...process.env,
      CASES: JSON.stringify(cases),
      PROTO_DIR: protoDir,
      GRPC_JS: require.resolve("@grpc/grpc-js"),
      PROTO_LOADER: require.resolve("@grpc/proto-loader"),
    },
  });
  if (r.stderr) throw new Error(`grpc probe: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, GrpcResult>;
}
