// The finding and CAPA workflow definitions, step by step, without a database.
import { Actor, Errors, Guard, Ids, Policy, Workflow } from "@airworthy/core"
import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect, Either } from "effect"
import { Capa, Findings, Qms, QmsModule } from "../src/index.js"

const capa = Capa.workflow
const finding = Findings.workflow
const policy = Policy.layer(QmsModule.policyConfig(Qms.modules))

const id = (s: string): Ids.ActorId => Ids.ActorId.make(s)
const person = (actorId: string, roles: ReadonlyArray<string> = ["admin"]): Actor.Actor =>
  Actor.make({ tenantId: "amo-1", actorId, displayName: actorId, roles, traceId: "trace-1" })
/** Minute `m` of a fixed day; tests never read the wall clock. */
const at = (m: number): DateTime.Utc => DateTime.unsafeMake(Date.UTC(2026, 0, 5, 8, m))
const context = (
  overrides: Partial<Omit<Guard.GuardContext, "record">> & { readonly record?: Partial<Guard.RecordSnapshot> } = {}
): Guard.GuardContext => {
  const { record, ...rest } = overrides
  return Guard.makeContext({
    actor: person("admin-1"),
    ...rest,
    record: {
      id: "0190a000-0000-7000-8000-000000000001",
      type: "finding",
      state: "open",
      version: 1,
      ownerId: id("owner"),
      createdBy: id("auditor"),
      data: {},
      ...record
    }
  })
}
/** Runs a pure effect with the QMS modules' policy, returning its Either. */
const run = <A, E>(self: Effect.Effect<A, E, Policy.Policy>): Either.Either<A, E> =>
  Effect.runSync(Effect.either(Effect.provide(self, policy)))

const unmetCodes = (result: Either.Either<unknown, unknown>): ReadonlyArray<string> =>
  Either.isLeft(result) && result.left instanceof Errors.GuardsFailed
    ? result.left.unmet.map((u) => u.code)
    : [`not GuardsFailed: ${JSON.stringify(result)}`]

const targetOf = (result: Either.Either<Workflow.Step, unknown>): string =>
  Either.isRight(result) ? result.right.to : `failed: ${JSON.stringify(result.left)}`

