/**
 * The audit finding: its data, its workflow (the built-in one, extended), its record type, and the
 * notifications and task kinds that go with it.
 *
 * @since 0.1.0
 */
import { BuiltinWorkflows, Workflow } from "@airworthy/core"
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
 * The finding workflow: the built-in one (open → response_submitted → action_in_progress →
 * verification → closed, back from verification when rejected), with the evidence description
 * editable while the finding is open or being acted on. Closing needs an attachment of kind
 * `evidence` and a verification by someone other than the owner (built-in guards).
 * @since 0.1.0
 * @category workflows
 */
export const workflow: Workflow.Workflow = Workflow.unsafeExtend(BuiltinWorkflows.finding, {
  states: {
    open: { editable: ["title", "level", "requirement", "description", "evidence", "dueAt", "response"] },
    action_in_progress: { editable: ["dueAt", "evidence"] }
  }
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
