// checkWorkflow can fail: broken setups make it name the invariant they break, with the shrunk commands.
import { readFileSync } from "node:fs"
import type { AuditEvent, AuditLog } from "@airworthy/audit"
import { Actor, Guard, Workflow } from "@airworthy/core"
import { RecordHooks } from "@airworthy/records"
import { Query } from "@airworthy/storage"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { type CheckWorkflow, checkWorkflow, Fixtures, TestDatabase } from "../src/index.js"

const failure = <A, R>(self: Effect.Effect<A, CheckWorkflow.CheckWorkflowFailed, R>) =>
  Effect.map(Effect.either(self), (outcome) => {
    if (Either.isRight(outcome)) return assert.fail("checkWorkflow passed a broken setup")
    return outcome.left
  })

// A fixed seed keeps the broken setups' reports reproducible; the bugs are found with any seed.
const seed = 20_260_105

describe("checkWorkflow reports broken setups", () => {
  it.effect("a runtime that forgets the audit event of one transition breaks 'audit-events'", () =>
    Effect.gen(function* () {
      // The audit log the runtime writes through skips the event of every CAPA cancellation.
      const forgetCancel = (service: AuditLog.Service): AuditLog.Service => ({
        ...service,
        append: (input) =>
          input.action === "capa.transition.cancel"
            ? Effect.succeed({ sequence: 0 } as unknown as AuditEvent.AuditEvent)
            : service.append(input)
      })
      const error = yield* failure(
        checkWorkflow(Fixtures.capa, { policy: Fixtures.policy, runs: 100, seed, interceptAuditLog: forgetCancel })
      )
      assert.strictEqual(error.invariant, "audit-events")
      assert.include(error.detail, "instead of [capa.transition.cancel]")
      // The shrunk sequence is short and ends with the cancellation that lost its event.
      assert.isAtMost(error.commands.length, 4)
      assert.match(error.commands[error.commands.length - 1]!, /takes 'cancel' .* → ok \(cancelled, v\d+\)/)
      assert.include(error.message, "each successful command appended exactly its audit events")
      assert.include(error.message, `Replay with { seed: ${seed}, path: "`)
      // The seed and path in the report replay exactly that failure.
      const again = yield* failure(
        checkWorkflow(Fixtures.capa, {
          policy: Fixtures.policy,
          runs: 100,
          seed: error.seed,
          path: error.path,
          interceptAuditLog: forgetCancel
        })
      )
      assert.strictEqual(again.invariant, "audit-events")
      assert.deepStrictEqual(again.commands, error.commands)
    })
  )

  it.effect("a host hook that forces a state behind the workflow's back breaks 'defined-transitions'", () =>
    Effect.gen(function* () {
      // Opening a CAPA "closes" it directly, skipping every guard between draft and closed.
      const forceClosed = RecordHooks.onTransition("open", (change) =>
        Effect.asVoid(
          Query.unsafe("UPDATE aw_records SET state = 'closed' WHERE id = ?", [change.record.id]).pipe(Effect.orDie)
        )
      )
      const error = yield* failure(
        checkWorkflow(Fixtures.capa, {
          policy: Fixtures.policy,
          runs: 100,
          seed,
          hooks: RecordHooks.layer(forceClosed)
        })
      )
      assert.strictEqual(error.invariant, "defined-transitions")
      assert.include(error.detail, "'open' should take capa #1")
      assert.include(error.detail, "but it is in 'closed'")
      assert.match(error.commands[error.commands.length - 1]!, /takes 'open' on capa #1/)
    })
  )

  it.effect("an audit row tampered with mid-run breaks 'audit-chain'", () =>
    Effect.gen(function* () {
      // A hook rewrites the event a comment just appended (dropping the append-only trigger first).
      const tamper = RecordHooks.onCommented((change) =>
        Effect.orDie(
          Effect.gen(function* () {
            const actor = yield* Actor.CurrentActor
            yield* Query.unsafe("DROP TRIGGER IF EXISTS aw_audit_events_no_update")
            yield* Query.unsafe(
              "UPDATE aw_audit_events SET envelope = replace(envelope, 'Checked by', 'Cheated by') WHERE tenant_id = ? AND sequence = ?",
              [actor.tenantId, change.auditSequence]
            )
          })
        )
      )
      const error = yield* failure(
        checkWorkflow(Fixtures.finding, { policy: Fixtures.policy, runs: 100, seed, hooks: RecordHooks.layer(tamper) })
      )
      assert.strictEqual(error.invariant, "audit-chain")
      assert.include(error.detail, "does not verify")
      assert.match(error.commands[error.commands.length - 1]!, /comments on finding #1 .*→ ok/)
    })
  )

  it.effect("a custom guard that is not a function of the record breaks the step agreement", () =>
    Effect.gen(function* () {
      // The guard answers differently on every call: the checker's re-evaluation and the runtime disagree.
      let calls = 0
      const coin = Guard.custom("coin", () => Effect.sync(() => ++calls % 2 === 0))
      const flaky = Workflow.unsafeExtend(Fixtures.capa, { change: { open: { addGuards: [coin] } } })
      const error = yield* failure(checkWorkflow(flaky, { runs: 100, seed, policy: Fixtures.policy }))
      assert.oneOf(error.invariant, ["guards-held", "step-agrees"])
      assert.include(error.detail, "'open'")
    })
  )

  it.effect("an invalid definition is reported, not run", () =>
    Effect.gen(function* () {
      const error = yield* failure(
        checkWorkflow({
          name: "broken",
          states: { a: {}, b: {} },
          initial: "a",
          terminal: ["b"],
          transitions: [{ name: "go", from: "a", to: "nowhere", permission: "x.go" }]
        })
      )
      assert.strictEqual(error.invariant, "definition-valid")
      assert.include(error.detail, "unknown state 'nowhere'")
    })
  )
})

describe("checkWorkflow on a host's own workflow", () => {
  // A workflow with every kind of guard: required fields, evidence, independent verification, two
  // approvals, separation of duties, a linked record in the right state, and a signed step.
  const permit = Workflow.unsafeMake({
    name: "work_permit",
    states: {
      draft: { editable: ["title", "scope.area", "scope.hazards"] },
      review: { editable: ["scope.hazards"] },
      authorised: {},
      withdrawn: {}
    },
    initial: "draft",
    terminal: ["authorised", "withdrawn"],
    transitions: [
      {
        name: "submit",
        from: "draft",
        to: "review",
        permission: "permit.submit",
        guards: [Guard.requiredFields(["title", "scope.area"]), Guard.attachment("risk_assessment")]
      },
      {
        name: "authorise",
        from: "review",
        to: "authorised",
        permission: "permit.authorise",
        signature: { meaning: "approved" },
        guards: [
          Guard.approvals(2, { independent: true }),
          Guard.verification({ independent: true, results: ["safe"] }),
          Guard.separationOfDuties({ performerOf: "submit" }),
          Guard.linkedRecord({ kind: "isolation", states: "in_place", recordType: "isolation" })
        ]
      },
      { name: "return", from: "review", to: "draft", permission: "permit.authorise", reasonRequired: true },
      {
        name: "withdraw",
        from: ["draft", "review"],
        to: "withdrawn",
        permission: "permit.submit",
        reasonRequired: true
      }
    ]
  })
  const policy = {
    roles: {
      planner: ["permit.submit", "work_permit.*", "record.*"],
      supervisor: ["permit.authorise", "work_permit.read", "work_permit.verify", "work_permit.approve", "record.*"]
    }
  }

  it.effect(
    "derives its commands from a host definition with every kind of guard",
    () =>
      Effect.gen(function* () {
        const outcome = yield* Effect.either(
          checkWorkflow(permit, {
            runs: 100,
            maxCommands: 20,
            policy,
            actors: [
              { actorId: "u-plan-1", roles: ["planner"] },
              { actorId: "u-plan-2", roles: ["planner"] },
              { actorId: "u-sup-1", roles: ["supervisor"] },
              { actorId: "u-sup-2", roles: ["supervisor"] },
              { actorId: "u-sup-3", roles: ["supervisor"] },
              { actorId: "u-visitor", roles: [] }
            ]
          })
        )
        if (Either.isLeft(outcome)) return assert.fail(outcome.left.message)
        const report = outcome.right
        assert.isAbove(report.transitions.submit?.taken ?? 0, 0)
        assert.isAbove(report.transitions.authorise?.refused ?? 0, 0)
        assert.isAbove(report.states.review ?? 0, 0)
      }),
    { timeout: 120_000 }
  )

  it.effect("runs on a file database as well", () =>
    Effect.gen(function* () {
      const outcome = yield* Effect.either(
        checkWorkflow(Fixtures.finding, { policy: Fixtures.policy, runs: 10, database: TestDatabase.sqliteFile })
      )
      assert.isTrue(Either.isRight(outcome), Either.isLeft(outcome) ? outcome.left.message : "")
    })
  )
})

describe("the README example", () => {
  it("is exactly test/ReadmeExample.test.ts", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8")
    const block = /## A host testing its own workflow in ten lines[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1]
    const file = readFileSync(new URL("./ReadmeExample.test.ts", import.meta.url), "utf8")
      .split("\n")
      .filter((line) => !line.startsWith("// biome-ignore"))
      .join("\n")
    assert.strictEqual(block, file)
  })
})
