import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { isIP } from "node:net";
import { P2P_PORTS } from "./render/paths";
import type { AwsHostConfig, ExistingHostConfig, Network } from "./validate";

/** Canonical's AWS account: the only owner whose Ubuntu AMIs we accept. */
const CANONICAL = "099720109477";
const UBUNTU_CODENAMES = { "22.04": "jammy", "24.04": "noble" } as const;

/** Ports the node needs from the internet, besides SSH from the admins. */
export function publicPorts(
  network: Network,
): { port: number; protocol: "tcp" | "udp"; why: string }[] {
  const ports: { port: number; protocol: "tcp" | "udp"; why: string }[] = [
    { port: 80, protocol: "tcp", why: "HTTP: ACME HTTP-01 and redirect to HTTPS" },
    { port: 443, protocol: "tcp", why: "HTTPS: gRPC-Web, JSON-RPC, HTTP API" },
  ];
  const p2p = P2P_PORTS[network];
  if (p2p) {
    ports.push(
      { port: p2p, protocol: "tcp", why: "Pactus P2P" },
      { port: p2p, protocol: "udp", why: "Pactus P2P (QUIC)" },
    );
  }
  return ports;
}

/** Arguments for {@link Host}. */
export interface HostArgs {
  readonly host: AwsHostConfig | ExistingHostConfig;
  readonly network: Network;
  /** Configured SSH key (secret); for AWS a key is generated when absent. */
  readonly privateKey?: pulumi.Output<string>;
}

/** A machine reachable over SSH: a new EC2 instance with a stable IP, or an existing host. */
export class Host extends pulumi.ComponentResource {
  /** Public IPv4 (Elastic IP) or the configured address. */
  public readonly address: pulumi.Output<string>;
  /** The address when it is an IP, "" when the existing host is given by name. */
  public readonly publicIp: pulumi.Output<string>;
  public readonly connection: pulumi.Output<{
    host: string;
    port: number;
    user: string;
    privateKey: string;
  }>;

  constructor(name: string, args: HostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pactus:host:Host", name, {}, opts);
    const h = args.host;
    if (h.provider === "existing") {
      this.address = pulumi.output(h.address);
      this.publicIp = pulumi.output(isIP(h.address) === 4 ? h.address : "");
      this.connection = pulumi.secret(
        pulumi
          .all([args.privateKey!])
          .apply(([key]) => ({ host: h.address, port: h.port, user: h.user, privateKey: key })),
      );
    } else {
      let privateKey = args.privateKey;
      let publicKey: pulumi.Output<string>;
      if (privateKey) {
        publicKey = tls.getPublicKeyOutput({ privateKeyOpenssh: privateKey }).publicKeyOpenssh;
      } else {
        const key = new tls.PrivateKey(
          `${name}-ssh-key`,
          { algorithm: "ED25519" },
          { parent: this },
        );
        privateKey = key.privateKeyOpenssh;
        publicKey = key.publicKeyOpenssh;
      }
      const keyPair = new aws.ec2.KeyPair(
        `${name}-key`,
        { region: h.region, publicKey },
        { parent: this },
      );
      const ami = aws.ec2.getAmiOutput(
        {
          region: h.region,
          mostRecent: true,
          owners: [CANONICAL],
          filters: [
            {
              name: "name",
              values: [
                `ubuntu/images/hvm-ssd*/ubuntu-${UBUNTU_CODENAMES[h.ubuntuRelease]}-${h.ubuntuRelease}-amd64-server-*`,
              ],
            },
            { name: "architecture", values: ["x86_64"] },
            { name: "virtualization-type", values: ["hvm"] },
          ],
        },
        { parent: this },
      );
      const sg = new aws.ec2.SecurityGroup(
        `${name}-sg`,
        {
          region: h.region,
          description: "Pactus node: SSH from admins; HTTP, HTTPS and P2P from anywhere",
          ingress: [
            {
              description: "SSH from host.adminCidrs",
              protocol: "tcp",
              fromPort: 22,
              toPort: 22,
              cidrBlocks: h.adminCidrs.filter((c) => isIP(c.split("/")[0]) === 4),
              ipv6CidrBlocks: h.adminCidrs.filter((c) => isIP(c.split("/")[0]) === 6),
            },
            ...publicPorts(args.network).map((p) => ({
              description: p.why,
              protocol: p.protocol,
              fromPort: p.port,
              toPort: p.port,
              cidrBlocks: ["0.0.0.0/0"],
              ipv6CidrBlocks: ["::/0"],
            })),
          ],
          egress: [
            {
              description: "Outbound: apt, ACME, release download, P2P",
              protocol: "-1",
              fromPort: 0,
              toPort: 0,
              cidrBlocks: ["0.0.0.0/0"],
              ipv6CidrBlocks: ["::/0"],
            },
          ],
          tags: { Name: `${name}-sg` },
        },
        { parent: this },
      );
      const instance = new aws.ec2.Instance(
        `${name}-vm`,
        {
          region: h.region,
          ami: ami.id,
          instanceType: h.instanceType,
          keyName: keyPair.keyName,
          vpcSecurityGroupIds: [sg.id],
          // IMDSv2 only: a request forgery on the host cannot read instance credentials with a plain GET.
          metadataOptions: {
            httpTokens: "required",
            httpEndpoint: "enabled",
            httpPutResponseHopLimit: 1,
          },
          rootBlockDevice: {
            volumeType: "gp3",
            volumeSize: h.diskGb,
            encrypted: true,
            deleteOnTermination: true,
          },
          tags: { Name: name },
        },
        { parent: this, ignoreChanges: ["ami"] },
      );
      const eip = new aws.ec2.Eip(
        `${name}-ip`,
        { region: h.region, domain: "vpc", instance: instance.id, tags: { Name: name } },
        { parent: this },
      );
      this.address = eip.publicIp;
      this.publicIp = eip.publicIp;
      this.connection = pulumi.secret(
        pulumi
          .all([eip.publicIp, privateKey])
          .apply(([ip, key]) => ({ host: ip, port: 22, user: h.user, privateKey: key })),
      );
    }
    this.registerOutputs({ address: this.address });
  }
}
