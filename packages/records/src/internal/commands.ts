// The commands on the record itself: create, update, assign, transition; and what a transition
// would need now (`available`).
import { AuditEvent } from "@airworthy/audit"
import { Actor, Errors, type Guard, Policy, Workflow } from "@airworthy/core"
import { Query } from "@airworthy/storage"
import { DateTime, Effect, FiberRef, Option, Schema } from "effect"
import { QmsRecord } from "../QmsRecord.js"
import type * as RecordType from "../RecordType.js"
import { auditAction, checkExpected, commandOf, load, recordChange, writeRecord } from "./envelope.js"
import { guardContext } from "./guardContext.js"
import {
  AssignInput,
  CreateInput,
  decodeWith,
  invalid,
  isPlainObject,
  requestOf,
  TransitionInput,
  UpdateInput
} from "./inputs.js"
import { type Method, now, provided, type Runtime } from "./runtime.js"
import { insertSignature, verifySigner } from "./signatures.js"
import * as Store from "./store.js"
import { commandTransaction } from "./transaction.js"

const q = Query.make<Store.Tables>()

const setOwn = (o: Record<string, unknown>, key: string, value: unknown) =>
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true })

/** RFC 7396 JSON merge patch. */
const mergePatch = (target: unknown, patch: unknown): unknown => {
  if (!isPlainObject(patch)) return patch
  const out: Record<string, unknown> = {}
  if (isPlainObject(target)) for (const [k, v] of Object.entries(target)) setOwn(out, k, v)
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else setOwn(out, k, mergePatch(out[k], v))
  }
  return out
}

const normaliseDue = (
  value: string | Date | null | undefined
): Effect.Effect<string | null, Errors.ValidationFailed> => {
  if (value === null || value === undefined || value === "") return Effect.succeed(null)
  const dt = DateTime.make(value)
  return Option.isSome(dt)
    ? Effect.succeed(DateTime.formatIso(DateTime.toUtc(dt.value)))
    : Effect.fail(invalid("dueAt", `${String(value)} is not a date`))
}

/** The type's data decoded strictly, and encoded again as the JSON it is stored as. */
const validData = (type: RecordType.Any, data: unknown) =>
  Effect.gen(function* () {
    const decoded = yield* decodeWith(type.schema, { strict: true })(data, "data")
    const json = JSON.parse(JSON.stringify(yield* Schema.encode(type.schema)(decoded).pipe(Effect.orDie)))
    return { decoded, json }
  })

/** The next reference of the type in the tenant and year: `CAPA-2026-0001`, gapless. */
const nextRef = (tenantId: string, type: RecordType.Any, at: string) =>
  Effect.gen(function* () {
    const year = Number(at.slice(0, 4))
    const row = yield* q.one((db) =>
      db
        .insertInto("aw_record_refs")
        .values({ tenant_id: tenantId, type: type.name, year, last_number: 1 })
        .onConflict((oc) =>
          oc
            .columns(["tenant_id", "type", "year"])
            .doUpdateSet((eb) => ({ last_number: eb("aw_record_refs.last_number", "+", 1) }))
        )
        .returning("last_number")
    )
    return `${type.prefix}-${year}-${String(Number(row.last_number)).padStart(4, "0")}`
  })

const insertRecord = (
  runtime: Runtime,
  actor: Actor.Actor,
  type: RecordType.Any,
  fields: Pick<QmsRecord, "title" | "ownerId" | "dueAt" | "data">,
  correlationId: string | undefined
) =>
  Effect.gen(function* () {
    const id = yield* runtime.ids.next
    const at = yield* now
    const ref = yield* nextRef(actor.tenantId, type, at)
    const record = new QmsRecord(
      {
        id,
        type: type.name,
        ref,
        title: fields.title,
        state: type.workflow.initial,
        version: 1,
        ownerId: fields.ownerId,
        createdBy: actor.actorId,
        createdAt: at,
        updatedAt: at,
        dueAt: fields.dueAt,
        closedAt: null,
        data: fields.data
      },
      { disableValidation: true }
    )
    yield* q.exec((db) => db.insertInto("aw_records").values(Store.fromRecord(actor.tenantId, record)))
    yield* recordChange(
      runtime,
      actor,
      { kind: "created", record, ...(correlationId ? { correlationId } : {}) },
      { action: auditAction(type.name, "created"), after: Store.recordJson(record), correlationId }
    )
    return record
  })

