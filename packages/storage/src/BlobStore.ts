/**
 * Attachment content: a port for bytes stored by their SHA-256, per tenant, streamed in and out so a
 * file is never held whole in memory. The records keep an attachment's metadata (name, media type,
 * size, SHA-256); the content lives here under that hash. Adapters: `memory` (tests), and the disk
 * and database adapters; a host supplies its own (object storage) by providing `BlobStore`.
 *
 * ```ts
 * const stored = yield* BlobStore.put("mro-1", Stream.make(bytes), { expectedSha256, maxBytes: 50e6 })
 * const content = BlobStore.read("mro-1", stored.sha256)            // Stream<Uint8Array, BlobError>
 * const part = BlobStore.read("mro-1", stored.sha256, { start: 0, end: 1023 })
 * ```
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import type { SqlClient } from "@effect/sql"
import { Chunk, Context, Effect, Layer, Option, Ref, Schema, Stream } from "effect"
import * as BlobDirectory from "./internal/blobDirectory.js"
import * as BlobTable from "./internal/blobTable.js"
import type { Storage } from "./Storage.js"

/**
 * Why a blob operation failed: `not_found` (no such content in the tenant, 404), `hash_mismatch`
 * (the bytes are not the declared SHA-256, or stored bytes no longer hash to their name: 422),
 * `too_large` (over `maxBytes`, 413), `invalid_range` (416), `io` (the store failed, 500).
 * @since 0.1.0
 * @category errors
 */
export class BlobError extends Schema.TaggedError<BlobError>()("BlobError", {
  reason: Schema.Literal("not_found", "hash_mismatch", "too_large", "invalid_range", "io"),
  sha256: Schema.optional(Schema.String),
  detail: Schema.String,
  /** For `too_large`: the limit that was exceeded, in bytes. */
  maxBytes: Schema.optional(Schema.Number)
}) {
  get status(): number {
    return { not_found: 404, hash_mismatch: 422, too_large: 413, invalid_range: 416, io: 500 }[this.reason]
  }
  /** Problem metadata (`content_not_found`, `content_hash_mismatch`, ...), so HTTP maps it as it maps the others. */
  get code(): string {
    return this.reason === "invalid_range" ? "range_not_satisfiable" : `content_${this.reason}`
  }
  get title(): string {
    return {
      not_found: "Content not found",
      hash_mismatch: "Content does not match its SHA-256",
      too_large: "Content too large",
      invalid_range: "Range not satisfiable",
      io: "Content store failure"
    }[this.reason]
  }
  get problemType(): string {
    return `https://airworthy.dev/problems/${this.code.replace(/_/g, "-")}`
  }
  override get message() {
    return this.detail
  }
}

/**
 * What `put` stored.
 * @since 0.1.0
 * @category models
 */
export interface Stored {
  /** Lower-case hex SHA-256 of the bytes. */
  readonly sha256: string
  readonly size: number
}

/**
 * An inclusive byte range (`start` ≤ `end` < size), as HTTP `Range: bytes=start-end`.
 * @since 0.1.0
 * @category models
 */
export interface Range {
  readonly start: number
  readonly end: number
}

/**
 * The port.
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Streams `content` in, hashing as it goes; fails `hash_mismatch` when `expectedSha256` is given
   * and differs, `too_large` past `maxBytes`, and then stores nothing. Storing the same bytes twice
   * stores them once.
   */
  readonly put: <E>(
    tenantId: string,
    content: Stream.Stream<Uint8Array, E>,
    options?: { readonly expectedSha256?: string; readonly maxBytes?: number }
  ) => Effect.Effect<Stored, BlobError | E>
  /** Streams the content (or a range of it) out; `not_found` when the tenant has no such blob. */
  readonly read: (tenantId: string, sha256: string, range?: Range) => Stream.Stream<Uint8Array, BlobError>
  /** The size of a stored blob, if the tenant has it. */
  readonly stat: (
    tenantId: string,
    sha256: string
  ) => Effect.Effect<Option.Option<{ readonly size: number }>, BlobError>
  /**
   * Optional: the SHA-256 and byte count of the first `size` bytes of a stored blob as they are now,
   * computed where the bytes are (no stream out); `not_found` when the tenant has no such blob. A store
   * that keeps checksums of its own (an object store's SHA-256 checksum) may answer from them. A blob
   * shorter than `size` answers the hash and count of all its bytes. Without it, `BlobStore.digest`
   * reads the range and hashes it.
   */
  readonly digest?: (tenantId: string, sha256: string, size: number) => Effect.Effect<Stored, BlobError>
}

