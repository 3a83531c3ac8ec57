// Runs the three ping.pactus.org checks (block 1 hash over gRPC-Web, JSON-RPC and HTTP) against this
// node, same origin, and shows each result, its latency and the block height. No dependencies.
"use strict";

async function grpcWebBlockHash() {
  // One gRPC frame: flag 0, length 2, GetBlockHashRequest{height: 1} = 08 01.
  const body = new Uint8Array([0, 0, 0, 0, 2, 0x08, 0x01]);
  const r = await fetch("/grpc-web/pactus.Blockchain/GetBlockHash", {
    method: "POST", headers: { "Content-Type": "application/grpc-web+proto", "X-Grpc-Web": "1" }, body,
  });
  if (!r.ok) throw Object.assign(new Error(`HTTP ${r.status}`), { status: r.status });
  const b = new Uint8Array(await r.arrayBuffer());
  // GetBlockHashResponse{hash: string(64)}: frame header, 0a 40, then the hex hash.
  if (b.length < 71 || b[0] !== 0 || b[5] !== 0x0a) throw new Error(r.headers.get("grpc-message") || "no gRPC message");
  return new TextDecoder().decode(b.slice(7, 71));
}
async function jsonrpcBlockHash() {
  const r = await fetch("/jsonrpc", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "pactus.blockchain.get_block_hash", params: { height: 1 } }),
  });
  if (!r.ok) throw Object.assign(new Error(`HTTP ${r.status}`), { status: r.status });
  const j = await r.json();
  if (j.error) throw new Error(j.error.message);
  return j.result.hash;
}
async function httpBlockHash() {
  const r = await fetch("/http/api/pactus/blockchain/get_block_hash?height=1");
  if (!r.ok) throw Object.assign(new Error(`HTTP ${r.status}`), { status: r.status });
  return (await r.json()).hash;
}
async function blockHeight() {
  const r = await fetch("/jsonrpc", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "pactus.blockchain.get_blockchain_info", params: {} }),
  });
  if (r.ok) return (await r.json()).result.last_block_height;
  const h = await fetch("/http/api/pactus/blockchain/get_blockchain_info");
  if (!h.ok) throw new Error(`HTTP ${h.status}`);
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
    row.dataset.state = e.status === 404 ? "off" : "fail";
    row.querySelector(".result").textContent = e.status === 404 ? "not enabled" : String(e.message || e);
  }
  row.querySelector(".latency").textContent = `${Math.round(performance.now() - t0)} ms`;
}

window.addEventListener("DOMContentLoaded", async () => {
  await Promise.all([run("grpcWeb", grpcWebBlockHash), run("jsonrpc", jsonrpcBlockHash), run("http", httpBlockHash)]);
  const el = document.getElementById("height");
  try {
    el.textContent = String(await blockHeight());
    el.dataset.state = "ok";
  } catch (e) {
    el.textContent = String(e.message || e);
    el.dataset.state = "fail";
  }
  document.body.dataset.done = "true";
});
