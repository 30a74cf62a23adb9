/**
 * What follows a revision's publication, in the same transaction: the prior current revision is
 * superseded (its open acknowledgements cancelled), the document records the new current revision
 * with its content digests and recipients, the periodic review is due again, each recipient of the
 * distribution (roles through the host's `Directory`, and people) gets an acknowledgement task and
 * an email, the people of the roles a revision's training concerns get a training task, and one
 * `document.distributed` audit event names them all. A withdrawn revision's open tasks are cancelled.
 *
 * @since 0.1.0
 */
import { AuditLog } from "@airworthy/audit"
import { Actor, Guard } from "@airworthy/core"
import { type QmsRecord, type RecordHooks, Records } from "@airworthy/records"
import { Directory } from "@airworthy/storage"
import { Tasks } from "@airworthy/tasks"
import { Effect, Schema } from "effect"
import { addHours, addMonths, nowIso } from "../internal/support.js"
import * as Rule from "../Rule.js"
import * as Document from "./Document.js"

const ref = (r: QmsRecord.QmsRecord) => ({ type: r.type, id: r.id })

/**
 * The people a distribution reaches: holders of its roles (from the `Directory`) and the people
 * it names, each once, sorted.
 * @since 0.1.0
 * @category rules
 */
export const recipientsOf = (
  tenantId: string,
  distribution: Document.Distribution
): Effect.Effect<ReadonlyArray<string>, Rule.Failure, Directory.Directory> =>
  Effect.gen(function* () {
    const directory = yield* Directory.Directory
    const ids = new Set<string>(distribution.people)
    for (const role of distribution.roles) for (const id of yield* directory.usersWithRole(tenantId, role)) ids.add(id)
    return [...ids].sort()
  })

/**
 * The people holding any of the roles, each once, sorted.
 * @since 0.1.0
 * @category rules
 */
