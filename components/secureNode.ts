import * as pulumi from "@pulumi/pulumi";
import { DnsRecord } from "./dns";
import { Host } from "./host";
import { NodeSteps } from "./nodeSteps";
import type { NodeSecrets, StackConfig } from "./config";
import { planSteps } from "./steps";

/** Arguments for {@link SecureNode}. */
export interface SecureNodeArgs {
  readonly config: StackConfig;
  /** The stack's secrets (loadConfig): the host's key, and what each step reads on its stdin. */
  readonly secrets: NodeSecrets;
  /** What this node's certificate step waits for besides its own steps (Fleet: the node before). */
  readonly certificateAfter?: pulumi.Resource[];
}

/** A Pactus node behind nginx with TLS: host, DNS record and the host steps, wired in order. */
export class SecureNode extends pulumi.ComponentResource {
  public readonly fqdn: string;
  public readonly ip: pulumi.Output<string>;
  /** aws: the node's data volume, kept by destroy unless pactus.purgeOnDestroy. */
  public readonly dataVolumeId?: pulumi.Output<string>;
  public readonly urls: { grpcWeb?: string; jsonrpc?: string; http?: string };
  public readonly checks: pulumi.Output<unknown>;
  /** The host steps; `steps.commands.certificate` is the certificate step (Fleet chains them). */
  public readonly steps: NodeSteps;

  constructor(name: string, args: SecureNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pactus:node:SecureNode", name, {}, opts);
    const cfg = args.config;
    const secrets = args.secrets;
    const host = new Host(
      `${name}-host`,
      {
        host: cfg.host,
        network: cfg.pactus.network,
        privateKey: secrets.privateKey,
        purgeOnDestroy: cfg.pactus.purgeOnDestroy,
        keepSnapshots: cfg.backup.keepDays,
        route53HealthCheckers: cfg.dns.provider === "route53" && !!cfg.fleet.publicName,
        ...(cfg.acme.dns01?.plugin === "route53"
          ? { dns01Route53ZoneId: cfg.acme.dns01.zoneId }
          : {}),
      },
      { parent: this },
    );
    const dependsOn: pulumi.Resource[] = [host];
    if (cfg.dns.provider !== "none") {
      dependsOn.push(
        new DnsRecord(
          `${name}-dns`,
          {
            provider: cfg.dns.provider,
            zoneId: cfg.dns.zoneId,
            name: cfg.domain,
            address: host.publicIp,
            ttl: cfg.dns.ttl,
          },
          { parent: this },
        ),
      );
    }
    if (cfg.apis.basicAuth !== (secrets.basicAuth !== undefined))
      throw new Error("SecureNode: config.apis.basicAuth and secrets.basicAuth disagree");
    if (cfg.monitoring.basicAuth !== (secrets.monitoringBasicAuth !== undefined))
      throw new Error(
        "SecureNode: config.monitoring.basicAuth and secrets.monitoringBasicAuth disagree",
      );
    const nodeSteps = new NodeSteps(
      `${name}-steps`,
      {
        connection: host.connection,
        steps: planSteps(cfg, {
          sshPort: cfg.host.provider === "existing" ? cfg.host.port : 22,
          basicAuthDigest: secrets.digests.basicAuth,
          monitoringAuthDigest: secrets.digests.monitoringBasicAuth,
          acmeDnsSecretDigest:
            secrets.digests.acmeCloudflareToken ?? secrets.digests.acmeRfc2136Secret,
        }),
        // A new VM's IP is known only once it exists: the DNS wait gets it as a late input.
        // and the data-disk step (aws) finds the node's volume by its id.
        lateEnv: {
          "wait-for-dns": host.publicIp.apply((ip) => ({ PSN_EXPECT_IP: ip })),
          ...(host.dataVolumeId
            ? { "data-disk": host.dataVolumeId.apply((id) => ({ PSN_VOLUME_ID: id })) }
            : {}),
        },
        hostId: host.instanceId,
        secrets,
        sudo: cfg.host.user !== "root",
        ...(args.certificateAfter?.length ? { after: { certificate: args.certificateAfter } } : {}),
      },
      { parent: this, dependsOn },
    );
    this.steps = nodeSteps;
    this.fqdn = cfg.domain;
    this.ip = host.address;
    this.dataVolumeId = host.dataVolumeId;
    const base = `https://${cfg.domain}`;
    this.urls = {
      ...(cfg.apis.grpcWeb ? { grpcWeb: `${base}/grpc-web` } : {}),
      ...(cfg.apis.jsonrpc ? { jsonrpc: `${base}/jsonrpc` } : {}),
      ...(cfg.apis.http ? { http: `${base}/http/api` } : {}),
    };
    this.checks = nodeSteps.checks.apply((s): unknown => {
      try {
        return JSON.parse(s.trim().split("\n").pop() ?? "{}") as unknown;
      } catch {
        return { raw: s };
      }
    });
    this.registerOutputs({
      fqdn: this.fqdn,
      ip: this.ip,
      dataVolumeId: this.dataVolumeId,
      urls: this.urls,
      checks: this.checks,
    });
  }
}
