import { loadConfig } from "./components/config/load";
import { SecureNode } from "./components/secureNode";

// Validates every key before any resource is created; one error lists every problem.
const { config, secrets } = loadConfig();

const node = new SecureNode("pactus", { config, secrets });

export const fqdn = node.fqdn;
export const ip = node.ip;
/** aws: the node's data volume (wallet and chain); destroy keeps it unless pactus.purgeOnDestroy. null elsewhere (undefined would warn on every up). */
export const dataVolumeId = node.dataVolumeId ?? null;
export const urls = node.urls;
export const checks = node.checks;
