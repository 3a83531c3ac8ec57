import { Problems, group, int } from "./fields";
import type { StackConfig } from "./types";

/** backup: the daily snapshots of the AWS data volume. */
export function parseBackup(raw: unknown, p: Problems): StackConfig["backup"] {
  const b = group(raw, "backup", p);
  return { keepDays: int(b, "keepDays", "backup.keepDays", 7, 1, 365, p) };
}
