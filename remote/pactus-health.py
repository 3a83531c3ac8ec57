#!/usr/bin/env python3
"""The node's health, computed on the host and never per request.

Every PSN_REFRESH_SECONDS it asks the node on loopback with the installed release's own pactus-shell
(GetNodeInfo, GetNetworkInfo, GetBlockchainInfo; with basic auth, the same calls as native gRPC with
curl, since pactus-shell takes credentials only as flags, i.e. in its argv), reads the certificate's notAfter with openssl and the
reboot flag, and writes, each atomically (a temporary file renamed over the old one):

- <PSN_OUT_DIR>/healthz.json, which nginx serves at /healthz, and the flag file <PSN_OUT_DIR>/unhealthy
  while the node is not healthy (nginx then answers 503 with the same JSON). Order: going unhealthy,
  the flag comes first; going healthy, the JSON first: a 200 never carries an unhealthy body;
- PSN_PROM_FILE, the node exporter's textfile: the series of METRICS below (their names are the
  alert rules' and the README's: change them only together).

Unhealthy: the node does not answer gRPC, its last block is older than PSN_MAX_BLOCK_AGE seconds, or
the certificate has fewer than PSN_CERT_MIN_DAYS days left (or cannot be read). Peers, clock offset
and the reboot flag are reported, not judged (alerts decide on them).

Inputs (environment; the health step renders them into the unit's EnvironmentFile from
components/render/paths.ts): PSN_SHELL, PSN_GRPC_PORT, PSN_OUT_DIR, PSN_PROM_FILE, PSN_CERT_FILE,
PSN_REBOOT_FLAG, PSN_REFRESH_SECONDS, PSN_MAX_BLOCK_AGE, PSN_CERT_MIN_DAYS, PSN_BLOCK_INTERVAL,
PSN_NETWORK; optional PSN_AUTH_FILE: a 0600 file with the API user and password on two lines
(apis.basicAuth), read at every refresh; they reach curl in a 0600 header file, never an argv.

`--once`: one refresh, then exit (tests). Without it: a loop, as the systemd unit runs it. Every
external call has a timeout, so a refresh cannot hang; should the loop stop anyway, systemd's watchdog
kills it (no WATCHDOG=1 for WatchdogSec) and, as it stops, removes its output dir: /healthz then says
"no health data" (503) rather than serving figures nobody refreshes.
"""
import base64
import datetime
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

# Field numbers of the answers read when calling with curl (basic auth; pactus
# www/grpc/proto/{network,blockchain}.proto, the same in 1.15 and 1.16), by the protojson names
# pactus-shell prints, so both ways give the same dicts.
PROTO_FIELDS = {
    "GetNodeInfo": {2: "agent", 13: "clockOffset", 17: "networkName"},
    "GetBlockchainInfo": {1: "lastBlockHeight", 10: "lastBlockTime", 18: "blocksLeft"},
    "GetNetworkInfo": {1: "networkName", 2: "connectedPeersCount"},
}

# name -> help. Gauges without labels, except pactus_health_info's version and network.
METRICS = {
    "pactus_health_up": "1 when the node answers gRPC on loopback, else 0.",
    "pactus_health_height": "Height of the node's last block.",
    "pactus_health_last_block_age_seconds": "Seconds since the node's last block.",
    "pactus_health_blocks_left": "Blocks the node is behind, from the last block's time.",
    "pactus_health_peers": "Connected peers.",
    "pactus_health_clock_offset_seconds": "The node's clock offset from its peers (s).",
    "pactus_health_cert_expiry_seconds": "Seconds until the TLS certificate's notAfter.",
    "pactus_health_reboot_required": "1 when the host waits for a reboot (security updates).",
    "pactus_health_healthy": "1 when /healthz answers 200, else 0.",
    "pactus_health_info": "The running Pactus version and network (value 1).",
}


def env(name):
    value = os.environ.get(name, "")
    if not value:
        sys.exit(f"pactus-health: input {name} is empty")
    return value


class CallError(Exception):
    pass


