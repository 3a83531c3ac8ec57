import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

/** Runs `npm run render` as a user would, on a stack file written into a scratch project dir. */
function render(stackYaml: string): { status: number | null; out: string; dir: string } {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), "psn-render-"));
  fs.writeFileSync(path.join(project, "Pulumi.t.yaml"), stackYaml);
  const out = path.join(project, "out");
  const r = spawnSync(
    "npm",
    ["run", "--silent", "render", "--", "--stack", "t", "--out", out, "--project-dir", project],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: {
        ...process.env,
        PULUMI_HOME: path.join(project, "no-pulumi"),
        CLOUDFLARE_API_TOKEN: "",
      },
    },
  );
  return { status: r.status, out: r.stdout + r.stderr, dir: out };
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

  test("apis.basicAuth: config.toml shows the placeholder; both-or-neither and plaintext are refused", () => {
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

    const half = render(apis("\n      secure: v1:notdecrypted"));
    expect(half.status).toBe(1);
    expect(half.out).toContain("apis.basicAuthPassword: missing while apis.basicAuth is set");

    const line = "'alice:$2y$05$EUV12dlTmMkK.FODhQMDguO5V6mZNKIuOYChRj132JIuwfDDqXAp6'";
    const plain = render(apis(line, "open-sesame"));
    expect(plain.status).toBe(1);
    expect(plain.out).toContain(
      "apis.basicAuth: is stored in plaintext; set it with `pulumi config set --path --secret apis.basicAuth <value>`",
    );
    expect(plain.out).toContain("apis.basicAuthPassword: is stored in plaintext");
    expect(plain.out).not.toMatch(/EUV12dl|open-sesame/);
  });
});
