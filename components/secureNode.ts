import * as pulumi from "@pulumi/pulumi";
import { DnsRecord } from "./dns";
import { Host } from "./host";
import { NodeSteps } from "./nodeSteps";
import { planSteps, secretLines } from "./steps";
import type { StackConfig } from "./validate";

/** Arguments for {@link SecureNode}. */
export interface SecureNodeArgs {
  readonly config: StackConfig;
  readonly walletPassword: pulumi.Output<string>;
  readonly mnemonic?: pulumi.Output<string>;
  readonly privateKey?: pulumi.Output<string>;
}

/** Wallet secrets as the pactus step reads them on stdin: KEY=<base64> lines. */
export function secretStdin(password: pulumi.Output<string>, mnemonic?: pulumi.Output<string>): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.all([password, mnemonic ?? pulumi.output("")]).apply(([pw, mn]) => secretLines(pw, mn || undefined)),
  );
}

/** A Pactus node behind nginx with TLS: host, DNS record and the host steps, wired in order. */
export class SecureNode extends pulumi.ComponentResource {
  public readonly fqdn: string;
  public readonly ip: pulumi.Output<string>;
  public readonly urls: { grpcWeb?: string; jsonrpc?: string; http?: string };
  public readonly checks: pulumi.Output<unknown>;

  constructor(name: string, args: SecureNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pactus:node:SecureNode", name, {}, opts);
    const cfg = args.config;
    const host = new Host(`${name}-host`, { host: cfg.host, network: cfg.pactus.network, privateKey: args.privateKey }, { parent: this });
    const dependsOn: pulumi.Resource[] = [host];
    if (cfg.dns.provider === "cloudflare") {
      dependsOn.push(new DnsRecord(`${name}-dns`, { zoneId: cfg.dns.zoneId, name: cfg.domain, address: host.publicIp, ttl: cfg.dns.ttl }, { parent: this }));
    }
    const nodeSteps = new NodeSteps(`${name}-steps`, {
      connection: host.connection,
      steps: planSteps(cfg, { sshPort: cfg.host.provider === "existing" ? cfg.host.port : 22 }),
      // A new VM's IP is known only once it exists: the DNS wait gets it as a late input.
      lateEnv: { "wait-for-dns": host.publicIp.apply((ip) => ({ PSN_EXPECT_IP: ip })) },
      secretStdin: secretStdin(args.walletPassword, args.mnemonic),
      sudo: cfg.host.user !== "root",
    }, { parent: this, dependsOn });
    this.fqdn = cfg.domain;
    this.ip = host.address;
    const base = `https://${cfg.domain}`;
    this.urls = {
      ...(cfg.apis.grpcWeb ? { grpcWeb: `${base}/grpc-web` } : {}),
      ...(cfg.apis.jsonrpc ? { jsonrpc: `${base}/jsonrpc` } : {}),
      ...(cfg.apis.http ? { http: `${base}/http/api` } : {}),
    };
    this.checks = nodeSteps.checks.apply((s) => {
      try {
        return JSON.parse(s.trim().split("\n").pop() ?? "{}");
      } catch {
        return { raw: s };
      }
    });
    this.registerOutputs({ fqdn: this.fqdn, ip: this.ip, urls: this.urls, checks: this.checks });
  }
}
