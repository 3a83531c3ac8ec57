import { pactusRelease, supportedPactusVersions } from "../pactusReleases";
import { SecretGroupParser, bool, group, int, oneOf, safeUrl, str } from "./fields";
import { parseMnemonic, parseWalletPassword } from "./wallet";

export const DEFAULT_RELEASE_BASE_URL =
  "https://github.com/pactus-project/pactus/releases/download";
export const DEFAULT_PACTUS_VERSION = "1.16.0";
/** pactus.healthTimeoutSeconds: a mainnet node with a large store can take minutes to open it. */
export const DEFAULT_HEALTH_TIMEOUT_SECONDS = 180;

/** pactus: the release, the chain, the wallet and its secrets. */
export const parsePactus: SecretGroupParser<"pactus"> = (raw, secrets, p) => {
  const px = group(raw, "pactus", p);
  const version = str(px, "version", "pactus.version", p) ?? DEFAULT_PACTUS_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(version))
    p.add(
      "pactus.version",
      `${JSON.stringify(version)} must be X.Y.Z without a leading v, e.g. ${DEFAULT_PACTUS_VERSION}`,
    );
  else if (!pactusRelease(version))
    p.add(
      "pactus.version",
      `${version} is not a release this stack knows (its config keys and protocol are unknown): ` +
        `supported are ${supportedPactusVersions()}`,
    );
  const network = oneOf(
    str(px, "network", "pactus.network", p),
    ["mainnet", "testnet", "localnet"] as const,
    "mainnet",
    "pactus.network",
    p,
  )!;
  let releaseBaseUrl = (
    str(px, "releaseBaseUrl", "pactus.releaseBaseUrl", p) ?? DEFAULT_RELEASE_BASE_URL
  ).replace(/\/+$/, "");
  // Plain http is tolerated only for local sandboxes: a public node's binaries must come over TLS.
  if (
    !safeUrl(
      releaseBaseUrl,
      "pactus.releaseBaseUrl",
      network === "localnet" ? ["https", "http"] : ["https"],
      p,
    )
  ) {
    releaseBaseUrl = DEFAULT_RELEASE_BASE_URL;
  }
  const validators = int(
    px,
    "validators",
    "pactus.validators",
    network === "localnet" ? 4 : 1,
    1,
    32,
    p,
  );
  const purgeOnDestroy = bool(px, "purgeOnDestroy", "pactus.purgeOnDestroy", false, p);
  const healthTimeoutSeconds = int(
    px,
    "healthTimeoutSeconds",
    "pactus.healthTimeoutSeconds",
    DEFAULT_HEALTH_TIMEOUT_SECONDS,
    30,
    3600,
    p,
  );
  if (network === "localnet" && validators < 4)
    p.add(
      "pactus.validators",
      `localnet needs at least 4 validators to produce blocks alone, got ${validators}`,
    );
  parseWalletPassword(secrets, p);
  parseMnemonic(secrets, network, bool(px, "allowNoBackup", "pactus.allowNoBackup", false, p), p);
  return {
    version,
    network,
    releaseBaseUrl,
    validators,
    purgeOnDestroy,
    healthTimeoutSeconds,
  };
};
