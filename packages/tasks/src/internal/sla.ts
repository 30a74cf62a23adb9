// SLA age buckets: their labels from upper bounds, and the one grouped count over a queue's open tasks.
import type * as Task from "../Task.js"

/** The bucket labels for upper bounds `[7, 30, 90]`: `0-7`, `8-30`, `31-90`, `>90`; throws on bad bounds. */
export const bucketsFor = (bounds: ReadonlyArray<number>): ReadonlyArray<Omit<Task.Bucket, "count">> => {
  const out: Array<Omit<Task.Bucket, "count">> = []
  let from = 0
  for (const b of bounds) {
    if (!Number.isInteger(b) || b < from)
      throw new Error(`SLA bucket bounds must be increasing whole days: ${bounds.join(", ")}`)
    out.push({ label: `${from}-${b}`, fromDays: from, toDays: b })
    from = b + 1
  }
  out.push({ label: `>${from - 1}`, fromDays: from, toDays: null })
  return out
}
