/**
 * What a quality manager asks about findings: the open ones by level, area and age, and one
 * finding's full timeline.
 *
 * @since 0.1.0
 */
import { AuditLog } from "@airworthy/audit"
import { Guard } from "@airworthy/core"
import { Notify } from "@airworthy/notify"
import { type QmsRecord, Records } from "@airworthy/records"
import { Tasks } from "@airworthy/tasks"
import { Effect } from "effect"
import { type Command, listAll, nowMillis } from "../internal/support.js"

/**
 * One age bucket of open findings (days since raised, inclusive bounds; `toDays` null: no bound).
 * @since 0.1.0
 * @category models
 */
export interface AgeBucket {
  readonly label: string
  readonly fromDays: number
  readonly toDays: number | null
  readonly count: number
}

/**
 * Open findings counted three ways, and the findings themselves (oldest first).
 * @since 0.1.0
 * @category models
 */
export interface OpenFindings {
  readonly total: number
  readonly byLevel: { readonly [level: string]: number }
  /** By programme area id (`none` when the finding has no area). */
  readonly byArea: { readonly [areaId: string]: number }
  readonly byAge: ReadonlyArray<AgeBucket>
  readonly findings: ReadonlyArray<QmsRecord.QmsRecord>
}

const count = (map: Record<string, number>, key: string) => {
  map[key] = (map[key] ?? 0) + 1
}

/**
 * Findings not yet closed, by level, area and age bucket (default bounds 30, 60, 90 days).
 * @since 0.1.0
 * @category queries
 */
export const openFindings = (options: { readonly buckets?: ReadonlyArray<number> } = {}): Command<OpenFindings> =>
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

/**
 * One entry of a finding's timeline.
 * @since 0.1.0
 * @category models
 */
export interface TimelineEntry {
  readonly at: string
  readonly source: "history" | "audit" | "comment" | "task" | "email"
  /** The record the entry belongs to: the finding, or its CAPA. */
  readonly recordRef: string
  readonly what: string
  readonly by: string | null
}

/**
 * Everything that happened to a finding and to its CAPA, in time order: record history, audit
 * events, comments, tasks (created and closed) and emails. Entries at the same instant keep this
 * source order.
 * @since 0.1.0
 * @category queries
 */
export const findingTimeline = (findingId: string): Command<ReadonlyArray<TimelineEntry>> =>
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
