/**
 * /healthz and the node exporter's textfile with the real daemon (PSN_BIN_DIR, localnet), the real
 * refresher (remote/pactus-health.py, in its loop, with the settings the health step renders) and the
 * rendered nginx site, in private network and mount namespaces (a tmpfs on /run holds the refresher's
 * output dir and the reboot flag; /etc/letsencrypt the certificate):
 * - healthy: 200 with the node's height, block age, peers, version, the certificate's days; the
 *   textfile has exactly the documented series, and promtool accepts it;
 * - the daemon stopped: 503 from the first refresh after it exited (the refresher's own clock), the
 *   same JSON saying why; restarted: 200 again;
 * - a certificate with less than 14 days left: 503; the reboot flag is reported, not judged;
 * - no refresher output at all: 503 with a short JSON;
 * - the status page in headless Chromium (its own trust store: the test CA only) reads the health in
 *   words, green; red while /healthz answers 503 (screenshots of both are kept
 *   with PSN_KEEP=1);
 * - a burst of 2000 /healthz requests never reaches the node (iptables counts what nginx's workers send
 *   to the daemon's ports; a JSON-RPC call through nginx is the positive control).
 */
import { ChildProcess, execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  HEALTH_CERT_MIN_DAYS,
  PORTS,
  hostPaths,
  renderHealthEnv,
  renderNginxHttp,
  renderNginxTls,
  renderPactusConfig,
} from "../../components/render";
import { PING_ORIGIN } from "../../components/config";
import { cfg } from "../helpers/config";
import {
  NETNS_SETUP,
  initLocalnetWallet,
  namespaceHolder,
  nginxMainConf,
  pactusBin,
  stopLiveSuite,
} from "../helpers/local";
import { HEALTH_SERIES } from "../helpers/health";
import { nsRun, nsSh } from "../helpers/netns";

const ROOT = path.resolve(__dirname, "..", "..");
const DOMAIN = "node.example.org";
const PERIOD = 2;
const config = cfg({
  domain: DOMAIN,
  cors: { origins: [PING_ORIGIN] },
  health: { refreshSeconds: PERIOD, maxBlockAgeSeconds: 60 },
});
const P = hostPaths(DOMAIN, config.pactus.version);
const UPSTREAMS = Object.values(PORTS).map((a) => a.split(":")[1]);

let tmp: string;
let holder: ChildProcess;
const sh = (script: string, env: Record<string, string> = {}) =>
  nsSh(holder, script, { T: tmp, BIN: pactusBin(), ...env }, tmp);

interface Health {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}
/** GET /healthz over HTTPS from inside the namespace, as a monitor does. */
function healthz(extra: string[] = []): Health {
  const r = nsRun(
    holder,
    [
      "curl",
      "-sS",
      "--max-time",
      "5",
      "--cacert",
      path.join(tmp, "ca.pem"),
      "-D",
      "-",
      "-o",
      path.join(tmp, "healthz.body"),
      ...extra,
      `https://${DOMAIN}/healthz`,
    ],
    { cwd: tmp },
  );
  if (r.status !== 0) throw new Error(`curl /healthz: ${r.stderr}`);
  const lines = r.stdout.trim().split(/\r?\n/);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const text = fs.readFileSync(path.join(tmp, "healthz.body"), "utf8");
  return { status: Number(lines[0].split(" ")[1]), headers, body: JSON.parse(text) };
}

/** The last lines of the refresher's and the daemon's logs, for an error message. */
function logTails(): string {
  return sh(`tail -n 15 "$T/refresher.log" "$T/daemon.log" 2>&1 || true`);
}

/**
 * Polls /healthz every 0.2 s until `want` holds (bounded); the answer, the seconds it took, and the
 * newest refresh time (the body's `time`, whole seconds) among the answers that did not hold yet.
 */
async function until(want: (h: Health) => boolean, seconds: number, t0 = Date.now()) {
  let last: Health | undefined;
  let lastUnwanted = 0;
  while (Date.now() - t0 < seconds * 1000) {
    last = healthz();
    if (want(last)) return { h: last, seconds: (Date.now() - t0) / 1000, lastUnwanted };
    lastUnwanted = Math.max(lastUnwanted, Number(last.body.time ?? 0));
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `/healthz not as wanted after ${seconds} s: ${JSON.stringify(last)}\n${logTails()}`,
  );
}

