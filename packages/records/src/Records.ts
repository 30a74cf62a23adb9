/**
 * The records runtime: runs workflow definitions on stored records.
 *
 * Every command is one database transaction: authorise → load in the actor's tenant → idempotency
 * key → workflow step (every unmet guard at once) → write with `version = version + 1` guarded by
 * the version read (`StaleVersion` otherwise, nothing written) → audit events → in-transaction hooks
 * → commit → publish to the after-commit bus.
 *
 * ```ts
 * const program = Effect.gen(function* () {
 *   const finding = yield* Records.create({ type: "finding", data: { title: "Torque wrench overdue", level: "2" } })
 *   yield* Records.update({ id: finding.id, expectedVersion: 1, data: { response: "Recalibrated; procedure amended" } })
 *   return yield* Records.transition({ id: finding.id, transition: "submit_response", expectedVersion: 2 })
 * })
 * ```
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { AuditEvent, AuditLog, CanonicalJson } from "@airworthy/audit"
import { Actor, Errors, type Guard, Ids, Policy, Workflow } from "@airworthy/core"
import { Query, Storage, StorageError } from "@airworthy/storage"
import { SqlClient } from "@effect/sql"
import {
  Clock,
  Context,
  DateTime,
  Effect,
  Layer,
  Option,
  PubSub,
  type Queue,
  Ref,
  Schema,
  type Scope,
  Stream
} from "effect"
import * as GuardSnapshot from "./GuardSnapshot.js"
import * as Inputs from "./internal/inputs.js"
import { type CommonInput, decodeWith, invalid, isPlainObject, requestOf, type SideInput } from "./internal/inputs.js"
import * as Store from "./internal/store.js"
import {
  Approval,
  Attachment,
  Comment,
  type HistoryEntry,
  type HistoryKind,
  Link,
  type LinkView,
  type Page,
  QmsRecord,
  Signature,
  Verification
} from "./QmsRecord.js"
import { Committed } from "./RecordEvent.js"
import * as RecordHooks from "./RecordHooks.js"
import type * as RecordType from "./RecordType.js"
import { SignerVerification } from "./SignerVerification.js"

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/**
 * Create a record of a registered type, in its workflow's initial state.
 * @since 0.1.0
 * @category inputs
 */
export const CreateInput = Inputs.CreateInput
/** @since 0.1.0 @category inputs */
export type CreateInput = typeof CreateInput.Encoded

/**
 * Change data fields (a JSON merge patch, RFC 7396: objects merge, `null` removes a field). Only the
 * fields the current state allows may change; the result is re-validated by the type's Schema.
 * @since 0.1.0
 * @category inputs
 */
export const UpdateInput = Inputs.UpdateInput
/** @since 0.1.0 @category inputs */
export type UpdateInput = typeof UpdateInput.Encoded

/**
 * Give a record an owner (or none).
 * @since 0.1.0
 * @category inputs
 */
export const AssignInput = Inputs.AssignInput
/** @since 0.1.0 @category inputs */
export type AssignInput = typeof AssignInput.Encoded

/**
 * An electronic signature given with a command: its meaning and the re-entered credential.
 * @since 0.1.0
 * @category inputs
 */
export const SignatureInput = Inputs.SignatureInput

/**
 * Take a workflow transition.
 * @since 0.1.0
 * @category inputs
 */
export const TransitionInput = Inputs.TransitionInput
/** @since 0.1.0 @category inputs */
export type TransitionInput = typeof TransitionInput.Encoded

/**
 * Link two records with a declared kind (or remove that link).
 * @since 0.1.0
 * @category inputs
 */
export const LinkInput = Inputs.LinkInput
/** @since 0.1.0 @category inputs */
export type LinkInput = typeof LinkInput.Encoded

/**
 * Comment on a record.
 * @since 0.1.0
 * @category inputs
 */
export const CommentInput = Inputs.CommentInput
/** @since 0.1.0 @category inputs */
export type CommentInput = typeof CommentInput.Encoded

/**
 * Attachment metadata; the content is stored elsewhere and pinned by its SHA-256.
 * @since 0.1.0
 * @category inputs
 */
export const AttachInput = Inputs.AttachInput
/** @since 0.1.0 @category inputs */
export type AttachInput = typeof AttachInput.Encoded

/**
 * Record a verification (e.g. of a corrective action's effectiveness).
 * @since 0.1.0
 * @category inputs
 */
export const VerificationInput = Inputs.VerificationInput
/** @since 0.1.0 @category inputs */
export type VerificationInput = typeof VerificationInput.Encoded

/**
 * Record an approval of the record as it is at `expectedVersion`.
 * @since 0.1.0
 * @category inputs
 */
export const ApproveInput = Inputs.ApproveInput
/** @since 0.1.0 @category inputs */
export type ApproveInput = typeof ApproveInput.Encoded

/**
 * Sign the record electronically, as it is at `expectedVersion` (the current version if absent).
 * @since 0.1.0
 * @category inputs
 */
export const SignInput = Inputs.SignInput
/** @since 0.1.0 @category inputs */
export type SignInput = typeof SignInput.Encoded

/**
 * Filters for `list`. `text` matches a part of the reference or title, ignoring (ASCII) case;
 * `dueBefore` is exclusive. Newest first unless `order: "asc"`.
 * @since 0.1.0
 * @category inputs
 */
export const ListFilter = Inputs.ListFilter
/** @since 0.1.0 @category inputs */
export type ListFilter = typeof ListFilter.Encoded

/**
 * Which links of a record to list.
 * @since 0.1.0
 * @category inputs
 */
