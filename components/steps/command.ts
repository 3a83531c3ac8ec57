/**
 * How a planned step reaches the host: its short command line (headed by its hash), its stdin (inputs
 * as quoted assignments, secrets, the script in a function) and its undo command.
 */
/**
 * POSIX single quotes: nothing inside is special to any shell (not $, `, \, ! or newlines); a quote
 * itself is closed, escaped and reopened. (shell-quote's output uses double quotes and backslashes,
 * which bash keeps before "!" inside double quotes, corrupting scripts.)
 */
export function shq(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `K='value'` assignments of a step's inputs; only PSN_* names, every value quoted. */
function assignments(step: string, env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => {
    if (!/^PSN_[A-Z0-9_]+$/.test(k)) throw new Error(`step ${step}: bad input name ${k}`);
    return `${k}=${shq(v)}`;
  });
}

/**
 * Before a step runs through `sudo -n`: if sudo would ask the SSH user for a password, fail at once
 * with the fix (the login's own $USER, expanded on the host), instead of sudo's bare refusal.
 */
export const SUDO_CHECK =
  "sudo -n true 2>/dev/null || { echo \"host.user $USER: sudo asks for a password, and every step runs with 'sudo -n'. " +
  "Give $USER passwordless sudo on the host: echo '$USER ALL=(ALL) NOPASSWD:ALL' | sudo tee /etc/sudoers.d/90-pactus-secure-node\" >&2; exit 1; };";

/** What heads a command that must run as root: nothing for root, else the sudo check and `sudo -n`. */
const asRoot = (sudo: boolean): string[] => (sudo ? [SUDO_CHECK, "sudo", "-n"] : []);

/**
 * The command line of a step: `bash -s` reading the step from stdin (see `buildStdin`), headed by the
 * step's hash so a change shows in the plan. Short on purpose: a failing command's error repeats it.
 */
export function buildCommand(name: string, hash: string, sudo: boolean): string {
  return [...asRoot(sudo), "env", `PSN_STEP_HASH=${shq(hash)}`, "bash", "-s", `psn-${name}`].join(
    " ",
  );
}

/**
 * A step's stdin: its inputs as quoted assignments, the wallet secrets (pactus step) in a quoted
 * heredoc, and the script wrapped in a function. bash reads the whole function before running it, and
 * runs it with stdin from /dev/null, so no command in the script can swallow the rest of the input.
 */
export function buildStdin(
  name: string,
  script: string,
  env: Record<string, string>,
  secrets?: string,
): string {
  const vars = assignments(name, env).map((a) => `${a}\n`);
  const secretBlock =
    secrets === undefined
      ? ""
      : `PSN_SECRETS=$(cat <<'__PSN_SECRETS__'\n${secrets}__PSN_SECRETS__\n)\n`;
  return `${vars.join("")}${secretBlock}psn_step() {\n${script}\n}\npsn_step </dev/null\n`;
}

/** An undo command: small scripts, given inline because stdin carries the create script. */
export function buildDeleteCommand(
  name: string,
  script: string,
  env: Record<string, string>,
  sudo: boolean,
): string {
  return [
    ...asRoot(sudo),
    "env",
    ...assignments(name, env),
    "bash",
    "-c",
    shq(script),
    `psn-${name}`,
    "</dev/null",
  ].join(" ");
}
