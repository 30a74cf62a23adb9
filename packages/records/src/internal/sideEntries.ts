// Side entries of a record (comments, attachments, verifications, approvals, signatures): written
// next to the record, which they do not change, and listed oldest first.
import { Actor, Errors } from "@airworthy/core"
import { Query, StorageError } from "@airworthy/storage"
import { Effect, Option, type Schema } from "effect"
import { Approval, Attachment, Comment, type QmsRecord, Signature, Verification } from "../QmsRecord.js"
import type * as RecordHooks from "../RecordHooks.js"
import type * as RecordType from "../RecordType.js"
import { auditAction, checkExpected, commandOf, holdVersion, load, recordChange } from "./envelope.js"
import {
  ApproveInput,
  AttachInput,
  CommentInput,
  decodeWith,
  type SideInput,
  SignInput,
  VerificationInput
} from "./inputs.js"
import { type Method, now, provided, type Runtime, type SqlServices } from "./runtime.js"
import { insertSignature, verifySigner } from "./signatures.js"
import * as Store from "./store.js"

const q = Query.make<Store.Tables>()

/** The field naming a side entry, in the hook change and the audit event's `after`. */
type SideEntryField = Pick<RecordHooks.Change, "comment" | "attachment" | "verification" | "approval" | "signature">

/**
 * A side-entry command. With an expected version (always, if `holdAlways`) the record is held at
 * the version read. The entry is the change's field and the audit's `after`.
 */
