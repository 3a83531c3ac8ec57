import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseToml } from "smol-toml";
import {
  GRPC_WEB_TEXT_MESSAGE,
  renderAll,
  renderCertbotHook,
  renderNginxHttp,
  renderHealthUnit,
  renderNginxTls,
  renderPactusConfig,
  renderPactusUnit,
  renderStatusFiles,
} from "../../components/render";
import { planSteps } from "../../components/steps";
import { PACTUS_RELEASES } from "../../components/pactusReleases";
import {
  OPAQUE_SECRET,
  fleetNodeConfigs,
  parseConfig,
  type RawConfig,
} from "../../components/config";
import { baseRaw, cfg, fleetRaw, monitoringRaw } from "../helpers/config";

/** location blocks of a rendered nginx server, by their match. */
function locations(conf: string): string[] {
  return [...conf.matchAll(/^\s*location\s+([^@{][^{]*?)\s*\{/gm)].map((m) => m[1]);
}

/** The body of the server-level location with this exact match (e.g. "/grpc-web/", "@name"). */
function locationBody(conf: string, match: string): string {
  const start = conf.indexOf(`\n    location ${match} {\n`);
  if (start < 0) throw new Error(`no location ${match}`);
  const body = conf.slice(conf.indexOf("{\n", start) + 2);
  return body.slice(0, body.indexOf("\n    }\n"));
}

/** A regex location's pattern as a JS RegExp (the patterns here use no PCRE-only syntax). */
function locationRegex(match: string): RegExp {
  const m = /^(~\*?) (.+)$/.exec(match);
  if (!m) throw new Error(`not a regex location: ${match}`);
  return new RegExp(m[2], m[1] === "~*" ? "i" : "");
}

const JSONRPC_LOCATION = "~ ^/jsonrpc(/|:[0-9]*)?$";
const GRPC_ROOT_LOCATION = "~ ^/pactus\\.[A-Za-z]+/[A-Za-z]+$";

describe("nginx TLS site", () => {
  const conf = renderNginxTls(
    cfg({ cors: { origins: ["https://ping.pactus.org", "https://wallet.pactus.org"] } }),
  );

  test("snapshot", () => {
    expect(conf).toMatchSnapshot();
  });

  test("HTTP/2 on both the IPv4 and the IPv6 listener (the seed forgot IPv6)", () => {
    expect(conf).toMatch(/^\s*listen 443 ssl http2;$/m);
    expect(conf).toMatch(/^\s*listen \[::\]:443 ssl http2;$/m);
  });

  test("certificate from certbot's live dir; TLS 1.2+ only; HSTS; no server version", () => {
    expect(conf).toContain(
      "ssl_certificate     /etc/letsencrypt/live/node.example.org/fullchain.pem;",
    );
    expect(conf).toContain(
      "ssl_certificate_key /etc/letsencrypt/live/node.example.org/privkey.pem;",
    );
    expect(conf).toMatch(/ssl_protocols TLSv1\.2 TLSv1\.3;/);
    expect(conf).not.toMatch(/TLSv1(\.1)?[ ;]/);
    expect(conf).toMatch(/Strict-Transport-Security "max-age=63072000" always/);
    expect(conf).toMatch(/server_tokens off;/);
  });

  test("exact locations: /grpc-web/, /pactus.<Service>/<Method>, /jsonrpc (and the page's forms), /http/ — no bare prefixes", () => {
    expect(locations(conf)).toEqual([
      "= /",
      "~ ^/status\\.(js|css)$",
      "= /healthz",
      "= /.pactus-healthz-503",
      "/grpc-web/",
      GRPC_ROOT_LOCATION,
      JSONRPC_LOCATION,
      "/http/",
      // nginx.cache (on by default): the hot reads, which only narrow /http/.
      "~ ^/http/api/pactus/blockchain/get_block(_hash)?$",
      "= /http/api/pactus/blockchain/get_blockchain_info",
      "/",
    ]);
  });

  test("/healthz: the refresher's file, GET only, never cached, CORS from the map; 503 from its flag or without a file", () => {
    const block = (name: string) => {
      const i = conf.indexOf(`location ${name} {`);
      return conf.slice(i, conf.indexOf("\n    }\n", i));
    };
    const h = block("= /healthz");
    expect(h).toContain("limit_except GET {");
    expect(h).toContain('add_header Cache-Control "no-store" always;');
    expect(h).toContain("add_header Access-Control-Allow-Origin $pactus_cors_origin always;");
    expect(h).toContain("if (!-f /run/pactus-health/healthz.json) {\n            return 503 '{");
    expect(h).toContain("error_page 503 /.pactus-healthz-503;");
    expect(h).toContain("if (-f /run/pactus-health/unhealthy) {\n            return 503;");
    expect(h).toContain("alias /run/pactus-health/healthz.json;");
    // Nothing of it goes to the node, and no rate limit: monitors poll it.
    expect(h).not.toMatch(/proxy_pass|grpc_pass|limit_req/);
    const body = block("= /.pactus-healthz-503");
    expect(body).toContain("internal;");
    expect(body).toContain('add_header Cache-Control "no-store" always;');
    expect(body).toContain("alias /run/pactus-health/healthz.json;");
  });

  test("the refresher's unit: a watched loop (3 refreshes, at least 30 s) whose output dir goes when it stops", () => {
    const unit = renderHealthUnit(cfg());
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^WatchdogSec=30$/m);
    expect(unit).toMatch(/^WatchdogSignal=SIGKILL$/m);
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^RuntimeDirectory=pactus-health$/m);
    expect(unit).toMatch(/^ReadWritePaths=\/var\/lib\/prometheus\/node-exporter$/m);
    expect(renderHealthUnit(cfg({ health: { refreshSeconds: 20 } }))).toMatch(/^WatchdogSec=60$/m);
  });

  test("JSON-RPC: /jsonrpc, /jsonrpc/ and the ping page's /jsonrpc: and /jsonrpc:<port>; nothing longer", () => {
    const re = locationRegex(JSONRPC_LOCATION);
    // What pactus-jsonrpc's JS client builds: type + "://" + host + ":" + port (+ no path).
    const page = (port: string) => new URL(`https://node.example.org/jsonrpc:${port}`).pathname;
    for (const p of ["/jsonrpc", "/jsonrpc/", page(""), page("443"), page("80")])
      expect(p).toMatch(re);
    expect([page(""), page("443")]).toEqual(["/jsonrpc:", "/jsonrpc:443"]);
    for (const p of [
      "/jsonrpcfoo",
      "/jsonrpc/abc",
      "/jsonrpc:abc",
      "/jsonrpc:443/x",
      "/jsonrpc//",
      "/jsonrpc.",
      "/x/jsonrpc",
    ])
      expect(p).not.toMatch(re);
  });

  test("gRPC at the root: only /pactus.<Service>/<Method>, never other services (reflection) or deeper paths", () => {
    const re = locationRegex(GRPC_ROOT_LOCATION);
    for (const p of [
      "/pactus.Blockchain/GetBlockHash",
      "/pactus.Transaction/BroadcastTransaction",
      "/pactus.Network/GetNodeInfo",
    ])
      expect(p).toMatch(re);
    for (const p of [
      "/pactus.Blockchain",
      "/pactus.Blockchain/",
      "/pactus.Blockchain/GetBlockHash/x",
      "/pactus./GetBlockHash",
      "/pactusXBlockchain/GetBlockHash",
      "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      "/grpc.health.v1.Health/Check",
      "/grpc-web/pactus.Blockchain/GetBlockHash",
    ])
      expect(p).not.toMatch(re);
  });

  test("only gRPC content types reach the node: native and grpc-web binary pass, text mode is told apart, the rest is not gRPC", () => {
    const map = /map \$http_content_type \$pactus_grpc_content \{\n([\s\S]*?)\n\}/.exec(conf)![1];
    const entries = [...map.matchAll(/^\s*"(~\*?)([^"]+)" (\w+);$/gm)].map(
      (m) => [new RegExp(m[2], m[1] === "~*" ? "i" : ""), m[3]] as const,
    );
    expect(map).toMatch(/^\s*default "";$/m);
    const kind = (ct: string) => entries.find(([re]) => re.test(ct))?.[1] ?? "";
    for (const ct of [
      "application/grpc",
      "application/grpc+proto",
      "application/grpc-web",
      "application/grpc-web+proto",
      "Application/GRPC",
    ])
      expect([ct, kind(ct)]).toEqual([ct, "grpc"]);
    for (const ct of ["application/grpc-web-text", "application/grpc-web-text+proto"])
      expect([ct, kind(ct)]).toEqual([ct, "text"]);
    for (const ct of [
      "",
      "application/json",
      "application/grpc+json",
      "application/grpc-web+json",
      "application/grpcx",
      "text/plain",
      "application/x-www-form-urlencoded",
    ])
      expect([ct, kind(ct)]).toEqual([ct, ""]);
  });

  test("both gRPC locations share one body (the /grpc-web prefix rewrite aside): CORS and preflight, then the content checks, then the rewrite", () => {
    const web = locationBody(conf, "/grpc-web/");
    const root = locationBody(conf, GRPC_ROOT_LOCATION);
    expect(web.replace("        rewrite ^/grpc-web/(.*)$ /$1 break;\n", "")).toBe(root);
    expect(root).not.toContain("rewrite");
    const order = [
      "if ($request_method = OPTIONS) {",
      "limit_req zone=pactus_api",
      "if ($pactus_grpc_content = text) {\n            return 415;",
      'if ($pactus_grpc_content = "") {\n            return 404;',
      "rewrite ^/grpc-web/(.*)$ /$1 break;",
      "grpc_pass grpc://pactus_grpc;",
    ].map((d) => web.indexOf(d));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(web).toContain("error_page 415 = @pactus_grpc_web_text;");
  });

  test("grpc-web-text gets a readable gRPC-Web error: HTTP 200, its own content type, UNIMPLEMENTED (12), a message, CORS exposing them", () => {
    const text = locationBody(conf, "@pactus_grpc_web_text");
    expect(text).toContain("default_type application/grpc-web-text;");
    expect(text).toContain("add_header Grpc-Status 12 always;");
    expect(text).toMatch(
      /add_header Grpc-Message "[^"%]*not served[^"%]*binary gRPC-Web \(application\/grpc-web\+proto\)" always;/,
    );
    expect(text).toContain("add_header Access-Control-Allow-Origin $pactus_cors_origin always;");
    expect(text).toContain(
      'add_header Access-Control-Expose-Headers "Grpc-Status, Grpc-Message, Grpc-Status-Details-Bin" always;',
    );
    // The body: the same status and message as one base64 gRPC-Web trailer frame (flag 0x80).
    const body = Buffer.from(/return 200 "([A-Za-z0-9+/=]+)";$/.exec(text)![1], "base64");
    expect(body[0]).toBe(0x80);
    expect(body.readUInt32BE(1)).toBe(body.length - 5);
    expect(body.subarray(5).toString()).toBe(
      `grpc-status:12\r\ngrpc-message:${GRPC_WEB_TEXT_MESSAGE}\r\n`,
    );
    expect(text).toContain(`add_header Grpc-Message "${GRPC_WEB_TEXT_MESSAGE}" always;`);
    expect(text).not.toMatch(/grpc_pass|proxy_pass/);
  });

  test("nothing is offered without TLS: every listener of the site is ssl (no plaintext h2c gRPC)", () => {
    const listens = [...conf.matchAll(/^\s*listen (.*);$/gm)].map((m) => m[1]);
    expect(listens).toEqual(["443 ssl http2", "[::]:443 ssl http2"]);
  });

  test("upstreams with keepalive; gRPC via grpc_pass with the prefix stripped", () => {
    for (const [u, port] of [
      ["pactus_grpc", 50051],
      ["pactus_jsonrpc", 8545],
      ["pactus_http", 8080],
    ]) {
      expect(conf).toMatch(
        new RegExp(`upstream ${u} \\{\\s*server 127\\.0\\.0\\.1:${port};\\s*keepalive 128;`),
      );
    }
    expect(conf).toContain("rewrite ^/grpc-web/(.*)$ /$1 break;");
    expect(conf).toContain("grpc_pass grpc://pactus_grpc;");
    expect(conf).toContain("grpc_set_header Content-Type application/grpc;");
    expect(conf).toMatch(/proxy_http_version 1\.1;\s*proxy_set_header Connection "";/);
  });

  test("CORS from the allow-list map, never '*', headers also on errors; grpc status readable", () => {
    expect(conf).toMatch(
      /map \$http_origin \$pactus_cors_origin \{\s*default "";\s*"https:\/\/ping\.pactus\.org" \$http_origin;\s*"https:\/\/wallet\.pactus\.org" \$http_origin;\s*\}/,
    );
    expect(conf).not.toContain('"*"');
    // Four API locations and two cached reads, /healthz and its 503, the grpc-web-text error, the two
    // JSON 429 and the three JSON 502 locations.
    expect(
      conf.match(/add_header Access-Control-Allow-Origin \$pactus_cors_origin always;/g),
    ).toHaveLength(14);
    expect(conf).toMatch(
      /Access-Control-Expose-Headers "Grpc-Status, Grpc-Message, Grpc-Status-Details-Bin" always/,
    );
    expect(conf).toMatch(
      /Access-Control-Allow-Headers "Content-Type, Authorization, X-Grpc-Web, X-User-Agent, Grpc-Timeout"/,
    );
  });

  test("allowAny renders '*' as the map default", () => {
    const any = renderNginxTls(cfg({ cors: { origins: ["*"], allowAny: true } }));
    expect(any).toMatch(/map \$http_origin \$pactus_cors_origin \{\s*default "\*";\s*\}/);
  });

  test("nginx.rateLimit: a per-client zone on every API location, JSON 429s; 0 turns it off", () => {
    expect(conf).toMatch(/limit_req_zone \$binary_remote_addr zone=pactus_api:10m rate=20r\/s;/);
    expect(conf.match(/limit_req zone=pactus_api burst=40 nodelay;/g)).toHaveLength(6);
    expect(conf).toContain(
      `return 429 '{"jsonrpc":"2.0","id":null,"error":{"code":-32005,"message":"rate limit exceeded, retry later"}}';`,
    );
    const off = renderNginxTls(cfg({ nginx: { rateLimit: 0 } }));
    expect(off).not.toMatch(/limit_req|@pactus_\w+_429 \{/);
  });

  test("Authorization reaches the node on all four API locations (basic auth), and preflights allow it", () => {
    const apiLocations = ["/grpc-web/", GRPC_ROOT_LOCATION, JSONRPC_LOCATION, "/http/"];
    for (const body of apiLocations.map((l) => locationBody(conf, l))) {
      expect(body).toMatch(
        /add_header Access-Control-Allow-Headers "[^"]*\bAuthorization\b[^"]*" always;/,
      );
      // nginx forwards request headers unless told otherwise: nothing here may drop or rewrite this one.
      expect(body).not.toMatch(
        /(proxy|grpc)_set_header\s+Authorization|proxy_pass_request_headers\s+off|underscores_in_headers|ignore_invalid_headers/i,
      );
    }
    expect(conf).not.toMatch(/Authorization\s+""/);
  });

  test("only enabled APIs get a location and an upstream", () => {
    const only = renderNginxTls(cfg({ apis: { grpcWeb: false, jsonrpc: true, http: false } }));
    expect(locations(only)).toEqual([
      "= /",
      "~ ^/status\\.(js|css)$",
      "= /healthz",
      "= /.pactus-healthz-503",
      JSONRPC_LOCATION,
      "/",
    ]);
    // apis.grpcWeb switches both gRPC locations, their content-type map and the text-mode error.
    expect(only).not.toMatch(
      /pactus_grpc|pactus_http\b|grpc_pass|@pactus_http_(429|502) \{|\/pactus\\\.|grpc-web/,
    );
  });
});

describe("monitoring.*: the /metrics/ locations, the daemon's HTML server, the exporter's options", () => {
  const off = cfg();
  const both = cfg(monitoringRaw());
  const authOnly = cfg(monitoringRaw({ cidrs: [] }));
  const cidrsOnly = cfg(monitoringRaw({ auth: false, cidrs: ["10.0.0.5/32"] }));

  test("off (the default): no /metrics location (404 via location /), HTML server off, no exporter file", () => {
    expect(locations(renderNginxTls(off)).filter((l) => l.includes("metrics"))).toEqual([]);
    expect(renderNginxTls(off)).not.toContain("metrics");
    expect(parseToml(renderPactusConfig(off)).html).toMatchObject({ enable: false });
    expect(renderAll(off).map((f) => f.path)).not.toContain(
      "/etc/default/prometheus-node-exporter",
    );
  });

  test("on: exactly /metrics/node and /metrics/pactus, proxied to loopback; the scraper's credentials stay in nginx", () => {
    const conf = renderNginxTls(both);
    expect(conf).toMatchSnapshot();
    expect(locations(conf).filter((l) => l.includes("metrics"))).toEqual([
      "= /metrics/node",
      "= /metrics/pactus",
    ]);
    const node = locationBody(conf, "= /metrics/node");
    const pactus = locationBody(conf, "= /metrics/pactus");
    expect(node).toContain("proxy_pass http://127.0.0.1:9100/metrics;");
    expect(pactus).toContain("proxy_pass http://127.0.0.1:8081/metrics/prometheus;");
    // The exporter gets no Authorization; the daemon (which with [grpc] basic_auth wants *a* Basic
    // header and checks none) a fixed, meaningless one: never the scraper's.
    expect(node).toContain('proxy_set_header Authorization "";');
    expect(pactus).toContain('proxy_set_header Authorization "Basic bWV0cmljczo=";');
    expect(Buffer.from("bWV0cmljczo=", "base64").toString()).toBe("metrics:");
    // No new listener: the same two TLS listeners as without monitoring.
    expect(conf.match(/^\s*listen .*$/gm)).toEqual(renderNginxTls(off).match(/^\s*listen .*$/gm));
  });

  test("both: satisfy all (a listed source AND the credentials), allow lines then deny all", () => {
    for (const loc of ["= /metrics/node", "= /metrics/pactus"]) {
      const body = locationBody(renderNginxTls(both), loc);
      expect(body).toMatch(
        /satisfy all;\n\s+allow 203\.0\.113\.0\/24;\n\s+allow 2001:db8::\/32;\n\s+deny all;\n\s+auth_basic "pactus metrics";\n\s+auth_basic_user_file \/etc\/nginx\/pactus-metrics\.htpasswd;/,
      );
    }
  });

  test("the API rate limit covers the metrics too (each password guess costs a bcrypt comparison)", () => {
    for (const loc of ["= /metrics/node", "= /metrics/pactus"]) {
      expect(locationBody(renderNginxTls(both), loc)).toContain(
        "limit_req zone=pactus_api burst=40 nodelay;",
      );
      expect(
        locationBody(renderNginxTls({ ...both, nginx: { ...both.nginx, rateLimit: 0 } }), loc),
      ).not.toContain("limit_req");
    }
  });

  test("credentials only: auth_basic, no allow/deny; CIDRs only: allow/deny, no auth_basic", () => {
    const a = locationBody(renderNginxTls(authOnly), "= /metrics/node");
    expect(a).toContain("auth_basic_user_file /etc/nginx/pactus-metrics.htpasswd;");
    expect(a).not.toMatch(/allow|deny|satisfy/);
    const c = locationBody(renderNginxTls(cidrsOnly), "= /metrics/pactus");
    expect(c).toMatch(/allow 10\.0\.0\.5\/32;\n\s+deny all;/);
    expect(c).not.toMatch(/auth_basic|satisfy/);
  });

  test("the daemon's HTML server on loopback 8081, pprof off; the exporter on loopback 9100 with the textfile dir", () => {
    expect(parseToml(renderPactusConfig(both)).html).toEqual({
      enable: true,
      listen: "127.0.0.1:8081",
      enable_pprof: false,
    });
    const files = renderAll(both);
    const defaults = files.find((f) => f.path === "/etc/default/prometheus-node-exporter")!;
    expect(defaults.content).toContain(
      'ARGS="--web.listen-address=127.0.0.1:9100 --collector.textfile.directory=/var/lib/prometheus/node-exporter"',
    );
    // The htpasswd file is pushed from the secret stdin: render shows a placeholder.
    const ht = files.find((f) => f.path === "/etc/nginx/pactus-metrics.htpasswd")!;
    expect(ht).toMatchObject({ content: "<secret: monitoring.basicAuth>\n", mode: "0640" });
    expect(renderAll(cidrsOnly).map((f) => f.path)).not.toContain(ht.path);
  });
});

describe("nginx HTTP site", () => {
  const conf = renderNginxHttp(cfg());
  test("snapshot", () => expect(conf).toMatchSnapshot());
  test("ACME webroot for the domain, redirect for the rest, nothing proxied for other names", () => {
    expect(conf).toMatch(
      /location \^~ \/\.well-known\/acme-challenge\/ \{\s*root \/var\/www\/pactus-acme;/,
    );
    expect(conf).toContain("return 301 https://node.example.org$request_uri;");
    expect(conf).toMatch(/listen 80 default_server;[\s\S]*return 404;/);
    expect(conf).not.toMatch(/proxy_pass|grpc_pass/);
  });
});

describe("Pactus config.toml", () => {
  const text = renderPactusConfig(cfg({ cors: { origins: ["https://ping.pactus.org"] } }));
  const doc = parseToml(text) as Record<string, Record<string, unknown>>;

  test("snapshot", () => expect(text).toMatchSnapshot());

  test.each(Object.keys(PACTUS_RELEASES))(
    "only keys Pactus %s accepts (no [http] origins from the runbook)",
    (version) => {
      const keys = PACTUS_RELEASES[version].keys as Record<string, readonly string[]>;
      const d = parseToml(
        renderPactusConfig(cfg({ pactus: { ...(baseRaw().pactus as object), version } })),
      ) as Record<string, Record<string, unknown>>;
      for (const [section, body] of Object.entries(d)) {
        expect(keys[section]).toBeDefined();
        for (const key of Object.keys(body)) expect(keys[section]).toContain(key);
      }
      expect(d.http).not.toHaveProperty("origins");
    },
  );

  test("a later patch release of a known line renders with that line's keys; an unknown line throws", () => {
    const at = (version: string) =>
      renderPactusConfig({ ...cfg(), pactus: { ...cfg().pactus, version } });
    expect(at("1.16.7")).toBe(at("1.16.0"));
    expect(() => at("1.14.0")).toThrow("pactus.version 1.14.0 is not supported");
  });

  test("every API listens on 127.0.0.1; gRPC stays on for the gateways; the HTML UI is off", () => {
    expect(doc.grpc).toMatchObject({
      enable: true,
      enable_wallet: false,
      listen: "127.0.0.1:50051",
    });
    expect(doc.jsonrpc).toMatchObject({
      enable: true,
      listen: "127.0.0.1:8545",
      origins: ["https://ping.pactus.org"],
    });
    expect(doc.http).toMatchObject({
      enable: true,
      listen: "127.0.0.1:8080",
      base_path: "/http",
      enable_cors: true,
    });
    expect(doc.html).toMatchObject({ enable: false });
    for (const v of Object.values(doc.zeromq).filter((x) => typeof x === "string"))
      expect(v).toBe("");
  });

  test("APIs switched off in the stack are off in the node", () => {
    const off = parseToml(
      renderPactusConfig(
        cfg({ apis: { grpcWeb: true, jsonrpc: false, http: false }, cors: { origins: [] } }),
      ),
    ) as Record<string, Record<string, unknown>>;
    expect(off.jsonrpc.enable).toBe(false);
    expect(off.http).toMatchObject({ enable: false, enable_cors: false });
    expect(off.jsonrpc.origins).toEqual([]);
  });
});

describe("systemd unit and certbot hook", () => {
  test("the unit runs the versioned binary as pactus with --password-from-file and restarts always", () => {
    const unit = renderPactusUnit(cfg());
    expect(unit).toMatchSnapshot();
    expect(unit).toMatch(/^User=pactus$/m);
    expect(unit).toContain(
      "ExecStart=/opt/pactus/1.16.0/pactus-daemon start -w /var/lib/pactus/node --password-from-file /etc/pactus/wallet-password",
    );
    expect(unit).not.toMatch(/--password |-p /);
    expect(unit).toMatch(/^Restart=always$/m);
  });

  test("the deploy hook reloads (never restarts) nginx, only for our domain", () => {
    const hook = renderCertbotHook(cfg());
    expect(hook).toMatch(/systemctl reload nginx/);
    expect(hook).not.toMatch(/restart/);
    expect(hook).toContain('*" node.example.org "*)');
  });
});

describe("renderAll and the steps use the same files", () => {
  test("every pushed file has a host path and a mode; the password file is a placeholder", () => {
    const files = renderAll(cfg());
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/etc/nginx/sites-available/pactus.conf",
        "/etc/nginx/sites-available/pactus-http.conf",
        "/var/lib/pactus/node/config.toml",
        "/etc/systemd/system/pactus.service",
        "/etc/letsencrypt/renewal-hooks/deploy/50-pactus-nginx-reload.sh",
        "/etc/pactus/wallet-password",
        "/var/www/pactus/index.html",
        "/var/www/pactus/status.js",
        "/var/www/pactus/status.css",
      ]),
    );
    expect(files.find((f) => f.path === "/etc/pactus/wallet-password")).toMatchObject({
      mode: "0600",
      content: "<secret: pactus.walletPassword>\n",
    });
  });

  test("apis.basicAuth: config.toml shows where the pactus step puts the secret; the pushed text never holds it", () => {
    const auth: Partial<RawConfig> = {
      secrets: {
        ...baseRaw().secrets,
        "apis.basicAuth": OPAQUE_SECRET,
        "apis.basicAuthPassword": OPAQUE_SECRET,
      },
    };
    const c = cfg(auth);
    const file = renderAll(c).find((f) => f.path === "/var/lib/pactus/node/config.toml")!;
    expect(file.mode).toBe("0640");
    expect(file.content).toBe(
      renderPactusConfig(c).replace('basic_auth = ""', 'basic_auth = "<secret: apis.basicAuth>"'),
    );
    expect(renderAll(cfg()).find((f) => f.path === file.path)!.content).toContain(
      '\nbasic_auth = ""\n',
    );
    const pactus = planSteps(c, { sshPort: 22, basicAuthDigest: "0".repeat(64) }).find(
      (s) => s.name === "pactus",
    )!;
    expect(pactus.env.PSN_CONFIG).toBe(renderPactusConfig(cfg()));
  });

  test("a private ACME CA adds its bundle and a certbot drop-in", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    const files = renderAll(
      cfg({ acme: { email: "a@b.org", server: "https://10.0.0.1:14000/dir", caBundle: pem } }),
    );
    expect(files.find((f) => f.path === "/etc/pactus-secure-node/acme-ca.pem")?.content).toBe(
      pem + "\n",
    );
    expect(files.find((f) => f.path.endsWith("50-pactus-acme-ca.conf"))?.content).toContain(
      "REQUESTS_CA_BUNDLE=/etc/pactus-secure-node/acme-ca.pem",
    );
  });

  test("the steps push exactly the rendered contents", () => {
    const c = cfg();
    const steps = Object.fromEntries(planSteps(c, { sshPort: 22 }).map((s) => [s.name, s]));
    expect(steps["nginx-tls"].env.PSN_TLS_CONF).toBe(renderNginxTls(c));
    expect(steps["nginx-bootstrap"].env.PSN_HTTP_CONF).toBe(renderNginxHttp(c));
    expect(steps.pactus.env.PSN_CONFIG).toBe(renderPactusConfig(c));
    expect(steps.pactus.env.PSN_UNIT).toBe(renderPactusUnit(c));
    expect(steps.certificate.env.PSN_HOOK).toBe(renderCertbotHook(c));
  });
});

