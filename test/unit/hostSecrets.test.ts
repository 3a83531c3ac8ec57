/**
 * The host side of the secret stdin, through real bash exactly as a step runs (the step's command, its
 * stdin from buildStdin): `psn_secret` (remote/lib.sh) decodes every value the stack encodes, and
 * `psn_pactus_config` (remote/pactus.sh) puts the basic_auth line into the rendered config.toml and
 * nothing else, refusing any value that could break out of its TOML string.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseToml } from "smol-toml";
import { renderPactusConfig } from "../../components/render";
import {
  buildCommand,
  buildStdin,
  loadScript,
  pactusSecrets,
  verifySecrets,
} from "../../components/steps";
import { cfg } from "../helpers/config";

const LIB = fs.readFileSync(path.resolve(__dirname, "../../remote/lib.sh"), "utf8");
const LINE = "alice:$2y$05$EUV12dlTmMkK.FODhQMDguO5V6mZNKIuOYChRj132JIuwfDDqXAp6";

/** psn_pactus_config as pactus.sh defines it (the deployed text, lib inlined). */
function pactusConfigFunction(): string {
  const m = loadScript("pactus.sh").match(/^psn_pactus_config\(\) \{\n[\s\S]*?\n\}\n/m);
  if (!m) throw new Error("remote/pactus.sh defines no psn_pactus_config()");
  return m[0];
}

function step(script: string, env: Record<string, string>, secrets?: string) {
  return spawnSync("bash", ["-c", buildCommand("t", "0".repeat(64), false)], {
    input: buildStdin("t", `set -euo pipefail\nPSN_STEP=t\n${LIB}\n${script}`, env, secrets),
    encoding: "utf8",
  });
}

