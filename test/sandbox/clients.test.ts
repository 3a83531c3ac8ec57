/**
 * The official Pactus clients against the node `pulumi up` deployed in the sandbox, called the way their
 * users call them, each answer compared with the daemon's own on the host's loopback:
 * - pactus-shell (built from the pinned Pactus module) with --tls at <domain>:443, methods at the root;
 * - the PyPI pactus-jsonrpc client at https://<domain>/jsonrpc and pactus-grpc's stubs over
 *   grpc.secure_channel("<domain>:443"), from the project's pinned venv (tools/clients), with the
 *   domain resolved through /etc/hosts (a private mount namespace gives this process its own);
 * - the deploy's own checks (verify step, deploy.sh check) used the page's JSON-RPC form.
 * Trust: only the sandbox ACME root, never a skipped check.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  ADDR,
  DOMAIN,
  onHost,
  sandboxDone,
  sandboxUp,
  readOutputs,
  pyClients,
} from "../helpers/sandbox";

const MIN = 60_000;
let root: string;
let direct: string;
let tmp: string;

beforeAll(() => {
  sandboxUp();
  root = readOutputs().caCert;
  direct = (
    JSON.parse(
      onHost("curl -s 'http://127.0.0.1:8080/http/api/pactus/blockchain/get_block_hash?height=1'"),
    ) as { hash: string }
  ).hash;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "psn-clients-"));
}, 20 * MIN);
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  sandboxDone();
}, 5 * MIN);

test("the daemon's own answer is a block hash", () => {
  expect(direct).toMatch(/^[0-9a-f]{64}$/);
});

test("pactus-shell --tls at <domain>:443 (root method paths) gets the daemon's block hash", () => {
  const r = spawnSync(
    path.join(process.env.PSN_BIN_DIR!, "pactus-shell"),
    [
      "blockchain",
      "get-block-hash",
      "--height",
      "1",
      "-s",
      `${ADDR}:443`,
      "--tls",
      "--tls-ca-cert-file",
      root,
      "--tls-server-name",
      DOMAIN,
      "-o",
      "json",
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({ hash: direct });
});

test(
  "the PyPI clients (pactus-jsonrpc, pactus-grpc over TLS at the root) get the daemon's block hash",
  () => {
    // The node's name resolves through this process's own /etc/hosts, as a user's machine resolves it.
    const r = pyClients(tmp, DOMAIN, ADDR, root);
    expect(r.jsonrpc).toEqual({ url: `https://${DOMAIN}/jsonrpc`, hash: direct });
    expect(r.grpc).toEqual({ target: `${DOMAIN}:443`, hash: direct });
  },
  12 * MIN,
);

test("the deploy's checks asked JSON-RPC the way the ping page does (POST /jsonrpc:)", () => {
  // verify.sh (the last step of every up) and deploy.sh's own checks use the page's URL form; the
  // access log is buffered for at most 5 s.
  const lines = onHost(
    "sleep 6; grep -c '\"POST /jsonrpc: HTTP/[0-9.]*\" 200 ' /var/log/nginx/access.log || true",
  );
  expect(Number(lines)).toBeGreaterThanOrEqual(1);
});
