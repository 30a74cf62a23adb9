/**
 * Corrective and preventive action: its data, its workflow, its record type and notifications.
 *
 * @since 0.1.0
 */
import { Guard, Workflow } from "@airworthy/core"
import { Template } from "@airworthy/notify"
import { RecordType } from "@airworthy/records"
import { Effect, Schema } from "effect"

/**
 * How the root cause was found.
 * @since 0.1.0
 * @category models
 */
export const RootCauseMethod = Schema.Literal("5-why", "fishbone", "other")

/**
 * One corrective or preventive action. Each becomes a task for its owner when the plan is approved.
 * @since 0.1.0
 * @category models
 */
export const Action = Schema.Struct({
  kind: Schema.Literal("corrective", "preventive"),
  text: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(4000)),
  ownerId: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128)),
  dueAt: Schema.String
})
/** @since 0.1.0 @category models */
export type Action = typeof Action.Type

/**
 * A CAPA's data. `findingId`, `findingRef`, `requirement` and `level` are copied from the finding it
 * answers.
 * @since 0.1.0
 * @category models
 */
export const CapaData = Schema.Struct({
  title: Schema.optional(Schema.String.pipe(Schema.maxLength(500))),
  description: Schema.optional(Schema.String.pipe(Schema.maxLength(10_000))),
  dueAt: Schema.optional(Schema.String),
  findingId: Schema.optional(Schema.String),
  findingRef: Schema.optional(Schema.String),
  requirement: Schema.optional(Schema.String),
  level: Schema.optional(Schema.String),
  rootCause: Schema.optional(
    Schema.Struct({
      method: Schema.optional(RootCauseMethod),
      text: Schema.optional(Schema.String.pipe(Schema.maxLength(10_000)))
    })
  ),
  actions: Schema.optional(Schema.Array(Action)),
  effectiveness: Schema.optional(
    Schema.Struct({
      plannedAt: Schema.optional(Schema.String),
      result: Schema.optional(Schema.Literal("effective", "ineffective")),
      verifiedBy: Schema.optional(Schema.String)
    })
  ),
  effectivenessSkipRationale: Schema.optional(Schema.String.pipe(Schema.maxLength(4000)))
})
/** @since 0.1.0 @category models */
export type CapaData = typeof CapaData.Type

/**
 * A recorded effectiveness result must say who verified it (an inspector asks "who decided this
 * worked?"). Nothing to check when the check was skipped with a rationale.
 * @since 0.1.0
 * @category guards
 */
export const effectivenessVerifiedBy: Guard.Custom = Guard.custom("effectiveness_verified_by", (ctx) => {
  const result = Guard.valueAt(ctx.record.data, "effectiveness.result")
  if (!Guard.isPresent(result)) return Effect.succeed(true)
  if (Guard.isPresent(Guard.valueAt(ctx.record.data, "effectiveness.verifiedBy"))) return Effect.succeed(true)
  return Effect.succeed([
    { code: "effectiveness.verifier_missing", message: "Record who verified the effectiveness of the actions" }
  ])
})

/**
 * The CAPA close guard: an effectiveness result of `effective`, or a rationale for skipping the
 * check. An `ineffective` result blocks closing; the CAPA goes back to action planning instead.
 * @since 0.1.0
 * @category guards
 */
export const effectivenessConfirmed: Guard.Custom = Guard.custom("effectiveness_confirmed", (ctx) => {
  const result = Guard.valueAt(ctx.record.data, "effectiveness.result")
  const skipped = Guard.isPresent(Guard.valueAt(ctx.record.data, "effectivenessSkipRationale"))
  if (result === "ineffective") {
    return Effect.succeed([
      {
        code: "effectiveness.ineffective",
        message: "The effectiveness check found the actions not effective; return the CAPA to action planning"
      }
    ])
  }
  if (Guard.isPresent(result) || skipped) return Effect.succeed(true)
  return Effect.succeed([
    {
      code: "effectiveness.missing",
      message: "Record the effectiveness check result, or give a rationale for skipping the check"
    }
  ])
})

const beforeClosing = ["draft", "open", "action_plan", "implementation", "effectiveness_check"]

/**
 * The CAPA workflow: draft → open → action_plan → implementation → effectiveness_check → closed, or
 * cancelled with a reason from any state before it closes. Approving the plan is signed; closing
 * needs an effectiveness result (or a rationale for skipping the check) and who verified it. The
 * effectiveness check is planned with the actions, so its date is part of the plan.
 * @since 0.1.0
 * @category workflows
 */
