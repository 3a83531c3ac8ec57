/**
 * Google's grpc-web client (what ping.pactus.org uses) and fetch in headless Chromium, on a page from
 * another origin, against the proxy `pulumi up` deployed in the sandbox.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  ADDR,
  DOMAIN,
  ROOT,
  onHost,
  sandboxDone,
  sandboxUp,
  SANDBOX_DIR,
  readOutputs,
} from "../helpers/sandbox";

const MIN = 60_000;
type Result = { ok: boolean; value?: any; code?: number; message?: string };
let results: Record<string, Record<string, Result>> = {};
let direct = "";
const SHOT = path.join(SANDBOX_DIR, "status-page.png");

beforeAll(() => {
  if (!fs.existsSync(process.env.PSN_CHROMIUM ?? "/usr/bin/chromium"))
    throw new Error("chromium is not installed (npm test installs it: tools/setup.sh test)");
  sandboxUp();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-browser-"));
  try {
    execFileSync(
      path.join(ROOT, "node_modules", ".bin", "esbuild"),
      [
        path.join(__dirname, "..", "browser", "page.ts"),
        "--bundle",
        "--format=iife",
        `--outfile=${tmp}/page.js`,
      ],
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
        path.join(__dirname, "..", "browser", "drive.mjs"),
        `${tmp}/page.js`,
        `${tmp}/cert.pem`,
        `${tmp}/key.pem`,
        DOMAIN,
        ADDR,
        "1",
        "ping.pactus.org",
        "evil.example.org",
      ],
      {
        encoding: "utf8",
        timeout: 2 * MIN,
        env: {
          ...process.env,
          PSN_STATUS_SHOT: SHOT,
          PSN_TRUSTED_CAS: `${tmp}/ca.pem:${acmeRoot}`,
        },
      },
    );
    results = JSON.parse(out);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  direct = onHost(
    "curl -s 'http://127.0.0.1:8080/http/api/pactus/blockchain/get_block_hash?height=1'",
  );
}, 20 * MIN);
afterAll(sandboxDone, 5 * MIN);

describe("the ping.pactus.org checks in a real browser", () => {
  test("from https://ping.pactus.org (listed): gRPC-Web, JSON-RPC and HTTP agree with the daemon", () => {
    const r = results["https://ping.pactus.org"];
    const hash = JSON.parse(direct).hash;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.grpcWebHash).toEqual({ ok: true, value: { hash } });
    expect(r.jsonrpc).toMatchObject({ ok: true, value: { result: { hash } } });
    // The page's own JSON-RPC call, both port forms: the URL is the one its client builds.
    expect(r.jsonrpcPageNoPort).toEqual({
      ok: true,
      value: { hash },
      url: `https://${DOMAIN}/jsonrpc:`,
    });
    expect(r.jsonrpcPage443).toEqual({
      ok: true,
      value: { hash },
      url: `https://${DOMAIN}/jsonrpc:443`,
    });
    expect(r.http).toEqual({ ok: true, value: { hash } });
    expect(r.grpcWebInfo.ok).toBe(true);
    expect(r.grpcWebInfo.value.lastBlockHeight).toBeGreaterThanOrEqual(1);
  });

  test("a gRPC error reaches the browser client with its real code (NOT_FOUND), not 'Incomplete response'", () => {
    expect(results["https://ping.pactus.org"].grpcWebMissing).toMatchObject({ ok: false, code: 5 });
  });

  test("from an unlisted origin the browser refuses every answer", () => {
    const r = results["https://evil.example.org"];
    expect(r.jsonrpc).toMatchObject({
      ok: false,
      message: expect.stringMatching(/Failed to fetch/),
    });
    expect(r.http).toMatchObject({ ok: false, message: expect.stringMatching(/Failed to fetch/) });
    expect(r.jsonrpcPageNoPort).toMatchObject({
      ok: false,
      message: expect.stringMatching(/Failed to fetch/),
    });
    expect(r.grpcWebHash.ok).toBe(false);
    expect(r.grpcWebHash.code).not.toBe(0);
  });

  test("the status page at https://<domain>/ runs the three checks live and shows results, latency, height", () => {
    const status = (results as any).status;
    const hash = JSON.parse(direct).hash;
    for (const id of ["grpcWeb", "jsonrpc", "http"]) {
      expect(status.rows[id]).toMatchObject({ state: "ok", result: hash });
      expect(status.rows[id].latency).toMatch(/^\d+ ms$/);
    }
    expect(status.height.state).toBe("ok");
    expect(Number(status.height.text)).toBeGreaterThanOrEqual(1);
    // The screenshot is kept for people; the test reads element states, not pixels.
    expect(fs.readFileSync(SHOT).subarray(1, 4).toString()).toBe("PNG");
  });
});
