/**
 * One localnet across a fleet (issue 22 C), without a host: the rendered localnet config.toml, the
 * joining node's plan and its late inputs, node 1's chain identity as SecureNode reads it, the hash
 * semantics through NodeSteps under mocks (node 1's new genesis re-runs node 2's pactus step), and the
 * pactus step's config splice (psn_pactus_config in remote/lib.sh) run by real bash.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { parse as parseToml } from "smol-toml";
import { P2P_PORTS, renderPactusConfig } from "../../components/render";
import {
  LOCALNET_JOIN_INPUTS,
  localnetBootstrapAddr,
  localnetJoinEnv,
  parseLocalnetChain,
  planSteps,
} from "../../components/steps";
import { parseConfig } from "../../components/config";
import { baseRaw, cfg } from "../helpers/config";

const LOCALNET = { network: "localnet", validators: 4, allowNoBackup: true } as const;
const localnet = cfg({ pactus: LOCALNET });
const PEER = "12D3KooWJ1s8yR8r9o3gqcQ5t6VbGwYkq2sHhX6Zr9bU1nC2pD3e";
const GENESIS = '{\n  "genesis_time": "2026-12-07T12:20:00Z",\n  "validators": [1]\n}\n';
const chainLine = (genesis = GENESIS, peerId = PEER) =>
  JSON.stringify({ localnet: { genesis, genesisSha256: "ab".repeat(32), peerId } });

describe("the rendered config.toml", () => {
  test("localnet: a fixed P2P port (Pactus picks a random one) and one empty bootstrap_addrs line", () => {
    const text = renderPactusConfig(localnet);
    const doc = parseToml(text) as { network: Record<string, unknown> };
    const port = P2P_PORTS.localnet;
    expect(doc.network).toEqual({
      listen_addrs: [
        `/ip4/0.0.0.0/tcp/${port}`,
        `/ip4/0.0.0.0/udp/${port}/quic-v1`,
        `/ip6/::/tcp/${port}`,
        `/ip6/::/udp/${port}/quic-v1`,
      ],
      bootstrap_addrs: [],
    });
    expect(text.split("\nbootstrap_addrs = []\n")).toHaveLength(2);
  });

  test.each(["mainnet", "testnet"] as const)(
    "%s: no [network] section (Pactus's defaults: its port and bootstrap nodes)",
    (network) => {
      const text = renderPactusConfig(cfg({ pactus: { ...LOCALNET, network, validators: 1 } }));
      expect(text).not.toContain("[network]");
    },
  );
});

describe("the plan of a node joining node 1's localnet", () => {
  test("its pactus step takes node 1's genesis and multiaddr as late inputs, last before health; nothing else changes", () => {
    const own = planSteps(localnet, { sshPort: 22 });
    const join = planSteps(localnet, { sshPort: 22, joinLocalnet: true });
    const pactus = join.find((s) => s.name === "pactus")!;
    expect(pactus.lateInputs).toEqual([...LOCALNET_JOIN_INPUTS]);
    expect(own.find((s) => s.name === "pactus")!.lateInputs).toBeUndefined();
    // It waits for node 1's pactus step, so the steps that do not need the daemon go first.
    const names = join.map((s) => s.name);
    expect(names.slice(names.indexOf("pactus") - 1, names.indexOf("pactus") + 2)).toEqual([
      "nginx-tls",
      "pactus",
      "health",
    ]);
    // The same steps, scripts and inputs: node 1's values enter the hash in NodeSteps (verify's hash
    // follows the order of the steps before it).
    const byName = (steps: typeof own) =>
      steps
        .filter((s) => s.name !== "verify")
        .map((s) => [s.name, s.hash])
        .sort(([a], [b]) => a.localeCompare(b));
    expect(byName(join)).toEqual(byName(own));
    expect(join.filter((s) => s.lateInputs?.length).map((s) => s.name)).toEqual(["pactus"]);
  });

  test("only on localnet: mainnet and testnet nodes share Pactus's own genesis", () => {
    expect(() => planSteps(cfg(), { sshPort: 22, joinLocalnet: true })).toThrow(
      /joinLocalnet is for localnet only, not mainnet/,
    );
  });

  test("node 1's identity: the last chain line of its pactus step's output", () => {
    const out = `[pactus] pactus 1.16.0 running\n{"validators":["tpc1p…"]}\n${chainLine("old")}\n${chainLine()}\n`;
    expect(parseLocalnetChain(out)).toEqual({
      genesis: GENESIS,
      genesisSha256: "ab".repeat(32),
      peerId: PEER,
    });
    expect(parseLocalnetChain('[pactus] done\n{"validators":[]}\n')).toBeUndefined();
    expect(() => parseLocalnetChain('{"localnet":{"genesis":"x"}}')).toThrow(/incomplete/);
  });

  test.each([
    ["203.0.113.10", `/ip4/203.0.113.10/tcp/${P2P_PORTS.localnet}/p2p/${PEER}`],
    ["2001:db8::10", `/ip6/2001:db8::10/tcp/${P2P_PORTS.localnet}/p2p/${PEER}`],
    ["node1.example.org", `/dns/node1.example.org/tcp/${P2P_PORTS.localnet}/p2p/${PEER}`],
  ])("node 1 at %s is dialled at %s", (address, addr) => {
    expect(localnetBootstrapAddr(address, PEER)).toBe(addr);
    expect(localnetJoinEnv(parseLocalnetChain(chainLine())!, address)).toEqual({
      PSN_GENESIS_JSON: GENESIS,
      PSN_BOOTSTRAP_ADDRS: addr,
    });
  });
});

interface Step {
  name: string;
  create: string;
  stdin: string;
}
/**
 * Node 1 and node 2 (joining node 1's localnet) as SecureNodes under mocks, node 1's pactus step
 * printing `stdout`: node 2's pactus command and node 1's `localnet` output.
 */
