import * as pulumi from "@pulumi/pulumi";
import { fleetNodeConfigs, type NodeSecrets, type StackConfig } from "./config";
import { SecureNode } from "./secureNode";
import { SharedName } from "./sharedName";

/** Arguments for {@link Fleet}. */
export interface FleetArgs {
  readonly config: StackConfig;
  readonly secrets: NodeSecrets;
}

/** The name of node i's component: node 0 keeps the fleet's own name (a stack of one as before). */
export const nodeName = (name: string, i: number) => (i === 0 ? name : `${name}-${i + 1}`);

/** The API URLs under one name. */
export function apiUrls(cfg: StackConfig, name: string) {
  const base = `https://${name}`;
  return {
    ...(cfg.apis.grpcWeb ? { grpcWeb: `${base}/grpc-web` } : {}),
    ...(cfg.apis.jsonrpc ? { jsonrpc: `${base}/jsonrpc` } : {}),
    ...(cfg.apis.http ? { http: `${base}/http/api` } : {}),
  };
}

/** The secrets without pactus.mnemonic: the node makes a wallet of its own. */
function withoutMnemonic(secrets: NodeSecrets): NodeSecrets {
  const { mnemonic: _m, digests, ...rest } = secrets;
  const { mnemonic: _d, ...otherDigests } = digests;
  return { ...rest, digests: otherDigests };
}

/**
 * The stack's nodes (fleet.nodes, each a SecureNode of its own) and the shared name (fleet.publicName)
 * served by the DNS provider's engine over every healthy node (SharedName).
 *
 * Node 0 is the stack of one it always was: its component moved under the fleet, so it carries an
 * alias to its former place at the root, which its children inherit (test/unit/graph.test.ts shows
 * every URN of a stack of one unchanged or aliased).
 */
export class Fleet extends pulumi.ComponentResource {
  public readonly nodes: SecureNode[];
  /** fleet.publicName and its API URLs, when set. */
  public readonly publicName?: string;
  public readonly publicUrls?: ReturnType<typeof apiUrls>;

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pactus:fleet:Fleet", name, {}, opts);
    const cfg = args.config;
    // certbot's route53 plugin UPSERTs the whole _acme-challenge TXT set with its own values: two
    // nodes issuing for the shared name at once would overwrite each other's. One after the other.
    const serialize = cfg.acme.dns01?.plugin === "route53";
    this.nodes = [];
    let before: SecureNode | undefined;
    fleetNodeConfigs(cfg).forEach((config, i) => {
      const certificate = before?.steps.commands.certificate;
      // localnet: node 0 makes the chain, the others join it (its genesis, node 0 as their P2P
      // bootstrap peer), each with a wallet of its own: node 0's mnemonic on another node would sign
      // as node 0's validators (pactus-init refuses it).
      const join = cfg.pactus.network === "localnet" && i > 0 ? this.nodes[0].localnet : undefined;
      const node = new SecureNode(
        nodeName(name, i),
        {
          config,
          secrets: join ? withoutMnemonic(args.secrets) : args.secrets,
          ...(join ? { joinLocalnet: join } : {}),
          ...(serialize && certificate ? { certificateAfter: [certificate] } : {}),
        },
        {
          parent: this,
          ...(i === 0 ? { aliases: [{ parent: pulumi.rootStackResource }] } : {}),
        },
      );
      this.nodes.push(node);
      before = node;
    });
    const publicName = cfg.fleet.publicName;
    if (publicName) {
      this.publicName = publicName;
      this.publicUrls = apiUrls(cfg, publicName);
      if (cfg.dns.provider !== "none")
        new SharedName(
          `${name}-shared`,
          {
            dns: cfg.dns,
            publicName,
            nodes: this.nodes.map((n, i) => ({
              key: nodeName(name, i),
              domain: n.fqdn,
              address: n.ip,
            })),
          },
          { parent: this },
        );
    }
    this.registerOutputs({ publicName: this.publicName, publicUrls: this.publicUrls });
  }
}
