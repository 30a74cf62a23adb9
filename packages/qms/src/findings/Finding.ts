/**
 * The audit finding: its data, its workflow, its record type, and the notifications and task kinds
 * that go with it.
 *
 * @since 0.1.0
 */
import { Guard, Workflow } from "@airworthy/core"
import { Template } from "@airworthy/notify"
import { RecordType } from "@airworthy/records"
import { Schema } from "effect"

/**
 * Finding levels (EASA 145.B.350): level 1 is a significant non-compliance that lowers the safety
 * standard; level 2 any other non-compliance; an observation is advice, not a non-compliance.
 * @since 0.1.0
 * @category models
 */
export const Level = Schema.Literal("1", "2", "observation")
/** @since 0.1.0 @category models */
export type Level = typeof Level.Type

/**
 * A finding's data (the record's `data`). `requirement` is the rule it breaks, e.g. `145.A.40`;
 * `evidence` describes what the auditor saw; files of kind `evidence` are attached to the record.
 * @since 0.1.0
 * @category models
 */
export const FindingData = Schema.Struct({
  title: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500)),
  level: Level,
  requirement: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(100)),
  description: Schema.optional(Schema.String.pipe(Schema.maxLength(10_000))),
  evidence: Schema.optional(Schema.String.pipe(Schema.maxLength(10_000))),
  /** The audit that raised it, if any. */
  auditId: Schema.optional(Schema.String),
  /** The programme area it concerns, if any. */
  areaId: Schema.optional(Schema.String),
  dueAt: Schema.optional(Schema.String),
  response: Schema.optional(Schema.String.pipe(Schema.maxLength(10_000)))
})
/** @since 0.1.0 @category models */
export type FindingData = typeof FindingData.Type

/**
 * The finding workflow: the organisation responds (open → response_submitted), the auditor accepts
 * or rejects the response, the corrective action is carried out (action_in_progress) and reported
 * done (verification); someone other than the owner verifies it, and the finding is closed with
 * evidence attached (kind `evidence`). Verification can send it back with a reason.
 * @since 0.1.0
 * @category workflows
 */
export const workflow: Workflow.Workflow = Workflow.unsafeMake({
  name: "finding",
  label: "Finding",
  states: {
    open: {
      label: "Open",
      description: "Raised; waiting for the organisation's response (root cause and corrective action)",
      // The level changes only through `findings.reclassify`, which derives the due date again.
      editable: ["title", "requirement", "description", "evidence", "dueAt", "response"]
    },
    response_submitted: {
      label: "Response submitted",
      description: "The response waits for the auditor's review",
      editable: []
    },
    action_in_progress: {
      label: "Action in progress",
      description: "The accepted corrective action is being carried out",
      editable: ["dueAt", "evidence"]
    },
    verification: {
      label: "Verification",
      description: "The action is reported done; someone other than the owner verifies it",
      editable: []
    },
    closed: { label: "Closed", description: "Verified and closed with evidence" }
  },
  initial: "open",
  terminal: ["closed"],
  transitions: [
    {
      name: "submit_response",
      from: "open",
      to: "response_submitted",
      permission: "finding.respond",
      guards: [Guard.requiredFields(["response"])]
    },
    {
      name: "reject_response",
      from: "response_submitted",
      to: "open",
      permission: "finding.review",
      reasonRequired: true
    },
    { name: "accept_response", from: "response_submitted", to: "action_in_progress", permission: "finding.review" },
    { name: "submit_for_verification", from: "action_in_progress", to: "verification", permission: "finding.respond" },
    {
      name: "reject_verification",
      from: "verification",
      to: "action_in_progress",
      permission: "finding.verify",
      reasonRequired: true
    },
    {
      name: "close",
      from: "verification",
      to: "closed",
      permission: "finding.close",
      guards: [Guard.attachment("evidence"), Guard.verification({ independent: true })]
    }
  ]
})

/**
 * The finding record type (`FND-2026-0001`).
 * @since 0.1.0
 * @category record types
 */
export const recordType = RecordType.make({
  name: "finding",
  label: "Finding",
  prefix: "FND",
  schema: FindingData,
  workflow,
  title: (d) => d.title,
  dueAt: (d) => d.dueAt
})

/**
 * The task kind (and so the `DuePolicy`) of a finding's response: `finding_level_1` (24 h by default),
 * `finding_level_2` (90 days, 145.B.350); observations get `finding_observation`, which has no policy
 * and so no due date unless the tenant sets one.
 * @since 0.1.0
 * @category rules
 */
export const taskKind = (level: Level): string =>
  level === "observation" ? "finding_observation" : `finding_level_${level}`

/**
 * Tells the owner a finding was raised against them.
 * @since 0.1.0
 * @category notifications
 */
export const raisedTemplate = Template.make(
  {
    kind: "finding.raised",
    subject: ({ params }) => `Finding ${params.ref} (level ${params.level}) is yours: ${params.title}`,
    text: ({ params, recipient }) =>
      `Dear ${recipient.name ?? recipient.email},\n\nFinding ${params.ref} against ${params.requirement} ` +
      `(level ${params.level}) has been raised and assigned to you.\n${params.title}\n` +
      `Response due: ${params.dueAt ?? "no due date"}.`,
    html: ({ params }) =>
      Template.html`<p>Finding <b>${params.ref}</b> against ${params.requirement} (level ${params.level}) is yours.</p><p>${params.title}</p><p>Response due: ${params.dueAt ?? "no due date"}.</p>`
  },
  Schema.Struct({
    ref: Schema.String,
    title: Schema.String,
    level: Schema.String,
    requirement: Schema.String,
    dueAt: Schema.NullOr(Schema.String)
  })
)