def call(shell, port, service, method):
    """The node's answer as a dict; CallError with pactus-shell's message when the call fails
    (pactus-shell exits 0 anyway, printing the error instead of JSON)."""
    args = [shell, service, method, "-s", f"127.0.0.1:{port}", "--timeout", "5s", "-o", "json", "-f", "-"]
    try:
        r = subprocess.run(args, input="{}", capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.SubprocessError) as e:
        raise CallError(f"pactus-shell: {e}") from None
    try:
        out = json.loads(r.stdout)
        if isinstance(out, dict):
            return out
    except ValueError:
        pass
    # Its message, e.g. "rpc error: code = Unauthenticated desc = …": no secret, nothing private.
    text = re.sub(r"\x1b\[[0-9;]*m", "", (r.stdout + r.stderr)).strip().splitlines()
    raise CallError(text[0][:200] if text else f"pactus-shell exited {r.returncode}")


def varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def decode(buf, names):
    """The named fields of a protobuf message (varints, doubles, strings); others skipped."""
    out, i = {}, 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 1:
            value, i = struct.unpack_from("<d", buf, i)[0], i + 8
        elif wire == 2:
            size, i = varint(buf, i)
            value, i = buf[i:i + size].decode("utf-8", "replace"), i + size
        elif wire == 5:
            i += 4
            continue
        else:
            raise CallError(f"unexpected protobuf wire type {wire}")
        if num in names:
            out[names[num]] = value
    return out


def call_curl(port, auth, service, method):
    """The same call as `call`, as native gRPC over h2c with curl, the credentials in a 0600 header
    file (`-H @file`): never in any process's argv. Used with basic auth."""
    d = tempfile.mkdtemp(prefix="psn-health-")
    try:
        header = os.path.join(d, "auth.h")
        with open(os.open(header, os.O_WRONLY | os.O_CREAT, 0o600), "w", encoding="utf-8") as f:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            f.write(f"Authorization: Basic {token}\n")
        trailers = os.path.join(d, "h")
        r = subprocess.run(
            ["curl", "-sS", "--http2-prior-knowledge", "--max-time", "5", "-H", f"@{header}",
             "-H", "Content-Type: application/grpc", "-H", "TE: trailers", "--data-binary", "@-",
             "-D", trailers, "-o", "-", f"http://127.0.0.1:{port}/pactus.{service}/{method}"],
            input=b"\0\0\0\0\0", capture_output=True, timeout=15)
        head = open(trailers, encoding="latin-1").read() if os.path.exists(trailers) else ""
    except (OSError, subprocess.SubprocessError) as e:
        raise CallError(f"curl: {e}") from None
    finally:
        shutil.rmtree(d, ignore_errors=True)
    status = re.search(r"^grpc-status: *(\d+)", head, re.M | re.I)
    if r.returncode != 0 or not status:
        raise CallError(r.stderr.decode("utf-8", "replace").strip()[:200] or "no gRPC answer")
    if status.group(1) != "0":
        message = re.search(r"^grpc-message: *(.*?)\r?$", head, re.M | re.I)
        raise CallError(f"gRPC status {status.group(1)}: {message.group(1) if message else ''}"[:200])
    body = r.stdout
    if len(body) < 5 or body[0] != 0 or len(body) < 5 + int.from_bytes(body[1:5], "big"):
        raise CallError("no gRPC message in the answer")
    return decode(body[5:5 + int.from_bytes(body[1:5], "big")], PROTO_FIELDS[method])


def read_auth(path):
    if not path or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    return (lines[0], lines[1]) if len(lines) >= 2 and lines[0] else None


def cert_not_after(path):
    """The certificate's notAfter (unix time), or None."""
    try:
        r = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in", path],
                           capture_output=True, text=True, timeout=10)
        m = re.match(r"notAfter=(.+)", r.stdout.strip())
        if r.returncode != 0 or not m:
            return None
        t = datetime.datetime.strptime(m.group(1).replace(" GMT", ""), "%b %d %H:%M:%S %Y")
        return int(t.replace(tzinfo=datetime.timezone.utc).timestamp())
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def version_of(agent):
    m = re.search(r"node-version=v?([0-9]+\.[0-9]+\.[0-9]+)", agent or "")
    return m.group(1) if m else None


