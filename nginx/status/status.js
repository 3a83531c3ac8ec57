// Runs the three ping.pactus.org checks (block 1 hash over gRPC-Web, JSON-RPC and HTTP) against this
// node, same origin, and shows each result, its latency and the block height. No dependencies.
"use strict";

// The node answers Unauthenticated when apis.basicAuth is set: this page sends no credentials, so it
// shows that distinctly instead of a failure (HTTP 401, gRPC status 16, or JSON-RPC's wrapped gRPC error).
const NEEDS_CREDENTIALS = "needs credentials (the node requires basic auth)";
function authError() {
  return Object.assign(new Error(NEEDS_CREDENTIALS), { auth: true });
}
function httpError(r) {
  return r.status === 401
    ? authError()
    : Object.assign(new Error(`HTTP ${r.status}`), { status: r.status });
}
function jsonrpcError(error) {
  return /code = Unauthenticated/.test(error.message || "")
    ? authError()
    : new Error(error.message);
}

async function grpcWebBlockHash() {
  // One gRPC frame: flag 0, length 2, GetBlockHashRequest{height: 1} = 08 01.
  const body = new Uint8Array([0, 0, 0, 0, 2, 0x08, 0x01]);
  const r = await fetch("/grpc-web/pactus.Blockchain/GetBlockHash", {
    method: "POST",
    headers: { "Content-Type": "application/grpc-web+proto", "X-Grpc-Web": "1" },
    body,
  });
  if (!r.ok) throw httpError(r);
  // An error without a message comes "trailers-only": the gRPC status is in the headers.
  if (r.headers.get("grpc-status") === "16") throw authError();
  const b = new Uint8Array(await r.arrayBuffer());
  // GetBlockHashResponse{hash: string(64)}: frame header, 0a 40, then the hex hash.
  if (b.length < 71 || b[0] !== 0 || b[5] !== 0x0a)
    throw new Error(r.headers.get("grpc-message") || "no gRPC message");
  return new TextDecoder().decode(b.slice(7, 71));
}
async function jsonrpcBlockHash() {
  const r = await fetch("/jsonrpc", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "pactus.blockchain.get_block_hash",
      params: { height: 1 },
    }),
  });
  if (!r.ok) throw httpError(r);
  const j = await r.json();
  if (j.error) throw jsonrpcError(j.error);
  return j.result.hash;
}
async function httpBlockHash() {
  const r = await fetch("/http/api/pactus/blockchain/get_block_hash?height=1");
  if (!r.ok) throw httpError(r);
  return (await r.json()).hash;
}
async function blockHeight() {
  const r = await fetch("/jsonrpc", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 2,
      method: "pactus.blockchain.get_blockchain_info",
      params: {},
    }),
  });
  if (r.ok) {
    const j = await r.json();
    if (j.error) throw jsonrpcError(j.error);
    return j.result.last_block_height;
  }
  const h = await fetch("/http/api/pactus/blockchain/get_blockchain_info");
  if (!h.ok) throw httpError(h);
  return (await h.json()).lastBlockHeight;
}

async function run(id, check) {
  const row = document.getElementById(id);
  const t0 = performance.now();
  try {
    const hash = await check();
    row.querySelector(".result").textContent = hash;
    row.dataset.state = /^[0-9a-f]{64}$/.test(hash) ? "ok" : "fail";
  } catch (e) {
    // A 404 means this API is switched off on this node (apis.* in the stack).
    row.dataset.state = e.auth ? "auth" : e.status === 404 ? "off" : "fail";
    row.querySelector(".result").textContent =
      e.status === 404 ? "not enabled" : String(e.message || e);
  }
  row.querySelector(".latency").textContent = `${Math.round(performance.now() - t0)} ms`;
}

// /healthz in words a person reads at a glance. The host's refresher writes it every refreshSeconds;
// nginx answers 200 when healthy, 503 when not (the same JSON, or a short one without data).
function ago(seconds) {
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}
function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}
/** {state, summary, lines} of a /healthz answer; `now` in unix seconds (the browser's clock). */
function describeHealth(status, h, now) {
  const lines = {};
  if (h.up) {
    lines.sync =
      h.lastBlockAgeSeconds > h.maxBlockAgeSeconds
        ? `${plural(h.blocksLeft, "block", "blocks")} behind, height ${h.height}, last block ${ago(h.lastBlockAgeSeconds)}`
        : `synced, height ${h.height}, last block ${ago(h.lastBlockAgeSeconds)}`;
    lines.peers = plural(h.peers, "peer", "peers");
    lines.version = `Pactus ${h.version} (${h.network}), clock offset ${h.clockOffsetSeconds} s`;
  } else if (h.up === false) {
    lines.sync = "the node is not answering";
  }
  if (typeof h.certificateDaysLeft === "number")
    lines.cert = `certificate expires in ${plural(h.certificateDaysLeft, "day", "days")}`;
  if (h.rebootRequired) lines.reboot = "the host needs a reboot (security updates)";
  const problems = h.problems || [];
  // Older than three refreshes: the refresher is not keeping it current (or this clock is off).
  if (typeof h.time === "number" && typeof h.refreshSeconds === "number") {
    const age = Math.round(now - h.time);
    if (age > 3 * h.refreshSeconds)
      return { state: "stale", summary: `stale: figures from ${ago(age)}`, lines };
  }
  if (status === 200 && h.healthy) return { state: "ok", summary: "healthy", lines };
  return {
    state: "fail",
    summary: `unhealthy (HTTP ${status}): ${problems.join("; ") || "no details"}`,
    lines,
  };
}
async function health() {
  const el = document.getElementById("health");
  let view;
  try {
    const r = await fetch("/healthz", { cache: "no-store" });
    view = describeHealth(r.status, await r.json(), Date.now() / 1000);
  } catch (e) {
    view = { state: "fail", summary: `no answer from /healthz: ${e.message || e}`, lines: {} };
  }
  el.dataset.state = view.state;
  document.getElementById("health-summary").textContent = view.summary;
  for (const k of ["sync", "peers", "version", "cert", "reboot"]) {
    const line = document.getElementById(`health-${k}`);
    line.textContent = view.lines[k] || "";
    line.hidden = !view.lines[k];
  }
}

window.addEventListener("DOMContentLoaded", async () => {
  await Promise.all([
    health(),
    run("grpcWeb", grpcWebBlockHash),
    run("jsonrpc", jsonrpcBlockHash),
    run("http", httpBlockHash),
  ]);
  const el = document.getElementById("height");
  try {
    el.textContent = String(await blockHeight());
    el.dataset.state = "ok";
  } catch (e) {
    el.textContent = String(e.message || e);
    el.dataset.state = e.auth ? "auth" : "fail";
  }
  document.body.dataset.done = "true";
});
