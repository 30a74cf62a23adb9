// Document control on every database target: a controlled document, a revision through review and
// signed approval, the one-click publication to the distribution (idempotent), acknowledgements and
// the not-acknowledged report, the next revision superseding it with training required, periodic
// reviews, and another tenant or an actor without the permission refused.
import { AuditLog } from "@airworthy/audit"
import { Actor, Errors } from "@airworthy/core"
import { Notify } from "@airworthy/notify"
import { Records } from "@airworthy/records"
import type { Storage, StorageError } from "@airworthy/storage"
import { StaffDirectory, Sweeper, Tasks } from "@airworthy/tasks"
import type { TestKit } from "@airworthy/testing"
import type { SqlClient } from "@effect/sql"
import { assert } from "@effect/vitest"
import { Effect, Either, Stream, TestClock } from "effect"
import { Documents, type Qms, Training } from "../src/index.js"
import { as, freshTenant, people, staff } from "./layers.js"

const start = Date.parse("2026-03-02T08:00:00.000Z")
const day = 86_400_000

const codes = (e: Either.Either<unknown, unknown>): ReadonlyArray<string> =>
  Either.isLeft(e) && e.left instanceof Errors.GuardsFailed
    ? e.left.unmet.map((u) => u.code)
    : [`not GuardsFailed: ${Either.isLeft(e) ? String((e.left as { _tag?: string })._tag) : "success"}`]

const tagOf = (e: Either.Either<unknown, unknown>): string =>
  Either.isLeft(e) ? String((e.left as { _tag?: string })._tag) : "success"

const pdf = (text: string) => new TextEncoder().encode(`%PDF-1.4\n% ${text}\n%%EOF\n`)

/** Technicians Tara and Theo, and the staff of the other suites. */
export const documentStaff = (
  tenantId: string
): Effect.Effect<void, StorageError.StorageError, Storage.Storage | SqlClient.SqlClient> =>
  Effect.gen(function* () {
    yield* staff(tenantId)
    yield* StaffDirectory.upsert(
      { tenantId, actorId: "u-tara", displayName: "Tara Tech", email: "tara@mro.example", roles: ["technician"] },
      { tenantId, actorId: "u-theo", displayName: "Theo Tech", email: "theo@mro.example", roles: ["technician"] },
      {
        tenantId,
        actorId: "u-morgan",
        displayName: "Morgan Manager",
        email: "morgan@mro.example",
        roles: ["accountable_manager"]
      }
    )
  })

export const technician = (tenantId: string, actorId: string) =>
  Actor.make({ tenantId, actorId, displayName: actorId, roles: ["technician"], traceId: "trace-docs", source: "ui" })

