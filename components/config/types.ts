/**
 * The shapes of the stack configuration: raw values as they come in, the validated StackConfig that
 * renderers and components read, and the secrets kept apart from it. Types and the lists of allowed
 * values only; the rules are in one file per group beside this one.
 */

export const PROJECT = "pactus-secure-node";

/** Stands for a secret whose value is not known here (offline render reads only the ciphertext). */
export const OPAQUE_SECRET = Symbol("opaque-secret");
export type RawSecret = string | typeof OPAQUE_SECRET | undefined;

export type Network = "mainnet" | "testnet" | "localnet";

/**
 * The systems `host.os` offers, each an AMI its publisher keeps current (components/host.ts looks it
 * up) for x86_64 and arm64, with the one user its image lets in over SSH.
 */
export const HOST_OS = {
  "debian-13": { user: "admin" },
  "debian-12": { user: "admin" },
  "ubuntu-24.04": { user: "ubuntu" },
  "ubuntu-22.04": { user: "ubuntu" },
} as const;
export type HostOs = keyof typeof HOST_OS;
export const HOST_OS_NAMES = Object.keys(HOST_OS) as HostOs[];
export const DEFAULT_HOST_OS: HostOs = "debian-13";

/** A CPU architecture as EC2 names it (the AMI `architecture` attribute). */
export type Arch = "x86_64" | "arm64";

export interface AwsHostConfig {
  provider: "aws";
  region: string;
  instanceType: string;
  diskGb: number;
  /** Size of the node's own EBS volume (its home and working dir), GiB. */
  dataDiskGb: number;
  /**
   * The zone of the VM and its data volume; unset: the region's first zone (components/host.ts). The
   * volume is made once in it and the VM pinned to it, so a replaced VM gets the same volume back.
   */
  availabilityZone?: string;
  adminCidrs: string[];
  allowSshFromAnywhere: boolean;
  /** The image (host.os); its CPU architecture follows instanceType (instanceArch). */
  os: HostOs;
  /** SSH user of the image (HOST_OS). */
  user: string;
  /** A configured key (secret) instead of a generated one. */
  hasPrivateKey: boolean;
}
export interface ExistingHostConfig {
  provider: "existing";
  address: string;
  port: number;
  user: string;
  hasPrivateKey: true;
}

/** How a host proves a name to the ACME server. */
export type AcmeChallenge = "http-01" | "dns-01";
/**
 * DNS-01 through certbot's plugin for the zone's DNS (acme.dns01). cloudflare: a zone-scoped API token
 * on the host (the secret acme.cloudflareToken, StackSecrets.acmeCloudflareToken); route53: the AWS
 * instance role, limited to `_acme-challenge` TXT records of the zone; rfc2136: a TSIG key whose
 * server grants it only `_acme-challenge` TXT names (secret acme.rfc2136Secret).
 */
export type Dns01Config =
  | {
      plugin: "cloudflare";
      /** How long certbot waits after the TXT record before asking the CA (its default: 10). */
      propagationSeconds: number;
    }
  | { plugin: "route53"; zoneId: string }
  | {
      plugin: "rfc2136";
      /** How long certbot waits after the TXT update before asking the CA (its default: 60). */
      propagationSeconds: number;
      /** The authoritative server's IP address (certbot's plugin takes no hostname) and port. */
      server: string;
      port: number;
      /** TSIG key name, with its trailing dot (e.g. `acme-key.`). */
      keyName: string;
      /** Upper case (certbot 2.1.0 silently falls back to HMAC-MD5 on a lower-case name). */
      algorithm: "HMAC-SHA256" | "HMAC-SHA384" | "HMAC-SHA512";
    };

/** One node of the fleet: its own name (P2P, SSH, per-node checks) and its own host. */
export interface FleetNode {
  domain: string;
  host: AwsHostConfig | ExistingHostConfig;
}

/**
 * Several nodes behind one shared name (fleet.nodes, fleet.publicName). A stack without `fleet` has
 * one node, `nodes[0]`, which is `domain` and `host` themselves; node i ≥ 1 is named
 * `<first label of domain>-<i+1>.<rest>` unless its entry names it.
 */
export interface FleetConfig {
  /** The name every healthy node answers for; unset: no shared name (a stack of one, as before). */
  publicName?: string;
  nodes: FleetNode[];
}

export type DnsConfig =
  | {
      provider: "cloudflare";
      zoneId: string;
      ttl: number;
      resolver: string;
      waitSeconds: number;
      /** The shared name through a Cloudflare load balancer (paid add-on) instead of plain A records. */
      loadBalancer: boolean;
      /** Cloudflare account id, required with loadBalancer (monitors and pools are account-level). */
      accountId?: string;
    }
  | {
      provider: "route53";
      /** Route53 hosted zone id (Z…). */
      zoneId: string;
      ttl: number;
      resolver: string;
      waitSeconds: number;
    }
  | { provider: "none"; resolver: string; waitSeconds: number };
export type DnsProvider = DnsConfig["provider"];

