/** BIP-39 checks with the library wallet:new uses (@scure/bip39 is ESM-only: asked in a child node). */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const CHECK = `
import { validateMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";
let s = "";
process.stdin.on("data", (d) => (s += d)).on("end", () => process.stdout.write(String(validateMnemonic(s, wordlist))));
`;

/** Whether `m` is a valid BIP-39 English mnemonic (words from the list and a matching checksum). */
export function isBip39English(m: string): boolean {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", CHECK], {
    cwd: ROOT,
    input: m,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`the BIP-39 check failed: ${r.stderr}`);
  return r.stdout === "true";
}

/** Every pair of adjacent words of `m`: any one of them in a text is a leak, not a coincidence. */
export function wordPairs(m: string): string[] {
  const w = m.split(" ");
  return w.slice(1).map((x, i) => `${w[i]} ${x}`);
}
