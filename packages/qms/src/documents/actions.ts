/**
 * Document control commands: register a controlled document, draft its next revision, publish an
 * approved revision and notify its distribution in one click, acknowledge the current revision
 * (read and understood), and confirm a periodic review. Each is one transaction, audited.
 *
 * @since 0.1.0
 */
import { Actor, Errors, Guard } from "@airworthy/core"
import { QmsRecord, RecordHooks, Records } from "@airworthy/records"
import { Tasks } from "@airworthy/tasks"
import { Effect, Schema } from "effect"
import * as References from "../internal/references.js"
import { addMonths, ExpectedVersion, Id, listAll, nowIso } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"
import * as Document from "./Document.js"
import { renewReviewTask } from "./rules.js"

type Command<A> = QmsModule.Command<A>

/**
 * What `createDocument` takes.
 * @since 0.1.0
 * @category inputs
 */
export const CreateDocumentInput = Schema.Struct({
  number: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)),
  title: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500)),
  category: Document.Category,
  /** Who owns the document (its periodic reviews are theirs). */
  ownerId: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128)),
  reviewIntervalMonths: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 120)), { default: () => 24 }),
  distribution: Schema.optionalWith(Document.Distribution, { default: () => ({ roles: [], people: [] }) }),
  acknowledgementDays: Schema.optional(Schema.Int.pipe(Schema.between(1, 365))),
  idempotencyKey: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)))
})
/** @since 0.1.0 @category inputs */
export type CreateDocumentInput = typeof CreateDocumentInput.Encoded

const sameNumber = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase()

/**
 * Registers a controlled document (`document.create`) with its number (unique per tenant, any
 * case), owner, category, review interval and distribution; the people named must be known to
 * the directory.
 * @since 0.1.0
 * @category operations
 */
export const create = QmsModule.operation({
  name: "create",
  operationId: "createDocument",
  summary: "Register a controlled document (number unique per tenant)",
  input: CreateDocumentInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("document.create"),
  errors: [Errors.UnknownReference, Errors.GuardsFailed, Errors.IdempotencyConflict, RecordHooks.HookFailed],
  http: { method: "post", path: "/documents", status: 201 },
  run: (value) =>
    Records.transaction(
      Effect.gen(function* () {
        yield* References.people("ownerId", [value.ownerId])
        yield* References.people("distribution.people", value.distribution.people)
        const existing = yield* listAll({ type: "controlled_document", text: value.number })
        const taken = existing.find((d) => sameNumber(String(Guard.valueAt(d.data, "number")), value.number))
        if (taken !== undefined && value.idempotencyKey === undefined) {
          return yield* new Errors.GuardsFailed({
            transition: "create",
            unmet: [
              {
                guard: "unique_number",
                code: "document.number_taken",
                message: `Document number ${value.number} is already used by ${taken.ref}`
              }
            ]
          })
        }
        return yield* Records.create({
          type: "controlled_document",
          ownerId: value.ownerId,
          data: {
            number: value.number,
            title: value.title,
            category: value.category,
            reviewIntervalMonths: value.reviewIntervalMonths,
            distribution: value.distribution,
            ...(value.acknowledgementDays === undefined ? {} : { acknowledgementDays: value.acknowledgementDays })
          },
          ...(value.idempotencyKey === undefined ? {} : { idempotencyKey: value.idempotencyKey })
        })
      })
    )
})

/**
 * Registers a controlled document (the `create` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const createDocument: (input: CreateDocumentInput) => Command<QmsRecord.QmsRecord> = QmsModule.invoke(create)

const DraftInput = Schema.Struct({
  id: Id,
  changeSummary: Schema.optional(Schema.String.pipe(Schema.maxLength(10_000))),
  trainingRequired: Schema.optional(Document.TrainingRequired),
  idempotencyKey: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)))
})

/**
 * Drafts the next revision of an active document (`document.author`): numbered after the
 * document's last revision, linked to it (`revision_of`). Only one revision may be in progress
 * (draft, in review or approved) at a time.
 * @since 0.1.0
 * @category operations
 */
