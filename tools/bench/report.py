"""The proxy benchmark's report (tools/bench/proxy.sh pipes remote-bench.sh's output here).

Reads "VERSION <tool> <version>" and "RESULT <round> <case> <req/s> <p99 ms> <requests> <new upstream
connections> <proxy CPU us/request> <daemon CPU us/request> <segments to the daemon/request> <segments
from it/request>" lines on stdin. Prints a Markdown table (each
cell the range over the rounds), then one line per ratio, "<work> ours/<peer> <ratio>", from the rounds'
mean, followed by the same ratio per round ("rounds ..."), the CPU lines, and the goals.
"""

import statistics
import sys
from collections import defaultdict

WORKS = [("jsonrpc", "JSON-RPC"), ("http", "HTTP"), ("grpc", "gRPC")]
PEERS = ["envoy", "caddy", "seed"]
GOALS = {"jsonrpc": 1.1, "http": 1.1, "grpc": 1.0}

versions: dict[str, str] = {}
# runs[case][round] = dict of the measures
runs: dict[str, dict[str, dict[str, float | None]]] = defaultdict(dict)
for line in sys.stdin:
    f = line.split()
    if f[:1] == ["VERSION"]:
        versions[f[1]] = f[2]
    elif f[:1] == ["RESULT"]:
        _, rnd, case, rps, p99, reqs, conns, proxy_us, daemon_us, seg_in, seg_out = f
        runs[case][rnd] = {
            "rps": float(rps),
            "p99": float(p99),
            "per10k": int(conns) * 10000 / int(reqs),
            "proxy_us": None if proxy_us == "-" else float(proxy_us),
            "daemon_us": float(daemon_us),
            "seg_in": float(seg_in),
            "seg_out": float(seg_out),
        }


def values(case: str, measure: str, phase: str = "") -> list[float]:
    """The measure of each round of case (rounds named "1", "2"...; phase "c" for the cached ones)."""
    out = []
    for rnd, r in sorted(runs.get(case, {}).items()):
        if rnd.startswith("c") == (phase == "c") and r[measure] is not None:
            out.append(r[measure])
    return out


def mean(case: str, measure: str, phase: str = "") -> float:
    return statistics.fmean(values(case, measure, phase))


def cell(case: str, measure: str, digits: int = 0, phase: str = "") -> str:
    v = values(case, measure, phase)
    if not v:
        return "—"
    lo, hi = f"{min(v):.{digits}f}", f"{max(v):.{digits}f}"
    return lo if lo == hi else f"{lo}–{hi}"


def cells(measure: str, peer: str, digits: int = 0) -> str:
    return " / ".join(cell(f"{w}-{peer}", measure, digits) for w, _ in WORKS)


columns = ["direct", "seed", "ours", "envoy", "caddy", "ceiling"]
names = {
    "direct": "direct",
    "seed": "seed",
    "ours": "ours",
    "envoy": f"Envoy {versions.get('envoy', '?')}",
    "caddy": f"Caddy {versions.get('caddy', '?')}",
    "ceiling": "nginx ceiling",
}
rounds = max((len(values(f"{w}-ours", "rps")) for w, _ in WORKS), default=0)
print(f"nginx {versions.get('nginx', '?')}; {rounds} interleaved rounds, each cell the range over them")
print()
print("| work | " + " | ".join(names[c] for c in columns) + " |")
print("|---|" + "---:|" * len(columns))
for w, title in WORKS:
    label = {"jsonrpc": "JSON-RPC POST", "http": "HTTP API GET", "grpc": "gRPC unary via `/grpc-web`"}[w]
    print(f"| {label}, req/s | " + " | ".join(cell(f"{w}-{c}", "rps") for c in columns) + " |")
for measure, label, digits in [
    ("p99", "p99 ms (JSON-RPC / HTTP / gRPC)", 1),
    ("per10k", "new upstream connections per 10k requests", 0),
    ("proxy_us", "proxy CPU per request, µs", 0),
    ("daemon_us", "daemon CPU per request, µs", 0),
    ("seg_in", "TCP segments to the daemon per request", 1),
    ("seg_out", "TCP segments from the daemon per request", 1),
]:
    print(f"| {label} | " + " | ".join(cells(measure, c, digits) for c in columns) + " |")