const decodeCreate = decodeWith(CreateInput)

// The data is decoded and validated before the transaction opens.
export const create: Method<"create"> = (runtime, raw) =>
  provided(
    runtime,
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      const input = yield* decodeCreate(raw)
      const type = runtime.types.get(input.type)
      if (type === undefined) {
        const known = [...runtime.types.keys()].join(", ")
        return yield* invalid("type", `Unknown record type '${input.type}'; known: ${known}`)
      }
      yield* Policy.authorizeActor(actor, type.permissions.create)
      const { decoded, json } = yield* validData(type, input.data)
      const title = type.title(decoded).trim().slice(0, 500)
      const dueAt = yield* normaliseDue(type.dueAt?.(decoded))
      return yield* commandTransaction(
        runtime,
        actor.tenantId,
        "create",
        { idempotencyKey: input.idempotencyKey, request: requestOf(input) },
        QmsRecord,
        insertRecord(
          runtime,
          actor,
          type,
          { title, ownerId: input.ownerId ?? null, dueAt, data: json },
          input.correlationId
        )
      )
    })
  )

/**
 * Data fields the updates inside an effect may change whatever the workflow's editable lists say:
 * a domain command that derives them (a finding's level and due date) sets it; no input can.
 */
export const unlockedFields: FiberRef.FiberRef<ReadonlyArray<string>> = FiberRef.unsafeMake<ReadonlyArray<string>>([])

export const update: Method<"update"> = commandOf(
  "update",
  decodeWith(UpdateInput),
  QmsRecord,
  (runtime, actor, input) =>
    Effect.gen(function* () {
      const { type, record: before } = yield* load(runtime, actor, input.id, "update")
      yield* checkExpected(before, input.expectedVersion)
      const merged = mergePatch(before.data, input.data)
      const paths = AuditEvent.diff(before.data as AuditEvent.Json, merged as AuditEvent.Json).map((d) => d.path)
      if (paths.length === 0) return before
      const unlocked = yield* FiberRef.get(unlockedFields)
      const locked = paths.filter((p) => !unlocked.some((f) => p === f || p.startsWith(`${f}.`)))
      yield* Workflow.checkEditable(type.workflow, before.state, locked).pipe(
        Effect.mapError(
          (e) => new Errors.ValidationFailed({ issues: e.issues.map((i) => ({ ...i, path: `data.${i.path}` })) })
        )
      )
      const { decoded, json: data } = yield* validData(type, merged)
      // A patch the schema normalises away (e.g. an empty object for an absent optional field)
      // changes nothing: no new version, no history, no audit event.
      if (AuditEvent.diff(before.data as AuditEvent.Json, data as AuditEvent.Json).length === 0) return before
      const at = yield* now
      const after = new QmsRecord(
        {
          ...before,
          title: type.title(decoded).trim().slice(0, 500),
          dueAt: yield* normaliseDue(type.dueAt?.(decoded)),
          data,
          version: before.version + 1,
          updatedAt: at
        },
        { disableValidation: true }
      )
      yield* writeRecord(runtime, actor.tenantId, before, after)
      yield* recordChange(
        runtime,
        actor,
        {
          kind: "updated",
          record: after,
          before,
          ...(input.reason !== undefined ? { reason: input.reason } : {}),
          ...(input.correlationId ? { correlationId: input.correlationId } : {})
        },
        {
          action: auditAction(type.name, "updated"),
          before: Store.recordJson(before),
          after: Store.recordJson(after),
          reason: input.reason,
          correlationId: input.correlationId
        },
        { paths }
      )
      return after
    })
)

