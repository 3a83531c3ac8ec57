import { Problems, group, int } from "./fields";
import type { StackConfig } from "./types";

/** health: the refresher's period and the block age that makes the node unhealthy. */
export function parseHealth(raw: unknown, p: Problems): StackConfig["health"] {
  const h = group(raw, "health", p);
  const refreshSeconds = int(h, "refreshSeconds", "health.refreshSeconds", 10, 2, 300, p);
  const maxBlockAgeSeconds = int(
    h,
    "maxBlockAgeSeconds",
    "health.maxBlockAgeSeconds",
    120,
    30,
    86400,
    p,
  );
  // The age is only seen once per refresh: a bound within two periods would flap between refreshes.
  if (maxBlockAgeSeconds < 2 * refreshSeconds)
    p.add(
      "health.maxBlockAgeSeconds",
      `${maxBlockAgeSeconds} is less than two refresh periods (health.refreshSeconds ${refreshSeconds}); set at least ${2 * refreshSeconds}, or refresh more often`,
    );
  return { refreshSeconds, maxBlockAgeSeconds };
}