export interface LinksFilter {
  readonly kind?: string
  readonly direction?: "out" | "in"
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/**
 * Everything a record command may fail with.
 * @since 0.1.0
 * @category errors
 */
export type CommandError = RecordHooks.Failure

type ReadError = Errors.NotFound | Errors.Forbidden | StorageError.StorageError

/**
 * Settings of `Records.layer`: the record types and the link kinds between them.
 * @since 0.1.0
 * @category models
 */
export interface Config<R = never> {
  readonly types: ReadonlyArray<RecordType.Any<R>>
  readonly links?: ReadonlyArray<RecordType.LinkKind>
}

/**
 * The records service. Every operation acts as `CurrentActor`, inside the actor's tenant.
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly types: ReadonlyArray<RecordType.Any>
  readonly create: (input: CreateInput) => Effect.Effect<QmsRecord, CommandError, Actor.CurrentActor>
  readonly get: (id: string) => Effect.Effect<QmsRecord, ReadError, Actor.CurrentActor>
  readonly list: (filter?: ListFilter) => Effect.Effect<Page, Errors.ValidationFailed | ReadError, Actor.CurrentActor>
  readonly update: (input: UpdateInput) => Effect.Effect<QmsRecord, CommandError, Actor.CurrentActor>
  readonly assign: (input: AssignInput) => Effect.Effect<QmsRecord, CommandError, Actor.CurrentActor>
  readonly transition: (input: TransitionInput) => Effect.Effect<QmsRecord, CommandError, Actor.CurrentActor>
  /** The transitions leaving the record's state, each with what blocks it (for a UI). */
  readonly available: (id: string) => Effect.Effect<ReadonlyArray<Workflow.Availability>, ReadError, Actor.CurrentActor>
  readonly history: (id: string) => Effect.Effect<ReadonlyArray<HistoryEntry>, ReadError, Actor.CurrentActor>
  readonly link: (input: LinkInput) => Effect.Effect<Link, CommandError, Actor.CurrentActor>
  readonly unlink: (input: LinkInput) => Effect.Effect<Link, CommandError, Actor.CurrentActor>
  readonly links: (
    id: string,
    filter?: LinksFilter
  ) => Effect.Effect<ReadonlyArray<LinkView>, ReadError, Actor.CurrentActor>
  readonly comment: (input: CommentInput) => Effect.Effect<Comment, CommandError, Actor.CurrentActor>
  readonly comments: (id: string) => Effect.Effect<ReadonlyArray<Comment>, ReadError, Actor.CurrentActor>
  readonly attach: (input: AttachInput) => Effect.Effect<Attachment, CommandError, Actor.CurrentActor>
  readonly attachments: (id: string) => Effect.Effect<ReadonlyArray<Attachment>, ReadError, Actor.CurrentActor>
  readonly recordVerification: (
    input: VerificationInput
  ) => Effect.Effect<Verification, CommandError, Actor.CurrentActor>
  readonly verifications: (id: string) => Effect.Effect<ReadonlyArray<Verification>, ReadError, Actor.CurrentActor>
  readonly approve: (input: ApproveInput) => Effect.Effect<Approval, CommandError, Actor.CurrentActor>
  readonly approvals: (id: string) => Effect.Effect<ReadonlyArray<Approval>, ReadError, Actor.CurrentActor>
  readonly sign: (input: SignInput) => Effect.Effect<Signature, CommandError, Actor.CurrentActor>
  readonly signatures: (id: string) => Effect.Effect<ReadonlyArray<Signature>, ReadError, Actor.CurrentActor>
  /**
   * Re-checks every signature of a record: its stored content still hashes to `contentHash`, and
   * whether the record is still at the signed version.
   */
  readonly verifySignatures: (id: string) => Effect.Effect<ReadonlyArray<SignatureCheck>, ReadError, Actor.CurrentActor>
  /**
   * Runs several commands in one transaction; their bus events are published after it commits.
   * Use it (not a bare SQL transaction) to compose commands.
   */
  readonly transaction: <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | StorageError.StorageError, R | SqlClient.SqlClient>
  /** Subscribes to committed changes (every tenant); the subscription ends with the scope. */
  readonly subscribe: Effect.Effect<Queue.Dequeue<Committed>, never, Scope.Scope>
}

/**
 * The result of re-checking one signature.
 * @since 0.1.0
 * @category models
 */
export interface SignatureCheck {
  readonly signature: Signature
  /** The stored content still hashes to the signature's `contentHash`. */
  readonly intact: boolean
  /** The record is still at the signed version, and its content is what was signed. */
  readonly current: boolean
}

/**
 * The records service.
 * @since 0.1.0
 * @category tags
 */
export class Records extends Context.Tag("@airworthy/records/Records")<Records, Service>() {}

// The changes of the transaction being built, published after its commit.
class Pending extends Context.Tag("@airworthy/records/internal/Pending")<
  Pending,
  Ref.Ref<ReadonlyArray<Committed>>
>() {}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const q = Query.make<Store.Tables>()

/** The field naming a side entry, in the hook change and the audit event's `after`. */
type SideEntryField = Pick<RecordHooks.Change, "comment" | "attachment" | "verification" | "approval" | "signature">

const iso = (millis: number) => new Date(millis).toISOString()
const now = Effect.map(Clock.currentTimeMillis, iso)

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex")

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

/** The record as plain JSON (what audit events, signatures and idempotent responses hold). */
const recordJson = (r: QmsRecord) => ({
  id: r.id,
  type: r.type,
  ref: r.ref,
  title: r.title,
  state: r.state,
  version: r.version,
  ownerId: r.ownerId,
  createdBy: r.createdBy,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  dueAt: r.dueAt,
  closedAt: r.closedAt,
  data: r.data as AuditEvent.Json
})