describe("Findings.workflow", () => {
  const owner = person("owner", ["capa_owner"])
  const auditor = person("auditor-2", ["auditor"])
  const findingIn = (state: string, extra: Parameters<typeof context>[0] = {}) =>
    context({
      actor: auditor,
      ...extra,
      record: { type: "finding", state, data: { title: "Torque", response: "x" }, ...extra.record }
    })

  it("walks from open to closed", () => {
    assert.strictEqual(
      targetOf(run(Workflow.step(finding, findingIn("open", { actor: owner }), "submit_response"))),
      "response_submitted"
    )
    assert.strictEqual(
      targetOf(run(Workflow.step(finding, findingIn("response_submitted"), "accept_response"))),
      "action_in_progress"
    )
    assert.strictEqual(
      targetOf(
        run(Workflow.step(finding, findingIn("action_in_progress", { actor: owner }), "submit_for_verification"))
      ),
      "verification"
    )
    const closable = findingIn("verification", {
      attachments: [{ kind: "evidence", id: "att-1" }],
      verifications: [{ by: id("auditor-2"), at: at(30) }]
    })
    assert.strictEqual(targetOf(run(Workflow.step(finding, closable, "close"))), "closed")
  })

  it("needs a response before it can be submitted", () => {
    const ctx = findingIn("open", { actor: owner, record: { data: { title: "Torque" } } })
    assert.deepStrictEqual(unmetCodes(run(Workflow.step(finding, ctx, "submit_response"))), ["field.required"])
  })

  it("closing needs evidence and an independent verification, both reported at once", () => {
    const ctx = findingIn("verification", { verifications: [{ by: id("owner"), at: at(1) }] })
    assert.deepStrictEqual(unmetCodes(run(Workflow.step(finding, ctx, "close"))), [
      "attachment.missing",
      "verification.not_independent"
    ])
  })

  it("a rejected verification needs a reason, and the old verification no longer counts", () => {
    const verifying = findingIn("verification", { verifications: [{ by: id("auditor-2"), at: at(10) }] })
    const noReason = run(Workflow.step(finding, verifying, "reject_verification"))
    assert.isTrue(Either.isLeft(noReason) && noReason.left._tag === "ValidationFailed")
    const rejected = run(
      Workflow.step(finding, { ...verifying, input: { reason: "Torque values not re-checked" } }, "reject_verification")
    )
    assert.strictEqual(targetOf(rejected), "action_in_progress")
    // Back in verification after the rework: the verification of minute 10 was for the previous round.
    const again = findingIn("verification", {
      attachments: [{ kind: "evidence", id: "att-1" }],
      verifications: [{ by: id("auditor-2"), at: at(10) }],
      history: [
        {
          transition: "submit_for_verification",
          by: id("owner"),
          at: at(5),
          from: "action_in_progress",
          to: "verification"
        },
        {
          transition: "reject_verification",
          by: id("auditor-2"),
          at: at(11),
          from: "verification",
          to: "action_in_progress"
        },
        {
          transition: "submit_for_verification",
          by: id("owner"),
          at: at(20),
          from: "action_in_progress",
          to: "verification"
        }
      ]
    })
    assert.deepStrictEqual(unmetCodes(run(Workflow.step(finding, again, "close"))), ["verification.missing"])
  })

  it("only reviewers accept responses, only holders of finding.close close", () => {
    const result = run(Workflow.step(finding, findingIn("response_submitted", { actor: owner }), "accept_response"))
    assert.isTrue(Either.isLeft(result) && result.left._tag === "Forbidden")
    const tech = run(Workflow.step(finding, findingIn("verification", { actor: person("t", ["technician"]) }), "close"))
    assert.isTrue(Either.isLeft(tech) && tech.left._tag === "Forbidden")
  })

  it("locks the finding's details once the response is submitted", () => {
    assert.isTrue(Workflow.isEditable(finding, "open", "description"))
    assert.isFalse(Workflow.isEditable(finding, "response_submitted", "description"))
    assert.isTrue(Workflow.isEditable(finding, "action_in_progress", "dueAt"))
    assert.deepStrictEqual(Workflow.editableFields(finding, "closed"), [])
  })

  it("draws its diagram", () => {
    assert.strictEqual(
      Workflow.toMermaid(finding)
        .split("\n")
        .filter((l) => l.includes("-->"))
        .join("\n"),
      [
        "  [*] --> open",
        "  open --> response_submitted: submit_response",
        "  response_submitted --> open: reject_response",
        "  response_submitted --> action_in_progress: accept_response",
        "  action_in_progress --> verification: submit_for_verification",
        "  verification --> action_in_progress: reject_verification",
        "  verification --> closed: close",
        "  closed --> [*]"
      ].join("\n")
    )
  })

  it("a host adds a linked-CAPA requirement without copying the workflow", () => {
    const strict = Workflow.unsafeExtend(finding, {
      change: {
        close: { addGuards: [Guard.linkedRecord({ kind: "corrective_action", states: "closed", recordType: "capa" })] }
      }
    })
    const ctx = findingIn("verification", {
      attachments: [{ kind: "evidence", id: "att-1" }],
      verifications: [{ by: id("auditor-2"), at: at(30) }],
      links: [
        { kind: "corrective_action", direction: "out", recordId: "c-1", recordType: "capa", state: "implementation" }
      ]
    })
    assert.deepStrictEqual(unmetCodes(run(Workflow.step(strict, ctx, "close"))), ["link.state"])
    assert.strictEqual(targetOf(run(Workflow.step(finding, ctx, "close"))), "closed")
  })
})

