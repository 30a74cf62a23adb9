/**
 * Sample domains for the tests of the packages below `@airworthy/qms` (records, tasks, this kit)
 * and for trying `checkWorkflow`: a finding-like and a CAPA-like workflow, their data Schemas and
 * the role grants their permissions need. One source, so the lower packages' tests do not each
 * keep a copy. The QMS's real workflows are declared by its modules (`@airworthy/qms`).
 *
 * @since 0.1.0
 */
import { Guard, type Policy, Workflow } from "@airworthy/core"
import { Effect, Schema } from "effect"

/**
 * An audit finding: the organisation responds, acts, an independent person verifies, and the
 * finding is closed with evidence.
 *
 * Data: `{ title, level: "1" | "2" | "observation", requirement, description, dueAt, response }`.
 * @since 0.1.0
 * @category workflows
 */
export const finding: Workflow.Workflow = Workflow.unsafeMake({
  name: "finding",
  label: "Finding",
  states: {
    open: {
      label: "Open",
      description: "Raised; waiting for the organisation's response (root cause and corrective action)",
      editable: ["title", "level", "requirement", "description", "dueAt", "response"]
    },
    response_submitted: {
      label: "Response submitted",
      description: "The response waits for the auditor's review",
      editable: []
    },
    action_in_progress: {
      label: "Action in progress",
      description: "The accepted corrective action is being carried out",
      editable: ["dueAt"]
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

const nonTerminalCapaStates = ["draft", "open", "action_plan", "implementation", "effectiveness_check"]

/**
 * Corrective and preventive action: root cause, action plan, implementation, effectiveness check.
 * Can be cancelled, with a reason, from any state before it closes.
 *
 * Data: `{ title, description, dueAt, rootCause: { method: "5-why" | "fishbone" | "other", text },
 * actions: [...], effectiveness: { plannedAt, result, verifiedBy }, effectivenessSkipRationale }`.
 * @since 0.1.0
 * @category workflows
 */
export const capa: Workflow.Workflow = Workflow.unsafeMake({
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
      editable: ["description", "dueAt", "rootCause", "actions"]
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
    {
      name: "open",
      from: "draft",
      to: "open",
      permission: "capa.open",
      guards: [Guard.requiredFields(["title"])]
    },
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
      guards: [effectivenessConfirmed]
    },
    { name: "cancel", from: nonTerminalCapaStates, to: "cancelled", permission: "capa.cancel", reasonRequired: true }
  ]
})

/**
 * The finding fixture's data.
 * @since 0.1.0
 * @category fixtures
 */
export const FindingData = Schema.Struct({
  title: Schema.NonEmptyTrimmedString,
  level: Schema.Literal("1", "2", "observation"),
  requirement: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  dueAt: Schema.optional(Schema.String),
  response: Schema.optional(Schema.String)
})

/**
 * The CAPA fixture's data.
 * @since 0.1.0
 * @category fixtures
 */
export const CapaData = Schema.Struct({
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  dueAt: Schema.optional(Schema.String),
  rootCause: Schema.optional(
    Schema.Struct({
      method: Schema.optional(Schema.Literal("5-why", "fishbone", "other")),
      text: Schema.optional(Schema.String)
    })
  ),
  actions: Schema.optional(Schema.Array(Schema.Struct({ text: Schema.String }))),
  effectiveness: Schema.optional(
    Schema.Struct({
      plannedAt: Schema.optional(Schema.String),
      result: Schema.optional(Schema.Literal("effective", "ineffective")),
      verifiedBy: Schema.optional(Schema.String)
    })
  ),
  effectivenessSkipRationale: Schema.optional(Schema.String)
})

/**
 * What the default roles are granted of the fixtures' permissions (as the QMS modules grant them):
 * pass as `Policy.layer(Fixtures.policy)`.
 * @since 0.1.0
 * @category fixtures
 */
export const policy: Policy.Config = {
  grant: {
    viewer: ["finding.read", "capa.read"],
    quality_manager: ["finding.*", "capa.*"],
    auditor: [
      "finding.read",
      "finding.create",
      "finding.update",
      "finding.review",
      "finding.verify",
      "finding.close",
      "capa.read",
      "capa.verify"
    ],
    capa_owner: [
      "finding.read",
      "finding.respond",
      "capa.read",
      "capa.update",
      "capa.open",
      "capa.plan",
      "capa.implement",
      "task.read",
      "task.create",
      "task.update",
      "task.complete",
      "record.read",
      "record.comment",
      "record.link",
      "record.attach",
      "record.sign",
      "audit_trail.read"
    ],
    technician: ["finding.read", "capa.read"],
    accountable_manager: ["finding.read", "capa.read", "capa.approve"]
  }
}