const cursorPrefix = "r1:"
const encodeCursor = (id: string) => Buffer.from(`${cursorPrefix}${id}`, "utf8").toString("base64url")
const decodeCursor = (cursor: string): string | undefined => {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined
  const text = Buffer.from(cursor, "base64url").toString("utf8")
  return text.startsWith(cursorPrefix) && text.length > cursorPrefix.length
    ? text.slice(cursorPrefix.length)
    : undefined
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

interface Needs {
  attachments: boolean
  verifications: boolean
  approvals: boolean
  signatures: boolean
  links: boolean
  history: boolean
}

// Reads only what the guards at hand look at: a transition with two guards costs two queries, not six.
const needsOf = (guards: ReadonlyArray<Guard.Guard<unknown>>): Needs => {
  const n: Needs = {
    attachments: false,
    verifications: false,
    approvals: false,
    signatures: false,
    links: false,
    history: false
  }
  for (const g of guards) {
    switch (g._tag) {
      case "Attachment":
        n.attachments = true
        break
      case "VerificationRecorded":
        n.verifications = true
        n.history ||= g.since === "entered_state"
        break
      case "Approvals":
        n.approvals = true
        n.history ||= g.since === "entered_state"
        break
      case "SeparationOfDuties":
        n.history ||= g.notThe._tag === "Performer"
        break
      case "LinkedRecord":
        n.links = true
        break
      case "Custom":
        return { attachments: true, verifications: true, approvals: true, signatures: true, links: true, history: true }
      case "RequiredFields":
        break
    }
  }
  return n
}

const checkConfig = (config: Config<unknown>) => {
  const names = new Set<string>()
  const prefixes = new Set<string>()
  for (const t of config.types) {
    if (names.has(t.name)) throw new Error(`Record type ${t.name} is registered twice`)
    if (prefixes.has(t.prefix)) throw new Error(`Reference prefix ${t.prefix} is used by two record types`)
    names.add(t.name)
    prefixes.add(t.prefix)
  }
  const kinds = new Set<string>()
  for (const l of config.links ?? []) {
    if (kinds.has(l.kind)) throw new Error(`Link kind ${l.kind} is declared twice`)
    kinds.add(l.kind)
    for (const t of [...(l.from ?? []), ...(l.to ?? [])]) {
      if (!names.has(t)) throw new Error(`Link kind ${l.kind} refers to record type ${t}, which is not registered`)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Construction
// ---------------------------------------------------------------------------------------------

/**
 * What `Records.layer` needs besides the guards' own services.
 * @since 0.1.0
 * @category models
 */
export type Requirements =
  | Storage.Storage
  | SqlClient.SqlClient
  | Ids.Ids
  | Policy.Policy
  | AuditLog.AuditLog
  | RecordHooks.RecordHooks
  | SignerVerification

/**
 * Builds the service. Throws when the configuration is inconsistent (a type registered twice, a
 * prefix used twice, a link kind naming an unknown type).
 * @since 0.1.0
 * @category constructors
 */
export const make = <R = never>(config: Config<R>): Effect.Effect<Service, never, Requirements | R | Scope.Scope> => {
  checkConfig(config as Config<unknown>)
  return Effect.gen(function* () {
    const context = yield* Effect.context<Requirements | R>()
    const { dialect, compiler } = Context.get(context as Context.Context<Requirements>, Storage.Storage)
    const sql = Context.get(context as Context.Context<Requirements>, SqlClient.SqlClient).withoutTransforms()
    const ids = Context.get(context as Context.Context<Requirements>, Ids.Ids)
    const policy = Context.get(context as Context.Context<Requirements>, Policy.Policy)
    const audit = Context.get(context as Context.Context<Requirements>, AuditLog.AuditLog)
    const hooks = Context.get(context as Context.Context<Requirements>, RecordHooks.RecordHooks).hooks
    const signer = Context.get(context as Context.Context<Requirements>, SignerVerification)
    const bus = yield* Effect.acquireRelease(PubSub.unbounded<Committed>(), PubSub.shutdown)

    // Guards' services (R) are in `context`, provided to every method, so they are erased here.
    const types = new Map(config.types.map((t) => [t.name, t as unknown as RecordType.Any]))
    const linkKinds = new Map((config.links ?? []).map((l) => [l.kind, l]))

    // Service methods run with the layer's services but keep the caller's context on top, so the
    // caller's open transaction is the one they join.
    const provided = <A, E, R2>(self: Effect.Effect<A, E, R2>) =>
      Effect.provide(self, context) as Effect.Effect<A, E, Exclude<R2, Requirements | R>>

    // -------------------------------------------------------------- reading

    const readable = (actor: Actor.Actor, type: RecordType.Any) =>
      policy.can(actor, type.permissions.read) || policy.can(actor, "record.read")

    // The hottest statement (every read and every command loads its record): its SQL is compiled once
    // here and run on the layer's client (which still joins the caller's open transaction), instead of
    // building and compiling it with Kysely on every call.
    const db: Parameters<Query.Build<Store.Tables, unknown>>[0] = compiler
    const selectRecord = db
      .selectFrom("aw_records")
      .selectAll()
      .where("tenant_id", "=", "")
      .where("id", "=", "")
      .compile().sql
    const loadRow = (
      tenantId: string,
      id: string
    ): Effect.Effect<Store.RecordRow, Errors.NotFound | StorageError.StorageError> =>
      sql.unsafe<Store.RecordRow>(selectRecord, [tenantId, id]).pipe(
        Effect.mapError((cause) => StorageError.fromCause(cause)),
        Effect.flatMap((rows) =>
          rows[0] === undefined ? Effect.fail(new Errors.NotFound({ entity: "record", id })) : Effect.succeed(rows[0])
        )
      )

    /** `Forbidden` unless the actor holds `permission`; the layer's own `Policy`, so nothing is provided. */
    const authorize = (actor: Actor.Actor, permission: Policy.Permission) =>
      policy.can(actor, permission)
        ? Effect.void
        : Effect.provideService(Policy.authorizeActor(actor, permission), Policy.Policy, policy)

    type Loaded = { readonly row: Store.RecordRow; readonly type: RecordType.Any; readonly record: QmsRecord }
    /** The record in the actor's tenant with its type, after checking `permission` (read if none). */
    const load = (
      actor: Actor.Actor,
      id: string,
      permission?: keyof RecordType.Permissions
    ): Effect.Effect<Loaded, ReadError> =>
      Effect.flatMap(loadRow(actor.tenantId, id), (row): Effect.Effect<Loaded, ReadError> => {
        const type = types.get(row.type)
        if (type === undefined) return Effect.fail(new Errors.NotFound({ entity: "record type", id: row.type }))
        const loaded = { row, type, record: Store.toRecord(row) }
        if (readable(actor, type) && permission === undefined) return Effect.succeed(loaded)
        const read = readable(actor, type) ? Effect.void : authorize(actor, type.permissions.read)
        return Effect.as(
          permission === undefined ? read : Effect.zipRight(read, authorize(actor, type.permissions[permission])),
          loaded
        )
      })

    const checkExpected = (record: QmsRecord, expected: number | undefined) =>
      expected === undefined || expected === record.version
        ? Effect.void
        : Effect.fail(new Errors.StaleVersion({ id: record.id, expected, actual: record.version }))

    const guardContext = (
      actor: Actor.Actor,
      record: QmsRecord,
      guards: ReadonlyArray<Guard.Guard<unknown>>,
      input: Guard.CommandInput
    ) =>
      Effect.gen(function* () {
        const n = needsOf(guards)
        const t = actor.tenantId
        const id = record.id
        const attachments = n.attachments
          ? yield* q.rows((db) =>
              db
                .selectFrom("aw_record_attachments")
                .select(["id", "kind"])
                .where("tenant_id", "=", t)
                .where("record_id", "=", id)
            )
          : []
        const verifications = n.verifications
          ? yield* q.rows((db) =>
              db
                .selectFrom("aw_record_verifications")
                .select(["verified_by", "verified_at", "result"])
                .where("tenant_id", "=", t)
                .where("record_id", "=", id)
            )
          : []
        const approvals = n.approvals
          ? yield* q.rows((db) =>
              db
                .selectFrom("aw_record_approvals")
                .select(["approved_by", "approved_at"])
                .where("tenant_id", "=", t)
                .where("record_id", "=", id)
            )
          : []
        const signatures = n.signatures
          ? yield* q.rows((db) =>
              db
                .selectFrom("aw_record_signatures")
                .select(["signer_id", "meaning", "signed_at"])
                .where("tenant_id", "=", t)
                .where("record_id", "=", id)
            )
          : []
        const links: Array<GuardSnapshot.LinkEntry> = []
        if (n.links) {
          for (const direction of ["out", "in"] as const) {
            const rows = yield* q.rows((db) =>
              db
                .selectFrom("aw_record_links as l")
                .innerJoin("aw_records as r", (j) =>
                  j
                    .onRef("r.tenant_id", "=", "l.tenant_id")
                    .onRef("r.id", "=", direction === "out" ? "l.to_id" : "l.from_id")
                )
                .select(["l.kind", "r.id", "r.type", "r.state"])
                .where("l.tenant_id", "=", t)
                .where(direction === "out" ? "l.from_id" : "l.to_id", "=", id)
                .where("l.removed_at", "is", null)
            )
            for (const r of rows) links.push({ link: { kind: r.kind }, direction, other: r })
          }
        }
        const history = n.history
          ? yield* q.rows((db) =>
              db
                .selectFrom("aw_record_history")
                .select(["transition", "actor_id", "at", "from_state", "to_state"])
                .where("tenant_id", "=", t)
                .where("record_id", "=", id)
                .where("kind", "=", "transitioned")
                .orderBy("id")
            )
          : []
        return GuardSnapshot.fromRecord({
          actor,
          record,
          attachments,
          verifications: verifications.map((v) => ({
            verifiedBy: v.verified_by,
            verifiedAt: v.verified_at,
            result: v.result
          })),
          approvals: approvals.map((a) => ({ approvedBy: a.approved_by, approvedAt: a.approved_at })),
          signatures: signatures.map((s) => ({ signerId: s.signer_id, meaning: s.meaning, signedAt: s.signed_at })),
          links,
          history: history.map((h) => ({
            kind: "transitioned" as const,
            transition: h.transition,
            actorId: h.actor_id,
            at: h.at,
            fromState: h.from_state,
            toState: h.to_state
          })),
          input
        })
      })

    // -------------------------------------------------------------- writing

    // SQLite: take the database's write lock first, so a transaction that reads before it writes
    // cannot fail with SQLITE_BUSY_SNAPSHOT when another connection committed meanwhile (WAL).
    const writeLock = Query.unsafe("UPDATE aw_record_refs SET last_number = last_number WHERE 0 = 1")

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

    /** `version = version + 1`, only if nobody changed the record since it was read. */
    const writeRecord = (tenantId: string, before: QmsRecord, after: QmsRecord) =>
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
        if (written.length === 0) {
          const current = yield* loadRow(tenantId, before.id)
          return yield* new Errors.StaleVersion({
            id: before.id,
            expected: before.version,
            actual: Number(current.version)
          })
        }
      })

    // Sidecar commands (comment, approve, sign, ...) do not change the record row; with an expected
    // version they still lock it and check nobody changed it since the caller read it.
    const holdVersion = (tenantId: string, record: QmsRecord) =>
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
        if (held.length === 0) {
          const current = yield* loadRow(tenantId, record.id)
          return yield* new Errors.StaleVersion({
            id: record.id,
            expected: record.version,
            actual: Number(current.version)
          })
        }
      })

    const history = (
      actor: Actor.Actor,
      record: QmsRecord,
      kind: HistoryKind,
      extra: {
        readonly transition?: { readonly name: string; readonly from: string; readonly to: string }
        readonly reason?: string | undefined
        readonly detail?: unknown
      } = {}
    ) =>
      Effect.gen(function* () {
        const id = yield* ids.next
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

    const auditAction = (type: string, what: string) => `${type}.${what.toLowerCase()}`

    let self: Service | undefined

    /** Audit event, history entry, bus event, hooks: what every command does after its write. */
    const recordChange = (
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
    ) =>
      Effect.gen(function* () {
        const record = change.record
        const event = yield* audit.append({
          action: auditInput.action,
          recordType: record.type,
          recordId: record.id,
          ...(auditInput.before !== undefined ? { before: auditInput.before } : {}),
          ...(auditInput.after !== undefined ? { after: auditInput.after } : {}),
          ...(auditInput.reason !== undefined ? { reason: auditInput.reason } : {}),
          ...(auditInput.correlationId !== undefined ? { correlationId: auditInput.correlationId } : {})
        })
        yield* history(actor, record, change.kind, {
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
        for (const h of hooks) {
          if (!RecordHooks.matches(h, full)) continue
          yield* h.run(full).pipe(Effect.provideService(Records, self!))
        }
      })

    // -------------------------------------------------------------- the command envelope

    const claim = <A, I>(
      tenantId: string,
      key: string,
      operation: string,
      requestHash: string,
      result: Schema.Schema<A, I>
    ) =>
      Effect.gen(function* () {
        const at = yield* now
        const claimed = yield* q.rows((db) =>
          db
            .insertInto("aw_record_idempotency")
            .values({
              tenant_id: tenantId,
              idempotency_key: key,
              operation,
              request_hash: requestHash,
              response: null,
              created_at: at
            })
            .onConflict((oc) => oc.doNothing())
            .returning("idempotency_key")
        )
        if (claimed.length > 0) return Option.none<A>()
        const existing = yield* q.one((db) =>
          db
            .selectFrom("aw_record_idempotency")
            .select(["request_hash", "response"])
            .where("tenant_id", "=", tenantId)
            .where("idempotency_key", "=", key)
        )
        if (existing.request_hash !== requestHash || existing.response === null) {
          return yield* new Errors.IdempotencyConflict({ key })
        }
        const replay = yield* Schema.decodeUnknown(result)(JSON.parse(existing.response)).pipe(
          Effect.mapError(
            (cause) =>
              new StorageError.StorageError({ reason: "query", message: `Unreadable idempotent response: ${cause}` })
          )
        )
        return Option.some(replay)
      })

    const publish = (changes: ReadonlyArray<Committed>) =>
      changes.length === 0 ? Effect.void : PubSub.publishAll(bus, changes)

    const inTransaction = <A, E, R2>(body: Effect.Effect<A, E, R2>) =>
      Effect.gen(function* () {
        const outer = yield* Effect.serviceOption(SqlClient.TransactionConnection)
        const parent = yield* Effect.serviceOption(Pending)
        const own = yield* Ref.make<ReadonlyArray<Committed>>([])
        const locked = Option.isNone(outer) && dialect === "sqlite" ? Effect.zipRight(writeLock, body) : body
        const a = yield* Query.transaction(Effect.provideService(locked, Pending, own))
        const changes = yield* Ref.get(own)
        if (Option.isSome(parent)) yield* Ref.update(parent.value, (xs) => [...xs, ...changes])
        else if (Option.isNone(outer)) yield* publish(changes)
        else if (changes.length > 0) {
          yield* Effect.logWarning(
            "Record commands ran inside a transaction not opened by Records.transaction; their bus events were not published"
          )
        }
        return a
      })

    const command = <A, I, E, R2>(
      actor: Actor.Actor,
      operation: string,
      options: { readonly idempotencyKey?: string | undefined; readonly request: unknown },
      result: Schema.Schema<A, I>,
      body: Effect.Effect<A, E, R2>
    ) => {
      const key = options.idempotencyKey
      if (key === undefined) return inTransaction(body)
      const requestHash = sha256(CanonicalJson.canonicalize({ operation, request: options.request }))
      return inTransaction(
        Effect.gen(function* () {
          const replay = yield* claim(actor.tenantId, key, operation, requestHash, result)
          if (Option.isSome(replay)) return replay.value
          const a = yield* body
          const response = JSON.stringify(yield* Schema.encode(result)(a).pipe(Effect.orDie))
          yield* q.exec((db) =>
            db
              .updateTable("aw_record_idempotency")
              .set({ response })
              .where("tenant_id", "=", actor.tenantId)
              .where("idempotency_key", "=", key)
          )
          return a
        })
      )
    }

    const verifySigner = (actor: Actor.Actor, recordId: string, signature: typeof SignatureInput.Type | undefined) =>
      signature === undefined
        ? Effect.void
        : signer.verify({ actor, credential: signature.credential, meaning: signature.meaning, recordId })

    const signatureRow = (actor: Actor.Actor, record: QmsRecord, meaning: string, transition: string | null) =>
      Effect.gen(function* () {
        const content = CanonicalJson.canonicalize(recordJson(record))
        const row: Store.SignatureRow = {
          tenant_id: actor.tenantId,
          id: yield* ids.next,
          record_id: record.id,
          record_version: record.version,
          signer_id: actor.actorId,
          signer_name: actor.displayName,
          meaning,
          transition,
          signed_at: yield* now,
          content_hash: sha256(content),
          content
        }
        yield* q.exec((db) => db.insertInto("aw_record_signatures").values(row))
        return { row, signature: Store.toSignature(row) }
      })

    /**
     * The command envelope: as `CurrentActor`, decode the input, run `check` (before the
     * transaction), then `body` as the transactional, idempotent command `operation`.
     */
    const commandOf =
      <In extends CommonInput, A, AI, E, R2, EC = never, RC = never>(
        operation: string,
        decode: (raw: unknown) => Effect.Effect<In, Errors.ValidationFailed>,
        result: Schema.Schema<A, AI>,
        body: (actor: Actor.Actor, input: In) => Effect.Effect<A, E, R2>,
        check?: (actor: Actor.Actor, input: In) => Effect.Effect<void, EC, RC>
      ) =>
      (raw: unknown) =>
        provided(
          Effect.gen(function* () {
            const actor = yield* Actor.CurrentActor
            const input = yield* decode(raw)
            if (check !== undefined) yield* check(actor, input)
            return yield* command(
              actor,
              operation,
              { idempotencyKey: input.idempotencyKey, request: requestOf(input) },
              result,
              body(actor, input)
            )
          })
        )

    /**
     * A side entry (comment, attachment, verification, approval, signature): written next to the
     * record, which it does not change. With an expected version (always, if `holdAlways`) the
     * record is held at the version read. The entry is the change's field and the audit's `after`.
     */
    const sideEntry = <In extends SideInput, A, AI, E, R2, EC = never, RC = never>(
      decode: (raw: unknown) => Effect.Effect<In, Errors.ValidationFailed>,
      spec: {
        readonly operation: string
        readonly result: Schema.Schema<A, AI>
        readonly permission: keyof RecordType.Permissions
        readonly kind: RecordHooks.Change["kind"]
        readonly holdAlways?: boolean
        readonly check?: (actor: Actor.Actor, input: In) => Effect.Effect<void, EC, RC>
        readonly write: (actor: Actor.Actor, record: QmsRecord, input: In) => Effect.Effect<A, E, R2>
        readonly entry: (created: A) => SideEntryField
        readonly detail: (created: A) => unknown
      }
    ) =>
      commandOf(
        spec.operation,
        decode,
        spec.result,
        (actor, input) =>
          Effect.gen(function* () {
            const { type, record } = yield* load(actor, input.id, spec.permission)
            yield* checkExpected(record, input.expectedVersion)
            if (spec.holdAlways || input.expectedVersion !== undefined) yield* holdVersion(actor.tenantId, record)
            const created = yield* spec.write(actor, record, input)
            yield* recordChange(
              actor,
              {
                kind: spec.kind,
                record,
                ...spec.entry(created),
                ...(input.reason !== undefined ? { reason: input.reason } : {}),
                ...(input.correlationId ? { correlationId: input.correlationId } : {})
              },
              {
                action: auditAction(type.name, spec.kind),
                after: spec.entry(created),
                reason: input.reason,
                correlationId: input.correlationId
              },
              spec.detail(created)
            )
            return created
          }),
        spec.check
      )

    /** A side-entry row with the next id and the current time, inserted; returns its model. */
    const insertEntry = <Row, A, E, R2>(
      build: (id: string, at: string) => Row,
      insert: (row: Row) => Effect.Effect<unknown, E, R2>,
      toModel: (row: Row) => A
    ) =>
      Effect.gen(function* () {
        const id = yield* ids.next
        const at = yield* now
        const row = build(id, at)
        yield* insert(row)
        return toModel(row)
      })

    // -------------------------------------------------------------- commands

    const decodeCreate = decodeWith(CreateInput)
    const create: Service["create"] = (raw) =>
      provided(
        Effect.gen(function* () {
          const actor = yield* Actor.CurrentActor
          const input = yield* decodeCreate(raw)
          const type = types.get(input.type)
          if (type === undefined) {
            return yield* invalid("type", `Unknown record type '${input.type}'; known: ${[...types.keys()].join(", ")}`)
          }
          yield* Policy.authorizeActor(actor, type.permissions.create)
          const decoded = yield* decodeWith(type.schema, { strict: true })(input.data, "data")
          const data = JSON.parse(JSON.stringify(yield* Schema.encode(type.schema)(decoded).pipe(Effect.orDie)))
          const title = type.title(decoded).trim().slice(0, 500)
          const dueAt = yield* normaliseDue(type.dueAt?.(decoded))
          return yield* command(
            actor,
            "create",
            { idempotencyKey: input.idempotencyKey, request: requestOf(input) },
            QmsRecord,
            Effect.gen(function* () {
              const id = yield* ids.next
              const at = yield* now
              const ref = yield* nextRef(actor.tenantId, type, at)
              const record = new QmsRecord(
                {
                  id,
                  type: type.name,
                  ref,
                  title,
                  state: type.workflow.initial,
                  version: 1,
                  ownerId: input.ownerId ?? null,
                  createdBy: actor.actorId,
                  createdAt: at,
                  updatedAt: at,
                  dueAt,
                  closedAt: null,
                  data
                },
                { disableValidation: true }
              )
              yield* q.exec((db) => db.insertInto("aw_records").values(Store.fromRecord(actor.tenantId, record)))
              yield* recordChange(
                actor,
                { kind: "created", record, ...(input.correlationId ? { correlationId: input.correlationId } : {}) },
                {
                  action: auditAction(type.name, "created"),
                  after: recordJson(record),
                  correlationId: input.correlationId
                }
              )
              return record
            })
          )
        })
      )

    // Reads one row with the layer's own services: nothing to provide, no transaction to open.
    const get: Service["get"] = (id) =>
      Effect.flatMap(Actor.CurrentActor, (actor) => Effect.map(load(actor, id), (loaded) => loaded.record))

    const decodeList = decodeWith(ListFilter)
    const list: Service["list"] = (raw = {}) =>
      provided(
        Effect.gen(function* () {
          const actor = yield* Actor.CurrentActor
          const filter = yield* decodeList(raw)
          const asList = (x: string | ReadonlyArray<string> | undefined) =>
            x === undefined ? undefined : typeof x === "string" ? [x] : x
          const wanted = asList(filter.type)
          for (const t of wanted ?? []) {
            const type = types.get(t)
            if (type === undefined) return yield* invalid("type", `Unknown record type '${t}'`)
            if (!readable(actor, type)) yield* Policy.authorizeActor(actor, type.permissions.read)
          }
          const visible = (wanted ?? [...types.keys()]).filter((t) => readable(actor, types.get(t)!))
          if (visible.length === 0) return { items: [], nextCursor: null }
          const states = asList(filter.state)
          const after = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor)
          if (filter.cursor !== undefined && after === undefined) {
            return yield* invalid("cursor", "This is not a cursor returned by list")
          }
          const limit = filter.limit ?? 50
          const desc = filter.order !== "asc"
          const text = filter.text?.trim().toLowerCase()
          const dueBefore = filter.dueBefore === undefined ? undefined : DateTime.formatIso(filter.dueBefore)
          const find = dialect === "pg" ? "strpos" : "instr"
          const rows = yield* q.rows((db) => {
            let query = db.selectFrom("aw_records").selectAll().where("tenant_id", "=", actor.tenantId)
            query = query.where("type", "in", visible)
            if (states !== undefined && states.length > 0) query = query.where("state", "in", states)
            if (filter.ownerId !== undefined) query = query.where("owner_id", "=", filter.ownerId)
            if (dueBefore !== undefined) query = query.where("due_at", "is not", null).where("due_at", "<", dueBefore)
            if (text !== undefined && text.length > 0) {
              query = query.where((eb) =>
                eb.or([
                  eb(eb.fn<number>(find, [eb.fn("lower", ["title"]), eb.val(text)]), ">", 0),
                  eb(eb.fn<number>(find, [eb.fn("lower", ["ref"]), eb.val(text)]), ">", 0)
                ])
              )
            }
            if (after !== undefined) query = query.where("id", desc ? "<" : ">", after)
            return query.orderBy("id", desc ? "desc" : "asc").limit(limit + 1)
          })
          const items = rows.slice(0, limit).map(Store.toRecord)
          return {
            items,
            nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.id) : null
          }
        })
      )

    const update: Service["update"] = commandOf("update", decodeWith(UpdateInput), QmsRecord, (actor, input) =>
      Effect.gen(function* () {
        const { type, record: before } = yield* load(actor, input.id, "update")
        yield* checkExpected(before, input.expectedVersion)
        const merged = mergePatch(before.data, input.data)
        const paths = AuditEvent.diff(before.data as AuditEvent.Json, merged as AuditEvent.Json).map((d) => d.path)
        if (paths.length === 0) return before
        yield* Workflow.checkEditable(type.workflow, before.state, paths).pipe(
          Effect.mapError(
            (e) => new Errors.ValidationFailed({ issues: e.issues.map((i) => ({ ...i, path: `data.${i.path}` })) })
          )
        )
        const decoded = yield* decodeWith(type.schema, { strict: true })(merged, "data")
        const data = JSON.parse(JSON.stringify(yield* Schema.encode(type.schema)(decoded).pipe(Effect.orDie)))
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
        yield* writeRecord(actor.tenantId, before, after)
        yield* recordChange(
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
            before: recordJson(before),
            after: recordJson(after),
            reason: input.reason,
            correlationId: input.correlationId
          },
          { paths }
        )
        return after
      })
    )

    const assign: Service["assign"] = commandOf("assign", decodeWith(AssignInput), QmsRecord, (actor, input) =>
      Effect.gen(function* () {
        const { type, record: before } = yield* load(actor, input.id, "assign")
        yield* checkExpected(before, input.expectedVersion)
        if (before.ownerId === input.ownerId) return before
        const after = new QmsRecord(
          { ...before, ownerId: input.ownerId, version: before.version + 1, updatedAt: yield* now },
          { disableValidation: true }
        )
        yield* writeRecord(actor.tenantId, before, after)
        yield* recordChange(
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
            before: recordJson(before),
            after: recordJson(after),
            reason: input.reason,
            correlationId: input.correlationId
          },
          { from: before.ownerId, to: after.ownerId }
        )
        return after
      })
    )

    const transition: Service["transition"] = commandOf(
      "transition",
      decodeWith(TransitionInput),
      QmsRecord,
      (actor, input) =>
        Effect.gen(function* () {
          const { type, record: before } = yield* load(actor, input.id)
          yield* checkExpected(before, input.expectedVersion)
          const t = Workflow.findTransition(type.workflow, before.state, input.transition)
          const commandInput: Guard.CommandInput = {
            ...(input.reason !== undefined ? { reason: input.reason } : {}),
            ...(input.signature !== undefined ? { signature: { meaning: input.signature.meaning } } : {})
          }
          const ctx = yield* guardContext(actor, before, t?.guards ?? [], commandInput)
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
          yield* writeRecord(actor.tenantId, before, after)
          // The signature binds to the version the signer saw and acted on.
          const signed =
            input.signature === undefined
              ? undefined
              : (yield* signatureRow(actor, before, input.signature.meaning, step.transition)).signature
          const moved = { name: step.transition, from: step.from, to: step.to }
          yield* recordChange(
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
              before: recordJson(before),
              after: recordJson(after),
              reason: input.reason,
              correlationId: input.correlationId
            },
            signed === undefined ? undefined : { signatureId: signed.id, meaning: signed.meaning }
          )
          return after
        }),
      (actor, input) => verifySigner(actor, input.id, input.signature)
    )

    const available: Service["available"] = (id) =>
      provided(
        Effect.gen(function* () {
          const actor = yield* Actor.CurrentActor
          const { type, record } = yield* load(actor, id)
          const leaving = Workflow.transitionsFrom(type.workflow, record.state)
          const ctx = yield* guardContext(
            actor,
            record,
            leaving.flatMap((t) => t.guards),
            {}
          )
          return yield* Workflow.available(type.workflow, ctx)
        })
      )

    const historyOf: Service["history"] = (id) =>
      provided(
        Effect.gen(function* () {
          const actor = yield* Actor.CurrentActor
          yield* load(actor, id)
          const rows = yield* q.rows((db) =>
            db
              .selectFrom("aw_record_history")
              .selectAll()
              .where("tenant_id", "=", actor.tenantId)
              .where("record_id", "=", id)
              .orderBy("id")
          )
          return rows.map(Store.toHistory)
        })
      )

    // -------------------------------------------------------------- links

    const decodeLink = decodeWith(LinkInput)

    const loadPair = (actor: Actor.Actor, input: typeof LinkInput.Type) =>
      Effect.gen(function* () {
        const from = yield* load(actor, input.from, "link")
        const to = yield* load(actor, input.to)
        const kind = linkKinds.get(input.kind)
        if (kind === undefined) {
          const known = [...linkKinds.keys()]
          return yield* invalid(
            "kind",
            `Unknown link kind '${input.kind}'; known: ${known.length === 0 ? "none" : known.join(", ")}`
          )
        }
        if (kind.from !== undefined && !kind.from.includes(from.type.name)) {
          return yield* invalid("from", `A ${input.kind} link cannot start at a ${from.type.name}`)
        }
        if (kind.to !== undefined && !kind.to.includes(to.type.name)) {
          return yield* invalid("to", `A ${input.kind} link cannot point to a ${to.type.name}`)
        }
        if (input.from === input.to) return yield* invalid("to", "A record cannot be linked to itself")
        return { from, to }
      })

    const activeLink = (tenantId: string, input: typeof LinkInput.Type) =>
      q.maybe((db) =>
        db
          .selectFrom("aw_record_links")
          .selectAll()
          .where("tenant_id", "=", tenantId)
          .where("from_id", "=", input.from)
          .where("kind", "=", input.kind)
          .where("to_id", "=", input.to)
          .where("removed_at", "is", null)
      )

    const linkChanges = (
      actor: Actor.Actor,
      kind: "linked" | "unlinked",
      ends: { readonly from: { readonly record: QmsRecord }; readonly to: { readonly record: QmsRecord } },
      link: Link,
      correlationId: string | undefined
    ) =>
      Effect.forEach(
        [ends.from.record, ends.to.record],
        (record) =>
          recordChange(
            actor,
            { kind, record, link, ...(correlationId ? { correlationId } : {}) },
            {
              action: auditAction(record.type, kind),
              ...(kind === "linked" ? { after: { link } } : { before: { link } }),
              correlationId
            },
            { linkId: link.id, kind: link.kind, from: link.fromId, to: link.toId }
          ),
        { discard: true }
      )

    const link: Service["link"] = commandOf("link", decodeLink, Link, (actor, input) =>
      Effect.gen(function* () {
        const ends = yield* loadPair(actor, input)
        const existing = yield* activeLink(actor.tenantId, input)
        if (Option.isSome(existing)) return Store.toLink(existing.value)
        const row: Store.LinkRow = {
          tenant_id: actor.tenantId,
          id: yield* ids.next,
          kind: input.kind,
          from_id: input.from,
          to_id: input.to,
          created_by: actor.actorId,
          created_at: yield* now,
          removed_by: null,
          removed_at: null
        }
        yield* q.exec((db) => db.insertInto("aw_record_links").values(row))
        const created = Store.toLink(row)
        yield* linkChanges(actor, "linked", ends, created, input.correlationId)
        return created
      })
    )

    const unlink: Service["unlink"] = commandOf("unlink", decodeLink, Link, (actor, input) =>
      Effect.gen(function* () {
        const ends = yield* loadPair(actor, input)
        const existing = yield* activeLink(actor.tenantId, input)
        if (Option.isNone(existing)) {
          return yield* new Errors.NotFound({ entity: "link", id: `${input.from} ${input.kind} ${input.to}` })
        }
        const at = yield* now
        yield* q.exec((db) =>
          db
            .updateTable("aw_record_links")
            .set({ removed_at: at, removed_by: actor.actorId })
            .where("tenant_id", "=", actor.tenantId)
            .where("id", "=", existing.value.id)
        )
        const removed = Store.toLink({ ...existing.value, removed_at: at, removed_by: actor.actorId })
        yield* linkChanges(actor, "unlinked", ends, removed, input.correlationId)
        return removed
      })
    )

    const links: Service["links"] = (id, filter = {}) =>
      provided(
        Effect.gen(function* () {
          const actor = yield* Actor.CurrentActor
          yield* load(actor, id)
          const out: Array<LinkView> = []
          for (const direction of ["out", "in"] as const) {
            if (filter.direction !== undefined && filter.direction !== direction) continue
            const rows = yield* q.rows((db) => {
              let query = db
                .selectFrom("aw_record_links as l")
                .innerJoin("aw_records as r", (j) =>
                  j
                    .onRef("r.tenant_id", "=", "l.tenant_id")
                    .onRef("r.id", "=", direction === "out" ? "l.to_id" : "l.from_id")
                )
                .selectAll("l")
                .select([
                  "r.type as other_type",
                  "r.ref as other_ref",
                  "r.title as other_title",
                  "r.state as other_state"
                ])
                .where("l.tenant_id", "=", actor.tenantId)
                .where(direction === "out" ? "l.from_id" : "l.to_id", "=", id)
                .where("l.removed_at", "is", null)
              if (filter.kind !== undefined) query = query.where("l.kind", "=", filter.kind)
              return query.orderBy("l.id")
            })
            for (const r of rows) {
              out.push({
                link: Store.toLink(r),
                direction,
                other: {
                  id: direction === "out" ? r.to_id : r.from_id,
                  type: r.other_type,
                  ref: r.other_ref,
                  title: r.other_title,
                  state: r.other_state
                }
              })
            }
          }
          return out
        })
      )

    // -------------------------------------------------------------- sidecar entries

    const listOf =
      <Row, A>(
        table:
          | "aw_record_comments"
          | "aw_record_attachments"
          | "aw_record_verifications"
          | "aw_record_approvals"
          | "aw_record_signatures",
        toModel: (row: Row) => A
      ) =>
      (id: string) =>
        provided(
          Effect.gen(function* () {
            const actor = yield* Actor.CurrentActor
            yield* load(actor, id)
            const rows = yield* q.rows((db) =>
              db
                .selectFrom(table)
                .selectAll()
                .where("tenant_id", "=", actor.tenantId)
                .where("record_id", "=", id)
                .orderBy("id")
            )
            return (rows as unknown as ReadonlyArray<Row>).map(toModel)
          })
        )

    const comment: Service["comment"] = sideEntry(decodeWith(CommentInput), {
      operation: "comment",
      result: Comment,
      permission: "comment",
      kind: "commented",
      write: (actor, record, input) =>
        insertEntry(
          (id, at): Store.CommentRow => ({
            tenant_id: actor.tenantId,
            id,
            record_id: record.id,
            body: input.body,
            author_id: actor.actorId,
            author_name: actor.displayName,
            created_at: at
          }),
          (row) => q.exec((db) => db.insertInto("aw_record_comments").values(row)),
          Store.toComment
        ),
      entry: (comment) => ({ comment }),
      detail: (comment) => ({ commentId: comment.id })
    })

    const attach: Service["attach"] = sideEntry(decodeWith(AttachInput), {
      operation: "attach",
      result: Attachment,
      permission: "attach",
      kind: "attached",
      write: (actor, record, input) =>
        insertEntry(
          (id, at): Store.AttachmentRow => ({
            tenant_id: actor.tenantId,
            id,
            record_id: record.id,
            kind: input.kind,
            name: input.name,
            media_type: input.mediaType,
            size_bytes: input.size,
            sha256: input.sha256,
            added_by: actor.actorId,
            added_at: at
          }),
          (row) => q.exec((db) => db.insertInto("aw_record_attachments").values(row)),
          Store.toAttachment
        ),
      entry: (attachment) => ({ attachment }),
      detail: (attachment) => ({ attachmentId: attachment.id, kind: attachment.kind, name: attachment.name })
    })

    const recordVerification: Service["recordVerification"] = sideEntry(decodeWith(VerificationInput), {
      operation: "verification",
      result: Verification,
      permission: "verify",
      kind: "verification_recorded",
      write: (actor, record, input) =>
        insertEntry(
          (id, at): Store.VerificationRow => ({
            tenant_id: actor.tenantId,
            id,
            record_id: record.id,
            record_version: record.version,
            result: input.result,
            note: input.note ?? null,
            verified_by: actor.actorId,
            verified_at: at
          }),
          (row) => q.exec((db) => db.insertInto("aw_record_verifications").values(row)),
          Store.toVerification
        ),
      entry: (verification) => ({ verification }),
      detail: (verification) => ({ verificationId: verification.id, result: verification.result })
    })

    const approve: Service["approve"] = sideEntry(decodeWith(ApproveInput), {
      operation: "approve",
      result: Approval,
      permission: "approve",
      kind: "approved",
      write: (actor, record, input) =>
        insertEntry(
          (id, at): Store.ApprovalRow => ({
            tenant_id: actor.tenantId,
            id,
            record_id: record.id,
            record_version: record.version,
            note: input.note ?? null,
            approved_by: actor.actorId,
            approved_at: at
          }),
          (row) => q.exec((db) => db.insertInto("aw_record_approvals").values(row)),
          Store.toApproval
        ),
      entry: (approval) => ({ approval }),
      detail: (approval) => ({ approvalId: approval.id })
    })

    // A signature always holds the record at the version signed.
    const sign: Service["sign"] = sideEntry(decodeWith(SignInput), {
      operation: "sign",
      result: Signature,
      permission: "sign",
      kind: "signed",
      holdAlways: true,
      check: (actor, input) =>
        verifySigner(actor, input.id, {
          meaning: input.meaning,
          ...(input.credential ? { credential: input.credential } : {})
        }),
      write: (actor, record, input) =>
        Effect.map(signatureRow(actor, record, input.meaning, null), ({ signature }) => signature),
      entry: (signature) => ({ signature }),
      detail: (signature) => ({ signatureId: signature.id, meaning: signature.meaning })
    })

    const verifySignatures: Service["verifySignatures"] = (id) =>
      provided(
        Effect.gen(function* () {
          const actor = yield* Actor.CurrentActor
          const { record } = yield* load(actor, id)
          const rows = yield* q.rows((db) =>
            db
              .selectFrom("aw_record_signatures")
              .selectAll()
              .where("tenant_id", "=", actor.tenantId)
              .where("record_id", "=", id)
              .orderBy("id")
          )
          const currentHash = sha256(CanonicalJson.canonicalize(recordJson(record)))
          return rows.map((r) => {
            const intact = sha256(r.content) === r.content_hash
            return {
              signature: Store.toSignature(r),
              intact,
              current: intact && Number(r.record_version) === record.version && r.content_hash === currentHash
            }
          })
        })
      )

    const transaction: Service["transaction"] = <A, E, R2>(body: Effect.Effect<A, E, R2>) =>
      Effect.flatMap(Effect.serviceOption(Pending), (parent) =>
        Option.isSome(parent) ? Query.transaction(body) : provided(inTransaction(body))
      ) as Effect.Effect<A, E | StorageError.StorageError, R2 | SqlClient.SqlClient>

    const service: Service = {
      types: [...types.values()],
      create,
      get,
      list,
      update,
      assign,
      transition,
      available,
      history: historyOf,
      link,
      unlink,
      links,
      comment,
      comments: listOf("aw_record_comments", Store.toComment),
      attach,
      attachments: listOf("aw_record_attachments", Store.toAttachment),
      recordVerification,
      verifications: listOf("aw_record_verifications", Store.toVerification),
      approve,
      approvals: listOf("aw_record_approvals", Store.toApproval),
      sign,
      signatures: listOf("aw_record_signatures", Store.toSignature),
      verifySignatures,
      transaction,
      subscribe: PubSub.subscribe(bus)
    }
    self = service
    return service
  })
}

