/**
 * The certificate step's plan with acme.challenge dns-01: its inputs per plugin, the secret only on
 * its stdin (never in its inputs, command line or delete command), and what re-runs it.
 */
import type { Dns01Config, StackConfig } from "../../components/config";
import { dns01SecretDigest } from "../../components/config/secrets";
import { hostPaths, renderAll, renderDns01Credentials } from "../../components/render";
import {
  buildCommand,
  buildDeleteCommand,
  buildStdin,
  planSteps,
  type StepPlan,
} from "../../components/steps";
import { cfg } from "../helpers/config";

const TSIG = "c2VjcmV0LXRzaWcta2V5LWZvci10ZXN0cy1vbmx5LTEyMzQ1Njc4OTA=";
const TOKEN = "cf-token-0123456789abcdefghijklmnopqrstuv";
const RFC2136: Dns01Config = {
  plugin: "rfc2136",
  server: "10.231.0.1",
  port: 8053,
  keyName: "psn-acme.",
  algorithm: "HMAC-SHA256",
  propagationSeconds: 5,
};
const P = hostPaths("node.example.org", "1.0.0");

function dnsCfg(dns01: Dns01Config, publicName: string | null = "rpc.example.org"): StackConfig {
  const c = cfg();
  return {
    ...c,
    acme: { ...c.acme, challenge: "dns-01", dns01 },
    fleet: { ...c.fleet, publicName: publicName ?? undefined },
  };
}
function certStep(c: StackConfig, digest?: string): StepPlan {
  const step = planSteps(c, { sshPort: 22, acmeDnsSecretDigest: digest }).find(
    (s) => s.name === "certificate",
  );
  if (!step) throw new Error("no certificate step");
  return step;
}
const digest = (v: string) => dns01SecretDigest("acme.rfc2136Secret", v);

