/**
 * `npm run wallet:new -- --stack <name>`: makes the node's wallet a backup before it exists. A new
 * 24-word BIP-39 mnemonic (256 bits of entropy, the English list) is made here, on the operator's
 * machine, and stored as the stack's `pactus.mnemonic` secret, encrypted by the stack's secrets
 * provider; the pactus step then restores the wallet from it, and any later `up` on a new host
 * restores the same validators.
 *
 * The mnemonic reaches `pulumi config set` on its stdin, never in argv (any user on the machine can
 * read every process's argv), and is printed only with --show. An existing pactus.mnemonic is kept
 * unless --force: it is the backup of a wallet that may already hold stake.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { generateMnemonic, validateMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";

const KEY = "pactus.mnemonic";
/** 256 bits: 24 words, the most `pactus-daemon init --entropy` makes. */
const ENTROPY_BITS = 256;

const USAGE =
  "usage: npm run wallet:new -- --stack <name> [--force] [--show] " +
  "[--project-dir <dir with Pulumi.yaml>] [--config-file <stack file>]";

function fail(msg: string): number {
  console.error(`wallet:new: ${msg}`);
  return 1;
}

function main(): number {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        stack: { type: "string", short: "s" },
        force: { type: "boolean" },
        show: { type: "boolean" },
        "project-dir": { type: "string" },
        "config-file": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    console.error(`wallet:new: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help || !values.stack) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const stack = values.stack;
  const cwd = path.resolve(values["project-dir"] ?? path.join(__dirname, ".."));
  const where = [
    "--stack",
    stack,
    ...(values["config-file"] ? ["--config-file", path.resolve(values["config-file"])] : []),
  ];
  // The mnemonic only ever travels as `input` (the child's stdin); argv holds names and paths.
  const pulumi = (args: string[], input?: string) =>
    spawnSync("pulumi", ["--non-interactive", ...args, ...where], {
      cwd,
      input,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
    });

  // Is there one already? Asked without reading it: the child's stdout (the value) goes nowhere, the
  // exit status is the answer.
  const probe = spawnSync(
    "pulumi",
    ["--non-interactive", "config", "get", "--path", KEY, ...where],
    {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  if (probe.error)
    return fail(
      `cannot run the Pulumi CLI (${probe.error.message}); install it: https://www.pulumi.com/docs/install/`,
    );
  if (probe.status === 0) {
    if (!values.force)
      return fail(
        `stack ${stack} already has ${KEY}: it is the backup of the wallet the node was (or will be) ` +
          "restored from, so it is kept. Read it with `pulumi config get --path pactus.mnemonic " +
          `--stack ${stack}\`. Only to replace it, run again with --force: a node that already has its ` +
          "wallet keeps that wallet (the working dir is initialised once), so the new mnemonic would " +
          "back up nothing until the node is set up anew (pactus.purgeOnDestroy, destroy, up)",
      );
  } else if (!/not found/.test(probe.stderr)) {
    return fail(`pulumi config get failed: ${probe.stderr.trim()}`);
  }

  const mnemonic = generateMnemonic(wordlist, ENTROPY_BITS);
  if (mnemonic.split(" ").length !== 24 || !validateMnemonic(mnemonic, wordlist))
    return fail("the generated mnemonic is not 24 valid BIP-39 words (a bug)");
  // Whatever pulumi says is printed without the value, should it ever echo its input.
  const scrub = (s: string) => s.split(mnemonic).join("<mnemonic>").trim();
  const set = pulumi(["config", "set", "--secret", "--path", KEY], mnemonic);
  if (set.status !== 0)
    return fail(`pulumi config set failed: ${scrub(`${set.stdout}${set.stderr}`)}`);
  // Read back, in this process only: the stored value is the one made here.
  const back = pulumi(["config", "get", "--path", KEY]);
  if (back.status !== 0 || back.stdout.trim() !== mnemonic)
    return fail(`${KEY} could not be read back from stack ${stack}: ${scrub(back.stderr)}`);

  console.error(
    `wallet:new: stored a new 24-word mnemonic as ${KEY} of stack ${stack}, encrypted with the ` +
      "stack's secrets provider. Keep a copy off this machine (paper, a password manager): " +
      `\`pulumi config get --path ${KEY} --stack ${stack}\` prints it.`,
  );
  if (values.show) console.log(mnemonic);
  return 0;
}

if (require.main === module) process.exitCode = main();
