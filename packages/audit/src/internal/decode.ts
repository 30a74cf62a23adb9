// Decoding input (into `ValidationFailed` with every bad path) and rows (a bad row is a storage fault).
import { Errors } from "@airworthy/core"
import { StorageError } from "@airworthy/storage"
import { Effect, Schema } from "effect"

export const decodeOrFail =
  <A, I>(schema: Schema.Schema<A, I>) =>
  (input: unknown, prefix = ""): Effect.Effect<A, Errors.ValidationFailed> => {
    const r = Schema.decodeUnknownEither(schema, { errors: "all" })(input)
    return r._tag === "Right" ? Effect.succeed(r.right) : Effect.fail(Errors.fromParseError(r.left, prefix))
  }

export const rowsError = (cause: unknown) =>
  new StorageError.StorageError({ reason: "query", message: `Unexpected audit row: ${String(cause)}`, cause })

export const decodeRows =
  <A, I>(schema: Schema.Schema<A, I>) =>
  (rows: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<A>, StorageError.StorageError> =>
    Schema.decodeUnknown(Schema.Array(schema))(rows).pipe(Effect.mapError(rowsError))
