// Appending: sealing events onto a tenant's chain head and writing them, one or many, serialised
// per tenant (a guessed head for small batches, the locked head otherwise).
import { Actor, Errors, Ids } from "@airworthy/core"
import type { StorageError } from "@airworthy/storage"
import { Clock, Duration, Effect, FiberRef, Metric, Option } from "effect"
import {
  type AppendInput,
  type AppendInputEncoded,
  AppendInput as AppendInputSchema,
  type AuditEvent,
  decodeAppendInputFast,
  genesisHash
} from "../AuditEvent.js"
import type { Service } from "../AuditLog.js"
import * as AuditMetrics from "../AuditMetrics.js"
import { CanonicalJsonError } from "../CanonicalJson.js"
import * as Sensitive from "../Sensitive.js"
import { eventParams, type Sealed, seal } from "./chain.js"
import { type Head, iso, type LogContext } from "./context.js"
import { decodeOrFail, rowsError } from "./decode.js"
import { toEvent } from "./read.js"
import { readHead } from "./rows.js"
import * as Store from "./store.js"

const decodeAppendSchema = decodeOrFail(AppendInputSchema)
// Valid input (the common case) is checked by hand; anything else goes through the Schema, which
// decides and names every bad field path.
const decodeAppend = (input: unknown, prefix = ""): Effect.Effect<AppendInput, Errors.ValidationFailed> => {
  const fast = decodeAppendInputFast(input)
  return fast !== undefined ? Effect.succeed(fast) : decodeAppendSchema(input, prefix)
}

const reservedActions = /^audit\./

const reservedAction = (prefix = "") =>
  new Errors.ValidationFailed({
    issues: [{ path: `${prefix}action`, message: "actions under audit. are written by the audit log itself" }]
  })

const checkAction = (input: AppendInput, prefix = "") =>
  reservedActions.test(input.action) ? Effect.fail(reservedAction(prefix)) : Effect.void

const pointerToPath = (pointer: string) =>
  pointer
    .split("/")
    .slice(1)
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"))
    .join(".")

// ------------------------------------------------------------------ the head

const toHead = (row: Record<string, unknown> | undefined) => {
  if (row === undefined) return Effect.fail(rowsError("no head row"))
  return Effect.succeed({ lastSequence: Store.toInt(row.last_sequence), lastHash: String(row.last_hash) })
}

/** Locks the tenant's head for the rest of the transaction (creating it for a new tenant). */
export const lockHead = (log: LogContext, tenantId: string): Effect.Effect<Head, StorageError.StorageError> =>
  Effect.gen(function* () {
    if (log.dialect === "pg") {
      let rows = yield* log.run(Store.lockHeadPg, [tenantId])
      if (rows.length === 0) {
        yield* log.run(Store.createHeadPg, [tenantId, genesisHash])
        rows = yield* log.run(Store.lockHeadPg, [tenantId])
      }
      return yield* toHead(rows[0])
    }
    return yield* toHead((yield* log.run(Store.lockHeadSqlite, [tenantId, genesisHash]))[0])
  })

// ------------------------------------------------------------------ writing

/** Writes a batch sealed on the locked head: events, sensitive values, the new head. */
const write = (log: LogContext, tenantId: string, sealed: ReadonlyArray<Sealed>) =>
  Effect.gen(function* () {
    const { dialect, run } = log
    const last = sealed[sealed.length - 1]!.row
    const sensitive: Array<unknown> = []
    let sensitiveRows = 0
    for (const s of sealed) {
      for (const x of s.sensitive) {
        sensitive.push(tenantId, s.row.sequence, x.path, x.salt, x.value)
        sensitiveRows++
      }
    }
    if (dialect === "pg" && sealed.length <= Store.batchRows && sensitiveRows <= Store.batchRows) {
      const params: Array<unknown> = []
      for (const s of sealed) params.push(...eventParams(s.row))
      params.push(...sensitive, last.sequence, last.hash, tenantId)
      yield* run(Store.appendPg(sealed.length, sensitiveRows), params)
      return
    }
    const perInsert = Store.batchRows
    for (let i = 0; i < sealed.length; i += perInsert) {
      const end = Math.min(sealed.length, i + perInsert)
      const params: Array<unknown> = new Array((end - i) * 12)
      let p = 0
      for (let k = i; k < end; k++) {
        const r = sealed[k]!.row
        params[p++] = r.tenant_id
        params[p++] = r.sequence
        params[p++] = r.id
        params[p++] = r.occurred_at
        params[p++] = r.actor_id
        params[p++] = r.action
        params[p++] = r.record_type
        params[p++] = r.record_id
        params[p++] = r.severity
        params[p++] = r.correlation_id
        params[p++] = r.envelope
        params[p++] = r.hash
      }
      yield* run(Store.insertEvents(dialect, end - i), params)
    }
    const width = 5
    for (let i = 0; i < sensitiveRows; i += Store.batchRows) {
      const n = Math.min(Store.batchRows, sensitiveRows - i)
      yield* run(Store.insertSensitive(dialect, n), sensitive.slice(i * width, (i + n) * width))
    }
    yield* run(Store.updateHead(dialect), [last.sequence, last.hash, tenantId])
  })