export const draft = QmsModule.operation({
  name: "draftRevision",
  operationId: "draftRevision",
  summary: "Draft the next revision of a document",
  input: DraftInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("document.author"),
  errors: [
    Errors.NotFound,
    Errors.InvalidTransition,
    Errors.GuardsFailed,
    Errors.IdempotencyConflict,
    RecordHooks.HookFailed
  ],
  http: { method: "post", path: "/documents/:id/revisions", status: 201 },
  run: (value) =>
    Records.transaction(
      Effect.gen(function* () {
        const document = yield* Records.get(value.id)
        if (document.type !== "controlled_document") {
          return yield* new Errors.NotFound({ entity: "controlled_document", id: value.id })
        }
        if (document.state !== "active") {
          return yield* new Errors.InvalidTransition({ transition: "draft_revision", state: document.state })
        }
        const revisions = yield* Records.links(document.id, { kind: "revision_of", direction: "in" })
        const states = yield* Effect.forEach(revisions, (l) => Records.get(l.other.id))
        const inProgress = states.find((r) => r.state === "draft" || r.state === "in_review" || r.state === "approved")
        if (inProgress !== undefined && value.idempotencyKey === undefined) {
          return yield* new Errors.GuardsFailed({
            transition: "draft_revision",
            unmet: [
              {
                guard: "one_revision_in_progress",
                code: "document.revision_in_progress",
                message: `Revision ${inProgress.ref} of this document is still in progress`
              }
            ]
          })
        }
        const number = String(Guard.valueAt(document.data, "number"))
        const title = String(Guard.valueAt(document.data, "title"))
        const revision = yield* Records.create({
          type: "document_revision",
          ownerId: null,
          data: {
            documentId: document.id,
            documentNumber: number,
            documentTitle: title,
            revision: String(revisions.length + 1),
            ...(value.changeSummary === undefined ? {} : { changeSummary: value.changeSummary }),
            ...(value.trainingRequired === undefined ? {} : { trainingRequired: value.trainingRequired })
          },
          ...(value.idempotencyKey === undefined ? {} : { idempotencyKey: value.idempotencyKey })
        })
        if (revision.version === 1 && revision.state === "draft") {
          yield* Records.link({ from: revision.id, to: document.id, kind: "revision_of" })
        }
        return revision
      })
    )
})

/**
 * Drafts a document's next revision (the `draftRevision` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const draftRevision = (
  documentId: string,
  input: Omit<typeof DraftInput.Encoded, "id"> = {}
): Command<QmsRecord.QmsRecord> => QmsModule.invoke(draft)({ id: documentId, ...input })

/**
 * What `publishRevision` returns: the revision, its document, who it was distributed to, and
 * whether this call published it (`false`: it was already published and nothing was written).
 * @since 0.1.0
 * @category models
 */
export const Published = Schema.Struct({
  revision: QmsRecord.QmsRecord,
  document: QmsRecord.QmsRecord,
  recipients: Schema.Array(Schema.String),
  published: Schema.Boolean
})
/** @since 0.1.0 @category models */
export type Published = typeof Published.Type

/**
 * The one-click "publish revision and notify distribution" (`document.publish`), in one
 * transaction: the approved revision becomes published (locked: nothing of it is editable) and
 * current, the prior current revision superseded, every recipient of the document's distribution
 * gets an acknowledgement task and an email (each in the email log), the training the revision
 * requires becomes tasks, and `document.distributed` is audited. Idempotent: a revision already
 * published (or since superseded) is returned with `published: false` and nothing is written.
 * @since 0.1.0
 * @category operations
 */
export const publish = QmsModule.operation({
  name: "publishRevision",
  operationId: "publishRevision",
  summary: "Publish an approved revision and notify its distribution (idempotent)",
  input: Schema.Struct({ id: Id, expectedVersion: ExpectedVersion }),
  output: Published,
  access: QmsModule.permission("document.publish"),
  errors: [
    Errors.NotFound,
    Errors.InvalidTransition,
    Errors.GuardsFailed,
    Errors.StaleVersion,
    Errors.IdempotencyConflict,
    RecordHooks.HookFailed
  ],
  http: { method: "post", path: "/document-revisions/:id/actions/publish" },
  run: ({ id, expectedVersion }) =>
    Records.transaction(
      Effect.gen(function* () {
        const found = yield* Records.get(id)
        if (found.type !== "document_revision") return yield* new Errors.NotFound({ entity: "document_revision", id })
        const history = yield* Records.history(id)
        const already = found.state !== "approved" && history.some((h) => h.transition === "publish")
        const revision = already
          ? found
          : yield* Records.transition({
              id,
              transition: "publish",
              idempotencyKey: `qms.publish-revision:${id}`,
              correlationId: `qms.publish-revision:${id}`,
              ...(expectedVersion === undefined ? {} : { expectedVersion })
            })
        const document = yield* Records.get(String(Guard.valueAt(revision.data, "documentId")))
        const current = Guard.valueAt(document.data, "current")
        const recipients =
          Guard.valueAt(current, "revisionId") === id
            ? (Guard.valueAt(current, "recipients") as ReadonlyArray<string>)
            : []
        return { revision, document, recipients: recipients ?? [], published: !already } as Published
      })
    )
})

/**
 * Publishes a revision and notifies its distribution (the `publishRevision` operation).
 * @since 0.1.0
 * @category actions
 */
export const publishRevision = (revisionId: string, options: { readonly expectedVersion?: number } = {}) =>
  QmsModule.invoke(publish)({ id: revisionId, ...options })

