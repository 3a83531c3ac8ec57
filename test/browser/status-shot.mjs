// Opens a node's status page (https://<name>/) in headless Chromium, waits until its checks and its
// /healthz section are done, prints what a person sees (health state, summary, lines; the check rows)
// as JSON, and saves a screenshot. Certificates are checked for real: Chromium gets its own NSS database
// that trusts only the CAs in PSN_TRUSTED_CAS (PEM files, ':'-separated), as drive.mjs does.
// usage: node status-shot.mjs <node-name> <node-ip> <screenshot.png>
/* global document, getComputedStyle -- evaluated in the page, not in Node */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";

const [nodeName, nodeIp, shot] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), "psn-chromium-"));
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
    `--host-resolver-rules=MAP ${nodeName} ${nodeIp}`,
  ],
});
let out;
try {
  const tab = await browser.newPage();
  await tab.setViewport({ width: 1000, height: 700 });
  await tab.goto(`https://${nodeName}/`, { waitUntil: "load" });
  await tab.waitForSelector("body[data-done]", { timeout: 30_000 });
  out = await tab.evaluate(() => ({
    health: {
      state: document.getElementById("health").dataset.state,
      summary: document.getElementById("health-summary").textContent,
      lines: Object.fromEntries(
        [...document.querySelectorAll("#health li")]
          .filter((li) => !li.hidden)
          .map((li) => [li.id.replace("health-", ""), li.textContent]),
      ),
      background: getComputedStyle(document.getElementById("health")).backgroundColor,
    },
    rows: Object.fromEntries(
      [...document.querySelectorAll("tbody tr")].map((r) => [r.id, r.dataset.state]),
    ),
  }));
  await tab.screenshot({ path: shot });
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out) + "\n");
