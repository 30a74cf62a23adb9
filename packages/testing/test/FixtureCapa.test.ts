// Worked example: the CAPA fixture passes checkWorkflow on every database target.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { checkWorkflow, Fixtures, TestDatabase } from "../src/index.js"

for (const target of await TestDatabase.targets({ sqliteFile: false })) {
  const runs = target.dialect === "pg" ? 50 : 200
  describe.skipIf(target.skip)(target.name, () => {
    it.effect(
      `the CAPA workflow keeps every invariant over ${runs} random runs`,
      () =>
        Effect.gen(function* () {
          const outcome = yield* Effect.either(
            checkWorkflow(Fixtures.capa, {
              policy: Fixtures.policy,
              runs,
              maxCommands: 20,
              database: target.layer,
              recordType: { schema: Fixtures.CapaData }
            })
          )
          if (Either.isLeft(outcome)) return assert.fail(outcome.left.message)
          const report = outcome.right
          assert.strictEqual(report.runs, runs)
          // The runs get deep: root causes are recorded and plans approved, and CAPAs get cancelled.
          assert.isAbove(report.transitions.plan_actions?.taken ?? 0, 0)
          assert.isAbove(report.states.cancelled ?? 0, 0)
          if (runs >= 200) assert.isAbove(report.states.implementation ?? 0, 0)
        }),
      { timeout: 120_000 }
    )
  })
}
