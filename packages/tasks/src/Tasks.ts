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
import type { AuditLog } from "@airworthy/audit"
import type { Actor, Errors, Ids, Policy } from "@airworthy/core"
import type { Storage, StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import * as DuePolicy from "./DuePolicy.js"
import * as TasksContext from "./internal/context.js"
import * as Create from "./internal/create.js"
import * as Reads from "./internal/reads.js"
import * as Sla from "./internal/sla.js"
import * as Status from "./internal/status.js"
import * as Update from "./internal/update.js"
import type * as Ladder from "./Ladder.js"
import type * as Task from "./Task.js"

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
  /**
   * Completes or cancels an open task for a rule (the record it follows moved on): no permission
   * check, as for `createByRule`; audited `task.completed` / `task.cancelled` with the rule named.
   * @since 0.1.0
   */
  readonly closeByRule: (
    input: Task.ChangeInput,
    outcome: "complete" | "cancel",
    rule: string
  ) => Effect.Effect<Task.Task, ChangeFailures, Actor.CurrentActor>
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
   * @since 0.1.0
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

    return {
      create: (input) => provided(Create.create(tasks, input)),
      createByRule: (input, rule) => provided(Create.createByRule(tasks, input, rule)),
      closeByRule: (input, outcome, rule) => provided(Status.closeByRule(tasks, input, outcome, rule)),
      assign: (input) => provided(Status.assign(tasks, input)),
      start: (input) => provided(Status.start(tasks, input)),
      complete: (input) => provided(Status.complete(tasks, input)),
      cancel: (input) => provided(Status.cancel(tasks, input)),
      update: (input) => provided(Update.update(tasks, input)),
      get: (id) => provided(Reads.get(tasks, id)),
      mine: (options) => provided(Reads.mine(tasks, options)),
      byRecord: (record) => provided(Reads.byRecord(tasks, record)),
      slaBuckets: (options) => provided(Sla.slaBuckets(tasks, options))
    } satisfies Service
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
 * The service's methods as effects that require `Tasks`: `create`, `assign`, `start`, `complete`,
 * `cancel`, `update` (since 0.2.0), `get`, `mine`, `byRecord` and `slaBuckets`; see `Service` for each
 * (its permission, audit action and failures). `createByRule` is for rules and has no accessor.
 * @since 0.1.0
 * @category accessors
 */
export const { assign, byRecord, cancel, complete, create, get, mine, slaBuckets, start, update } =
  Effect.serviceFunctions(Tasks)