async function fleetOfTwo(stdout: string): Promise<{ node2: Step; localnet: unknown }> {
  const steps: Step[] = [];
  let localnet: unknown;
  await jest.isolateModulesAsync(async () => {
    // A fresh module registry per run: require, not import, inside isolateModulesAsync.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const p = require("@pulumi/pulumi") as typeof pulumi;
    await p.runtime.setMocks(
      {
        newResource: (args) => {
          const state: Record<string, unknown> = { ...args.inputs };
          if (args.type === "command:remote:Command") {
            state.stdout = args.name.endsWith("-pactus") ? stdout : "{}\n";
            steps.push({
              name: args.name,
              create: String(args.inputs.create),
              // The pactus step's stdin holds secrets: a secret as a whole.
              stdin: String(
                typeof args.inputs.stdin === "string"
                  ? args.inputs.stdin
                  : (args.inputs.stdin as { value?: unknown }).value,
              ),
            });
          }
          return { id: `${args.name}-id`, state };
        },
        call: () => ({}),
      },
      "pactus-secure-node",
      "test",
      false,
    );
    const { SecureNode } =
      require("../../components/secureNode") as typeof import("../../components/secureNode");
    const { nodeSecrets } =
      require("../../components/config/load") as typeof import("../../components/config/load");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const parsed = (address: string) =>
      parseConfig(
        baseRaw({
          pactus: LOCALNET,
          host: { provider: "existing", address, port: 22, user: "root" },
        }),
      );
    const one = parsed("203.0.113.10");
    const node1 = new SecureNode("node1", {
      config: one.config,
      secrets: nodeSecrets(one.secrets),
    });
    const two = parsed("203.0.113.11");
    new SecureNode("node2", {
      config: two.config,
      secrets: nodeSecrets(two.secrets),
      joinLocalnet: node1.localnet!,
    });
    localnet = await new Promise((resolve) => node1.localnet!.apply(resolve));
    // Let the registrations that wait on node 1's output finish.
    for (let i = 0; i < 50 && !steps.some((s) => s.name === "node2-steps-pactus"); i++)
      await new Promise((r) => setTimeout(r, 20));
  });
  const node2 = steps.find((s) => s.name === "node2-steps-pactus");
  if (!node2) throw new Error(`no node2 pactus step among ${steps.map((s) => s.name).join(", ")}`);
  return { node2, localnet };
}

