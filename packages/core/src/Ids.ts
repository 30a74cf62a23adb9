/**
 * Branded identifiers and the `Ids` service that makes them.
 *
 * Ids are UUIDv7 (RFC 9562): time-ordered, so rows inserted later sort later. Domain code never
 * calls `crypto.randomUUID()`; it asks `Ids` so tests can use a deterministic layer.
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer, Schema } from "effect"

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * The maintenance organisation that owns every row. Comes from the actor, never from input.
 * @since 0.1.0
 * @category models
 */
export const TenantId = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128), Schema.brand("@airworthy/TenantId"))
/** @since 0.1.0 @category models */
export type TenantId = typeof TenantId.Type

/**
 * The host's id for a person or system acting on the QMS.
 * @since 0.1.0
 * @category models
 */
export const ActorId = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128), Schema.brand("@airworthy/ActorId"))
/** @since 0.1.0 @category models */
export type ActorId = typeof ActorId.Type

/**
 * A UUID string, lower case.
 * @since 0.1.0
 * @category models
 */
export const Uuid = Schema.String.pipe(Schema.pattern(uuidPattern))

/**
 * A QMS record of any registered type.
 * @since 0.1.0
 * @category models
 */
export const RecordId = Uuid.pipe(Schema.brand("@airworthy/RecordId"))
/** @since 0.1.0 @category models */
export type RecordId = typeof RecordId.Type

/**
 * An audit event.
 * @since 0.1.0
 * @category models
 */
export const EventId = Uuid.pipe(Schema.brand("@airworthy/EventId"))
/** @since 0.1.0 @category models */
export type EventId = typeof EventId.Type

/**
 * A task (reminder, action item).
 * @since 0.1.0
 * @category models
 */
export const TaskId = Uuid.pipe(Schema.brand("@airworthy/TaskId"))
/** @since 0.1.0 @category models */
export type TaskId = typeof TaskId.Type

/**
 * Correlates everything one request or job did, across packages and logs.
 * @since 0.1.0
 * @category models
 */
export const TraceId = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128), Schema.brand("@airworthy/TraceId"))
/** @since 0.1.0 @category models */
export type TraceId = typeof TraceId.Type

/**
 * Makes new ids. Ask for it instead of calling `crypto.randomUUID()`.
 * @since 0.1.0
 * @category tags
 */
export class Ids extends Context.Tag("@airworthy/core/Ids")<
  Ids,
  {
    /** A new UUIDv7, later than every one this service made before. */
    readonly next: Effect.Effect<string>
    /**
     * `n` new ids at once, in increasing order, as `n` calls of `next` would make them (one clock
     * read). Optional for a host's own implementation: `Ids.many` falls back to `next`.
     */
    readonly nextMany?: (n: number) => Effect.Effect<ReadonlyArray<string>>
  }
>() {}

const byteHex: ReadonlyArray<string> = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"))

const hex = (bytes: Uint8Array): string => {
  let out = ""
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out += "-"
    out += byteHex[bytes[i]!]!
  }
  return out
}

/**
 * Lays out a UUIDv7 from a millisecond timestamp, a 12-bit sequence and 8 random bytes.
 * @since 0.1.0
 * @category constructors
 */
export const uuidv7 = (millis: number, sequence: number, random: Uint8Array): string => {
  const bytes = new Uint8Array(16)
  let ms = millis
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256
    ms = Math.floor(ms / 256)
  }
  bytes[6] = 0x70 | ((sequence >> 8) & 0x0f)
  bytes[7] = sequence & 0xff
  bytes[8] = 0x80 | ((random[0] ?? 0) & 0x3f)
  for (let i = 1; i < 8; i++) bytes[8 + i] = random[i] ?? 0
  return hex(bytes)
}

/**
 * The millisecond timestamp a UUIDv7 carries.
 * @since 0.1.0
 * @category utils
 */
export const uuidv7Time = (id: string): number => Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16)

// Monotonic generator (RFC 9562 §6.2, method 1): a 12-bit counter in rand_a; on overflow, borrow the next millisecond.
const makeGenerator = (randomBytes: (n: number) => Uint8Array) => {
  let lastMs = -1
  let sequence = 0
  return (nowMs: number): string => {
    if (nowMs > lastMs) {
      lastMs = nowMs
      sequence = (randomBytes(2)[0] ?? 0) & 0x3ff
    } else {
      sequence++
      if (sequence > 0xfff) {
        lastMs++
        sequence = 0
      }
    }
    return uuidv7(lastMs, sequence, randomBytes(8))
  }
}

/**
 * Builds an `Ids` from a source of random bytes; time comes from Effect's `Clock`.
 * @since 0.1.0
 * @category constructors
 */
export const make = (randomBytes: (n: number) => Uint8Array): Ids["Type"] => {
  const generate = makeGenerator(randomBytes)
  return {
    next: Effect.map(Clock.currentTimeMillis, generate),
    nextMany: (n) =>
      Effect.map(Clock.currentTimeMillis, (nowMs) => {
        const out: Array<string> = new Array(Math.max(0, n))
        for (let i = 0; i < out.length; i++) out[i] = generate(nowMs)
        return out
      })
  }
}

/**
 * `n` new ids from a service, in increasing order: its `nextMany` when it has one, else `n` calls of
 * `next`. For a batch (a sweep's audit events, a distribution's messages) it saves an Effect step per id.
 * @since 0.1.0
 * @category accessors
 */
export const many = (ids: Ids["Type"], n: number): Effect.Effect<ReadonlyArray<string>> =>
  ids.nextMany !== undefined ? ids.nextMany(n) : Effect.replicateEffect(ids.next, Math.max(0, n))

// Cryptographic random bytes handed out from a pool refilled `size` bytes at a time: one
// getRandomValues call per few hundred ids instead of two per id. Each byte is handed out once;
// the caller reads the view before asking for more.
const pooledRandom = (size: number) => {
  const pool = new Uint8Array(size)
  let offset = size
  return (n: number): Uint8Array => {
    if (n > size) return globalThis.crypto.getRandomValues(new Uint8Array(n))
    if (offset + n > size) {
      globalThis.crypto.getRandomValues(pool)
      offset = 0
    }
    const out = pool.subarray(offset, offset + n)
    offset += n
    return out
  }
}

/**
 * UUIDv7 with cryptographic randomness.
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Ids> = Layer.sync(Ids, () => make(pooledRandom(4096)))

/**
 * Deterministic ids for tests: the same seed and clock give the same ids, run after run.
 * @since 0.1.0
 * @category layers
 */
export const layerTest = (seed = 1): Layer.Layer<Ids> =>
  Layer.sync(Ids, () => {
    // xorshift32: small, fast and reproducible; not for production.
    let state = seed >>> 0 || 1
    return make((n) => {
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i++) {
        state ^= state << 13
        state >>>= 0
        state ^= state >>> 17
        state ^= state << 5
        state >>>= 0
        out[i] = state & 0xff
      }
      return out
    })
  })

/**
 * A new id from the current `Ids` service.
 * @since 0.1.0
 * @category accessors
 */
export const next: Effect.Effect<string, never, Ids> = Effect.flatMap(Ids, (ids) => ids.next)
