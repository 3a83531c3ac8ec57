/**
 * fleet: how many nodes the stack runs, what differs per node, and the shared name every healthy node
 * answers for. Node 0 is `domain` and `host` themselves (a stack without `fleet` is a fleet of one);
 * node i ≥ 1 gets `<first label of domain>-<i+1>.<rest>` unless its entry names it.
 */
import { Problems, domainProblem, group, str } from "./fields";
import { parseHost } from "./host";
import { KNOWN_KEYS } from "./keys";
import type { DnsConfig, FleetConfig, FleetNode, RawSecret, StackConfig } from "./types";

/** More nodes than this is more than one stack should hold (one `up` touches every node). */
export const MAX_NODES = 20;
/** Route53 answers a multivalue name with at most 8 healthy records: more nodes would never be served. */
export const ROUTE53_MAX_ANSWERS = 8;

/** The fields of a fleet.nodes entry that are host fields, by provider. */
const HOST_FIELDS = {
  existing: ["address", "port", "user"],
  aws: ["availabilityZone", "instanceType"],
} as const;

/** Node i's default name: `<first label>-<i+1>.<rest>` of `domain` (node 0: `domain` itself). */
export function nodeDomain(domain: string, i: number): string {
  if (i === 0) return domain;
  const dot = domain.indexOf(".");
  return `${domain.slice(0, dot)}-${i + 1}${domain.slice(dot)}`;
}

/**
 * Problems of the shared parser (host) for node i: only those about a field the entry sets are
 * node i's (named `fleet.nodes[i].<field>`); the others concern the shared value and node 0 reports them.
 */
class NodeProblems extends Problems {
  forwarded = 0;
  constructor(
    private readonly parent: Problems,
    private readonly at: string,
    private readonly own: readonly string[],
  ) {
    super("placeholder");
  }
  override add(key: string, msg: string) {
    const field = key.replace(/^host\./, "");
    if (key.startsWith("host.") && this.own.includes(field)) {
      this.parent.add(`${this.at}.${field}`, msg);
      this.forwarded++;
    }
  }
}

/** The raw fleet.nodes as a count or a list of entries (undefined: a problem was reported). */
function rawNodes(v: unknown, p: Problems): Record<string, unknown>[] | undefined {
  if (v === undefined || v === null || v === "") return [{}];
  const n =
    typeof v === "number" ? v : typeof v === "string" && /^\d{1,3}$/.test(v) ? Number(v) : NaN;
  if (typeof v === "number" || typeof v === "string") {
    if (!Number.isInteger(n) || n < 1 || n > MAX_NODES) {
      p.add(
        "fleet.nodes",
        `must be a number of nodes from 1 to ${MAX_NODES}, or a list of per-node entries, got ${JSON.stringify(v)}`,
      );
      return undefined;
    }
    return Array.from({ length: n }, () => ({}));
  }
  if (!Array.isArray(v)) {
    p.add(
      "fleet.nodes",
      `must be a number of nodes or a list of per-node entries (objects with ${KNOWN_KEYS["fleet.nodes"].join(", ")})`,
    );
    return undefined;
  }
  if (v.length < 1 || v.length > MAX_NODES) {
    p.add("fleet.nodes", `lists ${v.length} nodes; a stack holds 1 to ${MAX_NODES}`);
    return undefined;
  }
  const bad = v.findIndex((e) => e === null || typeof e !== "object" || Array.isArray(e));
  if (bad >= 0) {
    p.add(
      "fleet.nodes",
      `entry [${bad}] is not an object; each entry is an object of ${KNOWN_KEYS["fleet.nodes"].join(", ")}, e.g. \`pulumi config set --path 'fleet.nodes[1].address' 203.0.113.11\``,
    );
    return undefined;
  }
  return v as Record<string, unknown>[];
}

/**
 * fleet: the nodes (each its own name and host) and the shared name. `rawHost` is the host group as
 * given: each node's host is parsed from it with the node's own fields over it.
 */