/**
 * The records runtime for the given record types and link kinds. Run `AuditMigrations.migrations`
 * and `RecordsMigrations.migrations` first.
 * @since 0.1.0
 * @category layers
 */
export const layer = <R = never>(config: Config<R>): Layer.Layer<Records, never, Requirements | R> =>
  Layer.scoped(Records, make(config))

// ---------------------------------------------------------------------------------------------
// Accessors
// ---------------------------------------------------------------------------------------------

/**
 * Creates a record in its workflow's initial state, with the next reference of its type.
 * @since 0.1.0
 * @category accessors
 */
export const create = (input: CreateInput): Effect.Effect<QmsRecord, CommandError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.create(input))

/**
 * A record of the actor's tenant (`NotFound` for another tenant's).
 * @since 0.1.0
 * @category accessors
 */
export const get = (id: string): Effect.Effect<QmsRecord, ReadError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.get(id))

/**
 * Records of the actor's tenant, filtered, newest first, in keyset pages.
 * @since 0.1.0
 * @category accessors
 */
export const list = (
  filter?: ListFilter
): Effect.Effect<Page, Errors.ValidationFailed | ReadError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.list(filter))

/**
 * Changes data fields the current state allows.
 * @since 0.1.0
 * @category accessors
 */
export const update = (input: UpdateInput): Effect.Effect<QmsRecord, CommandError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.update(input))