describe("SecureNode wiring under mocks: node 1's identity → node 2's pactus step", () => {
  test("node 2's pactus step gets node 1's genesis and multiaddr; node 1's new genesis re-runs it, the same one does not", async () => {
    const a = await fleetOfTwo(`[pactus] ok\n${chainLine()}\n`);
    expect(a.localnet).toMatchObject({
      genesis: GENESIS,
      peerId: PEER,
      address: "203.0.113.10",
      bootstrapAddr: `/ip4/203.0.113.10/tcp/${P2P_PORTS.localnet}/p2p/${PEER}`,
    });
    expect(a.node2.stdin).toContain(`PSN_BOOTSTRAP_ADDRS=/ip4/203.0.113.10/tcp/`);
    expect(a.node2.stdin).toContain(`PSN_GENESIS_JSON='${GENESIS}'`);
    const same = await fleetOfTwo(`[pactus] other log\n${chainLine()}\n`);
    expect(same.node2.create).toBe(a.node2.create);
    const other = await fleetOfTwo(`${chainLine(GENESIS.replace("12:20", "12:21"))}\n`);
    expect(other.node2.create).not.toBe(a.node2.create);
    const moved = await fleetOfTwo(`${chainLine(GENESIS, PEER.replace("J1s", "J2s"))}\n`);
    expect(moved.node2.create).not.toBe(a.node2.create);
  });
});

describe("psn_pactus_config (remote/lib.sh), as the pactus step runs it", () => {
  const LIB = path.resolve(__dirname, "..", "..", "remote", "lib.sh");
  const rendered = renderPactusConfig(localnet);
  /** config_toml after psn_pactus_config CONFIG "" ADDRS, byte for byte (or the failure). */
  function splice(addrs: string, config = rendered) {
    const r = spawnSync(
      "bash",
      ["-c", `. "$LIB"; psn_pactus_config "$CONFIG" "" "$ADDRS"; printf '%s' "$config_toml"`],
      { env: { ...process.env, LIB, CONFIG: config, ADDRS: addrs }, encoding: "utf8" },
    );
    return { status: r.status, out: r.stdout, err: r.stderr };
  }
  const addr = localnetBootstrapAddr("10.232.1.2", PEER);

  test("no addresses: the rendered file as it is, trailing newlines included", () => {
    expect(splice("")).toEqual({ status: 0, out: rendered, err: "" });
  });

  test("node 1's multiaddr(s): the one bootstrap_addrs line set, nothing else", () => {
    const two = `${addr} ${localnetBootstrapAddr("node1.example.org", PEER)}`;
    const r = splice(two);
    expect(r.status).toBe(0);
    expect(r.out).toBe(
      rendered.replace(
        "\nbootstrap_addrs = []\n",
        `\nbootstrap_addrs = [ "${addr}", "/dns/node1.example.org/tcp/${P2P_PORTS.localnet}/p2p/${PEER}" ]\n`,
      ),
    );
    expect((parseToml(r.out) as { network: { bootstrap_addrs: string[] } }).network).toMatchObject({
      bootstrap_addrs: two.split(" "),
    });
  });

  test.each([
    ["a quote", `${addr}"`],
    ["no peer id", `/ip4/10.232.1.2/tcp/${P2P_PORTS.localnet}`],
    ["a TOML injection", `/ip4/1.2.3.4/tcp/1/p2p/${PEER}"]\nenable_mdns = [ "x`],
  ])("refused: %s", (_what, bad) => {
    const r = splice(bad);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/bootstrap address .* is not \/ip4\|ip6\|dns/);
  });

  test("a config without the line (mainnet) cannot take addresses", () => {
    const r = splice(addr, renderPactusConfig(cfg()));
    expect(r.status).toBe(1);
    expect(r.err).toContain("has no single 'bootstrap_addrs = []' line");
  });
});
