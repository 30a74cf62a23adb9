// Reading: the reader's view of stored events (sensitive values revealed or masked), the filtered
// and paged query, and the replay stream from a cursor.
import { Actor } from "@airworthy/core"
import { Chunk, Effect, Metric, Option, Stream } from "effect"
import { CursorExpired } from "../AuditError.js"
import type { AuditEvent, DiffEntry, Envelope } from "../AuditEvent.js"
import type { QueryFilter, Service } from "../AuditLog.js"
import * as AuditMetrics from "../AuditMetrics.js"
import * as Sensitive from "../Sensitive.js"
import type { SensitiveRow } from "./chain.js"
import type { LogContext } from "./context.js"
import { cursorAfter, cursorSequence } from "./cursor.js"
import { decodeRows } from "./decode.js"
import { anchorOf, q, readHead } from "./rows.js"
import * as Store from "./store.js"

type Reading = "reveal" | "mask" | "log"

const masked = (commitment: string, status: "masked" | "erased") => ({ $sensitive: commitment, $status: status })

const sensitiveKey = (sequence: number, path: string) => `${sequence}\u0000${path}`

/** Builds the reader's view of an event from its envelope. */
export const toEvent = (
  row: { readonly sequence: number; readonly hash: string },
  env: Envelope,
  sensitive: ReadonlyMap<string, SensitiveRow>,
  reveal: boolean
): { event: AuditEvent; revealed: number } => {
  const holder = { before: env.before as unknown, after: env.after as unknown }
  let revealed = 0
  for (const path of env.sensitive) {
    const stored = sensitive.get(sensitiveKey(row.sequence, path))
    const commitment = String((Sensitive.get(holder, path) as { $sensitive?: unknown } | undefined)?.$sensitive)
    if (stored !== undefined && stored.erased_at === null && stored.value !== null && reveal) {
      Sensitive.set(holder, path, JSON.parse(stored.value))
      revealed++
    } else {
      Sensitive.set(holder, path, masked(commitment, stored?.erased_at ? "erased" : "masked"))
    }
  }
  const diff = (env.diff as ReadonlyArray<DiffEntry>).map((d) => {
    if (!d.sensitive || !reveal || revealed === 0 || d.path === "") return d
    const from = Sensitive.get(holder.before, d.path)
    const to = Sensitive.get(holder.after, d.path)
    const filled: { path: string; sensitive: true; from?: unknown; to?: unknown } = { path: d.path, sensitive: true }
    if (from !== undefined) filled.from = from
    if (to !== undefined) filled.to = to
    return filled
  })
  return {
    event: {
      tenantId: env.tenant_id,
      sequence: row.sequence,
      id: env.id,
      occurredAt: env.occurred_at,
      actor: { id: env.actor.id, displayName: env.actor.name, roles: env.actor.roles },
      action: env.action,
      record: { type: env.record.type, id: env.record.id },
      before: holder.before,
      after: holder.after,
      diff,
      reason: env.reason,
      correlationId: env.correlation_id,
      traceId: env.trace_id,
      severity: env.severity,
      source: env.source,
      sensitivePaths: env.sensitive,
      hash: row.hash,
      prevHash: env.prev_hash,
      cursor: cursorAfter(row.sequence)
    },
    revealed
  }
}

const readingFor = (log: LogContext, reader: Option.Option<Actor.Actor>): Reading =>
  log.masking === "off" || (Option.isSome(reader) && log.canReadSensitive(reader.value))
    ? "reveal"
    : log.masking === "log"
      ? "log"
      : "mask"

const loadSensitive = (tenantId: string, sequences: ReadonlyArray<number>) =>
  sequences.length === 0
    ? Effect.succeed(new Map<string, SensitiveRow>())
    : q
        .rows((db) =>
          db
            .selectFrom("aw_audit_sensitive")
            .select(["event_sequence", "path", "salt", "value", "erased_at"])
            .where("tenant_id", "=", tenantId)
            .where("event_sequence", "in", sequences)
        )
        .pipe(
          Effect.flatMap(decodeRows(Store.SensitiveRowSchema)),
          Effect.map((rows) => new Map(rows.map((r) => [sensitiveKey(r.event_sequence, r.path), r])))
        )

const toEvents = (
  tenantId: string,
  rows: ReadonlyArray<typeof Store.EventRowSchema.Type>,
  reading: Reading,
  reader: Option.Option<Actor.Actor>
) =>
  Effect.gen(function* () {
    const envs = rows.map((r) => JSON.parse(r.envelope) as Envelope)
    const withSensitive = rows.filter((_, i) => envs[i]!.sensitive.length > 0).map((r) => r.sequence)
    const stored = yield* loadSensitive(tenantId, withSensitive)
    let revealed = 0
    const events = rows.map((r, i) => {
      const out = toEvent(r, envs[i]!, stored, reading !== "mask")
      revealed += out.revealed
      return out.event
    })
    if (reading === "log" && revealed > 0) {
      yield* Metric.incrementBy(AuditMetrics.unmaskedReads, revealed)
      yield* Effect.logWarning(
        "Audit log: sensitive values shown to a reader without audit_trail.read_sensitive (masking: log)"
      ).pipe(
        Effect.annotateLogs({
          tenant: tenantId,
          reader: Option.match(reader, { onNone: () => "(none)", onSome: (a) => a.actorId }),
          values: revealed
        })
      )
    }
    return events
  })

