/**
 * The reverse proxy as deployed by `pulumi up` in the sandbox, driven from outside the host with real
 * clients (curl over HTTP/2 and grpc-js over TLS) and compared with what the daemon answers on its own
 * loopback: parity with the seed (the runbook's nginx config, tools/bench/seed-site.conf), where it does
 * better than the seed, and the testssl.sh check. The browser cases are in browser.test.ts, the
 * benchmark in tools/bench (a script, not a timed test).
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { request as httpsRequest } from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import {
  ADDR,
  ADDR6,
  DOMAIN,
  engineEnv,
  onHost,
  pulumi,
  run,
  sandboxDone,
  sandboxUp,
  readOutputs,
} from "../helpers/sandbox";
import { pactusProtoDir } from "../helpers/local";
const MIN = 60_000;
let root = "";

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  httpVersion: string;
}

/** curl from the machine to the node, trusting only pebble's root. */
function curl(
  url: string,
  opts: {
    method?: string;
    origin?: string;
    json?: unknown;
    headers?: string[];
    /** A raw request body (with a content type in `headers`). */
    data?: string;
    port?: number;
    ipv6?: boolean;
  } = {},
): Reply {
  const to = opts.ipv6 ? `[${ADDR6}]` : ADDR;
  const args = [
    "-sS",
    "--max-time",
    "10",
    "--cacert",
    root,
    "--resolve",
    `${DOMAIN}:${opts.port ?? 443}:${to}`,
    "-D",
    "-",
    "-w",
    "\n%{http_version}",
    "--http2",
  ];
  if (opts.method) args.push("-X", opts.method);
  if (opts.origin) args.push("-H", `Origin: ${opts.origin}`);
  for (const h of opts.headers ?? []) args.push("-H", h);
  if (opts.json !== undefined)
    args.push("-H", "Content-Type: application/json", "--data", JSON.stringify(opts.json));
  if (opts.data !== undefined) args.push("--data-binary", opts.data);
  const out = execFileSync("curl", [...args, url], { encoding: "utf8" });
  const [head, ...rest] = out.split(/\r?\n\r?\n/);
  const all = rest.join("\n\n");
  const nl = all.lastIndexOf("\n");
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/).slice(1)) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return {
    status: Number(head.split(" ")[1]),
    headers,
    body: all.slice(0, nl),
    httpVersion: all.slice(nl + 1),
  };
}
const https = (p: string) => `https://${DOMAIN}${p}`;
const rpc = (method: string, params: object = {}) => ({ jsonrpc: "2.0", id: 1, method, params });

beforeAll(() => {
  sandboxUp();
  root = readOutputs().caCert;
}, 20 * MIN);
afterAll(sandboxDone, 5 * MIN);

