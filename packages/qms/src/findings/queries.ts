/**
 * What a quality manager asks about findings: the open ones by level, area and age, and one
 * finding's full timeline.
 *
 * @since 0.1.0
 */
import { AuditLog } from "@airworthy/audit"
import { Errors, Guard } from "@airworthy/core"
import { Notify } from "@airworthy/notify"
import { QmsRecord, Records } from "@airworthy/records"
import { Tasks } from "@airworthy/tasks"
import { Effect, Schema } from "effect"
import { ById, CommaDays, listAll, nowMillis } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"

type Command<A> = QmsModule.Command<A>

/**
 * One age bucket of open findings (days since raised, inclusive bounds; `toDays` null: no bound).
 * @since 0.1.0
 * @category models
 */
export const AgeBucket = Schema.Struct({
  label: Schema.String,
  fromDays: Schema.Number,
  toDays: Schema.NullOr(Schema.Number),
  count: Schema.Number
})
/** @since 0.1.0 @category models */
export type AgeBucket = typeof AgeBucket.Type

/**
 * Open findings counted three ways, and the findings themselves (oldest first).
 * @since 0.1.0
 * @category models
 */
export const OpenFindings = Schema.Struct({
  total: Schema.Number,
  byLevel: Schema.Record({ key: Schema.String, value: Schema.Number }),
  /** By programme area id (`none` when the finding has no area). */
  byArea: Schema.Record({ key: Schema.String, value: Schema.Number }),
  byAge: Schema.Array(AgeBucket),
  findings: Schema.Array(QmsRecord.QmsRecord)
})
/** @since 0.1.0 @category models */
export type OpenFindings = typeof OpenFindings.Type

const count = (map: Record<string, number>, key: string) => {
  map[key] = (map[key] ?? 0) + 1
}

// Findings not yet closed, by level, area and age bucket (default bounds 30, 60, 90 days).
const countOpen = (options: { readonly buckets?: ReadonlyArray<number> | undefined }): Command<OpenFindings> =>
  Effect.gen(function* () {
    const bounds = options.buckets ?? [30, 60, 90]
    const now = yield* nowMillis
    const findings = (yield* listAll({ type: "finding", order: "asc" })).filter((f) => f.state !== "closed")
    const byLevel: Record<string, number> = {}
    const byArea: Record<string, number> = {}
    const ranges = bounds.map((to, i) => ({
      fromDays: i === 0 ? 0 : (bounds[i - 1] ?? 0) + 1,
      toDays: to as number | null
    }))
    ranges.push({ fromDays: (bounds.at(-1) ?? 0) + 1, toDays: null })
    const ages = ranges.map(() => 0)
    for (const f of findings) {
      count(byLevel, String(Guard.valueAt(f.data, "level") ?? "unknown"))
      const area = Guard.valueAt(f.data, "areaId")
      count(byArea, typeof area === "string" ? area : "none")
      const days = Math.floor((now - Date.parse(f.createdAt)) / 86_400_000)
      const i = ranges.findIndex((r) => days >= r.fromDays && (r.toDays === null || days <= r.toDays))
      if (i >= 0) ages[i] = (ages[i] ?? 0) + 1
    }
    return {
      total: findings.length,
      byLevel,
      byArea,
      byAge: ranges.map((r, i) => ({
        label: r.toDays === null ? `>${r.fromDays - 1}` : `${r.fromDays}-${r.toDays}`,
        fromDays: r.fromDays,
        toDays: r.toDays,
        count: ages[i] ?? 0
      })),
      findings
    } satisfies OpenFindings
  })

const OpenInput = Schema.Struct({
  buckets: Schema.optionalWith(Schema.Array(Schema.Int.pipe(Schema.nonNegative())), { exact: true })
})

/**
 * Findings not yet closed, by level, area and age bucket (`buckets`: upper bounds in days, default
 * 30, 60, 90).
 * @since 0.1.0
 * @category operations
 */
export const open = QmsModule.operation({
  name: "open",
  operationId: "openFindings",
  summary: "Open findings by level, area and age",
  input: OpenInput,
  output: OpenFindings,
  access: QmsModule.permission("finding.read"),
  http: {
    method: "get",
    path: "/findings/open",
    query: Schema.Struct({ buckets: Schema.optionalWith(CommaDays, { exact: true }) })
  },
  run: countOpen
})

