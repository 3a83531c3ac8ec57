import { StepName, planSteps } from "../../components/steps";
import { baseRaw, cfg } from "../helpers/config";
import type { RawConfig } from "../../components/validate";

function hashes(over: Partial<RawConfig> = {}): Record<StepName, string> {
  return Object.fromEntries(planSteps(cfg(over), { sshPort: 22 }).map((s) => [s.name, s.hash])) as Record<StepName, string>;
}

/** Steps whose hash differs from the base plan when `over` changes one input. */
function changed(over: Partial<RawConfig>): StepName[] {
  const a = hashes();
  const b = hashes(over);
  return (Object.keys(a) as StepName[]).filter((k) => a[k] !== b[k]);
}

const base = baseRaw();

describe("a change re-runs exactly the steps it affects (and verify, which re-checks after any change)", () => {
  test("same config, same hashes", () => {
    expect(hashes()).toEqual(hashes());
  });

  test.each<[string, Partial<RawConfig>, StepName[]]>([
    ["acme.email", { acme: { ...(base.acme as object), email: "other@example.org" } }, ["certificate", "verify"]],
    ["acme.server", { acme: { ...(base.acme as object), server: "production" } }, ["certificate", "verify"]],
    ["nginx.rateLimit (nginx template input only)", { nginx: { rateLimit: 5 } }, ["nginx-tls", "verify"]],
    ["apis.grpcWeb off", { apis: { grpcWeb: false, jsonrpc: true, http: true } }, ["nginx-tls", "verify"]],
    ["dns.resolver", { dns: { provider: "none", resolver: "9.9.9.9" } }, ["wait-for-dns", "verify"]],
    ["pactus.version", { pactus: { network: "mainnet", version: "1.16.1" } }, ["pactus", "verify"]],
    ["pactus.validators", { pactus: { network: "mainnet", validators: 2 } }, ["pactus", "verify"]],
    ["pactus.purgeOnDestroy (its delete command)", { pactus: { network: "mainnet", purgeOnDestroy: true } }, ["pactus", "verify"]],
    ["cors.origins (nginx map and the node's own CORS)", { cors: { origins: ["https://wallet.pactus.org"] } }, ["pactus", "nginx-tls", "verify"]],
    ["pactus.network (P2P port in the firewall, the node's chain)", { pactus: { network: "testnet" } }, ["base", "pactus", "verify"]],
  ])("%s", (_what, over, expected) => {
    expect(changed(over)).toEqual(expected);
  });

  test("secrets do not enter any hash (they travel on stdin)", () => {
    expect(changed({ secrets: { ...base.secrets, "pactus.walletPassword": "another long password" } })).toEqual([]);
  });
});