describe("certificate step with dns-01", () => {
  test("rfc2136: both names, the plugin's package and credentials file, the secret on stdin only", () => {
    const step = certStep(dnsCfg(RFC2136), digest(TSIG));
    expect(step.env).toMatchObject({
      PSN_CHALLENGE: "dns-01",
      PSN_NAMES: "node.example.org rpc.example.org",
      PSN_DNS_PLUGIN: "rfc2136",
      PSN_DNS_PACKAGE: "python3-certbot-dns-rfc2136",
      PSN_DNS_CREDENTIALS_PATH: P.dns01CredentialsRfc2136,
      PSN_DNS_SECRET_KEY: "dns_rfc2136_secret",
      PSN_DNS_PROPAGATION: "5",
      PSN_DNS_STALE_CREDENTIALS: P.dns01CredentialsCloudflare,
    });
    expect(step.env.PSN_DNS_CREDENTIALS).toBe(
      "# Managed by pactus-secure-node: certbot's RFC 2136 DNS-01 credentials.\n" +
        "dns_rfc2136_server = 10.231.0.1\ndns_rfc2136_port = 8053\n" +
        "dns_rfc2136_name = psn-acme.\ndns_rfc2136_algorithm = HMAC-SHA256\n",
    );
    expect(step.secrets).toEqual(["acmeRfc2136Secret"]);
    expect(step.secretStdin).toBe(true);
    const lines = step.formatSecrets?.({ acmeRfc2136Secret: TSIG }) ?? "";
    expect(lines).toBe(`DNS_SECRET=${Buffer.from(TSIG).toString("base64")}\n`);
    const stdin = buildStdin(step.name, step.script, step.env, lines);
    expect(stdin).toContain(lines);
    const visible = JSON.stringify([
      step.env,
      step.hash,
      step.deleteEnv,
      buildCommand(step.name, step.hash, true),
      buildDeleteCommand("certificate-delete", step.deleteScript ?? "", step.deleteEnv ?? {}, true),
    ]);
    expect(visible).not.toContain(TSIG);
    expect(visible).not.toContain(Buffer.from(TSIG).toString("base64"));
    expect(step.deleteEnv).toMatchObject({ PSN_DNS_CREDENTIALS_PATH: P.dns01CredentialsRfc2136 });
  });

  test("cloudflare: its package, token key and file; route53: no file, no secret", () => {
    const cf = certStep(
      dnsCfg({ plugin: "cloudflare", propagationSeconds: 10 }),
      dns01SecretDigest("acme.cloudflareToken", TOKEN),
    );
    expect(cf.env).toMatchObject({
      PSN_DNS_PACKAGE: "python3-certbot-dns-cloudflare",
      PSN_DNS_CREDENTIALS_PATH: P.dns01CredentialsCloudflare,
      PSN_DNS_SECRET_KEY: "dns_cloudflare_api_token",
      PSN_DNS_PROPAGATION: "10",
    });
    expect(cf.secrets).toEqual(["acmeCloudflareToken"]);
    expect(cf.formatSecrets?.({ acmeCloudflareToken: TOKEN })).toBe(
      `DNS_SECRET=${Buffer.from(TOKEN).toString("base64")}\n`,
    );
    const r53 = certStep(dnsCfg({ plugin: "route53", zoneId: "Z123" }));
    expect(r53.env).toMatchObject({
      PSN_DNS_PLUGIN: "route53",
      PSN_DNS_PACKAGE: "python3-certbot-dns-route53",
      PSN_DNS_CREDENTIALS_PATH: "",
      PSN_DNS_PROPAGATION: "",
    });
    expect(r53.secrets).toEqual([]);
    expect(r53.secretStdin).toBe(false);
  });

  test("without a shared name: the node's name only", () => {
    expect(certStep(dnsCfg(RFC2136, null), digest(TSIG)).env.PSN_NAMES).toBe("node.example.org");
  });

  test("http-01 keeps its inputs (and the state dir): no DNS-01 input, no secret", () => {
    const step = certStep(cfg());
    expect(Object.keys(step.env).sort()).toEqual(
      [
        "PSN_DOMAIN",
        "PSN_CERT_DIR",
        "PSN_EMAIL",
        "PSN_ACME_SERVER",
        "PSN_WEBROOT",
        "PSN_HOOK",
        "PSN_HOOK_PATH",
        "PSN_STATE_DIR",
      ].sort(),
    );
    expect(step.secrets).toEqual([]);
  });

  test("the step re-runs on a new secret, a new shared name, a switch of challenge; nothing else moves", () => {
    const base = planSteps(dnsCfg(RFC2136), { sshPort: 22, acmeDnsSecretDigest: digest(TSIG) });
    const hashes = (steps: StepPlan[]) => Object.fromEntries(steps.map((s) => [s.name, s.hash]));
    const changed = (other: StepPlan[]) => {
      const a = hashes(base);
      const b = hashes(other);
      return Object.keys(a).filter((k) => a[k] !== b[k]);
    };
    expect(
      changed(planSteps(dnsCfg(RFC2136), { sshPort: 22, acmeDnsSecretDigest: digest("x") })),
    ).toEqual(["certificate", "verify"]);
    expect(
      changed(
        planSteps(dnsCfg(RFC2136, "api.example.org"), {
          sshPort: 22,
          acmeDnsSecretDigest: digest(TSIG),
        }),
      ),
    ).toEqual(expect.arrayContaining(["certificate"]));
    expect(changed(planSteps(cfg(), { sshPort: 22 }))).toEqual(
      expect.arrayContaining(["certificate"]),
    );
    expect(() => planSteps(dnsCfg(RFC2136), { sshPort: 22 })).toThrow(/acmeDnsSecretDigest/);
  });

  test("renderAll lists the credentials file, 0600, its secret a placeholder", () => {
    const files = renderAll(dnsCfg(RFC2136));
    const f = files.find((x) => x.path === P.dns01CredentialsRfc2136);
    expect(f?.mode).toBe("0600");
    expect(f?.content).toMatch(/^dns_rfc2136_secret = .*acme\.rfc2136Secret.*$/m);
    expect(renderDns01Credentials(RFC2136, "S")).toMatch(/\ndns_rfc2136_secret = S\n$/);
    expect(renderAll(cfg()).some((x) => x.path.includes("pactus-dns-"))).toBe(false);
  });
});
