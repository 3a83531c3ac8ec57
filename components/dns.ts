import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";

/** Arguments for {@link DnsRecord}. */
export interface DnsRecordArgs {
  /** Cloudflare zone id of the domain. */
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
