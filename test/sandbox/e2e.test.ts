/**
 * The end-to-end run: the real Pulumi engine deploys the sandbox stack into a real systemd
 * host over SSH, with pebble as the ACME server and the real Pactus daemon. The steps depend on each
 * other and run in order; each asserts what it changed on the host. The host is a fresh cloud-like VM
 * of $PSN_E2E_IMAGE (default debian-13; e2eDebian12.test.ts runs the same suite on debian-12): no root
 * login, the stack logs in as `admin` and every step, undo and check runs through `sudo -n`.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";

import { describeCounts, type LoadCounts, underLoad } from "../helpers/load";
import {
  ADDR,
  DEPLOY,
  DOMAIN,
  HOST_INDEX,
  HOST_NAME,
  HOST_SH,
  OUTPUTS,
  RUN_CONFIG,
  STACK,
  engineEnv,
  onHost,
  psSampler,
  pulumi,
  run,
  sandboxDown,
} from "../helpers/sandbox";

const MIN = 60_000;
const IMAGE = process.env.PSN_E2E_IMAGE ?? "debian-13";

const env = engineEnv();
const figures: string[] = [];
const caFile = () => path.join(env.SANDBOX_DIR, "pebble", "root.pem");
/** Every request answered, on both APIs; the reload was seen (the old workers' connections closed). */
function expectNoLoss(c: LoadCounts): void {
  expect({
    jsonrpc: c.jsonrpc.failed,
    grpcWeb: c.grpcWeb.failed,
    errors: [c.jsonrpc.errors, c.grpcWeb.errors],
  }).toEqual({ jsonrpc: 0, grpcWeb: 0, errors: [{}, {}] });
  expect(c.jsonrpc.ok).toBeGreaterThan(300);
  expect(c.grpcWeb.ok).toBeGreaterThan(300);
  expect(c.sessions).toBeGreaterThan(1);
}

/** Serial of the certificate nginx serves, seen from the machine. */
function servedSerial(): string {
  const r = run("bash", [
    "-c",
    `openssl s_client -connect ${ADDR}:443 -servername ${DOMAIN} </dev/null 2>/dev/null | openssl x509 -noout -serial`,
  ]);
  return r.out.trim();
}
function lastUpdateChanges(): Record<string, number> {
  const history = JSON.parse(pulumi("stack", "history", "--json", "--show-secrets=false").out);
  return history[0].resourceChanges;
}
function sshLogins(): number {
  return Number(
    onHost("journalctl -u ssh --no-pager -o cat | grep -c 'Accepted publickey' || true"),
  );
}
/** The validator addresses the running node signs with, asked through the proxy (JSON-RPC). */
function validators(): string {
  const root = path.join(env.SANDBOX_DIR, "pebble", "root.pem");
  const body =
    '{"jsonrpc":"2.0","id":1,"method":"pactus.blockchain.get_consensus_info","params":{}}';
  const r = run("curl", [
    "-sS",
    "--fail",
    "--cacert",
    root,
    "--resolve",
    `${DOMAIN}:443:${ADDR}`,
    "-H",
    "Content-Type: application/json",
    "-d",
    body,
    `https://${DOMAIN}/jsonrpc`,
  ]);
  const instances: { address: string }[] = JSON.parse(r.out).result.instances;
  return instances
    .map((i) => i.address)
    .sort()
    .join("\n");
}

beforeAll(() => {
  run("bash", [DEPLOY, "down"]);
}, 5 * MIN);
afterAll(() => {
  sandboxDown();
  if (figures.length) process.stdout.write(`\nsandbox figures:\n  ${figures.join("\n  ")}\n`);
}, 5 * MIN);

