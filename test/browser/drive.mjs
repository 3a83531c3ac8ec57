// Drives headless Chromium for test/sandbox/browser.test.ts: serves the bundled page over HTTPS on
// 127.0.0.1:443 under the names of the origins to test (so the page's origin is exactly e.g.
// https://ping.pactus.org), maps the node's name to its address, runs window.runChecks in each origin
// and prints one JSON object: { "<origin>": { check: result } }.
// Certificates are checked for real: Chromium gets its own NSS database (certutil) that trusts only the
// CAs in PSN_TRUSTED_CAS (PEM files, ':'-separated), e.g. the sandbox ACME root and the page's test CA.
// usage: node drive.mjs <bundle.js> <cert.pem> <key.pem> <node-name> <node-ip> <height> <origin-name>...
/* global window, document -- evaluated in the page, not in Node */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";

const [bundle, cert, key, nodeName, nodeIp, height, ...origins] = process.argv.slice(2);
const page = `<!doctype html><meta charset="utf-8"><title>checks</title><script src="/page.js"></script>`;
const js = readFileSync(bundle);
const server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
  if (req.url === "/page.js") res.writeHead(200, { "content-type": "text/javascript" }).end(js);
  else res.writeHead(200, { "content-type": "text/html" }).end(page);
});
await new Promise((ok, fail) => server.once("error", fail).listen(443, "127.0.0.1", ok));

const profile = mkdtempSync(join(tmpdir(), "psn-chromium-"));
// Chromium on Linux reads its trust store from $HOME/.pki/nssdb.
const home = join(profile, "home");
const nssdb = join(home, ".pki", "nssdb");
mkdirSync(nssdb, { recursive: true });
execFileSync("certutil", ["-d", `sql:${nssdb}`, "-N", "--empty-password"]);
for (const [i, ca] of (process.env.PSN_TRUSTED_CAS ?? "").split(":").filter(Boolean).entries())
  execFileSync("certutil", [
    "-d",
    `sql:${nssdb}`,
    "-A",
    "-n",
    `psn-ca-${i}`,
    "-t",
    "C,,",
    "-i",
    ca,
  ]);
const rules = [`MAP ${nodeName} ${nodeIp}`, ...origins.map((o) => `MAP ${o} 127.0.0.1`)].join(", ");
const browser = await puppeteer.launch({
  executablePath: process.env.PSN_CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  userDataDir: join(profile, "chromium"),
  env: { ...process.env, HOME: home },
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    `--host-resolver-rules=${rules}`,
  ],
});
const out = {};
try {
  for (const origin of origins) {
    const tab = await browser.newPage();
    await tab.goto(`https://${origin}/`, { waitUntil: "load" });
    out[`https://${origin}`] = await tab.evaluate(
      (n, h) => window.runChecks(n, h),
      `https://${nodeName}`,
      Number(height),
    );
    await tab.close();
  }
  if (process.env.PSN_STATUS_SHOT) {
    // The node's own status page: wait until its checks finished, read their states, keep a screenshot.
    const tab = await browser.newPage();
    await tab.setViewport({ width: 1000, height: 600 });
    await tab.goto(`https://${nodeName}/`, { waitUntil: "load" });
    await tab.waitForSelector("body[data-done]", { timeout: 30_000 });
    out.status = await tab.evaluate(() => ({
      rows: Object.fromEntries(
        [...document.querySelectorAll("tbody tr")].map((r) => [
          r.id,
          {
            state: r.dataset.state,
            result: r.querySelector(".result").textContent,
            latency: r.querySelector(".latency").textContent,
          },
        ]),
      ),
      height: {
        state: document.getElementById("height").dataset.state,
        text: document.getElementById("height").textContent,
      },
      csp: null,
    }));
    await tab.screenshot({ path: process.env.PSN_STATUS_SHOT });
    await tab.close();
  }
} finally {
  await browser.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out) + "\n");
