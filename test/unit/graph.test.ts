/**
 * The resource graph under pulumi.runtime.setMocks: what `pulumi up` would register, with AWS and
 * Cloudflare mocked (the only mocks in the project). Dependencies and secretness are read from the
 * raw registration requests, as the engine would receive them.
 */
import * as pulumi from "@pulumi/pulumi";
import { hashOf, planSteps } from "../../components/steps";
import { parseConfig, splitSecrets, type StackConfig } from "../../components/config";
import { METRICS_LINE, METRICS_PASSWORD } from "../helpers/config";

/** The parsed config of a test stack (its secrets set with --secret), as loadConfig makes it. */
function configOf(raw: Record<string, unknown>): StackConfig {
  return parseConfig({ ...splitSecrets(raw, () => true), cloudflareToken: true }).config;
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const PASSWORD = "correct horse battery staple";
const MNEMONIC =
  "abandon ability able about above absent absorb abstract absurd abuse access accident";
const KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** The request's serialized properties: secrets still wrapped. */
  wire: Record<string, unknown>;
  dependencies: string[];
  parent: string;
  urn: string;
  /** Resource options as the engine receives them. */
  retainOnDelete?: boolean;
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
  /** The URNs this resource was known by (run with `aliasUrns`: the SDK computes inherited ones). */
  aliasUrns: string[];
}

/** A data-source call (invoke) as the mocks receive it. */
interface Invoked {
  token: string;
  inputs: Record<string, unknown>;
}

