import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";

/** Arguments for {@link DnsRecord}. */
export interface DnsRecordArgs {
  /** Who serves the zone (dns.provider). @default "cloudflare" */
  readonly provider?: "cloudflare" | "route53";
  /** Cloudflare zone id or Route53 hosted zone id of the domain. */
  readonly zoneId: string;
  /** Fully qualified name, e.g. node.example.org. */
  readonly name: string;
  /** IPv4 address the name points at. */
  readonly address: pulumi.Input<string>;
  /** Seconds (dns.ttl); low so a replaced VM is reachable soon. */
  readonly ttl: number;
}

/** The node's A record. DNS-only (not proxied): Cloudflare's proxy would break native gRPC and P2P. */
export class DnsRecord extends pulumi.ComponentResource {
  constructor(name: string, args: DnsRecordArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pactus:dns:Record", name, {}, opts);
    if (args.provider === "route53") {
      new aws.route53.Record(
        `${name}-a`,
        {
          zoneId: args.zoneId,
          name: args.name,
          type: "A",
          ttl: args.ttl,
          records: [args.address],
        },
        { parent: this },
      );
      this.registerOutputs();
      return;
    }
    new cloudflare.DnsRecord(
      `${name}-a`,
      {
        zoneId: args.zoneId,
        name: args.name,
        type: "A",
        content: args.address,
        ttl: args.ttl,
        proxied: false,
        comment: "pactus-secure-node",
      },
      { parent: this },
    );
    this.registerOutputs();
  }
}
