/**
 * The field helpers every group's parser uses: the Problems collector and ConfigError, the group
 * check against its known keys, typed readers (str, bool, int, list, oneOf) and the value checks shared
 * by several groups (DNS names, URLs, CIDRs). Each problem names its key and the fix.
 */
import { isIP } from "node:net";
import { KNOWN_KEYS, RETIRED_KEYS } from "./keys";
import { MissingSecret, OPAQUE_SECRET, ParseOptions, RawSecret, type StackConfig } from "./types";

export class ConfigError extends Error {
  constructor(
    public readonly problems: string[],
    /** Required secrets not set, when parseConfig took them as placeholders (not in the message). */
    public readonly missingSecrets: MissingSecret[] = [],
  ) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Collects problems; each names its key and the fix. */
export class Problems {
  readonly list: string[] = [];
  readonly missingSecrets: MissingSecret[] = [];
  constructor(private readonly missing: ParseOptions["missingSecrets"] = "refuse") {}
  add(key: string, msg: string) {
    this.list.push(`${key}: ${msg}`);
  }
  /** A required secret that is not set: what the validation goes on with (see ParseOptions). */
  missingSecret(m: MissingSecret): RawSecret {
    if (this.missing === "placeholder") {
      this.missingSecrets.push(m);
      return OPAQUE_SECRET;
    }
    this.add(m.key, `missing${m.when ? ` ${m.when}` : ""}; ${m.fix}`);
    return undefined;
  }
}

/** The parser of a group that holds secrets: its raw object, the secrets by key, the problems. */
export type SecretGroupParser<K extends keyof StackConfig> = (
  raw: unknown,
  secrets: Record<string, RawSecret>,
  p: Problems,
) => StackConfig[K];

/**
 * The object of group `name`, its unknown keys reported. `known` names the KNOWN_KEYS entry when it
 * differs from the name the problems carry (an entry of a list: `fleet.nodes[1]` of `fleet.nodes`).
 */
export function group(
  raw: unknown,
  name: string,
  p: Problems,
  known: string = name,
): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    p.add(
      name,
      `must be an object; set its fields with \`pulumi config set --path ${name}.<field> <value>\``,
    );
    return {};
  }
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const retired = RETIRED_KEYS[`${name}.${k}`];
    if (retired) p.add(`${name}.${k}`, retired(obj[k]));
    else if (!KNOWN_KEYS[known].includes(k)) {
      p.add(`${name}.${k}`, `unknown key; known keys of ${name}: ${KNOWN_KEYS[known].join(", ")}`);
    }
  }
  return obj;
}

export function str(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  p: Problems,
): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  p.add(path, `must be a string, got ${Array.isArray(v) ? "a list" : typeof v}`);
  return undefined;
}

export function bool(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  def: boolean,
  p: Problems,
): boolean {
  const v = obj[key];
  if (v === undefined || v === null || v === "") return def;
  if (v === true || v === "true") return true;
  if (v === false || v === "false") return false;
  p.add(path, `must be true or false, got ${JSON.stringify(v)}`);
  return def;
}

export function int(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  def: number,
  min: number,
  max: number,
  p: Problems,
): number {
  const v = obj[key];
  if (v === undefined || v === null || v === "") return def;
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    p.add(path, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return def;
  }
  return n;
}

export function list(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  p: Problems,
): string[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    p.add(
      path,
      `must be a list of strings, e.g. \`pulumi config set --path '${path}[0]' <value>\``,
    );
    return undefined;
  }
  return v as string[];
}

export function oneOf<T extends string>(
  v: string | undefined,
  allowed: readonly T[],
  def: T | undefined,
  path: string,
  p: Problems,
): T | undefined {
  if (v === undefined) return def;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  p.add(path, `unknown value ${JSON.stringify(v)}; use one of: ${allowed.join(", ")}`);
  return def;
}

