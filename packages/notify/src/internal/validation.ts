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
export const cacheKey = (value: unknown): string | undefined => {
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
