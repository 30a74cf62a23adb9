import { Actor, Policy } from "@airworthy/core"
import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc, Schema } from "effect"
import { Arbitraries } from "../src/index.js"

const FindingData = Schema.Struct({
  title: Schema.NonEmptyTrimmedString,
  level: Schema.Literal("1", "2", "observation"),
  dueAt: Schema.optional(Schema.DateTimeUtc)
})

describe("Arbitraries", () => {
  it.prop("fromSchema gives values of the Schema's type", [Arbitraries.fromSchema(FindingData)], ([finding]) =>
    Schema.is(FindingData)(finding)
  )

  it.prop("encoded gives the JSON form, which decodes", [Arbitraries.encoded(FindingData)], ([data]) => {
    assert.isTrue(data.dueAt === undefined || typeof data.dueAt === "string")
    return Either.isRight(Schema.decodeUnknownEither(FindingData)(data))
  })

  it.prop(
    "ids are valid branded values",
    [Arbitraries.tenantId, Arbitraries.actorId, Arbitraries.traceId, Arbitraries.recordId],
    ([tenant, actor, trace, record]) => {
      assert.match(tenant, /^amo-[a-z0-9]{1,8}$/)
      assert.match(actor, /^u-[a-z0-9]{1,8}$/)
      assert.match(trace, /^trace-[a-z0-9]{1,8}$/)
      assert.match(record, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    }
  )

  it.prop(
    "actor draws its roles from the given ones and keeps a fixed tenant",
    [Arbitraries.actor({ roles: ["auditor", "capa_owner"], tenantId: "amo-1", minRoles: 1 })],
    ([someone]) => {
      assert.instanceOf(someone, Actor.Actor)
      assert.strictEqual(someone.tenantId, "amo-1")
      assert.isAbove(someone.roles.length, 0)
      for (const role of someone.roles) assert.include(["auditor", "capa_owner"], role)
    }
  )

  it("actor defaults to the default roles, and can have none", () => {
    const samples = fc.sample(Arbitraries.actor(), { seed: 7, numRuns: 200 })
    const roles = new Set(samples.flatMap((a) => a.roles))
    for (const role of roles) assert.property(Policy.defaultRoles, role)
    assert.isTrue(samples.some((a) => a.roles.length === 0))
    assert.isAbove(new Set(samples.map((a) => a.tenantId)).size, 1)
  })
})
