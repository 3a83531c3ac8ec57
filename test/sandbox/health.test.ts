/**
 * /healthz and the node exporter's textfile on a host `pulumi up` deployed (the sandbox): read from
 * outside over HTTPS as a monitor does (pebble's root trusted), the refresher as a systemd service:
 * - healthy: 200, the node's figures, the certificate's days (pebble's 90-day certificates);
 * - pactus.prom in the node exporter's textfile dir, with exactly the documented series;
 * - `systemctl stop pactus`: 503 within two refresh periods; started again: 200;
 * - the refresher killed: systemd restarts it; stopped: its directory is gone and nginx answers 503 "no
 *   health data"; started: 200;
 * - the refresher frozen (SIGSTOP): systemd's watchdog kills and restarts it, fresh figures again.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { HEALTH_PROM_FILE, HEALTH_UNIT } from "../../components/render";
import { HEALTH_SERIES } from "../helpers/health";
import { ADDR, DOMAIN, engineEnv, onHost, sandboxDone, sandboxUp } from "../helpers/sandbox";

const MIN = 60_000;
/** health.refreshSeconds of the sandbox stack (the default). */
const PERIOD = 10;

interface Health {
  status: number;
  body: Record<string, unknown>;
  headers: string;
}
function healthz(): Health {
  // pebble's root (deploy.sh check trusts the same), under SANDBOX_DIR for any host.
  const ca = path.join(engineEnv().SANDBOX_DIR, "pebble", "root.pem");
  const out = execFileSync(
    "curl",
    [
      "-sS",
      "--max-time",
      "5",
      "--cacert",
      ca,
      "--resolve",
      `${DOMAIN}:443:${ADDR}`,
      "-D",
      "-",
      `https://${DOMAIN}/healthz`,
    ],
    { encoding: "utf8" },
  );
  const [headers, body] = out.split(/\r?\n\r?\n/);
  return { status: Number(headers.split(" ")[1]), headers, body: JSON.parse(body) };
}
async function until(want: (h: Health) => boolean, seconds: number) {
  const t0 = Date.now();
  let last: Health | undefined;
  while (Date.now() - t0 < seconds * 1000) {
    last = healthz();
    if (want(last)) return { h: last, seconds: (Date.now() - t0) / 1000 };
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`/healthz not as wanted after ${seconds} s: ${JSON.stringify(last)}`);
}

const figures: string[] = [];
beforeAll(sandboxUp, 20 * MIN);
afterAll(() => {
  // Leave the node and the refresher running, whatever failed.
  onHost(`systemctl start pactus.service ${HEALTH_UNIT}`);
  console.log(`health on the sandbox host:\n  ${figures.join("\n  ")}`);
  sandboxDone();
}, 5 * MIN);

describe("/healthz on a deployed host", () => {
  test("healthy: 200 from outside with the node's figures; the refresher is a running unit", async () => {
    const { h } = await until((x) => x.status === 200, 3 * PERIOD);
    expect(h.body).toMatchObject({
      healthy: true,
      problems: [],
      up: true,
      version: "1.16.0",
      rebootRequired: expect.any(Boolean),
      refreshSeconds: PERIOD,
    });
    expect(h.body.height).toBeGreaterThanOrEqual(1);
    expect(h.body.certificateDaysLeft).toBeGreaterThanOrEqual(88);
    expect(h.headers).toMatch(/^cache-control: no-store\r?$/im);
    expect(onHost(`systemctl is-active ${HEALTH_UNIT}`).trim()).toBe("active");
    figures.push(`healthy: ${JSON.stringify(h.body)}`);
  });

  test("pactus.prom in the node exporter's textfile dir: the documented series", () => {
    const text = onHost(`cat ${HEALTH_PROM_FILE}`);
    expect(
      text
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => l.split(/[ {]/)[0]),
    ).toEqual(HEALTH_SERIES);
    expect(text).toMatch(/^pactus_health_up 1$/m);
    expect(text).toMatch(/^pactus_health_info\{version="1\.16\.0",network="[a-z-]+"\} 1$/m);
  });

  test(
    "systemctl stop pactus: 503 within two refresh periods; started again: 200",
    async () => {
      onHost("systemctl stop pactus.service");
      const down = await until((x) => x.status === 503, 3 * PERIOD);
      expect(down.seconds).toBeLessThanOrEqual(2 * PERIOD);
      expect(down.h.body).toMatchObject({ healthy: false, up: false });
      onHost("systemctl start pactus.service");
      const up = await until((x) => x.status === 200, 120);
      figures.push(
        `pactus stopped: 503 after ${down.seconds.toFixed(1)} s; started: 200 after ${up.seconds.toFixed(1)} s`,
      );
    },
    5 * MIN,
  );

  test(
    "the refresher killed: restarted by systemd; stopped: 503 'no health data'; started: 200",
    async () => {
      onHost(`systemctl kill -s KILL ${HEALTH_UNIT}`);
      const back = await until((x) => x.status === 200, 30);
      onHost(`systemctl stop ${HEALTH_UNIT}`);
      const none = healthz();
      expect(none.status).toBe(503);
      expect(none.body).toEqual({
        healthy: false,
        problems: [`no health data: the health refresher (${HEALTH_UNIT}) is not running`],
      });
      onHost(`systemctl start ${HEALTH_UNIT}`);
      const again = await until((x) => x.status === 200, 30);
      figures.push(
        `refresher killed: 200 again after ${back.seconds.toFixed(1)} s; stopped: 503 at once; started: 200 after ${again.seconds.toFixed(1)} s`,
      );
    },
    5 * MIN,
  );

  test(
    "the refresher frozen (SIGSTOP): the watchdog restarts it within WatchdogSec, fresh figures again",
    async () => {
      const pid = onHost(`systemctl show -p MainPID --value ${HEALTH_UNIT}`).trim();
      const restarts = Number(onHost(`systemctl show -p NRestarts --value ${HEALTH_UNIT}`));
      const watchdog = onHost(`systemctl show -p WatchdogUSec --value ${HEALTH_UNIT}`).trim();
      expect(watchdog).toBe("30s");
      const frozen = Date.now();
      onHost(`kill -STOP ${pid}`);
      const fresh = await until(
        (x) => x.status === 200 && Number(x.body.time) * 1000 > frozen + 1000,
        60,
      );
      expect(onHost(`systemctl show -p MainPID --value ${HEALTH_UNIT}`).trim()).not.toBe(pid);
      expect(Number(onHost(`systemctl show -p NRestarts --value ${HEALTH_UNIT}`))).toBe(
        restarts + 1,
      );
      figures.push(
        `refresher frozen: restarted by the watchdog (${watchdog}), fresh 200 after ${fresh.seconds.toFixed(1)} s`,
      );
    },
    5 * MIN,
  );
});
