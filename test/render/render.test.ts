import { parse as parseToml } from "smol-toml";
import {
  renderAll,
  renderCertbotHook,
  renderNginxHttp,
  renderNginxTls,
  renderPactusConfig,
  renderPactusUnit,
} from "../../components/render";
import { planSteps } from "../../components/steps";
import { OPAQUE_SECRET, type RawConfig } from "../../components/validate";
import { baseRaw, cfg } from "../helpers/config";

/** Every key config.toml may hold in Pactus v1.16.0 for the sections we write (config/example_config.toml). */
const PACTUS_1_16_KEYS: Record<string, string[]> = {
  grpc: ["enable", "enable_wallet", "listen", "basic_auth"],
  jsonrpc: ["enable", "listen", "origins"],
  http: ["enable", "listen", "base_path", "enable_cors"],
  html: ["enable", "listen", "enable_pprof"],
  zeromq: ["zmqpubblockinfo", "zmqpubtxinfo", "zmqpubrawblock", "zmqpubrawtx", "zmqpubhwm"],
};

/** location blocks of a rendered nginx server, by their match. */
function locations(conf: string): string[] {
  return [...conf.matchAll(/^\s*location\s+([^@{][^{]*?)\s*\{/gm)].map((m) => m[1]);
}

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

  test("exact locations: /grpc-web/, /jsonrpc (or /jsonrpc/), /http/ — no bare prefixes", () => {
    expect(locations(conf)).toEqual([
      "= /",
      "~ ^/status\\.(js|css)$",
      "/grpc-web/",
      "~ ^/jsonrpc/?$",
      "/http/",
      "/",
    ]);
  });

  test("upstreams with keepalive; gRPC via grpc_pass with the prefix stripped", () => {
    for (const [u, port] of [
      ["pactus_grpc", 50051],
      ["pactus_jsonrpc", 8545],
      ["pactus_http", 8080],
    ]) {
      expect(conf).toMatch(
        new RegExp(`upstream ${u} \\{\\s*server 127\\.0\\.0\\.1:${port};\\s*keepalive 32;`),
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
    // Three API locations, the two JSON 429 and the two JSON 502 locations.
    expect(
      conf.match(/add_header Access-Control-Allow-Origin \$pactus_cors_origin always;/g),
    ).toHaveLength(7);
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
    expect(conf.match(/limit_req zone=pactus_api burst=40 nodelay;/g)).toHaveLength(3);
    expect(conf).toContain(
      `return 429 '{"jsonrpc":"2.0","id":null,"error":{"code":-32005,"message":"rate limit exceeded, retry later"}}';`,
    );
    const off = renderNginxTls(cfg({ nginx: { rateLimit: 0 } }));
    expect(off).not.toMatch(/limit_req|@pactus_\w+_429 \{/);
  });

  test("Authorization reaches the node on all three API locations (basic auth), and preflights allow it", () => {
    const blocks = [
      ...conf.matchAll(
        /^ {4}location (\/grpc-web\/|~ \^\/jsonrpc\/\?\$|\/http\/) \{\n([\s\S]*?)\n {4}\}$/gm,
      ),
    ];
    expect(blocks.map((b) => b[1])).toEqual(["/grpc-web/", "~ ^/jsonrpc/?$", "/http/"]);
    for (const [, , body] of blocks) {
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
    expect(locations(only)).toEqual(["= /", "~ ^/status\\.(js|css)$", "~ ^/jsonrpc/?$", "/"]);
    expect(only).not.toMatch(/pactus_grpc|pactus_http\b|grpc_pass|@pactus_http_(429|502) \{/);
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

  test("only keys valid in Pactus v1.16 (no [http] origins from the runbook)", () => {
    for (const [section, body] of Object.entries(doc)) {
      expect(PACTUS_1_16_KEYS[section]).toBeDefined();
      for (const key of Object.keys(body)) expect(PACTUS_1_16_KEYS[section]).toContain(key);
    }
    expect(doc.http).not.toHaveProperty("origins");
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