/**
 * The blob store.
 * @since 0.1.0
 * @category tags
 */
export class BlobStore extends Context.Tag("@airworthy/storage/BlobStore")<BlobStore, Service>() {}

const shaPattern = /^[0-9a-f]{64}$/

/**
 * Fails `not_found` for anything that is not a lower-case hex SHA-256 (so no name reaches a path or
 * a query unchecked).
 * @since 0.1.0
 * @category utils
 */
export const checkSha256 = (sha256: string): Effect.Effect<string, BlobError> =>
  shaPattern.test(sha256)
    ? Effect.succeed(sha256)
    : Effect.fail(new BlobError({ reason: "not_found", detail: "Not a SHA-256 (64 lower-case hex characters)" }))

/**
 * Hashes and counts a stream as it passes, failing `too_large` past `maxBytes`; the result is read
 * with `digest()` once the stream has ended. For adapters.
 * @since 0.1.0
 * @category utils
 */
export const hashing = <E>(
  content: Stream.Stream<Uint8Array, E>,
  maxBytes: number = Number.POSITIVE_INFINITY
): { readonly stream: Stream.Stream<Uint8Array, E | BlobError>; readonly digest: () => Stored } => {
  const hash = createHash("sha256")
  let size = 0
  const stream = Stream.mapEffect(content, (chunk) => {
    size += chunk.byteLength
    if (size > maxBytes) {
      return Effect.fail(
        new BlobError({
          reason: "too_large",
          maxBytes,
          detail: `The content is larger than the limit of ${maxBytes} bytes`
        })
      )
    }
    hash.update(chunk)
    return Effect.succeed(chunk)
  })
  return { stream, digest: () => ({ sha256: hash.digest("hex"), size }) }
}

/**
 * What a store's first `size` bytes under `sha256` hash to now: the store's own `digest` when it has
 * one, else a read of that range, hashed as it passes. Compare with the recorded SHA-256 and size to
 * know that the content is still whole before promising it to anyone.
 * @since 0.1.0
 * @category utils
 */
export const digestWith = (
  service: Service,
  tenantId: string,
  sha256: string,
  size: number
): Effect.Effect<Stored, BlobError> => {
  if (service.digest !== undefined) return service.digest(tenantId, sha256, size)
  return Effect.gen(function* () {
    const stored = yield* service.stat(tenantId, sha256)
    if (Option.isNone(stored)) return yield* new BlobError({ reason: "not_found", sha256, detail: "No such content" })
    // A blob shorter than `size` answers its own bytes and count; otherwise its first `size` bytes.
    const upTo = Math.min(size, stored.value.size)
    const counted = hashing(service.read(tenantId, sha256, upTo === 0 ? undefined : { start: 0, end: upTo - 1 }))
    yield* Stream.runDrain(counted.stream)
    return counted.digest()
  })
}

/**
 * Checks a range against a size: `invalid_range` unless `0 ≤ start ≤ end < size`.
 * @since 0.1.0
 * @category utils
 */
export const checkRange = (range: Range | undefined, size: number): Effect.Effect<Range, BlobError> => {
  const r = range ?? { start: 0, end: size - 1 }
  return Number.isInteger(r.start) && Number.isInteger(r.end) && r.start >= 0 && r.start <= r.end && r.end < size
    ? Effect.succeed(r)
    : size === 0 && range === undefined
      ? Effect.succeed({ start: 0, end: -1 })
      : Effect.fail(
          new BlobError({ reason: "invalid_range", detail: `Bytes ${r.start}-${r.end} are not within ${size}` })
        )
}

/**
 * Blobs in memory, for tests (the whole content is kept: not for production).
 * @since 0.1.0
 * @category layers
 */
