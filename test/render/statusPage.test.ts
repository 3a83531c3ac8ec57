/**
 * The status page's logic (nginx/status/status.js) against the answers the node gives through nginx:
 * a node with basic auth reads "needs credentials", distinct from a failure and from an API that is off.
 * The answers' shapes are the real daemon's (test/live/basicAuth.test.ts runs the page on captured ones).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fleetNodeConfigs, parseConfig } from "../../components/config";
import { renderStatusFiles } from "../../components/render";
import { cfg, fleetRaw } from "../helpers/config";
import { Answer, NoAnswer, runStatusPage } from "../helpers/statusPage";

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

  describe("a fleet: every member and the shared name, each one's health from its own /healthz", () => {
    // The page of node 2 of three behind rpc.example.org, as the stack renders it for that node.
    const files = renderStatusFiles(fleetNodeConfigs(parseConfig(fleetRaw(3)).config)[1]);
    const members = (over: Record<string, Answer | NoAnswer>) => (url: string, body?: string) =>
      url.startsWith("https://") ? (over[url] ?? "refused") : healthy(url, body);
    const BEHIND = "last block 900 s ago (more than 120 s): not synced or stalled";

    test("lists the three members and the shared name, marks this node, healthy/unhealthy/not answering", async () => {
      const v = await runStatusPage(
        members({
          "https://node.example.org/healthz": healthz(200),
          "https://node-2.example.org/healthz": healthz(503, {
            healthy: false,
            problems: [BEHIND],
            lastBlockAgeSeconds: 900,
            blocksLeft: 90,
          }),
          // node-3.example.org: refused (no answer at all).
          "https://rpc.example.org/healthz": healthz(200),
        }),
        { files },
      );
      expect(v.fleet).toEqual({
        state: "degraded",
        summary: "1 of 3 nodes healthy",
        members: [
          {
            name: "node.example.org",
            role: "",
            state: "ok",
            health: "healthy; synced, height 1234, last block 8 s ago",
          },
          {
            name: "node-2.example.org",
            role: "this node, serving this page",
            state: "fail",
            health: `unhealthy (HTTP 503): ${BEHIND}; 90 blocks behind, height 1234, last block 15 min ago`,
          },
          { name: "node-3.example.org", role: "", state: "down", health: "not answering" },
          {
            name: "rpc.example.org",
            role: "shared name",
            state: "ok",
            health: "healthy; synced, height 1234, last block 8 s ago",
          },
        ],
      });
      // The page's own checks and health are as before.
      expect(v.health.state).toBe("ok");
      for (const r of Object.values(v.rows)) expect(r.state).toBe("ok");
      // Plain GETs (no header of the page's own): a simple cross-origin request, no preflight.
      const cross = v.requests.filter((r) => r.url.startsWith("https://"));
      expect(cross.map((r) => r.url).sort()).toEqual([
        "https://node-2.example.org/healthz",
        "https://node-3.example.org/healthz",
        "https://node.example.org/healthz",
        "https://rpc.example.org/healthz",
      ]);
      for (const r of cross) expect(r).toMatchObject({ method: "GET", headers: {} });
    });

    test("members that never answer read 'not answering' once the page gives up, and the page finishes", async () => {
      const v = await runStatusPage(
        (url, body) => (url.startsWith("https://") ? "hang" : healthy(url, body)),
        { files, maxTimerMs: 20 },
      );
      expect(v.fleet?.state).toBe("fail");
      expect(v.fleet?.summary).toBe("0 of 3 nodes healthy");
      expect(v.fleet?.members.map((m) => [m.name, m.state, m.health])).toEqual([
        ["node.example.org", "down", "not answering"],
        ["node-2.example.org", "down", "not answering"],
        ["node-3.example.org", "down", "not answering"],
        ["rpc.example.org", "down", "not answering"],
      ]);
      expect(v.height).toEqual({ state: "ok", text: "5" });
    });

    test("an answer that is not /healthz JSON (a proxy's HTML error, null) is a failure with its status", async () => {
      const v = await runStatusPage(
        members({
          "https://node.example.org/healthz": healthz(200),
          "https://node-2.example.org/healthz": healthz(200),
          "https://node-3.example.org/healthz": { status: 502, body: "<html>Bad Gateway</html>" },
          "https://rpc.example.org/healthz": json(200, null),
        }),
        { files },
      );
      expect(v.fleet?.members[2]).toMatchObject({
        state: "fail",
        health: "HTTP 502, not a /healthz answer",
      });
      expect(v.fleet?.members[3]).toMatchObject({
        state: "fail",
        health: "HTTP 200, not a /healthz answer",
      });
      expect(v.fleet?.summary).toBe("2 of 3 nodes healthy");
    });

    test("all healthy: green", async () => {
      const v = await runStatusPage(
        (url, body) => (url.startsWith("https://") ? healthz(200) : healthy(url, body)),
        { files },
      );
      expect(v.fleet?.state).toBe("ok");
      expect(v.fleet?.summary).toBe("3 of 3 nodes healthy");
    });

    test("a stack of one node: the page as it is, no fleet section and no cross-origin request", async () => {
      const single = renderStatusFiles(cfg());
      const dir = path.resolve(__dirname, "../../nginx/status");
      expect(single).toEqual(
        fs
          .readdirSync(dir)
          .sort()
          .map((name) => ({ name, content: fs.readFileSync(path.join(dir, name), "utf8") })),
      );
      const v = await runStatusPage(healthy, { files: single });
      expect(v.fleet).toBeUndefined();
      expect(v.requests.filter((r) => r.url.startsWith("https://"))).toEqual([]);
    });
  });
});
