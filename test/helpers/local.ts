/** Shared by the tests that run real programs on this machine (test/live, test/render). */
import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The pins of tools/versions.env (plain KEY=value lines), e.g. PACTUS_VERSION: the toolchain's daemon. */
export function versionPins(): Record<string, string> {
  const text = fs.readFileSync(
    path.resolve(__dirname, "..", "..", "tools", "versions.env"),
    "utf8",
  );
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/**
 * A localnet node's working dir at `dir`/wd with 4 validators, made by the pactus step's own pty helper
 * (remote/pactus-init.py) with the wallet password in `dir`/pw, as the step does it.
 */
export function initLocalnetWallet(dir: string, bin = pactusBin()): void {
  fs.writeFileSync(path.join(dir, "pw"), "a long test password\n", { mode: 0o600 });
  execFileSync(
    "python3",
    [
      path.resolve(__dirname, "..", "..", "remote", "pactus-init.py"),
      "--bin-dir",
      bin,
      "--working-dir",
      path.join(dir, "wd"),
      "--network",
      "localnet",
      "--val-num",
      "4",
      "--password-file",
      path.join(dir, "pw"),
    ],
    { stdio: "pipe" },
  );
}

/**
 * A live suite's teardown: SIGTERM to each process whose pid is in `dir`/<file> of `pidFiles`, in that
 * order (no file: it was not started, or already stopped), SIGKILL to the namespace holder, then `dir`
 * removed a second later (kept with PSN_KEEP).
 */
export function stopLiveSuite(
  dir: string | undefined,
  holder: ChildProcess | undefined,
  pidFiles: string[],
): void {
  for (const f of dir ? pidFiles : []) {
    try {
      process.kill(Number(fs.readFileSync(path.join(dir!, f), "utf8")), "SIGTERM");
    } catch {
      /* not started, or already stopped */
    }
  }
  holder?.kill("SIGKILL");
  if (dir && !process.env.PSN_KEEP) spawnSync("bash", ["-c", `sleep 1; rm -rf "${dir}"`]);
}

/**
 * A process holding private network and mount namespaces (enter them with nsenter -t <pid> -n -m),
 * returned once its network namespace is no longer ours. Kill it to drop them.
 */
export async function namespaceHolder(): Promise<ChildProcess> {
  const holder = spawn(
    "unshare",
    ["--net", "--mount", "--propagation", "private", "sleep", "infinity"],
    { stdio: "ignore" },
  );
  const self = fs.readlinkSync("/proc/self/ns/net");
  const separate = () => {
    try {
      return fs.readlinkSync(`/proc/${holder.pid}/ns/net`) !== self;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 100 && !separate(); i++) await new Promise((r) => setTimeout(r, 20));
  return holder;
}

/** A Pactus release's source tree (default: the pinned one), from the Go module cache the toolchain filled. */
export function pactusSourceDir(version = versionPins().PACTUS_VERSION): string {
  return path.join(
    execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8" }).trim(),
    `github.com/pactus-project/pactus@v${version}`,
  );
}

/** The Pactus .proto files of the pinned release. */
export function pactusProtoDir(): string {
  return path.join(pactusSourceDir(), "www/grpc/proto");
}

/**
 * The bin dir with pactus-daemon of `version`: the toolchain's for the pin, its pactus-<version>/ for
 * PACTUS_PREVIOUS_VERSION.
 */
export function pactusBinOf(version: string): string {
  return version === versionPins().PACTUS_VERSION
    ? pactusBin()
    : path.join(pactusBin(), `pactus-${version}`);
}

/** The toolchain's bin dir with pactus-daemon (npm test sets PSN_BIN_DIR). */
export function pactusBin(): string {
  const dir = process.env.PSN_BIN_DIR;
  if (!dir || !fs.existsSync(path.join(dir, "pactus-daemon"))) {
    throw new Error(
      "PSN_BIN_DIR must hold pactus-daemon (npm test sets it from tools/toolchain/build.sh --print-bin)",
    );
  }
  return dir;
}

/**
 * An nginx main config in `dir` (pid, logs and temp paths there) that includes `dir`/sites/*.conf like
 * Debian's does; `extra` lines go into the main context.
 */
export function nginxMainConf(
  dir: string,
  opts: { extra?: string; accessLog?: boolean } = {},
): string {
  return `${opts.extra ?? ""}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events {}
http {
    include /etc/nginx/mime.types;
${opts.accessLog === false ? "    access_log off;\n" : ""}    client_body_temp_path ${dir}/tmp-body;
    proxy_temp_path ${dir}/tmp-proxy;
    fastcgi_temp_path ${dir}/tmp-fastcgi;
    uwsgi_temp_path ${dir}/tmp-uwsgi;
    scgi_temp_path ${dir}/tmp-scgi;
    include ${dir}/sites/*.conf;
}
`;
}

/**
 * Shell lines that ready a fresh network namespace for the daemon: loopback up, plus a veth pair, because
 * localnet's P2P (mDNS) needs a multicast interface besides lo, as any real host has.
 */
export const NETNS_SETUP = `ip link set lo up
ip link add psn-a type veth peer name psn-b
ip addr add 10.239.0.1/24 dev psn-a
ip link set psn-a up
ip link set psn-b up`;

/**
 * A throw-away self-signed P-256 certificate for `domain` (valid two days), as certbot names its files:
 * `dir`/privkey.pem and `dir`/fullchain.pem.
 */
export function throwAwayCert(dir: string, domain: string): void {
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
      ...["-days", "2", "-subj", `/CN=${domain}`, "-addext", `subjectAltName=DNS:${domain}`],
      ...["-keyout", path.join(dir, "privkey.pem"), "-out", path.join(dir, "fullchain.pem")],
    ],
    { stdio: "ignore" },
  );
}
