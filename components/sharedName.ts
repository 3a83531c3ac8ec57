import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import type { DnsConfig } from "./config";

/** What every engine reads on each node: `/healthz` over HTTPS answers this while the node is healthy. */
export const HEALTHY_BODY = '"healthy":true';
export const HEALTH_PATH = "/healthz";

/** One node behind the shared name. */
export interface SharedNameNode {
  /** The node's component name (pactus, pactus-2, ...): its resources here are named from it. */
  readonly key: string;
  /** The node's own name (its Route53 set identifier, its Cloudflare origin name). */
  readonly domain: string;
  readonly address: pulumi.Input<string>;
}

/** Arguments for {@link SharedName}. */
export interface SharedNameArgs {
  readonly dns: Exclude<DnsConfig, { provider: "none" }>;
  /** fleet.publicName. */
  readonly publicName: string;
  readonly nodes: readonly SharedNameNode[];
}

/**
 * The shared name, kept healthy by the DNS provider's own engine (we never write a balancer):
 * Route53 multivalue answers, one record per node, each with its HTTPS health check on /healthz;
 * Cloudflare plain DNS-only A records (no health checks), or its load balancer (dns.loadBalancer)
 * whose monitor reads /healthz the same way. Each node's resources are named from its own name, so a
 * removed node takes only its own answer with it.
 */
export class SharedName extends pulumi.ComponentResource {
  constructor(name: string, args: SharedNameArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pactus:fleet:SharedName", name, {}, opts);
    const { dns, publicName } = args;
    if (dns.provider === "route53") {
      for (const n of args.nodes) {
        const check = new aws.route53.HealthCheck(
          `${name}-${n.key}-check`,
          {
            type: "HTTPS_STR_MATCH",
            // Host header and SNI: the shared name, so nginx answers as it does to clients.
            fqdn: publicName,
            ipAddress: n.address,
            port: 443,
            enableSni: true,
            resourcePath: HEALTH_PATH,
            searchString: HEALTHY_BODY,
            requestInterval: 30,
            failureThreshold: 3,
            tags: { Name: `${publicName} ${n.domain}` },
          },
          { parent: this },
        );
        new aws.route53.Record(
          `${name}-${n.key}-a`,
          {
            zoneId: dns.zoneId,
            name: publicName,
            type: "A",
            ttl: dns.ttl,
            records: [n.address],
            setIdentifier: n.domain,
            multivalueAnswerRoutingPolicy: true,
            healthCheckId: check.id,
          },
          { parent: this },
        );
      }
    } else if (!dns.loadBalancer) {
      // Round robin without health checks: clients get every node's address, dead ones too.
      for (const n of args.nodes)
        new cloudflare.DnsRecord(
          `${name}-${n.key}-a`,
          {
            zoneId: dns.zoneId,
            name: publicName,
            type: "A",
            content: n.address,
            ttl: dns.ttl,
            proxied: false,
            comment: `pactus-secure-node ${n.domain}`,
          },
          { parent: this },
        );
    } else {
      const accountId = dns.accountId!;
      const monitor = new cloudflare.LoadBalancerMonitor(
        `${name}-monitor`,
        {
          accountId,
          type: "https",
          method: "GET",
          path: HEALTH_PATH,
          port: 443,
          expectedCodes: "200",
          expectedBody: HEALTHY_BODY,
          header: { Host: [publicName] },
          followRedirects: false,
          allowInsecure: false,
          interval: 60,
          timeout: 5,
          retries: 2,
          description: `pactus-secure-node ${publicName}`,
        },
        { parent: this },
      );
      const pool = new cloudflare.LoadBalancerPool(
        `${name}-pool`,
        {
          accountId,
          name: publicName.replace(/\./g, "-"),
          monitor: monitor.id,
          origins: args.nodes.map((n) => ({
            name: n.domain,
            address: n.address,
            enabled: true,
            header: { hosts: [publicName] },
          })),
          minimumOrigins: 1,
          description: `pactus-secure-node ${publicName}`,
        },
        { parent: this },
      );
      new cloudflare.LoadBalancer(
        `${name}-lb`,
        {
          zoneId: dns.zoneId,
          name: publicName,
          defaultPools: [pool.id],
          fallbackPool: pool.id,
          // DNS-only: clients reach the nodes themselves (native gRPC and P2P need that).
          proxied: false,
          ttl: dns.ttl,
          steeringPolicy: "off",
        },
        { parent: this },
      );
    }
    this.registerOutputs();
  }
}
