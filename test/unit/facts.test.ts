/**
 * Facts the project needs in more than one place are written once and used everywhere; where a second
 * copy cannot be avoided (a file another tool reads), a test holds the copies together.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { publicPorts } from "../../components/host";
import { P2P_PORTS } from "../../components/render";
import { PACTUS_RELEASES } from "../../components/pactusReleases";
import { planSteps } from "../../components/steps";
import {
  DEFAULT_CORS_ORIGINS,
  DEFAULT_PACTUS_VERSION,
  Network,
  PING_ORIGIN,
  parseConfig,
} from "../../components/config";
import { baseRaw, cfg } from "../helpers/config";
import { versionPins } from "../helpers/local";

const ROOT = path.resolve(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

describe("P2P ports: one map for the cloud firewall and ufw", () => {
  test.each(Object.keys(P2P_PORTS) as Network[])("%s", (network) => {
    const port = P2P_PORTS[network];
    const opened = publicPorts(network)
      .filter((p) => ![80, 443].includes(p.port))
      .map((p) => `${p.port}/${p.protocol}`);
    expect(opened).toEqual(port === undefined ? [] : [`${port}/tcp`, `${port}/udp`]);
    const base = planSteps(cfg({ pactus: { network, allowNoBackup: true } }), { sshPort: 22 }).find(
      (s) => s.name === "base",
    )!;
    expect(base.env.PSN_P2P_PORT).toBe(port === undefined ? "" : String(port));
  });
});

describe("the ping origin: one constant for the CORS default and the verify step", () => {
  test("cors.origins defaults to it, and verify sends it as the Origin", () => {
    expect(DEFAULT_CORS_ORIGINS).toEqual([PING_ORIGIN]);
    const raw = baseRaw();
    delete raw.cors;
    const config = parseConfig(raw).config;
    expect(config.cors.origins).toEqual([PING_ORIGIN]);
    const verify = (c: typeof config) =>
      planSteps(c, { sshPort: 22 }).find((s) => s.name === "verify")!.env.PSN_ORIGIN;
    expect(verify(config)).toBe(PING_ORIGIN);
    expect(verify(cfg({ cors: { origins: ["*"], allowAny: true } }))).toBe(PING_ORIGIN);
  });

  test("Pulumi.yaml names it as the default of cors.origins", () => {
    const doc = parse(read("Pulumi.yaml"));
    expect(doc.config.cors.description).toContain(`(default [${PING_ORIGIN}])`);
  });
});

describe("version pins agree", () => {
  const pkg = JSON.parse(read("package.json"));
  const lock = JSON.parse(read("package-lock.json"));

  test.each([
    ["PULUMI_VERSION", "@pulumi/pulumi"],
    ["COMMAND_PROVIDER_VERSION", "@pulumi/command"],
  ])("tools/versions.env %s is package.json's (and the lock's) %s", (pin, npmName) => {
    const want = versionPins()[pin];
    expect(want).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.dependencies[npmName]).toBe(want);
    expect(lock.packages[`node_modules/${npmName}`].version).toBe(want);
  });

  test("tools/versions.env PACTUS_VERSION (the toolchain's daemon) is the default pactus.version", () => {
    const want = versionPins().PACTUS_VERSION;
    expect(want).toMatch(/^\d+\.\d+\.\d+$/);
    expect(DEFAULT_PACTUS_VERSION).toBe(want);
    expect(parseConfig(baseRaw()).config.pactus.version).toBe(want);
  });

  test("the toolchain's two Pactus releases are the ones the stack knows, the newer one the pin", () => {
    const { PACTUS_VERSION, PACTUS_PREVIOUS_VERSION } = versionPins();
    expect(Object.keys(PACTUS_RELEASES).sort()).toEqual(
      [PACTUS_PREVIOUS_VERSION, PACTUS_VERSION].sort(),
    );
    expect(PACTUS_RELEASES[PACTUS_VERSION].protocol).toBeGreaterThanOrEqual(
      PACTUS_RELEASES[PACTUS_PREVIOUS_VERSION].protocol,
    );
    const go = read("tools/toolchain/pactus-previous/go.mod");
    expect(go).toMatch(
      new RegExp(`^\\s*github\\.com/pactus-project/pactus v${PACTUS_PREVIOUS_VERSION}(\\s|$)`, "m"),
    );
  });

  test("Pulumi.yaml, the README and the sandbox stack name the same default Pactus version", () => {
    const pactus = parse(read("Pulumi.yaml")).config.pactus;
    // A declared default would be the engine's; there is none, the code's applies (components/config/).
    if (pactus.default?.version !== undefined)
      expect(pactus.default.version).toBe(DEFAULT_PACTUS_VERSION);
    expect(pactus.description).toContain(`(X.Y.Z, default ${DEFAULT_PACTUS_VERSION})`);
    expect(read("README.md")).toContain(`| \`pactus.version\` | \`${DEFAULT_PACTUS_VERSION}\` |`);
    // The sandbox installs the release it packs from the toolchain's daemon.
    const sandbox = parse(read("Pulumi.sandbox.yaml")).config;
    expect(sandbox["pactus-secure-node:pactus"].version).toBe(versionPins().PACTUS_VERSION);
  });

  test("tools/clients/requirements.txt: the Python clients at PACTUS_VERSION, every package pinned with ==", () => {
    const lines = read("tools/clients/requirements.txt")
      .split("\n")
      .filter((l) => l.trim() && !l.startsWith("#"));
    for (const l of lines) expect(l).toMatch(/^[A-Za-z0-9_.-]+==[^=\s]+$/);
    const pins = Object.fromEntries(lines.map((l) => l.split("==")));
    const want = versionPins().PACTUS_VERSION;
    expect([pins["pactus-grpc"], pins["pactus-jsonrpc"]]).toEqual([want, want]);
  });

  test("the toolchain README's table of what is built shows the pins", () => {
    const table = read("tools/toolchain/README.md");
    const row = (binary: string) =>
      new RegExp(`^\\| \`${binary}\`[^|]* \\| \\**([^|*]+?)\\** \\|`, "m").exec(table)?.[1];
    const p = versionPins();
    expect(row("pulumi")).toBe(p.PULUMI_VERSION);
    expect(row("pulumi-language-nodejs")).toBe(p.PULUMI_LANGUAGE_NODEJS_VERSION);
    expect(row("pulumi-resource-command")).toBe(p.COMMAND_PROVIDER_VERSION);
    expect(row("pactus-daemon")).toBe(p.PACTUS_VERSION);
    expect(row("actionlint")).toBe(p.ACTIONLINT_VERSION);
  });
});
