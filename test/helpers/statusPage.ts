/**
 * Runs nginx/status/status.js as the page would, in a fresh V8 context with the few DOM pieces it uses
 * (rows with data-state and cells, the height element, elements made by the page) and a fetch answered
 * by the test. Returns what the page shows. With a fleet's rendered files (renderStatusFiles) it runs
 * fleet.js too, after status.js as the page loads them, and serves fleet.json from those files.
 * For real-browser runs see test/sandbox/browser.test.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as vm from "node:vm";
import type { StatusFile } from "../../components/render";

const STATUS_JS = fs.readFileSync(path.resolve(__dirname, "../../nginx/status/status.js"), "utf8");

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}
/** A request that gets no answer: "refused" rejects at once, "hang" only when the page aborts it. */
export type NoAnswer = "refused" | "hang";

/** A fleet member's line as the page shows it. */
export interface FleetMemberView {
  name: string;
  /** "this node, serving this page", "shared name", or "". */
  role: string;
  state: string;
  health: string;
}

export interface StatusView {
  rows: Record<"grpcWeb" | "jsonrpc" | "http", { state: string; result: string; latency: string }>;
  height: { state: string; text: string };
  /** The /healthz section: its state, its summary and its visible lines by key. */
  health: { state: string; summary: string; lines: Record<string, string> };
  /** A fleet's section (only with a fleet's files): its state, summary and one line per name. */
  fleet?: { state: string; summary: string; members: FleetMemberView[] };
  requests: { url: string; method: string; headers: Record<string, string> }[];
}

export interface StatusPageOptions {
  /** The rendered status files (renderStatusFiles): their status.js, fleet.js and fleet.json. */
  files?: StatusFile[];
  /** Timers the page sets fire after at most this long (ms): a member's timeout without the wait. */
  maxTimerMs?: number;
}

/** The few DOM element features the pages use. */
interface FakeElement {
  tagName: string;
  className: string;
  textContent: string;
  hidden: boolean;
  dataset: Record<string, string>;
  children: FakeElement[];
  appendChild(c: FakeElement): FakeElement;
}
function element(tagName: string, textContent = ""): FakeElement {
  const e: FakeElement = {
    tagName,
    className: "",
    textContent,
    hidden: true,
    dataset: { state: "pending" },
    children: [],
    appendChild: (c) => (e.children.push(c), c),
  };
  return e;
}

export async function runStatusPage(
  answer: (url: string, body: string | undefined) => Answer | NoAnswer,
  opts: StatusPageOptions = {},
): Promise<StatusView> {
  const file = (name: string) => opts.files?.find((f) => f.name === name)?.content;
  const cell = () => ({ textContent: "" });
  const row = () => {
    const cells = { ".result": cell(), ".latency": cell() };
    return {
      dataset: { state: "pending" } as Record<string, string>,
      querySelector: (s: keyof typeof cells) => cells[s],
      cells,
    };
  };
  const rows = { grpcWeb: row(), jsonrpc: row(), http: row() };
  const height = { dataset: { state: "pending" } as Record<string, string>, textContent: "…" };
  // Any other element (the health and fleet sections'): made on first use.
  const others: Record<string, FakeElement> = {};
  const other = (id: string) => (others[id] ??= element("div"));
  const requests: StatusView["requests"] = [];
  const ready: (() => Promise<void>)[] = [];
  const maxTimer = opts.maxTimerMs ?? Infinity;
  const context = vm.createContext({
    window: {
      addEventListener: (ev: string, fn: () => Promise<void>) => {
        if (ev === "DOMContentLoaded") ready.push(fn);
      },
    },
    document: {
      getElementById: (id: string) =>
        id === "height" ? height : id in rows ? rows[id as keyof typeof rows] : other(id),
      createElement: (tag: string) => element(tag),
      createTextNode: (text: string) => element("#text", text),
      body: { dataset: {} as Record<string, string> },
    },
    performance,
    TextDecoder,
    AbortController,
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, Math.min(ms, maxTimer)),
    clearTimeout,
    fetch: (
      url: string,
      init: {
        method?: string;
        headers?: Record<string, string>;
        body?: unknown;
        signal?: AbortSignal;
      } = {},
    ): Promise<Response> => {
      requests.push({ url, method: init.method ?? "GET", headers: init.headers ?? {} });
      const body = typeof init.body === "string" ? init.body : undefined;
      const served = url === "fleet.json" ? file("fleet.json") : undefined;
      const a: Answer | NoAnswer =
        served !== undefined
          ? { status: 200, headers: { "content-type": "application/json" }, body: served }
          : answer(url, body);
      // What a browser's fetch does without an answer: a TypeError, or an AbortError once aborted.
      if (a === "refused") return Promise.reject(new TypeError("Failed to fetch"));
      if (a === "hang")
        return new Promise((_ok, fail) =>
          init.signal?.addEventListener("abort", () =>
            fail(new DOMException("The operation was aborted.", "AbortError")),
          ),
        );
      const payload =
        typeof a.body === "string" || a.body === undefined
          ? (a.body ?? "")
          : new Blob([Buffer.from(a.body)]);
      return Promise.resolve(
        new Response(a.status === 204 ? null : payload, {
          status: a.status,
          headers: a.headers,
        }),
      );
    },
  });
  vm.runInContext(file("status.js") ?? STATUS_JS, context, { filename: "status.js" });
  if (ready.length !== 1) throw new Error("status.js registered no DOMContentLoaded handler");
  const fleetJs = file("fleet.js");
  if (fleetJs !== undefined) vm.runInContext(fleetJs, context, { filename: "fleet.js" });
  await Promise.all(ready.map((fn) => fn()));
  const view = (r: ReturnType<typeof row>) => ({
    state: r.dataset.state,
    result: r.cells[".result"].textContent,
    latency: r.cells[".latency"].textContent,
  });
  return {
    rows: { grpcWeb: view(rows.grpcWeb), jsonrpc: view(rows.jsonrpc), http: view(rows.http) },
    height: { state: height.dataset.state, text: height.textContent },
    health: {
      state: other("health").dataset.state,
      summary: other("health-summary").textContent,
      lines: Object.fromEntries(
        Object.entries(others)
          .filter(([id, e]) => id.startsWith("health-") && id !== "health-summary" && !e.hidden)
          .map(([id, e]) => [id.slice("health-".length), e.textContent]),
      ),
    },
    ...(fleetJs !== undefined
      ? {
          fleet: {
            state: other("fleet").dataset.state,
            summary: other("fleet-summary").textContent,
            members: other("fleet-members").children.map((li) => {
              const part = (c: string) => li.children.find((e) => e.className === c)?.textContent;
              return {
                name: part("name") ?? "",
                role: (part("role") ?? "").replace(/^ \((.*)\)$/, "$1"),
                state: li.dataset.state,
                health: part("health") ?? "",
              };
            }),
          },
        }
      : {}),
    requests,
  };
}
