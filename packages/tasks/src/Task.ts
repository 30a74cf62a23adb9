/**
 * The task model and the inputs of its commands, as Schemas.
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Where a task is in its life: `open` → `in_progress` → `done`, or `cancelled` from either.
 * @since 0.1.0
 * @category models
 */
export const Status = Schema.Literal("open", "in_progress", "done", "cancelled")
/** @since 0.1.0 @category models */
export type Status = typeof Status.Type

/**
 * How urgent a task is.
 * @since 0.1.0
 * @category models
 */
export const Priority = Schema.Literal("low", "normal", "high", "urgent")
/** @since 0.1.0 @category models */
export type Priority = typeof Priority.Type

/**
 * What kind of work: `occurrence_report`, `finding_level_2`, `capa_action`, or a host's own. The
 * kind picks the due-date policy and the escalation ladder.
 * @since 0.1.0
 * @category models
 */
export const Kind = Schema.String.pipe(
  Schema.pattern(/^[a-z][a-z0-9_]*$/, { message: () => "a task kind is lower-case words, e.g. finding_level_2" }),
  Schema.maxLength(64)
)

/**
 * A record a task concerns.
 * @since 0.1.0
 * @category models
 */
export const RecordRef = Schema.Struct({
  type: Schema.String.pipe(Schema.pattern(/^[a-z][a-z0-9_-]*$/), Schema.maxLength(64)),
  id: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128))
})
/** @since 0.1.0 @category models */
export type RecordRef = typeof RecordRef.Type

const IsoDateTime = Schema.String.pipe(
  Schema.filter((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: () => "must be an ISO-8601 date-time"
  })
)

/**
 * A task.
 * @since 0.1.0
 * @category models
 */
export class Task extends Schema.Class<Task>("@airworthy/tasks/Task")({
  id: Schema.String,
  tenantId: Schema.String,
  kind: Schema.String,
  title: Schema.String,
  status: Status,
  priority: Priority,
  ownerId: Schema.NullOr(Schema.String),
  assigneeId: Schema.NullOr(Schema.String),
  dueAt: Schema.NullOr(Schema.String),
  escalationLevel: Schema.Int,
  records: Schema.Array(RecordRef),
  /** The rule that created the task, if a rule did. */
  rule: Schema.NullOr(Schema.String),
  createdBy: Schema.String,
  createdAt: Schema.String,
  updatedAt: Schema.String,
  closedBy: Schema.NullOr(Schema.String),
  closedAt: Schema.NullOr(Schema.String)
}) {}

/**
 * What `create` takes. Without `dueAt` the due date comes from the kind's `DuePolicy`; without
 * `ownerId` the creator owns the task.
 * @since 0.1.0
 * @category inputs
 */
export const CreateInput = Schema.Struct({
  kind: Kind,
  title: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500)),
  records: Schema.optional(Schema.Array(RecordRef)),
  ownerId: Schema.optional(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128))),
  assigneeId: Schema.optional(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128))),
  priority: Schema.optional(Priority),
  dueAt: Schema.optional(IsoDateTime)
})
/** @since 0.1.0 @category inputs */
export type CreateInput = typeof CreateInput.Encoded

/**
 * What `assign` takes.
 * @since 0.1.0
 * @category inputs
 */
export const AssignInput = Schema.Struct({
  id: Schema.String,
  assigneeId: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128)),
  reason: Schema.optional(Schema.String.pipe(Schema.maxLength(4000)))
})
/** @since 0.1.0 @category inputs */
export type AssignInput = typeof AssignInput.Encoded

/**
 * What `start`, `complete` and `cancel` take.
 * @since 0.1.0
 * @category inputs
 */
export const ChangeInput = Schema.Struct({
  id: Schema.String,
  reason: Schema.optional(Schema.String.pipe(Schema.maxLength(4000)))
})
/** @since 0.1.0 @category inputs */
export type ChangeInput = typeof ChangeInput.Encoded

/**
 * What `update` takes: any of `title`, `priority` and `dueAt` (at least one). `reason` is required
 * when `dueAt` moves the due date: a quality system records why a deadline changed.
 * @since 0.1.0
 * @category inputs
 */
export const UpdateInput = Schema.Struct({
  id: Schema.String,
  title: Schema.optional(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500))),
  priority: Schema.optional(Priority),
  dueAt: Schema.optional(IsoDateTime),
  reason: Schema.optional(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(4000)))
}).pipe(
  Schema.filter((u) => u.title !== undefined || u.priority !== undefined || u.dueAt !== undefined, {
    message: () => "give at least one of title, priority and dueAt"
  })
)
/** @since 0.1.0 @category inputs */
export type UpdateInput = typeof UpdateInput.Encoded

/**
 * Which open tasks an SLA report counts: one kind, one assignee, or tasks linked to one record type.
 * @since 0.1.0
 * @category inputs
 */
export type Queue = { readonly kind: string } | { readonly assigneeId: string } | { readonly recordType: string }

/**
 * One age bucket: `fromDays`–`toDays` inclusive (`toDays` null: no upper bound) and its count.
 * @since 0.1.0
 * @category models
 */
export interface Bucket {
  readonly label: string
  readonly fromDays: number
  readonly toDays: number | null
  readonly count: number
}