export const assign: Method<"assign"> = commandOf(
  "assign",
  decodeWith(AssignInput),
  QmsRecord,
  (runtime, actor, input) =>
    Effect.gen(function* () {
      const { type, record: before } = yield* load(runtime, actor, input.id, "assign")
      yield* checkExpected(before, input.expectedVersion)
      if (before.ownerId === input.ownerId) return before
      const after = new QmsRecord(
        { ...before, ownerId: input.ownerId, version: before.version + 1, updatedAt: yield* now },
        { disableValidation: true }
      )
      yield* writeRecord(runtime, actor.tenantId, before, after)
      yield* recordChange(
        runtime,
        actor,
        {
          kind: "assigned",
          record: after,
          before,
          ...(input.reason !== undefined ? { reason: input.reason } : {}),
          ...(input.correlationId ? { correlationId: input.correlationId } : {})
        },
        {
          action: auditAction(type.name, "assigned"),
          before: Store.recordJson(before),
          after: Store.recordJson(after),
          reason: input.reason,
          correlationId: input.correlationId
        },
        { from: before.ownerId, to: after.ownerId }
      )
      return after
    })
)

export const transition: Method<"transition"> = commandOf(
  "transition",
  decodeWith(TransitionInput),
  QmsRecord,
  (runtime, actor, input) =>
    Effect.gen(function* () {
      const { type, record: before } = yield* load(runtime, actor, input.id)
      yield* checkExpected(before, input.expectedVersion)
      const t = Workflow.findTransition(type.workflow, before.state, input.transition)
      const commandInput: Guard.CommandInput = {
        ...(input.reason !== undefined ? { reason: input.reason } : {}),
        ...(input.signature !== undefined ? { signature: { meaning: input.signature.meaning } } : {})
      }
      const ctx = yield* guardContext(actor, type, before, t?.guards ?? [], commandInput)
      const step = yield* Workflow.step(type.workflow, ctx, input.transition)
      const at = yield* now
      const after = new QmsRecord(
        {
          ...before,
          state: step.to,
          version: before.version + 1,
          updatedAt: at,
          closedAt: Workflow.isTerminal(type.workflow, step.to) ? at : null
        },
        { disableValidation: true }
      )
      yield* writeRecord(runtime, actor.tenantId, before, after)
      // The signature binds to the version the signer saw and acted on.
      const signed =
        input.signature === undefined
          ? undefined
          : yield* insertSignature(runtime, actor, before, input.signature.meaning, step.transition)
      const moved = { name: step.transition, from: step.from, to: step.to }
      yield* recordChange(
        runtime,
        actor,
        {
          kind: "transitioned",
          record: after,
          before,
          transition: moved,
          ...(signed !== undefined ? { signature: signed } : {}),
          ...(input.reason !== undefined ? { reason: input.reason } : {}),
          ...(input.correlationId ? { correlationId: input.correlationId } : {})
        },
        {
          action: auditAction(type.name, `transition.${step.transition}`),
          before: Store.recordJson(before),
          after: Store.recordJson(after),
          reason: input.reason,
          correlationId: input.correlationId
        },
        signed === undefined ? undefined : { signatureId: signed.id, meaning: signed.meaning }
      )
      return after
    }),
  (runtime, actor, input) => verifySigner(runtime, actor, input.id, input.signature)
)

export const available: Method<"available"> = (runtime, id) =>
  provided(
    runtime,
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      const { type, record } = yield* load(runtime, actor, id)
      const leaving = Workflow.transitionsFrom(type.workflow, record.state)
      const ctx = yield* guardContext(
        actor,
        type,
        record,
        leaving.flatMap((t) => t.guards),
        {}
      )
      return yield* Workflow.available(type.workflow, ctx)
    })
  )