/** Problems with `name` as a public DNS name for a certificate, or undefined when it is fine. */
export function domainProblem(name: string): string | undefined {
  const eg = "set the bare name, e.g. node.example.org";
  if (/\s/.test(name)) return `${JSON.stringify(name)} contains whitespace; ${eg}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) return `${JSON.stringify(name)} has a scheme; ${eg}`;
  if (name.includes("/")) return `${JSON.stringify(name)} has a path; ${eg}`;
  if (isIP(name) || isIP(name.replace(/^\[|\]$/g, ""))) {
    return `${JSON.stringify(name)} is an IP address; ACME certificates need a DNS name pointing at the host`;
  }
  if (/:\d*$/.test(name))
    return `${JSON.stringify(name)} has a port; ${eg} (ports 80 and 443 are used)`;
  if (name.includes("*"))
    return `${JSON.stringify(name)} is a wildcard; HTTP-01 cannot issue wildcards, ${eg}`;
  if (/[A-Z]/.test(name))
    return `${JSON.stringify(name)} has uppercase letters; use ${JSON.stringify(name.toLowerCase())}`;
  const bad = name.match(/[^a-z0-9.-]/g);
  if (bad)
    return `${JSON.stringify(name)} contains ${[...new Set(bad)].map((c) => JSON.stringify(c)).join(" ")}; only a-z, 0-9, "-" and "." are allowed`;
  if (name.length > 253) return `is ${name.length} characters long; a DNS name has at most 253`;
  const labels = name.split(".");
  if (labels.length < 2) return `${JSON.stringify(name)} is not a fully qualified name; ${eg}`;
  for (const l of labels) {
    if (l.length === 0)
      return `${JSON.stringify(name)} has an empty label (".." or a leading/trailing dot); ${eg}`;
    if (l.length > 63)
      return `label ${JSON.stringify(l.slice(0, 20) + "…")} is ${l.length} characters long; a label has at most 63`;
    if (l.startsWith("-") || l.endsWith("-"))
      return `label ${JSON.stringify(l)} starts or ends with "-"`;
  }
  return undefined;
}

/** Longest URL accepted anywhere (acme.server, pactus.releaseBaseUrl, cors.origins). */
const MAX_URL = 2048;

/** An URL made only of characters that are inert in shell single quotes and nginx/TOML strings. */
export function safeUrl(
  v: string,
  path: string,
  schemes: string[],
  p: Problems,
  allowPath = true,
): URL | undefined {
  if (v.length > MAX_URL) {
    p.add(path, `is ${v.length} characters long; a URL here has at most ${MAX_URL}`);
    return undefined;
  }
  if (!/^[A-Za-z0-9._~:/?#[\]@!&*+,=%-]+$/.test(v)) {
    p.add(
      path,
      `${JSON.stringify(v)} contains characters not allowed in a URL here (quotes, spaces, $, ;, braces)`,
    );
    return undefined;
  }
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    p.add(path, `${JSON.stringify(v)} is not a URL; use e.g. https://example.org/path`);
    return undefined;
  }
  if (!schemes.includes(u.protocol.slice(0, -1))) {
    p.add(path, `${JSON.stringify(v)} must use ${schemes.join(" or ")}`);
    return undefined;
  }
  if (u.username || u.password) {
    p.add(path, `${JSON.stringify(v)} must not carry credentials`);
    return undefined;
  }
  if (!allowPath && (u.pathname !== "/" || u.search || u.hash || v.endsWith("/"))) {
    p.add(
      path,
      `${JSON.stringify(v)} has a path; an origin is scheme://host[:port], e.g. https://app.example.org`,
    );
    return undefined;
  }
  if (!allowPath && !/^(?:[a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(u.hostname)) {
    p.add(
      path,
      `${JSON.stringify(v)} has a host that is neither a DNS name nor an IP address (no wildcards or symbols), e.g. https://app.example.org`,
    );
    return undefined;
  }
  // Browsers send the serialized origin: lowercase host, no default port, no "?" or "#". Anything else never matches.
  if (!allowPath && u.origin !== v) {
    p.add(
      path,
      `${JSON.stringify(v)} is not an origin as browsers send it; use ${JSON.stringify(u.origin)}`,
    );
    return undefined;
  }
  return u;
}

export function cidrProblem(c: string): string | undefined {
  const m = c.match(/^([^/]+)\/(\d{1,3})$/);
  if (!m) return `${JSON.stringify(c)} is not a CIDR; use e.g. 203.0.113.7/32`;
  const fam = isIP(m[1]);
  const bits = Number(m[2]);
  if (fam === 0) return `${JSON.stringify(c)} does not start with an IP address`;
  if ((fam === 4 && bits > 32) || (fam === 6 && bits > 128))
    return `${JSON.stringify(c)} has a prefix length out of range`;
  return undefined;
}
