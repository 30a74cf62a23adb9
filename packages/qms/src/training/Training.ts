/**
 * Training and competence (145.A.30/35): training requirements (courses), training events and
 * each person's training records, with their workflows and record types.
 *
 * @since 0.1.0
 */
import { Guard, Workflow } from "@airworthy/core"
import { RecordType } from "@airworthy/records"
import { Effect, Schema } from "effect"

const PersonId = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128))
const Role = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64))

/**
 * What kind of training a requirement is.
 * @since 0.1.0
 * @category models
 */
export const Kind = Schema.Literal("human_factors", "type", "procedure", "continuation", "other")

/**
 * A training requirement's data (`training_requirement`, `TRQ-2026-0001`): e.g. human factors,
 * every 24 months, for certifying staff. `validityMonths` absent: once is enough.
 * @since 0.1.0
 * @category models
 */
export const RequirementData = Schema.Struct({
  /** Short code, unique per tenant, e.g. `HF`. */
  code: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(32)),
  title: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500)),
  kind: Kind,
  validityMonths: Schema.optional(Schema.Int.pipe(Schema.between(1, 240))),
  /** The roles that must hold it (through the host's `Directory`). */
  roles: Schema.Array(Role).pipe(Schema.maxItems(50)),
  description: Schema.optional(Schema.String.pipe(Schema.maxLength(4000)))
})
/** @since 0.1.0 @category models */
export type RequirementData = typeof RequirementData.Type

/**
 * A requirement is active (people must hold it) or retired.
 * @since 0.1.0
 * @category workflows
 */
export const requirementWorkflow: Workflow.Workflow = Workflow.unsafeMake({
  name: "training_requirement",
  label: "Training requirement",
  states: {
    active: { label: "Active", editable: ["title", "kind", "validityMonths", "roles", "description"] },
    retired: { label: "Retired", description: "No longer required" }
  },
  initial: "active",
  terminal: [],
  transitions: [
    { name: "retire", from: "active", to: "retired", permission: "training.manage", reasonRequired: true },
    { name: "reinstate", from: "retired", to: "active", permission: "training.manage" }
  ]
})

/**
 * One attendee's assessment.
 * @since 0.1.0
 * @category models
 */
export const Result = Schema.Struct({
  personId: PersonId,
  result: Schema.Literal("passed", "failed"),
  note: Schema.optional(Schema.String.pipe(Schema.maxLength(2000)))
})
/** @since 0.1.0 @category models */
export type Result = typeof Result.Type

/**
 * A training event's data (`training_event`, `TEV-2026-0001`).
 * @since 0.1.0
 * @category models
 */
export const EventData = Schema.Struct({
  requirementId: Schema.String,
  requirementCode: Schema.String,
  title: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500)),
  plannedAt: Schema.String,
  trainerId: Schema.optional(PersonId),
  attendees: Schema.Array(PersonId).pipe(Schema.maxItems(500)),
  deliveredAt: Schema.optional(Schema.String),
  results: Schema.optional(Schema.Array(Result))
})
/** @since 0.1.0 @category models */
export type EventData = typeof EventData.Type

/**
 * Every attendee has a result.
 * @since 0.1.0
 * @category guards
 */
export const everyoneAssessed: Guard.Custom = Guard.custom("everyone_assessed", (ctx) => {
  const attendees = Guard.valueAt(ctx.record.data, "attendees")
  const results = Guard.valueAt(ctx.record.data, "results")
  const assessed = new Set(
    Array.isArray(results) ? results.map((r) => (r as { personId?: unknown }).personId).filter(Boolean) : []
  )
  const missing = Array.isArray(attendees) ? attendees.filter((a) => !assessed.has(a)) : []
  if (Array.isArray(results) && results.length > 0 && missing.length === 0) return Effect.succeed(true)
  return Effect.succeed([
    {
      code: "training.not_assessed",
      message:
        missing.length === 0
          ? "Record the result of every attendee"
          : `Record the result of every attendee (missing: ${missing.join(", ")})`
    }
  ])
})

/**
 * The training event workflow: planned → delivered → assessed (every attendee's result, evidence
 * attached) → recorded (each passed attendee's training record is written or renewed); cancelled
 * with a reason before it is assessed.
 * @since 0.1.0
 * @category workflows
 */
