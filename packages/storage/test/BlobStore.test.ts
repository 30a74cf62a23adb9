import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Option, Stream } from "effect"
import { BlobStore } from "../src/index.js"

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (chunks: Chunk.Chunk<Uint8Array>) =>
  Chunk.toReadonlyArray(chunks)
    .map((c) => new TextDecoder().decode(c))
    .join("")
// SHA-256 of "hello world".
const helloSha = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"

describe("BlobStore.memory", () => {
  it.effect("stores by SHA-256 per tenant, reads whole or by range, refuses a wrong hash or too much", () =>
    Effect.gen(function* () {
      const stored = yield* BlobStore.put("t-1", Stream.make(bytes("hello "), bytes("world")), {
        expectedSha256: helloSha
      })
      assert.deepStrictEqual(stored, { sha256: helloSha, size: 11 })
      assert.strictEqual(text(yield* Stream.runCollect(BlobStore.read("t-1", helloSha))), "hello world")
      assert.strictEqual(
        text(yield* Stream.runCollect(BlobStore.read("t-1", helloSha, { start: 6, end: 10 }))),
        "world"
      )
      // Another tenant has no such content.
      const other = yield* Effect.flip(Stream.runCollect(BlobStore.read("t-2", helloSha)))
      assert.strictEqual(other.reason, "not_found")
      assert.isTrue(Option.isNone(yield* BlobStore.stat("t-2", helloSha)))
      assert.deepStrictEqual(yield* BlobStore.stat("t-1", helloSha), Option.some({ size: 11 }))
      const mismatch = yield* Effect.flip(
        BlobStore.put("t-1", Stream.make(bytes("hello")), { expectedSha256: helloSha })
      )
      assert.strictEqual(mismatch.reason, "hash_mismatch")
      assert.strictEqual(mismatch.status, 422)
      const big = yield* Effect.flip(BlobStore.put("t-1", Stream.make(bytes("x".repeat(20))), { maxBytes: 10 }))
      assert.strictEqual(big.reason, "too_large")
      const range = yield* Effect.flip(Stream.runCollect(BlobStore.read("t-1", helloSha, { start: 5, end: 11 })))
      assert.strictEqual(range.reason, "invalid_range")
      const notSha = yield* Effect.flip(Stream.runCollect(BlobStore.read("t-1", "../../etc/passwd")))
      assert.strictEqual(notSha.reason, "not_found")
    }).pipe(Effect.provide(BlobStore.memory))
  )
})