describe("a fleet's shared name", () => {
  const fleet = (): RawConfig => {
    const raw = baseRaw();
    return {
      ...raw,
      acme: {
        ...(raw.acme as object),
        dns01: { plugin: "rfc2136", server: "192.0.2.53", keyName: "acme-key." },
      },
      fleet: { publicName: "rpc.example.org", nodes: [{}, { address: "203.0.113.11" }] },
      secrets: { ...raw.secrets, "acme.rfc2136Secret": "c2VjcmV0LXRzaWcta2V5LWZvci10ZXN0cw==" },
    };
  };
  test("both sites list the node's own name and the shared name; the redirect keeps the name asked for", () => {
    const [one, two] = fleetNodeConfigs(parseConfig(fleet()).config);
    expect(renderNginxTls(one)).toContain("server_name node.example.org rpc.example.org;");
    expect(renderNginxTls(two)).toContain("server_name node-2.example.org rpc.example.org;");
    const http = renderNginxHttp(two);
    expect(http).toContain("server_name node-2.example.org rpc.example.org;");
    expect(http).toContain("return 301 https://$host$request_uri;");
  });
  test("without a shared name nothing changes", () => {
    expect(renderNginxTls(cfg())).toContain("server_name node.example.org;");
    expect(renderNginxHttp(cfg())).toContain("return 301 https://node.example.org$request_uri;");
  });
});