/** `AuditLog.query` over a decoded filter. */
export const query = (log: LogContext, f: typeof QueryFilter.Type): ReturnType<Service["query"]> =>
  log.provided(
    Effect.gen(function* () {
      const reader = yield* Actor.CurrentActor
      const tenantId = reader.tenantId
      const order = f.order ?? "desc"
      const limit = f.limit ?? 50
      let after: number | undefined
      if (f.cursor !== undefined) {
        after = cursorSequence(f.cursor)
        if (after === undefined) return yield* new CursorExpired({ cursor: f.cursor, reason: "malformed" })
      }
      const severities =
        f.severity === undefined ? undefined : typeof f.severity === "string" ? [f.severity] : f.severity
      const raws = yield* q.rows((db) => {
        let s = db.selectFrom("aw_audit_events").selectAll().where("tenant_id", "=", tenantId)
        if (f.record) s = s.where("record_type", "=", f.record.type).where("record_id", "=", f.record.id)
        if (f.actorId !== undefined) s = s.where("actor_id", "=", f.actorId)
        if (f.action !== undefined) {
          if (f.action.endsWith(".*")) {
            const prefix = f.action.slice(0, -1)
            s = s.where((eb) => eb(eb.fn("substr", [eb.ref("action"), eb.lit(1), eb.lit(prefix.length)]), "=", prefix))
          } else s = s.where("action", "=", f.action)
        }
        if (severities !== undefined) s = s.where("severity", "in", severities.length > 0 ? severities : [""])
        if (f.from !== undefined) s = s.where("occurred_at", ">=", f.from)
        if (f.to !== undefined) s = s.where("occurred_at", "<", f.to)
        if (after !== undefined) s = s.where("sequence", order === "asc" ? ">" : "<", after)
        return s.orderBy("sequence", order).limit(limit + 1)
      })
      const rows = yield* decodeRows(Store.EventRowSchema)(raws)
      const page = rows.slice(0, limit)
      const reading = readingFor(log, Option.some(reader))
      const events = yield* toEvents(tenantId, page, reading, Option.some(reader))
      const last = page[page.length - 1]
      return { events, nextCursor: last ? cursorAfter(last.sequence) : null, hasMore: rows.length > limit }
    })
  )

/** `AuditLog.recordSequences`: two columns of the record's rows, nothing decoded. */
export const recordSequences = (
  log: LogContext,
  record: { readonly type: string; readonly id: string }
): ReturnType<Service["recordSequences"]> =>
  log.provided(
    Effect.gen(function* () {
      const reader = yield* Actor.CurrentActor
      const rows = yield* q.rows((db) =>
        db
          .selectFrom("aw_audit_events")
          .select(["sequence", "action"])
          .where("tenant_id", "=", reader.tenantId)
          .where("record_type", "=", record.type)
          .where("record_id", "=", record.id)
          .orderBy("sequence", "asc")
      )
      return rows.map((r) => ({ sequence: Number(r.sequence), action: String(r.action) }))
    })
  )

const replayPage = 500

/** `AuditLog.replayFrom`: pages are read as the stream is pulled, each with the layer's services. */
export const replayFrom = (log: LogContext, tenantId: string, cursor?: string): ReturnType<Service["replayFrom"]> =>
  Stream.unwrap(
    log.provided(
      Effect.gen(function* () {
        const reader = yield* Effect.serviceOption(Actor.CurrentActor)
        const reading = readingFor(log, reader)
        const anchor = yield* anchorOf(tenantId)
        let start = anchor.sequence
        if (cursor !== undefined) {
          const seq = cursorSequence(cursor)
          if (seq === undefined) return yield* new CursorExpired({ cursor, reason: "malformed" })
          const head = yield* readHead(tenantId)
          const last = Option.match(head, { onNone: () => 0, onSome: (h) => h.last_sequence })
          if (seq > last) return yield* new CursorExpired({ cursor, reason: "unknown" })
          if (seq < anchor.sequence) return yield* new CursorExpired({ cursor, reason: "purged" })
          start = seq
        }
        const page = (after: number) =>
          log.provided(
            Effect.gen(function* () {
              const raws = yield* q.rows((db) =>
                db
                  .selectFrom("aw_audit_events")
                  .selectAll()
                  .where("tenant_id", "=", tenantId)
                  .where("sequence", ">", after)
                  .orderBy("sequence", "asc")
                  .limit(replayPage)
              )
              const rows = yield* decodeRows(Store.EventRowSchema)(raws)
              const events = yield* toEvents(tenantId, rows, reading, reader)
              const last = rows[rows.length - 1]
              return [
                Chunk.unsafeFromArray(events),
                rows.length === replayPage && last ? Option.some(last.sequence) : Option.none()
              ] as const
            })
          )
        return Stream.paginateChunkEffect(start, page)
      })
    )
  )
