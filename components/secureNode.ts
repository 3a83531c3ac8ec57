import * as pulumi from "@pulumi/pulumi";
import { DnsRecord } from "./dns";
import { Host } from "./host";
import { NodeSteps } from "./nodeSteps";
import { monitoringSecrets, pactusSecrets, planSteps, verifySecrets } from "./steps";
import type { StackConfig } from "./config";

/** Arguments for {@link SecureNode}. */
export interface SecureNodeArgs {
  readonly config: StackConfig;
  readonly walletPassword: pulumi.Output<string>;
  readonly mnemonic?: pulumi.Output<string>;
  readonly privateKey?: pulumi.Output<string>;
  /** apis.basicAuth: the line (secret), its password (secret, for verify) and the line's digest. */
  readonly basicAuth?: {
    line: pulumi.Output<string>;
    password: pulumi.Output<string>;
    digest: string;
  };
  /** monitoring.basicAuth: nginx's htpasswd line for /metrics/ (secret) and its digest. */
  readonly monitoringAuth?: { line: pulumi.Output<string>; digest: string };
}

/**
 * The pactus step's secret stdin: wallet password, mnemonic (restore), basic_auth line and its
 * password (the step's health checks call the node with it).
 */
export function pactusSecretStdin(
  password: pulumi.Output<string>,
  mnemonic?: pulumi.Output<string>,
  basicAuth?: { line: pulumi.Output<string>; password: pulumi.Output<string> },
): pulumi.Output<string> {
  return pulumi.secret(
    pulumi
      .all([
        password,
        mnemonic ?? pulumi.output(""),
        basicAuth?.line ?? pulumi.output(""),
        basicAuth?.password ?? pulumi.output(""),
      ])
      .apply(([pw, mn, ba, bap]) =>
        pactusSecrets({
          walletPassword: pw,
          mnemonic: mn || undefined,
          basicAuth: ba || undefined,
          basicAuthPassword: bap || undefined,
        }),
      ),
  );
}

/** A Pactus node behind nginx with TLS: host, DNS record and the host steps, wired in order. */
export class SecureNode extends pulumi.ComponentResource {
  public readonly fqdn: string;
  public readonly ip: pulumi.Output<string>;
  /** aws: the node's data volume, kept by destroy unless pactus.purgeOnDestroy. */
  public readonly dataVolumeId?: pulumi.Output<string>;
  public readonly urls: { grpcWeb?: string; jsonrpc?: string; http?: string };
  public readonly checks: pulumi.Output<unknown>;

  constructor(name: string, args: SecureNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pactus:node:SecureNode", name, {}, opts);
    const cfg = args.config;
    const host = new Host(
      `${name}-host`,
      {
        host: cfg.host,
        network: cfg.pactus.network,
        privateKey: args.privateKey,
        purgeOnDestroy: cfg.pactus.purgeOnDestroy,
        keepSnapshots: cfg.backup.keepDays,
      },
      { parent: this },
    );
    const dependsOn: pulumi.Resource[] = [host];
    if (cfg.dns.provider === "cloudflare") {
      dependsOn.push(
        new DnsRecord(
          `${name}-dns`,
          { zoneId: cfg.dns.zoneId, name: cfg.domain, address: host.publicIp, ttl: cfg.dns.ttl },
          { parent: this },
        ),
      );
    }
    const auth = args.basicAuth;
    if (cfg.apis.basicAuth !== (auth !== undefined))
      throw new Error("SecureNode: config.apis.basicAuth and args.basicAuth disagree");
    const metricsAuth = cfg.monitoring.enabled ? args.monitoringAuth : undefined;
    if (cfg.monitoring.basicAuth !== (args.monitoringAuth !== undefined))
      throw new Error("SecureNode: config.monitoring.basicAuth and args.monitoringAuth disagree");
    const nodeSteps = new NodeSteps(
      `${name}-steps`,
      {
        connection: host.connection,
        steps: planSteps(cfg, {
          sshPort: cfg.host.provider === "existing" ? cfg.host.port : 22,
          basicAuthDigest: auth?.digest,
          monitoringAuthDigest: metricsAuth?.digest,
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
        secretStdin: {
          pactus: pactusSecretStdin(args.walletPassword, args.mnemonic, auth),
          ...(metricsAuth && cfg.monitoring.basicAuth
            ? { monitoring: pulumi.secret(metricsAuth.line.apply(monitoringSecrets)) }
            : {}),
          // With basic auth, the health refresher and the verify step call the node with the credentials.
          ...(auth
            ? Object.fromEntries(
                (["health", "verify"] as const).map((step) => [
                  step,
                  pulumi.secret(
                    pulumi
                      .all([auth.line, auth.password])
                      .apply(([line, password]) => verifySecrets({ basicAuth: line, password })),
                  ),
                ]),
              )
            : {}),
        },
        sudo: cfg.host.user !== "root",
      },
      { parent: this, dependsOn },
    );
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
