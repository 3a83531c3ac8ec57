import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, parseConfig } from "../../components/config";
import { readStackFile } from "../../tools/render";

const ROOT = path.resolve(__dirname, "..", "..");

interface Rendered {
  status: number | null;
  /** stdout and stderr. */
  out: string;
  stderr: string;
  /** The notes (stderr lines `render: note: …`). */
  notes: string[];
  /** --out */
  dir: string;
}

/** Scratch project dirs, removed after the suite. */
const scratch: string[] = [];
const scratchDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "psn-render-"));
  scratch.push(d);
  return d;
};
afterAll(() => {
  for (const d of scratch) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * Runs `npm run render` as a user would: on a stack file written into a scratch project dir, or
 * with `stackYaml: null` on the committed Pulumi.<stack>.yaml of the repository.
 */
function render(
  stackYaml: string | null,
  { stack = "t", env = {} }: { stack?: string; env?: Record<string, string> } = {},
): Rendered {
  const project = scratchDir();
  if (stackYaml !== null) fs.writeFileSync(path.join(project, `Pulumi.${stack}.yaml`), stackYaml);
  const out = path.join(project, "out");
  const r = spawnSync(
    "npm",
    [
      "run",
      "--silent",
      "render",
      "--",
      "--stack",
      stack,
      "--out",
      out,
      ...(stackYaml === null ? [] : ["--project-dir", project]),
    ],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: {
        ...process.env,
        PULUMI_HOME: path.join(project, "no-pulumi"),
        CLOUDFLARE_API_TOKEN: "",
        ...env,
      },
    },
  );
  return {
    status: r.status,
    out: r.stdout + r.stderr,
    stderr: r.stderr,
    notes: r.stderr.split("\n").filter((l) => l.startsWith("render: note: ")),
    dir: out,
  };
}

/**
 * The problems `pulumi up` reports for a stack file (the same parseConfig, secrets required), with no
 * Cloudflare token in the environment, as in `render`.
 */
function pulumiUpProblems(file: string): string[] {
  const token = process.env.CLOUDFLARE_API_TOKEN;
  delete process.env.CLOUDFLARE_API_TOKEN;
  try {
    parseConfig(readStackFile(file));
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  } finally {
    if (token !== undefined) process.env.CLOUDFLARE_API_TOKEN = token;
  }
}

const good = `
config:
  pactus-secure-node:domain: node.example.org
  pactus-secure-node:acme:
    email: ops@example.org
    server: staging
  pactus-secure-node:host:
    provider: aws
    region: eu-central-1
    adminCidrs: [203.0.113.7/32]
  pactus-secure-node:dns:
    provider: cloudflare
    zoneId: 0123456789abcdef0123456789abcdef
  pactus-secure-node:pactus:
    network: testnet
    walletPassword:
      secure: v1:notdecryptedbyrender
`;

describe("npm run render", () => {
  test("writes every pushed file at its host path, offline, secrets as placeholders", () => {
    const r = render(good);
    expect(r.out).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    const f = (p: string) => fs.readFileSync(path.join(r.dir, p), "utf8");
    expect(f("etc/nginx/sites-available/pactus.conf")).toContain("server_name node.example.org;");
    expect(f("etc/nginx/sites-available/pactus-http.conf")).toContain(
      "/.well-known/acme-challenge/",
    );
    expect(f("var/lib/pactus/node/config.toml")).toContain('listen = "127.0.0.1:50051"');
    expect(f("etc/systemd/system/pactus.service")).toContain(
      "--password-from-file /etc/pactus/wallet-password",
    );
    expect(f("etc/pactus/wallet-password")).toBe("<secret: pactus.walletPassword>\n");
    expect(fs.statSync(path.join(r.dir, "etc/pactus/wallet-password")).mode & 0o777).toBe(0o600);
    expect(f("etc/letsencrypt/renewal-hooks/deploy/50-pactus-nginx-reload.sh")).toContain(
      "systemctl reload nginx",
    );
    expect(f("var/www/pactus/index.html")).toContain("<html");
  });

  test("bad config exits non-zero with the same errors pulumi up gives", () => {
    const r = render(
      good
        .replace("node.example.org", "https://node.example.org")
        .replace("server: staging", "server: letsencrypt"),
    );
    expect(r.status).toBe(1);
    expect(r.out).toContain(
      'domain: "https://node.example.org" has a scheme; set the bare name, e.g. node.example.org',
    );
    expect(r.out).toContain(
      'acme.server: unknown value "letsencrypt"; use production, staging, or the https URL of an ACME directory',
    );
    expect(fs.existsSync(r.dir)).toBe(false);
  });

  test("a secret stored in plaintext is refused", () => {
    const r = render(
      good.replace(
        /walletPassword:\n\s+secure: v1:notdecryptedbyrender/,
        "walletPassword: hunter2hunter2",
      ),
    );
    expect(r.status).toBe(1);
    expect(r.out).toContain(
      "pactus.walletPassword: is stored in plaintext; set it with `pulumi config set --path --secret pactus.walletPassword <value>`",
    );
    expect(r.out).not.toContain("hunter2hunter2");
  });

  test("apis.basicAuth: config.toml shows the placeholder; one of the pair alone is a note; plaintext is refused", () => {
    const apis = (basicAuth: string, password?: string) => `${good}  pactus-secure-node:apis:
    grpcWeb: true
    basicAuth: ${basicAuth}
${password === undefined ? "" : `    basicAuthPassword: ${password}\n`}`;
    const ok = render(
      apis("\n      secure: v1:notdecrypted", "\n      secure: v1:notdecryptedeither"),
    );
    expect(ok.out).not.toMatch(/error/i);
    expect(ok.status).toBe(0);
    const toml = fs.readFileSync(path.join(ok.dir, "var/lib/pactus/node/config.toml"), "utf8");
    expect(toml).toContain('\nbasic_auth = "<secret: apis.basicAuth>"\n');
    expect(fs.statSync(path.join(ok.dir, "var/lib/pactus/node/config.toml")).mode & 0o777).toBe(
      0o640,
    );

    // One of the pair alone: the other is a missing secret, a note here (pulumi up refuses it).
    const half = render(apis("\n      secure: v1:notdecrypted"));
    expect(half.status).toBe(0);
    expect(half.notes).toContainEqual(
      expect.stringMatching(
        /^render: note: apis\.basicAuthPassword is not set while apis\.basicAuth is set: <secret: apis\.basicAuthPassword> rendered in \/etc\/pactus-secure-node\/health-auth; pulumi up requires it: the verify step and the health refresher authenticate with it: `pulumi config set --path --secret apis\.basicAuthPassword/,
      ),
    );
    const lineless = render(`${good}  pactus-secure-node:apis:
    basicAuthPassword:
      secure: v1:notdecrypted
`);
    expect(lineless.status).toBe(0);
    expect(lineless.notes).toContainEqual(
      expect.stringMatching(
        /^render: note: apis\.basicAuth is not set while apis\.basicAuthPassword is set: <secret: apis\.basicAuth> rendered in \/var\/lib\/pactus\/node\/config\.toml, \/etc\/pactus-secure-node\/health-auth; pulumi up requires it: generate it with `htpasswd -bnB/,
      ),
    );
    expect(
      fs.readFileSync(path.join(lineless.dir, "var/lib/pactus/node/config.toml"), "utf8"),
    ).toContain('\nbasic_auth = "<secret: apis.basicAuth>"\n');

    const line = "'alice:$2y$05$EUV12dlTmMkK.FODhQMDguO5V6mZNKIuOYChRj132JIuwfDDqXAp6'";
    const plain = render(apis(line, "open-sesame"));
    expect(plain.status).toBe(1);
    expect(plain.out).toContain(
      "apis.basicAuth: is stored in plaintext; set it with `pulumi config set --path --secret apis.basicAuth <value>`",
    );
    expect(plain.out).toContain("apis.basicAuthPassword: is stored in plaintext");
    expect(plain.out).not.toMatch(/EUV12dl|open-sesame/);
  });

  describe("required secrets that are not set: placeholders and one note each; pulumi up refuses them", () => {
    const WALLET_NOTE =
      "render: note: pactus.walletPassword is not set: <secret: pactus.walletPassword> rendered in /etc/pactus/wallet-password; " +
      "pulumi up requires it: the wallet is encrypted with it: `pulumi config set --path --secret pactus.walletPassword <at least 8 characters>`";
    const MNEMONIC_NOTE =
      "render: note: pactus.mnemonic is not set for pactus.network mainnet: no rendered file holds it; " +
      "pulumi up requires it: the wallet (validator keys) would have no backup: make and store one with " +
      "`npm run wallet:new -- --stack <stack>`, or set `pulumi config set --path pactus.allowNoBackup true` " +
      "if you back up the node's wallet file yourself";
    const CLOUDFLARE_NOTE =
      "render: note: cloudflare:apiToken is not set for dns.provider cloudflare: no rendered file holds it; " +
      "pulumi up requires it: `pulumi config set --secret cloudflare:apiToken <token>` (Zone.DNS edit)";

    test("the committed dev stack renders (exit 0), with one note per missing secret on stderr", () => {
      const file = path.join(ROOT, "Pulumi.dev.yaml");
      // What pulumi up would refuse: exactly the secrets the notes are about.
      expect(pulumiUpProblems(file)).toEqual([
        expect.stringMatching(/^cloudflare:apiToken: missing for dns\.provider cloudflare; /),
        expect.stringMatching(/^pactus\.walletPassword: missing; /),
      ]);
      const r = render(null, { stack: "dev" });
      expect(r.stderr).not.toMatch(/error|problem/i);
      expect(r.status).toBe(0);
      expect(r.notes).toEqual([CLOUDFLARE_NOTE, WALLET_NOTE]);
      expect(r.stderr.trim().split("\n")).toEqual(r.notes);
      // The placeholder, not a value: the file holds exactly it.
      const pw = path.join(r.dir, "etc/pactus/wallet-password");
      expect(fs.readFileSync(pw, "utf8")).toBe("<secret: pactus.walletPassword>\n");
      expect(fs.statSync(pw).mode & 0o777).toBe(0o600);
      expect(
        fs.readFileSync(path.join(r.dir, "etc/nginx/sites-available/pactus.conf"), "utf8"),
      ).toContain("server_name dev.node.example.org;");
    });

    test("a token in the environment counts, as for pulumi up", () => {
      const r = render(null, { stack: "dev", env: { CLOUDFLARE_API_TOKEN: "not-a-real-token" } });
      expect(r.status).toBe(0);
      expect(r.notes).toEqual([WALLET_NOTE]);
    });

    test("the prod example (copied to Pulumi.prod.yaml) renders", () => {
      const example = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml.example"), "utf8");
      const r = render(example, { stack: "prod" });
      expect(r.stderr).not.toMatch(/error|problem/i);
      expect(r.status).toBe(0);
      // A mainnet stack: its wallet's backup is a required secret too (npm run wallet:new makes it).
      expect(r.notes).toEqual([CLOUDFLARE_NOTE, WALLET_NOTE, MNEMONIC_NOTE]);
      const f = (p: string) => fs.readFileSync(path.join(r.dir, p), "utf8");
      expect(f("etc/pactus/wallet-password")).toBe("<secret: pactus.walletPassword>\n");
      expect(f("etc/nginx/sites-available/pactus.conf")).toContain("server_name node.example.org;");
      expect(f("var/lib/pactus/node/config.toml")).toContain('basic_auth = ""');
    });

    test("an existing host without its key: a note, nothing rendered holds the key", () => {
      const r = render(`
config:
  pactus-secure-node:domain: node.example.org
  pactus-secure-node:acme:
    email: ops@example.org
  pactus-secure-node:host:
    provider: existing
    address: 203.0.113.10
  pactus-secure-node:pactus:
    walletPassword:
      secure: v1:notdecryptedbyrender
    mnemonic:
      secure: v1:notdecryptedeither
`);
      expect(r.status).toBe(0);
      expect(r.notes).toEqual([
        "render: note: host.privateKey is not set for host.provider existing: no rendered file holds it; " +
          "pulumi up requires it: set it with `pulumi config set --path --secret host.privateKey < ~/.ssh/id_ed25519`",
      ]);
    });

    test("a missing secret and another error: the render fails with that error, as pulumi up words it", () => {
      const yaml = good
        .replace(/ {4}walletPassword:\n\s+secure: v1:notdecryptedbyrender\n/, "")
        .replace("node.example.org", "https://node.example.org");
      const project = scratchDir();
      fs.writeFileSync(path.join(project, "Pulumi.t.yaml"), yaml);
      const up = pulumiUpProblems(path.join(project, "Pulumi.t.yaml"));
      expect(up).toHaveLength(3);
      const other = up.filter(
        (p) => !/^(pactus\.walletPassword|cloudflare:apiToken): missing/.test(p),
      );
      expect(other).toEqual([
        'domain: "https://node.example.org" has a scheme; set the bare name, e.g. node.example.org',
      ]);

      const r = render(yaml);
      expect(r.status).toBe(1);
      expect(fs.existsSync(r.dir)).toBe(false);
      // The other error, in the same words; the missing secrets are notes, not problems.
      expect(r.stderr).toContain(
        `Pulumi.t.yaml: Invalid stack configuration (1 problem):\n  - ${other[0]}\n`,
      );
      expect(r.stderr).not.toMatch(/^ {2}- (pactus\.walletPassword|cloudflare:apiToken)/m);
      expect(r.notes).toEqual([
        "render: note: cloudflare:apiToken is not set for dns.provider cloudflare; " +
          "pulumi up requires it: `pulumi config set --secret cloudflare:apiToken <token>` (Zone.DNS edit)",
        "render: note: pactus.walletPassword is not set; pulumi up requires it: the wallet is encrypted with it: " +
          "`pulumi config set --path --secret pactus.walletPassword <at least 8 characters>`",
      ]);
    });
  });
});