const sideEntry = <In extends SideInput, A, AI, E, R, EC = never, RC = never>(
  decode: (raw: unknown) => Effect.Effect<In, Errors.ValidationFailed>,
  spec: {
    readonly operation: string
    readonly result: Schema.Schema<A, AI>
    readonly permission: keyof RecordType.Permissions
    readonly kind: RecordHooks.Change["kind"]
    readonly holdAlways?: boolean
    readonly check?: (runtime: Runtime, actor: Actor.Actor, input: In) => Effect.Effect<void, EC, RC>
    readonly write: (runtime: Runtime, actor: Actor.Actor, record: QmsRecord, input: In) => Effect.Effect<A, E, R>
    readonly entry: (created: A) => SideEntryField
    readonly detail: (created: A) => unknown
  }
) =>
  commandOf(
    spec.operation,
    decode,
    spec.result,
    (runtime, actor, input) =>
      Effect.gen(function* () {
        const { type, record } = yield* load(runtime, actor, input.id, spec.permission)
        yield* checkExpected(record, input.expectedVersion)
        if (spec.holdAlways || input.expectedVersion !== undefined) yield* holdVersion(runtime, actor.tenantId, record)
        const created = yield* spec.write(runtime, actor, record, input)
        yield* recordChange(
          runtime,
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
const insertEntry = <Row, A, E, R>(
  runtime: Runtime,
  build: (id: string, at: string) => Row,
  insert: (row: Row) => Effect.Effect<unknown, E, R>,
  toModel: (row: Row) => A
) =>
  Effect.gen(function* () {
    const id = yield* runtime.ids.next
    const at = yield* now
    const row = build(id, at)
    yield* insert(row)
    return toModel(row)
  })

/** The entries of one table for a record the actor may read, oldest first. */
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
  (runtime: Runtime, id: string) =>
    provided(
      runtime,
      Effect.gen(function* () {
        const actor = yield* Actor.CurrentActor
        yield* load(runtime, actor, id)
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

export const comment: Method<"comment"> = sideEntry(decodeWith(CommentInput), {
  operation: "comment",
  result: Comment,
  permission: "comment",
  kind: "commented",
  write: (runtime, actor, record, input) =>
    insertEntry(
      runtime,
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

// The attachment a new version supersedes must be one of the record's, not superseded yet (versions
// form a chain, never a fork).
export const checkSupersedes = (
  tenantId: string,
  recordId: string,
  supersedes: string | undefined
): Effect.Effect<void, Errors.ValidationFailed | StorageError.StorageError, SqlServices> =>
  Effect.gen(function* () {
    if (supersedes === undefined) return
    const refuse = (message: string) =>
      Effect.fail(new Errors.ValidationFailed({ issues: [{ path: "supersedes", message }] }))
    const previous = yield* q.maybe((db) =>
      db
        .selectFrom("aw_record_attachments")
        .select(["id", "record_id"])
        .where("tenant_id", "=", tenantId)
        .where("id", "=", supersedes)
    )
    if (Option.isNone(previous) || previous.value.record_id !== recordId)
      return yield* refuse("Not an attachment of this record")
    const successor = yield* q.maybe((db) =>
      db
        .selectFrom("aw_record_attachments")
        .select("id")
        .where("tenant_id", "=", tenantId)
        .where("supersedes", "=", supersedes)
    )
    if (Option.isSome(successor))
      return yield* refuse(`Already superseded by attachment ${successor.value.id}: supersede the newest version`)
  })

const attachWith = (hasContent: boolean): Method<"attach"> =>
  sideEntry(decodeWith(AttachInput), {
    operation: "attach",
    result: Attachment,
    permission: "attach",
    kind: "attached",
    write: (runtime, actor, record, input) =>
      Effect.zipRight(
        checkSupersedes(actor.tenantId, record.id, input.supersedes),
        insertEntry(
          runtime,
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
            added_at: at,
            supersedes: input.supersedes ?? null,
            has_content: hasContent ? 1 : 0
          }),
          (row) =>
            q
              .exec((db) => db.insertInto("aw_record_attachments").values(row))
              .pipe(
                // Two new versions of one attachment at once: the second finds the first's successor.
                Effect.catchIf(StorageError.isConstraint, () =>
                  Effect.fail(
                    new Errors.ValidationFailed({
                      issues: [{ path: "supersedes", message: "Already superseded: supersede the newest version" }]
                    })
                  )
                )
              ),
          Store.toAttachment
        )
      ),
    entry: (attachment) => ({ attachment }),
    detail: (attachment) => ({
      attachmentId: attachment.id,
      kind: attachment.kind,
      name: attachment.name,
      size: attachment.size,
      sha256: attachment.sha256,
      ...(attachment.supersedes !== null ? { supersedes: attachment.supersedes } : {}),
      hasContent: attachment.hasContent
    })
  })

export const attach: Method<"attach"> = attachWith(false)

/** `attach` for content already in the BlobStore (only `upload` calls it, after storing the bytes). */
export const attachStored: Method<"attach"> = attachWith(true)

export const recordVerification: Method<"recordVerification"> = sideEntry(decodeWith(VerificationInput), {
  operation: "verification",
  result: Verification,
  permission: "verify",
  kind: "verification_recorded",
  write: (runtime, actor, record, input) =>
    insertEntry(
      runtime,
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

export const approve: Method<"approve"> = sideEntry(decodeWith(ApproveInput), {
  operation: "approve",
  result: Approval,
  permission: "approve",
  kind: "approved",
  write: (runtime, actor, record, input) =>
    insertEntry(
      runtime,
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
export const sign: Method<"sign"> = sideEntry(decodeWith(SignInput), {
  operation: "sign",
  result: Signature,
  permission: "sign",
  kind: "signed",
  holdAlways: true,
  check: (runtime, actor, input) =>
    verifySigner(runtime, actor, input.id, {
      meaning: input.meaning,
      ...(input.credential ? { credential: input.credential } : {})
    }),
  write: (runtime, actor, record, input) => insertSignature(runtime, actor, record, input.meaning, null),
  entry: (signature) => ({ signature }),
  detail: (signature) => ({ signatureId: signature.id, meaning: signature.meaning })
})

export const comments: Method<"comments"> = listOf("aw_record_comments", Store.toComment)
export const attachments: Method<"attachments"> = listOf("aw_record_attachments", Store.toAttachment)
export const verifications: Method<"verifications"> = listOf("aw_record_verifications", Store.toVerification)
export const approvals: Method<"approvals"> = listOf("aw_record_approvals", Store.toApproval)
export const signatures: Method<"signatures"> = listOf("aw_record_signatures", Store.toSignature)
