/**
 * The browser side of the client test: what ping.pactus.org does, bundled by esbuild and loaded from
 * another origin. gRPC-Web with Google's grpc-web client (binary format, as the page's generated stubs
 * set it; messages encoded by hand: two tiny protos); JSON-RPC with @open-rpc/client-js at the version
 * the page pins, its URL built as the page's generated pactus-jsonrpc client builds it; HTTP with fetch.
 */
import { Client, HTTPTransport, RequestManager } from "@open-rpc/client-js";
import { GrpcWebClientBase, MethodDescriptor, RpcError } from "grpc-web";

type Result = { ok: true; value: unknown } | { ok: false; code?: number; message: string };
declare global {
  interface Window {
    runChecks(node: string, height: number): Promise<Record<string, Result>>;
  }
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
/** Reads field `field` of a protobuf message: a varint as number, a length-delimited as string. */
function field(bytes: Uint8Array, want: number): number | string | undefined {
  let i = 0;
  const readVarint = () => {
    let v = 0,
      mul = 1,
      b;
    do {
      b = bytes[i++];
      v += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    return v;
  };
  while (i < bytes.length) {
    const key = readVarint();
    const [num, wire] = [Math.floor(key / 8), key % 8];
    if (wire === 0) {
      const v = readVarint();
      if (num === want) return v;
    } else if (wire === 2) {
      const len = readVarint();
      const s = bytes.slice(i, i + len);
      i += len;
      if (num === want) return new TextDecoder().decode(s);
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`wire type ${wire}`);
  }
  return undefined;
}

class Msg {
  fields: Record<string, unknown>;
  constructor(...args: unknown[]) {
    this.fields = (args[0] as Record<string, unknown> | undefined) ?? {};
  }
}
const getBlockHash = new MethodDescriptor(
  "/pactus.Blockchain/GetBlockHash",
  "unary",
  Msg,
  Msg,
  (m: Msg) => new Uint8Array([0x08, ...varint(m.fields.height as number)]),
  (b: Uint8Array) => new Msg({ hash: field(b, 1) }),
);
const getBlockchainInfo = new MethodDescriptor(
  "/pactus.Blockchain/GetBlockchainInfo",
  "unary",
  Msg,
  Msg,
  () => new Uint8Array([]),
  (b: Uint8Array) => new Msg({ lastBlockHeight: field(b, 1) }),
);

function unary(base: string, method: MethodDescriptor<Msg, Msg>, req: Msg): Promise<Result> {
  const client = new GrpcWebClientBase({ format: "binary" });
  return new Promise((resolve) => {
    client.rpcCall(base + method.getName(), req, {}, method, (err: RpcError, res: Msg) =>
      resolve(
        err ? { ok: false, code: err.code, message: err.message } : { ok: true, value: res.fields },
      ),
    );
  });
}
async function fetchJson(url: string, init?: RequestInit): Promise<Result> {
  try {
    const r = await fetch(url, init);
    return { ok: r.ok, value: await r.json() } as Result;
  } catch (e) {
    return { ok: false, message: String(e) };
  }
}

/**
 * The page's JSON-RPC call: its form gives type, host and port; pactus-jsonrpc's generated client makes
 * the URL `type + "://" + host + ":" + port + path`, the page passes no path, and the by-name params.
 */
async function pageJsonrpc(type: string, host: string, port: string, height: number) {
  const path = "";
  const transport = new HTTPTransport(type + "://" + host + ":" + port + path);
  const client = new Client(new RequestManager([transport]));
  try {
    const value: unknown = await client.request({
      method: "pactus.blockchain.get_block_hash",
      params: { height },
    });
    return { ok: true, value, url: transport.uri } as Result & { url: string };
  } catch (e) {
    return { ok: false, message: String(e), url: transport.uri } as Result & { url: string };
  } finally {
    client.close();
  }
}

window.runChecks = async (node: string, height: number) => ({
  // The page's inputs: type "https", address "<domain>/jsonrpc", port empty (its placeholder) or 443.
  jsonrpcPageNoPort: await pageJsonrpc("https", `${new URL(node).host}/jsonrpc`, "", height),
  jsonrpcPage443: await pageJsonrpc("https", `${new URL(node).host}/jsonrpc`, "443", height),
  grpcWebHash: await unary(`${node}/grpc-web`, getBlockHash, new Msg({ height })),
  grpcWebInfo: await unary(`${node}/grpc-web`, getBlockchainInfo, new Msg()),
  grpcWebMissing: await unary(`${node}/grpc-web`, getBlockHash, new Msg({ height: 99999999 })),
  jsonrpc: await fetchJson(`${node}/jsonrpc`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "pactus.blockchain.get_block_hash",
      params: { height },
    }),
  }),
  http: await fetchJson(`${node}/http/api/pactus/blockchain/get_block_hash?height=${height}`),
});