export const memory: Layer.Layer<BlobStore> = Layer.effect(
  BlobStore,
  Effect.map(Ref.make(new Map<string, Uint8Array>()), (ref): Service => {
    const key = (tenantId: string, sha256: string) => `${tenantId}\u0000${sha256}`
    return {
      put: (tenantId, content, options = {}) =>
        Effect.gen(function* () {
          const counted = hashing(content, options.maxBytes)
          const chunks = yield* Stream.runCollect(counted.stream)
          const stored = counted.digest()
          if (options.expectedSha256 !== undefined && options.expectedSha256 !== stored.sha256) {
            return yield* new BlobError({
              reason: "hash_mismatch",
              sha256: options.expectedSha256,
              detail: `The content's SHA-256 is ${stored.sha256}, not the declared ${options.expectedSha256}`
            })
          }
          const bytes = new Uint8Array(stored.size)
          let at = 0
          for (const c of Chunk.toReadonlyArray(chunks)) {
            bytes.set(c, at)
            at += c.byteLength
          }
          yield* Ref.update(ref, (m) => new Map(m).set(key(tenantId, stored.sha256), bytes))
          return stored
        }),
      read: (tenantId, sha256, range) =>
        Stream.unwrap(
          Effect.gen(function* () {
            yield* checkSha256(sha256)
            const bytes = (yield* Ref.get(ref)).get(key(tenantId, sha256))
            if (bytes === undefined)
              return yield* new BlobError({ reason: "not_found", sha256, detail: "No such content" })
            const r = yield* checkRange(range, bytes.byteLength)
            return Stream.make(bytes.subarray(r.start, r.end + 1))
          })
        ),
      stat: (tenantId, sha256) =>
        Effect.map(Ref.get(ref), (m) =>
          Option.map(Option.fromNullable(m.get(key(tenantId, sha256))), (b) => ({ size: b.byteLength }))
        )
    }
  })
)

/**
 * Blobs as files under `path` (created when needed): `<path>/<tenant>/<first two hex digits>/<sha256>`,
 * the tenant folder being the tenant id when it is only letters, digits, `-` and `_` (else `~` and
 * its UTF-8 in hex). A put streams into a temporary file in the tenant's folder while hashing, fsyncs
 * it and renames it to its name, so a blob is whole under its name or absent; a refused or failed put
 * removes its temporary file. A whole read fails `hash_mismatch` at its end when the file no longer
 * hashes to its name. Range reads stream that part of the file only.
 * @since 0.1.0
 * @category layers
 */
export const directory = (options: {
  /** The folder that holds every tenant's blobs. */
  readonly path: string
  /** Bytes per chunk of a read (default 256 KiB). */
  readonly readChunkBytes?: number
}): Layer.Layer<BlobStore> => Layer.sync(BlobStore, () => BlobDirectory.make(options.path, options.readChunkBytes))

/**
 * Blobs in the database itself, table `aw_blobs` (run `StorageMigrations.migrations`), for a
 * deployment that is one SQLite file. A blob is cut into rows of `chunkBytes` (default 256 KiB), so
 * no statement carries a whole file; a put writes its rows under a key of their own and publishes
 * them with one header row under the SHA-256 once the content is whole and its hash checked. A whole read fails
 * `hash_mismatch` at its end when the rows no longer hash to their name.
 * @since 0.1.0
 * @category layers
 */
export const database = (
  options: { readonly chunkBytes?: number } = {}
): Layer.Layer<BlobStore, never, Storage | SqlClient.SqlClient> =>
  Layer.effect(BlobStore, BlobTable.make(options.chunkBytes ?? 256 * 1024))

/**
 * `BlobStore.put` as an Effect that needs the service.
 * @since 0.1.0
 * @category accessors
 */
export const put = <E>(
  tenantId: string,
  content: Stream.Stream<Uint8Array, E>,
  options?: { readonly expectedSha256?: string; readonly maxBytes?: number }
): Effect.Effect<Stored, BlobError | E, BlobStore> =>
  Effect.flatMap(BlobStore, (s) => s.put(tenantId, content, options))

/**
 * `BlobStore.read` as a Stream that needs the service.
 * @since 0.1.0
 * @category accessors
 */
export const read = (
  tenantId: string,
  sha256: string,
  range?: Range
): Stream.Stream<Uint8Array, BlobError, BlobStore> =>
  Stream.unwrap(Effect.map(BlobStore, (s) => s.read(tenantId, sha256, range)))

/**
 * `BlobStore.digestWith` as an Effect that needs the service.
 * @since 0.1.0
 * @category accessors
 */
export const digest = (tenantId: string, sha256: string, size: number): Effect.Effect<Stored, BlobError, BlobStore> =>
  Effect.flatMap(BlobStore, (s) => digestWith(s, tenantId, sha256, size))

/**
 * `BlobStore.stat` as an Effect that needs the service.
 * @since 0.1.0
 * @category accessors
 */
export const stat = (
  tenantId: string,
  sha256: string
): Effect.Effect<Option.Option<{ readonly size: number }>, BlobError, BlobStore> =>
  Effect.flatMap(BlobStore, (s) => s.stat(tenantId, sha256))
