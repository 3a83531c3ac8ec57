/**
 * The ping.pactus.org checks in headless Chromium (test/browser/drive.mjs with test/browser/page.ts
 * bundled by esbuild): the page served from https://ping.pactus.org (a listed origin) and from
 * https://evil.example.org (not listed), both with certificates of a CA made here, against `domain`
 * resolved to `addr`. Chromium trusts that CA and the sandbox ACME root, nothing else. With `shot`,
 * drive.mjs also opens the node's status page and keeps its screenshot there.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readOutputs } from "./sandbox";

const MIN = 60_000;
export type BrowserResult = { ok: boolean; value?: any; code?: number; message?: string };

export function pingPageInChromium(
  domain: string,
  addr: string,
  shot?: string,
): Record<string, Record<string, BrowserResult>> {
  if (!fs.existsSync(process.env.PSN_CHROMIUM ?? "/usr/bin/chromium"))
    throw new Error("chromium is not installed (npm test installs it: tools/setup.sh test)");
  const ROOT = path.resolve(__dirname, "..", "..");
  const browserDir = path.join(__dirname, "..", "browser");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-browser-"));
  try {
    execFileSync(
      path.join(ROOT, "node_modules", ".bin", "esbuild"),
      [path.join(browserDir, "page.ts"), "--bundle", "--format=iife", `--outfile=${tmp}/page.js`],
      { stdio: "pipe" },
    );
    // The page's origins get a certificate from a CA of this test's own; Chromium trusts that CA and
    // the sandbox ACME server's root, nothing else (no certificate errors ignored).
    const ossl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    ossl(
      "req",
      "-x509",
      ...ec,
      "-days",
      "1",
      "-subj",
      "/CN=psn page test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign",
      "-keyout",
      `${tmp}/ca-key.pem`,
      "-out",
      `${tmp}/ca.pem`,
    );
    ossl(
      "req",
      ...ec,
      "-subj",
      "/CN=ping.pactus.org",
      "-keyout",
      `${tmp}/key.pem`,
      "-out",
      `${tmp}/csr.pem`,
    );
    fs.writeFileSync(`${tmp}/ext.cnf`, "subjectAltName=DNS:ping.pactus.org,DNS:evil.example.org\n");
    ossl(
      "x509",
      "-req",
      "-in",
      `${tmp}/csr.pem`,
      "-CA",
      `${tmp}/ca.pem`,
      "-CAkey",
      `${tmp}/ca-key.pem`,
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      `${tmp}/ext.cnf`,
      "-out",
      `${tmp}/cert.pem`,
    );
    const acmeRoot = readOutputs().caCert;
    const out = execFileSync(
      process.execPath,
      [
        path.join(browserDir, "drive.mjs"),
        `${tmp}/page.js`,
        `${tmp}/cert.pem`,
        `${tmp}/key.pem`,
        domain,
        addr,
        "1",
        "ping.pactus.org",
        "evil.example.org",
      ],
      {
        encoding: "utf8",
        timeout: 2 * MIN,
        env: {
          ...process.env,
          ...(shot ? { PSN_STATUS_SHOT: shot } : {}),
          PSN_TRUSTED_CAS: `${tmp}/ca.pem:${acmeRoot}`,
        },
      },
    );
    return JSON.parse(out) as Record<string, Record<string, BrowserResult>>;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
