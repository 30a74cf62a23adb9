// Creating a task: its row, its links and its planned ladder steps, audited `task.created`, in one transaction.
import { AuditLog } from "@airworthy/audit"
import { Actor, Ids, Policy } from "@airworthy/core"
import { Query } from "@airworthy/storage"
import { Clock, Effect, Option } from "effect"
import * as DuePolicy from "../DuePolicy.js"
import * as Ladder from "../Ladder.js"
import * as Task from "../Task.js"
import type { Method, TasksContext } from "./context.js"
import { decode } from "./decode.js"
import { snapshot, stepRow, toTask } from "./store.js"
import { hour, iso, type LinkRow, type Tables, type TaskRow } from "./tables.js"

const q = Query.make<Tables>()

/** `task.create`, then the task as the current actor. */
export const create: Method<"create"> = (tasks, input) =>
  Effect.zipRight(Policy.authorize("task.create"), insert(tasks, input, null))

/** No permission check: the host configured the rule, which the audit event names. */
export const createByRule: Method<"createByRule"> = (tasks, input, rule) => insert(tasks, input, rule)

const insert = (tasks: TasksContext, input: Task.CreateInput, rule: string | null) =>
  Effect.gen(function* () {
    const actor = yield* Actor.CurrentActor
    const value = yield* decode(Task.CreateInput)(input)
    const nowMs = yield* Clock.currentTimeMillis
    const now = iso(nowMs)
    let dueMs: number | undefined
    if (value.dueAt !== undefined) dueMs = Date.parse(value.dueAt)
    else {
      const policy = yield* DuePolicy.resolve(actor.tenantId, value.kind, tasks.dueDefaults)
      if (Option.isSome(policy)) dueMs = nowMs + policy.value.hours * hour
    }
    const id = yield* Ids.next
    const ownerId = value.ownerId ?? actor.actorId
    const records = Array.from(
      new Map((value.records ?? []).map((r) => [`${r.type}\u0000${r.id}`, r] as const)).values()
    )
    const row: TaskRow = {
      tenant_id: actor.tenantId,
      id,
      kind: value.kind,
      title: value.title,
      status: "open",
      priority: value.priority ?? "normal",
      owner_id: ownerId,
      assignee_id: value.assigneeId ?? ownerId,
      due_at: dueMs === undefined ? null : iso(dueMs),
      escalation_level: 0,
      rule,
      created_by: actor.actorId,
      created_at: now,
      updated_at: now,
      closed_by: null,
      closed_at: null
    }
    const links = records.map(
      (r): LinkRow => ({
        tenant_id: actor.tenantId,
        task_id: id,
        record_type: r.type,
        record_id: r.id
      })
    )
    const steps = dueMs === undefined ? [] : Ladder.plan(tasks.ladderOf(value.kind), nowMs, dueMs)
    return yield* Query.transaction(write(row, links, steps, rule))
  })

const write = (
  row: TaskRow,
  links: ReadonlyArray<LinkRow>,
  steps: ReadonlyArray<Ladder.Planned>,
  rule: string | null
) =>
  Effect.gen(function* () {
    yield* q.exec((db) => db.insertInto("aw_tasks").values(row))
    if (links.length > 0) yield* q.exec((db) => db.insertInto("aw_task_links").values(links))
    if (steps.length > 0)
      yield* q.exec((db) =>
        db.insertInto("aw_task_escalations").values(steps.map((s) => stepRow(row.tenant_id, row.id, s)))
      )
    const task = toTask(row, links)
    yield* AuditLog.append({
      action: "task.created",
      recordType: "task",
      recordId: row.id,
      after: snapshot(task),
      ...(rule === null ? {} : { reason: `Created by rule ${rule}` })
    })
    return task
  })