export const holdersOf = (
  tenantId: string,
  roles: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<string>, Rule.Failure, Directory.Directory> =>
  recipientsOf(tenantId, { roles, people: [] })

const published = (change: RecordHooks.Change): Effect.Effect<void, Rule.Failure, Rule.Needs> =>
  Effect.gen(function* () {
    const actor = yield* Actor.CurrentActor
    const tasks = yield* Tasks.Tasks
    const revision = change.record
    const data = Schema.decodeUnknownSync(Document.RevisionData)(revision.data)
    const document = yield* Records.get(data.documentId)
    const doc = Schema.decodeUnknownSync(Document.DocumentData)(document.data)
    const now = yield* nowIso
    const correlationId = `qms.publish-revision:${revision.id}`

    // The prior current revision is superseded; its acknowledgements are no longer asked for.
    const priorId = doc.current?.revisionId
    let superseded: string | null = null
    if (priorId !== undefined && priorId !== revision.id) {
      const prior = yield* Records.get(priorId)
      if (prior.state === "published") {
        yield* Records.transition({ id: priorId, transition: "supersede", correlationId })
        superseded = priorId
      }
      for (const t of yield* tasks.byRecord(ref(prior))) {
        if ((t.status === "open" || t.status === "in_progress") && t.kind === Document.taskKinds.acknowledgement) {
          yield* tasks.closeByRule({ id: t.id }, "cancel", "document_published")
        }
      }
    }

    const recipients = yield* recipientsOf(actor.tenantId, doc.distribution)
    const acknowledgeBy = addHours(now, 24 * (doc.acknowledgementDays ?? Document.defaultAcknowledgementDays))
    const content = (yield* Records.attachments(revision.id))
      .filter((a) => a.kind === "content")
      .map((a) => ({ name: a.name, sha256: a.sha256 }))
    const nextReviewAt = addMonths(now, doc.reviewIntervalMonths)
    const current: Document.Current = {
      revisionId: revision.id,
      ref: revision.ref,
      revision: data.revision,
      publishedAt: now,
      publishedBy: actor.actorId,
      acknowledgeBy,
      recipients,
      content
    }
    const updated = yield* Records.update({
      id: document.id,
      data: { current, nextReviewAt },
      correlationId
    }).pipe(Records.unlocking(["current", "nextReviewAt"]))

    // The periodic review is due one interval after publication.
    yield* renewReviewTask(updated, "document_published")

    for (const personId of recipients) {
      yield* tasks.createByRule(
        {
          kind: Document.taskKinds.acknowledgement,
          title: `Read and acknowledge ${data.documentNumber} revision ${data.revision}`,
          records: [ref(revision), ref(document)],
          ownerId: personId,
          assigneeId: personId,
          dueAt: acknowledgeBy
        },
        "document_published"
      )
    }
    yield* Rule.tell(
      recipients,
      Document.distributionTemplate,
      {
        ref: revision.ref,
        number: data.documentNumber,
        title: data.documentTitle,
        revision: data.revision,
        changeSummary: data.changeSummary ?? "",
        acknowledgeBy
      },
      ref(revision)
    )

    const training = data.trainingRequired
    const trainees = training === undefined ? [] : yield* holdersOf(actor.tenantId, training.roles)
    if (training !== undefined) {
      const dueAt = addHours(now, 24 * (training.dueDays ?? Document.defaultTrainingDays))
      for (const personId of trainees) {
        yield* tasks.createByRule(
          {
            kind: Document.taskKinds.training,
            title: `Training on ${data.documentNumber} revision ${data.revision}`,
            records: [
              ref(revision),
              ...(training.requirementId === undefined
                ? []
                : [{ type: "training_requirement", id: training.requirementId }])
            ],
            ownerId: personId,
            assigneeId: personId,
            dueAt
          },
          "document_published"
        )
      }
    }

    yield* AuditLog.append({
      action: "document.distributed",
      recordType: "document_revision",
      recordId: revision.id,
      after: { documentId: document.id, superseded, recipients, trainees, acknowledgeBy },
      correlationId
    })
  })

const withdrawn = (change: RecordHooks.Change): Effect.Effect<void, Rule.Failure, Rule.Needs> =>
  Effect.gen(function* () {
    const documentId = Guard.valueAt(change.record.data, "documentId")
    if (typeof documentId !== "string") return
    const document = yield* Records.get(documentId)
    if (Guard.valueAt(document.data, "current.revisionId") !== change.record.id) return
    yield* Records.update({ id: documentId, data: { current: null } }).pipe(Records.unlocking(["current"]))
  })

/**
 * Completes the document's open periodic-review task and opens the next one, due at the
 * document's `nextReviewAt`, for its owner.
 * @since 0.1.0
 * @category rules
 */
export const renewReviewTask = (
  document: QmsRecord.QmsRecord,
  rule: string
): Effect.Effect<void, Rule.Failure, Tasks.Tasks | Actor.CurrentActor> =>
  Effect.gen(function* () {
    const tasks = yield* Tasks.Tasks
    for (const t of yield* tasks.byRecord(ref(document))) {
      if ((t.status === "open" || t.status === "in_progress") && t.kind === Document.taskKinds.periodicReview) {
        yield* tasks.closeByRule({ id: t.id }, "complete", rule)
      }
    }
    const due = Guard.valueAt(document.data, "nextReviewAt")
    const owner = document.ownerId ?? document.createdBy
    if (typeof due !== "string") return
    yield* tasks.createByRule(
      {
        kind: Document.taskKinds.periodicReview,
        title: `Periodic review of ${document.title}`.slice(0, 500),
        records: [ref(document)],
        ownerId: owner,
        assigneeId: owner,
        dueAt: due
      },
      rule
    )
  })

/**
 * The document rules.
 * @since 0.1.0
 * @category rules
 */
export const rules: ReadonlyArray<Rule.Rule> = [
  Rule.make({
    name: "document_published",
    recordType: "document_revision",
    on: Rule.transition("publish"),
    reactions: [Rule.run(published)]
  }),
  // A withdrawn current revision leaves its document with no current revision until the next one.
  Rule.make({
    name: "document_revision_withdrawn",
    recordType: "document_revision",
    on: Rule.transition("withdraw"),
    reactions: [Rule.closeTasks("cancel"), Rule.run(withdrawn)]
  }),
  Rule.make({
    name: "document_withdrawn",
    recordType: "controlled_document",
    on: Rule.transition("withdraw"),
    reactions: [Rule.closeTasks("cancel")]
  })
]
