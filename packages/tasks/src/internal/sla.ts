// SLA age buckets: their labels from upper bounds, and the one grouped count over a queue's open tasks.
import { Actor, Errors, Policy } from "@airworthy/core"
import { Query } from "@airworthy/storage"
import { Clock, Effect } from "effect"
import type * as Task from "../Task.js"
import type { Method } from "./context.js"
import { day, iso, placeholder } from "./tables.js"

/** The most bounds, and the largest bound (a century of days), an SLA bucket list may have. */
export const maxBuckets = 20
export const maxBucketDays = 36_500

/** The bucket labels for upper bounds `[7, 30, 90]`: `0-7`, `8-30`, `31-90`, `>90`; throws on bad bounds. */
export const bucketsFor = (bounds: ReadonlyArray<number>): ReadonlyArray<Omit<Task.Bucket, "count">> => {
  const out: Array<Omit<Task.Bucket, "count">> = []
  let from = 0
  if (bounds.length > maxBuckets) throw new Error(`At most ${maxBuckets} SLA bucket bounds`)
  for (const b of bounds) {
    if (!Number.isInteger(b) || b < from || b > maxBucketDays)
      throw new Error(
        `SLA bucket bounds must be increasing whole days up to ${maxBucketDays}: ${bounds.slice(0, maxBuckets).join(", ")}`
      )
    out.push({ label: `${from}-${b}`, fromDays: from, toDays: b })
    from = b + 1
  }
  out.push({ label: `>${from - 1}`, fromDays: from, toDays: null })
  return out
}

export const slaBuckets: Method<"slaBuckets"> = (tasks, options) =>
  Effect.gen(function* () {
    yield* Policy.authorize("task.read")
    const actor = yield* Actor.CurrentActor
    const buckets = yield* Effect.try({
      try: () => bucketsFor(options.buckets ?? tasks.slaBounds),
      catch: (e) =>
        new Errors.ValidationFailed({ issues: [{ path: "buckets", message: String((e as Error).message) }] })
    })
    const nowMs = yield* Clock.currentTimeMillis
    const params: Array<unknown> = []
    const p = (v: unknown) => {
      params.push(v)
      return placeholder(tasks.dialect, params.length)
    }
    // Age in whole days <= b  ⇔  created_at > now - (b + 1) days.
    const cases = buckets
      .filter((b) => b.toDays !== null)
      .map((b, i) => `WHEN t.created_at > ${p(iso(nowMs - (b.toDays! + 1) * day))} THEN ${i}`)
      .join(" ")
    const caseSql = `CASE ${cases} ELSE ${buckets.length - 1} END`
    let where = `t.tenant_id = ${p(actor.tenantId)} AND t.status IN ('open', 'in_progress')`
    const queue = options.queue
    if ("kind" in queue) where += ` AND t.kind = ${p(queue.kind)}`
    else if ("assigneeId" in queue) where += ` AND t.assignee_id = ${p(queue.assigneeId)}`
    else
      where += ` AND EXISTS (SELECT 1 FROM aw_task_links l WHERE l.tenant_id = t.tenant_id AND l.task_id = t.id AND l.record_type = ${p(queue.recordType)})`
    const rows = yield* Query.unsafe<{ bucket: number | string; n: number | string }>(
      `SELECT ${caseSql} AS bucket, count(*) AS n FROM aw_tasks t WHERE ${where} GROUP BY 1`,
      params
    )
    const counts = new Map(rows.map((r) => [Number(r.bucket), Number(r.n)]))
    return buckets.map((b, i) => ({ ...b, count: counts.get(i) ?? 0 }))
  })
