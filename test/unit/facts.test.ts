/**
 * Facts the project needs in more than one place are written once and used everywhere; where a second
 * copy cannot be avoided (a file another tool reads), a test holds the copies together.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { publicPorts } from "../../components/host";
import { P2P_PORTS } from "../../components/render";
import { planSteps } from "../../components/steps";
import { DEFAULT_CORS_ORIGINS, Network, PING_ORIGIN, parseConfig } from "../../components/validate";
import { baseRaw, cfg } from "../helpers/config";

const ROOT = path.resolve(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

describe("P2P ports: one map for the cloud firewall and ufw", () => {
  test.each(Object.keys(P2P_PORTS) as Network[])("%s", (network) => {
    const port = P2P_PORTS[network];
    const opened = publicPorts(network)
      .filter((p) => ![80, 443].includes(p.port))
      .map((p) => `${p.port}/${p.protocol}`);
    expect(opened).toEqual(port === undefined ? [] : [`${port}/tcp`, `${port}/udp`]);
    const base = planSteps(cfg({ pactus: { network } }), { sshPort: 22 }).find(
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
