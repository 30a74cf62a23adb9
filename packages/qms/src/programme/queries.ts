/**
 * The programme's due list: per active area, when it was last audited, when the next audit is due,
 * and whether one is planned.
 *
 * @since 0.1.0
 */
import { Guard } from "@airworthy/core"
import { Effect, Schema } from "effect"
import { addMonths, listAll, nowIso } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"
import * as Programme from "./Programme.js"

/**
 * One line of the due list.
 * @since 0.1.0
 * @category models
 */
export const DueLine = Schema.Struct({
  areaId: Schema.String,
  areaRef: Schema.String,
  area: Schema.String,
  kind: Schema.String,
  cycleMonths: Schema.Number,
  /** When the last audit of the area was reported (null: never audited). */
  lastAuditedAt: Schema.NullOr(Schema.String),
  /** Last audit + cycle; for an area never audited, its addition to the programme + cycle. */
  nextDueAt: Schema.String,
  /** The next audit planned or in progress for the area, if any. */
  plannedAudit: Schema.NullOr(
    Schema.Struct({ id: Schema.String, ref: Schema.String, plannedAt: Schema.NullOr(Schema.String) })
  ),
  /** `overdue`: past due with no audit reported since; `due_soon`: within 30 days; otherwise `ok`. */
  status: Schema.Literal("overdue", "due_soon", "ok")
})
/** @since 0.1.0 @category models */
export type DueLine = typeof DueLine.Type

// The audit programme's due list, earliest due first.
const computeDueList: QmsModule.Command<ReadonlyArray<DueLine>> = Effect.gen(function* () {
  const now = yield* nowIso
  const soon = new Date(Date.parse(now) + 30 * 86_400_000).toISOString()
  const areas = yield* listAll({ type: "audit_area", state: "active", order: "asc" })
  const audits = yield* listAll({ type: "internal_audit", order: "asc" })
  const lines: Array<DueLine> = areas.map((area) => {
    const ofArea = audits.filter((a) => Guard.valueAt(a.data, "areaId") === area.id)
    // A reported audit stops changing (only its summary may), so its updatedAt is when it was reported.
    const done = ofArea
      .filter((a) => a.state === "reported" || a.state === "closed")
      .map((a) => (a.state === "closed" ? (a.closedAt ?? a.updatedAt) : a.updatedAt))
      .sort()
    const last = done.at(-1) ?? null
    const cycleRaw = Guard.valueAt(area.data, "cycleMonths")
    const cycle = typeof cycleRaw === "number" ? cycleRaw : Programme.defaultCycleMonths
    const nextDueAt = addMonths(last ?? area.createdAt, cycle)
    const planned = ofArea.find((a) => a.state === "planned" || a.state === "in_progress")
    return {
      areaId: area.id,
      areaRef: area.ref,
      area: area.title,
      kind: String(Guard.valueAt(area.data, "kind") ?? "approval"),
      cycleMonths: cycle,
      lastAuditedAt: last,
      nextDueAt,
      plannedAudit:
        planned === undefined
          ? null
          : {
              id: planned.id,
              ref: planned.ref,
              plannedAt: (Guard.valueAt(planned.data, "plannedAt") as string) ?? null
            },
      status: nextDueAt < now ? ("overdue" as const) : nextDueAt < soon ? ("due_soon" as const) : ("ok" as const)
    }
  })
  return lines.sort((a, b) => a.nextDueAt.localeCompare(b.nextDueAt))
})

/**
 * The audit programme's due list, earliest due first (`audit.read`).
 * @since 0.1.0
 * @category operations
 */
export const due = QmsModule.operation({
  name: "dueList",
  operationId: "programmeDueList",
  summary: "The audit programme's due list, earliest first",
  input: Schema.Struct({}),
  output: Schema.Array(DueLine),
  access: QmsModule.permission("audit.read"),
  http: { method: "get", path: "/programme/due-list" },
  run: () => computeDueList
})

/**
 * The due list (the `dueList` operation, for Effect callers).
 * @since 0.1.0
 * @category queries
 */
export const dueList: QmsModule.Command<ReadonlyArray<DueLine>> = QmsModule.invoke(due)({})
