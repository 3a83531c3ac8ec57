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

function healthy(url: string, body?: string): Answer {
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
});
