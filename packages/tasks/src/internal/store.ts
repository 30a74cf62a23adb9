// Tasks as stored: a row and its links as a `Task`, loading one, its audit snapshot, a planned ladder step as a row.
import { Errors } from "@airworthy/core"
import { Query, type StorageError } from "@airworthy/storage"
import { Effect, Option } from "effect"
import type * as Ladder from "../Ladder.js"
import * as Task from "../Task.js"
import type { Database, TasksContext } from "./context.js"
import { chunk, type EscalationRow, iso, type LinkRow, type Tables, type TaskRow } from "./tables.js"

const q = Query.make<Tables>()

export const toTask = (row: TaskRow, links: ReadonlyArray<LinkRow>): Task.Task =>
  new Task.Task({
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    title: row.title,
    status: row.status as Task.Status,
    priority: row.priority as Task.Priority,
    ownerId: row.owner_id,
    assigneeId: row.assignee_id,
    dueAt: row.due_at,
    escalationLevel: Number(row.escalation_level),
    records: links.map((l) => ({ type: l.record_type, id: l.record_id })),
    rule: row.rule,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedBy: row.closed_by,
    closedAt: row.closed_at
  })

/** The rows as tasks, their links read in chunks of 500. */
export const withLinks = (
  tenantId: string,
  rows: ReadonlyArray<TaskRow>
): Effect.Effect<Array<Task.Task>, StorageError.StorageError, Database> =>
  Effect.gen(function* () {
    if (rows.length === 0) return []
    const links: Array<LinkRow> = []
    for (const part of chunk(rows, 500)) {
      links.push(
        ...(yield* q.rows((db) =>
          db
            .selectFrom("aw_task_links")
            .selectAll()
            .where("tenant_id", "=", tenantId)
            .where(
              "task_id",
              "in",
              part.map((r) => r.id)
            )
            .orderBy("record_type")
            .orderBy("record_id")
        ))
      )
    }
    return rows.map((r) =>
      toTask(
        r,
        links.filter((l) => l.task_id === r.id)
      )
    )
  })

/** One task of the tenant, its row locked on PostgreSQL when `lock`; `NotFound` otherwise. */
export const load = (
  tasks: TasksContext,
  tenantId: string,
  id: string,
  lock: boolean
): Effect.Effect<Task.Task, Errors.NotFound | StorageError.StorageError, Database> =>
  Effect.gen(function* () {
    const row = yield* q.maybe((db) => {
      const base = db.selectFrom("aw_tasks").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id)
      return lock && tasks.dialect === "pg" ? base.forUpdate() : base
    })
    if (Option.isNone(row)) return yield* Effect.fail(new Errors.NotFound({ entity: "task", id }))
    const [task] = yield* withLinks(tenantId, [row.value])
    return task!
  })

export const isOpen = (t: Task.Task) => t.status === "open" || t.status === "in_progress"

/** What the audit log keeps of a task, before and after a change. */
export const snapshot = (t: Task.Task) => ({
  kind: t.kind,
  title: t.title,
  status: t.status,
  priority: t.priority,
  ownerId: t.ownerId,
  assigneeId: t.assigneeId,
  dueAt: t.dueAt,
  escalationLevel: t.escalationLevel,
  records: t.records.map((r) => ({ type: r.type, id: r.id }))
})

// A planned step as its `aw_task_escalations` row (create and update write steps the same way).
export const stepRow = (tenantId: string, taskId: string, s: Ladder.Planned): EscalationRow => ({
  tenant_id: tenantId,
  task_id: taskId,
  step_index: s.index,
  name: s.step.name,
  kind: s.step.kind,
  recipients: JSON.stringify(s.step.to),
  level: s.step.level,
  due_at: iso(s.dueAtMillis),
  state: "pending",
  claimed_by: null,
  lease_until: null,
  done_at: null
})
