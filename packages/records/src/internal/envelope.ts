// The command envelope: as `CurrentActor`, decode, authorise, load the record in the actor's tenant,
// check the expected version, write guarded by the version read, then record the change (audit
// event, history entry, bus event, hooks), all in the command's transaction.
import { Actor, Errors, Policy } from "@airworthy/core"
import { Query, StorageError } from "@airworthy/storage"
import { Effect, Ref, type Schema } from "effect"
import type { HistoryKind, QmsRecord } from "../QmsRecord.js"
import { Committed } from "../RecordEvent.js"
import * as RecordHooks from "../RecordHooks.js"
import type { Records } from "../Records.js"
import * as RecordType from "../RecordType.js"
import { type CommonInput, requestOf } from "./inputs.js"
import { now, provided, type Runtime, type SqlServices } from "./runtime.js"
import * as Store from "./store.js"
import { commandTransaction, Pending } from "./transaction.js"

export type ReadError = Errors.NotFound | Errors.Forbidden | StorageError.StorageError

const q = Query.make<Store.Tables>()

/** The record row in the tenant, by the precompiled statement on the layer's own client. */
export const loadRow = (
  runtime: Runtime,
  tenantId: string,
  id: string
): Effect.Effect<Store.RecordRow, Errors.NotFound | StorageError.StorageError> =>
  runtime.sql.unsafe<Store.RecordRow>(runtime.selectRecord, [tenantId, id]).pipe(
    Effect.mapError((cause) => StorageError.fromCause(cause)),
    Effect.flatMap((rows) =>
      rows[0] === undefined ? Effect.fail(new Errors.NotFound({ entity: "record", id })) : Effect.succeed(rows[0])
    )
  )

export const readable = (runtime: Runtime, actor: Actor.Actor, type: RecordType.Any) =>
  runtime.policy.can(actor, type.permissions.read) || runtime.policy.can(actor, "record.read")

/**
 * `Forbidden` unless the actor holds `permission` on this record (a grant limited to a relation,
 * `finding.update@owner`, counts when the actor has it); the layer's own `Policy`, so nothing is
 * provided.
 */
export const authorizeOn = (
  runtime: Runtime,
  actor: Actor.Actor,
  type: RecordType.Any,
  record: QmsRecord,
  permission: Policy.Permission
) => {
  if (runtime.policy.can(actor, permission)) return Effect.void
  const relations = RecordType.relationsOf(type, record, actor.actorId)
  return Effect.provideService(Policy.authorizeOn(actor, permission, relations), Policy.Policy, runtime.policy)
}

export interface Loaded {
  readonly row: Store.RecordRow
  readonly type: RecordType.Any
  readonly record: QmsRecord
}

/** The record in the actor's tenant with its type, after checking `permission` (read if none). */
export const load = (
  runtime: Runtime,
  actor: Actor.Actor,
  id: string,
  permission?: keyof RecordType.Permissions
): Effect.Effect<Loaded, ReadError> =>
  Effect.flatMap(loadRow(runtime, actor.tenantId, id), (row): Effect.Effect<Loaded, ReadError> => {
    const type = runtime.types.get(row.type)
    if (type === undefined) return Effect.fail(new Errors.NotFound({ entity: "record type", id: row.type }))
    const loaded = { row, type, record: Store.toRecord(row) }
    const canRead = readable(runtime, actor, type)
    if (canRead && permission === undefined) return Effect.succeed(loaded)
    const { record } = loaded
    const read = canRead ? Effect.void : authorizeOn(runtime, actor, type, record, type.permissions.read)
    return Effect.as(
      permission === undefined
        ? read
        : Effect.zipRight(read, authorizeOn(runtime, actor, type, record, type.permissions[permission])),
      loaded
    )
  })

export const checkExpected = (record: QmsRecord, expected: number | undefined) =>
  expected === undefined || expected === record.version
    ? Effect.void
    : Effect.fail(new Errors.StaleVersion({ id: record.id, expected, actual: record.version }))

const stale = (runtime: Runtime, tenantId: string, record: QmsRecord) =>
  Effect.flatMap(loadRow(runtime, tenantId, record.id), (current) =>
    Effect.fail(new Errors.StaleVersion({ id: record.id, expected: record.version, actual: Number(current.version) }))
  )

/** `version = version + 1`, only if nobody changed the record since it was read. */
export const writeRecord = (
  runtime: Runtime,
  tenantId: string,
  before: QmsRecord,
  after: QmsRecord
): Effect.Effect<void, Errors.StaleVersion | Errors.NotFound | StorageError.StorageError, SqlServices> =>
  Effect.gen(function* () {
    const written = yield* q.rows((db) =>
      db
        .updateTable("aw_records")
        .set({
          title: after.title,
          state: after.state,
          version: after.version,
          owner_id: after.ownerId,
          updated_at: after.updatedAt,
          due_at: after.dueAt,
          closed_at: after.closedAt,
          data: JSON.stringify(after.data)
        })
        .where("tenant_id", "=", tenantId)
        .where("id", "=", before.id)
        .where("version", "=", before.version)
        .returning("version")
    )
    if (written.length === 0) return yield* stale(runtime, tenantId, before)
  })