describe(`sandbox (${IMAGE}, admin via sudo): pulumi up from nothing to a node that passes the ping checks`, () => {
  let mainPid = "";
  let addresses = "";
  let upOutput = "";
  let processes: string[] = [];

  test(
    "npm run sandbox: up, then the three checks from outside the host",
    async () => {
      // The host first, so the argv of every process on both sides can be sampled for the whole deploy.
      const boot = run("bash", [HOST_SH, "up", HOST_NAME, HOST_INDEX, "--image", IMAGE]);
      expect(onHost(". /etc/os-release && echo $ID-$VERSION_ID")).toBe(IMAGE);
      // A cloud image: root cannot log in over SSH; the admin can, and becomes root only through sudo.
      expect(onHost("sshd -T | grep -i '^permitrootlogin'")).toBe("permitrootlogin no");
      figures.push(`host boot to SSH: ${boot.seconds.toFixed(1)} s`);
      const samplers = [psSampler("machine"), psSampler("host")];
      const r = run("bash", [DEPLOY, "up"]);
      processes = [...(await samplers[0].stop()), ...(await samplers[1].stop())];
      upOutput = r.out;
      figures.push(
        `npm run sandbox on a booted host (pulumi up from nothing + checks): ${r.seconds.toFixed(1)} s`,
      );
      const out = JSON.parse(fs.readFileSync(OUTPUTS, "utf8"));
      expect(out).toMatchObject({ domain: DOMAIN, address: ADDR, fqdn: DOMAIN, ip: ADDR });
      expect(fs.existsSync(out.caCert)).toBe(true);
      expect(out.urls).toEqual({
        grpcWeb: `https://${DOMAIN}/grpc-web`,
        jsonrpc: `https://${DOMAIN}/jsonrpc`,
        http: `https://${DOMAIN}/http/api`,
      });
      for (const api of ["grpcWeb", "jsonrpc", "http"]) {
        expect(out.pingChecks[api].blockHash).toMatch(/^[0-9a-f]{64}$/);
        // The verify step ran the same checks on the host and exported them.
        expect(out.checks[api]).toEqual({ ok: true, blockHash: out.pingChecks[api].blockHash });
      }
      // The site is in the form this image's nginx wants (1.26 on Debian 13: "http2 on;"): no warnings.
      expect(onHost("nginx -t 2>&1")).not.toMatch(/\[(warn|emerg)\]/);
      mainPid = onHost("systemctl show -p MainPID --value pactus.service");
      expect(Number(mainPid)).toBeGreaterThan(1);
      addresses = validators();
      expect(addresses.split("\n")).toHaveLength(4);
      for (const a of addresses.split("\n")) expect(a).toMatch(/^tpc1p[0-9a-z]{38}$/);
    },
    20 * MIN,
  );

  test(
    "secrets: none in the state, engine output and logs, outputs, host journal or any argv; 0600 files of the service user",
    () => {
      // Public sandbox values (Pulumi.sandbox.yaml, passphrase "pactus-sandbox"), set as secrets.
      const config = JSON.parse(
        run("pulumi", ["config", "--json", "--show-secrets", "--config-file", RUN_CONFIG]).out,
      );
      const password: string = config["pactus-secure-node:pactus"].objectValue.walletPassword;
      const mnemonic: string = config["pactus-secure-node:pactus"].objectValue.mnemonic;
      const token: string = config["cloudflare:apiToken"].value;
      const key = fs
        .readFileSync(path.join(env.SANDBOX_DIR, "ssh", "id_ed25519"), "utf8")
        .split("\n")[1];
      expect([
        password.length > 8,
        mnemonic.split(" ").length,
        token.length > 8,
        key.length > 40,
      ]).toEqual([true, 12, true, true]);
      const b64 = (v: string) => Buffer.from(v).toString("base64");
      const needles = {
        password,
        passwordBase64: b64(password),
        mnemonic,
        mnemonicBase64: b64(mnemonic),
        token,
        key,
      };
      // Pulumi's own per-run logs: plain gzip for commands without a stack, encrypted with the stack's
      // secrets provider otherwise. Both are searched as stored.
      const logDir = path.join(env.PULUMI_HOME, "logs");
      // PULUMI_HOME is shared by the lanes: another lane's pulumi may remove its old log meanwhile.
      const logs = fs.readdirSync(logDir).map((f) => {
        let raw: Buffer;
        try {
          raw = fs.readFileSync(path.join(logDir, f));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOENT") return "";
          throw e;
        }
        if (raw[0] !== 0x1f || raw[1] !== 0x8b) return raw.toString("latin1");
        try {
          return zlib.gunzipSync(raw).toString("latin1");
        } catch {
          // Another lane's pulumi is still writing it: that run's own log, not this one's.
          return raw.toString("latin1");
        }
      });
      const sources: Record<string, string> = {
        "pulumi stack export": pulumi("stack", "export").out,
        "pulumi stack output": pulumi("stack", "output", "--json").out,
        "outputs.json": fs.readFileSync(OUTPUTS, "utf8"),
        "engine output of up": upOutput,
        [`pulumi logs (${logs.length} files)`]: logs.join("\n"),
        "host journal": onHost("journalctl --no-pager -o cat"),
        [`argv during the deploy (${processes.length} distinct command lines)`]:
          processes.join("\n"),
      };
      const hits: string[] = [];
      for (const [where, text] of Object.entries(sources)) {
        for (const [what, needle] of Object.entries(needles))
          if (text.includes(needle)) hits.push(`${what} in ${where}`);
      }
      figures.push(
        `secret scan: ${Object.keys(needles).length} secrets x ${Object.keys(sources).length} sources: ${hits.length} hits`,
      );
      expect(hits).toEqual([]);
      // The samplers saw the deploy: the steps' bash and the daemon.
      expect(processes.some((p) => p.startsWith("bash -s psn-pactus"))).toBe(true);
      expect(processes.some((p) => p.includes("pactus-daemon start"))).toBe(true);
      expect(onHost("stat -c '%a %U %G' /etc/pactus/wallet-password")).toBe("600 pactus pactus");
      expect(onHost("stat -c '%a %U' /var/lib/pactus/node/wallets/default_wallet/wallet.db")).toBe(
        "600 pactus",
      );
    },
    5 * MIN,
  );

  test(
    "the daemon's APIs listen on 127.0.0.1 only",
    () => {
      const listeners = onHost("ss -Hltnp | grep pactus-daemon")
        .split("\n")
        .map((l) => l.trim().split(/\s+/)[3])
        .filter(Boolean);
      for (const port of ["50051", "8545", "8080"])
        expect(listeners).toContain(`127.0.0.1:${port}`);
      // Only libp2p's own port may be public; no API or the HTML UI.
      expect(
        listeners.filter(
          (a) => !a.startsWith("127.0.0.1:") && /:(50051|50052|8545|8080|8081|80|443)$/.test(a),
        ),
      ).toEqual([]);
    },
    MIN,
  );

  test(
    "a second up changes nothing and runs no remote command",
    () => {
      const before = sshLogins();
      const r = pulumi(
        "up",
        "--yes",
        "--skip-preview",
        "--expect-no-changes",
        "--config-file",
        RUN_CONFIG,
      );
      figures.push(`no-op up: ${r.seconds.toFixed(1)} s`);
      expect(lastUpdateChanges()).not.toHaveProperty("update");
      // Only our own SSH login for counting: the engine opened no session.
      expect(sshLogins() - before).toBe(1);
    },
    10 * MIN,
  );

  test(
    "an nginx-only input change re-runs the nginx step (and verify), Pactus keeps running",
    () => {
      run("pulumi", [
        "config",
        "set",
        "--config-file",
        RUN_CONFIG,
        "--path",
        "nginx.rateLimit",
        "7",
      ]);
      const r = pulumi("up", "--yes", "--skip-preview", "--config-file", RUN_CONFIG);
      figures.push(`template-change up: ${r.seconds.toFixed(1)} s`);
      expect(lastUpdateChanges()).toMatchObject({ update: 2 });
      expect(r.out).toMatch(/pactus-steps-nginx-tls\s+updated/);
      expect(r.out).toMatch(/pactus-steps-verify\s+updated/);
      expect(onHost("grep -c 'rate=7r/s' /etc/nginx/sites-available/pactus.conf")).toBe("1");
      expect(onHost("systemctl show -p MainPID --value pactus.service")).toBe(mainPid);
    },
    10 * MIN,
  );

  test(
    "pulumi preview --diff (what the PR workflow posts) shows exactly a config change",
    () => {
      run("pulumi", [
        "config",
        "set",
        "--config-file",
        RUN_CONFIG,
        "--path",
        "nginx.rateLimit",
        "9",
      ]);
      try {
        const r = pulumi("preview", "--diff", "--config-file", RUN_CONFIG);
        expect(r.out).toMatch(/2 to update/);
        expect(r.out).toMatch(/pactus-steps-nginx-tls/);
        expect(r.out).toMatch(/rate=9r\/s/);
        expect(r.out).not.toMatch(/to (create|delete|replace)/);
      } finally {
        run("pulumi", [
          "config",
          "set",
          "--config-file",
          RUN_CONFIG,
          "--path",
          "nginx.rateLimit",
          "7",
        ]);
      }
    },
    5 * MIN,
  );

  test(
    "under load: a template-only change loses 0 requests (nginx reloads, never restarts)",
    async () => {
      // Lift the rate limit first: the load (200 requests/s from one address) must not meet it.
      run("pulumi", [
        "config",
        "set",
        "--config-file",
        RUN_CONFIG,
        "--path",
        "nginx.rateLimit",
        "2000",
      ]);
      pulumi("up", "--yes", "--skip-preview", "--config-file", RUN_CONFIG);
      const nginxPid = onHost("systemctl show -p MainPID --value nginx.service");
      run("pulumi", [
        "config",
        "set",
        "--config-file",
        RUN_CONFIG,
        "--path",
        "nginx.rateLimit",
        "3000",
      ]);
      const { result: r, counts } = await underLoad(caFile(), () =>
        pulumi("up", "--yes", "--skip-preview", "--config-file", RUN_CONFIG),
      );
      figures.push(`template change under load: ${describeCounts(counts)}`);
      expect(r.out).toMatch(/pactus-steps-nginx-tls\s+updated/);
      expect(onHost("grep -c 'rate=3000r/s' /etc/nginx/sites-available/pactus.conf")).toBe("1");
      expect(onHost("systemctl show -p MainPID --value nginx.service")).toBe(nginxPid);
      expectNoLoss(counts);
    },
    10 * MIN,
  );

  test(
    "under load: a forced renewal is served after the hook's reload, 0 requests lost",
    async () => {
      const serial = servedSerial();
      const nginxPid = onHost("systemctl show -p MainPID --value nginx.service");
      const { result: now, counts } = await underLoad(caFile(), () => {
        onHost(
          "REQUESTS_CA_BUNDLE=/etc/pactus-secure-node/acme-ca.pem certbot renew --force-renewal --no-random-sleep-on-renew -q",
        );
        let served = serial;
        for (let i = 0; i < 20 && served === serial; i++) {
          execFileSync("sleep", ["0.5"]);
          served = servedSerial();
        }
        return served;
      });
      figures.push(`forced renewal under load: ${describeCounts(counts)}`);
      expect(serial).toMatch(/^serial=/);
      expect(now).not.toBe(serial);
      expect(onHost("systemctl show -p MainPID --value nginx.service")).toBe(nginxPid);
      expectNoLoss(counts);
    },
    5 * MIN,
  );

  test(
    "the node still runs the config.toml we pushed (not moved aside and rewritten)",
    () => {
      const out = fs.mkdtempSync(path.join(env.SANDBOX_DIR, "render-"));
      run("npm", [
        "run",
        "--silent",
        "render",
        "--",
        "--stack",
        STACK,
        "--project-dir",
        path.dirname(RUN_CONFIG),
        "--out",
        out,
      ]);
      const ours = fs.readFileSync(path.join(out, "var/lib/pactus/node/config.toml"), "utf8");
      fs.rmSync(out, { recursive: true });
      expect(onHost("sha256sum < /var/lib/pactus/node/config.toml")).toBe(
        execFileSync("sha256sum", { input: ours, encoding: "utf8" }).trim(),
      );
      expect(onHost("ls /var/lib/pactus/node | grep -c config.toml_bak || true")).toBe("0");
    },
    MIN,
  );

  test(
    "destroy removes site, unit, certificate and binaries, keeps the wallet",
    () => {
      const r = pulumi("destroy", "--yes", "--skip-preview", "--config-file", RUN_CONFIG);
      figures.push(`destroy: ${r.seconds.toFixed(1)} s`);
      const left = onHost(
        `ls -d /etc/nginx/sites-*/pactus* /etc/systemd/system/pactus.service /etc/letsencrypt/live/${DOMAIN} /opt/pactus /etc/pactus 2>/dev/null || true`,
      );
      expect(left).toBe("");
      expect(onHost("test -d /var/lib/pactus/node/wallets/default_wallet && echo kept")).toBe(
        "kept",
      );
      expect(onHost("systemctl is-active pactus.service || true")).not.toBe("active");
    },
    10 * MIN,
  );

  test(
    "bad config through the real engine: one clear error per key, nothing created",
    () => {
      const bad = path.join(env.SANDBOX_DIR, `Pulumi.${STACK}-bad.yaml`);
      fs.writeFileSync(
        bad,
        fs
          .readFileSync(RUN_CONFIG, "utf8")
          .replace(
            `pactus-secure-node:domain: ${DOMAIN}`,
            `pactus-secure-node:domain: https://${DOMAIN}`,
          )
          .replace("network: localnet", "network: devnet"),
      );
      try {
        const r = run(
          "pulumi",
          ["--non-interactive", "up", "--yes", "--skip-preview", "--config-file", bad],
          { allowFail: true },
        );
        expect(r.status).not.toBe(0);
        expect(r.out).toContain(
          `domain: "https://${DOMAIN}" has a scheme; set the bare name, e.g. node.example.org`,
        );
        expect(r.out).toContain(
          'pactus.network: unknown value "devnet"; use one of: mainnet, testnet, localnet',
        );
        const state = JSON.parse(pulumi("stack", "export").out);
        expect(
          (state.deployment.resources ?? []).filter(
            (x: { type: string }) => x.type !== "pulumi:pulumi:Stack",
          ),
        ).toEqual([]);
      } finally {
        fs.rmSync(bad, { force: true });
      }
    },
    5 * MIN,
  );

  test(
    "a new up on the same host restores service with the same validator addresses",
    () => {
      const r = run("bash", [DEPLOY, "up"]);
      figures.push(`re-up after destroy: ${r.seconds.toFixed(1)} s`);
      expect(addresses).toMatch(/^tpc1p/);
      expect(validators()).toBe(addresses);
    },
    20 * MIN,
  );
});
