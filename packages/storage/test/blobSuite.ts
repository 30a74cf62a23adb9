// The BlobStore suite, written once; BlobStore.test.ts runs it on the memory, directory and database
// adapters (the database one on every database in TestDatabase.targets()).
import { createHash } from "node:crypto"
import { TestKit } from "@airworthy/testing"
import { assert } from "@effect/vitest"
import { Chunk, Effect, Option, Stream } from "effect"
import { BlobStore } from "../src/index.js"

/** What an adapter lets the suite look at beyond the port. */
export interface Inspect<R> {
  /** Leftovers of puts (temporary files, staging rows) of a tenant. */
  readonly leftovers: (tenantId: string) => Effect.Effect<number, never, R>
  /** Changes one stored byte of a blob behind the store's back, if the adapter can. */
  readonly corrupt?: (tenantId: string, sha256: string) => Effect.Effect<void, never, R>
}

export const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/** Deterministic bytes of a given size (no two neighbouring 256-byte blocks alike). */
export const sample = (size: number, seed = 1): Uint8Array => {
  const out = new Uint8Array(size)
  let x = seed * 2654435761
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

/** Streams bytes in uneven pieces, as a network would. */
export const pieces = (bytes: Uint8Array, sizes: ReadonlyArray<number> = [1, 7, 4096, 70_000, 333]) => {
  const out: Array<Uint8Array> = []
  let at = 0
  let i = 0
  while (at < bytes.byteLength) {
    const n = sizes[i++ % sizes.length]!
    out.push(bytes.subarray(at, at + n))
    at += n
  }
  return Stream.fromIterable(out)
}

export const collect = <R>(s: Stream.Stream<Uint8Array, BlobStore.BlobError, R>) =>
  Effect.map(Stream.runCollect(s), (chunks) => Buffer.concat(Chunk.toReadonlyArray(chunks)))

export const blobSuite = <R = never>(it: TestKit.It<BlobStore.BlobStore | R>, inspect: Inspect<R>) => {
  const big = sample(600_000)
  const bigSha = sha(big)

  it.effect("stores by SHA-256, reads back the same bytes, and stat gives the size", () =>
    Effect.gen(function* () {
      const tenant = TestKit.freshTenant("blob")
      const stored = yield* BlobStore.put(tenant, pieces(big), { expectedSha256: bigSha })
      assert.deepStrictEqual(stored, { sha256: bigSha, size: big.byteLength })
      const back = yield* collect(BlobStore.read(tenant, bigSha))
      assert.strictEqual(back.byteLength, big.byteLength)
      assert.strictEqual(sha(back), bigSha)
      assert.deepStrictEqual(yield* BlobStore.stat(tenant, bigSha), Option.some({ size: big.byteLength }))
      assert.strictEqual(yield* inspect.leftovers(tenant), 0)
    })
  )

  it.effect("an empty blob is stored and read as empty", () =>
    Effect.gen(function* () {
      const tenant = TestKit.freshTenant("blob")
      const empty = new Uint8Array(0)
      const stored = yield* BlobStore.put(tenant, Stream.empty, { expectedSha256: sha(empty) })
      assert.deepStrictEqual(stored, { sha256: sha(empty), size: 0 })
      assert.strictEqual((yield* collect(BlobStore.read(tenant, stored.sha256))).byteLength, 0)
      assert.deepStrictEqual(yield* BlobStore.stat(tenant, stored.sha256), Option.some({ size: 0 }))
    })
  )

  it.effect("a declared SHA-256 that does not match fails hash_mismatch and stores nothing", () =>
    Effect.gen(function* () {
      const tenant = TestKit.freshTenant("blob")
      const declared = sha(sample(10))
      const error = yield* Effect.flip(BlobStore.put(tenant, pieces(big), { expectedSha256: declared }))
      assert.strictEqual(error.reason, "hash_mismatch")
      assert.strictEqual(error.status, 422)
      assert.include(error.detail, bigSha)
      assert.isTrue(Option.isNone(yield* BlobStore.stat(tenant, bigSha)))
      assert.isTrue(Option.isNone(yield* BlobStore.stat(tenant, declared)))
      assert.strictEqual(yield* inspect.leftovers(tenant), 0)
    })
  )

  it.effect("past maxBytes fails too_large and stores nothing, no partial content left", () =>
    Effect.gen(function* () {
      const tenant = TestKit.freshTenant("blob")
      const error = yield* Effect.flip(BlobStore.put(tenant, pieces(big), { maxBytes: 300_000 }))
      assert.strictEqual(error.reason, "too_large")
      assert.strictEqual(error.status, 413)
      assert.isTrue(Option.isNone(yield* BlobStore.stat(tenant, bigSha)))
      assert.strictEqual(yield* inspect.leftovers(tenant), 0)
      // Exactly at the limit is accepted.
      const exact = yield* BlobStore.put(tenant, pieces(big), { maxBytes: big.byteLength })
      assert.strictEqual(exact.size, big.byteLength)
    })
  )

  it.effect("a failing input stream stores nothing and fails with its own error", () =>
    Effect.gen(function* () {
      const tenant = TestKit.freshTenant("blob")
      const broken = Stream.concat(pieces(big.subarray(0, 300_000)), Stream.fail("client went away" as const))
      const error = yield* Effect.flip(BlobStore.put(tenant, broken))
      assert.strictEqual(error, "client went away")
      assert.strictEqual(yield* inspect.leftovers(tenant), 0)
    })
  )

  it.effect("concurrent puts of the same content all succeed and store it once", () =>
    Effect.gen(function* () {
      const tenant = TestKit.freshTenant("blob")
      const results = yield* Effect.all(
        Array.from({ length: 6 }, (_, i) => BlobStore.put(tenant, pieces(big, [1000 + i * 17, 65_536]))),
        { concurrency: "unbounded" }
      )
      for (const r of results) assert.deepStrictEqual(r, { sha256: bigSha, size: big.byteLength })
      assert.strictEqual(sha(yield* collect(BlobStore.read(tenant, bigSha))), bigSha)
      assert.strictEqual(yield* inspect.leftovers(tenant), 0)
      // Storing the same bytes again later is also fine.
      assert.deepStrictEqual(yield* BlobStore.put(tenant, pieces(big)), { sha256: bigSha, size: big.byteLength })
    })
  )

  it.effect("range reads: first byte, last byte, a middle span across chunks, and out of range", () =>
    Effect.gen(function* () {
      const tenant = TestKit.freshTenant("blob")
      yield* BlobStore.put(tenant, pieces(big))
      const range = (start: number, end: number) => collect(BlobStore.read(tenant, bigSha, { start, end }))
      assert.deepStrictEqual([...(yield* range(0, 0))], [big[0]])
      const last = big.byteLength - 1
      assert.deepStrictEqual([...(yield* range(last, last))], [big[last]])
      const middle = yield* range(200_000, 540_123)
      assert.strictEqual(Buffer.compare(middle, Buffer.from(big.subarray(200_000, 540_124))), 0)
      const whole = yield* range(0, last)
      assert.strictEqual(sha(whole), bigSha)
      for (const [start, end] of [
        [0, big.byteLength],
        [big.byteLength, big.byteLength],
        [10, 9],
        [-1, 5],
        [0.5, 3]
      ] as const) {
        const error = yield* Effect.flip(range(start, end))
        assert.strictEqual(error.reason, "invalid_range", `${start}-${end}`)
        assert.strictEqual(error.status, 416)
      }
    })
  )

  it.effect("a second tenant cannot read, range-read or stat the first tenant's blob", () =>
    Effect.gen(function* () {
      const first = TestKit.freshTenant("blob")
      const second = TestKit.freshTenant("blob")
      const stored = yield* BlobStore.put(first, Stream.make(new TextEncoder().encode("hello world")))
      const whole = yield* Effect.flip(collect(BlobStore.read(second, stored.sha256)))
      assert.strictEqual(whole.reason, "not_found")
      assert.strictEqual(whole.status, 404)
      const part = yield* Effect.flip(collect(BlobStore.read(second, stored.sha256, { start: 0, end: 1 })))
      assert.strictEqual(part.reason, "not_found")
      assert.isTrue(Option.isNone(yield* BlobStore.stat(second, stored.sha256)))
      assert.strictEqual((yield* collect(BlobStore.read(first, stored.sha256))).toString(), "hello world")
    })
  )

  it.effect("names that are not a SHA-256 are not found, never a path or a query", () =>
    Effect.gen(function* () {
      const tenant = TestKit.freshTenant("blob")
      for (const name of ["../../etc/passwd", `${"A".repeat(64)}`, "", "part-0123", `${"0".repeat(63)}/`]) {
        const error = yield* Effect.flip(collect(BlobStore.read(tenant, name)))
        assert.strictEqual(error.reason, "not_found", name)
        assert.isTrue(Option.isNone(yield* BlobStore.stat(tenant, name)))
      }
    })
  )

  it.effect("tenant ids with path characters stay in their own place", () =>
    Effect.gen(function* () {
      const odd = `../${TestKit.freshTenant("blob")}/é`
      const plain = TestKit.freshTenant("blob")
      const stored = yield* BlobStore.put(odd, Stream.make(sample(1000, 7)))
      assert.strictEqual(sha(yield* collect(BlobStore.read(odd, stored.sha256))), stored.sha256)
      assert.isTrue(Option.isNone(yield* BlobStore.stat(plain, stored.sha256)))
      assert.isTrue(Option.isNone(yield* BlobStore.stat("..", stored.sha256)))
    })
  )

  it.effect("digest: the hash and count of the first bytes, where they are; another tenant's is not found", () =>
    Effect.gen(function* () {
      const tenant = TestKit.freshTenant("blob")
      yield* BlobStore.put(tenant, pieces(big))
      assert.deepStrictEqual(yield* BlobStore.digest(tenant, bigSha, big.byteLength), {
        sha256: bigSha,
        size: big.byteLength
      })
      assert.deepStrictEqual(yield* BlobStore.digest(tenant, bigSha, 70_001), {
        sha256: sha(big.subarray(0, 70_001)),
        size: 70_001
      })
      // Asked for more than is stored: all of it, with its own count (the caller sees the shortfall).
      assert.deepStrictEqual(yield* BlobStore.digest(tenant, bigSha, big.byteLength + 10), {
        sha256: bigSha,
        size: big.byteLength
      })
      const empty = yield* BlobStore.put(tenant, Stream.empty)
      assert.deepStrictEqual(yield* BlobStore.digest(tenant, empty.sha256, 0), {
        sha256: sha(new Uint8Array(0)),
        size: 0
      })
      const other = yield* Effect.flip(BlobStore.digest(TestKit.freshTenant("blob"), bigSha, big.byteLength))
      assert.strictEqual(other.reason, "not_found")
      const notSha = yield* Effect.flip(BlobStore.digest(tenant, "../x", 1))
      assert.strictEqual(notSha.reason, "not_found")
    })
  )

  if (inspect.corrupt !== undefined) {
    const corrupt = inspect.corrupt
    it.effect("a whole read of altered content fails hash_mismatch at its end", () =>
      Effect.gen(function* () {
        const tenant = TestKit.freshTenant("blob")
        yield* BlobStore.put(tenant, pieces(big))
        yield* corrupt(tenant, bigSha)
        const error = yield* Effect.flip(collect(BlobStore.read(tenant, bigSha)))
        assert.strictEqual(error.reason, "hash_mismatch")
        assert.strictEqual(error.sha256, bigSha)
        // The digest says what the altered bytes hash to now.
        const found = yield* BlobStore.digest(tenant, bigSha, big.byteLength)
        assert.strictEqual(found.size, big.byteLength)
        assert.notStrictEqual(found.sha256, bigSha)
      })
    )
  }
}