describe("a fleet's status page: the member list, and /healthz readable from every member's page", () => {
  const nodes = fleetNodeConfigs(parseConfig(fleetRaw(3)).config);
  const ORIGINS = [
    "https://node.example.org",
    "https://node-2.example.org",
    "https://node-3.example.org",
    "https://rpc.example.org",
  ];
  const file = (files: { name: string; content: string }[], name: string) =>
    files.find((f) => f.name === name)?.content;

  test("each node renders fleet.json from cfg.fleet: the members, itself, the shared name", () => {
    nodes.forEach((node, i) => {
      const files = renderStatusFiles(node);
      expect(JSON.parse(file(files, "fleet.json")!)).toEqual({
        self: ["node.example.org", "node-2.example.org", "node-3.example.org"][i],
        members: ["node.example.org", "node-2.example.org", "node-3.example.org"],
        publicName: "rpc.example.org",
      });
      expect(files.map((f) => f.name)).toEqual([
        "fleet.css",
        "fleet.js",
        "fleet.json",
        "index.html",
        "status.css",
        "status.js",
      ]);
      const index = file(files, "index.html")!;
      // fleet.js after status.js (it uses describeHealth); the section after the node's own health.
      expect(index.indexOf('<script src="fleet.js" defer>')).toBeGreaterThan(
        index.indexOf('<script src="status.js" defer>'),
      );
      expect(index.indexOf('<section id="fleet"')).toBeGreaterThan(
        index.indexOf('<section id="health"'),
      );
      // renderAll pushes the same files to the status root.
      const pushed = renderAll(node).filter((f) => f.path.startsWith("/var/www/pactus/"));
      expect(pushed.map((f) => [f.path.slice("/var/www/pactus/".length), f.content])).toEqual(
        files.map((f) => [f.name, f.content]),
      );
    });
  });

  test("nginx: /healthz (and its 503) allows every member's and the shared name's origin; the APIs keep cors.*", () => {
    for (const node of nodes) {
      const conf = renderNginxTls(node);
      const map = /map \$http_origin \$pactus_healthz_origin \{\n([^}]*)\}/.exec(conf);
      expect(map?.[1]).toBe(
        [
          "    default $pactus_cors_origin;",
          ...ORIGINS.map((o) => `    "${o}" $http_origin;`),
          "",
        ].join("\n"),
      );
      for (const loc of ["= /healthz", "= /.pactus-healthz-503"])
        expect(locationBody(conf, loc)).toContain(
          "add_header Access-Control-Allow-Origin $pactus_healthz_origin always;",
        );
      // Only /healthz reads the fleet's map; cors.* alone decides the rest.
      expect(conf.match(/\$pactus_healthz_origin/g)).toHaveLength(3);
      const cors = /map \$http_origin \$pactus_cors_origin \{\n([^}]*)\}/.exec(conf)![1];
      for (const o of ORIGINS) expect(cors).not.toContain(o);
      // The page may connect to them (its CSP), and nginx serves fleet.js, fleet.css, fleet.json.
      expect(locationBody(conf, "= /")).toContain(
        `add_header Content-Security-Policy "default-src 'self'; connect-src 'self' ${ORIGINS.join(" ")}; frame-ancestors 'none'" always;`,
      );
      const fleetFiles = locationRegex(locations(conf).find((l) => l.includes("fleet"))!);
      for (const f of ["/fleet.js", "/fleet.css", "/fleet.json"]) expect(f).toMatch(fleetFiles);
      for (const f of ["/fleet.html", "/fleet.jsonx", "/x/fleet.js"])
        expect(f).not.toMatch(fleetFiles);
    }
  });

  test("a shared name over one node is a fleet too (its page reads the shared name)", () => {
    const one = parseConfig(fleetRaw(1)).config;
    expect(JSON.parse(file(renderStatusFiles(one), "fleet.json")!)).toEqual({
      self: "node.example.org",
      members: ["node.example.org"],
      publicName: "rpc.example.org",
    });
    expect(renderNginxTls(one)).toContain('    "https://rpc.example.org" $http_origin;');
  });

  test("a stack of one node renders none of it: no member list, no fleet origins, the page as it is", () => {
    const c = cfg();
    const conf = renderNginxTls(c);
    expect(conf).not.toContain("pactus_healthz_origin");
    expect(conf).not.toContain("fleet");
    expect(conf).not.toContain("connect-src");
    expect(locationBody(conf, "= /healthz")).toContain(
      "add_header Access-Control-Allow-Origin $pactus_cors_origin always;",
    );
    expect(renderStatusFiles(c).map((f) => f.name)).toEqual([
      "index.html",
      "status.css",
      "status.js",
    ]);
    expect(file(renderStatusFiles(c), "index.html")).not.toContain("fleet");
    // The step pushes the files as they are in nginx/status, byte for byte (its hash unchanged).
    const step = planSteps(c, { sshPort: 22 }).find((s) => s.name === "nginx-tls")!;
    const dir = path.resolve(__dirname, "../../nginx/status");
    expect(step.env.PSN_STATUS_FILES).toBe(
      fs
        .readdirSync(dir)
        .sort()
        .map((f) => `${f} ${fs.readFileSync(path.join(dir, f)).toString("base64")}`)
        .join("\n") + "\n",
    );
  });

  test("each node's nginx-tls step pushes its own page (fleet.json names the node itself)", () => {
    const bundles = nodes.map(
      (n) =>
        planSteps(n, { sshPort: 22, acmeDnsSecretDigest: "d" }).find((s) => s.name === "nginx-tls")!
          .env.PSN_STATUS_FILES,
    );
    bundles.forEach((b, i) => {
      const line = b.split("\n").find((l) => l.startsWith("fleet.json "))!;
      const json = JSON.parse(Buffer.from(line.split(" ")[1], "base64").toString("utf8"));
      expect(json.self).toBe(nodes[i].domain);
    });
  });
});