describe("seed parity", () => {
  test("http:// on the domain redirects to https:// with the path; other names on :80 get nothing proxied", () => {
    const r = curl(`http://${DOMAIN}/jsonrpc?x=1`, { port: 80 });
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe(`https://${DOMAIN}/jsonrpc?x=1`);
    const other = execFileSync(
      "curl",
      [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-H",
        "Host: other.example.org",
        `http://${ADDR}/http/api/pactus/blockchain/get_blockchain_info`,
      ],
      { encoding: "utf8" },
    );
    expect(other).toBe("404");
  });

  test("TLS with HTTP/2 (ALPN h2) on the IPv4 and the IPv6 listener, no server version", () => {
    // The seed config forgot http2 on its IPv6 listener: native gRPC clients fail over IPv6 there.
    expect(curl(https("/"), { ipv6: true }).httpVersion).toBe("2");
    const r = curl(https("/"));
    expect(r.httpVersion).toBe("2");
    expect(r.headers.server).toBe("nginx");
    expect(r.headers["strict-transport-security"]).toBe("max-age=63072000");
  });

  test("JSON-RPC answers what the daemon answers on loopback (same height and hash)", () => {
    const viaProxy = JSON.parse(
      curl(https("/jsonrpc"), {
        method: "POST",
        json: rpc("pactus.blockchain.get_block_hash", { height: 1 }),
      }).body,
    );
    const direct = JSON.parse(
      onHost(
        `curl -s -H 'Content-Type: application/json' -d '${JSON.stringify(rpc("pactus.blockchain.get_block_hash", { height: 1 }))}' http://127.0.0.1:8545/`,
      ),
    );
    expect(viaProxy.result.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(viaProxy.result).toEqual(direct.result);
    const info = JSON.parse(
      curl(https("/jsonrpc"), {
        method: "POST",
        json: rpc("pactus.blockchain.get_blockchain_info"),
      }).body,
    );
    expect(info.result.last_block_height).toBeGreaterThanOrEqual(1);
  });

  test("HTTP API answers what the daemon answers on loopback", () => {
    const viaProxy = JSON.parse(
      curl(https("/http/api/pactus/blockchain/get_block_hash?height=1")).body,
    );
    const direct = JSON.parse(
      onHost("curl -s 'http://127.0.0.1:8080/http/api/pactus/blockchain/get_block_hash?height=1'"),
    );
    expect(viaProxy.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(viaProxy).toEqual(direct);
    expect(
      Number(
        JSON.parse(curl(https("/http/api/pactus/blockchain/get_blockchain_info")).body)
          .lastBlockHeight,
      ),
    ).toBeGreaterThanOrEqual(1);
  });

  test.each([
    ["IPv4", ADDR],
    ["IPv6", `[${ADDR6}]`],
  ])(
    "native gRPC over TLS with the /grpc-web prefix (the Pactus GUI way), grpc-js, %s",
    async (_fam, addr) => {
      const protoDir = pactusProtoDir();
      const def = protoLoader.loadSync(path.join(protoDir, "blockchain.proto"), {
        includeDirs: [protoDir],
        keepCase: true,
      });
      const svc = (grpc.loadPackageDefinition(def) as any).pactus.Blockchain
        .service as grpc.ServiceDefinition;
      const creds = grpc.credentials.createSsl(fs.readFileSync(root));
      const client = new grpc.Client(`${addr}:443`, creds, {
        "grpc.ssl_target_name_override": DOMAIN,
        "grpc.default_authority": DOMAIN,
      });
      const call = (method: string, req: object) =>
        new Promise<any>((resolve, reject) => {
          const m = (svc as any)[method];
          client.makeUnaryRequest(
            `/grpc-web${m.path}`,
            m.requestSerialize,
            m.responseDeserialize,
            req,
            (err, res) => (err ? reject(err) : resolve(res)),
          );
        });
      try {
        const hash = await call("GetBlockHash", { height: 1 });
        const direct = JSON.parse(
          curl(https("/http/api/pactus/blockchain/get_block_hash?height=1")).body,
        );
        expect(hash.hash).toBe(direct.hash);
        expect(
          Number((await call("GetBlockchainInfo", {})).last_block_height),
        ).toBeGreaterThanOrEqual(1);
        // A block that does not exist: the real gRPC code reaches the client.
        await expect(call("GetBlockHash", { height: 99999999 })).rejects.toMatchObject({
          code: grpc.status.NOT_FOUND,
        });
      } finally {
        client.close();
      }
    },
    MIN,
  );
});

describe("better than the seed", () => {
  const ORIGIN = "https://ping.pactus.org";
  const STRANGER = "https://evil.example.org";

  test.each([
    ["grpc-web", "/grpc-web/pactus.Blockchain/GetBlockHash", "x-grpc-web,content-type"],
    ["jsonrpc", "/jsonrpc", "content-type"],
    ["http", "/http/api/pactus/blockchain/get_block_hash", "content-type"],
  ])(
    "CORS preflight on %s: a listed origin is allowed, an unlisted one gets no allow header",
    (_n, p, reqHeaders) => {
      const pre = (origin: string) =>
        curl(https(p), {
          method: "OPTIONS",
          origin,
          headers: [
            "Access-Control-Request-Method: POST",
            `Access-Control-Request-Headers: ${reqHeaders}`,
          ],
        });
      const ok = pre(ORIGIN);
      expect(ok.status).toBe(204);
      expect(ok.headers["access-control-allow-origin"]).toBe(ORIGIN);
      expect(ok.headers["access-control-allow-methods"]).toMatch(/POST/);
      expect(ok.headers.vary).toBe("Origin");
      const no = pre(STRANGER);
      expect(no.headers["access-control-allow-origin"]).toBeUndefined();
    },
  );

  test(
    "`*` only where the stack says so: cors.allowAny answers any origin with *, the default never does",
    () => {
      const env = engineEnv();
      const paths = [
        "/grpc-web/pactus.Blockchain/GetBlockHash",
        "/jsonrpc",
        "/http/api/pactus/blockchain/get_block_hash",
      ];
      const allowed = () => [
        ...paths.map(
          (p) =>
            curl(https(p), {
              method: "OPTIONS",
              origin: STRANGER,
              headers: ["Access-Control-Request-Method: POST"],
            }).headers["access-control-allow-origin"],
        ),
        curl(https("/jsonrpc"), {
          method: "POST",
          origin: STRANGER,
          json: rpc("pactus.blockchain.get_blockchain_info"),
        }).headers["access-control-allow-origin"],
      ];
      const setAllowAny = (v: boolean) => {
        run("pulumi", [
          "config",
          "set",
          "--config-file",
          env.PSN_RUN_CONFIG,
          "--path",
          "cors.allowAny",
          String(v),
        ]);
        pulumi("up", "--yes", "--skip-preview", "--config-file", env.PSN_RUN_CONFIG);
      };
      expect(allowed()).toEqual([undefined, undefined, undefined, undefined]);
      setAllowAny(true);
      try {
        expect(allowed()).toEqual(["*", "*", "*", "*"]);
      } finally {
        setAllowAny(false);
      }
      expect(allowed()).toEqual([undefined, undefined, undefined, undefined]);
    },
    5 * MIN,
  );

  test("actual requests carry exactly one allow-origin header, the proxy's", () => {
    const j = curl(https("/jsonrpc"), {
      method: "POST",
      origin: ORIGIN,
      json: rpc("pactus.blockchain.get_blockchain_info"),
    });
    expect(j.headers["access-control-allow-origin"]).toBe(ORIGIN);
    const h = execFileSync(
      "curl",
      [
        "-sS",
        "--cacert",
        root,
        "--resolve",
        `${DOMAIN}:443:${ADDR}`,
        "-D",
        "-",
        "-o",
        "/dev/null",
        "-H",
        `Origin: ${ORIGIN}`,
        https("/http/api/pactus/blockchain/get_blockchain_info"),
      ],
      { encoding: "utf8" },
    );
    expect(h.match(/^access-control-allow-origin:/gim)).toHaveLength(1);
    expect(
      curl(https("/jsonrpc"), {
        method: "POST",
        origin: STRANGER,
        json: rpc("pactus.blockchain.get_blockchain_info"),
      }).headers["access-control-allow-origin"],
    ).toBeUndefined();
  });

  test("a gRPC error reaches a browser client: status in headers, exposed to scripts", () => {
    // 99999999 does not exist: a trailers-only answer puts grpc-status in the headers.
    const frame = Buffer.from([0, 0, 0, 0, 5, 0x08, 0xff, 0xc1, 0xd7, 0x2f]);
    const out = execFileSync(
      "curl",
      [
        "-sS",
        "--http2",
        "--cacert",
        root,
        "--resolve",
        `${DOMAIN}:443:${ADDR}`,
        "-D",
        "-",
        "-o",
        "/dev/null",
        "-H",
        `Origin: ${ORIGIN}`,
        "-H",
        "Content-Type: application/grpc-web+proto",
        "-H",
        "X-Grpc-Web: 1",
        "--data-binary",
        "@-",
        https("/grpc-web/pactus.Blockchain/GetBlockHash"),
      ],
      { input: frame, encoding: "utf8" },
    );
    expect(out).toMatch(/^grpc-status: 5\r?$/m);
    expect(out).toMatch(/^access-control-expose-headers: .*Grpc-Status/im);
    expect(out).toMatch(new RegExp(`^access-control-allow-origin: ${ORIGIN}`, "im"));
  });

  test.each([
    "/httpx",
    "/httpfoo/bar",
    "/jsonrpcfoo",
    "/jsonrpc/abc",
    "/grpc-webx/pactus.Blockchain/GetBlockHash",
  ])("%s never reaches the node (nginx's own 404)", (p) => {
    const r = curl(https(p), {
      method: p.startsWith("/http") ? "GET" : "POST",
      json: p.startsWith("/http") ? undefined : rpc("pactus.blockchain.get_blockchain_info"),
    });
    expect(r.status).toBe(404);
    expect(r.body).toMatch(/<center>nginx<\/center>/);
  });

  test(
    "while the node is down, /jsonrpc, /http and gRPC(-Web) answer 502 with CORS headers and a JSON error",
    () => {
      onHost("systemctl stop pactus.service");
      try {
        const r = curl(https("/jsonrpc"), {
          method: "POST",
          origin: ORIGIN,
          json: rpc("pactus.blockchain.get_blockchain_info"),
        });
        expect(r.status).toBe(502);
        expect(r.headers["access-control-allow-origin"]).toBe(ORIGIN);
        expect(JSON.parse(r.body)).toMatchObject({
          jsonrpc: "2.0",
          error: { code: -32603, message: expect.stringMatching(/not answering/) },
        });
        // A route nginx never keeps (nginx.cache may hold the chain tip for a second).
        const h = curl(https("/http/api/pactus/network/get_node_info"), {
          origin: ORIGIN,
        });
        expect(h.status).toBe(502);
        expect(h.headers["access-control-allow-origin"]).toBe(ORIGIN);
        expect(JSON.parse(h.body)).toMatchObject({ code: 14 });
        // gRPC-Web and native gRPC: HTTP 502, which their clients map to UNAVAILABLE (14), and the
        // status in headers a page may read; never nginx's HTML page.
        for (const [p, type] of [
          ["/grpc-web/pactus.Blockchain/GetBlockchainInfo", "application/grpc-web+proto"],
          ["/pactus.Blockchain/GetBlockchainInfo", "application/grpc"],
        ]) {
          const g = curl(https(p), {
            method: "POST",
            origin: ORIGIN,
            headers: [`Content-Type: ${type}`, "X-Grpc-Web: 1"],
            data: "x",
          });
          expect(g.status).toBe(502);
          expect(g.headers["access-control-allow-origin"]).toBe(ORIGIN);
          expect(g.headers["access-control-expose-headers"]).toMatch(/Grpc-Status/);
          expect(g.headers["grpc-status"]).toBe("14");
          expect(JSON.parse(g.body)).toMatchObject({ code: 14 });
        }
      } finally {
        onHost("systemctl start pactus.service");
      }
      // The node comes back and answers through the proxy again.
      let status = 0;
      for (let i = 0; i < 30 && status !== 200; i++) {
        execFileSync("sleep", ["1"]);
        status = curl(https("/jsonrpc"), {
          method: "POST",
          json: rpc("pactus.blockchain.get_blockchain_info"),
        }).status;
      }
      expect(status).toBe(200);
    },
    MIN,
  );

  test(
    "nginx.rateLimit: a burst over the limit gets JSON-RPC-shaped 429s, with CORS; calm traffic passes",
    async () => {
      // 20 requests/s per client, burst 40 (the sandbox default): 120 at once cannot all pass.
      const body = JSON.stringify(rpc("pactus.blockchain.get_blockchain_info"));
      const one = () =>
        new Promise<{ status: number; body: string; acao?: string }>((resolve, reject) => {
          const req = httpsRequest(
            {
              host: ADDR,
              port: 443,
              servername: DOMAIN,
              ca: fs.readFileSync(root),
              method: "POST",
              path: "/jsonrpc",
              headers: {
                host: DOMAIN,
                "content-type": "application/json",
                origin: ORIGIN,
                "content-length": Buffer.byteLength(body),
              },
              agent: false,
            },
            (res) => {
              let data = "";
              res.on("data", (c) => (data += c));
              res.on("end", () =>
                resolve({
                  status: res.statusCode ?? 0,
                  body: data,
                  acao: res.headers["access-control-allow-origin"],
                }),
              );
            },
          );
          req.on("error", reject);
          req.end(body);
        });
      const replies = await Promise.all(Array.from({ length: 120 }, one));
      const limited = replies.filter((r) => r.status === 429);
      expect(replies.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(20);
      expect(limited.length).toBeGreaterThan(0);
      for (const r of limited) {
        expect(JSON.parse(r.body)).toMatchObject({ jsonrpc: "2.0", error: { code: -32005 } });
        expect(r.acao).toBe(ORIGIN);
      }
      await new Promise((r) => setTimeout(r, 3000));
      expect(
        curl(https("/jsonrpc"), {
          method: "POST",
          json: rpc("pactus.blockchain.get_blockchain_info"),
        }).status,
      ).toBe(200);
    },
    MIN,
  );
});

describe("security", () => {
  test(
    "testssl.sh: nothing below TLS 1.2, no weak cipher, HSTS, no finding rated medium or worse",
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "psn-testssl-"));
      const json = path.join(dir, "findings.json");
      try {
        // --add-ca: trust pebble's root as a browser trusts Let's Encrypt's; --ip: no DNS lookup.
        const r = spawnSync(
          "testssl",
          [
            "--quiet",
            "--color",
            "0",
            "--warnings",
            "off",
            "--add-ca",
            root,
            "--ip",
            ADDR,
            "--jsonfile",
            json,
            `https://${DOMAIN}`,
          ],
          // testssl.sh's ~400 handshakes take minutes when the other lanes share the 2 cores.
          { encoding: "utf8", timeout: 11 * MIN },
        );
        if (r.signal) throw new Error(`testssl.sh did not finish within 11 minutes (${r.signal})`);
        if (!fs.existsSync(json))
          throw new Error(
            `testssl.sh wrote no findings (${r.status}): ${(r.stdout + r.stderr).slice(-2000)}`,
          );
        const findings: { id: string; severity: string; finding: string }[] = JSON.parse(
          fs.readFileSync(json, "utf8"),
        );
        const by = (id: string) => findings.find((f) => f.id === id)?.finding ?? "(missing)";
        const counts: Record<string, number> = {};
        for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
        const offered = ["SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3"].map(
          (p) => `${p}: ${by(p)}`,
        );
        const low = findings
          .filter((f) => f.severity === "LOW")
          .map((f) => `LOW ${f.id}: ${f.finding}`);
        process.stdout.write(
          `\ntestssl.sh ${DOMAIN}: ${findings.length} findings ${JSON.stringify(counts)}\n  ` +
            `${[...offered, `HSTS_time: ${by("HSTS_time")}`, ...low].join("\n  ")}\n`,
        );
        for (const p of ["SSLv2", "SSLv3", "TLS1", "TLS1_1"])
          expect(`${p}: ${by(p)}`).toBe(`${p}: not offered`);
        expect(by("TLS1_2")).toMatch(/^offered/);
        expect(by("TLS1_3")).toMatch(/^offered/);
        for (const c of [
          "cipherlist_NULL",
          "cipherlist_aNULL",
          "cipherlist_EXPORT",
          "cipherlist_LOW",
          "cipherlist_3DES_IDEA",
        ]) {
          expect(`${c}: ${by(c)}`).toBe(`${c}: not offered`);
        }
        expect(findings.find((f) => f.id === "HSTS_time")).toMatchObject({
          severity: "OK",
          finding: expect.stringMatching(/=63072000 seconds/),
        });
        const bad = findings
          .filter((f) => ["MEDIUM", "HIGH", "CRITICAL"].includes(f.severity))
          .map((f) => `${f.severity} ${f.id}: ${f.finding}`);
        expect(bad).toEqual([]);
        // The scan reached the server (not a connection error reported as findings).
        expect(
          findings.some((f) => f.id === "cert_commonName" || f.id === "cert_subjectAltName"),
        ).toBe(true);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    12 * MIN,
  );
});
