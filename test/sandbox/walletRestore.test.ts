/**
 * The wallet's backup, end to end, on sandbox host $PSN_SANDBOX_HOST (default 1): `npm run wallet:new`
 * stores a new 24-word mnemonic in the stack, `pulumi up` restores the node's wallet from it, `destroy`
 * with pactus.purgeOnDestroy removes the working dir (wallet and chain), and a new `up` brings back the
 * same validators from the mnemonic alone. On the way: the base step's unattended security updates
 * (security origin only, no reboot, the apt timers on, the reboot flag's hook) and a second `up` that
 * changes nothing.
 */
import * as path from "node:path";
import { wordPairs } from "../helpers/bip39";
import {
  ADDR,
  DEPLOY,
  DOMAIN,
  HOST_INDEX,
  HOST_NAME,
  HOST_SH,
  engineEnv,
  RUN_CONFIG,
  SERVICES_SH,
  STACK,
  onHost,
  pulumi,
  run,
} from "../helpers/sandbox";

const MIN = 60_000;
const env = engineEnv();
const config = (...args: string[]) =>
  run("pulumi", ["config", ...args, "--stack", STACK, "--config-file", RUN_CONFIG]);
// The DNS services are shared by every sandbox host: make sure this host's record is there.
const up = (...extra: string[]) =>
  run("bash", [SERVICES_SH, "add-a", DOMAIN, ADDR]) &&
  pulumi("up", "--yes", "--skip-preview", "--stack", STACK, "--config-file", RUN_CONFIG, ...extra);
const figures: string[] = [];

/** What the pactus step recorded of its init: the wallet's validator addresses. */
const recorded = () =>
  JSON.parse(onHost("cat /var/lib/pactus-secure-node/validators.json")).validators as string[];
/** The validators the running node signs with, asked through the proxy (JSON-RPC). */
function signing(): string[] {
  const r = run("curl", [
    ...["-sS", "--fail", "--cacert", path.join(env.SANDBOX_DIR, "pebble", "root.pem")],
    ...["--resolve", `${DOMAIN}:443:${ADDR}`, "-H", "Content-Type: application/json"],
    ...[
      "-d",
      '{"jsonrpc":"2.0","id":1,"method":"pactus.blockchain.get_consensus_info","params":{}}',
    ],
    `https://${DOMAIN}/jsonrpc`,
  ]);
  return (JSON.parse(r.out).result.instances as { address: string }[]).map((i) => i.address).sort();
}

beforeAll(() => {
  expect(env.PSN_HOST_ADDR).toBe(ADDR);
  run("bash", [DEPLOY, "down"]);
  run("bash", [DEPLOY, "prepare"]);
  run("bash", [HOST_SH, "up", HOST_NAME, HOST_INDEX, "--image", "debian-13"]);
}, 10 * MIN);
afterAll(() => {
  run("bash", [DEPLOY, "down"]);
  if (figures.length)
    process.stdout.write(`\nwallet restore figures:\n  ${figures.join("\n  ")}\n`);
}, 5 * MIN);