export const workflow: Workflow.Workflow = Workflow.unsafeMake({
  name: "capa",
  label: "CAPA",
  states: {
    draft: { label: "Draft", editable: ["title", "description", "dueAt", "rootCause", "actions"] },
    open: {
      label: "Open",
      description: "Raised; the owner analyses the root cause",
      editable: ["title", "description", "dueAt", "rootCause", "actions"]
    },
    action_plan: {
      label: "Action plan",
      description: "Root cause known; actions are planned and wait for approval",
      editable: ["description", "dueAt", "rootCause", "actions", "effectiveness.plannedAt"]
    },
    implementation: {
      label: "Implementation",
      description: "The approved actions are being carried out",
      editable: ["actions", "effectiveness.plannedAt"]
    },
    effectiveness_check: {
      label: "Effectiveness check",
      description: "Checking that the actions removed the cause",
      editable: ["effectiveness", "effectivenessSkipRationale"]
    },
    closed: { label: "Closed" },
    cancelled: { label: "Cancelled" }
  },
  initial: "draft",
  terminal: ["closed", "cancelled"],
  transitions: [
    { name: "open", from: "draft", to: "open", permission: "capa.open", guards: [Guard.requiredFields(["title"])] },
    {
      name: "plan_actions",
      from: "open",
      to: "action_plan",
      permission: "capa.plan",
      guards: [
        Guard.requiredFields(
          [
            { path: "rootCause.method", label: "root cause analysis method" },
            { path: "rootCause.text", label: "root cause" }
          ],
          { name: "root_cause" }
        )
      ]
    },
    {
      name: "approve_plan",
      from: "action_plan",
      to: "implementation",
      permission: "capa.approve",
      signature: { meaning: "approved" },
      guards: [Guard.requiredFields([{ path: "actions", label: "at least one action" }], { name: "actions_planned" })]
    },
    {
      name: "complete_implementation",
      from: "implementation",
      to: "effectiveness_check",
      permission: "capa.implement"
    },
    {
      name: "reject_effectiveness",
      from: "effectiveness_check",
      to: "action_plan",
      permission: "capa.verify",
      reasonRequired: true
    },
    {
      name: "close",
      from: "effectiveness_check",
      to: "closed",
      permission: "capa.close",
      guards: [effectivenessConfirmed, effectivenessVerifiedBy]
    },
    { name: "cancel", from: beforeClosing, to: "cancelled", permission: "capa.cancel", reasonRequired: true }
  ]
})

/**
 * The CAPA record type (`CAPA-2026-0001`).
 * @since 0.1.0
 * @category record types
 */
export const recordType = RecordType.make({
  name: "capa",
  label: "CAPA",
  prefix: "CAPA",
  schema: CapaData,
  workflow,
  title: (d) => d.title ?? "",
  dueAt: (d) => d.dueAt
})

/**
 * The task kinds CAPA work is tracked with.
 * @since 0.1.0
 * @category rules
 */
export const taskKinds = {
  rootCause: "capa_root_cause",
  corrective: "capa_corrective_action",
  preventive: "capa_preventive_action",
  effectiveness: "capa_effectiveness_check"
} as const

/**
 * Tells the owner a CAPA was opened for them (raised from a finding, or opened from a draft).
 * @since 0.1.0
 * @category notifications
 */
export const raisedTemplate = Template.make(
  {
    kind: "capa.raised",
    subject: ({ params }) =>
      params.findingRef === null
        ? `CAPA ${params.ref} is open and yours`
        : `CAPA ${params.ref} raised for finding ${params.findingRef}`,
    text: ({ params, recipient }) =>
      `Dear ${recipient.name ?? recipient.email},\n\nCAPA ${params.ref} has been raised` +
      `${params.findingRef === null ? "" : ` for finding ${params.findingRef}`} and you own it. ` +
      `Analyse the root cause and plan the actions by ${params.dueAt ?? "the agreed date"}.`,
    html: ({ params }) =>
      Template.html`<p>CAPA <b>${params.ref}</b> has been raised${params.findingRef === null ? "" : ` for finding ${params.findingRef}`}; you own it.</p><p>Root cause and action plan due: ${params.dueAt ?? "the agreed date"}.</p>`
  },
  Schema.Struct({
    ref: Schema.String,
    findingRef: Schema.NullOr(Schema.String),
    dueAt: Schema.NullOr(Schema.String)
  })
)

/**
 * Tells an action owner an approved action is theirs.
 * @since 0.1.0
 * @category notifications
 */
export const actionTemplate = Template.make(
  {
    kind: "capa.action_assigned",
    subject: ({ params }) => `${params.kind} action on ${params.ref} is yours`,
    text: ({ params }) => `The ${params.kind} action "${params.text}" on ${params.ref} is due ${params.dueAt}.`,
    html: ({ params }) =>
      Template.html`<p>The ${params.kind} action “${params.text}” on <b>${params.ref}</b> is due ${params.dueAt}.</p>`
  },
  Schema.Struct({ ref: Schema.String, kind: Schema.String, text: Schema.String, dueAt: Schema.String })
)
