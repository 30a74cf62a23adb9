// Legal holds and the retention purge (a hold is one thing that stops a purge): the oldest events
// whose retention has passed go as a contiguous, checkpointed, unheld prefix, recorded in a purge
// record and an `audit.purged` event.
import { Actor, Errors } from "@airworthy/core"
import { Clock, Effect, Metric, Option } from "effect"
import type { LegalHold, LegalHoldRequest, PurgeReport, Service } from "../AuditLog.js"
import * as AuditMetrics from "../AuditMetrics.js"
import * as Retention from "../Retention.js"
import { lockHead, systemAppend } from "./append.js"
import { iso, type LogContext, requireAdmin } from "./context.js"
import { decodeRows } from "./decode.js"
import { anchorOf, latestCheckpoint, q, scanPage } from "./rows.js"
import * as Store from "./store.js"
import { mustVerify } from "./verify.js"

// ------------------------------------------------------------------ legal holds

const toHold = (r: typeof Store.HoldRow.Type): LegalHold => ({
  recordType: r.record_type,
  recordId: r.record_id,
  reason: r.reason,
  placedAt: r.placed_at,
  placedBy: r.placed_by
})

const holdOf = (tenantId: string, recordType: string, recordId: string) =>
  q
    .rows((db) =>
      db
        .selectFrom("aw_audit_legal_holds")
        .select(["record_type", "record_id", "reason", "placed_at", "placed_by"])
        .where("tenant_id", "=", tenantId)
        .where("record_type", "=", recordType)
        .where("record_id", "=", recordId)
    )
    .pipe(
      Effect.flatMap(decodeRows(Store.HoldRow)),
      Effect.map((rs) => Option.fromNullable(rs[0]))
    )

/** `AuditLog.placeLegalHold` over a decoded request. */
export const placeLegalHold = (
  log: LogContext,
  request: typeof LegalHoldRequest.Type
): ReturnType<Service["placeLegalHold"]> =>
  log.provided(
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      yield* requireAdmin(log, actor, "audit_trail.legal_hold")
      const tenantId = actor.tenantId
      return yield* log.inTransaction(
        Effect.gen(function* () {
          const existing = yield* holdOf(tenantId, request.recordType, request.recordId)
          if (Option.isSome(existing)) return toHold(existing.value)
          const at = iso(yield* Clock.currentTimeMillis)
          yield* q.exec((db) =>
            db.insertInto("aw_audit_legal_holds").values({
              tenant_id: tenantId,
              record_type: request.recordType,
              record_id: request.recordId,
              reason: request.reason,
              placed_at: at,
              placed_by: actor.actorId
            })
          )
          yield* systemAppend(log, actor, {
            action: "audit.legal_hold_placed",
            recordType: request.recordType,
            recordId: request.recordId,
            reason: request.reason,
            severity: "security"
          })
          return {
            recordType: request.recordType,
            recordId: request.recordId,
            reason: request.reason,
            placedAt: at,
            placedBy: actor.actorId
          }
        })
      )
    })
  )

/** `AuditLog.releaseLegalHold` over a decoded request. */
export const releaseLegalHold = (
  log: LogContext,
  request: typeof LegalHoldRequest.Type
): ReturnType<Service["releaseLegalHold"]> =>
  log.provided(
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      yield* requireAdmin(log, actor, "audit_trail.legal_hold")
      const tenantId = actor.tenantId
      yield* log.inTransaction(
        Effect.gen(function* () {
          const existing = yield* holdOf(tenantId, request.recordType, request.recordId)
          if (Option.isNone(existing)) {
            return yield* new Errors.NotFound({
              entity: "legal hold",
              id: `${request.recordType}/${request.recordId}`
            })
          }
          yield* q.exec((db) =>
            db
              .deleteFrom("aw_audit_legal_holds")
              .where("tenant_id", "=", tenantId)
              .where("record_type", "=", request.recordType)
              .where("record_id", "=", request.recordId)
          )
          yield* systemAppend(log, actor, {
            action: "audit.legal_hold_released",
            recordType: request.recordType,
            recordId: request.recordId,
            before: { reason: existing.value.reason, placed_at: existing.value.placed_at },
            reason: request.reason,
            severity: "security"
          })
        })
      )
    })
  )

export const legalHolds = (log: LogContext): Service["legalHolds"] =>
  log.provided(
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      const rows = yield* q
        .rows((db) =>
          db
            .selectFrom("aw_audit_legal_holds")
            .select(["record_type", "record_id", "reason", "placed_at", "placed_by"])
            .where("tenant_id", "=", actor.tenantId)
            .orderBy("placed_at")
        )
        .pipe(Effect.flatMap(decodeRows(Store.HoldRow)))
      return rows.map(toHold)
    })
  )

// ------------------------------------------------------------------ purge

/** The purgeable prefix after the anchor: the removed events' hashes, counts, and where it stopped. */
interface Purgeable {
  readonly removed: ReadonlyArray<string>
  readonly byRecordType: { readonly [recordType: string]: number }
  readonly stoppedBy: PurgeReport["stoppedBy"]
  readonly stoppedAt: number | null
}

