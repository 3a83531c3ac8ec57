/**
 * Numbered sandbox hosts: a second host (Debian 12, number HOST_INDEX + 100) is deployed beside this
 * suite's host (Debian 13), each with its own name, address, network namespace, domain, stack and
 * outputs; both serve at once, and taking the second down leaves the first and the shared services
 * running.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  DEPLOY,
  HOST_INDEX,
  ROOT,
  run,
  sandboxDone,
  sandboxHost,
  sandboxUp,
} from "../helpers/sandbox";

const MIN = 60_000;
const ONE = sandboxHost(HOST_INDEX);
const SECOND = String(Number(HOST_INDEX) + 100);
const TWO = sandboxHost(SECOND);
const outputs = (file: string) =>
  JSON.parse(fs.readFileSync(file, "utf8")) as {
    domain: string;
    address: string;
    pingChecks: Record<string, { ok: boolean; blockHash: string }>;
  };
const esc = (s: string) => s.replace(/\./g, "\\.");

beforeAll(() => sandboxUp(), 20 * MIN);
afterAll(() => {
  run("bash", [DEPLOY, "down", "--host", SECOND], { allowFail: true });
  sandboxDone();
}, 10 * MIN);

test(
  `host ${SECOND} (debian-12) comes up beside host ${HOST_INDEX} (debian-13); both pass the checks; host ${SECOND} goes down alone`,
  () => {
    const up2 = run("bash", [DEPLOY, "up", "--host", SECOND, "--image", "debian-12"]);
    expect(up2.out).toMatch(/sandbox: image: debian-12/);
    const one = outputs(ONE.outputs);
    const two = outputs(TWO.outputs);
    expect(one).toMatchObject({ domain: ONE.domain, address: ONE.addr });
    expect(two).toMatchObject({ domain: TWO.domain, address: TWO.addr });
    // Each is its own chain (its own wallet, its own localnet): both answer, independently.
    expect(two.pingChecks.jsonrpc.blockHash).toMatch(/^[0-9a-f]{64}$/);
    const status = run("bash", [path.join(ROOT, "tools/sandbox/host.sh"), "status"]).out;
    expect(status).toMatch(new RegExp(`^${ONE.name}\\s+${esc(ONE.addr)}\\s+debian-13\\s`, "m"));
    expect(status).toMatch(new RegExp(`^${TWO.name}\\s+${esc(TWO.addr)}\\s+debian-12\\s`, "m"));
    // Both at once: the checks of this suite's host still pass while the second runs.
    run("bash", [DEPLOY, "check"]);
    run("bash", [DEPLOY, "check", "--host", SECOND]);

    const down2 = run("bash", [DEPLOY, "down", "--host", SECOND]);
    expect(down2.out).toMatch(/other sandbox hosts still run: services kept/);
    expect(fs.existsSync(TWO.outputs)).toBe(false);
    run("bash", [DEPLOY, "check"]);
  },
  15 * MIN,
);
