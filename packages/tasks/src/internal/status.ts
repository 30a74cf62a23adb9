// Status changes and reassignment: the task row locked, changed, its pending ladder steps skipped when
// it closes, and audited with before and after, in one transaction.
import { AuditLog } from "@airworthy/audit"
import { Actor, Errors, Policy } from "@airworthy/core"
import { Query } from "@airworthy/storage"
import { Clock, Effect } from "effect"
import * as Task from "../Task.js"
import type { Method, TasksContext } from "./context.js"
import { decode } from "./decode.js"
import { isOpen, load, snapshot } from "./store.js"
import { iso, type Tables, type TaskRow } from "./tables.js"

const q = Query.make<Tables>()

type Operation = "assign" | "start" | "complete" | "cancel"

/** The columns an operation sets on a task as it stands, or `undefined` when its status does not allow it. */
type Apply = (task: Task.Task, actor: Actor.Actor, now: string, value: Task.AssignInput) => Partial<TaskRow> | undefined

export const assign: Method<"assign"> = (tasks, input) =>
  change(tasks, "assign", "task.assign", input, (t, _actor, _now, v) =>
    isOpen(t) ? { assignee_id: v.assigneeId } : undefined
  )

// Whoever may complete a task may start it.
export const start: Method<"start"> = (tasks, input) =>
  change(tasks, "start", "task.complete", input, (t) => (t.status === "open" ? { status: "in_progress" } : undefined))

export const complete: Method<"complete"> = (tasks, input) =>
  change(tasks, "complete", "task.complete", input, (t, actor, now) =>
    isOpen(t) ? { status: "done", closed_by: actor.actorId, closed_at: now } : undefined
  )

export const cancel: Method<"cancel"> = (tasks, input) =>
  change(tasks, "cancel", "task.update", input, (t, actor, now) =>
    isOpen(t) ? { status: "cancelled", closed_by: actor.actorId, closed_at: now } : undefined
  )

/**
 * Completes or cancels a task for a rule (the record it follows moved on): no permission check, as
 * for `createByRule`; the audit event's reason names the rule.
 */
export const closeByRule: Method<"closeByRule"> = (tasks, input, outcome, rule) => {
  const reason = `Closed by rule ${rule}`
  return outcome === "complete"
    ? change(tasks, "complete", null, { ...input, reason }, (t, actor, now) =>
        isOpen(t) ? { status: "done", closed_by: actor.actorId, closed_at: now } : undefined
      )
    : change(tasks, "cancel", null, { ...input, reason }, (t, actor, now) =>
        isOpen(t) ? { status: "cancelled", closed_by: actor.actorId, closed_at: now } : undefined
      )
}

const change = (tasks: TasksContext, operation: Operation, permission: string | null, input: unknown, apply: Apply) =>
  Effect.gen(function* () {
    if (permission !== null) yield* Policy.authorize(permission)
    const actor = yield* Actor.CurrentActor
    const value = (
      operation === "assign" ? yield* decode(Task.AssignInput)(input) : yield* decode(Task.ChangeInput)(input)
    ) as Task.AssignInput
    const now = iso(yield* Clock.currentTimeMillis)
    return yield* Query.transaction(
      Effect.gen(function* () {
        const before = yield* load(tasks, actor.tenantId, value.id, true)
        const patch = apply(before, actor, now, value)
        if (patch === undefined)
          return yield* Effect.fail(new Errors.InvalidTransition({ transition: operation, state: before.status }))
        yield* q.exec((db) =>
          db
            .updateTable("aw_tasks")
            .set({ ...patch, updated_at: now })
            .where("tenant_id", "=", actor.tenantId)
            .where("id", "=", value.id)
        )
        if (patch.status === "done" || patch.status === "cancelled")
          yield* q.exec((db) =>
            db
              .updateTable("aw_task_escalations")
              .set({ state: "skipped", claimed_by: null, lease_until: null })
              .where("tenant_id", "=", actor.tenantId)
              .where("task_id", "=", value.id)
              .where("state", "in", ["pending", "claimed"])
          )
        const after = yield* load(tasks, actor.tenantId, value.id, false)
        const action = { assign: "assigned", start: "started", complete: "completed", cancel: "cancelled" }[operation]
        yield* AuditLog.append({
          action: `task.${action}`,
          recordType: "task",
          recordId: value.id,
          before: snapshot(before),
          after: snapshot(after),
          ...(value.reason === undefined ? {} : { reason: value.reason })
        })
        return after
      })
    )
  })