describe("psn_secret: KEY=<base64> lines from the secret stdin", () => {
  // Lengths 1..6 give every base64 padding ("", "=", "=="); a single "=" was once cut off by
  // `IFS='=' read`, which made `base64 -d` fail the step.
  const values = [
    "a",
    "ab",
    "abc",
    "abcd",
    "abcde",
    "abcdef",
    "a long test password",
    "pä$$ wörd \"q\" 'x' \\ `id` $(id) =x=",
    LINE,
  ];
  test.each(values.map((v) => [JSON.stringify(v), v]))("%s arrives verbatim", (_n, value) => {
    const r = step(
      'v=$(psn_secret WALLET_PASSWORD)\nprintf "%s" "$v"',
      {},
      pactusSecrets({ walletPassword: value }),
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(value);
  });

  test("each key finds its own value; a missing key is empty", () => {
    const out = execFileSync("bash", ["-c", buildCommand("t", "0".repeat(64), false)], {
      input: buildStdin(
        "t",
        `set -euo pipefail\n${LIB}\nfor k in WALLET_PASSWORD MNEMONIC BASIC_AUTH API_USER API_PASSWORD NONE; do printf '%s=[%s]\\n' "$k" "$(psn_secret "$k")"; done`,
        {},
        pactusSecrets({ walletPassword: "pw=", mnemonic: "zoo zoo", basicAuth: LINE }) +
          verifySecrets({ basicAuth: LINE, password: "p:w==" }),
      ),
      encoding: "utf8",
    });
    expect(out).toBe(
      `WALLET_PASSWORD=[pw=]\nMNEMONIC=[zoo zoo]\nBASIC_AUTH=[${LINE}]\nAPI_USER=[alice]\nAPI_PASSWORD=[p:w==]\nNONE=[]\n`,
    );
  });
});

describe("psn_pactus_config: the basic_auth line into the rendered config.toml", () => {
  const rendered = renderPactusConfig(cfg());
  const fn = pactusConfigFunction();
  const run = (config: string, secrets: string) =>
    step(
      `${fn}\nbasic_auth=$(psn_secret BASIC_AUTH)\npsn_pactus_config "$PSN_CONFIG" "$basic_auth"\nprintf '%s' "$config_toml"`,
      { PSN_CONFIG: config },
      secrets,
    );

  test("the rendered file has exactly one empty basic_auth, in [grpc]", () => {
    expect(rendered.split('\nbasic_auth = ""\n')).toHaveLength(2);
    expect((parseToml(rendered) as { grpc: Record<string, unknown> }).grpc.basic_auth).toBe("");
  });

  test("without apis.basicAuth the file is the rendered one, byte for byte", () => {
    const r = run(rendered, pactusSecrets({ walletPassword: "pw" }));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(rendered);
  });

  test("with it, only the basic_auth value changes; the TOML holds the exact line", () => {
    const r = run(rendered, pactusSecrets({ walletPassword: "pw", basicAuth: LINE }));
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(rendered.replace('basic_auth = ""', `basic_auth = "${LINE}"`));
    const doc = parseToml(r.stdout) as Record<string, Record<string, unknown>>;
    expect(doc.grpc).toEqual({
      enable: true,
      enable_wallet: false,
      listen: "127.0.0.1:50051",
      basic_auth: LINE,
    });
    expect(doc).toEqual({ ...(parseToml(rendered) as object), grpc: doc.grpc });
    // The same inputs give the same file: a second `up` finds nothing to write.
    expect(run(rendered, pactusSecrets({ walletPassword: "pw", basicAuth: LINE })).stdout).toBe(
      r.stdout,
    );
  });

  test("installed as the pactus step does (psn_write_file, 0640): a second run with the same inputs writes nothing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "psn-cfg-"));
    try {
      const install = () =>
        step(
          `${fn}\nbasic_auth=$(psn_secret BASIC_AUTH)\npsn_pactus_config "$PSN_CONFIG" "$basic_auth"
if psn_write_file "$PSN_DEST" 0640 "$(id -un):$(id -gn)" "$config_toml"; then echo changed; else echo unchanged; fi`,
          { PSN_CONFIG: rendered, PSN_DEST: path.join(dir, "config.toml") },
          pactusSecrets({ walletPassword: "pw", basicAuth: LINE }),
        );
      expect(install().stdout).toBe("changed\n");
      expect(fs.statSync(path.join(dir, "config.toml")).mode & 0o777).toBe(0o640);
      expect(fs.readFileSync(path.join(dir, "config.toml"), "utf8")).toContain(
        `\nbasic_auth = "${LINE}"\n`,
      );
      expect(install().stdout).toBe("unchanged\n");
      expect(fs.readdirSync(dir)).toEqual(["config.toml"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    ["a quote that would close the TOML string", `${LINE}"\nenable_wallet = true\n#`],
    ["a backslash escape", `alice:$2y$05$${"a".repeat(52)}\\`],
    ["a command substitution", "$(touch /tmp/psn-pwned):$2y$05$" + "a".repeat(53)],
    ["an MD5 line", "alice:$apr1$OigRn7BR$o0I2APDcCk4euHoBOmruR."],
    ["a line break", `${LINE}\n[grpc]`],
  ])("refused on the host, whatever the stack let through: %s", (_what, value) => {
    const r = run(rendered, pactusSecrets({ walletPassword: "pw", basicAuth: value }));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "[t] error: apis.basicAuth is not a <user>:<bcrypt hash> line (the stack validates it: a bug, or a hand-run)\n",
    );
    expect(fs.existsSync("/tmp/psn-pwned")).toBe(false);
  });

  test.each([
    ["no empty basic_auth line", rendered.replace('basic_auth = ""\n', "")],
    ["two of them", `${rendered}\n[x]\nbasic_auth = ""\n`],
  ])("a config with %s is refused (a rendering bug, never written half-done)", (_what, config) => {
    const r = run(config, pactusSecrets({ walletPassword: "pw", basicAuth: LINE }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no single 'basic_auth = ""' line to set/);
    expect(r.stderr).not.toContain(LINE);
  });
});
