import { StepName, buildCommand, metricsExpectation, planSteps } from "../../components/steps";
import { BASE_PACTUS, METRICS_LINE, baseRaw, cfg, monitoringRaw } from "../helpers/config";
import {
  OPAQUE_SECRET,
  basicAuthDigest,
  monitoringAuthDigest,
  type RawConfig,
  type StackConfig,
} from "../../components/config";

function hashes(over: Partial<RawConfig> = {}): Record<StepName, string> {
  return Object.fromEntries(
    planSteps(cfg(over), { sshPort: 22 }).map((s) => [s.name, s.hash]),
  ) as Record<StepName, string>;
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
    [
      "acme.email",
      { acme: { ...(base.acme as object), email: "other@example.org" } },
      ["certificate", "verify"],
    ],
    [
      "acme.server",
      { acme: { ...(base.acme as object), server: "production" } },
      ["certificate", "verify"],
    ],
    [
      "nginx.rateLimit (nginx template input only)",
      { nginx: { rateLimit: 5 } },
      ["nginx-tls", "verify"],
    ],
    [
      "apis.grpcWeb off",
      { apis: { grpcWeb: false, jsonrpc: true, http: true } },
      ["nginx-tls", "verify"],
    ],
    [
      "dns.resolver",
      { dns: { provider: "none", resolver: "9.9.9.9" } },
      ["wait-for-dns", "verify"],
    ],
    [
      "pactus.version (the release, and the refresher's pactus-shell)",
      { pactus: { ...BASE_PACTUS, version: "1.16.1" } },
      ["pactus", "health", "verify"],
    ],
    ["pactus.validators", { pactus: { ...BASE_PACTUS, validators: 2 } }, ["pactus", "verify"]],
    [
      "pactus.purgeOnDestroy (its delete command)",
      { pactus: { ...BASE_PACTUS, purgeOnDestroy: true } },
      ["pactus", "verify"],
    ],
    [
      "cors.origins (nginx map and the node's own CORS)",
      { cors: { origins: ["https://wallet.pactus.org"] } },
      ["pactus", "nginx-tls", "verify"],
    ],
    [
      "pactus.network (P2P port in the firewall, the node's chain)",
      { pactus: { network: "testnet" } },
      ["base", "pactus", "health", "verify"],
    ],
    [
      "health.refreshSeconds (the refresher's settings only)",
      { health: { refreshSeconds: 5 } },
      ["health", "verify"],
    ],
    [
      "health.maxBlockAgeSeconds (the refresher's settings only)",
      { health: { maxBlockAgeSeconds: 600 } },
      ["health", "verify"],
    ],
  ])("%s", (_what, over, expected) => {
    expect(changed(over)).toEqual(expected);
  });

  test("secrets do not enter any hash (they travel on stdin)", () => {
    expect(
      changed({ secrets: { ...base.secrets, "pactus.walletPassword": "another long password" } }),
    ).toEqual([]);
  });
});