describe(`wallet backup and restore, unattended security updates (sandbox host ${HOST_INDEX})`, () => {
  let mnemonic = "";
  let validators: string[] = [];

  test("wallet:new keeps the stack's mnemonic without --force, then stores a new 24-word one", () => {
    const args = ["run", "--silent", "wallet:new", "--", "--stack", STACK];
    const kept = run("npm", [...args, "--config-file", RUN_CONFIG], { allowFail: true });
    expect(kept.status).toBe(1);
    expect(kept.out).toMatch(/already has pactus\.mnemonic/);
    config("rm", "--path", "pactus.mnemonic");
    const made = run("npm", [...args, "--config-file", RUN_CONFIG]);
    mnemonic = config("get", "--path", "pactus.mnemonic").out.trim();
    expect(mnemonic.split(" ")).toHaveLength(24);
    for (const pair of wordPairs(mnemonic)) expect(made.out).not.toContain(pair);
    config("set", "--path", "pactus.purgeOnDestroy", "true");
  });

  test(
    "up restores the node's wallet from it",
    () => {
      const r = up();
      figures.push(`up from nothing with the new mnemonic: ${r.seconds.toFixed(1)} s`);
      for (const pair of wordPairs(mnemonic)) expect(r.out).not.toContain(pair);
      validators = recorded();
      expect(validators).toHaveLength(4);
      for (const v of validators) expect(v).toMatch(/^tpc1p[0-9a-z]{38}$/);
      expect(signing()).toEqual([...validators].sort());
    },
    15 * MIN,
  );

  test(
    "base: unattended security updates from the security archive only, no reboot, timers on",
    () => {
      expect(onHost("dpkg-query -W -f='${Status}' unattended-upgrades")).toBe(
        "install ok installed",
      );
      expect(onHost("systemctl is-enabled apt-daily.timer apt-daily-upgrade.timer")).toBe(
        "enabled\nenabled",
      );
      const conf = onHost(
        "apt-config dump | grep -E '^(Unattended-Upgrade::(Automatic-Reboot|Origins-Pattern|Allowed-Origins)|APT::Periodic::(Update-Package-Lists|Unattended-Upgrade))(::)? '",
      );
      expect(conf.split("\n").sort()).toEqual(
        [
          'APT::Periodic::Unattended-Upgrade "1";',
          'APT::Periodic::Update-Package-Lists "1";',
          'Unattended-Upgrade::Automatic-Reboot "false";',
          'Unattended-Upgrade::Origins-Pattern "";',
          'Unattended-Upgrade::Origins-Pattern:: "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";',
        ].sort(),
      );
      // The tool itself, as the timer runs it: the one origin it will take packages from.
      const t = Date.now();
      const dry = onHost("unattended-upgrade --dry-run -d 2>&1");
      figures.push(`unattended-upgrade --dry-run: ${((Date.now() - t) / 1000).toFixed(1)} s`);
      const codename = onHost(". /etc/os-release && echo $VERSION_CODENAME");
      const allowed = /Allowed origins are: (.*)/.exec(dry)?.[1];
      figures.push(`unattended-upgrade: Allowed origins are: ${allowed}`);
      expect(allowed?.replace(/[[\]']/g, "").trim()).toBe(
        `origin=Debian,codename=${codename}-security,label=Debian-Security`,
      );
      // The reboot flag a health report reads: the package's kernel hook leaves it, as a kernel update would.
      expect(
        onHost(
          "rm -f /var/run/reboot-required && /etc/kernel/postinst.d/unattended-upgrades 0.0.0-psn-test && test -f /var/run/reboot-required && echo flagged; rm -f /var/run/reboot-required /var/run/reboot-required.pkgs",
        ),
      ).toBe("flagged");
    },
    5 * MIN,
  );

  test(
    "a second up changes nothing",
    () => {
      const r = up("--expect-no-changes");
      figures.push(`no-op up: ${r.seconds.toFixed(1)} s`);
      const history = JSON.parse(
        pulumi("stack", "history", "--json", "--show-secrets=false", "--stack", STACK).out,
      );
      expect(history[0].resourceChanges).not.toHaveProperty("update");
    },
    10 * MIN,
  );

  test(
    "destroy with purgeOnDestroy removes the working dir, the apt policy, the packages and nginx's cache",
    () => {
      const r = pulumi(
        "destroy",
        "--yes",
        "--skip-preview",
        "--stack",
        STACK,
        "--config-file",
        RUN_CONFIG,
      );
      figures.push(`destroy (purge): ${r.seconds.toFixed(1)} s`);
      // nginx.cache's files go too: a new localnet chain on this host would otherwise get the old
      // chain's block hashes from them (nginx reloads its cache from disk).
      expect(
        onHost(
          "ls -d /var/lib/pactus /etc/apt/apt.conf.d/52pactus-secure-node /var/lib/nginx/pactus-cache 2>/dev/null || true",
        ),
      ).toBe("");
      expect(
        onHost("dpkg-query -W -f='${Status}' unattended-upgrades 2>/dev/null || true"),
      ).not.toBe("install ok installed");
    },
    10 * MIN,
  );

  test(
    "a new up restores the same validators from the mnemonic alone",
    () => {
      const r = up();
      figures.push(`up after the purge: ${r.seconds.toFixed(1)} s`);
      expect(recorded()).toEqual(validators);
      expect(signing()).toEqual([...validators].sort());
    },
    15 * MIN,
  );
});
