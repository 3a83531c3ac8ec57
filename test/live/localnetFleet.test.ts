/**
 * One localnet across a fleet (issue 22 C), with the real daemon (PSN_BIN_DIR) in two network
 * namespaces joined only through a third that routes between two subnets (10.232.1.0/24 and
 * 10.232.2.0/24): mDNS does not cross it, so node 2 finds node 1 only through `bootstrap_addrs`.
 * - node 1: the pactus step's own init (remote/pactus-init.py) and the rendered localnet config.toml;
 *   its chain identity read as the step reads it (psn_pactus_chain in remote/lib.sh);
 * - node 2: the same init with node 1's genesis (`--genesis-file`) and a wallet of its own, its
 *   config.toml made by the step's psn_pactus_config from the rendered one and the multiaddr that
 *   `localnetJoinEnv` (what SecureNode gives the step) builds from node 1's identity;
 * - node 2 starts late, with the route between the nodes cut: it stays at height 0 and the real refresher
 *   (remote/pactus-health.py --once, the health step's settings) says unhealthy; the drop removed,
 *   it catches up (bounded) and the refresher says healthy; both nodes answer the same hash for
 *   block 1 and for node 2's tip, on the same genesis.
 */
import { ChildProcess, execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GRPC_PORT, P2P_PORTS, renderHealthEnv, renderPactusConfig } from "../../components/render";
import { cfg } from "../helpers/config";
import { namespaceHolder, pactusBin, stopLiveSuite } from "../helpers/local";
import { nsSh } from "../helpers/netns";
import { localnetJoinEnv, parseLocalnetChain } from "../../components/steps";

const ROOT = path.resolve(__dirname, "..", "..");
const LIB = path.join(ROOT, "remote", "lib.sh");
const DOMAIN = "node.example.org";
const config = cfg({
  domain: DOMAIN,
  pactus: { network: "localnet", validators: 4, allowNoBackup: true },
  health: { refreshSeconds: 2, maxBlockAgeSeconds: 30 },
});
const NODE1 = "10.232.1.2";
const NODE2 = "10.232.2.2";

let tmp: string;
let validators1: string[];
let router: ChildProcess | undefined;
const nodes: ChildProcess[] = [];
const sh = (h: ChildProcess, script: string, env: Record<string, string> = {}) =>
  nsSh(h, script, { T: tmp, BIN: pactusBin(), LIB, ...env }, tmp);

/** The node's view over gRPC on its loopback, with the release's pactus-shell. */
function shell(i: number, cmd: string, input = "{}"): Record<string, unknown> {
  const out = sh(
    nodes[i],
    `"$BIN/pactus-shell" ${cmd} -s 127.0.0.1:${GRPC_PORT} --timeout 5s -o json -f - <<<"$IN"`,
    { IN: input },
  );
  return JSON.parse(out) as Record<string, unknown>;
}
const height = (i: number) =>
  Number(shell(i, "blockchain get-blockchain-info").lastBlockHeight ?? 0);
const blockHash = (i: number, h: number) =>
  String(shell(i, "blockchain get-block-hash", JSON.stringify({ height: h })).hash);
/** The height, or -1 while the node does not answer yet. */
function heightOrNone(i: number): number {
  try {
    return height(i);
  } catch {
    return -1;
  }
}

/** Polls `cond` every 0.5 s for at most `seconds`; the seconds it took, or an error with `what`. */
async function until(cond: () => boolean, seconds: number, what: () => string) {
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    if (cond()) return (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`not within ${seconds} s: ${what()}\n${logTails()}`);
}
function logTails(): string {
  return sh(router!, `tail -n 8 "$T"/n1.log "$T"/n2.log 2>&1 || true`);
}

function startNode(i: number) {
  sh(
    nodes[i],
    `"$BIN/pactus-daemon" start -w "$T/n${i + 1}" --password-from-file "$T/pw" </dev/null >>"$T/n${i + 1}.log" 2>&1 &
echo $! >"$T/n${i + 1}.pid"`,
  );
}

