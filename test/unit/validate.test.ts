import { hashSync } from "bcryptjs";
import {
  ACME_SERVERS,
  ConfigError,
  OPAQUE_SECRET,
  RawConfig,
  RawSecret,
  fleetNodeConfigs,
  instanceArch,
  parseConfig,
  splitSecrets,
} from "../../components/config";
import {
  BASE_PACTUS,
  METRICS_LINE,
  METRICS_PASSWORD,
  awsRaw,
  baseRaw,
  monitoringRaw,
  problems,
} from "../helpers/config";

/** Asserts exactly one problem, on `key`, whose text matches `fix`. */
function expectProblem(raw: ReturnType<typeof baseRaw>, key: string, fix: RegExp) {
  const list = problems(raw);
  expect(list).toHaveLength(1);
  expect(list[0].startsWith(`${key}: `)).toBe(true);
  expect(list[0]).toMatch(fix);
}

describe("valid configuration", () => {
  test("existing host with defaults filled in", () => {
    const { config, secrets } = parseConfig(baseRaw());
    expect(config.domain).toBe("node.example.org");
    expect(config.acme.server).toBe(ACME_SERVERS.staging);
    expect(config.acme.staging).toBe(true);
    expect(config.host).toEqual({
      provider: "existing",
      address: "203.0.113.10",
      port: 22,
      user: "root",
      hasPrivateKey: true,
    });
    expect(config.pactus).toMatchObject({
      version: "1.16.0",
      network: "mainnet",
      validators: 1,
      purgeOnDestroy: false,
    });
    expect(config.pactus.releaseBaseUrl).toBe(
      "https://github.com/pactus-project/pactus/releases/download",
    );
    expect(config.dns).toEqual({ provider: "none", resolver: "1.1.1.1", waitSeconds: 900 });
    expect(secrets.walletPassword).toBe("correct horse battery");
    // Secrets never ride along in the plain config.
    expect(JSON.stringify(config)).not.toContain("correct horse battery");
  });

  test("aws host and cloudflare dns", () => {
    const { config } = parseConfig(awsRaw());
    expect(config.host).toMatchObject({
      provider: "aws",
      region: "eu-central-1",
      instanceType: "t3.small",
      diskGb: 30,
      os: "debian-13",
      user: "admin",
    });
    expect(config.dns).toMatchObject({ provider: "cloudflare", ttl: 60 });
  });

  test("the data volume: 50 GiB in the region's first zone, daily snapshots kept 7 days", () => {
    const { config } = parseConfig(awsRaw());
    expect(config.host).toMatchObject({ dataDiskGb: 50 });
    expect(config.host).not.toHaveProperty("availabilityZone");
    expect(config.backup).toEqual({ keepDays: 7 });
    const set = parseConfig(
      awsRaw({
        host: {
          provider: "aws",
          region: "us-west-2",
          adminCidrs: ["203.0.113.7/32"],
          dataDiskGb: "200",
          availabilityZone: "us-west-2-lax-1a",
        },
        backup: { keepDays: "30" },
      }),
    ).config;
    expect(set.host).toMatchObject({ dataDiskGb: 200, availabilityZone: "us-west-2-lax-1a" });
    expect(set.backup).toEqual({ keepDays: 30 });
    expect(
      parseConfig(
        awsRaw({
          host: {
            provider: "aws",
            region: "eu-central-1",
            adminCidrs: ["203.0.113.7/32"],
            availabilityZone: "eu-central-1c",
          },
        }),
      ).config.host,
    ).toMatchObject({ availabilityZone: "eu-central-1c" });
  });

  test.each([
    [{ keepDays: 0 }, /backup.keepDays: must be a whole number from 1 to 365, got 0/],
    [{ keepDays: 366 }, /backup.keepDays: must be a whole number from 1 to 365, got 366/],
    [{ keepDays: "a week" }, /backup.keepDays: must be a whole number from 1 to 365, got "a week"/],
    [{ keep: 7 }, /backup.keep: unknown key; known keys of backup: keepDays/],
    [
      "7",
      /backup: must be an object; set its fields with `pulumi config set --path backup.<field>/,
    ],
  ])("backup %j is refused with its fix", (backup, fix) => {
    const list = problems(awsRaw({ backup }));
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(fix);
  });

  test("health: refresh every 10 s, unhealthy after 120 s without a block; both settable", () => {
    expect(parseConfig(awsRaw()).config.health).toEqual({
      refreshSeconds: 10,
      maxBlockAgeSeconds: 120,
    });
    expect(
      parseConfig(awsRaw({ health: { refreshSeconds: "5", maxBlockAgeSeconds: 600 } })).config
        .health,
    ).toEqual({ refreshSeconds: 5, maxBlockAgeSeconds: 600 });
  });

  test.each([
    [{ refreshSeconds: 1 }, /health.refreshSeconds: must be a whole number from 2 to 300, got 1/],
    [
      { refreshSeconds: "ten" },
      /health.refreshSeconds: must be a whole number from 2 to 300, got "ten"/,
    ],
    [
      { maxBlockAgeSeconds: 29 },
      /health.maxBlockAgeSeconds: must be a whole number from 30 to 86400, got 29/,
    ],
    [
      { refreshSeconds: 60, maxBlockAgeSeconds: 90 },
      /health.maxBlockAgeSeconds: 90 is less than two refresh periods \(health.refreshSeconds 60\); set at least 120, or refresh more often/,
    ],
    [
      { period: 7 },
      /health.period: unknown key; known keys of health: refreshSeconds, maxBlockAgeSeconds/,
    ],
  ])("health %j is refused with its fix", (health, fix) => {
    const list = problems(awsRaw({ health }));
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(fix);
  });

  test("string forms of booleans and numbers (pulumi config set --path stores strings)", () => {
    const { config } = parseConfig(
      baseRaw({
        apis: { grpcWeb: "false", jsonrpc: "true" },
        pactus: { ...BASE_PACTUS, validators: "7" },
      }),
    );
    expect(config.apis).toEqual({ grpcWeb: false, jsonrpc: true, http: true, basicAuth: false });
    expect(config.pactus.validators).toBe(7);
  });

  test("production keyword, custom https ACME server and opaque secrets (offline render)", () => {
    expect(
      parseConfig(baseRaw({ acme: { email: "a@b.org", server: "production" } })).config.acme
        .staging,
    ).toBe(false);
    expect(
      parseConfig(baseRaw({ acme: { email: "a@b.org", server: "https://10.231.0.1:14000/dir" } }))
        .config.acme.server,
    ).toBe("https://10.231.0.1:14000/dir");
    const raw = baseRaw({
      secrets: { "pactus.walletPassword": OPAQUE_SECRET, "host.privateKey": OPAQUE_SECRET },
    });
    expect(problems(raw)).toEqual([]);
  });

  test("all problems are reported at once", () => {
    const raw = baseRaw({ domain: "", acme: { email: "nope" }, secrets: {} });
    const e = (() => {
      try {
        parseConfig(raw);
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error("accepted");
    })();
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.problems.map((p) => p.split(":")[0]).sort()).toEqual([
      "acme.email",
      "domain",
      "host.privateKey",
      "pactus.walletPassword",
    ]);
    expect(e.message).toMatch(/Invalid stack configuration \(4 problems\)/);
  });
});

describe("bad input names the key and the fix", () => {
  const domainCases: [string, unknown, RegExp][] = [
    ["missing", undefined, /missing; set .*pulumi config set domain node\.example\.org/],
    ["scheme", "https://node.example.org", /has a scheme; set the bare name/],
    ["path", "node.example.org/rpc", /has a path/],
    ["port", "node.example.org:8443", /has a port/],
    ["wildcard", "*.example.org", /wildcard/],
    ["uppercase", "Node.Example.org", /uppercase letters; use "node\.example\.org"/],
    ["space", "node example.org", /whitespace/],
    [
      "label over 63",
      `${"a".repeat(64)}.example.org`,
      /64 characters long; a label has at most 63/,
    ],
    ["name over 253", `${"abcdefghi.".repeat(26)}org`, /a DNS name has at most 253/],
    ["IPv4 address", "203.0.113.10", /is an IP address/],
    ["IPv6 address", "2001:db8::1", /is an IP address/],
    ["shell metacharacters", "node.example.org;rm", /contains ";"/],
    ["command substitution", "$(id).example.org", /contains "\$" "\(" "\)"/],
    ["nginx metacharacters", "node{}.example.org", /contains "\{" "\}"/],
    ["quote", "node'.example.org", /contains "'"/],
    ["single label", "localhost", /not a fully qualified name/],
    ["not a string", 42, /must be a string/],
  ];
  test.each(domainCases)("domain: %s", (_what, domain, fix) => {
    expectProblem(baseRaw({ domain }), "domain", fix);
  });

  test.each([
    ["bad email", { email: "ops at example.org" }, "acme.email", /not an e-mail address/],
    [
      "email with shell metacharacters",
      { email: "a$(id)@example.org" },
      "acme.email",
      /not an e-mail address/,
    ],
    ["missing email", {}, "acme.email", /missing/],
    [
      "email starting with -",
      { email: "-d@example.org" },
      "acme.email",
      /starts with "-", which certbot would read as an option; use an address that starts with a letter or digit/,
    ],
    [
      "email over 254",
      { email: `${"a".repeat(250)}@example.org` },
      "acme.email",
      /is 262 characters long; an e-mail address has at most 254/,
    ],
    [
      "server URL over 2048",
      { email: "a@b.org", server: `https://x.org/${"a".repeat(2048)}` },
      "acme.server",
      /is 2062 characters long; a URL here has at most 2048/,
    ],
    [
      "unknown server keyword",
      { email: "a@b.org", server: "letsencrypt" },
      "acme.server",
      /use production, staging, or the https URL/,
    ],
    [
      "plain http server",
      { email: "a@b.org", server: "http://acme.example.org/dir" },
      "acme.server",
      /must use https/,
    ],
    [
      "server with quotes",
      { email: "a@b.org", server: "https://x.org/'dir'" },
      "acme.server",
      /characters not allowed/,
    ],
    [
      "caBundle not PEM",
      { email: "a@b.org", caBundle: "hello" },
      "acme.caBundle",
      /must be PEM certificates/,
    ],
    [
      "unknown acme key",
      { email: "a@b.org", emial: "x" },
      "acme.emial",
      /unknown key; known keys of acme: email, server, caBundle/,
    ],
  ])("acme: %s", (_what, acme, key, fix) => {
    expectProblem(baseRaw({ acme }), key, fix);
  });

  test.each([
    [
      "adminCidrs empty",
      { adminCidrs: [] },
      "host.adminCidrs",
      /empty; SSH \(22\) is opened only to these/,
    ],
    ["adminCidrs missing", {}, "host.adminCidrs", /empty/],
    [
      "0.0.0.0/0 without opt-in",
      { adminCidrs: ["0.0.0.0/0"] },
      "host.adminCidrs",
      /whole internet; .*allowSshFromAnywhere: true/,
    ],
    ["::/0 without opt-in", { adminCidrs: ["::/0"] }, "host.adminCidrs", /whole internet/],
    [
      "malformed CIDR",
      { adminCidrs: ["203.0.113.7"] },
      "host.adminCidrs",
      /not a CIDR; use e\.g\. 203\.0\.113\.7\/32/,
    ],
    [
      "CIDR out of range",
      { adminCidrs: ["203.0.113.7/33"] },
      "host.adminCidrs",
      /prefix length out of range/,
    ],
    [
      "CIDR not an IP",
      { adminCidrs: ["example.org/32"] },
      "host.adminCidrs",
      /does not start with an IP address/,
    ],
    [
      "bad region",
      { adminCidrs: ["203.0.113.7/32"], region: "Frankfurt" },
      "host.region",
      /not an AWS region name/,
    ],
    [
      "instance type too long",
      { adminCidrs: ["203.0.113.7/32"], instanceType: `t3.${"x".repeat(40)}` },
      "host.instanceType",
      /is not an instance type/,
    ],
    [
      "unknown host provider",
      { provider: "gcp" },
      "host.provider",
      /unknown value "gcp"; use one of: aws, existing/,
    ],
    [
      "data disk too small",
      { adminCidrs: ["203.0.113.7/32"], dataDiskGb: 5 },
      "host.dataDiskGb",
      /must be a whole number from 10 to 16384, got 5/,
    ],
    [
      "data disk not a number",
      { adminCidrs: ["203.0.113.7/32"], dataDiskGb: "50GB" },
      "host.dataDiskGb",
      /must be a whole number from 10 to 16384, got "50GB"/,
    ],
    [
      "zone of another region",
      { adminCidrs: ["203.0.113.7/32"], availabilityZone: "eu-west-1a" },
      "host.availabilityZone",
      /"eu-west-1a" is not a zone of host.region eu-central-1; set one of its zones, e.g. eu-central-1a, or remove the key/,
    ],
    [
      "zone id instead of a zone name",
      { adminCidrs: ["203.0.113.7/32"], availabilityZone: "euc1-az2" },
      "host.availabilityZone",
      /is not a zone of host.region eu-central-1/,
    ],
  ])("aws host: %s", (_what, host, key, fix) => {
    const h = { provider: "aws", region: "eu-central-1", ...host };
    expectProblem(awsRaw({ host: h }), key, fix);
  });

  test("0.0.0.0/0 is accepted with the explicit opt-in", () => {
    expect(
      problems(
        awsRaw({
          host: {
            provider: "aws",
            region: "eu-central-1",
            adminCidrs: ["0.0.0.0/0"],
            allowSshFromAnywhere: true,
          },
        }),
      ),
    ).toEqual([]);
  });

  test.each([
    [
      "existing host without a key",
      baseRaw({ secrets: { "pactus.walletPassword": "long enough" } }),
      "host.privateKey",
      /missing for host\.provider existing; set it with `pulumi config set --path --secret host\.privateKey/,
    ],
    [
      "existing host without address",
      baseRaw({ host: { provider: "existing" } }),
      "host.address",
      /missing for host\.provider existing/,
    ],
    [
      "existing host with hostile address",
      baseRaw({ host: { provider: "existing", address: "h;reboot" } }),
      "host.address",
      /neither an IP address nor a DNS name/,
    ],
    [
      "existing host with hostile user",
      baseRaw({ host: { provider: "existing", address: "203.0.113.1", user: "root;id" } }),
      "host.user",
      /not a valid user name/,
    ],
    [
      "port out of range",
      baseRaw({ host: { provider: "existing", address: "203.0.113.1", port: 70000 } }),
      "host.port",
      /1 to 65535/,
    ],
    [
      "unknown dns provider",
      baseRaw({ dns: { provider: "gandi" } }),
      "dns.provider",
      /use one of: cloudflare, route53, none/,
    ],
    [
      "cloudflare without zone",
      awsRaw({ dns: { provider: "cloudflare" } }),
      "dns.zoneId",
      /missing for dns\.provider cloudflare; copy the Zone ID/,
    ],
    [
      "cloudflare with a bad zone",
      awsRaw({ dns: { provider: "cloudflare", zoneId: "example.org" } }),
      "dns.zoneId",
      /32 hex/,
    ],
    [
      "cloudflare without token",
      awsRaw({ cloudflareToken: false }),
      "cloudflare:apiToken",
      /pulumi config set --secret cloudflare:apiToken/,
    ],
    [
      "resolver with a name",
      baseRaw({ dns: { resolver: "dns.google" } }),
      "dns.resolver",
      /resolver IP with an optional port/,
    ],
  ])("%s", (_what, raw, key, fix) => {
    expectProblem(raw, key, fix);
  });

  test.each([
    [
      "version with v",
      { version: "v1.16.0" },
      "pactus.version",
      /must be X\.Y\.Z without a leading v/,
    ],
    ["version not X.Y.Z", { version: "1.16" }, "pactus.version", /must be X\.Y\.Z/],
    ["version with shell", { version: "1.16.0;id" }, "pactus.version", /must be X\.Y\.Z/],
    [
      "a release the stack does not know",
      { version: "1.14.0" },
      "pactus.version",
      /1\.14\.0 is not a release this stack knows .* supported are 1\.15\.6, 1\.16\.0 \(and their later patch releases: 1\.15\.x, 1\.16\.x\)/,
    ],
    [
      "a patch older than the known release of its line",
      { version: "1.15.2" },
      "pactus.version",
      /not a release this stack knows/,
    ],
    [
      "health timeout too short",
      { healthTimeoutSeconds: 5 },
      "pactus.healthTimeoutSeconds",
      /30 to 3600/,
    ],
    [
      "unknown network",
      { network: "devnet" },
      "pactus.network",
      /use one of: mainnet, testnet, localnet/,
    ],
    [
      "purgeOnDestroy not a boolean (was silently false)",
      { purgeOnDestroy: "yes" },
      "pactus.purgeOnDestroy",
      /must be true or false, got "yes"/,
    ],
    ["validators 0", { validators: 0 }, "pactus.validators", /1 to 32/],
    ["validators 33", { validators: 33 }, "pactus.validators", /1 to 32/],
    [
      "localnet with 3 validators",
      { network: "localnet", validators: 3 },
      "pactus.validators",
      /at least 4 validators/,
    ],
    [
      "http release for mainnet",
      { releaseBaseUrl: "http://mirror.example.org/pactus" },
      "pactus.releaseBaseUrl",
      /must use https/,
    ],
    [
      "release URL with command substitution",
      { releaseBaseUrl: "https://x.org/$(id)" },
      "pactus.releaseBaseUrl",
      /characters not allowed/,
    ],
  ])("pactus: %s", (_what, pactus, key, fix) => {
    expectProblem(baseRaw({ pactus: { ...BASE_PACTUS, ...pactus } }), key, fix);
  });

  test("http release base URL is accepted for localnet sandboxes only", () => {
    expect(
      problems(
        baseRaw({ pactus: { network: "localnet", releaseBaseUrl: "http://10.231.0.1:8099" } }),
      ),
    ).toEqual([]);
  });

  test.each([
    ["password missing", {}, "pactus.walletPassword", /missing; .*--secret pactus\.walletPassword/],
    [
      "password shorter than 8",
      { "pactus.walletPassword": "short" },
      "pactus.walletPassword",
      /shorter than 8 characters/,
    ],
    [
      "mnemonic of 11 words",
      { "pactus.walletPassword": "long enough", "pactus.mnemonic": "a b c d e f g h i j k" },
      "pactus.mnemonic",
      /has 11 words; .*12 or 24/,
    ],
    [
      "mnemonic with symbols",
      { "pactus.walletPassword": "long enough", "pactus.mnemonic": "a b c d e f g h i j k $(id)" },
      "pactus.mnemonic",
      /lowercase words/,
    ],
    [
      "mnemonic word over 8 letters",
      {
        "pactus.walletPassword": "long enough",
        "pactus.mnemonic": `${"able ".repeat(11)}abandonedly`,
      },
      "pactus.mnemonic",
      /lowercase words of 3 to 8 letters/,
    ],
    [
      "password with a tab",
      { "pactus.walletPassword": "long\tenough" },
      "pactus.walletPassword",
      /control character, which cannot be typed at the wallet prompt; choose one without/,
    ],
    [
      "password with a line break",
      { "pactus.walletPassword": "long enough\n" },
      "pactus.walletPassword",
      /line break/,
    ],
    [
      "password over 64 KiB",
      { "pactus.walletPassword": "x".repeat(65537) },
      "pactus.walletPassword",
      /larger than 64 KiB; choose a shorter one/,
    ],
    [
      "password short once spaces are trimmed",
      { "pactus.walletPassword": "   short   " },
      "pactus.walletPassword",
      /shorter than 8 characters \(leading and trailing spaces do not count\)/,
    ],
  ])("secrets: %s", (_what, s, key, fix) => {
    const list = problems(
      baseRaw({ secrets: { "host.privateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n", ...s } }),
    );
    expect(list).toHaveLength(1);
    expect(list[0].startsWith(`${key}: `)).toBe(true);
    expect(list[0]).toMatch(fix);
  });

  test("secret values never appear in error messages", () => {
    const list = problems(
      baseRaw({
        secrets: { "pactus.walletPassword": "hunter2", "pactus.mnemonic": "zebra quantum" },
      }),
    );
    expect(list.join("\n")).not.toMatch(/hunter2|zebra|quantum/);
  });

  test("a secret stored in plaintext is refused", () => {
    const list = problems(baseRaw({ plaintextSecrets: ["pactus.walletPassword"] }));
    expect(list).toEqual([
      expect.stringMatching(
        /^pactus\.walletPassword: is stored in plaintext; set it with `pulumi config set --path --secret/,
      ),
    ]);
  });

  test.each([
    [
      "* without allowAny",
      { origins: ["*"] },
      "cors.origins",
      /list the origins, or set cors\.allowAny: true/,
    ],
    [
      "origin with a path",
      { origins: ["https://app.example.org/wallet"] },
      "cors.origins",
      /has a path; an origin is scheme:\/\/host\[:port\]/,
    ],
    [
      "origin with trailing slash",
      { origins: ["https://app.example.org/"] },
      "cors.origins",
      /has a path/,
    ],
    ["origin without scheme", { origins: ["app.example.org"] }, "cors.origins", /is not a URL/],
    [
      "origin with a quote",
      { origins: ['https://a.org"x'] },
      "cors.origins",
      /characters not allowed/,
    ],
    [
      "origins not a list",
      { origins: "https://a.org" },
      "cors.origins",
      /must be a list of strings/,
    ],
    [
      "origin with an empty query",
      { origins: ["https://a.org?"] },
      "cors.origins",
      /is not an origin as browsers send it; use "https:\/\/a\.org"/,
    ],
    [
      "origin with an empty fragment",
      { origins: ["https://a.org#"] },
      "cors.origins",
      /use "https:\/\/a\.org"/,
    ],
    [
      "origin in uppercase",
      { origins: ["https://App.Example.org"] },
      "cors.origins",
      /use "https:\/\/app\.example\.org"/,
    ],
    [
      "origin with the default port",
      { origins: ["https://a.org:443"] },
      "cors.origins",
      /use "https:\/\/a\.org"/,
    ],
    [
      "origin with a wildcard host",
      { origins: ["https://*.example.org"] },
      "cors.origins",
      /host that is neither a DNS name nor an IP address \(no wildcards or symbols\)/,
    ],
    [
      "origin with symbols in the host",
      { origins: ["https://a&b.org"] },
      "cors.origins",
      /neither a DNS name nor an IP address/,
    ],
  ])("cors: %s", (_what, cors, key, fix) => {
    expectProblem(baseRaw({ cors }), key, fix);
  });

  test("origins as browsers send them are accepted: names, localhost with a port, IPv6 literals", () => {
    const origins = [
      "https://ping.pactus.org",
      "http://localhost:3000",
      "https://[2001:db8::1]:8443",
      "http://10.0.0.1:8080",
    ];
    expect(parseConfig(baseRaw({ cors: { origins } })).config.cors.origins).toEqual(origins);
  });

  test("* with allowAny is accepted", () => {
    expect(parseConfig(baseRaw({ cors: { origins: ["*"], allowAny: true } })).config.cors).toEqual({
      origins: ["*"],
      allowAny: true,
    });
  });

  test("all APIs off", () => {
    expectProblem(
      baseRaw({ apis: { grpcWeb: false, jsonrpc: "false", http: false } }),
      "apis",
      /all of grpcWeb, jsonrpc and http are off/,
    );
  });

  test("non-boolean API switch", () => {
    expectProblem(baseRaw({ apis: { http: "yes" } }), "apis.http", /must be true or false/);
  });
});

