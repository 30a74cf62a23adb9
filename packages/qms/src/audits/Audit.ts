/**
 * An internal audit of one programme area: scope, checklist items with their result, lead auditor
 * and team, dates; planned → in_progress → reported → closed (or cancelled with a reason before it is
 * reported). The independence guard keeps auditors out of their own area.
 *
 * @since 0.1.0
 */
import { Guard, Workflow } from "@airworthy/core"
import { RecordType } from "@airworthy/records"
import { Effect, Schema } from "effect"

/**
 * The result of one checklist item.
 * @since 0.1.0
 * @category models
 */
export const ItemResult = Schema.Literal("conforms", "finding", "observation", "not_applicable")

/**
 * One checklist item: the question, the requirement it checks and its result once audited.
 * @since 0.1.0
 * @category models
 */
export const ChecklistItem = Schema.Struct({
  item: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(1000)),
  requirement: Schema.optional(Schema.String.pipe(Schema.maxLength(100))),
  result: Schema.optional(ItemResult),
  note: Schema.optional(Schema.String.pipe(Schema.maxLength(4000)))
})
/** @since 0.1.0 @category models */
export type ChecklistItem = typeof ChecklistItem.Type

/**
 * An audit's data. `areaResponsibleIds` is the area's responsible people copied when the audit is
 * planned, so the independence guard and the record show who could not audit it.
 * @since 0.1.0
 * @category models
 */
export const AuditData = Schema.Struct({
  title: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500)),
  areaId: Schema.String,
  scope: Schema.optional(Schema.String.pipe(Schema.maxLength(4000))),
  areaResponsibleIds: Schema.optional(Schema.Array(Schema.String)),
  leadAuditorId: Schema.optional(Schema.String),
  teamIds: Schema.optional(Schema.Array(Schema.String)),
  plannedAt: Schema.optional(Schema.String),
  checklist: Schema.optional(Schema.Array(ChecklistItem)),
  summary: Schema.optional(Schema.String.pipe(Schema.maxLength(10_000)))
})
/** @since 0.1.0 @category models */
export type AuditData = typeof AuditData.Type

const strings = (u: unknown): ReadonlyArray<string> =>
  Array.isArray(u) ? u.filter((x): x is string => typeof x === "string") : typeof u === "string" ? [u] : []

/**
 * The auditors of an audit (lead, team, and anyone else given) who are responsible for its area.
 * @since 0.1.0
 * @category rules
 */
export const independenceConflicts = (data: unknown, others: ReadonlyArray<string> = []): ReadonlyArray<string> => {
  const responsible = new Set(strings(Guard.valueAt(data, "areaResponsibleIds")))
  const auditors = [
    ...strings(Guard.valueAt(data, "leadAuditorId")),
    ...strings(Guard.valueAt(data, "teamIds")),
    ...others
  ]
  return [...new Set(auditors.filter((a) => responsible.has(a)))]
}

/**
 * The message of one independence conflict.
 * @since 0.1.0
 * @category rules
 */
export const independenceMessage = (who: string): { readonly code: string; readonly message: string } => ({
  code: "audit.not_independent",
  message: `${who} is responsible for the audited area and may not audit it`
})

/**
 * Auditors must be independent of the area they audit (145.A.200(a)(6)): neither the lead auditor,
 * nor a team member, nor the person taking the step may be responsible for the area.
 * @since 0.1.0
 * @category guards
 */
export const independentOfArea: Guard.Custom = Guard.custom("auditor_independence", (ctx) => {
  const conflicts = independenceConflicts(ctx.record.data, [ctx.actor.actorId])
  return Effect.succeed(conflicts.length === 0 ? true : conflicts.map(independenceMessage))
})

/**
 * Every checklist item has a result before the audit is reported.
 * @since 0.1.0
 * @category guards
 */
export const checklistComplete: Guard.Custom = Guard.custom("checklist_complete", (ctx) => {
  const items = Guard.valueAt(ctx.record.data, "checklist")
  if (!Array.isArray(items) || items.length === 0) {
    return Effect.succeed([{ code: "checklist.empty", message: "The audit needs at least one checklist item" }])
  }
  const open = items.filter((i) => !Guard.isPresent(Guard.valueAt(i, "result"))).length
  return Effect.succeed(
    open === 0 ? true : [{ code: "checklist.incomplete", message: `${open} checklist item(s) have no result yet` }]
  )
})

/**
 * The audit workflow.
 * @since 0.1.0
 * @category workflows
 */
export const workflow: Workflow.Workflow = Workflow.unsafeMake({
  name: "internal_audit",
  label: "Audit",
  states: {
    planned: {
      label: "Planned",
      description: "On the programme; team, scope and checklist are prepared",
      editable: ["title", "scope", "leadAuditorId", "teamIds", "plannedAt", "checklist"]
    },
    in_progress: {
      label: "In progress",
      description: "The audit is being performed; checklist results are recorded",
      editable: ["checklist", "summary"]
    },
    reported: {
      label: "Reported",
      description: "The report is issued; findings are followed up",
      editable: ["summary"]
    },
    closed: { label: "Closed" },
    cancelled: { label: "Cancelled" }
  },
  initial: "planned",
  terminal: ["closed", "cancelled"],
  transitions: [
    {
      name: "start",
      from: "planned",
      to: "in_progress",
      permission: "audit.conduct",
      guards: [
        Guard.requiredFields([{ path: "leadAuditorId", label: "lead auditor" }], { name: "lead_auditor" }),
        independentOfArea
      ]
    },
    {
      name: "report",
      from: "in_progress",
      to: "reported",
      permission: "audit.conduct",
      guards: [checklistComplete, independentOfArea]
    },
    { name: "close", from: "reported", to: "closed", permission: "audit.close" },
    {
      name: "cancel",
      from: ["planned", "in_progress"],
      to: "cancelled",
      permission: "audit.plan",
      reasonRequired: true
    }
  ]
})

/**
 * The audit record type (`AUD-2026-0001`).
 * @since 0.1.0
 * @category record types
 */
export const recordType = RecordType.make({
  name: "internal_audit",
  label: "Audit",
  prefix: "AUD",
  schema: AuditData,
  workflow,
  title: (d) => d.title,
  dueAt: (d) => d.plannedAt,
  permissions: { read: "audit.read", create: "audit.plan", update: "audit.update", assign: "audit.plan" }
})