/** Reads events after the anchor until one is not checkpointed, on hold, or within its retention. */
const scanPurgeable = (log: LogContext, tenantId: string, after: number, now: number) =>
  Effect.gen(function* () {
    const covered = Option.match(yield* latestCheckpoint(tenantId), {
      onNone: () => 0,
      onSome: (c) => c.tree_size
    })
    const holds = new Set(
      (yield* q.rows((db) =>
        db.selectFrom("aw_audit_legal_holds").select(["record_type", "record_id"]).where("tenant_id", "=", tenantId)
      )).map((h) => `${h.record_type}\u0000${h.record_id}`)
    )
    const byRecordType: Record<string, number> = {}
    const removed: Array<string> = []
    const stop = (stoppedBy: PurgeReport["stoppedBy"], stoppedAt: number | null): Purgeable => ({
      removed,
      byRecordType,
      stoppedBy,
      stoppedAt
    })
    let cursor = after
    for (;;) {
      const rows = yield* q.rows((db) =>
        db
          .selectFrom("aw_audit_events")
          .select(["sequence", "occurred_at", "action", "record_type", "record_id", "hash"])
          .where("tenant_id", "=", tenantId)
          .where("sequence", ">", cursor)
          .orderBy("sequence", "asc")
          .limit(scanPage)
      )
      for (const r of rows) {
        const seq = Store.toInt(r.sequence)
        const reason: PurgeReport["stoppedBy"] | undefined =
          seq > covered
            ? "not_checkpointed"
            : holds.has(`${r.record_type}\u0000${r.record_id}`)
              ? "legal_hold"
              : Retention.purgeableAt(log.retention, {
                    action: r.action,
                    recordType: r.record_type,
                    occurredAt: r.occurred_at
                  }) > now
                ? "retention"
                : undefined
        if (reason !== undefined) return stop(reason, seq)
        removed.push(r.hash)
        byRecordType[r.record_type] = (byRecordType[r.record_type] ?? 0) + 1
      }
      if (rows.length < scanPage) break
      cursor = Store.toInt(rows[rows.length - 1]!.sequence)
    }
    return stop("end", null)
  })

/** Removes the purgeable prefix (the log verified first) and records it. */
const removePrefix = (
  log: LogContext,
  actor: Actor.Actor,
  anchor: number,
  found: Purgeable,
  report: PurgeReport,
  now: number
) =>
  Effect.gen(function* () {
    const tenantId = actor.tenantId
    const { removed, byRecordType } = found
    // Destroying evidence of tampering would be worse than keeping old events: verify first.
    yield* mustVerify(log, tenantId)
    const upTo = anchor + removed.length
    const anchorHash = removed[removed.length - 1]!
    yield* q.exec((db) => db.insertInto("aw_audit_purge_permits").values({ tenant_id: tenantId, up_to_sequence: upTo }))
    yield* q.exec((db) =>
      db.insertInto("aw_audit_purges").values({
        tenant_id: tenantId,
        up_to_sequence: upTo,
        from_sequence: anchor + 1,
        anchor_hash: anchorHash,
        event_hashes: removed.join(""),
        purged_at: iso(now),
        purged_by: actor.actorId
      })
    )
    yield* q.exec((db) =>
      db.deleteFrom("aw_audit_sensitive").where("tenant_id", "=", tenantId).where("event_sequence", "<=", upTo)
    )
    yield* q.exec((db) =>
      db.deleteFrom("aw_audit_events").where("tenant_id", "=", tenantId).where("sequence", "<=", upTo)
    )
    yield* q.exec((db) => db.deleteFrom("aw_audit_purge_permits").where("tenant_id", "=", tenantId))
    const event = yield* systemAppend(log, actor, {
      action: "audit.purged",
      recordType: "audit_log",
      recordId: tenantId,
      after: {
        from_sequence: anchor + 1,
        to_sequence: upTo,
        anchor_hash: anchorHash,
        events: removed.length,
        by_record_type: byRecordType,
        stopped_by: report.stoppedBy
      },
      severity: "warning"
    })
    yield* Metric.increment(AuditMetrics.purges)
    yield* Metric.incrementBy(AuditMetrics.purgedEvents, removed.length)
    return { ...report, event }
  })

export const purge = (log: LogContext, options: { readonly dryRun?: boolean } = {}): ReturnType<Service["purge"]> =>
  log.provided(
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      yield* requireAdmin(log, actor, "audit_trail.purge")
      const tenantId = actor.tenantId
      const dryRun = options.dryRun ?? false
      const body = Effect.gen(function* () {
        if (!dryRun) yield* lockHead(log, tenantId)
        const now = yield* Clock.currentTimeMillis
        const anchor = yield* anchorOf(tenantId)
        const found = yield* scanPurgeable(log, tenantId, anchor.sequence, now)
        const { removed } = found
        const report: PurgeReport = {
          tenantId,
          dryRun,
          events: removed.length,
          fromSequence: removed.length > 0 ? anchor.sequence + 1 : null,
          toSequence: removed.length > 0 ? anchor.sequence + removed.length : null,
          stoppedBy: found.stoppedBy,
          stoppedAt: found.stoppedAt,
          byRecordType: found.byRecordType
        }
        if (dryRun || removed.length === 0) return report
        return yield* removePrefix(log, actor, anchor.sequence, found, report, now)
      })
      return yield* dryRun ? body : log.inTransaction(body)
    })
  )
