// Command input decoded strictly (no excess members), every issue reported as `ValidationFailed`.
import { Errors } from "@airworthy/core"
import { Effect, Schema } from "effect"

export const decode =
  <A, I>(schema: Schema.Schema<A, I>) =>
  (input: unknown): Effect.Effect<A, Errors.ValidationFailed> =>
    Schema.decodeUnknown(schema, { onExcessProperty: "error", errors: "all" })(input).pipe(
      Effect.mapError((error) => Errors.fromParseError(error))
    )
