// Lawful erasure of sensitive values: the values and salts go, tombstones and the chain's
// commitments stay, and an `audit.erased` event records what went.
import { Actor, Errors } from "@airworthy/core"
import { Clock, Effect, Metric } from "effect"
import type { Json } from "../AuditEvent.js"
import type { EraseRequest, Service } from "../AuditLog.js"
import * as AuditMetrics from "../AuditMetrics.js"
import { lockHead, systemAppend } from "./append.js"
import { iso, type LogContext, requireAdmin } from "./context.js"
import { q } from "./rows.js"
import * as Store from "./store.js"

/** `AuditLog.erase` over a decoded request. */
export const erase = (log: LogContext, request: typeof EraseRequest.Type): ReturnType<Service["erase"]> =>
  log.provided(
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      yield* requireAdmin(log, actor, "audit_trail.erase")
      return yield* log.inTransaction(eraseAs(log, actor, request))
    })
  )

const eraseAs = (log: LogContext, actor: Actor.Actor, request: typeof EraseRequest.Type) =>
  Effect.gen(function* () {
    const tenantId = actor.tenantId
    yield* lockHead(log, tenantId)
    const events = yield* q.rows((db) => {
      const s = db
        .selectFrom("aw_audit_events")
        .select(["sequence", "record_type", "record_id"])
        .where("tenant_id", "=", tenantId)
      return "record" in request
        ? s.where("record_type", "=", request.record.type).where("record_id", "=", request.record.id)
        : s.where("sequence", "=", request.sequence)
    })
    const first = events[0]
    if (first === undefined) {
      return yield* new Errors.NotFound(
        "record" in request
          ? { entity: "audited record", id: `${request.record.type}/${request.record.id}` }
          : { entity: "audit event", id: String(request.sequence) }
      )
    }
    const sequences = events.map((e) => Store.toInt(e.sequence))
    const erased: Array<{ sequence: number; path: string }> = []
    for (let i = 0; i < sequences.length; i += Store.batchRows) {
      const chunk = sequences.slice(i, i + Store.batchRows)
      const rows = yield* q.rows((db) =>
        db
          .selectFrom("aw_audit_sensitive")
          .select(["event_sequence", "path"])
          .where("tenant_id", "=", tenantId)
          .where("erased_at", "is", null)
          .where("event_sequence", "in", chunk)
      )
      for (const r of rows) erased.push({ sequence: Store.toInt(r.event_sequence), path: r.path })
    }
    const at = iso(yield* Clock.currentTimeMillis)
    for (let i = 0; i < sequences.length; i += Store.batchRows) {
      const chunk = sequences.slice(i, i + Store.batchRows)
      yield* q.exec((db) =>
        db
          .updateTable("aw_audit_sensitive")
          .set({ value: null, salt: null, erased_at: at, erased_by: actor.actorId, erase_reason: request.reason })
          .where("tenant_id", "=", tenantId)
          .where("erased_at", "is", null)
          .where("event_sequence", "in", chunk)
      )
    }
    erased.sort((a, b) => a.sequence - b.sequence || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    const event = yield* systemAppend(log, actor, {
      action: "audit.erased",
      recordType: first.record_type,
      recordId: first.record_id,
      after: {
        erased: erased as unknown as Json,
        target: "record" in request ? "record" : { sequence: request.sequence }
      },
      reason: request.reason,
      severity: "security"
    })
    yield* Metric.incrementBy(AuditMetrics.erasures, erased.length)
    return { erased, event }
  })