// Sidecar commands (comment, approve, sign, ...) do not change the record row; with an expected
// version they still lock it and check nobody changed it since the caller read it.
export const holdVersion = (
  runtime: Runtime,
  tenantId: string,
  record: QmsRecord
): Effect.Effect<void, Errors.StaleVersion | Errors.NotFound | StorageError.StorageError, SqlServices> =>
  Effect.gen(function* () {
    const held = yield* q.rows((db) =>
      db
        .updateTable("aw_records")
        .set({ version: record.version })
        .where("tenant_id", "=", tenantId)
        .where("id", "=", record.id)
        .where("version", "=", record.version)
        .returning("version")
    )
    if (held.length === 0) return yield* stale(runtime, tenantId, record)
  })

const appendHistory = (
  runtime: Runtime,
  actor: Actor.Actor,
  record: QmsRecord,
  kind: HistoryKind,
  extra: {
    readonly transition?: { readonly name: string; readonly from: string; readonly to: string }
    readonly reason?: string | undefined
    readonly detail?: unknown
  }
) =>
  Effect.gen(function* () {
    const id = yield* runtime.ids.next
    const at = yield* now
    yield* q.exec((db) =>
      db.insertInto("aw_record_history").values({
        tenant_id: actor.tenantId,
        id,
        record_id: record.id,
        kind,
        version: record.version,
        transition: extra.transition?.name ?? null,
        from_state: extra.transition?.from ?? null,
        to_state: extra.transition?.to ?? null,
        actor_id: actor.actorId,
        at,
        reason: extra.reason ?? null,
        detail: extra.detail === undefined ? null : JSON.stringify(extra.detail)
      })
    )
  })

export const auditAction = (type: string, what: string) => `${type}.${what.toLowerCase()}`

/** Audit event, history entry, bus event, hooks: what every command does after its write. */
export const recordChange = (
  runtime: Runtime,
  actor: Actor.Actor,
  change: Omit<RecordHooks.Change, "auditSequence">,
  auditInput: {
    readonly action: string
    readonly before?: unknown
    readonly after?: unknown
    readonly reason?: string | undefined
    readonly correlationId?: string | undefined
  },
  historyDetail?: unknown
): Effect.Effect<void, RecordHooks.Failure, Exclude<RecordHooks.Services, Records> | Pending> =>
  Effect.gen(function* () {
    const record = change.record
    const event = yield* runtime.audit.append({
      action: auditInput.action,
      recordType: record.type,
      recordId: record.id,
      ...(auditInput.before !== undefined ? { before: auditInput.before } : {}),
      ...(auditInput.after !== undefined ? { after: auditInput.after } : {}),
      ...(auditInput.reason !== undefined ? { reason: auditInput.reason } : {}),
      ...(auditInput.correlationId !== undefined ? { correlationId: auditInput.correlationId } : {})
    })
    yield* appendHistory(runtime, actor, record, change.kind, {
      ...(change.transition !== undefined ? { transition: change.transition } : {}),
      reason: auditInput.reason,
      detail: historyDetail
    })
    const pending = yield* Pending
    yield* Ref.update(pending, (xs) => [
      ...xs,
      new Committed(
        {
          tenantId: actor.tenantId,
          recordId: record.id,
          type: record.type,
          kind: change.kind,
          version: record.version,
          state: record.state,
          ...(change.transition !== undefined ? { transition: change.transition.name } : {}),
          auditSequence: event.sequence
        },
        { disableValidation: true }
      )
    ])
    const full: RecordHooks.Change = { ...change, auditSequence: event.sequence }
    for (const h of runtime.hooks) {
      if (!RecordHooks.matches(h, full)) continue
      yield* runtime.provideRecords(h.run(full))
    }
  })

/**
 * A command: as `CurrentActor`, decode the input, run `check` (before the transaction), then
 * `body` as the transactional, idempotent command `operation`.
 */
export const commandOf =
  <In extends CommonInput, A, AI, E, R, EC = never, RC = never>(
    operation: string,
    decode: (raw: unknown) => Effect.Effect<In, Errors.ValidationFailed>,
    result: Schema.Schema<A, AI>,
    body: (runtime: Runtime, actor: Actor.Actor, input: In) => Effect.Effect<A, E, R>,
    check?: (runtime: Runtime, actor: Actor.Actor, input: In) => Effect.Effect<void, EC, RC>
  ) =>
  (runtime: Runtime, raw: unknown) =>
    provided(
      runtime,
      Effect.gen(function* () {
        const actor = yield* Actor.CurrentActor
        const input = yield* decode(raw)
        if (check !== undefined) yield* check(runtime, actor, input)
        return yield* commandTransaction(
          runtime,
          actor.tenantId,
          operation,
          { idempotencyKey: input.idempotencyKey, request: requestOf(input) },
          result,
          body(runtime, actor, input)
        )
      })
    )
