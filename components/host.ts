import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { isIP } from "node:net";
import { DATA_DEVICE_NAME, P2P_PORTS } from "./render/paths";
import {
  instanceArch,
  type Arch,
  type AwsHostConfig,
  type ExistingHostConfig,
  type HostOs,
  type Network,
} from "./config";

/** Debian's own AWS account (the cloud team's official images): the only owner of Debian AMIs we accept. */
export const DEBIAN_OWNER = "136693071363";
/** Canonical's AWS account: the only owner whose Ubuntu AMIs we accept. */
export const CANONICAL_OWNER = "099720109477";

/**
 * Where each host.os comes from: its publisher's account and the name of its images, e.g.
 * debian-13-arm64-20250814-2204 or ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250610.
 * Only the release images match (Debian's backports images are debian-12-backports-…).
 */
export function amiLookup(os: HostOs, arch: Arch): { owner: string; name: string } {
  const a = arch === "arm64" ? "arm64" : "amd64";
  switch (os) {
    case "debian-13":
    case "debian-12":
      return { owner: DEBIAN_OWNER, name: `${os}-${a}-*` };
    case "ubuntu-24.04":
      return {
        owner: CANONICAL_OWNER,
        name: `ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${a}-server-*`,
      };
    case "ubuntu-22.04":
      return {
        owner: CANONICAL_OWNER,
        name: `ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-${a}-server-*`,
      };
  }
}

/**
 * The tag by which the snapshot policy finds the node's data volume; its value names the stack and
 * component, so two stacks in one account and region never snapshot each other's volumes.
 */
export const SNAPSHOT_TAG = "pactus-secure-node:snapshots";

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
  /** pactus.purgeOnDestroy: destroy deletes the aws data volume too; else it is retained. */
  readonly purgeOnDestroy: boolean;
  /** backup.keepDays: how many daily snapshots of the aws data volume are kept. */
  readonly keepSnapshots: number;
  /**
   * aws: admit Route53's health checkers to 443 through AWS's managed prefix list (a shared name on
   * Route53 checks each node's /healthz). 443 is open to everyone today; the rule keeps the checkers
   * in if that ever narrows, and adds nothing wider.
   */
  readonly route53HealthCheckers?: boolean;
  /**
   * aws: the Route53 hosted zone whose `_acme-challenge` TXT records the VM may change (DNS-01 with
   * certbot's route53 plugin, acme.dns01.plugin route53): an instance role limited to them.
   */
  readonly dns01Route53ZoneId?: string;
}

/** The prefix list AWS keeps of the Route53 health checkers' IPv4 ranges in `region`. */
export const route53HealthCheckPrefixList = (region: string) =>
  `com.amazonaws.${region}.route53-healthchecks`;

/**
 * The instance role's policy for certbot's route53 plugin: find the zone and wait for a change
 * anywhere (these actions take no resource), change only TXT records named `_acme-challenge.*` of
 * the one zone.
 */
export function dns01Route53Policy(partition: string, zoneId: string): object {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["route53:ListHostedZones", "route53:GetChange"],
        Resource: "*",
      },
      {
        Effect: "Allow",
        Action: "route53:ChangeResourceRecordSets",
        Resource: `arn:${partition}:route53:::hostedzone/${zoneId}`,
        Condition: {
          "ForAllValues:StringLike": {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["_acme-challenge.*"],
          },
          "ForAllValues:StringEquals": {
            "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
          },
        },
      },
    ],
  };
}