/** Packets with a payload that nginx's workers sent to the daemon's ports (iptables counters). */
function nginxToNode(): number {
  const table = sh("iptables -L OUTPUT -v -n -x");
  return UPSTREAMS.reduce((sum, port) => {
    const line = table.split("\n").find((l) => l.includes(`dpt:${port} owner UID match`));
    if (!line) throw new Error(`no counter for port ${port}:\n${table}`);
    return sum + Number(line.trim().split(/\s+/)[0]);
  }, 0);
}

function daemonRunning(): boolean {
  try {
    process.kill(Number(fs.readFileSync(path.join(tmp, "daemon.pid"), "utf8")), 0);
    return true;
  } catch {
    return false;
  }
}
function startDaemon() {
  sh(`"$BIN/pactus-daemon" start -w "$T/wd" --password-from-file "$T/pw" </dev/null >>"$T/daemon.log" 2>&1 &
echo $! >"$T/daemon.pid"`);
}
function stopDaemon() {
  const pid = Number(fs.readFileSync(path.join(tmp, "daemon.pid"), "utf8"));
  process.kill(pid, "SIGTERM");
  // Bounded; a busy machine (every suite at once) can take several seconds to shut it down.
  for (let i = 0; i < 600; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    spawnSync("sleep", ["0.1"]);
  }
  throw new Error(`daemon ${pid} did not stop in 60 s\n${logTails()}`);
}

/** A leaf certificate for DOMAIN from the test CA, valid `days` days, at `out`. */
function leaf(days: number, out: string) {
  const ossl = (...args: string[]) =>
    execFileSync("openssl", args, { cwd: tmp, stdio: ["ignore", "ignore", "pipe"] });
  ossl(
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    String(days),
    "-extfile",
    "leaf.ext",
    "-out",
    out,
  );
}