export function parseFleet(
  raw: unknown,
  ctx: {
    domain: string;
    host: StackConfig["host"] | undefined;
    rawHost: unknown;
    dns: DnsConfig;
    secrets: Record<string, RawSecret>;
  },
  p: Problems,
): FleetConfig {
  const f = group(raw, "fleet", p);
  const publicName = str(f, "publicName", "fleet.publicName", p);
  const pubProblem = publicName !== undefined ? domainProblem(publicName) : undefined;
  if (pubProblem) p.add("fleet.publicName", pubProblem);
  const entries = rawNodes(f.nodes, p);
  const { domain, host } = ctx;
  if (!entries || !host || !domain) return { nodes: host ? [{ domain, host }] : [] };
  const own = HOST_FIELDS[host.provider] as readonly string[];
  const other = HOST_FIELDS[host.provider === "aws" ? "existing" : "aws"] as readonly string[];
  const rawHost =
    ctx.rawHost && typeof ctx.rawHost === "object" && !Array.isArray(ctx.rawHost)
      ? (ctx.rawHost as Record<string, unknown>)
      : {};
  const nodes: FleetNode[] = [];
  entries.forEach((entry, i) => {
    const at = `fleet.nodes[${i}]`;
    const e = group(entry, at, p, "fleet.nodes");
    for (const k of other)
      if (e[k] !== undefined)
        p.add(
          `${at}.${k}`,
          `is a field of host.provider ${host.provider === "aws" ? "existing" : "aws"}, and this stack's is ${host.provider}; remove it`,
        );
    if (i === 0) {
      // Node 0 is `domain` and `host` themselves: its entry may only repeat them.
      for (const k of ["domain", ...own]) {
        const given = str(e, k, `${at}.${k}`, p);
        const v = (host as unknown as Record<string, string | number | undefined>)[k];
        const actual = k === "domain" ? domain : v === undefined ? "" : String(v);
        if (given !== undefined && given !== actual)
          p.add(
            `${at}.${k}`,
            `node 0 is \`domain\` and \`host\` themselves; set ${k === "domain" ? "domain" : `host.${k}`} instead and leave fleet.nodes[0] empty ({})`,
          );
      }
      nodes.push({ domain, host });
      return;
    }
    const name = str(e, "domain", `${at}.domain`, p) ?? nodeDomain(domain, i);
    const prob = domainProblem(name);
    if (prob) {
      p.add(
        `${at}.domain`,
        `${prob}${e.domain === undefined ? " (the name made from domain)" : ""}`,
      );
      return;
    }
    const fields = Object.fromEntries(own.filter((k) => e[k] !== undefined).map((k) => [k, e[k]]));
    if (host.provider === "existing" && fields.address === undefined) {
      p.add(
        `${at}.address`,
        `missing; with host.provider existing each node is its own host: \`pulumi config set --path '${at}.address' <IP or name>\``,
      );
      return;
    }
    const np = new NodeProblems(p, at, Object.keys(fields));
    const h = parseHost({ ...rawHost, ...fields }, ctx.secrets, np);
    if (h && np.forwarded === 0) nodes.push({ domain: name, host: h });
  });
  if (nodes.length !== entries.length) return { nodes };

  // Across nodes: names and addresses are each one node's.
  const names = new Map<string, number>();
  const addrs = new Map<string, number>();
  nodes.forEach((n, i) => {
    const j = names.get(n.domain);
    if (j !== undefined)
      p.add(
        `fleet.nodes[${i}].domain`,
        `${JSON.stringify(n.domain)} is also node ${j}'s name; each node needs a name of its own`,
      );
    else names.set(n.domain, i);
    if (n.host.provider === "existing") {
      const a = n.host.address.toLowerCase();
      const k = addrs.get(a);
      if (k !== undefined)
        p.add(
          `fleet.nodes[${i}].address`,
          `${JSON.stringify(n.host.address)} is also node ${k}'s address${k === 0 ? " (host.address)" : ""}; each node needs a host of its own (nginx of one host serves one node)`,
        );
      else addrs.set(a, i);
    }
  });
  if (publicName !== undefined && !pubProblem) {
    const i = names.get(publicName);
    if (i !== undefined)
      p.add(
        "fleet.publicName",
        `${JSON.stringify(publicName)} is node ${i}'s own name${i === 0 ? " (domain)" : ""}; the shared name must be a name of its own, e.g. rpc.${domain.slice(domain.indexOf(".") + 1)}`,
      );
    if (ctx.dns.provider === "route53" && nodes.length > ROUTE53_MAX_ANSWERS)
      p.add(
        "fleet.nodes",
        `${nodes.length} nodes, but Route53 answers a multivalue name with at most ${ROUTE53_MAX_ANSWERS} healthy records: the others would never be served; use at most ${ROUTE53_MAX_ANSWERS} nodes`,
      );
  }
  if (ctx.dns.provider === "cloudflare" && ctx.dns.loadBalancer && publicName === undefined)
    p.add(
      "dns.loadBalancer",
      "balances fleet.publicName, which is not set; set fleet.publicName (e.g. rpc.example.org) or remove dns.loadBalancer",
    );
  return { ...(publicName !== undefined && !pubProblem ? { publicName } : {}), nodes };
}

/**
 * Each node's full StackConfig: its own domain and host, everything else shared, `fleet` kept (so a
 * node knows the shared name and its peers). Node 0's is the stack's config itself.
 */
export function fleetNodeConfigs(cfg: StackConfig): StackConfig[] {
  return cfg.fleet.nodes.map((n, i) =>
    i === 0 ? cfg : { ...cfg, domain: n.domain, host: n.host },
  );
}
