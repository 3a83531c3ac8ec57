/**
 * The Pactus releases this stack knows: which config.toml keys each accepts (the daemon loads the file
 * strictly and rewrites it when a key is unknown) and which block protocol it speaks (a node that runs a
 * newer protocol cannot go back once the network has activated it). Read from upstream's
 * `config/example_config.toml` and `types/protocol/protocol.go` at each tag; `test/live/pactusConfig`
 * checks the key lists against the sources and the rendered file against each real daemon.
 */

/** config.toml sections the stack renders, and their keys. */
export type ConfigSection = "grpc" | "jsonrpc" | "http" | "html" | "zeromq" | "logger" | "network";

export interface PactusRelease {
  /** The newest block protocol version it supports (`ProtocolVersionLatest`). */
  protocol: number;
  /** The keys it accepts in the sections the stack renders. */
  keys: Readonly<Record<ConfigSection, readonly string[]>>;
}

const KEYS_1_15: PactusRelease["keys"] = {
  grpc: ["enable", "enable_wallet", "listen", "basic_auth"],
  jsonrpc: ["enable", "listen", "origins"],
  http: ["enable", "listen", "base_path", "enable_cors"],
  html: ["enable", "listen", "enable_pprof"],
  zeromq: ["zmqpubblockinfo", "zmqpubtxinfo", "zmqpubrawblock", "zmqpubrawtx", "zmqpubhwm"],
  logger: ["colorful", "max_backups", "rotate_log_after_days", "compress", "targets", "levels"],
  // Rendered for localnet only (its P2P port and, on a joining node, node 1 as bootstrap peer).
  network: [
    "network_key",
    "public_addr",
    "listen_addrs",
    "bootstrap_addrs",
    "max_connections",
    "enable_udp",
    "enable_nat_service",
    "enable_upnp",
    "enable_relay",
    "enable_relay_service",
    "enable_mdns",
    "enable_metrics",
    "force_private_network",
  ],
};

/** The releases tested here, by exact version (the toolchain builds both; the sandbox upgrades 1.15.6 → 1.16.0). */
export const PACTUS_RELEASES: Readonly<Record<string, PactusRelease>> = {
  "1.15.6": { protocol: 3, keys: KEYS_1_15 },
  // 1.16.0 moved logging to gopkg/logger: [logger] filename and max_size are new (1.15 hard-coded them).
  // Protocol 4 (PIP-55, block reward halving) activates once 75% of the committee runs it.
  "1.16.0": {
    protocol: 4,
    keys: { ...KEYS_1_15, logger: [...KEYS_1_15.logger, "filename", "max_size"] },
  },
};

const semver = (v: string): number[] => v.split(".").map(Number);
const line = (v: string): string => v.split(".").slice(0, 2).join(".");

/**
 * The release entry a pin uses: its own, or for a later patch release of a known line (1.16.3) the
 * newest known release of that line (Pactus keeps config keys and protocol within a patch line).
 * Undefined when the pin is not supported.
 */
export function pactusRelease(version: string): PactusRelease | undefined {
  if (PACTUS_RELEASES[version]) return PACTUS_RELEASES[version];
  const [, , patch] = semver(version);
  const known = Object.keys(PACTUS_RELEASES)
    .filter((v) => line(v) === line(version) && semver(v)[2] < patch)
    .sort((a, b) => semver(b)[2] - semver(a)[2]);
  return known.length ? PACTUS_RELEASES[known[0]] : undefined;
}

/** How a config error lists what is supported: "1.15.6, 1.16.0 (and later 1.15.x, 1.16.x patches)". */
export function supportedPactusVersions(): string {
  const versions = Object.keys(PACTUS_RELEASES);
  const lines = [...new Set(versions.map(line))].map((l) => `${l}.x`);
  return `${versions.join(", ")} (and their later patch releases: ${lines.join(", ")})`;
}

/**
 * The protocol of each known release line, "1.15=3 1.16=4": the pactus step refuses to go back to a
 * line with an older protocol than the one the host runs (see README, Upgrades).
 */
export function protocolTable(): string {
  const byLine = new Map<string, number>();
  for (const [v, r] of Object.entries(PACTUS_RELEASES)) byLine.set(line(v), r.protocol);
  return [...byLine].map(([l, p]) => `${l}=${p}`).join(" ");
}
