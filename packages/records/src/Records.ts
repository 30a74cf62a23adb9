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
import type { AuditLog } from "@airworthy/audit"
import type { Actor, Errors, Ids, Policy, Workflow } from "@airworthy/core"
import type { BlobStore, Storage, StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Context, Effect, Layer, PubSub, type Queue, type Scope, Stream } from "effect"
import type * as AttachmentContent from "./AttachmentContent.js"
import * as AttachmentContentOps from "./internal/attachmentContent.js"
import * as Commands from "./internal/commands.js"
import * as Inputs from "./internal/inputs.js"
import * as Links from "./internal/links.js"
import * as Reads from "./internal/reads.js"
import * as Runtime from "./internal/runtime.js"
import * as SideEntries from "./internal/sideEntries.js"
import * as Signatures from "./internal/signatures.js"
import * as Transaction from "./internal/transaction.js"
import type {
  Approval,
  Attachment,
  Comment,
  HistoryEntry,
  Link,
  LinkView,
  Page,
  QmsRecord,
  Signature,
  Verification
} from "./QmsRecord.js"
import type { Committed } from "./RecordEvent.js"
import type * as RecordHooks from "./RecordHooks.js"
import type * as RecordType from "./RecordType.js"
import type { SignerVerification } from "./SignerVerification.js"

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
 * Upload a file's content as a new attachment: `name` (the file name; a path is cut to its last
 * segment), `kind` (default `document`), `mediaType` (checked against the bytes; recognised from them
 * when absent), `sha256` (when given, the content must hash to it), `supersedes` (the attachment this
 * is a new version of).
 * @since 0.1.0
 * @category inputs
 */
export const UploadInput = Inputs.UploadInput
/** @since 0.1.0 @category inputs */
export type UploadInput = typeof UploadInput.Encoded

/**
 * What an upload may fail with: a command's errors, the BlobStore's (`content_hash_mismatch` 422,
 * `content_too_large` 413) and `ContentRefused` (media type not allowed 415, contradicting the bytes 422).
 * @since 0.1.0
 * @category errors
 */
export type UploadError = CommandError | BlobStore.BlobError | AttachmentContent.ContentRefused

/**
 * An attachment's content, ready to stream: `range` is the part `stream` gives (the whole content
 * when none was asked for), `size` the whole content's.
 * @since 0.1.0
 * @category models
 */
