/**
 * What a quality manager asks about document control: who has not acknowledged which current
 * revision (by document and by person), and which documents are due for their periodic review.
 *
 * @since 0.1.0
 */
import { Actor, Guard } from "@airworthy/core"
import { QmsRecord, Records } from "@airworthy/records"
import { Directory } from "@airworthy/storage"
import { Effect, Option, Schema } from "effect"
import { listAll, nowIso } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"
import * as Document from "./Document.js"

const Person = Schema.Struct({ personId: Schema.String, name: Schema.NullOr(Schema.String) })

/**
 * One current revision with the recipients who have not acknowledged it.
 * @since 0.1.0
 * @category models
 */
export const ByDocument = Schema.Struct({
  documentId: Schema.String,
  documentRef: Schema.String,
  number: Schema.String,
  title: Schema.String,
  revisionId: Schema.String,
  revisionRef: Schema.String,
  revision: Schema.String,
  publishedAt: Schema.String,
  acknowledgeBy: Schema.String,
  overdue: Schema.Boolean,
  recipients: Schema.Number,
  acknowledged: Schema.Number,
  outstanding: Schema.Array(Person)
})

/**
 * One person with the current revisions they have not acknowledged.
 * @since 0.1.0
 * @category models
 */
export const ByPerson = Schema.Struct({
  personId: Schema.String,
  name: Schema.NullOr(Schema.String),
  revisions: Schema.Array(
    Schema.Struct({
      documentId: Schema.String,
      number: Schema.String,
      revisionId: Schema.String,
      revision: Schema.String,
      acknowledgeBy: Schema.String,
      overdue: Schema.Boolean
    })
  )
})

/**
 * The not-acknowledged report, both ways.
 * @since 0.1.0
 * @category models
 */
export const Outstanding = Schema.Struct({ byDocument: Schema.Array(ByDocument), byPerson: Schema.Array(ByPerson) })
/** @since 0.1.0 @category models */
export type Outstanding = typeof Outstanding.Type

/**
 * Who has not acknowledged which current revision (`document.read`): per active document with a
 * current revision, the recipients without a `read_and_understood` signature on it; and the same
 * per person. Documents and people with nothing outstanding are left out; overdue when past the
 * revision's acknowledgement date.
 * @since 0.1.0
 * @category operations
 */
export const outstanding = QmsModule.operation({
  name: "notAcknowledged",
  operationId: "notAcknowledgedReport",
  summary: "Who has not acknowledged which current revision, by document and by person",
  input: Schema.Struct({}),
  output: Outstanding,
  access: QmsModule.permission("document.read"),
  http: { method: "get", path: "/documents/acknowledgements/outstanding" },
  run: () =>
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      const directory = yield* Directory.Directory
      const now = yield* nowIso
      const names = new Map<string, string | null>()
      const nameOf = (id: string) =>
        Effect.gen(function* () {
          const known = names.get(id)
          if (known !== undefined) return known
          const contact = yield* directory.contactOf(actor.tenantId, id)
          const name = Option.isSome(contact) ? contact.value.displayName : null
          names.set(id, name)
          return name
        })
      const documents = yield* listAll({ type: "controlled_document", state: "active", order: "asc" })
      const byDocument: Array<typeof ByDocument.Type> = []
      const byPerson = new Map<string, Array<(typeof ByPerson.Type)["revisions"][number]>>()
      for (const document of documents) {
        const decoded = Schema.decodeUnknownOption(Document.DocumentData)(document.data)
        if (Option.isNone(decoded) || decoded.value.current === undefined) continue
        const { current, number, title } = decoded.value
        const signed = new Set(
          (yield* Records.signatures(current.revisionId))
            .filter((s) => s.meaning === Document.acknowledgementMeaning)
            .map((s) => s.signerId)
        )
        const missing = current.recipients.filter((p) => !signed.has(p))
        if (missing.length === 0) continue
        const overdue = current.acknowledgeBy < now
        byDocument.push({
          documentId: document.id,
          documentRef: document.ref,
          number,
          title,
          revisionId: current.revisionId,
          revisionRef: current.ref,
          revision: current.revision,
          publishedAt: current.publishedAt,
          acknowledgeBy: current.acknowledgeBy,
          overdue,
          recipients: current.recipients.length,
          acknowledged: current.recipients.length - missing.length,
          outstanding: yield* Effect.forEach(missing, (personId) =>
            Effect.map(nameOf(personId), (name) => ({ personId, name }))
          )
        })
        for (const personId of missing) {
          const list = byPerson.get(personId) ?? []
          list.push({
            documentId: document.id,
            number,
            revisionId: current.revisionId,
            revision: current.revision,
            acknowledgeBy: current.acknowledgeBy,
            overdue
          })
          byPerson.set(personId, list)
        }
      }
      const people = yield* Effect.forEach([...byPerson.keys()].sort(), (personId) =>
        Effect.map(nameOf(personId), (name) => ({ personId, name, revisions: byPerson.get(personId) ?? [] }))
      )
      return { byDocument, byPerson: people }
    })
})

/**
 * The not-acknowledged report (the `notAcknowledged` operation, for Effect callers).
 * @since 0.1.0
 * @category queries
 */
export const notAcknowledgedReport: QmsModule.Command<Outstanding> = QmsModule.invoke(outstanding)({})

/**
 * Active documents whose periodic review is due within 30 days or overdue, earliest first
 * (`document.read`).
 * @since 0.1.0
 * @category operations
 */
export const reviewsDue = QmsModule.operation({
  name: "reviewsDue",
  operationId: "documentReviewsDue",
  summary: "Documents due for periodic review within 30 days, or overdue",
  input: Schema.Struct({}),
  output: Schema.Array(QmsRecord.QmsRecord),
  access: QmsModule.permission("document.read"),
  http: { method: "get", path: "/documents/reviews-due" },
  run: () =>
    Effect.gen(function* () {
      const soon = new Date(Date.parse(yield* nowIso) + 30 * 86_400_000).toISOString()
      const due = yield* listAll({ type: "controlled_document", state: "active", dueBefore: soon, order: "asc" })
      return due
        .filter((d) => typeof Guard.valueAt(d.data, "nextReviewAt") === "string")
        .sort((a, b) => (a.dueAt ?? "").localeCompare(b.dueAt ?? ""))
    })
})

/**
 * Documents due for periodic review (the `reviewsDue` operation, for Effect callers).
 * @since 0.1.0
 * @category queries
 */
export const documentReviewsDue: QmsModule.Command<ReadonlyArray<QmsRecord.QmsRecord>> = QmsModule.invoke(reviewsDue)(
  {}
)