/** One refresh of the real refresher for node i, with the health step's settings: its healthz.json. */
function refresh(i: number): Record<string, unknown> {
  const out = path.join(tmp, `health${i + 1}`);
  sh(
    nodes[i],
    `set -a; . "$T/health.env"; set +a
PSN_OUT_DIR="${out}" PSN_PROM_FILE="${out}/pactus.prom" python3 "${ROOT}/remote/pactus-health.py" --once </dev/null >>"$T/refresher.log" 2>&1`,
  );
  const doc = JSON.parse(fs.readFileSync(path.join(out, "healthz.json"), "utf8")) as Record<
    string,
    unknown
  >;
  // nginx answers 503 while the flag is there: it must agree with the JSON.
  expect(fs.existsSync(path.join(out, "unhealthy"))).toBe(doc.healthy !== true);
  return doc;
}

const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-lnfleet-"));
  fs.writeFileSync(path.join(tmp, "pw"), "a long test password\n", { mode: 0o600 });
  // A certificate with more than HEALTH_CERT_MIN_DAYS left, as the refresher wants.
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
      ...["-days", "90", "-subj", `/CN=${DOMAIN}`, "-keyout", path.join(tmp, "privkey.pem")],
      ...["-out", path.join(tmp, "fullchain.pem")],
    ],
    { stdio: "ignore" },
  );
  fs.writeFileSync(
    path.join(tmp, "health.env"),
    renderHealthEnv(config)
      .replace(/^PSN_SHELL=.*$/m, `PSN_SHELL=${pactusBin()}/pactus-shell`)
      .replace(/^PSN_CERT_FILE=.*$/m, `PSN_CERT_FILE=${tmp}/fullchain.pem`)
      .replace(/^PSN_REBOOT_FLAG=.*$/m, `PSN_REBOOT_FLAG=${tmp}/no-reboot-flag`),
  );
  router = await namespaceHolder();
  nodes.push(await namespaceHolder(), await namespaceHolder());
  // A router between two subnets (as between two hosts): no shared link, so no mDNS between nodes.
  sh(
    router,
    `set -euo pipefail
ip link set lo up
sysctl -qw net.ipv4.ip_forward=1
for i in 1 2; do
  pid=$(eval echo "\\$P$i")
  ip link add r$i type veth peer name eth0 netns "$pid"
  ip addr add 10.232.$i.1/24 dev r$i
  ip link set r$i up
done`,
    { P1: String(nodes[0].pid), P2: String(nodes[1].pid) },
  );
  for (const [i, addr] of [NODE1, NODE2].entries())
    sh(
      nodes[i],
      `set -euo pipefail
ip link set lo up
ip addr add ${addr}/24 dev eth0
ip link set eth0 up
ip route add default via 10.232.${i + 1}.1`,
    );

  // Node 1: as the pactus step makes a localnet node.
  const init = (wd: string, extra: string[] = []) =>
    execFileSync(
      "python3",
      [
        path.join(ROOT, "remote", "pactus-init.py"),
        ...["--bin-dir", pactusBin(), "--working-dir", wd, "--network", "localnet"],
        ...["--val-num", "4", "--password-file", path.join(tmp, "pw"), ...extra],
      ],
      { encoding: "utf8" },
    );
  validators1 = JSON.parse(init(path.join(tmp, "n1")).trim().split("\n").pop()!).validators;
  fs.writeFileSync(path.join(tmp, "n1", "config.toml"), renderPactusConfig(config));
  startNode(0);
  await until(
    () => heightOrNone(0) >= 0,
    60,
    () => "node 1 answers gRPC",
  );
}, 180_000);

afterAll(() => {
  for (const h of [...nodes.slice(1), router]) h?.kill("SIGKILL");
  stopLiveSuite(tmp, nodes[0], ["n1.pid", "n2.pid"]);
});