export interface Content {
  readonly attachment: Attachment
  readonly size: number
  readonly range: BlobStore.Range
  readonly stream: Stream.Stream<Uint8Array, BlobStore.BlobError>
}

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
  /** Attachment content: largest upload (per tenant) and allowed media types. */
  readonly attachments?: AttachmentContent.Settings
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
  /**
   * Streams a file into the `BlobStore` and attaches it (one command: audit event, history, hooks).
   * The actor's `attach` permission on the record is checked before a byte is read.
   */
  readonly upload: <E>(
    input: UploadInput,
    content: Stream.Stream<Uint8Array, E>
  ) => Effect.Effect<Attachment, UploadError | E, Actor.CurrentActor | BlobStore.BlobStore>
  /** One attachment of a record the actor may read. */
  readonly attachment: (
    recordId: string,
    attachmentId: string
  ) => Effect.Effect<Attachment, ReadError, Actor.CurrentActor>
  /**
   * An attachment's content (or a range of it); `ContentMissing` for a metadata-only attachment,
   * `BlobError` `invalid_range` for a range outside it.
   */
  readonly content: (
    recordId: string,
    attachmentId: string,
    range?: BlobStore.Range
  ) => Effect.Effect<
    Content,
    ReadError | AttachmentContent.ContentMissing | BlobStore.BlobError,
    Actor.CurrentActor | BlobStore.BlobStore
  >
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
  Runtime.checkConfig(config as Config<unknown>)
  return Effect.gen(function* () {
    // Hooks are given the service built just below; no hook runs before `make` has returned it.
    const runtime = yield* Runtime.make(config, (effect) => Effect.provideService(effect, Records, service))
    const service: Service = {
      types: [...runtime.types.values()],
      create: (input) => Commands.create(runtime, input),
      get: (id) => Reads.get(runtime, id),
      list: (filter) => Reads.list(runtime, filter),
      update: (input) => Commands.update(runtime, input),
      assign: (input) => Commands.assign(runtime, input),
      transition: (input) => Commands.transition(runtime, input),
      available: (id) => Commands.available(runtime, id),
      history: (id) => Reads.history(runtime, id),
      link: (input) => Links.link(runtime, input),
      unlink: (input) => Links.unlink(runtime, input),
      links: (id, filter) => Links.links(runtime, id, filter),
      comment: (input) => SideEntries.comment(runtime, input),
      comments: (id) => SideEntries.comments(runtime, id),
      attach: (input) => SideEntries.attach(runtime, input),
      attachments: (id) => SideEntries.attachments(runtime, id),
      upload: (input, content) => AttachmentContentOps.upload(runtime, input, content),
      attachment: (recordId, attachmentId) => AttachmentContentOps.attachment(runtime, recordId, attachmentId),
      content: (recordId, attachmentId, range) => AttachmentContentOps.content(runtime, recordId, attachmentId, range),
      recordVerification: (input) => SideEntries.recordVerification(runtime, input),
      verifications: (id) => SideEntries.verifications(runtime, id),
      approve: (input) => SideEntries.approve(runtime, input),
      approvals: (id) => SideEntries.approvals(runtime, id),
      sign: (input) => SideEntries.sign(runtime, input),
      signatures: (id) => SideEntries.signatures(runtime, id),
      verifySignatures: (id) => Signatures.verifySignatures(runtime, id),
      transaction: (body) => Transaction.transaction(runtime, body),
      subscribe: PubSub.subscribe(runtime.bus)
    }
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

// Effect's own accessors: each gets the service from the context and calls its method.
const { functions, constants } = Effect.serviceMembers(Records)

/**
 * Creates a record in its workflow's initial state, with the next reference of its type.
 * @since 0.1.0
 * @category accessors
 */
export const create = functions.create

/**
 * A record of the actor's tenant (`NotFound` for another tenant's).
 * @since 0.1.0
 * @category accessors
 */
export const get = functions.get

/**
 * Records of the actor's tenant, filtered, newest first, in keyset pages.
 * @since 0.1.0
 * @category accessors
 */
export const list = functions.list

/**
 * Changes data fields the current state allows.
 * @since 0.1.0
 * @category accessors
 */
export const update = functions.update

/**
 * Lets the updates inside `effect` change these data fields whatever the workflow's `editable` lists
 * say. For domain commands that own a field (a finding's level, which re-derives its due date and
 * needs a reason): the generic update refuses the field, the domain command unlocks it. No input
 * can unlock a field; the record type's schema still validates it.
 *
 * ```ts
 * Records.update({ id, data: { level: "2", dueAt }, reason }).pipe(Records.unlocking(["level", "dueAt"]))
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const unlocking =
  (fields: ReadonlyArray<string>) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locally(effect, Commands.unlockedFields, fields)

/**
 * Gives a record an owner.
 * @since 0.1.0
 * @category accessors
 */
export const assign = functions.assign

/**
 * Takes a workflow transition; `GuardsFailed` lists every unmet requirement.
 * @since 0.1.0
 * @category accessors
 */
export const transition = functions.transition

/**
 * The next steps of a record, each with what blocks it.
 * @since 0.1.0
 * @category accessors
 */
export const available = functions.available

/**
 * What happened to a record, oldest first.
 * @since 0.1.0
 * @category accessors
 */
export const history = functions.history

/**
 * Links two records with a declared kind (an existing identical link is returned as is).
 * @since 0.1.0
 * @category accessors
 */
export const link = functions.link

/**
 * Removes a link (kept, marked removed).
 * @since 0.1.0
 * @category accessors
 */
export const unlink = functions.unlink

/**
 * The active links of a record, both directions unless filtered.
 * @since 0.1.0
 * @category accessors
 */
export const links = functions.links

/**
 * Comments on a record.
 * @since 0.1.0
 * @category accessors
 */
export const comment = functions.comment

/**
 * A record's comments, oldest first.
 * @since 0.1.0
 * @category accessors
 */
export const comments = functions.comments

/**
 * Attaches a file's metadata to a record.
 * @since 0.1.0
 * @category accessors
 */
export const attach = functions.attach

/**
 * A record's attachments.
 * @since 0.1.0
 * @category accessors
 */
export const attachments = functions.attachments

/**
 * Uploads a file's content as a new attachment of a record (see `Service.upload`).
 * @since 0.1.0
 * @category accessors
 */
export const upload = <E>(
  input: UploadInput,
  content: Stream.Stream<Uint8Array, E>
): Effect.Effect<Attachment, UploadError | E, Records | Actor.CurrentActor | BlobStore.BlobStore> =>
  Effect.flatMap(Records, (s) => s.upload(input, content))

/**
 * One attachment of a record.
 * @since 0.1.0
 * @category accessors
 */
export const attachment = functions.attachment

/**
 * An attachment's content, whole or a range, ready to stream.
 * @since 0.1.0
 * @category accessors
 */
export const content = (
  recordId: string,
  attachmentId: string,
  range?: BlobStore.Range
): Effect.Effect<
  Content,
  ReadError | AttachmentContent.ContentMissing | BlobStore.BlobError,
  Records | Actor.CurrentActor | BlobStore.BlobStore
> => Effect.flatMap(Records, (s) => s.content(recordId, attachmentId, range))

/**
 * Records a verification and its result.
 * @since 0.1.0
 * @category accessors
 */
export const recordVerification = functions.recordVerification

/**
 * A record's verifications.
 * @since 0.1.0
 * @category accessors
 */
export const verifications = functions.verifications

/**
 * Records an approval.
 * @since 0.1.0
 * @category accessors
 */
export const approve = functions.approve

/**
 * A record's approvals.
 * @since 0.1.0
 * @category accessors
 */
export const approvals = functions.approvals

/**
 * Signs a record electronically after re-authenticating the signer.
 * @since 0.1.0
 * @category accessors
 */
export const sign = functions.sign

/**
 * A record's signatures.
 * @since 0.1.0
 * @category accessors
 */
export const signatures = functions.signatures

/**
 * Re-checks every signature of a record against its bound content.
 * @since 0.1.0
 * @category accessors
 */
export const verifySignatures = functions.verifySignatures

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
export const subscribe: Effect.Effect<Queue.Dequeue<Committed>, never, Records | Scope.Scope> = constants.subscribe

/**
 * Committed changes as a stream (subscribed when the stream starts).
 * @since 0.1.0
 * @category accessors
 */
export const changes: Stream.Stream<Committed, never, Records> = Stream.unwrapScoped(
  Effect.map(subscribe, (queue) => Stream.fromQueue(queue))
)
