/**
 * Tasks: issue items with an owner, an assignee, a due date from a `DuePolicy`, and an escalation
 * ladder whose steps are stored with the task and performed once by the `Sweeper`.
 *
 * ```ts
 * const task = yield* Tasks.create({ kind: "finding_level_2", title: "Answer finding FND-2026-0007", records: [{ type: "finding", id }] })
 * yield* Tasks.assign({ id: task.id, assigneeId: "u-owner" })
 * yield* Tasks.complete({ id: task.id })
 * ```
 *
 * Every command runs in one transaction (joining the caller's) and appends its audit event there.
 *
 * @since 0.1.0
 */
import { AuditLog } from "@airworthy/audit"
import { Actor, Errors, type Ids, Policy } from "@airworthy/core"
import { Query, Storage, type StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Clock, Context, Effect, Layer } from "effect"
import * as DuePolicy from "./DuePolicy.js"
import * as TasksContext from "./internal/context.js"
import * as Create from "./internal/create.js"
import { decode } from "./internal/decode.js"
import * as Sla from "./internal/sla.js"
import * as Status from "./internal/status.js"
import { isOpen, load, snapshot, stepRow, withLinks } from "./internal/store.js"
import { day, type EscalationRow, iso, placeholder, type Tables, type TaskRow } from "./internal/tables.js"
import * as Ladder from "./Ladder.js"
import * as Task from "./Task.js"

/**
 * Settings of `Tasks.layer`.
 * @since 0.1.0
 * @category models
 */
export interface Config {
  /** The ladder of every kind without its own (default `Ladder.defaults`). */
  readonly ladder?: Ladder.Ladder
  /** Ladders per task kind. */
  readonly ladders?: { readonly [kind: string]: Ladder.Ladder }
  /**
   * Due-date policies per kind, over the regulatory `DuePolicy.defaults` (a kind given here replaces the
   * default one); tenants override both with `DuePolicy.set`.
   */
  readonly duePolicies?: { readonly [kind: string]: DuePolicy.DuePolicy }
  /** Upper bounds (days, inclusive) of the SLA age buckets; default `[7, 30, 90]` → 0–7, 8–30, 31–90, > 90. */
  readonly slaBuckets?: ReadonlyArray<number>
}

type Failures = Errors.ValidationFailed | Errors.Forbidden | Errors.NotFound | StorageError.StorageError
type ChangeFailures = Failures | Errors.InvalidTransition

/**
 * The tasks service. Every method runs as `CurrentActor`, in its tenant.
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Creates a task (`task.create`), its links and ladder steps; audited `task.created`. */
  readonly create: (input: Task.CreateInput) => Effect.Effect<Task.Task, Failures, Actor.CurrentActor>
  /** Creates a task for a rule: no permission check (the host configured the rule), audited with the rule's name. */
  readonly createByRule: (
    input: Task.CreateInput,
    rule: string
  ) => Effect.Effect<Task.Task, Failures, Actor.CurrentActor>
  /** Assigns or reassigns (`task.assign`); audited `task.assigned`. */
  readonly assign: (input: Task.AssignInput) => Effect.Effect<Task.Task, ChangeFailures, Actor.CurrentActor>
  /** open → in_progress (`task.complete`: whoever may complete a task may start it); audited `task.started`. */
  readonly start: (input: Task.ChangeInput) => Effect.Effect<Task.Task, ChangeFailures, Actor.CurrentActor>
  /** open | in_progress → done (`task.complete`); pending ladder steps are skipped; audited `task.completed`. */
  readonly complete: (input: Task.ChangeInput) => Effect.Effect<Task.Task, ChangeFailures, Actor.CurrentActor>
  /** open | in_progress → cancelled (`task.update`); pending ladder steps are skipped; audited `task.cancelled`. */
  readonly cancel: (input: Task.ChangeInput) => Effect.Effect<Task.Task, ChangeFailures, Actor.CurrentActor>
  /**
   * Edits an open or in-progress task's title, priority and due date (`task.update`); audited
   * `task.updated`. Moving the due date needs a `reason` and re-plans the ladder steps not performed
   * or claimed yet; a closed task is `InvalidTransition`.
   */
  readonly update: (input: Task.UpdateInput) => Effect.Effect<Task.Task, ChangeFailures, Actor.CurrentActor>
  /** One task of the actor's tenant (`task.read`); another tenant's task is `NotFound`. */
  readonly get: (id: string) => Effect.Effect<Task.Task, Failures, Actor.CurrentActor>
  /** The actor's open and in-progress tasks, earliest due first (`task.read`). */
  readonly mine: (options?: {
    readonly includeClosed?: boolean
  }) => Effect.Effect<ReadonlyArray<Task.Task>, Failures, Actor.CurrentActor>
  /** The tasks linked to a record (`task.read`). */
  readonly byRecord: (record: Task.RecordRef) => Effect.Effect<ReadonlyArray<Task.Task>, Failures, Actor.CurrentActor>
  /**
   * Open and in-progress tasks of a queue counted by age since creation (`task.read`). Ages are whole
   * days elapsed (`floor((now - created_at) / 24 h)`).
   */
  readonly slaBuckets: (options: {
    readonly queue: Task.Queue
    readonly buckets?: ReadonlyArray<number>
  }) => Effect.Effect<ReadonlyArray<Task.Bucket>, Failures, Actor.CurrentActor>
}