// Guess for small batches only: a wrong guess seals the batch twice, which for a large batch
// costs more than the locking read it saves.
const guessRows = 32

const sensitiveParams = (tenantId: string, sealed: ReadonlyArray<Sealed>) => {
  const params: Array<unknown> = []
  for (const s of sealed) {
    for (const x of s.sensitive) params.push(tenantId, s.row.sequence, x.path, x.salt, x.value)
  }
  return params
}

/** Writes the batch if the tenant's head is still `expected`; false (nothing written) if not. */
const writeIfHead = (log: LogContext, tenantId: string, expected: Head, sealed: ReadonlyArray<Sealed>) =>
  Effect.gen(function* () {
    const { dialect, run } = log
    const last = sealed[sealed.length - 1]!.row
    const sensitive = sensitiveParams(tenantId, sealed)
    const head = [last.sequence, last.hash, tenantId, expected.lastSequence, expected.lastHash]
    if (dialect === "pg") {
      const params: Array<unknown> = [...head]
      for (const s of sealed) params.push(...eventParams(s.row))
      params.push(...sensitive)
      const rows = yield* run(Store.appendIfHeadPg(sealed.length, sensitive.length / 5), params)
      return Store.toInt(rows[0]?.n ?? 0) === 1
    }
    if (sealed.length === 1) {
      const params: Array<unknown> = eventParams(last)
      params.push(tenantId, expected.lastSequence, expected.lastHash)
      const inserted = yield* run(Store.appendOneIfHeadSqlite, params)
      if (inserted.length === 0) return false
    } else {
      const moved = yield* run(Store.moveHeadSqlite, head)
      if (moved.length === 0) return false
      const params: Array<unknown> = []
      for (const s of sealed) params.push(...eventParams(s.row))
      yield* run(Store.insertEvents(dialect, sealed.length), params)
    }
    if (sensitive.length > 0) yield* run(Store.insertSensitive(dialect, sensitive.length / 5), sensitive)
    return true
  })

// ------------------------------------------------------------------ sealing

const sealFrom = (
  log: LogContext,
  head: Head,
  tenantId: string,
  actor: Actor.Actor,
  inputs: ReadonlyArray<AppendInput>,
  occurredAt: string
) =>
  Effect.gen(function* () {
    const sealed: Array<Sealed> = new Array(inputs.length)
    let prevHash = head.lastHash
    let sequence = head.lastSequence
    const eventIds = inputs.length === 1 ? [yield* log.ids.next] : yield* Ids.many(log.ids, inputs.length)
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!
      const id = eventIds[i]!
      const patterns = Sensitive.patternsFor(log.sensitive, input.action, input.recordType)
      try {
        sealed[i] = seal(input, { tenantId, actor, sequence: ++sequence, id, occurredAt, prevHash, patterns })
      } catch (e) {
        if (e instanceof CanonicalJsonError) {
          const at = pointerToPath(e.path)
          return yield* new Errors.ValidationFailed({
            issues: [{ path: inputs.length > 1 ? `${i}.${at}` : at, message: e.message }]
          })
        }
        throw e
      }
      prevHash = sealed[i]!.row.hash
    }
    return sealed
  })

const remember = (log: LogContext, tenantId: string, sealed: Array<Sealed>) => {
  const last = sealed[sealed.length - 1]!.row
  log.guesses.set(tenantId, { lastSequence: last.sequence, lastHash: last.hash })
  return sealed
}

