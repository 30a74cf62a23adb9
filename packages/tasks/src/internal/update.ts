// Editing an open task's title, priority and due date; a moved due date needs a reason and re-plans the ladder.
import { AuditLog } from "@airworthy/audit"
import { Actor, Errors, Policy } from "@airworthy/core"
import { Query } from "@airworthy/storage"
import { Clock, Effect } from "effect"
import * as Task from "../Task.js"
import type { Method } from "./context.js"
import { decode } from "./decode.js"
import { replan } from "./replan.js"
import { isOpen, load, snapshot } from "./store.js"
import { iso, type Tables } from "./tables.js"

const q = Query.make<Tables>()

export const update: Method<"update"> = (tasks, input) =>
  Effect.gen(function* () {
    yield* Policy.authorize("task.update")
    const actor = yield* Actor.CurrentActor
    const value = yield* decode(Task.UpdateInput)(input)
    const nowMs = yield* Clock.currentTimeMillis
    const now = iso(nowMs)
    return yield* Query.transaction(
      Effect.gen(function* () {
        // Lock order: the task row, then its ladder rows, then the audit head.
        const before = yield* load(tasks, actor.tenantId, value.id, true)
        if (!isOpen(before))
          return yield* Effect.fail(new Errors.InvalidTransition({ transition: "update", state: before.status }))
        const dueAt = value.dueAt === undefined ? before.dueAt : iso(Date.parse(value.dueAt))
        const moved = dueAt !== before.dueAt
        if (moved && value.reason === undefined)
          return yield* Effect.fail(
            new Errors.ValidationFailed({
              issues: [{ path: "reason", message: "a reason is required when the due date moves" }]
            })
          )
        const patch = { title: value.title ?? before.title, priority: value.priority ?? before.priority }
        if (!moved && patch.title === before.title && patch.priority === before.priority) return before
        yield* q.exec((db) =>
          db
            .updateTable("aw_tasks")
            .set({ ...patch, due_at: dueAt, updated_at: now })
            .where("tenant_id", "=", actor.tenantId)
            .where("id", "=", value.id)
        )
        const ladder =
          moved && dueAt !== null ? yield* replan(tasks, actor.tenantId, before, Date.parse(dueAt), nowMs) : undefined
        const after = yield* load(tasks, actor.tenantId, value.id, false)
        yield* AuditLog.append({
          action: "task.updated",
          recordType: "task",
          recordId: value.id,
          before: { ...snapshot(before), ...(ladder === undefined ? {} : { ladder: ladder.before }) },
          after: { ...snapshot(after), ...(ladder === undefined ? {} : { ladder: ladder.after }) },
          ...(value.reason === undefined ? {} : { reason: value.reason })
        })
        return after
      })
    )
  })
