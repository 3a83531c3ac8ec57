/** Runs test/load/load.mjs against the sandbox proxy around a (blocking) action and returns its counts. */
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as path from "node:path";

import { ADDR, DOMAIN, ROOT } from "./sandbox";

export interface ApiCounts {
  ok: number;
  failed: number;
  refused: number;
  errors: Record<string, number>;
  /** When each failed request was sent, seconds since the load started. */
  failedAt: number[];
  /** The first answer of each failure kind. */
  samples: Record<string, unknown>;
}
export interface LoadCounts {
  seconds: number;
  sessions: number;
  jsonrpc: ApiCounts;
  grpcWeb: ApiCounts;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the load, lets it run `settleMs`, runs `action`, lets it run `settleMs` more, stops it. */
export async function underLoad<T>(
  caFile: string,
  action: () => T,
  settleMs = 2000,
): Promise<{ result: T; counts: LoadCounts }> {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, "test", "load", "load.mjs"),
      "--url",
      `https://${DOMAIN}`,
      "--connect",
      ADDR,
      "--ca",
      caFile,
      "--rate",
      "200",
      "--workers",
      "4",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const exited = once(child, "exit");
  for (let i = 0; i < 100 && !out.includes("started"); i++) await sleep(100);
  let result: T;
  try {
    await sleep(settleMs);
    result = action();
    await sleep(settleMs);
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
  const line = out.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`the load generator printed no counts: ${out}`);
  return { result, counts: JSON.parse(line) as LoadCounts };
}

export function describeCounts(c: LoadCounts): string {
  const api = (n: string, a: ApiCounts) =>
    `${n} ${a.ok} ok / ${a.failed} failed / ${a.refused} refused+retried`;
  return `${api("JSON-RPC", c.jsonrpc)}, ${api("gRPC-Web", c.grpcWeb)}, ${c.sessions} h2 connections, ${c.seconds.toFixed(1)} s`;
}

/**
 * The failures of both APIs: how long they lasted (first to last failed request, seconds; 0 when
 * none), how many, and their kinds ("502 json cors", "hang", "status N", ...).
 */
export function failureWindow(c: LoadCounts): {
  seconds: number;
  failed: number;
  kinds: Record<string, number>;
} {
  const at = [...c.jsonrpc.failedAt, ...c.grpcWeb.failedAt];
  const kinds: Record<string, number> = {};
  for (const a of [c.jsonrpc, c.grpcWeb])
    for (const [k, n] of Object.entries(a.errors)) kinds[k] = (kinds[k] ?? 0) + n;
  return {
    seconds: at.length ? Math.max(...at) - Math.min(...at) : 0,
    failed: at.length,
    kinds,
  };
}
