/**
 * `npm run render -- --stack <name> --out <dir>`: writes every file the stack would push, at its host
 * path under <dir>, secrets as placeholders. Offline: reads Pulumi.<name>.yaml directly, needs no
 * Pulumi CLI, no credentials, and validates with the same code as `pulumi up`. A required secret that
 * is not set is no error here (render never needs a secret's value): it is rendered as a placeholder
 * too, and a note on stderr says that `pulumi up` requires it. Every other problem fails the render
 * with the text `pulumi up` gives.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { RenderedFile, renderAll, secretPlaceholder } from "../components/render";
import {
  ConfigError,
  MissingSecret,
  OPAQUE_SECRET,
  PROJECT,
  RawConfig,
  parseConfig,
  splitSecrets,
} from "../components/config";

/** Reads a stack file into the raw shape `parseConfig` takes; `{secure: …}` values become opaque. */
export function readStackFile(file: string): RawConfig {
  const doc = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as {
    config?: Record<string, unknown>;
  };
  const config = doc.config ?? {};
  const groups: Record<string, unknown> = {};
  const isSecure = (v: unknown) =>
    !!v && typeof v === "object" && !Array.isArray(v) && "secure" in v;
  for (const [key, value] of Object.entries(config)) {
    const [ns, name] = key.includes(":") ? key.split(":", 2) : [PROJECT, key];
    if (ns !== PROJECT) continue;
    if (value && typeof value === "object" && !Array.isArray(value) && !isSecure(value)) {
      groups[name] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, isSecure(v) ? OPAQUE_SECRET : v]),
      );
    } else groups[name] = isSecure(value) ? OPAQUE_SECRET : value;
  }
  return {
    ...splitSecrets(groups, (_g, v) => v === OPAQUE_SECRET),
    // Where `pulumi up` finds the Cloudflare API token (components/config/index.ts): the stack or the environment.
    cloudflareToken:
      config["cloudflare:apiToken"] !== undefined || !!process.env.CLOUDFLARE_API_TOKEN,
  };
}

/**
 * The note for a required secret the stack lacks; with the rendered files, it also names those that
 * hold its placeholder.
 */
export function missingSecretNote(m: MissingSecret, files?: RenderedFile[]): string {
  let rendered = "";
  if (files) {
    const placeholder = secretPlaceholder(m.key);
    const holders = files.filter((f) => f.content.includes(placeholder)).map((f) => f.path);
    rendered = holders.length
      ? `: ${placeholder} rendered in ${holders.join(", ")}`
      : ": no rendered file holds it";
  }
  return `render: note: ${m.key} is not set${m.when ? ` ${m.when}` : ""}${rendered}; pulumi up requires it: ${m.fix}`;
}

function main(): number {
  const { values } = parseArgs({
    options: {
      stack: { type: "string", short: "s" },
      out: { type: "string", short: "o" },
      "project-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || !values.stack || !values.out) {
    console.error(
      "usage: npm run render -- --stack <name> --out <dir> [--project-dir <dir with Pulumi.<name>.yaml>]",
    );
    return values.help ? 0 : 2;
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(values.stack)) {
    console.error(`render: --stack ${JSON.stringify(values.stack)} is not a stack name`);
    return 2;
  }
  const file = path.resolve(
    values["project-dir"] ?? path.join(__dirname, ".."),
    `Pulumi.${values.stack}.yaml`,
  );
  if (!fs.existsSync(file)) {
    console.error(
      `render: ${file} does not exist; create the stack with \`pulumi stack init ${values.stack}\``,
    );
    return 2;
  }
  let parsed;
  try {
    parsed = parseConfig(readStackFile(file), { missingSecrets: "placeholder" });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`${path.basename(file)}: ${e.message}`);
      for (const m of e.missingSecrets) console.error(missingSecretNote(m));
      return 1;
    }
    throw e;
  }
  const files = renderAll(parsed.config);
  const out = path.resolve(values.out);
  for (const f of files) {
    const dest = path.join(out, f.path);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, f.content, { mode: parseInt(f.mode, 8) });
    console.log(`${f.mode} ${f.path}`);
  }
  for (const m of parsed.missingSecrets) console.error(missingSecretNote(m, files));
  return 0;
}

if (require.main === module) process.exitCode = main();
