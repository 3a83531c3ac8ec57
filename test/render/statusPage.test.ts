/**
 * The status page's logic (nginx/status/status.js) against the answers the node gives through nginx:
 * a node with basic auth reads "needs credentials", distinct from a failure and from an API that is off.
 * The answers' shapes are the real daemon's (test/live/basicAuth.test.ts runs the page on captured ones).
 */
import { Answer, runStatusPage } from "../helpers/statusPage";

const HASH = "2ea8e2320a764b8c5cdc6745904365c9ac25efb86a872191a238e63e89878b9a";
const grpcFrame = (hash: string) =>
  new Uint8Array([0, 0, 0, 0, 66, 0x0a, 0x40, ...Buffer.from(hash)]);
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** /healthz of a healthy node, as the refresher writes it (test/live/health.test.ts checks the real one). */
const HEALTHZ = {
  healthy: true,
  problems: [],
  up: true,
  height: 1234,
  lastBlockTime: 0,
  lastBlockAgeSeconds: 8,
  blocksLeft: 0,
  peers: 12,
  clockOffsetSeconds: 0.004,
  version: "1.16.0",
  network: "mainnet",
  certificateNotAfter: "2027-01-01T00:00:00Z",
  certificateExpirySeconds: 61 * 86400,
  certificateDaysLeft: 61,
  rebootRequired: false,
  time: 0,
  refreshSeconds: 10,
  maxBlockAgeSeconds: 120,
};
/** HEALTHZ changed by `over`, with `time` = now (the browser's clock) unless `over` says otherwise. */
const healthz = (status: number, over: Record<string, unknown> = {}): Answer =>
  json(status, { ...HEALTHZ, time: Math.floor(Date.now() / 1000), ...over });

function healthy(url: string, body?: string): Answer {
  if (url === "/healthz") return healthz(200);
  if (url.startsWith("/grpc-web/"))
    return { status: 200, headers: { "content-type": "application/grpc" }, body: grpcFrame(HASH) };
  if (url === "/jsonrpc") {
    return json(
      200,
      JSON.parse(body!).method.endsWith("get_block_hash")
        ? { jsonrpc: "2.0", id: 1, result: { hash: HASH } }
        : { jsonrpc: "2.0", id: 2, result: { last_block_height: 5 } },
    );
  }
  if (url.includes("get_block_hash")) return json(200, { hash: HASH });
  return json(200, { lastBlockHeight: 5 });
}

/** What a node with basic_auth answers a request without credentials (pactus-daemon 1.16 via nginx). */
function unauthenticated(url: string): Answer {
  if (url === "/healthz") return healthz(200);
  // gRPC: a trailers-only answer, the status in the headers.
  if (url.startsWith("/grpc-web/")) {
    return {
      status: 200,
      headers: {
        "content-type": "application/grpc",
        "grpc-status": "16",
        "grpc-message": "failed to extract basic auth from header",
      },
    };
  }
  // JSON-RPC: HTTP 200, the gRPC error wrapped in a JSON-RPC error.
  if (url === "/jsonrpc") {
    return json(200, {
      jsonrpc: "2.0",
      id: 1,
      error: {
        code: -32098,
        message:
          "rpc error: code = Unauthenticated desc = failed to extract basic auth from header",
      },
    });
  }
  // HTTP API (grpc-gateway): 401.
  return json(
    401,
    { code: 16, message: "failed to extract basic auth from header", details: [] },
    { "www-authenticate": "failed to extract basic auth from header" },
  );
}

