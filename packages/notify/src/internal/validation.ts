import { Errors } from "@airworthy/core"
import { Effect, Either, Schema } from "effect"

/** Decodes with every issue collected, failing with core's `ValidationFailed` (paths prefixed). */
export const decode =
  <A, I>(schema: Schema.Schema<A, I, never>, prefix: string) =>
  (input: unknown): Effect.Effect<A, Errors.ValidationFailed> =>
    Schema.decodeUnknown(schema, { errors: "all", onExcessProperty: "ignore" })(input).pipe(
      Effect.mapError((error) => Errors.fromParseError(error, prefix))
    )

/** `decode` without an Effect per call: the decoder is built once, the result is an Either. */
export const decoderEither = <A, I>(schema: Schema.Schema<A, I, never>, prefix: string) => {
  const run = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "ignore" })
  return (input: unknown): Either.Either<A, Array<Errors.FieldIssue>> =>
    Either.mapLeft(run(input), (error) => [...Errors.fieldIssues(error, prefix)])
}

/**
 * A cache key for a plain JSON-like value, or `undefined` when the value holds anything else
 * (a Date, a class instance, a function...), which is then never cached.
 */
export const cacheKey = (value: unknown): string | undefined =>
  isSimple(value, 0) ? JSON.stringify(value) : replacerKey(value)

/**
 * Plain data whose `JSON.stringify` is already the key (strings not starting with NUL, finite
 * numbers, booleans, null, arrays and plain objects of those, not deeper than 8): the native
 * stringifier then does the work, without a replacer call per value.
 */
const isSimple = (v: unknown, depth: number): boolean => {
  switch (typeof v) {
    case "string":
      return v.length === 0 || v.charCodeAt(0) !== 0
    case "number":
      return Number.isFinite(v)
    case "boolean":
      return true
    case "object": {
      if (v === null) return true
      if (depth > 8) return false
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!isSimple(v[i], depth + 1)) return false
        return true
      }
      const proto = Object.getPrototypeOf(v)
      if (proto !== Object.prototype && proto !== null) return false
      if (typeof (v as { toJSON?: unknown }).toJSON === "function") return false
      for (const k in v) if (!isSimple((v as Record<string, unknown>)[k], depth + 1)) return false
      return true
    }
    default:
      return false
  }
}

const replacerKey = (value: unknown): string | undefined => {
  let ok = true
  const key = JSON.stringify(value, (_k, v: unknown) => {
    if (v === undefined) return "\u0000u"
    if (typeof v === "number") return Number.isFinite(v) ? v : `\u0000n${String(v)}`
    if (typeof v === "string") return v.startsWith("\u0000") ? `\u0000s${v}` : v
    if (v === null || typeof v === "boolean") return v
    if (typeof v === "object") {
      const proto = Object.getPrototypeOf(v)
      if (Array.isArray(v) || proto === Object.prototype || proto === null) return v
    }
    ok = false
    return null
  })
  return ok ? `${key}` : undefined
}

/** An e-mail address after trimming: no spaces, angle brackets or line breaks, one `@`. */
export const emailPattern = /^[^\s@<>(),;:"\\[\]]+@[^\s@<>(),;:"\\[\]]+$/
/** A recipient's display name stays on one line. */
export const namePattern = /^[^\r\n]*$/

interface RecipientValue {
  readonly email: string
  readonly name?: string
  readonly actorId?: string
}

/**
 * The recipients list when every entry is plainly valid, decoded as the Schema would (address
 * trimmed, other keys dropped); `undefined` sends the input to the Schema, which names each problem.
 */
export const recipientsFast = (input: unknown): ReadonlyArray<RecipientValue> | undefined => {
  if (!Array.isArray(input) || input.length === 0) return undefined
  const out: Array<RecipientValue> = new Array(input.length)
  for (let i = 0; i < input.length; i++) {
    const r = input[i] as { email?: unknown; name?: unknown; actorId?: unknown } | null
    if (typeof r !== "object" || r === null || typeof r.email !== "string") return undefined
    const email = r.email.trim()
    if (email.length > 254 || !emailPattern.test(email)) return undefined
    const value: { email: string; name?: string; actorId?: string } = { email }
    if ("name" in r) {
      if (typeof r.name !== "string" || r.name.length > 200 || !namePattern.test(r.name)) return undefined
      value.name = r.name
    }
    if ("actorId" in r) {
      if (typeof r.actorId !== "string" || r.actorId.length > 128) return undefined
      value.actorId = r.actorId
    }
    out[i] = value
  }
  return out
}

const trimmedNonEmpty = (v: unknown, max: number): v is string =>
  typeof v === "string" && v.length > 0 && v.length <= max && v.trim() === v

/** The record reference when plainly valid (`{ type, id }`, other keys dropped), else `undefined`. */
export const recordFast = (input: unknown): { readonly type: string; readonly id: string } | undefined => {
  if (typeof input !== "object" || input === null) return undefined
  const { type, id } = input as { type?: unknown; id?: unknown }
  return trimmedNonEmpty(type, 64) && trimmedNonEmpty(id, 128) ? { type, id } : undefined
}
