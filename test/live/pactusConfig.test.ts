/**
 * The rendered config.toml in the real Pactus daemon: it loads without being moved aside and rewritten
 * (strict loading), every API it enables answers on 127.0.0.1 and nothing else listens publicly.
 * The daemon runs in a private network namespace so the fixed ports never clash with the machine.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseToml } from "smol-toml";
import { PACTUS_RELEASES } from "../../components/pactusReleases";
import { PORTS, renderPactusConfig } from "../../components/render";
import { baseRaw, cfg } from "../helpers/config";
import {
  NETNS_SETUP,
  initLocalnetWallet,
  pactusBin,
  pactusBinOf,
  pactusSourceDir,
} from "../helpers/local";

const VERSIONS = Object.keys(PACTUS_RELEASES);
const dirs: Record<string, string> = {};
let tmp: string;
beforeAll(() => {
  for (const v of VERSIONS) {
    dirs[v] = fs.mkdtempSync(path.join(os.tmpdir(), `psn-config-${v}-`));
    initLocalnetWallet(dirs[v], pactusBinOf(v));
  }
  tmp = dirs[VERSIONS[VERSIONS.length - 1]];
});
afterAll(() => {
  if (!process.env.PSN_KEEP)
    for (const d of Object.values(dirs)) fs.rmSync(d, { recursive: true, force: true });
});

/** The keys of each section of upstream's config/example_config.toml at that tag (commented out or not). */
function upstreamKeys(version: string): Record<string, string[]> {
  const text = fs.readFileSync(
    path.join(pactusSourceDir(version), "config", "example_config.toml"),
    "utf8",
  );
  // The example comments most keys out ("# key = value"): uncomment to read them all.
  const doc = parseToml(text.replace(/^(\s*)# ?(\[|[a-z_]+ = )/gm, "$1$2")) as Record<
    string,
    Record<string, unknown>
  >;
  return Object.fromEntries(Object.entries(doc).map(([s, body]) => [s, Object.keys(body)]));
}

describe.each(VERSIONS)("what the stack knows of Pactus %s", (version) => {
  test("its config keys are the ones upstream's example_config.toml lists at that tag", () => {
    const upstream = upstreamKeys(version);
    for (const [section, keys] of Object.entries(PACTUS_RELEASES[version].keys))
      expect([...keys].sort()).toEqual([...upstream[section]].sort());
  });

  test("its block protocol is upstream's ProtocolVersionLatest at that tag", () => {
    const src = fs.readFileSync(
      path.join(pactusSourceDir(version), "types", "protocol", "protocol.go"),
      "utf8",
    );
    const latest = /ProtocolVersionLatest\s*=\s*(ProtocolVersion\d+)/.exec(src)?.[1];
    expect(latest).toBe(`ProtocolVersion${PACTUS_RELEASES[version].protocol}`);
  });
});

// Starts the daemon in its own netns, waits for block 1 over JSON-RPC, records the listeners, stops it.
const PROBE = `
set -euo pipefail
${NETNS_SETUP}
"$BIN/pactus-daemon" start -w "$WD" --password-from-file "$PW" >"$WD/../daemon.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  if curl -sf -H 'Content-Type: application/json' \\
      -d '{"jsonrpc":"2.0","id":1,"method":"pactus.blockchain.get_blockchain_info","params":{}}' \\
      http://127.0.0.1:8545/ -o "$WD/../info.json" && grep -q '"last_block_height":[1-9]' "$WD/../info.json"; then
    break
  fi
  sleep 0.5
done
ss -Hltn > "$WD/../listen.txt"
curl -sf "http://127.0.0.1:8080/http/api/pactus/blockchain/get_block_hash?height=1" -o "$WD/../http.json" || true
rm -f "$WD/../metrics.txt"
curl -sf "http://127.0.0.1:8081/metrics/prometheus" -o "$WD/../metrics.txt" || true
`;

describe("the rendered config.toml in each supported pactus-daemon", () => {
  test.each(VERSIONS.flatMap((v) => [[v, "off"] as const, [v, "on"] as const]))(
    "%s loads it strictly (monitoring %s): not moved aside, not rewritten; APIs answer on loopback only",
    (version, monitoring) => {
      const tmp = dirs[version];
      const wd = path.join(tmp, "wd");
      const c = cfg({
        pactus: { ...(baseRaw().pactus as object), version },
        cors: { origins: ["https://ping.pactus.org"] },
        ...(monitoring === "on"
          ? { monitoring: { enabled: true, allowCidrs: ["10.0.0.0/8"] } }
          : {}),
      });
      expect(c.monitoring.enabled).toBe(monitoring === "on");
      const config = renderPactusConfig(c);
      fs.writeFileSync(path.join(wd, "config.toml"), config);
      const r = spawnSync("unshare", ["--net", "bash", "-c", PROBE], {
        env: { ...process.env, BIN: pactusBinOf(version), WD: wd, PW: path.join(tmp, "pw") },
        encoding: "utf8",
        timeout: 90_000,
      });
      const log = fs.existsSync(path.join(tmp, "daemon.log"))
        ? fs.readFileSync(path.join(tmp, "daemon.log"), "utf8")
        : "";
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
      expect(fs.readFileSync(path.join(wd, "config.toml"), "utf8")).toBe(config);
      expect(fs.readdirSync(wd).filter((f) => f.startsWith("config.toml_bak"))).toEqual([]);
      expect(log).not.toMatch(/config.*(recover|backup|rewrit)/i);
      const info = JSON.parse(fs.readFileSync(path.join(tmp, "info.json"), "utf8"));
      expect(info.result.last_block_height).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(fs.readFileSync(path.join(tmp, "http.json"), "utf8")).hash).toMatch(
        /^[0-9a-f]{64}$/,
      );
      const listeners = fs
        .readFileSync(path.join(tmp, "listen.txt"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[3]);
      for (const listen of [PORTS.grpc, PORTS.jsonrpc, PORTS.http])
        expect(listeners).toContain(listen);
      // The HTML server (its /metrics/prometheus) only with monitoring, on loopback only.
      expect(listeners.filter((a) => a.endsWith(":8081"))).toEqual(
        monitoring === "on" ? [PORTS.html] : [],
      );
      const metrics = path.join(tmp, "metrics.txt");
      expect(
        fs.existsSync(metrics) && /^go_goroutines /m.test(fs.readFileSync(metrics, "utf8")),
      ).toBe(monitoring === "on");
      // Localnet's defaults would open gRPC/JSON-RPC/HTTP and the HTML UI on [::]: none of that survives.
      const publicApi = listeners.filter(
        (a) => !a.startsWith("127.0.0.1:") && /:(50051|50052|8545|8080|80|2833\d)$/.test(a),
      );
      expect(publicApi).toEqual([]);
    },
  );

  test("control: the runbook's [http] origins key makes the daemon move the file aside (what the test above rules out)", () => {
    const wd = path.join(tmp, "wd");
    const bad = renderPactusConfig(cfg()).replace(
      'base_path = "/http"',
      'base_path = "/http"\norigins = []',
    );
    expect(bad).toContain("origins = []\n");
    fs.writeFileSync(path.join(wd, "config.toml"), bad);
    spawnSync("unshare", ["--net", "bash", "-c", PROBE], {
      env: { ...process.env, BIN: pactusBin(), WD: wd, PW: path.join(tmp, "pw") },
      timeout: 90_000,
    });
    expect(fs.readdirSync(wd).filter((f) => f.startsWith("config.toml_bak")).length).toBe(1);
    expect(fs.readFileSync(path.join(wd, "config.toml"), "utf8")).not.toBe(bad);
  });
});
