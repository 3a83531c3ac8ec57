import { isIP } from "node:net";
import { Problems, bool, cidrProblem, domainProblem, group, int, list, oneOf, str } from "./fields";
import {
  Arch,
  DEFAULT_HOST_OS,
  HOST_OS,
  HOST_OS_NAMES,
  type RawSecret,
  type StackConfig,
} from "./types";

/**
 * The CPU architecture of an EC2 instance type, from its family (the part before the "."): Graviton
 * families carry a "g" right after their generation number (t4g, m7g, r8g, m6gd, c7gn, im4gn, is4gen,
 * hpc7g), and a1 is the first Graviton; every other family is x86_64. Undefined when the type has no
 * family generation to read (a typo, or a Mac type such as mac-m4.metal).
 */
export function instanceArch(instanceType: string): Arch | undefined {
  const m = /^(u-|[a-z]+)(\d+)([a-z0-9-]*)\.[a-z0-9]+$/.exec(instanceType);
  if (!m) return undefined;
  if (m[1] === "a" && m[2] === "1") return "arm64";
  return m[3].startsWith("g") ? "arm64" : "x86_64";
}

/** A login name as useradd takes it, and inert in a shell word. */
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * Whether `zone` is an availability zone of `region`: the region and a letter (eu-central-1a), or a
 * Local Zone of it (us-west-2-lax-1a).
 */
export function availabilityZoneOf(zone: string, region: string): boolean {
  if (!zone.startsWith(region)) return false;
  return /^([a-z]|-[a-z]+-\d[a-z])$/.test(zone.slice(region.length));
}