describe("one localnet across two routed namespaces: node 2 joins node 1's chain", () => {
  let chain: ReturnType<typeof parseLocalnetChain>;
  let joinEnv: Record<string, string>;

  test("node 1's chain identity, as the pactus step prints it: its genesis and peer id", () => {
    const line = sh(
      nodes[0],
      `. "$LIB"; psn_pactus_chain "$BIN/pactus-shell" ${GRPC_PORT} "$T/n1"`,
    );
    chain = parseLocalnetChain(`some log line\n${line}`);
    expect(chain).toBeDefined();
    expect(chain!.genesis).toBe(fs.readFileSync(path.join(tmp, "n1", "genesis.json"), "utf8"));
    expect(chain!.genesisSha256).toBe(sha256(path.join(tmp, "n1", "genesis.json")));
    expect(chain!.peerId).toMatch(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/);
    joinEnv = localnetJoinEnv(chain!, NODE1);
    expect(joinEnv.PSN_BOOTSTRAP_ADDRS).toBe(
      `/ip4/${NODE1}/tcp/${P2P_PORTS.localnet}/p2p/${chain!.peerId}`,
    );
  });

  test("node 2: its own wallet on node 1's genesis, node 1 as bootstrap peer; the daemon loads the config strictly", () => {
    fs.writeFileSync(path.join(tmp, "genesis-to-join.json"), joinEnv.PSN_GENESIS_JSON);
    const out = execFileSync(
      "python3",
      [
        path.join(ROOT, "remote", "pactus-init.py"),
        ...["--bin-dir", pactusBin(), "--working-dir", path.join(tmp, "n2"), "--network"],
        ...["localnet", "--val-num", "4", "--password-file", path.join(tmp, "pw")],
        ...["--genesis-file", path.join(tmp, "genesis-to-join.json")],
      ],
      { encoding: "utf8" },
    );
    expect(out).toContain(`joining the localnet of genesis sha256 ${chain!.genesisSha256}`);
    // A wallet of its own: 4 validators, none of node 1's (the committee's).
    const validators2 = JSON.parse(out.trim().split("\n").pop()!).validators as string[];
    expect(validators2).toHaveLength(4);
    expect(validators2.filter((v) => validators1.includes(v))).toEqual([]);
    expect(sha256(path.join(tmp, "n2", "genesis.json"))).toBe(chain!.genesisSha256);
    // The config as the pactus step writes it: the rendered file, bootstrap_addrs set on the host.
    fs.writeFileSync(path.join(tmp, "config-rendered.toml"), renderPactusConfig(config));
    sh(
      nodes[1],
      `. "$LIB"; psn_pactus_config "$(cat "$T/config-rendered.toml"; printf x)" "" "$ADDRS"
printf '%s' "\${config_toml%x}" >"$T/n2/config.toml"`,
      { ADDRS: joinEnv.PSN_BOOTSTRAP_ADDRS },
    );
    const toml = fs.readFileSync(path.join(tmp, "n2", "config.toml"), "utf8");
    expect(toml).toBe(
      renderPactusConfig(config).replace(
        "\nbootstrap_addrs = []\n",
        `\nbootstrap_addrs = [ "${joinEnv.PSN_BOOTSTRAP_ADDRS}" ]\n`,
      ),
    );
    // The route between the nodes cut until the test below restores it.
    sh(router!, `iptables -I FORWARD -j DROP`);
  });

  test("started late and cut off from node 1: node 2 stays behind, and /healthz says unhealthy", async () => {
    // Node 1 makes blocks first (its genesis time is the next round minute, at most a minute away).
    await until(
      () => height(0) >= 3,
      150,
      () => `node 1 at height ${height(0)}, wanted 3`,
    );
    startNode(1);
    await until(
      () => heightOrNone(1) >= 0,
      60,
      () => "node 2 answers gRPC",
    );
    // Positive control: the refresher says healthy for the node that makes the blocks.
    expect(refresh(0)).toMatchObject({ healthy: true, problems: [] });
    await new Promise((r) => setTimeout(r, 10_000));
    expect(height(1)).toBe(0);
    const h = refresh(1);
    console.log(`node 2 behind: ${JSON.stringify(h)}`);
    expect(h.healthy).toBe(false);
    expect(h.up).toBe(true);
    expect((h.problems as string[]).join(" ")).toMatch(/last block \d+ s ago/);
    expect(sh(nodes[1], `ls "$T/n2/config.toml_bak"* 2>/dev/null || true`)).toBe("");
  }, 240_000);

  test("reachable again: node 2 catches up (bounded), then /healthz says healthy; same hashes at 1 and the tip", async () => {
    const target = height(0);
    const t0 = Date.now();
    sh(router!, `iptables -D FORWARD -j DROP`);
    await until(
      () => height(1) >= target,
      180,
      () => `node 2 at ${height(1)}, node 1 at ${height(0)}`,
    );
    const caughtUp = (Date.now() - t0) / 1000;
    console.log(`node 2 caught up ${target} blocks in ${caughtUp.toFixed(1)} s`);
    // Healthy within a few refreshes once it follows the tip (bounded).
    let h: Record<string, unknown> = {};
    await until(
      () => (h = refresh(1)).healthy === true,
      30,
      () => JSON.stringify(h),
    );
    expect(h).toMatchObject({ healthy: true, problems: [], up: true });
    expect(Number(h.peers)).toBeGreaterThanOrEqual(1);
    const tip = height(1);
    expect(tip).toBeGreaterThanOrEqual(target);
    expect(blockHash(1, 1)).toMatch(/^[0-9a-f]{64}$/);
    expect(blockHash(1, 1)).toBe(blockHash(0, 1));
    expect(blockHash(1, tip)).toBe(blockHash(0, tip));
    expect(sha256(path.join(tmp, "n2", "genesis.json"))).toBe(
      sha256(path.join(tmp, "n1", "genesis.json")),
    );
  }, 240_000);

  test("node 1's genesis changes: refused while node 2 runs; stopped, node 2 moves to it (wallet kept, old chain gone)", async () => {
    // Another localnet's genesis: a throw-away node's.
    const other = path.join(tmp, "other");
    execFileSync("python3", [
      path.join(ROOT, "remote", "pactus-init.py"),
      ...["--bin-dir", pactusBin(), "--working-dir", other, "--network", "localnet"],
      ...["--val-num", "4", "--password-file", path.join(tmp, "pw")],
    ]);
    const rejoin = () =>
      spawnSync(
        "python3",
        [
          path.join(ROOT, "remote", "pactus-init.py"),
          ...["--bin-dir", pactusBin(), "--working-dir", path.join(tmp, "n2"), "--network"],
          ...["localnet", "--val-num", "4", "--password-file", path.join(tmp, "pw")],
          ...["--genesis-file", path.join(other, "genesis.json")],
        ],
        { encoding: "utf8" },
      );
    const wallet = sha256(path.join(tmp, "n2", "wallets", "default_wallet", "wallet.db"));
    const running = rejoin();
    expect(running.status).toBe(1);
    expect(running.stderr).toContain("a running pactus-daemon holds its lock: stop it first");
    expect(fs.existsSync(path.join(tmp, "n2", "data"))).toBe(true);
    const pid = Number(fs.readFileSync(path.join(tmp, "n2.pid"), "utf8"));
    process.kill(pid, "SIGTERM");
    await until(
      () => !fs.existsSync(`/proc/${pid}`),
      60,
      () => `node 2 (pid ${pid}) still runs`,
    );
    const stopped = rejoin();
    expect(stopped.status).toBe(0);
    expect(stopped.stdout).toMatch(
      /joined the localnet of genesis sha256 [0-9a-f]{64}: genesis.json replaced/,
    );
    expect(sha256(path.join(tmp, "n2", "genesis.json"))).toBe(
      sha256(path.join(other, "genesis.json")),
    );
    expect(fs.existsSync(path.join(tmp, "n2", "data"))).toBe(false);
    expect(sha256(path.join(tmp, "n2", "wallets", "default_wallet", "wallet.db"))).toBe(wallet);
    // Again: nothing to do.
    expect(rejoin().stdout).toContain("already initialised");
  }, 120_000);

  test("a wallet of the committee is refused (node 1's wallet where another node should be: double signing)", () => {
    // Node 1's wallet (a copy, node 1 stopped) in a working dir on another genesis, told to join node 1's.
    const pid = Number(fs.readFileSync(path.join(tmp, "n1.pid"), "utf8"));
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 600 && fs.existsSync(`/proc/${pid}`); i++) spawnSync("sleep", ["0.1"]);
    const copy = path.join(tmp, "n1copy");
    fs.mkdirSync(copy, { mode: 0o700 });
    fs.cpSync(path.join(tmp, "n1", "wallets"), path.join(copy, "wallets"), { recursive: true });
    fs.copyFileSync(path.join(tmp, "other", "genesis.json"), path.join(copy, "genesis.json"));
    const r = spawnSync(
      "python3",
      [
        path.join(ROOT, "remote", "pactus-init.py"),
        ...["--bin-dir", pactusBin(), "--working-dir", copy, "--network"],
        ...["localnet", "--val-num", "4", "--password-file", path.join(tmp, "pw")],
        ...["--genesis-file", path.join(tmp, "genesis-to-join.json")],
      ],
      { encoding: "utf8" },
    );
    expect(r.stderr).toContain(`validator ${validators1[0]} is in the committee`);
    expect(r.status).toBe(1);
    // Nothing changed.
    expect(sha256(path.join(copy, "genesis.json"))).toBe(
      sha256(path.join(tmp, "other", "genesis.json")),
    );
  });
});