describe("a host path or port of components/render/paths.ts re-runs exactly the steps it reaches", () => {
  type Paths = typeof import("../../components/render/paths");
  /** Step hashes of the base config with paths.ts changed as `over` says (a fresh module graph). */
  function hashesWith(
    over: (p: ReturnType<Paths["hostPaths"]>) => object,
    consts: Record<string, unknown> = {},
  ): Record<StepName, string> {
    let out: Record<StepName, string> | undefined;
    jest.isolateModules(() => {
      jest.doMock("../../components/render/paths", () => {
        const real = jest.requireActual<Paths>("../../components/render/paths");
        return {
          ...real,
          ...consts,
          hostPaths: (d: string, v: string) => ({
            ...real.hostPaths(d, v),
            ...over(real.hostPaths(d, v)),
          }),
        };
      });
      // requireActual: the module itself, whose own imports of paths.ts get the mock above.
      const steps =
        jest.requireActual<typeof import("../../components/steps")>("../../components/steps");
      const helpers = jest.requireActual<typeof import("../helpers/config")>("../helpers/config");
      out = Object.fromEntries(
        steps.planSteps(helpers.cfg(), { sshPort: 22 }).map((s) => [s.name, s.hash]),
      ) as Record<StepName, string>;
    });
    return out!;
  }
  const changedWith = (
    over: Parameters<typeof hashesWith>[0],
    consts?: Record<string, unknown>,
  ) => {
    const a = hashes();
    const b = hashesWith(over, consts);
    return (Object.keys(a) as StepName[]).filter((k) => a[k] !== b[k]);
  };

  test("unchanged paths.ts, the same hashes as without the mock", () => {
    expect(changedWith(() => ({}))).toEqual([]);
  });

  test.each<[string, (p: ReturnType<Paths["hostPaths"]>) => object, StepName[]]>([
    [
      "stateDir (packages, ufw, default site, validators.json, the DNS-01 plugin)",
      () => ({ stateDir: "/var/lib/psn-state" }),
      ["base", "pactus", "nginx-bootstrap", "certificate", "verify"],
    ],
    [
      "pactusWorkingDir (the pactus step, its unit, verify's lock check)",
      () => ({ pactusWorkingDir: "/srv/pactus/node" }),
      ["pactus", "verify"],
    ],
    [
      "pactusInstallRoot (the pactus undo)",
      () => ({ pactusInstallRoot: "/srv/opt" }),
      ["pactus", "verify"],
    ],
    [
      "certDir (certbot's live dir: certificate, the TLS site, the refresher's expiry, verify)",
      (p) => ({ certDir: p.certDir.replace("/etc/", "/srv/") }),
      ["certificate", "nginx-tls", "health", "verify"],
    ],
    [
      "healthDir (the refresher's output, which nginx serves)",
      () => ({ healthDir: "/run/psn-health" }),
      ["nginx-tls", "health", "verify"],
    ],
    [
      "nginxTlsSite",
      () => ({ nginxTlsSite: "/etc/nginx/sites-available/node.conf" }),
      ["nginx-tls", "verify"],
    ],
    [
      "acmeWebroot (the port-80 site and certbot)",
      () => ({ acmeWebroot: "/srv/acme" }),
      ["nginx-bootstrap", "certificate", "verify"],
    ],
  ])("%s", (_what, over, expected) => {
    expect(changedWith(over)).toEqual(expected);
  });

  test("GRPC_PORT (config.toml, the gRPC-Web upstream, the listener checks, the refresher)", () => {
    const real = jest.requireActual<Paths>("../../components/render/paths");
    expect(
      changedWith(() => ({}), {
        GRPC_PORT: 50999,
        PORTS: { ...real.PORTS, grpc: "127.0.0.1:50999" },
      }),
    ).toEqual(["pactus", "nginx-tls", "health", "verify"]);
  });
});

describe("apis.basicAuth: the line is secret, its digest decides the pactus step's hash", () => {
  const LINE = "alice:$2y$05$EUV12dlTmMkK.FODhQMDguO5V6mZNKIuOYChRj132JIuwfDDqXAp6";
  const OTHER = "alice:$2y$05$Xf0Y3LgvQJ8mBv0mCj1V6uJq8s0wYk0eQmXl0m1b5wQ5uQ0m3Yf6K";
  const withAuth = {
    secrets: {
      ...base.secrets,
      "apis.basicAuth": OPAQUE_SECRET,
      "apis.basicAuthPassword": OPAQUE_SECRET,
    },
  } as Partial<RawConfig>;
  const plan = (digest?: string) =>
    Object.fromEntries(
      planSteps(cfg(digest ? withAuth : {}), { sshPort: 22, basicAuthDigest: digest }).map((s) => [
        s.name,
        s,
      ]),
    );

  test("turning it on re-runs pactus (config.toml), nginx-tls (no cache then), health and verify (credentials), nothing else", () => {
    const off = plan();
    const on = plan(basicAuthDigest(LINE));
    expect((Object.keys(off) as StepName[]).filter((k) => off[k].hash !== on[k].hash)).toEqual([
      "pactus",
      "nginx-tls",
      "health",
      "verify",
    ]);
  });

  test("a new line (new password) changes the pactus hash; the same line keeps it", () => {
    expect(plan(basicAuthDigest(LINE)).pactus.hash).toBe(plan(basicAuthDigest(LINE)).pactus.hash);
    expect(plan(basicAuthDigest(OTHER)).pactus.hash).not.toBe(
      plan(basicAuthDigest(LINE)).pactus.hash,
    );
    expect(plan(basicAuthDigest(OTHER)).verify.hash).not.toBe(
      plan(basicAuthDigest(LINE)).verify.hash,
    );
  });

  test("verify reads secrets from stdin only when basic auth is on", () => {
    expect(plan().verify.secretStdin).toBe(false);
    expect(plan(basicAuthDigest(LINE)).verify.secretStdin).toBe(true);
    expect(plan(basicAuthDigest(LINE)).pactus.secretStdin).toBe(true);
  });

  test("neither the line nor its parts are in any step's non-secret text (script, inputs, hash, command)", () => {
    const digest = basicAuthDigest(LINE);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    const text = JSON.stringify(
      Object.values(plan(digest)).map((s) => ({
        ...s,
        command: buildCommand(s.name, s.hash, false),
      })),
    );
    for (const v of [LINE, LINE.split(":")[1], LINE.split("$").pop()!])
      expect(text).not.toContain(v);
  });

  test("a plan with basic auth but without its digest is a bug, refused", () => {
    expect(() => planSteps(cfg(withAuth), { sshPort: 22 })).toThrow(/no basicAuthDigest/);
  });
});

