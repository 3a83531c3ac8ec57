/** Shared by the sandbox suites: bring the sandbox up or down, run a shell script on its host. */
import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const DEPLOY = path.join(ROOT, "tools", "sandbox", "deploy.sh");
export const DOMAIN = "node.pactus.test";
export const ADDR = "10.231.1.2";

/** `npm run sandbox` (idempotent); throws with the tail of its output when it fails. */
export function sandboxUp(): void {
  const r = spawnSync("bash", [DEPLOY, "up"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`sandbox up failed:\n${(r.stdout + r.stderr).slice(-3000)}`);
}

export function sandboxDown(): void {
  spawnSync("bash", [DEPLOY, "down"]);
}

/** Runs a bash script as root on the sandbox host over SSH and returns its stdout. */
export function onHost(script: string): string {
  const quoted = `'${script.replace(/'/g, "'\\''")}'`;
  return execFileSync("bash", [path.join(ROOT, "tools", "sandbox", "host.sh"), "ssh", "node", "1", "bash", "-c", quoted], { encoding: "utf8" });
}