/**
 * Gives a record an owner.
 * @since 0.1.0
 * @category accessors
 */
export const assign = (input: AssignInput): Effect.Effect<QmsRecord, CommandError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.assign(input))

/**
 * Takes a workflow transition; `GuardsFailed` lists every unmet requirement.
 * @since 0.1.0
 * @category accessors
 */
export const transition = (
  input: TransitionInput
): Effect.Effect<QmsRecord, CommandError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.transition(input))

/**
 * The next steps of a record, each with what blocks it.
 * @since 0.1.0
 * @category accessors
 */
export const available = (
  id: string
): Effect.Effect<ReadonlyArray<Workflow.Availability>, ReadError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.available(id))

/**
 * What happened to a record, oldest first.
 * @since 0.1.0
 * @category accessors
 */
export const history = (
  id: string
): Effect.Effect<ReadonlyArray<HistoryEntry>, ReadError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.history(id))

/**
 * Links two records with a declared kind (an existing identical link is returned as is).
 * @since 0.1.0
 * @category accessors
 */
export const link = (input: LinkInput): Effect.Effect<Link, CommandError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.link(input))

/**
 * Removes a link (kept, marked removed).
 * @since 0.1.0
 * @category accessors
 */
export const unlink = (input: LinkInput): Effect.Effect<Link, CommandError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.unlink(input))

