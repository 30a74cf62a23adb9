/**
 * Programme commands: add an area to the audit programme.
 *
 * @since 0.1.0
 */
import { type QmsRecord, Records } from "@airworthy/records"
import { Effect, Schema } from "effect"
import { type Command, decodeInput } from "../internal/support.js"
import * as Programme from "./Programme.js"

/**
 * What `defineArea` takes; the cycle defaults to 12 months.
 * @since 0.1.0
 * @category inputs
 */
export const DefineAreaInput = Schema.Struct({
  name: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(200)),
  kind: Schema.optional(Schema.Literal("approval", "subcontracted")),
  scope: Schema.optional(Schema.String.pipe(Schema.maxLength(4000))),
  subcontractor: Schema.optional(Schema.String.pipe(Schema.maxLength(200))),
  responsibleIds: Schema.Array(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128))),
  cycleMonths: Schema.optional(Schema.Int.pipe(Schema.between(1, 60)))
})
/** @since 0.1.0 @category inputs */
export type DefineAreaInput = typeof DefineAreaInput.Encoded

/**
 * Adds an area of the approval (or subcontracted work) to the audit programme (`audit.plan`).
 * @since 0.1.0
 * @category actions
 */
export const defineArea = (input: DefineAreaInput): Command<QmsRecord.QmsRecord> =>
  Effect.gen(function* () {
    const value = yield* decodeInput(DefineAreaInput)(input)
    return yield* Records.create({
      type: "audit_area",
      data: {
        name: value.name,
        kind: value.kind ?? "approval",
        ...(value.scope === undefined ? {} : { scope: value.scope }),
        ...(value.subcontractor === undefined ? {} : { subcontractor: value.subcontractor }),
        responsibleIds: value.responsibleIds,
        cycleMonths: value.cycleMonths ?? Programme.defaultCycleMonths
      }
    })
  })
