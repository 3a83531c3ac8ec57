import { Problems } from "./fields";
import type { Network, RawSecret } from "./types";

/** What `pactus-init.py` reads from the password file (read_secret_file). */
const MAX_PASSWORD_BYTES = 64 * 1024;
/** Go's strings.TrimSpace set: what `pactus-daemon start --password-from-file` and the init helper strip. */
const GO_SPACE =
  "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

function trimGoSpace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && GO_SPACE.includes(s[a])) a++;
  while (b > a && GO_SPACE.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

/** pactus.walletPassword (secret, required): typed at the wallet's prompt by the init helper. */
export function parseWalletPassword(secrets: Record<string, RawSecret>, p: Problems): void {
  const pw = secrets["pactus.walletPassword"];
  if (pw === undefined)
    p.missingSecret({
      key: "pactus.walletPassword",
      when: "",
      fix: "the wallet is encrypted with it: `pulumi config set --path --secret pactus.walletPassword <at least 8 characters>`",
    });
  else if (typeof pw === "string") {
    // The init helper types the password at the wallet's prompt and refuses what cannot be typed there.
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    if (/[\x00-\x1f\x7f]/.test(pw))
      p.add(
        "pactus.walletPassword",
        "contains a line break, tab, NUL or another control character, which cannot be typed at the wallet prompt; choose one without",
      );
    else if (Buffer.byteLength(pw, "utf8") > MAX_PASSWORD_BYTES)
      p.add(
        "pactus.walletPassword",
        `is larger than ${MAX_PASSWORD_BYTES / 1024} KiB; choose a shorter one`,
      );
    else if ([...trimGoSpace(pw)].length < 8)
      p.add(
        "pactus.walletPassword",
        "is shorter than 8 characters (leading and trailing spaces do not count); choose a longer one",
      );
  }
}

/** The command that makes a stack's wallet mnemonic (tools/wallet-new.ts). */
export const WALLET_NEW = "npm run wallet:new -- --stack <stack>";

/**
 * pactus.mnemonic (secret): the wallet's seed phrase, restored on a new host. Required on mainnet, where
 * the wallet holds real stake, unless pactus.allowNoBackup says the operator backs up the wallet file
 * themselves: without either, a lost host would lose the validator with no way back.
 */
export function parseMnemonic(
  secrets: Record<string, RawSecret>,
  network: Network,
  allowNoBackup: boolean,
  p: Problems,
): void {
  let mn = secrets["pactus.mnemonic"];
  if (mn === undefined && network === "mainnet" && !allowNoBackup)
    mn = p.missingSecret({
      key: "pactus.mnemonic",
      when: "for pactus.network mainnet",
      fix:
        "the wallet (validator keys) would have no backup: make and store one with " +
        `\`${WALLET_NEW}\`, or set \`pulumi config set --path pactus.allowNoBackup true\` if you back up ` +
        "the node's wallet file yourself",
    });
  if (typeof mn !== "string") return;
  const words = mn.trim().split(/\s+/);
  if (words.length !== 12 && words.length !== 24)
    p.add("pactus.mnemonic", `has ${words.length} words; a Pactus seed phrase has 12 or 24`);
  else if (!words.every((w) => /^[a-z]{3,8}$/.test(w)))
    p.add(
      "pactus.mnemonic",
      "must be lowercase words of 3 to 8 letters (the BIP-39 English list) separated by spaces",
    );
}