/** A machine reachable over SSH: a new EC2 instance with a stable IP, or an existing host. */
export class Host extends pulumi.ComponentResource {
  /** Public IPv4 (Elastic IP) or the configured address. */
  public readonly address: pulumi.Output<string>;
  /** The address when it is an IP, "" when the existing host is given by name. */
  public readonly publicIp: pulumi.Output<string>;
  /** aws: the id of the node's data volume (its home, wallet and chain), which outlives the VM. */
  public readonly dataVolumeId?: pulumi.Output<string>;
  /** aws: the VM's id, which changes when the VM is replaced (the steps then run again on the new one). */
  public readonly instanceId?: pulumi.Output<string>;
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
      // The newest image of host.os for the instance type's CPU; the pactus step picks the release
      // tarball for the CPU it finds on the host (uname -m), so both follow the instance type.
      const arch = instanceArch(h.instanceType)!;
      const image = amiLookup(h.os, arch);
      const ami = aws.ec2.getAmiOutput(
        {
          region: h.region,
          mostRecent: true,
          owners: [image.owner],
          filters: [
            { name: "name", values: [image.name] },
            { name: "architecture", values: [arch] },
            { name: "virtualization-type", values: ["hvm"] },
            { name: "root-device-type", values: ["ebs"] },
          ],
        },
        { parent: this },
      );
      const healthCheckers = args.route53HealthCheckers
        ? aws.ec2.getManagedPrefixListOutput(
            { region: h.region, name: route53HealthCheckPrefixList(h.region) },
            { parent: this },
          )
        : undefined;
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
            ...(healthCheckers
              ? [
                  {
                    description: "HTTPS from Route53 health checkers (the shared name)",
                    protocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    prefixListIds: [healthCheckers.id],
                  },
                ]
              : []),
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
      // The node's data lives on its own volume, made once in one zone: the VM is pinned to the
      // volume's zone (not the other way round), so a replaced VM finds the volume where it was, and
      // a later change of host.availabilityZone or of the region's zone list never replaces it.
      const zone =
        h.availabilityZone ??
        aws
          .getAvailabilityZonesOutput(
            {
              region: h.region,
              state: "available",
              // Availability Zones only: Local Zones need an opt-in and lack most instance types.
              filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
            },
            { parent: this },
          )
          .names.apply((names) => [...names].sort()[0]);
      const snapshotTag = `${pulumi.getProject()}/${pulumi.getStack()}/${name}`;
      const volume = new aws.ebs.Volume(
        `${name}-data`,
        {
          region: h.region,
          availabilityZone: zone,
          type: "gp3",
          size: h.dataDiskGb,
          encrypted: true,
          tags: { Name: `${name}-data`, [SNAPSHOT_TAG]: snapshotTag },
        },
        {
          parent: this,
          // destroy keeps the wallet and chain unless pactus.purgeOnDestroy (the README's promise).
          retainOnDelete: !args.purgeOnDestroy,
          ignoreChanges: ["availabilityZone"],
        },
      );
      const partition = aws.getPartitionOutput({}, { parent: this }).partition;
      let instanceProfile: aws.iam.InstanceProfile | undefined;
      if (args.dns01Route53ZoneId) {
        const zoneId = args.dns01Route53ZoneId;
        const role = new aws.iam.Role(
          `${name}-dns01`,
          {
            description: "Lets certbot on the Pactus node prove its names by DNS-01 in one zone",
            assumeRolePolicy: JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Principal: { Service: "ec2.amazonaws.com" },
                  Action: "sts:AssumeRole",
                },
              ],
            }),
          },
          { parent: this },
        );
        new aws.iam.RolePolicy(
          `${name}-dns01`,
          {
            role: role.name,
            policy: partition.apply((pt) => JSON.stringify(dns01Route53Policy(pt, zoneId))),
          },
          { parent: this },
        );
        instanceProfile = new aws.iam.InstanceProfile(
          `${name}-dns01`,
          { role: role.name },
          { parent: this },
        );
      }
      const instance = new aws.ec2.Instance(
        `${name}-vm`,
        {
          region: h.region,
          ami: ami.id,
          instanceType: h.instanceType,
          keyName: keyPair.keyName,
          vpcSecurityGroupIds: [sg.id],
          ...(instanceProfile ? { iamInstanceProfile: instanceProfile.name } : {}),
          // IMDSv2 only: a request forgery on the host cannot read instance credentials with a plain GET.
          metadataOptions: {
            httpTokens: "required",
            httpEndpoint: "enabled",
            httpPutResponseHopLimit: 1,
          },
          availabilityZone: volume.availabilityZone,
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
      new aws.ec2.VolumeAttachment(
        `${name}-data-attach`,
        {
          region: h.region,
          deviceName: DATA_DEVICE_NAME,
          volumeId: volume.id,
          instanceId: instance.id,
          // Detach only from a stopped VM: its shutdown unmounts the filesystem cleanly first.
          stopInstanceBeforeDetaching: true,
        },
        // A replaced VM: the volume must leave the old one before it can attach to the new one.
        { parent: this, deleteBeforeReplace: true },
      );
      // Daily snapshots of the data volume by Data Lifecycle Manager, found by its tag; the newest
      // backup.keepDays are kept (snapshots outlive a destroy, see the README).
      const dlmRole = new aws.iam.Role(
        `${name}-dlm`,
        {
          description: "Lets Data Lifecycle Manager snapshot the Pactus node's data volume",
          assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Service: "dlm.amazonaws.com" },
                Action: "sts:AssumeRole",
              },
            ],
          }),
        },
        { parent: this },
      );
      const dlmPolicy = new aws.iam.RolePolicyAttachment(
        `${name}-dlm-policy`,
        {
          role: dlmRole.name,
          policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole`,
        },
        { parent: this },
      );
      new aws.dlm.LifecyclePolicy(
        `${name}-snapshots`,
        {
          region: h.region,
          description: "Daily snapshots of the Pactus node data volume",
          executionRoleArn: dlmRole.arn,
          state: "ENABLED",
          policyDetails: {
            resourceTypes: ["VOLUME"],
            targetTags: { [SNAPSHOT_TAG]: snapshotTag },
            schedules: [
              {
                name: "daily",
                createRule: { interval: 24, intervalUnit: "HOURS", times: "03:00" },
                retainRule: { count: args.keepSnapshots },
                copyTags: true,
              },
            ],
          },
          tags: { Name: `${name}-snapshots` },
        },
        { parent: this, dependsOn: [dlmPolicy] },
      );
      this.dataVolumeId = volume.id;
      this.instanceId = instance.id;
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
