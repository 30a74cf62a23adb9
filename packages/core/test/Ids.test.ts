import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Schema, TestClock } from "effect"
import { Ids } from "../src/index.js"

const v7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe("Ids", () => {
  it.effect("makes UUIDv7 ids that carry the Clock's time", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2026, 10, 23, 8, 30))
      const id = yield* Ids.next
      assert.match(id, v7)
      assert.strictEqual(Ids.uuidv7Time(id), Date.UTC(2026, 10, 23, 8, 30))
    }).pipe(Effect.provide(Ids.layer))
  )

  it.effect("ids made later sort later, even thousands within one millisecond", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_700_000_000_000)
      const ids: Array<string> = []
      for (let i = 0; i < 10_000; i++) ids.push(yield* Ids.next)
      yield* TestClock.adjust("1 millis")
      ids.push(yield* Ids.next)
      const sorted = [...ids].sort()
      assert.deepStrictEqual(sorted, ids)
      assert.strictEqual(new Set(ids).size, ids.length)
      for (const id of ids) assert.match(id, v7)
    }).pipe(Effect.provide(Ids.layer))
  )

  it.effect("the test layer is deterministic: same seed and clock, same ids", () =>
    Effect.gen(function* () {
      const run = (seed: number) =>
        Effect.gen(function* () {
          yield* TestClock.setTime(42_000)
          return [yield* Ids.next, yield* Ids.next, yield* Ids.next]
        }).pipe(Effect.provide(Ids.layerTest(seed)))
      assert.deepStrictEqual(yield* run(7), yield* run(7))
      assert.notDeepEqual(yield* run(7), yield* run(8))
    })
  )

  it.effect("many: the ids n calls of next would make, in order; a service without nextMany falls back to next", () =>
    Effect.gen(function* () {
      const batch = Effect.gen(function* () {
        yield* TestClock.setTime(42_000)
        const ids = yield* Ids.Ids
        return [...(yield* Ids.many(ids, 5)), ...(yield* Ids.many(ids, 0)), yield* ids.next]
      })
      const oneByOne = Effect.gen(function* () {
        yield* TestClock.setTime(42_000)
        const out: Array<string> = []
        for (let i = 0; i < 6; i++) out.push(yield* Ids.next)
        return out
      })
      const many = yield* batch.pipe(Effect.provide(Ids.layerTest(3)))
      assert.strictEqual(many.length, 6)
      assert.deepStrictEqual(many, yield* oneByOne.pipe(Effect.provide(Ids.layerTest(3))))
      assert.deepStrictEqual([...many].sort(), many)
      // A host's own service with `next` only.
      let calls = 0
      const hosts: Ids.Ids["Type"] = { next: Effect.sync(() => `host-${++calls}`) }
      assert.deepStrictEqual(yield* Ids.many(hosts, 3), ["host-1", "host-2", "host-3"])
    })
  )

  it.prop(
    "uuidv7 keeps the timestamp and version for any time and sequence",
    [
      fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      fc.integer({ min: 0, max: 0xfff }),
      fc.uint8Array({ minLength: 8, maxLength: 8 })
    ],
    ([ms, seq, bytes]) => {
      const id = Ids.uuidv7(ms, seq, bytes)
      assert.match(id, v7)
      assert.strictEqual(Ids.uuidv7Time(id), ms)
      assert.strictEqual(Number.parseInt(id.slice(15, 18), 16), seq)
    }
  )

  it("branded ids reject what is not theirs", () => {
    assert.throws(() => Schema.decodeUnknownSync(Ids.RecordId)("not-a-uuid"))
    assert.throws(() => Schema.decodeUnknownSync(Ids.TenantId)("   "))
    assert.strictEqual(Schema.decodeUnknownSync(Ids.TenantId)("amo-145-001"), "amo-145-001")
  })
})