/**
 * What `acknowledgeRevision` returns: the acknowledgement (a signature meaning
 * `read_and_understood`) and whether this call recorded it.
 * @since 0.1.0
 * @category models
 */
export const Acknowledged = Schema.Struct({ signature: QmsRecord.Signature, created: Schema.Boolean })
/** @since 0.1.0 @category models */
export type Acknowledged = typeof Acknowledged.Type

/**
 * Acknowledges the current revision as read and understood (`document.acknowledge`): an
 * electronic signature meaning `read_and_understood` on the published revision, and the actor's
 * acknowledgement task done. Once per person: a second call returns the first acknowledgement.
 * A revision not (or no longer) current is refused (409).
 * @since 0.1.0
 * @category operations
 */
export const acknowledge = QmsModule.operation({
  name: "acknowledge",
  operationId: "acknowledgeRevision",
  summary: "Acknowledge the current revision as read and understood (once per person)",
  input: Schema.Struct({ id: Id }),
  output: Acknowledged,
  access: QmsModule.permission("document.acknowledge"),
  errors: [Errors.NotFound, Errors.InvalidTransition, Errors.StaleVersion, RecordHooks.HookFailed],
  http: { method: "post", path: "/document-revisions/:id/actions/acknowledge", status: 201 },
  run: ({ id }) =>
    Records.transaction(
      Effect.gen(function* () {
        const actor = yield* Actor.CurrentActor
        const revision = yield* Records.get(id)
        if (revision.type !== "document_revision") {
          return yield* new Errors.NotFound({ entity: "document_revision", id })
        }
        const mine = (yield* Records.signatures(id)).find(
          (s) => s.signerId === actor.actorId && s.meaning === Document.acknowledgementMeaning
        )
        if (mine !== undefined) return { signature: mine, created: false } as Acknowledged
        if (revision.state !== "published") {
          return yield* new Errors.InvalidTransition({ transition: "acknowledge", state: revision.state })
        }
        const signature = yield* Records.sign({ id, meaning: Document.acknowledgementMeaning })
        const tasks = yield* Tasks.Tasks
        for (const t of yield* tasks.byRecord({ type: revision.type, id })) {
          if (
            t.kind === Document.taskKinds.acknowledgement &&
            t.assigneeId === actor.actorId &&
            (t.status === "open" || t.status === "in_progress")
          ) {
            yield* tasks.closeByRule({ id: t.id }, "complete", "document_acknowledged")
          }
        }
        return { signature, created: true } as Acknowledged
      })
    )
})

/**
 * Acknowledges a revision (the `acknowledge` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const acknowledgeRevision = (revisionId: string): Command<Acknowledged> =>
  QmsModule.invoke(acknowledge)({ id: revisionId })

const ReviewInput = Schema.Struct({
  id: Id,
  /** What the review concluded (kept as a comment on the document). */
  note: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(4000))
})

/**
 * Confirms a periodic review that found no change needed: the note is kept as
 * a comment, the next review is due one interval from now, the open review task is done and the
 * next one opened (`document.update`). A review that finds changes drafts a revision instead.
 * @since 0.1.0
 * @category operations
 */
export const confirmReview = QmsModule.operation({
  name: "confirmReview",
  operationId: "confirmDocumentReview",
  summary: "Confirm a periodic review with no change; the next review is due one interval on",
  input: ReviewInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("document.update"),
  errors: [Errors.NotFound, Errors.InvalidTransition, Errors.StaleVersion, RecordHooks.HookFailed],
  http: { method: "post", path: "/documents/:id/actions/confirm-review" },
  run: ({ id, note }) =>
    Records.transaction(
      Effect.gen(function* () {
        const document = yield* Records.get(id)
        if (document.type !== "controlled_document") {
          return yield* new Errors.NotFound({ entity: "controlled_document", id })
        }
        if (document.state !== "active") {
          return yield* new Errors.InvalidTransition({ transition: "confirm_review", state: document.state })
        }
        const now = yield* nowIso
        const months = Number(Guard.valueAt(document.data, "reviewIntervalMonths"))
        yield* Records.comment({ id, body: `Periodic review: ${note}` })
        const updated = yield* Records.update({
          id,
          data: { nextReviewAt: addMonths(now, months), lastReviewedAt: now },
          reason: note
        }).pipe(Records.unlocking(["nextReviewAt", "lastReviewedAt"]))
        yield* renewReviewTask(updated, "document_review_confirmed")
        return updated
      })
    )
})

/**
 * Confirms a document's periodic review (the `confirmReview` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const confirmDocumentReview = (documentId: string, note: string): Command<QmsRecord.QmsRecord> =>
  QmsModule.invoke(confirmReview)({ id: documentId, note })
