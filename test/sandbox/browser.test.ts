/**
 * Google's grpc-web client (what ping.pactus.org uses) and fetch in headless Chromium, on a page from
 * another origin, against the proxy `pulumi up` deployed in the sandbox.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ADDR, DOMAIN, onHost, sandboxDone, sandboxUp, SANDBOX_DIR } from "../helpers/sandbox";
import { type BrowserResult, pingPageInChromium } from "../helpers/browser";

const MIN = 60_000;
let results: Record<string, Record<string, BrowserResult>> = {};
let direct = "";
const SHOT = path.join(SANDBOX_DIR, "status-page.png");

beforeAll(() => {
  sandboxUp();
  results = pingPageInChromium(DOMAIN, ADDR, SHOT);
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
