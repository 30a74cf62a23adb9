/**
 * Programme commands: add an area to the audit programme.
 *
 * @since 0.1.0
 */
import { Errors } from "@airworthy/core"
import { QmsRecord, RecordHooks, Records } from "@airworthy/records"
import { Effect, Schema } from "effect"
import * as References from "../internal/references.js"
import * as QmsModule from "../QmsModule.js"
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
 * @category operations
 */
export const define = QmsModule.operation({
  name: "defineArea",
  operationId: "defineArea",
  summary: "Define an area of the approval in the audit programme",
  input: DefineAreaInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("audit.plan"),
  errors: [Errors.UnknownReference, RecordHooks.HookFailed],
  http: { method: "post", path: "/programme/areas", status: 201 },
  run: (value) =>
    Effect.zipRight(
      References.people("responsibleIds", value.responsibleIds),
      Records.create({
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
    )
})

/**
 * Adds an area to the programme (the `defineArea` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const defineArea = (input: DefineAreaInput): QmsModule.Command<QmsRecord.QmsRecord> =>
  QmsModule.invoke(define)(input)