function isSecretWire(v: unknown): boolean {
  return (
    !!v &&
    typeof v === "object" &&
    (v as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === SECRET_SIG
  );
}

type ProgramRun = { resources: Registered[]; outputs: Record<string, unknown>; invokes: Invoked[] };
/**
 * Runs the program; `secretGroups` are the groups holding a `--secret` value (encrypted as a whole).
 * A run is a pure function of its config, secret groups and the Cloudflare token in the environment:
 * cases that ask for the same stack share one run (its results are only read).
 */
const runs = new Map<string, Promise<ProgramRun>>();
/**
 * Each run evaluates the program's own modules afresh (a new module registry), but the SDK and the
 * providers load once for the file: they hold no state of a program that setMocks does not reset
 * (the runtime's store is a global either way), and evaluating them again was most of a run's cost.
 */
const SHARED_MODULES = [
  "@pulumi/pulumi",
  "@pulumi/aws",
  "@pulumi/cloudflare",
  "@pulumi/command",
  "@pulumi/tls",
];
for (const name of SHARED_MODULES) {
  const actual: unknown = jest.requireActual(name);
  jest.doMock(name, () => actual);
}
/**
 * `aliasUrns`: the mock monitor says it takes no alias specs, so the SDK itself computes every
 * resource's alias URNs, those its children inherit from an aliased parent included (the engine
 * computes the same from specs), and sends them with the registration.
 */
function run(
  config: Record<string, unknown>,
  secretGroups = ["pactus", "host"],
  opts: { aliasUrns?: boolean } = {},
): Promise<ProgramRun> {
  const key = JSON.stringify([
    config,
    secretGroups,
    process.env.CLOUDFLARE_API_TOKEN ?? null,
    opts,
  ]);
  if (!runs.has(key)) runs.set(key, runProgram(config, secretGroups, opts));
  return runs.get(key)!;
}

async function runProgram(
  config: Record<string, unknown>,
  secretGroups: string[],
  opts: { aliasUrns?: boolean } = {},
): Promise<ProgramRun> {
  const resources: Registered[] = [];
  const invokes: Invoked[] = [];
  const byUrn = new Map<string, Registered>();
  let outputs: Record<string, unknown> = {};
  // The SDK takes a stack trace for every promise it makes (`new Error().stack`, for its leak
  // report), which jest's source maps make the biggest cost of a run: none during the run.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    await jest.isolateModulesAsync(async () => {
      // A fresh module registry per run: require, not import, inside isolateModulesAsync.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pulumiIso = require("@pulumi/pulumi") as typeof pulumi;
      await pulumiIso.runtime.setMocks(
        {
          newResource: (args) => {
            const state: Record<string, unknown> = { ...args.inputs };
            // Node 0's address as before; node i's 198.51.100.(20+i).
            if (args.type === "aws:ec2/eip:Eip")
              state.publicIp = `198.51.100.${20 + Number(/^pactus-(\d+)-/.exec(args.name)?.[1] ?? 1) - 1}`;
            if (args.type === "aws:iam/instanceProfile:InstanceProfile") state.name = args.name;
            if (args.type === "tls:index/privateKey:PrivateKey") {
              state.privateKeyOpenssh =
                "-----BEGIN OPENSSH PRIVATE KEY-----\ngenerated\n-----END OPENSSH PRIVATE KEY-----\n";
              state.publicKeyOpenssh = "ssh-ed25519 AAAAgenerated";
            }
            if (args.type === "aws:ec2/keyPair:KeyPair") state.keyName = `${args.name}-kp`;
            if (args.type === "aws:ebs/volume:Volume")
              return { id: "vol-0123456789abcdef0", state };
            if (args.type === "aws:iam/role:Role") {
              state.name = args.name;
              state.arn = `arn:aws:iam::123456789012:role/${args.name}`;
            }
            if (args.type === "command:remote:Command")
              state.stdout = '{"grpcWeb":{"ok":true,"blockHash":"ab"},"domain":"x"}\n';
            return { id: `${args.name}-id`, state };
          },
          call: (args) => {
            invokes.push({ token: args.token, inputs: args.inputs as Record<string, unknown> });
            if (args.token === "aws:ec2/getAmi:getAmi")
              return { id: "ami-0123456789abcdef0", imageId: "ami-0123456789abcdef0" };
            // Unsorted, as the API gives no order guarantee: the first zone is the first by name.
            if (args.token === "aws:index/getAvailabilityZones:getAvailabilityZones")
              return { names: ["eu-central-1b", "eu-central-1a", "eu-central-1c"] };
            if (args.token === "aws:index/getPartition:getPartition") return { partition: "aws" };
            if (args.token === "tls:index/getPublicKey:getPublicKey")
              return { publicKeyOpenssh: "ssh-ed25519 AAAAconfigured" };
            if (args.token === "aws:ec2/getManagedPrefixList:getManagedPrefixList")
              return { id: "pl-0123route53hc", name: args.inputs.name };
            return {};
          },
        },
        "pactus-secure-node",
        "test",
        false,
      );
      if (opts.aliasUrns) {
        const state = jest.requireActual<{ getStore(): { supportsAliasSpecs: boolean } }>(
          "@pulumi/pulumi/runtime/state",
        );
        state.getStore().supportsAliasSpecs = false;
      }
      const monitor = pulumiIso.runtime.getMonitor() as unknown as {
        registerResource: (
          req: RegisterRequest,
          cb: (err: unknown, resp: { getUrn(): string }) => void,
        ) => void;
      };
      interface RegisterRequest {
        getType(): string;
        getName(): string;
        getParent(): string;
        getDependenciesList(): string[];
        getRetainondelete(): boolean | undefined;
        getDeletebeforereplace(): boolean;
        getIgnorechangesList(): string[];
        getAliasurnsList(): string[];
        getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
      }
      const original = monitor.registerResource.bind(monitor);
      monitor.registerResource = (req, cb) => {
        original(req, (err, resp) => {
          if (!err) {
            const r: Registered = {
              type: req.getType(),
              name: req.getName(),
              inputs: {},
              wire: req.getObject()?.toJavaScript() ?? {},
              dependencies: req.getDependenciesList(),
              parent: req.getParent(),
              urn: resp.getUrn(),
              retainOnDelete: req.getRetainondelete(),
              deleteBeforeReplace: req.getDeletebeforereplace(),
              ignoreChanges: req.getIgnorechangesList(),
              aliasUrns: req.getAliasurnsList(),
            };
            resources.push(r);
            byUrn.set(r.urn, r);
          }
          cb(err, resp);
        });
      };
      const secretKeys: string[] = [];
      const all: Record<string, string> = {};
      for (const [k, v] of Object.entries(config)) {
        all[`pactus-secure-node:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
        if (secretGroups.includes(k)) secretKeys.push(`pactus-secure-node:${k}`);
      }
      pulumiIso.runtime.setAllConfig(all, secretKeys);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const program = require("../../index") as Record<string, unknown>;
      const resolved: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(program)) {
        resolved[k] = pulumiIso.Output.isInstance(v)
          ? await new Promise((res) => v.apply((x) => res(x)))
          : v;
      }
      outputs = resolved;
    });
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  // Let pending registrations finish: the next run's monitor must not receive them.
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  await new Promise((r) => setTimeout(r, 50));
  for (const r of resources) {
    r.inputs = Object.fromEntries(
      Object.entries(r.wire).map(([k, v]) => [
        k,
        isSecretWire(v) ? (v as { value: unknown }).value : v,
      ]),
    );
  }
  return { resources, outputs, invokes };
}

const existing = {
  domain: "node.example.org",
  acme: { email: "ops@example.org", server: "staging" },
  host: { provider: "existing", address: "203.0.113.10", user: "root", privateKey: KEY },
  pactus: { network: "mainnet", walletPassword: PASSWORD, mnemonic: MNEMONIC },
};
const aws = {
  domain: "node.example.org",
  acme: { email: "ops@example.org" },
  host: {
    provider: "aws",
    region: "eu-central-1",
    adminCidrs: ["203.0.113.7/32", "2001:db8::/48"],
  },
  dns: { provider: "cloudflare", zoneId: "0123456789abcdef0123456789abcdef" },
  pactus: { network: "mainnet", walletPassword: PASSWORD, mnemonic: MNEMONIC },
};

const STEP_ORDER = [
  "wait-for-ssh",
  "base",
  "pactus",
  "nginx-bootstrap",
  "wait-for-dns",
  "certificate",
  "nginx-tls",
  "health",
  "verify",
];

/** The steps of an aws host: the data-disk step mounts the node's volume before the pactus step. */
const AWS_STEP_ORDER = [...STEP_ORDER.slice(0, 2), "data-disk", ...STEP_ORDER.slice(2)];

describe("aws host with cloudflare DNS", () => {
  let resources: Registered[];
  let outputs: Record<string, unknown>;
  beforeAll(async () => {
    process.env.CLOUDFLARE_API_TOKEN = "test-token-not-real";
    ({ resources, outputs } = await run(aws));
  });
  afterAll(() => delete process.env.CLOUDFLARE_API_TOKEN);
  const one = (type: string) => {
    const found = resources.filter((r) => r.type === type);
    expect(found).toHaveLength(1);
    return found[0];
  };

  test("security group: SSH only from adminCidrs; 80, 443 and P2P 21888 tcp+udp from anywhere; nothing else", () => {
    const sg = one("aws:ec2/securityGroup:SecurityGroup");
    const rules = (sg.inputs.ingress as Record<string, unknown>[]).map((r) => ({
      protocol: r.protocol,
      from: r.fromPort,
      to: r.toPort,
      v4: r.cidrBlocks,
      v6: r.ipv6CidrBlocks,
    }));
    expect(rules).toEqual([
      { protocol: "tcp", from: 22, to: 22, v4: ["203.0.113.7/32"], v6: ["2001:db8::/48"] },
      { protocol: "tcp", from: 80, to: 80, v4: ["0.0.0.0/0"], v6: ["::/0"] },
      { protocol: "tcp", from: 443, to: 443, v4: ["0.0.0.0/0"], v6: ["::/0"] },
      { protocol: "tcp", from: 21888, to: 21888, v4: ["0.0.0.0/0"], v6: ["::/0"] },
      { protocol: "udp", from: 21888, to: 21888, v4: ["0.0.0.0/0"], v6: ["::/0"] },
    ]);
  });

  test("instance: the AMI looked up, IMDSv2 required, encrypted gp3 root; Elastic IP attached", () => {
    const vm = one("aws:ec2/instance:Instance");
    expect(vm.inputs.ami).toBe("ami-0123456789abcdef0");
    expect(vm.inputs.instanceType).toBe("t3.small");
    expect(vm.inputs.metadataOptions).toMatchObject({ httpTokens: "required" });
    expect(vm.inputs.rootBlockDevice).toMatchObject({
      volumeType: "gp3",
      encrypted: true,
      volumeSize: 30,
    });
    const eip = one("aws:ec2/eip:Eip");
    expect(eip.inputs).toMatchObject({ domain: "vpc", instance: `${vm.name}-id` });
    expect(one("tls:index/privateKey:PrivateKey").inputs.algorithm).toBe("ED25519");
    expect(one("aws:ec2/keyPair:KeyPair").inputs.publicKey).toBe("ssh-ed25519 AAAAgenerated");
  });

  test("DNS: an A record to the Elastic IP, not proxied, low TTL", () => {
    const rec = one("cloudflare:index/dnsRecord:DnsRecord");
    expect(rec.inputs).toMatchObject({
      type: "A",
      name: "node.example.org",
      content: "198.51.100.20",
      proxied: false,
      ttl: 60,
      zoneId: "0123456789abcdef0123456789abcdef",
    });
  });

  test("the generated SSH key reaches the steps only as a secret", () => {
    const cmd = resources.find((r) => r.type === "command:remote:Command")!;
    expect(isSecretWire(cmd.wire.connection)).toBe(true);
    expect(cmd.inputs.connection).toMatchObject({
      host: "198.51.100.20",
      user: "admin",
      port: 22,
    });
    // The default image is Debian 13 (host.os), whose user admin is not root: every step goes through
    // sudo -n, after a check that fails at once when sudo would ask for a password.
    expect(String(cmd.inputs.create)).toMatch(/^sudo -n true .*; exit 1; }; sudo -n env /);
  });

  test("the DNS wait expects the Elastic IP", () => {
    const dnsWait = resources.find((r) => r.name === "pactus-steps-wait-for-dns")!;
    expect(String(dnsWait.inputs.stdin)).toContain("PSN_EXPECT_IP=198.51.100.20\n");
  });

  test("outputs: fqdn, ip, endpoint URLs and check results", () => {
    expect(outputs.fqdn).toBe("node.example.org");
    expect(outputs.ip).toBe("198.51.100.20");
    expect(outputs.urls).toEqual({
      grpcWeb: "https://node.example.org/grpc-web",
      jsonrpc: "https://node.example.org/jsonrpc",
      http: "https://node.example.org/http/api",
    });
    expect(outputs.checks).toEqual({ grpcWeb: { ok: true, blockHash: "ab" }, domain: "x" });
    expect(outputs.dataVolumeId).toBe("vol-0123456789abcdef0");
  });

  test("data volume: encrypted gp3 of host.dataDiskGb in the region's first zone, the VM pinned to its zone", () => {
    const vol = one("aws:ebs/volume:Volume");
    expect(vol.name).toBe("pactus-host-data");
    expect(vol.inputs).toMatchObject({
      region: "eu-central-1",
      type: "gp3",
      encrypted: true,
      size: 50,
      availabilityZone: "eu-central-1a",
    });
    // The volume is never replaced for its zone: a later zone list or key change leaves it be.
    expect(vol.ignoreChanges).toEqual(["availabilityZone"]);
    const vm = one("aws:ec2/instance:Instance");
    expect(vm.inputs.availabilityZone).toBe(vol.inputs.availabilityZone);
    expect(vm.dependencies).toContain(vol.urn);
    // The system disk is what it was: the VM's own, deleted with it.
    expect(vm.inputs.rootBlockDevice).toEqual({
      volumeType: "gp3",
      volumeSize: 30,
      encrypted: true,
      deleteOnTermination: true,
    });
  });

  test("destroy keeps the data volume (retainOnDelete); the attachment goes, from a stopped VM", () => {
    expect(one("aws:ebs/volume:Volume").retainOnDelete).toBe(true);
    const att = one("aws:ec2/volumeAttachment:VolumeAttachment");
    expect(att.inputs).toEqual({
      region: "eu-central-1",
      deviceName: "/dev/sdf",
      volumeId: "vol-0123456789abcdef0",
      instanceId: "pactus-host-vm-id",
      stopInstanceBeforeDetaching: true,
    });
    expect(att.retainOnDelete).toBeFalsy();
    // A replaced VM: detached from the old one before it attaches to the new one.
    expect(att.deleteBeforeReplace).toBe(true);
  });

  test("daily snapshots of the data volume by DLM, found by its tag, the last backup.keepDays kept", () => {
    const vol = one("aws:ebs/volume:Volume");
    const policy = one("aws:dlm/lifecyclePolicy:LifecyclePolicy");
    const tag = "pactus-secure-node:snapshots";
    expect((vol.inputs.tags as Record<string, string>)[tag]).toBe(
      "pactus-secure-node/test/pactus-host",
    );
    const details = policy.inputs.policyDetails as Record<string, unknown>;
    expect(details).toEqual({
      resourceTypes: ["VOLUME"],
      targetTags: { [tag]: "pactus-secure-node/test/pactus-host" },
      schedules: [
        {
          name: "daily",
          createRule: { interval: 24, intervalUnit: "HOURS", times: "03:00" },
          retainRule: { count: 7 },
          copyTags: true,
        },
      ],
    });
    expect(policy.inputs).toMatchObject({ region: "eu-central-1", state: "ENABLED" });
    // Run as a role only DLM can assume, with AWS's managed policy for it.
    const role = one("aws:iam/role:Role");
    expect(policy.inputs.executionRoleArn).toBe("arn:aws:iam::123456789012:role/pactus-host-dlm");
    expect(JSON.parse(String(role.inputs.assumeRolePolicy))).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { Service: "dlm.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    });
    const attach = one("aws:iam/rolePolicyAttachment:RolePolicyAttachment");
    expect(attach.inputs).toEqual({
      role: "pactus-host-dlm",
      policyArn: "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole",
    });
    expect(policy.dependencies).toContain(attach.urn);
  });

  test("the data-disk step runs after the attachment, before pactus, and gets the volume id", () => {
    const steps = resources.filter((r) => r.type === "command:remote:Command");
    expect(steps.map((s) => s.name)).toEqual(AWS_STEP_ORDER.map((s) => `pactus-steps-${s}`));
    const disk = steps.find((s) => s.name === "pactus-steps-data-disk")!;
    expect(String(disk.inputs.stdin)).toContain("PSN_VOLUME_ID=vol-0123456789abcdef0\n");
    expect(String(disk.inputs.stdin)).toContain("PSN_MOUNT=/var/lib/pactus\n");
    expect(disk.inputs.delete).toBeUndefined();
    const att = one("aws:ec2/volumeAttachment:VolumeAttachment");
    // The steps (their component, so each of them) wait for the volume's attachment.
    const stepsComponent = resources.find((r) => r.type === "pactus:node:Steps")!;
    expect(stepsComponent.dependencies).toContain(att.urn);
  });

  test("the VM's id is in every step's hash: a replaced VM gets every step again", () => {
    const plan = planSteps(configOf(aws), { sshPort: 22 });
    const steps = resources.filter((r) => r.type === "command:remote:Command");
    for (const p of plan) {
      const cmd = steps.find((s) => s.name === `pactus-steps-${p.name}`)!;
      const late = p.name === "wait-for-dns" ? [{ PSN_EXPECT_IP: "198.51.100.20" }] : [];
      const disk = p.name === "data-disk" ? [{ PSN_VOLUME_ID: "vol-0123456789abcdef0" }] : [];
      const want = hashOf(p.hash, ...late, ...disk, { hostId: "pactus-host-vm-id" });
      expect(String(cmd.inputs.create)).toContain(`PSN_STEP_HASH=${want} `);
    }
  });
});

describe("data volume options", () => {
  const withHost = async (host: Record<string, unknown>, pactus: Record<string, unknown> = {}) => {
    process.env.CLOUDFLARE_API_TOKEN = "test-token-not-real";
    try {
      return await run({
        ...aws,
        host: { ...aws.host, ...host },
        pactus: { ...aws.pactus, ...pactus },
      });
    } finally {
      delete process.env.CLOUDFLARE_API_TOKEN;
    }
  };

  test("backup.keepDays: how many daily snapshots are kept", async () => {
    process.env.CLOUDFLARE_API_TOKEN = "test-token-not-real";
    let resources: Registered[];
    try {
      ({ resources } = await run({ ...aws, backup: { keepDays: 30 } }));
    } finally {
      delete process.env.CLOUDFLARE_API_TOKEN;
    }
    const policy = resources.find((r) => r.type === "aws:dlm/lifecyclePolicy:LifecyclePolicy")!;
    const details = policy.inputs.policyDetails as { schedules: { retainRule: unknown }[] };
    expect(details.schedules[0].retainRule).toEqual({ count: 30 });
  });

  test("pactus.purgeOnDestroy: destroy deletes the volume too", async () => {
    const { resources } = await withHost({}, { purgeOnDestroy: true });
    const vol = resources.find((r) => r.type === "aws:ebs/volume:Volume")!;
    expect(vol.retainOnDelete).toBe(false);
  });

  test("host.availabilityZone and host.dataDiskGb: that zone (no zone lookup) and size", async () => {
    const { resources, invokes } = await withHost({
      availabilityZone: "eu-central-1c",
      dataDiskGb: 500,
    });
    const vol = resources.find((r) => r.type === "aws:ebs/volume:Volume")!;
    expect(vol.inputs).toMatchObject({ availabilityZone: "eu-central-1c", size: 500 });
    expect(vol.retainOnDelete).toBe(true);
    const vm = resources.find((r) => r.type === "aws:ec2/instance:Instance")!;
    expect(vm.inputs.availabilityZone).toBe("eu-central-1c");
    expect(invokes.map((i) => i.token)).not.toContain(
      "aws:index/getAvailabilityZones:getAvailabilityZones",
    );
    const disk = resources.find((r) => r.name === "pactus-steps-data-disk")!;
    expect(String(disk.inputs.stdin)).toContain("PSN_DATA_GB=500\n");
  });

  test("the default zone is the region's first Availability Zone (Local Zones left out)", async () => {
    const { invokes } = await withHost({});
    const zones = invokes.filter(
      (i) => i.token === "aws:index/getAvailabilityZones:getAvailabilityZones",
    );
    expect(zones).toHaveLength(1);
    expect(zones[0].inputs).toEqual({
      region: "eu-central-1",
      state: "available",
      filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
    });
  });
});

describe("host.os: the AMI lookup and the SSH user, per image and CPU architecture", () => {
  const DEBIAN = "136693071363";
  const CANONICAL = "099720109477";
  /** [host.os ("(unset)": the default), instance type, its architecture, AMI owner, AMI name, SSH user] */
  const cases: [string, string, string, string, string, string][] = [];
  for (const [type, arch, a] of [
    ["t3.small", "x86_64", "amd64"],
    ["t4g.small", "arm64", "arm64"],
  ]) {
    cases.push(
      ["(unset)", type, arch, DEBIAN, `debian-13-${a}-*`, "admin"],
      ["debian-13", type, arch, DEBIAN, `debian-13-${a}-*`, "admin"],
      ["debian-12", type, arch, DEBIAN, `debian-12-${a}-*`, "admin"],
      [
        "ubuntu-24.04",
        type,
        arch,
        CANONICAL,
        `ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${a}-server-*`,
        "ubuntu",
      ],
      [
        "ubuntu-22.04",
        type,
        arch,
        CANONICAL,
        `ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-${a}-server-*`,
        "ubuntu",
      ],
    );
  }
  test.each(cases)(
    "host.os %s on %s (%s): owner %s, name %s, user %s",
    async (os, instanceType, arch, owner, name, user) => {
      process.env.CLOUDFLARE_API_TOKEN = "test-token-not-real";
      let invokes: Invoked[];
      let resources: Registered[];
      try {
        ({ invokes, resources } = await run({
          ...aws,
          host: { ...aws.host, instanceType, ...(os === "(unset)" ? {} : { os }) },
        }));
      } finally {
        delete process.env.CLOUDFLARE_API_TOKEN;
      }
      const lookups = invokes.filter((i) => i.token === "aws:ec2/getAmi:getAmi");
      expect(lookups).toHaveLength(1);
      expect(lookups[0].inputs).toEqual({
        region: "eu-central-1",
        mostRecent: true,
        owners: [owner],
        filters: [
          { name: "name", values: [name] },
          { name: "architecture", values: [arch] },
          { name: "virtualization-type", values: ["hvm"] },
          { name: "root-device-type", values: ["ebs"] },
        ],
      });
      const vm = resources.find((r) => r.type === "aws:ec2/instance:Instance")!;
      expect(vm.inputs).toMatchObject({ ami: "ami-0123456789abcdef0", instanceType });
      const steps = resources.filter((r) => r.type === "command:remote:Command");
      expect(steps).toHaveLength(AWS_STEP_ORDER.length);
      for (const s of steps) {
        expect(s.inputs.connection).toMatchObject({ host: "198.51.100.20", user, port: 22 });
        expect(String(s.inputs.create)).toMatch(/^sudo -n true .*; exit 1; }; sudo -n env /);
      }
    },
  );
});

describe("existing host", () => {
  let resources: Registered[];
  beforeAll(async () => {
    ({ resources } = await run(existing));
  });

  test("no cloud resources and no DNS record", () => {
    expect(resources.filter((r) => /^(aws|cloudflare|tls):/.test(r.type))).toEqual([]);
  });

  test("no data volume: no data-disk step, no volume id in the outputs, step hashes without a VM id", async () => {
    const { outputs } = await run(existing);
    expect(outputs.dataVolumeId).toBeNull();
    const plan = planSteps(configOf(existing), { sshPort: 22 });
    const steps = resources.filter((r) => r.type === "command:remote:Command");
    const base = steps.find((s) => s.name === "pactus-steps-base")!;
    expect(String(base.inputs.create)).toContain(`PSN_STEP_HASH=${plan[1].hash} `);
  });

  test("steps run in order, each depending on the one before", () => {
    const steps = resources.filter((r) => r.type === "command:remote:Command");
    expect(steps.map((s) => s.name)).toEqual(STEP_ORDER.map((s) => `pactus-steps-${s}`));
    for (let i = 1; i < steps.length; i++)
      expect(steps[i].dependencies).toContain(steps[i - 1].urn);
    for (const s of steps) expect(s.inputs.triggers).toBeUndefined();
  });

  test("child names are prefixed by their parent's name", () => {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    for (const r of resources) {
      const parent = byUrn.get(r.parent);
      // Node 0 keeps the fleet's own name (a stack of one keeps its URNs).
      if (parent) expect(r.name === parent.name || r.name.startsWith(`${parent.name}-`)).toBe(true);
    }
  });

  test("wallet secrets travel only in the pactus step's stdin, which is secret", () => {
    const steps = resources.filter((r) => r.type === "command:remote:Command");
    const pactus = steps.find((s) => s.name === "pactus-steps-pactus")!;
    expect(isSecretWire(pactus.wire.stdin)).toBe(true);
    const stdin = String(pactus.inputs.stdin);
    expect(stdin).toContain(`WALLET_PASSWORD=${Buffer.from(PASSWORD).toString("base64")}`);
    expect(stdin).toContain(`MNEMONIC=${Buffer.from(MNEMONIC).toString("base64")}`);
    for (const s of steps) {
      expect(isSecretWire(s.wire.connection)).toBe(true);
      // Other steps' stdin (script and rendered inputs) stays readable in previews.
      if (s !== pactus) expect(isSecretWire(s.wire.stdin)).toBe(false);
      const plain = JSON.stringify({
        ...s.wire,
        stdin: s === pactus ? undefined : s.wire.stdin,
        connection: undefined,
      });
      for (const secret of [
        PASSWORD,
        "abandon ability",
        Buffer.from(PASSWORD).toString("base64"),
        "b3BlbnNzaC1rZXktdjEAAAAA",
      ]) {
        expect(plain).not.toContain(secret);
      }
    }
  });

  test("root user: no sudo; every step but wait-for-dns/verify/wait-for-ssh has an undo", () => {
    const steps = resources.filter((r) => r.type === "command:remote:Command");
    for (const s of steps)
      expect(String(s.inputs.create)).toMatch(/^env PSN_STEP_HASH=[0-9a-f]{64} /);
    const withDelete = steps
      .filter((s) => s.inputs.delete)
      .map((s) => s.name.replace("pactus-steps-", ""));
    expect(withDelete).toEqual([
      "base",
      "pactus",
      "nginx-bootstrap",
      "certificate",
      "nginx-tls",
      "health",
    ]);
  });

  test("host.os on an existing host picks the default user (no AMI lookup, no instance)", async () => {
    const { resources: rs, invokes } = await run({
      ...existing,
      host: { provider: "existing", address: "203.0.113.10", os: "ubuntu-24.04", privateKey: KEY },
    });
    expect(invokes.filter((i) => i.token === "aws:ec2/getAmi:getAmi")).toEqual([]);
    expect(rs.filter((r) => /^(aws|cloudflare|tls):/.test(r.type))).toEqual([]);
    const steps = rs.filter((r) => r.type === "command:remote:Command");
    for (const s of steps) {
      expect(s.inputs.connection).toMatchObject({ host: "203.0.113.10", user: "ubuntu" });
      expect(String(s.inputs.create)).toMatch(/^sudo -n true .*; exit 1; }; sudo -n env /);
    }
  });

  test("the first step keeps dialling a host that is not up yet", () => {
    const steps = resources.filter((r) => r.type === "command:remote:Command");
    expect(steps[0].inputs.connection).toMatchObject({ dialErrorLimit: -1 });
    expect(steps[1].inputs.connection).toMatchObject({ dialErrorLimit: 10 });
  });
});

describe("basic auth (apis.basicAuth + apis.basicAuthPassword)", () => {
  // `htpasswd -inB -C 5 alice` of AUTH_PASSWORD.
  const AUTH_PASSWORD = "open sesame: 7 words";
  const AUTH_LINE = "alice:$2y$05$EUV12dlTmMkK.FODhQMDguO5V6mZNKIuOYChRj132JIuwfDDqXAp6";
  const withAuth = {
    ...existing,
    apis: {
      grpcWeb: true,
      jsonrpc: true,
      http: true,
      basicAuth: AUTH_LINE,
      basicAuthPassword: AUTH_PASSWORD,
    },
  };
  const b64 = (v: string) => Buffer.from(v).toString("base64");
  const SECRET_TEXTS = [
    AUTH_LINE,
    AUTH_LINE.slice(6),
    AUTH_PASSWORD,
    b64(AUTH_LINE),
    b64(AUTH_PASSWORD),
    b64(`alice:${AUTH_PASSWORD}`),
  ];
  let resources: Registered[];
  let outputs: Record<string, unknown>;
  let without: Registered[];
  beforeAll(async () => {
    ({ resources, outputs } = await run(withAuth, ["pactus", "host", "apis"]));
    ({ resources: without } = await run(existing));
  });
  const steps = (rs: Registered[]) =>
    Object.fromEntries(
      rs
        .filter((r) => r.type === "command:remote:Command")
        .map((r) => [r.name.replace("pactus-steps-", ""), r]),
    );

  test("the line travels only in the pactus step's stdin, the credentials only in health's and verify's; those stdins are secret", () => {
    const s = steps(resources);
    expect(isSecretWire(s.pactus.wire.stdin)).toBe(true);
    expect(String(s.pactus.inputs.stdin)).toContain(`BASIC_AUTH=${b64(AUTH_LINE)}\n`);
    expect(String(s.pactus.inputs.stdin)).toContain(`WALLET_PASSWORD=${b64(PASSWORD)}\n`);
    expect(isSecretWire(s.verify.wire.stdin)).toBe(true);
    expect(String(s.verify.inputs.stdin)).toContain(
      `API_USER=${b64("alice")}\nAPI_PASSWORD=${b64(AUTH_PASSWORD)}\n`,
    );
    expect(String(s.verify.inputs.stdin)).not.toContain("BASIC_AUTH=");
    // The health refresher calls the node with the same credentials, from a 0600 file.
    expect(isSecretWire(s.health.wire.stdin)).toBe(true);
    expect(String(s.health.inputs.stdin)).toContain(
      `API_USER=${b64("alice")}\nAPI_PASSWORD=${b64(AUTH_PASSWORD)}\n`,
    );
    expect(String(s.health.inputs.stdin)).not.toContain("BASIC_AUTH=");
    for (const [name, r] of Object.entries(s)) {
      const secretStdin = name === "pactus" || name === "health" || name === "verify";
      expect(isSecretWire(r.wire.stdin)).toBe(secretStdin);
      // Everything non-secret: command lines, delete commands, the other steps' stdin.
      const plain = JSON.stringify({
        ...r.wire,
        stdin: secretStdin ? undefined : r.wire.stdin,
        connection: undefined,
      });
      for (const t of SECRET_TEXTS) expect(plain).not.toContain(t);
    }
    expect(JSON.stringify(outputs)).not.toMatch(/alice|EUV12dl|open sesame/);
  });

  test("without basic auth, verify's stdin stays readable (previews show its inputs)", () => {
    expect(isSecretWire(steps(without).verify.wire.stdin)).toBe(false);
  });

  test("the pactus, nginx-tls (no cache with basic auth), health and verify command lines change with it (so `up` re-runs them), no other step's does", () => {
    const a = steps(without);
    const b = steps(resources);
    const differs = Object.keys(a).filter((k) => a[k].inputs.create !== b[k].inputs.create);
    expect(differs).toEqual(["pactus", "nginx-tls", "health", "verify"]);
    expect(String(b.pactus.inputs.create)).toMatch(
      /^env PSN_STEP_HASH=[0-9a-f]{64} bash -s psn-pactus$/,
    );
  });

  test("stored in plaintext (set without --secret): refused before any resource exists", async () => {
    let error: unknown;
    let created: Registered[] = [];
    try {
      ({ resources: created } = await run(withAuth, ["pactus", "host"]));
    } catch (e) {
      error = e;
    }
    expect(String(error)).toMatch(
      /apis\.basicAuth: is stored in plaintext; set it with `pulumi config set --path --secret apis\.basicAuth/,
    );
    expect(String(error)).toMatch(/apis\.basicAuthPassword: is stored in plaintext/);
    expect(String(error)).not.toContain(AUTH_PASSWORD);
    expect(created).toEqual([]);
  });
});

