/**
 * Numbered sandbox hosts: host 2 (Debian 12) is deployed beside host 1 (Debian 13), each with its own
 * name, address, network namespace, domain, stack and outputs; both serve at once, and taking host 2
 * down leaves host 1 and the shared services running.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DEPLOY, ROOT, run, sandboxDown, sandboxUp, SANDBOX_DIR } from "../helpers/sandbox";

const MIN = 60_000;
const outputs = (file: string) =>
  JSON.parse(fs.readFileSync(path.join(SANDBOX_DIR, file), "utf8")) as {
    domain: string;
    address: string;
    pingChecks: Record<string, { ok: boolean; blockHash: string }>;
  };

beforeAll(() => sandboxUp(), 20 * MIN);
afterAll(() => {
  run("bash", [DEPLOY, "down", "--host", "2"], { allowFail: true });
  sandboxDown();
}, 10 * MIN);

test(
  "host 2 (debian-12) comes up beside host 1 (debian-13); both pass the checks; host 2 goes down alone",
  () => {
    const up2 = run("bash", [DEPLOY, "up", "--host", "2", "--image", "debian-12"]);
    expect(up2.out).toMatch(/sandbox: image: debian-12/);
    const one = outputs("outputs.json");
    const two = outputs("outputs.sandbox2.json");
    expect(one).toMatchObject({ domain: "node.pactus.test", address: "10.231.1.2" });
    expect(two).toMatchObject({ domain: "node2.pactus.test", address: "10.231.2.2" });
    // Each is its own chain (its own wallet, its own localnet): both answer, independently.
    expect(two.pingChecks.jsonrpc.blockHash).toMatch(/^[0-9a-f]{64}$/);
    const status = run("bash", [path.join(ROOT, "tools/sandbox/host.sh"), "status"]).out;
    expect(status).toMatch(/^node\s+10\.231\.1\.2\s+debian-13\s/m);
    expect(status).toMatch(/^node2\s+10\.231\.2\.2\s+debian-12\s/m);
    // Both at once: the checks of host 1 still pass while host 2 runs.
    run("bash", [DEPLOY, "check"]);
    run("bash", [DEPLOY, "check", "--host", "2"]);

    const down2 = run("bash", [DEPLOY, "down", "--host", "2"]);
    expect(down2.out).toMatch(/other sandbox hosts still run: services kept/);
    expect(fs.existsSync(path.join(SANDBOX_DIR, "outputs.sandbox2.json"))).toBe(false);
    run("bash", [DEPLOY, "check"]);
  },
  15 * MIN,
);