/**
 * Open findings (the `open` operation, for Effect callers).
 * @since 0.1.0
 * @category queries
 */
export const openFindings = (options: { readonly buckets?: ReadonlyArray<number> } = {}): Command<OpenFindings> =>
  QmsModule.invoke(open)(options)

/**
 * One entry of a finding's timeline.
 * @since 0.1.0
 * @category models
 */
export const TimelineEntry = Schema.Struct({
  at: Schema.String,
  source: Schema.Literal("history", "audit", "comment", "task", "email"),
  /** The record the entry belongs to: the finding, or its CAPA. */
  recordRef: Schema.String,
  what: Schema.String,
  by: Schema.NullOr(Schema.String)
})
/** @since 0.1.0 @category models */
export type TimelineEntry = typeof TimelineEntry.Type

// Everything that happened to a finding and to its CAPA, in time order; same-instant entries keep
// the source order.
const timelineOf = (findingId: string): Command<ReadonlyArray<TimelineEntry>> =>
  Effect.gen(function* () {
    const finding = yield* Records.get(findingId)
    const capas = (yield* Records.links(findingId, { kind: "corrective_action", direction: "out" })).map((l) => l.other)
    const subjects = [{ id: finding.id, type: finding.type, ref: finding.ref }, ...capas]
    const tasks = yield* Tasks.Tasks
    const entries: Array<TimelineEntry> = []
    const seenTasks = new Set<string>()
    for (const s of subjects) {
      for (const h of yield* Records.history(s.id)) {
        const what = h.transition === null ? h.kind : `${h.transition}: ${h.fromState ?? "?"} → ${h.toState ?? "?"}`
        entries.push({ at: h.at, source: "history", recordRef: s.ref, what, by: h.actorId })
      }
      const events = yield* AuditLog.query({ record: { type: s.type, id: s.id }, order: "asc", limit: 1000 })
      for (const e of events.events) {
        entries.push({ at: e.occurredAt, source: "audit", recordRef: s.ref, what: e.action, by: e.actor.id })
      }
      for (const c of yield* Records.comments(s.id)) {
        entries.push({ at: c.createdAt, source: "comment", recordRef: s.ref, what: c.body, by: c.authorId })
      }
      for (const t of yield* tasks.byRecord({ type: s.type, id: s.id })) {
        if (seenTasks.has(t.id)) continue
        seenTasks.add(t.id)
        entries.push({
          at: t.createdAt,
          source: "task",
          recordRef: s.ref,
          what: `task created: ${t.title}`,
          by: t.createdBy
        })
        if (t.closedAt !== null) {
          entries.push({
            at: t.closedAt,
            source: "task",
            recordRef: s.ref,
            what: `task ${t.status}: ${t.title}`,
            by: t.closedBy
          })
        }
      }
      for (const m of yield* Notify.emailLog({ recordType: s.type, recordId: s.id })) {
        entries.push({
          at: m.queuedAt,
          source: "email",
          recordRef: s.ref,
          what: `email to ${m.recipient} (${m.status}): ${m.subject}`,
          by: null
        })
      }
    }
    // A stable sort keeps same-instant entries in source order.
    return entries.sort((a, b) => a.at.localeCompare(b.at))
  })

/**
 * Everything that happened to a finding and to its CAPA, in time order: record history, audit
 * events, comments, tasks (created and closed) and emails. Entries at the same instant keep this
 * source order. Readable with `finding.read` (checked on the finding).
 * @since 0.1.0
 * @category operations
 */
export const timeline = QmsModule.operation({
  name: "timeline",
  operationId: "findingTimeline",
  summary: "Everything that happened to a finding and its CAPA, in time order",
  input: ById,
  output: Schema.Array(TimelineEntry),
  access: QmsModule.recordPermission("read"),
  errors: [Errors.NotFound],
  http: { method: "get", path: "/findings/:id/timeline" },
  run: ({ id }) => timelineOf(id)
})

/**
 * A finding's timeline (the `timeline` operation, for Effect callers).
 * @since 0.1.0
 * @category queries
 */
export const findingTimeline = (findingId: string): Command<ReadonlyArray<TimelineEntry>> =>
  QmsModule.invoke(timeline)({ id: findingId })