describe("monitoring (monitoring.enabled, basicAuth, allowCidrs)", () => {
  const b64 = (v: string) => Buffer.from(v).toString("base64");
  const withMonitoring = {
    ...existing,
    monitoring: {
      enabled: true,
      allowCidrs: ["203.0.113.0/24"],
      basicAuth: METRICS_LINE,
      basicAuthPassword: METRICS_PASSWORD,
    },
  };
  const cidrsOnly = { ...existing, monitoring: { enabled: true, allowCidrs: ["203.0.113.0/24"] } };
  let resources: Registered[];
  let outputs: Record<string, unknown>;
  let without: Registered[];
  let plainCidrs: Registered[];
  beforeAll(async () => {
    ({ resources, outputs } = await run(withMonitoring, ["pactus", "host", "monitoring"]));
    ({ resources: without } = await run(existing));
    ({ resources: plainCidrs } = await run(cidrsOnly));
  });
  const steps = (rs: Registered[]) =>
    Object.fromEntries(
      rs
        .filter((r) => r.type === "command:remote:Command")
        .map((r) => [r.name.replace("pactus-steps-", ""), r]),
    );

  test("a monitoring step after pactus, before nginx-bootstrap, with an undo; none when off", () => {
    const names = Object.keys(steps(resources));
    expect(names.indexOf("monitoring")).toBe(names.indexOf("pactus") + 1);
    expect(names[names.indexOf("monitoring") + 1]).toBe("nginx-bootstrap");
    expect(String(steps(resources).monitoring.inputs.delete)).toContain("psn-monitoring-delete");
    expect(Object.keys(steps(without))).not.toContain("monitoring");
  });

  test("the htpasswd line travels only in the monitoring step's stdin, which is secret; the password nowhere", () => {
    const s = steps(resources);
    expect(isSecretWire(s.monitoring.wire.stdin)).toBe(true);
    expect(String(s.monitoring.inputs.stdin)).toContain(`METRICS_HTPASSWD=${b64(METRICS_LINE)}\n`);
    for (const [name, r] of Object.entries(s)) {
      const secretStdin = name === "pactus" || name === "monitoring";
      expect({ name, secret: isSecretWire(r.wire.stdin) }).toEqual({ name, secret: secretStdin });
      const plain = JSON.stringify({
        ...r.wire,
        stdin: secretStdin ? undefined : r.wire.stdin,
        connection: undefined,
      });
      for (const t of [METRICS_LINE, METRICS_LINE.split(":")[1], b64(METRICS_LINE)])
        expect(plain).not.toContain(t);
    }
    const all = JSON.stringify(resources.map((r) => r.inputs));
    expect(all).not.toContain(METRICS_PASSWORD);
    expect(all).not.toContain(b64(METRICS_PASSWORD));
    expect(JSON.stringify(outputs)).not.toContain(METRICS_LINE.split(":")[1]);
  });

  test("CIDRs only: the monitoring step's stdin stays readable (nothing secret in it)", () => {
    expect(isSecretWire(steps(plainCidrs).monitoring.wire.stdin)).toBe(false);
  });

  test("turning it on changes pactus (HTML server), nginx-tls (/metrics/) and verify, and adds monitoring", () => {
    const a = steps(without);
    const b = steps(resources);
    const differs = Object.keys(b).filter((k) => a[k]?.inputs.create !== b[k].inputs.create);
    expect(differs).toEqual(["pactus", "monitoring", "nginx-tls", "verify"]);
  });

  test("stored in plaintext (set without --secret): refused before any resource exists", async () => {
    let error: unknown;
    let created: Registered[] = [];
    try {
      ({ resources: created } = await run(withMonitoring, ["pactus", "host"]));
    } catch (e) {
      error = e;
    }
    expect(String(error)).toMatch(/monitoring\.basicAuth: is stored in plaintext/);
    expect(String(error)).toMatch(/monitoring\.basicAuthPassword: is stored in plaintext/);
    expect(String(error)).not.toContain(METRICS_PASSWORD);
    expect(created).toEqual([]);
  });
});

