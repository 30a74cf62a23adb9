/**
 * A concession: a time-limited, signed permission to depart from a requirement for a named subject
 * (a calibrated item past its due date, ...), within a stated scope (which work orders) and period.
 * Requested, approved by the quality manager with a reason and an electronic signature, active for its
 * period, then expired or closed early; or rejected.
 *
 * @since 0.1.0
 */
import { Guard, Workflow } from "@airworthy/core"
import { Template } from "@airworthy/notify"
import { RecordType } from "@airworthy/records"
import { Schema } from "effect"

/**
 * A concession's data. `subjectType`/`subjectId` name the record it concerns (a `calibrated_item`
 * today; a later deviation or exemption names its own subject the same way); `workOrders` limits it
 * to those work orders (empty: any work order); it holds only from `validFrom` to `validUntil`.
 * @since 0.1.0
 * @category models
 */
export const ConcessionData = Schema.Struct({
  subjectType: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)),
  subjectId: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128)),
  subjectRef: Schema.optional(Schema.String.pipe(Schema.maxLength(64))),
  /** The host's tool id, for a concession on a calibrated item. */
  toolId: Schema.optional(Schema.String.pipe(Schema.maxLength(64))),
  /** The requirement departed from, e.g. `145.A.40`. */
  requirement: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(100)),
  workOrders: Schema.Array(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64))).pipe(Schema.maxItems(200)),
  validFrom: Schema.String,
  validUntil: Schema.String,
  /** Why it is needed and why it is safe. */
  justification: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(4000)),
  /** Conditions of use (e.g. "check against reference wrench before each use"). */
  conditions: Schema.optional(Schema.String.pipe(Schema.maxLength(4000)))
})
/** @since 0.1.0 @category models */
export type ConcessionData = typeof ConcessionData.Type

/**
 * The concession workflow. `approve` needs a reason and a signature meaning `approved` by someone who
 * did not request it; `activate` starts it (done by `approve` itself when the period has begun),
 * `expire` ends it at `validUntil`, `close` ends it early (or withdraws a request), `reject` refuses it.
 * @since 0.1.0
 * @category workflows
 */
export const workflow: Workflow.Workflow = Workflow.unsafeMake({
  name: "concession",
  label: "Concession",
  states: {
    requested: {
      label: "Requested",
      description: "Waiting for the quality manager's decision",
      editable: ["workOrders", "validFrom", "validUntil", "justification", "conditions", "requirement"]
    },
    approved: { label: "Approved", description: "Approved and signed; its period has not begun" },
    active: { label: "Active", description: "In force until its end date" },
    rejected: { label: "Rejected" },
    expired: { label: "Expired", description: "Its period ended" },
    closed: { label: "Closed", description: "Ended before its end date, or withdrawn" }
  },
  initial: "requested",
  terminal: ["rejected", "expired", "closed"],
  transitions: [
    {
      name: "approve",
      from: "requested",
      to: "approved",
      permission: "concession.approve",
      reasonRequired: true,
      signature: { meaning: "approved" },
      guards: [Guard.separationOfDuties("creator")]
    },
    { name: "reject", from: "requested", to: "rejected", permission: "concession.approve", reasonRequired: true },
    { name: "activate", from: "approved", to: "active", permission: "concession.approve" },
    { name: "expire", from: ["approved", "active"], to: "expired", permission: "concession.expire" },
    {
      name: "close",
      from: ["requested", "approved", "active"],
      to: "closed",
      permission: "concession.close",
      reasonRequired: true
    }
  ]
})

/**
 * The concession record type (`CONC-2026-0001`); its due date is the end of its period.
 * @since 0.1.0
 * @category record types
 */
export const recordType = RecordType.make({
  name: "concession",
  label: "Concession",
  prefix: "CONC",
  schema: ConcessionData,
  workflow,
  title: (d) => `Concession for ${d.toolId ?? d.subjectRef ?? d.subjectId} (${d.requirement})`,
  dueAt: (d) => d.validUntil,
  // Whoever may request a concession links it to its subject.
  permissions: { link: "concession.create" }
})

/**
 * Whether a concession covers a use at `atMillis` (on `workOrder`, when given): approved or active,
 * within its period, and the work order in its scope (an empty scope covers any work order; a scoped
 * concession covers no use without a work order).
 * @since 0.1.0
 * @category models
 */
export const covers = (
  concession: { readonly state: string; readonly data: unknown },
  atMillis: number,
  workOrder: string | undefined
): boolean => {
  if (concession.state !== "approved" && concession.state !== "active") return false
  const from = Date.parse(String(Guard.valueAt(concession.data, "validFrom")))
  const until = Date.parse(String(Guard.valueAt(concession.data, "validUntil")))
  if (!(from <= atMillis && atMillis < until)) return false
  const scope = Guard.valueAt(concession.data, "workOrders")
  if (!Array.isArray(scope) || scope.length === 0) return true
  return workOrder !== undefined && scope.includes(workOrder)
}

/**
 * The task kind of a concession waiting for a decision.
 * @since 0.1.0
 * @category rules
 */
export const approvalTaskKind = "concession_approval"

const Params = Schema.Struct({
  ref: Schema.String,
  subject: Schema.String,
  requirement: Schema.String,
  validFrom: Schema.String,
  validUntil: Schema.String,
  workOrders: Schema.String,
  justification: Schema.String
})

/**
 * Tells the quality managers a concession waits for their decision.
 * @since 0.1.0
 * @category notifications
 */
export const requestedTemplate = Template.make(
  {
    kind: "concession.requested",
    subject: ({ params }) => `Concession ${params.ref} requested for ${params.subject} (${params.requirement})`,
    text: ({ params, recipient }) =>
      `Dear ${recipient.name ?? recipient.email},\n\nConcession ${params.ref} is requested for ${params.subject} ` +
      `against ${params.requirement}, from ${params.validFrom} until ${params.validUntil}, ` +
      `work orders: ${params.workOrders}.\nJustification: ${params.justification}\nPlease approve or reject it.`,
    html: ({ params }) =>
      Template.html`<p>Concession <b>${params.ref}</b> is requested for ${params.subject} against ${params.requirement}, from ${params.validFrom} until ${params.validUntil}, work orders: ${params.workOrders}.</p><p>Justification: ${params.justification}</p><p>Please approve or reject it.</p>`
  },
  Params
)

/**
 * Tells the requester the decision.
 * @since 0.1.0
 * @category notifications
 */
export const decidedTemplate = Template.make(
  {
    kind: "concession.decided",
    subject: ({ params }) => `Concession ${params.ref} ${params.decision}`,
    text: ({ params, recipient }) =>
      `Dear ${recipient.name ?? recipient.email},\n\nConcession ${params.ref} for ${params.subject} was ${params.decision}` +
      ` (until ${params.validUntil}).`,
    html: ({ params }) =>
      Template.html`<p>Concession <b>${params.ref}</b> for ${params.subject} was ${params.decision} (until ${params.validUntil}).</p>`
  },
  Schema.Struct({ ref: Schema.String, subject: Schema.String, decision: Schema.String, validUntil: Schema.String })
)