/** Seals and writes a batch on the tenant's head (inside the caller's transaction). */
const sealAll = (log: LogContext, tenantId: string, actor: Actor.Actor, inputs: ReadonlyArray<AppendInput>) =>
  Effect.gen(function* () {
    const occurredAt = iso(yield* Clock.currentTimeMillis)
    const guess = log.guesses.get(tenantId)
    if (guess !== undefined && inputs.length <= guessRows) {
      const sealed = yield* sealFrom(log, guess, tenantId, actor, inputs, occurredAt)
      if (yield* writeIfHead(log, tenantId, guess, sealed)) return remember(log, tenantId, sealed)
    }
    const head = yield* lockHead(log, tenantId)
    const sealed = yield* sealFrom(log, head, tenantId, actor, inputs, occurredAt)
    yield* write(log, tenantId, sealed)
    return remember(log, tenantId, sealed)
  })

// ------------------------------------------------------------------ appending

// The envelope object was canonicalised already; building the reader's view may modify it.
const sealedEvent = (s: Sealed): AuditEvent => toEvent(s.row, s.envelope, new Map(), false).event

// Metrics of an append in one synchronous step (with the fiber's metric labels).
const recordAppend = (startedAt: number, events: number) =>
  Effect.withFiberRuntime<void>((fiber) => {
    const labels = fiber.getFiberRef(FiberRef.currentMetricLabels)
    AuditMetrics.appends.unsafeUpdate(events, labels)
    AuditMetrics.appendDuration.unsafeUpdate(Duration.millis(performance.now() - startedAt), labels)
    return Effect.void
  })

/** Appends one decoded event as `actor`, joining the caller's transaction or opening one. */
export const appendAs = (
  log: LogContext,
  actor: Actor.Actor,
  input: AppendInput
): Effect.Effect<AuditEvent, Errors.ValidationFailed | StorageError.StorageError> => {
  const startedAt = performance.now()
  return log
    .inTransaction(sealAll(log, actor.tenantId, actor, [input]))
    .pipe(Effect.flatMap((sealed) => Effect.as(recordAppend(startedAt, 1), sealedEvent(sealed[0]!))))
}

// Events the log writes about itself are built here; one failing its Schema is a bug, not input.
export const systemAppend = (
  log: LogContext,
  actor: Actor.Actor,
  input: AppendInput
): Effect.Effect<AuditEvent, StorageError.StorageError> =>
  appendAs(log, actor, input).pipe(Effect.catchTag("ValidationFailed", (e) => Effect.die(e)))

export const append = (log: LogContext, raw: AppendInputEncoded): ReturnType<Service["append"]> =>
  Effect.flatMap(Actor.CurrentActor, (actor) =>
    Effect.flatMap(decodeAppend(raw), (input) =>
      reservedActions.test(input.action) ? Effect.fail(reservedAction()) : appendAs(log, actor, input)
    )
  )

export const appendMany = (
  log: LogContext,
  raws: ReadonlyArray<AppendInputEncoded>
): ReturnType<Service["appendMany"]> =>
  log.provided(
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      const inputs: Array<AppendInput> = new Array(raws.length)
      for (let i = 0; i < raws.length; i++) {
        inputs[i] = yield* decodeAppend(raws[i], String(i))
        yield* checkAction(inputs[i]!, `${i}.`)
      }
      if (inputs.length === 0) {
        const head = yield* readHead(actor.tenantId)
        const last = Option.match(head, { onNone: () => 0, onSome: (h) => h.last_sequence })
        const hash = Option.match(head, { onNone: () => genesisHash, onSome: (h) => h.last_hash })
        return { count: 0, firstSequence: last + 1, lastSequence: last, lastHash: hash }
      }
      const sealed = yield* log
        .inTransaction(sealAll(log, actor.tenantId, actor, inputs))
        .pipe(Metric.trackDuration(AuditMetrics.appendDuration))
      yield* Metric.incrementBy(AuditMetrics.appends, sealed.length)
      const last = sealed[sealed.length - 1]!.row
      return {
        count: sealed.length,
        firstSequence: sealed[0]!.row.sequence,
        lastSequence: last.sequence,
        lastHash: last.hash
      }
    })
  )