describe("status page", () => {
  test("a healthy node: three block hashes, latency, height", async () => {
    const v = await runStatusPage(healthy);
    for (const r of Object.values(v.rows)) {
      expect(r).toMatchObject({ state: "ok", result: HASH });
      expect(r.latency).toMatch(/^\d+ ms$/);
    }
    expect(v.height).toEqual({ state: "ok", text: "5" });
    // The page has no credentials to send.
    for (const r of v.requests)
      expect(Object.keys(r.headers).map((h) => h.toLowerCase())).not.toContain("authorization");
  });

  test("a node with basic auth: every endpoint and the height read 'needs credentials', not a failure", async () => {
    const v = await runStatusPage(unauthenticated);
    for (const r of Object.values(v.rows))
      expect(r).toMatchObject({
        state: "auth",
        result: "needs credentials (the node requires basic auth)",
      });
    expect(v.height).toEqual({
      state: "auth",
      text: "needs credentials (the node requires basic auth)",
    });
  });

  test("other errors stay failures, with their own message", async () => {
    const v = await runStatusPage((url) => {
      if (url.startsWith("/grpc-web/"))
        return { status: 200, headers: { "grpc-status": "14", "grpc-message": "unavailable" } };
      if (url === "/jsonrpc")
        return json(200, {
          jsonrpc: "2.0",
          id: 1,
          error: { code: -32603, message: "rpc error: code = NotFound desc = block not found" },
        });
      return json(502, {
        code: 14,
        message: "the Pactus node behind this proxy is not answering, retry later",
      });
    });
    expect(v.rows.grpcWeb).toMatchObject({ state: "fail", result: "unavailable" });
    expect(v.rows.jsonrpc).toMatchObject({
      state: "fail",
      result: "rpc error: code = NotFound desc = block not found",
    });
    expect(v.rows.http).toMatchObject({ state: "fail", result: "HTTP 502" });
    expect(v.height.state).toBe("fail");
  });

  test("an API switched off (404) reads 'not enabled'", async () => {
    const v = await runStatusPage((url, body) =>
      url.startsWith("/grpc-web/") ? { status: 404, body: "" } : healthy(url, body),
    );
    expect(v.rows.grpcWeb).toMatchObject({ state: "off", result: "not enabled" });
    expect(v.rows.jsonrpc.state).toBe("ok");
  });

  describe("health from /healthz, in words", () => {
    const withHealth = (a: Answer) => (url: string, body?: string) =>
      url === "/healthz" ? a : healthy(url, body);

    test("healthy: synced, height, last block age, peers, version, certificate days", async () => {
      const v = await runStatusPage(healthy);
      expect(v.health).toEqual({
        state: "ok",
        summary: "healthy",
        lines: {
          sync: "synced, height 1234, last block 8 s ago",
          peers: "12 peers",
          version: "Pactus 1.16.0 (mainnet), clock offset 0.004 s",
          cert: "certificate expires in 61 days",
        },
      });
      expect(v.requests.find((r) => r.url === "/healthz")).toMatchObject({ method: "GET" });
    });

    test("503, behind: red, the problems and how far behind", async () => {
      const problem = "last block 900 s ago (more than 120 s): not synced or stalled";
      const v = await runStatusPage(
        withHealth(
          healthz(503, {
            healthy: false,
            problems: [problem],
            lastBlockAgeSeconds: 900,
            blocksLeft: 90,
            peers: 1,
            rebootRequired: true,
          }),
        ),
      );
      expect(v.health.state).toBe("fail");
      expect(v.health.summary).toBe(`unhealthy (HTTP 503): ${problem}`);
      expect(v.health.lines).toMatchObject({
        sync: "90 blocks behind, height 1234, last block 15 min ago",
        peers: "1 peer",
        reboot: "the host needs a reboot (security updates)",
      });
    });

    test("503 with the node down, or without data: red, saying so", async () => {
      const down = await runStatusPage(
        withHealth(
          json(503, {
            healthy: false,
            up: false,
            problems: ["the node does not answer gRPC on loopback"],
            certificateDaysLeft: 61,
            rebootRequired: false,
            time: Math.floor(Date.now() / 1000),
            refreshSeconds: 10,
          }),
        ),
      );
      expect(down.health).toEqual({
        state: "fail",
        summary: "unhealthy (HTTP 503): the node does not answer gRPC on loopback",
        lines: { sync: "the node is not answering", cert: "certificate expires in 61 days" },
      });
      const none = await runStatusPage(
        withHealth(
          json(503, {
            healthy: false,
            problems: [
              "no health data: the health refresher (pactus-health.service) is not running",
            ],
          }),
        ),
      );
      expect(none.health.state).toBe("fail");
      expect(none.health.summary).toMatch(/no health data/);
    });

    test("figures older than three refreshes read stale, even with a 200", async () => {
      const v = await runStatusPage(
        withHealth(healthz(200, { time: Math.floor(Date.now() / 1000) - 300 })),
      );
      expect(v.health.state).toBe("stale");
      expect(v.health.summary).toBe("stale: figures from 5 min ago");
    });
  });
});
