// A host's directory written as plain functions: answers become Options, throws and rejections
// become a StorageError naming the function.
import { assert, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Directory } from "../src/index.js"

const people = Directory.fromPromises({
  contactOf: async (tenantId, actorId) =>
    tenantId === "mro-1" && actorId === "u-olive"
      ? { actorId, displayName: "Olive", email: "olive@mro.example" }
      : undefined,
  supervisorOf: (_tenantId, actorId) => (actorId === "u-olive" ? "u-quinn" : null),
  usersWithRole: (tenantId, role) => {
    if (role === "broken") throw new Error("LDAP unreachable")
    return tenantId === "mro-1" && role === "quality_manager" ? ["u-quinn"] : []
  }
})

it.effect("sync and async answers; nobody is None", () =>
  Effect.gen(function* () {
    assert.deepStrictEqual(
      yield* people.contactOf("mro-1", "u-olive"),
      Option.some({ actorId: "u-olive", displayName: "Olive", email: "olive@mro.example" })
    )
    assert.isTrue(Option.isNone(yield* people.contactOf("mro-2", "u-olive")))
    assert.deepStrictEqual(yield* people.supervisorOf("mro-1", "u-olive"), Option.some("u-quinn"))
    assert.isTrue(Option.isNone(yield* people.supervisorOf("mro-1", "u-quinn")))
    assert.deepStrictEqual(yield* people.usersWithRole("mro-1", "quality_manager"), ["u-quinn"])
    assert.deepStrictEqual(yield* people.usersWithRole("mro-2", "quality_manager"), [])
  })
)

it.effect("a function that throws fails with a StorageError naming it", () =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(people.usersWithRole("mro-1", "broken"))
    assert.strictEqual(error._tag, "StorageError")
    assert.include(error.message, "usersWithRole")
    assert.include(error.message, "LDAP unreachable")
  })
)
