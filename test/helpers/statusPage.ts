/**
 * Runs nginx/status/status.js as the page would, in a fresh V8 context with the few DOM pieces it uses
 * (rows with data-state and cells, the height element) and a fetch answered by the test. Returns what
 * the page shows. For real-browser runs see test/sandbox/browser.test.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as vm from "node:vm";

const STATUS_JS = fs.readFileSync(path.resolve(__dirname, "../../nginx/status/status.js"), "utf8");

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export interface StatusView {
  rows: Record<"grpcWeb" | "jsonrpc" | "http", { state: string; result: string; latency: string }>;
  height: { state: string; text: string };
  /** The /healthz section: its state, its summary and its visible lines by key. */
  health: { state: string; summary: string; lines: Record<string, string> };
  requests: { url: string; method: string; headers: Record<string, string> }[];
}

export async function runStatusPage(
  answer: (url: string, body: string | undefined) => Answer,
): Promise<StatusView> {
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
  // Any other element (the health section's): made on first use.
  const others: Record<
    string,
    { dataset: Record<string, string>; textContent: string; hidden: boolean }
  > = {};
  const other = (id: string) =>
    (others[id] ??= { dataset: { state: "pending" }, textContent: "", hidden: true });
  const requests: StatusView["requests"] = [];
  let ready: (() => Promise<void>) | undefined;
  const context = vm.createContext({
    window: {
      addEventListener: (ev: string, fn: () => Promise<void>) => {
        if (ev === "DOMContentLoaded") ready = fn;
      },
    },
    document: {
      getElementById: (id: string) =>
        id === "height" ? height : id in rows ? rows[id as keyof typeof rows] : other(id),
      body: { dataset: {} as Record<string, string> },
    },
    performance,
    TextDecoder,
    fetch: (
      url: string,
      init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
    ): Promise<Response> => {
      requests.push({ url, method: init.method ?? "GET", headers: init.headers ?? {} });
      const body = typeof init.body === "string" ? init.body : undefined;
      const a = answer(url, body);
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
  vm.runInContext(STATUS_JS, context, { filename: "status.js" });
  if (!ready) throw new Error("status.js registered no DOMContentLoaded handler");
  await ready();
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
    requests,
  };
}
