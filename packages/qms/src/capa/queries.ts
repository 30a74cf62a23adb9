/**
 * What a quality manager asks about CAPAs: which are overdue.
 *
 * @since 0.1.0
 */
import { QmsRecord } from "@airworthy/records"
import { Effect, Schema } from "effect"
import { listAll, nowIso } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"

/**
 * CAPAs past their due date and not closed or cancelled, most overdue first.
 * @since 0.1.0
 * @category operations
 */
export const overdue = QmsModule.operation({
  name: "overdue",
  operationId: "overdueCapas",
  summary: "CAPAs past due and not closed, most overdue first",
  input: Schema.Struct({}),
  output: Schema.Array(QmsRecord.QmsRecord),
  access: QmsModule.permission("capa.read"),
  http: { method: "get", path: "/capas/overdue" },
  run: () =>
    Effect.gen(function* () {
      const now = yield* nowIso
      const open = yield* listAll({
        type: "capa",
        state: ["draft", "open", "action_plan", "implementation", "effectiveness_check"],
        dueBefore: now,
        order: "asc"
      })
      return open.filter((c) => c.dueAt !== null).sort((a, b) => (a.dueAt ?? "").localeCompare(b.dueAt ?? ""))
    })
})

/**
 * Overdue CAPAs (the `overdue` operation, for Effect callers).
 * @since 0.1.0
 * @category queries
 */
export const overdueCapas: QmsModule.Command<ReadonlyArray<QmsRecord.QmsRecord>> = QmsModule.invoke(overdue)({})