NOT_ANSWERING = "the node does not answer gRPC on loopback"
# How pactus-shell (grpc-go), curl and subprocess say that nothing answered in time or at all.
NO_ANSWER = re.compile(
    r"code = (Unavailable|DeadlineExceeded|Canceled)|deadline exceeded|connection refused|"
    r"connection reset|error while dialing|dialing server|dial tcp|timed out|\btimeout\b|empty reply|failed to connect|"
    r"couldn't connect|recv failure|broken pipe|no gRPC answer|gRPC status (4|14):",
    re.IGNORECASE)


def listening(port):
    """Whether anything accepts on the node's gRPC port: a stopped node is seen at once, where
    pactus-shell would keep dialling until its timeout."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def measure(cfg, now):
    """One look at the node, the certificate and the host: the /healthz document."""
    auth = read_auth(cfg["auth"])
    error = None
    if listening(cfg["port"]):
        try:
            if auth:
                node = call_curl(cfg["port"], auth, "Network", "GetNodeInfo")
                chain = call_curl(cfg["port"], auth, "Blockchain", "GetBlockchainInfo")
                net = call_curl(cfg["port"], auth, "Network", "GetNetworkInfo")
            else:
                node = call(cfg["shell"], cfg["port"], "network", "get-node-info")
                chain = call(cfg["shell"], cfg["port"], "blockchain", "get-blockchain-info")
                net = call(cfg["shell"], cfg["port"], "network", "get-network-info")
        except CallError as e:
            # A daemon that stops, restarts or hangs between the port check and the call is still one
            # that does not answer, however the dial fails (refused, reset, timed out, unavailable).
            if not listening(cfg["port"]) or NO_ANSWER.search(str(e)):
                error = NOT_ANSWERING
            else:
                error = f"the node's gRPC on loopback fails: {e}"
    else:
        error = NOT_ANSWERING
    up = error is None
    doc = {"healthy": False, "problems": [], "up": up}
    if up:
        version = version_of(node.get("agent"))
        # protojson leaves out zero values and writes 64-bit integers as strings.
        height = int(chain.get("lastBlockHeight", 0))
        last = int(chain.get("lastBlockTime", 0))
        age = max(0, now - last)
        # blocks_left is the node's own since 1.16 ((now - last block time) / interval); before, ours.
        if version and tuple(map(int, version.split("."))) >= (1, 16, 0):
            left = int(chain.get("blocksLeft", 0))
        else:
            left = age // cfg["interval"]
        doc.update({
            "height": height,
            "lastBlockTime": last,
            "lastBlockAgeSeconds": age,
            "blocksLeft": left,
            "peers": int(net.get("connectedPeersCount", 0)),
            "clockOffsetSeconds": round(float(node.get("clockOffset", 0.0)), 6),
            "version": version or "unknown",
            "network": node.get("networkName") or cfg["network"],
        })
        if age > cfg["max_age"]:
            doc["problems"].append(f"last block {age} s ago (more than {cfg['max_age']} s): not synced or stalled")
        elif height == 0 and left > 0:
            # A new node joining a chain: its "last block" is the genesis, which may be recent.
            doc["problems"].append(f"no block yet, {left} behind: syncing")
    else:
        doc["problems"].append(error)
    not_after = cert_not_after(cfg["cert"])
    if not_after is None:
        doc["problems"].append("the TLS certificate cannot be read")
    else:
        days = (not_after - now) // 86400
        doc.update({
            "certificateNotAfter": datetime.datetime.fromtimestamp(not_after, datetime.timezone.utc)
            .strftime("%Y-%m-%dT%H:%M:%SZ"),
            "certificateExpirySeconds": not_after - now,
            "certificateDaysLeft": days,
        })
        if not_after - now < cfg["cert_min_days"] * 86400:
            unit = "day" if days == 1 else "days"
            doc["problems"].append(f"the TLS certificate expires in {days} {unit} (less than {cfg['cert_min_days']})")
    doc["rebootRequired"] = os.path.exists(cfg["reboot_flag"])
    doc["healthy"] = not doc["problems"]
    doc.update({"time": now, "refreshSeconds": cfg["period"], "maxBlockAgeSeconds": cfg["max_age"]})
    return doc


def label(value):
    """A Prometheus label value, escaped (the network name is the node's own string)."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus(doc):
    def num(v):
        return str(int(v)) if isinstance(v, bool) else repr(v) if isinstance(v, float) else str(v)

    values = {
        "pactus_health_up": doc["up"],
        "pactus_health_height": doc.get("height"),
        "pactus_health_last_block_age_seconds": doc.get("lastBlockAgeSeconds"),
        "pactus_health_blocks_left": doc.get("blocksLeft"),
        "pactus_health_peers": doc.get("peers"),
        "pactus_health_clock_offset_seconds": doc.get("clockOffsetSeconds"),
        "pactus_health_cert_expiry_seconds": doc.get("certificateExpirySeconds"),
        "pactus_health_reboot_required": doc["rebootRequired"],
        "pactus_health_healthy": doc["healthy"],
    }
    lines = []
    for name, help_text in METRICS.items():
        if name == "pactus_health_info":
            if not doc["up"]:
                continue
            sample = f'{name}{{version="{label(doc["version"])}",network="{label(doc["network"])}"}} 1'
        elif values[name] is None:
            continue  # unknown while the node is down: absent, not a made-up 0
        else:
            sample = f"{name} {num(values[name])}"
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", sample]
    return "\n".join(lines) + "\n"


def write_atomic(path, text):
    d = os.path.dirname(path)
    os.makedirs(d, exist_ok=True)
    # A dot name: the node exporter reads only *.prom, nginx only healthz.json.
    fd, tmp = tempfile.mkstemp(prefix=".psn-", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def publish(cfg, doc):
    out = cfg["out"]
    flag = os.path.join(out, "unhealthy")
    body = json.dumps(doc, separators=(",", ":")) + "\n"
    if not doc["healthy"]:
        os.makedirs(out, exist_ok=True)
        with open(flag, "a", encoding="utf-8"):
            pass
        os.chmod(flag, 0o644)
        write_atomic(os.path.join(out, "healthz.json"), body)
    else:
        write_atomic(os.path.join(out, "healthz.json"), body)
        if os.path.exists(flag):
            os.unlink(flag)
    write_atomic(cfg["prom"], prometheus(doc))


def sd_notify(message):
    """Tells systemd (Type=notify, WatchdogSec) that a refresh was published: READY after the first,
    WATCHDOG after each; a refresher that stops publishing is killed and restarted by systemd."""
    addr = os.environ.get("NOTIFY_SOCKET", "")
    if not addr:
        return
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.connect(addr)
            s.sendall(message.encode())
    except OSError:
        pass


def main():
    cfg = {
        "shell": env("PSN_SHELL"),
        "port": int(env("PSN_GRPC_PORT")),
        "out": env("PSN_OUT_DIR"),
        "prom": env("PSN_PROM_FILE"),
        "cert": env("PSN_CERT_FILE"),
        "reboot_flag": env("PSN_REBOOT_FLAG"),
        "period": int(env("PSN_REFRESH_SECONDS")),
        "max_age": int(env("PSN_MAX_BLOCK_AGE")),
        "cert_min_days": int(env("PSN_CERT_MIN_DAYS")),
        "interval": int(env("PSN_BLOCK_INTERVAL")),
        "network": env("PSN_NETWORK"),
        "auth": os.environ.get("PSN_AUTH_FILE", ""),
    }
    once = "--once" in sys.argv[1:]
    previous = None
    while True:
        started = time.monotonic()
        now = int(time.time())
        try:
            doc = measure(cfg, now)
        except Exception as e:  # an answer it cannot read: unhealthy, said so, and keep refreshing
            doc = {"healthy": False, "problems": [f"the health refresher failed: {type(e).__name__}: {e}"[:200]],
                   "up": False, "rebootRequired": os.path.exists(cfg["reboot_flag"]), "time": now,
                   "refreshSeconds": cfg["period"], "maxBlockAgeSeconds": cfg["max_age"]}
        publish(cfg, doc)
        sd_notify("READY=1\nWATCHDOG=1")
        # The journal gets a line when the verdict or its reasons change, not every period.
        if doc["problems"] != previous:
            state = "healthy" if doc["healthy"] else "unhealthy: " + "; ".join(doc["problems"])
            print(f"pactus-health: {state}", file=sys.stderr, flush=True)
            previous = doc["problems"]
        if once:
            return
        time.sleep(max(0.5, cfg["period"] - (time.monotonic() - started)))


if __name__ == "__main__":
    main()