export const eventWorkflow: Workflow.Workflow = Workflow.unsafeMake({
  name: "training_event",
  label: "Training event",
  states: {
    planned: { label: "Planned", editable: ["title", "plannedAt", "trainerId", "attendees"] },
    delivered: {
      label: "Delivered",
      description: "Held; the attendees are assessed",
      editable: ["results", "deliveredAt"]
    },
    assessed: { label: "Assessed", description: "Results and evidence recorded; waits to be recorded" },
    recorded: { label: "Recorded", description: "Training records written for those who passed" },
    cancelled: { label: "Cancelled" }
  },
  initial: "planned",
  terminal: ["recorded", "cancelled"],
  transitions: [
    {
      name: "deliver",
      from: "planned",
      to: "delivered",
      permission: "training.deliver",
      guards: [Guard.requiredFields([{ path: "attendees", label: "attendees" }], { name: "attendees" })]
    },
    {
      name: "assess",
      from: "delivered",
      to: "assessed",
      permission: "training.deliver",
      guards: [everyoneAssessed, Guard.attachment("evidence")]
    },
    { name: "record", from: "assessed", to: "recorded", permission: "training.record" },
    {
      name: "cancel",
      from: ["planned", "delivered"],
      to: "cancelled",
      permission: "training.manage",
      reasonRequired: true
    }
  ]
})

/**
 * One person's training record for one requirement (`training_record`, `TRN-2026-0001`): owned by
 * the person, due at its expiry. Renewals update it (the history keeps every completion).
 * @since 0.1.0
 * @category models
 */
export const RecordData = Schema.Struct({
  personId: PersonId,
  requirementId: Schema.String,
  requirementCode: Schema.String,
  requirementTitle: Schema.String,
  completedAt: Schema.String,
  /** Absent: it does not expire. */
  expiresAt: Schema.optional(Schema.NullOr(Schema.String)),
  /** The training event it was last completed at, if any. */
  eventId: Schema.optional(Schema.String),
  /** Where else the evidence is (a certificate number, an external course). */
  evidence: Schema.optional(Schema.String.pipe(Schema.maxLength(2000)))
})
/** @since 0.1.0 @category models */
export type RecordData = typeof RecordData.Type

/**
 * A training record is current until withdrawn (with a reason: e.g. recorded in error). Whether
 * it is valid at a time is its expiry, not its state.
 * @since 0.1.0
 * @category workflows
 */
export const recordWorkflow: Workflow.Workflow = Workflow.unsafeMake({
  name: "training_record",
  label: "Training record",
  states: {
    current: { label: "Current", editable: ["evidence"] },
    withdrawn: { label: "Withdrawn" }
  },
  initial: "current",
  terminal: ["withdrawn"],
  transitions: [
    { name: "withdraw", from: "current", to: "withdrawn", permission: "training.manage", reasonRequired: true }
  ]
})

const permissions = (create: string) =>
  ({
    read: "training.read",
    create,
    update: create,
    assign: "training.manage",
    verify: "training.manage",
    approve: "training.manage",
    comment: "record.comment",
    attach: "training.deliver",
    link: "training.manage",
    sign: "record.sign"
  }) as const

/**
 * The training requirement record type.
 * @since 0.1.0
 * @category record types
 */
export const requirementType = RecordType.make({
  name: "training_requirement",
  label: "Training requirement",
  prefix: "TRQ",
  schema: RequirementData,
  workflow: requirementWorkflow,
  title: (d) => `${d.code}: ${d.title}`,
  permissions: permissions("training.manage")
})

/**
 * The training event record type.
 * @since 0.1.0
 * @category record types
 */
export const eventType = RecordType.make({
  name: "training_event",
  label: "Training event",
  prefix: "TEV",
  schema: EventData,
  workflow: eventWorkflow,
  title: (d) => `${d.requirementCode}: ${d.title}`,
  dueAt: (d) => d.plannedAt,
  permissions: permissions("training.deliver")
})

/**
 * The training record record type; its title is `<code>: <person>`, its due date its expiry.
 * @since 0.1.0
 * @category record types
 */
export const recordType = RecordType.make({
  name: "training_record",
  label: "Training record",
  prefix: "TRN",
  schema: RecordData,
  workflow: recordWorkflow,
  title: (d) => `${d.requirementCode}: ${d.personId}`,
  dueAt: (d) => d.expiresAt,
  permissions: permissions("training.record")
})

/**
 * The task kind of recurrent training, due when a training record expires.
 * @since 0.1.0
 * @category rules
 */
export const recurrentTaskKind = "training_recurrent"