beforeAll(async () => {
  for (const tool of ["nginx", "openssl", "unshare", "nsenter", "curl", "iptables", "ab"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool} || test -x /usr/sbin/${tool}`]).status !== 0)
      throw new Error(`${tool} is not installed (npm test installs it: tools/setup.sh test)`);
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-health-"));
  fs.chmodSync(tmp, 0o755); // nginx's workers (nobody) traverse it to their temp dirs
  initLocalnetWallet(tmp);
  fs.writeFileSync(path.join(tmp, "wd", "config.toml"), renderPactusConfig(config));

  const ossl = (...args: string[]) =>
    execFileSync("openssl", args, { cwd: tmp, stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  ossl(
    "req",
    "-x509",
    ...ec,
    "-days",
    "400",
    "-subj",
    "/CN=psn test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
  );
  ossl("req", ...ec, "-subj", `/CN=${DOMAIN}`, "-keyout", "privkey.pem", "-out", "leaf.csr");
  fs.writeFileSync(
    path.join(tmp, "leaf.ext"),
    `subjectAltName=DNS:${DOMAIN}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`,
  );
  leaf(90, "cert.pem"); // like Let's Encrypt's
  leaf(5, "short.pem"); // less than HEALTH_CERT_MIN_DAYS left

  const ng = path.join(tmp, "nginx");
  fs.mkdirSync(path.join(ng, "sites"), { recursive: true });
  fs.writeFileSync(path.join(ng, "sites", "pactus.conf"), renderNginxTls(config));
  fs.writeFileSync(path.join(ng, "sites", "pactus-http.conf"), renderNginxHttp(config));
  fs.writeFileSync(path.join(ng, "nginx.conf"), nginxMainConf(ng, { extra: "daemon off;" }));
  fs.writeFileSync(
    path.join(tmp, "hosts"),
    `127.0.0.1 localhost\n::1 localhost\n127.0.0.1 ${DOMAIN}\n::1 ${DOMAIN}\n`,
  );
  // The refresher's settings as the health step renders them; only the release's pactus-shell (the
  // toolchain's here) and the textfile (the node exporter's dir is not on this machine) move.
  const env = renderHealthEnv(config)
    .replace(/^PSN_SHELL=.*$/m, `PSN_SHELL=${pactusBin()}/pactus-shell`)
    .replace(/^PSN_PROM_FILE=.*$/m, `PSN_PROM_FILE=${tmp}/textfile/pactus.prom`);
  fs.writeFileSync(path.join(tmp, "health.env"), env);

  holder = await namespaceHolder();
  sh(`set -euo pipefail
${NETNS_SETUP}
mkdir -p /etc/letsencrypt /var/log/nginx
mount -t tmpfs psn-test /etc/letsencrypt
mount -t tmpfs psn-test /var/log/nginx
# /run: the refresher's output dir (${P.healthDir}) and the reboot flag (/var/run is /run).
mount -t tmpfs psn-test /run
mkdir -p "${P.certDir}"
cp "$T/cert.pem" "${P.certDir}/cert.pem"
cat "$T/cert.pem" "$T/ca.pem" >"${P.certDir}/fullchain.pem"
cp "$T/privkey.pem" "${P.certDir}/"
mount --bind "$T/hosts" /etc/hosts
# The status page, where the nginx-tls step puts it.
mkdir -p /var/www
mount -t tmpfs psn-test /var/www
mkdir -p "${P.statusRoot}"
cp "${ROOT}/nginx/status/"* "${P.statusRoot}/"
nginx -c "$T/nginx/nginx.conf" </dev/null >"$T/nginx/out.log" 2>&1 &
echo $! >"$T/nginx.pid"`);
  startDaemon();
  // nginx up, and the node's block 1 (so its last block is recent).
  sh(`for _ in $(seq 1 120); do
  if curl -s -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"pactus.blockchain.get_blockchain_info","params":{}}' http://${PORTS.jsonrpc}/ | grep -q '"last_block_height":[1-9]' &&
    curl -s -o /dev/null --cacert "$T/ca.pem" https://${DOMAIN}/; then exit 0; fi
  sleep 0.5
done
echo "no block 1, or no nginx: $(tail -n 5 "$T/daemon.log" "$T/nginx/error.log")"; exit 1`);
  const nginxUid = sh(`ps -o uid= --ppid "$(cat "$T/nginx.pid")" | head -n 1`).trim();
  expect(nginxUid).toMatch(/^\d+$/);
  for (const port of UPSTREAMS)
    sh(
      `iptables -A OUTPUT -o lo -p tcp --dport ${port} -m owner --uid-owner ${nginxUid} -m length --length 53:65535`,
    );
}, 420_000);

afterAll(() => stopLiveSuite(tmp, holder, ["refresher.pid", "daemon.pid", "nginx.pid"]));

describe("/healthz and pactus.prom from the real refresher, the real daemon and the rendered nginx", () => {
  test("without the refresher's file: 503 with a short JSON (the refresher is not running)", () => {
    const h = healthz();
    expect(h.status).toBe(503);
    expect(h.body).toEqual({
      healthy: false,
      problems: ["no health data: the health refresher (pactus-health.service) is not running"],
    });
    expect(h.headers["cache-control"]).toBe("no-store");
    expect(h.headers["content-type"]).toBe("application/json");
  });

  test("the refresher in its loop: 200 with the node's state in words a monitor reads", async () => {
    // systemd's notify socket, played by a datagram socket that records what it gets (bounded: 3
    // messages or 30 s): the unit is Type=notify with a watchdog.
    sh(`python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(30)
with open(sys.argv[2], "w") as out:
    for _ in range(3):
        out.write(repr(s.recv(256).decode()) + "\\n"); out.flush()
' "$T/notify.sock" "$T/notify.log" </dev/null >/dev/null 2>&1 &
for _ in $(seq 1 50); do [ -S "$T/notify.sock" ] && break; sleep 0.1; done`);
    // As the unit runs it: its EnvironmentFile's variables, the script itself, a loop.
    sh(`set -a; . "$T/health.env"; set +a
NOTIFY_SOCKET="$T/notify.sock" python3 "${ROOT}/remote/pactus-health.py" </dev/null >>"$T/refresher.log" 2>&1 &
echo $! >"$T/refresher.pid"`);
    const { h, seconds } = await until((x) => x.status === 200, 30);
    console.log(`health: first 200 ${seconds.toFixed(1)} s after the refresher started`);
    const b = h.body;
    expect(b).toMatchObject({
      healthy: true,
      problems: [],
      up: true,
      blocksLeft: 0,
      version: "1.16.0",
      network: expect.stringMatching(/localnet/),
      rebootRequired: false,
      refreshSeconds: PERIOD,
      maxBlockAgeSeconds: 60,
    });
    expect(b.height).toBeGreaterThanOrEqual(1);
    expect(b.lastBlockAgeSeconds).toBeLessThanOrEqual(60);
    expect(b.peers).toBe(0); // a lone localnet node
    expect(typeof b.clockOffsetSeconds).toBe("number");
    expect(b.certificateDaysLeft).toBe(89);
    expect(Math.abs(Number(b.time) - Date.now() / 1000)).toBeLessThan(PERIOD + 2);
    // Nothing private: no peer id, moniker, addresses or agent string.
    expect(Object.keys(b).sort()).toEqual(
      [
        "blocksLeft",
        "certificateDaysLeft",
        "certificateExpirySeconds",
        "certificateNotAfter",
        "clockOffsetSeconds",
        "healthy",
        "height",
        "lastBlockAgeSeconds",
        "lastBlockTime",
        "maxBlockAgeSeconds",
        "network",
        "peers",
        "problems",
        "rebootRequired",
        "refreshSeconds",
        "time",
        "up",
        "version",
      ].sort(),
    );
    expect(h.headers["cache-control"]).toBe("no-store");
    // Readable from a listed origin (the status page is same-origin; ping-style pages are not).
    const cors = healthz(["-H", `Origin: ${PING_ORIGIN}`]);
    expect(cors.headers["access-control-allow-origin"]).toBe(PING_ORIGIN);
    expect(healthz(["-H", "Origin: https://evil.example"]).headers).not.toHaveProperty(
      "access-control-allow-origin",
    );
    // GET (and HEAD) only.
    const post = nsRun(holder, [
      "curl",
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "--cacert",
      path.join(tmp, "ca.pem"),
      "-X",
      "POST",
      "-d",
      "{}",
      `https://${DOMAIN}/healthz`,
    ]);
    expect(post.stdout).toBe("403");
    // READY and WATCHDOG after each published refresh, every period.
    await new Promise((r) => setTimeout(r, (2 * PERIOD + 1) * 1000));
    expect(fs.readFileSync(path.join(tmp, "notify.log"), "utf8")).toBe(
      "'READY=1\\nWATCHDOG=1'\n".repeat(3),
    );
  });

  test("pactus.prom: exactly the documented series, gauges, promtool-clean, agreeing with /healthz", () => {
    const text = fs.readFileSync(path.join(tmp, "textfile", "pactus.prom"), "utf8");
    const samples = text.split("\n").filter((l) => l && !l.startsWith("#"));
    expect(samples.map((l) => l.split(/[ {]/)[0])).toEqual(HEALTH_SERIES);
    for (const name of HEALTH_SERIES) expect(text).toContain(`# TYPE ${name} gauge\n`);
    const value = (name: string) =>
      Number(samples.find((l) => l.startsWith(`${name} `))!.split(" ")[1]);
    expect(value("pactus_health_up")).toBe(1);
    expect(value("pactus_health_healthy")).toBe(1);
    expect(value("pactus_health_reboot_required")).toBe(0);
    expect(value("pactus_health_height")).toBeGreaterThanOrEqual(1);
    expect(value("pactus_health_cert_expiry_seconds")).toBeGreaterThan(89 * 86400);
    expect(samples).toContainEqual(
      expect.stringMatching(/^pactus_health_info\{version="1\.16\.0",network="[a-z-]+"\} 1$/),
    );
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect({ status: check.status, out: `${check.stdout}${check.stderr}`.trim() }).toEqual({
      status: 0,
      out: "",
    });
    // Written atomically (temporary dot files renamed): nothing else is left in the directory.
    expect(fs.readdirSync(path.join(tmp, "textfile"))).toEqual(["pactus.prom"]);
  });

  test("a burst of 2000 /healthz requests never reaches the node", () => {
    // Positive control: a JSON-RPC call through nginx does move the counter.
    const c0 = nginxToNode();
    sh(
      `curl -sf --cacert "$T/ca.pem" -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"pactus.blockchain.get_blockchain_info","params":{}}' https://${DOMAIN}/jsonrpc >/dev/null`,
    );
    const c1 = nginxToNode();
    expect(c1).toBeGreaterThan(c0);
    const t0 = Date.now();
    const out = sh(`ab -q -n 2000 -c 20 -k "https://${DOMAIN}/healthz" 2>&1`);
    const seconds = (Date.now() - t0) / 1000;
    expect(out).toMatch(/Complete requests:\s+2000\n/);
    expect(out).toMatch(/Failed requests:\s+0\n/);
    expect(out).not.toMatch(/Non-2xx responses/);
    expect(nginxToNode()).toBe(c1);
    const rps = /Requests per second:\s+([\d.]+)/.exec(out)![1];
    console.log(
      `health: 2000 /healthz requests in ${seconds.toFixed(1)} s (${rps} req/s, 20 at a time), 0 packets to the node`,
    );
  });

  // "Within two refresh periods" is a claim about the refresher's cadence, so it is checked on the
  // refresher's own clock (each answer's `time`, when its refresh started): no refresh that started
  // after the change may still say healthy. The wall time is printed; on a machine running every suite
  // at once a refresh itself can take seconds, which says nothing about the cadence.
  test("the daemon stopped: 503 from the first refresh after it exited, saying why; restarted: 200 again", async () => {
    // SIGTERM, then the daemon shuts down (its gRPC server stops) and exits: "stopped" is its exit.
    const term = Date.now();
    try {
      stopDaemon();
      const exited = Date.now();
      const down = await until((x) => x.status === 503, 30, exited);
      console.log(
        `health: 503 ${down.seconds.toFixed(1)} s after the daemon exited (${((exited - term) / 1000).toFixed(1)} s after SIGTERM)`,
      );
      expect(down.lastUnwanted).toBeLessThanOrEqual(Math.ceil(exited / 1000));
      expect(Number(down.h.body.time)).toBeLessThanOrEqual(Math.ceil(exited / 1000) + 2 * PERIOD);
      expect(down.h.body).toMatchObject({
        healthy: false,
        up: false,
        problems: ["the node does not answer gRPC on loopback"],
      });
      expect(down.h.headers["cache-control"]).toBe("no-store");
      const prom = fs.readFileSync(path.join(tmp, "textfile", "pactus.prom"), "utf8");
      expect(prom).toMatch(/^pactus_health_up 0$/m);
      expect(prom).toMatch(/^pactus_health_healthy 0$/m);
      expect(prom).not.toMatch(/^pactus_health_height /m); // unknown, so absent
    } finally {
      // Whatever was seen, the next case starts from a node that answers again.
      if (!daemonRunning()) startDaemon();
    }
    const up = await until((x) => x.status === 200, 180);
    console.log(`health: 200 again ${up.seconds.toFixed(1)} s after the daemon was restarted`);
    expect(up.h.body).toMatchObject({ healthy: true, up: true });
  });

  test("a frozen daemon (SIGSTOP: the port accepts, the call times out) is the same problem: does not answer", async () => {
    const pid = Number(fs.readFileSync(path.join(tmp, "daemon.pid"), "utf8"));
    process.kill(pid, "SIGSTOP");
    try {
      // pactus-shell dials with a 5 s deadline, so the first refresh after the freeze takes that long.
      const down = await until((x) => x.status === 503, 3 * PERIOD + 30);
      console.log(`health: 503 ${down.seconds.toFixed(1)} s after the daemon was frozen`);
      expect(down.h.body).toMatchObject({
        healthy: false,
        up: false,
        problems: ["the node does not answer gRPC on loopback"],
      });
    } finally {
      process.kill(pid, "SIGCONT");
      const up = await until((x) => x.status === 200, 180);
      expect(up.h.body).toMatchObject({ healthy: true, up: true });
    }
  });

  test(`a certificate with fewer than ${HEALTH_CERT_MIN_DAYS} days left: 503; the reboot flag is reported, not judged`, async () => {
    const changed = Date.now();
    sh(`cp "$T/short.pem" "${P.certDir}/cert.pem"; touch /run/reboot-required`);
    try {
      const bad = await until((x) => x.status === 503, 30, changed);
      expect(bad.lastUnwanted).toBeLessThanOrEqual(Math.ceil(changed / 1000));
      expect(bad.h.body).toMatchObject({
        healthy: false,
        up: true,
        certificateDaysLeft: 4,
        rebootRequired: true,
        problems: [`the TLS certificate expires in 4 days (less than ${HEALTH_CERT_MIN_DAYS})`],
      });
    } finally {
      sh(`cp "$T/cert.pem" "${P.certDir}/cert.pem"`);
    }
    const good = await until((x) => x.status === 200, 30);
    expect(good.h.body).toMatchObject({ healthy: true, rebootRequired: true });
    expect(fs.readFileSync(path.join(tmp, "textfile", "pactus.prom"), "utf8")).toMatch(
      /^pactus_health_reboot_required 1$/m,
    );
    sh("rm -f /run/reboot-required");
  });

  test("the status page in headless Chromium: the health in words, green; red while /healthz says 503", async () => {
    if (!fs.existsSync(process.env.PSN_CHROMIUM ?? "/usr/bin/chromium"))
      throw new Error("chromium is not installed (npm test installs it: tools/setup.sh test)");
    // In the suite's own directory, so a failed case leaves nothing behind (PSN_KEEP=1 keeps it all).
    const shots = fs.mkdtempSync(path.join(tmp, "shots-"));
    const look = (name: string) => {
      const r = nsRun(
        holder,
        [
          process.execPath,
          path.join(ROOT, "test", "browser", "status-shot.mjs"),
          DOMAIN,
          "127.0.0.1",
          path.join(shots, name),
        ],
        { env: { ...process.env, PSN_TRUSTED_CAS: path.join(tmp, "ca.pem") }, timeout: 90_000 },
      );
      if (r.status !== 0) throw new Error(`status-shot.mjs: ${r.stderr}`);
      return JSON.parse(r.stdout) as {
        health: {
          state: string;
          summary: string;
          lines: Record<string, string>;
          background: string;
        };
        rows: Record<string, string>;
      };
    };
    // After the previous test's reboot flag is gone (a refresh later).
    await until((x) => x.status === 200 && x.body.rebootRequired === false, 30);
    const good = look("healthy.png");
    expect(good.health).toMatchObject({ state: "ok", summary: "healthy" });
    expect(good.health.lines).toEqual({
      sync: expect.stringMatching(/^synced, height \d+, last block \d+ s ago$/),
      peers: "0 peers",
      version: expect.stringMatching(/^Pactus 1\.16\.0 \([a-z-]+\), clock offset -?[\d.e-]+ s$/),
      cert: "certificate expires in 89 days",
    });
    expect(good.health.background).toBe("rgb(233, 246, 238)");
    expect(good.rows).toEqual({ grpcWeb: "ok", jsonrpc: "ok", http: "ok" });

    sh(`cp "$T/short.pem" "${P.certDir}/cert.pem"`);
    try {
      await until((x) => x.status === 503, 30);
      const bad = look("unhealthy.png");
      expect(bad.health).toMatchObject({
        state: "fail",
        summary: `unhealthy (HTTP 503): the TLS certificate expires in 4 days (less than ${HEALTH_CERT_MIN_DAYS})`,
        background: "rgb(253, 232, 234)",
      });
      expect(bad.health.lines.cert).toBe("certificate expires in 4 days");
      // The APIs themselves still answer: only the health is red.
      expect(bad.rows).toEqual({ grpcWeb: "ok", jsonrpc: "ok", http: "ok" });
    } finally {
      sh(`cp "$T/cert.pem" "${P.certDir}/cert.pem"`);
      if (process.env.PSN_KEEP) console.log(`health: status page screenshots in ${shots}`);
    }
  }, 240_000);
});