describe("Capa.workflow", () => {
  const qm = person("qm", ["quality_manager"])
  const capaIn = (state: string, data: object, extra: Parameters<typeof context>[0] = {}) =>
    context({ actor: qm, ...extra, record: { type: "capa", state, data } })

  it("needs the root cause method and text before action planning", () => {
    const ctx = capaIn("open", { title: "Torque", rootCause: { method: "5-why" } })
    const result = run(Workflow.step(capa, ctx, "plan_actions"))
    assert.isTrue(Either.isLeft(result))
    assert.deepStrictEqual(Either.isLeft(result) && result.left._tag === "GuardsFailed" ? result.left.unmet : [], [
      { guard: "root_cause", code: "field.required", message: "Root cause must be filled in" }
    ])
    const full = capaIn("open", { rootCause: { method: "fishbone", text: "Worn tooling" } })
    assert.strictEqual(targetOf(run(Workflow.step(capa, full, "plan_actions"))), "action_plan")
  })

  it("approving the plan is signed and needs actions", () => {
    const unsigned = capaIn("action_plan", { actions: [{ text: "Recalibrate" }] })
    const noSignature = run(Workflow.step(capa, unsigned, "approve_plan"))
    assert.isTrue(Either.isLeft(noSignature) && noSignature.left._tag === "ValidationFailed")
    const noActions = capaIn("action_plan", { actions: [] }, { input: { signature: { meaning: "approved" } } })
    assert.deepStrictEqual(unmetCodes(run(Workflow.step(capa, noActions, "approve_plan"))), ["field.required"])
    const signed = capaIn(
      "action_plan",
      { actions: [{ text: "Recalibrate" }] },
      { input: { signature: { meaning: "approved" } } }
    )
    assert.strictEqual(targetOf(run(Workflow.step(capa, signed, "approve_plan"))), "implementation")
    const owner = capaIn(
      "action_plan",
      { actions: [{}] },
      { actor: person("o", ["capa_owner"]), input: { signature: { meaning: "approved" } } }
    )
    assert.isTrue(Either.isLeft(run(Workflow.step(capa, owner, "approve_plan"))))
  })

  it("closes with an effective result or a rationale for skipping, never on an ineffective one", () => {
    const close = (data: object) => run(Workflow.step(capa, capaIn("effectiveness_check", data), "close"))
    assert.deepStrictEqual(unmetCodes(close({})), ["effectiveness.missing"])
    assert.deepStrictEqual(unmetCodes(close({ effectiveness: { result: "ineffective", verifiedBy: "qa" } })), [
      "effectiveness.ineffective"
    ])
    assert.deepStrictEqual(
      unmetCodes(close({ effectiveness: { result: "ineffective" }, effectivenessSkipRationale: "x" })),
      ["effectiveness.ineffective", "effectiveness.verifier_missing"]
    )
    assert.strictEqual(targetOf(close({ effectiveness: { result: "effective", verifiedBy: "qa" } })), "closed")
    assert.strictEqual(targetOf(close({ effectivenessSkipRationale: "One-off event, process withdrawn" })), "closed")
  })

  it("an ineffective check goes back to action planning, with a reason", () => {
    const ctx = capaIn("effectiveness_check", {}, { input: { reason: "Repeat finding in audit 2026-07" } })
    assert.strictEqual(targetOf(run(Workflow.step(capa, ctx, "reject_effectiveness"))), "action_plan")
  })

  it("can be cancelled with a reason from every state before it closes, never after", () => {
    for (const state of Object.keys(capa.states)) {
      const withReason = run(
        Workflow.step(capa, capaIn(state, {}, { input: { reason: "Duplicate of CAPA-12" } }), "cancel")
      )
      const terminal = Workflow.isTerminal(capa, state)
      assert.strictEqual(Either.isRight(withReason), !terminal, state)
      if (!terminal) {
        const noReason = run(Workflow.step(capa, capaIn(state, {}), "cancel"))
        assert.isTrue(Either.isLeft(noReason) && noReason.left._tag === "ValidationFailed", state)
      }
    }
  })

  it("shows a CAPA owner what blocks each step, on their own CAPA and on someone else's", () => {
    const owner = person("o", ["capa_owner"])
    const steps = (ownerId: string) =>
      Either.getOrThrow(
        run(
          Workflow.available(
            capa,
            context({
              actor: owner,
              record: { type: "capa", state: "open", ownerId: ownerId as never, data: { title: "t" } }
            })
          )
        )
      ).map((s) => ({ t: s.transition, allowed: s.allowed, missing: s.missingPermission, unmet: s.unmet.length }))
    assert.deepStrictEqual(steps("o"), [
      { t: "plan_actions", allowed: false, missing: undefined, unmet: 2 },
      { t: "cancel", allowed: false, missing: "capa.cancel", unmet: 0 }
    ])
    // `capa.plan@owner`: on another owner's CAPA the grant does not count.
    assert.deepStrictEqual(steps("someone-else"), [
      { t: "plan_actions", allowed: false, missing: "capa.plan", unmet: 2 },
      { t: "cancel", allowed: false, missing: "capa.cancel", unmet: 0 }
    ])
  })
})
