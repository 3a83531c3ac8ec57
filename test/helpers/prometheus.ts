/** A real Prometheus's HTTP API, as the metrics suites read it, and a bounded poll. */

export type Sample = { metric: Record<string, string>; value: [number, string] };
export type Target = { labels: Record<string, string>; health: string; lastError: string };
export type Alert = { labels: Record<string, string>; state: string };
export type RuleGroup = { rules: { health: string; name: string }[] };

/**
 * Queries, targets and alerts from a Prometheus; `get` fetches one API path (e.g. with curl from
 * wherever the server is reachable) and returns the body.
 */
export function prometheusApi(get: (apiPath: string) => string) {
  const prom = <T>(apiPath: string): T => (JSON.parse(get(apiPath)) as { data: T }).data;
  return {
    query: (q: string) =>
      prom<{ result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`).result,
    targets: () => prom<{ activeTargets: Target[] }>("/api/v1/targets").activeTargets,
    alerts: () => prom<{ alerts: Alert[] }>("/api/v1/alerts").alerts,
    rules: () => prom<{ groups: RuleGroup[] }>("/api/v1/rules").groups,
  };
}

/** Polls `check` every `stepMs` for `seconds` until it returns a value; throws with the last error. */
export async function waitFor<T>(
  what: string,
  seconds: number,
  check: () => T | undefined,
  stepMs = 250,
): Promise<T> {
  let last: unknown;
  for (let i = 0; i < (seconds * 1000) / stepMs; i++) {
    try {
      const v = check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(
    `${what}: not within ${seconds} s (${last instanceof Error ? last.message : "no error"})`,
  );
}