/**
 * The tasks service.
 * @since 0.1.0
 * @category tags
 */
export class Tasks extends Context.Tag("@airworthy/tasks/Tasks")<Tasks, Service>() {}

const q = Query.make<Tables>()

/**
 * The bucket labels for upper bounds `[7, 30, 90]`: `0-7`, `8-30`, `31-90`, `>90`.
 * @since 0.1.0
 * @category utils
 */
export const bucketsFor: (bounds: ReadonlyArray<number>) => ReadonlyArray<Omit<Task.Bucket, "count">> = Sla.bucketsFor

/**
 * Builds the service over the services in context.
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  config: Config = {}
): Effect.Effect<Service, never, Storage.Storage | SqlClient.SqlClient | Ids.Ids | AuditLog.AuditLog | Policy.Policy> =>
  Effect.gen(function* () {
    const tasks = yield* TasksContext.make(config)
    const { provided } = tasks

    const ladderView = (rows: ReadonlyArray<Pick<EscalationRow, "name" | "due_at" | "state">>) =>
      rows.map((r) => ({ name: r.name, dueAt: r.due_at, state: r.state }))

    // Re-plans a task's ladder for a new due date, after its task row was locked. Steps performed
    // (`done`) or under a live claim stay as they are; the others get `Ladder.plan`'s instant for the
    // new date, and a reminder that now falls before `now` is skipped (as at creation). If the kind's
    // ladder changed since the task was created (a step's name differs), its steps keep their offset
    // from the old due date instead, and no step is added.
    const replan = (tenantId: string, task: Task.Task, dueMs: number, nowMs: number) =>
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

    const update = (input: unknown) =>
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
              moved && dueAt !== null ? yield* replan(actor.tenantId, before, Date.parse(dueAt), nowMs) : undefined
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

    const list = (build: Parameters<typeof q.rows<TaskRow>>[0]) =>
      Effect.gen(function* () {
        yield* Policy.authorize("task.read")
        const actor = yield* Actor.CurrentActor
        return yield* withLinks(actor.tenantId, yield* q.rows(build))
      })

    const service: Service = {
      create: (input) => provided(Create.create(tasks, input)),
      createByRule: (input, rule) => provided(Create.createByRule(tasks, input, rule)),
      assign: (input) => provided(Status.assign(tasks, input)),
      start: (input) => provided(Status.start(tasks, input)),
      complete: (input) => provided(Status.complete(tasks, input)),
      cancel: (input) => provided(Status.cancel(tasks, input)),
      update: (input) => provided(update(input)),
      get: (id) =>
        provided(
          Effect.gen(function* () {
            yield* Policy.authorize("task.read")
            const actor = yield* Actor.CurrentActor
            return yield* load(tasks, actor.tenantId, id, false)
          })
        ),
      mine: (options = {}) =>
        provided(
          Effect.flatMap(Actor.CurrentActor, (actor) =>
            list((db) => {
              const base = db
                .selectFrom("aw_tasks")
                .selectAll()
                .where("tenant_id", "=", actor.tenantId)
                .where("assignee_id", "=", actor.actorId)
              return (options.includeClosed === true ? base : base.where("status", "in", ["open", "in_progress"]))
                .orderBy("due_at")
                .orderBy("id")
                .limit(1000)
            })
          )
        ),
      byRecord: (record) =>
        provided(
          Effect.gen(function* () {
            const ref = yield* decode(Task.RecordRef)(record)
            const actor = yield* Actor.CurrentActor
            return yield* list((db) =>
              db
                .selectFrom("aw_tasks")
                .selectAll()
                .where("tenant_id", "=", actor.tenantId)
                .where((eb) =>
                  eb.exists(
                    eb
                      .selectFrom("aw_task_links")
                      .select("task_id")
                      .whereRef("aw_task_links.tenant_id", "=", "aw_tasks.tenant_id")
                      .whereRef("aw_task_links.task_id", "=", "aw_tasks.id")
                      .where("record_type", "=", ref.type)
                      .where("record_id", "=", ref.id)
                  )
                )
                .orderBy("created_at")
                .orderBy("id")
                .limit(1000)
            )
          })
        ),
      slaBuckets: (options) =>
        provided(
          Effect.gen(function* () {
            yield* Policy.authorize("task.read")
            const actor = yield* Actor.CurrentActor
            const { dialect } = yield* Storage.Storage
            const buckets = yield* Effect.try({
              try: () => bucketsFor(options.buckets ?? tasks.slaBounds),
              catch: (e) =>
                new Errors.ValidationFailed({ issues: [{ path: "buckets", message: String((e as Error).message) }] })
            })
            const nowMs = yield* Clock.currentTimeMillis
            const params: Array<unknown> = []
            const p = (v: unknown) => {
              params.push(v)
              return placeholder(dialect, params.length)
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
        )
    }
    return service
  })

/**
 * The tasks service, and the `DuePolicy.Defaults` it was configured with. Needs `Storage`,
 * `SqlClient`, `Ids`, `AuditLog` and `Policy`; run `TasksMigrations.migrations` first.
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: Config = {}
): Layer.Layer<
  Tasks | DuePolicy.Defaults,
  never,
  Storage.Storage | SqlClient.SqlClient | Ids.Ids | AuditLog.AuditLog | Policy.Policy
> =>
  Layer.merge(
    Layer.effect(Tasks, make(config)),
    // So that `DuePolicy.resolve` (e.g. a host's finding workflow) sees the same defaults as `create`.
    Layer.succeed(DuePolicy.Defaults, DuePolicy.withDefaults(config.duePolicies))
  )

/**
 * Creates a task (`task.create`).
 * @since 0.1.0
 * @category accessors
 */