describe("bad config creates nothing", () => {
  test("the program throws before the first resource is registered", async () => {
    let error: unknown;
    let resources: Registered[] = [];
    try {
      ({ resources } = await run({ ...existing, domain: "https://node.example.org" }));
    } catch (e) {
      error = e;
    }
    expect(String(error)).toMatch(/domain: "https:\/\/node\.example\.org" has a scheme/);
    expect(resources).toEqual([]);
  });

  // The offline render takes placeholders for these (tools/render.ts); pulumi up never does.
  test.each<[string, Record<string, unknown>, string[], RegExp]>([
    [
      "pactus.walletPassword",
      { ...existing, pactus: { network: "mainnet", mnemonic: MNEMONIC } },
      ["pactus", "host"],
      /pactus\.walletPassword: missing; the wallet is encrypted with it: `pulumi config set --path --secret pactus\.walletPassword/,
    ],
    [
      "pactus.mnemonic, for pactus.network mainnet (the wallet's backup)",
      { ...existing, pactus: { network: "mainnet", walletPassword: PASSWORD } },
      ["pactus", "host"],
      /pactus\.mnemonic: missing for pactus\.network mainnet; the wallet \(validator keys\) would have no backup: make and store one with `npm run wallet:new -- --stack <stack>`, or set `pulumi config set --path pactus\.allowNoBackup true`/,
    ],
    [
      "host.privateKey, for host.provider existing",
      { ...existing, host: { provider: "existing", address: "203.0.113.10", user: "root" } },
      ["pactus"],
      /host\.privateKey: missing for host\.provider existing; set it with `pulumi config set --path --secret host\.privateKey/,
    ],
    [
      "apis.basicAuthPassword, while apis.basicAuth is set",
      {
        ...existing,
        apis: { basicAuth: "alice:$2y$05$EUV12dlTmMkK.FODhQMDguO5V6mZNKIuOYChRj132JIuwfDDqXAp6" },
      },
      ["pactus", "host", "apis"],
      /apis\.basicAuthPassword: missing while apis\.basicAuth is set; the verify step and the health refresher authenticate with it/,
    ],
    [
      "cloudflare:apiToken, for dns.provider cloudflare",
      aws,
      ["pactus"],
      /cloudflare:apiToken: missing for dns\.provider cloudflare; `pulumi config set --secret cloudflare:apiToken/,
    ],
  ])(
    "a required secret that is not set (%s) is refused before the first resource",
    async (_what, config, secretGroups, message) => {
      const token = process.env.CLOUDFLARE_API_TOKEN;
      delete process.env.CLOUDFLARE_API_TOKEN;
      let error: unknown;
      let resources: Registered[] = [];
      try {
        ({ resources } = await run(config, secretGroups));
      } catch (e) {
        error = e;
      } finally {
        if (token !== undefined) process.env.CLOUDFLARE_API_TOKEN = token;
      }
      expect(String(error)).toMatch(/Invalid stack configuration \(1 problem\)/);
      expect(String(error)).toMatch(message);
      expect(resources).toEqual([]);
    },
  );
});

void pulumi;

/** The URNs of the single-node program before the fleet (commit 00b7622), without their prefix. */
const BEFORE_FLEET: Record<"aws" | "existing", string[]> = {
  aws: [
    "pactus:node:SecureNode::pactus",
    "pactus:node:SecureNode$pactus:host:Host::pactus-host",
    "pactus:node:SecureNode$pactus:dns:Record::pactus-dns",
    "pactus:host:Host$tls:index/privateKey:PrivateKey::pactus-host-ssh-key",
    "pactus:host:Host$aws:iam/role:Role::pactus-host-dlm",
    "pactus:host:Host$aws:ec2/keyPair:KeyPair::pactus-host-key",
    "pactus:host:Host$aws:ebs/volume:Volume::pactus-host-data",
    "pactus:host:Host$aws:iam/rolePolicyAttachment:RolePolicyAttachment::pactus-host-dlm-policy",
    "pactus:host:Host$aws:ec2/securityGroup:SecurityGroup::pactus-host-sg",
    "pactus:host:Host$aws:dlm/lifecyclePolicy:LifecyclePolicy::pactus-host-snapshots",
    "pactus:host:Host$aws:ec2/instance:Instance::pactus-host-vm",
    "pactus:host:Host$aws:ec2/eip:Eip::pactus-host-ip",
    "pactus:host:Host$aws:ec2/volumeAttachment:VolumeAttachment::pactus-host-data-attach",
    "pactus:dns:Record$cloudflare:index/dnsRecord:DnsRecord::pactus-dns-a",
    "pactus:node:SecureNode$pactus:node:Steps::pactus-steps",
    ...AWS_STEP_ORDER.map((s) => `pactus:node:Steps$command:remote:Command::pactus-steps-${s}`),
  ],
  existing: [
    "pactus:node:SecureNode::pactus",
    "pactus:node:SecureNode$pactus:host:Host::pactus-host",
    "pactus:node:SecureNode$pactus:node:Steps::pactus-steps",
    ...STEP_ORDER.map((s) => `pactus:node:Steps$command:remote:Command::pactus-steps-${s}`),
  ],
};
const urn = (tail: string) => `urn:pulumi:test::pactus-secure-node::${tail}`;

describe("a stack of one keeps its resources", () => {
  beforeAll(() => (process.env.CLOUDFLARE_API_TOKEN = "test-token-not-real"));
  afterAll(() => delete process.env.CLOUDFLARE_API_TOKEN);
  test.each([
    ["aws", aws],
    ["existing", existing],
  ] as const)(
    "%s: every URN of the single-node program is registered again or aliased; only the Fleet is new",
    async (which, config) => {
      const { resources } = await run(config, undefined, { aliasUrns: true });
      const before = new Set(BEFORE_FLEET[which].map(urn));
      const known = new Set(resources.flatMap((r) => [r.urn, ...r.aliasUrns]));
      for (const u of before) expect(known).toContain(u);
      const isNew = (r: Registered) =>
        !before.has(r.urn) && !r.aliasUrns.some((a) => before.has(a));
      expect(resources.filter(isNew).map((r) => r.urn)).toEqual([
        urn("pactus:fleet:Fleet::pactus"),
      ]);
      // Only node 0's component moved (a URN names its parent's type only): it is aliased to its
      // place at the root, and what its children would inherit from that alias is their own URN.
      const node = resources.find((r) => r.type === "pactus:node:SecureNode")!;
      expect(node.urn).toBe(urn("pactus:fleet:Fleet$pactus:node:SecureNode::pactus"));
      expect(node.aliasUrns).toEqual([urn("pactus:node:SecureNode::pactus")]);
      const host = resources.find((r) => r.type === "pactus:host:Host")!;
      expect(host.urn).toBe(urn("pactus:node:SecureNode$pactus:host:Host::pactus-host"));
      expect(host.aliasUrns).toContain(host.urn);
    },
  );
});

const R53_ZONE = "Z0123456789ABCDEFGHIJ";
const route53Fleet = (nodes: number) => ({
  ...aws,
  dns: { provider: "route53", zoneId: R53_ZONE },
  fleet: { publicName: "rpc.example.org", nodes },
});
const NAMES = ["node.example.org", "node-2.example.org", "node-3.example.org"];
/** Nodes register side by side: compare in a fixed order (by a field, then as JSON). */
const sortBy = <T>(xs: T[], key: (x: T) => unknown = (x) => x) =>
  [...xs].sort((a, b) => JSON.stringify(key(a)).localeCompare(JSON.stringify(key(b))));
const IPS = ["198.51.100.20", "198.51.100.21", "198.51.100.22"];

describe("route53 fleet of 3 behind rpc.example.org", () => {
  let resources: Registered[];
  let outputs: Record<string, unknown>;
  let invokes: Invoked[];
  beforeAll(async () => ({ resources, outputs, invokes } = await run(route53Fleet(3))));
  const of = (type: string) => resources.filter((r) => r.type === type);

  test("each node's own A record, then one multivalue record per node with its health check", () => {
    const records = of("aws:route53/record:Record");
    const own = records.filter((r) => r.inputs.name !== "rpc.example.org");
    expect(
      sortBy(
        own.map((r) => [r.inputs.name, r.inputs.records, r.inputs.zoneId]),
        (x) => x[1],
      ),
    ).toEqual(NAMES.map((n, i) => [n, [IPS[i]], R53_ZONE]));
    const shared = sortBy(
      records.filter((r) => r.inputs.name === "rpc.example.org"),
      (r) => r.inputs.records,
    );
    expect(shared).toHaveLength(3);
    const checks = sortBy(of("aws:route53/healthCheck:HealthCheck"), (c) => c.inputs.ipAddress);
    shared.forEach((r, i) => {
      expect(r.inputs).toEqual({
        zoneId: R53_ZONE,
        name: "rpc.example.org",
        type: "A",
        ttl: 60,
        records: [IPS[i]],
        setIdentifier: NAMES[i],
        multivalueAnswerRoutingPolicy: true,
        healthCheckId: `${checks[i].name}-id`,
      });
    });
    expect(checks.map((c) => c.inputs)).toEqual(
      IPS.map((ip, i) => ({
        type: "HTTPS_STR_MATCH",
        fqdn: "rpc.example.org",
        ipAddress: ip,
        port: 443,
        enableSni: true,
        resourcePath: "/healthz",
        searchString: '"healthy":true',
        requestInterval: 30,
        failureThreshold: 3,
        tags: { Name: `rpc.example.org ${NAMES[i]}` },
      })),
    );
  });

  test("security groups admit the health checkers through AWS's prefix list, nothing wider", () => {
    expect(
      invokes.filter((i) => i.token.endsWith("getManagedPrefixList")).map((i) => i.inputs),
    ).toEqual(
      [0, 1, 2].map(() => ({
        region: "eu-central-1",
        name: "com.amazonaws.eu-central-1.route53-healthchecks",
      })),
    );
    for (const sg of of("aws:ec2/securityGroup:SecurityGroup")) {
      const rules = sg.inputs.ingress as Record<string, unknown>[];
      const pl = rules.filter((r) => r.prefixListIds);
      expect(pl).toEqual([
        {
          description: "HTTPS from Route53 health checkers (the shared name)",
          protocol: "tcp",
          fromPort: 443,
          toPort: 443,
          prefixListIds: ["pl-0123route53hc"],
        },
      ]);
    }
  });

  test("DNS-01 through route53: each VM's instance role may change only _acme-challenge TXT of the zone", () => {
    const roles = of("aws:iam/role:Role").filter((r) => r.name.endsWith("-dns01"));
    expect(sortBy(roles.map((r) => r.name))).toEqual([
      "pactus-2-host-dns01",
      "pactus-3-host-dns01",
      "pactus-host-dns01",
    ]);
    expect(JSON.parse(String(roles[0].inputs.assumeRolePolicy))).toMatchObject({
      Statement: [{ Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    const policy = of("aws:iam/rolePolicy:RolePolicy")[0];
    expect(JSON.parse(String(policy.inputs.policy))).toEqual({
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
          Resource: `arn:aws:route53:::hostedzone/${R53_ZONE}`,
          Condition: {
            "ForAllValues:StringLike": {
              "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["_acme-challenge.*"],
            },
            "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"] },
          },
        },
      ],
    });
    const vms = of("aws:ec2/instance:Instance");
    expect(sortBy(vms.map((v) => v.inputs.iamInstanceProfile))).toEqual([
      "pactus-2-host-dns01",
      "pactus-3-host-dns01",
      "pactus-host-dns01",
    ]);
  });

  test("the nodes issue one after the other: node i's certificate step waits for node i-1's", () => {
    const cert = (node: string) => resources.find((r) => r.name === `${node}-steps-certificate`)!;
    expect(cert("pactus").dependencies).not.toContain(cert("pactus-2").urn);
    expect(cert("pactus-2").dependencies).toContain(cert("pactus").urn);
    expect(cert("pactus-3").dependencies).toContain(cert("pactus-2").urn);
  });

  test("outputs: node 0 as before, every node, the shared name's URLs", () => {
    expect(outputs.fqdn).toBe("node.example.org");
    expect(outputs.ip).toBe(IPS[0]);
    expect(
      (outputs.nodes as { name: string; address: string }[]).map((n) => [n.name, n.address]),
    ).toEqual(NAMES.map((n, i) => [n, IPS[i]]));
    expect(outputs.publicName).toBe("rpc.example.org");
    expect(outputs.publicUrls).toEqual({
      grpcWeb: "https://rpc.example.org/grpc-web",
      jsonrpc: "https://rpc.example.org/jsonrpc",
      http: "https://rpc.example.org/http/api",
    });
  });

  test("a removed node leaves the engine's answers; the others keep their URNs", async () => {
    const two = (await run(route53Fleet(2))).resources;
    const shared = two.filter(
      (r) => r.type === "aws:route53/record:Record" && r.inputs.name === "rpc.example.org",
    );
    expect(sortBy(shared.map((r) => r.inputs.setIdentifier))).toEqual(sortBy(NAMES.slice(0, 2)));
    expect(two.filter((r) => r.type === "aws:route53/healthCheck:HealthCheck")).toHaveLength(2);
    expect(two.some((r) => r.name.startsWith("pactus-3"))).toBe(false);
    const three = new Set(resources.map((r) => r.urn));
    for (const r of two) expect(three).toContain(r.urn);
  });
});

describe("cloudflare fleets", () => {
  const CF_ACCOUNT = "abcdef0123456789abcdef0123456789";
  const cfFleet = (dns: Record<string, unknown> = {}) => ({
    ...aws,
    acme: { email: "ops@example.org", cloudflareToken: "0123456789abcdefghijABCDEFGHIJ_-012345ab" },
    dns: { ...aws.dns, ...dns },
    fleet: { publicName: "rpc.example.org", nodes: 2 },
  });
  beforeAll(() => (process.env.CLOUDFLARE_API_TOKEN = "test-token-not-real"));
  afterAll(() => delete process.env.CLOUDFLARE_API_TOKEN);

  test("plain: each node's A record and one DNS-only A record per node for the shared name", async () => {
    const { resources } = await run(cfFleet(), ["pactus", "host", "acme"]);
    const recs = resources.filter((r) => r.type === "cloudflare:index/dnsRecord:DnsRecord");
    expect(sortBy(recs.map((r) => [r.inputs.name, r.inputs.content, r.inputs.proxied]))).toEqual(
      sortBy([
        ["node.example.org", IPS[0], false],
        ["node-2.example.org", IPS[1], false],
        ["rpc.example.org", IPS[0], false],
        ["rpc.example.org", IPS[1], false],
      ]),
    );
    expect(resources.some((r) => r.type.includes("loadBalancer"))).toBe(false);
    // No Route53 checkers to admit, no instance role (the hosts hold their own token).
    expect(resources.some((r) => r.name.endsWith("-dns01"))).toBe(false);
    for (const sg of resources.filter((r) => r.type === "aws:ec2/securityGroup:SecurityGroup"))
      expect((sg.inputs.ingress as Record<string, unknown>[]).some((r) => r.prefixListIds)).toBe(
        false,
      );
  });

  test("load balancer: a monitor on /healthz, a pool of the nodes, a DNS-only balancer", async () => {
    const { resources } = await run(cfFleet({ loadBalancer: true, accountId: CF_ACCOUNT }), [
      "pactus",
      "host",
      "acme",
    ]);
    const one = (type: string) => {
      const found = resources.filter((r) => r.type === type);
      expect(found).toHaveLength(1);
      return found[0];
    };
    const monitor = one("cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor");
    expect(monitor.inputs).toMatchObject({
      accountId: CF_ACCOUNT,
      type: "https",
      method: "GET",
      path: "/healthz",
      port: 443,
      expectedCodes: "200",
      expectedBody: '"healthy":true',
      header: { Host: ["rpc.example.org"] },
      followRedirects: false,
      allowInsecure: false,
    });
    const pool = one("cloudflare:index/loadBalancerPool:LoadBalancerPool");
    expect(pool.inputs).toMatchObject({
      accountId: CF_ACCOUNT,
      monitor: `${monitor.name}-id`,
      origins: [
        { name: NAMES[0], address: IPS[0], enabled: true, header: { hosts: ["rpc.example.org"] } },
        { name: NAMES[1], address: IPS[1], enabled: true, header: { hosts: ["rpc.example.org"] } },
      ],
    });
    const lb = one("cloudflare:index/loadBalancer:LoadBalancer");
    expect(lb.inputs).toMatchObject({
      zoneId: "0123456789abcdef0123456789abcdef",
      name: "rpc.example.org",
      defaultPools: [`${pool.name}-id`],
      fallbackPool: `${pool.name}-id`,
      proxied: false,
    });
    // The shared name is the balancer's only: no plain records for it.
    const recs = resources.filter((r) => r.type === "cloudflare:index/dnsRecord:DnsRecord");
    expect(sortBy(recs.map((r) => r.inputs.name))).toEqual(sortBy(NAMES.slice(0, 2)));
  });
});