print()
print(
    f"HTTP API GET from nginx's cache (ours, nginx.cache on), req/s: {cell('http-cached', 'rps', phase='c')}; "
    f"direct in the same rounds: {cell('http-direct', 'rps', phase='c')}"
)
print()


def ratio(w: str, a: str, b: str) -> float:
    return mean(f"{w}-{a}", "rps") / mean(f"{w}-{b}", "rps")


def round_ratios(w: str, a: str, b: str) -> str:
    x, y = values(f"{w}-{a}", "rps"), values(f"{w}-{b}", "rps")
    return " ".join(f"{p / q:.2f}" for p, q in zip(x, y))


for w, title in WORKS:
    for peer in PEERS + ["direct"]:
        print(f"{title} ours/{peer} {ratio(w, 'ours', peer):.2f}")
cached, direct = mean("http-cached", "rps", "c"), mean("http-direct", "rps", "c")
print(f"HTTP cached/direct {cached / direct:.2f}")
for w, title in WORKS:
    print(
        f"CPU us/request {title} "
        + " ".join(f"{p} {mean(f'{w}-{p}', 'proxy_us'):.0f}" for p in ["ours"] + PEERS)
    )
for w, title in WORKS:
    print(
        f"daemon CPU us/request {title} "
        + " ".join(f"{p} {mean(f'{w}-{p}', 'daemon_us'):.0f}" for p in ["direct", "ours"] + PEERS)
    )
print(
    "daemon CPU us/request gRPC at ours' rate: "
    f"direct {mean('grpc-paced', 'daemon_us'):.0f} ({mean('grpc-paced', 'rps'):.0f} req/s) "
    f"ours {mean('grpc-ours', 'daemon_us'):.0f} ({mean('grpc-ours', 'rps'):.0f} req/s); "
    f"envoy {mean('grpc-envoy', 'daemon_us'):.0f} ({mean('grpc-envoy', 'rps'):.0f} req/s)"
)
for w, title in WORKS:
    print(f"rounds {title} " + ", ".join(f"ours/{p} {round_ratios(w, 'ours', p)}" for p in PEERS))
print(
    "rounds HTTP cached/direct "
    + " ".join(
        f"{a / b:.2f}"
        for a, b in zip(values("http-cached", "rps", "c"), values("http-direct", "rps", "c"))
    )
)
print(
    "nginx ceiling/direct (TLS, fixed answer, no upstream): "
    + ", ".join(f"{t} {ratio(w, 'ceiling', 'direct'):.2f}" for w, t in WORKS)
)

print()
for w, title in WORKS:
    best = max(PEERS[:2], key=lambda p: mean(f"{w}-{p}", "rps"))
    r = ratio(w, "ours", best)
    bound = ratio(w, "direct", best)
    print(
        f"goal {title} ours/best peer ({best}) {r:.2f} >= {GOALS[w]:.2f}: "
        f"{'met' if r >= GOALS[w] else 'not met'} (direct/{best} {bound:.2f}: a proxy costing nothing)"
    )
for w, title in WORKS:
    ours = mean(f"{w}-ours", "proxy_us")
    worse = [p for p in PEERS if mean(f"{w}-{p}", "proxy_us") < ours]
    print(
        f"goal CPU us/request {title} ours <= every peer: "
        + ("met" if not worse else "not met (" + ", ".join(worse) + " lower)")
    )
print(
    f"goal HTTP cached/direct {cached / direct:.2f} >= 3.00: {'met' if cached / direct >= 3 else 'not met'} "
    f"(ceiling/direct {ratio('http', 'ceiling', 'direct'):.2f}: nginx answering from memory; "
    f"cached/ceiling {cached / mean('http-ceiling', 'rps'):.2f})"
)
