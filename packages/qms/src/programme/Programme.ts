/**
 * The audit programme: the areas of the approval (including subcontracted work), each with its
 * responsible people and an audit cycle (default 12 months, AMC2 145.A.200(a)(6)). An area is a
 * record (`AREA-2026-0001`), so changes to the programme are audited like everything else.
 *
 * @since 0.1.0
 */
import { Workflow } from "@airworthy/core"
import { RecordType } from "@airworthy/records"
import { Schema } from "effect"

/**
 * The default audit cycle in months: every area is audited at least once in 12 months
 * (AMC2 145.A.200(a)(6)).
 * @since 0.1.0
 * @category constants
 */
export const defaultCycleMonths = 12

/**
 * An area's data. `kind: "subcontracted"` covers work a subcontractor performs under the approval.
 * @since 0.1.0
 * @category models
 */
export const AreaData = Schema.Struct({
  name: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(200)),
  kind: Schema.Literal("approval", "subcontracted"),
  /** What the area covers, e.g. "145.A.40 equipment and tools". */
  scope: Schema.optional(Schema.String.pipe(Schema.maxLength(4000))),
  subcontractor: Schema.optional(Schema.String.pipe(Schema.maxLength(200))),
  /** The people responsible for the area: none of them may audit it. */
  responsibleIds: Schema.Array(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128))),
  cycleMonths: Schema.Int.pipe(Schema.between(1, 60))
})
/** @since 0.1.0 @category models */
export type AreaData = typeof AreaData.Type

/**
 * An area is active (planned in the programme) or retired (no longer audited).
 * @since 0.1.0
 * @category workflows
 */
export const workflow: Workflow.Workflow = Workflow.unsafeMake({
  name: "audit_area",
  label: "Audit programme area",
  states: {
    active: { label: "Active", editable: ["name", "scope", "subcontractor", "responsibleIds", "cycleMonths"] },
    retired: { label: "Retired" }
  },
  initial: "active",
  terminal: [],
  transitions: [
    { name: "retire", from: "active", to: "retired", permission: "audit.plan", reasonRequired: true },
    { name: "reinstate", from: "retired", to: "active", permission: "audit.plan" }
  ]
})

/**
 * The area record type.
 * @since 0.1.0
 * @category record types
 */
export const recordType = RecordType.make({
  name: "audit_area",
  label: "Audit programme area",
  prefix: "AREA",
  schema: AreaData,
  workflow,
  title: (d) => d.name,
  permissions: {
    read: "audit.read",
    create: "audit.plan",
    update: "audit.plan",
    assign: "audit.plan",
    verify: "audit.approve_programme",
    approve: "audit.approve_programme"
  }
})