export interface StackConfig {
  /** This node's own name (in a fleet, each node's config has its own: fleetNodeConfigs). */
  domain: string;
  acme: {
    email: string;
    server: string;
    staging: boolean;
    caBundle?: string;
    /** http-01 unless fleet.publicName is set (then dns-01: HTTP-01 cannot prove a shared name). */
    challenge: AcmeChallenge;
    /** With challenge dns-01. */
    dns01?: Dns01Config;
  };
  host: AwsHostConfig | ExistingHostConfig;
  dns: DnsConfig;
  fleet: FleetConfig;
  pactus: {
    version: string;
    network: Network;
    releaseBaseUrl: string;
    validators: number;
    purgeOnDestroy: boolean;
    /**
     * How long the pactus step waits for the node to be healthy after a (re)start; after an upgrade
     * that is not, it rolls back to the previous release and waits as long again.
     */
    healthTimeoutSeconds: number;
  };
  /**
   * basicAuth: whether apis.basicAuth is set, i.e. the node demands `Authorization: Basic` on every
   * API (the line itself is a secret, in StackSecrets).
   */
  apis: { grpcWeb: boolean; jsonrpc: boolean; http: boolean; basicAuth: boolean };
  cors: { origins: string[]; allowAny: boolean };
  /** Requests per second per client address on the API locations (burst twice that); 0 = no limit. */
  /** cache: hot HTTP API reads kept by nginx (off with apis.basicAuth: the node must see every call). */
  nginx: { rateLimit: number; cache: boolean };
  /** Daily snapshots of the AWS data volume: how many days (snapshots) are kept. */
  backup: { keepDays: number };
  /**
   * The host's health refresher (/healthz and the node exporter's textfile): how often it asks the
   * node, and the age of the last block above which the node counts as unhealthy.
   */
  health: { refreshSeconds: number; maxBlockAgeSeconds: number };
  /**
   * Metrics for the operator's Prometheus: the node exporter and the daemon's own metrics, both on
   * loopback, served by nginx under /metrics/ only to monitoring.basicAuth (basicAuth: whether it is
   * set; the line is a secret) and/or the source CIDRs. With both, a scrape needs both (satisfy all).
   */
  monitoring: { enabled: boolean; basicAuth: boolean; allowCidrs: string[] };
}

/** Secrets, kept apart from StackConfig so nothing that renders files can reach them. */
export interface StackSecrets {
  walletPassword?: string;
  mnemonic?: string;
  privateKey?: string;
  /** The node's `[grpc] basic_auth` line, `user:<bcrypt hash>` (apis.basicAuth). */
  basicAuth?: string;
  /** The plaintext password of basicAuth, used only by the verify step (apis.basicAuthPassword). */
  basicAuthPassword?: string;
  /** nginx's htpasswd line for /metrics/, `user:<bcrypt hash>` (monitoring.basicAuth). */
  monitoringBasicAuth?: string;
  /** The hosts' Cloudflare API token for DNS-01 (acme.cloudflareToken; Zone.DNS edit of one zone). */
  acmeCloudflareToken?: string;
  /** The TSIG secret (base64) for DNS-01 over RFC 2136 (acme.rfc2136Secret). */
  acmeRfc2136Secret?: string;
}

/** One secret by name: a field of StackSecrets, and of the NodeSecrets bundle (components/config). */
export type SecretName = keyof StackSecrets;

/** Raw values as they come from `pulumi.Config` or from Pulumi.<stack>.yaml. */
export interface RawConfig {
  domain?: unknown;
  acme?: unknown;
  host?: unknown;
  dns?: unknown;
  pactus?: unknown;
  apis?: unknown;
  cors?: unknown;
  nginx?: unknown;
  backup?: unknown;
  health?: unknown;
  monitoring?: unknown;
  fleet?: unknown;
  /** Values of secret keys by path (e.g. "pactus.walletPassword"), or OPAQUE_SECRET. */
  secrets: Record<string, RawSecret>;
  /** Secret keys found stored in plaintext. */
  plaintextSecrets?: string[];
  /** Whether a Cloudflare API token is configured (provider config or environment). */
  cloudflareToken?: boolean;
}

/**
 * A required secret that is not set. `pulumi up` refuses it as the problem
 * `<key>: missing[ <when>]; <fix>`; the offline render notes it and renders a placeholder instead.
 */
export interface MissingSecret {
  key: string;
  /** When the key is required, e.g. "for host.provider existing"; "" when always. */
  when: string;
  /** What needs it and the command that sets it. */
  fix: string;
}

export interface ParseOptions {
  /**
   * "refuse" (`pulumi up`): a missing required secret is a problem like any other. "placeholder"
   * (offline render): it is reported in `missingSecrets` instead, and validation goes on as if it
   * were set to a value not known here (OPAQUE_SECRET), as a `{secure: …}` value is.
   */
  missingSecrets?: "refuse" | "placeholder";
}

export interface ParsedConfig {
  config: StackConfig;
  secrets: StackSecrets;
  /** Required secrets that are not set; only ever non-empty with `missingSecrets: "placeholder"`. */
  missingSecrets: MissingSecret[];
}
