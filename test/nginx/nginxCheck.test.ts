/**
 * Real `nginx -t` on every rendered nginx file, with a throw-away certificate at the rendered paths.
 * The certificate lives on a tmpfs mounted over /etc/letsencrypt in a private mount namespace, so the
 * machine's own /etc/letsencrypt is never touched.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderNginxHttp, renderNginxTls } from "../../components/render";
import { hostPaths } from "../../components/render/paths";
import { cfg, fleetRaw, monitoringRaw } from "../helpers/config";
import type { RawConfig } from "../../components/config";
import { nginxMainConf } from "../helpers/local";

let dir: string;
beforeAll(() => {
  for (const tool of ["nginx", "openssl", "unshare"]) {
    const found =
      spawnSync("sh", ["-c", `command -v ${tool} || test -x /usr/sbin/${tool}`]).status === 0;
    if (!found)
      throw new Error(`${tool} is not installed (npm test installs it: tools/setup.sh test)`);
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "psn-nginx-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=node.example.org",
      "-keyout",
      path.join(dir, "privkey.pem"),
      "-out",
      path.join(dir, "fullchain.pem"),
    ],
    { stdio: "ignore" },
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs `nginx -t` on a main config that includes the given site files like Debian's does. */
function nginxTest(
  sites: Record<string, string>,
  domain = "node.example.org",
): { ok: boolean; out: string } {
  const case_ = fs.mkdtempSync(path.join(dir, "case-"));
  fs.mkdirSync(path.join(case_, "sites"));
  for (const [name, text] of Object.entries(sites))
    fs.writeFileSync(path.join(case_, "sites", name), text);
  fs.writeFileSync(path.join(case_, "nginx.conf"), nginxMainConf(case_, { accessLog: false }));
  const live = `/etc/letsencrypt/live/${domain}`;
  const script = [
    "set -e",
    "mkdir -p /etc/letsencrypt",
    "mount -t tmpfs psn-test /etc/letsencrypt",
    // nginx creates its cache dir (nginx.cache) in Debian's /var/lib/nginx: on a tmpfs here, not the machine's.
    `mount -t tmpfs psn-test ${path.dirname(hostPaths(domain, cfg().pactus.version).nginxCacheDir)}`,
    `mkdir -p ${live}`,
    `cp ${dir}/fullchain.pem ${dir}/privkey.pem ${live}/`,
    `exec nginx -t -c ${case_}/nginx.conf`,
  ].join("\n");
  const r = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], {
    encoding: "utf8",
  });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

const variants: [string, Partial<RawConfig>][] = [
  [
    "all APIs, allow-list CORS",
    { cors: { origins: ["https://ping.pactus.org", "https://wallet.pactus.org:8443"] } },
  ],
  ["JSON-RPC only", { apis: { grpcWeb: false, jsonrpc: true, http: false } }],
  ["no rate limit", { nginx: { rateLimit: 0 } }],
  [
    "gRPC-Web only, no CORS origins",
    { apis: { grpcWeb: true, jsonrpc: false, http: false }, cors: { origins: [] } },
  ],
  [
    "HTTP only, any origin",
    {
      apis: { grpcWeb: false, jsonrpc: false, http: true },
      cors: { origins: ["*"], allowAny: true },
    },
  ],
  [
    "long domain (server name hash bucket raised)",
    { domain: `${"a".repeat(63)}.${"b".repeat(63)}.example.org` },
  ],
  [
    "longest domain (253 characters)",
    { domain: `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(57)}.org` },
  ],
  ["domain of 39 characters (default bucket)", { domain: `${"a".repeat(27)}.example.org` }],
  // /metrics/ locations: credentials and CIDRs (IPv4 and IPv6), each alone.
  ["monitoring: credentials and CIDRs", monitoringRaw()],
  ["monitoring: credentials only", monitoringRaw({ cidrs: [] })],
  ["monitoring: CIDRs only", monitoringRaw({ auth: false, cidrs: ["10.0.0.5/32"] })],
  ["monitoring, no rate limit", monitoringRaw({}, { nginx: { rateLimit: 0 } })],
  // A fleet: /healthz's own origin map (defaulting to the cors.* map), the page's CSP, fleet.* files.
  ["fleet of 3 behind a shared name", fleetRaw(3)],
  ["fleet, any origin", fleetRaw(3, { cors: { origins: ["*"], allowAny: true } })],
];

describe("nginx -t accepts every rendered config", () => {
  test.each(variants)("%s", (_name, over) => {
    const c = cfg(over);
    const r = nginxTest(
      { "pactus-http.conf": renderNginxHttp(c), "pactus.conf": renderNginxTls(c) },
      c.domain,
    );
    expect(r.out).toMatch(/test is successful/);
    expect(r.out).not.toMatch(/\[warn\]/);
    expect(r.ok).toBe(true);
  });

  test("the harness fails a broken config (so a pass means something)", () => {
    const c = cfg();
    const broken = renderNginxTls(c).replace(
      "grpc_pass grpc://pactus_grpc;",
      "grpc_pass grpc://pactus_grpc",
    );
    const r = nginxTest({ "pactus.conf": broken });
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/emerg/);
  });

  test("the TLS site needs the certificate at the rendered path", () => {
    const c = cfg();
    const r = nginxTest({ "pactus.conf": renderNginxTls(c) }, "other.example.org");
    expect(r.ok).toBe(false);
    expect(r.out).toContain("/etc/letsencrypt/live/node.example.org/fullchain.pem");
  });
});
