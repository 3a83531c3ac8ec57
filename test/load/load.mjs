// A load generator for the sandbox proxy: JSON-RPC get_block_hash and gRPC-Web GetBlockHash(1) over
// HTTP/2 (as browsers and wallets send them), paced to a total rate, until SIGTERM. Then it prints one
// JSON line of counts per API:
//   ok       answered with the right shape (JSON-RPC result.hash / a 66-byte gRPC frame, grpc-status 0)
//   failed   anything else: reset, timeout, non-200, wrong body. A lost request.
//   refused  streams the server refused unprocessed (REFUSED_STREAM, or above a GOAWAY's last stream):
//            RFC 9113 §8.7 says the client may retry them, as real clients do; they are retried.
//   sessions HTTP/2 connections opened (a reload closes the old workers' connections with GOAWAY).
//   errors   failures by kind: "502 json cors" (the proxy's answer while the node is down: JSON, with
//            the page's CORS header), "hang" (no answer within 10 s), "status N", "reset N"
//   failedAt when each failure was sent, in seconds since the start (0.1 s steps)
//   samples  the first answer of each failure kind: status, content type and up to 300 bytes of body
// Usage: node load.mjs --url https://<domain> --connect <ip> --ca <pem> [--rate 200] [--workers 4]
//        [--origin https://ping.pactus.org]
import * as fs from "node:fs";
import * as http2 from "node:http2";
import { parseArgs } from "node:util";

const { values: opt } = parseArgs({
  options: {
    url: { type: "string" },
    connect: { type: "string" },
    ca: { type: "string" },
    rate: { type: "string", default: "200" },
    workers: { type: "string", default: "4" },
    origin: { type: "string", default: "https://ping.pactus.org" },
  },
});
if (!opt.url || !opt.connect || !opt.ca) {
  console.error(
    "usage: load.mjs --url https://<domain> --connect <ip> --ca <pem> [--rate N] [--workers N]",
  );
  process.exit(2);
}
const url = new URL(opt.url);
const ca = fs.readFileSync(opt.ca);
const workers = Number(opt.workers);
// Every worker of both kinds waits this long between its request starts.
const intervalMs = (2 * workers * 1000) / Number(opt.rate);
const TIMEOUT_MS = 10_000;

const kinds = {
  jsonrpc: {
    path: "/jsonrpc",
    headers: { "content-type": "application/json" },
    body: Buffer.from(
      '{"jsonrpc":"2.0","id":1,"method":"pactus.blockchain.get_block_hash","params":{"height":1}}',
    ),
    check: (status, body) =>
      status === 200 && /^[0-9a-f]{64}$/.test(JSON.parse(body.toString()).result?.hash ?? ""),
  },
  grpcWeb: {
    path: "/grpc-web/pactus.Blockchain/GetBlockHash",
    headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
    body: Buffer.from([0, 0, 0, 0, 2, 8, 1]),
    check: (status, body, trailers) =>
      status === 200 &&
      body.length === 71 &&
      body.subarray(0, 7).toString("hex") === "00000000420a40" &&
      (trailers["grpc-status"] ?? "0") === "0",
  },
};
const counts = Object.fromEntries(
  Object.keys(kinds).map((k) => [
    k,
    { ok: 0, failed: 0, refused: 0, errors: {}, failedAt: [], samples: {} },
  ]),
);
let sessions = 0;

let session = null;
function getSession() {
  if (session && !session.closed && !session.destroyed && !session.goingAway) return session;
  const s = http2.connect(`${url.protocol}//${opt.connect}:${url.port || 443}`, {
    ca,
    servername: url.hostname,
  });
  sessions++;
  s.goingAway = false;
  s.on("goaway", () => {
    s.goingAway = true;
  });
  s.on("close", () => {
    if (session === s) session = null;
  });
  s.on("error", () => {
    s.goingAway = true;
  });
  session = s;
  return s;
}

/** One request; resolves "ok", "refused" (not processed: retry) or an error description. */
function once(kind) {
  const k = kinds[kind];
  return new Promise((resolve) => {
    let req;
    try {
      req = getSession().request({
        ":method": "POST",
        ":path": k.path,
        ":authority": url.host,
        origin: opt.origin,
        ...k.headers,
      });
    } catch {
      session = null; // the session was closing: nothing was sent, send it on a new one
      resolve("unsent");
      return;
    }
    let status = 0;
    let headers = {};
    let trailers = {};
    let hung = false;
    const chunks = [];
    const timer = setTimeout(() => {
      hung = true;
      req.close(http2.constants.NGHTTP2_CANCEL);
    }, TIMEOUT_MS);
    req.on("response", (h) => {
      status = Number(h[":status"]);
      headers = h;
      if (h["grpc-status"]) trailers = h;
    });
    req.on("trailers", (t) => {
      trailers = t;
    });
    req.on("data", (c) => chunks.push(c));
    req.on("error", () => {});
    req.on("close", () => {
      clearTimeout(timer);
      if (hung) return resolve("hang");
      if (req.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM && status === 0)
        return resolve("refused");
      if (req.rstCode && req.rstCode !== http2.constants.NGHTTP2_NO_ERROR && status === 0)
        return resolve(`reset ${req.rstCode}`);
      let good;
      try {
        good = k.check(status, Buffer.concat(chunks), trailers);
      } catch {
        good = false;
      }
      if (good) return resolve("ok");
      const json = /^application\/json/.test(headers["content-type"] ?? "");
      const cors = headers["access-control-allow-origin"] === opt.origin;
      const result = status === 502 && json && cors ? "502 json cors" : `status ${status}`;
      const c = counts[kind];
      c.samples[result] ??= {
        status,
        contentType: headers["content-type"],
        grpcStatus: trailers["grpc-status"],
        grpcMessage: trailers["grpc-message"],
        body: Buffer.concat(chunks).subarray(0, 300).toString("latin1"),
      };
      resolve(result);
    });
    req.end(k.body);
  });
}

let running = true;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function worker(kind) {
  const c = counts[kind];
  while (running) {
    const t0 = Date.now();
    const at = Math.round((t0 - started) / 100) / 10;
    let result = await once(kind);
    for (let i = 0; (result === "refused" || result === "unsent") && i < 5; i++) {
      if (result === "refused") c.refused++;
      result = await once(kind);
    }
    if (result === "ok") c.ok++;
    else {
      c.failed++;
      c.errors[result] = (c.errors[result] ?? 0) + 1;
      c.failedAt.push(at);
    }
    await sleep(Math.max(0, intervalMs - (Date.now() - t0)));
  }
}

const started = Date.now();
const all = [];
for (const kind of Object.keys(kinds)) for (let i = 0; i < workers; i++) all.push(worker(kind));
process.on("SIGTERM", () => {
  running = false;
});
process.stdout.write("started\n");
await Promise.all(all);
session?.close();
process.stdout.write(
  `${JSON.stringify({ seconds: (Date.now() - started) / 1000, sessions, ...counts })}\n`,
);
