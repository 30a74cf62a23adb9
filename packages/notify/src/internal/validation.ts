import { Errors } from "@airworthy/core"
import { Effect, ParseResult, Schema } from "effect"

/** One issue per field: a union (e.g. a literal) reports one issue per member, merged here. */
const merge = (issues: ReadonlyArray<Errors.FieldIssue>): Array<Errors.FieldIssue> => {
  const byPath = new Map<string, Array<string>>()
  for (const issue of issues) {
    const messages = byPath.get(issue.path) ?? []
    if (!messages.includes(issue.message)) messages.push(issue.message)
    byPath.set(issue.path, messages)
  }
  return [...byPath].map(([path, messages]) => ({ path, message: messages.join("; ") }))
}

/** Decodes with every issue collected, failing with core's `ValidationFailed` (paths prefixed). */
export const decode =
  <A, I>(schema: Schema.Schema<A, I, never>, prefix: string) =>
  (input: unknown): Effect.Effect<A, Errors.ValidationFailed> =>
    Schema.decodeUnknown(schema, { errors: "all", onExcessProperty: "ignore" })(input).pipe(
      Effect.mapError(
        (error) =>
          new Errors.ValidationFailed({
            issues: merge(
              ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
                path: [prefix, ...issue.path.map(String)].filter((p) => p.length > 0).join("."),
                message: issue.message
              }))
            )
          })
      )
    )