export const create = (input: Task.CreateInput) => Effect.flatMap(Tasks, (s) => s.create(input))
/**
 * Assigns a task (`task.assign`).
 * @since 0.1.0
 * @category accessors
 */
export const assign = (input: Task.AssignInput) => Effect.flatMap(Tasks, (s) => s.assign(input))
/**
 * Starts a task (`task.complete`).
 * @since 0.1.0
 * @category accessors
 */
export const start = (input: Task.ChangeInput) => Effect.flatMap(Tasks, (s) => s.start(input))
/**
 * Completes a task (`task.complete`).
 * @since 0.1.0
 * @category accessors
 */
export const complete = (input: Task.ChangeInput) => Effect.flatMap(Tasks, (s) => s.complete(input))
/**
 * Cancels a task (`task.update`).
 * @since 0.1.0
 * @category accessors
 */
export const cancel = (input: Task.ChangeInput) => Effect.flatMap(Tasks, (s) => s.cancel(input))
/**
 * Edits a task's title, priority or due date (`task.update`); a moved due date needs a `reason` and
 * re-plans the ladder steps not performed yet.
 * @since 0.2.0
 * @category accessors
 */
export const update = (input: Task.UpdateInput) => Effect.flatMap(Tasks, (s) => s.update(input))
/**
 * One task (`task.read`).
 * @since 0.1.0
 * @category accessors
 */
export const get = (id: string) => Effect.flatMap(Tasks, (s) => s.get(id))
/**
 * The actor's open tasks (`task.read`).
 * @since 0.1.0
 * @category accessors
 */
export const mine = (options?: { readonly includeClosed?: boolean }) => Effect.flatMap(Tasks, (s) => s.mine(options))
/**
 * The tasks of a record (`task.read`).
 * @since 0.1.0
 * @category accessors
 */
export const byRecord = (record: Task.RecordRef) => Effect.flatMap(Tasks, (s) => s.byRecord(record))
/**
 * Open tasks of a queue per age bucket (`task.read`).
 * @since 0.1.0
 * @category accessors
 */
export const slaBuckets = (options: { readonly queue: Task.Queue; readonly buckets?: ReadonlyArray<number> }) =>
  Effect.flatMap(Tasks, (s) => s.slaBuckets(options))
