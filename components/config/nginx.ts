import { Problems, bool, group, int } from "./fields";
import type { StackConfig } from "./types";

/** nginx: the per-client rate limit on the API locations, and the hot-read cache. */
export function parseNginx(raw: unknown, p: Problems): StackConfig["nginx"] {
  const n = group(raw, "nginx", p);
  return {
    rateLimit: int(n, "rateLimit", "nginx.rateLimit", 20, 0, 100000, p),
    cache: bool(n, "cache", "nginx.cache", true, p),
  };
}
