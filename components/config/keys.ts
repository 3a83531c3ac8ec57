/** The keys of each config group: the one list validation, loading and tests read. */
import { DEFAULT_HOST_OS, HOST_OS_NAMES } from "./types";

export const SECRET_KEYS = [
  "host.privateKey",
  "pactus.walletPassword",
  "pactus.mnemonic",
  "apis.basicAuth",
  "apis.basicAuthPassword",
  "monitoring.basicAuth",
  "monitoring.basicAuthPassword",
  "acme.cloudflareToken",
  "acme.rfc2136Secret",
] as const;

/** Every key of each config group (secrets included): the one list validation, loading and tests read. */
export const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  acme: ["email", "server", "caBundle", "challenge", "dns01", "cloudflareToken", "rfc2136Secret"],
  /** A sub-group: `acme.dns01.<field>` (SUBGROUPS). */
  "acme.dns01": ["plugin", "propagationSeconds", "zoneId", "server", "keyName", "algorithm"],
  host: [
    "provider",
    "region",
    "instanceType",
    "diskGb",
    "dataDiskGb",
    "availabilityZone",
    "adminCidrs",
    "allowSshFromAnywhere",
    "os",
    "address",
    "port",
    "user",
    "privateKey",
  ],
  dns: ["provider", "zoneId", "ttl", "resolver", "waitSeconds", "loadBalancer", "accountId"],
  pactus: [
    "version",
    "network",
    "releaseBaseUrl",
    "mnemonic",
    "walletPassword",
    "validators",
    "purgeOnDestroy",
    "healthTimeoutSeconds",
    "allowNoBackup",
  ],
  apis: ["grpcWeb", "jsonrpc", "http", "basicAuth", "basicAuthPassword"],
  cors: ["origins", "allowAny"],
  nginx: ["rateLimit", "cache"],
  backup: ["keepDays"],
  health: ["refreshSeconds", "maxBlockAgeSeconds"],
  monitoring: ["enabled", "basicAuth", "basicAuthPassword", "allowCidrs"],
  fleet: ["publicName", "nodes"],
  /** The fields of one entry of the list fleet.nodes: what may differ per node. */
  "fleet.nodes": ["domain", "address", "port", "user", "availabilityZone", "instanceType"],
};

/**
 * Keys that were removed: a stack that still sets one gets this problem (the fix), not "unknown key".
 * Each takes the value it was set to, to name its replacement exactly.
 */
export const RETIRED_KEYS: Readonly<Record<string, (value: unknown) => string>> = {
  "host.ubuntuRelease": (v) => {
    const os = String(v) === "22.04" ? "ubuntu-22.04" : "ubuntu-24.04";
    return (
      `no longer a key: host.os chooses the image now (${HOST_OS_NAMES.join(", ")}; default ` +
      `${DEFAULT_HOST_OS}); for Ubuntu run \`pulumi config rm --path host.ubuntuRelease\` and ` +
      `\`pulumi config set --path host.os ${os}\``
    );
  },
};

/**
 * Entries of KNOWN_KEYS that are not groups of the namespace but objects inside one (acme.dns01) or
 * the entries of a list (fleet.nodes); their keys are `<sub-group>.<field>`.
 */
export const SUBGROUPS = Object.keys(KNOWN_KEYS).filter((g) => g.includes("."));

/** The config groups (objects) of the project namespace, besides `domain`. */
export const GROUPS = Object.keys(KNOWN_KEYS).filter((g) => !g.includes("."));
