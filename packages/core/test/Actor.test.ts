import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Actor } from "../src/index.js"

const qm = Actor.make({
  tenantId: "amo-1",
  actorId: "u-17",
  displayName: "Quality Manager",
  roles: ["quality_manager"],
  traceId: "trace-1"
})

describe("Actor", () => {
  it.effect("provides the current actor to a command", () =>
    Effect.gen(function* () {
      const actor = yield* Actor.current
      assert.strictEqual(actor.tenantId, "amo-1")
      assert.strictEqual(actor.source, "api")
      assert.deepStrictEqual(actor.roles, ["quality_manager"])
    }).pipe(Actor.withActor(qm))
  )

  it("rejects an actor without a tenant", () => {
    assert.throws(() => Actor.make({ tenantId: "", actorId: "u", displayName: "x", roles: [], traceId: "t" }))
  })
})