export const documentsSuite = (it: TestKit.It<Qms.Services | Storage.Storage | SqlClient.SqlClient>) => {
  it.effect("a revision is reviewed, signed, published to its distribution once, acknowledged and superseded", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(start)
      const tenant = freshTenant("docs")
      const p = people(tenant)
      yield* documentStaff(tenant)
      const tara = technician(tenant, "u-tara")
      const theo = technician(tenant, "u-theo")

      const doc = yield* Documents.createDocument({
        number: "QP-07",
        title: "Tool control procedure",
        category: "procedure",
        ownerId: "u-quinn",
        reviewIntervalMonths: 24,
        distribution: { roles: ["technician"], people: ["u-avery"] },
        acknowledgementDays: 10
      }).pipe(as(p.quality))
      assert.strictEqual(doc.type, "controlled_document")
      assert.strictEqual(doc.title, "QP-07: Tool control procedure")
      // Numbers are unique per tenant, whatever the case.
      const again = yield* Effect.either(
        Documents.createDocument({ number: "qp-07", title: "Other", category: "form", ownerId: "u-quinn" }).pipe(
          as(p.quality)
        )
      )
      assert.deepStrictEqual(codes(again), ["document.number_taken"])
      // A technician may not register documents.
      const notAllowed = yield* Effect.either(
        Documents.createDocument({ number: "QP-08", title: "x", category: "form", ownerId: "u-quinn" }).pipe(as(tara))
      )
      assert.strictEqual(tagOf(notAllowed), "Forbidden")

      // Revision 1: the change summary and content are required before review.
      const rev1 = yield* Documents.draftRevision(doc.id, {}).pipe(as(p.quality))
      assert.strictEqual(rev1.state, "draft")
      assert.strictEqual((rev1.data as { revision: string }).revision, "1")
      const early = yield* Effect.either(
        Records.transition({ id: rev1.id, transition: "submit_for_review" }).pipe(as(p.quality))
      )
      assert.deepStrictEqual([...codes(early)].sort(), ["attachment.missing", "field.required"].sort())
      // Only one revision in progress at a time.
      assert.deepStrictEqual(codes(yield* Effect.either(Documents.draftRevision(doc.id, {}).pipe(as(p.quality)))), [
        "document.revision_in_progress"
      ])
      yield* Records.update({ id: rev1.id, data: { changeSummary: "First issue" } }).pipe(as(p.quality))
      const content = yield* Records.upload(
        { id: rev1.id, kind: "content", name: "QP-07-r1.pdf", mediaType: "application/pdf" },
        Stream.make(pdf("QP-07 revision 1"))
      ).pipe(as(p.quality))
      yield* Records.transition({ id: rev1.id, transition: "submit_for_review" }).pipe(as(p.quality))
      // Reviewers comment; the revision goes back to draft with a reason, then to review again.
      yield* Records.comment({ id: rev1.id, body: "Section 3: name the tool store" }).pipe(as(p.auditor))
      yield* Records.transition({ id: rev1.id, transition: "return_to_draft", reason: "Comment on §3" }).pipe(
        as(p.quality)
      )
      yield* Records.transition({ id: rev1.id, transition: "submit_for_review" }).pipe(as(p.quality))
      assert.deepStrictEqual(
        (yield* Records.comments(rev1.id).pipe(as(p.quality))).map((c) => c.body),
        ["Section 3: name the tool store"]
      )
      // The author may not approve their own revision; the accountable manager signs it.
      const own = yield* Effect.either(
        Records.transition({ id: rev1.id, transition: "approve", signature: { meaning: "approved" } }).pipe(
          as(p.quality)
        )
      )
      assert.deepStrictEqual(codes(own), ["separation_of_duties.creator"])
      const approved = yield* Records.transition({
        id: rev1.id,
        transition: "approve",
        signature: { meaning: "approved" }
      }).pipe(as(p.manager))
      assert.strictEqual(approved.state, "approved")
      const signatures = yield* Records.signatures(rev1.id).pipe(as(p.quality))
      assert.deepStrictEqual(
        signatures.map((s) => [s.signerId, s.meaning, s.transition]),
        [["u-morgan", "approved", "approve"]]
      )

      // A technician may not publish.
      assert.strictEqual(tagOf(yield* Effect.either(Documents.publishRevision(rev1.id).pipe(as(tara)))), "Forbidden")
      // Another tenant does not see the revision.
      const stranger = { ...p.quality, tenantId: freshTenant("docs-other") } as Actor.Actor
      assert.strictEqual(tagOf(yield* Effect.either(Documents.publishRevision(rev1.id).pipe(as(stranger)))), "NotFound")

      // One click: published, current, distributed (roles through the directory, and people).
      yield* TestClock.adjust(day)
      const first = yield* Documents.publishRevision(rev1.id).pipe(as(p.quality))
      assert.isTrue(first.published)
      assert.strictEqual(first.revision.state, "published")
      assert.deepStrictEqual(first.recipients, ["u-avery", "u-tara", "u-theo"])
      const current = (first.document.data as Documents.DocumentData).current
      assert.strictEqual(current?.revisionId, rev1.id)
      assert.strictEqual(current?.publishedAt, "2026-03-03T08:00:00.000Z")
      assert.strictEqual(current?.acknowledgeBy, "2026-03-13T08:00:00.000Z")
      assert.deepStrictEqual(current?.content, [{ name: "QP-07-r1.pdf", sha256: content.sha256 }])
      assert.strictEqual(first.document.dueAt, "2028-03-03T08:00:00.000Z") // next periodic review

      const ackTasks = (yield* Tasks.byRecord({ type: "document_revision", id: rev1.id }).pipe(as(p.quality)))
        .filter((t) => t.kind === "document_acknowledgement")
        .map((t) => [t.assigneeId, t.status, t.dueAt])
        .sort()
      assert.deepStrictEqual(ackTasks, [
        ["u-avery", "open", "2026-03-13T08:00:00.000Z"],
        ["u-tara", "open", "2026-03-13T08:00:00.000Z"],
        ["u-theo", "open", "2026-03-13T08:00:00.000Z"]
      ])
      const emails = yield* Notify.emailLog({ recordType: "document_revision", recordId: rev1.id }).pipe(as(p.quality))
      assert.deepStrictEqual(emails.map((m) => m.recipient).sort(), [
        "avery@mro.example",
        "tara@mro.example",
        "theo@mro.example"
      ])
      assert.isTrue(emails.every((m) => m.subject.startsWith("QP-07 revision 1 is published")))
      const reviewTasks = (yield* Tasks.byRecord({ type: "controlled_document", id: doc.id }).pipe(as(p.quality)))
        .filter((t) => t.kind === "document_periodic_review")
        .map((t) => [t.assigneeId, t.status, t.dueAt])
      assert.deepStrictEqual(reviewTasks, [["u-quinn", "open", "2028-03-03T08:00:00.000Z"]])
      const events = (yield* AuditLog.query({ limit: 1000 }).pipe(as(p.quality))).events
      const distributed = events.filter((e) => e.action === "document.distributed")
      assert.strictEqual(distributed.length, 1)
      assert.deepStrictEqual(
        (distributed[0]?.after as { recipients?: ReadonlyArray<string> } | undefined)?.recipients,
        ["u-avery", "u-tara", "u-theo"]
      )

      // A second click changes nothing.
      const second = yield* Documents.publishRevision(rev1.id).pipe(as(p.quality))
      assert.isFalse(second.published)
      assert.strictEqual(second.revision.version, first.revision.version)
      assert.strictEqual(second.document.version, first.document.version)
      assert.strictEqual((yield* AuditLog.query({ limit: 1000 }).pipe(as(p.quality))).events.length, events.length)
      assert.strictEqual(
        (yield* Notify.emailLog({ recordType: "document_revision", recordId: rev1.id }).pipe(as(p.quality))).length,
        3
      )

      // Acknowledgements: the report by document and by person, once per person.
      const report0 = yield* Documents.notAcknowledgedReport.pipe(as(p.quality))
      assert.deepStrictEqual(
        report0.byDocument.map((d) => [d.number, d.revision, d.acknowledged, d.outstanding.map((o) => o.personId)]),
        [["QP-07", "1", 0, ["u-avery", "u-tara", "u-theo"]]]
      )
      const ack = yield* Documents.acknowledgeRevision(rev1.id).pipe(as(tara))
      assert.isTrue(ack.created)
      assert.strictEqual(ack.signature.meaning, "read_and_understood")
      const ackAgain = yield* Documents.acknowledgeRevision(rev1.id).pipe(as(tara))
      assert.isFalse(ackAgain.created)
      assert.strictEqual(ackAgain.signature.id, ack.signature.id)
      const taraTask = (yield* Tasks.byRecord({ type: "document_revision", id: rev1.id }).pipe(as(p.quality))).find(
        (t) => t.assigneeId === "u-tara"
      )
      assert.strictEqual(taraTask?.status, "done")
      yield* TestClock.adjust(11 * day)
      // An open acknowledgement is a task on the ladder: reminded before its date, due notice at it.
      yield* Sweeper.runOnce()
      const theoTask = (yield* Tasks.byRecord({ type: "document_revision", id: rev1.id }).pipe(as(p.quality))).find(
        (t) => t.assigneeId === "u-theo"
      )
      assert.strictEqual(theoTask?.escalationLevel, 1)
      const reminders = yield* Notify.emailLog({ recordType: "task", recordId: theoTask?.id ?? "" }).pipe(as(p.quality))
      // 48 h and 24 h before, and at the date (owner and assignee are both Theo: one email).
      assert.strictEqual(reminders.filter((m) => m.recipient === "theo@mro.example").length, 3)
      const report1 = yield* Documents.notAcknowledgedReport.pipe(as(tara))
      assert.deepStrictEqual(
        report1.byDocument.map((d) => [d.acknowledged, d.overdue, d.outstanding.map((o) => [o.personId, o.name])]),
        [
          [
            1,
            true,
            [
              ["u-avery", "Avery Auditor"],
              ["u-theo", "Theo Tech"]
            ]
          ]
        ]
      )
      assert.deepStrictEqual(
        report1.byPerson.map((x) => [x.personId, x.revisions.map((r) => `${r.number} r${r.revision}`)]),
        [
          ["u-avery", ["QP-07 r1"]],
          ["u-theo", ["QP-07 r1"]]
        ]
      )

      // Revision 2 requires training of technicians; publishing it supersedes revision 1.
      const procedureTraining = yield* Training.defineRequirement({
        code: "QP-07",
        title: "Tool control procedure",
        kind: "procedure",
        roles: []
      }).pipe(as(p.quality))
      const rev2 = yield* Documents.draftRevision(doc.id, {
        changeSummary: "Tool store named; shadow boards",
        trainingRequired: { roles: ["technician"], dueDays: 20, requirementId: procedureTraining.id }
      }).pipe(as(p.quality))
      assert.strictEqual((rev2.data as { revision: string }).revision, "2")
      yield* Records.upload(
        { id: rev2.id, kind: "content", name: "QP-07-r2.pdf", mediaType: "application/pdf" },
        Stream.make(pdf("QP-07 revision 2"))
      ).pipe(as(p.quality))
      yield* Records.transition({ id: rev2.id, transition: "submit_for_review" }).pipe(as(p.quality))
      yield* Records.transition({ id: rev2.id, transition: "approve", signature: { meaning: "approved" } }).pipe(
        as(p.manager)
      )
      const published2 = yield* Documents.publishRevision(rev2.id).pipe(as(p.quality))
      assert.isTrue(published2.published)
      assert.strictEqual((yield* Records.get(rev1.id).pipe(as(p.quality))).state, "superseded")
      assert.strictEqual((published2.document.data as Documents.DocumentData).current?.revision, "2")
      const rev1Tasks = (yield* Tasks.byRecord({ type: "document_revision", id: rev1.id }).pipe(as(p.quality)))
        .map((t) => [t.assigneeId, t.status])
        .sort()
      assert.deepStrictEqual(rev1Tasks, [
        ["u-avery", "cancelled"],
        ["u-tara", "done"],
        ["u-theo", "cancelled"]
      ])
      const training = (yield* Tasks.byRecord({ type: "document_revision", id: rev2.id }).pipe(as(p.quality)))
        .filter((t) => t.kind === "document_training")
        .map((t) => [t.assigneeId, t.dueAt])
        .sort()
      assert.deepStrictEqual(training, [
        ["u-tara", "2026-04-03T08:00:00.000Z"],
        ["u-theo", "2026-04-03T08:00:00.000Z"]
      ])
      // Recording Tara's training on the procedure completes her training task; Theo's stays open.
      yield* Training.recordTraining({
        personId: "u-tara",
        requirementId: procedureTraining.id,
        completedAt: "2026-03-20"
      }).pipe(as(p.quality))
      assert.deepStrictEqual(
        (yield* Tasks.byRecord({ type: "document_revision", id: rev2.id }).pipe(as(p.quality)))
          .filter((t) => t.kind === "document_training")
          .map((t) => [t.assigneeId, t.status])
          .sort(),
        [
          ["u-tara", "done"],
          ["u-theo", "open"]
        ]
      )
      // A superseded revision can no longer be acknowledged; the report asks about revision 2.
      assert.strictEqual(
        tagOf(yield* Effect.either(Documents.acknowledgeRevision(rev1.id).pipe(as(theo)))),
        "InvalidTransition"
      )
      const report2 = yield* Documents.notAcknowledgedReport.pipe(as(p.quality))
      assert.deepStrictEqual(
        report2.byDocument.map((d) => [d.revision, d.outstanding.length]),
        [["2", 3]]
      )
      // The published revision is locked: nothing of it may be edited.
      assert.isTrue(
        Either.isLeft(
          yield* Effect.either(Records.update({ id: rev2.id, data: { changeSummary: "changed" } }).pipe(as(p.quality)))
        )
      )

      // Periodic review: due within 30 days two years on; confirming it moves it one interval.
      assert.deepStrictEqual(yield* Documents.documentReviewsDue.pipe(as(p.quality)), [])
      yield* TestClock.setTime(Date.parse("2028-03-01T08:00:00.000Z"))
      const due = yield* Documents.documentReviewsDue.pipe(as(p.quality))
      assert.deepStrictEqual(
        due.map((d) => d.id),
        [doc.id]
      )
      const reviewed = yield* Documents.confirmDocumentReview(doc.id, "Still accurate").pipe(as(p.quality))
      assert.strictEqual(reviewed.dueAt, "2030-03-01T08:00:00.000Z")
      const reviews = (yield* Tasks.byRecord({ type: "controlled_document", id: doc.id }).pipe(as(p.quality)))
        .filter((t) => t.kind === "document_periodic_review")
        .map((t) => [t.status, t.dueAt])
      assert.deepStrictEqual([...reviews].sort(), [
        ["done", "2028-03-03T08:00:00.000Z"],
        ["done", "2028-03-14T08:00:00.000Z"],
        ["open", "2030-03-01T08:00:00.000Z"]
      ])
      assert.isTrue((yield* AuditLog.verify(tenant)).ok)
    })
  )
}