/** host: a new AWS VM or an existing SSH host, and the SSH key (secret) to reach it. */
export function parseHost(
  raw: unknown,
  secrets: Record<string, RawSecret>,
  p: Problems,
): StackConfig["host"] | undefined {
  const h = group(raw, "host", p);
  const provider =
    oneOf(
      str(h, "provider", "host.provider", p),
      ["aws", "existing"] as const,
      undefined,
      "host.provider",
      p,
    ) ?? (h.provider === undefined ? "aws" : undefined);
  // An unknown provider is one problem; its fields are not judged against a guess.
  if (provider === undefined) return undefined;
  const hasKey = secrets["host.privateKey"] !== undefined;
  if (secrets["host.privateKey"] !== undefined && typeof secrets["host.privateKey"] === "string") {
    const k = secrets["host.privateKey"];
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(k)) {
      p.add(
        "host.privateKey",
        "is not a PEM/OpenSSH private key; set it with `pulumi config set --path --secret host.privateKey < ~/.ssh/id_ed25519`",
      );
    }
  }
  if (provider === "existing") {
    const address = str(h, "address", "host.address", p);
    if (!address)
      p.add("host.address", "missing for host.provider existing; set the host's IP or DNS name");
    else if (isIP(address) === 0 && domainProblem(address) !== undefined) {
      p.add("host.address", `${JSON.stringify(address)} is neither an IP address nor a DNS name`);
    }
    // host.os only names the system here, for the default user of its cloud image; nothing checks the host.
    const os = oneOf(str(h, "os", "host.os", p), HOST_OS_NAMES, undefined, "host.os", p);
    const user = str(h, "user", "host.user", p) ?? (os ? HOST_OS[os].user : "root");
    if (!USER_NAME.test(user))
      p.add("host.user", `${JSON.stringify(user)} is not a valid user name`);
    if (!hasKey) {
      p.missingSecret({
        key: "host.privateKey",
        when: "for host.provider existing",
        fix: "set it with `pulumi config set --path --secret host.privateKey < ~/.ssh/id_ed25519`",
      });
    }
    return {
      provider,
      address: address ?? "",
      port: int(h, "port", "host.port", 22, 1, 65535, p),
      user,
      hasPrivateKey: true,
    };
  }
  if (provider !== "aws") return undefined;
  const region = str(h, "region", "host.region", p);
  if (!region) p.add("host.region", "missing for host.provider aws; set e.g. eu-central-1");
  else if (!/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(region))
    p.add("host.region", `${JSON.stringify(region)} is not an AWS region name, e.g. eu-central-1`);
  const instanceType = str(h, "instanceType", "host.instanceType", p) ?? "t3.small";
  if (!/^[a-z][a-z0-9-]{0,31}\.[a-z0-9]{1,31}$/.test(instanceType))
    p.add(
      "host.instanceType",
      `${JSON.stringify(instanceType)} is not an instance type, e.g. t3.small`,
    );
  else if (instanceType.startsWith("mac"))
    p.add(
      "host.instanceType",
      `${JSON.stringify(instanceType)} is a Mac instance, which boots only macOS; host.os needs a Linux type, e.g. t3.small (x86_64) or t4g.small (arm64)`,
    );
  else if (instanceArch(instanceType) === undefined)
    p.add(
      "host.instanceType",
      `${JSON.stringify(instanceType)} has no family generation (letters and a number before the ".", e.g. t3, m7g), so its CPU architecture, and with it the AMI, is unknown; use e.g. t3.small (x86_64) or t4g.small (arm64)`,
    );
  const cidrs = list(h, "adminCidrs", "host.adminCidrs", p);
  const allowAny = bool(h, "allowSshFromAnywhere", "host.allowSshFromAnywhere", false, p);
  if (cidrs === undefined || cidrs.length === 0) {
    p.add(
      "host.adminCidrs",
      "empty; SSH (22) is opened only to these, e.g. `pulumi config set --path 'host.adminCidrs[0]' 203.0.113.7/32`",
    );
  } else {
    for (const c of cidrs) {
      const prob = cidrProblem(c);
      if (prob) p.add("host.adminCidrs", prob);
      else if (/\/0$/.test(c) && !allowAny) {
        p.add(
          "host.adminCidrs",
          `${c} opens SSH to the whole internet; list your admin addresses, or set host.allowSshFromAnywhere: true to accept that`,
        );
      }
    }
  }
  const osRaw = str(h, "os", "host.os", p);
  const os = oneOf(osRaw, HOST_OS_NAMES, DEFAULT_HOST_OS, "host.os", p)!;
  // The image has exactly one SSH user: host.user may only repeat it (a wrong host.os is one problem).
  const imageUser = HOST_OS[os].user;
  const user = str(h, "user", "host.user", p);
  if (user !== undefined && user !== imageUser) {
    const fix = `remove host.user (on aws it follows host.os) or set it to ${imageUser}`;
    if (!USER_NAME.test(user))
      p.add("host.user", `${JSON.stringify(user)} is not a valid user name; ${fix}`);
    else if (osRaw === undefined || os === osRaw)
      p.add(
        "host.user",
        user === "root"
          ? `root cannot log in over SSH on the ${os} AMI (cloud images refuse root logins; its user is ${imageUser}, with sudo); ${fix}`
          : `${JSON.stringify(user)} does not exist on the ${os} AMI, whose SSH user is ${imageUser}; ${fix}`,
      );
  }
  const zone = str(h, "availabilityZone", "host.availabilityZone", p);
  if (zone !== undefined && region && !availabilityZoneOf(zone, region))
    p.add(
      "host.availabilityZone",
      `${JSON.stringify(zone)} is not a zone of host.region ${region}; set one of its zones, e.g. ${region}a, or remove the key (default: the region's first zone)`,
    );
  return {
    provider,
    region: region ?? "",
    instanceType,
    diskGb: int(h, "diskGb", "host.diskGb", 30, 20, 16384, p),
    dataDiskGb: int(h, "dataDiskGb", "host.dataDiskGb", 50, 10, 16384, p),
    ...(zone !== undefined ? { availabilityZone: zone } : {}),
    adminCidrs: cidrs ?? [],
    allowSshFromAnywhere: allowAny,
    os,
    user: imageUser,
    hasPrivateKey: hasKey,
  };
}
