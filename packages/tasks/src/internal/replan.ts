// Re-planning a task's ladder when its due date moves.
import { Query, type StorageError } from "@airworthy/storage"
import { Effect } from "effect"
import * as Ladder from "../Ladder.js"
import type * as Task from "../Task.js"
import type { Database, TasksContext } from "./context.js"
import { stepRow } from "./store.js"
import { type EscalationRow, iso, type Tables } from "./tables.js"

const q = Query.make<Tables>()

/** A step as the audit event shows it. */
export interface StepView {
  readonly name: string
  readonly dueAt: string
  readonly state: string
}

const ladderView = (rows: ReadonlyArray<Pick<EscalationRow, "name" | "due_at" | "state">>): Array<StepView> =>
  rows.map((r) => ({ name: r.name, dueAt: r.due_at, state: r.state }))

/**
 * Re-plans a task's ladder for a new due date, after its task row was locked. Steps performed
 * (`done`) or under a live claim stay as they are; the others get `Ladder.plan`'s instant for the
 * new date, and a reminder that now falls before `now` is skipped (as at creation). If the kind's
 * ladder changed since the task was created (a step's name differs), its steps keep their offset
 * from the old due date instead, and no step is added. Returns the ladder before and after, for the audit event.
 */
export const replan = (
  tasks: TasksContext,
  tenantId: string,
  task: Task.Task,
  dueMs: number,
  nowMs: number
): Effect.Effect<
  { readonly before: ReadonlyArray<StepView>; readonly after: ReadonlyArray<StepView> },
  StorageError.StorageError,
  Database
> =>
  Effect.gen(function* () {
    const now = iso(nowMs)
    const rows = yield* q.rows((db) =>
      db
        .selectFrom("aw_task_escalations")
        .selectAll()
        .where("tenant_id", "=", tenantId)
        .where("task_id", "=", task.id)
        .orderBy("step_index")
    )
    const ladder = tasks.ladderOf(task.kind)
    const planned = new Map(Ladder.plan(ladder, nowMs, dueMs).map((s) => [s.index, s] as const))
    const sameLadder = rows.every((r) => ladder[Number(r.step_index)]?.name === r.name)
    const shift = task.dueAt === null ? 0 : dueMs - Date.parse(task.dueAt)
    const after = new Map(rows.map((r) => [Number(r.step_index), r] as const))
    for (const r of rows) {
      const unclaimed = r.claimed_by === null || r.lease_until === null || r.lease_until <= now
      if (!(r.state === "pending" || r.state === "skipped") || !unclaimed) continue
      const index = Number(r.step_index)
      const atMs = sameLadder ? planned.get(index)?.dueAtMillis : Date.parse(r.due_at) + shift
      const skip = atMs === undefined || (r.kind === "reminder" && atMs < nowMs)
      const target = { due_at: skip ? r.due_at : iso(atMs), state: skip ? "skipped" : "pending" }
      if (target.due_at === r.due_at && target.state === r.state && r.claimed_by === null) continue
      // The guard repeats the check: a sweeper may have claimed the row since it was read.
      const changed = yield* q.rows((db) =>
        db
          .updateTable("aw_task_escalations")
          .set({ ...target, claimed_by: null, lease_until: null })
          .where("tenant_id", "=", tenantId)
          .where("task_id", "=", task.id)
          .where("step_index", "=", index)
          .where("state", "=", r.state)
          .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<=", now)]))
          .returning(["step_index"])
      )
      if (changed.length > 0) after.set(index, { ...r, ...target })
    }
    const missing = sameLadder ? [...planned.values()].filter((s) => !after.has(s.index)) : []
    if (missing.length > 0) {
      const added = missing.map((s) => stepRow(tenantId, task.id, s))
      yield* q.exec((db) => db.insertInto("aw_task_escalations").values(added))
      for (const row of added) after.set(row.step_index, row)
    }
    return {
      before: ladderView(rows),
      after: ladderView([...after.entries()].sort(([a], [b]) => a - b).map(([, r]) => r))
    }
  })
