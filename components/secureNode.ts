import * as pulumi from "@pulumi/pulumi";
import { DnsRecord } from "./dns";
import { Host } from "./host";
import { NodeSteps } from "./nodeSteps";
import type { NodeSecrets, StackConfig } from "./config";
import {
  type LocalnetChain,
  localnetBootstrapAddr,
  localnetJoinEnv,
  parseLocalnetChain,
  planSteps,
} from "./steps";

/** Arguments for {@link SecureNode}. */
export interface SecureNodeArgs {
  readonly config: StackConfig;
  /** The stack's secrets (loadConfig): the host's key, and what each step reads on its stdin. */
  readonly secrets: NodeSecrets;
  /** What this node's certificate step waits for besides its own steps (Fleet: the node before). */
  readonly certificateAfter?: pulumi.Resource[];
  /**
   * localnet, nodes 2..N of a fleet: node 1's `localnet` (its chain identity and address). The node
   * then runs node 1's chain (its genesis, node 1 as P2P bootstrap peer) instead of its own.
   */
  readonly joinLocalnet?: pulumi.Input<SecureNodeLocalnet>;
}

/** A localnet node's chain identity and its P2P multiaddr: what the other nodes of a fleet join. */
export interface SecureNodeLocalnet extends LocalnetChain {
  /** The address the other nodes reach it at (the host's address). */
  address: string;
  /** `/ip4/<address>/tcp/<P2P port>/p2p/<peer id>`. */
  bootstrapAddr: string;
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
  /** localnet: the node's chain identity, which the other nodes of a fleet take (`joinLocalnet`). */
  public readonly localnet?: pulumi.Output<SecureNodeLocalnet>;

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
          joinLocalnet: args.joinLocalnet !== undefined,
        }),
        // A new VM's IP is known only once it exists: the DNS wait gets it as a late input.
        // and the data-disk step (aws) finds the node's volume by its id.
        lateEnv: {
          "wait-for-dns": host.publicIp.apply((ip) => ({ PSN_EXPECT_IP: ip })),
          ...(host.dataVolumeId
            ? { "data-disk": host.dataVolumeId.apply((id) => ({ PSN_VOLUME_ID: id })) }
            : {}),
          // A node joining node 1's localnet: node 1's genesis and multiaddr.
          ...(args.joinLocalnet
            ? {
                pactus: pulumi
                  .output(args.joinLocalnet)
                  .apply((n1) => localnetJoinEnv(n1, n1.address)),
              }
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
    if (cfg.pactus.network === "localnet")
      this.localnet = pulumi
        .all([nodeSteps.pactusOutput, host.address])
        .apply(([out, address]): SecureNodeLocalnet => {
          const chain = parseLocalnetChain(out);
          if (!chain)
            throw new Error(`SecureNode ${name}: the pactus step printed no chain identity`);
          return { ...chain, address, bootstrapAddr: localnetBootstrapAddr(address, chain.peerId) };
        });
    this.registerOutputs({
      fqdn: this.fqdn,
      ip: this.ip,
      dataVolumeId: this.dataVolumeId,
      urls: this.urls,
      checks: this.checks,
      localnet: this.localnet,
    });
  }
}