describe("monitoring: what turning it on re-runs, and its line's digest", () => {
  const plan = (raw: RawConfig | undefined, digest?: string) =>
    Object.fromEntries(
      planSteps(cfg(raw ?? {}), { sshPort: 22, monitoringAuthDigest: digest }).map((s) => [
        s.name,
        s,
      ]),
    );
  const OTHER = `prometheus:$2y$05$${"x".repeat(53)}`;

  test("on: a new monitoring step; pactus (HTML server), nginx-tls (/metrics/) and verify re-run, nothing else", () => {
    const off = plan(undefined);
    const on = plan(monitoringRaw(), monitoringAuthDigest(METRICS_LINE));
    expect(Object.keys(on).filter((k) => !(k in off))).toEqual(["monitoring"]);
    expect(Object.keys(off).filter((k) => off[k].hash !== on[k].hash)).toEqual([
      "pactus",
      "nginx-tls",
      "verify",
    ]);
  });

  test("a new htpasswd line re-runs the monitoring step (and verify), nothing else; CIDRs re-run nginx-tls", () => {
    const a = plan(monitoringRaw(), monitoringAuthDigest(METRICS_LINE));
    const b = plan(monitoringRaw(), monitoringAuthDigest(OTHER));
    expect(Object.keys(a).filter((k) => a[k].hash !== b[k].hash)).toEqual(["monitoring", "verify"]);
    const c = plan(monitoringRaw({ cidrs: ["10.0.0.0/8"] }), monitoringAuthDigest(METRICS_LINE));
    expect(Object.keys(a).filter((k) => a[k].hash !== c[k].hash)).toEqual(["nginx-tls", "verify"]);
  });

  test("what verify expects of /metrics/ without credentials from the host: off, protected, or open (loopback listed)", () => {
    const m = (over: Partial<StackConfig["monitoring"]>) =>
      metricsExpectation({ enabled: true, basicAuth: false, allowCidrs: [], ...over });
    expect(metricsExpectation(cfg().monitoring)).toBe("off");
    expect(m({ basicAuth: true })).toBe("protected");
    expect(m({ allowCidrs: ["203.0.113.0/24", "2001:db8::/32"] })).toBe("protected");
    expect(m({ allowCidrs: ["10.0.0.0/8", "127.0.0.1/32"] })).toBe("open");
    expect(m({ allowCidrs: ["0.0.0.0/1"] })).toBe("open");
    expect(m({ allowCidrs: ["127.0.0.0/8"], basicAuth: true })).toBe("protected");
    expect(plan(monitoringRaw(), monitoringAuthDigest(METRICS_LINE)).verify.env.PSN_METRICS).toBe(
      "protected",
    );
    expect(plan(undefined).verify.env.PSN_METRICS).toBe("off");
  });

  test("a plan with monitoring.basicAuth but without its digest is a bug, refused", () => {
    expect(() => planSteps(cfg(monitoringRaw()), { sshPort: 22 })).toThrow(
      /no monitoringAuthDigest/,
    );
  });
});
