import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./components/config/load";
import { Fleet } from "./components/fleet";

// Validates every key before any resource is created; one error lists every problem.
const { config, secrets } = loadConfig();

const fleet = new Fleet("pactus", { config, secrets });
const [node] = fleet.nodes;

// Node 0's outputs, as a stack of one always had them.
export const fqdn = node.fqdn;
export const ip = node.ip;
/** aws: the node's data volume (wallet and chain); destroy keeps it unless pactus.purgeOnDestroy. null elsewhere (undefined would warn on every up). */
export const dataVolumeId = node.dataVolumeId ?? null;
export const urls = node.urls;
export const checks = node.checks;
/** Every node: its own name, address and ping checks. */
export const nodes = pulumi.output(
  fleet.nodes.map((n) => ({ name: n.fqdn, address: n.ip, checks: n.checks })),
);
/** fleet.publicName and the API URLs under it (null without a shared name). */
export const publicName = fleet.publicName ?? null;
export const publicUrls = fleet.publicUrls ?? null;