/**
 * The active links of a record, both directions unless filtered.
 * @since 0.1.0
 * @category accessors
 */
export const links = (
  id: string,
  filter?: LinksFilter
): Effect.Effect<ReadonlyArray<LinkView>, ReadError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.links(id, filter))

/**
 * Comments on a record.
 * @since 0.1.0
 * @category accessors
 */
export const comment = (input: CommentInput): Effect.Effect<Comment, CommandError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.comment(input))

/**
 * A record's comments, oldest first.
 * @since 0.1.0
 * @category accessors
 */
export const comments = (id: string): Effect.Effect<ReadonlyArray<Comment>, ReadError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.comments(id))

/**
 * Attaches a file's metadata to a record.
 * @since 0.1.0
 * @category accessors
 */
export const attach = (input: AttachInput): Effect.Effect<Attachment, CommandError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.attach(input))

/**
 * A record's attachments.
 * @since 0.1.0
 * @category accessors
 */
export const attachments = (
  id: string
): Effect.Effect<ReadonlyArray<Attachment>, ReadError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.attachments(id))

/**
 * Records a verification and its result.
 * @since 0.1.0
 * @category accessors
 */
export const recordVerification = (
  input: VerificationInput
): Effect.Effect<Verification, CommandError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.recordVerification(input))