// Made with `htpasswd -inB -C 5 alice` (apache2-utils 2.4) from AUTH_PASSWORD, and the same password
// hashed by htpasswd's other (non-bcrypt) schemes: -m (MD5 apr1) and -s (SHA-1).
const AUTH_PASSWORD = "open sesame: 7 words";
const AUTH_LINE = "alice:$2y$05$EUV12dlTmMkK.FODhQMDguO5V6mZNKIuOYChRj132JIuwfDDqXAp6";
const AUTH_MD5 = "alice:$apr1$OigRn7BR$o0I2APDcCk4euHoBOmruR.";
const AUTH_SHA = "alice:{SHA}AsKFcTveQPfOy9Dz7Pw+2W+Bg5s=";
const AUTH_COST13 = "alice:$2y$13$Df7o0T8Wyw.gnA.z6BID0eRF0YQIAGlD8lXpicTer15W/v0Jl2rby";

function withAuth(auth: Record<string, unknown>, over: Partial<RawConfig> = {}): RawConfig {
  const base = baseRaw();
  return baseRaw({ secrets: { ...base.secrets, ...(auth as RawConfig["secrets"]) }, ...over });
}

describe("apis.basicAuth and apis.basicAuthPassword", () => {
  test("off by default", () => {
    const { config, secrets } = parseConfig(baseRaw());
    expect(config.apis.basicAuth).toBe(false);
    expect(secrets.basicAuth).toBeUndefined();
  });

  test.each([
    ["htpasswd -B ($2y$, cost 5)", AUTH_LINE, AUTH_PASSWORD],
    // $2a$ and $2b$ differ only for passwords over 255 bytes, which bcrypt never reads anyway.
    [
      "$2a$ (older tools, cost 10)",
      `user:${hashSync("pass word 2a", 10).replace(/^\$2b\$/, "$2a$")}`,
      "pass word 2a",
    ],
    ["$2b$ (bcrypt libraries, cost 4)", `bob:${hashSync("pw with ünïcode", 4)}`, "pw with ünïcode"],
    [
      "user with . _ @ + -",
      `ops.team_1@example.org+x-y:${hashSync("12 characters", 4)}`,
      "12 characters",
    ],
  ])("accepted: %s; the line and the password stay out of the config", (_what, line, password) => {
    expect(line).toMatch(/^[^:]+:\$2[aby]\$/);
    const { config, secrets } = parseConfig(
      withAuth({ "apis.basicAuth": line, "apis.basicAuthPassword": password }),
    );
    expect(config.apis.basicAuth).toBe(true);
    expect(secrets).toMatchObject({ basicAuth: line, basicAuthPassword: password });
    const plain = JSON.stringify(config);
    for (const v of [line, password, line.split(":")[1]]) expect(plain).not.toContain(v);
  });

  test("htpasswd's output as is (the line, a newline and a blank line) is trimmed to the line", () => {
    const { secrets } = parseConfig(
      withAuth({ "apis.basicAuth": `${AUTH_LINE}\n\n`, "apis.basicAuthPassword": AUTH_PASSWORD }),
    );
    expect(secrets.basicAuth).toBe(AUTH_LINE);
  });

  test("both or neither: a line without its password, and a password without its line", () => {
    expectProblem(
      withAuth({ "apis.basicAuth": AUTH_LINE }),
      "apis.basicAuthPassword",
      /missing while apis\.basicAuth is set; the verify step and the health refresher authenticate with it: `pulumi config set --path --secret apis\.basicAuthPassword/,
    );
    expectProblem(
      withAuth({ "apis.basicAuthPassword": AUTH_PASSWORD }),
      "apis.basicAuth",
      /missing while apis\.basicAuthPassword is set; generate it with `htpasswd -bnB <user> <password>`.*--secret apis\.basicAuth/,
    );
  });

  const FIX = /generate it with `htpasswd -bnB <user> <password>` \(apache2-utils\)/;
  const good = AUTH_LINE.split(":")[1];
  test.each([
    [
      "no user (no colon)",
      good,
      /is not an htpasswd line `<user>:<bcrypt hash>` \(it has no ":"\)/,
    ],
    [
      "the password instead of a hash",
      `alice:${AUTH_PASSWORD.replace(/ /g, "")}`,
      /has no bcrypt hash after the user; Pactus checks bcrypt only/,
    ],
    [
      "MD5 (htpasswd -m, the default without -B)",
      AUTH_MD5,
      /holds an MD5 \(\$apr1\$\) hash; Pactus checks bcrypt only/,
    ],
    ["SHA-1 (htpasswd -s)", AUTH_SHA, /holds a SHA-1 \(\{SHA\}\) hash/],
    ["crypt SHA-512", "alice:$6$saltsalt$" + "a".repeat(86), /holds a crypt hash/],
    ["truncated hash", AUTH_LINE.slice(0, -1), /has no bcrypt hash/],
    ["unknown bcrypt variant $2x$", AUTH_LINE.replace("$2y$", "$2x$"), /has no bcrypt hash/],
    [
      "a space inside",
      AUTH_LINE.replace("alice:", "al ice:"),
      /must be one line `<user>:<bcrypt hash>` without spaces or line breaks/,
    ],
    ["two lines", `${AUTH_LINE}\nbob:${good}`, /without spaces or line breaks/],
    [
      "a quote in the user",
      `al"ice:${good}`,
      /its user name must be 1 to 64 characters from A-Z a-z 0-9 \. _ @ \+ -/,
    ],
    ["an empty user", `:${good}`, /its user name must be/],
    [
      "cost 13 (every API call would cost ≈0.4 s of CPU)",
      AUTH_COST13,
      /has bcrypt cost 13; use 4 to 12: the node runs one bcrypt comparison per API call.*`-C <cost>`/,
    ],
    [
      "cost 03 (Go's bcrypt refuses < 4)",
      AUTH_LINE.replace("$05$", "$03$"),
      /has bcrypt cost 3; use 4 to 12/,
    ],
  ])("bad line: %s", (_what, line, msg) => {
    const list = problems(
      withAuth({ "apis.basicAuth": line, "apis.basicAuthPassword": AUTH_PASSWORD }),
    );
    expect(list).toHaveLength(1);
    expect(list[0].startsWith("apis.basicAuth: ")).toBe(true);
    expect(list[0]).toMatch(msg);
    if (!/cost/.test(list[0])) expect(list[0]).toMatch(FIX);
    // Neither the line nor its parts are echoed.
    for (const part of [line, line.split(":").pop()!, AUTH_PASSWORD])
      expect(list[0]).not.toContain(part);
  });

  test.each([
    [
      "not the hash's password",
      "open sesame: 8 words",
      /is not the password of apis\.basicAuth \(the bcrypt comparison fails\).*generate a new line with `htpasswd -bnB/,
    ],
    ["a line break", `${AUTH_PASSWORD}\n`, /contains a line break or NUL/],
    [
      "longer than bcrypt reads (72 bytes)",
      "ä".repeat(37),
      /is longer than 72 bytes, of which bcrypt uses only the first 72/,
    ],
  ])("bad password: %s", (_what, password, msg) => {
    const list = problems(
      withAuth({ "apis.basicAuth": AUTH_LINE, "apis.basicAuthPassword": password }),
    );
    expect(list).toEqual([expect.stringMatching(msg)]);
    expect(list[0].startsWith("apis.basicAuthPassword: ")).toBe(true);
    expect(list[0]).not.toContain(password.trim());
    expect(list[0]).not.toContain(AUTH_LINE);
  });

  test("both stored in plaintext are refused, like every secret (splitSecrets as pulumi up runs it)", () => {
    const groups = {
      ...baseRaw(),
      apis: { grpcWeb: true, basicAuth: AUTH_LINE, basicAuthPassword: AUTH_PASSWORD },
    };
    // Only the pactus group holds encrypted values; the apis group was set without --secret.
    const raw = splitSecrets(groups, (g) => g === "pactus" || g === "host");
    expect(raw.plaintextSecrets).toEqual(["apis.basicAuth", "apis.basicAuthPassword"]);
    expect(raw.apis).toEqual({ grpcWeb: true });
    const list = problems({ ...raw, secrets: { ...baseRaw().secrets, ...raw.secrets } });
    expect(list).toEqual([
      expect.stringMatching(
        /^apis\.basicAuth: is stored in plaintext; set it with `pulumi config set --path --secret apis\.basicAuth/,
      ),
      expect.stringMatching(
        /^apis\.basicAuthPassword: is stored in plaintext; set it with `pulumi config set --path --secret apis\.basicAuthPassword/,
      ),
    ]);
    expect(list.join("\n")).not.toContain(AUTH_PASSWORD);
  });

  test("stored encrypted, they are accepted (the same split, the apis group secret)", () => {
    const groups = {
      ...baseRaw(),
      apis: { basicAuth: AUTH_LINE, basicAuthPassword: AUTH_PASSWORD },
    };
    const raw = splitSecrets(groups, () => true);
    expect(raw.plaintextSecrets).toEqual([]);
    expect(
      parseConfig({ ...raw, secrets: { ...baseRaw().secrets, ...raw.secrets } }).config.apis
        .basicAuth,
    ).toBe(true);
  });

  test("offline render (opaque values): on when both are set, both-or-neither still checked", () => {
    expect(
      parseConfig(
        withAuth({ "apis.basicAuth": OPAQUE_SECRET, "apis.basicAuthPassword": OPAQUE_SECRET }),
      ).config.apis.basicAuth,
    ).toBe(true);
    expectProblem(
      withAuth({ "apis.basicAuth": OPAQUE_SECRET }),
      "apis.basicAuthPassword",
      /missing while apis\.basicAuth is set/,
    );
  });

  test("a misspelt key is named, with the known keys", () => {
    expectProblem(
      baseRaw({ apis: { basicauth: "x" } }),
      "apis.basicauth",
      /unknown key; known keys of apis: grpcWeb, jsonrpc, http, basicAuth, basicAuthPassword/,
    );
  });
});

describe("required secrets that are not set: refused for pulumi up, placeholders for the offline render", () => {
  const KEY = baseRaw().secrets["host.privateKey"];
  const PASSWORD = baseRaw().secrets["pactus.walletPassword"];
  const placeholder = { missingSecrets: "placeholder" } as const;
  test.each<[string, RawConfig, string, RegExp]>([
    [
      "pactus.walletPassword",
      baseRaw({ secrets: { "host.privateKey": KEY } }),
      "",
      /^the wallet is encrypted with it: `pulumi config set --path --secret pactus\.walletPassword </,
    ],
    [
      "pactus.mnemonic",
      baseRaw({ pactus: { network: "mainnet" } }),
      "for pactus.network mainnet",
      /^the wallet \(validator keys\) would have no backup: make and store one with `npm run wallet:new -- --stack <stack>`, or set `pulumi config set --path pactus\.allowNoBackup true` if you back up the node's wallet file yourself$/,
    ],
    [
      "host.privateKey",
      baseRaw({ secrets: { "pactus.walletPassword": PASSWORD } }),
      "for host.provider existing",
      /^set it with `pulumi config set --path --secret host\.privateKey < ~\/\.ssh\/id_ed25519`$/,
    ],
    [
      "cloudflare:apiToken",
      awsRaw({ cloudflareToken: false }),
      "for dns.provider cloudflare",
      /^`pulumi config set --secret cloudflare:apiToken <token>` \(Zone\.DNS edit\)$/,
    ],
    [
      "apis.basicAuthPassword",
      withAuth({ "apis.basicAuth": AUTH_LINE }),
      "while apis.basicAuth is set",
      /^the verify step and the health refresher authenticate with it: `pulumi config set --path --secret apis\.basicAuthPassword /,
    ],
    [
      "apis.basicAuth",
      withAuth({ "apis.basicAuthPassword": AUTH_PASSWORD }),
      "while apis.basicAuthPassword is set",
      /^generate it with `htpasswd -bnB <user> <password>`.*, or unset apis\.basicAuthPassword$/,
    ],
  ])("%s", (key, raw, when, fix) => {
    // The render's view: no problem, the secret reported as missing, with when and why.
    const { missingSecrets } = parseConfig(raw, placeholder);
    expect(missingSecrets).toEqual([{ key, when, fix: expect.stringMatching(fix) }]);
    // pulumi up's view (the default, and "refuse"): the one problem, made of the same parts.
    const m = missingSecrets[0];
    const problem = `${key}: missing${when ? ` ${when}` : ""}; ${m.fix}`;
    expect(problems(raw)).toEqual([problem]);
    expect(() => parseConfig(raw, { missingSecrets: "refuse" })).toThrow(
      new ConfigError([problem]),
    );
  });

  test("a missing apis.basicAuth stands for a line not known here: basic auth is on, as when set", () => {
    const raw = withAuth({ "apis.basicAuthPassword": AUTH_PASSWORD });
    expect(parseConfig(raw, placeholder).config.apis.basicAuth).toBe(true);
    const opaque = withAuth({
      "apis.basicAuth": OPAQUE_SECRET,
      "apis.basicAuthPassword": OPAQUE_SECRET,
    });
    expect(parseConfig(raw, placeholder).config).toEqual(parseConfig(opaque).config);
  });

  describe("pactus.mnemonic, the wallet's backup: required on mainnet unless pactus.allowNoBackup", () => {
    const MNEMONIC =
      "abandon ability able about above absent absorb abstract absurd abuse access accident";
    const withPactus = (pactus: Record<string, unknown>, mnemonic?: RawSecret) =>
      baseRaw({
        pactus,
        secrets: { ...baseRaw().secrets, ...(mnemonic ? { "pactus.mnemonic": mnemonic } : {}) },
      });
    test.each<[string, Record<string, unknown>, string | undefined, string[]]>([
      ["mainnet (the default network) without", {}, undefined, ["pactus.mnemonic: missing"]],
      [
        "mainnet without, allowNoBackup false",
        { allowNoBackup: false },
        undefined,
        ["pactus.mnemonic: missing"],
      ],
      ["mainnet without, allowNoBackup true", { allowNoBackup: true }, undefined, []],
      [
        'mainnet without, allowNoBackup "true" (config set --path)',
        { allowNoBackup: "true" },
        undefined,
        [],
      ],
      ["mainnet with 12 words", {}, MNEMONIC, []],
      ["mainnet with 24 words", {}, `${MNEMONIC} ${MNEMONIC}`, []],
      ["mainnet with, allowNoBackup true", { allowNoBackup: true }, MNEMONIC, []],
      ["testnet without", { network: "testnet" }, undefined, []],
      ["localnet without", { network: "localnet" }, undefined, []],
      [
        "allowNoBackup not a boolean",
        { allowNoBackup: "yes" },
        MNEMONIC,
        ['pactus.allowNoBackup: must be true or false, got "yes"'],
      ],
    ])("%s", (_what, pactus, mnemonic, expected) => {
      const got = problems(withPactus(pactus, mnemonic)).map((p) =>
        p.startsWith("pactus.mnemonic: missing") ? "pactus.mnemonic: missing" : p,
      );
      expect(got).toEqual(expected);
    });

    test("a refused allowNoBackup counts as false: the missing backup is reported too", () => {
      expect(problems(withPactus({ allowNoBackup: "yes" })).map((p) => p.split(":")[0])).toEqual([
        "pactus.allowNoBackup",
        "pactus.mnemonic",
      ]);
    });

    test("an encrypted mnemonic the offline render cannot read counts as set", () => {
      const raw = withPactus({}, OPAQUE_SECRET);
      expect(parseConfig(raw, placeholder).missingSecrets).toEqual([]);
      expect(parseConfig(raw).secrets.mnemonic).toBeUndefined();
    });
  });

  test("optional secrets are never missing (pactus.mnemonic; host.privateKey on aws: generated)", () => {
    const raw = awsRaw({ secrets: { "pactus.walletPassword": PASSWORD } });
    expect(parseConfig(raw).config.host.provider).toBe("aws");
    expect(parseConfig(raw, placeholder).missingSecrets).toEqual([]);
  });

  test("every other problem is still one, in the same words and order; missing secrets ride along on the error", () => {
    const raw = awsRaw({
      domain: "https://node.example.org",
      nginx: { rateLimit: -1 },
      secrets: {},
      cloudflareToken: false,
    });
    const up = problems(raw);
    expect(up.map((p) => p.slice(0, p.indexOf(": ")))).toEqual([
      "domain",
      "cloudflare:apiToken",
      "pactus.walletPassword",
      "nginx.rateLimit",
    ]);
    let error: unknown;
    try {
      parseConfig(raw, placeholder);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.problems).toEqual([up[0], up[3]]);
    expect(e.missingSecrets.map((m) => m.key)).toEqual([
      "cloudflare:apiToken",
      "pactus.walletPassword",
    ]);
    expect(e.message).not.toContain("missing");
  });
});

describe("host.os: the image of an aws host, its SSH user and architecture", () => {
  const aws = (host: Record<string, unknown>) =>
    awsRaw({
      host: { provider: "aws", region: "eu-central-1", adminCidrs: ["203.0.113.7/32"], ...host },
    });
  const existing = (host: Record<string, unknown>) =>
    baseRaw({ host: { provider: "existing", address: "203.0.113.10", ...host } });
  /** The one problem parseConfig reports, in full. */
  const only = (raw: RawConfig) => {
    const list = problems(raw);
    expect(list).toHaveLength(1);
    return list[0];
  };

  test("default: Debian 13, user admin", () => {
    expect(parseConfig(aws({})).config.host).toMatchObject({ os: "debian-13", user: "admin" });
  });

  test.each([
    ["debian-13", "admin"],
    ["debian-12", "admin"],
    ["ubuntu-24.04", "ubuntu"],
    ["ubuntu-22.04", "ubuntu"],
  ])("%s logs in as %s, on x86_64 and arm64 types; host.user may repeat it", (os, user) => {
    for (const instanceType of ["t3.small", "t4g.small", "m7g.large", "c7i-flex.large"]) {
      expect(parseConfig(aws({ os, instanceType })).config.host).toMatchObject({
        os,
        user,
        instanceType,
      });
    }
    expect(parseConfig(aws({ os, user })).config.host).toMatchObject({ os, user });
  });

  test("an unknown image", () => {
    expect(only(aws({ os: "ubuntu-20.04" }))).toBe(
      'host.os: unknown value "ubuntu-20.04"; use one of: debian-13, debian-12, ubuntu-24.04, ubuntu-22.04',
    );
    expect(only(aws({ os: "24.04" }))).toBe(
      'host.os: unknown value "24.04"; use one of: debian-13, debian-12, ubuntu-24.04, ubuntu-22.04',
    );
  });

  test.each([
    [
      { user: "ubuntu" },
      'host.user: "ubuntu" does not exist on the debian-13 AMI, whose SSH user is admin; remove host.user (on aws it follows host.os) or set it to admin',
    ],
    [
      { os: "debian-12", user: "debian" },
      'host.user: "debian" does not exist on the debian-12 AMI, whose SSH user is admin; remove host.user (on aws it follows host.os) or set it to admin',
    ],
    [
      { os: "ubuntu-24.04", user: "admin" },
      'host.user: "admin" does not exist on the ubuntu-24.04 AMI, whose SSH user is ubuntu; remove host.user (on aws it follows host.os) or set it to ubuntu',
    ],
    [
      { os: "ubuntu-22.04", user: "root" },
      "host.user: root cannot log in over SSH on the ubuntu-22.04 AMI (cloud images refuse root logins; its user is ubuntu, with sudo); remove host.user (on aws it follows host.os) or set it to ubuntu",
    ],
    [
      { user: "root" },
      "host.user: root cannot log in over SSH on the debian-13 AMI (cloud images refuse root logins; its user is admin, with sudo); remove host.user (on aws it follows host.os) or set it to admin",
    ],
    [
      { user: "admin;id" },
      'host.user: "admin;id" is not a valid user name; remove host.user (on aws it follows host.os) or set it to admin',
    ],
  ])("a user the image does not have: %j", (host, message) => {
    expect(only(aws(host))).toBe(message);
  });

  test("a wrong host.os is one problem: host.user is not judged against a guess", () => {
    expect(only(aws({ os: "ubuntu", user: "ubuntu" }))).toMatch(
      /^host\.os: unknown value "ubuntu"/,
    );
  });

  test.each([
    [
      "mac2.metal",
      'host.instanceType: "mac2.metal" is a Mac instance, which boots only macOS; host.os needs a Linux type, e.g. t3.small (x86_64) or t4g.small (arm64)',
    ],
    [
      "mac-m4.metal",
      'host.instanceType: "mac-m4.metal" is a Mac instance, which boots only macOS; host.os needs a Linux type, e.g. t3.small (x86_64) or t4g.small (arm64)',
    ],
    [
      "small.large",
      'host.instanceType: "small.large" has no family generation (letters and a number before the ".", e.g. t3, m7g), so its CPU architecture, and with it the AMI, is unknown; use e.g. t3.small (x86_64) or t4g.small (arm64)',
    ],
    ["3t.small", 'host.instanceType: "3t.small" is not an instance type, e.g. t3.small'],
  ])("an instance type whose architecture is unknown or that boots no Linux: %s", (t, message) => {
    expect(only(aws({ instanceType: t }))).toBe(message);
  });

  test("the removed host.ubuntuRelease is refused with its replacement", () => {
    const fix = (os: string) =>
      "host.ubuntuRelease: no longer a key: host.os chooses the image now (debian-13, debian-12, " +
      "ubuntu-24.04, ubuntu-22.04; default debian-13); for Ubuntu run " +
      "`pulumi config rm --path host.ubuntuRelease` and `pulumi config set --path host.os " +
      `${os}\``;
    expect(only(aws({ ubuntuRelease: "24.04" }))).toBe(fix("ubuntu-24.04"));
    expect(only(aws({ ubuntuRelease: "22.04" }))).toBe(fix("ubuntu-22.04"));
    // Unquoted in YAML it is a number.
    expect(only(aws({ ubuntuRelease: 22.04 }))).toBe(fix("ubuntu-22.04"));
    expect(only(existing({ ubuntuRelease: "24.04" }))).toBe(fix("ubuntu-24.04"));
  });

  test("existing host: host.os only picks the default user; host.user wins; without either, root", () => {
    expect(parseConfig(existing({})).config.host.user).toBe("root");
    expect(parseConfig(existing({ os: "debian-12" })).config.host.user).toBe("admin");
    expect(parseConfig(existing({ os: "ubuntu-24.04" })).config.host.user).toBe("ubuntu");
    expect(parseConfig(existing({ os: "debian-13", user: "deploy" })).config.host.user).toBe(
      "deploy",
    );
    expect(parseConfig(existing({ os: "ubuntu-22.04", user: "root" })).config.host.user).toBe(
      "root",
    );
    expect(only(existing({ os: "centos-9" }))).toBe(
      'host.os: unknown value "centos-9"; use one of: debian-13, debian-12, ubuntu-24.04, ubuntu-22.04',
    );
  });
});

describe("instanceArch: the CPU architecture of an instance type", () => {
  test.each([
    ["t3.small", "x86_64"],
    ["t3a.medium", "x86_64"],
    ["m5.large", "x86_64"],
    ["m7i-flex.large", "x86_64"],
    ["c7a.xlarge", "x86_64"],
    ["g5.xlarge", "x86_64"],
    ["g4dn.xlarge", "x86_64"],
    ["inf2.xlarge", "x86_64"],
    ["x2iedn.xlarge", "x86_64"],
    ["u-6tb1.metal", "x86_64"],
    ["u7i-12tb.224xlarge", "x86_64"],
    ["t4g.small", "arm64"],
    ["m7g.large", "arm64"],
    ["c7g.large", "arm64"],
    ["r8g.large", "arm64"],
    ["m6gd.large", "arm64"],
    ["c7gn.large", "arm64"],
    ["im4gn.large", "arm64"],
    ["is4gen.large", "arm64"],
    ["x2gd.large", "arm64"],
    ["g5g.xlarge", "arm64"],
    ["hpc7g.4xlarge", "arm64"],
    ["a1.large", "arm64"],
    ["small.large", undefined],
    ["mac-m4.metal", undefined],
    ["t3", undefined],
    ["", undefined],
  ])("%s → %s", (t, arch) => {
    expect(instanceArch(t)).toBe(arch);
  });
});

describe("monitoring.*: metrics for the operator's Prometheus", () => {
  const withMonitoring = (m: Record<string, unknown>, secrets: Record<string, string> = {}) => {
    const raw = baseRaw();
    return { ...raw, monitoring: m, secrets: { ...raw.secrets, ...secrets } };
  };
  const AUTH = {
    "monitoring.basicAuth": METRICS_LINE,
    "monitoring.basicAuthPassword": METRICS_PASSWORD,
  };

  test("off by default: no credentials, no CIDRs", () => {
    const { config, secrets } = parseConfig(baseRaw());
    expect(config.monitoring).toEqual({ enabled: false, basicAuth: false, allowCidrs: [] });
    expect(secrets.monitoringBasicAuth).toBeUndefined();
  });

  test("on with credentials, with CIDRs, or with both; the line stays out of the config", () => {
    const both = parseConfig(monitoringRaw());
    expect(both.config.monitoring).toEqual({
      enabled: true,
      basicAuth: true,
      allowCidrs: ["203.0.113.0/24", "2001:db8::/32"],
    });
    expect(both.secrets.monitoringBasicAuth).toBe(METRICS_LINE);
    expect(JSON.stringify(both.config)).not.toContain(METRICS_LINE.split(":")[1]);
    expect(JSON.stringify(both.config)).not.toContain(METRICS_PASSWORD);
    expect(parseConfig(monitoringRaw({ cidrs: [] })).config.monitoring).toMatchObject({
      basicAuth: true,
      allowCidrs: [],
    });
    expect(parseConfig(monitoringRaw({ auth: false })).config.monitoring.basicAuth).toBe(false);
    // htpasswd's own output, newline included, is trimmed to the line.
    const trimmed = parseConfig(
      withMonitoring(
        { enabled: "true" },
        { ...AUTH, "monitoring.basicAuth": `${METRICS_LINE}\n\n` },
      ),
    );
    expect(trimmed.secrets.monitoringBasicAuth).toBe(METRICS_LINE);
  });

  test("on without credentials or CIDRs: refused, naming both ways", () => {
    expectProblem(
      withMonitoring({ enabled: true }),
      "monitoring.enabled",
      /nothing says who may read \/metrics\/: set monitoring\.basicAuth and monitoring\.basicAuthPassword .*and\/or monitoring\.allowCidrs/,
    );
    expectProblem(
      withMonitoring({ enabled: true, allowCidrs: [] }),
      "monitoring.enabled",
      /monitoring\.allowCidrs/,
    );
  });

  test("CIDRs are checked; /0 only with credentials too", () => {
    expectProblem(
      withMonitoring({ enabled: true, allowCidrs: ["203.0.113.7"] }),
      "monitoring.allowCidrs",
      /is not a CIDR/,
    );
    expectProblem(
      withMonitoring({ enabled: true, allowCidrs: ["10.0.0.0/33"] }),
      "monitoring.allowCidrs",
      /prefix length out of range/,
    );
    expectProblem(
      withMonitoring({ enabled: true, allowCidrs: "10.0.0.0/8" }),
      "monitoring.allowCidrs",
      /must be a list of strings/,
    );
    expectProblem(
      withMonitoring({ enabled: true, allowCidrs: ["0.0.0.0/0"] }),
      "monitoring.allowCidrs",
      /0\.0\.0\.0\/0 lets the whole internet read the metrics; .*or set monitoring\.basicAuth too/,
    );
    expect(
      parseConfig(withMonitoring({ enabled: true, allowCidrs: ["::/0"] }, AUTH)).config.monitoring
        .allowCidrs,
    ).toEqual(["::/0"]);
  });

  test("the htpasswd pair as for apis.basicAuth: both or neither, bcrypt only, the password matches", () => {
    expectProblem(
      withMonitoring({ enabled: true }, { "monitoring.basicAuth": METRICS_LINE }),
      "monitoring.basicAuthPassword",
      /missing while monitoring\.basicAuth is set; .*pulumi config set --path --secret monitoring\.basicAuthPassword/,
    );
    expectProblem(
      withMonitoring({ enabled: true }, { "monitoring.basicAuthPassword": METRICS_PASSWORD }),
      "monitoring.basicAuth",
      /missing while monitoring\.basicAuthPassword is set; generate it with `htpasswd -bnB/,
    );
    expectProblem(
      withMonitoring({ enabled: true }, { ...AUTH, "monitoring.basicAuthPassword": "wrong one" }),
      "monitoring.basicAuthPassword",
      /is not the password of monitoring\.basicAuth \(the bcrypt comparison fails\), so your Prometheus, scraping with it, would get 401/,
    );
    expectProblem(
      withMonitoring(
        { enabled: true },
        { ...AUTH, "monitoring.basicAuth": "prometheus:$apr1$abc$0123456789abcdefghijkl" },
      ),
      "monitoring.basicAuth",
      /holds an MD5 \(\$apr1\$\) hash; this stack checks bcrypt only .*--secret monitoring\.basicAuth/,
    );
    // A broken line is checked while monitoring is off too: turning it on holds no surprise.
    expectProblem(
      withMonitoring({}, { ...AUTH, "monitoring.basicAuth": "no colon here" }),
      "monitoring.basicAuth",
      /without spaces or line breaks/,
    );
  });

  test("unknown keys and non-booleans are named", () => {
    expectProblem(
      withMonitoring({ enabled: true, allowCidrs: ["10.0.0.0/8"], port: 9100 }),
      "monitoring.port",
      /unknown key; known keys of monitoring: enabled, basicAuth, basicAuthPassword, allowCidrs/,
    );
    expectProblem(
      withMonitoring({ enabled: "yes", allowCidrs: ["10.0.0.0/8"] }),
      "monitoring.enabled",
      /must be true or false/,
    );
  });

  test("secrets in plaintext are refused (splitSecrets)", () => {
    const raw = splitSecrets(
      { monitoring: { enabled: true, basicAuth: METRICS_LINE, basicAuthPassword: "x" } },
      () => false,
    );
    expect(raw.plaintextSecrets).toEqual(["monitoring.basicAuth", "monitoring.basicAuthPassword"]);
    expect(raw.secrets["monitoring.basicAuth"]).toBe(METRICS_LINE);
    expect(raw.monitoring).toEqual({ enabled: true });
  });
});

describe("fleet, DNS engines and DNS-01", () => {
  const TSIG = "c2VjcmV0LXRzaWcta2V5LWZvci10ZXN0cw==";
  const CF = "0123456789abcdefghijABCDEFGHIJ_-012345ab";
  const ZONE = "0123456789abcdef0123456789abcdef";
  const ACCOUNT = "abcdef0123456789abcdef0123456789";
  const acme = { email: "ops@example.org", server: "staging" };
  const rfc = (dns01: Record<string, unknown> = {}, over: Partial<RawConfig> = {}): RawConfig => {
    const raw = baseRaw(over);
    return {
      ...raw,
      acme: {
        ...acme,
        challenge: "dns-01",
        dns01: { plugin: "rfc2136", server: "192.0.2.53", keyName: "acme-key", ...dns01 },
      },
      secrets: { ...raw.secrets, "acme.rfc2136Secret": TSIG },
    };
  };
  const route53 = (over: Partial<RawConfig> = {}): RawConfig =>
    awsRaw({
      dns: { provider: "route53", zoneId: "Z0123456789ABCDEFGHIJ" },
      fleet: { publicName: "rpc.example.org", nodes: 3 },
      ...over,
    });
  const cloudflare = (dns: Record<string, unknown> = {}, over: Partial<RawConfig> = {}) => {
    const raw = awsRaw({
      dns: { provider: "cloudflare", zoneId: ZONE, ...dns },
      fleet: { publicName: "rpc.example.org", nodes: 2 },
      ...over,
    });
    return { ...raw, secrets: { ...raw.secrets, "acme.cloudflareToken": CF } };
  };
  const existingFleet = (nodes: unknown, publicName?: string) =>
    rfc({}, { fleet: { ...(publicName ? { publicName } : {}), nodes } });

  test("a stack without fleet is a fleet of one: node 0 is domain and host; http-01", () => {
    const { config } = parseConfig(baseRaw());
    expect(config.fleet).toEqual({ nodes: [{ domain: config.domain, host: config.host }] });
    expect(config.acme.challenge).toBe("http-01");
    expect(config.acme.dns01).toBeUndefined();
  });

  test("a count names node i <first label>-<i+1>.<rest>, each an aws VM like host", () => {
    const { config } = parseConfig(route53());
    expect(config.fleet.publicName).toBe("rpc.example.org");
    expect(config.fleet.nodes.map((n) => n.domain)).toEqual([
      "node.example.org",
      "node-2.example.org",
      "node-3.example.org",
    ]);
    expect(config.fleet.nodes[2].host).toEqual(config.host);
    // The shared name defaults the challenge to dns-01 and the plugin to the DNS provider.
    expect(config.acme.challenge).toBe("dns-01");
    expect(config.acme.dns01).toEqual({ plugin: "route53", zoneId: "Z0123456789ABCDEFGHIJ" });
    expect(config.dns).toMatchObject({ provider: "route53", ttl: 60 });
  });

  test("per-node entries: an existing host's address/user/port, an aws zone or instance type", () => {
    const { config } = parseConfig(
      existingFleet([
        {},
        { address: "203.0.113.11", port: 2222, user: "deploy", domain: "b.example.org" },
      ]),
    );
    expect(config.fleet.nodes[1]).toEqual({
      domain: "b.example.org",
      host: {
        provider: "existing",
        address: "203.0.113.11",
        port: 2222,
        user: "deploy",
        hasPrivateKey: true,
      },
    });
    const aws = parseConfig(
      cloudflare(
        {},
        {
          fleet: { nodes: [{}, { availabilityZone: "eu-central-1b", instanceType: "t4g.small" }] },
        },
      ),
    ).config;
    expect(aws.fleet.nodes[1].host).toMatchObject({
      availabilityZone: "eu-central-1b",
      instanceType: "t4g.small",
    });
    expect(aws.fleet.nodes[0].host).toEqual(aws.host);
  });

  test("fleetNodeConfigs: each node its own domain and host, the rest and fleet shared", () => {
    const { config } = parseConfig(route53());
    const nodes = fleetNodeConfigs(config);
    expect(nodes).toHaveLength(3);
    expect(nodes[0]).toBe(config);
    expect(nodes[1]).toEqual({ ...config, domain: "node-2.example.org", host: config.host });
    expect(nodes[2].fleet).toBe(config.fleet);
  });

  test("rfc2136: server:port split, key name gets its dot, algorithm upper case, defaults", () => {
    const { config, secrets } = parseConfig(
      rfc({ server: "192.0.2.53:5353", algorithm: "hmac-sha512", propagationSeconds: 5 }),
    );
    expect(config.acme.dns01).toEqual({
      plugin: "rfc2136",
      propagationSeconds: 5,
      server: "192.0.2.53",
      port: 5353,
      keyName: "acme-key.",
      algorithm: "HMAC-SHA512",
    });
    expect(secrets.acmeRfc2136Secret).toBe(TSIG);
    expect(parseConfig(rfc()).config.acme.dns01).toMatchObject({
      port: 53,
      algorithm: "HMAC-SHA256",
      propagationSeconds: 60,
    });
    expect(parseConfig(rfc({ server: "[2001:db8::53]:53" })).config.acme.dns01).toMatchObject({
      server: "2001:db8::53",
    });
  });

  test("cloudflare: the plugin follows dns.provider, the hosts' token is its own secret", () => {
    const { config, secrets } = parseConfig(cloudflare({ loadBalancer: true, accountId: ACCOUNT }));
    expect(config.acme.dns01).toEqual({ plugin: "cloudflare", propagationSeconds: 10 });
    expect(config.dns).toMatchObject({ loadBalancer: true, accountId: ACCOUNT });
    expect(secrets.acmeCloudflareToken).toBe(CF);
    expect(JSON.stringify(config)).not.toContain(CF);
  });

  test.each<[string, RawConfig, string, RegExp]>([
    [
      "fleet.nodes not a count",
      existingFleet("three"),
      "fleet.nodes",
      /number of nodes from 1 to 20/,
    ],
    ["fleet.nodes 0", existingFleet(0), "fleet.nodes", /from 1 to 20/],
    ["fleet.nodes too many", existingFleet(21), "fleet.nodes", /from 1 to 20/],
    [
      "fleet.nodes entry not an object",
      existingFleet([{}, "x"]),
      "fleet.nodes",
      /entry \[1\] is not an object/,
    ],
    [
      "an existing host counted, not listed",
      existingFleet(2),
      "fleet.nodes[1].address",
      /missing; with host.provider existing each node is its own host/,
    ],
    [
      "duplicate addresses",
      existingFleet([{}, { address: "203.0.113.10" }]),
      "fleet.nodes[1].address",
      /also node 0's address \(host.address\); each node needs a host of its own/,
    ],
    [
      "duplicate names",
      existingFleet([{}, { address: "203.0.113.11", domain: "node.example.org" }]),
      "fleet.nodes[1].domain",
      /also node 0's name; each node needs a name of its own/,
    ],
    [
      "a bad per-node address",
      existingFleet([{}, { address: "h;reboot" }]),
      "fleet.nodes[1].address",
      /neither an IP address nor a DNS name/,
    ],
    [
      "a bad per-node name",
      existingFleet([{}, { address: "203.0.113.11", domain: "B.example.org" }]),
      "fleet.nodes[1].domain",
      /uppercase/,
    ],
    [
      "node 0's entry differs from host",
      existingFleet([{ address: "203.0.113.99" }]),
      "fleet.nodes[0].address",
      /node 0 is `domain` and `host` themselves; set host.address instead/,
    ],
    [
      "an aws field on an existing host",
      existingFleet([{}, { address: "203.0.113.11", instanceType: "t3.small" }]),
      "fleet.nodes[1].instanceType",
      /field of host.provider aws, and this stack's is existing; remove it/,
    ],
    [
      "a zone outside the region",
      cloudflare({}, { fleet: { nodes: [{}, { availabilityZone: "us-east-1a" }] } }),
      "fleet.nodes[1].availabilityZone",
      /not a zone of host.region eu-central-1/,
    ],
    [
      "shared name equal to a node's name",
      existingFleet([{}, { address: "203.0.113.11" }], "node-2.example.org"),
      "fleet.publicName",
      /node 1's own name; the shared name must be a name of its own/,
    ],
    [
      "shared name not a DNS name",
      existingFleet([{}, { address: "203.0.113.11" }], "https://rpc.example.org"),
      "fleet.publicName",
      /has a scheme/,
    ],
    [
      "more nodes than Route53 answers",
      route53({ fleet: { publicName: "rpc.example.org", nodes: 9 } }),
      "fleet.nodes",
      /Route53 answers a multivalue name with at most 8 healthy records/,
    ],
    [
      "route53 zone id",
      route53({ dns: { provider: "route53", zoneId: "example.org" } }),
      "dns.zoneId",
      /not a Route53 hosted zone id/,
    ],
    [
      "route53 without zone",
      route53({ dns: { provider: "route53" } }),
      "dns.zoneId",
      /missing for dns.provider route53/,
    ],
    [
      "load balancer without account",
      cloudflare({ loadBalancer: true }),
      "dns.accountId",
      /missing for dns.loadBalancer/,
    ],
    [
      "account id not hex",
      cloudflare({ loadBalancer: true, accountId: "acct" }),
      "dns.accountId",
      /not a Cloudflare account id/,
    ],
    [
      "load balancer without a shared name",
      cloudflare({ loadBalancer: true, accountId: ACCOUNT }, { fleet: { nodes: 2 } }),
      "dns.loadBalancer",
      /balances fleet.publicName, which is not set/,
    ],
    [
      "http-01 with a shared name",
      { ...route53(), acme: { ...acme, challenge: "http-01" } },
      "acme.challenge",
      /http-01 cannot prove fleet.publicName/,
    ],
    [
      "unknown challenge",
      baseRaw({ acme: { ...acme, challenge: "tls-alpn-01" } }),
      "acme.challenge",
      /use one of: http-01, dns-01/,
    ],
    [
      "dns01 with http-01",
      baseRaw({ acme: { ...acme, dns01: { plugin: "rfc2136" } } }),
      "acme.dns01",
      /acme.challenge is http-01; set `acme.challenge dns-01` or remove acme.dns01/,
    ],
    [
      "dns-01 with dns.provider none and no plugin",
      baseRaw({ acme: { ...acme, challenge: "dns-01" } }),
      "acme.dns01.plugin",
      /missing with dns.provider none/,
    ],
    [
      "route53 plugin on an existing host",
      baseRaw({
        acme: { ...acme, challenge: "dns-01", dns01: { plugin: "route53", zoneId: "Z123" } },
      }),
      "acme.dns01.plugin",
      /instance role, and host.provider existing has none/,
    ],
    [
      "route53 plugin without a zone",
      awsRaw({
        dns: { provider: "none" },
        acme: { ...acme, challenge: "dns-01", dns01: { plugin: "route53" } },
      }),
      "acme.dns01.zoneId",
      /missing; the Route53 hosted zone id/,
    ],
    [
      "rfc2136 server as a hostname",
      rfc({ server: "ns1.example.org" }),
      "acme.dns01.server",
      /takes no hostname/,
    ],
    [
      "rfc2136 server missing",
      rfc({ server: undefined }),
      "acme.dns01.server",
      /missing for acme.dns01.plugin rfc2136/,
    ],
    [
      "rfc2136 port out of range",
      rfc({ server: "192.0.2.53:70000" }),
      "acme.dns01.server",
      /not an IP address with an optional port/,
    ],
    ["rfc2136 key name", rfc({ keyName: "acme key" }), "acme.dns01.keyName", /not a TSIG key name/],
    [
      "rfc2136 key name missing",
      rfc({ keyName: undefined }),
      "acme.dns01.keyName",
      /missing for acme.dns01.plugin rfc2136/,
    ],
    [
      "rfc2136 algorithm",
      rfc({ algorithm: "hmac-md5" }),
      "acme.dns01.algorithm",
      /use one of: HMAC-SHA256, HMAC-SHA384, HMAC-SHA512/,
    ],
    [
      "propagation out of range",
      rfc({ propagationSeconds: 99999 }),
      "acme.dns01.propagationSeconds",
      /0 to 3600/,
    ],
    [
      "rfc2136 secret not base64",
      { ...rfc(), secrets: { ...rfc().secrets, "acme.rfc2136Secret": "not base64!" } },
      "acme.rfc2136Secret",
      /is not base64/,
    ],
    [
      "cloudflare token malformed",
      { ...cloudflare(), secrets: { ...cloudflare().secrets, "acme.cloudflareToken": "tok en" } },
      "acme.cloudflareToken",
      /is not a Cloudflare API token/,
    ],
  ])("%s", (_what, raw, key, fix) => expectProblem(raw, key, fix));

  test.each<[string, RawConfig, string]>([
    [
      "acme.rfc2136Secret",
      { ...rfc(), secrets: { ...rfc().secrets, "acme.rfc2136Secret": undefined } },
      "for acme.dns01.plugin rfc2136",
    ],
    [
      "acme.cloudflareToken",
      { ...cloudflare(), secrets: { ...cloudflare().secrets, "acme.cloudflareToken": undefined } },
      "for acme.dns01.plugin cloudflare",
    ],
  ])("the secret %s is required %s", (key, raw, when) => {
    expectProblem(
      raw,
      key,
      new RegExp(
        `^${key.replace(".", "\\.")}: missing ${when}; .*pulumi config set --path --secret ${key.replace(".", "\\.")}`,
      ),
    );
    const { missingSecrets } = parseConfig(raw, { missingSecrets: "placeholder" });
    expect(missingSecrets.map((m) => m.key)).toEqual([key]);
  });
});
