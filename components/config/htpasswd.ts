import { compareSync as bcryptCompare } from "bcryptjs";
import { Problems } from "./fields";
import type { RawSecret } from "./types";

/** The user part of a basic_auth line: inert in TOML strings, shell words and the Authorization header. */
export const BASIC_AUTH_USER = /^[A-Za-z0-9._@+-]{1,64}$/;
/** A bcrypt hash as `htpasswd -B` writes it and Go's bcrypt reads it: $2a$/$2b$/$2y$, cost, 22+31 characters. */
export const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
/** The node runs one bcrypt comparison per API call: cost 12 is ≈0.2 s of CPU each, and it doubles per step. */
export const BCRYPT_COSTS = { min: 4, max: 12 } as const;
/** How to make and set the htpasswd line of `key` (apis.basicAuth or monitoring.basicAuth). */
export const htpasswdFix = (key: string) =>
  "generate it with `htpasswd -bnB <user> <password>` (apache2-utils) and set the one line it prints with " +
  `\`pulumi config set --path --secret ${key} '<user>:$2y$05$…'\``;

/** Who checks an htpasswd pair, for its error texts. */
interface HtpasswdPair {
  /** The config group: `<group>.basicAuth` and `<group>.basicAuthPassword`. */
  group: "apis" | "monitoring";
  /** What checks the bcrypt hash, e.g. "Pactus". */
  checker: string;
  /** Where the user name goes, e.g. "config.toml and the Authorization header". */
  userGoesTo: string;
  /** What the password is for: "the verify step authenticates with it". */
  passwordFor: string;
  /** What a wrong password breaks. */
  wrongPassword: string;
}

/** The two htpasswd pairs: the node's API credentials and the metrics scrape credentials. */
const HTPASSWD_PAIRS: Record<HtpasswdPair["group"], HtpasswdPair> = {
  apis: {
    group: "apis",
    checker: "Pactus",
    userGoesTo: "config.toml and the Authorization header",
    passwordFor: "the verify step and the health refresher authenticate with it",
    wrongPassword: "the node would refuse the verify step and every client using it",
  },
  monitoring: {
    group: "monitoring",
    checker: "this stack",
    userGoesTo: "nginx's htpasswd file and your Prometheus's basic_auth",
    passwordFor: "the stack checks the line against it before anything is created",
    wrongPassword: "your Prometheus, scraping with it, would get 401",
  },
};

/**
 * `<group>.basicAuth` (an htpasswd line `user:<bcrypt hash>`) and `<group>.basicAuthPassword` (its
 * password): both or neither, a bcrypt line, and a password that matches it. Messages never quote the
 * values. Returns whether the pair is set.
 */
export function parseHtpasswdPair(
  pairGroup: HtpasswdPair["group"],
  secrets: Record<string, RawSecret>,
  p: Problems,
): boolean {
  const pair = HTPASSWD_PAIRS[pairGroup];
  const lineKey = `${pair.group}.basicAuth`;
  const pwKey = `${pair.group}.basicAuthPassword`;
  const fix = htpasswdFix(lineKey);
  let line = secrets[lineKey];
  const pw = secrets[pwKey];
  if (line === undefined && pw === undefined) return false;
  if (line === undefined) {
    line = p.missingSecret({
      key: lineKey,
      when: `while ${pwKey} is set`,
      fix: `${fix}, or unset ${pwKey}`,
    });
    if (line === undefined) return false;
  }
  if (pw === undefined) {
    p.missingSecret({
      key: pwKey,
      when: `while ${lineKey} is set`,
      fix:
        `${pair.passwordFor}: ` +
        `\`pulumi config set --path --secret ${pwKey} <the password the hash was made from>\``,
    });
  }
  let hash: string | undefined;
  if (typeof line === "string") {
    const v = line.trim();
    const colon = v.indexOf(":");
    const user = v.slice(0, Math.max(colon, 0));
    const h = v.slice(colon + 1);
    const m = h.match(BCRYPT_HASH);
    const kind = h.startsWith("$apr1$")
      ? "an MD5 ($apr1$)"
      : h.startsWith("{SHA}")
        ? "a SHA-1 ({SHA})"
        : /^\$[156]\$/.test(h)
          ? "a crypt"
          : undefined;
    if (/\s/.test(v))
      p.add(
        lineKey,
        `must be one line \`<user>:<bcrypt hash>\` without spaces or line breaks; ${fix}`,
      );
    else if (colon < 0)
      p.add(lineKey, `is not an htpasswd line \`<user>:<bcrypt hash>\` (it has no ":"); ${fix}`);
    else if (!BASIC_AUTH_USER.test(user)) {
      p.add(
        lineKey,
        `its user name must be 1 to 64 characters from A-Z a-z 0-9 . _ @ + - (it goes into ${pair.userGoesTo}); ` +
          fix,
      );
    } else if (!m) {
      p.add(
        lineKey,
        `${kind ? `holds ${kind} hash` : "has no bcrypt hash after the user"}; ${pair.checker} checks bcrypt only ` +
          `($2a$, $2b$ or $2y$, a two-digit cost, 53 characters): ${fix}`,
      );
    } else if (Number(m[1]) < BCRYPT_COSTS.min || Number(m[1]) > BCRYPT_COSTS.max) {
      p.add(
        lineKey,
        `has bcrypt cost ${Number(m[1])}; use ${BCRYPT_COSTS.min} to ${BCRYPT_COSTS.max}: ${pair.group === "apis" ? "the node" : "nginx"} runs one bcrypt ` +
          `comparison per ${pair.group === "apis" ? "API call" : "scrape"} (cost ${BCRYPT_COSTS.max} is ≈0.2 s of CPU, doubling per step). \`htpasswd -B\` uses 5; \`-C <cost>\` sets it`,
      );
    } else hash = h;
  }
  if (typeof pw === "string") {
    if (/[\r\n\0]/.test(pw))
      p.add(
        pwKey,
        `contains a line break or NUL; choose one without (and generate ${lineKey} from it)`,
      );
    else if (Buffer.byteLength(pw, "utf8") > 72) {
      p.add(
        pwKey,
        `is longer than 72 bytes, of which bcrypt uses only the first 72; choose a shorter one (and generate ${lineKey} from it)`,
      );
    } else if (hash !== undefined && !bcryptCompare(pw, hash)) {
      p.add(
        pwKey,
        `is not the password of ${lineKey} (the bcrypt comparison fails), so ${pair.wrongPassword}; ` +
          "set the password the hash was generated from, or " +
          fix.replace("generate it", "generate a new line"),
      );
    }
  }
  return true;
}