/**
 * A record's verifications.
 * @since 0.1.0
 * @category accessors
 */
export const verifications = (
  id: string
): Effect.Effect<ReadonlyArray<Verification>, ReadError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.verifications(id))

/**
 * Records an approval.
 * @since 0.1.0
 * @category accessors
 */
export const approve = (input: ApproveInput): Effect.Effect<Approval, CommandError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.approve(input))

/**
 * A record's approvals.
 * @since 0.1.0
 * @category accessors
 */
export const approvals = (
  id: string
): Effect.Effect<ReadonlyArray<Approval>, ReadError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.approvals(id))

/**
 * Signs a record electronically after re-authenticating the signer.
 * @since 0.1.0
 * @category accessors
 */
export const sign = (input: SignInput): Effect.Effect<Signature, CommandError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.sign(input))

/**
 * A record's signatures.
 * @since 0.1.0
 * @category accessors
 */
export const signatures = (
  id: string
): Effect.Effect<ReadonlyArray<Signature>, ReadError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.signatures(id))

/**
 * Re-checks every signature of a record against its bound content.
 * @since 0.1.0
 * @category accessors
 */
export const verifySignatures = (
  id: string
): Effect.Effect<ReadonlyArray<SignatureCheck>, ReadError, Records | Actor.CurrentActor> =>
  Effect.flatMap(Records, (s) => s.verifySignatures(id))

/**
 * Runs several commands in one transaction; bus events are published after it commits.
 * @since 0.1.0
 * @category accessors
 */
export const transaction = <A, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, E | StorageError.StorageError, R | Records | SqlClient.SqlClient> =>
  Effect.flatMap(Records, (s) => s.transaction(self))

/**
 * Subscribes to committed changes; the subscription ends with the scope.
 * @since 0.1.0
 * @category accessors
 */
export const subscribe: Effect.Effect<Queue.Dequeue<Committed>, never, Records | Scope.Scope> = Effect.flatMap(
  Records,
  (s) => s.subscribe
)

/**
 * Committed changes as a stream (subscribed when the stream starts).
 * @since 0.1.0
 * @category accessors
 */
export const changes: Stream.Stream<Committed, never, Records> = Stream.unwrapScoped(
  Effect.map(subscribe, (queue) => Stream.fromQueue(queue))
)
