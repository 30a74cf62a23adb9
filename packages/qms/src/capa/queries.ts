/**
 * What a quality manager asks about CAPAs: which are overdue.
 *
 * @since 0.1.0
 */

import type { QmsRecord } from "@airworthy/records"
import { Effect } from "effect"
import { type Command, listAll, nowIso } from "../internal/support.js"

/**
 * CAPAs past their due date and not closed or cancelled, most overdue first.
 * @since 0.1.0
 * @category queries
 */
export const overdueCapas: Command<ReadonlyArray<QmsRecord.QmsRecord>> = Effect.gen(function* () {
  const now = yield* nowIso
  const open = yield* listAll({
    type: "capa",
    state: ["draft", "open", "action_plan", "implementation", "effectiveness_check"],
    dueBefore: now,
    order: "asc"
  })
  return open.filter((c) => c.dueAt !== null).sort((a, b) => (a.dueAt ?? "").localeCompare(b.dueAt ?? ""))
})
