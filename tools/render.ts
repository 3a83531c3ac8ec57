/**
 * `npm run render -- --stack <name> --out <dir>`: writes every file the stack would push, at its host
 * path under <dir>, secrets as placeholders. Offline: reads Pulumi.<name>.yaml directly, needs no
 * Pulumi CLI, no credentials, and validates with the same code as `pulumi up`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { splitSecrets } from "../components/config";
import { renderAll } from "../components/render";
import { ConfigError, OPAQUE_SECRET, PROJECT, parseConfig } from "../components/validate";

/** Reads a stack file into the raw shape `parseConfig` takes; `{secure: …}` values become opaque. */
export function readStackFile(file: string) {
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
  // cloudflare:apiToken is a credential, not a rendered input: render needs none, so it is not checked.
  return splitSecrets(groups, (_g, v) => v === OPAQUE_SECRET);
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
  let files;
  try {
    files = renderAll(parseConfig(readStackFile(file)).config);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`${path.basename(file)}: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const out = path.resolve(values.out);
  for (const f of files) {
    const dest = path.join(out, f.path);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, f.content, { mode: parseInt(f.mode, 8) });
    console.log(`${f.mode} ${f.path}`);
  }
  return 0;
}

if (require.main === module) process.exitCode = main();
